"""`python -m bench.workers [--rounds N] [--only review,intake]`: the engine's flows as deployment runs on workers
(issue 10). Prints one JSON document on stdout, progress on stderr.

A real `prefect server start` on its own PostgreSQL database (BENCH_POSTGRES_URL, default the local test
database's server), the process work pool and deployments from prefect.yaml, `prefect worker start` processes
on this host polling every second. Governance databases are SQLite files, one per run.

`review_2000_workers`: the quarterly review of 2,000 projects (bench/review.py's data: reports stored in the
governance database as `governance review --reports` stores them, the board's answer given as a parameter, so
the run ends with every outcome recorded), timed from the run's creation to COMPLETED:
- `worker_s`: a run of the `quarterly-review` deployment, picked up by the worker;
- `runner_s`: the same run on `governance server start` (its own Prefect server and the runner serving the
  flows: the way one machine runs the engine);
- `floor_s`: the governance functions the flow's tasks call, in the flow's order and chunking, in a new
  process (`python -m bench.review_child floor`), timed from the process's start to its exit: the same work
  without Prefect, with the new process a deployment run also pays for.
Targets: worker / runner <= 1.2, worker / floor <= 1.3. Every side must record the same outcomes and verify.

`intake_100k_workers`: 100,000 proposals through the intake deployment, spread over two workers, against one
run on one worker and against the floor; see `intake_figure`.

Rounds interleave the sides; each figure is the median of the rounds with its spread (min, max).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from bench.common import _free_port, clean_env, fresh_database, log, parallel_speedup, run_timed, verified
from bench.data import write_csv_batch
from bench.queue import PREFECT, _get, _post, _process, deployed_server, deployment_run
from bench.review import CHUNK, CLOCK_START, QUARTER, _outcomes, prepare
from governance import inputs
from governance.store import Store

__all__ = ["intake_figure", "review_workers_figure"]

REVIEW_PROJECTS = 2_000
TARGET_RUNNER_RATIO = 1.2
TARGET_FLOOR_RATIO = 1.3
ANSWER = {
    "quarter": QUARTER,
    "decided_by": "ana",
    "meeting_date": "2027-01-10",
    "rationale": "The board accepts the recommendations.",
    "votes": "ana=accept\nraj=accept\nlee=accept",
}
SETTINGS = {"GOVERNANCE_CLOCK_START": CLOCK_START, "GOVERNANCE_ID_SEED": "bench-review"}


def _spread(values: list[float]) -> dict[str, Any]:
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
        "runs": [round(v, 3) for v in values],
    }


@contextmanager
def _worker(tmp: Path, client_env: dict[str, str], name: str, *options: str) -> Iterator[None]:
    """`prefect worker start` polling every second, in an empty folder, with `options` (a queue, a limit); its
    log (INFO: the runs it submits) in tmp/worker-NAME.log."""
    folder = tmp / f"worker-{name}"
    folder.mkdir(exist_ok=True)
    env = dict(client_env, PREFECT_WORKER_QUERY_SECONDS="1", PREFECT_LOGGING_LEVEL="INFO")
    args = [*PREFECT, "worker", "start", "--pool", "governance", "--name", name, *options]
    with _process(args, env, tmp / f"worker-{name}.log", folder):
        yield


def _record(
    times: dict[str, list[float]], phases: dict[str, list[dict[str, float]]], side: str, run: tuple[float, Any]
) -> None:
    times[side].append(run[0])
    phases[side].append(run[1])


def _phases(phases: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, float]]:
    return {
        side: {name: round(statistics.median(p[name] for p in runs), 3) for name in runs[0]}
        for side, runs in phases.items()
    }


@contextmanager
def _local_server(tmp: Path, database: Path) -> Iterator[tuple[str, str]]:
    """`governance server start` (its own Prefect server and runner) with the governance database at `database`:
    its API URL and the quarterly review's deployment id; `governance server stop` at the end."""
    home = tmp / "local-home"
    env = clean_env({"GOVERNANCE_HOME": str(home), "GOVERNANCE_DATABASE_URL": f"sqlite:///{database}", **SETTINGS})
    governance = [str(Path(sys.executable).parent / "governance")]
    port = _free_port()
    run_timed([*governance, "server", "start", "--port", str(port)], env, tmp, timeout=300)
    try:
        api = f"http://127.0.0.1:{port}/api"
        deployment = _get(f"{api}/deployments/name/quarterly-review/quarterly-review")["id"]
        yield api, str(deployment)
    finally:
        run_timed([*governance, "server", "stop"], env, tmp, timeout=120)


