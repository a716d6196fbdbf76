"""Building blocks the daemon tests and benches share: settings, a daemon in this process,
requests, and the fake IMS and `imsd run` as processes of their own."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

from imsd.client import enqueue_request, wait_for_results
from imsd.daemon import Daemon, build_services
from imsd.intake import Intake
from imsd.settings import Settings
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis

from tests.conftest import free_port
from tests.fakeims.server import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, FakeIms

CALLBACK_KEY = "Abc123CallbackKey"
OSS = "https://bucket.oss-cn-shanghai.aliyuncs.com"
REPO = Path(__file__).resolve().parents[1]
IMSD = Path(sys.executable).with_name("imsd")


def aliyun_settings(redis_url: str, fake: FakeIms | FakeImsProcess, **sections: dict[str, Any]) -> Settings:
    """Settings of a daemon that talks to `fake`, with short intervals for tests."""
    http_port = free_port()
    data: dict[str, Any] = {
        "backend": "aliyun",
        "redis": {"url": redis_url},
        "aliyun": {"endpoint": fake.endpoint, "scheme": "http", "timeout_s": 2.0},
        "http": {"host": "127.0.0.1", "port": http_port},
        "callbacks": {
            "public_url": f"http://127.0.0.1:{http_port}/callbacks/ims",
            "auth_keys": [CALLBACK_KEY],
        },
        "tracking": {"first_poll_s": 1.0, "poll_min_s": 0.5, "poll_max_s": 2.0},
        "submit": {"backoff_base_s": 0.05, "backoff_max_s": 0.5},
        "worker": {"task_timeout_s": 10.0, "stop_grace_s": 2.0},
        "intake": {"claim_idle_s": 2.0, "block_ms": 200},
        "log": {"level": "warning", "format": "json"},
    }
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return Settings(**data)


def use_fake_credentials(monkeypatch: Any) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", DEFAULT_ACCESS_KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", DEFAULT_ACCESS_KEY_SECRET)


@contextlib.asynccontextmanager
async def running_daemon(settings: Settings, wait_ready: bool = True) -> AsyncIterator[Daemon]:
    """A daemon in this process, once ready (or, not `wait_ready`, once started however unready)."""
    daemon = Daemon(settings)
    task = asyncio.create_task(daemon.run())
    for _ in range(200):
        reasons = await daemon.unready_reasons() if hasattr(daemon, "svc") else ["starting or stopping"]
        if not reasons or (not wait_ready and reasons != ["starting or stopping"]):
            break
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    try:
        yield daemon
    finally:
        daemon.stop_event.set()
        await asyncio.wait_for(task, 30)


def single_job_request(request_id: str, **params: Any) -> dict[str, Any]:
    """A valid SubmitMediaProducingJob request."""
    body: dict[str, Any] = {
        "Timeline": {"VideoTracks": [{"VideoTrackClips": [{"MediaURL": f"{OSS}/in/a.mp4", "In": 0, "Out": 3}]}]},
        "OutputMediaConfig": {"MediaURL": f"{OSS}/out/{request_id}.mp4", "Width": 1280, "Height": 720},
    }
    body.update(params)
    return {"request_id": request_id, "api": "SubmitMediaProducingJob", "params": body}


def batch_request(request_id: str, count: int = 2) -> dict[str, Any]:
    """A valid SubmitBatchMediaProducingJob request (Script mode)."""
    return {
        "request_id": request_id,
        "api": "SubmitBatchMediaProducingJob",
        "params": {
            "InputConfig": {
                "MediaGroupArray": [
                    {"GroupName": "g1", "MediaArray": [f"{OSS}/in/a.mp4"]},
                    {"GroupName": "g2", "MediaArray": [f"{OSS}/in/b.mp4"]},
                ],
                "TitleArray": ["t"],
            },
            "OutputConfig": {"MediaURL": f"{OSS}/batch/{request_id}_{{index}}.mp4", "Count": count},
        },
    }


async def enqueue_all(redis: Redis, requests: list[dict[str, Any]]) -> None:
    for request in requests:
        await enqueue_request(redis, request)


async def results_for(redis: Redis, ids: set[str], timeout_s: float = 60.0) -> dict[str, dict[str, Any]]:
    return await wait_for_results(redis, ids, timeout_s=timeout_s)


async def all_results(redis: Redis) -> list[dict[str, Any]]:
    """Every result on the results stream, in order."""
    entries = await redis.xrange("imsd:results")
    return [json.loads(fields["result"]) for _, fields in entries]


# -- processes ------------------------------------------------------------------------------


class FakeImsProcess:
    """`python -m tests.fakeims` as its own process, with its admin API at hand."""

    def __init__(self, *args: str, log_path: Path) -> None:
        self._log = log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.fakeims", "--port", "0", *args],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], 20)
        line = self.process.stdout.readline() if ready else ""
        if not line.startswith("READY "):
            self.stop()
            raise RuntimeError(f"fake IMS did not start: {line!r}, see {log_path}")
        self.port = int(line.split()[1])
        self.endpoint = f"127.0.0.1:{self.port}"

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"http://{self.endpoint}/_admin/stats", timeout=30) as reply:
            stats: dict[str, Any] = json.load(reply)
            return stats

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def daemon_env(
    redis_url: str, fake_endpoint: str, http_port: int, settings: Mapping[str, Any]
) -> dict[str, str]:
    """The environment of one `imsd run` against the fake; `settings` as IMSD_* names."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMSD_")}
    env.update(
        {
            "ALIBABA_CLOUD_ACCESS_KEY_ID": DEFAULT_ACCESS_KEY_ID,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": DEFAULT_ACCESS_KEY_SECRET,
            "IMSD_BACKEND": "aliyun",
            "IMSD_REDIS__URL": redis_url,
            "IMSD_ALIYUN__ENDPOINT": fake_endpoint,
            "IMSD_ALIYUN__SCHEME": "http",
            "IMSD_HTTP__HOST": "127.0.0.1",
            "IMSD_HTTP__PORT": str(http_port),
            "IMSD_CALLBACKS__PUBLIC_URL": f"http://127.0.0.1:{http_port}/callbacks/ims",
            "IMSD_CALLBACKS__AUTH_KEYS": json.dumps([CALLBACK_KEY]),
            "IMSD_LOG__LEVEL": "warning",
            "IMSD_LOG__FORMAT": "json",
        }
    )
    env.update({k: str(v) for k, v in settings.items()})
    return env


