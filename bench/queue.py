"""`python -m bench.queue [--rounds N]`: what Prefect's queue costs per flow run and per task (issue 10).

A real `prefect server start` on its own PostgreSQL database (asyncpg; BENCH_POSTGRES_URL, default the
local test database's server), the process work pool and deployments from prefect.yaml, and one
`prefect worker start` on this host. The work is the intake deployment's, on stored inputs, each run into
a fresh SQLite governance database named in the run's job variables:
- per run: one proposal filed by a deployment run, from the run's creation to COMPLETED, beside its floor:
  the same flow called in this process against the same server (no queue, no worker, no new process);
- per task: 500 proposals filed by a deployment run with chunk_size 10 (51 tasks) and with chunk_size 500
  (2 tasks); (t10 - t500) / 49 is what one more task costs through the queue.
Rounds interleave the variants; each figure is the median with its spread (min, max). Prints one JSON
document on stdout, progress on stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, make_url, text

from bench.common import ROOT, _free_port, _healthy, _stop, clean_env, fresh_database, log, spawn
from bench.data import write_csv_batch, write_one_yaml
from flows.runtime import QUIET
from governance import inputs
from governance.store import Store

__all__ = ["deployed_server", "deployment_run", "queue_figures"]

PREFECT = [sys.executable, "-m", "prefect"]
FINISHED = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def _post(url: str, body: dict[str, Any] | None) -> Any:
    """POST JSON (GET with `body` None); a 503 or 429 (a server on SQLite answers 503 while its database is
    locked) is tried again, as Prefect's own client does, up to five times."""
    headers = {"Content-Type": "application/json"}
    for attempt in range(6):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - loopback
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            if error.code not in (429, 503) or attempt == 5:
                raise
            time.sleep(0.5 * (attempt + 1))
    raise AssertionError("unreachable")


def _get(url: str) -> Any:
    return _post(url, None)


@contextmanager
def _prefect_database(admin_url: str) -> Iterator[str]:
    name = f"prefect_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(admin_url).set(drivername="postgresql+asyncpg", database=name).render_as_string(False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@contextmanager
def _process(args: list[str], env: dict[str, str], log_path: Path, cwd: Path) -> Iterator[subprocess.Popen[bytes]]:
    process = spawn(args, env, log_path, cwd)
    try:
        yield process
    finally:
        _stop(process)


def _stored(folder: Path, files: list[Path]) -> tuple[str, list[str]]:
    """A fresh governance database (policy adopted) holding `files` as stored inputs; its URL and their refs."""
    url = fresh_database(folder / f"g-{uuid.uuid4().hex[:8]}.db")
    store = Store(url)
    try:
        return url, inputs.stash(store, inputs.read_here(files))
    finally:
        store.dispose()


def deployment_run(
    api: str, deployment: str, parameters: dict[str, Any], env: dict[str, str] | None = None
) -> tuple[float, dict[str, float]]:
    """Seconds from a deployment run's creation to COMPLETED, and where they went by the run's states:
    `waiting` (SCHEDULED until a worker or runner took it), `starting` (PENDING: a new process, its
    imports, until the flow runs), `running` (RUNNING to COMPLETED)."""
    start = time.perf_counter()
    body: dict[str, Any] = {"parameters": parameters}
    if env is not None:
        body["job_variables"] = {"env": env}
    run_id = _post(f"{api}/deployments/{deployment}/create_flow_run", body)["id"]
    while True:
        state = _get(f"{api}/flow_runs/{run_id}")["state_type"]
        if state in FINISHED:
            break
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    if state != "COMPLETED":
        raise RuntimeError(f"flow run {run_id} ended {state}")
    states = sorted(_get(f"{api}/flow_run_states/?flow_run_id={run_id}"), key=lambda x: x["timestamp"])
    at: dict[str, float] = {}
    for item in states:
        at.setdefault(item["type"], dt.datetime.fromisoformat(item["timestamp"]).timestamp())
    phases = {
        "waiting": at["PENDING"] - at["SCHEDULED"],
        "starting": at["RUNNING"] - at["PENDING"],
        "running": at["COMPLETED"] - at["RUNNING"],
    }
    return seconds, phases


def _deployment_run(api: str, deployment: str, url: str, refs: list[str], chunk: int) -> float:
    """Seconds from the run's creation to COMPLETED, through the worker."""
    parameters = {"sources": refs, "actor": "bench", "chunk_size": chunk}
    return deployment_run(api, deployment, parameters, {"GOVERNANCE_DATABASE_URL": url})[0]


