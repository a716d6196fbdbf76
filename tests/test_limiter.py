"""The shared rate limiter: GCRA slots on Redis's clock, bookings, a send log, throttling penalties."""

from __future__ import annotations

import asyncio
import itertools
import time

import imsd.limiter
import pytest
from imsd.context import SLOT_LEAD_S, Services
from imsd.limiter import Booked, RateLimiter, Slot
from imsd.steps import Defer
from redis.asyncio import Redis


def limiter(redis: Redis, rate: float = 10.0, penalty_s: float = 1.0) -> RateLimiter:
    return RateLimiter(redis, prefix="t:rl", rates={}, default_rate=rate, penalty_s=penalty_s, max_call_s=5.0)


async def test_consecutive_slots_are_one_interval_apart(redis: Redis) -> None:
    rl = limiter(redis, rate=10.0)
    slots = [await rl.reserve("A") for _ in range(5)]
    deadlines = [s.deadline for s in slots if s is not None]
    gaps = [b - a for a, b in itertools.pairwise(deadlines)]
    assert len(deadlines) == 5
    assert all(0.09 <= g <= 0.11 for g in gaps)


async def test_a_slot_beyond_max_wait_is_refused_without_being_spent(redis: Redis) -> None:
    rl = limiter(redis, rate=1.0)
    assert await rl.reserve("A") is not None
    assert await rl.reserve("A", max_wait_s=0.5) is None
    booked = await rl.reserve("A")
    assert booked is not None and booked.deadline - time.monotonic() < 1.1


async def test_a_slot_further_than_the_wait_is_booked_for_its_holder_and_taken_from_others(redis: Redis) -> None:
    rl = limiter(redis, rate=1.0)
    await rl.reserve("A")
    booked = await rl.book("A", "r1", max_wait_s=0.5, book_ahead_s=10.0)
    assert isinstance(booked, Booked) and 0.5 < booked.wait_s <= 1.0
    after = await rl.reserve("A")
    assert after is not None and after.deadline - time.monotonic() > 1.5  # behind the booking


async def test_a_booked_slot_is_claimed_by_its_holder_from_another_process(redis: Redis) -> None:
    """The booking lives in Redis, not in the process that made it: a process killed while the
    slot is still far away leaves it to whichever process runs the holder's task next."""
    booker, claimer = limiter(redis, rate=1.0), limiter(redis, rate=1.0)
    await booker.reserve("A")
    assert isinstance(await booker.book("A", "r1", max_wait_s=0.5, book_ahead_s=10.0), Booked)
    claimed = await claimer.book("A", "r1", max_wait_s=2.0, book_ahead_s=10.0)
    assert isinstance(claimed, Slot) and claimed.deadline - time.monotonic() <= 1.0  # the booked one
    after = await claimer.reserve("A")
    assert after is not None and after.deadline - time.monotonic() > 1.5  # claiming took no new slot


async def test_a_holder_asking_again_before_its_slot_keeps_its_one_booking(redis: Redis) -> None:
    rl = limiter(redis, rate=1.0)
    await rl.reserve("A")
    first = await rl.book("A", "r1", max_wait_s=0.5, book_ahead_s=10.0)
    again = await rl.book("A", "r1", max_wait_s=0.5, book_ahead_s=10.0)
    assert isinstance(first, Booked) and isinstance(again, Booked) and again.wait_s <= first.wait_s
    after = await rl.reserve("A")
    assert after is not None and after.deadline - time.monotonic() < 2.1  # one booking, not two


async def test_nothing_is_booked_beyond_the_booking_horizon(redis: Redis) -> None:
    rl = limiter(redis, rate=1.0)
    for _ in range(3):
        await rl.reserve("A")
    assert await rl.book("A", "r1", max_wait_s=0.5, book_ahead_s=1.5) is None
    assert await redis.zscore(f"{rl.key('A')}:booked", "r1") is None
    after = await rl.reserve("A")
    assert after is not None and after.deadline - time.monotonic() < 3.1  # the refused slot is still free


