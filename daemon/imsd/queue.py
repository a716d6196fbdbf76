"""Durable tasks on Redis, through arq; the only module that imports it.

arq 0.28 is in maintenance mode and pins redis-py < 6, so everything it does for us sits behind
this small surface: enqueue a named task once (deduplicated by task id), defer a running task
(`Later`), bring a deferred one forward, and run a worker inside our own event loop. Tasks are
JSON (never pickle). A task of a killed worker is re-run after its timeout plus ten seconds,
which is why task timeouts are short and long waits are deferrals rather than sleeps.

Two of arq's steps cost several Redis round trips each (WATCH, EXISTS, MULTI/EXEC), which made
them most of the daemon's per-request overhead. Both are done here as single Lua scripts with
the same keys and the same checks: enqueueing (`ENQUEUE_LUA`, also embedded in the records'
admission script) and starting the due tasks of one poll (`_Worker.start_jobs`, one script for
the whole batch instead of four round trips per task).
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
from arq.constants import (
    default_queue_name,
    expires_extra_ms,
    in_progress_key_prefix,
    job_key_prefix,
    result_key_prefix,
)
from arq.jobs import serialize_job
from arq.utils import timestamp_ms
from arq.worker import func
from redis.commands.core import AsyncScript

TaskFunction = Callable[..., Awaitable[Any]]

# Our tasks are idempotent and count their own attempts; arq's try limit must never drop one.
_UNLIMITED_TRIES = 1_000_000


# `enqueue(job_key, result_key, queue, expires_ms, job, score, task_id)`: arq's enqueue_job as one
# step. Like arq, it does nothing while the task id is queued or running (its job key exists) or
# has a kept result. A Lua function, so that other scripts can enqueue atomically with their own
# changes (the records' admission does).
ENQUEUE_LUA = """
local function enqueue(job_key, result_key, queue, expires_ms, job, score, task_id)
  if redis.call('EXISTS', job_key, result_key) > 0 then return 0 end
  redis.call('PSETEX', job_key, expires_ms, job)
  redis.call('ZADD', queue, score, task_id)
  return 1
end
"""

_ENQUEUE = ENQUEUE_LUA + "return enqueue(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3], ARGV[4])"

# Start, in order, up to ARGV[3] of the given tasks that are still due and not running elsewhere,
# as arq's start_jobs checks them (ZSCORE, EXISTS in-progress, then PSETEX in-progress), for a
# whole batch at once. KEYS: the queue, then each task's in-progress key; ARGV: now (ms),
# in-progress TTL (ms), how many may start, the task ids. Returns [task_id, score, ...].
_START = """
local started = {}
for i = 4, #ARGV do
  if #started >= 2 * tonumber(ARGV[3]) then break end
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) <= tonumber(ARGV[1])
      and redis.call('SET', KEYS[i - 2], '1', 'NX', 'PX', ARGV[2]) then
    started[#started + 1] = ARGV[i]
    started[#started + 1] = score
  end
end
return started
"""


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
class QueuedTask:
    """What ENQUEUE_LUA needs to enqueue one task: its keys and arguments, in that order."""

    keys: tuple[str, str, str]
    args: tuple[int, bytes, int, str]


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
        self._enqueue: AsyncScript = pool.register_script(_ENQUEUE)

    @classmethod
    async def connect(cls, redis_url: str, queue_name: str = default_queue_name) -> TaskQueue:
        pool = await create_pool(
            RedisSettings.from_dsn(redis_url),
            job_serializer=_serialize,
            job_deserializer=_deserialize,
            default_queue_name=queue_name,
        )
        return cls(pool, queue_name)

    def task(self, name: str, *args: Any, task_id: str, delay_s: float = 0.0) -> QueuedTask:
        """The task `name(*args)` as arq would store it, due in `delay_s`."""
        now_ms = timestamp_ms()
        delay_ms = round(delay_s * 1000)
        job = serialize_job(name, args, {}, None, now_ms, serializer=_serialize)
        return QueuedTask(
            keys=(job_key_prefix + task_id, result_key_prefix + task_id, self.queue_name),
            args=(delay_ms + expires_extra_ms, job, now_ms + delay_ms, task_id),
        )

    async def enqueue(self, name: str, *args: Any, task_id: str, delay_s: float = 0.0) -> bool:
        """Enqueue `name(*args)` unless a task with `task_id` is already queued or running."""
        task = self.task(name, *args, task_id=task_id, delay_s=delay_s)
        return bool(await self._enqueue(keys=task.keys, args=task.args))

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


class _Worker(Worker):
    """arq's worker, starting the due tasks of one poll with one script (see `_START`)."""

    _start: AsyncScript | None = None

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        if self._start is None:
            self._start = self.pool.register_script(_START)
        # Due tasks stay in the queue while they run: skip this worker's own running ones. Those
        # of other workers are skipped by the script, which goes on to the next id (the free
        # slots may be fewer than the ids, and the first ones may all be running elsewhere).
        ids = [i for i in (job_id.decode() for job_id in job_ids) if i not in self.tasks or self.tasks[i].done()]
        free = self.max_jobs - self.job_counter
        if not ids or free <= 0:
            return
        started = await self._start(
            keys=[self.queue_name, *(in_progress_key_prefix + i for i in ids)],
            args=[timestamp_ms(), int(self.in_progress_timeout_s * 1000), free, *ids],
        )
        for raw_id, score in zip(started[::2], started[1::2], strict=True):
            job_id = raw_id.decode()
            await self.sem.acquire()  # never waits: job_counter stays below max_jobs
            self.job_counter += 1
            task = self.loop.create_task(self.run_job(job_id, int(float(score))))
            task.add_done_callback(lambda _: self._release_sem_dec_counter_on_complete())
            self.tasks[job_id] = task


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
        self._worker = _Worker(
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
