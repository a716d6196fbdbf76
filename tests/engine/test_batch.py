"""SubmitBatchMediaProducingJob (Script mode) on the local engine, planned and rendered for real.

The engine's tasks are called directly (no worker process), so each test reads as: submit,
plan, render every sub-job, then look at the records and the MP4s.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from imsd.api.wire import Api
from imsd.backends.local import LocalBackend
from imsd.engine.planning import Synthesizer
from imsd.engine.render.prepared import ClipId, Preparation, PreparedStore, clip_id
from imsd.engine.service import Engine
from imsd.errors import ImsError

from tests.engine.conftest import FPS, OSS
from tests.engine.sampling import frame_at, probe

W, H = 180, 320
ZH_SCRIPTS = ["今天天气很好。我们去公园散步。", "新店开业了。欢迎大家光临。", "夏天来了。喝一杯冰茶吧。"]


def script_params(media_dir: Path, *, count: int = 3, **changes: Any) -> dict[str, Any]:
    """A seed-style Script request scaled down: two groups, Chinese titles and scripts, music."""
    inputs = {
        "MediaGroupArray": [
            {"GroupName": "opening", "MediaArray": [str(media_dir / "red.mp4"), str(media_dir / "blue.mp4")]},
            {"GroupName": "detail", "MediaArray": [str(media_dir / "testsrc.mp4"), str(media_dir / "yellow.png")]},
        ],
        "TitleArray": ["盒马鲜生开业啦", "新品上市"],
        "SpeechTextArray": ZH_SCRIPTS,
        "BackgroundMusicArray": [str(media_dir / "tone.wav")],
    }
    editing = {
        "MediaConfig": {"Volume": 0},
        "SpeechConfig": {"Volume": 1},
        "BackgroundMusicConfig": {"Volume": 0.3},
        "ProcessConfig": {"SingleShotDuration": 1.0, "ImageDuration": 1.0},
    }
    output = {"MediaURL": f"{OSS}/batch/v_{{index}}.mp4", "Count": count, "Width": W, "Height": H}
    for name, value in changes.items():
        target = {"inputs": inputs, "editing": editing, "output": output}[name.split("_", 1)[0]]
        target[name.split("_", 1)[1]] = value
    return {"InputConfig": inputs, "EditingConfig": editing, "OutputConfig": output}


async def run_batch(engine: Engine, backend: LocalBackend, params: dict[str, Any], token: str) -> dict[str, Any]:
    """Submit, plan and render every output; the GetBatchMediaProducingJob body."""
    submission = await backend.submit(Api.SUBMIT_BATCH_MEDIA_PRODUCING_JOB, params, token)
    await engine.plan_batch_job(submission.job_id)
    batch = (await backend.get_batch_media_producing_job(submission.job_id))["EditingBatchJob"]
    for sub in batch["SubJobList"]:
        await engine.render_media_job(sub["JobId"])
    return (await backend.get_batch_media_producing_job(submission.job_id))["EditingBatchJob"]


def output_path(storage: Path, index: int) -> Path:
    return storage / "demo" / "batch" / f"v_{index}.mp4"


async def speech_seconds(backend: LocalBackend, project_id: str) -> float:
    """Length of the voice-over the output's timeline holds (sum of its sentence WAVs)."""
    import wave

    project = (await backend.get_editing_project(project_id))["Project"]
    voice = json.loads(project["Timeline"])["AudioTracks"][0]["AudioTrackClips"]
    total = 0.0
    for clip in voice:
        with wave.open(clip["MediaURL"]) as wav:
            total += wav.getnframes() / wav.getframerate()
    return total


async def test_script_batch_renders_count_mp4s_as_long_as_their_speech(
    engine: Engine, backend: LocalBackend, media_dir: Path, tmp_path: Path
) -> None:
    batch = await run_batch(engine, backend, script_params(media_dir), "b-1")
    assert batch["Status"] == "Finished" and batch["JobType"] == "Script", batch.get("Extend")
    assert [s["Status"] for s in batch["SubJobList"]] == ["Success"] * 3
    for index, sub in enumerate(batch["SubJobList"], start=1):
        path = output_path(tmp_path / "storage", index)
        assert sub["MediaURL"] == f"{OSS}/batch/v_{index}.mp4" and path.is_file()
        registered = await engine.registry.get(sub["MediaId"])  # the MediaId promised at submit
        assert registered is not None and registered.path == path.resolve()
        length = float(probe(path)["format"]["duration"])
        spoken = await speech_seconds(backend, sub["ProjectId"])
        assert abs(length - spoken) <= 1 / FPS + 0.03, (index, length, spoken)


