"""The daemon's Redis pools: idle connections are checked before use, busy ones are not."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from imsd import connections
from redis.asyncio import ConnectionPool, Redis


async def test_a_connection_the_server_closed_while_idle_is_replaced_before_use(
    redis: Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connections, "IDLE_PROBE_S", 0.0)  # every connection counts as idle
    client = connections.connect(redis_url, decode_responses=True)
    try:
        await client.ping()
        await redis.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")  # Redis restarted, say
        await asyncio.sleep(0.05)  # the close reaches the client
        assert await client.ping()
    finally:
        await client.aclose()


async def test_a_connection_used_a_moment_ago_goes_out_unprobed(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    probes: list[Any] = []
    probe = ConnectionPool.ensure_connection

    async def counted(self: ConnectionPool, connection: Any) -> None:
        probes.append(connection)
        await probe(self, connection)

    monkeypatch.setattr(ConnectionPool, "ensure_connection", counted)
    client = connections.connect(redis_url)
    try:
        for _ in range(5):
            await client.ping()
    finally:
        await client.aclose()
    assert len(probes) == 1  # the new connection's first use only
