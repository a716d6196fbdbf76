"""The `local` backend: IMS's media producing APIs implemented on this machine.

Submit writes a job record (ClientToken honoured as the service does) and queues a render
for the engine workers; Get/List read the records in the real response shapes. The daemon
talks to it exactly as to the cloud.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

from redis.asyncio import Redis

from imsd.api.jobs import job_snapshot
from imsd.api.wire import REQUEST_ID_KEY, Api, compact_json
from imsd.backends.base import JobSnapshot, Submission
from imsd.engine.jobs import (
    EngineJobStore,
    decode_token,
    encode_token,
    iso_now,
    new_id,
    public_view,
)
from imsd.engine.media import MediaResolver
from imsd.engine.worker import RENDER_TASK, engine_queue_name, render_task_id
from imsd.errors import ImsError, invalid
from imsd.queue import TaskQueue
from imsd.records import params_hash
from imsd.settings import Settings

LIST_LOOKBACK_S = 30 * 86400


def _not_supported(api: Api) -> ImsError:
    return ImsError(
        "Forbidden.NotSupported",
        f"{api.value}: not implemented by the local engine yet; set backend = \"aliyun\" to use the service",
        403,
    )


def _epoch(text: str | None, default: float) -> float:
    if not text:
        return default
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise invalid("StartTime/EndTime", f"{text!r} is not a UTC time like 2025-01-01T00:00:00Z") from None


class LocalBackend:
    name = "local"

    def __init__(self, settings: Settings, redis: Redis) -> None:
        self.settings = settings
        self.store = EngineJobStore(redis, settings.redis.prefix)
        self.resolver = MediaResolver(settings.engine)
        self._queue: TaskQueue | None = None

    async def queue(self) -> TaskQueue:
        if self._queue is None:
            self._queue = await TaskQueue.connect(self.settings.redis.url, engine_queue_name(self.settings))
        return self._queue

    async def submit(self, api: Api, params: dict[str, Any], client_token: str) -> Submission:
        if api is not Api.SUBMIT_MEDIA_PRODUCING_JOB:
            raise _not_supported(api)
        timeline, project_id = await self._timeline_of(params)
        output = _json_object(params.get("OutputMediaConfig"), "OutputMediaConfig")
        self.resolver.output_path(str(output.get("MediaURL", "")))  # refuse bad targets now
        user_data = params.get("UserData")
        fields = {
            "JobId": new_id(),
            "ProjectId": project_id,
            "MediaId": new_id(),
            "MediaURL": output.get("MediaURL"),
            "Status": "Init",
            "Progress": 0,
            "JobType": "EditingJob",
            "CreateTime": iso_now(),
            "ModifiedTime": iso_now(),
            "Timeline": compact_json(timeline),
            "UserData": user_data if isinstance(user_data, str) or user_data is None else compact_json(user_data),
            "_output": output,
        }
        content = {k: v for k, v in params.items() if k != "ClientToken"}
        job_id = await self.store.create(
            fields, client_token=client_token, fingerprint=params_hash(api.value, content)
        )
        if job_id == fields["JobId"]:
            await self.store.save_project(project_id, timeline)
        # Queued again on a repeated submit too: harmless (deduplicated, and a finished job is skipped).
        await (await self.queue()).enqueue(RENDER_TASK, job_id, task_id=render_task_id(job_id))
        job = await self.store.get(job_id)
        assert job is not None
        return Submission(job_id=job_id, project_id=job.get("ProjectId"), media_id=job.get("MediaId"))

    async def _timeline_of(self, params: dict[str, Any]) -> tuple[Any, str]:
        if params.get("TemplateId"):
            raise invalid("TemplateId", "templates are not available on the local engine; send a Timeline")
        if params.get("ProjectId"):
            project_id = str(params["ProjectId"])
            timeline = await self.store.project_timeline(project_id)
            if timeline is None:
                raise ImsError("InvalidParameter.ProjectNotFound", f"ProjectId: {project_id!r} does not exist", 404)
            return timeline, project_id
        return _json_object(params.get("Timeline"), "Timeline"), new_id()

    async def get_media_producing_job(self, job_id: str) -> dict[str, Any]:
        """The GetMediaProducingJob response body."""
        job = await self.store.get(job_id)
        if job is None:
            raise ImsError("InvalidParameter.JobNotFound", f"JobId: {job_id!r} does not exist", 404)
        return {"RequestId": new_id(), "MediaProducingJob": public_view(job)}

    async def list_media_producing_jobs(self, params: dict[str, Any]) -> dict[str, Any]:
        """The ListMediaProducingJobs response body (filters and NextToken paging as documented)."""
        now = time.time()
        end = _epoch(params.get("EndTime"), now)
        start = _epoch(params.get("StartTime"), end - LIST_LOOKBACK_S)
        if end - start > LIST_LOOKBACK_S:
            raise invalid("StartTime", "the window between StartTime and EndTime must not exceed 30 days")
        limit = int(params.get("MaxResults") or 10)
        if not 1 <= limit <= 100:
            raise invalid("MaxResults", "must be between 1 and 100")
        wanted = {k: params[k] for k in ("Status", "ProjectId", "MasterJobId", "JobType") if params.get(k)}
        keyword = params.get("Keyword")
        newest_first = params.get("SortBy", "CreationTime:Desc") != "CreationTime:Asc"
        offset = decode_token(params.get("NextToken"))
        found: list[dict[str, Any]] = []
        next_offset: int | None = offset
        # Filters apply after paging through the time index, so keep reading until a page fills.
        while next_offset is not None and len(found) < limit:
            jobs, next_offset = await self.store.list_jobs(
                start=start, end=end, newest_first=newest_first, offset=next_offset, limit=limit
            )
            for job in jobs:
                if all(job.get(k) == v for k, v in wanted.items()) and (
                    not keyword or keyword in json.dumps(public_view(job), ensure_ascii=False)
                ):
                    found.append(public_view(job, with_timeline=False))
        return {
            "RequestId": new_id(),
            "MediaProducingJobList": found[:limit],
            "NextToken": encode_token(next_offset) if next_offset is not None else "",
            "MaxResults": limit,
        }

    async def get_job(self, api: Api, job_id: str) -> JobSnapshot:
        if api is not Api.SUBMIT_MEDIA_PRODUCING_JOB:
            raise _not_supported(api)
        return job_snapshot(api, await self.get_media_producing_job(job_id))

    async def find_job(self, api: Api, request_id: str, since: float) -> str | None:
        jobs, offset = [], 0
        while True:
            page, next_offset = await self.store.list_jobs(
                start=since - 60, end=time.time() + 60, newest_first=False, offset=offset, limit=100
            )
            jobs.extend(page)
            if next_offset is None:
                break
            offset = next_offset
        for job in jobs:
            try:
                user_data = json.loads(job.get("UserData") or "{}")
            except ValueError:
                continue
            if isinstance(user_data, dict) and user_data.get(REQUEST_ID_KEY) == request_id:
                return str(job["JobId"])
        return None

    async def close(self) -> None:
        if self._queue is not None:
            await self._queue.close()


def _json_object(value: Any, field: str) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise invalid(field, "is not valid JSON") from None
    if not isinstance(value, dict):
        raise invalid(field, "must be a JSON object")
    return value
