"""What every task needs, built once per process and passed explicitly."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import NoReturn

from redis.asyncio import Redis

from imsd import metrics
from imsd.backends.base import Backend, JobSnapshot, JobState
from imsd.errors import ImsError
from imsd.limiter import RateLimiter
from imsd.logs import get_logger
from imsd.queue import Later, TaskQueue
from imsd.records import RecordStore, State
from imsd.results import result_document
from imsd.settings import Settings

log = get_logger("imsd")

SUBMIT_TASK = "submit_request"
MAX_SLOT_WAIT_S = 5.0
TRACK_TASK = "track_job"

_FINAL_STATE = {
    JobState.SUCCEEDED: State.SUCCEEDED,
    JobState.PARTIAL: State.PARTIAL,
    JobState.FAILED: State.FAILED,
}


def submit_task_id(request_id: str) -> str:
    return f"submit:{request_id}"


def track_task_id(request_id: str) -> str:
    return f"track:{request_id}"


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

        A killed worker's task is re-run by arq after its timeout + 10 s; the sweeper only steps
        in beyond that.
        """
        return self.settings.worker.task_timeout_s + 30.0

    async def defer(self, request_id: str, delay_s: float) -> NoReturn:
        """Run the current task again in `delay_s`, keeping the sweeper's deadline ahead of it."""
        await self.store.transition(request_id, due=time.time() + delay_s + self.stall_margin_s())
        raise Later(delay_s)

    async def take_slot(self, request_id: str, action: str, counter: str) -> int:
        """Wait for a send slot of `action` and count the attempt in `counter`; returns the count.

        A slot further ahead than MAX_SLOT_WAIT_S is not held by a running task: the task is
        deferred instead (raises Later), so workers never sit on long waits.
        """
        slot = await self.limiter.reserve(action, max_wait_s=MAX_SLOT_WAIT_S)
        if slot is None:
            await self.defer(request_id, MAX_SLOT_WAIT_S * random.uniform(0.5, 1.0))
        count = await self.store.count(request_id, counter)
        await self.limiter.wait(slot)
        return count

    async def schedule_submit(self, request_id: str, delay_s: float = 0.0) -> None:
        await self.queue.enqueue(SUBMIT_TASK, request_id, task_id=submit_task_id(request_id), delay_s=delay_s)

    async def schedule_track(self, request_id: str, delay_s: float) -> None:
        await self.queue.enqueue(TRACK_TASK, request_id, task_id=track_task_id(request_id), delay_s=delay_s)

    async def finish(
        self,
        request_id: str,
        *,
        snapshot: JobSnapshot | None = None,
        error: ImsError | None = None,
    ) -> bool:
        """Publish the request's one result and make its record final (a no-op if it already is)."""
        record = await self.store.get(request_id)
        if record is None or record.state.final:
            return False
        state = _FINAL_STATE[snapshot.state] if snapshot and not error else State.FAILED
        now = time.time()
        result = result_document(
            record,
            backend=self.backend.name,
            state=state,
            snapshot=snapshot,
            error=error,
            finished_at=now,
        )
        done = await self.store.finish(request_id, state, result)
        if done:
            metrics.results.labels(state.value).inc()
            metrics.end_to_end.labels(record.api).observe(now - record.received_at)
            log.info(
                "result emitted",
                request_id=request_id,
                job_id=result["job_id"],
                status=state.value,
                error_code=result["error_code"],
            )
        return done
