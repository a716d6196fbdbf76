"""Durable tasks on Redis, through arq; the only module that imports it.

arq 0.28 is in maintenance mode and pins redis-py < 6, so everything it does for us sits behind
this small surface: enqueue a named task once (deduplicated by task id), defer a running task
(`Later`), bring a deferred one forward, and run a worker inside our own event loop. Tasks are
JSON (never pickle). A running task's in-progress mark is a lease its worker renews (arq's own
lasts the task's timeout plus ten seconds): a task of a killed worker runs again within
`IN_PROGRESS_LEASE_S`, not a minute later, for another worker or the restarted one.

arq's own steps cost several Redis round trips each (WATCH, EXISTS, MULTI/EXEC), which made
them most of the daemon's per-request overhead. They are done here as Lua scripts with the same
keys and the same checks: enqueueing (`ENQUEUE`, also included in the records' admission
script), starting the due tasks of one poll and reading their jobs (`_START_TASKS`, one script
for the whole batch instead of five round trips per task) and finishing a run (`_FINISH_TASK`, one
script instead of a MULTI/EXEC). arq still runs the worker's loop, its health check and its shutdown.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from arq import Worker
from arq.connections import ArqRedis
from arq.constants import (
    default_queue_name,
    expires_extra_ms,
    in_progress_key_prefix,
    job_key_prefix,
    result_key_prefix,
    retry_key_prefix,
)
from arq.jobs import deserialize_job_raw, serialize_job
from arq.utils import timestamp_ms
from arq.worker import func
from redis.exceptions import ConnectionError as RedisConnectionError

from imsd import lua
from imsd.api.wire import compact_json
from imsd.chores import every
from imsd.connections import IdleProbingPool
from imsd.logs import get_logger

__all__ = [
    "ENQUEUE",
    "IN_PROGRESS_LEASE_S",
    "Later",
    "QueuedTask",
    "TaskFunction",
    "TaskQueue",
    "TaskSpec",
    "TaskWorker",
]

TaskFunction = Callable[..., Awaitable[Any]]

log = get_logger(__name__)
_CONNECT_TRIES = 6
#: How long a running task's in-progress mark outlives its worker. The worker renews it every
#: third of this; an event loop stalled for longer than the lease lets another worker start the
#: task too, which the records' transitions tolerate (each step is one checked script).
IN_PROGRESS_LEASE_S = 10.0


# `enqueue()`: arq's enqueue_job as one step, of the task a script names by these keys and
# arguments (a `QueuedTask`). Like arq, it does nothing while the task id is queued or running (its
# job key exists) or has a kept result. A Lua function, so that other scripts can enqueue
# atomically with their own changes (the records' admission does).
ENQUEUE = lua.Function(
    "enqueue",
    keys=("job_key", "result_key", "queue"),
    args=("expires_ms", "job", "score", "task_id"),
    body="""
  if redis.call('EXISTS', job_key, result_key) > 0 then return 0 end
  redis.call('PSETEX', job_key, expires_ms, job)
  redis.call('ZADD', queue, score, task_id)
  return 1
""",
)

_ENQUEUE = lua.Script("return enqueue()", keys=ENQUEUE.keys, args=ENQUEUE.args, functions=(ENQUEUE,))

# Start, in order, up to `free` of the given tasks that are still due and not running elsewhere,
# as arq's start_jobs checks them (ZSCORE, EXISTS in-progress, then PSETEX in-progress), for a
# whole batch at once, and read each one's job as arq's run_job does next. A task whose job has
# expired is dropped, as arq's run_job drops it. `task_keys` holds each task's in-progress and
# job keys, in the order of `task_ids`. Returns [task_id, job, ...].
_START_TASKS = lua.Script(
    """
