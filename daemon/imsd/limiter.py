"""A shared rate limiter: GCRA reservations in Redis, clocked by Redis TIME.

Every process asks Redis for the next free slot of a key (one key per account, region and
action); Redis hands out slots `1/rate` apart and the caller sleeps until its slot, then sends
at once. Because the clock is Redis's, processes on different machines agree on the schedule. A send
log checked right before each send caps any 1 s window at the rate's ceiling even when a
process wakes late from its slot (a loaded machine), which the schedule alone cannot.
A Throttling reply moves the key's schedule forward, so every process backs off together.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from uuid import uuid4

from redis.asyncio import Redis

from imsd import lua, metrics

__all__ = ["RateLimiter", "Slot"]

# Reserve the next slot: `schedule` holds tat, the theoretical arrival time of the next call, in
# microseconds. Returns the microseconds the caller must wait before its slot, or -1 without
# reserving anything when that wait would exceed `max_wait_us`.
_RESERVE = lua.Script(
    """
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local interval = tonumber(interval_us)
local tat = tonumber(redis.call('GET', schedule) or '0')
if tat < now_us then tat = now_us end
if tat - now_us > tonumber(max_wait_us) then return -1 end
redis.call('SET', schedule, tat + interval, 'PX', math.ceil((tat + interval - now_us) / 1000) + 60000)
return tat - now_us
""",
    keys=("schedule",),
    args=("interval_us", "max_wait_us"),
)

# Push the schedule back: nobody gets a slot before now + `penalty_us`.
_PENALIZE = lua.Script(
    """
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local until_us = now_us + tonumber(penalty_us)
local tat = tonumber(redis.call('GET', schedule) or '0')
if tat < until_us then
  redis.call('SET', schedule, until_us, 'PX', math.ceil(tonumber(penalty_us) / 1000) + 60000)
end
return until_us - now_us
""",
    keys=("schedule",),
    args=("penalty_us",),
)

# The send log (`sent`): times of recent sends. Checked and appended in one step right before each
# send, it allows at most `cap` sends in any `window_us` however late a sender woke from its slot
# (a late sender compresses the gap to the next one). Returns -1 when admitted (logged as
# `send_id`), else the microseconds until the oldest logged send leaves the window.
_ADMIT_SEND = lua.Script(
    """
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local window = tonumber(window_us)
redis.call('ZREMRANGEBYSCORE', sent, '-inf', now_us - window)
if redis.call('ZCARD', sent) < tonumber(cap) then
  redis.call('ZADD', sent, now_us, send_id)
  redis.call('PEXPIRE', sent, math.ceil(window / 1000) + 1000)
  return -1
end
local oldest = redis.call('ZRANGE', sent, 0, 0, 'WITHSCORES')
return tonumber(oldest[2]) + window - now_us + 1
""",
    keys=("sent",),
    args=("window_us", "cap", "send_id"),
)


@dataclass(frozen=True)
class Slot:
    """A reserved send time, as a local monotonic deadline."""

    action: str
    deadline: float


class RateLimiter:
    """Hands out send slots for (account, region, action) keys at per-action rates."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str,
        rates: dict[str, float],
        default_rate: float,
        penalty_s: float,
        enabled: bool = True,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._rates = rates
        self._default_rate = default_rate
        self._penalty_us = int(penalty_s * 1_000_000)
        self._enabled = enabled
        self._reserve = _RESERVE.register(redis)
        self._admit_send = _ADMIT_SEND.register(redis)
        self._penalize = _PENALIZE.register(redis)

    def key(self, action: str) -> str:
        return f"{self._prefix}:{action}"

    def rate(self, action: str) -> float:
        return self._rates.get(action, self._default_rate)

    async def reserve(self, action: str, max_wait_s: float = 3600.0) -> Slot | None:
        """Reserve the next slot for `action`; the caller awaits `wait(slot)` then sends.

        None, and nothing reserved, when the next slot is more than `max_wait_s` away: the
        caller should come back later rather than hold a worker for the wait.
        """
        if not self._enabled:
            return Slot(action, time.monotonic())
        interval_us = int(1_000_000 / self.rate(action))
        max_wait_us = int(max_wait_s * 1_000_000)
        wait_us = int(await self._reserve(schedule=self.key(action), interval_us=interval_us, max_wait_us=max_wait_us))
        if wait_us < 0:
            return None
        metrics.limiter_wait.labels(action).observe(wait_us / 1_000_000)
        return Slot(action, time.monotonic() + wait_us / 1_000_000)

    async def wait(self, slot: Slot) -> None:
        """Sleep until the slot, then pass the send log; the caller sends right after."""
        delay = slot.deadline - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        metrics.send_lateness.labels(slot.action).observe(max(0.0, time.monotonic() - slot.deadline))
        if not self._enabled:
            return
        # At most ceil(rate) sends in ceil(rate)/rate seconds: the service's 1 s window plus the
        # slack the configured rate leaves under it (20 ms at 29.4/s), which absorbs jitter
        # between our send and the service's clock.
        cap = math.ceil(self.rate(slot.action))
        window_us = int(cap / self.rate(slot.action) * 1_000_000)
        while True:
            wait_us = int(
                await self._admit_send(
                    sent=f"{self.key(slot.action)}:sent", window_us=window_us, cap=cap, send_id=uuid4().hex
                )
            )
            if wait_us < 0:
                return
            await asyncio.sleep(wait_us / 1_000_000)

    async def acquire(self, action: str) -> None:
        """Reserve a slot however far ahead, and wait for it."""
        slot = await self.reserve(action)
        assert slot is not None
        await self.wait(slot)

    async def penalize(self, action: str, at_least_s: float = 0.0) -> None:
        """A Throttling reply: push every process's schedule for `action` back, by the configured
        penalty or by `at_least_s` (the wait the service asked for), whichever is longer."""
        metrics.throttles.labels(action).inc()
        penalty_us = max(self._penalty_us, int(at_least_s * 1_000_000))
        if self._enabled and penalty_us:
            await self._penalize(schedule=self.key(action), penalty_us=penalty_us)