async def test_script_batch_outputs_differ_pairwise(
    engine: Engine, backend: LocalBackend, media_dir: Path, tmp_path: Path
) -> None:
    batch = await run_batch(engine, backend, script_params(media_dir), "b-2")
    timelines = [
        (await backend.get_editing_project(s["ProjectId"]))["Project"]["Timeline"] for s in batch["SubJobList"]
    ]
    assert len(set(timelines)) == 3
    digests = {hashlib.sha256(output_path(tmp_path / "storage", i).read_bytes()).hexdigest() for i in (1, 2, 3)}
    assert len(digests) == 3


async def test_title_and_subtitle_pixels_are_drawn(
    engine: Engine, backend: LocalBackend, media_dir: Path, tmp_path: Path
) -> None:
    params = script_params(media_dir, count=1, inputs_BackgroundImageArray=[str(media_dir / "yellow.png")])
    params["InputConfig"]["MediaGroupArray"] = [{"GroupName": "blue", "MediaArray": [str(media_dir / "blue.mp4")]}]
    batch = await run_batch(engine, backend, params, "b-3")
    project = (await backend.get_editing_project(batch["SubJobList"][0]["ProjectId"]))["Project"]
    texts = json.loads(project["Timeline"])["SubtitleTracks"][0]["SubtitleTrackClips"]
    first, second = [c for c in texts if c["Content"] not in params["InputConfig"]["TitleArray"]][:2]

    def ink_at(seconds: float) -> np.ndarray:  # anything but the yellow background
        frame = frame_at(output_path(tmp_path / "storage", 1), seconds, fps=FPS).astype(int)
        return np.abs(frame - np.array([255, 255, 0])).max(axis=2) > 100

    during_first = ink_at((first["TimelineIn"] + first["TimelineOut"]) / 2)
    during_second = ink_at((second["TimelineIn"] + second["TimelineOut"]) / 2)
    title, caption = slice(int(0.04 * H), int(0.16 * H)), slice(int(0.74 * H), int(0.9 * H))
    assert during_first[title].sum() > 50 and during_first[caption].sum() > 50
    assert not during_first[: int(0.04 * H)].any()  # above the title: only background
    assert (during_first[caption] != during_second[caption]).sum() > 50  # the caption follows the speech
    assert (during_first[title] == during_second[title]).mean() > 0.95  # the title stays


async def test_count_beyond_what_the_inputs_allow_is_recorded(
    engine: Engine, backend: LocalBackend, media_dir: Path
) -> None:
    params = script_params(media_dir, count=5, inputs_SpeechTextArray=["只有一句。"])
    params["InputConfig"]["MediaGroupArray"] = [
        {"GroupName": "a", "MediaArray": [str(media_dir / "yellow.png")]},
        {"GroupName": "b", "MediaArray": [str(media_dir / "red.mp4")]},
    ]
    params["EditingConfig"]["ProcessConfig"]["SingleShotDuration"] = 2.0
    submission = await backend.submit(Api.SUBMIT_BATCH_MEDIA_PRODUCING_JOB, params, "b-4")
    await engine.plan_batch_job(submission.job_id)
    batch = (await backend.get_batch_media_producing_job(submission.job_id))["EditingBatchJob"]
    assert len(batch["SubJobList"]) == 1
    assert "5 asked" in json.loads(batch["Extend"])["Notes"][0]


async def test_missing_media_fails_only_the_outputs_that_use_it(
    engine: Engine, backend: LocalBackend, media_dir: Path
) -> None:
    params = script_params(media_dir, count=2)
    del params["InputConfig"]["SpeechTextArray"]  # no speech to fill: each output uses one shot per group
    params["InputConfig"]["MediaGroupArray"][0]["MediaArray"] = [
        str(media_dir / "gone.mp4"),
        str(media_dir / "red.mp4"),
    ]
    params["EditingConfig"]["ProcessConfig"]["SingleShotDuration"] = 2.0
    batch = await run_batch(engine, backend, params, "b-5")
    statuses = sorted((s["Status"], s.get("ErrorCode")) for s in batch["SubJobList"])
    assert statuses == [("Failed", "InvalidMaterial.NotFound"), ("Success", None)]
    failed = next(s for s in batch["SubJobList"] if s["Status"] == "Failed")
    assert "gone.mp4" in failed["ErrorMessage"]
    assert batch["Status"] == "Finished"


