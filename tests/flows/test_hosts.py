"""Across hosts: two `prefect worker start` processes, one in its own network namespace.

The Prefect server (on PostgreSQL) and the governance database (PostgreSQL) are reached only over a
veth link (no loopback), the workers share no folder with anyone, and every input travels through the
governance database. End to end: intake, scoring, gate reviews suspended and resumed through the REST
API, a quarterly review suspended and resumed, `governance verify`; both workers ran flow runs.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Connection, func, make_url, select

from bench import review as review_bench
from governance import adoption, inputs
from governance.authority import Actor
from governance.clock import FixedClock, SeededIds
from governance.ledger import Ledger, records_for, verify
from governance.policy import load_policy
from governance.projects import import_projects
from governance.store import Store
from models.tables import LedgerRow

from ..commands import run
from ..conftest import EXAMPLES, PG_URL, ROOT, START
from .servers import (
    PREFECT,
    deploy_all,
    flow_run,
    kill_tree,
    post,
    prefect_cli,
    prefect_server,
    start,
    stash_copy,
    stop_group,
    wait,
)

pytestmark = [pytest.mark.prefect, pytest.mark.postgres]

FINISHED = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


@dataclass(frozen=True)
class Link:
    namespace: str
    host: str  # this side of the veth pair
    far: str  # the namespace's side


@pytest.fixture
def link() -> Iterator[Link]:
    """A network namespace joined to this one by a veth pair: the far side sees only this link."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("a network namespace needs root and iproute2")
    n = os.getpid() % 200 + 20
    link = Link(f"govns{n}", f"10.231.{n}.1", f"10.231.{n}.2")
    here, there = f"vgov{n}a", f"vgov{n}b"
    commands = [
        ["ip", "netns", "add", link.namespace],
        ["ip", "link", "add", here, "type", "veth", "peer", "name", there],
        ["ip", "link", "set", there, "netns", link.namespace],
        ["ip", "addr", "add", f"{link.host}/24", "dev", here],
        ["ip", "link", "set", here, "up"],
        ["ip", "netns", "exec", link.namespace, "ip", "addr", "add", f"{link.far}/24", "dev", there],
        ["ip", "netns", "exec", link.namespace, "ip", "link", "set", there, "up"],
        ["ip", "netns", "exec", link.namespace, "ip", "link", "set", "lo", "up"],
    ]
    try:
        for command in commands:
            subprocess.run(command, check=True, capture_output=True, timeout=30)
        yield link
    finally:
        subprocess.run(["ip", "netns", "del", link.namespace], capture_output=True, timeout=30, check=False)
        subprocess.run(["ip", "link", "del", here], capture_output=True, timeout=30, check=False)


def _forward(listen_host: str, target: tuple[str, int]) -> tuple[int, threading.Event]:
    """A TCP forwarder on `listen_host` to `target` (PostgreSQL listens on loopback only here)."""
    server = socket.create_server((listen_host, 0))
    server.settimeout(0.5)
    stop = threading.Event()

    def pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def accept() -> None:
        while not stop.is_set():
            try:
                client, _ = server.accept()
            except TimeoutError:
                continue
            upstream = socket.create_connection(target)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=pump, args=(a, b), daemon=True).start()
        server.close()

    threading.Thread(target=accept, daemon=True).start()
    return int(server.getsockname()[1]), stop


def _worker(
    name: str, env: dict[str, str], folder: Path, namespace: str | None, queue: str = "default"
) -> subprocess.Popen[bytes]:
    # No --limit: Prefect 3.8.8's worker stopped ("this borrower is already holding one of this
    # CapacityLimiter's tokens") when it picked up a resumed run it had suspended moments before.
    folder.mkdir()
    prefix = ["ip", "netns", "exec", namespace] if namespace else []
    command = [*prefix, *PREFECT, "worker", "start", "--pool", "governance", "--name", name, "--work-queue", queue]
    return start(command, env, folder.parent / f"{name}.log", folder)


def _start(
    api: str, deployments: dict[str, str], name: str, parameters: dict[str, object], queue: str = "default"
) -> str:
    body = {"parameters": parameters, "work_queue_name": queue}
    return str(post(f"{api}/deployments/{deployments[name]}/create_flow_run", body)["id"])


