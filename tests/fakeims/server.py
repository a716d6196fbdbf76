"""A strict fake of the IMS OpenAPI, for tests and benchmarks of the `aliyun` backend.

Strict where the daemon's correctness is judged: signatures (checked with the very `imsd.signing`
the backend uses), the 30-QPS limit per action over any sliding second, ClientToken idempotency for
the actions that declare it (and none for the others), and callbacks signed as IMS signs them. Loose
elsewhere: parameters are only checked for presence and JSON syntax, and "rendering" is a timer.
Faults (5xx, timeouts before or after the job is created, connection resets, lost callbacks) make
the outcomes that the daemon must survive happen on demand.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import random
import socket
import struct
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web
from imsd.api.wire import (
    JSON_PARAMS,
    REQUEST_ID_KEY,
    USER_DATA_MAX_BYTES,
    compact_json,
)
from imsd.errors import ImsError, invalid, missing
from imsd.signing import (
    MAX_CLOCK_SKEW_S,
    RPC_PUBLIC_PARAMS,
    callback_signature,
    claim_of,
    format_date,
    parse_date,
    received_call,
)

DEFAULT_ACCESS_KEY_ID = "fake-akid"
DEFAULT_ACCESS_KEY_SECRET = "fake-secret-Abc123"
CALLBACK_ATTEMPTS = 4
CALLBACK_RETRY_S = 0.2
FAKE_USER_ID = 1234567890123456
#: How many received calls `received` keeps, newest last.
RECEIVED_KEPT = 256

SINGLE_SUBMIT = "SubmitMediaProducingJob"
BATCH_SUBMIT = "SubmitBatchMediaProducingJob"
SCENE_SELECT = "SubmitSceneMediaSelectionJob"
SCENE_ORGANIZE = "SubmitSceneTimelineOrganizationJob"
SCENE_EDIT = "SubmitSceneBatchEditingJob"

_REQUIRED: dict[str, tuple[str, ...]] = {
    SINGLE_SUBMIT: ("OutputMediaConfig",),
    BATCH_SUBMIT: ("OutputConfig",),
    SCENE_SELECT: ("JobType", "InputConfig", "OutputConfig"),
    SCENE_ORGANIZE: ("JobType", "MediaSelectResult", "InputConfig", "OutputConfig"),
    SCENE_EDIT: ("ProjectIds", "OutputConfig"),
}
#: The submits whose request models in the official SDK (alibabacloud-ice20201109) declare a
#: ClientToken. The Scene APIs declare none: a ClientToken sent with one is an unknown parameter,
#: ignored, so each of their calls creates a job.
_TOKEN_ACTIONS = frozenset({SINGLE_SUBMIT, BATCH_SUBMIT})
_SCENE_JOB_TYPES: dict[str, frozenset[str]] = {
    SCENE_SELECT: frozenset({"Smart_Mix_Media_Select", "Screen_Media_Highlights_Media_Select"}),
    SCENE_ORGANIZE: frozenset({"Smart_Mix_Timeline_Organize", "Screen_Media_Highlights_Timeline_Organize"}),
}
#: JSON params that must be objects, not just any JSON value.
_OBJECT_PARAMS = frozenset({"OutputMediaConfig", "OutputConfig", "InputConfig", "EditingConfig", "UserData"})


@dataclass
class Faults:
    """Probabilities (0..1) of each injected fault; `actions` limits them to some actions."""

    error_5xx: float = 0.0  # InternalError 500 or ServiceUnavailable 503, no job created
    timeout_before: float = 0.0  # hold the response past the client's timeout, no job created
    timeout_after: float = 0.0  # create the job, then hold: "outcome unknown" for real
    reset: float = 0.0  # process the call, then reset the connection without a response
    lost_callback: float = 0.0  # never send a job's callback
    hold_s: float = 30.0  # how long a timeout holds the response
    actions: list[str] | None = None  # None: every action

    def update(self, changes: Mapping[str, Any]) -> None:
        """Apply a partial change (the admin API's JSON); ValueError on unknown or bad fields."""
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        for name, value in changes.items():
            if name == "actions":
                if value is not None and not (isinstance(value, list) and all(isinstance(a, str) for a in value)):
                    raise ValueError("actions: a list of action names or null")
            elif not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name}: a non-negative number")
            elif name != "hold_s" and value > 1:
                raise ValueError(f"{name}: a probability in [0, 1]")
        for name, value in changes.items():
            setattr(self, name, value)

    def applies_to(self, action: str) -> bool:
        return self.actions is None or action in self.actions


