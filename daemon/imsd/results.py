"""A request's ending: its one result, and the step that publishes it or starts the next stage.

Exactly one result per request reaches the results stream. `finish` decides what a request ends
in and publishes it as its record becomes final (one script, RecordStore.finish), or moves a
pipeline on to its next stage instead; `result_emitted` counts and logs each result published,
here or at admission (an invalid request's).

The result document's field names are snake_case and stable; consumers match results to
requests by `request_id`. `status` is SUCCEEDED, PARTIAL (a batch with some outputs failed),
FAILED, or REJECTED (a message refused before it owned a record: unparseable, or reusing a
request_id with other params; a REJECTED result never replaces the request's own result).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from imsd import metrics
from imsd.api.jobs import JobSnapshot, JobState
from imsd.api.wire import compact_json
from imsd.context import Services
from imsd.envelope import params_to_send
from imsd.errors import ImsError
from imsd.logs import get_logger
from imsd.pipeline import PIPELINE_API, Pipeline, next_stage, stage_error, stage_token
from imsd.records import STAGE_ATTEMPTS, Record, State
from imsd.steps import Next, Requeue, Step

log = get_logger(__name__)

__all__ = ["final_result", "finish", "rejection_document", "result_document", "result_emitted"]

_FINAL_STATE = {
    JobState.SUCCEEDED: State.SUCCEEDED,
    JobState.PARTIAL: State.PARTIAL,
    JobState.FAILED: State.FAILED,
}


async def finish(
    svc: Services,
    record: Record,
    *,
    snapshot: JobSnapshot | None = None,
    error: ImsError | None = None,
    add: Mapping[str, int] | None = None,
) -> Step:
    """Publish the request's one result and make its record final (nothing if it already is).

    A pipeline whose stage succeeded moves on to its next stage instead, if it has one, and its
    task runs again at once (Requeue); otherwise the task is done. `record` is as the task read
    it; the result's counters come from the record as it is when it becomes final (after adding
    `add`), not from this copy.
    """
    now = time.time()
    backend = svc.backend.name
    pipeline = record.pipeline
    if pipeline is not None and error is None and snapshot is not None and snapshot.state is not JobState.FAILED:
        try:
            following = next_stage(pipeline, record.params, snapshot)
        except ImsError as stage_failure:  # names its stage already
            return await _publish(svc, record, _result(record, backend, snapshot, stage_failure, now), add)
        if following is not None:
            return await _start_stage(svc, record, pipeline, following, add)
    final = final_result(record, backend=backend, snapshot=snapshot, error=error, finished_at=now)
    return await _publish(svc, record, final, add)


def final_result(
    record: Record,
    *,
    backend: str,
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
    return _result(record, backend, snapshot, error, finished_at)


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


def iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def result_document(
    record: Record,
    *,
    backend: str,
    state: State,
    snapshot: JobSnapshot | None = None,
    error: ImsError | None = None,
    finished_at: float,
) -> dict[str, Any]:
    """The result of a request whose record reached `state`, but for its counts.

    The counts (attempts, throttles, polls, duplicates) are added by RecordStore.finish from the
    record itself, in the step that makes it final.
    """
    code = error.code if error else (snapshot.error_code if snapshot else None)
    message = error.message if error else (snapshot.error_message if snapshot else None)
    document = {
        "request_id": record.request_id,
        "api": PIPELINE_API if record.pipeline else record.api,
        "backend": backend,
        "job_id": record.job_id or (snapshot.job_id if snapshot else None),
        "status": state.value,
        "job_status": snapshot.status if snapshot else None,
        "outputs": [o.as_dict() for o in snapshot.outputs] if snapshot else [],
        "extend_output": snapshot.extend_output if snapshot else None,
        "error_code": code,
        "error_message": message,
        "received_at": iso(record.received_at),
        "submitted_at": iso(record.submitted_at),
        "finished_at": iso(finished_at),
        "meta": record.meta,
    }
    if snapshot and snapshot.notes:
        # Remarks on a batch job as a whole (Extend.Notes), e.g. fewer outputs made than asked.
        document["notes"] = list(snapshot.notes)
    if record.pipeline is not None:
        document["stages"] = record.pipeline.stages(record.job_id, state.value)
    return document


def rejection_document(
    *, request_id: str | None, api: str | None, entry_id: str, error: ImsError, now: float
) -> dict[str, Any]:
    """The result of a stream entry refused without a record of its own."""
    return {
        "request_id": request_id,
        "api": api,
        "backend": None,
        "job_id": None,
        "status": "REJECTED",
        "outputs": [],
        "error_code": error.code,
        "error_message": error.message,
        "entry_id": entry_id,
        "finished_at": iso(now),
    }


def _result(
    record: Record, backend: str, snapshot: JobSnapshot | None, error: ImsError | None, finished_at: float
) -> tuple[State, dict[str, Any]]:
    """`final_result` of an `error` that is the request's as it stands (names its stage already)."""
    state = _FINAL_STATE[snapshot.state] if snapshot and not error else State.FAILED
    result = result_document(
        record, backend=backend, state=state, snapshot=snapshot, error=error, finished_at=finished_at
    )
    return state, result


async def _publish(
    svc: Services, record: Record, final: tuple[State, dict[str, Any]], add: Mapping[str, int] | None
) -> Step:
    """Make the record final with `final` (its state and result) unless it is; the task is done."""
    state, result = final
    if await svc.store.finish(record.request_id, state, result, add=add):
        result_emitted(record, result)
    return Next.DONE


async def _start_stage(
    svc: Services, record: Record, pipeline: Pipeline, params: dict[str, Any], add: Mapping[str, int] | None
) -> Step:
    """Move a pipeline request on to its next stage, for its task to run again at once.

    One transition sets the stage's API, params and ClientToken, makes the record RECEIVED
    again and records `add` (what the finished stage's last run did, e.g. its final poll),
    so a crash at any point resumes either the finished stage (read once more, then advanced
    again) or the new one. The new stage starts its own count of submit attempts.
    """
    request_id = record.request_id
    token = stage_token(record.client_token, pipeline.stage)
    sent = params_to_send(pipeline.api, params, request_id, token, svc.settings.notify_address())
    await svc.store.transition(
        request_id,
        due=time.time() + svc.stall_margin_s(),
        api=pipeline.api.value,
        params=compact_json(sent),
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
    return Requeue(0.0)


def _snapshot_error(snapshot: JobSnapshot | None) -> ImsError:
    assert snapshot is not None
    return ImsError(snapshot.error_code or "ProduceFailed", snapshot.error_message or f"job {snapshot.status}")
