"""The request record: the daemon's single source of truth about one request.

A Redis hash per request_id moves RECEIVED → SUBMITTING → SUBMITTED → SUCCEEDED | PARTIAL |
FAILED. The final states are set only by `finish`, one Lua script that also appends the result to
the results stream, so "final" and "result published" are the same fact: a crash can neither
publish twice nor lose a result. Every non-final record sits in the `active` sorted set, scored by
the time by which something should next happen to it; a sweeper re-schedules any record whose
time has passed, so nothing stays stuck even if a queued task is lost.

Each change is one script that also makes what goes with it: admission enqueues the request's
task, a transition adds to the counters and binds the job, finishing completes the result with
the counters. So no change is ever half made, and each costs one round trip.

Nothing grows without limit (settings.RetentionSettings): a final record expires some days after
its result, having served idempotency that long, and the results and dead-letter streams are
capped near a length as they are appended to.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

from imsd.pipeline import Pipeline
from imsd.queue import ENQUEUE_LUA, QueuedTask
from imsd.settings import RetentionSettings

# How long a job may run: past it, its binding (see RecordStore) may expire before its record.
JOB_RUN_MAX_S = 7 * 86400


class State(StrEnum):
    RECEIVED = "RECEIVED"
    SUBMITTING = "SUBMITTING"
    SUBMITTED = "SUBMITTED"
    SUCCEEDED = "SUCCEEDED"
    PARTIAL = "PARTIAL"
    FAILED = "FAILED"

    @property
    def final(self) -> bool:
        return self in _FINAL


_FINAL = frozenset({State.SUCCEEDED, State.PARTIAL, State.FAILED})


class Admission(StrEnum):
    NEW = "new"  # first sight of this request_id
    REDELIVERED = "redelivered"  # the same stream entry again (a consumer died before acking)
    DUPLICATE = "duplicate"  # a new entry, same request_id, same params: a no-op
    CONFLICT = "conflict"  # same request_id, different params: refused


# `finish(keys, args)`: make a record final and publish its result. keys: the record, the active
# set, results, dead. args: final state, finished_at, the result JSON without its counters,
# request_id, then the retention: the record's TTL (s), the results' and dead letters' MAXLEN. The
# counters are read here, in the step that makes the record final, so the result counts everything
# up to it (a duplicate delivered a moment earlier included). The scripts that can finish a record
# begin their KEYS and ARGV with these, and pass them on whole.
_FINISH_LUA = """
local function finish(keys, args)
  local c = redis.call('HMGET', keys[1], 'attempts', 'throttles', 'polls', 'duplicates')
  local result = string.sub(args[3], 1, -2) .. ',"attempts":' .. (c[1] or '0') .. ',"throttles":' ..
    (c[2] or '0') .. ',"polls":' .. (c[3] or '0') .. ',"duplicates":' .. (c[4] or '0') .. '}'
  redis.call('HSET', keys[1], 'state', args[1], 'finished_at', args[2], 'result', result)
  redis.call('EXPIRE', keys[1], args[5])
  redis.call('ZREM', keys[2], args[4])
  redis.call('XADD', keys[3], 'MAXLEN', '~', args[6], '*', 'result', result)
  if args[1] == 'FAILED' then redis.call('XADD', keys[4], 'MAXLEN', '~', args[7], '*', 'result', result) end
end
"""

# KEYS: finish's four[, the request's task (ENQUEUE_LUA's three keys)]. ARGV: finish's seven (the
# first three empty unless the request is invalid), params hash, entry id, due, the task's four
# ENQUEUE_LUA arguments (empty without a task), the params hash in its former form (else empty:
# see Delivery.former_hash), then the new record's fields. A new invalid request
# is failed in the step that makes its record, so it is never active and nothing can run it. The
# task is enqueued with the record in one step whenever the record is not final and this is not a
# duplicate, so an admitted request always has its task.
_ADMIT = ENQUEUE_LUA + _FINISH_LUA + """
local state = redis.call('HGET', KEYS[1], 'state')
local kind = 'redelivered'
if not state then
  redis.call('HSET', KEYS[1], unpack(ARGV, 16))
  kind, state = 'new', 'RECEIVED'
  if ARGV[3] == '' then
    redis.call('ZADD', KEYS[2], ARGV[10], ARGV[4])
  else
    finish(KEYS, ARGV)
    state = 'FAILED'
  end
