"""The scene pipeline's stages as data: what each stage sends, and how a stage's result feeds the next."""

from __future__ import annotations

import pytest
from imsd.api.jobs import JobSnapshot, JobState, Output
from imsd.errors import ImsError
from imsd.pipeline import STAGES, Pipeline, first_stage, next_stage

PARAMS = {
    "JobType": "Smart_Mix",
    "InputConfig": {"MediaArray": ["m1"], "SpeechTextArray": ["hello."]},
    "EditingConfig": {"SpeechConfig": {"Volume": 1}},
    "OutputConfig": {"MediaURL": "https://b.oss-cn-shanghai.aliyuncs.com/o_{index}.mp4", "Count": 2},
    "UserData": {"NotifyAddress": "https://example.com/cb"},
}
SELECTION = {"textMatchMediaOutputList": [{"textMatchMediaSentenceOutputList": []}]}


def done(job_id: str, **kwargs: object) -> JobSnapshot:
    return JobSnapshot(job_id=job_id, state=JobState.SUCCEEDED, status="Finished", **kwargs)  # type: ignore[arg-type]


def test_the_first_stage_is_the_media_selection_of_the_kind() -> None:
    pipeline, params = first_stage(PARAMS)
    assert pipeline.api is STAGES[0] and params["JobType"] == "Smart_Mix_Media_Select"
    assert params["InputConfig"] == PARAMS["InputConfig"] and params["UserData"] == PARAMS["UserData"]


def test_an_unknown_kind_is_refused_naming_job_type() -> None:
    with pytest.raises(ImsError) as caught:
        first_stage({**PARAMS, "JobType": "Script"})
    assert caught.value.code == "InvalidParameter" and caught.value.message.startswith("params.JobType")


def test_the_selection_becomes_the_organisation_media_select_result() -> None:
    pipeline, params = first_stage(PARAMS)
    following = next_stage(pipeline, params, done("sel-1", extend_output=SELECTION))
    assert following is not None and pipeline.api is STAGES[1] and pipeline.jobs == ["sel-1"]
    assert following["MediaSelectResult"] == SELECTION and following["JobType"] == "Smart_Mix_Timeline_Organize"


def test_the_organised_projects_are_rendered_without_count() -> None:
    pipeline = Pipeline("Smart_Mix", stage=1, jobs=["sel-1"])
    projects = [Output(job_id=None, status="Success", project_id=p) for p in ("p1", "p2")]
    following = next_stage(pipeline, {**PARAMS, "JobType": "x"}, done("org-1", outputs=projects))
    assert following == {
        "ProjectIds": "p1,p2",
        "OutputConfig": {"MediaURL": PARAMS["OutputConfig"]["MediaURL"]},  # type: ignore[index]
        "UserData": PARAMS["UserData"],
    }
    assert pipeline.api is STAGES[2] and pipeline.jobs == ["sel-1", "org-1"]


def test_the_last_stage_ends_the_pipeline() -> None:
    pipeline = Pipeline("Smart_Mix", stage=2, jobs=["sel-1", "org-1"])
    assert next_stage(pipeline, {}, done("edit-1")) is None


def test_a_stage_without_what_the_next_needs_fails_naming_the_stage() -> None:
    pipeline, params = first_stage(PARAMS)
    with pytest.raises(ImsError) as caught:
        next_stage(pipeline, params, done("sel-1"))
    assert caught.value.message.startswith("stage 1 (SubmitSceneMediaSelectionJob)")


def test_stages_list_every_job_for_the_result() -> None:
    pipeline = Pipeline("Smart_Mix", stage=2, jobs=["sel-1", "org-1"])
    assert [(s["api"], s["job_id"], s["status"]) for s in pipeline.stages("edit-1", "SUCCEEDED")] == [
        ("SubmitSceneMediaSelectionJob", "sel-1", "SUCCEEDED"),
        ("SubmitSceneTimelineOrganizationJob", "org-1", "SUCCEEDED"),
        ("SubmitSceneBatchEditingJob", "edit-1", "SUCCEEDED"),
    ]


def test_the_state_round_trips_through_json() -> None:
    pipeline = Pipeline("Screen_Media_Highlights", stage=1, jobs=["sel-1"])
    assert Pipeline.from_json(pipeline.to_json()) == pipeline
