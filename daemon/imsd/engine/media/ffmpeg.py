"""Running ffmpeg: progress, stalls and failures handled alike for every run the engine makes.

Renders, media analysis and clip preparation all run ffmpeg without a shell and read its
`-progress pipe:1`; a run that stops advancing is killed, and a failure carries ffmpeg's own words.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from imsd.errors import ImsError

_STDERR_TAIL = 2000
_IDENTITIES: dict[str, str] = {}


async def ffmpeg_identity(ffmpeg: str) -> str:
    """The first line of `ffmpeg -version` (the build), asked once per executable.

    Files made by one build are not what another would make (its scaler or blur may differ).
    """
    if ffmpeg not in _IDENTITIES:
        proc = await asyncio.create_subprocess_exec(
            ffmpeg, "-hide_banner", "-version", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )
        out, _ = await proc.communicate()
        _IDENTITIES[ffmpeg] = out.decode("utf-8", "replace").partition("\n")[0].strip()
    return _IDENTITIES[ffmpeg]


async def run_ffmpeg(
    cmd: list[str], duration: float, progress: Callable[[int], None] | None = None, *, stall_s: float = 120.0
) -> None:
    """Run ffmpeg; Progress 0-100 from its `out_time_us`; failure -> ProduceFailed + stderr.

    A run whose output time has not moved for `stall_s` is killed and fails: a filter graph
    that deadlocks would otherwise hold its worker (and its job's lease) forever.
    """
    proc = await asyncio.create_subprocess_exec(
        *cmd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
        # Its own session: a terminal's Ctrl-C or a unit's SIGTERM to the group reaches only the
        # daemon, which hands the render back and ends ffmpeg itself (the finally below).
        start_new_session=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    stdout, stderr = proc.stdout, proc.stderr

    async def drain() -> bytes:
        tail = b""
        while chunk := await stderr.read(1 << 14):
            tail = (tail + chunk)[-_STDERR_TAIL:]
        return tail

    err_task = asyncio.create_task(drain())
    last = -1
    out_time, moved_at = "", time.monotonic()
    try:
        while True:
            try:
                raw = await asyncio.wait_for(stdout.readline(), stall_s)
            except TimeoutError:
                raw = b"stalled"
            if not raw:
                break
            key, _, value = raw.decode("ascii", "replace").strip().partition("=")
            if key == "out_time_us" and value != out_time:
                out_time, moved_at = value, time.monotonic()
            if key == "stalled" or time.monotonic() - moved_at > stall_s:
                raise ImsError("ProduceFailed", f"ffmpeg made no progress for {stall_s:.0f}s and was stopped")
            percent = None
            if key == "out_time_us" and value.isdigit() and duration > 0:
                percent = min(99, int(int(value) / 1e6 / duration * 100))
            elif key == "progress" and value == "end":
                percent = 100
            if percent is not None and percent > last and progress is not None:
                last = percent
                progress(percent)
        code = await proc.wait()
        tail = await err_task
    finally:
        if proc.returncode is None:
            proc.kill()
            with contextlib.suppress(ProcessLookupError):
                await proc.wait()
        err_task.cancel()
    if code != 0:
        message = tail.decode("utf-8", "replace").strip() or f"ffmpeg exited with {code}"
        raise ImsError("ProduceFailed", message[-_STDERR_TAIL:])
