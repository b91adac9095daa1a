"""The intake flow as real Prefect flow runs against a real (test) Prefect server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client

from flows.intake import IntakeReport, intake_flow
from governance import adoption, inputs
from governance.authority import Actor
from governance.clock import FixedClock, SeededIds
from governance.errors import Problem
from governance.ledger import Ledger, verify
from governance.policy import load_policy
from governance.store import Store

from ..conftest import EXAMPLES, START
from .taskruns import task_runs


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'g.db'}")
    store.upgrade()
    adoption.adopt_policy(
        store, Ledger(FixedClock(START), SeededIds("flow")), load_policy("stage-gate"), Actor.of("ana")
    )
    return store


def _run(paths: list[str], store: Store, chunk_size: int) -> tuple[IntakeReport, Any]:
    state = intake_flow(paths, "submitter", store.url, chunk_size, return_state=True)
    assert state.is_completed(), state.message
    report = state.result()
    assert isinstance(report, IntakeReport)
    return report, state.state_details.flow_run_id


def _task_names(flow_run_id: Any) -> list[str]:
    """The run's task names once the server shows every task completed."""

    def all_completed(runs: list[Any]) -> bool:
        return {r.state.type.value for r in runs if r.state} == {"COMPLETED"}

    runs = task_runs(flow_run_id, all_completed)
    assert {r.state.type.value for r in runs if r.state} == {"COMPLETED"}
    return sorted(r.name.rsplit("-", 1)[0] for r in runs)


def _artifacts(report: IntakeReport, flow_run_id: Any) -> dict[str, Any]:
    """The run's artifacts as the server stores them, by key."""
    found = {}
    with get_client(sync_client=True) as client:
        for artifact_id in report.artifact_ids:
            data = client.request("GET", f"/artifacts/{artifact_id}").json()
            assert data["flow_run_id"] == str(flow_run_id)
            found[data["key"]] = data["data"]
    return found


def test_intake_flow_files_examples_a_task_per_chunk(sqlite_store: Store) -> None:
    report, run_id = _run([str(EXAMPLES / "proposals")], sqlite_store, chunk_size=10)
    assert report.problems == []
    assert report.chunks == 4
    assert [f.proposal_id for f in report.filings] == [f"P-2026-{n:04d}" for n in range(1, 33)]
    assert {f.action for f in report.filings} == {"filed"}
    assert sorted(f.reference for f in report.filings if f.state == "screened-out") == [
        "NW-LEGACY-SUNSET",
        "NW-SOLAR-DIVERT",
        "NW-VOICE-ASSIST",
    ]
    assert _task_names(run_id) == ["file-chunk"] * 4 + ["validate-submission"]
    artifacts = _artifacts(report, run_id)
    assert sorted(artifacts) == ["intake-filings", "intake-summary"]
    assert artifacts["intake-summary"] == (
        "# Intake\n\n32 proposal(s) in 4 chunk(s): 32 filed\n\n| state | count |\n|---|---|\n"
        "| screened | 29 |\n| screened-out | 3 |"
    )
    table = json.loads(artifacts["intake-filings"])
    assert len(table) == 32
    assert table[7] == {
        "id": "P-2026-0008",
        "reference": "NW-VOICE-ASSIST",
        "action": "filed",
        "state": "screened-out",
        "reasons": "A budget owner is named",
    }
    result = verify(sqlite_store)
    assert (result.ok, result.records) == (True, 1 + 2 * 32)

    # A second run is idempotent: one chunk task per chunk, nothing new in the ledger.
    again, _ = _run([str(EXAMPLES / "proposals")], sqlite_store, chunk_size=100)
    assert {f.action for f in again.filings} == {"unchanged"}
    assert verify(sqlite_store).records == 1 + 2 * 32


def test_intake_flow_refuses_a_bad_submission_whole(sqlite_store: Store, tmp_path: Path) -> None:
    # The files travel as the command sends them: stored in the database, gone from the disk.
    bad = tmp_path / "bad.yaml"
    bad.write_text("reference: NW-BAD\ntitle: [unclosed\n", encoding="utf-8")
    refs = inputs.stash(sqlite_store, inputs.read_here([EXAMPLES / "proposals", bad]))
    bad.unlink()
    report, run_id = _run(refs, sqlite_store, chunk_size=10)
    assert report.filings == []
    assert report.problems == [
        Problem(
            "bad.yaml",  # as the flow's host knows it: the name, not the submitter's folder
            "",
            "",
            "parse-error",
            "invalid YAML at line 3 column 1: did not find expected ',' or ']'",
        )
    ]
    assert _task_names(run_id) == ["validate-submission"]
    assert list(_artifacts(report, run_id)) == ["intake-summary"]
    assert verify(sqlite_store).records == 1
