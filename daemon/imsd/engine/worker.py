"""Engine workers: run the local engine's render jobs, on any machine sharing the Redis.

A render holds a lease (a Redis key with a short TTL, refreshed while ffmpeg runs). If its
worker dies the lease lapses, and any worker's reaper re-queues the job within about a minute:
renders are long, so recovery cannot wait for a task timeout sized for the longest render.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import time
from pathlib import Path
from typing import Any

import aiohttp
from redis.asyncio import Redis

from imsd.engine.jobs import EngineJobStore, iso_now, public_view
from imsd.engine.media import MediaResolver, RedisMediaRegistry
from imsd.engine.probe import Prober
from imsd.errors import ImsError
from imsd.logs import get_logger
from imsd.queue import TaskQueue, TaskSpec, TaskWorker
from imsd.settings import Settings
from imsd.signing import callback_signature

log = get_logger("imsd.engine")

RENDER_TASK = "render_media_job"
LEASE_S = 30.0
REAP_INTERVAL_S = 20.0
#: A render task's timeout: arq re-runs an abandoned task only after this, the lease is faster.
RENDER_TIMEOUT_S = 6 * 3600.0
CALLBACK_ATTEMPTS = 3


def engine_queue_name(settings: Settings) -> str:
    return settings.key("engine", "tasks")


def render_task_id(job_id: str, attempt: int = 0) -> str:
    return f"render:{job_id}" if attempt == 0 else f"render:{job_id}:retake{attempt}"


class Engine:
    """Renders jobs from the engine queue; one per worker process."""

    def __init__(self, settings: Settings, redis: Redis, queue: TaskQueue) -> None:
        self.settings = settings
        self.redis = redis
        self.queue = queue
        self.store = EngineJobStore(redis, settings.redis.prefix)
        prober = Prober(settings.engine.ffprobe)
        self.registry = RedisMediaRegistry(redis, prober)
        self.resolver = MediaResolver(settings.engine, self.registry, prober)
        self.worker_id = f"{socket.gethostname()}-{os.getpid()}"
        self._http: aiohttp.ClientSession | None = None

    async def render_media_job(self, job_id: str) -> None:
        lease = self.store.lease_key(job_id)
        if not await self.redis.set(lease, self.worker_id, nx=True, px=int(LEASE_S * 1000)):
            return  # another live worker has it
        heartbeat = asyncio.create_task(self._keep_lease(lease))
        try:
            job = await self.store.get(job_id)
            if job is None or job.get("Status") not in ("Init", "Queuing", "Processing"):
                return
            attempts = int(job.get("_attempts", 0)) + 1
            await self.store.update(job_id, Status="Processing", Progress=0, _attempts=attempts)
            await self.store.mark_running(job_id)
            log.info("render started", job_id=job_id, attempt=attempts)
            outcome = await self._render(job_id, job)
            await self.store.update(job_id, **outcome, CompleteTime=iso_now())
            log.info("render finished", job_id=job_id, status=outcome["Status"], code=outcome.get("Code"))
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            await self.store.mark_done(job_id)
        final = await self.store.get(job_id)
        if final is not None:
            await self._notify(final)

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
            await self.registry.add(result.output)
        except ImsError as error:
            return {"Status": "Failed", "Code": error.code, "Message": error.message}
        except Exception as error:  # a bug must fail the job, not wedge it
            log.exception("render crashed", job_id=job_id)
            return {"Status": "Failed", "Code": "ProduceFailed", "Message": f"internal error: {type(error).__name__}"}
        return {
            "Status": "Success",
            "Progress": 100,
            "Duration": round(result.duration, 3),
            "_ignored": result.ignored,
        }

    async def _keep_lease(self, lease: str) -> None:
        while True:
            await asyncio.sleep(LEASE_S / 3)
            await self.redis.pexpire(lease, int(LEASE_S * 1000))

    async def reap(self) -> int:
        """Re-queue jobs whose worker died (their lease lapsed); returns how many."""
        retaken = 0
        for job_id in await self.store.running():
            if await self.redis.exists(self.store.lease_key(job_id)):
                continue
            job = await self.store.get(job_id)
            if job is None or job.get("Status") not in ("Init", "Queuing", "Processing"):
                await self.store.mark_done(job_id)
                continue
            attempt = int(job.get("_attempts", 0))
            if await self.queue.enqueue(RENDER_TASK, job_id, task_id=render_task_id(job_id, attempt)):
                retaken += 1
                log.warning("render re-queued after its worker died", job_id=job_id, attempt=attempt)
        return retaken

    async def _notify(self, job: dict[str, Any]) -> None:
        """POST the ProduceMediaComplete callback IMS would send, signed when a key is set."""
        try:
            user_data = json.loads(job.get("UserData") or "{}")
        except ValueError:
            return
        url = user_data.get("NotifyAddress") if isinstance(user_data, dict) else None
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            return
        view = public_view(job, with_timeline=False)
        body = {
            "EventType": "ProduceMediaComplete",
            "UserId": 0,
            "EventTime": iso_now(),
            "MessageBody": {
                "Status": view.get("Status"),
                "JobId": view.get("JobId"),
                "ProjectId": view.get("ProjectId"),
                "MediaId": view.get("MediaId"),
                "MediaURL": view.get("MediaURL"),
                "ErrorCode": view.get("Code", ""),
                "ErrorMessage": view.get("Message", ""),
                "UserData": job.get("UserData") or "",
            },
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
            [TaskSpec(RENDER_TASK, self.engine.render_media_job, RENDER_TIMEOUT_S)],
            queue_name=queue.queue_name,
            max_jobs=settings.engine.concurrency,
            poll_delay_s=0.2,
        )
        self._reaper: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.worker.start()
        self._reaper = asyncio.create_task(self._reap_forever(), name="engine-reaper")

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
