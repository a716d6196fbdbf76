"""The local IMS: the media producing actions of the IMS OpenAPI, served from this machine.

Each action takes the request parameters by their IMS names and returns the IMS response body,
so the same methods can back the `local` backend and an HTTP endpoint alike. A Submit* writes
the job record (ClientToken honoured as the service does) and queues the engine task that runs
it; Get*/List* read the records in the real response shapes.
"""

from __future__ import annotations

import contextlib
import json
import time
from datetime import datetime
from typing import Any

from redis.asyncio import Redis

from imsd.api.jobs import Pace
from imsd.api.templates import BATCH_TEMPLATE_PARTS, merge_template, under
from imsd.api.wire import Api, compact_json, json_object, params_hash, request_id_in
from imsd.engine.media import MediaResolver, MediaText, Prober, RedisMediaRegistry
from imsd.engine.planning import SCENE_JOB_TYPES, BatchPlan, OutputJob, batch_job_type, output_media_config
from imsd.engine.render import output_target
from imsd.engine.service.batches import BatchJobs
from imsd.engine.service.job_store import (
    EngineJobStore,
    JobKind,
    decode_token,
    encode_token,
    iso_now,
    media_job_fields,
    new_id,
    public_view,
)
from imsd.engine.service.tasks import queue_task
from imsd.engine.service.templates import TemplateStore
from imsd.errors import ImsError, invalid, missing, not_found
from imsd.queue import TaskQueue
from imsd.settings import Settings

__all__ = ["LocalIms"]

LIST_LOOKBACK_S = 30 * 86400


