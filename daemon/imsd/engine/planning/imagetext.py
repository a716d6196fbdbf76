"""Image-text (CLIP-like) scoring with an operator's ONNX model: sentences against shot pictures.

No package carries such a model offline (docs/engine-notes.md B4), so this scorer runs only when
`engine.clip_model_path` names a directory holding one, laid out as follows (the ONNX exports
of Chinese-CLIP and OpenAI CLIP fit it; the `clip` extra installs the runtime):

    image.onnx      pixels [N, 3, S, S] -> image embeddings [N, D]
    text.onnx       token ids [N, L] (+ attention_mask [N, L] when it takes one) -> text embeddings [N, D]
    tokenizer.json  a Hugging Face `tokenizers` file; a BERT vocab.txt (Chinese-CLIP) becomes one with
                    `tokenizers.BertWordPieceTokenizer("vocab.txt").save("tokenizer.json")`
    clip.json       optional: {"image_size": S, "context_length": L, "pad_id": 0, "mean": [r, g, b], "std": [r, g, b]}

Pictures are prepared as CLIP was trained: the short side scaled to S (bicubic), centre-cropped,
RGB in [0, 1] normalised by mean/std. Each file is sampled once at `clip_frames_per_s` and the
frame embeddings are cached by content hash and model, so a shot of any length, from any later
split, is the mean of its frames (CLIP4Clip's zero-shot pooling) at no further model cost.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from imsd.engine.media import ContentCache, file_guard
from imsd.engine.planning.scoring import Passage, ScorerKind
from imsd.errors import ImsError

__all__ = [
    "MODEL_FILES",
    "FrameEmbeddings",
    "ImageTextError",
    "ModelConfig",
    "OnnxImageTextScorer",
    "frame_command",
    "read_frames",
    "unit_rows",
]

MODEL_FILES = ("image.onnx", "text.onnx", "tokenizer.json")
_BATCH = 16
# OpenAI CLIP's normalisation, which Chinese-CLIP keeps.
_MEAN = (0.48145466, 0.4578275, 0.40821073)
_STD = (0.26862954, 0.26130258, 0.27577711)
_NUMPY_TYPES: dict[str, type[np.generic]] = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
}


class ImageTextError(ImsError):
    """Image-text scoring cannot run (model, runtime, footage): the job fails saying why, no text fallback."""

    def __init__(self, message: str) -> None:
        super().__init__("ProduceFailed", message, http_status=500)


@dataclass(frozen=True)
class ModelConfig:
    """clip.json: how pictures and text are prepared for this model."""

    image_size: int = 224
    context_length: int = 52
    pad_id: int = 0
    mean: tuple[float, float, float] = _MEAN
    std: tuple[float, float, float] = _STD

    @classmethod
    def read(cls, directory: Path) -> ModelConfig:
        path = directory / "clip.json"
        if not path.is_file():
            return cls()
        raw = json.loads(path.read_text("utf-8"))
        default = cls()

        def rgb(name: str) -> tuple[float, float, float]:
            r, g, b = (float(v) for v in raw.get(name, getattr(default, name)))
            return r, g, b

        return cls(
            image_size=int(raw.get("image_size", default.image_size)),
            context_length=int(raw.get("context_length", default.context_length)),
            pad_id=int(raw.get("pad_id", default.pad_id)),
            mean=rgb("mean"),
            std=rgb("std"),
        )


def unit_rows(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


def frame_command(
    ffmpeg: str, path: Path, guard: tuple[str, ...], still: bool, size: int, frames_per_s: float
) -> list[str]:
    """ffmpeg printing raw RGB frames of a file at `frames_per_s` (one for a still), S x S each.

    Only numbers reach the filter graph: the path is an argument of its own, opened under `guard`
    (`file_guard`: SAFE_INPUT), which also keeps any name from being taken for another protocol.
    """
    sample = [] if still else [f"fps={frames_per_s:g}"]
    chain = [*sample, f"scale={size}:{size}:force_original_aspect_ratio=increase:flags=bicubic",
             f"crop={size}:{size}", "format=rgb24"]  # fmt: skip
    return [ffmpeg, "-v", "error", "-nostdin", *guard, "-i", str(path),
            "-map", "0:v:0", "-vf", ",".join(chain),
            *(["-frames:v", "1"] if still else []), "-f", "rawvideo", "pipe:1"]  # fmt: skip


def read_frames(command: list[str], size: int) -> Iterator[NDArray[np.uint8]]:
    """Batches of [n, S, S, 3] frames as ffmpeg produces them, so a long file is never all in memory."""
    frame_bytes = size * size * 3
    # stderr goes to a file: a pipe read only at the end could fill up and stall ffmpeg.
    with tempfile.TemporaryFile() as errors, subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=errors, start_new_session=True
    ) as proc:
        assert proc.stdout is not None
        while chunk := proc.stdout.read(frame_bytes * _BATCH):
            usable = len(chunk) - len(chunk) % frame_bytes
            if usable:
                yield np.frombuffer(chunk[:usable], dtype=np.uint8).reshape(-1, size, size, 3)
        proc.wait()
        errors.seek(0)
        if proc.returncode != 0:
            raise ImageTextError(f"ffmpeg could not sample frames: {errors.read().decode(errors='replace')[-300:]}")


@dataclass(frozen=True)
class FrameEmbeddings:
    """One file's frame embeddings, frame i taken at i / frames_per_s (a still has one frame)."""

    frames_per_s: float
    vectors: NDArray[np.float32]

    def shot(self, start: float, end: float) -> NDArray[np.float32]:
        """Mean of the frames in [start, end); the frame nearest its middle when none falls inside."""
        times = np.arange(len(self.vectors)) / self.frames_per_s
        inside = (times >= start) & (times < end)
        if not inside.any():
            inside = np.zeros(len(times), dtype=bool)
            inside[int(np.argmin(np.abs(times - (start + end) / 2)))] = True
        return np.asarray(self.vectors[inside].mean(axis=0), dtype=np.float32)

    def to_json(self) -> str:
        data = base64.b64encode(self.vectors.astype(np.float32).tobytes()).decode()
        return json.dumps({"frames_per_s": self.frames_per_s, "shape": list(self.vectors.shape), "float32": data})

    @classmethod
    def from_json(cls, text: str) -> FrameEmbeddings:
        raw = json.loads(text)
        vectors = np.frombuffer(base64.b64decode(raw["float32"]), dtype=np.float32).reshape(raw["shape"])
        return cls(float(raw["frames_per_s"]), vectors)


