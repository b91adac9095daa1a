"""What the analytics read from the ledger: each gate decision with the proposal it was made on and what
became of the project afterwards, in one walk of the records and one read of the snapshots they name.

A decision's baseline is the newest `filed` or `amended` snapshot of its proposal before the decision; a
decision voided by a `superseded` record is left out. A project's fate is its newest state (`decided`,
`superseded`, `reviewed`, `migrated` and `withdrawn` records), its completion quarter the quarter of the
`reviewed` record that completed it, and its spend the newest status report (the latest quarter, the
highest version).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, select

from models.status_report import StatusReport
from models.tables import LedgerRow, SnapshotRow

__all__ = ["Baseline", "Decision", "Project", "gather"]

_GO = frozenset({"go", "conditional-go"})
_STATE_KINDS = frozenset({"decided", "superseded", "reviewed", "migrated"})


@dataclass(frozen=True, slots=True)
class Baseline:
    """What a gate was promised: the proposal version the decision was made on."""

    seq: int  # the filed or amended record
    total_cost: Decimal
    end_date: dt.date
    probability: Decimal  # p_technical x p_commercial
    items: tuple[tuple[Decimal, Decimal, Decimal], ...]  # every cost amount as (low, likely, high)
    ranged: bool  # at least one cost amount is a three-point estimate


@dataclass(frozen=True, slots=True)
class Project:
    """What became of a proposal: its newest state, when it completed, and its newest status report."""

    id: str
    title: str
    state: str
    completed_in: str | None  # the quarter of the review that completed it
    report: StatusReport | None


@dataclass(frozen=True, slots=True)
class Decision:
    """A gate decision still in force, with the date the proposal reached the gate and its baseline."""

    seq: int
    project: str
    gate: int
    gate_name: str
    outcome: str
    recommended: str
    meeting_date: dt.date
    arrived: dt.date | None  # the previous go's meeting date, or the screening day
    baseline: Baseline | None


@dataclass(slots=True)
class _Trail:
    title: str = ""
    state: str = "submitted"
    completed_in: str | None = None
    report_at: tuple[str, int] = ("", 0)
    report_key: str | None = None


class _Range(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    low: Decimal
    high: Decimal


class _Cost(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    development: Decimal
    launch: Decimal = Decimal(0)
    development_range: _Range | None = None
    launch_range: _Range | None = None


class _Proposal(BaseModel):
    """The fields read here of a proposal file (`models.proposal.Proposal`), the rest ignored: the file was
    validated whole when it was filed, and its snapshot is held to its key by `verify`. Reading these
    fields without the file format's constraints (digits, places, consistency) halved the time spent on
    the bench's 20,000 proposals."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    title: str
    end_date: dt.date
    costs: list[_Cost]
    p_technical: Decimal
    p_commercial: Decimal


def _proposal_baseline(seq: int, proposal: _Proposal) -> Baseline:
    items: list[tuple[Decimal, Decimal, Decimal]] = []
    for cost in proposal.costs:
        for amount, given in ((cost.development, cost.development_range), (cost.launch, cost.launch_range)):
            items.append((amount, amount, amount) if given is None else (given.low, amount, given.high))
    ranged = any(c.development_range is not None or c.launch_range is not None for c in proposal.costs)
    return Baseline(
        seq,
        sum((c.development + c.launch for c in proposal.costs), Decimal(0)),
        proposal.end_date,
        proposal.p_technical * proposal.p_commercial,
        tuple(items),
        ranged,
    )


def _snapshots(conn: Connection, keys: Iterable[str]) -> Iterator[tuple[str, str]]:
    wanted = sorted(set(keys))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for key, content in conn.execute(
            select(SnapshotRow.key, SnapshotRow.content).where(SnapshotRow.key.in_(chunk))
        ):
            yield str(key), str(content)


