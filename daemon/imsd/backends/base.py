"""The one interface the daemon talks to; `aliyun` and `local` both implement it.

The daemon never knows which backend it drives: it submits with a ClientToken, then reads job
snapshots until one is terminal. What a backend returns (`Submission`, `JobSnapshot`) are the
API's own types (api/jobs.py), normalised so that results look the same whichever backend
produced them.
"""

from __future__ import annotations

from typing import Any, Protocol

from imsd.api.jobs import JobSnapshot, Pace, Submission
from imsd.api.wire import Api

__all__ = ["Backend", "Pace"]



class Backend(Protocol):
    """A place where IMS jobs run."""

    name: str

    async def submit(self, api: Api, params: dict[str, Any], client_token: str | None) -> Submission:
        """Submit once, with `client_token` if given. Raises ImsError; the same token and params
        must yield the same job. None where the API takes no token (`Api.takes_client_token`)."""
        ...

    async def get_job(self, api: Api, job_id: str) -> JobSnapshot:
        """Read a job created by `api`. Raises ImsError."""
        ...

    async def find_job(self, api: Api, request_id: str, since: float, pace: Pace | None = None) -> str | None:
        """The job a previous submit of `request_id` created at or after `since` (epoch s), if any.

        Used to reconcile a submit whose outcome was lost before resending it. Each List* page
        is a call of its own, made inside `pace`. Raises ImsError.
        """
        ...

    async def close(self) -> None: ...
