"""A render whose worker process dies mid-render is taken up by another worker and finishes.

The real thing, not a simulation: two `imsd engine` worker processes on one Redis. The first
starts the render and is SIGKILLed (with its ffmpeg: the whole process group, as when a machine
dies) once the job reports progress; the second one's reaper sees the lease lapse, re-queues the
job and renders it to Success. The workers run with a 2 s lease and a 0.5 s reaper interval
instead of 30 s / 20 s: engine/service/worker.py keeps them as module constants, so each worker process
patches them before it starts (`python -c`), which changes timing only, not behaviour.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from imsd.api.wire import Api
from imsd.backends.local import LocalBackend
from imsd.settings import Settings
from redis.asyncio import Redis

pytestmark = pytest.mark.slow

LEASE_S, REAP_INTERVAL_S = 2.0, 0.5
_WORKER = (
    "import sys\n"
    "import imsd.engine.service.worker as worker\n"
    "worker.LEASE_S, worker.REAP_INTERVAL_S = float(sys.argv[1]), float(sys.argv[2])\n"
    "from imsd.cli import main\n"
    "sys.exit(main(['engine']))\n"
)
OSS = "https://demo.oss-cn-shanghai.aliyuncs.com"


class Worker:
    """One engine worker process in its own process group; its ffmpeg, in a session of its own,
    dies of the broken progress pipe once the worker is killed."""

    def __init__(self, env: dict[str, str], cwd: Path, name: str) -> None:
        self.log = (cwd / f"{name}.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(LEASE_S), str(REAP_INTERVAL_S)],
            cwd=cwd,
            env=env,
            stdout=self.log,
            stderr=self.log,
            start_new_session=True,
        )

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


@pytest.fixture
def engine_env(redis_url: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMSD_")}
    env.update(
        {
            "IMSD_BACKEND": "local",
            "IMSD_REDIS__URL": redis_url,
            "IMSD_ENGINE__MEDIA_ROOTS": json.dumps([str(tmp_path / "media")]),
            "IMSD_ENGINE__STORAGE_ROOT": str(tmp_path / "storage"),
            "IMSD_ENGINE__CACHE_DIR": str(tmp_path / "cache"),
            "IMSD_ENGINE__WORK_DIR": str(tmp_path / "work"),
            "IMSD_LOG__LEVEL": "warning",
            "IMSD_LOG__FORMAT": "json",
            "IMSD_HTTP__PORT": "0",  # each worker's /metrics and /readyz on a free port of its own
        }
    )
    return env


@pytest.fixture
def workers(engine_env: dict[str, str], tmp_path: Path) -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.stop()


async def wait_for(
    redis: Redis, job_key: str, done: Callable[[dict[str, Any]], bool], timeout_s: float = 120
) -> dict[str, Any]:
    """The job hash once `done(job)` holds; fails the test after `timeout_s` (a hang, not a timing)."""
    deadline = time.monotonic() + timeout_s
    while True:
        raw = await redis.hgetall(job_key)  # type: ignore[misc]
        job = {k: json.loads(v) for k, v in raw.items()}
        if done(job):
            return job
        assert time.monotonic() < deadline, f"job stuck: {job}"
        await asyncio.sleep(0.1)


@pytest.fixture
def media(tmp_path: Path) -> Path:
    """20 s of video: rendered at 1280x720 with preset medium it takes several seconds."""
    path = tmp_path / "media" / "long.mp4"
    path.parent.mkdir(parents=True)
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=20",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)],
        check=True,
    )  # fmt: skip
    return path


def rendering(job: dict[str, Any]) -> bool:
    return job.get("Status") == "Processing" and job.get("Progress", 0) > 0


def finished(job: dict[str, Any]) -> bool:
    return job.get("Status") not in (None, "Init", "Queuing", "Processing")


async def test_a_render_whose_worker_is_killed_is_finished_by_another_worker(
    redis: Redis, engine_env: dict[str, str], workers: list[Worker], media: Path, tmp_path: Path
) -> None:
    settings = Settings(
        backend="local",
        redis={"url": engine_env["IMSD_REDIS__URL"]},
        engine={
            "media_roots": [tmp_path / "media"],
            "storage_root": tmp_path / "storage",
            "cache_dir": tmp_path / "cache",
            "work_dir": tmp_path / "work",
        },
    )
    backend = LocalBackend(settings, redis)
    # A render of several seconds, so that the first worker is surely killed in the middle of it.
    output = {"MediaURL": f"{OSS}/out/reaped.mp4", "Width": 640, "Height": 360, "Video": {"Preset": "medium"}}
    timeline = {"VideoTracks": [{"VideoTrackClips": [{"MediaURL": str(media)}]}]}
    params = {"Timeline": timeline, "OutputMediaConfig": output}
    submission = await backend.submit(Api.SUBMIT_MEDIA_PRODUCING_JOB, params, "reaper-token")
    job_key = backend.store.job_key(submission.job_id)
    try:
        first = Worker(engine_env, tmp_path, "first")
        workers.append(first)
        killed_at = await wait_for(redis, job_key, rendering)
        first.kill()
        assert killed_at["Progress"] < 100

        workers.append(Worker(engine_env, tmp_path, "second"))
        job = await wait_for(redis, job_key, finished)
    finally:
        await backend.close()

    assert job["Status"] == "Success", job
    assert job["_attempts"] == 2  # the killed attempt and the one that finished
    assert abs(job["Duration"] - 20.0) < 0.1
    assert (tmp_path / "storage" / "demo" / "out" / "reaped.mp4").is_file()
    assert submission.job_id not in await backend.store.running()
