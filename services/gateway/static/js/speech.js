// The words of an announcement, in Bahasa Indonesia (and English). Must agree with
// services/gateway/speech.py (announcement_text); a browser test compares them.

const DIGITS_ID = ["nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan"];
const DIGITS_EN = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

export function numberWordsId(n) {
  n = Math.floor(Number(n));
  if (!(n >= 0 && n <= 999999)) throw new RangeError("number out of range");
  if (n < 10) return DIGITS_ID[n];
  if (n === 10) return "sepuluh";
  if (n === 11) return "sebelas";
  if (n < 20) return `${DIGITS_ID[n - 10]} belas`;
  if (n < 100) {
    const tens = Math.floor(n / 10), rest = n % 10;
    const head = `${DIGITS_ID[tens]} puluh`;
    return rest ? `${head} ${numberWordsId(rest)}` : head;
  }
  if (n < 1000) {
    const h = Math.floor(n / 100), rest = n % 100;
    const head = h === 1 ? "seratus" : `${DIGITS_ID[h]} ratus`;
    return rest ? `${head} ${numberWordsId(rest)}` : head;
  }
  const th = Math.floor(n / 1000), rest = n % 1000;
  const head = th === 1 ? "seribu" : `${numberWordsId(th)} ribu`;
  return rest ? `${head} ${numberWordsId(rest)}` : head;
}

export function numberWordsEn(n) {
  n = Math.floor(Number(n));
  const small = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split(" ");
  const tens = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split(" ");
  if (n < 20) return small[n];
  if (n < 100) return tens[Math.floor(n / 10)] + (n % 10 ? `-${small[n % 10]}` : "");
  if (n < 1000) return `${small[Math.floor(n / 100)]} hundred` + (n % 100 ? ` ${numberWordsEn(n % 100)}` : "");
  throw new RangeError("number out of range");
}

/** "B-007" -> "B nol nol tujuh" */
export function spellTicket(number, lang = "id") {
  const m = /^\s*([A-Za-z]{0,3})\s*-?\s*(\d{1,6})\s*$/.exec(String(number));
  if (!m) return String(number);
  const names = lang === "en" ? DIGITS_EN : DIGITS_ID;
  const words = Array.from(m[2], (d) => names[Number(d)]);
  return (m[1] ? [m[1].toUpperCase()] : []).concat(words).join(" ");
}

export function announcementText(number, counter, kind = "call", lang = "id", short = false) {
  const spelled = spellTicket(number, lang);
  if (short) {
    // the form used while several calls wait: about half as long
    const text = lang === "en" ? `${spelled}, counter ${numberWordsEn(counter)}.` : `${spelled}, loket ${numberWordsId(counter)}.`;
    return kind === "recall" ? `${lang === "en" ? "Again," : "Ulang,"} ${text}` : text;
  }
  if (lang === "en") {
    const text = `Queue number ${spelled}, please go to counter ${numberWordsEn(counter)}.`;
    return kind === "recall" ? `Repeat call. ${text}` : text;
  }
  const text = `Nomor antrian ${spelled}, silakan ke loket ${numberWordsId(counter)}.`;
  return kind === "recall" ? `Panggilan ulang. ${text}` : text;
}

// ---- speaking a text (the kiosk's spoken prompt and ticket number) -------------------
// The browser's voice for the language when it has one, else espeak-ng audio from the
// server (GET /api/speech), as the board does. Resolves how it was spoken; never hangs.

const SPEAKABLE = /[^0-9A-Za-z .,:;?!'()\-]+/g;   // what /api/speech accepts

function voiceFor(lang) {
  if (!("speechSynthesis" in window)) return Promise.resolve(null);
  const want = lang === "en" ? /^en([-_]|$)/i : /^id([-_]|$)/i;
  const pick = () => speechSynthesis.getVoices().find((v) => want.test(v.lang)) || null;
  const now = pick();
  if (now) return Promise.resolve(now);
  return new Promise((resolve) => {
    const done = () => resolve(pick());
    speechSynthesis.addEventListener("voiceschanged", done, { once: true });
    setTimeout(done, 1000);
  });
}

let playing = null;

/** Stop whatever say() is speaking. */
export function hush() {
  if ("speechSynthesis" in window) speechSynthesis.cancel();
  if (playing) { playing.pause(); playing = null; }
}

/** Speak ``text`` in ``lang`` ("id" | "en"): "speech-synthesis", "server-audio" or "failed". */
export async function say(text, lang = "id", maxMs = 20000) {
  const clean = String(text).replace(SPEAKABLE, " ").replace(/\s+/g, " ").trim().slice(0, 240);
  if (!clean) return "failed";
  hush();
  const voice = await voiceFor(lang);
  if (voice) {
    const ok = await new Promise((resolve) => {
      const u = new SpeechSynthesisUtterance(clean);
      u.voice = voice;
      u.lang = voice.lang;
      u.rate = 0.9;
      const timer = setTimeout(() => { speechSynthesis.cancel(); resolve(false); }, maxMs);
      u.onend = () => { clearTimeout(timer); resolve(true); };
      u.onerror = () => { clearTimeout(timer); resolve(false); };
      speechSynthesis.speak(u);
    });
    if (ok) return "speech-synthesis";
  }
  return new Promise((resolve) => {
    const audio = new Audio(`/api/speech?voice=${lang === "en" ? "en" : "id"}&text=${encodeURIComponent(clean)}`);
    playing = audio;
    let settled = false;
    const finish = (how) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (playing === audio) playing = null;
      resolve(how);
    };
    const timer = setTimeout(() => { audio.pause(); finish("failed"); }, maxMs);
    audio.addEventListener("ended", () => finish("server-audio"));
    audio.addEventListener("error", () => finish("failed"));
    audio.addEventListener("loadedmetadata", () => {
      // 'ended' may never come on a machine without a sound card
      if (isFinite(audio.duration)) setTimeout(() => finish("server-audio"), (audio.duration + 0.5) * 1000);
    });
    const p = audio.play();
    if (p && p.catch) p.catch(() => finish("failed"));
  });
}
