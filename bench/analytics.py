"""`analytics_20k`: `governance analytics` over a ledger of 20,000 proposals and 8 quarters of 2,000 projects.

Data (`stories`, `append_stories`): each proposal is filed (its file the record's input snapshot) and
screened, then decided gate by gate (gate 1 to 5 of the stage-gate policy, the board now and then against
the engine's recommendation, a few decisions superseded), and those past the last gate report every
quarter (status reports as input snapshots) and are reviewed: continued, stopped or completed. Records are
appended straight to the ledger, each payload built from its kind's model (as `bench.synthetic` does), so
the ledger of about 150,000 records takes a minute, not hours; the tests build their small ledgers with
the same function. Built once per run, or once in `$BENCH_CACHE` when set.

Figure: `governance.analytics.analytics(conn, today)` over the whole ledger (benefits realised against
promised included: the projects report benefits realised in 2026). Floor: walking the same
records with `iter_records` and reading each decided, superseded and reviewed payload through its model
and every snapshot a decision's proposal or a project's newest status report names (what any analytics
must read). Median of `repeats` rounds, figure and floor interleaved. Target: under 10 s.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from governance.clock import FixedClock, SeededIds
from governance.ledger import Ledger, NewRecord
from governance.lifecycle import state_after_decision
from governance.store import Store
from models.decision import Vote
from models.records import (
    AmendedPayload,
    DecidedPayload,
    FiledPayload,
    ReviewedPayload,
    ScreenedPayload,
    SourceRef,
    StatusReportedPayload,
    SupersededPayload,
    VoteTally,
)

__all__ = ["Decided", "Reported", "Story", "analytics_figure", "append_stories", "stories"]

TARGET_S = 10.0
LAST_GATE = 5
_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class Decided:
    """A gate decision: the outcome, what the engine recommended, the meeting day; `superseded` voids it."""

    gate: int
    outcome: str
    recommended: str
    meeting: dt.date
    superseded: bool = False


@dataclass(frozen=True, slots=True)
class Reported:
    """A quarter's status report: actual cost to date and the cost still to come (one period)."""

    quarter: str
    actual: Decimal
    remaining: Decimal
    benefits: Decimal | None = None  # realised in the quarter's year so far


@dataclass(frozen=True, slots=True)
class Story:
    """One proposal's life: its file, each version amended before a decision (`amended[i]` before decision
    i), its decisions, its status reports and its quarterly reviews' outcomes (quarter, outcome)."""

    id: str
    proposal: dict[str, Any]
    decisions: tuple[Decided, ...] = ()
    amended: dict[int, dict[str, Any]] = field(default_factory=dict)
    reports: tuple[Reported, ...] = ()
    reviews: tuple[tuple[str, str], ...] = ()  # (quarter, continue | stop | complete)


def _decided(pid: str, d: Decided, seq: int) -> NewRecord:
    last = d.gate == LAST_GATE
    payload = DecidedPayload(
        gate=d.gate, gate_name=f"Gate {d.gate}", outcome=d.outcome, rationale="Synthetic decision.",
        decided_by="ana", meeting_date=d.meeting, votes=[Vote(member="ana", outcome=d.outcome)], dissent=[],
        recused={}, tally=VoteTally(rule="chair-decides", counts={d.outcome: 1}, cast=1, supported=d.outcome, note=""),
        conditions=[], recommended=d.recommended, recommended_seq=seq, attempt=1,
        state_after=state_after_decision(d.outcome, last),
        next_gate=None if last or d.outcome not in ("go", "conditional-go") else d.gate + 1,
    )  # fmt: skip
    return NewRecord("decided", pid, payload, outcome=d.outcome, inputs={"decision": d.outcome})