class LocalIms:
    """The IMS actions the local engine implements; `close` when done."""

    def __init__(self, settings: Settings, redis: Redis) -> None:
        self.settings = settings
        self.store = EngineJobStore(redis, settings.redis.prefix)
        self.batches = BatchJobs(self.store)
        self.templates = TemplateStore(redis, settings.redis.prefix)
        prober = Prober(settings.engine.ffprobe)
        self.registry = RedisMediaRegistry(redis, prober, settings.redis.prefix)
        self.resolver = MediaResolver(settings.engine, self.registry, prober)
        self._queue: TaskQueue | None = None

    async def submit_media_producing_job(self, params: dict[str, Any]) -> dict[str, Any]:
        """SubmitMediaProducingJob: the job recorded and its render queued."""
        timeline, project_id, approximated = await self._timeline_of(params)
        output = json_object(params.get("OutputMediaConfig"), "OutputMediaConfig")
        self._check_target(str(output.get("MediaURL") or ""), "OutputMediaConfig.MediaURL")
        fields = media_job_fields(
            job_id=new_id(),
            project_id=project_id,
            media_id=new_id(),
            timeline=timeline,
            output=output,
            user_data=_text(params.get("UserData")),
            approximated=approximated,
            cover_at_s=_cover_at_s(params),
        )
        job_id = await self._create(Api.SUBMIT_MEDIA_PRODUCING_JOB, params, fields, JobKind.MEDIA)
        if job_id == fields["JobId"]:
            await self.store.save_project(project_id, timeline, approximated)
        # Queued again on a repeated submit too: harmless (deduplicated, and a finished job is skipped).
        await queue_task(await self._engine_queue(), JobKind.MEDIA, job_id)
        job = await self.store.get(job_id)
        assert job is not None
        return {
            "RequestId": new_id(),
            "JobId": job_id,
            "ProjectId": job.get("ProjectId"),
            "MediaId": job.get("MediaId"),
        }

    async def submit_batch_media_producing_job(self, params: dict[str, Any]) -> dict[str, Any]:
        """SubmitBatchMediaProducingJob (Script and the scene modes): recorded now, planned by a worker."""
        return await self._submit_planned_job(Api.SUBMIT_BATCH_MEDIA_PRODUCING_JOB, params)

    async def submit_scene_media_selection_job(self, params: dict[str, Any]) -> dict[str, Any]:
        """SubmitSceneMediaSelectionJob: recorded now, its media selected by a worker."""
        return await self._submit_planned_job(Api.SUBMIT_SCENE_MEDIA_SELECTION_JOB, params)

    async def submit_scene_timeline_organization_job(self, params: dict[str, Any]) -> dict[str, Any]:
        """SubmitSceneTimelineOrganizationJob: recorded now, its editing projects made by a worker."""
        return await self._submit_planned_job(Api.SUBMIT_SCENE_TIMELINE_ORGANIZATION_JOB, params)

    async def submit_scene_batch_editing_job(self, params: dict[str, Any]) -> dict[str, Any]:
        """SubmitSceneBatchEditingJob: render editing projects as a batch, one sub-job per ProjectId."""
        project_ids = [p.strip() for p in str(params.get("ProjectIds") or "").split(",") if p.strip()]
        output = json_object(params.get("OutputConfig"), "OutputConfig")
        self._check_target(str(output.get("MediaURL") or "").replace("{index}", "1"), "OutputConfig.MediaURL")
        outputs = []
        for index, project_id in enumerate(project_ids, start=1):
            timeline = await self.store.project_timeline(project_id)
            if timeline is None:
                raise not_found("InvalidParameter.ProjectNotFound", "ProjectIds", project_id)
            outputs.append(OutputJob(index, project_id, timeline, output_media_config(output, index)))
        now = iso_now()
        fields = {
            "JobId": new_id(),
            "JobType": "Scene_Batch_Editing",
            "Status": "Processing",
            "OutputConfig": _text(params.get("OutputConfig")),
            "UserData": _text(params.get("UserData")),
            "ExtendInput": compact_json({"ProjectIds": project_ids}),
            "Extend": "",
            "CreateTime": now,
            "ModifiedTime": now,
        }
        job_id = await self._create(Api.SUBMIT_SCENE_BATCH_EDITING_JOB, params, fields, JobKind.BATCH)
        batch = await self.store.get(job_id, JobKind.BATCH)
        if batch is not None and batch.get("Status") == "Processing":  # else a repeated submit of a finished batch
            # Recorded again on a repeated submit: sub-jobs come from derived tokens, so no duplicates.
            job_ids = await self.batches.record_plan(job_id, BatchPlan(outputs), preview_only=False)
            queue = await self._engine_queue()
            for sub_job in job_ids:
                await queue_task(queue, JobKind.MEDIA, sub_job)
        return {"RequestId": new_id(), "JobId": job_id}

    async def _submit_planned_job(self, api: Api, params: dict[str, Any]) -> dict[str, Any]:
        """A batch, selection or organisation job: recorded now, planned by an engine worker."""
        if params.get("TemplateConfig"):
            params = await self._with_batch_template(params)
        inputs = json_object(params.get("InputConfig"), "InputConfig")
        output = json_object(params.get("OutputConfig"), "OutputConfig")
        extend_input = ""
        if api is Api.SUBMIT_BATCH_MEDIA_PRODUCING_JOB:
            job_type = batch_job_type(inputs)
            if job_type not in ("Script", *SCENE_JOB_TYPES):
                raise ImsError(
                    "Forbidden.NotSupported", f"InputConfig: {job_type} is not implemented by the local engine", 403
                )
        else:
            job_type = str(params.get("JobType") or "")
            if api is Api.SUBMIT_SCENE_TIMELINE_ORGANIZATION_JOB:
                selection = json_object(params.get("MediaSelectResult"), "MediaSelectResult")
                extend_input = compact_json({"MediaSelectResult": selection})
        target = str(output.get("MediaURL") or "").replace("{index}", "1")
        self._check_target(target, "OutputConfig.MediaURL")
        now = iso_now()
        fields = {
            "JobId": new_id(),
            "JobType": job_type,
            "Status": "Init",
            "InputConfig": _text(params.get("InputConfig")),
            "EditingConfig": _text(params.get("EditingConfig")),
            "OutputConfig": _text(params.get("OutputConfig")),
            "UserData": _text(params.get("UserData")),
            "ExtendInput": extend_input,
            "Extend": "",
            "CreateTime": now,
            "ModifiedTime": now,
        }
        job_id = await self._create(api, params, fields, JobKind.BATCH)
        await queue_task(await self._engine_queue(), JobKind.BATCH, job_id)
        return {"RequestId": new_id(), "JobId": job_id}

    async def _with_batch_template(self, params: dict[str, Any]) -> dict[str, Any]:
        """`params` with one of the BatchEditing templates its TemplateConfig names applied under
        them (`under`: the job's own values win).

        "One is randomly selected and applied" (the SDK's TemplateConfig): one per job, since a
        job's outputs are planned together from one InputConfig; picked from the job's content, so
        the same request renders the same videos. TemplateConfig holds `TemplateIds` (the key is
        not printed in the docs: inferred) or a single `TemplateId`.
        """
        config = json_object(params.get("TemplateConfig"), "TemplateConfig")
        ids = config.get("TemplateIds") or ([config["TemplateId"]] if config.get("TemplateId") else [])
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
            raise invalid("TemplateConfig.TemplateIds", "must list one or more TemplateIds")
        content = {k: v for k, v in params.items() if k != "ClientToken"}
        picked = ids[int(params_hash("TemplateConfig", content), 16) % len(ids)]
        kind, template, _ = await self.templates.config(picked, "TemplateConfig.TemplateIds")
        if kind != "BatchEditing":
            raise invalid("TemplateConfig.TemplateIds", f"{picked!r} is a {kind} template, not a BatchEditing one")
        merged = dict(params)
        for part, param in BATCH_TEMPLATE_PARTS.items():
            value = under(template.get(part), json_object(params.get(param), param) or None)
            if value is not None:
                merged[param] = value
        return merged

    def _check_target(self, media_url: str, field: str) -> None:
        """Refuse a bad output target when the job is submitted, not after its render."""
        if media_url:  # none: the engine names the output itself
            output_target(self.resolver, media_url, field)

    async def _create(self, api: Api, params: dict[str, Any], fields: dict[str, Any], kind: JobKind) -> str:
        """Create the job unless its ClientToken made one (then that one's JobId); without a token, always."""
        content = {k: v for k, v in params.items() if k != "ClientToken"}
        return await self.store.create(
            fields,
            client_token=str(params.get("ClientToken") or new_id()),
            fingerprint=params_hash(api.value, content),
            kind=kind,
        )

    async def _timeline_of(self, params: dict[str, Any]) -> tuple[Any, str, list[str]]:
        """The job's Timeline, the project that keeps it and what is inferred in it: the Timeline
        given, a project's, or a regular template's Config merged with the ClipsParam (kept as a
        new project; a system template whose Config the docs do not print says so)."""
        if params.get("TemplateId"):
            template_id = str(params["TemplateId"])
            kind, config, inferred = await self.templates.config(template_id)
            if kind != "Timeline":
                raise invalid("TemplateId", f"is a {kind} template; SubmitMediaProducingJob takes a regular "
                              "(Timeline) template here, and the local engine renders no advanced (VETemplate) "
                              "ones")  # fmt: skip
            timeline = merge_template(config, json_object(params.get("ClipsParam"), "ClipsParam"))
            return timeline, new_id(), [f"TemplateId {template_id}: {inferred}"] if inferred else []
        if params.get("ProjectId"):
            project_id = str(params["ProjectId"])
            timeline = await self.store.project_timeline(project_id)
            if timeline is None:
                raise not_found("InvalidParameter.ProjectNotFound", "ProjectId", project_id)
            return timeline, project_id, await self.store.project_approximated(project_id)
        return json_object(params.get("Timeline"), "Timeline"), new_id(), []

    async def _engine_queue(self) -> TaskQueue:
        if self._queue is None:
            self._queue = await TaskQueue.connect(self.settings.redis.url, self.settings.engine_queue)
        return self._queue

    async def get_media_producing_job(self, job_id: str) -> dict[str, Any]:
        """The GetMediaProducingJob response body."""
        job = await self.store.get(job_id)
        if job is None:
            raise not_found("InvalidParameter.JobNotFound", "JobId", job_id)
        return {"RequestId": new_id(), "MediaProducingJob": public_view(job)}

    async def get_batch_media_producing_job(self, job_id: str) -> dict[str, Any]:
        """The GetBatchMediaProducingJob response body, SubJobList read from the sub-jobs."""
        batch = await self.store.get(job_id, JobKind.BATCH)
        if batch is None:
            raise not_found("InvalidParameter.JobNotFound", "JobId", job_id)
        view = {**public_view(batch), "SubJobList": await self.batches.sub_job_list(batch)}
        return {"RequestId": new_id(), "EditingBatchJob": view}

    async def add_template(self, params: dict[str, Any]) -> dict[str, Any]:
        """AddTemplate: the template stored; its TemplateId names it in jobs."""
        return {"RequestId": new_id(), "Template": await self.templates.add(params)}

    async def get_template(self, template_id: str) -> dict[str, Any]:
        """GetTemplate: the template, with the ClipsParam its Config asks for."""
        return {"RequestId": new_id(), "Template": await self.templates.get(template_id)}

    async def list_templates(self, params: dict[str, Any]) -> dict[str, Any]:
        """ListTemplates: stored and system templates, filtered and paged."""
        return await self.templates.list(params)

    async def register_media_info(self, params: dict[str, Any]) -> dict[str, Any]:
        """RegisterMediaInfo: the file at InputURL (inside the media roots) becomes a MediaId.

        A URL registered before answers with its MediaId unless Overwrite is true (inferred: the
        pages say only that Overwrite replaces an earlier registration).
        """
        url = _text(params.get("InputURL"))
        if not url:
            raise missing("InputURL")
        earlier = await self.registry.media_id_of(url)
        if earlier is not None and str(params.get("Overwrite")).lower() != "true":
            return {"RequestId": new_id(), "MediaId": earlier}
        info = await self.resolver.resolve(url, "InputURL")
        tags = tuple(t.strip() for t in str(params.get("MediaTags") or "").split(",") if t.strip())
        kind = "image" if info.is_image else "video" if info.has_video else "audio"
        basic = {
            "InputURL": url,
            "MediaType": _text(params.get("MediaType")) or kind,
            "BusinessType": _text(params.get("BusinessType")) or "general",
            "Source": "oss" if "://" in url else "general",
            "Title": _text(params.get("Title")) or "",
            "Description": _text(params.get("Description")) or "",
            "MediaTags": ",".join(tags),
            "CoverURL": _text(params.get("CoverURL")) or "",
            "UserData": _text(params.get("UserData")) or "",
            "Status": "Normal",
            "CreateTime": iso_now(),
        }
        text = MediaText(basic["Title"], basic["Description"], tags)
        media_id = await self.registry.add(info.path, earlier, text, basic)
        return {"RequestId": new_id(), "MediaId": media_id}

    async def get_media_info(self, params: dict[str, Any]) -> dict[str, Any]:
        """GetMediaInfo by MediaId, else by the InputURL it was registered with."""
        media_id = _text(params.get("MediaId"))
        url = _text(params.get("InputURL"))
        if not media_id and not url:
            raise missing("MediaId")
        media_id = media_id or await self.registry.media_id_of(url or "")
        info = await self.registry.get(media_id) if media_id else None
        if media_id is None or info is None:
            raise not_found("InvalidParameter.ResourceNotFound", "MediaId" if params.get("MediaId") else "InputURL",
                            str(params.get("MediaId") or url))  # fmt: skip
        basic = await self.registry.basic(media_id) or {"InputURL": str(info.path), "Status": "Normal"}
        size = info.path.stat().st_size if info.path.is_file() else 0
        file_info = {
            "FileName": info.path.name,
            "FileStatus": "Normal" if size else "Deleted",
            "FileType": "source_file",
            "FileSize": str(size),
            "FileUrl": basic.get("InputURL", ""),
            "FormatName": info.format_name,
            "Duration": "" if info.duration is None else f"{info.duration:.3f}",
            "Width": str(info.width),
            "Height": str(info.height),
        }
        return {
            "RequestId": new_id(),
            "MediaInfo": {
                "MediaId": media_id,
                "MediaBasicInfo": {"MediaId": media_id, **basic},
                "FileInfoList": [{"FileBasicInfo": file_info}],
            },
        }

    async def get_editing_project(self, project_id: str) -> dict[str, Any]:
        """The GetEditingProject response body: the timeline an output was (or will be) made from."""
        timeline = await self.store.project_timeline(project_id)
        if timeline is None:
            raise not_found("InvalidParameter.ProjectNotFound", "ProjectId", project_id)
        project: dict[str, Any] = {"ProjectId": project_id, "Timeline": compact_json(timeline), "Status": "Normal"}
        if approximated := await self.store.project_approximated(project_id):
            project["Approximated"] = approximated  # the engine's own addition, as on jobs and templates
        return {"RequestId": new_id(), "Project": project}

    async def list_media_producing_jobs(self, params: dict[str, Any]) -> dict[str, Any]:
        """The ListMediaProducingJobs response body (filters and NextToken paging as documented)."""
        jobs, token, limit = await self._list(
            JobKind.MEDIA,
            params,
            filters=("Status", "ProjectId", "MasterJobId", "JobType"),
            ascending=params.get("SortBy", "CreationTime:Desc") == "CreationTime:Asc",
        )
        return {"RequestId": new_id(), "MediaProducingJobList": jobs, "NextToken": token, "MaxResults": limit}

    async def list_batch_media_producing_jobs(self, params: dict[str, Any]) -> dict[str, Any]:
        """The ListBatchMediaProducingJobs response body (no SubJobList in list items, as documented)."""
        jobs, token, limit = await self._list(
            JobKind.BATCH,
            params,
            filters=("Status", "JobType", "JobId"),
            ascending=str(params.get("SortBy", "desc")).lower() == "asc",
        )
        return {"RequestId": new_id(), "EditingBatchJobList": jobs, "NextToken": token, "MaxResults": limit}

    async def _list(
        self, kind: JobKind, params: dict[str, Any], *, filters: tuple[str, ...], ascending: bool
    ) -> tuple[list[dict[str, Any]], str, int]:
        """One page of jobs of `kind` in the time window, matching `filters`; (jobs, NextToken, limit)."""
        now = time.time()
        end = _epoch(params.get("EndTime"), now)
        start = _epoch(params.get("StartTime"), end - LIST_LOOKBACK_S)
        if end - start > LIST_LOOKBACK_S:
            raise invalid("StartTime", "the window between StartTime and EndTime must not exceed 30 days")
        limit = int(params.get("MaxResults") or 10)
        if not 1 <= limit <= 100:
            raise invalid("MaxResults", "must be between 1 and 100")
        wanted = {k: params[k] for k in filters if params.get(k)}
        keyword = params.get("Keyword")
        offset = decode_token(params.get("NextToken"))
        found: list[dict[str, Any]] = []
        next_offset: int | None = offset
        # Filters apply after paging through the time index, so keep reading until a page fills.
        while next_offset is not None and len(found) < limit:
            jobs, next_offset = await self.store.list_jobs(
                start=start, end=end, newest_first=not ascending, offset=next_offset, limit=limit, kind=kind
            )
            for job in jobs:
                if all(job.get(k) == v for k, v in wanted.items()) and (
                    not keyword or keyword in json.dumps(public_view(job), ensure_ascii=False)
                ):
                    found.append(public_view(job, with_timeline=False))
        return found[:limit], encode_token(next_offset) if next_offset is not None else "", limit

    async def find_job_by_request_id(
        self, api: Api, request_id: str, since: float, pace: Pace | None = None
    ) -> str | None:
        """The JobId of the job `api` created at or after `since` (epoch s) for `request_id`, if any.

        The daemon's request id travels in the job's UserData (REQUEST_ID_KEY); the jobs are read a
        List* page at a time, each inside `pace` entered with the List* action.
        """
        kind = JobKind.BATCH if api.is_batch else JobKind.MEDIA
        offset: int | None = 0
        while offset is not None:
            async with pace(api.list_action) if pace is not None else contextlib.nullcontext():
                page, offset = await self.store.list_jobs(
                    start=since - 60, end=time.time() + 60, newest_first=False, offset=offset, limit=100, kind=kind
                )
            for job in page:
                if request_id_in(job.get("UserData")) == request_id and api.created(job.get("JobType")):
                    return str(job["JobId"])
        return None

    async def close(self) -> None:
        if self._queue is not None:
            await self._queue.close()


def _cover_at_s(params: dict[str, Any]) -> float:
    """EditingProduceConfig.CoverConfig.StartTime: where the output's cover is taken (0: the first frame)."""
    config = json_object(params.get("EditingProduceConfig"), "EditingProduceConfig").get("CoverConfig") or {}
    if not isinstance(config, dict):
        raise invalid("EditingProduceConfig.CoverConfig", "must be a JSON object")
    start = config.get("StartTime", 0)
    if isinstance(start, bool) or not isinstance(start, (int, float)) or start < 0:
        raise invalid("EditingProduceConfig.CoverConfig.StartTime", "must be a number of seconds, at least 0")
    return float(start)


def _epoch(text: str | None, default: float) -> float:
    if not text:
        return default
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise invalid("StartTime/EndTime", f"{text!r} is not a UTC time like 2025-01-01T00:00:00Z") from None


def _text(value: Any) -> str | None:
    """A JSON-valued parameter as the JSON text the service stores and echoes."""
    return value if isinstance(value, str) or value is None else compact_json(value)
