"""The request record: the daemon's single source of truth about one request.

A Redis hash per request_id moves RECEIVED → SUBMITTING → SUBMITTED → SUCCEEDED | PARTIAL |
FAILED. The final states are set only by `finish`, one Lua script that also appends the result to
the results stream, so "final" and "result published" are the same fact: a crash can neither
publish twice nor lose a result. Every non-final record sits in the `active` sorted set, scored by
the time by which something should next happen to it; a sweeper re-schedules any record whose
time has passed, so nothing stays stuck even if a queued task is lost.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from redis.asyncio import Redis


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


_ADMIT = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then
  redis.call('HSET', KEYS[1], unpack(ARGV, 5))
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
  return {'new', 'RECEIVED'}
end
local fields = redis.call('HMGET', KEYS[1], 'params_hash', 'entry_id')
if fields[1] ~= ARGV[1] then return {'conflict', state} end
if fields[2] == ARGV[2] then return {'redelivered', state} end
redis.call('HINCRBY', KEYS[1], 'duplicates', 1)
return {'duplicate', state}
"""

_FINISH = """
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'SUCCEEDED' or state == 'PARTIAL' or state == 'FAILED' then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'finished_at', ARGV[2], 'result', ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[4])
redis.call('XADD', KEYS[3], '*', 'result', ARGV[3])
if ARGV[1] == 'FAILED' then redis.call('XADD', KEYS[4], '*', 'result', ARGV[3]) end
return 1
"""

# A result for a stream entry that has no record of its own (a refused message): published
# once per entry however often the entry is delivered.
_REJECT = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[2]) then
  redis.call('XADD', KEYS[2], '*', 'result', ARGV[1])
  redis.call('XADD', KEYS[3], '*', 'result', ARGV[1])
  return 1
end
return 0
"""

# Move a non-final record to a new state; refuse if it is final (a late task lost the race).
_TRANSITION = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state or state == 'SUCCEEDED' or state == 'PARTIAL' or state == 'FAILED' then return 0 end
if #ARGV > 2 then redis.call('HSET', KEYS[1], unpack(ARGV, 3)) end
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
return 1
"""


def params_hash(api: str, params: dict[str, Any]) -> str:
    """Identity of a request's content, independent of key order and JSON-string vs object form."""
    canonical = json.dumps([api, params], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


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
        )


class RecordStore:
    """Reads and moves request records; all multi-key changes are single Lua scripts."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self.active_key = f"{prefix}:active"
        self.results_key = f"{prefix}:results"
        self.dead_key = f"{prefix}:dead"
        self._admit = redis.register_script(_ADMIT)
        self._finish = redis.register_script(_FINISH)
        self._reject = redis.register_script(_REJECT)
        self._transition = redis.register_script(_TRANSITION)

    def record_key(self, request_id: str) -> str:
        return f"{self.prefix}:req:{request_id}"

    def job_key(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}"

    async def admit(
        self,
        *,
        request_id: str,
        api: str,
        params: dict[str, Any],
        content_hash: str,
        client_token: str,
        entry_id: str,
        meta: Any,
        due: float,
    ) -> tuple[Admission, State]:
        """Create the record unless it exists; say how this delivery relates to it."""
        now = time.time()
        fields: dict[str, str] = {
            "request_id": request_id,
            "api": api,
            "params": json.dumps(params, separators=(",", ":"), ensure_ascii=False),
            "params_hash": content_hash,
            "client_token": client_token,
            "entry_id": entry_id,
            "state": State.RECEIVED.value,
            "received_at": repr(now),
            "attempts": "0",
            "throttles": "0",
            "polls": "0",
            "duplicates": "0",
        }
        if meta is not None:
            fields["meta"] = json.dumps(meta, separators=(",", ":"), ensure_ascii=False)
        flat = [x for kv in fields.items() for x in kv]
        kind, state = await self._admit(
            keys=[self.record_key(request_id), self.active_key],
            args=[content_hash, entry_id, repr(due), request_id, *flat],
        )
        return Admission(_text(kind)), State(_text(state))

    async def get(self, request_id: str) -> Record | None:
        raw = await self.redis.hgetall(self.record_key(request_id))  # type: ignore[misc]  # redis-py types sync|async
        if not raw:
            return None
        return Record.from_hash({_text(k): _text(v) for k, v in raw.items()})

    async def transition(self, request_id: str, due: float, **fields: str) -> bool:
        """Set fields of a non-final record and its next due time; False if it is final."""
        flat = [x for kv in fields.items() for x in kv]
        done = await self._transition(
            keys=[self.record_key(request_id), self.active_key],
            args=[repr(due), request_id, *flat],
        )
        return bool(done)

    async def count(self, request_id: str, field: str, by: int = 1) -> int:
        return int(await self.redis.hincrby(self.record_key(request_id), field, by))  # type: ignore[misc]  # redis-py types sync|async

    async def bind_job(self, request_id: str, job_id: str, ttl_s: int) -> None:
        """Let callbacks, which name only the job, find the request."""
        await self.redis.set(self.job_key(job_id), request_id, ex=ttl_s)

    async def request_for_job(self, job_id: str) -> str | None:
        raw = await self.redis.get(self.job_key(job_id))
        return _text(raw) if raw is not None else None

    async def finish(self, request_id: str, state: State, result: dict[str, Any]) -> bool:
        """Make the record final and publish its result, atomically; False if already final."""
        done = await self._finish(
            keys=[self.record_key(request_id), self.active_key, self.results_key, self.dead_key],
            args=[state.value, repr(time.time()), _dumps(result), request_id],
        )
        return bool(done)

    async def reject(self, entry_id: str, result: dict[str, Any], ttl_s: int = 7 * 86400) -> bool:
        """Publish a refusal of one stream entry that owns no record, once per entry."""
        done = await self._reject(
            keys=[f"{self.prefix}:rejected:{entry_id}", self.results_key, self.dead_key],
            args=[_dumps(result), ttl_s],
        )
        return bool(done)

    async def overdue(self, now: float, limit: int = 500) -> list[str]:
        """Non-final records whose next activity is overdue (their task may be lost)."""
        raw = await self.redis.zrangebyscore(self.active_key, "-inf", now, start=0, num=limit)
        return [_text(r) for r in raw]

    async def active_count(self) -> int:
        return int(await self.redis.zcard(self.active_key))


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
