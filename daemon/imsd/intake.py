"""Intake: read the requests stream through a consumer group and give each request a record.

An entry is acknowledged only after its record exists and its task is queued (or its refusal
is published), so a crash loses nothing: the entry stays pending and another consumer
claims it after `claim_idle_s`. Handling an entry twice is harmless because admission is keyed by
request_id and the entry id tells a redelivery from a producer's duplicate. Acknowledging does not
delete: every `retention.requests_trim_interval_s` the daemon's housekeeping trims the entries no
group needs any more (`AcknowledgedTrim`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from dataclasses import dataclass, replace
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

# Imported at startup rather than by the first Timeline request (validation imports it lazily):
# building its models takes ~20 ms (70 ms on a loaded machine), a stall of the event loop that
# made the send slots due meanwhile fire late and together, and the service throttle them.
import imsd.api.timeline  # noqa: F401
from imsd import lua, metrics
from imsd.api.validation import validate_params
from imsd.api.wire import compact_json, params_hash
from imsd.chores import every
from imsd.connections import process_name
from imsd.context import Services
from imsd.envelope import (
    Envelope,
    check_storable,
    derive_client_token,
    params_to_send,
    parse_envelope,
    readable_request_id,
)
from imsd.errors import ImsError, invalid
from imsd.logs import get_logger
from imsd.pipeline import Pipeline, first_stage
from imsd.records import Admission, Delivery, State
from imsd.results import final_result, rejection_document, result_emitted

__all__ = ["FORGET_AFTER_CLAIMS", "AcknowledgedTrim", "Intake"]

log = get_logger(__name__)

# A batch of entries holding more than this is read and validated in a thread, not on the loop.
_READ_ON_LOOP_BYTES = 64 * 1024

# Delete the entries of `stream` older than the oldest one any of its consumer groups still
# needs: the group's oldest pending entry, else the last entry delivered to it (which MINID
# keeps). So no entry is deleted while it is pending, or before every group has read it. One
# script, so that no group can move between the look and the trim. Returns how many were deleted.
_TRIM_ACKNOWLEDGED = lua.Script(
    """
local function before(a, b)  -- whether stream id a < b, comparing the digits of any length exactly
  local a_ms, a_seq = string.match(a, '^(%d+)-(%d+)$')
  local b_ms, b_seq = string.match(b, '^(%d+)-(%d+)$')
  if a_ms ~= b_ms then return #a_ms < #b_ms or (#a_ms == #b_ms and a_ms < b_ms) end
  return #a_seq < #b_seq or (#a_seq == #b_seq and a_seq < b_seq)
end
if redis.call('EXISTS', stream) == 0 then return 0 end
local keep
for _, group in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
  local info = {}
  for i = 1, #group, 2 do info[group[i]] = group[i + 1] end
  local needed = info['last-delivered-id']
  if info['pending'] > 0 then needed = redis.call('XPENDING', stream, info['name'])[2] end
  if not keep or before(needed, keep) then keep = needed end
end
if not keep then return 0 end
return redis.call('XTRIM', stream, 'MINID', keep)
""",
    keys=("stream",),
)

# Forget the consumers of `group` that hold no entry and have not read for `idle_ms`: each
# process reads under a name of its own, so every process that ever ran (restarts, scaling, kill
# -9) would stay in the group for good. Checked and deleted in one script: a consumer deleted
# while it holds an entry would drop that entry from the pending list, and it would never be
# claimed. A live consumer forgotten while idle comes back at its next read. Returns how many.
_FORGET_IDLE_CONSUMERS = lua.Script(
    """
local forgotten = 0
for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', stream, group)) do
  local info = {}
  for i = 1, #consumer, 2 do info[consumer[i]] = consumer[i + 1] end
  if info['pending'] == 0 and info['idle'] > tonumber(idle_ms) then
    redis.call('XGROUP', 'DELCONSUMER', stream, group, info['name'])
    forgotten = forgotten + 1
  end
