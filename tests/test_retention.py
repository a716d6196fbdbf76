"""Retention: what Redis keeps about finished requests is bounded, and idempotency holds while it lives."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from imsd.intake import AcknowledgedTrim
from imsd.records import JOB_RUN_MAX_S, Admission, RecordStore, State
from imsd.settings import RetentionSettings
from redis.asyncio import Redis

from tests.test_records import delivery

STREAM, GROUP = "imsd:requests", "imsd"


@pytest.fixture
def store(redis: Redis) -> RecordStore:
    return RecordStore(redis, "imsd", RetentionSettings(record_ttl_s=3600, results_maxlen=100, dead_maxlen=100))


async def finished(store: RecordStore, count: int, state: State = State.SUCCEEDED) -> None:
    """Admit and finish `count` requests."""
    ids = [f"r-{i}" for i in range(count)]
    await store.admit([delivery(None, rid, f"{i}-1") for i, rid in enumerate(ids)])
    for rid in ids:
        assert await store.finish(rid, state, {"request_id": rid})


async def test_a_final_record_expires_after_the_record_ttl(store: RecordStore, redis: Redis) -> None:
    await store.admit([delivery(None)])
    assert await redis.ttl(store.record_key("r-1")) == -1  # not while it is active
    assert await store.finish("r-1", State.SUCCEEDED, {"request_id": "r-1"})
    assert 3590 < await redis.ttl(store.record_key("r-1")) <= 3600


async def test_an_invalid_request_s_record_expires_too(store: RecordStore, redis: Redis) -> None:
    await store.admit([delivery(None, failure={"request_id": "r-1"})])
    assert 3590 < await redis.ttl(store.record_key("r-1")) <= 3600


async def test_a_resent_request_gets_no_second_result_while_its_record_lives(
    store: RecordStore, redis: Redis
) -> None:
    await finished(store, 1)
    assert await store.admit([delivery(None, "r-0", "9-1")]) == [(Admission.DUPLICATE, State.SUCCEEDED)]
    assert await redis.xlen(store.results_key) == 1
    assert await redis.ttl(store.record_key("r-0")) > 0  # the duplicate did not make it permanent


async def test_after_its_record_expired_a_resent_request_is_new(store: RecordStore, redis: Redis) -> None:
    await finished(store, 1)
    await redis.pexpire(store.record_key("r-0"), 1)
    await asyncio.sleep(0.01)
    assert await store.admit([delivery(None, "r-0", "9-1")]) == [(Admission.NEW, State.RECEIVED)]


async def test_a_job_binding_outlives_its_record(store: RecordStore, redis: Redis) -> None:
    """A callback naming only the JobId finds its request as long as the record lives, however long the job ran."""
    await store.admit([delivery(None)])
    await store.transition("r-1", time.time() + 60, bind_job="job-1")
    assert await store.request_for_job("job-1") == "r-1"
    assert 3600 + JOB_RUN_MAX_S - 10 < await redis.ttl(store.job_key("job-1")) <= 3600 + JOB_RUN_MAX_S


async def test_results_and_dead_letters_are_capped_near_their_maxlen(store: RecordStore, redis: Redis) -> None:
    await finished(store, 300, State.FAILED)
    for key in (store.results_key, store.dead_key):
        assert 100 <= await redis.xlen(key) < 300  # MAXLEN ~: whole stream nodes at a time
        [(_, fields)] = await redis.xrevrange(key, count=1)
        assert json.loads(fields["result"])["request_id"] == "r-299"  # the newest are kept


async def test_refusals_are_capped_near_the_maxlen_too(store: RecordStore, redis: Redis) -> None:
    for i in range(300):
        assert await store.reject(f"{i}-1", {"entry_id": f"{i}-1"})
    assert 100 <= await redis.xlen(store.results_key) < 300
    assert 100 <= await redis.xlen(store.dead_key) < 300


async def add_entries(redis: Redis, count: int) -> list[str]:
    return [await redis.xadd(STREAM, {"n": str(i)}) for i in range(count)]


async def read(redis: Redis, count: int, group: str = GROUP) -> list[str]:
    reply = await redis.xreadgroup(group, "c-1", {STREAM: ">"}, count=count)
    return [entry_id for _, entries in reply for entry_id, _ in entries]


async def remaining(redis: Redis) -> list[str]:
    return [entry_id for entry_id, _ in await redis.xrange(STREAM)]


async def test_trimming_deletes_acknowledged_entries_below_the_oldest_pending_one(redis: Redis) -> None:
    await redis.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    ids = await add_entries(redis, 5)
    await read(redis, 5)
    await redis.xack(STREAM, GROUP, ids[0], ids[1], ids[3])
    assert await AcknowledgedTrim(redis, STREAM).trim() == 2
    assert await remaining(redis) == ids[2:]  # ids[2] is pending, so is ids[4]


async def test_trimming_keeps_entries_not_yet_delivered(redis: Redis) -> None:
    await redis.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    ids = await add_entries(redis, 5)
    await redis.xack(STREAM, GROUP, *await read(redis, 2))
    await AcknowledgedTrim(redis, STREAM).trim()
    assert await remaining(redis) == ids[1:]  # the last delivered entry is kept as the bound


async def test_trimming_waits_for_every_consumer_group(redis: Redis) -> None:
    await redis.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    await redis.xgroup_create(STREAM, "audit", id="0")
    ids = await add_entries(redis, 5)
    await redis.xack(STREAM, GROUP, *await read(redis, 5))
    assert await AcknowledgedTrim(redis, STREAM).trim() == 0
    assert await remaining(redis) == ids


async def test_trimming_a_stream_without_groups_deletes_nothing(redis: Redis) -> None:
    assert await AcknowledgedTrim(redis, STREAM).trim() == 0
    ids = await add_entries(redis, 3)
    assert await AcknowledgedTrim(redis, STREAM).trim() == 0
    assert await remaining(redis) == ids
