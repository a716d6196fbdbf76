"""Running ffmpeg: progress, stalls and failures handled alike for every run the engine makes.

Renders, media analysis and clip preparation all run ffmpeg without a shell and read its
`-progress pipe:1`; a run that stops advancing is killed, and a failure carries ffmpeg's own words.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from imsd.engine.media.processes import PIPE, ChildStopped, child_process, stop_signal
from imsd.errors import ImsError
from imsd.metrics import render_stalls

__all__ = ["ffmpeg_identity", "ffmpeg_output", "run_ffmpeg"]

_STDERR_TAIL = 2000
#: What ffmpeg exits with after a SIGINT, SIGTERM or SIGQUIT it caught (it ends the output first).
_EXIT_ON_SIGNAL = 255
_IDENTITIES: dict[str, str] = {}


async def ffmpeg_identity(ffmpeg: str) -> str:
    """The first line of `ffmpeg -version` (the build), asked once per executable.

    Files made by one build are not what another would make (its scaler or blur may differ).
    """
    if ffmpeg not in _IDENTITIES:
        async with child_process(ffmpeg, "-hide_banner", "-version", stdout=PIPE) as proc:
            out, _ = await proc.communicate()
        _IDENTITIES[ffmpeg] = out.decode("utf-8", "replace").partition("\n")[0].strip()
    return _IDENTITIES[ffmpeg]


async def ffmpeg_output(cmd: list[str], what: str) -> bytes:
    """What a short ffmpeg run writes to its stdout (sampled frames, samples), read whole.

    A failure is ProduceFailed naming `what` with ffmpeg's own words; a run a stop signal ended
    raises ChildStopped, as every child of the engine does.
    """
    async with child_process(*cmd, stdout=PIPE, stderr=PIPE) as proc:
        out, errors = await proc.communicate()
    if proc.returncode != 0:
        if (how := _stopped_by(proc.returncode)) is not None:
            raise ChildStopped(f"{what}: ffmpeg was stopped by {how}")
        raise ImsError("ProduceFailed", f"{what}: {errors.decode('utf-8', 'replace').strip()[-300:]}")
    return out


async def run_ffmpeg(
    cmd: list[str], duration: float, progress: Callable[[int], None] | None = None, *, stall_s: float = 120.0
) -> None:
    """Run ffmpeg; Progress 0-100 from its `out_time_us`; failure -> ProduceFailed + stderr.

    A run whose output time has not moved for `stall_s` is killed and fails: a filter graph
    that deadlocks would otherwise hold its worker (and its job's lease) forever. An ffmpeg that a
    stop signal ended raises ChildStopped. Cancelled, it is killed (child_process).
    """
    async with child_process(*cmd, stdout=PIPE, stderr=PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        stdout, stderr = proc.stdout, proc.stderr

        async def drain() -> bytes:
            tail = b""
            while chunk := await stderr.read(1 << 14):
                tail = (tail + chunk)[-_STDERR_TAIL:]
            return tail

        err_task = asyncio.create_task(drain())
        try:
            await _follow(stdout, duration, progress, stall_s)
            code = await proc.wait()
            tail = await err_task
        finally:
            err_task.cancel()
    if code != 0:
        message = tail.decode("utf-8", "replace").strip()[-_STDERR_TAIL:]
        if (how := _stopped_by(code)) is not None:
            raise ChildStopped(message or f"ffmpeg was stopped by {how}")
        raise ImsError("ProduceFailed", message or f"ffmpeg exited with {code}")


def _stopped_by(code: int | None) -> str | None:
    """What stopped an ffmpeg that exited with `code`: a stop signal that killed it, or one it
    caught and ended its output on (exit 255); None if it failed of itself."""
    if (sig := stop_signal(code)) is not None:
        return sig.name
    return "a signal it caught (exit 255)" if code == _EXIT_ON_SIGNAL else None


async def _follow(
    stdout: asyncio.StreamReader, duration: float, progress: Callable[[int], None] | None, stall_s: float
) -> None:
    """Read ffmpeg's progress until it closes its output; ProduceFailed if it stalls."""
    last = -1
    out_time, moved_at = "", time.monotonic()
    while True:
        try:
            raw = await asyncio.wait_for(stdout.readline(), stall_s)
        except TimeoutError:
            raw = b"stalled"
        if not raw:
            return
        key, _, value = raw.decode("ascii", "replace").strip().partition("=")
        if key == "out_time_us" and value != out_time:
            out_time, moved_at = value, time.monotonic()
        if key == "stalled" or time.monotonic() - moved_at > stall_s:
            render_stalls.inc()
            raise ImsError("ProduceFailed", f"ffmpeg made no progress for {stall_s:.0f}s and was stopped")
        percent = None
        if key == "out_time_us" and value.isdigit() and duration > 0:
            percent = min(99, int(int(value) / 1e6 / duration * 100))
        elif key == "progress" and value == "end":
            percent = 100
        if percent is not None and percent > last and progress is not None:
            last = percent
            progress(percent)
