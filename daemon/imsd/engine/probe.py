"""What a media file contains, read once with ffprobe and remembered while the file is unchanged."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from imsd.errors import ImsError

_IMAGE_CODECS = frozenset({"png", "mjpeg", "jpegls", "webp", "bmp", "gif", "tiff", "jpeg2000"})


class MediaInfo(BaseModel):
    """The facts about one media file the renderer needs."""

    path: Path
    duration: float | None = None  # None for still images
    width: int = 0  # as displayed, i.e. after rotation
    height: int = 0
    fps: float = 0.0
    rotation: int = 0
    has_video: bool = False
    has_audio: bool = False
    is_image: bool = False
    streams: list[dict[str, Any]] = []


def _rate(text: str | None) -> float:
    if not text or "/" not in text:
        return 0.0
    num, den = text.split("/", 1)
    return float(num) / float(den) if float(den) else 0.0


def _rotation(stream: dict[str, Any]) -> int:
    for side in stream.get("side_data_list") or []:
        if "rotation" in side:
            return int(side["rotation"]) % 360
    return int((stream.get("tags") or {}).get("rotate", 0)) % 360


def media_info(path: Path, probe: dict[str, Any]) -> MediaInfo:
    """MediaInfo from ffprobe's `-show_format -show_streams` JSON."""
    streams: list[dict[str, Any]] = probe.get("streams") or []
    video = next(
        (s for s in streams if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")),
        None,
    )
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    fmt = probe.get("format") or {}
    is_image = (
        video is not None
        and audio is None
        and (
            video.get("codec_name") in _IMAGE_CODECS
            and (fmt.get("format_name", "").endswith("_pipe") or fmt.get("format_name") == "image2")
        )
    )
    duration = None if is_image else float(fmt.get("duration") or 0.0) or None
    width = height = rotation = 0
    fps = 0.0
    if video is not None:
        rotation = _rotation(video)
        width, height = int(video.get("width") or 0), int(video.get("height") or 0)
        if rotation in (90, 270):
            width, height = height, width
        fps = _rate(video.get("avg_frame_rate")) or _rate(video.get("r_frame_rate"))
    return MediaInfo(
        path=path,
        duration=duration,
        width=width,
        height=height,
        fps=fps,
        rotation=rotation,
        has_video=video is not None,
        has_audio=audio is not None,
        is_image=is_image,
        streams=streams,
    )


class Prober:
    """ffprobe with a cache keyed by (path, size, mtime), so a replaced file is probed again."""

    def __init__(self, ffprobe: str = "ffprobe") -> None:
        self.ffprobe = ffprobe
        self._cache: dict[tuple[str, int, int], MediaInfo] = {}

    async def probe(self, path: Path, ref: str | None = None) -> MediaInfo:
        """Probe `path`; `ref` is how the request named it, for the error message."""
        st = await asyncio.to_thread(path.stat)
        key = (str(path), st.st_size, st.st_mtime_ns)
        if key not in self._cache:
            self._cache[key] = media_info(path, await self._run(path, ref or str(path)))
        return self._cache[key]

    async def _run(self, path: Path, ref: str) -> dict[str, Any]:
        proc = await asyncio.create_subprocess_exec(
            self.ffprobe,
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            "--",
            str(path),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate()
        if proc.returncode != 0:
            tail = err.decode("utf-8", "replace").strip()[-300:]
            raise ImsError("InvalidMaterial.Unsupported", f"{ref}: cannot be read as media: {tail}")
        data: dict[str, Any] = json.loads(out or b"{}")
        return data