@dataclass
class _Model:
    """The two ONNX sessions and the tokenizer, loaded on first use."""

    directory: Path
    config: ModelConfig
    sessions: dict[str, Any] = field(default_factory=dict)
    tokenizer: Any = None

    def load(self) -> None:
        try:
            import onnxruntime  # type: ignore[import-untyped]  # ships no type information
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ImageTextError(f"clip_model_path needs the `clip` extra (onnxruntime, tokenizers): {exc}") from exc
        for tower in ("image", "text"):
            self.sessions[tower] = onnxruntime.InferenceSession(
                str(self.directory / f"{tower}.onnx"), providers=["CPUExecutionProvider"]
            )
        tokenizer = Tokenizer.from_file(str(self.directory / "tokenizer.json"))
        tokenizer.enable_truncation(self.config.context_length)
        tokenizer.enable_padding(length=self.config.context_length, pad_id=self.config.pad_id)
        self.tokenizer = tokenizer

    def run(self, tower: str, feeds: dict[str, NDArray[Any]]) -> NDArray[np.float32]:
        session = self.sessions[tower]
        inputs = {i.name: i for i in session.get_inputs()}
        typed = {
            name: value.astype(_NUMPY_TYPES.get(inputs[name].type, value.dtype.type))
            for name, value in feeds.items()
            if name in inputs
        }
        return np.asarray(session.run(None, typed)[0], dtype=np.float32)

    def embed_texts(self, texts: list[str]) -> NDArray[np.float32]:
        encoded = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        first = self.sessions["text"].get_inputs()[0].name
        return unit_rows(self.run("text", {first: ids, "attention_mask": mask}))

    def embed_frames(self, frames: NDArray[np.uint8]) -> NDArray[np.float32]:
        mean = np.array(self.config.mean, dtype=np.float32)
        std = np.array(self.config.std, dtype=np.float32)
        pixels = ((frames.astype(np.float32) / 255.0 - mean) / std).transpose(0, 3, 1, 2)
        first = self.sessions["image"].get_inputs()[0].name
        return unit_rows(self.run("image", {first: np.ascontiguousarray(pixels)}))


