"""The request message producers put on the stream, and what the daemon derives from it.

A producer writes `XADD imsd:requests * request '<json>'` with JSON
`{"request_id": ..., "api": ..., "params": {...}, "client_token"?: ..., "meta"?: ...}`.
From it the daemon derives, once and deterministically, the ClientToken and the exact params
it will send; every retry after that reuses both, which is what makes retries idempotent.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from imsd.api.validation import check_storable
from imsd.api.wire import (
    API_NAMES,
    REQUEST_ID_KEY,
    USER_DATA_MAX_BYTES,
    Api,
    compact_json,
    with_client_token,
)
from imsd.contract import CLIENT_TOKEN_PATTERN, REQUEST_ID_PATTERN
from imsd.errors import ImsError, invalid, missing
from imsd.pipeline import PIPELINE_API, STAGES

_REQUEST_ID = re.compile(REQUEST_ID_PATTERN)
_TOKEN = re.compile(CLIENT_TOKEN_PATTERN)


@dataclass(frozen=True)
class Envelope:
    request_id: str
    api: Api  # for a ScenePipeline, the API of its first stage
    params: dict[str, Any]
    client_token: str | None
    meta: Any
    pipeline: bool = False  # `"api": "ScenePipeline"`: the three scene APIs in turn (pipeline.py)

    @property
    def api_name(self) -> str:
        """The API as the producer named it."""
        return PIPELINE_API if self.pipeline else self.api.value


def parse_envelope(fields: Mapping[str, str]) -> Envelope:
    """The message of one stream entry, or an ImsError naming what is wrong with it.

    It refuses every bad input with an ImsError and raises nothing else: a message that made
    the parser fail would stop every daemon that claims its entry, again after each restart.
    The params and meta it returns are checked for what the validators do not look at by
    `check_storable`.
    """
    message = _message(fields)
    request_id = message.get("request_id")
    if request_id is None:
        raise missing("request.request_id")
    if not isinstance(request_id, str) or not _REQUEST_ID.match(request_id):
        raise invalid(
            "request.request_id",
            "must be 1-128 characters of letters, digits and ._:@/+=- starting with a letter or digit",
        )
    api = message.get("api")
    if api is None:
        raise missing("request.api")
    if not isinstance(api, str) or (api not in API_NAMES and api != PIPELINE_API):
        raise invalid("request.api", f"must be one of {', '.join(sorted({*API_NAMES, PIPELINE_API}))}")
    params = message.get("params", {})
    if not isinstance(params, dict):
        raise invalid("request.params", "must be a JSON object")
    token = message.get("client_token", params.get("ClientToken"))
    if token is not None and (not isinstance(token, str) or not _TOKEN.match(token)):
        raise invalid("request.client_token", "must be 1-64 printable ASCII characters")
    if api == PIPELINE_API:
        return Envelope(request_id, STAGES[0], params, token, message.get("meta"), pipeline=True)
    return Envelope(request_id, Api(api), params, token, message.get("meta"))


def readable_request_id(fields: Mapping[str, str]) -> str | None:
    """The request_id of an entry refused for something else, when it can be read.

    The refusal's result then carries it, and a producer waiting for that request_id gets it.
    """
    try:
        request_id = _message(fields).get("request_id")
    except ImsError:
        return None
    return request_id if isinstance(request_id, str) and _REQUEST_ID.match(request_id) else None


def _message(fields: Mapping[str, str]) -> dict[str, Any]:
    raw = fields.get("request")
    if raw is None:
        raise missing("request")
    check_storable("request", raw)
    try:
        message = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise invalid("request", f"not valid JSON ({exc.msg} at position {exc.pos})") from None
    except (ValueError, RecursionError) as exc:  # an integer too long to convert, deep nesting
        raise invalid("request", f"not valid JSON ({exc})") from None
    if not isinstance(message, dict):
        raise invalid("request", "must be a JSON object")
    return message


def derive_client_token(request_id: str) -> str:
    """A ClientToken that is the same for every retry of a request (≤ 64 ASCII characters)."""
    # "#0" is part of the token's definition, not a version: a request in flight keeps its token
    # across an upgrade only while this stays exactly as it is.
    digest = hashlib.sha256(f"{request_id}#0".encode()).hexdigest()
    return f"imsd-{digest[:48]}"


def params_to_send(
    api: Api, params: Mapping[str, Any], request_id: str, client_token: str, notify_address: str
) -> dict[str, Any]:
    """The exact params the backend will receive.

    Adds the ClientToken where the API takes one (and drops it where it takes none), and to
    UserData the request_id (so callbacks and reconciliation find the request) and the daemon's
    NotifyAddress when the producer set none, each only if UserData stays within its 512-byte
    limit.
    """
    sent = with_client_token(params, client_token if api.takes_client_token else None)
    user_data = sent.get("UserData")
    if isinstance(user_data, str):
        try:
            user_data = json.loads(user_data)
        except (ValueError, RecursionError):  # RecursionError: JSON text nested too deep to parse
            return sent  # validation reports it; nothing to add to
    if user_data is None:
        user_data = {}
    if not isinstance(user_data, dict):
        return sent
    additions: dict[str, str] = {REQUEST_ID_KEY: request_id}
    if notify_address and "NotifyAddress" not in user_data:
        additions["NotifyAddress"] = notify_address
    for key, value in additions.items():
        candidate = {**user_data, key: value}
        if len(compact_json(candidate).encode()) <= USER_DATA_MAX_BYTES:
            user_data = candidate
    if user_data:
        sent["UserData"] = user_data
    return sent


__all__ = [
    "Envelope",
    "ImsError",
    "check_storable",
    "derive_client_token",
    "params_to_send",
    "parse_envelope",
    "readable_request_id",
]
