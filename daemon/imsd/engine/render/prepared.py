"""Prepared clips: a video clip's picture work done once, kept as raw frames for other renders.

The outputs of a batch play the same shots over and over (Count outputs from a few media
groups), and each render used to decode every shot again and crop, scale or letterbox-and-blur
it to the canvas: a fifth of a render's CPU (bench/batch.py). A prepared clip is that work done
once: the shot's frames from its source, fitted to the canvas, at the source's own frame rate
(outputs play a shot at different speeds), written uncompressed in NUT, which keeps every
timestamp, so a render picks the very frames it would have picked from the source. Reading raw
frames costs next to nothing; decoding them again would not (a fast lossless codec cost as much
to decode as the source itself).

Raw frames are big (3 MB a 1080x1920 frame), so only clips that the batch planner saw in more
than one output are prepared, the store keeps at most `engine.prepared_max_gb` (the least
recently used go first, never one a render is reading) and leaves `engine.prepared_free_gb` of
the disk free; a clip there is no room for, or whose preparation fails, is rendered from its
source as before.

Locks (flock, so they die with their process): a render reading a prepared file holds a shared
lock on the clip's lock file for as long as it renders; making a file takes it exclusively, and
so does removing one, which therefore never removes a file in use. Deciding what to remove to
make room is serialised by one lock for the whole store, and a file being made is counted at
its estimated size from the moment room is found for it (its name carries the estimate).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imsd.api.timeline import VideoTrackClip
from imsd.engine.media import run_ffmpeg
from imsd.engine.render.graph import FilterGraph, Input
from imsd.errors import ImsError
from imsd.logs import get_logger
from imsd.settings import EngineSettings

__all__ = [
    "PREPARED_INPUT",
    "SUFFIX",
    "ClipId",
    "Preparation",
    "PreparedStore",
    "SharedClips",
    "clip_id",
    "clip_id_of",
]

log = get_logger(__name__)

#: A clip as a timeline names it: (MediaURL or MediaId, In, Out).
ClipId = tuple[str, float | None, float | None]
SUFFIX = ".nut"
#: Options for reading a prepared file: ours, NUT and nothing else, from the file itself.
PREPARED_INPUT = ("-protocol_whitelist", "file", "-f", "nut")
_STORE_LOCK = ".store.lock"
_LOCK_POLL_S = 0.05


def clip_id(ref: str, start: float | None, end: float | None) -> ClipId:
    """A ClipId from a timeline's values, numbers as floats (as the timeline parser reads them)."""
    return (ref, None if start is None else float(start), None if end is None else float(end))


def clip_id_of(clip: VideoTrackClip) -> ClipId:
    """The ClipId of a parsed clip: the planner and the renderer name clips the same way."""
    return clip_id(clip.media_ref or "", clip.In, clip.Out)


@dataclass(frozen=True)
class SharedClips:
    """The video clips of a render that other renders play too, and where prepared files live.

    `ffmpeg` names the build that makes and reads them: it is part of every file's key.
    """

    directory: Path
    clips: frozenset[ClipId]
    ffmpeg: str = ""

    @classmethod
    def from_job(cls, settings: EngineSettings, clips: Any) -> SharedClips | None:
        """From a sub-job's `_shared_clips` (JSON [ref, In, Out] lists); None when there is nothing
        to prepare. Entries of any other shape are passed over: they are a hint, not the job."""
        wanted = frozenset(
            clip_id(c[0], c[1], c[2])
            for c in clips or []
            if isinstance(c, list) and len(c) == 3 and isinstance(c[0], str)
            and all(v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in c[1:])
        )  # fmt: skip
        if not wanted or settings.prepared_max_gb <= 0:
            return None
        return cls(settings.cache_dir / "prepared", wanted)


@dataclass(frozen=True)
class Preparation:
    """One clip to prepare: its stretch of source, the graph fitting it, the file it becomes."""

    clip: ClipId
    path: Path  # <directory>/<key>.nut, the key a hash of everything that makes the frames
    source: Input
    graph: FilterGraph  # reads [0:v], ends at the pad `label`
    label: str
    seconds: float  # of source
    size_estimate: int  # bytes

    def command(self, ffmpeg: str, part: Path) -> list[str]:
        return [
            ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-nostats", "-y", "-progress", "pipe:1",
            *self.source.args(), "-filter_complex", self.graph.render(),
            "-map", f"[{self.label}]", "-c:v", "rawvideo", "-f", "nut", str(part),
        ]  # fmt: skip


