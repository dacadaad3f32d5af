"""Spoken announcements for the display board.

The display board speaks each call in Bahasa Indonesia: "Nomor antrian B nol nol tujuh,
silakan ke loket tiga". The browser's own id-ID voice is used where there is one; this
module is the fallback: it renders the same sentence to WAV with espeak-ng on the
server (``GET /api/speech``). The wording is built in two places that must agree —
``announcement_text`` here and ``announcementText`` in static/js/speech.js — and a
browser test checks that they do.

It also makes the chime that precedes every announcement (``chime_wav``), so the
committed static/audio/chime.wav is generated, not downloaded.
"""
import io
import math
import re
import shutil
import struct
import subprocess
import threading
import wave
from collections import OrderedDict

DIGITS_ID = ("nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh",
             "delapan", "sembilan")
DIGITS_EN = ("zero", "one", "two", "three", "four", "five", "six", "seven",
             "eight", "nine")


def number_words_id(n):
    """Indonesian words for a whole number 0..999999 (counter numbers)."""
    n = int(n)
    if n < 0 or n > 999999:
        raise ValueError("number out of range")
    if n < 10:
        return DIGITS_ID[n]
    if n == 10:
        return "sepuluh"
    if n == 11:
        return "sebelas"
    if n < 20:
        return DIGITS_ID[n - 10] + " belas"
    if n < 100:
        tens, rest = divmod(n, 10)
        head = DIGITS_ID[tens] + " puluh"
        return head if rest == 0 else head + " " + number_words_id(rest)
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = "seratus" if hundreds == 1 else DIGITS_ID[hundreds] + " ratus"
        return head if rest == 0 else head + " " + number_words_id(rest)
    thousands, rest = divmod(n, 1000)
    head = "seribu" if thousands == 1 else number_words_id(thousands) + " ribu"
    return head if rest == 0 else head + " " + number_words_id(rest)


def number_words_en(n):
    n = int(n)
    small = ("zero one two three four five six seven eight nine ten eleven twelve "
             "thirteen fourteen fifteen sixteen seventeen eighteen nineteen").split()
    tens = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
    if n < 20:
        return small[n]
    if n < 100:
        t, r = divmod(n, 10)
        return tens[t] + ("" if r == 0 else "-" + small[r])
    if n < 1000:
        h, r = divmod(n, 100)
        return small[h] + " hundred" + ("" if r == 0 else " " + number_words_en(r))
    raise ValueError("number out of range")


_TICKET_RE = re.compile(r"^\s*([A-Za-z]{0,3})\s*-?\s*(\d{1,6})\s*$")


def spell_ticket(number, lang="id"):
    """'B-007' -> 'B nol nol tujuh': the letters as they are, each digit spoken."""
    m = _TICKET_RE.match(str(number))
    if not m:
        return str(number)
    letters, digits = m.group(1).upper(), m.group(2)
    names = DIGITS_EN if lang == "en" else DIGITS_ID
    words = [names[int(d)] for d in digits]
    return " ".join(([letters] if letters else []) + words)


def announcement_text(number, counter, kind="call", lang="id", short=False):
    """The sentence spoken for a call (``kind`` "call" or "recall"). ``short``: the
    form a board uses while several calls wait to be announced ("A nol nol satu,
    loket satu."), about half as long."""
    spelled = spell_ticket(number, lang)
    if short:
        words = number_words_en(counter) if lang == "en" else number_words_id(counter)
        text = "%s, %s %s." % (spelled, "counter" if lang == "en" else "loket", words)
        return ("%s %s" % ("Again," if lang == "en" else "Ulang,", text)) if kind == "recall" else text
    if lang == "en":
        text = "Queue number %s, please go to counter %s." % (
            spelled, number_words_en(counter))
        return ("Repeat call. " + text) if kind == "recall" else text
    text = "Nomor antrian %s, silakan ke loket %s." % (
        spelled, number_words_id(counter))
    return ("Panggilan ulang. " + text) if kind == "recall" else text


# -- server-side rendering with espeak-ng -------------------------------------------

