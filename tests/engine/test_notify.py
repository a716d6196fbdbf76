"""Job callbacks reach public addresses only, as downloads do, except this daemon's own address.

A producer's UserData.NotifyAddress must not become a way into the engine's machine or network.
The receiver is a real HTTP server on loopback: what it did not receive was not sent.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from imsd.api.wire import Api
from imsd.backends.local import LocalBackend
from imsd.engine.service import Engine

from tests.conftest import free_port

from .conftest import OSS


@dataclass
class Receiver:
    """A callback endpoint on 127.0.0.1 and the callbacks that reached it."""

    port: int
    received: list[dict[str, Any]] = field(default_factory=list)

    def url(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/callbacks/ims"


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver(free_port())

    async def handle(request: web.Request) -> web.Response:
        receiver.received.append(await request.json())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/callbacks/ims", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", receiver.port).start()
    yield receiver
    await runner.cleanup()


async def finished_job(engine: Engine, backend: LocalBackend, media_dir: Path, notify_address: str) -> str:
    """A job that fails at once (missing media) and so calls back without a render; its id."""
    params = {
        "Timeline": {"VideoTracks": [{"VideoTrackClips": [{"MediaURL": str(media_dir / "missing.mp4")}]}]},
        "OutputMediaConfig": {"MediaURL": f"{OSS}/out/notify.mp4"},
        "UserData": json.dumps({"NotifyAddress": notify_address}),
    }
    job_id = (await backend.submit(Api.SUBMIT_MEDIA_PRODUCING_JOB, params, "notify")).job_id
    await engine.render_media_job(job_id)
    return job_id


async def test_a_callback_to_a_loopback_address_is_refused_by_default(
    engine: Engine, backend: LocalBackend, media_dir: Path, receiver: Receiver
) -> None:
    await finished_job(engine, backend, media_dir, receiver.url())
    assert receiver.received == []


async def test_a_callback_to_a_name_resolving_to_loopback_is_refused_by_default(
    engine: Engine, backend: LocalBackend, media_dir: Path, receiver: Receiver
) -> None:
    job_id = await finished_job(engine, backend, media_dir, receiver.url("localhost"))
    assert receiver.received == []
    assert (await engine.store.get(job_id) or {})["_callback"] == "refused: resolves to no public address"


async def test_a_refused_callback_is_recorded_on_the_job(
    engine: Engine, backend: LocalBackend, media_dir: Path, receiver: Receiver
) -> None:
    job_id = await finished_job(engine, backend, media_dir, receiver.url())
    job = await engine.store.get(job_id) or {}
    assert job["_callback"] == "refused: not a public address"


async def test_a_callback_to_a_private_address_is_sent_when_private_addresses_are_allowed(
    engine: Engine, backend: LocalBackend, media_dir: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine.settings.engine, "download_private_addresses", True)
    job_id = await finished_job(engine, backend, media_dir, receiver.url())
    assert [c["MessageBody"]["JobId"] for c in receiver.received] == [job_id]


async def test_the_daemons_own_notify_address_is_called_back_though_it_is_loopback(
    engine: Engine, backend: LocalBackend, media_dir: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine.settings.callbacks, "public_url", receiver.url())
    assert engine.settings.notify_address() == receiver.url()
    job_id = await finished_job(engine, backend, media_dir, receiver.url())
    assert [c["MessageBody"]["JobId"] for c in receiver.received] == [job_id]
