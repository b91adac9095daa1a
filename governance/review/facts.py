"""The facts of a quarterly review: the projects on file, their value now, and what the rules may name.

A project's facts for a quarter are its earned value from that quarter's newest status report, its
score (re-computed when the policy changed since it was scored) and its ECV and NPV on what is still
to come, and its open gate conditions. The rules see them as a plain mapping (`FACT_FIELDS`); the
review records the quarter's facts through `ReviewFactsReported` / `ReviewFactsMissing`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from governance.errors import InputRefused
from governance.financials import financials
from governance.gates import open_conditions
from governance.lifecycle import REVIEWABLE
from governance.policy import LoadedPolicy
from governance.reports import earned_value_indices
from governance.scoring import RatedAssessment, score_proposal
from models.assessment import Assessment
from models.proposal import BenefitFlow, PeriodCost, Proposal
from models.records import ReviewFactsMissing, ReviewFactsReported, parse_payload
from models.status_report import RISK_LEVELS, StatusReport
from models.tables import LedgerRow, ProposalRow, SnapshotRow

__all__ = ["FACT_FIELDS", "ProjectOnFile", "load_projects", "quarter_facts", "recorded_facts", "remaining"]

# What a review rule may name (per project, per quarter).
FACT_FIELDS: dict[str, str] = {
    "cpi": "cost performance index EV / AC (absent before any spend)",
    "spi": "schedule performance index EV / PV (absent before any planned work)",
    "actual_cost": "AC, cumulative",
    "planned_value": "PV, cumulative",
    "earned_value": "EV, cumulative",
    "percent_complete": "0-100",
    "risk_level": "low | medium | high | critical",
    "risk_rank": "1 (low) .. 4 (critical)",
    "milestones_hit": "count this quarter",
    "milestones_missed": "count this quarter",
    "report_missing": "true when the project sent no report for the quarter",
    "report_late_days": "days after the due date the report came (0 when on time)",
    "score": "the score card's total, re-computed under the current policy",
    "ecv": "expected commercial value of what is still to come",
    "npv": "net present value of what is still to come",
    "open_conditions": "count of open gate conditions",
    "overdue_conditions": "count of open gate conditions past due",
    "state": "active | paused",
    "bucket": "strategic bucket id",
}


@dataclass(frozen=True, slots=True)
class ProjectOnFile:
    """An active or paused project as the review finds it: its row, proposal, score and conditions."""

    id: str
    reference: str
    title: str
    bucket: str
    state: str
    proposal: Proposal
    score: Decimal | None
    score_note: str | None  # why the score was not re-computed under the current policy, if it was not
    open_conditions: int
    overdue_conditions: int


def _snapshots(conn: Connection, keys: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    wanted = sorted(set(keys))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        out.update(
            (k, c)
            for k, c in conn.execute(select(SnapshotRow.key, SnapshotRow.content).where(SnapshotRow.key.in_(chunk)))
        )
    return out


def _latest_value_records(conn: Connection, ids: Sequence[str]) -> dict[str, tuple[str, tuple[int, str, str]]]:
    """Each project's newest `scored` record, or else its `migrated` record: (kind, (seq, payload, version))."""
    out: dict[str, tuple[str, tuple[int, str, str]]] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        rows = conn.execute(
            select(LedgerRow.subject, LedgerRow.kind, LedgerRow.seq, LedgerRow.payload, LedgerRow.policy_version)
            .where(LedgerRow.subject.in_(chunk), LedgerRow.kind.in_(("scored", "migrated")))
            .order_by(LedgerRow.seq)
        )
        for subject, kind, seq, payload, version in rows:
            if kind == "scored" or subject not in out or out[subject][0] != "scored":
                out[subject] = (kind, (seq, payload, version or ""))
    return out


def _rescore(
    conn: Connection, loaded: LoadedPolicy, pid: str, seq: int, payload: str, version: str
) -> tuple[Decimal, str | None]:
    """The score card's total, re-computed from its stored assessments when the policy changed since."""
    card = parse_payload("scored", payload)
    if version == loaded.version:
        return card.total, None
    inputs_key = conn.scalar(select(LedgerRow.inputs).where(LedgerRow.seq == seq))
    content = conn.scalar(select(SnapshotRow.content).where(SnapshotRow.key == inputs_key))
    data = json.loads(content or "{}")
    items = [RatedAssessment("ledger", f"record {seq}", Assessment.model_validate(a)) for a in data["assessments"]]
    proposal = Proposal.model_validate(data["proposal"])
    try:
        rescored = score_proposal(
            loaded.policy, pid, card.gate, items, financials(proposal, loaded.policy.discount_rate)
        )
    except InputRefused as refused:
        reason = "; ".join(p.message for p in refused.problems[:3])
        return card.total, f"score not re-computed under the current policy ({reason})"
    return rescored.total, None


