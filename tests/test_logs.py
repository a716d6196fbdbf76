"""Log lines: one JSON object per line, whoever logs, secrets masked.

Each case runs in a process of its own, configured as the daemon configures itself, so the
stream read is the one an operator's journal would hold.
"""

from __future__ import annotations

import json
import subprocess
import sys

CONFIGURED = """
import logging
from imsd.logs import configure_logging, get_logger
from imsd.settings import LogSettings
configure_logging(LogSettings(format="json", level="info"))
"""


def _stderr(code: str) -> list[str]:
    run = subprocess.run([sys.executable, "-c", CONFIGURED + code], capture_output=True, text=True, check=True)
    return run.stderr.splitlines()


def test_a_standard_library_traceback_is_one_json_line() -> None:
    lines = _stderr("""
try:
    raise RuntimeError("boom")
except RuntimeError:
    logging.getLogger("aiohttp.server").error("Error handling request", exc_info=True)
""")
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert line["event"] == "Error handling request" and line["level"] == "error"
    assert line["logger"] == "aiohttp.server" and "RuntimeError: boom" in line["exception"]


def test_standard_library_chatter_below_warning_is_dropped() -> None:
    assert _stderr('logging.getLogger("arq.worker").info("j1 started")') == []


def test_a_secret_passed_to_a_log_call_is_masked() -> None:
    (line,) = _stderr('get_logger("t").warning("calling", access_key_secret="Hunter2Secret")')
    assert json.loads(line)["access_key_secret"] == "***"
