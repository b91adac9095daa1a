"""`events_intake_10k` and `events_review_2000`: what emitting an event per ledger record costs.

Against the bench's local Prefect server, the same run with events and without, interleaved (off/on, then
on/off, ...) so that neither side gets the quieter minutes of the machine:
- intake: `flows.intake.intake_flow` filing 10,000 proposals (20,001 records, so 20,001 events) into a
  fresh database per run, in this process (bench/intake.py's `run_flow`);
- review: `quarterly_review_flow` over 2,000 projects (bench/review.py's data and child process), from a copy
  of the same prepared database per run.
"Without events" is `GOVERNANCE_EVENTS=off` (flows.events.served): no listener, nothing emitted. Each side's
median of `RUNS` runs with its spread (min, max); the figure is `overhead = median_on / median_off - 1`,
target <= 5 %. `events_seen_last_on_run` is how many events the server stored of the last "on" run (its
events API; a large transaction is one `governance.records.appended` event, governance.events.events_for), a
check that they were sent at all.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.common import clean_env, fresh_database, log, median, quiet_prefect_env, timed
from bench.data import write_csv_batch

__all__ = ["events_intake_figure", "events_review_figure"]

RUNS = 3
TARGET_OVERHEAD = 0.05


def _order(runs: int) -> list[str]:
    return [side for n in range(runs) for side in (("off", "on") if n % 2 == 0 else ("on", "off"))]


def _summary(seconds: dict[str, list[float]], sent: dict[str, list[float]]) -> dict[str, Any]:
    """The figure from the flows' own times; `*_until_sent_s`: the same runs until the last event was sent
    (the events worker drained after the flow returned), the whole cost with nothing left in the queue."""
    off, on = median(seconds["off"]), median(seconds["on"])
    overhead = on / off - 1
    sent_off, sent_on = median(sent["off"]), median(sent["on"])
    return {
        "off_until_sent_s": round(sent_off, 3),
        "on_until_sent_s": round(sent_on, 3),
        "overhead_until_sent": round(sent_on / sent_off - 1, 4),
        "runs_per_side": len(seconds["on"]),
        "off_s": round(off, 3),
        "on_s": round(on, 3),
        "off_spread_s": [round(min(seconds["off"]), 3), round(max(seconds["off"]), 3)],
        "on_spread_s": [round(min(seconds["on"]), 3), round(max(seconds["on"]), 3)],
        "off_runs_s": [round(s, 3) for s in seconds["off"]],
        "on_runs_s": [round(s, 3) for s in seconds["on"]],
        "overhead": round(overhead, 4),
        "target_overhead": TARGET_OVERHEAD,
    }


def _governance_events(api_url: str) -> int:
    """How many governance.record.* and governance.records.* events the server has stored."""
    body = json.dumps({"filter": {"event": {"prefix": ["governance.record"]}}, "limit": 1}).encode()
    url, headers = f"{api_url}/events/filter", {"Content-Type": "application/json"}
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the bench's own loopback server
        return int(json.load(response)["total"])


def _settled(api_url: str, at_least: int, limit: float = 60) -> int:
    """The stored count once it reaches `at_least` (the server writes events in batches), or after `limit` s."""
    deadline = time.monotonic() + limit
    seen = _governance_events(api_url)
    while seen < at_least and time.monotonic() < deadline:
        time.sleep(1)
        seen = _governance_events(api_url)
    return seen


def events_intake_figure(folder: Path, count: int, seed: int, api_url: str, runs: int = RUNS) -> dict[str, Any]:
    from bench.intake import run_flow
    from flows.runtime import drain_prefect

    folder.mkdir(parents=True, exist_ok=True)
    files = [str(p) for p in write_csv_batch(folder / "proposals", count, files=10, seed=seed)]
    warm = [str(p) for p in write_csv_batch(folder / "warm-up", 20, files=1, seed=seed + 1)]
    seconds: dict[str, list[float]] = {"off": [], "on": []}
    sent: dict[str, list[float]] = {"off": [], "on": []}
    records = 2 * count  # filed + screened(-out) per proposal (the policy's adoption is not in the flow)
    before = seen = 0
    for n, side in enumerate(["off", "on", *_order(runs)]):
        os.environ["GOVERNANCE_EVENTS"] = side
        if n < 2:  # warm-up, each side once (first-use costs: Prefect's client, the events worker's thread)
            run_flow(warm, fresh_database(folder / f"warm-{side}.db"))
            drain_prefect()
            continue
        if side == "on":
            before = _governance_events(api_url)
        log(f"events_intake: {side}, {count:,} proposals")
        url = fresh_database(folder / f"{n}-{side}.db")
        done = timed(lambda url=url: run_flow(files, url))  # type: ignore[misc]
        drained = timed(drain_prefect)  # the events still queued are sent before the next run starts
        seconds[side].append(done.seconds)
        sent[side].append(done.seconds + drained.seconds)
        log(f"events_intake: {side} took {done.seconds:.2f} s")
        if side == "on":
            seen = _settled(api_url, before + 1) - before
    os.environ.pop("GOVERNANCE_EVENTS", None)
    summary = _summary(seconds, sent)
    return {
        "proposals": count,
        "records_per_run": records,
        **summary,
        "events_seen_last_on_run": seen,
        "meets_targets": summary["overhead"] <= TARGET_OVERHEAD and seen > 0,
    }


def events_review_figure(folder: Path, count: int, seed: int, api_url: str, runs: int = RUNS) -> dict[str, Any]:
    from bench.review import CLOCK_START, _child, prepare

    folder.mkdir(parents=True, exist_ok=True)
    log(f"events_review: preparing {count} projects")
    template = folder / "template.db"
    reports = prepare(folder, count, seed, f"sqlite:///{template}")
    seconds: dict[str, list[float]] = {"off": [], "on": []}
    sent: dict[str, list[float]] = {"off": [], "on": []}  # the child process's wall time, its exit drain included
    base = {"GOVERNANCE_CLOCK_START": CLOCK_START, **quiet_prefect_env()}
    before = seen = records = 0
    for n, side in enumerate(_order(runs)):
        db = folder / f"{n}-{side}.db"
        shutil.copy(template, db)
        # Ids seeded per run: with the same clock and seed every run would append the very same records, whose
        # events (ids made from the records' hashes) the server would keep only once.
        env = clean_env({**base, "GOVERNANCE_ID_SEED": f"bench-review-{n}", "PREFECT_API_URL": api_url})
        env["GOVERNANCE_EVENTS"] = side
        env["PREFECT_HOME"] = str(folder / "prefect-home")
        if side == "on":
            before = _governance_events(api_url)
        log(f"events_review: {side}")
        result = _child("flow", db, reports, env, folder)
        seconds[side].append(float(result["review_s"]))
        sent[side].append(float(result["process_s"]))
        log(f"events_review: {side} took {result['review_s']:.2f} s")
        if side == "on":
            records = _records_after_template(template, db)
            seen = _settled(api_url, before + 1) - before
    summary = _summary(seconds, sent)
    return {
        "projects": count,
        "records_per_run": records,
        **summary,
        "events_seen_last_on_run": seen,
        "meets_targets": summary["overhead"] <= TARGET_OVERHEAD and seen > 0,
    }


def _records_after_template(template: Path, db: Path) -> int:
    import sqlite3

    def count(path: Path) -> int:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            return int(conn.execute("SELECT count(*) FROM ledger").fetchone()[0])

    return count(db) - count(template)
