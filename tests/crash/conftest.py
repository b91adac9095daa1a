"""The prepared folders the kill -9 trials copy, one Prefect server for the module, and the report lines.

Each template is a folder as a user leaves it (the governance database, the policy, `.governance`):
- `fresh`: `init`; `submitted`: + `submit` of the example proposals; `scored`: + `score` of the assessments;
- `gated`: + `gate P-2026-0001` on the embedded server (its warm Prefect home kept); `gate_ready`: `scored`
  with that warm home (a first embedded run takes 18 s or more to make Prefect's database);
- `imported`: `fresh` + `import projects` (+ the warm home); `reviewed`: + `review`, `decide --quarter`
  and `keys init` (packs are signed).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..commands import run
from ..conftest import EXAMPLES
from ..flows.servers import prefect_server

REPORTS: list[str] = []  # one JSON line per command, printed at the end of the run

PROPOSALS = str(EXAMPLES / "proposals")
ASSESSMENTS = str(EXAMPLES / "assessments")
Q3 = str(EXAMPLES / "status" / "2026Q3")
SUBMIT_CHUNKS = {"GOVERNANCE_CHUNK_SIZE": "4"}  # eight intake chunks: more moments between two commits
REVIEW_CHUNKS = {"GOVERNANCE_CHUNK_SIZE": "3"}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The trials' figures, whatever the capture mode (CI's output shows them)."""
    if REPORTS:
        terminalreporter.section("kill -9 trials")
        for line in REPORTS:
            terminalreporter.write_line(line)


def _derive(source: Path, target: Path, *steps: tuple[tuple[str, ...], dict[str, str]]) -> Path:
    shutil.copytree(source, target)
    for args, env in steps:
        done = run(target, *args, env=env)
        assert done.returncode == 0, f"{args}: {done.stdout}{done.stderr}"
    return target


@pytest.fixture(scope="module")
def crash_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("crash")


@pytest.fixture(scope="module")
def prefect_api(crash_root: Path) -> Iterator[str]:
    """One `prefect server start` for the module: `submit` and `score` run their flows in their own
    process against it (PREFECT_API_URL), 4-6 s instead of 12-18 s with an embedded server each."""
    folder = crash_root / "prefect-server"
    folder.mkdir()
    with prefect_server(folder, "127.0.0.1", {}) as (api, _):
        yield api


@pytest.fixture(scope="module")
def fresh(crash_root: Path) -> Path:
    folder = crash_root / "fresh"
    folder.mkdir()
    assert run(folder, "init").returncode == 0
    return folder


@pytest.fixture(scope="module")
def submitted(fresh: Path, crash_root: Path, prefect_api: str) -> Path:
    return _derive(fresh, crash_root / "submitted", (("submit", PROPOSALS), {"PREFECT_API_URL": prefect_api}))


@pytest.fixture(scope="module")
def scored(submitted: Path, crash_root: Path, prefect_api: str) -> Path:
    return _derive(submitted, crash_root / "scored", (("score", ASSESSMENTS), {"PREFECT_API_URL": prefect_api}))


@pytest.fixture(scope="module")
def gated(scored: Path, crash_root: Path) -> Path:
    return _derive(scored, crash_root / "gated", (("gate", "P-2026-0001"), {}))


@pytest.fixture(scope="module")
def gate_ready(scored: Path, gated: Path, crash_root: Path) -> Path:
    folder = _derive(scored, crash_root / "gate-ready")
    shutil.copytree(gated / ".governance", folder / ".governance", dirs_exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def imported(fresh: Path, gated: Path, crash_root: Path) -> Path:
    folder = _derive(fresh, crash_root / "imported", (("import", "projects", str(EXAMPLES / "projects")), {}))
    shutil.copytree(gated / ".governance", folder / ".governance", dirs_exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def reviewed(imported: Path, crash_root: Path) -> Path:
    votes = ("--vote", "ana=accept", "--vote", "raj=accept", "--vote", "mia=accept")
    return _derive(
        imported,
        crash_root / "reviewed",
        (("review", "--quarter", "2026Q3", "--reports", Q3), REVIEW_CHUNKS),
        (("decide", "--quarter", "2026Q3", "--by", "ana", "--rationale", "Accepted as recommended.", *votes), {}),
        (("keys", "init", "--organisation", "Nordwind GmbH"), {}),
    )
