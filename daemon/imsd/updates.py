"""Wake-ups for callers waiting on a request: an OpenAPI submit answers once its job is bound.

A waiter that looked at a request's record on a timer paid for every look (several round trips
each) and answered a look late. Instead the steps that change what a waiter reads announce it
on one pub/sub channel, `{prefix}:updates`, with the request id as the message: the intake once it
has acknowledged an entry (admitted, refused or found a duplicate), and the scripts that bind a
request's job or make its record final. Every process may publish; a process that has waiters
subscribes once, and wakes just the waiters of that request.

Pub/sub keeps nothing: a message sent while the subscriber is disconnected is lost. So a waiter
watches before it sends, still looks every `FALLBACK_S`, and every waiter looks again once a
subscription is confirmed (new, or back after a failure). A connection that dies without a reset
would leave the subscriber listening to nothing: it pings the server every `_PING_S` of silence,
and a ping unanswered for as long again fails the subscription like any other error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from redis.asyncio import Redis
from redis.exceptions import RedisError

from imsd.logs import get_logger

__all__ = ["FALLBACK_S", "Updates"]

log = get_logger(__name__)

#: How often a waiter looks without a wake-up (the channel may have lost one).
FALLBACK_S = 1.0
#: The wait before subscribing again after the connection failed.
_RESUBSCRIBE_S = 0.5
#: How long the channel may be silent before the subscriber checks its connection.
_PING_S = 10.0


class Updates:
    """The channel's subscriber: one per process, waking the waiters of each announced request."""

    def __init__(self, redis: Redis, channel: str) -> None:
        self.redis = redis
        self.channel = channel
        self._waiters: dict[str, set[asyncio.Event]] = {}

    @contextmanager
    def watching(self, request_id: str) -> Iterator[asyncio.Event]:
        """An event set whenever `request_id` may have changed; the waiter clears it as it looks."""
        event = asyncio.Event()
        self._waiters.setdefault(request_id, set()).add(event)
        try:
            yield event
        finally:
            events = self._waiters[request_id]
            events.discard(event)
            if not events:
                del self._waiters[request_id]

    async def run(self) -> None:
        """Subscribe and wake waiters until cancelled, subscribing again whenever the connection fails."""
        while True:
            try:
                await self._listen()
            except (RedisError, OSError, TimeoutError) as error:
                log.warning("updates subscription lost", error=type(error).__name__)
            except Exception:  # a bug here must not leave the endpoint on its fallback for good
                log.exception("updates subscriber failed")
            self._wake_all()  # what was announced meanwhile is lost: everyone looks again
            await asyncio.sleep(_RESUBSCRIBE_S)

    async def _listen(self) -> None:
        async with self.redis.pubsub() as pubsub:
            await pubsub.subscribe(self.channel)
            pinged = False
            while True:
                message = await pubsub.get_message(timeout=_PING_S)
                if message is None and pinged:
                    raise TimeoutError("the server did not answer a PING")
                if message is None:  # silence: is the connection still there? (any reply says so)
                    await pubsub.ping()
                    pinged = True
                    continue
                pinged = False
                if message["type"] == "subscribe":  # held from here on: what came before is missed
                    self._wake_all()
                elif message["type"] == "message":
                    self._wake(message["data"])

    def _wake(self, data: bytes | str) -> None:
        request_id = data.decode() if isinstance(data, bytes) else data
        for event in self._waiters.get(request_id, ()):
            event.set()

    def _wake_all(self) -> None:
        for events in self._waiters.values():
            for event in events:
                event.set()
