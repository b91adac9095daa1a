"""`python -m bench [--quick]`: run every figure and print one JSON document on stdout.

Order: verify (no Prefect in the process yet), then a local Prefect server is started for the
rest (intake, embedded start, submit) and stopped at the end, also on error. Everything written
goes under one temporary directory. Progress goes to stderr; so does anything a library prints.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench.common import local_server, log, parallel_speedup, quiet_prefect_env

DEFAULT_SEED = 20261123


def _machine() -> dict[str, Any]:
    return {
        "parallel_speedup_2_processes": parallel_speedup(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        "prefect": version("prefect"),
        "sqlalchemy": version("sqlalchemy"),
        "pydantic": version("pydantic"),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _figure(name: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """One figure; a failure is reported in the document (and on stderr) instead of ending the run."""
    start = time.perf_counter()
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - any failure becomes this figure's result, the others still run
        traceback.print_exc(file=sys.stderr)
        return {"error": f"{type(exc).__name__}: {exc}"[:2000], "meets_targets": False}
    finally:
        log(f"{name}: done in {time.perf_counter() - start:.1f} s")


def _drain_prefect() -> None:
    """Flush Prefect's event and log workers while the server still answers."""
    if "prefect" not in sys.modules:
        return
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        try:
            worker.drain_all(timeout=15)
        except RuntimeError as exc:  # a worker that never started
            log(f"draining {worker.__name__}: {exc}")


FIGURES = (
    "verify", "scoring", "selection", "select_200", "hard_selection", "simulation", "chance", "packs", "intake",
    "score_flow", "review", "review_20000", "embedded", "submit", "counterfactual", "analytics", "imports", "events",
)  # fmt: skip


