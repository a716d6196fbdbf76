"""The daemon's own overhead: requests per second end to end, raw arq, and memory in flight.

    .venv/bin/python bench/overhead.py [--requests 5000] [--noop-jobs 10000] [--inflight 10000] [--asyncio-loop]

Everything runs against a private redis-server on 127.0.0.1. The daemon runs in child processes
with the limiter off and a zero-latency in-memory backend (submit returns a JobId at once,
get_job reports it finished), so what is measured is intake → submit → track → emit: the
daemon's Redis round trips, arq's task handling and Python. Three figures:

- requests_per_s: N requests put on the stream before the daemon starts, divided by the time
  from the first record's `received_at` to the last result's `finished_at`;
- arq_noop_per_s: the same arq worker setup (imsd.queue, JSON serializer, max_jobs, poll
  delay) running N no-op tasks on the same Redis: the ceiling the daemon (one task run per
  request: the first poll is due at once, so it follows the submit in the same run) sits under;
- rss_mb_10k_inflight: VmRSS of a daemon process (a child of this one) holding N requests
  submitted and not finished (get_job reports RUNNING).

Each phase runs on the daemon's own event loop (uvloop, imsd.daemon.new_event_loop), or with
--asyncio-loop on asyncio's, to see what uvloop brings. Logs go to a file in the work directory
at the default level (info, as in production; set IMSD_BENCH_LOG_LEVEL=warning to see what
logging costs). The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import imsd.daemon
from imsd.api.jobs import JobSnapshot, JobState, Output, Submission
from imsd.api.wire import Api
from imsd.backends.base import Pace
from imsd.daemon import Daemon, new_event_loop
from imsd.logs import configure_logging
from imsd.queue import TaskQueue, TaskSpec, TaskWorker
from imsd.settings import Settings
from redis import Redis as SyncRedis
from redis.asyncio import Redis

from tests.conftest import RedisServer
from tests.helpers import single_job_request


class InstantBackend:
    """A backend that costs nothing: every job exists at once and is in `state` when read."""

    name = "instant"

    def __init__(self, state: JobState) -> None:
        self.state = state
        self.submits = 0
        self.polls = 0

    async def submit(self, api: Api, params: dict[str, Any], client_token: str) -> Submission:
        self.submits += 1
        return Submission(job_id=f"job-{client_token}")

    async def get_job(self, api: Api, job_id: str) -> JobSnapshot:
        self.polls += 1
        if self.state is JobState.RUNNING:
            return JobSnapshot(job_id, JobState.RUNNING, "Processing")
        return JobSnapshot(
            job_id, self.state, "Success", outputs=[Output(job_id, "Success", media_url=f"mem://{job_id}.mp4")]
        )

    async def find_job(self, api: Api, request_id: str, since: float, pace: Pace | None = None) -> str | None:
        return None

    async def close(self) -> None:
        return None


LOG_LEVEL = os.environ.get("IMSD_BENCH_LOG_LEVEL", "info")


def settings_for(redis_url: str) -> Settings:
    return Settings(
        backend="aliyun",  # the quota scope only; the backend itself is replaced
        redis={"url": redis_url},
        http={"host": "127.0.0.1", "port": 0},
        limiter={"enabled": False},
        tracking={"first_poll_s": 0.0},
        worker={"stop_grace_s": 1.0},
        intake={"block_ms": 100},
        log={"level": LOG_LEVEL, "format": "json"},
    )


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


async def preload(redis: Redis, count: int, prefix: str) -> None:
    """Put `count` valid requests on the stream, in pipelined chunks."""
    chunk = 1000
    for start in range(0, count, chunk):
        pipe = redis.pipeline(transaction=False)
        for i in range(start, min(count, start + chunk)):
            pipe.xadd("imsd:requests", {"request": json.dumps(single_job_request(f"{prefix}-{i}"))})
        await pipe.execute()


async def start_daemon(settings: Settings, backend: InstantBackend) -> tuple[Daemon, asyncio.Task[None]]:
    imsd.daemon.make_backend = lambda settings, redis: backend  # type: ignore[assignment]
    daemon = Daemon(settings)
    task = asyncio.create_task(daemon.run())
    while not (hasattr(daemon, "svc") and await daemon.is_ready()):
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    return daemon, task


async def stop_daemon(daemon: Daemon, task: asyncio.Task[None]) -> None:
    daemon.stop_event.set()
    await asyncio.wait_for(task, 60)


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


async def e2e_worker(redis_url: str, count: int) -> dict[str, float]:
    """One daemon of the end-to-end run: starts on the parent's go, stops on its stop."""
    redis = Redis.from_url(redis_url, decode_responses=True)
    backend = InstantBackend(JobState.SUCCEEDED)
    await redis.incr("bench:ready")
    while not await redis.exists("bench:go"):  # noqa: ASYNC110
        await asyncio.sleep(0.005)
    daemon, task = await start_daemon(settings_for(redis_url), backend)
    while not await redis.exists("bench:stop"):  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    await stop_daemon(daemon, task)
    await redis.aclose()
    return {"submits": backend.submits, "polls": backend.polls}


