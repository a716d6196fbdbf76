"""One daemon process: intake, task worker, housekeeping (sweeper, stream trimmer) and HTTP server
on one event loop.

Any number of these processes may share one Redis; they coordinate only through it (consumer
group, task queue, records, limiter keys), so adding a process adds capacity and killing one
loses nothing.

Shutdown on SIGTERM/SIGINT: stop reading the stream, let running tasks finish within
`worker.stop_grace_s`, cancel the rest (each cancelled task is left due at once in the task
queue, for another process: see queue.py), then close.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import platform
import signal
import time
from collections.abc import Awaitable, Callable
from importlib.metadata import version

from aiohttp import web
from redis.asyncio import Redis

from imsd import metrics, systemd
from imsd.api.wire import Api
from imsd.backends import make_backend
from imsd.chores import every
from imsd.client import backlog
from imsd.connections import connect
from imsd.context import REQUEST_TASK, Services
from imsd.engine.media import ffmpeg_identity
from imsd.engine.service import EngineRunner, engine_problems
from imsd.http import make_app, make_health_app
from imsd.intake import AcknowledgedTrim, Intake
from imsd.limiter import RateLimiter
from imsd.logs import get_logger
from imsd.openapi import make_openapi_app
from imsd.queue import Later, TaskQueue, TaskSpec, TaskWorker
from imsd.records import RecordStore, State
from imsd.settings import Settings
from imsd.steps import Defer, Next, Requeue
from imsd.submission import submit_request
from imsd.tracking import track_job

__all__ = [
    "GAUGES_INTERVAL_S",
    "SWEEP_INTERVAL_S",
    "Daemon",
    "advance_request",
    "build_services",
    "export_build_info",
    "export_gauges",
    "new_event_loop",
    "quota_scope",
    "run",
    "run_engine",
    "start_engine",
    "sweep",
    "task_specs",
]

log = get_logger(__name__)

SWEEP_INTERVAL_S = 15.0
#: How often each process refreshes its gauges (readiness, and the backlog read from Redis).
GAUGES_INTERVAL_S = 5.0


def quota_scope(settings: Settings) -> tuple[str, ...]:
    """What one quota is shared by: the service's is per account and region."""
    if settings.backend == "aliyun":
        return (settings.aliyun.account, settings.aliyun.region)
    return ("local",)


async def build_services(settings: Settings) -> Services:
    redis = connect(settings.redis.url, decode_responses=True)
    limiter = RateLimiter(
        redis,
        prefix=settings.key("rl", *quota_scope(settings)),
        rates={**{a.get_action: settings.limiter.poll_rate for a in Api}, **settings.limiter.rates},
        default_rate=settings.limiter.submit_rate,
        penalty_s=settings.limiter.throttle_penalty_s,
        # A call is given up after its timeout; a second more for bytes still on the wire.
        max_call_s=settings.aliyun.timeout_s + 1.0,
        enabled=settings.limiter.enabled,
    )
    queue = await TaskQueue.connect(settings.redis.url, settings.key("tasks"))
    backend = make_backend(settings, redis)
    records = RecordStore(redis, settings.redis.prefix, settings.retention)
    return Services(settings, redis, records, limiter, backend, queue)


async def advance_request(svc: Services, request_id: str) -> None:
    """The request's task: its next steps, by its record's state (nothing once final).

    Each step returns what comes next (steps.py), and this is the one place that acts on it. A
    submit whose first poll is due at once goes straight on to it in this run: a trip through
    the queue would only add the worker's poll delay and two Redis round trips. A deferral runs
    the task again later (raises Later, for the task queue), having recorded what it says.
    """
    record = await svc.store.get(request_id)
    if record is None or record.state.final:
        return
    step = Next.POLL if record.state is State.SUBMITTED else await submit_request(svc, record)
    if step is Next.POLL:
        step = await track_job(svc, record)
    if isinstance(step, Defer):
        await svc.store.transition(request_id, due=time.time() + step.delay_s + svc.stall_margin_s(), add=step.add)
    if isinstance(step, Defer | Requeue):
        raise Later(step.delay_s)


def task_specs(svc: Services) -> list[TaskSpec]:
    async def run(request_id: str) -> None:
        await advance_request(svc, request_id)

    return [TaskSpec(REQUEST_TASK, run, svc.settings.worker.task_timeout_s)]


