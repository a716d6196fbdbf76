"""A ScenePipeline request through the daemon on the local engine: three stages, one result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from imsd.contract import Result
from redis.asyncio import Redis

from tests.helpers import enqueue_all, results_for, running_daemon
from tests.test_daemon_local import OSS, local_settings, make_clip, probe_duration


def pipeline_request(request_id: str, media: list[str]) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "api": "ScenePipeline",
        "params": {
            "JobType": "Smart_Mix",
            "InputConfig": {"MediaArray": media, "SpeechTextArray": ["A bowl of hot soup. Then the match starts."]},
            "OutputConfig": {"MediaURL": f"{OSS}/scene/{request_id}_{{index}}.mp4", "Count": 1, "Width": 176,
                             "Height": 320},
        },
    }  # fmt: skip


async def test_pipeline_runs_three_stages_into_one_result(tmp_path: Path, redis: Redis, redis_url: str) -> None:
    for name, color in (("tomato_soup", "orange"), ("football_match", "green")):
        make_clip(tmp_path / "media" / f"{name}.mp4", color, seconds=4.0)
    media = [str(tmp_path / "media" / n) for n in ("tomato_soup.mp4", "football_match.mp4")]
    async with running_daemon(local_settings(redis_url, tmp_path)):
        await enqueue_all(redis, [pipeline_request("pipe-1", media)])
        result = (await results_for(redis, {"pipe-1"}, timeout_s=240))["pipe-1"]
    assert result["status"] == "SUCCEEDED", result
    assert result["api"] == "ScenePipeline"
    assert [s["api"] for s in result["stages"]] == [
        "SubmitSceneMediaSelectionJob",
        "SubmitSceneTimelineOrganizationJob",
        "SubmitSceneBatchEditingJob",
    ]
    assert all(s["job_id"] for s in result["stages"]) and len({s["job_id"] for s in result["stages"]}) == 3
    [output] = result["outputs"]
    assert output["status"] == "Success" and output["media_url"] == f"{OSS}/scene/pipe-1_1.mp4"
    assert probe_duration(tmp_path / "storage" / "demo" / "scene" / "pipe-1_1.mp4") > 1.0
    Result.model_validate(result)  # the published schema holds a pipeline's stages too


async def test_a_failed_stage_is_named_in_the_result(tmp_path: Path, redis: Redis, redis_url: str) -> None:
    (tmp_path / "media").mkdir(parents=True)
    async with running_daemon(local_settings(redis_url, tmp_path)):
        await enqueue_all(redis, [pipeline_request("pipe-2", [str(tmp_path / "media" / "absent.mp4")])])
        result = (await results_for(redis, {"pipe-2"}, timeout_s=120))["pipe-2"]
    assert result["status"] == "FAILED"
    assert result["error_message"].startswith("stage 1 (SubmitSceneMediaSelectionJob): ")
    assert result["error_code"] == "InvalidMaterial.NotFound" and "absent.mp4" in result["error_message"]
    assert [s["api"] for s in result["stages"]] == ["SubmitSceneMediaSelectionJob"]
