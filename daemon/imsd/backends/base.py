"""The one interface the daemon talks to; `aliyun` and `local` both implement it.

The daemon never knows which backend it drives: it submits with a ClientToken, then reads job
snapshots until one is terminal. Snapshots are normalised here so that results look the same
whichever backend produced them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from imsd.api.wire import Api


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


#: Awaited with the action before each call a backend method makes on the caller's behalf: the
#: daemon's rate limiter, so that a method making several calls cannot outrun the quota.
Pace = Callable[[str], Awaitable[None]]


class Backend(Protocol):
    """A place where IMS jobs run."""

    name: str

    async def submit(self, api: Api, params: dict[str, Any], client_token: str) -> Submission:
        """Submit once. Raises ImsError; the same token and params must yield the same job."""
        ...

    async def get_job(self, api: Api, job_id: str) -> JobSnapshot:
        """Read a job created by `api`. Raises ImsError."""
        ...

    async def find_job(self, api: Api, request_id: str, since: float, pace: Pace | None = None) -> str | None:
        """The job a previous submit of `request_id` created at or after `since` (epoch s), if any.

        Used to reconcile a submit whose outcome was lost before resending it. Each List* page
        is a call of its own: `pace` is awaited before every one. Raises ImsError.
        """
        ...

    async def close(self) -> None: ...
