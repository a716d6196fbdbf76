"""Engine workers: render jobs and plan batches, on any machine sharing the Redis.

Each task runs under a lease (leases.py), so that a job whose worker died is retaken by
another; a finished job is called back (callbacks.py), and the last sub-job of a batch to
finish finishes the batch. The timings are module constants, so that tests can shorten them.

Stopping hands work back: a task cancelled by the stop stays due at once for another worker
(queue.py), and so does one whose child process (ffmpeg, ffprobe, the TTS) a stop signal ended
while this process stops: a unit or an operator that signals every process, not only imsd, ends
ffmpeg too, and that is no failure of the job's (`_hand_back_if_stopping`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from redis.asyncio import Redis

from imsd.api.wire import json_object
from imsd.chores import every
from imsd.engine.media import ChildStopped, MediaResolver, Prober, RedisMediaRegistry
from imsd.engine.planning import ORGANIZATION_JOB_TYPES, BatchPlanner, Synthesizer, TimelineSpeech, Transcriber
from imsd.engine.render import SharedClips
from imsd.engine.service.batches import BatchJobs
from imsd.engine.service.callbacks import Callbacks
from imsd.engine.service.job_store import EngineJobStore, JobKind, iso_now
from imsd.engine.service.leases import Lease, LeaseHolder, reap
from imsd.engine.service.tasks import PLAN_TASK, RENDER_TASK, queue_task
from imsd.errors import ImsError
from imsd.logs import get_logger
from imsd.metrics import render_failures, render_seconds, renders_running
from imsd.queue import Later, TaskQueue, TaskSpec, TaskWorker
from imsd.settings import Settings

if TYPE_CHECKING:
    from imsd.engine.render import RenderResult

__all__ = ["Engine", "EngineRunner"]

log = get_logger(__name__)

LEASE_S = 30.0
REAP_INTERVAL_S = 20.0
#: A render task's timeout: arq re-runs an abandoned task only after this, the lease is faster.
RENDER_TIMEOUT_S = 6 * 3600.0
#: How long a child's death by a stop signal waits for this process's own stop to be noticed: a
#: signal sent to every process reaches ffmpeg and imsd at once, in either order.
STOP_NOTICE_S = 1.0


class Engine(LeaseHolder):
    """Runs tasks from the engine queue; one per worker process."""

    def __init__(
        self, settings: Settings, redis: Redis, queue: TaskQueue, stopping: asyncio.Event | None = None
    ) -> None:
        super().__init__(EngineJobStore(redis, settings.redis.prefix), LEASE_S)
        self.settings = settings
        self.queue = queue
        #: Set once this process stops (by its signal handler, or by EngineRunner.stop).
        self.stopping = stopping or asyncio.Event()
        prober = Prober(settings.engine.ffprobe)
        self.registry = RedisMediaRegistry(redis, prober, settings.redis.prefix)
        self.resolver = MediaResolver(settings.engine, self.registry, prober)
        self.batches = BatchJobs(self.store)
        self.planner = BatchPlanner(settings.engine, self.resolver, Synthesizer(settings.engine))
        transcriber = Transcriber(settings.engine, self.resolver.prober)
        self.speech = TimelineSpeech(self.planner.synthesizer, transcriber, self.resolver)
        self.callbacks = Callbacks(settings, self.store)

    async def render_media_job(self, job_id: str) -> None:
        """Render a media producing job, call it back, and finish its batch if it was the last."""
        async with self._leased(job_id, JobKind.MEDIA) as lease:
            if lease is None:
                return
            attempts = int(lease.job.get("_attempts", 0)) + 1
            outcome = None
            if await lease.update(Status="Processing", Progress=0, _attempts=attempts):
                log.info("render started", job_id=job_id, attempt=attempts)
                started = time.monotonic()
                with renders_running.track_inprogress():
                    outcome = await lease.guard(self._render(lease))
                if outcome is not None:
                    render_seconds.labels(outcome["Status"]).observe(time.monotonic() - started)
                    if outcome["Status"] == "Failed":
                        render_failures.labels(outcome["Code"]).inc()
            if outcome is None or not await lease.update(**outcome, CompleteTime=iso_now()):
                log.warning("render abandoned: its lease passed to another worker", job_id=job_id, attempt=attempts)
                return
            log.info("render finished", job_id=job_id, status=outcome["Status"], code=outcome.get("Code"))
        final = await self.store.get(job_id)
        if final is None:
            return
        await self.callbacks.produce_media_complete(final)
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
            except ChildStopped as error:
                await self._hand_back_if_stopping(batch_id, error)
                await self.batches.fail(batch_id, error)
                job_ids = []
            except ImsError as error:
                await self.batches.fail(batch_id, error)
                job_ids = []
            except Exception as error:  # a bug must fail the batch, not wedge it
                log.exception("batch planning crashed", job_id=batch_id)
                await self.batches.fail(batch_id, ImsError("ProduceFailed", f"internal error: {type(error).__name__}"))
                job_ids = []
            for job_id in job_ids:
                await queue_task(self.queue, JobKind.MEDIA, job_id)
            log.info("batch planned", job_id=batch_id, outputs=len(job_ids))
        await self._settle(batch_id)

    async def _settle(self, batch_id: str) -> None:
        """Finish a batch whose outputs are all done (or that failed), and call it back once."""
        batch = await self.batches.settle(batch_id)
        if batch is None:
            return
        log.info("batch finished", job_id=batch_id, status=batch.get("Status"))
        await self.callbacks.batch_produce_media_complete(batch)

    async def _render(self, lease: Lease) -> dict[str, Any]:
        last_write = 0.0

        def progress(percent: int) -> None:
            nonlocal last_write
            if time.monotonic() - last_write >= 1.0:
                last_write = time.monotonic()
                lease.update_later(Progress=percent)

        try:
            result = await self._render_output(lease, progress)
            stills = await self._stills(lease, result)
            # The output as a media asset (GetMediaInfo of its MediaId), its cover as IMS gives one.
            basic = {"InputURL": lease.job.get("MediaURL"), "MediaType": "video" if result.width else "audio",
                     "Source": "oss", "Status": "Normal", "CoverURL": stills.get("CoverURL", ""),
                     "CreateTime": iso_now()}  # fmt: skip
            await self.registry.add(result.output, lease.job.get("MediaId"), basic=basic)
        except ChildStopped as error:
            await self._hand_back_if_stopping(lease.job_id, error)
            return {"Status": "Failed", "Code": error.code, "Message": error.message}
        except ImsError as error:
            return {"Status": "Failed", "Code": error.code, "Message": error.message}
        except Exception as error:  # a bug must fail the job, not wedge it
            log.exception("render crashed", job_id=lease.job_id)
            return {"Status": "Failed", "Code": "ProduceFailed", "Message": f"internal error: {type(error).__name__}"}
        return {
            "Status": "Success",
            "Progress": 100,
            "Duration": round(result.duration, 3),
            "Ignored": (lease.job.get("Ignored") or []) + result.ignored or None,
            "Approximated": (lease.job.get("Approximated") or []) + result.approximated or None,
            **stills,
        }

    async def _stills(self, lease: Lease, result: RenderResult) -> dict[str, str]:
        """CoverURL and PreviewURL of a video output (render/covers.py); none for audio, and none,
        logged, if making them failed: the output itself is what was asked for."""
        if not result.width:
            return {}
        from imsd.engine.render import COVER_SUFFIX, PREVIEW_SUFFIX, make_stills

        output = lease.job["_output"]
        fps = output.get("Fps") if isinstance(output.get("Fps"), (int, float)) else 25.0
        try:
            await make_stills(result.output, result.duration, float(fps), float(lease.job.get("_cover_at_s") or 0),
                              self.settings.engine.ffmpeg)  # fmt: skip
        except (ImsError, OSError) as error:
            log.warning("no cover made", job_id=lease.job_id, error=str(error)[-200:])
            return {}
        url = str(lease.job.get("MediaURL") or result.output)
        return {"CoverURL": url + COVER_SUFFIX, "PreviewURL": url + PREVIEW_SUFFIX}

    async def _hand_back_if_stopping(self, job_id: str, error: ChildStopped) -> None:
        """Raise Later(0) if the stop signal that ended a child was this process stopping: the task
        is then due again at once, for another worker (or this one's restart), and the job stays
        running; returns if it was not (an operator's kill, the OOM killer), for the job to fail."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), STOP_NOTICE_S)
        if self.stopping.is_set():
            log.warning("handed back: a child process was stopped as this process stops", job_id=job_id,
                        error=error.message[-200:])  # fmt: skip
            raise Later(0.0)

    async def _render_output(self, lease: Lease, progress: Callable[[int], None]) -> RenderResult:
        """Render in a work directory of this attempt's own, removed afterwards however it ended.

        A retake may render the same job while this attempt still runs, so attempts never share
        scratch files; render_timeline keeps the output itself whole.
        """
        from imsd.engine.render import render_timeline

        workdir = Path(self.settings.engine.work_dir) / lease.job_id / lease.attempt
        output: Path | None = None
        timeline, voiced = await self.speech.prepare(json.loads(lease.job["Timeline"]))
        try:
            result = await render_timeline(
                timeline,
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
        result.approximated[:0] = voiced
        return result

    async def close(self) -> None:
        await self.callbacks.close()


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

    def __init__(
        self, settings: Settings, redis: Redis, queue: TaskQueue, stopping: asyncio.Event | None = None
    ) -> None:
        self.engine = Engine(settings, redis, queue, stopping)
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
        retake = functools.partial(reap, self.engine.store, self.engine.queue)
        chore = every(REAP_INTERVAL_S, "reap", retake, first_after_s=REAP_INTERVAL_S)
        self._reaper = asyncio.create_task(chore, name="engine-reaper")
        return self.worker.start()

    async def stop(self, grace_s: float) -> None:
        """Stop taking tasks, give running ones `grace_s`, hand the rest back (TaskWorker.stop)."""
        self.engine.stopping.set()
        if self._reaper is not None:
            self._reaper.cancel()
        await self.worker.stop(grace_s)
        await self.engine.close()