def test_two_workers_one_in_its_own_network_namespace_run_the_whole_cycle(
    link: Link, prefect_database: dict[str, str], governance_url: str, tmp_path: Path
) -> None:
    if not PG_URL:
        pytest.skip("GOVERNANCE_TEST_POSTGRES_URL is not set")
    db_port, stop_forwarding = _forward(link.host, ("127.0.0.1", 5432))
    # The governance database as the workers reach it: over the link, through the forwarder.
    remote_url = make_url(governance_url).set(host=link.host, port=db_port).render_as_string(hide_password=False)
    with prefect_server(tmp_path, link.host, prefect_database) as (api, env):
        deployments = {name: str(d["id"]) for name, d in deploy_all(api, env, ROOT).items()}
        # A queue for the namespace's worker, so that each worker is sure to run some of the runs.
        prefect_cli(["work-queue", "create", "netns", "--pool", "governance"], env)

        store = Store(governance_url)
        store.upgrade()
        ledger = Ledger(FixedClock(START), SeededIds("hosts"))
        adoption.adopt_policy(store, ledger, load_policy("stage-gate"), Actor.of("ana"))
        # The workers' clock is the test's, so that the board's meeting date (that day) is not before the
        # recommendations and reviews it decides on.
        worker_env = dict(
            env,
            GOVERNANCE_DATABASE_URL=remote_url,
            GOVERNANCE_CLOCK_START=START.isoformat(),
            PREFECT_WORKER_QUERY_SECONDS="1",
        )
        workers = {
            "host-a": _worker("host-a", worker_env, tmp_path / "host-a", None),
            "netns-b": _worker("netns-b", worker_env, tmp_path / "netns-b", link.namespace, "netns"),
        }
        try:
            filings: dict[str, str] = {}
            for name, folder, actor, queue_name in (
                ("intake", "proposals", "jonas", "default"),
                ("score", "assessments", "pmo", "netns"),
            ):
                sources = stash_copy(store, EXAMPLES / folder, tmp_path)
                filings[name] = _start(api, deployments, name, {"sources": sources, "actor": actor}, queue_name)
                assert wait(api, filings[name], FINISHED, 240)["state_type"] == "COMPLETED"

            # Four gate reviews at once: each suspends (no process kept), then the chair answers through the API.
            gated = {
                pid: _start(api, deployments, "gate-review", {"proposal_id": pid, "actor": "secretary"}, queue_name)
                for pid, queue_name in (
                    ("P-2026-0001", "default"),
                    ("P-2026-0002", "netns"),
                    ("P-2026-0003", "default"),
                    ("P-2026-0004", "netns"),
                )
            }
            for run_id in gated.values():
                wait(api, run_id, {"Suspended"}, 240)
            answer = {
                "outcome": "hold",
                "rationale": "Wait for the next budget round",
                "decided_by": "ana",
                "meeting_date": "2026-11-23",
                "votes": "ana=hold, raj=hold, lee=hold",
                "conditions": "",
                "conflicts": "",
            }
            for run_id in gated.values():
                post(f"{api}/flow_runs/{run_id}/resume", {"run_input": answer})
            for run_id in gated.values():
                assert wait(api, run_id, FINISHED, 240)["state_type"] == "COMPLETED"

            # The quarterly review of the running projects: suspended, then confirmed through the API.
            import_projects(store, ledger, [EXAMPLES / "projects"], "pmo")
            reports = stash_copy(store, EXAMPLES / "status" / "2026Q3", tmp_path)
            review = _start(
                api,
                deployments,
                "quarterly-review",
                {"quarter": "2026Q3", "reports": reports, "actor": "scheduler", "chunk_size": 3},
                "netns",
            )
            wait(api, review, {"Suspended"}, 300)
            assert _confirm(api, review, "2026-11-23")["state_type"] == "COMPLETED"
        finally:
            for worker in workers.values():
                stop_group(worker, signal.SIGKILL)
            stop_forwarding.set()

    logs = {name: (tmp_path / f"{name}.log").read_text(errors="replace") for name in workers}
    ran = {
        name: set(re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", log))
        for name, log in logs.items()
    }
    all_runs = {*filings.values(), review, *gated.values()}
    assert ran["host-a"] & all_runs == {filings["intake"], gated["P-2026-0001"], gated["P-2026-0003"]}, logs
    assert ran["netns-b"] & all_runs == {filings["score"], gated["P-2026-0002"], gated["P-2026-0004"], review}
    assert os.listdir(tmp_path / "host-a") == [] and os.listdir(tmp_path / "netns-b") == []

    with store.read() as conn:
        decided = [records_for(conn, pid)[-1] for pid in gated]
        confirmed = records_for(conn, "Q-2026Q3")
    store.dispose()
    assert [(r.kind, r.outcome, r.recorded_by) for r in decided] == [("decided", "hold", "ana")] * 4
    assert [r.kind for r in confirmed] == ["selected", "review-proposed", "review-confirmed"]
    verified = run(tmp_path, "verify", env={"GOVERNANCE_DATABASE_URL": governance_url})
    assert (verified.returncode, verified.stderr) == (0, ""), verified.stdout
    assert verified.stdout.startswith("Ledger verified: ")


def _confirm(api: str, review: str, meeting_date: str) -> dict[str, object]:
    """The board accepts a suspended review through the API, as the UI's Resume form sends it; the finished run."""
    answer = {
        "decided_by": "ana",
        "meeting_date": meeting_date,
        "rationale": "Accepted.",
        "overrides": "",
        "votes": "ana=accept\nraj=accept\nmia=accept",
    }
    post(f"{api}/flow_runs/{review}/resume", {"run_input": answer})
    return wait(api, review, FINISHED, 600)


def _task_runs(api: str, run_id: str) -> list[dict[str, object]]:
    found = post(f"{api}/task_runs/filter", {"flow_runs": {"id": {"any_": [run_id]}}, "limit": 200})
    assert isinstance(found, list)
    return found


def test_a_worker_killed_mid_review_hands_the_run_to_the_other(
    link: Link, prefect_database: dict[str, str], governance_url: str, tmp_path: Path
) -> None:
    """2,000 projects: the host running the review dies with -9 (the worker and its flow process), the
    run is scheduled again when its heartbeats stop (deploy/lost-runs.yaml), the worker in the other
    namespace finishes it, and the board confirms it: nothing recorded twice, nothing lost."""
    if not PG_URL:
        pytest.skip("GOVERNANCE_TEST_POSTGRES_URL is not set")
    data = tmp_path / "data"
    data.mkdir()
    reports_csv = review_bench.prepare(data, 2000, 7, governance_url)
    store = Store(governance_url)
    reports = inputs.stash(store, inputs.read_here([reports_csv]))
    shutil.rmtree(data)
    db_port, stop_forwarding = _forward(link.host, ("127.0.0.1", 5432))
    remote_url = make_url(governance_url).set(host=link.host, port=db_port).render_as_string(hide_password=False)
    with prefect_server(tmp_path, link.host, prefect_database) as (api, env):
        automation = yaml.safe_load((ROOT / "deploy" / "lost-runs.yaml").read_text())
        automation["trigger"]["within"] = 45  # 100 in the recipe; shorter here, with heartbeats every 30 s
        post(f"{api}/automations/", automation)
        deployments = {name: str(d["id"]) for name, d in deploy_all(api, env, ROOT).items()}
        worker_env = dict(
            env,
            GOVERNANCE_DATABASE_URL=remote_url,
            GOVERNANCE_CLOCK_START=review_bench.CLOCK_START,
            GOVERNANCE_ID_SEED="hosts-review",
            PREFECT_WORKER_QUERY_SECONDS="1",
            PREFECT_FLOWS_HEARTBEAT_FREQUENCY="30",
        )
        first = _worker("host-a", worker_env, tmp_path / "host-a", None)
        second = None
        try:
            review = _start(
                api,
                deployments,
                "quarterly-review",
                {"quarter": review_bench.QUARTER, "reports": reports, "actor": "scheduler", "chunk_size": 200},
            )
            # Mid-review: some chunks of status reports filed, then the host goes.
            deadline = time.monotonic() + 300
            while sum(1 for t in _task_runs(api, review) if t["state_type"] == "COMPLETED") < 3:
                assert time.monotonic() < deadline, "the review made no progress"
                assert flow_run(api, review)["state_type"] in ("SCHEDULED", "PENDING", "RUNNING")
                time.sleep(0.5)
            kill_tree(first)  # the worker and the flow run's process (its own session): the host is gone
            with store.read() as conn:
                filed_before = _count(conn, "status-reported")
            assert 0 < filed_before < 1950
            second = _worker("netns-b", worker_env, tmp_path / "netns-b", link.namespace)
            suspended = wait(api, review, {"Suspended"}, 600)
            assert suspended["run_count"] == 2
            assert _confirm(api, review, "2027-01-10")["state_type"] == "COMPLETED"
        finally:
            for worker in (first, second):
                if worker is not None:
                    stop_group(worker, signal.SIGKILL)
            stop_forwarding.set()
    logs = {name: (tmp_path / f"{name}.log").read_text(errors="replace") for name in ("host-a", "netns-b")}
    assert review in logs["host-a"] and review in logs["netns-b"], logs
    with store.read() as conn:
        counts = {
            kind: _count(conn, kind) for kind in ("status-reported", "review-proposed", "review-confirmed", "reviewed")
        }
    assert counts == {"status-reported": 1950, "review-proposed": 1, "review-confirmed": 1, "reviewed": 2000}
    report = verify(store)
    store.dispose()
    assert report.ok, report.problems


def _count(conn: Connection, kind: str) -> int:
    return int(conn.scalar(select(func.count()).select_from(LedgerRow).where(LedgerRow.kind == kind)) or 0)
