"""Prints how many documented Timelines rendered as documented, for the README and the notes."""

from __future__ import annotations

import pytest

from .test_documented_timelines import TALLY, _cases


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not any(TALLY.values()):
        return
    counts = ", ".join(f"{len(names)} {outcome}" for outcome, names in TALLY.items())
    terminalreporter.write_line(f"documented Timelines: {len(_cases())} cases; {counts}")
    for name in TALLY["with listed departures"]:
        terminalreporter.write_line(f"  with listed departures: {name}")