def run(tmp: Path, quick: bool, seed: int, only: tuple[str, ...] = FIGURES) -> dict[str, Any]:
    from bench.verify import verify_figures

    scale = 10 if quick else 1
    doc: dict[str, Any] = {"mode": "quick" if quick else "full", "seed": seed, "machine": _machine()}

    if "verify" in only:
        verify = _figure("verify", lambda: verify_figures(tmp / "verify", 100_000 // scale, seed, repeats=3))
        if "error" in verify:
            doc["verify_100k"] = doc["verify_snapshots"] = verify
        else:
            doc["verify_100k"], doc["verify_snapshots"] = verify["chain"], verify["snapshots"]

    if "scoring" in only:
        from bench.scoring import scoring_figure

        doc["scoring_100k"] = _figure("scoring_100k", lambda: scoring_figure(tmp / "scoring", 100_000 // scale, seed))

    if "selection" in only:
        from bench.selection import selection_figures

        selection = _figure("selection", lambda: selection_figures(seed, quick))
        if "error" in selection:
            doc["selection_5k"] = doc["selection_frontier"] = selection
        else:
            doc.update(selection)

    if "select_200" in only:
        from bench.selection import time_budget_figure

        doc["select_200_time_limit"] = _figure(
            "select_200_time_limit", lambda: time_budget_figure(tmp / "select_200", seed, quick)
        )

    if "hard_selection" in only:
        from bench.hard_selection import hard_selection_figures

        doc["hard_selection"] = _figure("hard_selection", lambda: hard_selection_figures(quick))
    if "simulation" in only:
        from bench.simulation import simulation_figure

        doc["simulation_500x4"] = _figure("simulation_500x4", lambda: simulation_figure(seed, quick))

    if "chance" in only:
        from bench.chance import chance_figure

        doc["chance_500x200"] = _figure("chance_500x200", lambda: chance_figure(seed, quick))

    if "counterfactual" in only:
        from bench.counterfactual import counterfactual_figure

        doc["counterfactual_20k"] = _figure(
            "counterfactual_20k", lambda: counterfactual_figure(tmp / "counterfactual", 20_000 // scale, seed)
        )

    if "analytics" in only:
        from bench.analytics import analytics_figure

        doc["analytics_20k"] = _figure(
            "analytics_20k", lambda: analytics_figure(tmp / "analytics", 20_000 // scale, seed)
        )

    if "imports" in only:
        from bench.imports import imports_figure

        doc["imports_5000"] = _figure("imports_5000", lambda: imports_figure(tmp / "imports", 5_000 // scale, seed))

    if "packs" in only:
        from bench.packs import packs_figures

        doc["packs"] = _figure("packs", lambda: packs_figures(tmp / "packs", quick))

    if set(only) & {"intake", "score_flow", "review", "review_20000", "embedded", "submit", "events"}:
        _with_server(doc, tmp, quick, seed, only)
    figures = [v for v in doc.values() if isinstance(v, dict) and "meets_targets" in v]
    doc["all_meet_targets"] = all(f["meets_targets"] is True for f in figures)
    doc["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return doc


def _with_server(doc: dict[str, Any], tmp: Path, quick: bool, seed: int, only: tuple[str, ...]) -> None:
    from bench.intake import embedded_start_figure, intake_figure
    from bench.submit import submit_figure

    scale = 10 if quick else 1
    # Prefect reads its settings when it is imported: point this process at the server first.
    if "prefect" in sys.modules:
        raise RuntimeError("prefect was imported before its settings were in place")
    client_home = tmp / "prefect-client"
    client_home.mkdir()
    os.environ.update(quiet_prefect_env())
    os.environ["PREFECT_HOME"] = str(client_home)
    os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"
    with local_server(tmp / "prefect-server") as server:
        os.environ["PREFECT_API_URL"] = server.api_url
        doc["server_start_s"] = round(server.start_s, 3)
        try:
            if "intake" in only:
                doc["intake_flow_10k"] = _figure(
                    "intake_flow_10k", lambda: intake_figure(tmp / "intake", 10_000 // scale, seed)
                )
            if "score_flow" in only:
                from bench.scoring import score_flow_figure

                doc["score_flow_10k"] = _figure(
                    "score_flow_10k", lambda: score_flow_figure(tmp / "score_flow", 10_000 // scale, seed)
                )
            if "review" in only:
                from bench.review import review_figure

                doc["quarterly_review_2000"] = _figure(
                    "quarterly_review_2000",
                    lambda: review_figure(tmp / "review", 2_000 // scale, seed, server.api_url, 2_000),
                )
            if "review_20000" in only:
                from bench.review import review_figure

                doc["quarterly_review_20000"] = _figure(
                    "quarterly_review_20000",
                    lambda: review_figure(tmp / "review_20000", 20_000 // scale, seed, server.api_url, 20_000),
                )
            if "embedded" in only:
                doc["embedded_server_start_s"] = _figure(
                    "embedded_server_start_s", lambda: embedded_start_figure(tmp / "embedded", server.api_url, seed)
                )
            if "events" in only:
                from bench.events import events_intake_figure, events_review_figure

                doc["events_intake_10k"] = _figure(
                    "events_intake_10k",
                    lambda: events_intake_figure(tmp / "events_intake", 10_000 // scale, seed, server.api_url),
                )
                doc["events_review_2000"] = _figure(
                    "events_review_2000",
                    lambda: events_review_figure(tmp / "events_review", 2_000 // scale, seed, server.api_url),
                )
            if "submit" in only:
                doc["submit_one"] = _figure(
                    "submit_one",
                    lambda: submit_figure(tmp / "submit", server.api_url, runs=1 if quick else 3, seed=seed),
                )
        finally:
            _drain_prefect()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tenth of the counts: a smoke check, not a measurement")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed for the generated data")
    parser.add_argument(
        "--only",
        default=",".join(FIGURES),
        help=f"comma-separated subset of {','.join(FIGURES)} (default: all; a partial run is for development)",
    )
    args = parser.parse_args(argv)
    only = tuple(name.strip() for name in args.only.split(",") if name.strip())
    unknown = set(only) - set(FIGURES)
    if unknown:
        parser.error(f"unknown figure(s): {', '.join(sorted(unknown))}")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="governance-bench-") as tmp, contextlib.redirect_stdout(sys.stderr):
        doc = run(Path(tmp), args.quick, args.seed, only)
    doc["bench_s"] = round(time.perf_counter() - start, 1)
    sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
