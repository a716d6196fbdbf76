"""The record scripts against a real Redis: each change is one step that does all it implies."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from imsd.pipeline import Pipeline
from imsd.queue import TaskQueue, TaskSpec, TaskWorker
from imsd.records import Admission, Delivery, RecordStore, State
from redis.asyncio import Redis

from tests.conftest import QUEUE


@pytest.fixture
def store(redis: Redis) -> RecordStore:
    return RecordStore(redis, "imsd")


def delivery(queue: TaskQueue | None, request_id: str = "r-1", entry_id: str = "1-0", **changes: Any) -> Delivery:
    values: dict[str, Any] = {
        "request_id": request_id,
        "api": "SubmitMediaProducingJob",
        "params": {"ClientToken": "t-1"},
        "content_hash": "h-1",
        "client_token": "t-1",
        "entry_id": entry_id,
        "meta": None,
        "due": time.time() + 60,
        "task": queue.task("advance_request", request_id, task_id=f"request:{request_id}") if queue else None,
    }
    values.update(changes)
    return Delivery(**values)


async def queued(redis: Redis) -> list[str]:
    return list(await redis.zrange(QUEUE, 0, -1))


async def test_admission_makes_the_record_and_its_task_in_one_step(
    store: RecordStore, queue: TaskQueue, redis: Redis
) -> None:
    [(admission, state)] = await store.admit([delivery(queue)])
    assert (admission, state) == (Admission.NEW, State.RECEIVED)
    record = await store.get("r-1")
    assert record is not None and record.client_token == "t-1" and record.state is State.RECEIVED
    assert await queued(redis) == ["request:r-1"]
    assert await redis.zrange(store.active_key, 0, -1) == ["r-1"]


async def test_a_batch_is_admitted_in_order_and_tells_each_delivery_apart(
    store: RecordStore, queue: TaskQueue, redis: Redis
) -> None:
    replies = await store.admit([
        delivery(queue, "r-1", "1-0"),
        delivery(queue, "r-1", "1-0"),  # the same entry again
        delivery(queue, "r-1", "2-0"),  # a producer's duplicate
        delivery(queue, "r-1", "3-0", content_hash="h-2"),  # other params
        delivery(None, "r-2", "4-0"),  # an invalid request: no task
    ])
    assert [a for a, _ in replies] == [
        Admission.NEW, Admission.REDELIVERED, Admission.DUPLICATE, Admission.CONFLICT, Admission.NEW
    ]
    assert await queued(redis) == ["request:r-1"]
    record = await store.get("r-1")
    assert record is not None and record.duplicates == 1


async def test_a_record_admitted_under_the_former_params_hash_is_still_the_same_content(
    store: RecordStore, queue: TaskQueue
) -> None:
    """A pipeline admitted before its hash changed form: its redelivery and resend are not conflicts."""
    await store.admit([delivery(queue, content_hash="h-old")])
    replies = await store.admit([
        delivery(queue, "r-1", "1-0", content_hash="h-new", former_hash="h-old"),  # redelivered
        delivery(queue, "r-1", "2-0", content_hash="h-new", former_hash="h-old"),  # resent
        delivery(queue, "r-1", "3-0", content_hash="h-other", former_hash="h-other-old"),  # other params
    ])
    assert [a for a, _ in replies] == [Admission.REDELIVERED, Admission.DUPLICATE, Admission.CONFLICT]


async def test_a_delivery_s_record_is_the_one_admission_makes(store: RecordStore) -> None:
    """What intake builds an invalid request's result from is what the store reads back."""
    made = delivery(None, meta={"k": ["é", 1]}, pipeline=Pipeline("Smart_Mix", 1, ["job-0"]).to_json())
    await store.admit([made])
    assert made.record() == await store.get("r-1")


async def test_many_records_are_read_together_with_none_for_an_unknown_one(store: RecordStore) -> None:
    first, second = delivery(None, "r-1", "1-0"), delivery(None, "r-2", "2-0")
    await store.admit([first, second])
    assert await store.get_many(["r-2", "nope", "r-1"]) == [second.record(), None, first.record()]


async def test_a_redelivered_entry_requeues_a_lost_task_but_not_for_a_final_record(
    store: RecordStore, queue: TaskQueue, redis: Redis
) -> None:
    await store.admit([delivery(queue)])
    await redis.delete(QUEUE, "arq:job:request:r-1")  # the task was lost
    await store.admit([delivery(queue)])
    assert await queued(redis) == ["request:r-1"]
    await redis.delete(QUEUE, "arq:job:request:r-1")
    record = await store.get("r-1")
    assert record is not None
    assert await store.finish("r-1", State.SUCCEEDED, {"request_id": "r-1"})
    assert await store.admit([delivery(queue)]) == [(Admission.REDELIVERED, State.SUCCEEDED)]
    assert await queued(redis) == []


async def test_admission_survives_redis_forgetting_its_scripts(
    store: RecordStore, queue: TaskQueue, redis: Redis
) -> None:
    await store.admit([delivery(queue, "r-1", "1-0")])
    await redis.script_flush()
    replies = await store.admit([delivery(queue, "r-2", "2-0"), delivery(queue, "r-1", "3-0")])
    assert replies == [(Admission.NEW, State.RECEIVED), (Admission.DUPLICATE, State.RECEIVED)]
    assert sorted(await queued(redis)) == ["request:r-1", "request:r-2"]


