"""`prefect deploy --all` from prefect.yaml against a real `prefect server start`, its schedule firing, and a
real `prefect worker start` running a deployment from stored inputs in an empty folder.

These are the two ways the pinned dependencies broke production (issue 10): fastapi 0.154 refused
the Prefect 3.8.8 client's `limit: null` (`prefect deploy --all` stopped after the first deployment
with a 422), and SQLAlchemy 2.1 made the server's scheduler fail every loop ("Can't evaluate bulk DML
statement"), so the quarterly schedule never created a run. Both are read back through the API.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from governance import adoption, inputs, intake, views
from governance.authority import Actor
from governance.clock import FixedClock, SeededIds
from governance.ledger import Ledger, verify
from governance.policy import load_policy
from governance.store import Store

from ..conftest import ROOT, START
from .servers import (
    PREFECT,
    deploy_all,
    post,
    prefect_server,
    quarterly_schedule,
    start,
    stop_group,
    stored_examples,
    wait,
)


@pytest.fixture
def real_server(tmp_path: Path, prefect_database: dict[str, str]) -> Iterator[tuple[str, dict[str, str]]]:
    """A real Prefect server on loopback (on PostgreSQL in CI); its API URL and a client's environment."""
    with prefect_server(tmp_path, "127.0.0.1", prefect_database) as server:
        yield server


FINISHED = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


@pytest.mark.prefect
def test_deploy_all_the_schedule_fires_and_a_worker_runs_stored_inputs(
    real_server: tuple[str, dict[str, str]], governance_url: str, tmp_path: Path
) -> None:
    api, env = real_server
    by_name = deploy_all(api, env, ROOT)
    assert sorted(by_name) == [
        "due-check",
        "gate-review",
        "intake",
        "intake-part",
        "ledger-events",
        "quarterly-review",
        "score",
    ]
    quarterly = by_name["quarterly-review"]
    assert [s["schedule"]["cron"] for s in quarterly["schedules"]] == ["0 6 20 1,4,7,10 *"]

    # The scheduler (every 2 s here) creates the quarterly review's next run (up to 100 days ahead).
    quarterly_schedule(api, quarterly["id"], tmp_path / "server.log")
    assert "bulk DML" not in (tmp_path / "server.log").read_text(encoding="utf-8", errors="replace")

    # A worker in an empty folder, with only its settings: the code comes from the installed package, the
    # files from the governance database (stored as `governance submit` stores them, then deleted here).
    store, refs = stored_examples(governance_url, tmp_path, "deploy")
    worker_dir = tmp_path / "worker"
    worker_dir.mkdir()
    worker_env = dict(env, GOVERNANCE_DATABASE_URL=governance_url, PREFECT_WORKER_QUERY_SECONDS="1")
    worker_args = [*PREFECT, "worker", "start", "--pool", "governance", "--name", "worker-a"]
    worker = start(worker_args, worker_env, tmp_path / "worker.log", worker_dir)
    try:
        intake_id = str(by_name["intake"]["id"])
        # Spread: three runs of the intake-part deployment read, validate and screen the files; this run files.
        filed = post(
            f"{api}/deployments/{intake_id}/create_flow_run",
            {"parameters": {"sources": refs, "actor": "jonas", "parts": 3}},
        )
        # The same deployment on a host whose GOVERNANCE_DATABASE_URL is empty: one clear error, nothing run.
        unset = post(
            f"{api}/deployments/{intake_id}/create_flow_run",
            {
                "parameters": {"sources": refs, "actor": "jonas"},
                "job_variables": {"env": {"GOVERNANCE_DATABASE_URL": ""}},
            },
        )
        assert isinstance(filed, dict) and isinstance(unset, dict)
        done, refused = wait(api, str(filed["id"]), FINISHED, 240), wait(api, str(unset["id"]), FINISHED, 240)
    finally:
        stop_group(worker, signal.SIGKILL)
    log = (tmp_path / "worker.log").read_text(encoding="utf-8", errors="replace")
    assert done["state_type"] == "COMPLETED", log[-3000:]
    assert refused["state_type"] == "FAILED", log[-3000:]
    assert "GOVERNANCE_DATABASE_URL is not set on the host running this flow" in str(refused["state"]["message"])
    assert os.listdir(worker_dir) == []  # nothing written to or needed in the worker's folder
    parts = post(
        f"{api}/flow_runs/filter",
        {"deployments": {"id": {"any_": [by_name["intake-part"]["id"]]}}, "sort": "NAME_ASC", "limit": 10},
    )
    assert [(p["name"], p["state_type"], len(p["parameters"]["sources"])) for p in parts] == [
        (f"{done['name']}-part-{n}", "COMPLETED", size) for n, size in ((1, 11), (2, 10), (3, 10))
    ]
    assert [s for p in parts for s in p["parameters"]["sources"]] == refs
    with store.read() as conn:
        listed = views.proposals(conn)
    # What one process files from the same files (the spread run's clock and ids are the system's).
    alone = Store(f"sqlite:///{tmp_path / 'alone.db'}")
    alone.upgrade()
    alone_ledger = Ledger(FixedClock(START), SeededIds("alone"))
    adoption.adopt_policy(alone, alone_ledger, load_policy("stage-gate"), Actor.of("ana"))
    candidates = intake.check_submission(alone, inputs.resolve(store, refs))
    intake.file_proposals(alone, alone_ledger, candidates, "jonas")
    with alone.read() as conn:
        expected = views.proposals(conn)
    alone.dispose()
    assert listed == expected
    assert [(p.id, p.state) for p in listed][:2] == [("P-2026-0001", "screened"), ("P-2026-0002", "screened")]
    assert len(listed) == 32
    report = verify(store)
    assert (report.ok, report.records, report.snapshots) == (True, 1 + 2 * 32, 32 + len(refs) + 3)  # + 3 parts
    store.dispose()
