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
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from redis.asyncio import Redis

from imsd import lua
from imsd.api.wire import compact_json
from imsd.pipeline import Pipeline
from imsd.queue import ENQUEUE, QueuedTask
from imsd.settings import RetentionSettings

__all__ = ["JOB_RUN_MAX_S", "STAGE_ATTEMPTS", "Admission", "Delivery", "Record", "RecordStore", "State"]

# How long a job may run: past it, its binding (see RecordStore) may expire before its record.
JOB_RUN_MAX_S = 7 * 86400
#: The record's count of submit attempts of its current stage, held against submit.max_attempts;
#: `attempts` goes on counting every stage's, for the result.
STAGE_ATTEMPTS = "stage_attempts"


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

# `is_final(state)`: the scripts' `State.final`.
_IS_FINAL = lua.Function(
    "is_final",
    params=("state",),
    body="  return " + " or ".join(f"state == {lua.literal(state)}" for state in State if state.final),
)


class Admission(StrEnum):
    NEW = "new"  # first sight of this request_id
    REDELIVERED = "redelivered"  # the same stream entry again (a consumer died before acking)
    DUPLICATE = "duplicate"  # a new entry, same request_id, same params: a no-op
    CONFLICT = "conflict"  # same request_id, different params: refused


#: The retention, as the scripts that finish a record or publish a result take it: the record's
#: TTL (s), then the results' and dead letters' MAXLEN.
_RETENTION = ("record_ttl", "results_maxlen", "dead_maxlen")
#: A delivery without a task, as _ADMIT takes it.
_NO_TASK = dict.fromkeys((*ENQUEUE.keys, *ENQUEUE.args), "")

# `finish()`: make a record final and publish its result. It reads the keys `record`, `active`,
# `results`, `dead` and the arguments `state` (the final one), `finished_at`, `result` (its JSON
# without the counters), `request_id`, `updates` (the channel announcing it: updates.py), then the
# retention. The counters are read here, in the step
# that makes the record final, so the result counts everything up to it (a duplicate delivered a
# moment earlier included).
_FINISH = lua.Function(
    "finish",
    keys=("record", "active", "results", "dead"),
    args=("state", "finished_at", "result", "request_id", "updates", *_RETENTION),
    body="""
  local c = redis.call('HMGET', record, 'attempts', 'throttles', 'polls', 'duplicates')
  local completed = string.sub(result, 1, -2) .. ',"attempts":' .. (c[1] or '0') .. ',"throttles":' ..
    (c[2] or '0') .. ',"polls":' .. (c[3] or '0') .. ',"duplicates":' .. (c[4] or '0') .. '}'
  redis.call('HSET', record, 'state', state, 'finished_at', finished_at, 'result', completed)
  redis.call('EXPIRE', record, record_ttl)
  redis.call('ZREM', active, request_id)
  redis.call('XADD', results, 'MAXLEN', '~', results_maxlen, '*', 'result', completed)
  if state == 'FAILED' then redis.call('XADD', dead, 'MAXLEN', '~', dead_maxlen, '*', 'result', completed) end
  redis.call('PUBLISH', updates, request_id)
""",
)

# Admit one delivery: make its record unless it exists, and say how the delivery relates to it.
# Besides finish's keys and arguments (`state`, `finished_at` and `result` empty unless the request
# is invalid) and the task's (ENQUEUE's, all empty without a task): the params hash and its former
# form (else empty: see Delivery.former_hash), the entry id, the record's due time, then `fields`,
# the new record's (field, value) pairs. A new invalid request is failed in the step that makes
# its record, so it is never active and nothing can run it. The task is enqueued with the record
# in one step whenever the record is not final and this is not a duplicate, so an admitted
# request always has its task.
_ADMIT = lua.Script(
    """
local current = redis.call('HGET', record, 'state')
local kind = 'redelivered'
if not current then
  redis.call('HSET', record, unpack(fields))
  kind, current = 'new', 'RECEIVED'
  if result == '' then
    redis.call('ZADD', active, due, request_id)
  else
    finish()
    current = state
  end
else
  local known = redis.call('HMGET', record, 'params_hash', 'entry_id')
  if known[1] ~= params_hash and known[1] ~= former_hash then return {'conflict', current} end
  if known[2] ~= entry_id then
    redis.call('HINCRBY', record, 'duplicates', 1)
    return {'duplicate', current}
  end
end
if task_id ~= '' and not is_final(current) then enqueue() end
return {kind, current}
""",
    keys=(*_FINISH.keys, *ENQUEUE.keys),
    args=(*_FINISH.args, *ENQUEUE.args, "params_hash", "former_hash", "entry_id", "due", "*fields"),
    functions=(ENQUEUE, _FINISH, _IS_FINAL),
)

