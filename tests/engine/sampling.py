"""Looking at rendered output as numbers: probe facts, RGB frames and PCM samples."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt


def probe(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
        check=True,
        capture_output=True,
    ).stdout
    data: dict[str, Any] = json.loads(out)
    return data


def stream(path: Path, kind: str) -> dict[str, Any]:
    return next(s for s in probe(path)["streams"] if s["codec_type"] == kind)


def _decoded(path: Path, pix_fmt: str) -> tuple[bytes, int, int]:
    video = stream(path, "video")
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", pix_fmt, "-"],
        check=True,
        capture_output=True,
    ).stdout
    return raw, int(video["height"]), int(video["width"])


def frames(path: Path) -> npt.NDArray[np.uint8]:
    """Every video frame as (n, height, width, 3) RGB."""
    raw, h, w = _decoded(path, "rgb24")
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)


def luma_frames(path: Path) -> npt.NDArray[np.uint8]:
    """Every video frame's luma plane as (n, height, width), as encoded (no RGB conversion)."""
    raw, h, w = _decoded(path, "gray")
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w)


def frame_at(path: Path, seconds: float, fps: float = 10) -> npt.NDArray[np.uint8]:
    return frames(path)[round(seconds * fps)]


def samples(path: Path) -> npt.NDArray[np.float64]:
    """Mono 48 kHz samples in [-1, 1]."""
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-ar", "48000", "-"],
        check=True,
        capture_output=True,
    ).stdout
    return np.frombuffer(raw, np.int16).astype(np.float64) / 32768


def rms(x: npt.NDArray[np.float64]) -> float:
    return float(np.sqrt(np.mean(np.square(x)))) if len(x) else 0.0


def close(pixel: npt.NDArray[np.uint8], rgb: tuple[int, int, int], tol: int = 40) -> bool:
    return bool(np.all(np.abs(pixel.astype(int) - np.array(rgb)) <= tol))