local started = {}
for i, task_id in ipairs(task_ids) do
  if #started >= 2 * tonumber(free) then break end
  local in_progress, job_key = task_keys[2 * i - 1], task_keys[2 * i]
  local score = redis.call('ZSCORE', queue, task_id)
  if score and tonumber(score) <= tonumber(now_ms)
      and redis.call('SET', in_progress, '1', 'NX', 'PX', in_progress_ms) then
    local job = redis.call('GET', job_key)
    if job then
      started[#started + 1] = task_id
      started[#started + 1] = job
    else
      redis.call('DEL', in_progress)
      redis.call('ZREM', queue, task_id)
    end
  end
end
return started
""",
    keys=("queue", "*task_keys"),
    args=("now_ms", "in_progress_ms", "free", "*task_ids"),
)

# End one run of a task, as arq's finish_job does: it is no longer in progress, and it is either
# due again at `due_again_ms` or, when that is empty, done: gone from the queue with its job (and the
# try counter arq's own run_job keeps).
_FINISH_TASK = lua.Script(
    """
redis.call('DEL', in_progress)
if due_again_ms == '' then
  redis.call('DEL', job_key, retry_key)
  redis.call('ZREM', queue, task_id)
else
  redis.call('ZADD', queue, due_again_ms, task_id)
end
return 1
""",
    keys=("queue", "in_progress", "job_key", "retry_key"),
    args=("task_id", "due_again_ms"),
)


def _arq_redis(redis_url: str, queue_name: str) -> ArqRedis:
    """arq's client, on a pool that spares recently used connections redis-py's probe."""
    redis = ArqRedis(
        IdleProbingPool.from_url(redis_url),
        job_serializer=_serialize,
        job_deserializer=_deserialize,
        default_queue_name=queue_name,
    )
    redis.auto_close_connection_pool = True  # it owns its pool, as arq's own clients do
    return redis


def _serialize(value: dict[str, Any]) -> bytes:
    return compact_json(value).encode()


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
    """What `ENQUEUE` needs to enqueue one task, by the names it reads."""

    job_key: str
    result_key: str
    queue: str
    expires_ms: int
    job: bytes
    score: int
    task_id: str


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
        self._enqueue = _ENQUEUE.register(pool)

    @classmethod
    async def connect(cls, redis_url: str, queue_name: str = default_queue_name) -> TaskQueue:
        """Connected, or failing at startup rather than at the first task.

        Redis gets a few seconds to come up (services started together), as arq's own pools do.
        """
        pool = _arq_redis(redis_url, queue_name)
        for attempt in range(1, _CONNECT_TRIES + 1):
            try:
                await pool.ping()
                break
            except (RedisConnectionError, TimeoutError) as exc:
                if attempt == _CONNECT_TRIES:
                    await pool.aclose()
                    raise
                log.warning("redis not reachable yet", attempt=attempt, error=repr(exc))
                await asyncio.sleep(1.0)
        return cls(pool, queue_name)

    def task(self, name: str, *args: Any, task_id: str, delay_s: float = 0.0) -> QueuedTask:
        """The task `name(*args)` as arq would store it, due in `delay_s`."""
        now_ms = timestamp_ms()
        delay_ms = round(delay_s * 1000)
        job = serialize_job(name, args, {}, None, now_ms, serializer=_serialize)
        return QueuedTask(
            job_key=job_key_prefix + task_id,
            result_key=result_key_prefix + task_id,
            queue=self.queue_name,
            expires_ms=delay_ms + expires_extra_ms,
            job=job,
            score=now_ms + delay_ms,
            task_id=task_id,
        )

    async def enqueue(self, name: str, *args: Any, task_id: str, delay_s: float = 0.0) -> bool:
        """Enqueue `name(*args)` unless a task with `task_id` is already queued or running."""
        task = self.task(name, *args, task_id=task_id, delay_s=delay_s)
        return bool(await self._enqueue(**asdict(task)))

    async def expedite(self, task_id: str) -> bool:
        """Make a deferred task due now; False if no such task is queued."""
        now_ms = int(time.time() * 1000)
        changed = await self._pool.zadd(self.queue_name, {task_id: now_ms}, xx=True, ch=True)
        return bool(changed) or await self._pool.zscore(self.queue_name, task_id) is not None

    async def depth(self) -> int:
        return int(await self._pool.zcard(self.queue_name))

    async def close(self) -> None:
        await self._pool.aclose()


def _register(spec: TaskSpec) -> Any:
    """`spec` as an arq function: arq knows it by name and sizes in-progress keys by its timeout."""

    async def run(ctx: dict[str, Any], *args: Any) -> None:
        await spec.function(*args)

    run.__qualname__ = spec.name
    return func(run, name=spec.name, timeout=spec.timeout_s)


class _Worker(Worker):
    """arq's worker loop, starting and running tasks with one script each (`_START_TASKS`, `_FINISH_TASK`).

    A run goes as in arq: a task that returns is done, one that fails is logged and done (the
    records' sweeper picks up what it left), one that raises Later is due again after its delay,
    and one cancelled (the worker stopping) stays due at once, for another worker.
    """

    _start: lua.Registered | None = None
    _finish: lua.Registered | None = None

    async def _poll_iteration(self) -> None:
        """arq's poll, at a random moment of its period.

        arq polls on a fixed period from the worker's start, so workers keep their phases for
        ever, and a task due at a random time goes to the first worker to poll after it: a worker
        whose phase trails another's by a few ms would pick up almost nothing, however idle.
        Polling at a random moment of each period (arq's loop keeps the period) shares the
        tasks out evenly.
        """
        await asyncio.sleep(random.uniform(0.0, self.poll_delay_s))
        await super()._poll_iteration()

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        if self._start is None or self._finish is None:
            self._start = _START_TASKS.register(self.pool)
            self._finish = _FINISH_TASK.register(self.pool)
        # Due tasks stay in the queue while they run: skip this worker's own running ones. Those
        # of other workers are skipped by the script, which goes on to the next id (the free
        # slots may be fewer than the ids, and the first ones may all be running elsewhere).
        ids = [i for i in (job_id.decode() for job_id in job_ids) if i not in self.tasks or self.tasks[i].done()]
        free = self.max_jobs - self.job_counter
        if not ids or free <= 0:
            return
        started = await self._start(
            queue=self.queue_name,
            task_keys=[k for i in ids for k in (in_progress_key_prefix + i, job_key_prefix + i)],
            now_ms=timestamp_ms(),
            in_progress_ms=int(IN_PROGRESS_LEASE_S * 1000),
            free=free,
            task_ids=ids,
        )
        for raw_id, job in zip(started[::2], started[1::2], strict=True):
            job_id = raw_id.decode()
            await self.sem.acquire()  # never waits: job_counter stays below max_jobs
            self.job_counter += 1
            task = self.loop.create_task(self._run(job_id, job))
            task.add_done_callback(lambda _: self._release_sem_dec_counter_on_complete())
            self.tasks[job_id] = task

    async def _run(self, task_id: str, job: bytes) -> None:
        due_again_ms: int | None = None
        try:
            name, args, kwargs, _, _ = deserialize_job_raw(job, deserializer=self.job_deserializer)
            function = self.functions[name]
            async with asyncio.timeout(function.timeout_s):
                await function.coroutine(self.ctx, *args, **kwargs)
        except Later as later:
            due_again_ms = timestamp_ms() + round(later.delay_s * 1000)
            self.jobs_retried += 1
        except asyncio.CancelledError:
            due_again_ms = timestamp_ms()
            self.jobs_retried += 1
        except Exception:
            log.exception("task failed", task_id=task_id)
            self.jobs_failed += 1
        else:
            self.jobs_complete += 1
        assert self._finish is not None
        finished = self._finish(
            queue=self.queue_name,
            in_progress=in_progress_key_prefix + task_id,
            job_key=job_key_prefix + task_id,
            retry_key=retry_key_prefix + task_id,
            task_id=task_id,
            due_again_ms="" if due_again_ms is None else due_again_ms,
        )
        await asyncio.shield(finished)

    async def renew_in_progress(self) -> None:
        """Extend the in-progress leases of this worker's running tasks."""
        running = [task_id for task_id, task in self.tasks.items() if not task.done()]
        if running:
            pipe = self.pool.pipeline(transaction=False)
            for task_id in running:
                pipe.pexpire(in_progress_key_prefix + task_id, int(IN_PROGRESS_LEASE_S * 1000))
            await pipe.execute()


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
            functions=[_register(t) for t in tasks],
            redis_pool=_arq_redis(redis_url, queue_name),
            queue_name=queue_name,
            max_jobs=max_jobs,
            poll_delay=poll_delay_s,
            handle_signals=False,
            job_serializer=_serialize,
            job_deserializer=_deserialize,
            health_check_interval=30,
        )
        self._task: asyncio.Task[None] | None = None
        self._renewals: asyncio.Task[None] | None = None

    def start(self) -> asyncio.Task[None]:
        """Start the worker loop and its lease renewals. The loop's task ends only if the loop
        dies: the caller must stop then, or the process would stay up taking no tasks."""
        self._task = asyncio.create_task(self._worker.main(), name="arq-worker")
        renew = every(IN_PROGRESS_LEASE_S / 3, "renew in-progress leases", self._worker.renew_in_progress)
        self._renewals = asyncio.create_task(renew, name="in-progress leases")
        return self._task

    @property
    def running_tasks(self) -> int:
        return sum(not t.done() for t in self._worker.tasks.values())

    async def stop(self, grace_s: float) -> None:
        """Stop taking tasks, give running ones `grace_s`, cancel the rest.

        A cancelled run's `_FINISH_TASK` makes its task due again at once, for another worker.
        """
        self._worker.allow_pick_jobs = False
        running = [t for t in self._worker.tasks.values() if not t.done()]
        if running:
            await asyncio.wait(running, timeout=grace_s)
        await self._worker.close()
        for task in (self._task, self._renewals):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