class PreparedStore:
    """The prepared files of one machine: made once, read under lock, kept within limits."""

    def __init__(self, settings: EngineSettings, directory: Path, ffmpeg: str) -> None:
        self.directory = directory
        self.max_bytes = int(settings.prepared_max_gb * 1024**3)
        self.free_bytes = int(settings.prepared_free_gb * 1024**3)
        self.ffmpeg = ffmpeg
        self.stall_s = settings.render_stall_s

    @contextlib.asynccontextmanager
    async def ready(self, preparations: Collection[Preparation]) -> AsyncIterator[set[ClipId]]:
        """The clips whose files are there, made now if need be, and kept until the block ends.

        A clip is left out when there is no room for it, when making it failed, or when another
        preparation of it (with other filters) was left out: the render plays it from its source.
        Clips no other render is making are made first, so two renders starting together make
        different clips side by side instead of one waiting on the other.
        """
        async with contextlib.AsyncExitStack() as held:
            try:
                await asyncio.to_thread(self.directory.mkdir, parents=True, exist_ok=True)
            except OSError as error:
                log.warning("prepared clips unavailable", directory=str(self.directory), error=repr(error))
                yield set()
                return
            dropped: set[ClipId] = set()
            busy = []
            for prep in preparations:
                ready = await self._hold(prep, held, wait=False)
                if ready is None:
                    busy.append(prep)
                elif not ready:
                    dropped.add(prep.clip)
            for prep in busy:
                if prep.clip not in dropped and not await self._hold(prep, held, wait=True):
                    dropped.add(prep.clip)
            yield {p.clip for p in preparations} - dropped

    async def _hold(self, prep: Preparation, held: contextlib.AsyncExitStack, *, wait: bool) -> bool | None:
        """Read-lock the clip's file until `held` closes, making it first if it is missing.

        None: another render holds it exclusively (making it) and `wait` is False.
        """
        lock = prep.path.with_suffix(".lock")
        while True:
            async with contextlib.AsyncExitStack() as reading:
                if not await reading.enter_async_context(_file_lock(lock, fcntl.LOCK_SH, wait=wait)):
                    return None
                if await asyncio.to_thread(_touch, prep.path):  # there: keep reading it, newly used
                    held.push_async_exit(reading.pop_all())
                    return True
            async with _file_lock(lock, fcntl.LOCK_EX, wait=wait) as making:
                if not making:
                    return None
                if not prep.path.exists() and not await self._make(prep):
                    return False

    async def _make(self, prep: Preparation) -> bool:
        """Make the file (the caller holds its lock); False if there is no room or it failed."""
        part = await asyncio.to_thread(self._reserve, prep)
        if part is None:
            log.info("no room to prepare a clip", clip=prep.clip, estimate=prep.size_estimate)
            return False
        try:
            await run_ffmpeg(prep.command(self.ffmpeg, part), prep.seconds, stall_s=self.stall_s)
            await asyncio.to_thread(_persist, part, prep.path)
        except (ImsError, OSError) as error:
            log.warning("preparing a clip failed; it plays from its source", clip=prep.clip, error=str(error))
            return False
        finally:
            part.unlink(missing_ok=True)
        return True

    def _reserve(self, prep: Preparation) -> Path | None:
        """Make room for `prep` and claim it with its (empty) part file; None if it cannot fit."""
        with _locked_now(self.directory / _STORE_LOCK, wait=True):
            if not self._make_room(prep.size_estimate):
                return None
            part = self.directory / f".{prep.path.stem}.{uuid.uuid4().hex}.{prep.size_estimate}{SUFFIX}"
            part.touch()  # its name is read back by _part
            return part

    def _make_room(self, needed: int) -> bool:
        """Remove least recently used files no render is reading until `needed` more bytes fit.

        Nothing is removed unless removing enough is possible. Parts being made count at their
        estimate; what dead makers left (parts and lock files nobody holds) is removed.
        """
        used = 0
        files = []
        for path, st in _entries(self.directory):
            if not path.name.startswith("."):
                files.append((path, st))
                used += st.st_size
            else:
                key, estimate = _part(path)
                if not _remove_if_unlocked(path, self.directory / f"{key}.lock"):
                    used += max(st.st_size, estimate)
        for lock in self.directory.glob("[!.]*.lock"):
            if not lock.with_suffix(SUFFIX).exists():
                _remove_if_unlocked(lock, lock)
        free = shutil.disk_usage(self.directory).free

        def fits(freed: int) -> bool:
            return used - freed + needed <= self.max_bytes and free + freed - needed >= self.free_bytes

        with contextlib.ExitStack() as evictable:
            freed, victims = 0, []
            for path, st in sorted(files, key=lambda f: f[1].st_mtime):
                if fits(freed):
                    break
                if evictable.enter_context(_locked_now(path.with_suffix(".lock"))):
                    victims.append(path)
                    freed += st.st_size
            if not fits(freed):
                return False
            for path in victims:
                path.unlink(missing_ok=True)
                path.with_suffix(".lock").unlink(missing_ok=True)
        return True


