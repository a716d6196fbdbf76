"""Local engine job records, kept in the shapes of the real Get*/List* responses.

A job is a Redis hash whose public fields are exactly those of the Get* response
(`MediaProducingJob` for a media job, `EditingBatchJob` for a batch; values as JSON); private
bookkeeping lives in fields starting with `_`. Creation, ClientToken memory and indexing happen
in one Lua script, so a crash cannot leave a token pointing at a job that does not exist.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from redis.asyncio import Redis

from imsd.api.wire import compact_json
from imsd.engine.render import ClipId
from imsd.errors import ImsError
from imsd.lua import Script

__all__ = [
    "JOB_TTL_S",
    "RUNNING_STATUSES",
    "TOKEN_TTL_S",
    "EngineJobStore",
    "JobKind",
    "decode_token",
    "encode_token",
    "iso_now",
    "media_job_fields",
    "new_id",
    "public_view",
]

#: ClientTokens are remembered this long (the service's own window is undocumented).
TOKEN_TTL_S = 24 * 3600
#: Get* only sees the past year; records live as long.
JOB_TTL_S = 366 * 86400

RUNNING_STATUSES = ("Init", "Queuing", "Processing")


class JobKind(StrEnum):
    """The two record families: media producing jobs and batch (EditingBatchJob) jobs."""

    MEDIA = "job"
    BATCH = "batch"


# Create a job (`fields`, (field, value) pairs, in the `job` hash, indexed by its creation time)
# unless its ClientToken's key `token` already names one; returns what the token names, the new
# job's `token_value` if it was made here.
_CREATE = Script(
    """
local known = redis.call('GET', token)
if known then return known end
redis.call('HSET', job, unpack(fields))
redis.call('EXPIRE', job, job_ttl_s)
redis.call('SET', token, token_value, 'EX', token_ttl_s)
redis.call('ZADD', index, created_at, job)
return token_value
""",
    keys=("token", "job", "index"),
    args=("token_value", "created_at", "token_ttl_s", "job_ttl_s", "*fields"),
)

# Lease scripts: a lease key holds its owner's token, and only that owner may renew or release it
# or write through it; after a takeover the lease and the running mark belong to the new owner.
_RENEW_LEASE = Script(
    """
if redis.call('GET', lease) ~= owner then return 0 end
return redis.call('PEXPIRE', lease, ttl_ms)
""",
    keys=("lease",),
    args=("owner", "ttl_ms"),
)

_RELEASE_LEASE = Script(
    """
if redis.call('GET', lease) ~= owner then return 0 end
redis.call('DEL', lease)
redis.call('ZREM', running, job_id)
return 1
""",
    keys=("lease", "running"),
    args=("owner", "job_id"),
)

# `fields`: (field, value) pairs.
_UPDATE_LEASED = Script(
    """
