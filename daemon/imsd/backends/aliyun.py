"""The `aliyun` backend: the real IMS OpenAPI over V3-signed HTTPS.

One HTTP attempt per call and no retries here: every attempt must pass the daemon's shared
rate limiter, and only the daemon knows whether a retry may reuse the ClientToken. Instead of
the SDK (which opens a new connection per async call) one shared aiohttp session carries all
calls, signed by `imsd.signing` exactly as the SDK signs them.
"""

from __future__ import annotations

import configparser
import contextlib
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

import aiohttp
from yarl import URL

from imsd.api.jobs import JobSnapshot, Submission, job_snapshot
from imsd.api.wire import Api, request_id_in, split_placement, to_wire, with_client_token
from imsd.backends.base import Pace
from imsd.errors import ImsError
from imsd.signing import canonical_query, format_date, v3_headers

__all__ = ["FORM_CONTENT_TYPE", "AliyunBackend", "Credentials"]

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"

#: Where each List* action puts its items.
_LIST_ITEMS = {
    "ListMediaProducingJobs": "MediaProducingJobList",
    "ListBatchMediaProducingJobs": "EditingBatchJobList",
}
#: Items per List* page (the service's maximum), so a look-up costs as few calls as it can.
_LIST_PAGE_SIZE = 100
#: Jobs a reconciliation look-up may have missed because clocks differ between us and IMS.
_FIND_CLOCK_SLACK = timedelta(minutes=1)


@dataclass(frozen=True)
class Credentials:
    """An AccessKey pair, optionally with an STS token; repr never shows the secret parts."""

    access_key_id: str
    access_key_secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_env_or_file(cls, path: str | os.PathLike[str] | None = None) -> Credentials:
        """Credentials from ALIBABA_CLOUD_* variables, else from a JSON or INI file.

        The environment wins, as in the SDK's default chain, so that an orchestrator can
        inject keys over a file baked into an image. Files may be flat
        (`access_key_id`, `access_key_secret`, `security_token`), an aliyun CLI config.json
        (`current` + `profiles`) or a credentials.ini (`[default]` section).
        """
        env_id = os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID")
        env_secret = os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
        if env_id and env_secret:
            return cls(env_id, env_secret, os.environ.get("ALIBABA_CLOUD_SECURITY_TOKEN") or None)
        if path is None:
            raise ValueError(
                "no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and "
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET or configure a credentials file"
            )
        return cls._from_mapping(_read_credentials_file(Path(path)), str(path))

    @classmethod
    def _from_mapping(cls, values: Mapping[str, Any], source: str) -> Credentials:
        key_id = values.get("access_key_id")
        secret = values.get("access_key_secret")
        if not isinstance(key_id, str) or not isinstance(secret, str) or not key_id or not secret:
            # Names the fields only: the file's content may hold half a secret.
            raise ValueError(f"{source}: access_key_id and access_key_secret are required")
        token = values.get("security_token") or values.get("sts_token")
        return cls(key_id, secret, token if isinstance(token, str) and token else None)


def _read_credentials_file(path: Path) -> Mapping[str, Any]:
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except ValueError:
        parser = configparser.ConfigParser()
        try:
            parser.read_string(text, source=str(path))
        except configparser.Error:
            raise ValueError(f"{path}: neither JSON nor INI") from None
        sections = parser.sections()
        if not sections:
            raise ValueError(f"{path}: no credentials section") from None
        return parser["default" if "default" in sections else sections[0]]
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object")
    profiles = data.get("profiles")
    if isinstance(profiles, list):
        current = data.get("current")
        usable = [p for p in profiles if isinstance(p, dict)]
        chosen = next((p for p in usable if p.get("name") == current), None)
        if chosen is None and usable:
            chosen = usable[0]
        if chosen is None:
            raise ValueError(f"{path}: no usable profile")
        return chosen
    return data


