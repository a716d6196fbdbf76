"""Submitting: one rate-limited, idempotent submit attempt of one request per task run.

Every attempt reuses the ClientToken written to the record at intake, so a retry after a
timeout can never create a second job. A wait (rate-limit slot far ahead, backoff) is a
deferral of the task, not a sleep, so tasks stay short and a crash is recovered quickly. Once
submitted, the same task defers itself to the first poll, or polls at once when that is due now.
"""

from __future__ import annotations

import random
import time

from imsd import metrics
from imsd.api.wire import Api
from imsd.backends.base import Submission
from imsd.context import STAGE_ATTEMPTS, Services, log
from imsd.errors import Disposition, ImsError
from imsd.queue import Later
from imsd.records import Record, State

#: One submit attempt: counted in the request's total (reported) and in its stage's own count
#: (held against max_attempts, and reset when a pipeline moves on to its next stage).
_ATTEMPT = {"attempts": 1, STAGE_ATTEMPTS: 1}


def backoff_s(attempt: int, base_s: float, max_s: float) -> float:
    """Exponential backoff with full jitter (AWS architecture blog's recommendation)."""
    return random.uniform(0, min(max_s, base_s * 2 ** max(0, attempt - 1)))


async def submit_request(svc: Services, record: Record) -> None:
    """One submit attempt of a RECEIVED or SUBMITTING record.

    A submit left unanswered past the reconcile window is first looked up at the service (see
    `_reconcile`). The look-up belongs to the attempt: its errors are retried, and end the
    request, exactly as the submit's own, so a List* error that never clears still ends in a
    result instead of a task that fails on every sweep.
    """
    request_id = record.request_id
    api = Api(record.api)
    now = time.time()
    started = record.submit_started_at
    stale = started is not None and now - started > svc.settings.submit.reconcile_after_s
    # The slot is booked first so its wait overlaps the bookkeeping below; a stale submit books
    # it after the look-up, which may find the job (no submit at all) or take a while (paced pages).
    slot = None if stale else await svc.reserve_slot(request_id, api.value)
    # The token was written at intake; submit_started_at marks when its attempts began. The
    # attempt is counted before anything is sent, so a crash loop cannot resend without bound.
    fields = {"state": State.SUBMITTING.value}
    if record.state is State.RECEIVED:
        fields["submit_started_at"] = repr(now)
        record.submit_started_at = now
    counted = await svc.store.transition(request_id, due=now + svc.stall_margin_s(), add=_ATTEMPT, **fields)
    if counted is None:
        return  # final meanwhile
    attempt = dict(zip(_ATTEMPT, counted, strict=True))[STAGE_ATTEMPTS]  # each stage gets max_attempts
    if slot is None:
        try:
            if await _reconcile(svc, record, api, now):
                return
        except ImsError as error:
            await _on_submit_error(svc, record, api.list_action, attempt, error)
            return
        slot = await svc.reserve_slot(request_id, api.value)
    await svc.limiter.wait(slot)
    try:
        submission = await svc.backend.submit(api, record.params, record.client_token)
    except ImsError as error:
        await _on_submit_error(svc, record, api.value, attempt, error)
        return
    metrics.submits.labels(api.value, "ok").inc()
    await mark_submitted(svc, record, submission)


async def mark_submitted(svc: Services, record: Record, submission: Submission) -> None:
    """Record the job, then defer the task to its first poll (raises Later).

    Returns with `record` SUBMITTED when the first poll is due at once, for the caller to poll
    in this run, and unchanged if the record is final.
    """
    request_id = record.request_id
    first_poll = svc.settings.tracking.first_poll_s
    now = time.time()
    moved = await svc.store.transition(
        request_id,
        due=now + first_poll + svc.stall_margin_s(),
        bind_job=submission.job_id,
        state=State.SUBMITTED.value,
        job_id=submission.job_id,
        submitted_at=repr(now),
    )
    if moved is None:
        return
    log.info("submitted", request_id=request_id, job_id=submission.job_id)
    if first_poll > 0:
        raise Later(first_poll)
    record.state, record.job_id, record.submitted_at = State.SUBMITTED, submission.job_id, now


async def _on_submit_error(svc: Services, record: Record, action: str, attempt: int, error: ImsError) -> None:
    """Retry a failed `action` of this attempt with backoff, or end the request with the error."""
    request_id = record.request_id
    disposition = error.disposition
    metrics.submits.labels(record.api, disposition.value).inc()
    if disposition is Disposition.THROTTLED:
        # Not an attempt: the service refused before looking at the request.
        await svc.limiter.penalize(action)
        uncounted = {name: -count for name, count in _ATTEMPT.items()}
        await svc.defer(request_id, random.uniform(0.0, 0.5), add={**uncounted, "throttles": 1})
    if disposition is Disposition.RETRYABLE and attempt < svc.settings.submit.max_attempts:
        delay = backoff_s(attempt, svc.settings.submit.backoff_base_s, svc.settings.submit.backoff_max_s)
        log.warning(
            "submit retry",
            request_id=request_id,
            action=action,
            attempt=attempt,
            code=error.code,
            delay_s=round(delay, 3),
        )
        await svc.defer(request_id, delay)
    log.warning(
        "submit failed", request_id=request_id, action=action, attempt=attempt, code=error.code, message=error.message
    )
    await svc.finish(record, error=error)


async def _reconcile(svc: Services, record: Record, api: Api, now: float) -> bool:
    """A submit whose outcome was lost long ago: find the job it may have created before resending.

    The token's retention at the service is undocumented, so past the configured window a resend
    with the same token is not trusted to deduplicate. True if the record is done with
    submitting (the job was found, or the record is final); otherwise the token's window
    restarts at `now`, for the resend. Raises the look-up's ImsError, its message naming the call.
    """
    assert record.submit_started_at is not None
    try:
        job_id = await svc.backend.find_job(api, record.request_id, record.submit_started_at, svc.limiter.acquire)
    except ImsError as error:
        where = f"{api.list_action} (looking up a submit whose reply was lost)"
        raise ImsError(error.code, f"{where}: {error.message}", error.http_status) from None
    log.info("reconciled", request_id=record.request_id, found_job_id=job_id)
    if job_id is not None:
        await mark_submitted(svc, record, Submission(job_id=job_id))
        return True
    # Restarted only now that the look-up is done: one that failed must be made again before
    # any resend, however often the attempt is retried.
    restarted = await svc.store.transition(
        record.request_id, due=time.time() + svc.stall_margin_s(), submit_started_at=repr(now)
    )
    record.submit_started_at = now
    return restarted is None