else
  local fields = redis.call('HMGET', KEYS[1], 'params_hash', 'entry_id')
  if fields[1] ~= ARGV[8] and fields[1] ~= ARGV[15] then return {'conflict', state} end
  if fields[2] ~= ARGV[9] then
    redis.call('HINCRBY', KEYS[1], 'duplicates', 1)
    return {'duplicate', state}
  end
end
if #KEYS == 7 and state ~= 'SUCCEEDED' and state ~= 'PARTIAL' and state ~= 'FAILED' then
  enqueue(KEYS[5], KEYS[6], KEYS[7], ARGV[11], ARGV[12], ARGV[13], ARGV[14])
end
return {kind, state}
"""

# KEYS and ARGV: finish's, then (counter, increment) pairs. Refused (0) if the record is gone or
# already final, so a result is published once.
_FINISH_RECORD = _FINISH_LUA + """
local state = redis.call('HGET', KEYS[1], 'state')
if not state or state == 'SUCCEEDED' or state == 'PARTIAL' or state == 'FAILED' then return 0 end
for i = 8, #ARGV, 2 do redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1]) end
finish(KEYS, ARGV)
return 1
"""

# A result for a stream entry that has no record of its own (a refused message): published
# once per entry however often the entry is delivered. KEYS: the entry's mark, results, dead.
# ARGV: the result, then the retention as finish takes it.
_REJECT = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[2]) then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'result', ARGV[1])
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'result', ARGV[1])
  return 1
end
return 0
"""

