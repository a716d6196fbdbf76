"""A shared rate limiter: GCRA reservations in Redis, clocked by Redis TIME.

Every process asks Redis for the next free slot of a key (one key per account, region and
action); Redis hands out slots `1/rate` apart and the caller sleeps until its slot, then sends
at once. Because the clock is Redis's, processes on different machines agree on the schedule.
A Throttling reply moves the key's schedule forward, so every process backs off together.

A slot a process sleeps on dies with the process: a kill -9 leaves a hole in the schedule that
nobody sends in. So a caller with a name (a request) does not sleep on a slot far ahead: Redis
keeps it booked for that name (`book`), the caller comes back shortly before it, from any
process, and claims it by asking again under the same name. Only the slots due within the
caller's short wait are held in memory, and only those are lost with a killed process.

The schedule alone cannot keep the service's count: the service counts calls when they arrive,
and a call arrives some time after its slot (a loaded machine wakes late, a fresh process's
first connection takes a while). So each call is also logged in a send log, checked right before
it goes (`sending`): while it is unanswered it may arrive at any moment and counts as sent now;
once answered, it counts until a window after its answer, by which time it has surely arrived.
A call is let through only while fewer than the rate's ceiling could have arrived within one
window, whatever the delays: any window the service looks at holds at most that many.
A call never answered (its process was killed) stops counting `max_call_s` after it was let
through: by then its connection has been given up.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import uuid4

from redis.asyncio import Redis

from imsd import lua, metrics
from imsd.logs import get_logger

__all__ = ["BOOKING_FORGOTTEN_S", "Booked", "RateLimiter", "Slot"]

log = get_logger(__name__)

# Reserve the next slot: `schedule` holds tat, the theoretical arrival time of the next call, in
# microseconds. Returns {kind, wait}: the microseconds until the slot, and what was done with it.
# 'slot': the next slot, the caller's to wait for (it is at most `max_wait_us` away). 'booked': the
# next slot is further away, and now booked for `holder` in `booked` (slot time by holder); the
# holder claims it by asking again, as the same holder, once it is at most `max_wait_us` away:
# 'claimed' (and no longer booked), or 'waiting' while it is further (a holder with a booking is
# never given a second one). 'refused': nothing reserved, the next slot being further away than
# `book_us` (or, with no holder, than `max_wait_us`). A booking not claimed `forget_us` after its
# time is dropped (its holder was finished another way).
_RESERVE = lua.Script(
    """
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local hold = tonumber(max_wait_us)
if holder ~= '' then
  local booked_at = redis.call('ZSCORE', booked, holder)
  if booked_at then
    local wait = math.max(0, tonumber(booked_at) - now_us)
    if wait > hold then return {'waiting', wait} end
    redis.call('ZREM', booked, holder)
    return {'claimed', wait}
  end
end
local interval = tonumber(interval_us)
local tat = tonumber(redis.call('GET', schedule) or '0')
if tat < now_us then tat = now_us end
local wait = tat - now_us
if wait > hold and (holder == '' or wait > tonumber(book_us)) then return {'refused', wait} end
redis.call('SET', schedule, tat + interval, 'PX', math.ceil((tat + interval - now_us) / 1000) + 60000)
if wait <= hold then return {'slot', wait} end
local forget = tonumber(forget_us)
redis.call('ZREMRANGEBYSCORE', booked, '-inf', now_us - forget)
redis.call('ZADD', booked, tat, holder)
redis.call('PEXPIRE', booked, math.ceil((wait + forget) / 1000))
return {'booked', wait}
""",
    keys=("schedule", "booked"),
    args=("interval_us", "max_wait_us", "holder", "book_us", "forget_us"),
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

# The send log (`sent`): each call scored by the latest time it can have arrived at the service,
# its answer's time, or, while unanswered, the time it is given up (`call_us` after it went).
# A call still counts while that time is less than a window ago. Checked and appended in one step
# right before each call: returns -1 when admitted (logged as `send_id`), else the microseconds
# until the next logged call stops counting.
_ADMIT_SEND = lua.Script(
    """
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local window = tonumber(window_us)
redis.call('ZREMRANGEBYSCORE', sent, '-inf', now_us - window)
if redis.call('ZCARD', sent) < tonumber(cap) then
  redis.call('ZADD', sent, now_us + tonumber(call_us), send_id)
  redis.call('PEXPIRE', sent, math.ceil((window + tonumber(call_us)) / 1000) + 1000)
  return -1
end
local oldest = redis.call('ZRANGE', sent, 0, 0, 'WITHSCORES')
return tonumber(oldest[2]) + window - now_us + 1
""",
    keys=("sent",),
    args=("window_us", "cap", "call_us", "send_id"),
)

# A logged call was answered: it counts until a window after now (it arrived by now).
_ANSWERED = lua.Script(
    """
