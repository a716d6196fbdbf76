"""Animated WebP played as a video: ffmpeg 5.1's webp decoder reads no animation.

ffprobe reports an animated WebP as a still of size 0x0 and decoding it fails ("image data not
found"), so Pillow decodes its frames and ffmpeg encodes them, each held for its own duration,
into a lossless FFV1 file (alpha kept: animated WebP are often stickers) under the cache. The
copy is named by the source's content, so it is made once and found again by every render.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import os
import subprocess
import uuid
from pathlib import Path

import PIL.Image

from imsd.errors import ImsError

__all__ = ["ANIMATION_SUFFIX", "is_animated", "video_of_animation"]

ANIMATION_SUFFIX = ".mkv"
# Frame durations are counted in ticks of at least this many ms (50 fps at most): the lengths of
# frames stay exact for any durations that are multiples of it, which encoders of WebP write.
_TICK_MS = 20
_DEFAULT_FRAME_MS = 100  # a frame without a duration, as browsers show it


def is_animated(path: Path) -> bool:
    """Whether `path` is an image with more than one frame (Pillow's reading)."""
    try:
        with PIL.Image.open(path) as image:
            return bool(getattr(image, "n_frames", 1) > 1)
    except (OSError, ValueError, SyntaxError):
        return False


async def video_of_animation(path: Path, directory: Path, ffmpeg: str, ref: str) -> Path:
    """The cached video of the animation in `path`; made now when missing."""
    digest = await asyncio.to_thread(_digest, path)
    target = directory / f"{digest}{ANIMATION_SUFFIX}"
    if not await asyncio.to_thread(target.is_file):
        await asyncio.to_thread(_encode, path, target, ffmpeg, ref)
    return target


def _digest(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()[:32]


def _encode(path: Path, target: Path, ffmpeg: str, ref: str) -> None:
    """Every frame, held for its duration, into `target` (written beside it, then renamed)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f".{target.stem}.{uuid.uuid4().hex}{ANIMATION_SUFFIX}")
    try:
        with PIL.Image.open(path) as image:
            durations = []
            for index in range(getattr(image, "n_frames", 1)):
                image.seek(index)
                image.load()  # WebP frames tell their duration once decoded
                durations.append(int(image.info.get("duration") or _DEFAULT_FRAME_MS))
            tick = math.gcd(*durations)
            tick = max(_TICK_MS, tick - tick % _TICK_MS) if tick >= _TICK_MS else _TICK_MS
            size = image.size
            command = [
                ffmpeg, "-v", "error", "-nostdin", "-y", "-f", "rawvideo", "-pix_fmt", "rgba",
                "-s", f"{size[0]}x{size[1]}", "-framerate", f"1000/{tick}", "-i", "pipe:0",
                "-c:v", "ffv1", "-pix_fmt", "yuva420p", str(part),
            ]  # fmt: skip
            with subprocess.Popen(
                command, stdin=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
            ) as proc:
                assert proc.stdin is not None
                try:
                    for index, ms in enumerate(durations):
                        image.seek(index)
                        pixels = image.convert("RGBA").tobytes()
                        for _ in range(max(1, round(ms / tick))):
                            proc.stdin.write(pixels)
                    proc.stdin.close()
                except BrokenPipeError:
                    pass  # ffmpeg stopped; its message says why
                errors = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        if proc.returncode != 0:
            raise ImsError("InvalidMaterial.Unsupported", f"{ref}: the animation cannot be read: {errors[-300:]}")
        os.replace(part, target)
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImsError("InvalidMaterial.Unsupported", f"{ref}: the animation cannot be read: {exc}") from None
    finally:
        part.unlink(missing_ok=True)