end
return forgotten
""",
    keys=("stream",),
    args=("group", "idle_ms"),
)

#: A consumer is forgotten after this many claim_idle_s without reading or holding an entry.
FORGET_AFTER_CLAIMS = 10


def _identity(envelope: Envelope, pipeline: Pipeline | None, params: dict[str, Any]) -> dict[str, Any]:
    """The params a request is known by (its `params_hash`): as validated, JSON text parsed.

    A pipeline's are the producer's, with its first stage's validated params over them (a subset
    of them, but with the stage's JobType) and its own JobType.
    """
    if pipeline is None:
        return params
    return {**envelope.params, **params, "JobType": pipeline.kind}


def _former_hash(envelope: Envelope, pipeline: Pipeline | None) -> str:
    """A pipeline's `params_hash` as the version before `_identity` made it: of the producer's params.

    Its records, admitted before the upgrade, are still matched by a redelivery or a duplicate of
    their entry, instead of refusing it as a conflict. Empty where the hash is unchanged.

    Upgrade shim, dated: the hash changed on 2026-11-21 (commit d28c04c). A record admitted before
    that is gone by 2026-12-06 (a job runs at most `records.JOB_RUN_MAX_S`, 7 days; its final
    record is kept `retention.record_ttl_s`, 7 days by default): remove this, `Delivery.former_hash`
    and the admission script's `former_hash` then, with the two tests that pin them.
    """
    return params_hash(envelope.api_name, dict(envelope.params)) if pipeline is not None else ""


@dataclass(frozen=True)
class _Refusal:
    """An entry refused before it owns a record."""

    entry_id: str
    request_id: str | None
    api: str | None
    error: ImsError


class AcknowledgedTrim:
    """Deletes the entries of a stream that every consumer group has read and acknowledged.

    XACK leaves them in the stream, which would otherwise grow without limit. Housekeeping, run
    by the daemon's periodic chores, not by intake: a failed trim (a Redis blip, a BUSY reply)
    must not stop the reading.
    """

    def __init__(self, redis: Redis, stream: str) -> None:
        self.stream = stream
        self._script = _TRIM_ACKNOWLEDGED.register(redis)

    async def trim(self) -> int:
        """Trim once; returns how many entries were deleted."""
        return int(await self._script(stream=self.stream))


class Intake:
    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self.stream = svc.settings.key("requests")
        self.group = svc.settings.intake.group
        self.consumer = process_name()
        # Entries are read with their own client: bytes that are not UTF-8 must reach
        # admit_entry (as lone surrogates) to be refused, not fail the whole read.
        self._reader = Redis.from_url(
            svc.settings.redis.url, decode_responses=True, encoding_errors="surrogateescape"
        )
        self._forget_idle_consumers = _FORGET_IDLE_CONSUMERS.register(svc.redis)

    async def ensure_group(self) -> None:
        try:
            await self.svc.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def run(self, stop: asyncio.Event) -> None:
        """Read and admit entries until `stop` is set.

        Beside the reading, and for as long as it lasts, a periodic chore admits the entries a
        dead consumer left (`claim_abandoned`): a claim that fails is retried when next due and
        does not stop the reading.
        """
        await self.ensure_group()
        settings = self.svc.settings.intake
        claims = asyncio.create_task(
            every(settings.claim_idle_s / 4, "claim abandoned entries", self.claim_abandoned), name="intake claims"
        )
        try:
            while not stop.is_set():
                reply = await self._reader.xreadgroup(
                    self.group, self.consumer, {self.stream: ">"}, count=settings.batch, block=settings.block_ms
                )
                entries = [e for _, stream_entries in reply for e in stream_entries]
                if entries:
                    await self.admit_entries(entries)
        finally:
            claims.cancel()
            await asyncio.gather(claims, return_exceptions=True)
            await self._reader.aclose()

    async def claim_abandoned(self) -> None:
        """Admit a batch of the entries a dead consumer read but never acknowledged, if any;
        then forget the consumers long gone (`_FORGET_IDLE_CONSUMERS`), their entries claimed."""
        idle_s = self.svc.settings.intake.claim_idle_s
        _, claimed, _ = await self._reader.xautoclaim(
            self.stream, self.group, self.consumer, min_idle_time=int(idle_s * 1000),
            start_id="0-0", count=self.svc.settings.intake.batch,
        )
        entries = [(entry_id, fields) for entry_id, fields in claimed if fields is not None]
        if entries:
            await self.admit_entries(entries)
        forget_after_ms = int(FORGET_AFTER_CLAIMS * idle_s * 1000)
        forgotten = await self._forget_idle_consumers(stream=self.stream, group=self.group, idle_ms=forget_after_ms)
        if forgotten:
            log.info("idle consumers forgotten", count=forgotten)

    async def admit_entries(self, entries: list[tuple[str, dict[str, str]]]) -> None:
        """Admit a batch of entries, then acknowledge them.

        All records of the batch (each with its task, or an invalid request's with its failure
        result) are made in one round trip; refusals, the exception, are answered one by one.
        """
        # A large batch is read in a thread: the event loop goes on serving health checks,
        # callbacks and other tasks while a big Timeline is validated.
        size = sum(len(fields.get("request", "")) for _, fields in entries)
        if size > _READ_ON_LOOP_BYTES:
            read = await asyncio.to_thread(lambda: [self._read(entry_id, fields) for entry_id, fields in entries])
        else:
            read = [self._read(entry_id, fields) for entry_id, fields in entries]
        deliveries = [item for item in read if isinstance(item, Delivery)]
        refusals = [item for item in read if isinstance(item, _Refusal)]
        admissions = await self.svc.store.admit(deliveries) if deliveries else []
        answers = [self._admitted(d, *admission) for d, admission in zip(deliveries, admissions, strict=True)]
        await asyncio.gather(
            *(self._reject(r.entry_id, r.request_id, r.api, r.error) for r in refusals),
            *(answer for answer in answers if answer is not None),
        )
        # Acknowledged, each entry's request is announced (updates.py): a sender waiting on it looks now.
        announced = dict.fromkeys(item.request_id for item in read if item.request_id is not None)
        async with self.svc.redis.pipeline(transaction=False) as pipe:
            pipe.xack(self.stream, self.group, *(entry_id for entry_id, _ in entries))
            for request_id in announced:
                pipe.publish(self.svc.store.updates_channel, request_id)
            await pipe.execute()

    def _read(self, entry_id: str, fields: dict[str, str]) -> Delivery | _Refusal:
        """What one entry asks for; no Redis, and nothing but ImsError refuses it.

        An entry that owns a record is admitted, and failed at once if its params are invalid.
        """
        svc = self.svc
        limits = svc.settings.intake
        size = len(fields.get("request", "").encode(errors="surrogateescape"))  # as the bytes Redis held
        if size > limits.max_request_bytes:  # refused unread: parsing it is the cost to avoid
            too_big = invalid("request", f"is {size} bytes; at most {limits.max_request_bytes}")
            return _Refusal(entry_id, None, None, too_big)
        try:
            envelope = parse_envelope(fields)
        except ImsError as error:
            return _Refusal(entry_id, readable_request_id(fields), None, error)
        request_id, api = envelope.request_id, envelope.api
        try:
            check_storable("request.params", envelope.params)
            check_storable("request.meta", envelope.meta)
            meta_size = len(compact_json(envelope.meta).encode()) if envelope.meta is not None else 0
            if meta_size > limits.max_meta_bytes:
                raise invalid("request.meta", f"is {meta_size} bytes as JSON; at most {limits.max_meta_bytes}")
        except ImsError as error:
            return _Refusal(entry_id, request_id, envelope.api_name, error)
        validation_error: ImsError | None = None
        pipeline: Pipeline | None = None
        try:
            stage_params = envelope.params
            if envelope.pipeline:
                pipeline, stage_params = first_stage(envelope.params)
            params = validate_params(api, stage_params)
        except ImsError as error:
            validation_error = error
            params = dict(envelope.params)
        except Exception as exc:  # a validator bug: fail this request, not the daemon
            log.error("validation failed", request_id=request_id, error=repr(exc))
            validation_error = invalid("request.params", f"could not be validated ({type(exc).__name__})")
            params = dict(envelope.params)
        token = envelope.client_token or derive_client_token(request_id)
        now = time.time()
        delivery = Delivery(
            request_id=request_id,
            api=api.value,
            params=params_to_send(api, params, request_id, token, svc.settings.notify_address()),
            content_hash=params_hash(envelope.api_name, _identity(envelope, pipeline, params)),
            former_hash=_former_hash(envelope, pipeline),
            pipeline=pipeline.to_json() if pipeline else None,
            client_token=token,
            entry_id=entry_id,
            meta=envelope.meta,
            due=now + svc.stall_margin_s(),
            task=svc.request_task(request_id) if validation_error is None else None,
            received_at=now,
        )
        if validation_error is None:
            return delivery
        # Its FAILED result, which admission publishes as it makes the record.
        _, failure = final_result(delivery.record(), backend=svc.backend.name, error=validation_error, finished_at=now)
        return replace(delivery, failure=failure)

    def _admitted(self, delivery: Delivery, admission: Admission, state: State) -> Coroutine[Any, Any, None] | None:
        """Count what admission found: a conflict, a duplicate, or a new or redelivered entry.

        Returns the answer still to be given in Redis (refusing a conflict), if any: the other
        cases need none, and run no coroutine of their own.
        """
        request_id, api = delivery.request_id, delivery.api
        if admission is Admission.CONFLICT:
            metrics.requests_conflict.inc()
            conflict = ImsError(
                "IdempotentParameterMismatch",
                f"request_id: {request_id!r} was already used with different params",
            )
            return self._reject(delivery.entry_id, request_id, api, conflict)
        if admission is Admission.DUPLICATE:
            metrics.requests_duplicate.inc()
            log.info("duplicate request", request_id=request_id, state=state.value)
            return None
        if admission is Admission.NEW:
            metrics.requests_received.labels(api).inc()
            failure = delivery.failure
            if failure is not None:  # admission made its record FAILED and published the result
                code = failure["error_code"]
                metrics.requests_invalid.labels(code).inc()
                log.warning("invalid request", request_id=request_id, code=code, message=failure["error_message"])
                result_emitted(delivery.record(), failure)
        return None

    async def _reject(
        self, entry_id: str, request_id: str | None, api: str | None, error: ImsError
    ) -> None:
        metrics.requests_invalid.labels(error.code).inc()
        log.warning("request refused", entry_id=entry_id, request_id=request_id, code=error.code,
                    message=error.message)
        document = rejection_document(
            request_id=request_id, api=api, entry_id=entry_id, error=error, now=time.time()
        )
        await self.svc.store.reject(entry_id, document)