# Finish a record, first adding `counters`, (counter, increment) pairs. Refused (0) if the record
# is gone or already final, so a result is published once.
_FINISH_RECORD = lua.Script(
    """
local current = redis.call('HGET', record, 'state')
if not current or is_final(current) then return 0 end
for i = 1, #counters, 2 do redis.call('HINCRBY', record, counters[i], counters[i + 1]) end
finish()
return 1
""",
    keys=_FINISH.keys,
    args=(*_FINISH.args, "*counters"),
    functions=(_FINISH, _IS_FINAL),
)

# A result for a stream entry that has no record of its own (a refused message): published
# once per entry however often the entry is delivered. `mark` is the entry's.
_REJECT = lua.Script(
    """
if redis.call('SET', mark, result, 'NX', 'EX', record_ttl) then
  redis.call('XADD', results, 'MAXLEN', '~', results_maxlen, '*', 'result', result)
  redis.call('XADD', dead, 'MAXLEN', '~', dead_maxlen, '*', 'result', result)
  return 1
end
return 0
""",
    keys=("mark", "results", "dead"),
    args=("result", *_RETENTION),
)

# Move a non-final record on: add to counters, set fields and the next due time, and bind a job
# to it (`binding`, the job's key, or '' for none, announced on `updates`); refuse (nil) if it is
# final (a late task lost the race), else return the counters' new values. `changes`: `counters` (counter, increment)
# pairs, then (field, value) pairs.
_TRANSITION = lua.Script(
    """
local current = redis.call('HGET', record, 'state')
if not current or is_final(current) then return false end
local last = 2 * tonumber(counters)
local counts = {}
for i = 1, last, 2 do counts[#counts + 1] = redis.call('HINCRBY', record, changes[i], changes[i + 1]) end
if #changes > last then redis.call('HSET', record, unpack(changes, last + 1)) end
if binding ~= '' then
  redis.call('SET', binding, request_id, 'EX', binding_ttl)
  redis.call('PUBLISH', updates, request_id)
end
redis.call('ZADD', active, due, request_id)
return counts
""",
    keys=("record", "active", "binding"),
    args=("due", "request_id", "binding_ttl", "updates", "counters", "*changes"),
    functions=(_IS_FINAL,),
)


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
    stage_attempts: int = 0  # submit attempts of the current stage made so far (STAGE_ATTEMPTS)

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
            stage_attempts=int(raw.get(STAGE_ATTEMPTS, 0)),
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
    # The content hash in the form the previous version gave it, where that differs (a pipeline's):
    # a record holding it has the same content. An upgrade shim, to be removed on the date
    # intake._former_hash gives.
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

    def script_values(self) -> dict[str, Any]:
        """_ADMIT's values that come from the delivery: all but the store's keys and retention."""
        failed = {
            "state": State.FAILED.value,
            "finished_at": repr(self.received_at),
            "result": compact_json(self.failure),
        }
        return {
            **(failed if self.failure else dict.fromkeys(failed, "")),
            **(asdict(self.task) if self.task else _NO_TASK),
            "request_id": self.request_id,
            "params_hash": self.content_hash,
            "former_hash": self.former_hash,
            "entry_id": self.entry_id,
            "due": repr(self.due),
            "fields": _flat(self._fields()),
        }

    def _fields(self) -> dict[str, str]:
        fields: dict[str, str] = {
            "request_id": self.request_id,
            "api": self.api,
            "params": compact_json(self.params),
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
            fields["meta"] = compact_json(self.meta)
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
        self.updates_channel = f"{prefix}:updates"
        retention = retention or RetentionSettings()
        self._retention = dict(
            zip(_RETENTION, (retention.record_ttl_s, retention.results_maxlen, retention.dead_maxlen), strict=True)
        )
        self._finishing = {**self._retention, "updates": self.updates_channel}  # finish()'s arguments of the store
        # A job's binding (JobId → request_id, set as it is submitted) lives at least as long as its
        # record, which lives while the job runs and `record_ttl_s` after its result: a callback
        # naming only the JobId must find the request while there is one, so that a late callback
        # about a finished request counts as a duplicate, not as one about an unknown job.
        self._binding_ttl_s = retention.record_ttl_s + JOB_RUN_MAX_S
        self._admit = _ADMIT.register(redis)
        self._finish = _FINISH_RECORD.register(redis)
        self._reject = _REJECT.register(redis)
        self._transition = _TRANSITION.register(redis)

    def record_key(self, request_id: str) -> str:
        return f"{self.prefix}:req:{request_id}"

    def job_key(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}"

    def _finish_keys(self, request_id: str) -> dict[str, str]:
        """The keys finishing a record changes, as `finish()` reads them."""
        return {
            "record": self.record_key(request_id),
            "active": self.active_key,
            "results": self.results_key,
            "dead": self.dead_key,
        }

    async def admit(self, deliveries: Sequence[Delivery]) -> list[tuple[Admission, State]]:
        """Create each delivery's record unless it exists; say how the delivery relates to it.

        One round trip for all of them, in order. A delivery's `task` is enqueued in the same
        step as its record unless the record is final or the delivery is a duplicate; a new
        delivery's `failure` makes its record final, and is published, in that step instead.
        """
        replies = await self._admit.many(
            [{**self._finish_keys(d.request_id), **self._finishing, **d.script_values()} for d in deliveries]
        )
        return [(Admission(_text(kind)), State(_text(state))) for kind, state in replies]

    async def get(self, request_id: str) -> Record | None:
        raw = await self.redis.hgetall(self.record_key(request_id))  # type: ignore[misc]  # redis-py types sync|async
        return _record(raw)

    async def get_many(self, request_ids: Sequence[str]) -> list[Record | None]:
        """The records of `request_ids` in one round trip (a page of hundreds read one by one
        waited for each), None where there is none."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for request_id in request_ids:
                pipe.hgetall(self.record_key(request_id))
            raws = await pipe.execute()
        return [_record(raw) for raw in raws]

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
        counted = await self._transition(
            record=self.record_key(request_id),
            active=self.active_key,
            binding="" if bind_job is None else self.job_key(bind_job),
            due=repr(due),
            request_id=request_id,
            binding_ttl=self._binding_ttl_s,
            updates=self.updates_channel,
            counters=len(add),
            changes=[*_flat(add), *_flat(fields)],
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
            **self._finish_keys(request_id),
            **self._finishing,
            state=state.value,
            finished_at=repr(time.time()),
            result=compact_json(result),
            request_id=request_id,
            counters=_flat(add or {}),
        )
        return bool(done)

    def rejection_key(self, entry_id: str) -> str:
        return f"{self.prefix}:rejected:{entry_id}"

    async def reject(self, entry_id: str, result: dict[str, Any]) -> bool:
        """Publish a refusal of one stream entry that owns no record, once per entry.

        The entry's mark, the refusal itself, lives as long as a final record: far longer than
        the entry can stay pending and be delivered again; and a sender waiting on its entry
        (the OpenAPI endpoint) reads its answer there.
        """
        done = await self._reject(
            mark=self.rejection_key(entry_id),
            results=self.results_key,
            dead=self.dead_key,
            result=compact_json(result),
            **self._retention,
        )
        return bool(done)

    async def rejection(self, entry_id: str) -> dict[str, Any] | None:
        """The refusal of stream entry `entry_id`, if it was refused."""
        raw = await self.redis.get(self.rejection_key(entry_id))
        return None if raw is None else dict(json.loads(raw))

    async def overdue(self, now: float, limit: int = 500) -> list[str]:
        """Non-final records whose next activity is overdue (their task may be lost)."""
        raw = await self.redis.zrangebyscore(self.active_key, "-inf", now, start=0, num=limit)
        return [_text(r) for r in raw]

    async def active_count(self) -> int:
        return int(await self.redis.zcard(self.active_key))


def _flat(pairs: Mapping[str, Any]) -> list[Any]:
    return [x for kv in pairs.items() for x in kv]


def _record(raw: dict[Any, Any]) -> Record | None:
    return Record.from_hash({_text(k): _text(v) for k, v in raw.items()}) if raw else None


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
