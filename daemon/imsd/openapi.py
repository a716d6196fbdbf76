"""The IMS OpenAPI, served by the daemon: the official SDKs pointed at imsd drive the local engine.

Teams integrate IMS through its official SDKs. Served on a port of its own (the SDKs take
host:port and no path), this endpoint lets the same code run offline, in CI without a cloud
account, and move between the cloud and its own machines by changing one endpoint. Calls are
checked as the service checks them (docs/ims-api.md §7): an ACS3-HMAC-SHA256 or legacy RPC
signature by a configured AccessKey, a date within 15 minutes, a nonce used once; answers and
errors carry the service's shapes, codes and HTTP statuses.

A submit takes the daemon's own path: it becomes an entry on the requests stream like any
producer's request, so the limiter, ClientToken idempotency, the request record and the one
result per request all apply; the answer waits for the request's JobId, woken as the intake
acknowledges the entry and as the job is bound (updates.py) rather than looking on a timer. The request id is
derived from the caller's AccessKeyId and ClientToken, so the same token sent again is the same
request: its job, or IdempotentParameterMismatch with other params, as on the service. Reads
(Get*, List*, templates, editing projects, media) are answered by the local IMS directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web
from redis.exceptions import RedisError

from imsd import metrics
from imsd.api.wire import API_NAMES, Api
from imsd.client import enqueue_request, request_state
from imsd.console import cross_site
from imsd.context import Services
from imsd.engine.service import LocalIms
from imsd.errors import ImsError, missing
from imsd.logs import get_logger
from imsd.signing import MAX_CLOCK_SKEW_S, RPC_PUBLIC_PARAMS, claim_of, received_call
from imsd.updates import FALLBACK_S, Updates

__all__ = ["OpenApi", "make_openapi_app", "submit_request_id"]

log = get_logger(__name__)

Action = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


class OpenApi:
    """The endpoint's work: who is calling, and the answer to an action."""

    def __init__(self, svc: Services) -> None:
        if not isinstance(svc.backend, LocalIms):
            raise TypeError("the OpenAPI endpoint serves the local engine")
        self.svc = svc
        self.settings = svc.settings.openapi
        self.ims: LocalIms = svc.backend
        self.updates = Updates(svc.redis, svc.store.updates_channel)
        ims = self.ims
        self.reads: dict[str, Action] = {
            "GetMediaProducingJob": lambda p: ims.get_media_producing_job(_required(p, "JobId")),
            "GetBatchMediaProducingJob": lambda p: ims.get_batch_media_producing_job(_required(p, "JobId")),
            "ListMediaProducingJobs": ims.list_media_producing_jobs,
            "ListBatchMediaProducingJobs": ims.list_batch_media_producing_jobs,
            "GetEditingProject": lambda p: ims.get_editing_project(_required(p, "ProjectId")),
            "AddTemplate": ims.add_template,
            "GetTemplate": lambda p: ims.get_template(_required(p, "TemplateId")),
            "ListTemplates": ims.list_templates,
            "RegisterMediaInfo": ims.register_media_info,
            "GetMediaInfo": ims.get_media_info,
        }

    @property
    def actions(self) -> frozenset[str]:
        return frozenset({*API_NAMES, *self.reads})

    async def authenticate(
        self, method: str, headers: dict[str, str], query: dict[str, str], form: dict[str, str], body: bytes
    ) -> str:
        """The AccessKeyId a genuine call comes from; raises ImsError as the service would refuse it.

        In development mode (`accept_any_key`) any key passes unchecked, but a call must still be
        shaped as an SDK signs it and use its nonce once.
        """
        claim = claim_of(method, headers, query, form, body)
        if not self.settings.accept_any_key:
            claim.check(self.settings.secret(claim.key_id), time.time())
        # A date may lie up to the skew ahead: a nonce is remembered for twice the skew.
        nonce_key = self.svc.settings.key("openapi", "nonce", claim.key_id, claim.nonce)
        if not claim.nonce or not await self.svc.redis.set(nonce_key, "1", nx=True, ex=2 * MAX_CLOCK_SKEW_S):
            raise ImsError("SignatureNonceUsed", "Specified signature nonce was used already.", 400)
        return claim.key_id

    async def answer(self, action: str, params: dict[str, Any], access_key_id: str) -> dict[str, Any]:
        """The body the service answers `action` with; raises ImsError for its error answers."""
        if action in API_NAMES:
            return await self.submit(Api(action), params, access_key_id)
        read = self.reads.get(action)
        if read is None:
            raise ImsError("InvalidApi.NotFound", "Specified api is not found, please check your url and method.", 404)
        return await read(params)

    async def submit(self, api: Api, params: dict[str, Any], access_key_id: str) -> dict[str, Any]:
        """Submit through the requests stream and answer with the job it made (the daemon's path)."""
        token = params.get("ClientToken")
        request_id = submit_request_id(access_key_id, token if isinstance(token, str) and token else None)
        prefix = self.svc.settings.redis.prefix
        with self.updates.watching(request_id) as update:  # before sending: no announcement passes unseen
            entry_id = await enqueue_request(
                self.svc.redis, {"request_id": request_id, "api": api.value, "params": params}, prefix
            )
            job_id = await self._job_of(request_id, entry_id, update)
        if api is not Api.SUBMIT_MEDIA_PRODUCING_JOB:
            return {"JobId": job_id}
        job = (await self.ims.get_media_producing_job(job_id))["MediaProducingJob"]
        return {"JobId": job_id, "ProjectId": job.get("ProjectId"), "MediaId": job.get("MediaId")}

    async def _job_of(self, request_id: str, entry_id: str, update: asyncio.Event) -> str:
        """The JobId of the request once its entry is admitted and submitted; its refusal or
        failure as the ImsError it carries; ServiceUnavailable past `submit_wait_s`. Looks again
        at each `update` of the request, and every FALLBACK_S without one."""
        deadline = time.monotonic() + self.settings.submit_wait_s
        while (left := deadline - time.monotonic()) > 0:
            update.clear()  # before looking: an announcement during the look wakes the next wait
            if await self._admitted(entry_id):
                refusal = await self.svc.store.rejection(entry_id)
                if refusal is not None:
                    raise _error_of(refusal)
                record = await self.svc.store.get(request_id)
                if record is not None and record.job_id:
                    return record.job_id
                if record is not None and record.state.final:
                    _, result = await request_state(self.svc.redis, request_id, prefix=self.svc.settings.redis.prefix)
                    raise _error_of(result or {})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(update.wait(), min(FALLBACK_S, left))
        raise ImsError(
            "ServiceUnavailable",
            "The job is not submitted yet: send the same request with the same ClientToken again for its JobId.",
            503,
        )

    async def _admitted(self, entry_id: str) -> bool:
        """Whether the intake has read and acknowledged the stream entry (admitted or refused it)."""
        settings = self.svc.settings
        stream = settings.key("requests")
        groups = await self.svc.redis.xinfo_groups(stream)
        group = next((g for g in groups if g["name"] == settings.intake.group), None)
        if group is None or _entry_order(entry_id) > _entry_order(str(group["last-delivered-id"])):
            return False
        pending = await self.svc.redis.xpending_range(stream, settings.intake.group, entry_id, entry_id, 1)
        return not pending