if redis.call('GET', lease) ~= owner then return 0 end
redis.call('HSET', job, unpack(fields))
return 1
""",
    keys=("lease", "job"),
    args=("owner", "*fields"),
)


def iso_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id() -> str:
    return uuid.uuid4().hex




class EngineJobStore:
    """Jobs of the local engine, shared by every process on one Redis."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = f"{prefix}:engine"
        self._create = _CREATE.register(redis)
        self._renew_lease = _RENEW_LEASE.register(redis)
        self._release_lease = _RELEASE_LEASE.register(redis)
        self._update_leased = _UPDATE_LEASED.register(redis)

    def job_key(self, job_id: str, kind: JobKind = JobKind.MEDIA) -> str:
        return f"{self.prefix}:{kind}:{job_id}"

    def index_key(self, kind: JobKind) -> str:
        return f"{self.prefix}:{kind}s"

    def running_key(self, kind: JobKind) -> str:
        return f"{self.prefix}:running:{kind}"

    def lease_key(self, job_id: str) -> str:
        return f"{self.prefix}:lease:{job_id}"

    def project_key(self, project_id: str) -> str:
        return f"{self.prefix}:project:{project_id}"

    async def create(
        self, fields: dict[str, Any], *, client_token: str, fingerprint: str, kind: JobKind = JobKind.MEDIA
    ) -> str:
        """Create a job unless the token already made one; returns the JobId.

        The same token with other params is IdempotentParameterMismatch, as at the service.
        """
        token_key = f"{self.prefix}:token:{client_token}"
        job_id = str(fields["JobId"])
        token_value = f"{fingerprint}:{job_id}"
        flat = [x for k, v in {**fields, "_fingerprint": fingerprint}.items() for x in (k, compact_json(v))]
        known = await self._create(
            token=token_key,
            job=self.job_key(job_id, kind),
            index=self.index_key(kind),
            token_value=token_value,
            created_at=repr(time.time()),
            token_ttl_s=TOKEN_TTL_S,
            job_ttl_s=JOB_TTL_S,
            fields=flat,
        )
        known_fingerprint, _, known_job = str(known).rpartition(":")
        if known_fingerprint != fingerprint:
            raise ImsError(
                "IdempotentParameterMismatch",
                "ClientToken: was already used with different parameters",
            )
        return known_job

    async def get(self, job_id: str, kind: JobKind = JobKind.MEDIA) -> dict[str, Any] | None:
        """The job with private fields included; None if it does not exist."""
        raw = await self.redis.hgetall(self.job_key(job_id, kind))  # type: ignore[misc]  # redis-py types sync|async
        return _decode(raw) if raw else None

    async def get_many(self, job_ids: list[str], kind: JobKind = JobKind.MEDIA) -> list[dict[str, Any] | None]:
        """Several jobs in one round trip, in order; None where one does not exist."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for job_id in job_ids:
                pipe.hgetall(self.job_key(job_id, kind))
            raws = await pipe.execute()
        return [_decode(raw) if raw else None for raw in raws]

    async def update(self, job_id: str, kind: JobKind = JobKind.MEDIA, **fields: Any) -> None:
        await self.redis.hset(self.job_key(job_id, kind), mapping=_modified(fields))  # type: ignore[misc]  # redis-py types sync|async

    async def update_if_leased(self, job_id: str, token: str, kind: JobKind = JobKind.MEDIA, **fields: Any) -> bool:
        """Update a job only while `token` holds its lease, in one step.

        A worker whose lease passed to another must not write its result over the new owner's run.
        """
        flat = [x for item in _modified(fields).items() for x in item]
        updated = await self._update_leased(
            lease=self.lease_key(job_id), job=self.job_key(job_id, kind), owner=token, fields=flat
        )
        return bool(updated)

    async def claim_completion(self, job_id: str, kind: JobKind) -> bool:
        """True for exactly one caller: whoever finalises the job (and sends its callback)."""
        return bool(await self.redis.hsetnx(self.job_key(job_id, kind), "_completed", "true"))  # type: ignore[misc]

    async def mark_running(self, job_id: str, kind: JobKind = JobKind.MEDIA) -> None:
        await self.redis.zadd(self.running_key(kind), {job_id: time.time()})

    async def mark_done(self, job_id: str, kind: JobKind = JobKind.MEDIA) -> None:
        """Drop a finished job from the running index; its lease, if any, is its owner's to release."""
        await self.redis.zrem(self.running_key(kind), job_id)

    async def acquire_lease(self, job_id: str, token: str, ttl_s: float) -> bool:
        """Take the job's lease for `token` unless someone holds it."""
        return bool(await self.redis.set(self.lease_key(job_id), token, nx=True, px=int(ttl_s * 1000)))

    async def renew_lease(self, job_id: str, token: str, ttl_s: float) -> bool:
        """Extend the lease if `token` still holds it; False means it is lost (expired or taken over)."""
        return bool(await self._renew_lease(lease=self.lease_key(job_id), owner=token, ttl_ms=int(ttl_s * 1000)))

    async def release_lease(self, job_id: str, kind: JobKind, token: str) -> bool:
        """Release the lease and the running mark together, only if `token` still holds the lease."""
        released = await self._release_lease(
            lease=self.lease_key(job_id), running=self.running_key(kind), owner=token, job_id=job_id
        )
        return bool(released)

    async def running(self, kind: JobKind = JobKind.MEDIA) -> list[str]:
        return [str(j) for j in await self.redis.zrange(self.running_key(kind), 0, -1)]

    async def save_project(self, project_id: str, timeline: Any, approximated: list[str] | None = None) -> None:
        """The project's Timeline and, if any, what in it departs from the documentation (a system
        template's inferred Config), which every job made from the project says again."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.project_key(project_id), compact_json(timeline), ex=JOB_TTL_S)
            if approximated:
                pipe.set(f"{self.project_key(project_id)}:approximated", compact_json(approximated), ex=JOB_TTL_S)
            await pipe.execute()

    async def project_approximated(self, project_id: str) -> list[str]:
        raw = await self.redis.get(f"{self.project_key(project_id)}:approximated")
        return [] if raw is None else [str(note) for note in json.loads(raw)]

    async def project_timeline(self, project_id: str) -> Any:
        raw = await self.redis.get(self.project_key(project_id))
        return None if raw is None else json.loads(raw)

    async def list_jobs(
        self,
        *,
        start: float,
        end: float,
        newest_first: bool,
        offset: int,
        limit: int,
        kind: JobKind = JobKind.MEDIA,
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Jobs created in [start, end], paged; returns (jobs, next offset or None)."""
        index = self.index_key(kind)
        if newest_first:
            keys = await self.redis.zrevrangebyscore(index, end, start, start=offset, num=limit + 1)
        else:
            keys = await self.redis.zrangebyscore(index, start, end, start=offset, num=limit + 1)
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in keys[:limit]:
                pipe.hgetall(key)
            raws = await pipe.execute()
        jobs = [_decode(raw) for raw in raws if raw]
        return jobs, (offset + limit if len(keys) > limit else None)


