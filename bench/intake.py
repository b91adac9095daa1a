"""`intake_flow_10k` and `embedded_server_start_s`.

intake_flow_10k: 10,000 generated proposals (10 CSV files) filed into a fresh SQLite database three
ways, each into its own fresh database, in this order:
- floor: the governance functions called directly, as the flow's tasks call them:
  `check_submission` once, then
  `file_proposals` per chunk of 500 (one write transaction per chunk), one `Store`.
- task_bodies: the flow's own task functions (`validate_task.fn`, `file_chunk_task.fn`) called in
  the flow's order without Prefect (a `Store` per task, as the tasks open one): separates what
  flows/intake.py adds from what Prefect adds.
- flow: `flows.intake.intake_flow(paths, actor, url, chunk_size=500)` against the running local
  Prefect server, with PREFECT_FLOWS_HEARTBEAT_FREQUENCY=None (as the CLI runs it).
A small warm-up (floor and flow on 20 proposals, own databases) runs first so that neither side
pays for first-use costs (pydantic validators, Prefect client, event worker threads); the first
flow call's wall time is reported as `first_flow_call_s`.

embedded_server_start_s: the wall time of a subprocess (`python -m bench.child intake-one`) that
imports the flow and runs one intake of 1 proposal with no PREFECT_API_URL (Prefect's embedded
server, own fresh PREFECT_HOME), next to the same subprocess against the running server.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import (
    Timed,
    clean_env,
    fresh_database,
    log,
    quiet_prefect_env,
    run_timed,
    timed,
)
from bench.data import write_csv_batch, write_one_yaml
from governance import intake
from governance.ledger import Ledger, verify
from governance.settings import load_settings
from governance.store import Store

__all__ = ["embedded_start_figure", "intake_figure"]

ACTOR = "bench"
CHUNK = 500
TARGET_RATIO = 1.3
TARGET_PER_S = 500  # 10,000 proposals in under 20 s
EMBEDDED_TARGET_S = 20  # the README's "about 10-20 s" for the embedded server


def run_floor(
    paths: list[str], url: str, chunk: int = CHUNK, phases: dict[str, float] | None = None
) -> list[intake.Filing]:
    """The governance functions the flow's tasks call, called directly; `phases` gets their split."""
    phases = {} if phases is None else phases
    start_t = time.perf_counter()
    store = Store(url)
    try:
        candidates = intake.check_submission(store, paths)
        phases["validate_s"] = time.perf_counter() - start_t
        settings = load_settings()
        ledger = Ledger(settings.clock(), settings.ids())
        filings: list[intake.Filing] = []
        for start in range(0, len(candidates), chunk):
            filings.extend(intake.file_proposals(store, ledger, candidates[start : start + chunk], ACTOR))
        phases["file_s"] = time.perf_counter() - start_t - phases["validate_s"]
        return filings
    finally:
        store.dispose()


def run_task_bodies(paths: list[str], url: str, chunk: int = CHUNK) -> list[intake.Filing]:
    from flows.intake import Opaque, file_chunk_task, validate_task

    outcome = validate_task.fn(paths, url)
    if not isinstance(outcome, Opaque):
        raise RuntimeError(f"the submission was refused: {outcome[:3]}")
    candidates = outcome.value
    filings: list[intake.Filing] = []
    for start in range(0, len(candidates), chunk):
        filings.extend(file_chunk_task.fn(url, Opaque(candidates[start : start + chunk]), ACTOR).value)
    return filings


def run_flow(paths: list[str], url: str, chunk: int = CHUNK) -> list[intake.Filing]:
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from flows.intake import intake_flow

    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        report = intake_flow(paths, ACTOR, url, chunk_size=chunk)
    if report.refused:
        raise RuntimeError(f"the flow refused the submission: {report.problems[:3]}")
    return report.filings


def _summary(filings: list[intake.Filing]) -> dict[str, int]:
    return dict(sorted(Counter(f"{f.action}/{f.state}" for f in filings).items()))


def _verified(url: str, expected_records: int) -> bool:
    store = Store(url)
    try:
        report = verify(store)
    finally:
        store.dispose()
    return report.ok and report.records == expected_records


