"""Stopping loses nothing: a stop that reaches the daemon's whole process group, as a unit's
default KillMode or a terminal's Ctrl-C does, hands a render in progress back instead of failing it.

ffmpeg runs in a session of its own, so the signal reaches only the daemon, which stops as it
does on SIGTERM to itself alone. A stop that reaches ffmpeg too (KillMode=control-group, or an
operator's `pkill`) ends the render, which is handed back as well: it was no failure of the job's.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from redis.asyncio import Redis

from tests.conftest import free_port
from tests.helpers import IMSD, enqueue_all, results_for
from tests.test_daemon_local import OSS, make_clip


def _env(redis_url: str, root: Path) -> dict[str, str]:
    return {
        **os.environ,
        "IMSD_BACKEND": "local",
        "IMSD_REDIS__URL": redis_url,
        "IMSD_HTTP__PORT": str(free_port()),
        "IMSD_ENGINE__MEDIA_ROOTS": f'["{root / "media"}"]',
        "IMSD_ENGINE__STORAGE_ROOT": str(root / "storage"),
        "IMSD_ENGINE__CACHE_DIR": str(root / "cache"),
        "IMSD_ENGINE__WORK_DIR": str(root / "work"),
        "IMSD_WORKER__STOP_GRACE_S": "1",
        "IMSD_TRACKING__FIRST_POLL_S": "0.5",
        "IMSD_LOG__FORMAT": "json",
    }


def _start(env: dict[str, str], root: Path) -> subprocess.Popen[bytes]:
    log = (root / "daemon.log").open("ab")
    # A group of its own, like a unit's cgroup or a terminal's foreground job.
    return subprocess.Popen([str(IMSD), "run"], cwd=root, env=env, stdout=log, stderr=log, start_new_session=True)


def _wait_for_render(marker: str, timeout_s: float) -> int | None:
    """The pid of the ffmpeg rendering `marker`, once it runs."""
    deadline = time.monotonic() + timeout_s
    while (pid := _rendering(marker)) is None:
        if time.monotonic() > deadline:
            return None
        time.sleep(0.1)
    return pid


def _rendering(marker: str) -> int | None:
    ps = subprocess.run(["ps", "-ww", "-eo", "pid=,args="], capture_output=True, text=True, check=True).stdout
    for line in ps.splitlines():
        pid, _, args = line.strip().partition(" ")
        if args.startswith("ffmpeg") and marker in args:
            return int(pid)
    return None


@pytest.mark.parametrize(
    ("sig", "to_ffmpeg_too"),
    [(signal.SIGTERM, False), (signal.SIGINT, False), (signal.SIGTERM, True)],
    ids=["sigterm", "ctrl-c", "sigterm-to-ffmpeg-too"],
)
async def test_a_stop_sent_to_the_whole_process_group_hands_the_render_back(
    tmp_path: Path, redis: Redis, redis_url: str, sig: signal.Signals, to_ffmpeg_too: bool
) -> None:
    await asyncio.to_thread(make_clip, tmp_path / "media" / "long.mp4", "blue", 20.0)
    request = {
        "request_id": "stopped-1",
        "api": "SubmitMediaProducingJob",
        "params": {
            "Timeline": {"VideoTracks": [{"VideoTrackClips": [{"MediaURL": str(tmp_path / "media" / "long.mp4")}]}]},
            # slow on purpose, so that the stop comes while ffmpeg renders
            "OutputMediaConfig": {"MediaURL": f"{OSS}/out/stopped-1.mp4", "Width": 1280, "Height": 720,
                                  "Video": {"Preset": "veryslow"}},
        },
    }  # fmt: skip
    env = _env(redis_url, tmp_path)
    daemon = _start(env, tmp_path)
    try:
        await enqueue_all(redis, [request])
        # Marked by its input, in this test's own folder: tests running beside it render a "stopped-1" too.
        ffmpeg = await asyncio.to_thread(_wait_for_render, str(tmp_path / "media" / "long.mp4"), 60.0)
        assert ffmpeg is not None, "the render never started"
        if to_ffmpeg_too:  # as KillMode=control-group does: ffmpeg first, the worse order
            os.kill(ffmpeg, sig)
        os.killpg(daemon.pid, sig)
        assert await asyncio.to_thread(daemon.wait, 30) == 0
        daemon = _start(env, tmp_path)
        result = (await results_for(redis, {"stopped-1"}, timeout_s=180))["stopped-1"]
    finally:
        if daemon.poll() is None:
            os.killpg(daemon.pid, signal.SIGKILL)
            daemon.wait()
    # The daemons' log says why, should a stop ever fail a request.
    assert result["status"] == "SUCCEEDED", (result, (tmp_path / "daemon.log").read_text()[-6000:])