local now = redis.call('TIME')
return redis.call('ZADD', sent, 'XX', tonumber(now[1]) * 1000000 + tonumber(now[2]), send_id)
""",
    keys=("sent",),
    args=("send_id",),
)


#: A booking its holder has not claimed this long after its time is dropped: the holder was
#: finished another way, or its task is long overdue and books anew when it runs.
BOOKING_FORGOTTEN_S = 60.0

#: How long a call counts in the send log after its answer: the service's 1 s window, plus 5 ms
#: for the rates of its clock and Redis's to differ (NTP slews at most 0.5 ms a second) and for
#: rounding. No more is needed: a call's logged span, from before it went to after its answer,
#: holds its arrival, so calls the service sees within any 1 s all count at each other's
#: admission. A longer window only costs quota whenever calls are slow to be answered.
SEND_WINDOW_S = 1.005


@dataclass(frozen=True)
class Slot:
    """A reserved send time, as a local monotonic deadline."""

    action: str
    deadline: float


@dataclass(frozen=True)
class Booked:
    """A slot booked in Redis for its holder, `wait_s` away: too far to wait for in memory.

    The holder comes back for it (`book` again, under the same name) once it is within the
    caller's wait, from this process or any other.
    """

    action: str
    wait_s: float


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
        max_call_s: float,
        enabled: bool = True,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._rates = rates
        self._default_rate = default_rate
        self._penalty_us = int(penalty_s * 1_000_000)
        self._call_us = int(max_call_s * 1_000_000)
        self._enabled = enabled
        self._asking: dict[str, asyncio.Lock] = {}
        self._reserve = _RESERVE.register(redis)
        self._admit_send = _ADMIT_SEND.register(redis)
        self._answered = _ANSWERED.register(redis)
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
        kind, wait_s = await self._run_reserve(action, max_wait_s, holder="", book_ahead_s=0.0)
        return Slot(action, time.monotonic() + wait_s) if kind == "slot" else None

    async def book(self, action: str, holder: str, *, max_wait_s: float, book_ahead_s: float) -> Slot | Booked | None:
        """`holder`'s slot for `action`: the one booked for it earlier, or the next free one.

        A Slot when it is at most `max_wait_s` away (a booking is claimed: it is the caller's
        now, and gone from Redis). Booked when it is further, up to `book_ahead_s`: kept in Redis
        under `holder`, so the caller needs to hold nothing while it waits and a process killed
        meanwhile loses no slot. None, and nothing booked, beyond `book_ahead_s`.
        """
        if not self._enabled:
            return Slot(action, time.monotonic())
        kind, wait_s = await self._run_reserve(action, max_wait_s, holder=holder, book_ahead_s=book_ahead_s)
        if kind in ("slot", "claimed"):
            return Slot(action, time.monotonic() + wait_s)
        return Booked(action, wait_s) if kind in ("booked", "waiting") else None

    async def _run_reserve(
        self, action: str, max_wait_s: float, *, holder: str, book_ahead_s: float
    ) -> tuple[str, float]:
        """`_RESERVE`'s kind and wait (s); a slot newly taken, to wait for or booked, counts in
        limiter_wait once (a claim or a look at a booking does not)."""
        schedule = self.key(action)
        kind, wait_us = await self._reserve(
            schedule=schedule,
            booked=f"{schedule}:booked",
            interval_us=int(1_000_000 / self.rate(action)),
            max_wait_us=int(max_wait_s * 1_000_000),
            holder=holder,
            book_us=int(book_ahead_s * 1_000_000),
            forget_us=int(BOOKING_FORGOTTEN_S * 1_000_000),
        )
        kind = kind.decode() if isinstance(kind, bytes) else str(kind)
        wait_s = int(wait_us) / 1_000_000
        if kind in ("slot", "booked"):
            metrics.limiter_wait.labels(action).observe(wait_s)
        return kind, wait_s

    @contextlib.asynccontextmanager
    async def sending(self, slot: Slot) -> AsyncIterator[None]:
        """Sleep until the slot and pass the send log; the block makes the call, and its end,
        however it ends, logs the call as answered."""
        delay = slot.deadline - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        metrics.send_lateness.labels(slot.action).observe(max(0.0, time.monotonic() - slot.deadline))
        if not self._enabled:
            yield
            return
        sent, send_id = f"{self.key(slot.action)}:sent", uuid4().hex
        cap, window_us = math.ceil(self.rate(slot.action)), int(SEND_WINDOW_S * 1_000_000)
        # One sender of this process at a time asks the send log, the others queue behind it
        # in order: every sender refused sleeps until the same oldest call stops counting, and
        # all waking together to ask again would cost a Redis call each for one free place.
        async with self._asking.setdefault(slot.action, asyncio.Lock()):
            while True:
                wait_us = int(
                    await self._admit_send(
                        sent=sent, window_us=window_us, cap=cap, call_us=self._call_us, send_id=send_id
                    )
                )
                if wait_us < 0:
                    break
                await asyncio.sleep(wait_us / 1_000_000)
        try:
            yield
        finally:
            try:
                await self._answered(sent=sent, send_id=send_id)
            except Exception as error:  # the call stops counting at its give-up time instead
                log.warning("limiter: answered call not logged", action=slot.action, error=repr(error))

    @contextlib.asynccontextmanager
    async def calling(self, action: str) -> AsyncIterator[None]:
        """`sending` a slot reserved however far ahead: the block makes one call of `action`."""
        slot = await self.reserve(action)
        assert slot is not None
        async with self.sending(slot):
            yield

    async def penalize(self, action: str, at_least_s: float = 0.0) -> None:
        """A Throttling reply: push every process's schedule for `action` back, by the configured
        penalty or by `at_least_s` (the wait the service asked for), whichever is longer."""
        metrics.throttles.labels(action).inc()
        penalty_us = max(self._penalty_us, int(at_least_s * 1_000_000))
        if self._enabled and penalty_us:
            await self._penalize(schedule=self.key(action), penalty_us=penalty_us)
