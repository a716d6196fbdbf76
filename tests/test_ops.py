"""What ops gets: alert rules that promtool accepts and whose unit tests pass, and a dashboard and
rules that only name metrics a running daemon exports (so a renamed metric cannot leave them blind).

promtool comes from Debian's `prometheus` package, which scripts/test installs.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import aiohttp
from redis.asyncio import Redis

from tests.helpers import REPO, running_daemon
from tests.test_daemon_local import local_settings

RULES = REPO / "ops" / "prometheus" / "imsd-alerts.yml"
RULE_TESTS = REPO / "ops" / "prometheus" / "imsd-alerts.test.yml"
DASHBOARD = REPO / "ops" / "grafana" / "imsd.json"
_HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("promtool")
    assert tool is not None, "promtool is missing: scripts/test installs Debian's prometheus package"
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
