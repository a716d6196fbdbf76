"""What every task needs, built once per process and passed explicitly."""

from __future__ import annotations

import random
from dataclasses import dataclass

from redis.asyncio import Redis

from imsd.backends.base import Backend
from imsd.limiter import RateLimiter, Slot
from imsd.queue import QueuedTask, TaskQueue
from imsd.records import RecordStore
from imsd.settings import Settings
from imsd.steps import Defer

__all__ = ["MAX_SLOT_WAIT_S", "REQUEST_TASK", "Services", "request_task_id"]

# One task per request moves it on, by its record's state: submit, then poll until final. It
# defers itself between steps, so a request has exactly one task queued or running at a time.
REQUEST_TASK = "advance_request"
MAX_SLOT_WAIT_S = 5.0


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
        """Reserve a send slot of `action` for the request; the caller sends inside
        `limiter.sending(slot)`.

        A slot further ahead than MAX_SLOT_WAIT_S is not held by a running task: nothing is
        reserved and the step defers the task instead, so workers never sit on long waits.
        """
        slot = await self.limiter.reserve(action, max_wait_s=MAX_SLOT_WAIT_S)
        return Defer(MAX_SLOT_WAIT_S * random.uniform(0.5, 1.0)) if slot is None else slot

    def request_task(self, request_id: str) -> QueuedTask:
        """The request's task, due now, for admission to enqueue with the record."""
        return self.queue.task(REQUEST_TASK, request_id, task_id=request_task_id(request_id))

    async def schedule(self, request_id: str, delay_s: float = 0.0) -> None:
        """Queue the request's task unless it is queued or running."""
        await self.queue.enqueue(REQUEST_TASK, request_id, task_id=request_task_id(request_id), delay_s=delay_s)