def _entries(directory: Path) -> Iterator[tuple[Path, os.stat_result]]:
    for path in directory.glob(f"*{SUFFIX}"):  # glob matches dot-files too
        with contextlib.suppress(FileNotFoundError):
            yield path, path.stat()


def _part(path: Path) -> tuple[str, int]:
    """The clip key and the bytes reserved for a part file, named `.<key>.<uuid>.<bytes>.nut`."""
    fields = path.name.split(".")
    key, digits = (fields[1], fields[-2]) if len(fields) == 5 else ("", "")
    return key, int(digits) if digits.isdigit() else 0


def _remove_if_unlocked(path: Path, lock: Path) -> bool:
    """Remove `path` (and `lock`) if nobody holds `lock`: what a dead maker left behind."""
    with _locked_now(lock) as free:
        if free:
            path.unlink(missing_ok=True)
            lock.unlink(missing_ok=True)
        return free


def _touch(path: Path) -> bool:
    """Mark `path` used now (eviction takes the least recently used); False if it is not there."""
    try:
        os.utime(path)
    except FileNotFoundError:
        return False
    return True


def _persist(part: Path, path: Path) -> None:
    """Rename a finished part into place, on disk first: a crash must not leave a short file
    under the final name, which renders would then read as a clip that freezes."""
    with part.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(part, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _try_lock(path: Path, mode: int) -> int | None:
    """A descriptor holding a flock (`mode`) on the file `path` names, or None if another holds it.

    A lock taken on a file that a remover unlinked meanwhile is worth nothing: it is let go and
    the file now at `path` is locked instead.
    """
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        held = False
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            with contextlib.suppress(FileNotFoundError):
                held = os.fstat(fd).st_ino == os.stat(path).st_ino
        except BlockingIOError:
            return None
        finally:
            if not held:
                os.close(fd)
        if held:
            return fd


@contextlib.contextmanager
def _locked_now(path: Path, *, wait: bool = False) -> Iterator[bool]:
    """An exclusive flock on `path`, if it can be had at once (unless `wait`); yields whether held.

    For code running in a thread; the event loop uses `_file_lock`.
    """
    while (fd := _try_lock(path, fcntl.LOCK_EX)) is None and wait:
        time.sleep(_LOCK_POLL_S)
    try:
        yield fd is not None
    finally:
        if fd is not None:
            os.close(fd)


@contextlib.asynccontextmanager
async def _file_lock(path: Path, mode: int, *, wait: bool) -> AsyncIterator[bool]:
    """A flock on `path`, waited for (if `wait`) without blocking the event loop, so a cancelled
    render stops waiting; yields whether it is held."""
    while (fd := _try_lock(path, mode)) is None and wait:  # noqa: ASYNC110 - held by another process; no event to await
        await asyncio.sleep(_LOCK_POLL_S)
    try:
        yield fd is not None
    finally:
        if fd is not None:
            os.close(fd)  # releases the lock