@dataclass(frozen=True)
class Received:
    """One authenticated call as the fake received it, split by where each param travelled."""

    action: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)  # names in lower case
    arrived: float = 0.0  # time.monotonic()


@dataclass
class _ActionStats:
    calls: int = 0
    throttles: int = 0
    max_in_1s: int = 0
    accepted: deque[float] = field(default_factory=deque)  # arrival times inside the last 1 s


@dataclass
class _Job:
    job_id: str
    seq: int
    action: str
    params: dict[str, str]
    user_data: dict[str, Any]
    created_wall: float
    created_mono: float
    duration_s: float
    fail_code: str | None
    project_id: str | None = None
    media_id: str | None = None
    job_type: str | None = None
    outputs: list[dict[str, Any]] = field(default_factory=list)  # batch SubJobList when done
    extend_input: str | None = None
    extend_output: str | None = None

    @property
    def batch(self) -> bool:
        return self.action != SINGLE_SUBMIT

    def elapsed(self, now_mono: float) -> float:
        return now_mono - self.created_mono


def _iso(epoch: float) -> str:
    return format_date(datetime.fromtimestamp(epoch, UTC))


def _new_id() -> str:
    return uuid.uuid4().hex


def _json_object(params: Mapping[str, str], name: str) -> dict[str, Any]:
    """A param already validated as a JSON object, or {} when absent."""
    return json.loads(params[name]) if name in params else {}


