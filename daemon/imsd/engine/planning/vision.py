"""What a shot shows, as words: the text on screen, the people and the things in it (issue 17).

Smart_Mix matches voice-over sentences to shots by text; footage sent without descriptions or
speech gave the matcher nothing but a file name. Three signals that run offline on the CPU turn
the shot's middle frame into words the matcher scores beside its other text:
- `ocr`: the text on screen, read by PP-OCR (`rapidocr`, Apache-2.0, its models inside the
  wheel): signs, captions, packaging, in Chinese and English;
- `faces`: the faces (media/faces.py, OpenCV): "a person", "two people", "a group of people",
  and a close-up, in English and Chinese, so "她对着镜头微笑" finds the shot of a face;
- `labels`: the things, named by an ImageNet classifier in English and Chinese (labels.py).
Each is optional: a missing package or model skips its signal, and `signals()` names those used
(the Smart_Mix result carries them). What a frame shows is cached by content, time and the
signals used, so a library is read once.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from imsd.engine.media import ContentCache, MediaInfo, faces_available, faces_in, ffmpeg_output
from imsd.engine.planning.labels import LABEL_MODEL, Labeller
from imsd.errors import ImsError

__all__ = ["FRAME_WIDTH", "MIN_OCR_SCORE", "ShotVision", "face_words", "ocr_available"]

VERSION = 1
#: The frame is read at this width: enough for captions and signs, a fraction of a 1080p decode.
FRAME_WIDTH = 960
#: Recognised text below this confidence is left out (PP-OCR's own score, 0-1).
MIN_OCR_SCORE = 0.6
#: A face covering this share of the frame is a close-up.
CLOSE_UP = 0.06

_ocr_lock = threading.Lock()
_ocr: list[Any] = []  # the one PP-OCR engine, loaded at first use (about 3 s)


def ocr_available() -> bool:
    try:
        import rapidocr  # noqa: F401
    except ImportError:
        return False
    return True


def face_words(boxes: tuple[tuple[float, float, float, float], ...]) -> str:
    """Words for the faces in a frame, English and Chinese (the matcher is multilingual)."""
    if not boxes:
        return ""
    largest = max(w * h for _, _, w, h in boxes)
    count = {1: "a person, a face 一个人 人物", 2: "two people 两个人"}.get(len(boxes), "a group of people 一群人 人群")
    return f"{count} close-up of a face 人脸特写" if largest >= CLOSE_UP else count


def _read_text(picture: NDArray[np.uint8]) -> str:
    """The text PP-OCR reads in an RGB picture, lines in reading order."""
    with _ocr_lock:  # one engine; onnxruntime uses every core for a call anyway
        if not _ocr:
            import logging

            from rapidocr import RapidOCR

            logging.getLogger("RapidOCR").setLevel(logging.WARNING)
            _ocr.append(RapidOCR())
        found = _ocr[0](picture)
    texts, scores = getattr(found, "txts", None) or (), getattr(found, "scores", None) or ()
    return " ".join(t for t, s in zip(texts, scores, strict=False) if s >= MIN_OCR_SCORE)


class ShotVision:
    """Words for what shots show, each (file content, moment) read once."""

    def __init__(self, cache_dir: Path, ffmpeg: str, label_model: Path | None = None) -> None:
        self.cache = ContentCache(cache_dir / "vision")
        self.ffmpeg = ffmpeg
        self.labeller = Labeller(label_model or cache_dir / "models" / LABEL_MODEL)

    def signals(self) -> list[str]:
        """The signals this engine can read: `ocr`, `faces`, `labels`, each when its package and model are there."""
        available = {"ocr": ocr_available(), "faces": faces_available(), "labels": self.labeller.available()}
        return [name for name, present in available.items() if present]

    async def words(self, info: MediaInfo, start: float, end: float) -> str:
        """The on-screen text, the people and the things of the frame in the middle of [start, end]."""
        signals = self.signals()
        if not info.has_video or not signals:
            return ""
        at = 0.0 if info.is_image or not info.duration else min((start + end) / 2, max(0.0, info.duration - 0.05))
        key = await self.cache.key(info.path, f"v{VERSION}:at={at:.2f}:w={FRAME_WIDTH}:{'+'.join(signals)}")
        cached = await self.cache.load(key)
        if cached is not None:
            return cached
        picture = await self._frame(info, at)
        words = await asyncio.to_thread(self._words, picture, signals)
        if self.signals() == signals:  # not if a model failed on this picture: its words lack that signal
            await self.cache.store(key, words)
        return words

    async def _frame(self, info: MediaInfo, at: float) -> NDArray[np.uint8]:
        width = min(FRAME_WIDTH, info.width or FRAME_WIDTH)
        height = max(2, round(width * (info.height or width) / (info.width or width) / 2) * 2)
        seek = [] if info.is_image else ["-ss", f"{at:.3f}"]
        cmd = [
            self.ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", *info.guard, *seek, "-i", str(info.path),
            "-map", "0:v:0", "-frames:v", "1", "-vf", f"scale={width}:{height}", "-pix_fmt", "rgb24",
            "-f", "rawvideo", "pipe:1",
        ]  # fmt: skip
        raw = await ffmpeg_output(cmd, f"vision: the frame of {info.path.name} at {at:.2f}s")
        if len(raw) < width * height * 3:
            raise ImsError("ProduceFailed", f"vision: {info.path.name} has no frame at {at:.2f}s")
        return np.frombuffer(raw[: width * height * 3], np.uint8).reshape(height, width, 3)

    def _words(self, picture: NDArray[np.uint8], signals: list[str]) -> str:
        text = _read_text(picture) if "ocr" in signals else ""
        gray = (picture @ np.array([0.299, 0.587, 0.114])).astype(np.uint8) if "faces" in signals else None
        people = face_words(faces_in(gray)) if gray is not None else ""
        things = self.labeller.words(picture) if "labels" in signals else ""
        return " ".join(part for part in (text, people, things) if part)
