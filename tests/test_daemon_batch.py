"""A Script-mode batch request through the daemon on the local engine: one result, every output."""

from __future__ import annotations

from pathlib import Path

from redis.asyncio import Redis

from tests.helpers import enqueue_all, results_for, running_daemon
from tests.test_daemon_local import OSS, local_settings, make_clip, probe_duration


async def test_batch_request_yields_one_result_listing_every_output(
    tmp_path: Path, redis: Redis, redis_url: str
) -> None:
    for name, color in (("red", "red"), ("blue", "blue"), ("green", "green")):
        make_clip(tmp_path / "storage" / "demo" / "in" / f"{name}.mp4", color, seconds=2.0)
    request = {
        "request_id": "batch-1",
        "api": "SubmitBatchMediaProducingJob",
        "params": {
            "InputConfig": {
                "MediaGroupArray": [
                    {"GroupName": "开场", "MediaArray": [f"{OSS}/in/red.mp4", f"{OSS}/in/blue.mp4"]},
                    {"GroupName": "结尾", "MediaArray": [f"{OSS}/in/green.mp4"]},
                ],
                "TitleArray": ["新店开业"],
                "SpeechTextArray": ["今天新店开业。", "欢迎大家光临。"],
            },
            "EditingConfig": {"ProcessConfig": {"SingleShotDuration": 1}},
            "OutputConfig": {"MediaURL": f"{OSS}/batch/b_{{index}}.mp4", "Count": 2, "Width": 176, "Height": 320},
        },
    }
    async with running_daemon(local_settings(redis_url, tmp_path)):
        await enqueue_all(redis, [request])
        result = (await results_for(redis, {"batch-1"}, timeout_s=180))["batch-1"]
    assert result["status"] == "SUCCEEDED", result
    assert sorted(o["media_url"] for o in result["outputs"]) == [f"{OSS}/batch/b_1.mp4", f"{OSS}/batch/b_2.mp4"]
    for output in result["outputs"]:
        path = tmp_path / "storage" / "demo" / "batch" / Path(output["media_url"]).name
        assert output["status"] == "Success" and output["project_id"] and output["media_id"]
        assert abs(probe_duration(path) - output["duration"]) < 0.1
