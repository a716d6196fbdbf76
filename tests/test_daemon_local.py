"""The daemon end to end on the default `local` backend: a timeline request becomes a real MP4."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
from imsd.engine.service.templates import SYSTEM_TEMPLATES
from imsd.settings import Settings
from redis.asyncio import Redis

from tests.conftest import free_port
from tests.engine.conftest import FAST
from tests.engine.sampling import close, frames
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
                "cache_dir": root / "cache", "work_dir": root / "work", **FAST},
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


async def test_every_output_has_a_cover_at_cover_config_start_time_and_a_preview_beside_it(
    tmp_path: Path, redis: Redis, redis_url: str
) -> None:
    for color in ("red", "blue"):
        make_clip(tmp_path / "media" / f"{color}.mp4", color)
    clips = [{"MediaURL": str(tmp_path / "media" / f"{c}.mp4")} for c in ("red", "blue")]
    request = timeline_request("loc-cover", clips)
    request["params"]["EditingProduceConfig"] = {"CoverConfig": {"StartTime": 1.5}}  # doc 357745: the cover's time
    async with running_daemon(local_settings(redis_url, tmp_path)):
        await enqueue_all(redis, [request])
        result = (await results_for(redis, {"loc-cover"}, timeout_s=90))["loc-cover"]
    [output] = result["outputs"]
    assert output["cover_url"] == f"{OSS}/out/loc-cover.mp4.cover.jpg"
    assert output["preview_url"] == f"{OSS}/out/loc-cover.mp4.preview.jpg"
    stored = tmp_path / "storage" / "demo" / "out"
    (cover,) = frames(stored / "loc-cover.mp4.cover.jpg")
    assert close(cover[72, 88], (0, 0, 255))  # the blue second clip, at 1.5 s
    assert (stored / "loc-cover.mp4.preview.jpg").stat().st_size > 0


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


def template_request(request_id: str, template_id: str, clips_param: dict[str, Any]) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "api": "SubmitMediaProducingJob",
        "params": {
            "TemplateId": template_id,
            "ClipsParam": clips_param,
            "OutputMediaConfig": {"MediaURL": f"{OSS}/out/{request_id}.mp4", "Width": 176, "Height": 144},
        },
    }


async def test_a_system_template_job_renders_its_merged_timeline_and_keeps_it_as_its_project(
    tmp_path: Path, redis: Redis, redis_url: str
) -> None:
    """IceSys_VideoMerge with a VideoArray of a MediaURL and a path (the template library page,
    help.aliyun.com/document_detail/197962.htm: materials may be MediaIds or OSS URLs, mixed)."""
    from imsd.backends.local import LocalBackend

    make_clip(tmp_path / "storage" / "demo" / "in" / "red.mp4", "red")
    make_clip(tmp_path / "media" / "blue.mp4", "blue")
    videos = [f"{OSS}/in/red.mp4", str(tmp_path / "media" / "blue.mp4")]
    settings = local_settings(redis_url, tmp_path)
    async with running_daemon(settings):
        await enqueue_all(redis, [template_request("tpl-1", "IceSys_VideoMerge", {"VideoArray": videos})])
        result = (await results_for(redis, {"tpl-1"}, timeout_s=90))["tpl-1"]
    assert result["status"] == "SUCCEEDED", result
    assert abs(probe_duration(tmp_path / "storage" / "demo" / "out" / "tpl-1.mp4") - 2.0) < 0.1
    backend = LocalBackend(settings, redis)
    try:
        job = (await backend.get_media_producing_job(result["job_id"]))["MediaProducingJob"]
        project = (await backend.get_editing_project(job["ProjectId"]))["Project"]
    finally:
        await backend.close()
    clips = [{"MediaURL": video} for video in videos]
    assert json.loads(project["Timeline"]) == {"VideoTracks": [{"VideoTrackClips": clips}]}


async def test_an_advanced_template_job_is_refused_naming_the_template(
    tmp_path: Path, redis: Redis, redis_url: str
) -> None:
    from imsd.backends.local import LocalBackend

    settings = local_settings(redis_url, tmp_path)
    backend = LocalBackend(settings, redis)
    try:
        added = await backend.add_template({"Name": "ae", "Type": "VETemplate", "Config": {"Comps": []}})
    finally:
        await backend.close()
    template_id = added["Template"]["TemplateId"]
    async with running_daemon(settings):
        await enqueue_all(redis, [template_request("tpl-ae", template_id, {"Video": "x"})])
        result = (await results_for(redis, {"tpl-ae"}, timeout_s=30))["tpl-ae"]
    assert (result["status"], result["error_code"]) == ("FAILED", "InvalidParameter")
    assert result["error_message"].startswith("TemplateId: is a VETemplate template")


def test_template_commands_add_get_and_list_a_template(tmp_path: Path, redis_url: str) -> None:
    from tests.helpers import IMSD

    config = {"VideoTracks": [{"VideoTrackClips": [{"MediaId": "$Video"}]}]}
    (tmp_path / "watermark.json").write_text(json.dumps(config))
    env = {"IMSD_REDIS__URL": redis_url, "PATH": "/usr/bin:/bin"}

    def imsd(*args: str) -> str:
        return subprocess.run([str(IMSD), *args], env=env, cwd=tmp_path, check=True, capture_output=True,
                              text=True).stdout  # fmt: skip

    template_id = imsd("template", "add", "watermark.json", "--name", "Watermark").strip()
    got = json.loads(imsd("template", "get", template_id))["Template"]
    listed = json.loads(imsd("template", "list", "Type=Timeline"))["Templates"]
    assert (got["Name"], json.loads(got["Config"]), json.loads(got["ClipsParam"])) == (
        "Watermark", config, {"Video": None}
    )
    assert [t["TemplateId"] for t in listed] == [template_id, *SYSTEM_TEMPLATES]
