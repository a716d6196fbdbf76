"""Leases: a job is run by one attempt at a time, and retaken within a minute if its worker dies.

A task holds a lease (a Redis key with a short TTL, refreshed while it runs). If its worker
dies the lease lapses, and any worker's reaper re-queues the task: renders are long, so
recovery cannot wait for a task timeout sized for the longest render. Both tasks are
idempotent, so running one again after a crash is always safe. A lease is only ever renewed,
released or written through by the attempt that holds it (its token), and a render that finds
its lease gone stops and leaves the job to the new owner: a worker that was merely cut off from
Redis for a while must not finish a job another worker is already rendering.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from imsd.connections import process_name
from imsd.engine.service.job_store import RUNNING_STATUSES, EngineJobStore, JobKind
from imsd.engine.service.tasks import TASKS, queue_task
from imsd.logs import get_logger
from imsd.queue import TaskQueue

__all__ = ["Lease", "LeaseHolder", "reap"]

log = get_logger(__name__)
T = TypeVar("T")


@dataclass
class Lease:
    """One attempt's hold on a job: the job as it was taken, the heartbeat keeping the lease, and
    every write to the job while it is held (through `update`, refused once the lease is lost).

    `token` (what the lease key holds) names the worker and the attempt, not just the worker: one
    worker process may run a job's first attempt and its retake side by side.
    """

    store: EngineJobStore
    job_id: str
    kind: JobKind
    worker_id: str
    attempt: str = field(default_factory=lambda: uuid.uuid4().hex)
    job: dict[str, Any] = field(init=False)
    heartbeat: asyncio.Task[None] = field(init=False)
    _writes: set[asyncio.Task[bool]] = field(init=False, default_factory=set)

    @property
    def token(self) -> str:
        return f"{self.worker_id}/{self.attempt}"

    async def update(self, **fields: Any) -> bool:
        """Write `fields` to the job if this attempt still holds the lease; False (nothing written) if not."""
        return await self.store.update_if_leased(self.job_id, self.token, self.kind, **fields)

    def update_later(self, **fields: Any) -> None:
        """Start an `update` without waiting for it: progress must not hold up the render.

        The set keeps each write until it is done (the event loop holds tasks only weakly), so
        `guard` can wait for them and a failed one is logged rather than lost.
        """
        task = asyncio.create_task(self.update(**fields))
        self._writes.add(task)
        task.add_done_callback(self._written)

    def _written(self, task: asyncio.Task[bool]) -> None:
        self._writes.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("background write failed", job_id=self.job_id, error=repr(task.exception()))

    async def guard(self, work: Coroutine[Any, Any, T]) -> T | None:
        """`work`'s result; None if the lease was lost first, and `work` is then cancelled.

        Returns only once the writes `work` started are done too, so the caller's final write
        lands last: a progress write arriving after it would set Progress back below 100.
        They are awaited, not cancelled: a cancelled command may already be on its way to Redis.
        """
        task = asyncio.create_task(work)
        try:
            # The heartbeat ends only when the lease is lost.
            await asyncio.wait({task, self.heartbeat}, return_when=asyncio.FIRST_COMPLETED)
            return task.result() if task.done() else None
        finally:
            task.cancel()  # a no-op once it is done; else it stops ffmpeg and removes the attempt's files
            await asyncio.wait({task})
            if self._writes:
                await asyncio.wait(set(self._writes))


class LeaseHolder:
    """A worker process that runs jobs only under a lease of `lease_s` seconds (the engine worker)."""

    def __init__(self, store: EngineJobStore, lease_s: float) -> None:
        self.store = store
        self.lease_s = lease_s
        self.worker_id = process_name()

    @contextlib.asynccontextmanager
    async def _leased(self, job_id: str, kind: JobKind) -> AsyncIterator[Lease | None]:
        """The job while this attempt holds its lease; None if another worker has it or it is done."""
        lease = Lease(self.store, job_id, kind, self.worker_id)
        if not await self.store.acquire_lease(job_id, lease.token, self.lease_s):
            yield None  # another live worker has it
            return
        lease.heartbeat = asyncio.create_task(self._keep_lease(job_id, lease.token))
        try:
            job = await self.store.get(job_id, kind)
            if job is None or job.get("Status") not in RUNNING_STATUSES:
                yield None
                return
            await self.store.mark_running(job_id, kind)
            lease.job = job
            yield lease
        finally:
            lease.heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await lease.heartbeat
            # Owner-checked: after a takeover the lease and the running mark are the new owner's.
            await self.store.release_lease(job_id, kind, lease.token)

    async def _keep_lease(self, job_id: str, token: str) -> None:
        """Renew the lease until cancelled; returns only when the lease is lost.

        Any error (Redis, network or a bug) is retried at the next beat rather than ending the
        heartbeat: the lease outlives two missed renewals, and an ended heartbeat reads as a lost
        lease, so the render would be abandoned and its release would drop the running mark the
        reaper needs to retake the job, leaving it Processing for good.
        """
        while True:
            await asyncio.sleep(self.lease_s / 3)
            try:
                if not await self.store.renew_lease(job_id, token, self.lease_s):
                    log.warning("lease lost", job_id=job_id)
                    return
            except Exception as exc:  # any failure is retried: only a lost lease ends the heartbeat
                log.warning("lease renewal failed; retrying", job_id=job_id, error=repr(exc))


async def reap(store: EngineJobStore, queue: TaskQueue) -> int:
    """Re-queue the tasks whose worker died (a running job whose lease lapsed); returns how many."""
    retaken = 0
    for kind, task in TASKS.items():
        for job_id in await store.running(kind):
            if await store.redis.exists(store.lease_key(job_id)):
                continue
            job = await store.get(job_id, kind)
            if job is None or job.get("Status") not in RUNNING_STATUSES:
                await store.mark_done(job_id, kind)
                continue
            attempt = int(job.get("_attempts", 0))
            if await queue_task(queue, kind, job_id, attempt):
                retaken += 1
                log.warning("task re-queued after its worker died", task=task, job_id=job_id, attempt=attempt)
    return retaken
