"""Engine workers: plan batches and render jobs, on any machine sharing the Redis.

A task holds a lease (a Redis key with a short TTL, refreshed while it runs). If its worker
dies the lease lapses, and any worker's reaper re-queues the task within about a minute:
renders are long, so recovery cannot wait for a task timeout sized for the longest render.
Both tasks are idempotent, so running one again after a crash is always safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
from redis.asyncio import Redis

from imsd.api.wire import json_object
from imsd.engine.batch import ORGANIZATION_JOB_TYPES, BatchJobs, BatchPlanner
from imsd.engine.jobs import RUNNING_STATUSES, EngineJobStore, JobKind, iso_now, public_view
from imsd.engine.media import MediaResolver, RedisMediaRegistry
from imsd.engine.probe import Prober
from imsd.engine.tts import Synthesizer
from imsd.errors import ImsError
from imsd.logs import get_logger
from imsd.queue import TaskQueue, TaskSpec, TaskWorker
from imsd.settings import Settings
from imsd.signing import callback_signature

log = get_logger("imsd.engine")

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
        self._http: aiohttp.ClientSession | None = None

    @contextlib.asynccontextmanager
    async def _leased(self, job_id: str, kind: JobKind) -> AsyncIterator[dict[str, Any] | None]:
        """The job while this worker holds its lease; None if another worker has it or it is done."""
        lease = self.store.lease_key(job_id)
        if not await self.redis.set(lease, self.worker_id, nx=True, px=int(LEASE_S * 1000)):
            yield None  # another live worker has it
            return
        heartbeat = asyncio.create_task(self._keep_lease(lease))
        try:
            job = await self.store.get(job_id, kind)
            if job is None or job.get("Status") not in RUNNING_STATUSES:
                yield None
                return
            await self.store.mark_running(job_id, kind)
            yield job
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            await self.store.mark_done(job_id, kind)

    async def render_media_job(self, job_id: str) -> None:
        async with self._leased(job_id, JobKind.MEDIA) as job:
            if job is None:
                return
            attempts = int(job.get("_attempts", 0)) + 1
            await self.store.update(job_id, Status="Processing", Progress=0, _attempts=attempts)
            log.info("render started", job_id=job_id, attempt=attempts)
            outcome = await self._render(job_id, job)
            await self.store.update(job_id, **outcome, CompleteTime=iso_now())
            log.info("render finished", job_id=job_id, status=outcome["Status"], code=outcome.get("Code"))
        final = await self.store.get(job_id)
        if final is None:
            return
        await self._notify(final)
        if final.get("MasterJobId"):
            await self._settle(str(final["MasterJobId"]))

    async def plan_batch_job(self, batch_id: str) -> None:
        """Plan a batch into projects and sub-jobs, and queue their renders."""
        async with self._leased(batch_id, JobKind.BATCH) as batch:
            if batch is None:
                return
            attempts = int(batch.get("_attempts", 0)) + 1
            await self.store.update(batch_id, JobKind.BATCH, Status="Processing", _attempts=attempts)
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
        await self._notify(batch, "BatchProduceMediaComplete", message)

    async def _render(self, job_id: str, job: dict[str, Any]) -> dict[str, Any]:
        from imsd.engine.render import render_timeline

        last_write = 0.0

        def progress(percent: int) -> None:
            nonlocal last_write
            if time.monotonic() - last_write >= 1.0:
                last_write = time.monotonic()
                asyncio.get_running_loop().create_task(self.store.update(job_id, Progress=percent))

        workdir = Path(self.settings.engine.work_dir) / job_id
        try:
            timeline = json.loads(job["Timeline"])
            result = await render_timeline(
                timeline,
                job["_output"],
                resolver=self.resolver,
                workdir=workdir,
                progress=progress,
                ffmpeg=self.settings.engine.ffmpeg,
            )
            await self.registry.add(result.output, job.get("MediaId"))
        except ImsError as error:
            return {"Status": "Failed", "Code": error.code, "Message": error.message}
        except Exception as error:  # a bug must fail the job, not wedge it
            log.exception("render crashed", job_id=job_id)
            return {"Status": "Failed", "Code": "ProduceFailed", "Message": f"internal error: {type(error).__name__}"}
        return {
            "Status": "Success",
            "Progress": 100,
            "Duration": round(result.duration, 3),
            "Ignored": result.ignored or None,
            "Approximated": (job.get("Approximated") or []) + result.approximated or None,
        }

    async def _keep_lease(self, lease: str) -> None:
        while True:
            await asyncio.sleep(LEASE_S / 3)
            await self.redis.pexpire(lease, int(LEASE_S * 1000))

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
        self, job: dict[str, Any], event: str = "ProduceMediaComplete", message: dict[str, Any] | None = None
    ) -> None:
        """POST the callback IMS would send to the job's NotifyAddress, signed when a key is set."""
        try:
            user_data = json.loads(job.get("UserData") or "{}")
        except ValueError:
            return
        url = user_data.get("NotifyAddress") if isinstance(user_data, dict) else None
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
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
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        for attempt in range(CALLBACK_ATTEMPTS):
            headers = {"Content-Type": "application/json"}
            if keys:
                timestamp = str(int(time.time()))
                headers["X-ICE-TIMESTAMP"] = timestamp
                headers["X-ICE-SIGNATURE"] = callback_signature(url, timestamp, keys[0])
            try:
                async with self._http.post(url, data=json.dumps(body), headers=headers) as reply:
                    if reply.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.5 * 2**attempt)
        log.warning("callback not delivered", job_id=job.get("JobId"))

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()


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
        self._reaper = asyncio.create_task(self._reap_forever(), name="engine-reaper")
        return self.worker.start()

    async def _reap_forever(self) -> None:
        while True:
            await asyncio.sleep(REAP_INTERVAL_S)
            try:
                await self.engine.reap()
            except Exception as exc:  # a Redis hiccup must not stop the reaper
                log.warning("reap failed", error=repr(exc))

    async def stop(self, grace_s: float) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
        await self.worker.stop(grace_s)
        await self.engine.close()