class DaemonProcess:
    """One `imsd run`, started in an empty directory so that no config file is picked up."""

    def __init__(self, env: dict[str, str], workdir: Path, name: str) -> None:
        self.env = env
        self.workdir = workdir
        self.name = name
        self.http_port = int(env["IMSD_HTTP__PORT"])
        self.log_path = workdir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"--- start {self.starts}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [str(IMSD), "run"], cwd=self.workdir, env=self.env, stdout=log, stderr=log
            )

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_ready(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        url = f"http://127.0.0.1:{self.http_port}/readyz"
        while time.monotonic() < deadline:
            if not self.alive:
                raise RuntimeError(f"{self.name} exited, see {self.log_path}")
            try:
                with urllib.request.urlopen(url, timeout=1) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready after {timeout_s}s, see {self.log_path}")

    def metric(self, sample: str, **labels: str) -> float:
        """The value of one sample on the daemon's /metrics (0 when absent)."""
        url = f"http://127.0.0.1:{self.http_port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as reply:
            text = reply.read().decode()
        for family in text_string_to_metric_families(text):
            for found in family.samples:
                if found.name == sample and all(found.labels.get(k) == v for k, v in labels.items()):
                    return float(found.value)
        return 0.0

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.alive:
            assert self.process is not None
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_daemons(
    count: int, redis_url: str, fake_endpoint: str, settings: Mapping[str, Any], workdir: Path
) -> list[DaemonProcess]:
    daemons = []
    for index in range(count):
        env = daemon_env(redis_url, fake_endpoint, free_port(), settings)
        daemons.append(DaemonProcess(env, workdir, f"daemon-{index}"))
    for daemon in daemons:
        daemon.start()
    for daemon in daemons:
        daemon.wait_ready()
    return daemons


@contextlib.asynccontextmanager
async def intake_on(settings: Settings) -> AsyncIterator[Intake]:
    """An Intake with its consumer group and services, but no worker or sweeper."""
    svc = await build_services(settings)
    intake = Intake(svc)
    await intake.ensure_group()
    try:
        yield intake
    finally:
        await svc.queue.close()
        await svc.backend.close()
        await svc.redis.aclose()
