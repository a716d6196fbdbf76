"""Jobs as the daemon sees them, whichever backend runs them: what a submit returned
(`Submission`) and a job as last read (`JobSnapshot`), normalised from Get*Job responses.

Both backends return the real response shapes (docs/ims-api.md §1.5, §4.1); this is the one place
that knows which Status strings are terminal and how a batch's sub-jobs add up.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from imsd.api.wire import Api

__all__ = ["JobSnapshot", "JobState", "Output", "Pace", "Submission", "job_snapshot"]

#: Entered with the action around each call a backend method makes on the caller's behalf: the
#: daemon's rate limiter (`RateLimiter.calling`), so that a method making several calls (List*
#: pages) cannot outrun the quota.
Pace = Callable[[str], AbstractAsyncContextManager[None]]


class JobState(StrEnum):
    """Where a backend job is, independent of the API's own Status vocabulary."""

    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    PARTIAL = "PARTIAL"  # a batch finished with some outputs failed
    FAILED = "FAILED"

    @property
    def terminal(self) -> bool:
        return self is not JobState.RUNNING


@dataclass(frozen=True)
class Submission:
    """What a submit call returned."""

    job_id: str
    project_id: str | None = None
    media_id: str | None = None


@dataclass(frozen=True)
class Output:
    """One produced media (a single job has one, a batch one per sub-job)."""

    job_id: str | None
    status: str
    media_url: str | None = None
    media_id: str | None = None
    project_id: str | None = None
    duration: float | None = None
    error_code: str | None = None
    error_message: str | None = None
    ignored: list[str] = field(default_factory=list)  # asked for, not done (local engine)
    approximated: list[str] = field(default_factory=list)  # done differently than asked (local engine)
    progress: int | None = None  # percent done as the service reports it (MediaProducingJob.Progress)
    cover_url: str | None = None  # the output's cover image (local engine: beside the output)
    preview_url: str | None = None  # a contact sheet of the output's frames (local engine)

    def as_dict(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "status": self.status,
            "media_url": self.media_url,
            "media_id": self.media_id,
            "project_id": self.project_id,
            "duration": self.duration,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "ignored": self.ignored,
            "approximated": self.approximated,
            "cover_url": self.cover_url,
            "preview_url": self.preview_url,
        }


@dataclass(frozen=True)
class JobSnapshot:
    """A backend job as last seen, normalised from a Get* response."""

    job_id: str
    state: JobState
    status: str  # the API's own Status string (Processing, Success, Finished, ...)
    outputs: list[Output] = field(default_factory=list)
    error_code: str | None = None
    error_message: str | None = None
    extend_output: Any = None  # scene media selection result (ExtendOutput), parsed
    notes: list[str] = field(default_factory=list)  # about the job as a whole (Extend.Notes)


_SINGLE_STATES = {
    "Success": JobState.SUCCEEDED,
    "S3UploadSuccess": JobState.SUCCEEDED,
    "Failed": JobState.FAILED,
    "Fail": JobState.FAILED,
    "S3UploadFailed": JobState.FAILED,
}


def _float(value: Any) -> float | None:
    try:
        return None if value is None or value == "" else float(value)
    except (TypeError, ValueError):
        return None


def _json(value: Any) -> Any:
    if isinstance(value, str) and value:
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _output(item: dict[str, Any], code_key: str, message_key: str) -> Output:
    return Output(
        job_id=item.get("JobId"),
        status=str(item.get("Status", "")),
        media_url=item.get("MediaURL") or None,
        media_id=item.get("MediaId") or None,
        project_id=item.get("ProjectId") or None,
        duration=_float(item.get("Duration")),
        error_code=item.get(code_key) or None,
        error_message=item.get(message_key) or None,
        ignored=_strings(item.get("Ignored")),
        approximated=_strings(item.get("Approximated")),
        progress=_percent(item.get("Progress")),
        cover_url=item.get("CoverURL") or None,
        preview_url=item.get("PreviewURL") or None,
    )


def _percent(value: Any) -> int | None:
    number = _float(value)
    return None if number is None else max(0, min(100, int(number)))


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def single_job_snapshot(body: dict[str, Any]) -> JobSnapshot:
    job = body.get("MediaProducingJob") or {}
    status = str(job.get("Status", ""))
    state = _SINGLE_STATES.get(status, JobState.RUNNING)
    return JobSnapshot(
        job_id=str(job.get("JobId", "")),
        state=state,
        status=status,
        outputs=[_output(job, "Code", "Message")],
        error_code=(job.get("Code") or None) if state is JobState.FAILED else None,
        error_message=(job.get("Message") or None) if state is JobState.FAILED else None,
    )


def batch_job_snapshot(body: dict[str, Any]) -> JobSnapshot:
    job = body.get("EditingBatchJob") or {}
    status = str(job.get("Status", ""))
    outputs = [_output(s, "ErrorCode", "ErrorMessage") for s in job.get("SubJobList") or []]
    extend = _json(job.get("Extend")) or {}
    error_code = extend.get("ErrorCode") if isinstance(extend, dict) else None
    error_message = extend.get("ErrorMessage") if isinstance(extend, dict) else None
    if status == "Failed":
        state = JobState.FAILED
    elif status != "Finished":
        state = JobState.RUNNING
    else:
        ok = sum(o.status == "Success" for o in outputs)
        if ok == len(outputs) and not error_code:
            state = JobState.SUCCEEDED
        elif ok == 0 and outputs:
            state = JobState.FAILED
        elif ok == 0:
            state = JobState.FAILED if error_code else JobState.SUCCEEDED
        else:
            state = JobState.PARTIAL
    if state is JobState.FAILED and not error_code:
        failed = next((o for o in outputs if o.error_code), None)
        error_code = failed.error_code if failed else "ProduceFailed"
        error_message = failed.error_message if failed else "every output failed"
    return JobSnapshot(
        job_id=str(job.get("JobId", "")),
        state=state,
        status=status,
        outputs=outputs,
        error_code=error_code if state is not JobState.SUCCEEDED else None,
        error_message=error_message if state is not JobState.SUCCEEDED else None,
        extend_output=_json(job.get("ExtendOutput")),
        notes=_strings(extend.get("Notes")) if isinstance(extend, dict) else [],
    )


def job_snapshot(api: Api, body: dict[str, Any]) -> JobSnapshot:
    """The snapshot of a Get* response for a job created by `api`."""
    return batch_job_snapshot(body) if api.is_batch else single_job_snapshot(body)
