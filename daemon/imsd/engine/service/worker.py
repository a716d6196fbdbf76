"""Engine workers: plan batches and render jobs, on any machine sharing the Redis.

A task holds a lease (a Redis key with a short TTL, refreshed while it runs). If its worker
dies the lease lapses, and any worker's reaper re-queues the task within about a minute:
renders are long, so recovery cannot wait for a task timeout sized for the longest render.
Both tasks are idempotent, so running one again after a crash is always safe. A lease is only
ever renewed, released or written through by the attempt that holds it (its token), and a render
that finds its lease gone stops and leaves the job to the new owner: a worker that was merely
cut off from Redis for a while must not finish a job another worker is already rendering.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
from redis.asyncio import Redis
from redis.exceptions import RedisError

from imsd.api.wire import json_object
from imsd.chores import every
from imsd.engine.media import (
    MediaResolver,
    Prober,
    RedisMediaRegistry,
    client_session,
    names_private_address,
    refused_address,
)
from imsd.engine.planning import ORGANIZATION_JOB_TYPES, BatchPlanner, Synthesizer
from imsd.engine.render import SharedClips
from imsd.engine.service.batches import BatchJobs
from imsd.engine.service.job_store import RUNNING_STATUSES, EngineJobStore, JobKind, iso_now, public_view
from imsd.errors import ImsError
from imsd.logs import get_logger
from imsd.queue import TaskQueue, TaskSpec, TaskWorker
from imsd.settings import Settings
from imsd.signing import callback_signature

if TYPE_CHECKING:
    from imsd.engine.render import RenderResult

log = get_logger("imsd.engine")
T = TypeVar("T")

RENDER_TASK = "render_media_job"
PLAN_TASK = "plan_batch_job"
LEASE_S = 30.0
REAP_INTERVAL_S = 20.0
#: A render task's timeout: arq re-runs an abandoned task only after this, the lease is faster.
RENDER_TIMEOUT_S = 6 * 3600.0
CALLBACK_ATTEMPTS = 3


def engine_queue_name(settings: Settings) -> str:
    return settings.key("engine", "tasks")


def render_task_id(job_id: str, attempt: int = 0) -> str:
    return f"render:{job_id}" if attempt == 0 else f"render:{job_id}:retake{attempt}"


def plan_task_id(batch_id: str, attempt: int = 0) -> str:
    return f"plan:{batch_id}" if attempt == 0 else f"plan:{batch_id}:retake{attempt}"


_TASKS = {JobKind.MEDIA: (RENDER_TASK, render_task_id), JobKind.BATCH: (PLAN_TASK, plan_task_id)}


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


class Engine:
    """Runs tasks from the engine queue; one per worker process."""

    def __init__(self, settings: Settings, redis: Redis, queue: TaskQueue) -> None:
        self.settings = settings
        self.redis = redis
        self.queue = queue
        self.store = EngineJobStore(redis, settings.redis.prefix)
        prober = Prober(settings.engine.ffprobe)
        self.registry = RedisMediaRegistry(redis, prober, settings.redis.prefix)
        self.resolver = MediaResolver(settings.engine, self.registry, prober)
        self.batches = BatchJobs(self.store)
        self.planner = BatchPlanner(settings.engine, self.resolver, Synthesizer(settings.engine))
        self.worker_id = f"{socket.gethostname()}-{os.getpid()}"
        self._callback_sessions: dict[bool, aiohttp.ClientSession] = {}

    @contextlib.asynccontextmanager
    async def _leased(self, job_id: str, kind: JobKind) -> AsyncIterator[Lease | None]:
        """The job while this attempt holds its lease; None if another worker has it or it is done."""
        lease = Lease(self.store, job_id, kind, self.worker_id)
        if not await self.store.acquire_lease(job_id, lease.token, LEASE_S):
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

    async def render_media_job(self, job_id: str) -> None:
        async with self._leased(job_id, JobKind.MEDIA) as lease:
            if lease is None:
                return
            attempts = int(lease.job.get("_attempts", 0)) + 1
            outcome = None
            if await lease.update(Status="Processing", Progress=0, _attempts=attempts):
                log.info("render started", job_id=job_id, attempt=attempts)
                outcome = await lease.guard(self._render(lease))
            if outcome is None or not await lease.update(**outcome, CompleteTime=iso_now()):
                log.warning("render abandoned: its lease passed to another worker", job_id=job_id, attempt=attempts)
                return
            log.info("render finished", job_id=job_id, status=outcome["Status"], code=outcome.get("Code"))
        final = await self.store.get(job_id)
        if final is None:
            return
        await self._notify(final)
        if final.get("MasterJobId"):
            await self._settle(str(final["MasterJobId"]))

    async def plan_batch_job(self, batch_id: str) -> None:
        """Plan a batch into projects and sub-jobs, and queue their renders."""
        async with self._leased(batch_id, JobKind.BATCH) as lease:
            if lease is None:
                return
            batch = lease.job
            attempts = int(batch.get("_attempts", 0)) + 1
            if not await lease.update(Status="Processing", _attempts=attempts):
                log.warning("batch planning abandoned: its lease passed to another worker", job_id=batch_id)
                return
            log.info("batch planning started", job_id=batch_id, attempt=attempts)
            job_type = str(batch.get("JobType"))
            try:
                output = json_object(batch.get("OutputConfig"), "OutputConfig")
                extend_input = json_object(batch.get("ExtendInput"), "ExtendInput")
                plan = await self.planner.plan(
                    batch_id,
                    job_type,
                    json_object(batch.get("InputConfig"), "InputConfig"),
                    json_object(batch.get("EditingConfig"), "EditingConfig"),
                    output,
                    selection=extend_input.get("MediaSelectResult"),
                )
                # Organisation makes editing projects for preview; rendering them is a later job.
                preview_only = bool(output.get("GeneratePreviewOnly")) or job_type in ORGANIZATION_JOB_TYPES
                job_ids = await self.batches.record_plan(batch_id, plan, preview_only=preview_only)
            except ImsError as error:
                await self.batches.fail(batch_id, error)
                job_ids = []
            except Exception as error:  # a bug must fail the batch, not wedge it
                log.exception("batch planning crashed", job_id=batch_id)
                await self.batches.fail(batch_id, ImsError("ProduceFailed", f"internal error: {type(error).__name__}"))
                job_ids = []
            for job_id in job_ids:
                await self.queue.enqueue(RENDER_TASK, job_id, task_id=render_task_id(job_id))
            log.info("batch planned", job_id=batch_id, outputs=len(job_ids))
        await self._settle(batch_id)

    async def _settle(self, batch_id: str) -> None:
        """Finish a batch whose outputs are all done (or that failed), and call it back once."""
        batch = await self.batches.settle(batch_id)
        if batch is None:
            batch = await self.store.get(batch_id, JobKind.BATCH)
            if batch is None or batch.get("Status") != "Failed":
                return
            if not await self.store.claim_completion(batch_id, JobKind.BATCH):
                return
        log.info("batch finished", job_id=batch_id, status=batch.get("Status"))
        message = {"JobId": batch_id, "Status": batch.get("Status"), "JobType": batch.get("JobType")}
        await self._notify(batch, kind=JobKind.BATCH, event="BatchProduceMediaComplete", message=message)

    async def _render(self, lease: Lease) -> dict[str, Any]:
        last_write = 0.0

        def progress(percent: int) -> None:
            nonlocal last_write
            if time.monotonic() - last_write >= 1.0:
                last_write = time.monotonic()
                lease.update_later(Progress=percent)

        try:
            result = await self._render_output(lease, progress)
            await self.registry.add(result.output, lease.job.get("MediaId"))
        except ImsError as error:
            return {"Status": "Failed", "Code": error.code, "Message": error.message}
        except Exception as error:  # a bug must fail the job, not wedge it
            log.exception("render crashed", job_id=lease.job_id)
            return {"Status": "Failed", "Code": "ProduceFailed", "Message": f"internal error: {type(error).__name__}"}
        return {
            "Status": "Success",
            "Progress": 100,
            "Duration": round(result.duration, 3),
            "Ignored": result.ignored or None,
            "Approximated": (lease.job.get("Approximated") or []) + result.approximated or None,
        }

    async def _render_output(self, lease: Lease, progress: Callable[[int], None]) -> RenderResult:
        """Render in a work directory of this attempt's own, removed afterwards however it ended.

        A retake may render the same job while this attempt still runs, so attempts never share
        scratch files; render_timeline keeps the output itself whole.
        """
        from imsd.engine.render import render_timeline

        workdir = Path(self.settings.engine.work_dir) / lease.job_id / lease.attempt
        output: Path | None = None
        try:
            result = await render_timeline(
                json.loads(lease.job["Timeline"]),
                lease.job["_output"],
                resolver=self.resolver,
                workdir=workdir,
                progress=progress,
                ffmpeg=self.settings.engine.ffmpeg,
                shared=SharedClips.from_job(self.settings.engine, lease.job.get("_shared_clips")),
            )
            output = result.output
        finally:
            await asyncio.to_thread(_remove_work, workdir, output)
        return result

    async def _keep_lease(self, job_id: str, token: str) -> None:
        """Renew the lease until cancelled; returns only when the lease is lost.

        Any error (Redis, network or a bug) is retried at the next beat rather than ending the
        heartbeat: the lease outlives two missed renewals, and an ended heartbeat reads as a lost
        lease, so the render would be abandoned and its release would drop the running mark the
        reaper needs to retake the job, leaving it Processing for good.
        """
        while True:
            await asyncio.sleep(LEASE_S / 3)
            try:
                if not await self.store.renew_lease(job_id, token, LEASE_S):
                    log.warning("lease lost", job_id=job_id)
                    return
            except Exception as exc:  # any failure is retried: only a lost lease ends the heartbeat
                log.warning("lease renewal failed; retrying", job_id=job_id, error=repr(exc))

    async def reap(self) -> int:
        """Re-queue tasks whose worker died (their lease lapsed); returns how many."""
        retaken = 0
        for kind, (task, task_id) in _TASKS.items():
            for job_id in await self.store.running(kind):
                if await self.redis.exists(self.store.lease_key(job_id)):
                    continue
                job = await self.store.get(job_id, kind)
                if job is None or job.get("Status") not in RUNNING_STATUSES:
                    await self.store.mark_done(job_id, kind)
                    continue
                attempt = int(job.get("_attempts", 0))
                if await self.queue.enqueue(task, job_id, task_id=task_id(job_id, attempt)):
                    retaken += 1
                    log.warning("task re-queued after its worker died", task=task, job_id=job_id, attempt=attempt)
        return retaken

    async def _notify(
        self,
        job: dict[str, Any],
        *,
        kind: JobKind = JobKind.MEDIA,
        event: str = "ProduceMediaComplete",
        message: dict[str, Any] | None = None,
    ) -> None:
        """POST the callback IMS would send to the job's NotifyAddress, signed when a key is set.

        The address comes from whoever submitted the job, so it reaches only public addresses,
        as downloads do (engine.download_private_addresses), except this daemon's own.
        """
        try:
            user_data = json.loads(job.get("UserData") or "{}")
        except ValueError:
            return
        url = user_data.get("NotifyAddress") if isinstance(user_data, dict) else None
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            return
        public_only = not self._may_call_private(url)
        if public_only and names_private_address(_host(url)):
            await self._callback_failed(job, kind, url, "refused: not a public address")
            return
        if message is None:
            view = public_view(job, with_timeline=False)
            message = {
                "Status": view.get("Status"),
                "JobId": view.get("JobId"),
                "ProjectId": view.get("ProjectId"),
                "MediaId": view.get("MediaId"),
                "MediaURL": view.get("MediaURL"),
                "ErrorCode": view.get("Code", ""),
                "ErrorMessage": view.get("Message", ""),
            }
        body = {
            "EventType": event,
            "UserId": 0,
            "EventTime": iso_now(),
            "MessageBody": {**message, "UserData": job.get("UserData") or ""},
        }
        keys = self.settings.callbacks.keys()
        session = self._callback_session(public_only)
        for attempt in range(CALLBACK_ATTEMPTS):
            headers = {"Content-Type": "application/json"}
            if keys:
                timestamp = str(int(time.time()))
                headers["X-ICE-TIMESTAMP"] = timestamp
                headers["X-ICE-SIGNATURE"] = callback_signature(url, timestamp, keys[0])
            try:
                # No redirects: an address in a Location header would bypass the resolver's check.
                post = session.post(url, data=json.dumps(body), headers=headers, allow_redirects=False)
                async with post as reply:
                    if reply.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError) as exc:
                if refused_address(exc) is not None:
                    await self._callback_failed(job, kind, url, "refused: resolves to no public address")
                    return
            await asyncio.sleep(0.5 * 2**attempt)
        await self._callback_failed(job, kind, url, "not delivered")

    def _may_call_private(self, url: str) -> bool:
        """Whether a callback may go to a non-public address.

        The daemon's own NotifyAddress is local by design; any other only when the operator allows
        private addresses for downloads too.
        """
        return self.settings.engine.download_private_addresses or url == self.settings.notify_address()

    def _callback_session(self, public_only: bool) -> aiohttp.ClientSession:
        """A session per address policy (see media.client_session), reused across callbacks."""
        session = self._callback_sessions.get(public_only)
        if session is None:
            session = client_session(public_only=public_only, timeout=aiohttp.ClientTimeout(total=5))
            self._callback_sessions[public_only] = session
        return session

    async def _callback_failed(self, job: dict[str, Any], kind: JobKind, url: str, reason: str) -> None:
        """Log and record on the job why its callback was not delivered.

        Only the host is logged: a NotifyAddress may carry credentials in its user info or query.
        """
        job_id = str(job.get("JobId"))
        log.warning("callback failed", job_id=job_id, host=_host(url), reason=reason)
        try:
            await self.store.update(job_id, kind, _callback=reason)
        except RedisError as exc:  # the job itself is done; a lost note must not fail its task
            log.warning("callback outcome not recorded", job_id=job_id, error=repr(exc))

    async def close(self) -> None:
        for session in self._callback_sessions.values():
            await session.close()


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def _remove_work(workdir: Path, output: Path | None) -> None:
    """Remove an attempt's work directory, and its job's directory once that is empty.

    Kept when the output itself was written there (a request that named no MediaURL). The job's
    directory stays while another attempt of the job still works in it.
    """
    if output is not None and output.is_relative_to(workdir.resolve()):
        return
    shutil.rmtree(workdir, ignore_errors=True)
    with contextlib.suppress(OSError):
        workdir.parent.rmdir()


class EngineRunner:
    """An engine worker (arq, concurrency from settings) plus its reaper."""

    def __init__(self, settings: Settings, redis: Redis, queue: TaskQueue) -> None:
        self.engine = Engine(settings, redis, queue)
        self.worker = TaskWorker(
            settings.redis.url,
            [
                TaskSpec(RENDER_TASK, self.engine.render_media_job, RENDER_TIMEOUT_S),
                TaskSpec(PLAN_TASK, self.engine.plan_batch_job, RENDER_TIMEOUT_S),
            ],
            queue_name=queue.queue_name,
            max_jobs=settings.engine.concurrency,
            poll_delay_s=0.2,
        )
        self._reaper: asyncio.Task[None] | None = None

    def start(self) -> asyncio.Task[None]:
        """Start the worker and the reaper; returns the worker loop's task (see TaskWorker.start)."""
        reap = every(REAP_INTERVAL_S, "reap", self.engine.reap, first_after_s=REAP_INTERVAL_S)
        self._reaper = asyncio.create_task(reap, name="engine-reaper")
        return self.worker.start()

    async def stop(self, grace_s: float) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
        await self.worker.stop(grace_s)
        await self.engine.close()
