"""What ops gets: alert rules that promtool accepts and whose unit tests pass, and a dashboard and
rules that only name metrics a running daemon exports (so a renamed metric cannot leave them blind).

promtool is the binary of Debian's `prometheus` package, which scripts/test puts in .venv/bin.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import aiohttp
from imsd.daemon import GAUGES_INTERVAL_S
from imsd.queue import TaskQueue
from imsd.settings import Settings
from prometheus_client.parser import text_string_to_metric_families
from redis import Redis as SyncRedis
from redis.asyncio import Redis

from tests.conftest import RedisServer
from tests.engine.test_engine_process import _engine, _get, _stop
from tests.helpers import (
    CALLBACK_KEY,
    REPO,
    DaemonProcess,
    FakeImsProcess,
    running_daemon,
    single_job_request,
    start_daemons,
)
from tests.test_daemon_local import local_settings

RULES = REPO / "ops" / "prometheus" / "imsd-alerts.yml"
RULE_TESTS = REPO / "ops" / "prometheus" / "imsd-alerts.test.yml"
DASHBOARD = REPO / "ops" / "grafana" / "imsd.json"
_HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    venv = REPO / ".venv" / "bin" / "promtool"
    tool = str(venv) if venv.is_file() else shutil.which("promtool")
    assert tool is not None, "promtool is missing: scripts/test puts it in .venv/bin"
    return subprocess.run([tool, *args], capture_output=True, text=True, cwd=RULES.parent)


def names_in(text: str) -> set[str]:
    """The imsd metric families an expression text names (histogram series by their family)."""
    names = set(re.findall(r"\bimsd_[a-z_]*[a-z]\b", text))
    return {next((n[: -len(s)] for s in _HISTOGRAM_SUFFIXES if n.endswith(s)), n) for n in names}


def test_the_alert_rules_pass_promtool_check() -> None:
    checked = promtool("check", "rules", RULES.name)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_each_alert_fires_on_its_failure_and_stays_quiet_when_healthy() -> None:
    tested = promtool("test", "rules", RULE_TESTS.name)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_alert_has_a_unit_test() -> None:
    alerts = set(re.findall(r"alert: (\w+)", RULES.read_text()))
    assert alerts == set(re.findall(r"alertname: (\w+)", RULE_TESTS.read_text()))


async def test_the_dashboard_and_alerts_name_only_metrics_a_daemon_exports(
    tmp_path: Path, redis: Redis, redis_url: str
) -> None:
    queries = [t["expr"] for p in json.loads(DASHBOARD.read_text())["panels"] for t in p["targets"]]
    wanted = names_in("\n".join(queries)) | names_in(RULES.read_text())
    async with running_daemon(local_settings(redis_url, tmp_path)) as daemon:
        url = f"http://127.0.0.1:{daemon.http_port}/metrics"
        async with aiohttp.ClientSession() as session, session.get(url) as reply:
            exported = await reply.text()
    families = set(re.findall(r"^# TYPE (imsd_[a-z_]+)", exported, re.M))
    families |= {f"{name}_total" for name in families}  # a counter's TYPE line names it without _total
    assert wanted - families == set()
    assert len(wanted) >= 15  # the dashboard and rules cover the metrics, not a few of them


def summed(daemon: DaemonProcess, name: str) -> float:
    """A metric's samples on one process's /metrics, summed over their labels."""
    with urllib.request.urlopen(f"http://127.0.0.1:{daemon.http_port}/metrics", timeout=10) as reply:
        families = text_string_to_metric_families(reply.read().decode())
    return sum(s.value for family in families for s in family.samples if s.name == name)


def test_per_process_counters_sum_to_the_work_done_and_shared_gauges_agree(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    """Counters are per process (sum them); backlog gauges are the same everywhere (max them)."""
    redis_server.flush()
    fake = FakeImsProcess("--callback-key", CALLBACK_KEY, "--job-seconds", "0.2", log_path=tmp_path / "fake.log")
    daemons = start_daemons(2, redis_server.url, fake.endpoint, {"IMSD_TRACKING__FIRST_POLL_S": "0.2"}, tmp_path)
    redis = SyncRedis.from_url(redis_server.url)
    try:
        for i in range(20):
            redis.xadd("imsd:requests", {"request": json.dumps(single_job_request(f"ops-{i}"))})
        for _ in range(3):
            redis.xadd("imsd:requests", {"request": "not JSON"})  # refused and dead-lettered
        deadline = time.monotonic() + 60
        while redis.xlen("imsd:results") < 23 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(GAUGES_INTERVAL_S + 1)  # every process has read the backlog since the last result
        results = [summed(d, "imsd_results_total") for d in daemons]
        received = [summed(d, "imsd_requests_received_total") for d in daemons]
        in_flight = [summed(d, "imsd_jobs_in_flight") for d in daemons]
        dead = [summed(d, "imsd_dead_letters") for d in daemons]
        builds = [summed(d, "imsd_build_info") for d in daemons]
    finally:
        for daemon in daemons:
            daemon.stop()
        fake.stop()
        redis.close()
    assert (sum(results), sum(received)) == (20, 20)  # each request counted once, by one process
    assert in_flight == [0, 0]
    assert dead == [3, 3]  # shared: max() is the truth, sum() would count it twice
    assert builds == [1, 1]


async def test_an_engine_worker_serves_its_queues_depth_and_build(redis_url: str, tmp_path: Path) -> None:
    """An engine-only deployment sees its backlog without a daemon (from the ops helper's tests)."""
    queue = await TaskQueue.connect(redis_url, Settings(redis={"url": redis_url}).engine_queue)
    try:
        await queue.enqueue("render_media_job", "job-1", task_id="render:job-1", delay_s=3600)
    finally:
        await queue.close()
    process, port = _engine(redis_url, tmp_path)
    try:
        deadline = time.monotonic() + 30
        while "imsd_backlog_engine_tasks 1.0" not in (text := _get(port, "/metrics")[1]):
            assert time.monotonic() < deadline, text
            await asyncio.sleep(0.1)
        assert 'ffmpeg="ffmpeg version' in text
    finally:
        assert _stop(process) == 0
