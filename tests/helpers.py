"""Building blocks the daemon tests share: settings, a daemon in this process, requests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from imsd.client import enqueue_request, wait_for_results
from imsd.daemon import Daemon
from imsd.settings import Settings
from redis.asyncio import Redis

from tests.conftest import free_port
from tests.fakeims.server import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, FakeIms

CALLBACK_KEY = "Abc123CallbackKey"
OSS = "https://bucket.oss-cn-shanghai.aliyuncs.com"


def aliyun_settings(redis_url: str, fake: FakeIms, **sections: dict[str, Any]) -> Settings:
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
async def running_daemon(settings: Settings) -> AsyncIterator[Daemon]:
    daemon = Daemon(settings)
    task = asyncio.create_task(daemon.run())
    for _ in range(200):
        if await daemon.is_ready() if hasattr(daemon, "svc") else False:
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
    import json

    entries = await redis.xrange("imsd:results")
    return [json.loads(fields["result"]) for _, fields in entries]
