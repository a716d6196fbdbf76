"""The JSON a producer writes and reads: the request message and its result, as schemas.

The daemon reads requests by hand (envelope.py turns every defect into a precise refusal, never
an exception) and builds results as plain dicts (results.py). These models describe both for
producers in any language; `schemas/` holds their JSON Schema, written by
`python -m imsd.contract` and kept current by a test that also holds real results against it.
The patterns are defined here once, and envelope.py checks requests with them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator

from imsd.api.validation import MAX_JSON_DEPTH
from imsd.api.wire import API_NAMES
from imsd.pipeline import PIPELINE_API

__all__ = ["CLIENT_TOKEN_PATTERN", "REQUEST_ID_PATTERN", "Output", "Request", "Result", "Stage", "schemas"]

REQUEST_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}$"
CLIENT_TOKEN_PATTERN = r"^[\x21-\x7e]{1,64}$"


class Request(BaseModel):
    """One request: the JSON text of the `request` field of an entry on `imsd:requests`."""

    model_config = ConfigDict(
        title="imsd request",
        json_schema_extra={
            "description": "The `request` field of an XADD to imsd:requests. Limits: the text at most "
            "intake.max_request_bytes (1 MiB by default), `meta` at most intake.max_meta_bytes (16 KiB) as "
            f"JSON, JSON nested at most {MAX_JSON_DEPTH} levels, at most 10,000 clips per Timeline track."
        },
    )

    request_id: str = Field(
        pattern=REQUEST_ID_PATTERN,
        description="Names the request: sent again with the same params it is a duplicate (no second job); "
        "with other params it is refused.",
    )
    api: str = Field(
        json_schema_extra={"enum": list[JsonValue](sorted({*API_NAMES, PIPELINE_API}))},
        description="The IMS API to call, or ScenePipeline (media selection, timeline organisation and batch "
        "editing in turn).",
    )
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="The API's parameters; JSON-valued ones (Timeline, OutputMediaConfig, UserData, ...) as "
        "objects or JSON strings. Unknown fields are passed through.",
    )
    client_token: str | None = Field(
        default=None,
        pattern=CLIENT_TOKEN_PATTERN,
        description=(
            "Your own ClientToken (also read from params.ClientToken); else derived from request_id. "
            "Sent only with the APIs that take one (not the Scene APIs)."
        ),
    )
    meta: Any = Field(default=None, description="Anything; echoed in the result.")

    @field_validator("api")
    @classmethod
    def _known_api(cls, api: str) -> str:
        if api not in API_NAMES and api != PIPELINE_API:
            raise ValueError(f"must be one of {', '.join(sorted({*API_NAMES, PIPELINE_API}))}")
        return api


class Output(BaseModel):
    """One produced media: a single job has one, a batch one per sub-job."""

    model_config = ConfigDict(extra="forbid")

    job_id: str | None
    status: str
    media_url: str | None
    media_id: str | None
    project_id: str | None
    duration: float | None
    error_code: str | None
    error_message: str | None
    ignored: list[str] = Field(description="Asked for, not done (local engine).")
    approximated: list[str] = Field(description="Done differently than asked (local engine).")
    cover_url: str | None = Field(
        default=None,
        description="The output's cover image: the frame at CoverConfig.StartTime, else the first (local engine).",
    )
    preview_url: str | None = Field(
        default=None, description="A contact sheet of frames spread over the output (local engine)."
    )


class Stage(BaseModel):
    """One stage of a ScenePipeline."""

    model_config = ConfigDict(extra="forbid")

    stage: int
    api: str
    job_id: str | None
    status: str | None


class Result(BaseModel):
    """The one result of a request (or of a refused message): the `result` field of an entry on
    `imsd:results` (failures also on `imsd:dead`), and `HGET imsd:req:<request_id> result`."""

    model_config = ConfigDict(extra="forbid", title="imsd result")

    request_id: str | None = Field(description="Null only for a refused message whose request_id was unreadable.")
    api: str | None
    backend: Literal["local", "aliyun"] | None
    job_id: str | None
    status: Literal["SUCCEEDED", "PARTIAL", "FAILED", "REJECTED"] = Field(
        description="REJECTED: a message refused before it owned a request (then only request_id, api, backend, "
        "job_id, outputs, error_code, error_message, entry_id and finished_at are given)."
    )
    job_status: str | None = Field(default=None, description="The job's own Status at the service.")
    outputs: list[Output]
    extend_output: Any = Field(default=None, description="Scene media selection: the job's ExtendOutput, parsed.")
    notes: list[str] | None = Field(default=None, description="Remarks on a batch job as a whole (Extend.Notes).")
    stages: list[Stage] | None = Field(default=None, description="ScenePipeline: every stage's job.")
    error_code: str | None = Field(description="The IMS error code.")
    error_message: str | None = Field(description="Names the field at fault.")
    entry_id: str | None = Field(default=None, description="REJECTED: the refused stream entry.")
    received_at: str | None = None
    submitted_at: str | None = None
    finished_at: str
    attempts: int | None = None
    throttles: int | None = None
    polls: int | None = None
    duplicates: int | None = None
    meta: Any = None


def schemas() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema, as `schemas/` holds them."""
    return {
        "request.schema.json": Request.model_json_schema(),
        "result.schema.json": Result.model_json_schema(mode="serialization"),
    }


def _write(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, schema in schemas().items():
        (directory / name).write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    _write(Path(sys.argv[1] if len(sys.argv) > 1 else "schemas"))