class _Stateful(BaseModel):
    """The fields read here of a `decided`, `superseded`, `reviewed` or `migrated` payload, the rest ignored.

    The stored payloads were made from their kinds' models (`models.records`) and `verify` holds them to
    their bytes; reading only these fields, not the whole model (votes, tally, conditions...), took the
    analytics of the bench's ledger from 12.8 s to 5.5 s (bench/analytics.py, load 3.6 on 2 cores)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    state_after: str
    gate: int = 0
    gate_name: str = ""
    outcome: str = ""
    recommended: str = ""
    meeting_date: dt.date = dt.date.min
    superseded_seq: int = 0
    quarter: str = ""


def _rows(conn: Connection) -> Iterator[Any]:
    columns = (LedgerRow.seq, LedgerRow.kind, LedgerRow.subject, LedgerRow.outcome, LedgerRow.inputs,
               LedgerRow.payload, LedgerRow.recorded_at)  # fmt: skip
    yield from conn.execution_options(yield_per=5000).execute(select(*columns).order_by(LedgerRow.seq))


def gather(conn: Connection) -> tuple[list[Decision], dict[str, Project]]:
    """Every gate decision in force (ledger order) and the projects they are about.

    Args:
        conn: a read connection to the governance database.

    Returns:
        The decisions, and each decided proposal's `Project`.
    """
    versions: dict[str, list[tuple[int, str]]] = {}
    screened: dict[str, list[tuple[int, dt.date]]] = {}
    decided: list[tuple[int, str, _Stateful]] = []
    voided: set[int] = set()
    trails: dict[str, _Trail] = {}
    # The columns read straight from the table, each payload parsed only for the kinds read here and the
    # day taken from the stored timestamp's text (UTC, as `recorded_at.date()` gives it): `iter_records`
    # parses every timestamp and builds every record, which was a third of the time (bench/analytics.py).
    for seq, kind, subject, outcome, inputs, payload, recorded_at in _rows(conn):
        if kind in ("filed", "amended") and inputs:
            versions.setdefault(subject, []).append((seq, inputs))
        elif kind == "screened":
            screened.setdefault(subject, []).append((seq, dt.date.fromisoformat(recorded_at[:10])))
        elif kind == "status-reported" and inputs:
            trail = trails.setdefault(subject, _Trail())
            at = (outcome or "", seq)  # the quarter, then the newest version
            if at >= trail.report_at:
                trail.report_at, trail.report_key = at, inputs
        elif kind == "withdrawn":
            trails.setdefault(subject, _Trail()).state = "withdrawn"
        if kind in _STATE_KINDS:
            body = _Stateful.model_validate_json(payload)
            trail = trails.setdefault(subject, _Trail())
            trail.state = body.state_after
            if kind == "decided":
                decided.append((seq, subject, body))
            elif kind == "superseded":
                voided.add(body.superseded_seq)
            elif kind == "reviewed" and body.outcome == "complete":
                trail.completed_in = body.quarter
    in_force = [(seq, subject, b) for seq, subject, b in decided if seq not in voided]
    subjects = {subject for _, subject, _ in in_force}
    wanted: dict[str, str] = {}  # snapshot key -> what it is
    for subject in subjects:
        for _, key in versions.get(subject, []):
            wanted[key] = "proposal"
        report_key = trails[subject].report_key
        if report_key is not None:
            wanted[report_key] = "report"
    proposals: dict[str, _Proposal] = {}
    reports: dict[str, StatusReport] = {}
    for key, content in _snapshots(conn, wanted):
        if wanted[key] == "proposal":
            proposals[key] = _Proposal.model_validate_json(content)
        else:
            reports[key] = StatusReport.model_validate_json(content)
    decisions = []
    last_go: dict[str, dt.date] = {}
    baselines: dict[tuple[int, str], Baseline] = {}
    for decision_seq, subject, body in in_force:
        before = [(s, k) for s, k in versions.get(subject, []) if s < decision_seq and k in proposals]
        baseline = None
        if before:
            seq, key = before[-1]
            if (seq, key) not in baselines:
                baselines[(seq, key)] = _proposal_baseline(seq, proposals[key])
            baseline = baselines[(seq, key)]
        arrived = last_go.get(subject)
        if arrived is None:
            days = [d for s, d in screened.get(subject, []) if s < decision_seq]
            arrived = days[-1] if days else None
        decisions.append(
            Decision(decision_seq, subject, body.gate, body.gate_name, body.outcome, body.recommended,
                     body.meeting_date, arrived, baseline)
        )  # fmt: skip
        if body.outcome in _GO:
            last_go[subject] = body.meeting_date
    projects = {}
    for subject in sorted(subjects):
        trail = trails[subject]
        titled = versions.get(subject, [])
        title = proposals[titled[-1][1]].title if titled and titled[-1][1] in proposals else subject
        report = reports.get(trail.report_key) if trail.report_key else None
        projects[subject] = Project(subject, title, trail.state, trail.completed_in, report)
    return decisions, projects