async def test_preview_only_makes_projects_that_render_later(
    engine: Engine, backend: LocalBackend, media_dir: Path, tmp_path: Path
) -> None:
    params = script_params(media_dir, count=2, output_GeneratePreviewOnly=True)
    submission = await backend.submit(Api.SUBMIT_BATCH_MEDIA_PRODUCING_JOB, params, "b-6")
    await engine.plan_batch_job(submission.job_id)
    batch = (await backend.get_batch_media_producing_job(submission.job_id))["EditingBatchJob"]
    assert batch["Status"] == "Finished"
    assert all("JobId" not in s and "MediaURL" not in s and s["ProjectId"] for s in batch["SubJobList"])
    assert not output_path(tmp_path / "storage", 1).exists()
    project_id = batch["SubJobList"][0]["ProjectId"]
    rerender = await backend.submit(
        Api.SUBMIT_MEDIA_PRODUCING_JOB,
        {"ProjectId": project_id, "OutputMediaConfig": {"MediaURL": f"{OSS}/again.mp4", "Width": W, "Height": H}},
        "b-6-again",
    )
    await engine.render_media_job(rerender.job_id)
    job = (await backend.get_media_producing_job(rerender.job_id))["MediaProducingJob"]
    assert job["Status"] == "Success" and (tmp_path / "storage" / "demo" / "again.mp4").is_file()


async def test_sub_jobs_are_ordinary_media_jobs_listed_by_master_job_id(
    engine: Engine, backend: LocalBackend, media_dir: Path
) -> None:
    params = script_params(media_dir, count=2)
    submission = await backend.submit(Api.SUBMIT_BATCH_MEDIA_PRODUCING_JOB, params, "b-7")
    await engine.plan_batch_job(submission.job_id)
    batch = (await backend.get_batch_media_producing_job(submission.job_id))["EditingBatchJob"]
    listed = await backend.list_media_producing_jobs({"MasterJobId": submission.job_id})
    assert sorted(j["JobId"] for j in listed["MediaProducingJobList"]) == sorted(
        s["JobId"] for s in batch["SubJobList"]
    )
    single = (await backend.get_media_producing_job(batch["SubJobList"][0]["JobId"]))["MediaProducingJob"]
    assert single["MasterJobId"] == submission.job_id and single["Status"] == "Init"
    batches = await backend.list_batch_media_producing_jobs({"JobType": "Script", "Status": "Processing"})
    assert submission.job_id in [b["JobId"] for b in batches["EditingBatchJobList"]]
    assert all("SubJobList" not in b for b in batches["EditingBatchJobList"])


async def test_planning_again_after_a_crash_makes_no_new_sub_jobs(
    engine: Engine, backend: LocalBackend, media_dir: Path
) -> None:
    submission = await backend.submit(Api.SUBMIT_BATCH_MEDIA_PRODUCING_JOB, script_params(media_dir, count=2), "b-8")
    await engine.plan_batch_job(submission.job_id)
    first = (await backend.get_batch_media_producing_job(submission.job_id))["EditingBatchJob"]["SubJobList"]
    await engine.plan_batch_job(submission.job_id)
    again = (await backend.get_batch_media_producing_job(submission.job_id))["EditingBatchJob"]["SubJobList"]
    assert [s["JobId"] for s in again] == [s["JobId"] for s in first]


