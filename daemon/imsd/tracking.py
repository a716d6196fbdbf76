"""Tracking: read a submitted job until it is terminal, then publish its result.

Polling is the guarantee; callbacks only make it prompt. Once a request is submitted, its task
polls the job and defers itself between polls (a step's return value, steps.py). The interval
grows with each unfinished poll and is never shorter than the number of requests in flight
(every unfinished one, submitted or not: at least as many as the jobs to poll) divided by the
polling rate, so polls never crowd out submissions for the account's capacity however many jobs
are running.
"""

from __future__ import annotations

import random
from typing import Any

from imsd import metrics
from imsd.api.jobs import JobSnapshot
from imsd.api.wire import Api, compact_json, request_id_in
from imsd.context import Services, request_task_id
from imsd.errors import Disposition, ImsError
from imsd.logs import get_logger
from imsd.records import Record, State
from imsd.results import finish
from imsd.settings import TrackingSettings
from imsd.steps import Defer, Step

__all__ = ["on_callback", "poll_interval_s", "publish_progress", "request_id_of_callback", "track_job"]

log = get_logger(__name__)


def poll_interval_s(polls: int, in_flight: int, tracking: TrackingSettings, poll_rate: float) -> float:
    """Time to the next poll of a job polled `polls` times, sharing `poll_rate` among the
    `in_flight` unfinished requests (an upper bound on the jobs polled, so the rate is never exceeded)."""
    backoff = min(tracking.poll_max_s, tracking.poll_min_s * tracking.backoff_factor ** max(0, polls - 1))
    budget_floor = in_flight / poll_rate
    # Jitter spreads jobs submitted together over the budget instead of polling in bursts.
    return max(backoff, budget_floor) * random.uniform(0.9, 1.1)


async def track_job(svc: Services, record: Record) -> Step:
    """One poll of a SUBMITTED record's job; publishes the result once the job is terminal.

    Returns what the task does next: poll again later (Defer), or what finishing says. The poll
    is counted in the same step as its outcome (the deferral or the result).
    """
    request_id, job_id = record.request_id, record.job_id
    assert job_id is not None  # a SUBMITTED record names its job
    api = Api(record.api)
    action = api.get_action
    slot = await svc.reserve_slot(request_id, action)
    if isinstance(slot, Defer):
        return slot
    polls = record.polls + 1
    counted = {"polls": 1}
    try:
        async with svc.limiter.sending(slot):
            snapshot = await svc.backend.get_job(api, job_id)
    except ImsError as error:
        metrics.polls.labels(action, error.disposition.value).inc()
        if error.disposition is Disposition.THROTTLED:
            await svc.limiter.penalize(action, error.retry_after_s)
            return Defer(max(random.uniform(0.5, 1.5), error.retry_after_s), add=counted)
        if error.disposition is Disposition.RETRYABLE:
            return Defer(max(await _interval(svc, polls), error.retry_after_s), add=counted)
        log.warning("poll refused", request_id=request_id, job_id=job_id, code=error.code)
        return await finish(svc, record, error=error, add=counted)
    metrics.polls.labels(action, "terminal" if snapshot.state.terminal else "running").inc()
    if snapshot.state.terminal:
        return await finish(svc, record, snapshot=snapshot, add=counted)
    await publish_progress(svc, record, snapshot)
    return Defer(await _interval(svc, polls), add=counted)


async def publish_progress(svc: Services, record: Record, snapshot: JobSnapshot) -> None:
    """One entry per output whose progress the poll read, on the progress stream (`imsd:progress`).

    What the backend reports, when it polls: the service's Progress of a job, the local engine's
    of each output. A pipeline's stage is its current API. Capped like the results stream.
    """
    entries = [
        {"request_id": record.request_id, "job_id": output.job_id or snapshot.job_id, "output_index": index,
         "percent": output.progress, "stage": record.api, "status": output.status or snapshot.status}
        for index, output in enumerate(snapshot.outputs, start=1) if output.progress is not None
    ]  # fmt: skip
    if not entries:
        return
    maxlen = svc.settings.retention.results_maxlen
    async with svc.redis.pipeline(transaction=False) as pipe:
        for entry in entries:
            pipe.xadd(svc.settings.key("progress"), {"progress": compact_json(entry)}, maxlen=maxlen, approximate=True)
        await pipe.execute()


async def _interval(svc: Services, polls: int) -> float:
    in_flight = await svc.store.active_count()
    action_rate = svc.settings.limiter.poll_rate
    return poll_interval_s(polls, in_flight, svc.settings.tracking, action_rate)


def request_id_of_callback(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """(request_id from the echoed UserData, JobId) of a callback envelope."""
    message = body.get("MessageBody") or {}
    if not isinstance(message, dict):
        return None, None
    job_id = message.get("JobId")
    return request_id_in(message.get("UserData")), job_id if isinstance(job_id, str) else None


async def on_callback(svc: Services, body: dict[str, Any]) -> str:
    """Bring the job's next poll forward; returns what happened, for metrics.

    The callback's own fields are not trusted as the result: the poll it triggers reads the job
    through the same path as every other poll, so results never depend on which came first.
    """
    request_id, job_id = request_id_of_callback(body)
    if request_id is None and job_id is not None:
        request_id = await svc.store.request_for_job(job_id)
    if request_id is None:
        return "unknown"
    record = await svc.store.get(request_id)
    if record is None:
        return "unknown"
    if record.state.final:
        return "duplicate"
    if record.state is State.SUBMITTED and not await svc.queue.expedite(request_task_id(request_id)):
        await svc.schedule(request_id)
    return "accepted"