def intake_figure(folder: Path, count: int, seed: int) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    files = [str(p) for p in write_csv_batch(folder / "proposals", count, files=10, seed=seed)]
    warm_files = [str(p) for p in write_csv_batch(folder / "warm-up", 20, files=1, seed=seed + 1)]

    log("intake: warm-up (20 proposals, floor then flow)")
    run_floor(warm_files, fresh_database(folder / "warm-floor.db"))
    first_flow = timed(lambda: run_flow(warm_files, fresh_database(folder / "warm-flow.db")))

    runs: dict[str, Timed[list[intake.Filing]]] = {}
    urls: dict[str, str] = {}
    phases: dict[str, float] = {}
    for name, fn in (
        ("floor", lambda paths, url: run_floor(paths, url, phases=phases)),
        ("task_bodies", run_task_bodies),
        ("flow", run_flow),
    ):
        urls[name] = fresh_database(folder / f"{name}.db")
        log(f"intake: {name}, {count:,} proposals")
        runs[name] = timed(lambda fn=fn, url=urls[name]: fn(files, url))  # type: ignore[misc]
        log(f"intake: {name} took {runs[name].seconds:.2f} s")

    summaries = {name: _summary(run.value) for name, run in runs.items()}
    expected_records = 1 + 2 * count  # policy adoption, then filed + screened(-out) per proposal
    checks_ok = all(
        len(run.value) == count
        and all(f.action == "filed" for f in run.value)
        and summaries[name] == summaries["floor"]
        and _verified(urls[name], expected_records)
        for name, run in runs.items()
    )
    flow_s, floor_s = runs["flow"].seconds, runs["floor"].seconds
    target_s = count / TARGET_PER_S
    return {
        "proposals": count,
        "files": len(files),
        "chunk_size": CHUNK,
        "flow_s": round(flow_s, 3),
        "floor_s": round(floor_s, 3),
        "ratio": round(flow_s / floor_s, 3),
        "target_ratio": TARGET_RATIO,
        "proposals_per_s": round(count / flow_s, 1),
        "floor_proposals_per_s": round(count / floor_s, 1),
        "target_s": target_s,
        "floor_validate_s": round(phases["validate_s"], 3),
        "floor_file_s": round(phases["file_s"], 3),
        "task_bodies_s": round(runs["task_bodies"].seconds, 3),
        "first_flow_call_s": round(first_flow.seconds, 3),
        "outcomes": summaries["flow"],
        "checks_ok": checks_ok,
        "meets_targets": checks_ok and flow_s / floor_s <= TARGET_RATIO and flow_s < target_s,
    }


def embedded_start_figure(folder: Path, api_url: str, seed: int) -> dict[str, Any]:
    """One trivial intake in a subprocess: embedded server vs the running server."""
    folder.mkdir(parents=True, exist_ok=True)
    one = write_one_yaml(folder / "one.yaml", seed)
    common = {**quiet_prefect_env()}
    results: dict[str, float] = {}
    for name, extra in (
        (
            "embedded",
            {"PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED": "false"},
        ),
        ("server", {"PREFECT_API_URL": api_url}),
    ):
        url = fresh_database(folder / f"{name}.db")
        home = folder / f"prefect-home-{name}"
        home.mkdir()
        env = clean_env({**common, **extra, "PREFECT_HOME": str(home)})
        log(f"embedded_server_start_s: one intake in a subprocess ({name})")
        done = run_timed([sys.executable, "-m", "bench.child", "intake-one", str(one), url], env, folder)
        results[name] = done.seconds
        log(f"embedded_server_start_s: {name} took {done.seconds:.2f} s")
    return {
        "embedded_s": round(results["embedded"], 3),
        "floor_s": round(results["server"], 3),
        "embedded_minus_floor_s": round(results["embedded"] - results["server"], 3),
        "target_s": EMBEDDED_TARGET_S,
        "fresh_prefect_home": True,
        "meets_targets": results["embedded"] <= EMBEDDED_TARGET_S,
    }
