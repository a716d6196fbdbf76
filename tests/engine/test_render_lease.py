"""A render's lease: kept through Redis hiccups, owned by one attempt, and what a render leaves behind.

Renders that must fail or hang run a stand-in ffmpeg (a shell script that writes a partial output
file first), so the tests see exactly what a real ffmpeg would leave behind mid-run, without the
CPU of a real encode. The lease runs at LEASE_S = 0.6 s (a beat every 0.2 s) instead of 30 s.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import imsd.engine.service.worker as worker
import pytest
from imsd.api.wire import Api
from imsd.backends.local import LocalBackend
from imsd.engine.service import Engine, JobKind
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from .conftest import OSS

LEASE_S = 0.6
OUT = "demo/out"


def fake_ffmpeg(tmp_path: Path, then: str) -> str:
    """An ffmpeg that writes a partial output (its last argument), records its pid, then runs `then`."""
    script = tmp_path / "ffmpeg"
    lines = ["#!/bin/sh", "for last; do :; done", 'printf partial > "$last"', f'echo $$ > "{tmp_path / "ffmpeg.pid"}"']
    script.write_text("\n".join([*lines, then, ""]))
    script.chmod(0o755)
    return str(script)


async def submit(backend: LocalBackend, media_dir: Path, token: str) -> str:
    timeline = {"VideoTracks": [{"VideoTrackClips": [{"MediaURL": str(media_dir / "red.mp4")}]}]}
    output = {"MediaURL": f"{OSS}/out/{token}.mp4", "Width": 320, "Height": 240}
    params = {"Timeline": timeline, "OutputMediaConfig": output}
    return (await backend.submit(Api.SUBMIT_MEDIA_PRODUCING_JOB, params, token)).job_id


def leftovers(tmp_path: Path, job_id: str) -> list[Path]:
    """Every file the render left: in the output directory and in the job's work directory."""
    return [p for root in (tmp_path / "storage" / OUT, tmp_path / "work" / job_id) for p in root.rglob("*")]


@pytest.fixture(autouse=True)
def short_lease(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker, "LEASE_S", LEASE_S)


@pytest.mark.parametrize(
    "error", [RedisConnectionError("Connection reset by peer"), RuntimeError("a bug")], ids=["redis", "unexpected"]
)
async def test_the_heartbeat_keeps_the_lease_through_any_renewal_error(
    engine: Engine, redis: Redis, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    """An ended heartbeat reads as a lost lease: the render would stop and the job never be retaken."""
    store = engine.store
    assert await store.acquire_lease("j-1", "me/1", LEASE_S)
    renew = store.renew_lease
    calls = 0

    async def fails_once(job_id: str, token: str, ttl_s: float) -> bool:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise error
        return await renew(job_id, token, ttl_s)

    monkeypatch.setattr(store, "renew_lease", fails_once)
    heartbeat = asyncio.create_task(engine._keep_lease("j-1", "me/1"))
    await asyncio.sleep(4 * LEASE_S)  # the lease would have lapsed three times over
    try:
        assert not heartbeat.done()
        assert calls > 3
        assert await redis.get(store.lease_key("j-1")) == "me/1"
    finally:
        heartbeat.cancel()


async def test_a_worker_cannot_renew_or_release_a_lease_it_does_not_own(engine: Engine, redis: Redis) -> None:
    store, key = engine.store, engine.store.lease_key("j-1")
    await store.mark_running("j-1")
    assert await store.acquire_lease("j-1", "owner/1", 5.0)

    assert not await store.renew_lease("j-1", "other/2", 60.0)
    assert await redis.pttl(key) <= 5000
    assert not await store.release_lease("j-1", JobKind.MEDIA, "other/2")
    assert await redis.get(key) == "owner/1"
    assert await store.running() == ["j-1"]

    assert await store.renew_lease("j-1", "owner/1", 60.0)  # the owner still can
    assert await store.release_lease("j-1", JobKind.MEDIA, "owner/1")
    assert await redis.get(key) is None and await store.running() == []


async def test_a_result_is_not_written_through_a_lease_another_worker_holds(engine: Engine) -> None:
    store = engine.store
    await store.update("j-1", Status="Processing")
    assert await store.acquire_lease("j-1", "new-owner/2", 5.0)

    assert not await store.update_if_leased("j-1", "old-owner/1", Status="Success")
    assert (await store.get("j-1") or {})["Status"] == "Processing"


async def test_a_render_whose_lease_is_taken_over_is_cancelled_and_writes_nothing(
    engine: Engine,
    backend: LocalBackend,
    redis: Redis,
    media_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engine.settings.engine, "ffmpeg", fake_ffmpeg(tmp_path, "exec sleep 60"))
    job_id = await submit(backend, media_dir, "taken-over")
    render = asyncio.create_task(engine.render_media_job(job_id))
    pid_file = tmp_path / "ffmpeg.pid"
    while not pid_file.is_file() or not pid_file.read_text().strip():
        assert not render.done(), render
        await asyncio.sleep(0.05)
    assert leftovers(tmp_path, job_id)  # ffmpeg is writing

    # Another worker takes the job over (as after this one's lease lapsed).
    await redis.set(engine.store.lease_key(job_id), "new-owner/2", px=60_000)
    await asyncio.wait_for(render, 10 * LEASE_S)

    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)  # ffmpeg was stopped
    job = await engine.store.get(job_id) or {}
    assert job["Status"] == "Processing" and "CompleteTime" not in job  # left to the new owner
    assert await redis.get(engine.store.lease_key(job_id)) == "new-owner/2"
    assert await engine.store.running() == [job_id]
    assert leftovers(tmp_path, job_id) == []