class FakeIms:
    """The fake service; `start()` it in-process, or run `python -m tests.fakeims`."""

    def __init__(
        self,
        *,
        access_keys: Mapping[str, str] | None = None,
        callback_key: str | None = None,
        job_seconds: float = 1.5,
        qps: int = 30,
        faults: Faults | None = None,
        seed: int | None = None,
    ) -> None:
        self.access_keys = dict(access_keys or {DEFAULT_ACCESS_KEY_ID: DEFAULT_ACCESS_KEY_SECRET})
        self.callback_key = callback_key
        self.job_seconds = job_seconds
        self.qps = qps
        self.faults = faults or Faults()
        # action -> (the error every call of it gets, how many more calls get it; None: all)
        self._refusals: dict[str, tuple[ImsError, int | None]] = {}
        self.received: deque[Received] = deque(maxlen=RECEIVED_KEPT)
        self._rng = random.Random(seed)
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self._stopping = asyncio.Event()
        self._host = "127.0.0.1"
        self._port = 0
        self._handlers: dict[str, Callable[[dict[str, str]], dict[str, Any]]] = {
            **{action: functools.partial(self._submit, action) for action in _REQUIRED},
            "GetMediaProducingJob": functools.partial(self._get, batch=False),
            "GetBatchMediaProducingJob": functools.partial(self._get, batch=True),
            "ListMediaProducingJobs": functools.partial(self._list, batch=False),
            "ListBatchMediaProducingJobs": functools.partial(self._list, batch=True),
        }
        self._clear_state()

    def _clear_state(self) -> None:
        self._jobs: dict[str, _Job] = {}
        # token -> (the params it was first used with, the reply it got)
        self._tokens: dict[str, tuple[dict[str, str], dict[str, Any]]] = {}
        self._jobs_by_token: dict[str, str] = {}
        self._jobs_by_request_id: dict[str, list[str]] = {}
        self._actions: dict[str, _ActionStats] = {}
        self._nonces: set[tuple[str, str]] = set()
        self._nonce_expiry: deque[tuple[float, tuple[str, str]]] = deque()
        self._timers: dict[str, asyncio.TimerHandle] = {}  # job id -> its pending callback
        self._tasks: set[asyncio.Task[None]] = set()
        self._seq = 0
        self.signature_failures = 0
        self.callbacks = {"delivered": 0, "failed": 0, "lost": 0}
        self.faults_injected = {"error_5xx": 0, "timeout_before": 0, "timeout_after": 0, "reset": 0}
        self.received.clear()

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._port

    @property
    def endpoint(self) -> str:
        """`host:port`, what AliyunBackend takes as its endpoint."""
        return f"{self._host}:{self._port}"

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_get("/_admin/stats", self._admin_stats)
        app.router.add_get("/_admin/requests", self._admin_requests)
        app.router.add_post("/_admin/faults", self._admin_faults)
        app.router.add_post("/_admin/reset", self._admin_reset)
        app.router.add_route("*", "/", self._handle_api)
        self._stopping = asyncio.Event()
        self._client = aiohttp.ClientSession()
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self._host = host
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self._stopping.set()  # releases held responses at once
        tasks = list(self._tasks)
        self._cancel_pending()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._client is not None:
            await self._client.close()
            self._client = None

    def _cancel_pending(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        for task in self._tasks:
            task.cancel()

    async def __aenter__(self) -> FakeIms:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def refuse(self, action: str, error: ImsError, times: int | None = None) -> None:
        """Answer the next `times` calls of `action` (all, if None) with `error`, as the service
        answers a RAM user without permission for it, or a call it keeps failing."""
        self._refusals[action] = (error, times)

    def _refusal(self, action: str) -> ImsError | None:
        if action not in self._refusals:
            return None
        error, times = self._refusals[action]
        if times is not None:
            if times <= 1:
                del self._refusals[action]
            else:
                self._refusals[action] = (error, times - 1)
        return error

    def reset(self) -> None:
        """Forget jobs, tokens, nonces and counters; faults stay as they are."""
        self._cancel_pending()
        self._clear_state()

    # -- statistics --------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        return {
            "calls_by_action": {a: s.calls for a, s in self._actions.items()},
            "throttles_by_action": {a: s.throttles for a, s in self._actions.items()},
            "max_in_1s_by_action": {a: s.max_in_1s for a, s in self._actions.items()},
            "jobs": len(self._jobs),
            "jobs_by_request_id": {r: list(j) for r, j in self._jobs_by_request_id.items()},
            "jobs_by_token": dict(self._jobs_by_token),
            "signature_failures": self.signature_failures,
            "callbacks": dict(self.callbacks),
            "faults_injected": dict(self.faults_injected),
            "faults": asdict(self.faults),
        }

    # -- admin API (unsigned) ----------------------------------------------------------------

    async def _admin_stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats())

    async def _admin_requests(self, request: web.Request) -> web.Response:
        action = request.query.get("action")
        kept = [asdict(r) for r in self.received if action is None or r.action == action]
        return web.json_response(kept)

    async def _admin_faults(self, request: web.Request) -> web.Response:
        try:
            changes = await request.json()
            if not isinstance(changes, dict):
                raise ValueError("expected a JSON object")
            self.faults.update(changes)
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response(asdict(self.faults))

    async def _admin_reset(self, request: web.Request) -> web.Response:
        self.reset()
        return web.json_response({"reset": True})

    # -- the API -------------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        arrival = time.monotonic()
        call = received_call(request.raw_path, request.content_type, request.headers, await request.read())
        headers, query, form, body, action = call.headers, call.query, call.form, call.body, call.action
        stats = self._actions.setdefault(action, _ActionStats())
        stats.calls += 1
        try:
            self._authenticate(request.method, headers, query, form, body)
            self._admit(stats, arrival)
            handler = self._handlers.get(action)
            if handler is None:
                raise ImsError("InvalidAction.NotFound", f"Action {action!r} does not exist", 404)
            params = {k: v for k, v in (query | form).items() if k not in RPC_PUBLIC_PARAMS}
            self.received.append(Received(action, query, form, headers, arrival))
            refusal = self._refusal(action)
            if refusal is not None:
                raise refusal
            faulty = self.faults.applies_to(action)
            if faulty and self._roll("error_5xx"):
                if self._rng.random() < 0.5:
                    raise ImsError("InternalError", "The request processing has failed.", 500)
                raise ImsError("ServiceUnavailable", "The service is unavailable.", 503)
            if faulty and self._roll("timeout_before"):
                return await self._hold_then_drop(request)
            reply = handler(params)
        except ImsError as err:
            return self._error(request, err)
        reply["RequestId"] = str(uuid.uuid4()).upper()
        if faulty and self._roll("timeout_after"):
            return await self._hold_then_drop(request)
        if faulty and self._roll("reset"):
            return _reset_connection(request)
        return web.json_response(reply)

    def _roll(self, fault: str) -> bool:
        probability: float = getattr(self.faults, fault)
        hit = self._rng.random() < probability
        if hit:
            self.faults_injected[fault] += 1
        return hit

    async def _hold_then_drop(self, request: web.Request) -> web.StreamResponse:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), self.faults.hold_s)
        return _reset_connection(request)

    def _error(self, request: web.Request, err: ImsError) -> web.Response:
        body = {
            "RequestId": str(uuid.uuid4()).upper(),
            "HostId": request.host,
            "Code": err.code,
            "Message": err.message,
            "Recommend": f"https://api.aliyun.com/troubleshoot?q={err.code}",
        }
        # The wait the service asks for, in milliseconds, as the SDK reads it (Utils.get_throttling_time_left).
        wait = {"x-acs-retry-after": str(round(err.retry_after_s * 1000))} if err.retry_after_s else None
        return web.json_response(body, status=err.http_status, headers=wait)

    def _authenticate(
        self,
        method: str,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        form: Mapping[str, str],
        body: bytes,
    ) -> None:
        """Accept a V3 (ACS3-HMAC-SHA256) or legacy RPC (HMAC-SHA1) signed call, else raise."""
        try:
            claim = claim_of(method, headers, query, form, body)
            claim.check(self.access_keys.get(claim.key_id), time.time())
        except ImsError:
            self.signature_failures += 1
            raise
        self._use_nonce(claim.key_id, claim.nonce)

    def _use_nonce(self, key_id: str, nonce: str) -> None:
        now = time.monotonic()
        while self._nonce_expiry and self._nonce_expiry[0][0] < now:
            self._nonces.discard(self._nonce_expiry.popleft()[1])
        key = (key_id, nonce)
        if not nonce or key in self._nonces:
            raise ImsError("SignatureNonceUsed", "Specified signature nonce was used already.", 400)
        self._nonces.add(key)
        # A request dated up to the skew in the future stays replayable for twice the skew.
        self._nonce_expiry.append((now + 2 * MAX_CLOCK_SKEW_S, key))

    def _admit(self, stats: _ActionStats, arrival: float) -> None:
        """At most `qps` accepted calls per action in any sliding 1-second window."""
        window = stats.accepted
        while window and window[0] <= arrival - 1.0:
            window.popleft()
        if len(window) >= self.qps:
            stats.throttles += 1
            raise ImsError("Throttling.User", "Request was denied due to user flow control.", 400)
        window.append(arrival)
        stats.max_in_1s = max(stats.max_in_1s, len(window))

    # -- submit ----------------------------------------------------------------------------------

    def _submit(self, action: str, params: dict[str, str]) -> dict[str, Any]:
        token = params.pop("ClientToken", None)
        if action not in _TOKEN_ACTIONS:
            token = None
        self._validate(action, params)
        fingerprint = {"Action": action, **params}
        if token is not None:
            if len(token) > 64 or not token.isascii():
                raise invalid("ClientToken", "at most 64 ASCII characters")
            seen = self._tokens.get(token)
            if seen is not None:
                if seen[0] != fingerprint:
                    raise ImsError(
                        "IdempotentParameterMismatch",
                        "The request uses the same client token as a previous, but non-identical request.",
                        400,
                    )
                return dict(seen[1])
        job = self._create_job(action, params)
        if action == SINGLE_SUBMIT:
            reply: dict[str, Any] = {
                "JobId": job.job_id,
                "ProjectId": job.project_id,
                "MediaId": job.media_id,
            }
            if params.get("OutputMediaTarget") == "vod-media":
                reply["VodMediaId"] = _new_id()
        else:
            reply = {"JobId": job.job_id}
        if token is not None:
            self._tokens[token] = (fingerprint, dict(reply))
            self._jobs_by_token[token] = job.job_id
        return reply

    def _validate(self, action: str, params: Mapping[str, str]) -> None:
        for name in _REQUIRED[action]:
            if not params.get(name):
                raise missing(name)
        for name in JSON_PARAMS.intersection(params):
            try:
                value = json.loads(params[name])
            except ValueError:
                raise invalid(name, "is not valid JSON") from None
            if name in _OBJECT_PARAMS and not isinstance(value, dict):
                raise invalid(name, "must be a JSON object")
        if len(params.get("UserData", "").encode()) > USER_DATA_MAX_BYTES:
            raise invalid("UserData", f"longer than {USER_DATA_MAX_BYTES} bytes")
        if not isinstance(_json_object(params, "UserData").get("FakeFailCount", 0), int):
            raise invalid("UserData.FakeFailCount", "an integer")
        if action == SINGLE_SUBMIT:
            sources = [n for n in ("ProjectId", "Timeline", "TemplateId") if params.get(n)]
            if len(sources) != 1:
                raise invalid("Timeline", "exactly one of ProjectId, Timeline, TemplateId")
            if "TemplateId" in sources and not params.get("ClipsParam"):
                raise missing("ClipsParam")
            return
        needs_input = not (params.get("InputConfig") or params.get("TemplateConfig"))
        if action == BATCH_SUBMIT and needs_input:
            raise missing("InputConfig")
        if action in _SCENE_JOB_TYPES and params["JobType"] not in _SCENE_JOB_TYPES[action]:
            raise invalid("JobType", f"{params['JobType']!r} is not valid for {action}")
        output = _json_object(params, "OutputConfig")
        url = output.get("MediaURL")
        if isinstance(url, str) and "{index}" not in url:
            raise invalid("OutputConfig.MediaURL", "must contain {index}")
        count = output.get("Count", 1)
        if not isinstance(count, int) or not 1 <= count <= 100:
            raise invalid("OutputConfig.Count", "an integer from 1 to 100")

    def _create_job(self, action: str, params: dict[str, str]) -> _Job:
        user_data = _json_object(params, "UserData")
        fail = user_data.get("FakeFail")
        self._seq += 1
        job = _Job(
            job_id=_new_id(),
            seq=self._seq,
            action=action,
            params=params,
            user_data=user_data,
            created_wall=time.time(),
            created_mono=time.monotonic(),
            duration_s=self.job_seconds,
            fail_code=str(fail) if fail else None,
        )
        if action == SINGLE_SUBMIT:
            job.project_id = params.get("ProjectId") or _new_id()
            job.media_id = _new_id()
        else:
            self._plan_batch(job)
        self._jobs[job.job_id] = job
        request_id = user_data.get(REQUEST_ID_KEY)
        if isinstance(request_id, str):
            self._jobs_by_request_id.setdefault(request_id, []).append(job.job_id)
        notify = user_data.get("NotifyAddress")
        if isinstance(notify, str) and notify.startswith(("http://", "https://")):
            loop = asyncio.get_running_loop()
            timer = loop.call_later(job.duration_s, self._spawn_callback, job, notify)
            self._timers[job.job_id] = timer
        return job

    def _plan_batch(self, job: _Job) -> None:
        """Decide a batch job's type and terminal SubJobList / ExtendOutput up front."""
        params = job.params
        inputs = _json_object(params, "InputConfig")
        output = _json_object(params, "OutputConfig")
        count = output.get("Count", 1)
        url = output.get("MediaURL")
        project_ids: list[str]
        if job.action == BATCH_SUBMIT:
            job.job_type = "Script" if "MediaGroupArray" in inputs else "Smart_Mix"
            project_ids = [_new_id() for _ in range(count)]
        elif job.action == SCENE_SELECT:
            job.job_type = params["JobType"]
            job.extend_output = compact_json(_selection_result(inputs, count))
            project_ids = []
        elif job.action == SCENE_ORGANIZE:
            job.job_type = params["JobType"]
            job.extend_input = params["MediaSelectResult"]
            project_ids = [_new_id() for _ in range(count)]
            url = None  # organisation creates projects, it renders nothing
        else:
            job.job_type = "Scene_Batch_Editing"
            project_ids = [p.strip() for p in params["ProjectIds"].split(",") if p.strip()]
            job.extend_input = compact_json(project_ids)
        failing = job.user_data.get("FakeFailCount", len(project_ids)) if job.fail_code else 0
        for index, project_id in enumerate(project_ids, start=1):
            sub: dict[str, Any] = {"JobId": _new_id(), "ProjectId": project_id}
            if index <= failing:
                sub |= {
                    "Status": "Failed",
                    "ErrorCode": job.fail_code,
                    "ErrorMessage": "failure requested by UserData.FakeFail",
                }
            else:
                sub["Status"] = "Success"
                if url:
                    sub |= {"MediaId": _new_id(), "MediaURL": url.replace("{index}", str(index))}
                    sub["Duration"] = float(output.get("MaxDuration", 10.0))
            job.outputs.append(sub)

    # -- get / list ----------------------------------------------------------------------------

    def _get(self, params: Mapping[str, str], *, batch: bool) -> dict[str, Any]:
        job_id = params.get("JobId")
        if not job_id:
            raise missing("JobId")
        job = self._jobs.get(job_id)
        if job is None or job.batch != batch:
            raise ImsError("InvalidParameter.JobNotFound", f"JobId: {job_id} not found", 400)
        now = time.monotonic()
        if batch:
            return {"EditingBatchJob": self._batch_view(job, now, full=True)}
        return {"MediaProducingJob": self._single_view(job, now, full=True)}

    def _single_view(self, job: _Job, now: float, *, full: bool) -> dict[str, Any]:
        elapsed = job.elapsed(now)
        p = job.params
        output = _json_object(p, "OutputMediaConfig")
        view: dict[str, Any] = {
            "JobId": job.job_id,
            "ProjectId": job.project_id,
            "MediaId": job.media_id,
            "TemplateId": p.get("TemplateId"),
            "ClipsParam": p.get("ClipsParam"),
            "UserData": p.get("UserData"),
            "MediaURL": output.get("MediaURL"),
            "CreateTime": _iso(job.created_wall),
            "ModifiedTime": _iso(job.created_wall + min(elapsed, job.duration_s)),
        }
        if full:
            view["Timeline"] = p.get("Timeline")
        if elapsed < job.duration_s:
            view["Status"] = "Init" if elapsed < job.duration_s / 5 else "Processing"
            view["Progress"] = int(100 * elapsed / job.duration_s)
        else:
            view["CompleteTime"] = _iso(job.created_wall + job.duration_s)
            view["Progress"] = 100
            if job.fail_code:
                view |= {
                    "Status": "Failed",
                    "Code": job.fail_code,
                    "Message": "failure requested by UserData.FakeFail",
                }
            else:
                view |= {"Status": "Success", "Duration": float(output.get("MaxDuration", 10.0))}
        return {k: v for k, v in view.items() if v is not None}

    def _batch_view(self, job: _Job, now: float, *, full: bool) -> dict[str, Any]:
        elapsed = job.elapsed(now)
        p = job.params
        view: dict[str, Any] = {
            "JobId": job.job_id,
            "JobType": job.job_type,
            "InputConfig": p.get("InputConfig"),
            "EditingConfig": p.get("EditingConfig"),
            "OutputConfig": p.get("OutputConfig"),
            "UserData": p.get("UserData"),
            "CreateTime": _iso(job.created_wall),
            "ModifiedTime": _iso(job.created_wall + min(elapsed, job.duration_s)),
        }
        done = elapsed >= job.duration_s
        if done:
            view["Status"] = "Finished"
            view["CompleteTime"] = _iso(job.created_wall + job.duration_s)
            if job.fail_code and all(s["Status"] == "Failed" for s in job.outputs):
                view["Extend"] = compact_json({"ErrorCode": job.fail_code, "ErrorMessage": "every output failed"})
        else:
            view["Status"] = "Init" if elapsed < job.duration_s / 5 else "Processing"
        if full:
            if done:
                view["SubJobList"] = job.outputs
                view["ExtendOutput"] = job.extend_output
            elif view["Status"] == "Processing":
                view["SubJobList"] = [
                    {"JobId": s["JobId"], "ProjectId": s["ProjectId"], "Status": "Processing"} for s in job.outputs
                ]
            view["ExtendInput"] = job.extend_input
        return {k: v for k, v in view.items() if v is not None}

    def _list(self, params: Mapping[str, str], *, batch: bool) -> dict[str, Any]:
        try:
            start = parse_date(params["StartTime"]).timestamp() if "StartTime" in params else None
            end = parse_date(params["EndTime"]).timestamp() if "EndTime" in params else None
            max_results = int(params.get("MaxResults", "10"))
            next_seq = int(params["NextToken"]) if params.get("NextToken") else None
        except ValueError:
            raise invalid("StartTime", "StartTime, EndTime, MaxResults or NextToken") from None
        if not 1 <= max_results <= 100:
            raise invalid("MaxResults", "from 1 to 100")
        sort = params.get("SortBy", "desc" if batch else "CreationTime:Desc")
        ascending = sort.lower().endswith("asc")
        now = time.monotonic()
        view = self._batch_view if batch else self._single_view
        filters = {k: params[k] for k in ("Status", "JobType", "JobId", "ProjectId") if k in params}
        jobs = sorted(
            (j for j in self._jobs.values() if j.batch == batch),
            key=lambda j: j.seq,
            reverse=not ascending,
        )
        page: list[dict[str, Any]] = []
        token = ""
        for job in jobs:
            if next_seq is not None and (job.seq < next_seq if ascending else job.seq > next_seq):
                continue
            if (start is not None and job.created_wall < start) or (end is not None and job.created_wall > end):
                continue
            item = view(job, now, full=False)
            if any(item.get(k) != v for k, v in filters.items()):
                continue
            if len(page) == max_results:
                token = str(job.seq)
                break
            page.append(item)
        key = "EditingBatchJobList" if batch else "MediaProducingJobList"
        return {key: page, "NextToken": token, "MaxResults": max_results}

    # -- callbacks -------------------------------------------------------------------------------

    def _spawn_callback(self, job: _Job, url: str) -> None:
        del self._timers[job.job_id]
        task = asyncio.get_running_loop().create_task(self._deliver(job, url))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, job: _Job, url: str) -> None:
        if self._rng.random() < self.faults.lost_callback:
            self.callbacks["lost"] += 1
            return
        payload = json.dumps(self._envelope(job)).encode()
        assert self._client is not None
        for attempt in range(CALLBACK_ATTEMPTS):
            timestamp = str(int(time.time()))
            headers = {"Content-Type": "application/json", "X-ICE-TIMESTAMP": timestamp}
            if self.callback_key:
                headers["X-ICE-SIGNATURE"] = callback_signature(url, timestamp, self.callback_key)
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with self._client.post(
                    url, data=payload, headers=headers, timeout=aiohttp.ClientTimeout(total=5)
                ) as resp:
                    if resp.status == 200:
                        self.callbacks["delivered"] += 1
                        return
            await asyncio.sleep(CALLBACK_RETRY_S * 2**attempt)
        self.callbacks["failed"] += 1

    def _envelope(self, job: _Job) -> dict[str, Any]:
        """The §6.2 message IMS posts when a job reaches its terminal state."""
        now = time.monotonic()
        user_data = job.params.get("UserData", "")
        if job.batch:
            event = "BatchProduceMediaComplete"
            body = {
                "JobId": job.job_id,
                "Status": "Finished",
                "JobType": job.job_type,
                "UserData": user_data,
            }
        else:
            event = "ProduceMediaComplete"
            view = self._single_view(job, now, full=False)
            body = {
                "Status": view["Status"],
                "JobId": job.job_id,
                "ProjectId": job.project_id,
                "MediaId": job.media_id,
                "MediaURL": view.get("MediaURL", ""),
                "ErrorCode": view.get("Code", ""),
                "ErrorMessage": view.get("Message", ""),
                "UserData": user_data,
            }
        return {
            "EventType": event,
            "UserId": FAKE_USER_ID,
            "EventTime": _iso(time.time()),
            "MessageBody": body,
        }


def _selection_result(inputs: Mapping[str, Any], count: int) -> dict[str, Any]:
    """A media-selection ExtendOutput in the §5.1 shape: each sentence matched to one clip."""
    sentences = [s for s in inputs.get("SpeechTextArray") or [] if isinstance(s, str)]
    media = [m for m in inputs.get("MediaArray") or [] if isinstance(m, str)] or ["fake-media"]
    outputs = []
    for variant in range(count):
        matched = []
        start = 0.0
        for index, text in enumerate(sentences or ["fake sentence"]):
            duration = round(0.2 * max(len(text), 5), 3)
            end = round(start + duration, 3)
            clip = {
                "clipId": f"clip-{variant}-{index}",
                "mediaId": media[(variant + index) % len(media)],
                "startTime": start,
                "endTime": end,
                "score": 0.8,
            }
            matched.append({"textId": str(index), "text": text, "duration": duration, "matchClipList": [clip]})
            start = end
        outputs.append({"textMatchMediaSentenceOutputList": matched})
    return {"textMatchMediaOutputList": outputs}


def _reset_connection(request: web.Request) -> web.StreamResponse:
    """Reset the TCP connection (RST, no response) so the client sees a real transport failure."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    return web.Response()