def submit_request_id(access_key_id: str, client_token: str | None) -> str:
    """The daemon request id of a submit: one per (AccessKey, ClientToken), as the service scopes
    tokens per account; a fresh one for a submit without a token (no idempotency, as on the service)."""
    if client_token is None:
        return f"sdk-{uuid.uuid4().hex}"
    digest = hashlib.sha256(f"{access_key_id}\0{client_token}".encode()).hexdigest()
    return f"sdk-{digest[:40]}"


def _entry_order(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def _required(params: dict[str, Any], name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value:
        raise missing(name)
    return value


def _error_of(result: dict[str, Any]) -> ImsError:
    """The ImsError a refused or failed request's result carries, with the status the service gives."""
    code = str(result.get("error_code") or "InternalError")
    message = str(result.get("error_message") or "the request failed")
    status = 404 if code.endswith("NotFound") else 403 if code.startswith("Forbidden") else 400
    return ImsError(code, message, 500 if code in ("InternalError", "UnknownError") else status)


async def serve_call(request: web.Request) -> web.Response:
    """POST / (GET too, as RPC clients may): one IMS OpenAPI call."""
    endpoint = request.app[OPENAPI]
    request_id = str(uuid.uuid4()).upper()
    call = received_call(request.raw_path, request.content_type, request.headers, await request.read())
    label = call.action if call.action in endpoint.actions else "unknown"
    try:
        if cross_site(request.headers):
            # The SDKs send neither; a browser does, for a page of another site posting here. Signed
            # calls could not be forged that way, but in development mode (any key) they could.
            raise ImsError("Forbidden", "Cross-site requests are not accepted.", 403)
        access_key_id = await endpoint.authenticate(request.method, call.headers, call.query, call.form, call.body)
        params = {k: v for k, v in (call.query | call.form).items() if k not in RPC_PUBLIC_PARAMS}
        answer = await endpoint.answer(call.action, params, access_key_id)
    except ImsError as error:
        metrics.openapi_calls.labels(label, error.code).inc()
        log.info("openapi call refused", action=label, code=error.code, message=error.message)
        return _error_response(request, request_id, error)
    except RedisError as error:
        metrics.openapi_calls.labels(label, "ServiceUnavailable").inc()
        log.warning("openapi call failed", action=label, error=type(error).__name__)
        unavailable = ImsError("ServiceUnavailable", "The service is unavailable; try again later.", 503)
        return _error_response(request, request_id, unavailable)
    metrics.openapi_calls.labels(label, "OK").inc()
    return web.json_response({**answer, "RequestId": request_id}, headers={"x-acs-request-id": request_id})


def _error_response(request: web.Request, request_id: str, error: ImsError) -> web.Response:
    body = {
        "RequestId": request_id,
        "HostId": request.host,
        "Code": error.code,
        "Message": error.message,
        "Recommend": f"https://api.aliyun.com/troubleshoot?q={error.code}",
    }
    return web.json_response(body, status=error.http_status, headers={"x-acs-request-id": request_id})


OPENAPI: web.AppKey[OpenApi] = web.AppKey("openapi", OpenApi)


async def _running(updates: Updates) -> AsyncIterator[None]:
    """The updates subscriber, for as long as the endpoint serves."""
    task = asyncio.create_task(updates.run(), name="openapi-updates")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def make_openapi_app(svc: Services) -> web.Application:
    """The endpoint's server: every call is a request to `/`, the action in a header or the query."""
    app = web.Application(client_max_size=svc.settings.intake.max_request_bytes + 64 * 1024)
    app[OPENAPI] = endpoint = OpenApi(svc)
    app.cleanup_ctx.append(lambda _: _running(endpoint.updates))
    app.router.add_route("POST", "/", serve_call)
    app.router.add_route("GET", "/", serve_call)
    return app