def end_to_end(redis_url: str, count: int, processes: int, log_path: Path, asyncio_loop: bool) -> dict[str, float]:
    """`count` requests on the stream, then `processes` daemons started together on them."""

    async def prepare() -> None:
        redis = Redis.from_url(redis_url, decode_responses=True)
        await redis.flushall()
        await preload(redis, count, "e2e")
        await redis.aclose()

    asyncio.run(prepare())
    children = [spawn("e2e-worker", redis_url, count, log_path, asyncio_loop) for _ in range(processes)]
    sync = SyncRedis.from_url(redis_url, decode_responses=True)
    deadline = time.monotonic() + 600
    while int(sync.get("bench:ready") or 0) < processes:
        if any(c.poll() is not None for c in children) or time.monotonic() > deadline:
            raise RuntimeError("an end-to-end worker did not start")
        time.sleep(0.01)
    sync.set("bench:go", 1)
    while sync.xlen("imsd:results") < count and time.monotonic() < deadline:
        time.sleep(0.05)
    sync.set("bench:stop", 1)
    workers = [collect(c) for c in children]
    results = [json.loads(fields["result"]) for _, fields in sync.xrange("imsd:results")]
    sync.close()
    succeeded = sum(r["status"] == "SUCCEEDED" for r in results)
    first = min(_epoch(r["received_at"]) for r in results)
    last = max(_epoch(r["finished_at"]) for r in results)
    latencies = sorted(_epoch(r["finished_at"]) - _epoch(r["received_at"]) for r in results)
    return {
        "requests": count,
        "processes": processes,
        "succeeded": succeeded,
        "seconds": last - first,
        "requests_per_s": succeeded / (last - first),
        "submits": sum(w["submits"] for w in workers),
        "polls": sum(w["polls"] for w in workers),
        "latency_p50_s": latencies[len(latencies) // 2],
    }


async def arq_noop(redis_url: str, count: int, settings: Settings) -> dict[str, float]:
    redis = Redis.from_url(redis_url, decode_responses=True)
    await redis.flushall()
    await redis.aclose()
    done = 0
    finished = asyncio.Event()

    async def noop(index: int) -> None:
        nonlocal done
        done += 1
        if done == count:
            finished.set()

    queue = await TaskQueue.connect(redis_url, "bench:noop")
    started = time.monotonic()
    for start in range(0, count, 500):
        chunk = range(start, min(count, start + 500))
        await asyncio.gather(*(queue.enqueue("noop", i, task_id=f"noop-{i}") for i in chunk))
    enqueue_s = time.monotonic() - started
    worker = TaskWorker(
        redis_url,
        [TaskSpec("noop", noop, settings.worker.task_timeout_s)],
        queue_name="bench:noop",
        max_jobs=settings.worker.max_jobs,
        poll_delay_s=settings.worker.poll_delay_s,
    )
    started = time.monotonic()
    worker.start()
    await asyncio.wait_for(finished.wait(), 600)
    run_s = time.monotonic() - started
    await worker.stop(1.0)
    await queue.close()
    return {"jobs": count, "enqueue_per_s": count / enqueue_s, "run_per_s": count / run_s}


async def inflight_rss(redis_url: str, count: int) -> dict[str, float]:
    """In a fresh process: hold `count` requests submitted and unfinished, report VmRSS."""
    redis = Redis.from_url(redis_url, decode_responses=True)
    await redis.flushall()
    await preload(redis, count, "rss")
    baseline = rss_mb()
    backend = InstantBackend(JobState.RUNNING)
    daemon, task = await start_daemon(settings_for(redis_url), backend)
    idle = rss_mb()
    deadline = time.monotonic() + 600
    while (backend.submits < count or backend.polls < count) and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)
    in_flight = int(await redis.zcard("imsd:active"))
    peak = rss_mb()
    await stop_daemon(daemon, task)
    await redis.aclose()
    return {
        "in_flight": in_flight,
        "submits": backend.submits,
        "polls": backend.polls,
        "rss_mb_before_daemon": baseline,
        "rss_mb_daemon_idle": idle,
        "rss_mb_inflight": peak,
    }