VOICES = {"id": "id", "en": "en"}
MAX_TEXT = 240
_TEXT_RE = re.compile(r"^[0-9A-Za-z .,:;?!'()\-]+$")


class SpeechError(Exception):
    pass


class SpeechUnavailable(SpeechError):
    """espeak-ng is not installed (deploy/local/browser.sh installs it)."""


def validate_text(text):
    """The text we agree to speak: short, plain letters, digits and punctuation."""
    text = " ".join(str(text or "").split())
    if not text:
        raise ValueError("text is empty")
    if len(text) > MAX_TEXT:
        raise ValueError("text is longer than %d characters" % MAX_TEXT)
    if not _TEXT_RE.match(text):
        raise ValueError("text has characters that cannot be spoken")
    return text


def espeak_binary():
    return shutil.which("espeak-ng") or shutil.which("espeak")


def render_wav(text, voice="id", rate=140, timeout=15):
    """WAV bytes of ``text`` spoken by espeak-ng. The text goes in on stdin."""
    text = validate_text(text)
    if voice not in VOICES:
        raise ValueError("unknown voice")
    binary = espeak_binary()
    if not binary:
        raise SpeechUnavailable("espeak-ng is not installed")
    try:
        proc = subprocess.run(
            [binary, "-v", VOICES[voice], "-s", str(int(rate)), "-g", "3",
             "--stdout", "--stdin"],
            input=text.encode("ascii"), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SpeechError("espeak-ng failed: %s" % exc.__class__.__name__)
    if proc.returncode != 0 or not proc.stdout.startswith(b"RIFF"):
        raise SpeechError("espeak-ng failed (exit %s)" % proc.returncode)
    return fix_wav_header(proc.stdout)


def fix_wav_header(data):
    """espeak-ng writing to a pipe leaves the RIFF/data sizes at 0x7fffffff-ish
    placeholders; browsers cope, but fix them so every player does."""
    if len(data) < 44 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return data
    out = bytearray(data)
    struct.pack_into("<I", out, 4, len(out) - 8)
    pos = 12
    while pos + 8 <= len(out):
        chunk, size = out[pos:pos + 4], struct.unpack_from("<I", out, pos + 4)[0]
        if chunk == b"data":
            struct.pack_into("<I", out, pos + 4, len(out) - pos - 8)
            break
        pos += 8 + size
    return bytes(out)


class SpeechCache:
    """A small thread-safe LRU of rendered announcements keyed by (voice, text)."""

    def __init__(self, renderer=render_wav, size=256):
        self.renderer = renderer
        self.size = size
        self._items = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, text, voice="id"):
        key = (voice, validate_text(text))
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
        data = self.renderer(key[1], voice=voice)
        with self._lock:
            self.misses += 1
            self._items[key] = data
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return data


# -- the chime ----------------------------------------------------------------------

def chime_wav(rate=22050):
    """A three-note public-address chime (G5, E5, C5), soft attack, bell-like decay."""
    notes = ((783.99, 0.00), (659.25, 0.42), (523.25, 0.84))
    length = 2.4
    total = int(rate * length)
    samples = [0.0] * total
    for freq, start in notes:
        begin = int(start * rate)
        for i in range(total - begin):
            t = i / rate
            attack = min(1.0, t / 0.012)
            env = attack * math.exp(-t * 2.6)
            s = (math.sin(2 * math.pi * freq * t)
                 + 0.35 * math.sin(2 * math.pi * 2 * freq * t) * math.exp(-t * 3.0)
                 + 0.12 * math.sin(2 * math.pi * 3.01 * freq * t) * math.exp(-t * 6.0))
            samples[begin + i] += 0.26 * env * s
    fade = int(0.05 * rate)
    for i in range(fade):
        samples[total - 1 - i] *= i / fade
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(
            struct.pack("<h", max(-32767, min(32767, int(v * 32767)))) for v in samples))
    return buf.getvalue()


if __name__ == "__main__":  # python -m services.gateway.speech > chime.wav
    import sys
    sys.stdout.buffer.write(chime_wav())