def review_workers_figure(tmp: Path, rounds: int, admin_url: str, seed: int) -> dict[str, Any]:
    folder = tmp / "review"
    folder.mkdir(parents=True)
    log(f"review_2000_workers: preparing {REVIEW_PROJECTS} projects")
    template = folder / "template.db"
    reports = prepare(folder, REVIEW_PROJECTS, seed, f"sqlite:///{template}")
    store = Store(f"sqlite:///{template}")
    try:
        refs = inputs.stash(store, inputs.read_here([reports]))
    finally:
        store.dispose()
    parameters = {"quarter": QUARTER, "reports": refs, "answer": ANSWER, "chunk_size": CHUNK}
    runner_db = folder / "runner.db"
    shutil.copy(template, runner_db)
    times: dict[str, list[float]] = {"worker": [], "runner": [], "floor": []}
    phases: dict[str, list[dict[str, float]]] = {"worker": [], "runner": []}
    outcomes: dict[str, list[dict[str, int]]] = {"worker": [], "runner": [], "floor": []}
    with ExitStack() as stack:
        api, client_env, deployments = stack.enter_context(deployed_server(folder, admin_url))
        stack.enter_context(_worker(folder, client_env, "w1"))
        local_api, local_deployment = stack.enter_context(_local_server(folder, runner_db))
        for number in range(1, rounds + 1):
            log(f"review_2000_workers: round {number}/{rounds}")
            db = folder / f"worker-{number}.db"
            shutil.copy(template, db)
            env = {"GOVERNANCE_DATABASE_URL": f"sqlite:///{db}", **SETTINGS}
            _record(times, phases, "worker", deployment_run(api, deployments["quarterly-review"], parameters, env))
            outcomes["worker"].append(_outcomes(db))

            shutil.copy(template, runner_db)  # the runner's database, as prepared (no run is open)
            _record(times, phases, "runner", deployment_run(local_api, local_deployment, parameters))
            outcomes["runner"].append(_outcomes(runner_db))

            db = folder / f"floor-{number}.db"
            shutil.copy(template, db)
            child = [sys.executable, "-m", "bench.review_child", "floor", f"sqlite:///{db}", str(reports), str(CHUNK)]
            times["floor"].append(run_timed(child, clean_env(SETTINGS), folder, timeout=900).seconds)
            outcomes["floor"].append(_outcomes(db))
    med = {side: statistics.median(values) for side, values in times.items()}
    first = outcomes["floor"][0]
    checks = {
        "same_outcomes": all(o == first for side in outcomes.values() for o in side),
        "every_project_reviewed": sum(first.values()) == REVIEW_PROJECTS,
    }
    ratios = {"worker_to_runner": med["worker"] / med["runner"], "worker_to_floor": med["worker"] / med["floor"]}
    return {
        "projects": REVIEW_PROJECTS,
        "rounds": rounds,
        "worker_s": _spread(times["worker"]),
        "runner_s": _spread(times["runner"]),
        "floor_s": _spread(times["floor"]),
        "phases_median_s": _phases(phases),
        "ratios": {k: round(v, 3) for k, v in ratios.items()},
        "outcomes": first,
        "checks": checks,
        "targets": {"worker_to_runner": TARGET_RUNNER_RATIO, "worker_to_floor": TARGET_FLOOR_RATIO},
        "meets_targets": all(checks.values())
        and ratios["worker_to_runner"] <= TARGET_RUNNER_RATIO
        and ratios["worker_to_floor"] <= TARGET_FLOOR_RATIO,
    }


INTAKE_PROPOSALS = 100_000
INTAKE_FILES = 100  # CSV files of 1,000 proposals (each under the 5 MB a file may hold)
INTAKE_PARTS = 2
TARGET_INTAKE_RATIO = 1.3


