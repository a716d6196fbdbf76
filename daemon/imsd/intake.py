"""Intake: read the requests stream through a consumer group and give each request a record.

An entry is acknowledged only after its record exists and its submit task is queued (or its
refusal is published), so a crash loses nothing: the entry stays pending and another consumer
claims it after `claim_idle_s`. Handling an entry twice is harmless because admission is keyed by
request_id and the entry id tells a redelivery from a producer's duplicate.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time

from redis.exceptions import ResponseError

from imsd import metrics
from imsd.api.validation import validate_params
from imsd.context import Services, log
from imsd.envelope import derive_client_token, params_to_send, parse_envelope
from imsd.errors import ImsError
from imsd.records import Admission, params_hash
from imsd.results import rejection_document


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class Intake:
    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self.stream = svc.settings.key("requests")
        self.group = svc.settings.intake.group
        self.consumer = consumer_name()
        self._last_claim = 0.0

    async def ensure_group(self) -> None:
        try:
            await self.svc.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def run(self, stop: asyncio.Event) -> None:
        """Read and admit entries until `stop` is set."""
        await self.ensure_group()
        settings = self.svc.settings.intake
        while not stop.is_set():
            entries = await self._claim_abandoned()
            if not entries:
                reply = await self.svc.redis.xreadgroup(
                    self.group, self.consumer, {self.stream: ">"}, count=settings.batch, block=settings.block_ms
                )
                entries = [e for _, stream_entries in reply for e in stream_entries]
            if entries:
                await self.admit_entries(entries)

    async def _claim_abandoned(self) -> list[tuple[str, dict[str, str]]]:
        """Entries a dead consumer read but never acknowledged."""
        idle_s = self.svc.settings.intake.claim_idle_s
        if time.monotonic() - self._last_claim < idle_s / 4:
            return []
        self._last_claim = time.monotonic()
        _, entries, _ = await self.svc.redis.xautoclaim(
            self.stream, self.group, self.consumer, min_idle_time=int(idle_s * 1000),
            start_id="0-0", count=self.svc.settings.intake.batch,
        )
        return [(entry_id, fields) for entry_id, fields in entries if fields is not None]

    async def admit_entries(self, entries: list[tuple[str, dict[str, str]]]) -> None:
        await asyncio.gather(*(self.admit_entry(entry_id, fields) for entry_id, fields in entries))
        await self.svc.redis.xack(self.stream, self.group, *(entry_id for entry_id, _ in entries))

    async def admit_entry(self, entry_id: str, fields: dict[str, str]) -> None:
        svc = self.svc
        try:
            envelope = parse_envelope(fields)
        except ImsError as error:
            await self._reject(entry_id, None, None, error)
            return
        request_id, api = envelope.request_id, envelope.api
        validation_error: ImsError | None = None
        try:
            params = validate_params(api, envelope.params)
        except ImsError as error:
            validation_error = error
            params = dict(envelope.params)
        token = envelope.client_token or derive_client_token(request_id)
        admission, state = await svc.store.admit(
            request_id=request_id,
            api=api.value,
            params=params_to_send(params, request_id, token, svc.settings.callbacks.public_url),
            content_hash=params_hash(api.value, params),
            client_token=token,
            entry_id=entry_id,
            meta=envelope.meta,
            due=time.time() + svc.stall_margin_s(),
        )
        if admission is Admission.CONFLICT:
            metrics.requests_conflict.inc()
            conflict = ImsError(
                "IdempotentParameterMismatch",
                f"request_id: {request_id!r} was already used with different params",
            )
            await self._reject(entry_id, request_id, api.value, conflict)
            return
        if admission is Admission.DUPLICATE:
            metrics.requests_duplicate.inc()
            log.info("duplicate request", request_id=request_id, state=state.value)
            return
        if admission is Admission.NEW:
            metrics.requests_received.labels(api.value).inc()
        if state.final:
            return
        if validation_error is not None:
            metrics.requests_invalid.labels(validation_error.code).inc()
            log.warning("invalid request", request_id=request_id, code=validation_error.code,
                        message=validation_error.message)
            await svc.finish(request_id, error=validation_error)
            return
        await svc.schedule_submit(request_id)

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