async def sweep(svc: Services) -> int:
    """Re-schedule records whose next activity is overdue; returns how many."""
    now = time.time()
    overdue = await svc.store.overdue(now - svc.stall_margin_s())
    for request_id in overdue:
        record = await svc.store.get(request_id)
        if record is None or record.state.final:
            await svc.redis.zrem(svc.store.active_key, request_id)
            continue
        await svc.store.transition(request_id, due=now + svc.stall_margin_s())
        await svc.schedule(request_id)
        log.warning("rescheduled overdue request", request_id=request_id, state=record.state.value)
    return len(overdue)


async def export_gauges(redis: Redis, settings: Settings, unready_reasons: Callable[[], Awaitable[list[str]]]) -> None:
    """The backlog gauges, from Redis (the same in every process: take their max), and whether
    this process is ready."""
    metrics.ready.set(0 if await unready_reasons() else 1)
    for name, value in (await backlog(redis, settings)).items():
        metrics.backlog[name].set(value)


async def export_build_info(settings: Settings, engine: bool) -> None:
    """imsd_build_info: this package's version, Python's, and the ffmpeg build an engine runs
    ("missing" where it cannot be run: readiness says so too)."""
    ffmpeg = "none"
    if engine:
        try:
            ffmpeg = await ffmpeg_identity(settings.engine.ffmpeg)
        except OSError:
            ffmpeg = "missing"
    metrics.build_info.labels(version("imsd"), platform.python_version(), ffmpeg).set(1)


def run(settings: Settings) -> None:
    """Run one daemon process until SIGTERM or SIGINT (`imsd run`).

    A process whose intake or task worker died exits non-zero, for its supervisor to restart it.
    """
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        died = runner.run(Daemon(settings).run())
    if died:
        raise SystemExit(f"imsd: stopped because {', '.join(died)} died")


def new_event_loop() -> asyncio.AbstractEventLoop:
    """The daemon's event loop: uvloop.

    Most of the daemon's work per request is event-loop and socket work (about five Redis round
    trips); on uvloop bench/overhead.py measured ~10% less CPU per request than on asyncio's own
    loop. Imported here, not at the top: the modules and their tests run on any loop.
    """
    import uvloop

    return uvloop.new_event_loop()


async def start_engine(
    settings: Settings, redis: Redis, stopping: asyncio.Event
) -> tuple[EngineRunner, asyncio.Task[None]]:
    """An engine worker in this process (the local backend's renders run here), and its loop's task.

    `stopping` is set by this process's signal handler: a render whose ffmpeg the same stop ended
    (a unit that signals every process) is then handed back rather than failed.
    """
    queue = await TaskQueue.connect(settings.redis.url, settings.engine_queue)
    runner = EngineRunner(settings, redis, queue, stopping)
    return runner, runner.start()


async def run_engine(settings: Settings) -> int:
    """An engine worker only (`imsd engine`), until SIGTERM or SIGINT; 1 if its task worker died.

    It serves /metrics, /livez and /readyz on the HTTP port like a daemon, ready while Redis
    answers and the machine has what the engine needs (preflight).
    """
    redis = connect(settings.redis.url, decode_responses=True)
    problems = await engine_problems(settings.engine)
    for problem in problems:
        log.error("engine not ready", problem=problem)

    async def unready_reasons() -> list[str]:
        try:
            await redis.ping()
        except Exception as error:
            return [f"redis: not answering ({type(error).__name__})", *problems]
        return problems

    runner = web.AppRunner(make_health_app(unready_reasons), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.http.host, settings.http.port).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    engine, engine_loop = await start_engine(settings, redis, stop)
    await export_build_info(settings, engine=True)
    gauges = asyncio.create_task(
        every(GAUGES_INTERVAL_S, "gauges", lambda: export_gauges(redis, settings, unready_reasons))
    )
    log.info("engine started", http_port=settings.http.port)
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait([stopped, engine_loop], return_when=asyncio.FIRST_COMPLETED)
    died = engine_loop.done()  # before stopping, which ends the loop too
    stopped.cancel()
    gauges.cancel()
    await engine.stop(settings.worker.stop_grace_s)
    await runner.cleanup()
    await redis.aclose()
    if died:
        log.error("engine stopped because its task worker died")
    return 1 if died else 0


