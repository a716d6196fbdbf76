"""Reconciling a submit whose reply was lost: the List* look-up is part of the submit attempt."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from imsd.context import Services
from imsd.errors import ImsError
from imsd.settings import Settings
from redis.asyncio import Redis

from tests.fakeims.server import FakeIms
from tests.helpers import (
    CALLBACK_KEY,
    aliyun_settings,
    enqueue_all,
    results_for,
    running_daemon,
    single_job_request,
    use_fake_credentials,
)

SUBMIT = "SubmitMediaProducingJob"
LIST = "ListMediaProducingJobs"
MAX_ATTEMPTS = 3


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeIms]:
    """A fake that creates every submitted job and never answers the submit (the reply is lost)."""
    use_fake_credentials(monkeypatch)
    server = FakeIms(callback_key=CALLBACK_KEY, job_seconds=0.2)
    server.faults.update({"timeout_after": 1.0, "hold_s": 1.0, "actions": [SUBMIT]})
    await server.start()
    yield server
    await server.stop()


def reconciling_settings(redis_url: str, fake: FakeIms) -> Settings:
    """Every attempt after the first is past the reconcile window, so it looks the job up first."""
    return aliyun_settings(
        redis_url,
        fake,
        aliyun={"timeout_s": 0.3},
        submit={"max_attempts": MAX_ATTEMPTS, "reconcile_after_s": 0.001},
    )


async def run_one(redis: Redis, redis_url: str, fake: FakeIms) -> dict[str, Any]:
    async with running_daemon(reconciling_settings(redis_url, fake)):
        await enqueue_all(redis, [single_job_request("lost-1")])
        return (await results_for(redis, {"lost-1"}, timeout_s=30))["lost-1"]


@pytest.mark.parametrize(
    ("error", "attempts"),
    [
        (ImsError("Forbidden.RAM", "User not authorized to operate on the specified resource.", 403), 2),
        (ImsError("ServiceUnavailable", "The service is unavailable.", 503), MAX_ATTEMPTS),
    ],
    ids=["refused", "never-recovers"],
)
async def test_a_look_up_that_keeps_failing_ends_the_request_naming_the_code(
    fake: FakeIms, redis: Redis, redis_url: str, error: ImsError, attempts: int
) -> None:
    fake.refuse(LIST, error)
    result = await run_one(redis, redis_url, fake)
    assert (result["status"], result["error_code"]) == ("FAILED", error.code)
    assert result["error_message"].startswith(f"{LIST} ") and error.message in result["error_message"]
    assert result["attempts"] == attempts  # a terminal refusal at once, a retryable one after max_attempts
    assert fake.stats()["calls_by_action"][SUBMIT] == 1  # never resent without the look-up


async def test_a_look_up_that_fails_for_a_while_is_retried_and_finds_the_job(
    fake: FakeIms, redis: Redis, redis_url: str
) -> None:
    fake.refuse(LIST, ImsError("InternalError", "The request processing has failed.", 500), times=1)
    result = await run_one(redis, redis_url, fake)
    assert result["status"] == "SUCCEEDED", result
    assert result["job_id"] == fake.stats()["jobs_by_request_id"]["lost-1"][0]
    assert result["attempts"] == MAX_ATTEMPTS  # the lost submit, the failed look-up, the one that found it
    calls = fake.stats()["calls_by_action"]
    assert (calls[SUBMIT], calls[LIST]) == (1, 2)


async def test_a_look_up_that_finds_the_job_books_no_submit_slot(
    fake: FakeIms, redis: Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    booked: list[str] = []
    reserve = Services.reserve_slot

    async def spy(self: Services, request_id: str, action: str) -> Any:
        booked.append(action)
        return await reserve(self, request_id, action)

    monkeypatch.setattr(Services, "reserve_slot", spy)
    result = await run_one(redis, redis_url, fake)
    assert result["status"] == "SUCCEEDED", result
    # the first, lost submit's; the look-up that found the job booked none (then a poll's)
    assert [action for action in booked if action == SUBMIT] == [SUBMIT]
