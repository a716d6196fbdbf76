"""Ten thousand hostile messages against one daemon process: each is answered, memory stays bounded.

The messages are drawn from the fuzz's own strategies (tests/test_intake_fuzz.py: bytes that are
not UTF-8, text that is not JSON, envelopes of the wrong shape, params broken deep inside every
API). The daemon runs as its own process. The same 5,000 messages are sent twice (with fresh
request ids): what the second pass leaves behind is a leak. It is read from the daemon's Python heap
(tracemalloc, through tests/heap_probe), which is exact: a leak of 200 bytes a message exceeds the
bound. Resident memory is too coarse for that (the allocator keeps what the largest draws and the
concurrency of the moment made it reach: 4 to 33 MB of RSS over a pass that left 8 KB on the heap),
so it has only a loose bound, for leaks outside the Python heap. The draws are derandomized: the
same messages every run.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from redis import Redis

from tests.conftest import RedisServer
from tests.helpers import CALLBACK_KEY, DaemonProcess, FakeImsProcess, start_daemons
from tests.test_intake_fuzz import UNIQUE, Case, cases

MESSAGES = 10_000
CHUNK = 500
#: Python heap growth over the second pass's 5,000 messages: 200 bytes a message.
HEAP_GROWTH_BOUND_MB = 1.0
#: Resident growth over the second pass: 12 KB a message, far above the allocator's own variation.
RSS_GROWTH_BOUND_MB = 60.0
HEAP_PROBE = Path(__file__).parent / "heap_probe"


def hostile_messages(count: int) -> list[Case]:
    """`count` cases drawn by hypothesis from the fuzz's strategy (generation only, no shrinking)."""
    drawn: list[Case] = []

    @settings(max_examples=count, phases=[Phase.generate], database=None, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case=cases)
    def draw(case: Case) -> None:
        drawn.append(case)

    while len(drawn) < count:
        draw()
    return drawn[:count]


def entry_fields(case: Case, request_id: str) -> dict[str, Any]:
    """The case's entry, `request_id` where it holds UNIQUE."""
    fields: dict[str, Any] = {}
    for name, value in case.fields.items():
        if isinstance(value, dict):
            value = json.dumps({**value, "request_id": request_id} if value.get("request_id") == UNIQUE else value)
        elif isinstance(value, str):
            value = value.replace(UNIQUE, request_id)
        fields[name] = value
    return fields


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def settled_heap_mb(daemon: DaemonProcess, readings: int = 8) -> float:
    """The least of `readings` heap readings half a second apart: what stays, not what the last
    messages' work still held at the moment (on a loaded machine a pass ends with work in flight;
    a reading once caught 6.8 MB of it)."""
    least = heap_mb(daemon)
    for _ in range(readings - 1):
        time.sleep(0.5)
        least = min(least, heap_mb(daemon))
    return least


def heap_mb(daemon: DaemonProcess) -> float:
    """The daemon's traced Python heap after a garbage collection, asked of its heap probe."""
    assert daemon.process is not None
    path = Path(daemon.env["HEAP_PROBE_PATH"])
    path.unlink(missing_ok=True)
    daemon.process.send_signal(signal.SIGUSR2)
    deadline = time.monotonic() + 30
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return int(path.read_text()) / 1e6


@pytest.fixture
def daemon(tmp_path: Path, redis_server: RedisServer) -> Iterator[DaemonProcess]:
    redis_server.flush()
    fake = FakeImsProcess("--callback-key", CALLBACK_KEY, log_path=tmp_path / "fake.log")
    settings = {
        "IMSD_RETENTION__RESULTS_MAXLEN": 2 * MESSAGES,
        "IMSD_RETENTION__DEAD_MAXLEN": 2 * MESSAGES,
        # One malloc arena: a large batch is read in a worker thread, and each thread's first big
        # allocation would otherwise open an arena of its own, RSS that is no leak.
        "MALLOC_ARENA_MAX": 1,
        "PYTHONPATH": str(HEAP_PROBE),
        "HEAP_PROBE_PATH": str(tmp_path / "heap-bytes"),
    }
    (process,) = start_daemons(1, redis_server.url, fake.endpoint, settings, tmp_path)
    try:
        yield process
    finally:
        process.stop()
        fake.stop()


def test_ten_thousand_hostile_messages_are_each_answered_within_bounded_memory(
    daemon: DaemonProcess, redis_server: RedisServer
) -> None:
    messages = hostile_messages(MESSAGES // 2) * 2
    redis = Redis.from_url(redis_server.url)
    text = Redis.from_url(redis_server.url, decode_responses=True)
    assert daemon.process is not None
    answered: set[str] = set()  # entry ids
    entry_of: dict[str, str] = {}  # request id -> entry id, for results without an entry id
    last = "0-0"
    warm_rss = warm_heap = 0.0
    for start in range(0, MESSAGES, CHUNK):
        pipe = redis.pipeline(transaction=False)
        for index in range(start, start + CHUNK):
            pipe.xadd("imsd:requests", entry_fields(messages[index], f"vol-{index}"))
        sent = [entry_id.decode() for entry_id in pipe.execute()]
        entry_of.update({f"vol-{start + offset}": entry_id for offset, entry_id in enumerate(sent)})
        expected = set(sent)
        deadline = time.monotonic() + 120
        while not expected <= answered and time.monotonic() < deadline and daemon.alive:
            for entry_id, fields in text.xrange("imsd:results", min=f"({last}"):
                result, last = json.loads(fields["result"]), entry_id
                answered.add(result.get("entry_id") or entry_of.get(result["request_id"], ""))
            time.sleep(0.05)
        assert daemon.alive, f"the daemon died, see {daemon.log_path}"
        assert expected <= answered, f"{len(expected - answered)} of messages {start}.. never answered"
        if start + CHUNK == MESSAGES // 2:
            warm_rss, warm_heap = rss_mb(daemon.process.pid), settled_heap_mb(daemon)
    heap_growth, rss_growth = settled_heap_mb(daemon) - warm_heap, rss_mb(daemon.process.pid) - warm_rss
    print(f"daemon after {MESSAGES // 2} messages: heap {warm_heap:.2f} MB, RSS {warm_rss:.1f} MB; "
          f"after {MESSAGES}: heap {heap_growth:+.3f} MB, RSS {rss_growth:+.1f} MB")  # fmt: skip
    results = text.xlen("imsd:results")
    assert results == MESSAGES  # exactly one answer each, none twice
    assert heap_growth < HEAP_GROWTH_BOUND_MB, f"the heap grew {heap_growth:.3f} MB over the second pass"
    assert rss_growth < RSS_GROWTH_BOUND_MB, f"RSS grew {rss_growth:.1f} MB over the second pass"
