"""Four daemon processes share one quota: together they never exceed the service's 30 QPS.

The fake IMS runs as its own process and enforces 30 accepted calls per action in any sliding
second, refusing the rest with Throttling.User. Every process takes its send slots from the one
GCRA schedule in Redis at the default 29.7/s, so all requests land at once on four processes
and the service still never throttles.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from imsd.settings import LimiterSettings
from redis import Redis

from tests.conftest import RedisServer
from tests.helpers import CALLBACK_KEY, DaemonProcess, FakeImsProcess, single_job_request, start_daemons

pytestmark = pytest.mark.slow

SUBMIT = "SubmitMediaProducingJob"
REQUESTS = 200
PROCESSES = 4


@dataclass
class QuotaRun:
    fake_stats: dict[str, Any]
    submits_by_process: list[float]


def _run(redis_server: RedisServer, workdir: Path) -> QuotaRun:
    redis_server.flush()
    redis = Redis.from_url(redis_server.url, decode_responses=True)
    fake = FakeImsProcess(
        "--callback-key", CALLBACK_KEY, "--job-seconds", "1", log_path=workdir / "fake.log"
    )
    daemons: list[DaemonProcess] = []
    try:
        settings = {"IMSD_WORKER__TASK_TIMEOUT_S": 10, "IMSD_INTAKE__BLOCK_MS": 200}
        daemons = start_daemons(PROCESSES, redis_server.url, fake.endpoint, settings, workdir)
        pipe = redis.pipeline(transaction=False)
        for i in range(REQUESTS):
            pipe.xadd("imsd:requests", {"request": json.dumps(single_job_request(f"quota-{i}"))})
        pipe.execute()
        deadline = time.monotonic() + 60
        while fake.stats()["jobs"] < REQUESTS and time.monotonic() < deadline:
            time.sleep(0.5)
        stats = fake.stats()
        submits = [d.metric("imsd_submits_total", api=SUBMIT, outcome="ok") for d in daemons]
    finally:
        for daemon in daemons:
            daemon.stop()
        fake.stop()
        redis.close()
    print(
        f"shared quota: jobs={stats['jobs']} submits_by_process={submits} "
        f"max_in_1s={stats['max_in_1s_by_action'].get(SUBMIT)} "
        f"throttles={stats['throttles_by_action'].get(SUBMIT, 0)}"
    )
    return QuotaRun(stats, submits)


@pytest.fixture(scope="module")
def quota_run(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[QuotaRun]:
    yield _run(redis_server, tmp_path_factory.mktemp("quota"))


def test_every_request_was_submitted_once(quota_run: QuotaRun) -> None:
    jobs = quota_run.fake_stats["jobs_by_request_id"]
    assert sorted(jobs) == sorted(f"quota-{i}" for i in range(REQUESTS))
    assert all(len(ids) == 1 for ids in jobs.values())


def test_all_four_processes_submitted_a_share(quota_run: QuotaRun) -> None:
    assert len(quota_run.submits_by_process) == PROCESSES
    assert all(n > 0 for n in quota_run.submits_by_process), quota_run.submits_by_process
    assert sum(quota_run.submits_by_process) == REQUESTS


def test_the_service_never_throttled_a_submit(quota_run: QuotaRun) -> None:
    assert quota_run.fake_stats["throttles_by_action"].get(SUBMIT, 0) == 0


def test_together_the_processes_submit_at_the_whole_shared_rate(quota_run: QuotaRun) -> None:
    """The quota is shared, not split: the busiest second carries the rate of all four together
    (29.7/s), far above what a quarter or a half of it would allow, and never above 30."""
    assert LimiterSettings().submit_rate / 2 < quota_run.fake_stats["max_in_1s_by_action"][SUBMIT] <= 30
