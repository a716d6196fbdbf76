"""How the task worker runs a task, against a real Redis: as arq would, with one script per step."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import imsd.queue
import pytest
from imsd.queue import Later, TaskQueue, TaskSpec, TaskWorker
from redis.asyncio import Redis

from tests.conftest import QUEUE, free_port


def worker(redis_url: str, task: Callable[[str], Awaitable[None]]) -> TaskWorker:
    return TaskWorker(redis_url, [TaskSpec("work", task, 5.0)], queue_name=QUEUE, max_jobs=10, poll_delay_s=0.01)


async def run_until(redis_url: str, task: Callable[[str], Awaitable[None]], done: Callable[[], bool]) -> None:
    """Run a worker until `done()` holds (or a generous while has passed), then stop it."""
    running = worker(redis_url, task)
    running.start()
    try:
        for _ in range(500):
            if done():
                break
            await asyncio.sleep(0.01)
    finally:
        await running.stop(1.0)


async def test_a_task_that_returns_is_gone_with_its_job(queue: TaskQueue, redis: Redis, redis_url: str) -> None:
    runs: list[str] = []

    async def task(name: str) -> None:
        runs.append(name)

    await queue.enqueue("work", "a", task_id="t-a")
    await run_until(redis_url, task, lambda: bool(runs))
    assert runs == ["a"]
    assert await queue.depth() == 0
    assert await redis.exists("arq:job:t-a", "arq:in-progress:t-a", "arq:retry:t-a") == 0


async def test_a_task_that_raises_later_runs_again_after_its_delay(queue: TaskQueue, redis_url: str) -> None:
    runs: list[float] = []

    async def task(name: str) -> None:
        runs.append(time.time())
        if len(runs) == 1:
            raise Later(0.3)

    await queue.enqueue("work", "a", task_id="t-a")
    await run_until(redis_url, task, lambda: len(runs) == 2)
    assert len(runs) == 2
    assert runs[1] - runs[0] >= 0.3
    assert await queue.depth() == 0


async def test_a_failing_task_is_dropped_and_the_worker_goes_on(queue: TaskQueue, redis: Redis, redis_url: str) -> None:
    runs: list[str] = []

    async def task(name: str) -> None:
        runs.append(name)
        if name == "bad":
            raise ValueError("a bug")

    await queue.enqueue("work", "bad", task_id="t-bad")
    await queue.enqueue("work", "good", task_id="t-good", delay_s=0.05)
    await run_until(redis_url, task, lambda: runs == ["bad", "good"])
    assert runs == ["bad", "good"]
    assert await queue.depth() == 0
    assert await redis.exists("arq:job:t-bad") == 0


async def test_a_task_cut_off_by_a_stopping_worker_stays_due_for_another(
    queue: TaskQueue, redis: Redis, redis_url: str
) -> None:
    started = asyncio.Event()
    runs: list[str] = []

    async def slow(name: str) -> None:
        started.set()
        await asyncio.sleep(30)

    async def quick(name: str) -> None:
        runs.append(name)

    await queue.enqueue("work", "a", task_id="t-a")
    stopping = worker(redis_url, slow)
    stopping.start()
    await asyncio.wait_for(started.wait(), 5)
    await stopping.stop(0.01)
    assert await redis.zscore(QUEUE, "t-a") <= time.time() * 1000
    assert await redis.exists("arq:in-progress:t-a") == 0
    await run_until(redis_url, quick, lambda: bool(runs))
    assert runs == ["a"]


async def test_a_task_whose_job_expired_is_dropped_unrun(queue: TaskQueue, redis: Redis, redis_url: str) -> None:
    runs: list[str] = []

    async def task(name: str) -> None:
        runs.append(name)

    await queue.enqueue("work", "expired", task_id="t-expired")
    await redis.delete("arq:job:t-expired")
    await queue.enqueue("work", "next", task_id="t-next", delay_s=0.05)
    await run_until(redis_url, task, lambda: bool(runs))
    assert runs == ["next"]
    assert await queue.depth() == 0
    assert await redis.exists("arq:in-progress:t-expired") == 0


async def test_connect_waits_for_a_redis_that_comes_up_a_little_later(tmp_path: Path) -> None:
    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
               "--dir", str(tmp_path)]  # fmt: skip

    async def start_later() -> asyncio.subprocess.Process:
        await asyncio.sleep(1.5)
        return await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.DEVNULL)

    starting = asyncio.create_task(start_later())
    try:
        queue = await TaskQueue.connect(f"redis://127.0.0.1:{port}/0", QUEUE)
        assert await queue.depth() == 0
        await queue.close()
    finally:
        server = await starting
        server.terminate()
        await server.wait()


async def test_a_running_task_keeps_its_in_progress_lease_however_long_it_runs(
    queue: TaskQueue, redis: Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imsd.queue, "IN_PROGRESS_LEASE_S", 0.3)
    runs: list[str] = []

    async def slow(name: str) -> None:
        runs.append(name)
        await asyncio.sleep(1.2)  # four leases

    await queue.enqueue("work", "a", task_id="t-a")
    first, second = worker(redis_url, slow), worker(redis_url, slow)
    first.start()
    second.start()
    try:
        await asyncio.sleep(1.0)
        assert await redis.exists("arq:in-progress:t-a") == 1
    finally:
        await first.stop(2.0)
        await second.stop(2.0)
    assert runs == ["a"]  # the other worker never started it too


WORKER_THEN_HANG = """
import asyncio, sys
import imsd.queue
from imsd.queue import TaskSpec, TaskWorker

