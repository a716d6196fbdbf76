"""Prepared clips: a video clip's picture work done once, kept as raw frames for other renders.

The outputs of a batch play the same shots over and over (Count outputs from a few media
groups), and each render used to decode every shot again and crop, scale or letterbox-and-blur
it to the canvas: a third of a render's CPU beside the encode (bench/batch.py). A prepared clip
is that work done once: the shot's frames from its source, fitted to the canvas, at the source's
own frame rate (outputs play a shot at different speeds), written uncompressed in NUT, which
keeps the source's timestamps exactly, so the render picks the very frames it would have picked
from the source. Reading raw frames costs next to nothing; decoding them again would not (a
fast lossless codec cost as much to decode as the source itself).

Raw frames are big (3 MB a 1080x1920 frame), so clips are prepared only where the batch planner
saw them played by more than one output, the store keeps at most `engine.prepared_max_gb` (the least
recently used go first, never one a render may be about to open) and leaves
`engine.prepared_free_gb` of the disk free; a clip there is no room for is rendered from its
source as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import shutil
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imsd.engine.settings import EngineSettings

if TYPE_CHECKING:
    from imsd.engine.compose import Input
    from imsd.engine.graph import FilterGraph

#: A clip as a timeline names it: (MediaURL or MediaId, In, Out).
ClipId = tuple[str, float | None, float | None]
SUFFIX = ".nut"
#: Options for reading a prepared file: ours, NUT and nothing else, from the file itself.
PREPARED_INPUT = ("-protocol_whitelist", "file", "-f", "nut")
#: A prepared file opened by a render is never removed sooner than this after it was last used:
#: ffmpeg opens every input when it starts, well within this.
IN_USE_S = 600.0
_LOCK_POLL_S = 0.05


@dataclass(frozen=True)
class PrepareClips:
    """Which video clips a render prepares (`clips`), and where prepared files live."""

    directory: Path
    clips: frozenset[ClipId]

    @classmethod
    def shared(cls, settings: EngineSettings, clips: Iterable[ClipId]) -> PrepareClips | None:
        """The policy for a render whose planner found `clips` that other outputs play too."""
        wanted = frozenset(clips)
        if not wanted or settings.prepared_max_gb <= 0:
            return None
        return cls(settings.cache_dir / "prepared", wanted)


def clip_id(ref: str, start: float | None, end: float | None) -> ClipId:
    """A ClipId from a timeline's values, numbers as floats (as the timeline parser reads them)."""
    return (ref, None if start is None else float(start), None if end is None else float(end))


def shared_clips(timelines: list[dict[str, Any]]) -> list[list[ClipId]]:
    """For each of a batch's Timeline JSONs, its video clips that other outputs play too.

    A clip only one output plays (even twice) is not worth preparing: the preparation would run
    before that render, where decoding it runs beside the encoder.
    """
    played = [
        [
            clip_id(str(c.get("MediaId") or c.get("MediaURL")), c.get("In"), c.get("Out"))
            for track in timeline.get("VideoTracks") or []
            for c in track.get("VideoTrackClips") or []
            if c.get("Type", "Video") == "Video"
        ]
        for timeline in timelines
    ]
    outputs = Counter(clip for clips in played for clip in set(clips))
    return [sorted({clip for clip in clips if outputs[clip] > 1}, key=str) for clips in played]


@dataclass(frozen=True)
class Preparation:
    """One clip to prepare: its stretch of source, the graph fitting it, the file it becomes."""

    clip: ClipId
    path: Path  # <directory>/<key>.nut, the key a hash of everything that makes the frames
    source: Input
    graph: FilterGraph  # reads [0:v], ends at `output`
    output: str
    seconds: float  # of source
    size_estimate: int  # bytes

    def command(self, ffmpeg: str, part: Path) -> list[str]:
        return [
            ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-nostats", "-y", "-progress", "pipe:1",
            *self.source.args(), "-filter_complex", self.graph.render(),
            "-map", f"[{self.output}]", "-c:v", "rawvideo", "-f", "nut", str(part),
        ]  # fmt: skip


