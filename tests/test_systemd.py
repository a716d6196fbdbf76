"""The sd_notify protocol: datagrams to NOTIFY_SOCKET, a no-op outside systemd."""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path

import pytest
from imsd import systemd
from imsd.settings import Settings

from tests.helpers import running_daemon, use_fake_credentials


def test_notify_sends_the_message_to_the_notify_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(path))
        monkeypatch.setenv("NOTIFY_SOCKET", str(path))
        assert systemd.notify("READY=1")
        assert server.recv(64) == b"READY=1"


def test_notify_without_systemd_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert systemd.notify("READY=1") is False


def test_watchdog_interval_is_half_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    assert systemd.watchdog_interval_s() == 15.0


async def test_the_daemon_tells_systemd_it_is_ready_and_when_it_stops_with_a_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(path))
        server.setblocking(False)
        monkeypatch.setenv("NOTIFY_SOCKET", str(path))
        use_fake_credentials(monkeypatch)  # nothing is sent: the aliyun backend only needs some
        settings = Settings(redis={"url": redis_url}, http={"port": 0}, backend="aliyun")
        async with running_daemon(settings):
            pass
        messages = []
        with contextlib.suppress(BlockingIOError):
            while True:
                messages.append(server.recv(4096).decode())
    assert messages[0].startswith("READY=1\nSTATUS=ready (aliyun backend, HTTP port ")
    assert messages[-1] == "STOPPING=1\nSTATUS=stopping: handing back 0 running tasks"
