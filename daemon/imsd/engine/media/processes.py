"""The engine's child processes (ffmpeg, ffprobe, the TTS, the preflight checks): one way to start them.

Each runs in a session of its own, so a stop sent to the daemon's whole process group (a
terminal's Ctrl-C, a unit's SIGTERM to its cgroup) reaches only the daemon, which hands its
work back and ends its children itself: a child is killed and reaped however its caller stops
waiting for it (a failure, a timeout, a cancelled render, the daemon stopping), so none outlives
its task or the daemon.

A child that a stop signal ended anyway (an operator's `kill`, a unit with KillMode=control-group)
did not fail of its own making: `ChildStopped` says so, and the engine hands the job back instead
of failing it when that stop is its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator

from imsd.errors import ImsError

__all__ = ["ChildStopped", "child_process", "stop_signal"]

PIPE = asyncio.subprocess.PIPE
DEVNULL = asyncio.subprocess.DEVNULL

#: Signals that stop a process from outside (a terminal, systemd, an operator, the OOM killer);
#: a crash (SIGSEGV, SIGABRT, ...) is the child's own failure.
STOP_SIGNALS = frozenset({signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGKILL})


class ChildStopped(ImsError):
    """A child process ended by a stop signal rather than by a failure of its own: a job it ends
    while its engine stops is handed back; otherwise it fails as ProduceFailed with this message."""

    def __init__(self, message: str) -> None:
        super().__init__("ProduceFailed", message)


def stop_signal(returncode: int | None) -> signal.Signals | None:
    """The stop signal that ended a child with `returncode` (-N), None if it exited or crashed."""
    if returncode is None or returncode >= 0:
        return None
    with contextlib.suppress(ValueError):
        sig = signal.Signals(-returncode)
        return sig if sig in STOP_SIGNALS else None
    return None


@contextlib.asynccontextmanager
async def child_process(
    *argv: str, stdin: int = DEVNULL, stdout: int = DEVNULL, stderr: int = DEVNULL
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`argv` started without a shell in a session of its own; killed and reaped on leaving the
    block if it still runs. OSError if it cannot be started."""
    proc = await asyncio.create_subprocess_exec(
        *argv, stdin=stdin, stdout=stdout, stderr=stderr, start_new_session=True
    )
    try:
        yield proc
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
