"""A working folder with an initialised database, for the command tests."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from ..commands import run


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    result = run(tmp_path, "init")
    assert result.returncode == 0, result.stderr
    return tmp_path


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The bad-file corpus's totals (tests/cli/test_bad_files.py) as one JSON line, also without -s."""
    outcomes = [
        json.loads(value)
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for name, value in getattr(report, "user_properties", ())
        if name == "bad_file"
    ]
    if not outcomes:
        return
    formats = Counter(o["format"] for o in outcomes)
    summary = {
        "files": len(outcomes),
        "formats": dict(sorted(formats.items())),
        "tracebacks": sum(o["traceback"] for o in outcomes),
        "partial_writes": sum(o["partial_write"] for o in outcomes),
        "hangs": sum(o["hang"] for o in outcomes),
        "prefect_started": sum(o["prefect_started"] for o in outcomes),
        "max_seconds": max((o["seconds"] for o in outcomes if not o["hang"]), default=0),  # of those that answered
        "known_late_refusals": sum(o["known_late_refusal"] for o in outcomes),  # xfail: counted above as well
    }
    terminalreporter.write_line("bad files: " + json.dumps(summary))
