"""Wake-ups on `{prefix}:updates` (imsd/updates.py): the intake announces each request it has
acknowledged, the store each request whose job it binds or whose record it makes final; a waiter
is woken by its own request's announcement, and every waiter looks again when a lost
subscription comes back."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest
from imsd.records import RecordStore, State
from imsd.settings import Settings
from imsd.updates import Updates
from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from tests.helpers import intake_on
from tests.test_records import delivery

CHANNEL = "test:updates"


@pytest.fixture
async def updates(redis: Redis) -> AsyncIterator[Updates]:
    subscriber = Updates(redis, CHANNEL)
    task = asyncio.create_task(subscriber.run())
    try:
        yield subscriber
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def subscribed(redis: Redis, count: int = 1) -> None:
    """Until the channel has `count` subscribers."""
    for _ in range(200):
        if (await redis.pubsub_numsub(CHANNEL))[0][1] >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the subscriber did not subscribe")


async def test_an_announcement_wakes_the_waiters_of_that_request_only(redis: Redis, updates: Updates) -> None:
    with updates.watching("req-1") as mine, updates.watching("req-2") as other:
        await subscribed(redis)
        mine.clear()
        other.clear()
        await redis.publish(CHANNEL, "req-1")
        await asyncio.wait_for(mine.wait(), 5)
        mine.clear()
        await redis.publish(CHANNEL, "req-1")  # the channel is ordered: once this is seen, so was the first
        await asyncio.wait_for(mine.wait(), 5)
        assert not other.is_set()


async def test_every_waiter_looks_again_when_the_subscription_comes_back(redis: Redis, updates: Updates) -> None:
    """Pub/sub drops what is announced while the subscriber is away: it cannot know whose it was."""
    with updates.watching("req-1") as waiter:
        await subscribed(redis)
        waiter.clear()
        await redis.client_kill_filter(_type="pubsub")
        await asyncio.wait_for(waiter.wait(), 5)
        waiter.clear()
        await subscribed(redis)
        await redis.publish(CHANNEL, "req-1")
        await asyncio.wait_for(waiter.wait(), 5)


async def test_a_server_that_stops_answering_wakes_every_waiter_and_is_subscribed_again(
    redis: Redis, updates: Updates, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection gone without a reset says nothing: the subscriber's unanswered PING finds it."""
    monkeypatch.setattr("imsd.updates._PING_S", 0.2)
    with updates.watching("req-1") as waiter:
        await subscribed(redis)
        await asyncio.sleep(0.5)  # the subscriber is waiting with the shorter silence now
        waiter.clear()
        await redis.execute_command("CLIENT", "PAUSE", 1500, "ALL")  # nothing is answered for 1.5 s
        await asyncio.wait_for(waiter.wait(), 5)
        await asyncio.sleep(1.5)  # the pause over, a new subscription is confirmed (waking it again)
        await subscribed(redis)
        waiter.clear()
        await redis.publish(CHANNEL, "req-1")
        await asyncio.wait_for(waiter.wait(), 5)


async def test_a_watch_ended_leaves_no_waiter_behind(updates: Updates) -> None:
    with updates.watching("req-1"), updates.watching("req-1"):
        pass
    assert not updates._waiters


@pytest.fixture
async def announced(redis: Redis) -> AsyncIterator[PubSub]:
    async with redis.pubsub(ignore_subscribe_messages=True) as pubsub:
        await pubsub.subscribe("imsd:updates")
        yield pubsub


async def messages(pubsub: PubSub) -> list[str]:
    """The request ids announced so far (a PING's reply marks the end of what was sent before it)."""
    await pubsub.ping("end")
    found = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        message = await pubsub.get_message(timeout=1)  # None: nothing yet, or a subscription's reply
        if message is not None and message["type"] != "message":
            return found
        if message is not None:
            found.append(message["data"])
    raise AssertionError("the PING's reply did not come")


async def test_the_intake_announces_each_request_once_its_entry_is_acknowledged(
    redis: Redis, redis_url: str, announced: PubSub
) -> None:
    """Admitted, duplicated or refused: the sender waiting on its entry reads the intake's verdict then."""
    clip = {"VideoTracks": [{"VideoTrackClips": [{"MediaURL": "https://b.oss-cn-shanghai.aliyuncs.com/in.mp4"}]}]}
    output = {"MediaURL": "https://b.oss-cn-shanghai.aliyuncs.com/out.mp4"}
    valid = {"request_id": "r-new", "api": "SubmitMediaProducingJob",
             "params": {"Timeline": clip, "OutputMediaConfig": output}}  # fmt: skip
    other = {**valid, "params": {**valid["params"], "OutputMediaConfig": {"MediaURL": output["MediaURL"] + "?2"}}}
    unknown = {**valid, "request_id": "r-refused", "api": "NoSuchApi"}
    async with intake_on(Settings(redis={"url": redis_url})) as intake:
        await redis.xgroup_createconsumer(intake.stream, intake.group, "test")
        await intake.admit_entries([
            ("1-1", {"request": json.dumps(valid)}), ("1-2", {"request": json.dumps(other)}),
            ("1-3", {"request": json.dumps(unknown)}),
        ])  # fmt: skip
        assert await messages(announced) == ["r-new", "r-refused"]  # r-new's two entries: announced once
        assert await redis.exists("imsd:rejected:1-2", "imsd:rejected:1-3") == 2  # both refused
        assert await redis.xpending(intake.stream, intake.group) == {
            "pending": 0,
            "min": None,
            "max": None,
            "consumers": [],
        }


async def test_binding_a_job_and_finishing_a_record_announce_the_request(redis: Redis, announced: PubSub) -> None:
    store = RecordStore(redis, "imsd")
    await store.admit([delivery(None)])
    await store.transition("r-1", due=time.time(), state="SUBMITTING")  # nothing a waiter reads changed
    assert await messages(announced) == []
    await store.transition("r-1", due=time.time(), bind_job="job-1", state="SUBMITTED", job_id="job-1")
    assert await messages(announced) == ["r-1"]
    await store.finish("r-1", State.SUCCEEDED, {"request_id": "r-1", "status": "SUCCEEDED"})
    assert await messages(announced) == ["r-1"]
