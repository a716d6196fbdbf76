"""How IMS parameters travel: which APIs exist, which params are JSON, where the SDK puts them.

The official SDK sends every parameter as a string; JSON-valued ones as compact JSON text. It
puts Timeline, InputConfig and EditingConfig in an x-www-form-urlencoded body and everything else
in the query (docs/ims-api.md §1.1, §3.1, §5, §10.5). Signatures are computed over exactly this
placement, so it lives in one table.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from imsd.errors import invalid

__all__ = [
    "API_NAMES",
    "API_VERSION",
    "BODY_PARAMS",
    "JSON_PARAMS",
    "REQUEST_ID_KEY",
    "USER_DATA_MAX_BYTES",
    "Api",
    "compact_json",
    "json_object",
    "params_hash",
    "request_id_in",
    "split_placement",
    "to_wire",
    "with_client_token",
]


class Api(StrEnum):
    """The submit APIs a producer may request."""

    SUBMIT_MEDIA_PRODUCING_JOB = "SubmitMediaProducingJob"
    SUBMIT_BATCH_MEDIA_PRODUCING_JOB = "SubmitBatchMediaProducingJob"
    SUBMIT_SCENE_MEDIA_SELECTION_JOB = "SubmitSceneMediaSelectionJob"
    SUBMIT_SCENE_TIMELINE_ORGANIZATION_JOB = "SubmitSceneTimelineOrganizationJob"
    SUBMIT_SCENE_BATCH_EDITING_JOB = "SubmitSceneBatchEditingJob"

    @property
    def get_action(self) -> str:
        """The Get* action that reports on jobs this API creates."""
        if self is Api.SUBMIT_MEDIA_PRODUCING_JOB:
            return "GetMediaProducingJob"
        return "GetBatchMediaProducingJob"

    @property
    def list_action(self) -> str:
        if self is Api.SUBMIT_MEDIA_PRODUCING_JOB:
            return "ListMediaProducingJobs"
        return "ListBatchMediaProducingJobs"

    @property
    def is_batch(self) -> bool:
        return self is not Api.SUBMIT_MEDIA_PRODUCING_JOB

    def created(self, job_type: Any) -> bool:
        """Whether a job its List* action reports with `job_type` can be one this API created.

        ListBatchMediaProducingJobs lists the jobs of every batch and Scene API together, and
        the stages of one scene pipeline carry the same request id: the JobType (docs/ims-api.md
        §4) tells them apart. A job listed without one cannot be told apart, and may be.
        """
        if not isinstance(job_type, str) or not job_type or self is Api.SUBMIT_MEDIA_PRODUCING_JOB:
            return True
        kind = {"_Media_Select": Api.SUBMIT_SCENE_MEDIA_SELECTION_JOB,
                "_Timeline_Organize": Api.SUBMIT_SCENE_TIMELINE_ORGANIZATION_JOB,
                "Scene_Batch_Editing": Api.SUBMIT_SCENE_BATCH_EDITING_JOB}  # fmt: skip
        made_by = next((api for suffix, api in kind.items() if job_type.endswith(suffix)), None)
        return (made_by or Api.SUBMIT_BATCH_MEDIA_PRODUCING_JOB) is self

    @property
    def takes_client_token(self) -> bool:
        """Whether the API declares a ClientToken (the official SDK's request models).

        The three Scene APIs declare none: the service cannot deduplicate their resends, so a
        submit whose reply was lost is looked up (List*, by the request id in UserData) before
        it is sent again (submission.py).
        """
        return self in (Api.SUBMIT_MEDIA_PRODUCING_JOB, Api.SUBMIT_BATCH_MEDIA_PRODUCING_JOB)


API_NAMES: frozenset[str] = frozenset(a.value for a in Api)

#: Parameters whose value is a JSON document (sent as JSON text, accepted as object or text).
JSON_PARAMS: frozenset[str] = frozenset(
    {
        "Timeline",
        "ClipsParam",
        "OutputMediaConfig",
        "EditingProduceConfig",
        "ProjectMetadata",
        "MediaMetadata",
        "UserData",
        "InputConfig",
        "EditingConfig",
        "OutputConfig",
        "TemplateConfig",
        "MediaSelectResult",
    }
)

#: Parameters the SDK sends in the form body; all others go in the query string.
BODY_PARAMS: frozenset[str] = frozenset({"Timeline", "InputConfig", "EditingConfig"})

API_VERSION = "2020-11-09"


def compact_json(value: Any) -> str:
    """JSON text as the SDK sends it: no spaces, non-ASCII kept as is."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def to_wire(params: Mapping[str, Any]) -> dict[str, str]:
    """Every parameter as the string the service receives (JSON documents as compact text)."""
    wire: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, str):
            wire[key] = value
        elif isinstance(value, bool):
            wire[key] = "true" if value else "false"
        elif isinstance(value, (dict, list)):
            wire[key] = compact_json(value)
        else:
            wire[key] = str(value)
    return wire


def with_client_token(params: Mapping[str, Any], client_token: str | None) -> dict[str, Any]:
    """`params` carrying `client_token` as their ClientToken, or no ClientToken at all for None."""
    sent = {key: value for key, value in params.items() if key != "ClientToken"}
    if client_token is not None:
        sent["ClientToken"] = client_token
    return sent


def split_placement(wire: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(query, body) as the official SDK places them."""
    query = {k: v for k, v in wire.items() if k not in BODY_PARAMS}
    body = {k: v for k, v in wire.items() if k in BODY_PARAMS}
    return query, body

#: UserData key under which the daemon records the request_id, so that callbacks and the
#: reconciliation look-up can find the request without a job-id mapping.
REQUEST_ID_KEY = "ImsdRequestId"
USER_DATA_MAX_BYTES = 512


def request_id_in(user_data: Any) -> str | None:
    """The request id the daemon put in a job's UserData (an object, or its JSON text); else None.

    UserData comes back from the service and from callbacks as written by anyone, so whatever
    is not a JSON object holding a string there is simply no request id.
    """
    if isinstance(user_data, str) and user_data:
        try:
            user_data = json.loads(user_data)
        except ValueError:
            return None
    value = user_data.get(REQUEST_ID_KEY) if isinstance(user_data, dict) else None
    return value if isinstance(value, str) else None


def json_object(value: Any, field: str) -> dict[str, Any]:
    """A JSON-valued parameter, given as an object or as JSON text; absent or empty is {}."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise invalid(field, "is not valid JSON") from None
    if not isinstance(value, dict):
        raise invalid(field, "must be a JSON object")
    return value


def params_hash(api: str, params: dict[str, Any]) -> str:
    """Identity of a request's content, independent of key order and JSON-string vs object form.

    `params` as validation returns them, JSON text parsed: that is what makes the form not matter.
    """
    canonical = json.dumps([api, params], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