def _modified(fields: dict[str, Any]) -> dict[str, str]:
    """`fields` encoded for a job hash, stamped with ModifiedTime unless they set it."""
    return {k: compact_json(v) for k, v in {"ModifiedTime": iso_now(), **fields}.items()}


def _decode(raw: dict[str, str]) -> dict[str, Any]:
    return {k: json.loads(v) for k, v in raw.items()}


def media_job_fields(
    *,
    job_id: str,
    project_id: str,
    media_id: str,
    timeline: Any,
    output: dict[str, Any],
    user_data: str | None = None,
    master_job_id: str | None = None,
    approximated: list[str] | None = None,
    ignored: list[str] | None = None,
    shared_clips: list[ClipId] | None = None,
    cover_at_s: float = 0.0,
) -> dict[str, Any]:
    """A new media producing job as GetMediaProducingJob shows it, plus what the renderer needs.

    `Approximated` and `Ignored` are the engine's own additions, known at submission (a request
    field the engine does not honour) and completed by the render: where the output departs from
    the request, so nothing is dropped silently.
    """
    now = iso_now()
    return {
        "JobId": job_id,
        "ProjectId": project_id,
        "MediaId": media_id,
        "MediaURL": output.get("MediaURL"),
        "Status": "Init",
        "Progress": 0,
        "JobType": "EditingJob",
        "CreateTime": now,
        "ModifiedTime": now,
        "Timeline": compact_json(timeline),
        "UserData": user_data,
        "MasterJobId": master_job_id,
        "Approximated": approximated or None,
        "Ignored": ignored or None,
        "_output": output,
        "_shared_clips": shared_clips or None,  # worth preparing (prepared.py): other outputs play them
        "_cover_at_s": cover_at_s,
    }


def public_view(job: dict[str, Any], *, with_timeline: bool = True) -> dict[str, Any]:
    """The job as Get*/List* show it: private fields dropped, absent values omitted."""
    view = {k: v for k, v in job.items() if not k.startswith("_") and v is not None}
    if not with_timeline:
        view.pop("Timeline", None)
    return view


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode()


def decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        return int(base64.urlsafe_b64decode(token.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise ImsError("InvalidParameter", "NextToken: is not a token this service issued") from None