def spawn(phase: str, redis_url: str, count: int, log_path: Path, asyncio_loop: bool) -> subprocess.Popen[str]:
    """One phase in a fresh interpreter, so that its memory and its event loop are its own."""
    return subprocess.Popen(
        [sys.executable, __file__, "--phase", phase, "--redis-url", redis_url, "--count", str(count),
         "--log", str(log_path), *(["--asyncio-loop"] if asyncio_loop else [])],
        stdout=subprocess.PIPE, text=True,
    )


def collect(child: subprocess.Popen[str]) -> dict[str, float]:
    out, _ = child.communicate(timeout=600)
    if child.returncode != 0:
        raise RuntimeError(f"bench child failed ({child.returncode}), see the log")
    figures: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--noop-jobs", type=int, default=10000)
    parser.add_argument("--inflight", type=int, default=10000)
    parser.add_argument("--processes", type=int, default=2, help="daemon processes of the second end-to-end run")
    parser.add_argument("--asyncio-loop", action="store_true", help="run on asyncio's event loop, not uvloop")
    parser.add_argument("--phase", choices=["e2e-worker", "arq", "rss"], help=argparse.SUPPRESS)
    parser.add_argument("--redis-url", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--log", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase:  # a child: one phase, its figures as the last line
        with args.log.open("a") as log:
            sys.stderr = log
            configure_logging(settings_for(args.redis_url).log)
            phase = {"e2e-worker": e2e_worker, "arq": lambda url, n: arq_noop(url, n, settings_for(url)),
                     "rss": inflight_rss}[args.phase]
            with asyncio.Runner(loop_factory=None if args.asyncio_loop else new_event_loop) as runner:
                figures = runner.run(phase(args.redis_url, args.count))
        print(json.dumps(figures))
        return

    workdir = Path(tempfile.mkdtemp(prefix="imsd-bench-overhead-"))
    server = RedisServer(workdir)
    log_path = workdir / "daemon.log"
    try:
        e2e = end_to_end(server.url, args.requests, 1, log_path, args.asyncio_loop)
        e2e_n = end_to_end(server.url, args.requests, args.processes, log_path, args.asyncio_loop)
        arq = collect(spawn("arq", server.url, args.noop_jobs, log_path, args.asyncio_loop))
        rss = collect(spawn("rss", server.url, args.inflight, log_path, args.asyncio_loop))
    finally:
        server.stop()
    print(f"cpus                    {os.cpu_count()}")
    print(f"end to end              {e2e['succeeded']:.0f} requests in {e2e['seconds']:.2f}s: "
          f"{e2e['requests_per_s']:.0f} requests/s (p50 latency {1000 * e2e['latency_p50_s']:.0f} ms "
          f"in a {e2e['requests']:.0f} burst; {e2e['submits']:.0f} submits, {e2e['polls']:.0f} polls)")
    print(f"end to end, {args.processes} daemons    {e2e_n['succeeded']:.0f} requests in {e2e_n['seconds']:.2f}s: "
          f"{e2e_n['requests_per_s']:.0f} requests/s")
    print(f"arq no-op               {arq['jobs']:.0f} tasks: {arq['run_per_s']:.0f} run/s, "
          f"{arq['enqueue_per_s']:.0f} enqueued/s")
    print(f"memory                  {rss['in_flight']:.0f} in flight: VmRSS {rss['rss_mb_inflight']:.1f} MB "
          f"(interpreter + imports {rss['rss_mb_before_daemon']:.1f} MB, "
          f"idle daemon {rss['rss_mb_daemon_idle']:.1f} MB)")
    print(f"logs                    {log_path}")
    print(json.dumps({
        "requests_per_s": round(e2e["requests_per_s"], 1),
        "arq_noop_per_s": round(arq["run_per_s"], 1),
        "rss_mb_10k_inflight": round(rss["rss_mb_inflight"], 1),
        "requests": int(e2e["requests"]),
        f"requests_per_s_{args.processes}_processes": round(e2e_n["requests_per_s"], 1),
        "arq_noop_enqueue_per_s": round(arq["enqueue_per_s"], 1),
        "in_flight": int(rss["in_flight"]),
        "rss_mb_idle_daemon": round(rss["rss_mb_daemon_idle"], 1),
        "cpus": os.cpu_count(),
        "event_loop": "asyncio" if args.asyncio_loop else "uvloop",
    }))


if __name__ == "__main__":
    main()