# Move a non-final record on: add to counters, set fields and the next due time, and bind a job
# to it; refuse (nil) if it is final (a late task lost the race), else return the counters' new
# values. KEYS: the record, the active set[, the job binding]. ARGV: due, request_id, binding TTL
# (s), number of counters n, n (counter, increment) pairs, then (field, value) pairs.
_TRANSITION = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state or state == 'SUCCEEDED' or state == 'PARTIAL' or state == 'FAILED' then return false end
local last = 4 + 2 * tonumber(ARGV[4])
local counts = {}
for i = 5, last, 2 do counts[#counts + 1] = redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1]) end
if #ARGV > last then redis.call('HSET', KEYS[1], unpack(ARGV, last + 1)) end
if #KEYS == 3 then redis.call('SET', KEYS[3], ARGV[2], 'EX', ARGV[3]) end
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
return counts
"""


@dataclass
class Record:
    request_id: str
    api: str
    state: State
    params: dict[str, Any]
    client_token: str
    job_id: str | None
    received_at: float
    submit_started_at: float | None
    attempts: int
    throttles: int
    polls: int
    duplicates: int
    meta: Any
    pipeline: Pipeline | None = None  # a ScenePipeline request: its kind, stage and earlier jobs
    submitted_at: float | None = None  # when the service accepted the (current stage's) job

    @classmethod
    def from_hash(cls, raw: dict[str, str]) -> Record:
        def opt_float(key: str) -> float | None:
            return float(raw[key]) if raw.get(key) else None

        return cls(
            request_id=raw["request_id"],
            api=raw["api"],
            state=State(raw["state"]),
            params=json.loads(raw["params"]),
            client_token=raw["client_token"],
            job_id=raw.get("job_id") or None,
            received_at=float(raw["received_at"]),
            submit_started_at=opt_float("submit_started_at"),
            attempts=int(raw.get("attempts", 0)),
            throttles=int(raw.get("throttles", 0)),
            polls=int(raw.get("polls", 0)),
            duplicates=int(raw.get("duplicates", 0)),
            meta=json.loads(raw["meta"]) if raw.get("meta") else None,
            pipeline=Pipeline.from_json(raw["pipeline"]) if raw.get("pipeline") else None,
            submitted_at=opt_float("submitted_at"),
        )


@dataclass(frozen=True)
class Delivery:
    """One stream entry's request, as admission stores it."""

    request_id: str
    api: str
    params: dict[str, Any]  # exactly as they will be sent
    content_hash: str
    client_token: str
    entry_id: str
    meta: Any
    due: float
    task: QueuedTask | None  # None for a request that must not run (an invalid one)
    pipeline: str | None = None  # Pipeline JSON of a ScenePipeline request
    received_at: float = field(default_factory=time.time)
    # An invalid request's FAILED result, without its counters: published as its record is made.
    failure: dict[str, Any] | None = None
    # The content hash in the form the previous version gave it, where that differs (a pipeline's:
    # see intake._former_hash): a record holding it has the same content. Only records admitted
    # before the upgrade do, so this can go once they have expired (`retention.record_ttl_s` after
    # the last of them finished).
    former_hash: str = ""

    def record(self) -> Record:
        """The record admission makes of this delivery, as `RecordStore.get` reads it back.

        Made directly, not parsed back from `_fields()`: that is built once, for the script.
        """
        return Record(
            request_id=self.request_id,
            api=self.api,
            state=State.RECEIVED,
            params=self.params,
            client_token=self.client_token,
            job_id=None,
            received_at=self.received_at,
            submit_started_at=None,
            attempts=0,
            throttles=0,
            polls=0,
            duplicates=0,
            meta=self.meta,
            pipeline=Pipeline.from_json(self.pipeline) if self.pipeline else None,
        )

    def script_args(self, retention: Sequence[int]) -> list[Any]:
        """_ADMIT's ARGV; `retention` as finish takes it."""
        failed = (State.FAILED.value, repr(self.received_at), _dumps(self.failure)) if self.failure else ("",) * 3
        task_args = self.task.args if self.task else ("",) * 4
        return [
            *failed, self.request_id, *retention, self.content_hash, self.entry_id, repr(self.due), *task_args,
            self.former_hash, *_flat(self._fields()),
        ]

    def _fields(self) -> dict[str, str]:
        fields: dict[str, str] = {
            "request_id": self.request_id,
            "api": self.api,
            "params": _dumps(self.params),
            "params_hash": self.content_hash,
            "client_token": self.client_token,
            "entry_id": self.entry_id,
            "state": State.RECEIVED.value,
            "received_at": repr(self.received_at),
            "attempts": "0",
            "throttles": "0",
            "polls": "0",
            "duplicates": "0",
        }
        if self.meta is not None:
            fields["meta"] = _dumps(self.meta)
        if self.pipeline is not None:
            fields["pipeline"] = self.pipeline
        return fields


class RecordStore:
    """Reads and moves request records; all multi-key changes are single Lua scripts."""

    def __init__(self, redis: Redis, prefix: str, retention: RetentionSettings | None = None) -> None:
        self.redis = redis
        self.prefix = prefix
        self.active_key = f"{prefix}:active"
        self.results_key = f"{prefix}:results"
        self.dead_key = f"{prefix}:dead"
        retention = retention or RetentionSettings()
        # As the scripts take it: the record's TTL, then the results' and dead letters' MAXLEN.
        self._retention = (retention.record_ttl_s, retention.results_maxlen, retention.dead_maxlen)
        # A job's binding (JobId → request_id, set as it is submitted) lives at least as long as its
        # record, which lives while the job runs and `record_ttl_s` after its result: a callback
        # naming only the JobId must find the request while there is one, so that a late callback
        # about a finished request counts as a duplicate, not as one about an unknown job.
        self._binding_ttl_s = retention.record_ttl_s + JOB_RUN_MAX_S
        self._admit = redis.register_script(_ADMIT)
        self._finish = redis.register_script(_FINISH_RECORD)
        self._reject = redis.register_script(_REJECT)
        self._transition = redis.register_script(_TRANSITION)

    def record_key(self, request_id: str) -> str:
        return f"{self.prefix}:req:{request_id}"

    def job_key(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}"

    def _finish_keys(self, request_id: str) -> list[str]:
        """The keys finishing a record changes, as _FINISH_LUA takes them."""
        return [self.record_key(request_id), self.active_key, self.results_key, self.dead_key]

    async def admit(self, deliveries: Sequence[Delivery]) -> list[tuple[Admission, State]]:
        """Create each delivery's record unless it exists; say how the delivery relates to it.

        One round trip for all of them, in order. A delivery's `task` is enqueued in the same
        step as its record unless the record is final or the delivery is a duplicate; a new
        delivery's `failure` makes its record final, and is published, in that step instead.
        """
        calls = [
            ([*self._finish_keys(d.request_id), *(d.task.keys if d.task else ())], d.script_args(self._retention))
            for d in deliveries
        ]
        replies = await _evalsha_pipelined(self.redis, self._admit, calls)
        return [(Admission(_text(kind)), State(_text(state))) for kind, state in replies]

    async def get(self, request_id: str) -> Record | None:
        raw = await self.redis.hgetall(self.record_key(request_id))  # type: ignore[misc]  # redis-py types sync|async
        if not raw:
            return None
        return Record.from_hash({_text(k): _text(v) for k, v in raw.items()})

    async def transition(
        self,
        request_id: str,
        due: float,
        *,
        add: Mapping[str, int] | None = None,
        bind_job: str | None = None,
        **fields: str,
    ) -> list[int] | None:
        """Change a non-final record in one step; None if it is final.

        Sets its next due time and `fields`, adds to the counters in `add` (returning their new
        values, in order) and, with `bind_job`, lets callbacks that name only that job find the
        request.
        """
        add = add or {}
        keys = [self.record_key(request_id), self.active_key]
        if bind_job is not None:
            keys.append(self.job_key(bind_job))
        counted = await self._transition(
            keys=keys,
            args=[repr(due), request_id, self._binding_ttl_s, len(add), *_flat(add), *_flat(fields)],
        )
        return None if counted is None else [int(c) for c in counted]

    async def request_for_job(self, job_id: str) -> str | None:
        raw = await self.redis.get(self.job_key(job_id))
        return _text(raw) if raw is not None else None

    async def finish(
        self, request_id: str, state: State, result: dict[str, Any], add: Mapping[str, int] | None = None
    ) -> bool:
        """Make the record final and publish its result, atomically; False if already final.

        The record's counters (after adding `add`) complete `result` as attempts, throttles,
        polls and duplicates. The record expires after the retention's `record_ttl_s`.
        """
        done = await self._finish(
            keys=self._finish_keys(request_id),
            args=[state.value, repr(time.time()), _dumps(result), request_id, *self._retention, *_flat(add or {})],
        )
        return bool(done)

    async def reject(self, entry_id: str, result: dict[str, Any]) -> bool:
        """Publish a refusal of one stream entry that owns no record, once per entry.

        The entry's mark lives as long as a final record: far longer than the entry can stay
        pending and be delivered again.
        """
        done = await self._reject(
            keys=[f"{self.prefix}:rejected:{entry_id}", self.results_key, self.dead_key],
            args=[_dumps(result), *self._retention],
        )
        return bool(done)

    async def overdue(self, now: float, limit: int = 500) -> list[str]:
        """Non-final records whose next activity is overdue (their task may be lost)."""
        raw = await self.redis.zrangebyscore(self.active_key, "-inf", now, start=0, num=limit)
        return [_text(r) for r in raw]

    async def active_count(self) -> int:
        return int(await self.redis.zcard(self.active_key))


async def _evalsha_pipelined(
    redis: Redis, script: AsyncScript, calls: Sequence[tuple[list[str], list[Any]]]
) -> list[Any]:
    """Run `script` once per (keys, args) in one round trip, in order.

    Plain EVALSHA in a pipeline: redis-py's own script pipelining asks SCRIPT EXISTS first, a
    second round trip. Calls that find the script missing (Redis restarted or flushed its
    scripts; it does not run them) are run again one by one, which loads it.
    """
    pipe = redis.pipeline(transaction=False)
    for keys, args in calls:
        pipe.evalsha(script.sha, len(keys), *keys, *args)
    replies: list[Any] = await pipe.execute(raise_on_error=False)
    for index, reply in enumerate(replies):
        if isinstance(reply, NoScriptError):
            keys, args = calls[index]
            replies[index] = await script(keys=keys, args=args)
        elif isinstance(reply, Exception):
            raise reply
    return replies


def _flat(pairs: Mapping[str, Any]) -> list[Any]:
    return [x for kv in pairs.items() for x in kv]


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
