"""Where the faces are in a video, and the path a crop window takes to keep them in the picture.

When a clip's aspect differs from its box and the request asks for a crop (AdaptMode Cover, the
batch crop modes), a centred window cuts off a speaker who stands to one side. The window follows
the faces instead: frames sampled at `SAMPLE_FPS` (fewer for a long file, at most `MAX_SAMPLES`)
are searched with OpenCV's frontal-face Haar cascade (BSD, in the opencv-python-headless wheel:
no download), and the largest face of each sample gives the point to keep in view. A clip that
shows no face is followed by the most salient region of each sample instead (saliency.py: a
product, an animal, a car off to one side), as issue 17 asks. The points are smoothed over
`SMOOTH_S` and reduced to the few keyframes a straight-line path needs (`focus_path`), so the
window moves calmly, without jitter, or stands still. A file is searched once: the result is
cached by content. Without OpenCV, or with neither a face nor a salient region, the window stays
centred, as before.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from imsd.engine.media.cache import ContentCache
from imsd.engine.media.ffmpeg import ffmpeg_output
from imsd.engine.media.probe import MediaInfo
from imsd.engine.media.saliency import salient_point

__all__ = [
    "MAX_SAMPLES",
    "SAMPLE_FPS",
    "SAMPLE_WIDTH",
    "SMOOTH_S",
    "FaceFinder",
    "FaceSample",
    "Focus",
    "faces_available",
    "faces_in",
    "focus_path",
    "gray_pictures",
    "sample_filters",
    "sampling",
]

SAMPLE_FPS = 2.0
MAX_SAMPLES = 240
SAMPLE_WIDTH = 320
SMOOTH_S = 1.5
#: A path within this fraction of the picture of the smoothed points keeps no more keyframes.
TOLERANCE = 0.02
VERSION = 2  # 2: each sample's salient point
CASCADE = "haarcascade_frontalface_default.xml"


Box = tuple[float, float, float, float]


class FaceSample(NamedTuple):
    """The faces in the frame at `t` seconds: (x, y, w, h) boxes, as fractions of the picture; and
    the centre of its most salient region (saliency.py), None when none stands out or was not asked for.

    A plain tuple underneath: MediaInfo.faces holds these without knowing this module.
    """

    t: float
    boxes: tuple[Box, ...]
    salient: tuple[float, float] | None = None


@dataclass(frozen=True)
class Focus:
    """Where to keep the picture's centre: (t, x, y) keyframes, t in seconds of the source, x and y
    fractions of the picture; straight lines between them, the first and last held before and after.
    `subject` says what the path follows: "faces", or "salience" in a clip without a face."""

    points: tuple[tuple[float, float, float], ...]
    subject: str = "faces"

    def at(self, t: float) -> tuple[float, float]:
        times = [p[0] for p in self.points]
        return (float(np.interp(t, times, [p[1] for p in self.points])),
                float(np.interp(t, times, [p[2] for p in self.points])))  # fmt: skip


def faces_available() -> bool:
    """Whether OpenCV (the engine's face detector) is installed."""
    try:
        import cv2  # noqa: F401
    except ImportError:
        return False
    return True


def focus_path(
    samples: Sequence[tuple[float, tuple[Box, ...], tuple[float, float] | None]], start: float, end: float
) -> Focus | None:
    """The smoothed path of the largest face over [start, end] of the source; in a clip without a
    face there, of the most salient region; None with neither.

    A sample without a face (or salient region) holds the last point (a turned head does not swing
    the window); before the first, the first point.
    """
    inside = [FaceSample(*s) for s in samples if start - SMOOTH_S <= s[0] <= end + SMOOTH_S]
    points = [(s.t, _centre(max(s.boxes, key=lambda b: b[2] * b[3])) if s.boxes else None) for s in inside]
    subject = "faces"
    if all(p is None for _, p in points):
        points, subject = [(s.t, s.salient) for s in inside], "salience"
    found = [p for _, p in points if p is not None]
    if not found:
        return None
    centres: list[tuple[float, float, float]] = []
    last = found[0]
    for t, point in points:
        last = point or last
        centres.append((t, *last))
    times = np.array([c[0] for c in centres])
    smoothed = [
        (t, float(np.mean([c[1] for c in centres if abs(c[0] - t) <= SMOOTH_S / 2])),
         float(np.mean([c[2] for c in centres if abs(c[0] - t) <= SMOOTH_S / 2])))
        for t in times
    ]  # fmt: skip
    kept = _simplified(smoothed, TOLERANCE)
    return Focus(tuple((round(t, 3), round(x, 4), round(y, 4)) for t, x, y in kept), subject)


def _centre(box: Box) -> tuple[float, float]:
    return box[0] + box[2] / 2, box[1] + box[3] / 2


def _simplified(points: list[tuple[float, float, float]], tolerance: float) -> list[tuple[float, float, float]]:
    """Ramer-Douglas-Peucker on (x, y) against time: the fewest keyframes within `tolerance`."""
    if len(points) <= 2:
        return points if len(points) < 2 or _far(points[0], points[1], tolerance) else points[:1]
    first, last = points[0], points[-1]
    span = last[0] - first[0] or 1.0
    worst, index = 0.0, 0
    for i, (t, x, y) in enumerate(points[1:-1], start=1):
        k = (t - first[0]) / span
        error = max(abs(x - (first[1] + k * (last[1] - first[1]))), abs(y - (first[2] + k * (last[2] - first[2]))))
        if error > worst:
            worst, index = error, i
    if worst <= tolerance:
        return [first, last] if _far(first, last, tolerance) else [first]
    return _simplified(points[: index + 1], tolerance)[:-1] + _simplified(points[index:], tolerance)


def _far(a: tuple[float, float, float], b: tuple[float, float, float], tolerance: float) -> bool:
    return abs(a[1] - b[1]) > tolerance or abs(a[2] - b[2]) > tolerance


class FaceFinder:
    """Finds the faces of video files, each content once (ContentCache)."""

    def __init__(self, cache_dir: Path, ffmpeg: str) -> None:
        self.cache = ContentCache(cache_dir / "faces")
        self.ffmpeg = ffmpeg

    async def samples(
        self,
        info: MediaInfo,
        pictures: NDArray[np.uint8] | None = None,
        rate: float = SAMPLE_FPS,
        *,
        salience: bool = True,
    ) -> list[FaceSample]:
        """The faces of frames of a video sampled at `rate` per second (fewer for a long file);
        [] for a still, an audio file or no OpenCV.

        `pictures`: the samples (sampling(info, rate)) already decoded by a caller that decodes the
        file anyway (the media analysis), so that it is not decoded twice; else decoded here.
        `salience`: whether each sample gets its salient point, which only a Cover crop's path
        follows (~1 ms of CPU a sample beside the cascade's ~28 at SAMPLE_WIDTH); the analysis
        counts faces only.
        """
        if not info.has_video or info.is_image or not info.duration or not faces_available():
            return []
        fps, height = sampling(info, rate)
        key = await self.cache.key(info.path, f"v{VERSION}:fps={fps:.4f}:w={SAMPLE_WIDTH}:salience={salience:d}")
        cached = await self.cache.load(key)
        if cached is not None:
            return [
                FaceSample(t, tuple((x, y, w, h) for x, y, w, h in boxes), (point[0], point[1]) if point else None)
                for t, boxes, point in json.loads(cached)
            ]
        if pictures is None:
            pictures = await self._decode(info, fps, height)
        found = await asyncio.to_thread(_detect, pictures, fps, salience)
        await self.cache.store(key, json.dumps(found))
        return found

    async def _decode(self, info: MediaInfo, fps: float, height: int) -> NDArray[np.uint8]:
        # Only numbers reach the graph; the path is an argument of its own, opened under the guard.
        samples = ",".join(f"{name}={':'.join(map(str, args))}" for name, args in sample_filters(fps, height))
        cmd = [
            self.ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", *info.guard, "-i", str(info.path),
            "-map", "0:v:0", "-vf", samples, "-pix_fmt", "gray", "-f", "rawvideo", "pipe:1",
        ]  # fmt: skip
        return gray_pictures(await ffmpeg_output(cmd, f"faces: sampling {info.path.name}"), height)


def sampling(info: MediaInfo, rate: float = SAMPLE_FPS) -> tuple[float, int]:
    """(frames per second, picture height) at which the faces of a video are searched, SAMPLE_WIDTH wide."""
    fps = min(rate, MAX_SAMPLES / (info.duration or 1.0))
    return fps, max(2, round(SAMPLE_WIDTH * info.height / max(1, info.width) / 2) * 2)


def sample_filters(fps: float, height: int) -> list[tuple[str, tuple[float, ...]]]:
    """The filters, (name, positional arguments), that turn a video into face samples (gray is
    the output's pixel format): data the analysis's graph takes as graph.f(name, *args), where
    this room cannot import the render room's graph (it imports this one)."""
    return [("fps", (round(fps, 4),)), ("scale", (SAMPLE_WIDTH, height))]


def gray_pictures(raw: bytes, height: int) -> NDArray[np.uint8]:
    """Raw gray samples, SAMPLE_WIDTH x `height` each, as an (N, height, width) array; a partial last one dropped."""
    size = SAMPLE_WIDTH * height
    return np.frombuffer(raw, np.uint8)[: len(raw) // size * size].reshape(-1, height, SAMPLE_WIDTH)


def _detect(pictures: NDArray[np.uint8], fps: float, salience: bool) -> list[FaceSample]:
    return [
        FaceSample(round(index / fps, 3), faces_in(picture), salient_point(picture) if salience else None)
        for index, picture in enumerate(pictures)
    ]


# One classifier per thread, loaded at first use there: OpenCV's CascadeClassifier is not safe to
# share between threads (two renders detecting at once failed an assertion in getScaleData).
_CASCADES = threading.local()


def faces_in(picture: NDArray[np.uint8]) -> tuple[Box, ...]:
    """The frontal faces in a grayscale picture, as fractions of it; () without OpenCV.

    A face is at least 1/16 of the picture's width, and found by 5 neighbouring detections: the
    cascade's usual settings against false faces in textures.
    """
    try:
        import cv2
    except ImportError:
        return ()
    cascade = getattr(_CASCADES, "cascade", None)
    if cascade is None:
        cascade = _CASCADES.cascade = cv2.CascadeClassifier(str(Path(cv2.__file__).parent / "data" / CASCADE))
    height, width = picture.shape[:2]
    side = max(8, width // 16)
    boxes = cascade.detectMultiScale(picture, scaleFactor=1.1, minNeighbors=5, minSize=(side, side))
    return tuple((x / width, y / height, w / width, h / height) for x, y, w, h in (boxes if len(boxes) else []))
