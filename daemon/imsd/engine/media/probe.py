"""What a media file contains, read once with ffprobe and remembered while the file is unchanged.

Also the input options every ffmpeg/ffprobe run puts before a file a request named: ffmpeg picks
a demuxer by content, and some demuxers (hls, dash, concat, ...) open the files or URLs listed
inside the file, which would escape the media roots, the download host list and the refusal of
private addresses. `SAFE_INPUT` allows only the file protocol and demuxers that read the one file.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import PIL.Image
from pydantic import BaseModel

from imsd.engine.media.cache import LruMemo
from imsd.engine.media.processes import PIPE, ChildStopped, child_process, stop_signal
from imsd.errors import ImsError

__all__ = [
    "MEDIA_FORMATS",
    "PROBE_CACHE_SIZE",
    "SAFE_INPUT",
    "SUBTITLE_FORMATS",
    "MediaInfo",
    "Prober",
    "exif_orientation",
    "file_guard",
    "guard_for",
    "media_info",
    "still_demuxer",
]

# Demuxers a request-named file may be read with: containers, audio, stills and subtitle files,
# each reading only the file itself. Left out on purpose: every demuxer that opens other files
# or URLs named in the file (hls, dash, webm_dash_manifest, concat, ...) and image2, which reads
# a numbered sequence of other files when a name holds a %d pattern; stills are read by their
# *_pipe demuxers (and gif), which ffmpeg prefers for a real image anyway.
MEDIA_FORMATS = ",".join(
    (
        "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "avi", "flv", "mpegts", "mpeg", "asf",
        "mp3", "wav", "aac", "flac", "ogg", "aiff",
        "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "gif", "gif_pipe", "tiff_pipe",
        "srt", "ass", "webvtt",
    )
)  # fmt: skip
# Input options for any ffmpeg/ffprobe run that opens a file a request named.
SAFE_INPUT = ("-protocol_whitelist", "file", "-format_whitelist", MEDIA_FORMATS)
# A still's demuxer by the file's first bytes. ffmpeg's own guess weighs the name: a camera JPEG
# called .jpg, whose EXIF block pushes the markers jpeg_pipe looks for past its probe window, is
# taken for image2 (refused above), so a still is opened with its single-image demuxer named.
_STILL_SIGNATURES = (
    (b"\xff\xd8\xff", "jpeg_pipe"), (b"\x89PNG\r\n\x1a\n", "png_pipe"), (b"GIF87a", "gif"), (b"GIF89a", "gif"),
    (b"BM", "bmp_pipe"), (b"II*\x00", "tiff_pipe"), (b"MM\x00*", "tiff_pipe"),
)  # fmt: skip
# What the `subtitles` filter may be given: it opens its file itself, without SAFE_INPUT.
SUBTITLE_FORMATS = frozenset({"srt", "ass", "webvtt"})
PROBE_CACHE_SIZE = 1024
_NOT_ON_WHITELIST = re.compile(r"\[(\w+) @ 0x[0-9a-f]+\] Format not on whitelist")
_EXIF_ORIENTATION = 0x0112
_IMAGE_CODECS = frozenset({"png", "mjpeg", "jpegls", "webp", "bmp", "gif", "tiff", "jpeg2000"})


# A sampled frame as faces.FaceSample holds it: (t, face boxes, the salient region's centre or None).
_Sampled = tuple[float, tuple[tuple[float, float, float, float], ...], tuple[float, float] | None]


class MediaInfo(BaseModel):
    """The facts about one media file the renderer needs."""

    path: Path
    format_name: str = ""  # ffprobe's, e.g. "mov,mp4,m4a,3gp,3g2,mj2" or "srt"
    duration: float | None = None  # None for still images
    width: int = 0  # as displayed, i.e. after rotation
    height: int = 0
    fps: float = 0.0
    rotation: int = 0
    has_video: bool = False
    has_audio: bool = False
    is_image: bool = False
    streams: list[dict[str, Any]] = []
    demuxer: str | None = None  # named on the command line for stills (see still_demuxer)
    # A still's EXIF Orientation (1-8) still to be applied: ffmpeg turns JPEGs upright itself, but
    # not PNG, WebP or TIFF. width/height are the upright picture's either way.
    orientation: int = 1
    version: str = ""  # the file's size and mtime when probed: what was read, for keys of derived files
    # Faces of sampled frames, (t, ((x, y, w, h), ...), (x, y) of the most salient region or None)
    # as fractions (faces.FaceSample), when a render needs them (a Cover crop follows them); None
    # when not looked for.
    faces: tuple[_Sampled, ...] | None = None

    @property
    def guard(self) -> tuple[str, ...]:
        """The input options ffmpeg opens this file under: SAFE_INPUT, and a still's demuxer."""
        return guard_for(self.demuxer)