def _report(pid: str, r: Reported, end: dt.date) -> NewRecord:
    year, q = int(r.quarter[:4]), int(r.quarter[5])
    report = {
        "project": pid, "quarter": r.quarter, "submitted_on": dt.date(year, 3 * q - 2, 1).isoformat(),
        "actual_cost": str(r.actual), "planned_value": str(r.actual), "earned_value": str(r.actual),
        "percent_complete": "50", "risk_level": "low",
        "cost_forecast": {f"FY{max(year, end.year)}": str(r.remaining)} if r.remaining else {},
    }  # fmt: skip
    if r.benefits is not None:
        report.update(benefits_realised={f"FY{year}": str(r.benefits)}, benefits_owner="Dana Kim")
    payload = StatusReportedPayload(
        quarter=r.quarter, content_hash=_HASH, version=1, cpi=Decimal(1), spi=Decimal(1), risk_level="low",
        submitted_on=dt.date(year, 3 * q - 2, 1), source=SourceRef(file="status.yaml", record="record 1"),
    )  # fmt: skip
    return NewRecord("status-reported", pid, payload, outcome=r.quarter, inputs=report)


def _records(story: Story, seq: int) -> list[NewRecord]:
    """The story's records, `seq` the one its first would get (decisions name their own seq as recommended)."""
    pid, source = story.id, SourceRef(file="proposals.yaml", record="record 1")
    ref, end = story.proposal["reference"], dt.date.fromisoformat(story.proposal["end_date"])
    out = [
        NewRecord("filed", pid, FiledPayload(reference=ref, title=story.proposal["title"], content_hash=_HASH,
                                             version=1, source=source), inputs=story.proposal),
        NewRecord("screened", pid, ScreenedPayload(content_hash=_HASH, rules=[]), outcome="screened"),
    ]  # fmt: skip
    for i, d in enumerate(story.decisions):
        if i in story.amended:
            amended = AmendedPayload(reference=ref, content_hash=_HASH, previous_hash=_HASH, version=2,
                                     changed=["costs"], source=source)  # fmt: skip
            out.append(NewRecord("amended", pid, amended, inputs=story.amended[i]))
        out.append(_decided(pid, d, seq + len(out)))
        if d.superseded:
            voided = SupersededPayload(gate=d.gate, superseded_seq=seq + len(out) - 1, superseded_hash=_HASH,
                                       rationale="Synthetic correction.", state_after="awaiting-decision")  # fmt: skip
            out.append(NewRecord("superseded", pid, voided))
    out.extend(_report(pid, r, end) for r in story.reports)
    for quarter, outcome in story.reviews:
        state = {"continue": "active", "stop": "stopped", "complete": "completed"}[outcome]
        reviewed = ReviewedPayload(
            quarter=quarter, outcome=outcome, recommended=outcome, overridden=False, reasons=[], rationale="",
            decided_by="ana", meeting_date=dt.date(int(quarter[:4]), 3 * int(quarter[5]), 20), confirmed_seq=1,
            state_after=state,
        )  # fmt: skip
        out.append(NewRecord("reviewed", pid, reviewed, outcome=outcome))
    return out


def _state(story: Story) -> str:
    if story.reviews:
        return {"continue": "active", "stop": "stopped", "complete": "completed"}[story.reviews[-1][1]]
    last = [d for d in story.decisions if not d.superseded][-1]
    return state_after_decision(last.outcome, last.gate == LAST_GATE)


def _row(story: Story, first: int, last: int) -> dict[str, Any]:
    """The story's row of the proposals table (its projection), as the engine would leave it."""
    p = story.proposal
    return {
        "id": story.id, "reference": p["reference"], "title": p["title"], "bucket": p["bucket"],
        "state": _state(story), "sponsor": p["sponsor"], "submitter": p["submitter"], "content_hash": _HASH,
        "snapshot": _HASH, "version": 2 if story.amended else 1, "filed_seq": first, "last_seq": last,
    }  # fmt: skip


