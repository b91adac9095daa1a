"""`analytics_20k`: `governance analytics` over a ledger of 20,000 proposals and 8 quarters of 2,000 projects.

Data (`stories`, `append_stories`): each proposal is filed (its file the record's input snapshot) and
screened, then decided gate by gate (gate 1 to 5 of the stage-gate policy, the board now and then against
the engine's recommendation, a few decisions superseded), and those past the last gate report every
quarter (status reports as input snapshots) and are reviewed: continued, stopped or completed. Records are
appended straight to the ledger, each payload built from its kind's model (as `bench.synthetic` does), so
the ledger of about 150,000 records takes a minute, not hours; the tests build their small ledgers with
the same function. Built once per run, or once in `$BENCH_CACHE` when set.

Figure: `governance.analytics.analytics(conn, today)` over the whole ledger. Floor: walking the same
records with `iter_records` and reading each decided, superseded and reviewed payload through its model
and every snapshot a decision's proposal or a project's newest status report names (what any analytics
must read). Median of `repeats` rounds, figure and floor interleaved. Target: under 10 s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from governance.ledger import Ledger, NewRecord
from governance.lifecycle import state_after_decision
from governance.store import Store
from models.decision import Vote
from models.records import (
    DecidedPayload,
    FiledPayload,
    ReviewedPayload,
    ScreenedPayload,
    SourceRef,
    StatusReportedPayload,
    SupersededPayload,
    VoteTally,
)

__all__ = ["Decided", "Reported", "Story", "append_stories"]

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


@dataclass(frozen=True, slots=True)
class Story:
    """One proposal's life: its file, each version amended before a decision (`amended[i]` before decision
    i), its decisions, its status reports and its last review's outcome (and quarter)."""

    id: str
    proposal: dict[str, Any]
    decisions: tuple[Decided, ...] = ()
    amended: dict[int, dict[str, Any]] = field(default_factory=dict)
    reports: tuple[Reported, ...] = ()
    review: tuple[str, str] | None = None  # (quarter, continue | stop | complete)


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
            from models.records import AmendedPayload

            amended = AmendedPayload(reference=ref, content_hash=_HASH, previous_hash=_HASH, version=2,
                                     changed=["costs"], source=source)  # fmt: skip
            out.append(NewRecord("amended", pid, amended, inputs=story.amended[i]))
        out.append(_decided(pid, d, seq + len(out)))
        if d.superseded:
            voided = SupersededPayload(gate=d.gate, superseded_seq=seq + len(out) - 1, superseded_hash=_HASH,
                                       rationale="Synthetic correction.", state_after="awaiting-decision")  # fmt: skip
            out.append(NewRecord("superseded", pid, voided))
    out.extend(_report(pid, r, end) for r in story.reports)
    if story.review is not None:
        quarter, outcome = story.review
        state = {"continue": "active", "stop": "stopped", "complete": "completed"}[outcome]
        reviewed = ReviewedPayload(
            quarter=quarter, outcome=outcome, recommended=outcome, overridden=False, reasons=[], rationale="",
            decided_by="ana", meeting_date=dt.date(int(quarter[:4]), 3 * int(quarter[5]), 20), confirmed_seq=1,
            state_after=state,
        )  # fmt: skip
        out.append(NewRecord("reviewed", pid, reviewed, outcome=outcome))
    return out


def append_stories(store: Store, ledger: Ledger, items: Sequence[Story], chunk: int = 500) -> int:
    """Append the stories' records, `chunk` stories a transaction. Returns the ledger's newest seq."""
    from governance.ledger import head

    newest = 0
    for start in range(0, len(items), chunk):
        with store.write() as conn:
            newest = head(conn)[0]
            records: list[NewRecord] = []
            for story in items[start : start + chunk]:
                records.extend(_records(story, newest + len(records) + 1))
            newest = ledger.append(conn, records, "bench")[-1].seq
    return newest
