"""Chaos: daemon processes killed with SIGKILL while the service misbehaves lose nothing.

One scenario runs once per module: a strict fake IMS in its own process injecting 5xx replies,
timeouts after the job was created, connection resets and lost callbacks; three `imsd run`
processes sharing one Redis; several hundred single and batch requests (a few sent twice) while
a random daemon is killed with SIGKILL and restarted, again and again. The tests below are the
invariants of docs/architecture.md that must hold afterwards.

The process helpers (FakeImsProcess, DaemonProcess, start_daemons) live in tests/helpers.py.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from imsd.settings import LimiterSettings
from redis import Redis

from tests.conftest import RedisServer
from tests.helpers import CALLBACK_KEY, DaemonProcess, FakeImsProcess, batch_request, single_job_request, start_daemons

pytestmark = pytest.mark.slow


def read_results(redis: Redis, after: str = "0") -> tuple[list[dict[str, Any]], str]:
    """Results on imsd:results after entry `after`, and the last entry id read."""
    results = []
    for entry_id, fields in redis.xrange("imsd:results", min=f"({after}" if after != "0" else "-"):
        results.append(json.loads(fields["result"]))
        after = entry_id
    return results, after


# -- the scenario ---------------------------------------------------------------------------

SINGLE_REQUESTS = 340
BATCH_REQUESTS = 180
DUPLICATES = 12
BURST = 40
KILLS = 8
KILLS_AFTER_BURST = 5
PRODUCE_S = 20.0
DEADLINE_S = 150.0
# The fake enforces SCALE x 30 calls/s per action and the limiter runs at SCALE x its defaults:
# the same strictness as the real quota, three times faster.
SCALE = 3
FAKE_ARGS = (
    "--qps", str(30 * SCALE),
    "--job-seconds", "1.0",
    "--callback-key", CALLBACK_KEY,
    "--error-5xx", "0.05",
    "--timeout-after", "0.03",
    "--reset", "0.03",
    "--lost-callback", "0.2",
    "--hold-seconds", "3",
)  # fmt: skip
DAEMON_SETTINGS = {
    "IMSD_LIMITER__SUBMIT_RATE": LimiterSettings().submit_rate * SCALE,
    "IMSD_LIMITER__POLL_RATE": 10.0 * SCALE,
    "IMSD_ALIYUN__TIMEOUT_S": 2.0,
    "IMSD_WORKER__TASK_TIMEOUT_S": 5,
    "IMSD_WORKER__STOP_GRACE_S": 1,
    "IMSD_INTAKE__CLAIM_IDLE_S": 3,
    "IMSD_INTAKE__BLOCK_MS": 200,
    "IMSD_TRACKING__FIRST_POLL_S": 1.0,
    "IMSD_TRACKING__POLL_MIN_S": 1.0,
    "IMSD_TRACKING__POLL_MAX_S": 2.0,
    "IMSD_SUBMIT__BACKOFF_BASE_S": 0.1,
    "IMSD_SUBMIT__BACKOFF_MAX_S": 1.0,
    "IMSD_SUBMIT__MAX_ATTEMPTS": 50,
}


@dataclass
class ChaosOutcome:
    request_ids: set[str]
    results: list[dict[str, Any]]
    fake_stats: dict[str, Any]
    active: int
    unacked_entries: int
    kills: int
    died_unasked: list[str]
    elapsed_s: float


def _requests(rng: random.Random) -> list[dict[str, Any]]:
    requests = [single_job_request(f"chaos-s-{i}") for i in range(SINGLE_REQUESTS)]
    requests += [batch_request(f"chaos-b-{i}", count=rng.randint(1, 3)) for i in range(BATCH_REQUESTS)]
    rng.shuffle(requests)
    return requests


def _schedule(rng: random.Random, requests: list[dict[str, Any]]) -> list[tuple[float, str, Any]]:
    """(second, "send", requests) and (second, "kill", delay) events, in time order.

    Requests go out in bursts. Most kills follow a burst by a few milliseconds, while a daemon
    is admitting entries it has read and not yet acknowledged; the others land anywhere (a
    submit, a poll, a callback, a sleep). A few requests are sent a second time, some while the
    first is in flight, some after it finished.
    """
    bursts = [requests[i : i + BURST] for i in range(0, len(requests), BURST)]
    gap = PRODUCE_S / len(bursts)
    events: list[tuple[float, str, Any]] = [(i * gap, "send", burst) for i, burst in enumerate(bursts)]
    events += [(rng.uniform(0, PRODUCE_S + 10), "send", [rng.choice(requests)]) for _ in range(DUPLICATES)]
    chasing = rng.sample(range(1, len(bursts)), KILLS_AFTER_BURST)
    events += [(i * gap, "kill", rng.uniform(0.002, 0.03)) for i in chasing]
    events += [(rng.uniform(1.0, PRODUCE_S + 8), "kill", 0.0) for _ in range(KILLS - KILLS_AFTER_BURST)]
    events.sort(key=lambda e: (e[0], e[1] == "kill"))
    return events


def _run_chaos(redis_server: RedisServer, workdir: Path) -> ChaosOutcome:
    seed = int(os.environ.get("IMSD_TEST_CHAOS_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)
    print(f"chaos seed {seed} (IMSD_TEST_CHAOS_SEED), logs in {workdir}")
    redis_server.flush()
    redis = Redis.from_url(redis_server.url, decode_responses=True)
    fake = FakeImsProcess(*FAKE_ARGS, "--seed", str(seed), log_path=workdir / "fake.log")
    daemons: list[DaemonProcess] = []
    try:
        daemons = start_daemons(3, redis_server.url, fake.endpoint, DAEMON_SETTINGS, workdir)
        requests = _requests(rng)
        request_ids = {r["request_id"] for r in requests}
        events = _schedule(rng, requests)
        restarts: list[tuple[float, DaemonProcess]] = []
        results: list[dict[str, Any]] = []
        last = "0"
        kills = 0
        start = time.monotonic()
        while True:
            now = time.monotonic() - start
            while events and events[0][0] <= now:
                _, kind, payload = events.pop(0)
                if kind == "send":
                    pipe = redis.pipeline(transaction=True)  # a burst lands on one reader at once
                    for request in payload:
                        pipe.xadd("imsd:requests", {"request": json.dumps(request)})
                    pipe.execute()
                    continue
                time.sleep(payload)
                victim = rng.choice([d for d in daemons if d.alive] or daemons)
                if victim.alive:
                    victim.kill()
                    kills += 1
                    restarts.append((now + rng.uniform(0.2, 2.0), victim))
            for due, daemon in list(restarts):
                if due <= now:
                    restarts.remove((due, daemon))
                    daemon.start()
            new, last = read_results(redis, last)
            results += new
            answered = {r["request_id"] for r in results if r["status"] != "REJECTED"}
            done = not events and not restarts and answered >= request_ids
            if done or now > DEADLINE_S:
                break
            time.sleep(0.05)
        elapsed = time.monotonic() - start
        # Anything emitted late (a second result) shows up now; entries a killed daemon read
        # are acknowledged by whoever claims them after IMSD_INTAKE__CLAIM_IDLE_S.
        settle = time.monotonic() + 2.0
        while time.monotonic() < settle or (
            redis.xpending("imsd:requests", "imsd")["pending"] and time.monotonic() < settle + 15
        ):
            time.sleep(0.1)
        results += read_results(redis, last)[0]
        died_unasked = [d.name for d in daemons if not d.alive]
        active = int(redis.zcard("imsd:active"))
        unacked = int(redis.xpending("imsd:requests", "imsd")["pending"])
    finally:
        for daemon in daemons:
            daemon.stop()
        stats = fake.stats()
        fake.stop()
        redis.close()
    outcome = ChaosOutcome(
        request_ids, results, stats, active, unacked, kills, died_unasked, elapsed
    )
    print(
        f"chaos: results={len(results)} requests={len(request_ids)} kills={kills} "
        f"jobs={stats['jobs']} elapsed={elapsed:.1f}s calls={sum(stats['calls_by_action'].values())} "
        f"throttles={sum(stats['throttles_by_action'].values())} faults={stats['faults_injected']} "
        f"callbacks={stats['callbacks']}"
    )
    return outcome


@pytest.fixture(scope="module")
def chaos(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChaosOutcome]:
    yield _run_chaos(redis_server, tmp_path_factory.mktemp("chaos"))


def test_daemons_were_killed_and_restarted_during_the_run(chaos: ChaosOutcome) -> None:
    assert chaos.kills >= 5
    assert chaos.died_unasked == []  # every restart came up and none died on its own


def test_every_request_has_exactly_one_result(chaos: ChaosOutcome) -> None:
    per_request = Counter(r["request_id"] for r in chaos.results if r["status"] != "REJECTED")
    missing = chaos.request_ids - per_request.keys()
    repeated = {rid: n for rid, n in per_request.items() if n > 1}
    assert not missing, f"{len(missing)} requests without a result, e.g. {sorted(missing)[:5]}"
    assert not repeated, f"requests with several results: {repeated}"
    assert per_request.keys() == chaos.request_ids


def test_every_request_succeeded_despite_faults_and_kills(chaos: ChaosOutcome) -> None:
    statuses = Counter(r["status"] for r in chaos.results if r["status"] != "REJECTED")
    failed = [r for r in chaos.results if r["status"] == "FAILED"][:3]
    assert statuses == {"SUCCEEDED": len(chaos.request_ids)}, failed


def test_duplicate_sends_are_neither_rejected_nor_answered_twice(chaos: ChaosOutcome) -> None:
    assert [r for r in chaos.results if r["status"] == "REJECTED"] == []


def test_the_service_saw_exactly_one_job_per_request(chaos: ChaosOutcome) -> None:
    jobs = chaos.fake_stats["jobs_by_request_id"]
    assert jobs.keys() == chaos.request_ids
    assert {rid: ids for rid, ids in jobs.items() if len(ids) != 1} == {}
    assert chaos.fake_stats["jobs"] == len(chaos.request_ids)


def test_each_result_names_the_job_the_service_created(chaos: ChaosOutcome) -> None:
    jobs = chaos.fake_stats["jobs_by_request_id"]
    answered = [r for r in chaos.results if r["status"] != "REJECTED"]
    mismatched = [r["request_id"] for r in answered if [r["job_id"]] != jobs.get(r["request_id"])]
    assert mismatched == []


def test_nothing_is_left_in_flight_or_unacknowledged(chaos: ChaosOutcome) -> None:
    assert chaos.active == 0
    assert chaos.unacked_entries == 0