class OnnxImageTextScorer:
    """Cosine of each sentence's text embedding with the mean frame embedding of each shot."""

    kind: ScorerKind = "image-text"

    def __init__(self, directory: Path, ffmpeg: str, cache_dir: Path, frames_per_s: float) -> None:
        missing = [name for name in MODEL_FILES if not (directory / name).is_file()]
        if missing:
            layout = "see engine/planning/imagetext.py"
            raise ImageTextError(f"clip_model_path={directory}: missing {', '.join(missing)} ({layout})")
        self.ffmpeg = ffmpeg
        self.frames_per_s = frames_per_s
        self.cache = ContentCache(cache_dir)
        self._model = _Model(directory, ModelConfig.read(directory))
        # The model's identity in cache keys: its files' sizes and times (hashing 700 MB would stall the loop).
        stats = [(n, (directory / n).stat()) for n in (*MODEL_FILES, "clip.json") if (directory / n).is_file()]
        self._digest = hashlib.sha256(repr([(n, s.st_size, s.st_mtime_ns) for n, s in stats]).encode()).hexdigest()[:12]
        self.name = f"onnx-image-text/{directory.name}@{self._digest}"
        self._lock = threading.Lock()

    async def score(self, sentences: list[str], passages: Sequence[Passage]) -> NDArray[np.float32]:
        if not sentences or not passages:
            return np.zeros((len(sentences), len(passages)), dtype=np.float32)
        footage = [p.footage for p in passages]
        if any(f is None for f in footage):
            raise ImageTextError("image-text scoring needs the footage of every shot")
        files = {f.path: f.still for f in footage if f is not None}
        embedded = {path: await self.file_embeddings(path, still) for path, still in files.items()}
        shots = np.stack([embedded[f.path].shot(f.start, f.end) for f in footage if f is not None])
        texts = await asyncio.to_thread(self._locked, self._model.embed_texts, sentences)
        return texts @ unit_rows(shots).T

    async def file_embeddings(self, path: Path, still: bool) -> FrameEmbeddings:
        """The file's frame embeddings, computed once per content and model."""
        key = await self.cache.key(path, f"{self._digest}:{self.frames_per_s:g}:{still}")
        cached = await self.cache.load(key)
        if cached is not None:
            return FrameEmbeddings.from_json(cached)
        rate = 1.0 if still else self.frames_per_s
        guard = await asyncio.to_thread(file_guard, path)
        command = frame_command(self.ffmpeg, path, guard, still, self._model.config.image_size, rate)
        result = FrameEmbeddings(rate, await asyncio.to_thread(self._locked, self._embed_file, command))
        await self.cache.store(key, result.to_json())
        return result

    def _locked(self, fn: Callable[..., NDArray[np.float32]], *args: Any) -> NDArray[np.float32]:
        """One inference at a time per process: onnxruntime already spreads a batch over the cores."""
        with self._lock:
            if not self._model.sessions:
                self._model.load()
            return np.asarray(fn(*args), dtype=np.float32)

    def _embed_file(self, command: list[str]) -> NDArray[np.float32]:
        batches = [self._model.embed_frames(b) for b in read_frames(command, self._model.config.image_size)]
        if not batches:
            raise ImageTextError(f"no frame could be read from {command[command.index('-i') + 1]}")
        return np.concatenate(batches)
