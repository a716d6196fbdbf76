"""Periodic chores: housekeeping a process does for as long as it runs.

A chore that fails (a Redis blip, a BUSY reply, a bug) is logged and done again when next due.
Housekeeping must never stop, and above all never stop the process, as a dead intake or task
worker does on purpose; so this one loop is the only way a chore is repeated.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from imsd.logs import get_logger

__all__ = ["every"]

log = get_logger(__name__)


async def every(
    interval_s: float, name: str, chore: Callable[[], Awaitable[object]], *, first_after_s: float = 0.0
) -> None:
    """Do `chore` after `first_after_s`, then every `interval_s`, until cancelled."""
    await asyncio.sleep(first_after_s)
    while True:
        try:
            await chore()
        except Exception as exc:  # logged and retried when next due: housekeeping never stops
            log.warning("chore failed", chore=name, error=repr(exc))
        await asyncio.sleep(interval_s)