class PreparedStore:
    """The prepared files of one machine: made once under a per-clip lock, kept within limits.

    Several renders (threads of one worker, or worker processes) may want one clip at once; a
    file lock per clip makes it once and the others wait for it. Files are written under a
    private name and renamed into place, so a render never opens a half-written one.
    """

    def __init__(self, settings: EngineSettings, directory: Path) -> None:
        self.directory = directory
        self.max_bytes = int(settings.prepared_max_gb * 1024**3)
        self.free_bytes = int(settings.prepared_free_gb * 1024**3)
        self.ffmpeg = settings.ffmpeg
        self.stall_s = settings.render_stall_s

    async def ensure(self, preparations: Collection[Preparation]) -> set[ClipId]:
        """Make the missing files; returns the clips whose files are ready.

        A clip is left out when making it would take the store past its limits, or when another
        preparation of the same clip (its filters differ) was left out: the render plays it
        from its source instead.
        """
        await asyncio.to_thread(self.directory.mkdir, parents=True, exist_ok=True)
        dropped: set[ClipId] = set()
        busy = []
        # First the clips no other render is preparing, then wait for those it is: two renders
        # starting together make different clips instead of one waiting on the other.
        for prep in preparations:
            ready = await self._ready(prep, wait=False)
            if ready is None:
                busy.append(prep)
            elif not ready:
                dropped.add(prep.clip)
        for prep in busy:
            if prep.clip not in dropped and not await self._ready(prep, wait=True):
                dropped.add(prep.clip)
        return {p.clip for p in preparations} - dropped

    async def _ready(self, prep: Preparation, *, wait: bool) -> bool | None:
        """Whether the file is there (made now if need be); None if another render is making it
        and `wait` is False."""
        if await asyncio.to_thread(_touch, prep.path):
            return True
        async with _file_lock(prep.path.with_suffix(".lock"), wait=wait) as locked:
            if not locked:
                return None
            if await asyncio.to_thread(_touch, prep.path):  # made while we waited
                return True
            if not await asyncio.to_thread(self._make_room, prep.size_estimate):
                return False
            await self._make(prep)
        return True

    async def _make(self, prep: Preparation) -> None:
        from imsd.engine.render import run_ffmpeg  # render imports compose, which imports this module

        part = prep.path.with_name(f".{prep.path.stem}.{uuid.uuid4().hex}{SUFFIX}")
        try:
            await run_ffmpeg(prep.command(self.ffmpeg, part), prep.seconds, stall_s=self.stall_s)
            await asyncio.to_thread(os.replace, part, prep.path)
        finally:
            part.unlink(missing_ok=True)

    def _make_room(self, needed: int) -> bool:
        """Remove least recently used files until `needed` more bytes fit; False if they cannot."""
        files = sorted(_prepared_files(self.directory), key=lambda f: f[1].st_mtime)
        used = sum(st.st_size for _, st in files)
        free = shutil.disk_usage(self.directory).free
        idle_before = time.time() - IN_USE_S
        for path, st in files:
            if used + needed <= self.max_bytes and free - needed >= self.free_bytes:
                break
            if st.st_mtime > idle_before:
                break  # every file left may be about to be read
            path.unlink(missing_ok=True)
            path.with_suffix(".lock").unlink(missing_ok=True)
            used, free = used - st.st_size, free + st.st_size
        return used + needed <= self.max_bytes and free - needed >= self.free_bytes


def _prepared_files(directory: Path) -> Iterator[tuple[Path, os.stat_result]]:
    for path in directory.glob(f"*{SUFFIX}"):
        if path.name.startswith("."):
            continue  # being written
        with contextlib.suppress(FileNotFoundError):
            yield path, path.stat()


def _touch(path: Path) -> bool:
    """Mark `path` used now (eviction takes the least recently used); False if it is not there."""
    try:
        os.utime(path)
    except FileNotFoundError:
        return False
    return True


@contextlib.asynccontextmanager
async def _file_lock(path: Path, *, wait: bool) -> AsyncIterator[bool]:
    """An exclusive flock on `path`: whether it is held. Waited for (if `wait`) without blocking
    the event loop, so a cancelled render stops waiting."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not wait:
                    yield False
                    return
                await asyncio.sleep(_LOCK_POLL_S)
        yield True
    finally:
        os.close(fd)  # releases the lock
