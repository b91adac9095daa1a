"""`quarterly_review_2000` and `quarterly_review_20000`: a quarterly review of N active projects on SQLite,
ingest to recorded outcomes.

Data (seeded): N migrated projects (YAML files of at most 4,000 projects, imported with
`governance.projects`) and one CSV of their 2026Q4 status reports (about one in twelve overruns its cost,
one in twenty-five has a negative ECV at high risk, one in fifty is complete, one in forty sends no
report). The policy is the bundled stage-gate policy with its portfolio budget set to about half of what
the projects still have to spend in FY2027 and FY2028, so the selection has to leave some out.

Both sides start from a copy of the same prepared database (policy adopted, projects imported),
run in their own child process (`python -m bench.review_child`), which reports its wall time from
the start of ingest to the last recorded outcome and its peak RSS (`ru_maxrss`):
- floor: the governance functions the flow's tasks call, in the flow's order and chunking
  (`read_status_reports`, `file_status_reports` dry run then per chunk, `propose_review`,
  `confirm_review` with the same chunk size);
- flow: `flows.review.quarterly_review_flow(quarter, [csv], answer=...)` against the bench's local
  Prefect server, the board's answer given at once (the issue: "packs aside").
Targets (TARGETS, by N): 2,000 projects under 60 s and 500 MB; 20,000 under 120 s and 2 GB; flow / floor
at most 1.3 for both.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

from bench.common import ROOT, clean_env, log, quiet_prefect_env, run_timed, verified
from governance.adoption import adopt_policy
from governance.authority import Actor
from governance.clock import FixedClock, SeededIds
from governance.ledger import Ledger
from governance.parsing import parse_yaml
from governance.policy import _from_data
from governance.projects import import_projects
from governance.store import Store

__all__ = ["CLOCK_START", "QUARTER", "prepare", "review_figure"]

QUARTER = "2026Q4"
CLOCK_START = "2027-01-10T09:00:00Z"  # the review runs after the quarter's reports are due
TARGETS = {2_000: (60.0, 500.0), 20_000: (120.0, 2048.0)}  # projects: (flow_s, peak RSS MB); issues 4 and 10
TARGET_RATIO = 1.3
CHUNK = 200
PROJECTS_PER_FILE = 4_000
BUCKETS = ("new-products", "platform", "improvements", "cost-reduction")


def _projects(count: int, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, float]]:
    rng = random.Random(seed)
    projects, reports = [], []
    remaining = {"FY2027": 0.0, "FY2028": 0.0}
    for i in range(count):
        ref = f"BENCH-RUN-{i:05d}"
        dev = [rng.randint(100, 900) * 1000 for _ in range(4)]
        benefits = [rng.randint(300, 2500) * 1000 for _ in range(4)]
        projects.append(
            {
                "reference": ref,
                "title": f"Running project {i}",
                "summary": "A generated project for the quarterly review benchmark.",
                "sponsor": "Katrin Vogel",
                "submitter": "Lukas Weber",
                "bucket": BUCKETS[i % len(BUCKETS)],
                "start_date": "2025-01-01",
                "end_date": "2028-12-31",
                "costs": [{"period": f"FY{2025 + k}", "development": dev[k], "launch": 0} for k in range(4)],
                "benefits": [{"period": f"FY{2027 + k}", "amount": benefits[k]} for k in range(4)],
                "p_technical": round(rng.uniform(0.6, 0.95), 2),
                "p_commercial": round(rng.uniform(0.5, 0.9), 2),
                "approved_on": "2024-12-01",
                "status": "active",
                "score": rng.randint(40, 90),
            }
        )
        remaining["FY2027"] += dev[2]
        remaining["FY2028"] += dev[3]
        if i % 40 == 39:
            continue  # no report: a finding
        ac = rng.randint(800, 1600) * 1000
        overrun = i % 12 == 0
        ev = int(ac * (rng.uniform(0.6, 0.78) if overrun else rng.uniform(0.85, 1.1)))
        pv = int(ev * rng.uniform(0.9, 1.15))
        doomed = i % 25 == 0
        reports.append(
            {
                "project": ref,
                "quarter": QUARTER,
                "submitted_on": "2026-12-20" if i % 30 else "2027-01-25",
                "actual_cost": ac,
                "planned_value": pv,
                "earned_value": ev,
                "percent_complete": 100 if i % 50 == 7 else rng.randint(10, 95),
                "risk_level": "high" if doomed else rng.choice(["low", "medium"]),
                "milestones_hit": "Design review",
                "milestones_missed": "Pilot" if overrun else "",
                "commentary": "Generated report.",
                "cost:FY2027": dev[2],
                "cost:FY2028": dev[3],
                "benefit:FY2027": 0 if doomed else benefits[0],
                "benefit:FY2028": 0 if doomed else benefits[1],
            }
        )
    return projects, reports, remaining


def prepare(folder: Path, count: int, seed: int, url: str) -> Path:
    """The review's inputs in `folder` and the database at `url` ready for the review (policy adopted, projects
    imported); the status reports' CSV, to review. Also used by tests/flows/test_hosts.py."""
    projects, reports, remaining = _projects(count, seed)
    projects_files = []  # files of at most PROJECTS_PER_FILE projects: a file may hold 5 MB
    for first in range(0, len(projects), PROJECTS_PER_FILE):
        projects_files.append(folder / f"projects-{first // PROJECTS_PER_FILE + 1:02d}.yaml")
        part = projects[first : first + PROJECTS_PER_FILE]
        projects_files[-1].write_text(yaml.safe_dump({"projects": part}, sort_keys=False))
    reports_file = folder / "reports.csv"
    with reports_file.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(reports[0]))
        writer.writeheader()
        writer.writerows(reports)
    data = parse_yaml((ROOT / "policies" / "stage-gate.yaml").read_text())
    data["portfolio"]["budget"] = {p: int(v * 0.5) for p, v in remaining.items()}
    data["portfolio"].pop("capacity", None)
    data["portfolio"]["mip_gap"] = 0.001
    policy = _from_data(data, "bench stage-gate")
    store = Store(url)
    try:
        store.upgrade()
        ledger = Ledger(
            FixedClock(dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC), dt.timedelta(milliseconds=1)), SeededIds("bench")
        )
        adopt_policy(store, ledger, policy, Actor.of("ana"))
        import_projects(store, ledger, projects_files, "bench")
    finally:
        store.dispose()
    return reports_file


