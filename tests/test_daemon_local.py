"""The daemon end to end on the default `local` backend: a timeline request becomes a real MP4."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
from imsd.settings import Settings
from redis.asyncio import Redis

from tests.conftest import free_port
from tests.helpers import enqueue_all, results_for, running_daemon

OSS = "https://demo.oss-cn-shanghai.aliyuncs.com"


def make_clip(path: Path, color: str, seconds: float = 1.0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"color=c={color}:s=160x120:r=25:d={seconds}",
         "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-shortest",
         "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", str(path)],
        check=True,
    )


def probe_duration(path: Path) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)],
        check=True, capture_output=True, text=True,
    ).stdout
    return float(json.loads(out)["format"]["duration"])


def local_settings(redis_url: str, root: Path) -> Settings:
    port = free_port()
    return Settings(
        backend="local",
        redis={"url": redis_url},
        http={"host": "127.0.0.1", "port": port},
        callbacks={"public_url": f"http://127.0.0.1:{port}/callbacks/ims"},
        tracking={"first_poll_s": 0.5, "poll_min_s": 0.5, "poll_max_s": 1.0},
        engine={"media_roots": [root / "media"], "storage_root": root / "storage",
                "cache_dir": root / "cache", "work_dir": root / "work"},
        log={"level": "warning", "format": "json"},
    )


def timeline_request(request_id: str, clips: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "api": "SubmitMediaProducingJob",
        "params": {
            "Timeline": {"VideoTracks": [{"VideoTrackClips": clips}]},
            "OutputMediaConfig": {"MediaURL": f"{OSS}/out/{request_id}.mp4", "Width": 176, "Height": 144},
        },
    }


async def test_timeline_request_renders_an_mp4_into_the_mapped_bucket(
    tmp_path: Path, redis: Redis, redis_url: str
) -> None:
    make_clip(tmp_path / "storage" / "demo" / "in" / "red.mp4", "red")
    make_clip(tmp_path / "media" / "blue.mp4", "blue")
    clips = [{"MediaURL": f"{OSS}/in/red.mp4"}, {"MediaURL": str(tmp_path / "media" / "blue.mp4")}]
    async with running_daemon(local_settings(redis_url, tmp_path)):
        await enqueue_all(redis, [timeline_request("loc-1", clips)])
        result = (await results_for(redis, {"loc-1"}, timeout_s=90))["loc-1"]
    assert result["status"] == "SUCCEEDED", result
    output = tmp_path / "storage" / "demo" / "out" / "loc-1.mp4"
    assert output.is_file()
    assert abs(probe_duration(output) - 2.0) < 0.1
    assert result["outputs"][0]["media_url"] == f"{OSS}/out/loc-1.mp4"
    assert result["backend"] == "local"


async def test_missing_media_fails_with_invalid_material_naming_the_reference(
    tmp_path: Path, redis: Redis, redis_url: str
) -> None:
    clips = [{"MediaURL": f"{OSS}/in/absent.mp4"}]
    async with running_daemon(local_settings(redis_url, tmp_path)):
        await enqueue_all(redis, [timeline_request("loc-missing", clips)])
        result = (await results_for(redis, {"loc-missing"}, timeout_s=60))["loc-missing"]
    assert result["status"] == "FAILED"
    assert result["error_code"] == "InvalidMaterial.NotFound"
    assert "absent.mp4" in result["error_message"]


async def test_without_ffmpeg_the_daemon_is_not_ready_and_says_why(tmp_path: Path, redis_url: str) -> None:
    """Ops sees the cause on the probe, not jobs failing as internal errors."""
    settings = local_settings(redis_url, tmp_path)
    settings.engine.ffmpeg = "ffmpeg-not-installed"
    async with running_daemon(settings, wait_ready=False) as daemon:
        url = f"http://127.0.0.1:{daemon.http_port}/readyz"
        async with aiohttp.ClientSession() as session, session.get(url) as reply:
            status, body = reply.status, await reply.json()
    assert status == 503
    assert body == {"ready": False, "reasons": ["ffmpeg-not-installed: not found (engine.ffmpeg / engine.ffprobe)"]}
