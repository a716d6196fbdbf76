"""Reading Get*Job responses into backend-neutral snapshots.

Both backends return the real response shapes (ims-api.md §1.5, §4.1); this is the one place
that knows which Status strings are terminal and how a batch's sub-jobs add up.
"""

from __future__ import annotations

import json
from typing import Any

from imsd.api.wire import Api
from imsd.backends.base import JobSnapshot, JobState, Output

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
    )


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
