"""The fuzz report: one JSON line per file format, printed at the end of the run (CI's log keeps it)."""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any

import pytest

# Inputs per format: 10,000 in CI (.ci/run sets it), a few hundred in a local loop.
EXAMPLES = int(os.environ.get("GOVERNANCE_FUZZ_EXAMPLES", "300"))

OUTCOMES: dict[str, Counter[str]] = {}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not OUTCOMES:
        return
    terminalreporter.section("file formats under generated input (hypothesis)")
    for name, counts in OUTCOMES.items():
        line = {"format": name, "inputs": sum(counts.values()), **dict(sorted(counts.items()))}
        terminalreporter.write_line(json.dumps(line))


@pytest.fixture(scope="session")
def outcomes() -> dict[str, Counter[str]]:
    return OUTCOMES
