"""The result document: exactly one per request on the results stream.

Field names are snake_case and stable; consumers match results to requests by `request_id`.
`status` is SUCCEEDED, PARTIAL (a batch with some outputs failed), FAILED, or REJECTED (a
message refused before it owned a record: unparseable, or reusing a request_id with other
params; a REJECTED result never replaces the request's own result).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from imsd.backends.base import JobSnapshot
from imsd.errors import ImsError
from imsd.pipeline import PIPELINE_API
from imsd.records import Record, State


def iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def result_document(
    record: Record,
    *,
    backend: str,
    state: State,
    snapshot: JobSnapshot | None = None,
    error: ImsError | None = None,
    finished_at: float,
) -> dict[str, Any]:
    """The result of a request whose record reached `state`, but for its counts.

    The counts (attempts, throttles, polls, duplicates) are added by RecordStore.finish from the
    record itself, in the step that makes it final.
    """
    code = error.code if error else (snapshot.error_code if snapshot else None)
    message = error.message if error else (snapshot.error_message if snapshot else None)
    document = {
        "request_id": record.request_id,
        "api": PIPELINE_API if record.pipeline else record.api,
        "backend": backend,
        "job_id": record.job_id or (snapshot.job_id if snapshot else None),
        "status": state.value,
        "job_status": snapshot.status if snapshot else None,
        "outputs": [o.as_dict() for o in snapshot.outputs] if snapshot else [],
        "extend_output": snapshot.extend_output if snapshot else None,
        "error_code": code,
        "error_message": message,
        "received_at": iso(record.received_at),
        "submitted_at": iso(record.submitted_at),
        "finished_at": iso(finished_at),
        "meta": record.meta,
    }
    if snapshot and snapshot.notes:
        # Remarks on a batch job as a whole (Extend.Notes), e.g. fewer outputs made than asked.
        document["notes"] = list(snapshot.notes)
    if record.pipeline is not None:
        document["stages"] = record.pipeline.stages(record.job_id, state.value)
    return document


def rejection_document(
    *, request_id: str | None, api: str | None, entry_id: str, error: ImsError, now: float
) -> dict[str, Any]:
    """The result of a stream entry refused without a record of its own."""
    return {
        "request_id": request_id,
        "api": api,
        "backend": None,
        "job_id": None,
        "status": "REJECTED",
        "outputs": [],
        "error_code": error.code,
        "error_message": error.message,
        "entry_id": entry_id,
        "finished_at": iso(now),
    }
