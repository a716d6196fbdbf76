"""The daemon's HTTP server answers every callback with a status the sender can act on.

A sender retries on 5xx and gives up on 4xx (IMS retries callbacks that fail): a body that can
never be read is a 400, a callback that could not be handled now (Redis away) a 503, never a 500.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from imsd.context import Services
from imsd.http import make_app
from imsd.records import RecordStore
from imsd.settings import Settings
from redis.asyncio import Redis

from .helpers import free_port


async def _ready() -> list[str]:
    return []


async def _client(redis: Redis) -> TestClient[Any, Any]:
    settings = Settings(redis={"url": "redis://unused"})
    svc = Services(settings, redis, RecordStore(redis, "imsd"), None, None, None)  # type: ignore[arg-type]
    client: TestClient[Any, Any] = TestClient(TestServer(make_app(svc, _ready)))
    await client.start_server()
    return client


@pytest.fixture
async def client(redis: Redis) -> AsyncIterator[TestClient[Any, Any]]:
    client = await _client(redis)
    yield client
    await client.close()


@pytest.fixture
async def client_without_redis() -> AsyncIterator[TestClient[Any, Any]]:
    redis = Redis(port=free_port(), socket_connect_timeout=0.5)  # nothing listens there
    client = await _client(redis)
    yield client
    await client.close()
    await redis.aclose()


async def test_a_callback_nested_deeper_than_the_parser_goes_is_a_400(client: TestClient[Any, Any]) -> None:
    reply = await client.post("/callbacks/ims", data="[" * 100_000 + "]" * 100_000)
    assert reply.status == 400
    assert await reply.json() == {"error": "body is not JSON"}


async def test_a_callback_that_is_not_an_object_is_a_400(client: TestClient[Any, Any]) -> None:
    reply = await client.post("/callbacks/ims", data="[1, 2]")
    assert reply.status == 400


async def test_a_callback_for_no_known_job_is_accepted(client: TestClient[Any, Any]) -> None:
    body = {"EventType": "ProduceMediaComplete", "MessageBody": {"JobId": "nope", "Status": "Success"}}
    reply = await client.post("/callbacks/ims", data=json.dumps(body))
    assert reply.status == 200


async def test_a_callback_while_redis_is_down_is_a_503_so_the_sender_retries(
    client_without_redis: TestClient[Any, Any],
) -> None:
    body = {"EventType": "ProduceMediaComplete", "MessageBody": {"JobId": "j1", "Status": "Success"}}
    reply = await client_without_redis.post("/callbacks/ims", data=json.dumps(body))
    assert reply.status == 503
    assert reply.headers["Retry-After"] == "5"