async def test_a_booking_left_unclaimed_long_after_its_time_is_forgotten(
    redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its holder was finished another way, or runs so late that it books anew."""
    monkeypatch.setattr(imsd.limiter, "BOOKING_FORGOTTEN_S", 0.1)
    rl = limiter(redis, rate=5.0)
    await rl.reserve("A")
    assert isinstance(await rl.book("A", "stale", max_wait_s=0.1, book_ahead_s=10.0), Booked)
    await asyncio.sleep(0.5)  # its slot (0.2 s away) is past by more than 0.1 s
    await rl.reserve("A")
    assert isinstance(await rl.book("A", "r2", max_wait_s=0.1, book_ahead_s=10.0), Booked)
    assert await redis.zscore(f"{rl.key('A')}:booked", "stale") is None


async def test_a_task_whose_slot_is_far_is_deferred_to_just_before_it_with_the_slot_booked(redis: Redis) -> None:
    """The task holds nothing while it waits, so a kill -9 meanwhile loses no slot; it comes back
    SLOT_LEAD_S early, for the queue's pick-up delay."""
    rl = limiter(redis, rate=0.5)
    svc = Services(None, redis, None, rl, None, None)  # type: ignore[arg-type]
    await rl.reserve("A")
    step = await svc.reserve_slot("r1", "A")  # 2 s away: beyond the 1 s a task waits in memory
    assert isinstance(step, Defer) and 1.5 - SLOT_LEAD_S < step.delay_s <= 2.0 - SLOT_LEAD_S
    assert await redis.zscore(f"{rl.key('A')}:booked", "r1") is not None


async def test_actions_have_independent_schedules(redis: Redis) -> None:
    rl = limiter(redis, rate=1.0)
    await rl.reserve("A")
    other = await rl.reserve("B")
    assert other is not None and other.deadline - time.monotonic() < 0.05


async def test_a_throttle_pushes_every_callers_schedule_back(redis: Redis) -> None:
    first, second = limiter(redis, penalty_s=2.0), limiter(redis, penalty_s=2.0)
    await first.penalize("A")
    slot = await second.reserve("A")
    assert slot is not None and slot.deadline - time.monotonic() > 1.8


async def test_late_senders_still_send_at_most_the_rate_ceiling_in_any_second(redis: Redis) -> None:
    rl = limiter(redis, rate=9.5)
    slots = [await rl.reserve("A") for _ in range(25)]
    await asyncio.sleep(2.0)  # every slot is now in the past: all senders woke late at once
    sent: list[float] = []

    async def send(slot: object) -> None:
        async with rl.sending(slot):  # type: ignore[arg-type]
            sent.append(time.monotonic())

    await asyncio.gather(*(send(s) for s in slots))
    sent.sort()
    most_in_window = max(sum(1 for t in sent if start <= t < start + 0.98) for start in sent)
    assert most_in_window <= 10


async def test_a_call_counts_as_arriving_until_it_is_answered_and_a_window_after(redis: Redis) -> None:
    """The service counts a call when it arrives, anywhere between its send and its answer: a
    slow call keeps its place in the window until a window after its answer."""
    rl = limiter(redis, rate=2.0)  # 2 calls per 1 s window
    answered: list[float] = []

    async def slow_call() -> None:
        async with rl.calling("A"):
            await asyncio.sleep(1.5)
        answered.append(time.monotonic())

    slow = [asyncio.create_task(slow_call()) for _ in range(2)]
    await asyncio.sleep(0.2)
    async with rl.calling("A"):
        third_sent = time.monotonic()
    await asyncio.gather(*slow)
    assert third_sent - min(answered) >= 0.95  # not before a window after the first answer


async def test_a_full_send_log_frees_its_oldest_place_one_service_window_after_that_answer(redis: Redis) -> None:
    """No longer than the service's 1 s (plus the clocks' margin): a window stretched with the
    configured rate (1.0526 s at 9.5/s) cost quota whenever answers were slow."""
    rl = limiter(redis, rate=9.5)
    for i in range(10):
        async with rl.sending(Slot("A", time.monotonic())):
            pass
        if i == 0:
            first_answered = time.monotonic()  # just after the oldest call's answer was logged
    admit, waits_us = rl._admit_send, []

    async def recorded(**values: object) -> object:
        waits_us.append(int(await admit(**values)))
        return waits_us[-1]

    rl._admit_send = recorded  # type: ignore[method-assign]
    since_first = time.monotonic() - first_answered  # at most the time from that answer to the ask
    async with rl.sending(Slot("A", time.monotonic())):
        pass
    assert 0 < waits_us[0] / 1e6 <= 1.005 - since_first + 0.015  # the service's 1 s and the clocks' margin
    assert waits_us[-1] == -1


async def test_senders_of_one_process_held_back_by_the_send_log_ask_it_one_at_a_time(redis: Redis) -> None:
    """Each asks again when its turn can have come, not every one of them each time a place
    frees: at most two asks each (refused once, then let through), where all asking at every
    freed place would take 4 + 4 + 3 + 2 + 1."""
    rl = limiter(redis, rate=4.0)  # 4 calls per 1 s window
    for _ in range(4):  # the window fills: one call every 0.25 s, so places free one at a time
        async with rl.calling("A"):
            pass
    admit = rl._admit_send
    asks = 0

    async def counted(**values: object) -> object:
        nonlocal asks
        asks += 1
        return await admit(**values)

    rl._admit_send = counted  # type: ignore[method-assign]
    sent: list[int] = []

    async def send(i: int) -> None:
        async with rl.sending(Slot("A", time.monotonic())):  # all due now: late wakers, say
            sent.append(i)

    await asyncio.gather(*(send(i) for i in range(4)))
    assert sorted(sent) == [0, 1, 2, 3]
    assert asks <= 2 * 4


async def test_a_call_whose_answer_was_never_logged_stops_counting_after_max_call_s(
    redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process killed mid-call never logs the answer: its call counts until it was given up."""
    rl = RateLimiter(redis, prefix="t:rl", rates={}, default_rate=1.0, penalty_s=0.0, max_call_s=1.0)

    async def killed(**_: object) -> None:
        raise ConnectionError("the process died before it could log the answer")

    monkeypatch.setattr(rl, "_answered", killed)
    start = time.monotonic()
    async with rl.calling("A"):
        pass
    monkeypatch.undo()
    async with rl.calling("A"):
        second_sent = time.monotonic()
    assert second_sent - start >= 1.0 + 0.95  # given up after 1 s, then out of the window
