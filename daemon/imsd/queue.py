"""Durable tasks on Redis, through arq; the only module that imports it.

arq 0.28 is in maintenance mode and pins redis-py < 6, so everything it does for us sits behind
this small surface: enqueue a named task once (deduplicated by task id), defer a running task
(`Later`), bring a deferred one forward, and run a worker inside our own event loop. Tasks are
JSON (never pickle). A task of a killed worker is re-run after its timeout plus ten seconds,
which is why task timeouts are short and long waits are deferrals rather than sleeps.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from arq import Retry, Worker
from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.constants import default_queue_name, in_progress_key_prefix, job_key_prefix
from arq.worker import func

TaskFunction = Callable[..., Awaitable[Any]]

# Our tasks are idempotent and count their own attempts; arq's try limit must never drop one.
_UNLIMITED_TRIES = 1_000_000


def _serialize(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _deserialize(raw: bytes) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(raw)
    return value


class Later(Exception):
    """Raised by a task to run again after `delay_s` without holding a worker slot meanwhile."""

    def __init__(self, delay_s: float) -> None:
        super().__init__(f"again in {delay_s:.2f}s")
        self.delay_s = delay_s


@dataclass(frozen=True)
class TaskSpec:
    name: str
    function: TaskFunction
    timeout_s: float


class TaskQueue:
    """Enqueue and expedite tasks by id on one Redis queue."""

    def __init__(self, pool: ArqRedis, queue_name: str) -> None:
        self._pool = pool
        self.queue_name = queue_name

    @classmethod
    async def connect(cls, redis_url: str, queue_name: str = default_queue_name) -> TaskQueue:
        pool = await create_pool(
            RedisSettings.from_dsn(redis_url),
            job_serializer=_serialize,
            job_deserializer=_deserialize,
            default_queue_name=queue_name,
        )
        return cls(pool, queue_name)

    async def enqueue(self, name: str, *args: Any, task_id: str, delay_s: float = 0.0) -> bool:
        """Enqueue `name(*args)` unless a task with `task_id` is already queued or running."""
        job = await self._pool.enqueue_job(
            name, *args, _job_id=task_id, _queue_name=self.queue_name, _defer_by=delay_s or None
        )
        return job is not None

    async def expedite(self, task_id: str) -> bool:
        """Make a deferred task due now; False if no such task is queued."""
        now_ms = int(time.time() * 1000)
        changed = await self._pool.zadd(self.queue_name, {task_id: now_ms}, xx=True, ch=True)
        return bool(changed) or await self._pool.zscore(self.queue_name, task_id) is not None

    async def exists(self, task_id: str) -> bool:
        return bool(await self._pool.exists(job_key_prefix + task_id))

    async def depth(self) -> int:
        return int(await self._pool.zcard(self.queue_name))

    async def close(self) -> None:
        await self._pool.aclose()


def _wrap(spec: TaskSpec) -> Any:
    async def run(ctx: dict[str, Any], *args: Any) -> None:
        try:
            await spec.function(*args)
        except Later as later:
            raise Retry(defer=later.delay_s) from None

    run.__qualname__ = spec.name
    return func(run, name=spec.name, timeout=spec.timeout_s, keep_result=0, max_tries=_UNLIMITED_TRIES)


class TaskWorker:
    """An arq worker running inside the caller's event loop, stoppable gracefully."""

    def __init__(
        self,
        redis_url: str,
        tasks: Sequence[TaskSpec],
        *,
        queue_name: str = default_queue_name,
        max_jobs: int,
        poll_delay_s: float,
    ) -> None:
        self._worker = Worker(
            functions=[_wrap(t) for t in tasks],
            redis_settings=RedisSettings.from_dsn(redis_url),
            queue_name=queue_name,
            max_jobs=max_jobs,
            poll_delay=poll_delay_s,
            keep_result=0,
            handle_signals=False,
            job_serializer=_serialize,
            job_deserializer=_deserialize,
            max_tries=_UNLIMITED_TRIES,
            health_check_interval=30,
        )
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._worker.main(), name="arq-worker")

    @property
    def running_tasks(self) -> int:
        return sum(not t.done() for t in self._worker.tasks.values())

    async def stop(self, grace_s: float) -> None:
        """Stop taking tasks, give running ones `grace_s`, cancel the rest (arq re-queues them)."""
        self._worker.allow_pick_jobs = False
        running = [t for t in self._worker.tasks.values() if not t.done()]
        if running:
            await asyncio.wait(running, timeout=grace_s)
        await self._worker.close()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


def in_progress_key(task_id: str) -> str:
    """arq's marker of a running task (tests use it to see crash recovery)."""
    return in_progress_key_prefix + task_id