def still_demuxer(head: bytes) -> str | None:
    """The single-image demuxer for a file starting with `head` (16 bytes), None if not a still."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp_pipe"
    return next((name for magic, name in _STILL_SIGNATURES if head.startswith(magic)), None)


def guard_for(demuxer: str | None) -> tuple[str, ...]:
    return (*SAFE_INPUT, "-f", demuxer) if demuxer else SAFE_INPUT


def file_guard(path: Path) -> tuple[str, ...]:
    """The input options for a file not probed (yet): reads its first bytes."""
    return guard_for(still_demuxer(_head(path)))


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
    format_name = str(fmt.get("format_name", ""))
    one_frame_gif = format_name == "gif" and str((video or {}).get("nb_frames")) == "1"  # more: a video
    is_image = (
        video is not None
        and audio is None
        and video.get("codec_name") in _IMAGE_CODECS
        and (format_name.endswith("_pipe") or one_frame_gif)
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
        format_name=format_name,
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
    """ffprobe with a cache keyed by (path, size, mtime), so a replaced file is probed again.

    The cache keeps the `cache_size` most recently used files: a long-running daemon sees an
    unbounded number of files, and re-probing a forgotten one costs only one ffprobe run.
    """

    def __init__(self, ffprobe: str = "ffprobe", cache_size: int = PROBE_CACHE_SIZE) -> None:
        self.ffprobe = ffprobe
        self._cache: LruMemo[tuple[str, int, int], MediaInfo] = LruMemo(cache_size)

    async def probe(self, path: Path, ref: str | None = None, *, cache: bool = True) -> MediaInfo:
        """Probe `path`; `ref` is how the request named it, for the error message.

        `cache=False` for a file no one will probe again (a render's private copy): remembering
        it would only push files still in use out of the bounded cache.
        """
        st = await asyncio.to_thread(path.stat)
        key = (str(path), st.st_size, st.st_mtime_ns)
        info = self._cache.get(key) if cache else None
        if info is None:
            demuxer = still_demuxer(await asyncio.to_thread(_head, path))
            info = media_info(path, await self._run(path, ref or str(path), guard_for(demuxer)))
            if info.is_image:
                info.demuxer = demuxer
                orientation = await asyncio.to_thread(exif_orientation, path)
                if orientation >= 5:  # stored on its side
                    info.width, info.height = info.height, info.width
                info.orientation = 1 if demuxer == "jpeg_pipe" else orientation
            info.version = f"{st.st_size}:{st.st_mtime_ns}"
            if cache:
                self._cache.put(key, info)
        return info

    async def _run(self, path: Path, ref: str, guard: tuple[str, ...]) -> dict[str, Any]:
        argv = [self.ffprobe, "-v", "error", "-print_format", "json", "-show_format", "-show_streams", *guard]
        async with child_process(*argv, "--", str(path), stdout=PIPE, stderr=PIPE) as proc:
            out, err = await proc.communicate()
        if proc.returncode != 0:
            if (sig := stop_signal(proc.returncode)) is not None:
                raise ChildStopped(f"{ref}: ffprobe was stopped by {sig.name}")
            reason = _failure(err.decode("utf-8", "replace").strip())
            raise ImsError("InvalidMaterial.Unsupported", f"{ref}: cannot be read as media: {reason}")
        data: dict[str, Any] = json.loads(out or b"{}")
        return data


def _head(path: Path) -> bytes:
    with path.open("rb") as file:
        return file.read(16)


def exif_orientation(path: Path) -> int:
    """A still's EXIF Orientation tag (1-8; 1 when absent or unreadable)."""
    try:
        with PIL.Image.open(path) as image:
            value = image.getexif().get(_EXIF_ORIENTATION, 1)
    except (OSError, ValueError, SyntaxError):  # not an image Pillow reads, or a broken EXIF block
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _failure(stderr: str) -> str:
    """ffprobe's complaint, naming a refused format rather than echoing the whole whitelist."""
    refused = _NOT_ON_WHITELIST.search(stderr)
    if refused is not None:
        return f"{refused[1]} is not an accepted media format"
    return stderr[-300:]
