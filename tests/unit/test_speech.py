"""Announcement wording (must match static/js/speech.js), espeak-ng rendering, chime."""
import io
import pathlib
import wave

import pytest

from services.gateway import speech


@pytest.mark.parametrize("n,words", [
    (0, "nol"), (3, "tiga"), (10, "sepuluh"), (11, "sebelas"), (12, "dua belas"),
    (19, "sembilan belas"), (20, "dua puluh"), (21, "dua puluh satu"),
    (100, "seratus"), (115, "seratus lima belas"), (250, "dua ratus lima puluh"),
    (1000, "seribu"), (2024, "dua ribu dua puluh empat"),
])
def test_number_words_id(n, words):
    assert speech.number_words_id(n) == words


def test_spell_ticket_speaks_each_digit():
    assert speech.spell_ticket("B-007") == "B nol nol tujuh"
    assert speech.spell_ticket("c-120") == "C satu dua nol"
    assert speech.spell_ticket("A007", "en") == "A zero zero seven"
    assert speech.spell_ticket("???") == "???"


def test_announcement_text():
    assert speech.announcement_text("B-007", 3) == \
        "Nomor antrian B nol nol tujuh, silakan ke loket tiga."
    assert speech.announcement_text("C-007", 12, kind="recall") == \
        "Panggilan ulang. Nomor antrian C nol nol tujuh, silakan ke loket dua belas."
    assert speech.announcement_text("A-001", 6, lang="en") == \
        "Queue number A zero zero one, please go to counter six."


@pytest.mark.parametrize("bad", ["", "x" * 300, "<script>", "-v en evil", "ü" * 3])
def test_validate_text_rejects(bad):
    if bad.startswith("-v"):
        # a leading dash is harmless: the text goes in on stdin, never as an argument
        assert speech.validate_text(bad) == bad
        return
    with pytest.raises(ValueError):
        speech.validate_text(bad)


def test_cache_renders_once():
    calls = []

    def fake(text, voice="id"):
        calls.append((voice, text))
        return b"RIFF" + text.encode()

    cache = speech.SpeechCache(renderer=fake, size=2)
    assert cache.get("satu  dua") == b"RIFFsatu dua"
    assert cache.get("satu dua") == b"RIFFsatu dua"
    assert calls == [("id", "satu dua")]
    cache.get("tiga")
    cache.get("empat")          # evicts "satu dua"
    cache.get("satu dua")
    assert len(calls) == 4 and cache.hits == 1


def test_fix_wav_header_sets_sizes():
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
        w.writeframes(b"\x00\x00" * 100)
    data = bytearray(buf.getvalue())
    data[4:8] = b"\xff\xff\xff\x7f"
    data[40:44] = b"\xff\xff\xff\x7f"
    fixed = speech.fix_wav_header(bytes(data))
    assert fixed == buf.getvalue()


@pytest.mark.skipif(not speech.espeak_binary(), reason="espeak-ng not installed "
                    "(deploy/local/browser.sh installs it)")
def test_render_wav_with_espeak_ng():
    data = speech.render_wav(speech.announcement_text("B-007", 3))
    w = wave.open(io.BytesIO(data))
    seconds = w.getnframes() / w.getframerate()
    assert 2.0 < seconds < 12.0


def test_committed_chime_is_the_generated_one():
    path = pathlib.Path(speech.__file__).parent / "static" / "audio" / "chime.wav"
    assert path.read_bytes() == speech.chime_wav()
    w = wave.open(str(path))
    assert 1.5 < w.getnframes() / w.getframerate() < 3.0
