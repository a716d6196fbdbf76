"""What every task needs, built once per process and passed explicitly."""

from __future__ import annotations

import random
from dataclasses import dataclass

from redis.asyncio import Redis

from imsd.backends.base import Backend
from imsd.limiter import Booked, RateLimiter, Slot
from imsd.queue import QueuedTask, TaskQueue
from imsd.records import RecordStore
from imsd.settings import Settings
from imsd.steps import Defer

__all__ = ["MAX_BOOK_AHEAD_S", "MAX_SLOT_WAIT_S", "REQUEST_TASK", "SLOT_LEAD_S", "Services", "request_task_id"]

# One task per request moves it on, by its record's state: submit, then poll until final. It
# defers itself between steps, so a request has exactly one task queued or running at a time.
REQUEST_TASK = "advance_request"
#: The longest a running task waits in memory for its send slot. What tasks hold in memory is lost
#: with a killed process (a hole in the shared schedule), so they hold only slots this close.
MAX_SLOT_WAIT_S = 1.0
#: A task whose slot is further away is deferred until this long before it, leaving the slot
#: booked in Redis; the lead covers the queue's pick-up delay, so the slot is met on time.
SLOT_LEAD_S = 0.5
#: How far ahead a slot is booked at most. Beyond it nothing is booked and the task is deferred by
#: half to all of this: while the schedule is booked this far ahead, a task coming back any
#: sooner would only be refused again, at the cost of a task run.
MAX_BOOK_AHEAD_S = 30.0


def request_task_id(request_id: str) -> str:
    return f"request:{request_id}"


@dataclass
class Services:
    settings: Settings
    redis: Redis
    store: RecordStore
    limiter: RateLimiter
    backend: Backend
    queue: TaskQueue

    def stall_margin_s(self) -> float:
        """How long past a task's planned time the sweeper waits before assuming it lost.

        A task runs at most its timeout, and a killed worker's runs again within the queue's
        in-progress lease (queue.IN_PROGRESS_LEASE_S); the sweeper only steps in beyond both.
        """
        return self.settings.worker.task_timeout_s + 30.0

    async def reserve_slot(self, request_id: str, action: str) -> Slot | Defer:
        """The request's send slot of `action`; the caller sends inside `limiter.sending(slot)`.

        A slot further ahead than MAX_SLOT_WAIT_S is not held by a running task: it is booked for
        the request in Redis and the task deferred to SLOT_LEAD_S before it, when any process's
        worker claims it (reserving again claims the booking). A killed process so loses only
        the slots its tasks were about to send in, not everything booked ahead. Beyond
        MAX_BOOK_AHEAD_S, nothing is booked and the task comes back later.
        """
        slot = await self.limiter.book(action, request_id, max_wait_s=MAX_SLOT_WAIT_S, book_ahead_s=MAX_BOOK_AHEAD_S)
        if slot is None:
            return Defer(MAX_BOOK_AHEAD_S * random.uniform(0.5, 1.0))
        if isinstance(slot, Booked):
            return Defer(max(0.0, slot.wait_s - SLOT_LEAD_S))
        return slot

    def request_task(self, request_id: str) -> QueuedTask:
        """The request's task, due now, for admission to enqueue with the record."""
        return self.queue.task(REQUEST_TASK, request_id, task_id=request_task_id(request_id))

    async def schedule(self, request_id: str, delay_s: float = 0.0) -> None:
        """Queue the request's task unless it is queued or running."""
        await self.queue.enqueue(REQUEST_TASK, request_id, task_id=request_task_id(request_id), delay_s=delay_s)