def intake_figure(tmp: Path, rounds: int, admin_url: str, seed: int) -> dict[str, Any]:
    """`intake_100k_workers`: 100,000 proposals in 100 stored CSV files, filed three ways, each into a copy of
    the same prepared database (policy adopted, files stored as `governance submit` stores them):

    - `spread_s`: a run of the intake deployment with parts=2 (on worker w0, queue default): two runs of
      intake-part read, validate and screen 50 files each, at once, on the part workers w1 and w2 (queue
      intake-parts, `--limit 1`: one part each); the intake run files them (chunks of 500);
    - `one_run_s`: the same deployment with parts=1: one run on w0 does everything;
    - `floor_s`: the governance functions in a new process (`python -m bench.child intake-floor`:
      check_submission, file_proposals per chunk of 500), from the files on disk.
    Deployment runs are timed from creation to COMPLETED. `speedup` = one_run / spread; beside it the
    machine's own speedup of two CPU-bound processes over one, measured in the same run
    (`machine_parallel_speedup`): what two workers on this 2-core host could give at best, before the
    Prefect server and PostgreSQL, on the same cores, take their share. Target: spread / floor <= 1.3.
    `workers_of_parts`: which worker's log names each part's run (both workers should appear).
    """
    folder = tmp / "intake"
    folder.mkdir(parents=True)
    log(f"intake_100k_workers: writing {INTAKE_PROPOSALS} proposals in {INTAKE_FILES} files")
    files = write_csv_batch(folder / "files", INTAKE_PROPOSALS, INTAKE_FILES, seed)
    template = folder / "template.db"
    template_url = fresh_database(template)
    store = Store(template_url)
    try:
        refs = inputs.stash(store, inputs.read_here(files))
    finally:
        store.dispose()
    times: dict[str, list[float]] = {"spread": [], "one_run": [], "floor": []}
    phases: dict[str, list[dict[str, float]]] = {"spread": [], "one_run": []}
    parts: list[str] = []
    counts: dict[str, list[int]] = {"spread": [], "one_run": [], "floor": []}
    with ExitStack() as stack:
        api, client_env, deployments = stack.enter_context(deployed_server(folder, admin_url))
        # As deploy/README's recipe: a worker for the runs (default queue), and the part workers, one part each.
        stack.enter_context(_worker(folder, client_env, "w0", "--work-queue", "default"))
        stack.enter_context(_worker(folder, client_env, "w1", "--work-queue", "intake-parts", "--limit", "1"))
        stack.enter_context(_worker(folder, client_env, "w2", "--work-queue", "intake-parts", "--limit", "1"))
        for number in range(1, rounds + 1):
            log(f"intake_100k_workers: round {number}/{rounds}")
            for side, n_parts in (("spread", INTAKE_PARTS), ("one_run", 1)):
                db = folder / f"{side}-{number}.db"
                shutil.copy(template, db)
                parameters = {"sources": refs, "actor": "bench", "chunk_size": 500, "parts": n_parts}
                env = {"GOVERNANCE_DATABASE_URL": f"sqlite:///{db}"}
                _record(times, phases, side, deployment_run(api, deployments["intake"], parameters, env))
                counts[side].append(verified(db).records)
            db = folder / f"floor-{number}.db"
            shutil.copy(template, db)
            child = [sys.executable, "-m", "bench.child", "intake-floor", f"sqlite:///{db}", *map(str, files)]
            times["floor"].append(run_timed(child, clean_env(), folder, timeout=1800).seconds)
            counts["floor"].append(verified(db).records)
        part_runs = _post(
            f"{api}/flow_runs/filter",
            {"deployments": {"id": {"any_": [deployments["intake-part"]]}}, "limit": 200},
        )
        parts = [str(r["id"]) for r in part_runs if r["state_type"] == "COMPLETED"]
    logs = {name: (folder / f"worker-{name}.log").read_text(errors="replace") for name in ("w1", "w2")}
    workers_of_parts = {name: sum(1 for run_id in parts if run_id in text) for name, text in logs.items()}
    machine = parallel_speedup()
    med = {side: statistics.median(values) for side, values in times.items()}
    expected = counts["floor"][0]
    checks = {
        "every_side_filed_every_proposal": all(c == expected for side in counts.values() for c in side),
        "both_workers_ran_parts": all(n > 0 for n in workers_of_parts.values()),
    }
    ratio = med["spread"] / med["floor"]
    return {
        "proposals": INTAKE_PROPOSALS,
        "files": INTAKE_FILES,
        "parts": INTAKE_PARTS,
        "rounds": rounds,
        "spread_s": _spread(times["spread"]),
        "one_run_s": _spread(times["one_run"]),
        "floor_s": _spread(times["floor"]),
        "phases_median_s": _phases(phases),
        "speedup": round(med["one_run"] / med["spread"], 3),
        "machine_parallel_speedup": machine,
        "ratio_to_floor": round(ratio, 3),
        "ledger_records": expected,
        "workers_of_parts": workers_of_parts,
        "checks": checks,
        "targets": {"ratio_to_floor": TARGET_INTAKE_RATIO},
        "meets_targets": all(checks.values()) and ratio <= TARGET_INTAKE_RATIO,
    }


FIGURES: dict[str, Callable[[Path, int, str, int], dict[str, Any]]] = {
    "review": review_workers_figure,
    "intake": intake_figure,
}
NAMES = {"review": "review_2000_workers", "intake": "intake_100k_workers"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--only", default=",".join(FIGURES), help=f"a subset of: {', '.join(FIGURES)}")
    args = parser.parse_args()
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(only) - set(FIGURES)
    if unknown:
        parser.error(f"unknown figure(s): {', '.join(sorted(unknown))}")
    admin = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    doc: dict[str, Any] = {"loadavg_at_start": [round(x, 2) for x in os.getloadavg()]}
    tmp = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    try:
        for name in only:
            start = time.perf_counter()
            doc[NAMES[name]] = FIGURES[name](tmp / name, args.rounds, admin, args.seed)
            doc[NAMES[name]]["bench_s"] = round(time.perf_counter() - start, 1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    doc["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