def _in_process(url: str, refs: list[str], chunk: int) -> float:
    from flows.intake import intake_flow

    start = time.perf_counter()
    report = intake_flow(refs, "bench", url, chunk)
    seconds = time.perf_counter() - start
    if report.problems or not report.filings:
        raise RuntimeError(f"the in-process intake did not file: {report.problems[:3]}")
    return seconds


def _spread(values: list[float]) -> dict[str, Any]:
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3), "max": round(max(values), 3)}


@contextmanager
def deployed_server(tmp: Path, admin_url: str) -> Iterator[tuple[str, dict[str, str], dict[str, str]]]:
    """A `prefect server start` on its own PostgreSQL database, the process work pool and prefect.yaml's
    deployments: its API URL, a client's environment and the deployments' ids by name."""
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = clean_env({"PREFECT_HOME": str(tmp / "prefect-home"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"})
    env.update(DO_NOT_TRACK="1", PREFECT_LOGGING_LEVEL="WARNING")
    with _prefect_database(admin_url) as prefect_db:
        server_args = [*PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)]
        server_env = dict(env, PREFECT_API_DATABASE_CONNECTION_URL=prefect_db)
        with _process(server_args, server_env, tmp / "server.log", tmp) as server:
            while not _healthy(api):
                if server.poll() is not None:
                    raise RuntimeError("the Prefect server exited: " + (tmp / "server.log").read_text()[-2000:])
                time.sleep(0.25)
            client_env = dict(env, PREFECT_API_URL=api)
            for command in (
                [*PREFECT, "work-pool", "create", "governance", "--type", "process"],
                [*PREFECT, "--no-prompt", "deploy", "--all"],
            ):
                done = subprocess.run(command, cwd=ROOT, env=client_env, capture_output=True, text=True, check=False)
                if done.returncode:
                    raise RuntimeError(done.stdout + done.stderr)
            deployments = {d["name"]: d["id"] for d in _post(f"{api}/deployments/filter", {"limit": 50})}
            yield api, client_env, deployments


def queue_figures(tmp: Path, rounds: int, admin_url: str) -> dict[str, Any]:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "one").mkdir()
    one = write_one_yaml(tmp / "one" / "one.yaml", 7)
    batch = write_csv_batch(tmp / "batch", 500, 1, 7)
    with deployed_server(tmp, admin_url) as (api, client_env, deployments):
        worker_dir = tmp / "worker"
        worker_dir.mkdir()
        worker_env = dict(client_env, PREFECT_WORKER_QUERY_SECONDS="1")
        worker_args = [*PREFECT, "worker", "start", "--pool", "governance", "--name", "bench"]
        os.environ.update(QUIET, PREFECT_API_URL=api)  # the floor's flow calls talk to the same server
        with _process(worker_args, worker_env, tmp / "worker.log", worker_dir):
            _deployment_run(api, deployments["intake"], *_stored(tmp, [one]), 500)  # warm-up
            figures: dict[str, list[float]] = {"run": [], "floor": [], "chunk10": [], "chunk500": []}
            for number in range(1, rounds + 1):
                log(f"queue: round {number}/{rounds}")
                figures["run"].append(_deployment_run(api, deployments["intake"], *_stored(tmp, [one]), 500))
                figures["floor"].append(_in_process(*_stored(tmp, [one]), 500))
                figures["chunk10"].append(_deployment_run(api, deployments["intake"], *_stored(tmp, batch), 10))
                figures["chunk500"].append(_deployment_run(api, deployments["intake"], *_stored(tmp, batch), 500))
    per_run = [r - f for r, f in zip(figures["run"], figures["floor"], strict=True)]
    per_task = [(a - b) / 49 for a, b in zip(figures["chunk10"], figures["chunk500"], strict=True)]
    return {
        "rounds": rounds,
        "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
        "deployment_run_1_proposal_s": _spread(figures["run"]),
        "floor_in_process_1_proposal_s": _spread(figures["floor"]),
        "queue_cost_per_run_s": _spread(per_run),
        "deployment_run_500_proposals_51_tasks_s": _spread(figures["chunk10"]),
        "deployment_run_500_proposals_2_tasks_s": _spread(figures["chunk500"]),
        "queue_cost_per_task_s": _spread(per_task),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    admin = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    tmp = Path(tempfile.mkdtemp(prefix="bench-queue-"))
    try:
        print(json.dumps({"queue_cost": queue_figures(tmp, args.rounds, admin)}, indent=2))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