imsd.queue.IN_PROGRESS_LEASE_S = 0.5

async def hang(name: str) -> None:
    print("running", flush=True)
    await asyncio.sleep(3600)

async def main() -> None:
    TaskWorker(sys.argv[1], [TaskSpec("work", hang, 600.0)], queue_name=sys.argv[2], max_jobs=1,
               poll_delay_s=0.01).start()
    await asyncio.sleep(3600)

asyncio.run(main())
"""


async def test_a_task_of_a_killed_worker_runs_again_within_the_lease(queue: TaskQueue, redis_url: str) -> None:
    """kill -9 leaves no finish: the in-progress mark lapses once its worker stops renewing it,
    a lease later, not the task's timeout (here 600 s) plus ten seconds."""
    await queue.enqueue("work", "a", task_id="t-a")
    killed = await asyncio.create_subprocess_exec(
        sys.executable, "-c", WORKER_THEN_HANG, redis_url, QUEUE, stdout=asyncio.subprocess.PIPE
    )
    assert killed.stdout is not None
    assert await asyncio.wait_for(killed.stdout.readline(), 20) == b"running\n"
    killed.kill()
    await killed.wait()
    runs: list[str] = []

    async def quick(name: str) -> None:
        runs.append(name)

    await run_until(redis_url, quick, lambda: bool(runs))  # gives up after about 5 s
    assert runs == ["a"]



async def test_workers_polling_in_step_share_tasks_due_at_random_times(queue: TaskQueue, redis_url: str) -> None:
    """arq polls on a fixed period from each worker's start: two workers started together keep
    phases a fraction of a millisecond apart for ever, and a task due at any time goes to the
    first to poll after it, nearly always the same one (the other starved). Polling at a random
    moment of each period shares the tasks out."""
    runs: dict[str, int] = {"first": 0, "second": 0}

    def counting(name: str) -> TaskWorker:
        async def task(_: str) -> None:
            runs[name] += 1

        return TaskWorker(redis_url, [TaskSpec("work", task, 5.0)], queue_name=QUEUE, max_jobs=10, poll_delay_s=0.2)

    for i in range(60):
        await queue.enqueue("work", str(i), task_id=f"t-{i}", delay_s=0.3 + i * 0.03)
    workers = [counting("first"), counting("second")]
    for running in workers:
        running.start()
    try:
        for _ in range(500):
            if sum(runs.values()) == 60:
                break
            await asyncio.sleep(0.01)
    finally:
        for running in workers:
            await running.stop(1.0)
    assert sum(runs.values()) == 60
    assert min(runs.values()) >= 60 // 4, runs  # an even share is 30 each; below 15 is a 1-in-20,000 draw