async def test_a_failed_render_leaves_no_partial_output_file(
    engine: Engine,
    backend: LocalBackend,
    media_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engine.settings.engine, "ffmpeg", fake_ffmpeg(tmp_path, "exit 1"))
    job_id = await submit(backend, media_dir, "failing")

    await engine.render_media_job(job_id)

    job = await engine.store.get(job_id) or {}
    assert job["Status"] == "Failed" and job["Code"] == "ProduceFailed"
    assert leftovers(tmp_path, job_id) == []


async def test_a_successful_render_leaves_only_its_output_and_its_stills(
    engine: Engine, backend: LocalBackend, media_dir: Path, tmp_path: Path
) -> None:
    job_id = await submit(backend, media_dir, "kept-tidy")

    await engine.render_media_job(job_id)

    job = await engine.store.get(job_id) or {}
    assert job["Status"] == "Success"
    out = tmp_path / "storage" / OUT
    stills = [out / "kept-tidy.mp4.cover.jpg", out / "kept-tidy.mp4.preview.jpg"]  # render/covers.py
    assert sorted(leftovers(tmp_path, job_id)) == sorted([out / "kept-tidy.mp4", *stills])
    assert not (tmp_path / "work" / job_id).exists()


async def test_a_progress_write_still_in_flight_lands_before_the_final_write(
    engine: Engine,
    backend: LocalBackend,
    media_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Half way, then done at once: the 100% report falls within a second and is not written.
    then = f'echo out_time_us=1000000; cp "{media_dir / "red.mp4"}" "$last"'
    monkeypatch.setattr(engine.settings.engine, "ffmpeg", fake_ffmpeg(tmp_path, then))
    store = engine.store
    update_if_leased = store.update_if_leased
    sent: list[dict[str, object]] = []

    async def slow_progress(job_id: str, token: str, kind: JobKind = JobKind.MEDIA, **fields: object) -> bool:
        if set(fields) == {"Progress"}:
            await asyncio.sleep(1.0)  # still on its way when the render ends
        sent.append(fields)
        return await update_if_leased(job_id, token, kind, **fields)

    monkeypatch.setattr(store, "update_if_leased", slow_progress)
    job_id = await submit(backend, media_dir, "progress-last")

    await engine.render_media_job(job_id)
    await asyncio.sleep(1.5)  # a write left running would be sent by now

    assert {"Progress": 50} in sent
    assert sent[-1]["Status"] == "Success"
    assert (await store.get(job_id) or {})["Progress"] == 100


async def test_a_render_probes_its_output_once(
    engine: Engine, backend: LocalBackend, media_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prober = engine.resolver.prober
    run = prober._run
    probed: list[Path] = []

    async def counted(path: Path, ref: str, guard: tuple[str, ...]) -> dict[str, object]:
        probed.append(path)
        return await run(path, ref, guard)

    monkeypatch.setattr(prober, "_run", counted)
    job_id = await submit(backend, media_dir, "probed-once")

    await engine.render_media_job(job_id)

    assert (await engine.store.get(job_id) or {})["Status"] == "Success"
    outputs = [path for path in probed if path.is_relative_to(tmp_path / "storage")]
    assert outputs == [tmp_path / "storage" / OUT / "probed-once.mp4"]