def _child(mode: str, db: Path, reports: Path, env: dict[str, str], cwd: Path) -> dict[str, Any]:
    done = run_timed(
        [sys.executable, "-m", "bench.review_child", mode, f"sqlite:///{db}", str(reports), str(CHUNK)],
        env,
        cwd,
        timeout=1800,
    )
    line = [x for x in done.value.splitlines() if x.startswith("{")][-1]
    result: dict[str, Any] = json.loads(line)
    result["process_s"] = round(done.seconds, 2)
    return result


def _outcomes(db: Path) -> dict[str, int]:
    """The review's outcomes in `db`, counted once its ledger verifies."""
    verified(db)
    store = Store(f"sqlite:///{db}")
    try:
        with store.read() as conn:
            from sqlalchemy import func, select

            from models.tables import LedgerRow

            rows = conn.execute(
                select(LedgerRow.outcome, func.count()).where(LedgerRow.kind == "reviewed").group_by(LedgerRow.outcome)
            )
            return {str(o): int(n) for o, n in rows}
    finally:
        store.dispose()


def review_figure(folder: Path, count: int, seed: int, api_url: str, size: int) -> dict[str, Any]:
    """`count` projects reviewed against the targets of `size` (TARGETS; --quick runs a tenth of `size`)."""
    folder.mkdir(parents=True, exist_ok=True)
    log(f"review: preparing {count} projects")
    template = folder / "template.db"
    reports = prepare(folder, count, seed, f"sqlite:///{template}")
    env_base = {"GOVERNANCE_CLOCK_START": CLOCK_START, "GOVERNANCE_ID_SEED": "bench-review"}
    floor_db, flow_db = folder / "floor.db", folder / "flow.db"
    shutil.copy(template, floor_db)
    shutil.copy(template, flow_db)
    log("review: floor (governance functions directly)")
    floor = _child("floor", floor_db, reports, clean_env(env_base), folder)
    log("review: flow (quarterly_review_flow on the local server)")
    flow_env = clean_env({**env_base, **quiet_prefect_env(), "PREFECT_API_URL": api_url})
    flow_env["PREFECT_HOME"] = str(folder / "prefect-home")
    flow = _child("flow", flow_db, reports, flow_env, folder)
    floor_outcomes, flow_outcomes = _outcomes(floor_db), _outcomes(flow_db)
    ratio = flow["review_s"] / floor["review_s"]
    target_s, target_rss = TARGETS[size]
    checks = {
        "same_outcomes": floor_outcomes == flow_outcomes,
        "every_project_reviewed": sum(flow_outcomes.values()) == count,
    }
    return {
        "projects": count,
        "quarter": QUARTER,
        "chunk": CHUNK,
        "flow_s": flow["review_s"],
        "floor_s": floor["review_s"],
        "ratio": round(ratio, 3),
        "flow_peak_rss_mb": flow["peak_rss_mb"],
        "floor_peak_rss_mb": floor["peak_rss_mb"],
        "phases_floor": floor.get("phases"),
        "outcomes": flow_outcomes,
        "selection": {k: v for k, v in (flow.get("selection") or {}).items() if k != "selected"}
        | {"funded": len((flow.get("selection") or {}).get("selected") or [])},
        "checks": checks,
        "targets": {"flow_s": target_s, "peak_rss_mb": target_rss, "ratio": TARGET_RATIO},
        "meets_targets": all(checks.values())
        and flow["review_s"] < target_s
        and flow["peak_rss_mb"] < target_rss
        and ratio <= TARGET_RATIO,
    }
