"""The local engine's batch job records: a plan recorded as projects and sub-jobs, the Get view.

A batch is an EditingBatchJob record; each of its outputs is an ordinary media producing job
(a sub-job, with MasterJobId) that any render worker takes. The batch is Finished once every
sub-job is done, and SubJobList is read from the sub-jobs themselves, never kept twice.
"""

from __future__ import annotations

from typing import Any

from imsd.api.wire import compact_json
from imsd.engine.planning import BatchPlan, derived_id
from imsd.engine.service.job_store import EngineJobStore, JobKind, iso_now, media_job_fields
from imsd.errors import ImsError

__all__ = ["BatchJobs"]


class BatchJobs:
    """The batch records of the local engine: planning into sub-jobs, finishing, and the Get view."""

    def __init__(self, store: EngineJobStore) -> None:
        self.store = store

    async def record_plan(self, batch_id: str, plan: BatchPlan, *, preview_only: bool) -> list[str]:
        """Save every output's project and (unless preview only) its sub-job; returns their JobIds.

        Sub-jobs are created by tokens derived from the batch, so recording again is harmless.
        """
        outputs: list[dict[str, Any]] = []
        job_ids: list[str] = []
        for out in plan.outputs:
            await self.store.save_project(out.project_id, out.timeline)
            entry: dict[str, Any] = {"ProjectId": out.project_id, "Duration": out.duration, "Approximated": out.notes}
            if not preview_only:
                fields = media_job_fields(
                    job_id=derived_id(batch_id, out.index, "job"),
                    project_id=out.project_id,
                    media_id=derived_id(batch_id, out.index, "media"),
                    timeline=out.timeline,
                    output=out.output_media,
                    master_job_id=batch_id,
                    approximated=out.notes,
                    shared_clips=out.shared_clips,
                )
                job_id = await self.store.create(
                    fields, client_token=f"batch:{batch_id}:{out.index}", fingerprint=f"{batch_id}:{out.index}"
                )
                entry["JobId"] = job_id
                job_ids.append(job_id)
            outputs.append(entry)
        extend = {"Notes": plan.notes} if plan.notes else {}
        recorded: dict[str, Any] = {"Status": "Processing", "Extend": compact_json(extend), "_outputs": outputs}
        if plan.selection is not None:
            recorded["ExtendOutput"] = compact_json(plan.selection)
        await self.store.update(batch_id, JobKind.BATCH, **recorded)
        return job_ids

    async def fail(self, batch_id: str, error: ImsError) -> None:
        extend = {"ErrorCode": error.code, "ErrorMessage": error.message}
        await self.store.update(
            batch_id, JobKind.BATCH, Status="Failed", Extend=compact_json(extend),
            CompleteTime=iso_now(),
        )  # fmt: skip

    async def sub_job_list(self, batch: dict[str, Any]) -> list[dict[str, Any]]:
        """SubJobList as GetBatchMediaProducingJob shows it, read from the sub-jobs themselves."""
        outputs: list[dict[str, Any]] = batch.get("_outputs") or []
        ids = [str(o["JobId"]) for o in outputs if o.get("JobId")]
        jobs = {str(j["JobId"]): j for j in await self.store.get_many(ids) if j is not None}
        items = []
        for out in outputs:
            job = jobs.get(str(out.get("JobId")))
            if job is None:  # preview only: the project is the product
                item = {"ProjectId": out["ProjectId"], "Status": "Success", "Duration": out["Duration"]}
            else:
                item = {
                    "JobId": job["JobId"],
                    "Status": job.get("Status"),
                    "MediaId": job.get("MediaId") if job.get("Status") == "Success" else None,
                    "MediaURL": job.get("MediaURL"),
                    "ProjectId": job.get("ProjectId"),
                    "Duration": job.get("Duration"),
                    "ErrorCode": job.get("Code"),
                    "ErrorMessage": job.get("Message"),
                    # Not in the service's SubJobList (inferred useful, ignored by the SDKs): how far
                    # a sub-job's render is, for the daemon's progress events.
                    "Progress": job.get("Progress"),
                    "CoverURL": job.get("CoverURL"),
                    "PreviewURL": job.get("PreviewURL"),
                    "Ignored": job.get("Ignored"),
                }
            item["Approximated"] = (job or {}).get("Approximated", out.get("Approximated"))
            items.append({k: v for k, v in item.items() if v not in (None, [])})
        return items

    async def settle(self, batch_id: str) -> dict[str, Any] | None:
        """Finish the batch if every sub-job has; returns it to whoever finished it, else None.

        A batch whose planning failed is finished already: it is returned to the first caller.
        Exactly one caller gets the batch, so it is called back once.
        """
        batch = await self.store.get(batch_id, JobKind.BATCH)
        if batch is not None and batch.get("Status") == "Failed":
            return batch if await self.store.claim_completion(batch_id, JobKind.BATCH) else None
        if batch is None or batch.get("Status") != "Processing":
            return None
        ids = [str(o["JobId"]) for o in batch.get("_outputs") or [] if o.get("JobId")]
        jobs = await self.store.get_many(ids)
        if any(j is None or j.get("Status") not in ("Success", "Failed") for j in jobs):
            return None
        if not await self.store.claim_completion(batch_id, JobKind.BATCH):
            return None
        now = iso_now()
        await self.store.update(batch_id, JobKind.BATCH, Status="Finished", CompleteTime=now)
        return await self.store.get(batch_id, JobKind.BATCH)
