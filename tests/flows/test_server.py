"""`governance server start | status | stop` against a real `prefect server start` on loopback."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ..commands import run
from ..conftest import EXAMPLES
from .servers import alive, free_port, post, wait


@pytest.mark.prefect
def test_local_server_serves_commands_and_deployments(tmp_path: Path) -> None:
    port = free_port()
    env = {"GOVERNANCE_HOME": str(tmp_path / ".governance")}
    assert run(tmp_path, "init", env=env).returncode == 0
    assert run(tmp_path, "server", "status", env=env).stdout.startswith("No local server")
    started = run(tmp_path, "server", "start", "--port", str(port), env=env)
    api = f"http://127.0.0.1:{port}/api"
    try:
        assert (started.returncode, started.stderr) == (0, "")
        assert started.stdout.startswith(f"Prefect server running: API {api}, UI http://127.0.0.1:{port} (runner pid ")
        assert run(tmp_path, "server", "status", env=env).stdout.startswith(f"Local server running: API {api}")

        # Commands now use the server: the runner's gateway runs the intake flow (the CLI never imports
        # Prefect), and the flow run is recorded on the server like any other.
        state = json.loads((tmp_path / ".governance" / "server.json").read_text())
        assert (tmp_path / ".governance" / "server.json").stat().st_mode & 0o777 == 0o600
        assert state["gateway_url"].startswith("http://127.0.0.1:") and len(state["gateway_token"]) >= 40
        (tmp_path / "one.yaml").write_text((EXAMPLES / "proposals" / "10-cloud-iot-core-platform.yaml").read_text())
        filed = run(tmp_path, "submit", "one.yaml", env=env)  # a relative path: the gateway runs in our folder
        assert (filed.returncode, filed.stderr, filed.stdout.splitlines()[-1]) == (0, "", "Filed P-2026-0001")
        runs = post(f"{api}/flow_runs/filter", {"limit": 10, "offset": 0, "sort": "EXPECTED_START_TIME_DESC"})
        assert isinstance(runs, list)
        assert [(r["state_type"], r["parameters"].get("actor")) for r in runs] == [
            ("COMPLETED", "ana"),  # the intake run
            ("COMPLETED", None),  # the runner's warm-up at start
        ]
        assert runs[0]["parameters"]["database_url"] is None  # the runner serves its own database
        # A request without the token is refused.
        with pytest.raises(urllib.error.HTTPError) as refused:
            post(f"{state['gateway_url']}/flows/intake", {"args": [], "cwd": str(tmp_path)})
        assert refused.value.code == 403

        # The runner serves the intake deployment: a run triggered through the API completes.
        deployments = post(f"{api}/deployments/filter", {"limit": 10, "offset": 0})
        assert isinstance(deployments, list)
        names = ["gate-review", "intake", "intake-part", "quarterly-review", "score"]
        assert sorted(d["name"] for d in deployments) == names
        intake_id = next(d["id"] for d in deployments if d["name"] == "intake")
        created = post(
            f"{api}/deployments/{intake_id}/create_flow_run",
            {
                "parameters": {
                    "sources": [str(EXAMPLES / "proposals" / "11-matter-thread-stack.yaml")],
                    "actor": "runner",
                }
            },
        )
        assert isinstance(created, dict)
        state = ""
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and state not in ("COMPLETED", "FAILED", "CRASHED"):
            time.sleep(1)
            with urllib.request.urlopen(f"{api}/flow_runs/{created['id']}", timeout=10) as response:
                state = json.loads(response.read())["state_type"]
        assert state == "COMPLETED"
        listing = json.loads(run(tmp_path, "list", "--json", env=env).stdout)
        assert [(p["id"], p["reference"]) for p in listing] == [
            ("P-2026-0001", "NW-CLOUD-CORE"),
            ("P-2026-0002", "NW-MATTER-STACK"),
        ]
    finally:
        stopped = run(tmp_path, "server", "stop", env=env)
    assert stopped.stdout == "Stopped the local Prefect server and its runner.\n"
    assert run(tmp_path, "server", "status", env=env).stdout.startswith("No local server")


@pytest.mark.prefect
def test_gate_review_suspends_and_the_board_answers_through_the_api(tmp_path: Path) -> None:
    """The server path: suspend with a RunInput, resume through the Prefect client, same payload as the CLI."""
    from prefect.flow_runs import resume_flow_run
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from governance import adoption, gates, intake
    from governance.assessments import read_assessments
    from governance.clock import FixedClock, SeededIds
    from governance.ledger import Ledger, records_for
    from governance.store import Store
    from models.records import ReviewedPayload

    from ..commands import assessment_csv, decide_conditional_go
    from ..conftest import START

    port = free_port()
    env = {"GOVERNANCE_HOME": str(tmp_path / ".governance")}
    proposal_file = str(EXAMPLES / "proposals" / "10-cloud-iot-core-platform.yaml")
    assessments = assessment_csv(tmp_path / "a.csv", "NW-CLOUD-CORE", (6, 5))
    assert run(tmp_path, "init", env=env).returncode == 0
    started = run(tmp_path, "server", "start", "--port", str(port), env=env)
    api = f"http://127.0.0.1:{port}/api"
    try:
        assert started.returncode == 0, started.stderr
        assert run(tmp_path, "submit", proposal_file, env=env).returncode == 0
        assert run(tmp_path, "score", str(assessments), env=env).returncode == 0
        gated = run(tmp_path, "gate", "P-2026-0001", env=env)
        assert gated.returncode == 0, gated.stderr
        assert gated.stdout.splitlines()[0] == (
            f"Gate review of P-2026-0001 started on {api}: the board answers in the Prefect UI"
        )
        run_id = gated.stdout.split("/runs/flow-run/")[1].split()[0]
        suspended = wait(api, run_id, {"Suspended"})
        # The same command again (or a second chair at once) finds the open run instead of starting another.
        again = run(tmp_path, "gate", "P-2026-0001", env=env)
        assert again.stdout.splitlines() == [
            f"Gate review of P-2026-0001 already open on {api}: the board answers in the Prefect UI",
            gated.stdout.splitlines()[1],
        ]
        assert suspended["state"]["type"] == "PAUSED"  # type: ignore[index]
        # What anyone who reads the Prefect UI or API sees: no database URL (the runner has its own).
        assert suspended["parameters"] == {"proposal_id": "P-2026-0001", "actor": "ana"}
        # An answer the votes do not support is refused, nothing is recorded, and the run asks again.
        wrong = {
            "outcome": "go",
            "rationale": "x",
            "decided_by": "ana",
            "meeting_date": "2026-11-23",
            "votes": "ana=go, raj=hold, lee=hold",
            "conditions": "",
            "conflicts": "",
        }
        with temporary_settings({PREFECT_API_URL: api}):
            resume_flow_run(run_id, run_input=wrong)
        first_state = suspended["state"]["id"]  # type: ignore[index]
        deadline = time.monotonic() + 90
        while True:
            again = wait(api, run_id, {"Suspended"})
            if again["state"]["id"] != first_state:  # type: ignore[index]
                break
            assert time.monotonic() < deadline, "the run did not ask again after a refused answer"
            time.sleep(1)
        answer = {
            "outcome": "conditional-go",
            "rationale": "Needs a second supplier",
            "decided_by": "ana",
            "meeting_date": "2026-11-23",
            "votes": "ana=conditional-go, raj=conditional-go, lee=hold",
            "conditions": "supplier audit by 2027-01-15, owner: Tom Becker",
            "conflicts": "",
        }
        with temporary_settings({PREFECT_API_URL: api}):
            resume_flow_run(run_id, run_input=answer)
        done = wait(api, run_id, {"COMPLETED", "FAILED", "CRASHED"})
        assert done["state"]["type"] == "COMPLETED", done["state"]  # type: ignore[index]

        # The quarterly review takes the same path: the deployment suspends, the board answers once.
        assert run(tmp_path, "import", "projects", str(EXAMPLES / "projects"), env=env).returncode == 0
        reviewed = run(
            tmp_path, "review", "--quarter", "2026Q3", "--reports", str(EXAMPLES / "status" / "2026Q3"), env=env
        )
        assert reviewed.returncode == 0, reviewed.stderr
        assert (
            reviewed.stdout.splitlines()[0] == f"Quarterly review started on {api}: the board answers in the Prefect UI"
        )
        review_id = reviewed.stdout.split("/runs/flow-run/")[1].split()[0]
        wait(api, review_id, {"Suspended"})
        # One open review per quarter: the same reports find it; other reports cannot change it.
        same = run(tmp_path, "review", "--quarter", "2026Q3", "--reports", str(EXAMPLES / "status" / "2026Q3"), env=env)
        assert (
            same.stdout.splitlines()[0]
            == f"Quarterly review already open on {api}: the board answers in the Prefect UI"
        )
        assert review_id in same.stdout
        other_reports = run(tmp_path, "review", "--quarter", "2026Q3", env=env)
        assert (other_reports.returncode, other_reports.stdout) == (1, "")
        assert other_reports.stderr == (
            f"error[conflict]: quarterly-review run {review_id} with other parameters is still open (Suspended): "
            "answer or cancel it in the Prefect UI first\n"
        )
        confirmation = {
            "decided_by": "ana",
            "meeting_date": "2026-11-23",
            "rationale": "Accepted, with one change.",
            "overrides": "P-2026-0003 = pause: wait for the pricing offer",
            "votes": "ana=accept\nraj=accept\nmia=accept",
        }
        with temporary_settings({PREFECT_API_URL: api}):
            resume_flow_run(review_id, run_input=confirmation)
        finished = wait(api, review_id, {"COMPLETED", "FAILED", "CRASHED"})
        assert finished["state"]["type"] == "COMPLETED", finished["state"]  # type: ignore[index]
    finally:
        run(tmp_path, "server", "stop", env=env)

    review_store = Store(f"sqlite:///{tmp_path / 'governance.db'}")
    with review_store.read() as conn:
        confirmed = records_for(conn, "Q-2026Q3")
        overridden = records_for(conn, "P-2026-0003")[-1]
    review_store.dispose()
    assert [r.kind for r in confirmed] == ["selected", "review-proposed", "review-confirmed"]
    assert (overridden.kind, overridden.outcome, overridden.body_as(ReviewedPayload).rationale) == (
        "reviewed",
        "pause",
        "wait for the pricing offer",
    )

    server_store = Store(f"sqlite:///{tmp_path / 'governance.db'}")
    with server_store.read() as conn:
        server_history = records_for(conn, "P-2026-0001")
    server_store.dispose()
    assert [(r.kind, r.outcome) for r in server_history] == [
        ("filed", None),
        ("screened", "pass"),
        ("scored", "56.49"),
        ("recommended", "conditional-go"),
        ("decided", "conditional-go"),
    ]

    # The embedded path on a second database with the same history: `governance decide` on the CLI.
    other = tmp_path / "cli"
    other.mkdir()
    assert run(other, "init").returncode == 0
    store = Store(f"sqlite:///{other / 'governance.db'}")
    ledger = Ledger(FixedClock(START), SeededIds("cli"))
    with store.read() as conn:
        policy = adoption.current_policy(conn).policy
    intake.file_proposals(store, ledger, intake.validate_submission([proposal_file], policy, {}), "tester")
    gates.record_scores(store, ledger, read_assessments([assessments]), "tester")
    gates.record_recommendation(store, ledger, "P-2026-0001", "tester")
    decided = decide_conditional_go(other, due="2027-01-15")
    assert decided.returncode == 0, decided.stderr
    with store.read() as conn:
        cli_history = records_for(conn, "P-2026-0001")
    store.dispose()
    assert cli_history[-1].kind == "decided"
    assert cli_history[-1].payload_text == server_history[-1].payload_text
    assert cli_history[-1].inputs == server_history[-1].inputs


def test_gate_on_a_server_without_the_deployment_is_one_clear_error(tmp_path: Path) -> None:
    from prefect.settings import PREFECT_API_URL

    from governance import adoption, gates, intake
    from governance.assessments import read_assessments
    from governance.clock import FixedClock, SeededIds
    from governance.ledger import Ledger
    from governance.store import Store

    from ..commands import assessment_csv
    from ..conftest import START

    assert run(tmp_path, "init").returncode == 0
    store = Store(f"sqlite:///{tmp_path / 'governance.db'}")
    with store.read() as conn:
        policy = adoption.current_policy(conn).policy
    proposal_file = str(EXAMPLES / "proposals" / "10-cloud-iot-core-platform.yaml")
    ledger = Ledger(FixedClock(START), SeededIds("t"))
    intake.file_proposals(store, ledger, intake.validate_submission([proposal_file], policy, {}), "t")
    api = str(PREFECT_API_URL.value())  # the session's test server: it has no deployments
    # Not scored yet: refused before any run is started.
    unscored = run(tmp_path, "gate", "P-2026-0001", env={"PREFECT_API_URL": api})
    assert (unscored.returncode, unscored.stderr) == (
        1,
        "error[invalid-transition]: P-2026-0001 is screened: a 'recommended' record is not allowed now\n",
    )
    gates.record_scores(
        store, ledger, read_assessments([assessment_csv(tmp_path / "a.csv", "NW-CLOUD-CORE", (6, 5))]), "t"
    )
    store.dispose()
    missing = [
        f"error[config-invalid]: {api} has no gate-review deployment: use `governance server start`, or deploy "
        "prefect.yaml and start a worker"
    ]
    for args in (("gate", "P-2026-0001"), ("gate", "--all")):  # --all: a gate-review run per proposal
        result = run(tmp_path, *args, env={"PREFECT_API_URL": api})
        assert (result.returncode, result.stderr.splitlines()) == (1, missing)


@pytest.mark.prefect
def test_the_ui_follows_the_port_and_a_killed_server_takes_its_runner_with_it(tmp_path: Path) -> None:
    port = free_port()
    env = {"GOVERNANCE_HOME": str(tmp_path / ".governance")}
    api = f"http://127.0.0.1:{port}/api"
    assert run(tmp_path, "init", env=env).returncode == 0
    started = run(tmp_path, "server", "start", "--port", str(port), env=env)
    try:
        assert (started.returncode, started.stderr) == (0, "")
        # The UI reads its API's address from the server: the port given, not Prefect's default 4200.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ui-settings", timeout=10) as response:
            assert json.loads(response.read())["api_url"] == api
        state = json.loads((tmp_path / ".governance" / "server.json").read_text())
        server_pid, runner_pid = state["server_pid"], state["runner_pid"]
        os.killpg(server_pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while alive(server_pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        embedded = "commands use Prefect's embedded server (about 10 s to start per command)"
        assert run(tmp_path, "server", "status", env=env).stdout == (
            f"The local server at {api} does not answer, but its runner (pid {runner_pid}) still runs (it stops "
            f"by itself within a minute); {embedded}. `governance server stop` ends it now.\n"
        )
        deadline = time.monotonic() + 90
        while alive(runner_pid) and time.monotonic() < deadline:
            time.sleep(1)
        assert not alive(runner_pid), "the runner outlived its server"
        assert run(tmp_path, "server", "status", env=env).stdout == (
            f"The local server at {api} stopped; {embedded}. `governance server stop` clears its state.\n"
        )
    finally:
        run(tmp_path, "server", "stop", env=env)
    assert run(tmp_path, "server", "status", env=env).stdout.startswith("No local server")
