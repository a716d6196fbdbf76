"""The `local` backend: the local IMS (engine/service/api.py) behind the Backend protocol.

The daemon talks to it exactly as to the cloud: a submit is the IMS action the request names,
with its ClientToken; a job is read through its Get* response.
"""

from __future__ import annotations

from typing import Any

from imsd.api.jobs import JobSnapshot, Submission, job_snapshot
from imsd.api.wire import Api, with_client_token
from imsd.backends.base import Pace
from imsd.engine.service import LocalIms

__all__ = ["LocalBackend"]


class LocalBackend(LocalIms):
    """The local IMS, driven by the daemon; its IMS actions stay callable as they are (`imsd job get`)."""

    name = "local"

    async def submit(self, api: Api, params: dict[str, Any], client_token: str | None) -> Submission:
        action = {
            Api.SUBMIT_MEDIA_PRODUCING_JOB: self.submit_media_producing_job,
            Api.SUBMIT_BATCH_MEDIA_PRODUCING_JOB: self.submit_batch_media_producing_job,
            Api.SUBMIT_SCENE_MEDIA_SELECTION_JOB: self.submit_scene_media_selection_job,
            Api.SUBMIT_SCENE_TIMELINE_ORGANIZATION_JOB: self.submit_scene_timeline_organization_job,
            Api.SUBMIT_SCENE_BATCH_EDITING_JOB: self.submit_scene_batch_editing_job,
        }[api]
        reply = await action(with_client_token(params, client_token))
        return Submission(job_id=reply["JobId"], project_id=reply.get("ProjectId"), media_id=reply.get("MediaId"))

    async def get_job(self, api: Api, job_id: str) -> JobSnapshot:
        get = self.get_batch_media_producing_job if api.is_batch else self.get_media_producing_job
        return job_snapshot(api, await get(job_id))

    async def find_job(self, api: Api, request_id: str, since: float, pace: Pace | None = None) -> str | None:
        return await self.find_job_by_request_id(api, request_id, since, pace)
