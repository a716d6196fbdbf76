"""What every task needs, built once per process and passed explicitly."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from redis.asyncio import Redis

from imsd import metrics
from imsd.backends.base import Backend, JobSnapshot, JobState
from imsd.envelope import params_to_send
from imsd.errors import ImsError
from imsd.limiter import RateLimiter, Slot
from imsd.logs import get_logger
from imsd.pipeline import Pipeline, next_stage, stage_error, stage_token
from imsd.queue import Later, QueuedTask, TaskQueue
from imsd.records import Record, RecordStore, State
from imsd.results import result_document
from imsd.settings import Settings

log = get_logger("imsd")

# One task per request moves it on, by its record's state: submit, then poll until final. It
# defers itself between steps, so a request has exactly one task queued or running at a time.
REQUEST_TASK = "advance_request"
MAX_SLOT_WAIT_S = 5.0
#: The record's count of submit attempts of its current stage, held against submit.max_attempts;
#: `attempts` goes on counting every stage's, for the result.
STAGE_ATTEMPTS = "stage_attempts"

_FINAL_STATE = {
    JobState.SUCCEEDED: State.SUCCEEDED,
    JobState.PARTIAL: State.PARTIAL,
    JobState.FAILED: State.FAILED,
}


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

        A killed worker's task is re-run by arq after its timeout + 10 s; the sweeper only steps
        in beyond that.
        """
        return self.settings.worker.task_timeout_s + 30.0

    async def defer(self, request_id: str, delay_s: float, add: Mapping[str, int] | None = None) -> NoReturn:
        """Run the current task again in `delay_s`, keeping the sweeper's deadline ahead of it.

        `add`: counters of what this run did, recorded in the same step.
        """
        await self.store.transition(request_id, due=time.time() + delay_s + self.stall_margin_s(), add=add)
        raise Later(delay_s)

    async def reserve_slot(self, request_id: str, action: str) -> Slot:
        """Reserve a send slot of `action`; the caller awaits `limiter.wait(slot)`, then sends.

        A slot further ahead than MAX_SLOT_WAIT_S is not held by a running task: the task is
        deferred instead (raises Later), so workers never sit on long waits.
        """
        slot = await self.limiter.reserve(action, max_wait_s=MAX_SLOT_WAIT_S)
        if slot is None:
            await self.defer(request_id, MAX_SLOT_WAIT_S * random.uniform(0.5, 1.0))
        return slot

    def request_task(self, request_id: str) -> QueuedTask:
        """The request's task, due now, for admission to enqueue with the record."""
        return self.queue.task(REQUEST_TASK, request_id, task_id=request_task_id(request_id))

    async def schedule(self, request_id: str, delay_s: float = 0.0) -> None:
        """Queue the request's task unless it is queued or running."""
        await self.queue.enqueue(REQUEST_TASK, request_id, task_id=request_task_id(request_id), delay_s=delay_s)

    async def finish(
        self,
        record: Record,
        *,
        snapshot: JobSnapshot | None = None,
        error: ImsError | None = None,
        add: Mapping[str, int] | None = None,
    ) -> bool:
        """Publish the request's one result and make its record final (a no-op if it already is).

        A pipeline whose stage succeeded moves on to its next stage instead, if it has one.
        `record` is as the task read it; the result's counters come from the record as it is
        when it becomes final (after adding `add`), not from this copy.
        """
        now = time.time()
        pipeline = record.pipeline
        if pipeline is not None and error is None and snapshot is not None and snapshot.state is not JobState.FAILED:
            try:
                following = next_stage(pipeline, record.params, snapshot)
            except ImsError as stage_failure:  # names its stage already
                return await self._publish(record, self._result(record, snapshot, stage_failure, now), add)
            if following is not None:
                await self._start_stage(record, pipeline, following, add)
        final = self.final_result(record, snapshot=snapshot, error=error, finished_at=now)
        return await self._publish(record, final, add)

    def final_result(
        self,
        record: Record,
        *,
        snapshot: JobSnapshot | None = None,
        error: ImsError | None = None,
        finished_at: float,
    ) -> tuple[State, dict[str, Any]]:
        """The state a request ends in and its result, but for the counters (finishing adds them).

        It FAILED if `error` (what failed it, other than its job) is given or its job (`snapshot`)
        did; a pipeline's failure names the stage it happened in. Intake makes an invalid request's
        here too, so that it reads like any other.
        """
        job_failed = snapshot is not None and snapshot.state is JobState.FAILED
        if record.pipeline is not None and (error is not None or job_failed):
            error = stage_error(record.pipeline, error or _snapshot_error(snapshot))
        return self._result(record, snapshot, error, finished_at)

    def _result(
        self, record: Record, snapshot: JobSnapshot | None, error: ImsError | None, finished_at: float
    ) -> tuple[State, dict[str, Any]]:
        """`final_result` of an `error` that is the request's as it stands (names its stage already)."""
        state = _FINAL_STATE[snapshot.state] if snapshot and not error else State.FAILED
        result = result_document(
            record, backend=self.backend.name, state=state, snapshot=snapshot, error=error, finished_at=finished_at
        )
        return state, result

    async def _publish(
        self, record: Record, final: tuple[State, dict[str, Any]], add: Mapping[str, int] | None
    ) -> bool:
        """Make the record final with `final` (its state and result) unless it is; whether it was made."""
        state, result = final
        done = await self.store.finish(record.request_id, state, result, add=add)
        if done:
            result_emitted(record, result)
        return done

    async def _start_stage(
        self, record: Record, pipeline: Pipeline, params: dict[str, Any], add: Mapping[str, int] | None
    ) -> NoReturn:
        """Move a pipeline request on to its next stage and run the task again at once.

        One transition sets the stage's API, params and ClientToken, makes the record RECEIVED
        again and records `add` (what the finished stage's last run did, e.g. its final poll),
        so a crash at any point resumes either the finished stage (read once more, then advanced
        again) or the new one. The new stage starts its own count of submit attempts.
        """
        request_id = record.request_id
        token = stage_token(record.client_token, pipeline.stage)
        sent = params_to_send(params, request_id, token, self.settings.notify_address())
        await self.store.transition(
            request_id,
            due=time.time() + self.stall_margin_s(),
            api=pipeline.api.value,
            params=json.dumps(sent, separators=(",", ":"), ensure_ascii=False),
            client_token=token,
            state=State.RECEIVED.value,
            job_id="",
            submit_started_at="",
            submitted_at="",
            pipeline=pipeline.to_json(),
            add=add,
            **{STAGE_ATTEMPTS: "0"},
        )
        log.info("pipeline stage", request_id=request_id, stage=pipeline.stage + 1, api=pipeline.api.value)
        raise Later(0.0)


def result_emitted(record: Record, result: dict[str, Any]) -> None:
    """Count and log a request's one result, once it is published (by finishing or at admission)."""
    metrics.results.labels(result["status"]).inc()
    metrics.end_to_end.labels(record.api).observe(time.time() - record.received_at)
    log.info(
        "result emitted",
        request_id=record.request_id,
        job_id=result["job_id"],
        status=result["status"],
        error_code=result["error_code"],
    )


def _snapshot_error(snapshot: JobSnapshot | None) -> ImsError:
    assert snapshot is not None
    return ImsError(snapshot.error_code or "ProduceFailed", snapshot.error_message or f"job {snapshot.status}")
