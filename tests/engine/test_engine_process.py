"""`imsd engine` is visible like a daemon: /livez, /readyz with its reasons, and /metrics."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.conftest import free_port
from tests.helpers import IMSD


def _engine(redis_url: str, root: Path, **env: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    variables = {k: v for k, v in os.environ.items() if not k.startswith("IMSD_")}
    variables.update(
        IMSD_BACKEND="local", IMSD_REDIS__URL=redis_url, IMSD_HTTP__PORT=str(port),
        IMSD_ENGINE__MEDIA_ROOTS=json.dumps([str(root / "media")]), IMSD_ENGINE__STORAGE_ROOT=str(root / "storage"),
        IMSD_ENGINE__CACHE_DIR=str(root / "cache"), IMSD_ENGINE__WORK_DIR=str(root / "work"), **env,
    )  # fmt: skip
    log = (root / "engine.log").open("ab")
    process = subprocess.Popen([str(IMSD), "engine"], cwd=root, env=variables, stdout=log, stderr=log)
    return process, port


def _get(port: int, path: str) -> tuple[int, Any]:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as reply:
                return reply.status, reply.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(30)


def test_an_engine_worker_serves_health_and_metrics(redis_url: str, tmp_path: Path) -> None:
    process, port = _engine(redis_url, tmp_path)
    try:
        assert _get(port, "/livez")[0] == 200
        status, body = _get(port, "/readyz")
        assert (status, json.loads(body)) == (200, {"ready": True, "reasons": []})
        status, text = _get(port, "/metrics")
        assert status == 200 and "imsd_renders_running 0.0" in text and "imsd_render_seconds" in text
    finally:
        assert _stop(process) == 0


def test_an_engine_worker_without_ffmpeg_is_not_ready_and_says_why(redis_url: str, tmp_path: Path) -> None:
    process, port = _engine(redis_url, tmp_path, IMSD_ENGINE__FFMPEG="ffmpeg-not-installed")
    try:
        status, body = _get(port, "/readyz")
        assert status == 503
        assert json.loads(body)["reasons"] == ["ffmpeg-not-installed: not found (engine.ffmpeg / engine.ffprobe)"]
    finally:
        _stop(process)