async def test_shots_that_several_outputs_play_are_prepared_once_for_the_batch(
    engine: Engine, backend: LocalBackend, media_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[ClipId] = []
    original = PreparedStore._make

    async def counting(self: PreparedStore, prep: Preparation) -> None:
        made.append(prep.clip)
        await original(self, prep)

    monkeypatch.setattr(PreparedStore, "_make", counting)
    batch = await run_batch(engine, backend, script_params(media_dir, count=3), "b-prep")
    assert [s["Status"] for s in batch["SubJobList"]] == ["Success"] * 3
    jobs = [await engine.store.get(s["JobId"]) for s in batch["SubJobList"]]
    shared = {clip_id(*clip) for job in jobs if job for clip in job["_shared_clips"] or []}
    assert shared, "three outputs of two groups of two media play some shot twice"
    assert sorted(made, key=str) == sorted(shared, key=str)  # each made once, by the first render to play it
    assert len(list((tmp_path / "cache" / "prepared").glob("*.nut"))) == len(shared)


async def test_each_sentence_is_synthesized_once_per_batch(
    engine: Engine, backend: LocalBackend, media_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spoken: list[tuple[str, str | None]] = []
    original = Synthesizer.synthesize

    async def counting(self: Synthesizer, text: str, **kwargs: Any) -> Any:
        spoken.append((text, kwargs.get("voice")))
        return await original(self, text, **kwargs)

    monkeypatch.setattr(Synthesizer, "synthesize", counting)
    params = script_params(media_dir, count=3, inputs_SpeechTextArray=["同一句话。第二句。", "同一句话。第三句。"])
    submission = await backend.submit(Api.SUBMIT_BATCH_MEDIA_PRODUCING_JOB, params, "b-9")
    await engine.plan_batch_job(submission.job_id)
    assert sorted(spoken) == sorted(set(spoken))
    assert ("同一句话。", None) in spoken


async def test_scene_batch_editing_renders_each_project_as_an_output(
    engine: Engine, backend: LocalBackend, media_dir: Path, tmp_path: Path
) -> None:
    preview = await backend.submit(
        Api.SUBMIT_BATCH_MEDIA_PRODUCING_JOB, script_params(media_dir, count=2, output_GeneratePreviewOnly=True), "b-10"
    )
    await engine.plan_batch_job(preview.job_id)
    projects = [
        s["ProjectId"]
        for s in (await backend.get_batch_media_producing_job(preview.job_id))["EditingBatchJob"]["SubJobList"]
    ]
    params = {
        "ProjectIds": ",".join(projects),
        "OutputConfig": {"MediaURL": f"{OSS}/scene/s_{{index}}.mp4", "Width": W, "Height": H},
    }
    submission = await backend.submit(Api.SUBMIT_SCENE_BATCH_EDITING_JOB, params, "b-11")
    batch = (await backend.get_batch_media_producing_job(submission.job_id))["EditingBatchJob"]
    for sub in batch["SubJobList"]:
        await engine.render_media_job(sub["JobId"])
    batch = (await backend.get_batch_media_producing_job(submission.job_id))["EditingBatchJob"]
    assert batch["JobType"] == "Scene_Batch_Editing" and batch["Status"] == "Finished"
    assert [s["ProjectId"] for s in batch["SubJobList"]] == projects
    assert all((tmp_path / "storage" / "demo" / "scene" / f"s_{i}.mp4").is_file() for i in (1, 2))


async def test_scene_batch_editing_refuses_an_unknown_project(backend: LocalBackend) -> None:
    params = {"ProjectIds": "nope", "OutputConfig": {"MediaURL": f"{OSS}/scene/s_{{index}}.mp4"}}
    with pytest.raises(ImsError) as caught:
        await backend.submit(Api.SUBMIT_SCENE_BATCH_EDITING_JOB, params, "b-12")
    assert caught.value.code == "InvalidParameter.ProjectNotFound" and "nope" in caught.value.message


async def batch_template(backend: LocalBackend, config: dict[str, Any], kind: str = "BatchEditing") -> str:
    added = await backend.add_template({"Name": "house style", "Type": kind, "Config": config})
    return str(added["Template"]["TemplateId"])


async def test_a_batch_template_gives_what_the_job_leaves_out(
    engine: Engine, backend: LocalBackend, media_dir: Path, tmp_path: Path
) -> None:
    """TemplateConfig names BatchEditing templates (AddTemplate Type=BatchEditing; parts as the
    batch template parameters page lists them: help.aliyun.com/en/ims/use-cases/
    batch-video-production-template-parameters)."""
    template_id = await batch_template(backend, {"OutputTemplateConfig": {"Width": 144, "Height": 256}})
    params = script_params(media_dir, count=1)
    del params["OutputConfig"]["Width"], params["OutputConfig"]["Height"]
    batch = await run_batch(engine, backend, {**params, "TemplateConfig": {"TemplateIds": [template_id]}}, "bt-1")
    assert [s["Status"] for s in batch["SubJobList"]] == ["Success"]
    stream = probe(output_path(tmp_path / "storage", 1))["streams"][0]
    assert (stream["width"], stream["height"]) == (144, 256)


async def test_the_job_s_own_values_win_over_its_batch_template(backend: LocalBackend, media_dir: Path) -> None:
    """The rule chosen where the docs are silent (api/templates.py `under`)."""
    template_id = await batch_template(
        backend, {"OutputTemplateConfig": {"Width": 144, "Height": 256, "Video": {"Crf": 30}}}
    )
    params = {**script_params(media_dir, count=1), "TemplateConfig": {"TemplateIds": [template_id]}}
    submission = await backend.submit(Api.SUBMIT_BATCH_MEDIA_PRODUCING_JOB, params, "bt-2")
    batch = (await backend.get_batch_media_producing_job(submission.job_id))["EditingBatchJob"]
    output = json.loads(batch["OutputConfig"])
    assert (output["Width"], output["Height"], output["Video"]) == (W, H, {"Crf": 30})


async def test_a_template_of_another_type_is_refused_as_a_batch_template(
    backend: LocalBackend, media_dir: Path
) -> None:
    template_id = await batch_template(backend, {"VideoTracks": []}, kind="Timeline")
    params = {**script_params(media_dir, count=1), "TemplateConfig": {"TemplateIds": [template_id]}}
    with pytest.raises(ImsError) as refused:
        await backend.submit(Api.SUBMIT_BATCH_MEDIA_PRODUCING_JOB, params, "bt-3")
    assert refused.value.message.startswith("TemplateConfig.TemplateIds: ")