def load_projects(conn: Connection, loaded: LoadedPolicy, today: dt.date) -> list[ProjectOnFile]:
    """Every active and paused project, by id, with its score and its open and overdue conditions on `today`."""
    rows = list(
        conn.execute(select(ProposalRow).where(ProposalRow.state.in_(sorted(REVIEWABLE))).order_by(ProposalRow.id))
    )
    contents = _snapshots(conn, [r.snapshot for r in rows])
    values = _latest_value_records(conn, [r.id for r in rows])
    out = []
    for row in rows:
        proposal = Proposal.model_validate_json(contents[row.snapshot])
        score: Decimal | None = None
        note: str | None = None
        kind, data = values.get(row.id, ("", (0, "{}", "")))
        if kind == "scored":
            score, note = _rescore(conn, loaded, row.id, *data)
        elif kind == "migrated":
            score = parse_payload("migrated", data[1]).score
        conditions = open_conditions(conn, row.id)
        overdue = sum(1 for c in conditions if c.due < today)
        out.append(
            ProjectOnFile(
                row.id,
                row.reference,
                row.title,
                row.bucket,
                row.state,
                proposal,
                score,
                note,
                len(conditions),
                overdue,
            )
        )
    return out


def remaining(proposal: Proposal, report: StatusReport | None, first_period: str) -> Proposal:
    """The proposal's cash flows from `first_period` on: sunk costs do not count in a continue/stop call.

    Three-point ranges go with the figures they belong to: the report's forecast ranges with its
    forecasts, the proposal's ranges with its own figures (`governance risk` simulates them)."""
    forecast = report.cost_forecast if report is not None and report.cost_forecast else None
    planned = {c.period: c for c in proposal.costs}
    periods = sorted(p for p in {*(forecast or {}), *planned} if p >= first_period)
    cost_ranges = (report.cost_forecast_range or {}) if report is not None else {}
    zero = Decimal(0)
    costs = []
    for p in periods:
        plan = planned.get(p)
        if forecast is not None:
            development, development_range = forecast.get(p, zero), cost_ranges.get(p)
        else:
            development = plan.development if plan is not None else zero
            development_range = plan.development_range if plan is not None else None
        costs.append(
            PeriodCost(
                period=p,
                development=development,
                launch=plan.launch if plan is not None else zero,
                development_range=development_range,
                launch_range=plan.launch_range if plan is not None else None,
            )
        )
    if report is not None and report.benefits_forecast:
        ranges = report.benefits_forecast_range or {}
        benefits = [
            BenefitFlow(period=p, amount=a, amount_range=ranges.get(p))
            for p, a in sorted(report.benefits_forecast.items())
            if p >= first_period
        ]
    else:
        benefits = [b for b in proposal.benefits if b.period >= first_period]
    if not costs:
        costs = [PeriodCost(period=first_period, development=zero)]
    return proposal.model_copy(update={"costs": costs, "benefits": benefits})


def quarter_facts(report: StatusReport | None, due: dt.date, base: dict[str, Any]) -> dict[str, Any]:
    """A project's facts for one quarter, as the rules see them: `base` (its value, conditions, state and
    bucket) and what its report for the quarter says (`report_missing` when there is none)."""
    facts = dict(base)
    if report is None:
        facts.update(report_missing=True, report_late_days=None)
        return facts
    cpi, spi = earned_value_indices(report)
    facts.update(
        cpi=cpi,
        spi=spi,
        actual_cost=report.actual_cost,
        planned_value=report.planned_value,
        earned_value=report.earned_value,
        percent_complete=report.percent_complete,
        risk_level=report.risk_level,
        risk_rank=RISK_LEVELS.index(report.risk_level) + 1,
        milestones_hit=len(report.milestones_hit),
        milestones_missed=len(report.milestones_missed),
        report_missing=False,
        report_late_days=max((report.submitted_on - due).days, 0),
    )
    return facts


def recorded_facts(facts: dict[str, Any]) -> ReviewFactsReported | ReviewFactsMissing:
    """The quarter's facts as the review records them (every decimal as written, its scale kept)."""
    model = ReviewFactsMissing if facts["report_missing"] else ReviewFactsReported
    return model.model_validate(facts)
