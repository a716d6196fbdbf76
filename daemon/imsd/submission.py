"""Submitting: one rate-limited, idempotent submit attempt of one request per task run.

Every attempt reuses the ClientToken written to the record at intake, so a retry after a
timeout can never create a second job. The Scene APIs take no ClientToken
(`Api.takes_client_token`): before any resend of theirs, the job an earlier attempt may have
created is looked up (`_reconcile`). A wait (rate-limit slot far ahead, backoff) is a
deferral of the task, not a sleep, so tasks stay short and a crash is recovered quickly. Once
submitted, the same task defers itself to the first poll, or polls at once when that is due now.
Each of these is the step's return value (steps.py), for the request task to act on.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable
from typing import TypeVar

from imsd import metrics
from imsd.api.jobs import Submission
from imsd.api.wire import Api
from imsd.context import Services
from imsd.errors import Disposition, ImsError
from imsd.logs import get_logger
from imsd.records import STAGE_ATTEMPTS, Record, State
from imsd.results import finish
from imsd.steps import Defer, Next, Requeue, Step

__all__ = ["backoff_s", "mark_submitted", "submit_request"]

log = get_logger(__name__)
T = TypeVar("T")

#: One submit attempt: counted in the request's total (reported) and in its stage's own count
#: (held against max_attempts, and reset when a pipeline moves on to its next stage).
_ATTEMPT = {"attempts": 1, STAGE_ATTEMPTS: 1}


def backoff_s(attempt: int, base_s: float, max_s: float) -> float:
    """Exponential backoff with full jitter (AWS architecture blog's recommendation)."""
    return random.uniform(0, min(max_s, base_s * 2 ** max(0, attempt - 1)))


async def submit_request(svc: Services, record: Record) -> Step:
    """One submit attempt of a RECEIVED or SUBMITTING record; returns what the task does next.

    A submit left unanswered past the reconcile window, or any resend of an API without a
    ClientToken, is first looked up at the service (see `_reconcile`). The look-up belongs to
    the attempt: its errors are retried, and end the request, exactly as the submit's own, so a
    List* error that never clears still ends in a result instead of a task that fails on every
    sweep.
    """
    request_id = record.request_id
    api = Api(record.api)
    now = time.time()
    started = record.submit_started_at
    if api.takes_client_token:  # a resend is deduplicated by the service while it keeps the token
        look_up = started is not None and now - started > svc.settings.submit.reconcile_after_s
    else:  # an earlier attempt's outcome is unknown: nothing deduplicates a resend
        look_up = record.stage_attempts > 0
    # The slot is booked first so its wait overlaps the bookkeeping below; a look-up books it
    # afterwards, as it may find the job (no submit at all) or take a while (paced pages).
    slot = None if look_up else await svc.reserve_slot(request_id, api.value)
    if isinstance(slot, Defer):
        return slot
    # The token was written at intake; submit_started_at marks when its attempts began. The
    # attempt is counted before anything is sent, so a crash loop cannot resend without bound.
    fields = {"state": State.SUBMITTING.value}
    if record.state is State.RECEIVED:
        fields["submit_started_at"] = repr(now)
        record.submit_started_at = now
    counted = await svc.store.transition(request_id, due=now + svc.stall_margin_s(), add=_ATTEMPT, **fields)
    if counted is None:
        return Next.DONE  # final meanwhile
    attempt = dict(zip(_ATTEMPT, counted, strict=True))[STAGE_ATTEMPTS]  # each stage gets max_attempts
    if attempt > svc.settings.submit.max_attempts:
        # Earlier attempts ended without an answer to act on (their process was killed while
        # sending): the bound holds however they ended.
        exhausted = ImsError("InternalError", f"{api.value}: no answer after {attempt - 1} attempts")
        return await finish(svc, record, error=exhausted)
    if slot is None:
        reconciled = await _answer_of(api.list_action, _reconcile(svc, record, api, now))
        if isinstance(reconciled, ImsError):
            return await _on_submit_error(svc, record, api.list_action, attempt, reconciled)
        if reconciled is not None:
            return reconciled
        slot = await svc.reserve_slot(request_id, api.value)
        if isinstance(slot, Defer):
            return slot
    token = record.client_token if api.takes_client_token else None
    async with svc.limiter.sending(slot):
        submission = await _answer_of(api.value, svc.backend.submit(api, record.params, token))
    if isinstance(submission, ImsError):
        return await _on_submit_error(svc, record, api.value, attempt, submission)
    metrics.submits.labels(api.value, "ok").inc()
    return await mark_submitted(svc, record, submission)


async def mark_submitted(svc: Services, record: Record, submission: Submission) -> Step:
    """Record the job; the task's next step is its first poll.

    Later (Requeue: the transition set the due time) or, when it is due at once, in this run
    (POLL, with `record` now SUBMITTED). DONE, `record` unchanged, if the record is final.
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
        return Next.DONE
    log.info("submitted", request_id=request_id, job_id=submission.job_id)
    if first_poll > 0:
        return Requeue(first_poll)
    record.state, record.job_id, record.submitted_at = State.SUBMITTED, submission.job_id, now
    return Next.POLL


async def _on_submit_error(svc: Services, record: Record, action: str, attempt: int, error: ImsError) -> Step:
    """Retry a failed `action` of this attempt with backoff, or end the request with the error."""
    request_id = record.request_id
    disposition = error.disposition
    metrics.submits.labels(record.api, disposition.value).inc()
    if disposition is Disposition.THROTTLED:
        # Not an attempt: the service refused before looking at the request.
        await svc.limiter.penalize(action, error.retry_after_s)
        uncounted = {name: -count for name, count in _ATTEMPT.items()}
        return Defer(max(random.uniform(0.0, 0.5), error.retry_after_s), add={**uncounted, "throttles": 1})
    if disposition is Disposition.RETRYABLE and attempt < svc.settings.submit.max_attempts:
        backoff = backoff_s(attempt, svc.settings.submit.backoff_base_s, svc.settings.submit.backoff_max_s)
        delay = max(backoff, error.retry_after_s)
        log.warning(
            "submit retry",
            request_id=request_id,
            action=action,
            attempt=attempt,
            code=error.code,
            delay_s=round(delay, 3),
        )
        return Defer(delay)
    log.warning(
        "submit failed", request_id=request_id, action=action, attempt=attempt, code=error.code, message=error.message
    )
    return await finish(svc, record, error=error)


async def _answer_of(action: str, call: Awaitable[T]) -> T | ImsError:
    """What a backend call of `action` answered, or the ImsError it raised.

    Any other exception is a bug, not an answer: it becomes a retryable InternalError (retried
    like a lost reply, then failed), its type naming it; its text (which may hold server paths)
    goes to the log only.
    """
    try:
        return await call
    except ImsError as error:
        return error
    except Exception as error:
        log.error("backend raised", action=action, error=repr(error), exc_info=error)
        return ImsError("InternalError", f"{action} failed inside the backend ({type(error).__name__})")


async def _reconcile(svc: Services, record: Record, api: Api, now: float) -> Step | None:
    """A submit whose outcome was lost: find the job it may have created before resending.

    For an API without a ClientToken, any lost outcome; for one with, only one lost long ago:
    the token's retention at the service is undocumented, so past the configured window a resend
    with the same token is not trusted to deduplicate. The task's next step if the record is
    done with submitting (the job was found, or the record is final); otherwise None, and the
    token's window restarts at `now`, for the resend (without a token, the next look-up still
    starts from the first attempt). Raises the look-up's ImsError, its message naming the call.
    """
    assert record.submit_started_at is not None
    try:
        job_id = await svc.backend.find_job(api, record.request_id, record.submit_started_at, svc.limiter.calling)
    except ImsError as error:
        where = f"{api.list_action} (looking up a submit whose reply was lost)"
        raise ImsError(error.code, f"{where}: {error.message}", error.http_status) from None
    log.info("reconciled", request_id=record.request_id, found_job_id=job_id)
    if job_id is not None:
        return await mark_submitted(svc, record, Submission(job_id=job_id))
    if not api.takes_client_token:
        return None
    # Restarted only now that the look-up is done: one that failed must be made again before
    # any resend, however often the attempt is retried.
    restarted = await svc.store.transition(
        record.request_id, due=time.time() + svc.stall_margin_s(), submit_started_at=repr(now)
    )
    record.submit_started_at = now
    return Next.DONE if restarted is None else None