def append_stories(store: Store, ledger: Ledger, items: Sequence[Story], chunk: int = 500) -> int:
    """Append the stories' records and their rows of the proposals table, `chunk` stories a transaction.
    Returns the ledger's newest seq."""
    from sqlalchemy import insert

    from governance.ledger import head
    from models.tables import ProposalRow

    newest = 0
    for start in range(0, len(items), chunk):
        with store.write() as conn:
            newest = head(conn)[0]
            records: list[NewRecord] = []
            rows = []
            for story in items[start : start + chunk]:
                first = newest + len(records) + 1
                records.extend(_records(story, first))
                rows.append(_row(story, first, newest + len(records)))
            newest = ledger.append(conn, records, "bench")[-1].seq
            conn.execute(insert(ProposalRow), rows)
    return newest


_QUARTERS = tuple(f"{y}Q{q}" for y in (2025, 2026) for q in (1, 2, 3, 4))
_FLIP = {"go": "kill", "kill": "go"}


def _proposal(rng: random.Random, i: int) -> dict[str, Any]:
    dev = rng.randrange(100, 3000) * 1000
    item: dict[str, Any] = {"period": "FY2025", "development": str(dev), "launch": "0"}
    if rng.random() < 0.5:
        item["development_range"] = {"low": str(dev * 8 // 10), "high": str(dev * 15 // 10)}
    return {
        "reference": f"BENCH-{i:05d}", "title": f"Bench proposal {i}", "summary": "A generated proposal.",
        "sponsor": "Daniel Weiss", "submitter": "Jonas Berg", "bucket": "platform", "start_date": "2024-07-01",
        "end_date": rng.choice(("2025-12-31", "2026-06-30", "2026-12-31")), "costs": [item],
        "p_technical": str(rng.randrange(40, 100) / 100), "p_commercial": str(rng.randrange(30, 100) / 100),
        "benefits": [{"period": "FY2026", "amount": str(dev)}, {"period": "FY2027", "amount": str(dev * 2)}],
    }  # fmt: skip


def stories(count: int, projects: int, seed: int) -> list[Story]:
    """`count` proposals: the first `projects` through all five gates and eight quarters of reports and
    reviews (2025Q1-2026Q4; some stopped or completed on the way), the rest decided gate by gate until a
    kill or a gate still to come. The board follows the engine nine times in ten; one decision in a
    hundred is superseded and decided again."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        proposal = _proposal(rng, i)
        day = dt.date(2024, 1, 1) + dt.timedelta(days=i % 180)
        active = i < projects
        decisions: list[Decided] = []
        for gate in range(1, LAST_GATE + 1):
            day += dt.timedelta(days=rng.randrange(20, 90))
            recommended = "go" if active or rng.random() < 0.75 else "kill"
            outcome = recommended if rng.random() < 0.9 else _FLIP[recommended]
            if active:
                outcome = "go"
            if rng.random() < 0.01:
                decisions.append(Decided(gate, outcome, recommended, day, superseded=True))
            decisions.append(Decided(gate, outcome, recommended, day))
            if outcome == "kill" or (not active and rng.random() < 0.2):
                break
        reports: list[Reported] = []
        reviews: list[tuple[str, str]] = []
        if active:
            budget = Decimal(proposal["costs"][0]["development"])
            overrun = Decimal(rng.randrange(80, 160)) / 100
            for k, quarter in enumerate(_QUARTERS):
                spent = (budget * overrun * (k + 1) / 8).quantize(Decimal(1))
                gained = (budget * Decimal(rng.randrange(0, 120)) / 400 * int(quarter[5])).quantize(Decimal(1))
                reports.append(Reported(quarter, spent, (budget * overrun - spent).quantize(Decimal(1)),
                                        gained if quarter.startswith("2026") else None))  # fmt: skip
                fate = rng.random()
                outcome = "stop" if fate < 0.02 else ("complete" if k >= 4 and fate < 0.15 else "continue")
                reviews.append((quarter, outcome))
                if outcome != "continue":
                    break
        out.append(Story(f"P-{2024 + i // 10000}-{i % 10000:04d}", proposal, tuple(decisions),
                         reports=tuple(reports), reviews=tuple(reviews)))  # fmt: skip
    return out


def _build(place: Path, count: int, projects: int, seed: int) -> Store:
    from bench.common import fresh_database

    place.mkdir(parents=True, exist_ok=True)
    store = Store(fresh_database(place / "ledger.db"))
    clock = FixedClock(dt.datetime(2023, 12, 1, 9, tzinfo=dt.UTC), dt.timedelta(milliseconds=1))
    append_stories(store, Ledger(clock, SeededIds(f"bench-analytics-{seed}")), stories(count, projects, seed))
    return store


def _cached(folder: Path, count: int, projects: int, seed: int) -> tuple[Store, float | None]:
    """The ledger, built in `folder` or, with BENCH_CACHE set, once there and reused by later runs."""
    from bench.common import log, timed

    cache = os.environ.get("BENCH_CACHE")
    place = Path(cache) / f"analytics-{count}-{projects}-{seed}" if cache else folder / "ledger"
    note = place / "built.json"
    if note.exists():
        log(f"analytics_20k: the ledger cached in {place}")
        return Store(f"sqlite:///{place / 'ledger.db'}"), json.loads(note.read_text(encoding="utf-8"))["build_s"]
    if place.exists():
        shutil.rmtree(place)  # a build cut short
    made = timed(lambda: _build(place, count, projects, seed))
    note.write_text(json.dumps({"build_s": made.seconds}), encoding="utf-8")
    return made.value, made.seconds


def _floor(store: Store) -> int:
    """What any analytics must read: every record, the decided, superseded and reviewed payloads through their
    models, and the snapshots of the decided proposals and of each project's newest status report, parsed."""
    from governance.analytics.gather import _snapshots
    from governance.ledger import iter_records
    from models.proposal import Proposal
    from models.status_report import StatusReport

    keys: dict[str, bool] = {}
    newest: dict[str, str] = {}
    read = 0
    with store.read() as conn:
        for record in iter_records(conn):
            read += 1
            if record.kind in ("decided", "superseded", "reviewed"):
                _ = record.body
            elif record.kind in ("filed", "amended") and record.inputs:
                keys[record.inputs] = True
            elif record.kind == "status-reported" and record.inputs:
                newest[record.subject] = record.inputs
        for key in newest.values():
            keys[key] = False
        for key, content in _snapshots(conn, keys):
            (Proposal if keys[key] else StatusReport).model_validate_json(content)
    return read


def analytics_figure(folder: Path, count: int, seed: int, repeats: int = 3) -> dict[str, Any]:
    from bench.common import log, median, timed
    from governance.analytics import analytics, ledger_day

    projects = count // 10
    store, build_s = _cached(folder, count, projects, seed)
    log(f"analytics_20k: {count} proposals, {projects} projects over 8 quarters, built in {build_s} s")
    figure_s, floor_s = [], []
    result = None
    records = 0
    for _ in range(repeats):
        with store.read() as conn:
            day = ledger_day(conn)
            run = timed(lambda: analytics(conn, day))  # noqa: B023 - called at once
        figure_s.append(run.seconds)
        result = run.value
        floor = timed(lambda: _floor(store))
        floor_s.append(floor.seconds)
        records = floor.value
    assert result is not None
    o = result.overall
    seconds, floor_seconds = median(figure_s), median(floor_s)
    with_benefits = next((b.projects for b in result.benefits if b.gate is None), 0)
    checks_ok = o.decisions > count and o.calibration.count > 0 and o.costed >= projects // 2 and with_benefits > 0
    return {
        "proposals": count,
        "projects": projects,
        "records": records,
        "decisions": o.decisions,
        "scored": o.calibration.count,
        "benefits_projects": with_benefits,
        "build_s": None if build_s is None else round(build_s, 1),
        "analytics_s": round(seconds, 3),
        "floor_s": round(floor_seconds, 3),
        "ratio": round(seconds / floor_seconds, 3) if floor_seconds else None,
        "runs_s": [round(s, 3) for s in figure_s],
        "floor_runs_s": [round(s, 3) for s in floor_s],
        "spread_s": round(max(figure_s) - min(figure_s), 3),
        "checks_ok": checks_ok,
        "target_s": TARGET_S,
        "meets_targets": checks_ok and seconds < TARGET_S,
    }
