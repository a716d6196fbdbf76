"""One request, three scene jobs: media selection -> timeline organisation -> batch editing.

A producer sends `"api": "ScenePipeline"` with params `JobType` (`Smart_Mix` or
`Screen_Media_Highlights`), `InputConfig`, `EditingConfig`, `OutputConfig` and `UserData`. The
daemon runs it as the three scene APIs in turn, on either backend, feeding each stage's result
to the next: the selection (ExtendOutput) becomes MediaSelectResult, the organised projects'
ProjectIds are rendered. Each stage is an ordinary submit + track of the request's record with
its own ClientToken, so the idempotency and crash recovery of single jobs cover every stage.
One result carries every stage's job id and the final outputs; a failure names its stage.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from imsd.api.jobs import JobSnapshot
from imsd.api.wire import Api, compact_json, json_object
from imsd.errors import ImsError, invalid, missing

__all__ = ["PIPELINE_API", "STAGES", "Pipeline", "first_stage", "next_stage", "stage_error", "stage_token"]

PIPELINE_API = "ScenePipeline"
STAGES = (
    Api.SUBMIT_SCENE_MEDIA_SELECTION_JOB,
    Api.SUBMIT_SCENE_TIMELINE_ORGANIZATION_JOB,
    Api.SUBMIT_SCENE_BATCH_EDITING_JOB,
)
#: Pipeline JobType -> (selection JobType, organisation JobType).
_JOB_TYPES = {
    "Smart_Mix": ("Smart_Mix_Media_Select", "Smart_Mix_Timeline_Organize"),
    "Screen_Media_Highlights": ("Screen_Media_Highlights_Media_Select", "Screen_Media_Highlights_Timeline_Organize"),
}
_SHARED = ("InputConfig", "EditingConfig", "OutputConfig", "UserData")


@dataclass
class Pipeline:
    """Where a pipeline request is: its kind, the stage running, the jobs of the stages so far."""

    kind: str
    stage: int = 0
    jobs: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return compact_json(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Pipeline:
        raw = json.loads(text)
        return cls(kind=raw["kind"], stage=raw["stage"], jobs=list(raw["jobs"]))

    @property
    def api(self) -> Api:
        return STAGES[self.stage]

    def stages(self, current_job: str | None = None, current_status: str | None = None) -> list[dict[str, Any]]:
        """The stages for the result: each API with its job id, the current one with its status."""
        done: list[dict[str, Any]] = [{"stage": i + 1, "api": STAGES[i].value, "job_id": job, "status": "SUCCEEDED"}
                for i, job in enumerate(self.jobs)]  # fmt: skip
        if self.stage < len(STAGES) and len(self.jobs) == self.stage:
            done.append({"stage": self.stage + 1, "api": self.api.value, "job_id": current_job,
                         "status": current_status})  # fmt: skip
        return done


def first_stage(params: dict[str, Any]) -> tuple[Pipeline, dict[str, Any]]:
    """The pipeline and the params of its first stage (SubmitSceneMediaSelectionJob)."""
    kind = params.get("JobType")
    if kind is None:
        raise missing("params.JobType")
    if kind not in _JOB_TYPES:
        raise invalid("params.JobType", f"must be one of {', '.join(sorted(_JOB_TYPES))} for a {PIPELINE_API}")
    return Pipeline(kind=str(kind)), {**_shared(params), "JobType": _JOB_TYPES[str(kind)][0]}


def next_stage(pipeline: Pipeline, params: dict[str, Any], snapshot: JobSnapshot) -> dict[str, Any] | None:
    """Params of the stage after the one that produced `snapshot` (which succeeded), or None at the end.

    `params` are the finished stage's params; what all stages share is carried over from them.
    Advances `pipeline`.
    """
    if pipeline.stage == len(STAGES) - 1:
        return None
    shared = _shared(params)
    if pipeline.stage == 0:
        if not isinstance(snapshot.extend_output, dict):
            raise stage_error(pipeline, ImsError("ProduceFailed", "the selection job returned no ExtendOutput"))
        following = {**shared, "JobType": _JOB_TYPES[pipeline.kind][1], "MediaSelectResult": snapshot.extend_output}
    else:
        projects = [o.project_id for o in snapshot.outputs if o.project_id]
        if not projects:
            raise stage_error(pipeline, ImsError("ProduceFailed", "the organisation job made no editing projects"))
        output = json_object(shared.get("OutputConfig"), "OutputConfig")
        output = {k: v for k, v in output.items() if k not in ("Count", "GeneratePreviewOnly")}
        following = {"ProjectIds": ",".join(projects), "OutputConfig": output}
        if "UserData" in shared:
            following["UserData"] = shared["UserData"]
    pipeline.jobs.append(snapshot.job_id)
    pipeline.stage += 1
    return following


def stage_token(token: str, stage: int) -> str:
    """Each stage's own ClientToken (<= 64 ASCII), derived so that a retried stage reuses it."""
    return token if stage == 0 else f"{token[:54]}-stage{stage}"


def stage_error(pipeline: Pipeline, error: ImsError) -> ImsError:
    """`error` with its message prefixed by the stage it happened in."""
    where = f"stage {pipeline.stage + 1} ({pipeline.api.value})"
    return ImsError(error.code, f"{where}: {error.message}", error.http_status)


def _shared(params: dict[str, Any]) -> dict[str, Any]:
    return {k: params[k] for k in _SHARED if k in params}
