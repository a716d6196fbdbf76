"""Shared fixtures: a private redis-server per test session, never the user's; and a check that
no test writes into the working directory (the checkout)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from imsd.queue import TaskQueue
from redis import Redis as SyncRedis
from redis.asyncio import Redis


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """A redis-server on a free loopback port with nothing persisted."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (see README: setup)")
        self.port = free_port()
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(workdir), "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
        )
        self.url = f"redis://127.0.0.1:{self.port}/0"
        deadline = time.monotonic() + 10
        while True:
            try:
                if SyncRedis(port=self.port).ping():
                    break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def flush(self) -> None:
        SyncRedis(port=self.port).flushall()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


#: What tools keep in the checkout while the tests run, and `test-artifacts/`, where tests leave
#: screenshots for a person to look at (tests/test_console.py; ignored by git).
_TOOL_FILES = frozenset(
    {".pytest_cache", ".hypothesis", ".mypy_cache", ".ruff_cache", "__pycache__", "var", "test-artifacts"}
)


@pytest.fixture(autouse=True)
def _nothing_written_into_the_checkout() -> Iterator[None]:
    """Every file a test makes belongs in its tmp_path: a stray one in the checkout (a fake ffmpeg
    once copied a clip to its last argument, `pipe:1`) would be committed by the next `git add`."""
    before = set(os.listdir())
    yield
    stray = set(os.listdir()) - before - _TOOL_FILES
    assert not stray, f"written into the working directory by this test or one running beside it: {sorted(stray)}"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    redis_server.flush()
    return redis_server.url


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


QUEUE = "imsd:tasks"


@pytest.fixture
async def queue(redis_url: str) -> AsyncIterator[TaskQueue]:
    """A task queue named QUEUE on the test Redis."""
    queue = await TaskQueue.connect(redis_url, QUEUE)
    yield queue
    await queue.close()