class Daemon:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stop_event = asyncio.Event()
        self.http_port: int | None = None
        self.openapi_port: int | None = None
        self._ready = False
        self._engine_problems: list[str] = []  # what the local engine lacks (preflight), checked at start

    async def is_ready(self) -> bool:
        return not await self.unready_reasons()

    async def unready_reasons(self) -> list[str]:
        """Why this process cannot do its work now, one line each; empty when it can (/readyz)."""
        if not self._ready:
            return ["starting or stopping"]
        try:
            await self.svc.redis.ping()
        except Exception as error:
            return [f"redis: not answering ({type(error).__name__})"]
        return list(self._engine_problems)

    async def run(self) -> list[str]:
        """Serve until stopped; returns the names of the background tasks that died, if any."""
        settings = self.settings
        self.svc = svc = await build_services(settings)
        # What exists now (modules, pydantic models, settings) lives as long as the process:
        # frozen, it is no longer walked by every full collection, pauses of ~50 ms on a loaded
        # machine that made send slots due meanwhile fire late and together.
        gc.freeze()
        worker = TaskWorker(
            settings.redis.url,
            task_specs(svc),
            queue_name=svc.queue.queue_name,
            max_jobs=settings.worker.max_jobs,
            poll_delay_s=settings.worker.poll_delay_s,
        )
        if settings.backend == "local":
            self._engine_problems = await engine_problems(settings.engine)
            for problem in self._engine_problems:
                log.error("engine not ready", problem=problem)
        runner = web.AppRunner(make_app(svc, self.unready_reasons), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, settings.http.host, settings.http.port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.http_port = sockets[0].getsockname()[1] if sockets else settings.http.port
        openapi = await self._serve_openapi(svc) if settings.openapi.enabled else None
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop_event.set)

        intake = Intake(svc)
        await intake.ensure_group()
        trim = AcknowledgedTrim(svc.redis, intake.stream)
        background = [
            asyncio.create_task(intake.run(self.stop_event), name="intake"),
            asyncio.create_task(every(SWEEP_INTERVAL_S, "sweep", lambda: sweep(svc)), name="sweeper"),
            asyncio.create_task(
                every(GAUGES_INTERVAL_S, "gauges", lambda: export_gauges(svc.redis, settings, self.unready_reasons)),
                name="gauges",
            ),
            asyncio.create_task(
                every(settings.retention.requests_trim_interval_s, "trim", trim.trim), name="stream trimmer"
            ),
        ]
        engine = None
        await export_build_info(settings, engine=settings.backend == "local")
        if settings.backend == "local":
            engine, engine_loop = await start_engine(settings, svc.redis, self.stop_event)
            background.append(engine_loop)
        background.append(worker.start())
        watchdog_s = systemd.watchdog_interval_s()
        if watchdog_s is not None:
            background.append(asyncio.create_task(self._watchdog(watchdog_s), name="watchdog"))
        self._ready = True
        reasons = await self.unready_reasons()
        status = "ready" if not reasons else f"running, not ready: {'; '.join(reasons)}"
        systemd.notify(f"READY=1\nSTATUS={status} ({svc.backend.name} backend, HTTP port {self.http_port})")
        log.info("daemon started", backend=svc.backend.name, http_port=self.http_port, consumer=intake.consumer)

        stopper = asyncio.create_task(self.stop_event.wait())
        await asyncio.wait([stopper, *background], return_when=asyncio.FIRST_COMPLETED)
        died = [task for task in background if task.done()]
        for task in died:
            error = None if task.cancelled() else task.exception()
            log.error("background task died", task=task.get_name(), error=repr(error))
        self._ready = False
        systemd.notify(f"STOPPING=1\nSTATUS=stopping: handing back {worker.running_tasks} running tasks")
        log.info("stopping", running_tasks=worker.running_tasks)
        intake_task = background[0]
        intake_task.cancel()
        await worker.stop(settings.worker.stop_grace_s)
        if engine is not None:
            await engine.stop(settings.worker.stop_grace_s)
        for task in background:
            task.cancel()
        stopper.cancel()
        await asyncio.gather(*background, stopper, return_exceptions=True)
        await runner.cleanup()
        if openapi is not None:
            await openapi.cleanup()
        await svc.backend.close()
        await svc.queue.close()
        await svc.redis.aclose()
        log.info("stopped")
        return [task.get_name() for task in died]

    async def _serve_openapi(self, svc: Services) -> web.AppRunner:
        """The IMS OpenAPI endpoint on its own port (openapi.py); `self.openapi_port` is where."""
        settings = svc.settings.openapi
        runner = web.AppRunner(make_openapi_app(svc), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, settings.host, settings.port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []
        self.openapi_port = sockets[0].getsockname()[1] if sockets else settings.port
        log.info("openapi endpoint started", host=settings.host, port=self.openapi_port,
                 any_key=settings.accept_any_key, access_keys=len(settings.access_keys))  # fmt: skip
        return runner

    async def _watchdog(self, interval: float) -> None:
        while True:
            with contextlib.suppress(Exception):
                if await self.is_ready():
                    systemd.notify("WATCHDOG=1")
            await asyncio.sleep(interval)
