"""Redis connection pools for the daemon's hot paths.

redis-py probes every connection it takes from its pool before each command: a read with a
zero timeout, which costs a task switch, a timer and an exception, about 7% of the daemon's CPU
at a few hundred requests per second. What the probe finds is a connection that the server
closed while the connection sat idle (Redis restarted), which it then replaces, so that the
restart goes unnoticed. It cannot find a half-read reply: redis-py drops a connection whose read
or write was interrupted. So only connections idle for a while are probed here; one used a
moment ago goes out as it is (a restart within that moment fails its next command, as it fails
the commands in flight anyway).
"""

from __future__ import annotations

import os
import socket
import time
from typing import Any
from weakref import WeakKeyDictionary

from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.connection import AbstractConnection

__all__ = ["IDLE_PROBE_S", "IdleProbingPool", "connect", "process_name"]

# A connection back in the pool for longer than this is probed before it is used again.
IDLE_PROBE_S = 1.0


class IdleProbingPool(ConnectionPool):
    """A ConnectionPool that probes only connections idle for more than IDLE_PROBE_S."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._released_at: WeakKeyDictionary[AbstractConnection, float] = WeakKeyDictionary()

    async def ensure_connection(self, connection: AbstractConnection) -> None:
        # A recently used connection goes out as it is; if it was dropped after an error,
        # redis-py connects it again when it sends.
        released_at = self._released_at.get(connection)
        if released_at is None or time.monotonic() - released_at > IDLE_PROBE_S:
            await super().ensure_connection(connection)

    async def release(self, connection: AbstractConnection) -> None:
        self._released_at[connection] = time.monotonic()
        await super().release(connection)


def connect(redis_url: str, **options: Any) -> Redis:
    """A client for `redis_url` on an IdleProbingPool, which it closes when closed; `options` as
    for redis-py's `Redis.from_url`."""
    return Redis.from_pool(IdleProbingPool.from_url(redis_url, **options))


def process_name() -> str:
    """How this process names itself in Redis: as a stream consumer, as the holder of a lease.

    Host and pid: unique among live processes, and readable in `XINFO CONSUMERS` or a lease key.
    """
    return f"{socket.gethostname()}-{os.getpid()}"