async def test_a_transition_counts_sets_and_binds_in_one_step(store: RecordStore, queue: TaskQueue) -> None:
    await store.admit([delivery(queue)])
    counted = await store.transition("r-1", due=time.time(), add={"attempts": 1, "throttles": 2}, state="SUBMITTING")
    assert counted == [1, 2]
    assert await store.transition("r-1", due=time.time(), bind_job="job-1", state="SUBMITTED", job_id="job-1") == []
    record = await store.get("r-1")
    assert record is not None and (record.state, record.job_id, record.attempts) == (State.SUBMITTED, "job-1", 1)
    assert await store.request_for_job("job-1") == "r-1"


async def test_a_final_record_refuses_transitions_and_a_second_result(store: RecordStore, redis: Redis) -> None:
    await store.admit([delivery(None)])
    assert await store.finish("r-1", State.FAILED, {"request_id": "r-1"}, add={"polls": 1})
    assert await store.transition("r-1", due=time.time(), add={"attempts": 1}) is None
    assert not await store.finish("r-1", State.SUCCEEDED, {"request_id": "r-1"})
    assert await store.request_for_job("job-1") is None
    assert await redis.xlen(store.results_key) == 1
    assert await redis.xlen(store.dead_key) == 1
    assert await redis.zcard(store.active_key) == 0


@pytest.mark.parametrize("state", list(State))
async def test_the_scripts_hold_a_record_final_exactly_when_state_final_does(
    store: RecordStore, redis: Redis, state: State
) -> None:
    await redis.hset(store.record_key("r-1"), "state", state.value)
    assert (await store.transition("r-1", due=time.time()) is None) == state.final


async def test_the_result_carries_the_counters_as_they_are_when_it_is_published(
    store: RecordStore, queue: TaskQueue, redis: Redis
) -> None:
    await store.admit([delivery(queue)])
    await store.transition("r-1", due=time.time(), add={"attempts": 1})
    await store.admit([delivery(queue, entry_id="2-0")])  # a duplicate after the task read the record
    document = {"request_id": "r-1", "outputs": [], "meta": {"k": "é"}}
    assert await store.finish("r-1", State.SUCCEEDED, document, add={"polls": 1})
    [(_, fields)] = await redis.xrange(store.results_key)
    result = json.loads(fields["result"])
    assert result == {**document, "attempts": 1, "throttles": 0, "polls": 1, "duplicates": 1}
    record = await store.get("r-1")
    assert record is not None and record.state is State.SUCCEEDED and record.polls == 1


async def test_a_queued_task_runs_once_however_many_workers_poll(
    store: RecordStore, queue: TaskQueue, redis_url: str
) -> None:
    runs: list[str] = []

    async def task(request_id: str) -> None:
        runs.append(request_id)
        await asyncio.sleep(0.2)  # still running while the other worker polls

    ids = [f"r-{i}" for i in range(50)]
    await store.admit([delivery(queue, rid, f"{i}-0") for i, rid in enumerate(ids)])
    assert not await queue.enqueue("advance_request", "r-0", task_id="request:r-0")  # queued already
    workers = [
        TaskWorker(redis_url, [TaskSpec("advance_request", task, 5.0)], queue_name=QUEUE, max_jobs=30,
                   poll_delay_s=0.01)
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    try:
        for _ in range(500):
            if len(runs) >= len(ids) and await queue.depth() == 0:
                break
            await asyncio.sleep(0.01)
    finally:
        for worker in workers:
            await worker.stop(1.0)
    assert sorted(runs) == sorted(ids)


async def test_a_task_running_elsewhere_does_not_block_the_next_one_when_one_slot_is_free(
    queue: TaskQueue, redis: Redis, redis_url: str
) -> None:
    """A killed worker's task stays due, marked running, until arq's timeout: it must not hold
    up a task queued after it on a worker with a single slot (a render retaken by the reaper)."""
    runs: list[str] = []

    async def task(name: str) -> None:
        runs.append(name)

    await queue.enqueue("work", "stuck", task_id="stuck")
    await redis.set("arq:in-progress:stuck", "1", px=60_000)  # its worker died mid-run
    await queue.enqueue("work", "next", task_id="next", delay_s=0.01)
    worker = TaskWorker(redis_url, [TaskSpec("work", task, 5.0)], queue_name=QUEUE, max_jobs=1, poll_delay_s=0.01)
    worker.start()
    try:
        for _ in range(300):
            if runs:
                break
            await asyncio.sleep(0.01)
    finally:
        await worker.stop(1.0)
    assert runs == ["next"]


async def test_an_invalid_request_is_failed_in_the_step_that_makes_its_record(
    store: RecordStore, redis: Redis
) -> None:
    """Never RECEIVED and active without a task, where the sweeper would submit its params."""
    failure = {"request_id": "r-1", "status": "FAILED", "error_code": "InvalidParameter"}
    assert await store.admit([delivery(None, failure=failure)]) == [(Admission.NEW, State.FAILED)]
    record = await store.get("r-1")
    assert record is not None and record.state is State.FAILED
    assert await redis.zcard(store.active_key) == 0
    [(_, fields)] = await redis.xrange(store.results_key)
    assert json.loads(fields["result"]) == {**failure, "attempts": 0, "throttles": 0, "polls": 0, "duplicates": 0}
    assert await redis.xlen(store.dead_key) == 1
    assert await store.admit([delivery(None, failure=failure)]) == [(Admission.REDELIVERED, State.FAILED)]
    assert await redis.xlen(store.results_key) == 1