class AliyunBackend:
    """Backend for the real service, one endpoint (region) and one AccessKey per instance."""

    name = "aliyun"

    def __init__(
        self,
        endpoint: str,
        credentials: Credentials,
        *,
        region: str,
        scheme: str = "https",
        timeout_s: float = 15.0,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.region = region
        self._credentials = credentials
        self._base_url = f"{scheme}://{endpoint}/"
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session = session
        self._owns_session = session is None

    def __repr__(self) -> str:
        return f"AliyunBackend(endpoint={self.endpoint!r}, region={self.region!r})"

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def call(self, action: str, wire: Mapping[str, str]) -> dict[str, Any]:
        """One signed attempt of `action` with string params; the JSON reply or ImsError."""
        query, form = split_placement(wire)
        # The SDK sends the form sorted by key; the signature covers these exact bytes.
        body = urlencode(sorted(form.items())).encode() if form else b""
        headers = v3_headers(
            method="POST",
            host=self.endpoint,
            action=action,
            query=query,
            body=body,
            content_type=FORM_CONTENT_TYPE if form else None,
            access_key_id=self._credentials.access_key_id,
            access_key_secret=self._credentials.access_key_secret,
            security_token=self._credentials.security_token,
            date=datetime.now(UTC),
            nonce=secrets.token_hex(16),
        )
        # As the SDK: JSON asked for (the SDK leaves Accept out of the signature too), and no
        # Content-Type the signature does not cover (aiohttp would add one to an empty POST).
        headers["Accept"] = "application/json"
        # Sent pre-encoded, so the service hashes the very query string we hashed.
        url = URL(f"{self._base_url}?{canonical_query(query)}" if query else self._base_url, encoded=True)
        post = self._http().post(
            url, data=body or None, headers=headers, timeout=self._timeout, skip_auto_headers=("Content-Type",)
        )
        try:
            async with post as resp:
                raw = await resp.read()
                status = resp.status
                retry_after = resp.headers.get("x-acs-retry-after", "")
        except TimeoutError:
            raise ImsError("Timeout", f"{action}: no response within {self._timeout.total:g}s", 504) from None
        except aiohttp.ClientError as exc:
            # The class name only: messages of some client errors quote request details.
            raise ImsError(
                "ConnectionError", f"{action}: {type(exc).__name__} talking to {self.endpoint}", 503
            ) from None
        try:
            return _reply(action, status, raw)
        except ImsError as error:
            error.retry_after_s = _retry_after_s(retry_after)
            raise

    async def submit(self, api: Api, params: dict[str, Any], client_token: str | None) -> Submission:
        wire = to_wire(with_client_token(params, client_token))
        body = await self.call(api.value, wire)
        job_id = body.get("JobId")
        if not isinstance(job_id, str) or not job_id:
            # Accepted but unreadable: the job may exist, so it is "outcome unknown".
            raise ImsError("UnknownError", f"{api.value}: reply without JobId", 502)
        return Submission(job_id, body.get("ProjectId") or None, body.get("MediaId") or None)

    async def get_job(self, api: Api, job_id: str) -> JobSnapshot:
        return job_snapshot(api, await self.call(api.get_action, {"JobId": job_id}))

    async def find_job(self, api: Api, request_id: str, since: float, pace: Pace | None = None) -> str | None:
        """The job whose UserData names `request_id`, created since `since`, paging List*.

        Every page is a call of its own, so each one, the first included, is made inside `pace`.
        Items without a JobId are skipped: a malformed item must not hide the rest.
        """
        start = datetime.fromtimestamp(since, UTC) - _FIND_CLOCK_SLACK
        action = api.list_action
        items_key = _LIST_ITEMS[action]
        wire = {"StartTime": format_date(start), "MaxResults": str(_LIST_PAGE_SIZE)}
        while True:
            async with pace(action) if pace is not None else contextlib.nullcontext():
                body = await self.call(action, wire)
            for item in body.get(items_key) or []:
                job_id = item.get("JobId") if isinstance(item, dict) else None
                if (
                    isinstance(job_id, str)
                    and job_id
                    and request_id_in(item.get("UserData")) == request_id
                    and api.created(item.get("JobType"))
                ):
                    return job_id
            next_token = body.get("NextToken")
            if not next_token:
                return None
            wire["NextToken"] = str(next_token)

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None


def _reply(action: str, status: int, raw: bytes) -> dict[str, Any]:
    """The reply body, or the ImsError it stands for.

    An error body is read as the SDK reads it: JSON with `Code`/`Message`/`RequestId` in either
    case, or XML (`<Error><Code>...`). The service's RequestId, which its support asks for, ends
    the message.
    """
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if isinstance(body, dict) and status < 400:
        return body
    fields = _error_fields(body if isinstance(body, dict) else _xml_fields(raw))
    if fields.get("code"):
        message = fields.get("message") or f"{action}: HTTP {status}"
        if fields.get("requestid"):
            message = f"{message} (RequestId {fields['requestid']})"
        raise ImsError(fields["code"], message, status)
    if status == 503:
        code, http_status = "ServiceUnavailable", status
    elif status == 429:
        code, http_status = "Throttling", status
    elif status >= 500:
        code, http_status = "InternalError", status
    elif status < 400:
        # Accepted but unreadable: as unknown an outcome as a 5xx.
        code, http_status = "InternalError", 502
    else:
        code, http_status = "UnknownError", status
    raise ImsError(code, f"{action}: HTTP {status} with a body that names no error", http_status)


def _error_fields(body: Mapping[str, Any]) -> dict[str, str]:
    """Code, Message and RequestId of an error body, whatever their case."""
    return {key.lower(): str(value) for key, value in body.items() if key.lower() in _ERROR_KEYS and value}


def _xml_fields(raw: bytes) -> dict[str, str]:
    try:
        root = ElementTree.fromstring(raw)
    except ElementTree.ParseError:
        return {}
    return _error_fields({child.tag: (child.text or "").strip() for child in root})


_ERROR_KEYS = frozenset({"code", "message", "requestid"})
_RETRY_AFTER_MAX_MS = 120_000


def _retry_after_s(header: str) -> float:
    """The wait an error reply's `x-acs-retry-after` asks for: milliseconds, as the SDK reads it
    (alibabacloud_tea_openapi Utils.get_throttling_time_left, darabonba's retry policy, which caps
    it at 120 s); 0 when absent, not a positive integer, or absurd."""
    try:
        milliseconds = int(header)
    except ValueError:
        return 0.0
    return min(milliseconds, _RETRY_AFTER_MAX_MS) / 1000 if milliseconds > 0 else 0.0
