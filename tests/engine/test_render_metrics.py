"""What a render tells the metrics: a stall is counted as a stall and as a failure by its code.

The stalled ffmpeg is a stand-in (test_render_lease.fake_ffmpeg) that never reports progress;
`engine.render_stall_s` is shortened to 1 s so the render gives up at once.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from imsd.backends.local import LocalBackend
from imsd.engine.service import Engine
from prometheus_client import REGISTRY

from .test_render_lease import fake_ffmpeg, submit


def _count(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_render_whose_ffmpeg_makes_no_progress_is_counted_as_a_stall_and_a_failure(
    engine: Engine, backend: LocalBackend, media_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine.settings.engine, "ffmpeg", fake_ffmpeg(tmp_path, "exec sleep 60"))
    monkeypatch.setattr(engine.settings.engine, "render_stall_s", 1.0)
    stalls, failures = _count("imsd_render_stalls_total"), _count("imsd_render_failures_total", code="ProduceFailed")
    job_id = await submit(backend, media_dir, "stalled")

    await engine.render_media_job(job_id)

    assert (await engine.store.get(job_id) or {}).get("Status") == "Failed"
    assert _count("imsd_render_stalls_total") == stalls + 1
    assert _count("imsd_render_failures_total", code="ProduceFailed") == failures + 1


async def test_a_render_that_fails_otherwise_is_no_stall(
    engine: Engine, backend: LocalBackend, media_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine.settings.engine, "ffmpeg", fake_ffmpeg(tmp_path, "exit 1"))
    stalls = _count("imsd_render_stalls_total")
    job_id = await submit(backend, media_dir, "failing")

    await engine.render_media_job(job_id)

    assert (await engine.store.get(job_id) or {}).get("Status") == "Failed"
    assert _count("imsd_render_stalls_total") == stalls
