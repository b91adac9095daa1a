"""Decision-quality analytics per gate: what each gate was promised against what happened.

Definitions (every measure counts decisions still in force, superseded ones left out):

- kill rate: kill decisions / decisions at the gate (hold and recycle count as decisions).
- days at the gate: from arriving at the gate (the meeting date of the proposal's previous go or
  conditional go, or for the first gate the day it was screened) to the decision's meeting date;
  median and P90 (nearest rank).
- fate of a go (or conditional go): `completed` (1) or `stopped`, `killed` later, `withdrawn` (0);
  anything else is open: left out of the calibration and counted.
- cost error of a go: estimate at completion / the gate's total cost - 1, where the total cost is the
  baseline's development + launch over all periods, and the estimate at completion is the newest status
  report's actual cost for a completed project (its final cost) or actual cost + the remaining cost
  forecast for an active or paused one. Stopped, killed and never-reported projects have none.
- P50/P90 coverage: for baselines with three-point cost estimates, whether the estimate at completion
  is at or below the baseline's P50 and P90 (`measures.pert_p50_p90`).
- schedule: for completed projects, quarters from the baseline's end date's quarter to the quarter of
  the review that completed it (0: on time, negative: early). Status reports forecast no end date, so
  open projects are not forecast; those open past their planned end date are counted.
- calibration: the baseline's p_technical x p_commercial against the fate (`measures.brier`).
- overrides: decisions whose outcome differs from the engine's recommendation, by direction
  (`kill -> go`: recommended kill, decided go); their goes' fate and cost error beside the other goes'.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import Connection, select

from governance.analytics.gather import Decision, Project, gather
from governance.analytics.measures import Brier, brier, median, nearest_rank, pert_p50_p90, rounded
from governance.analytics.realised import GateBenefits, gate_benefits
from governance.calendar import quarter_of
from governance.clock import parse_utc

__all__ = ["Analytics", "DecisionRow", "GateSummary", "Group", "analytics", "ledger_day", "summarise"]

OUTCOMES = ("go", "conditional-go", "hold", "recycle", "kill")
_GO = frozenset({"go", "conditional-go"})
_FATE = {"completed": 1, "stopped": 0, "killed": 0, "withdrawn": 0}
_P90 = Fraction(9, 10)


def _quarter_index(quarter: str) -> int:
    return int(quarter[:4]) * 4 + int(quarter[5]) - 1


@dataclass(frozen=True, slots=True)
class DecisionRow:
    """One decision in force with what became of it (the measures' inputs, each as defined above)."""

    seq: int
    project: str
    gate: int
    outcome: str
    recommended: str
    meeting_date: dt.date
    days_at_gate: int | None
    forecast: Decimal | None  # p_technical x p_commercial of the baseline
    fate: str  # the project's state now: completed, stopped, killed, withdrawn, or open states
    cost_baseline: Decimal | None
    cost_outcome: Decimal | None
    cost_basis: str | None  # "final" (completed) or "forecast" (actual + remaining forecast)
    cost_error: Decimal | None
    p50: Decimal | None
    p90: Decimal | None
    planned_end: str | None  # the quarter of the baseline's end date
    completed_in: str | None
    slip_quarters: int | None

    @property
    def overridden(self) -> bool:
        return self.outcome != self.recommended

    @property
    def went_ahead(self) -> bool:
        return self.outcome in _GO

    @property
    def resolved(self) -> int | None:
        return _FATE.get(self.fate) if self.went_ahead else None


@dataclass(frozen=True, slots=True)
class Group:
    """Goes of one kind (overridden, or as recommended): how many, their fate and median cost error."""

    goes: int
    completed: int
    failed: int  # stopped, killed later or withdrawn
    open: int
    median_cost_error: Decimal | None


@dataclass(frozen=True, slots=True)
class GateSummary:
    """The measures of one gate (gate None: all gates in the selection together)."""

    gate: int | None
    name: str
    decisions: int
    outcomes: dict[str, int]
    kill_rate: Decimal | None
    days_median: Decimal | None
    days_p90: Decimal | None
    costed: int
    cost_error_median: Decimal | None
    cost_error_p90: Decimal | None
    over_budget: int
    ranged: int  # goes with three-point estimates and a cost outcome
    within_p50: int
    within_p90: int
    completed: int
    slip_median: Decimal | None
    on_time: int  # completed in or before the planned end quarter
    open_past_end: int
    calibration: Brier
    open_goes: int  # goes left out of the calibration: the project is still open
    overrides: int
    directions: dict[str, int]  # "kill -> go": recommended kill, decided go
    overridden: Group
    followed: Group

    def as_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k not in ("calibration", "overridden", "followed")}
        data["overridden"], data["followed"] = asdict(self.overridden), asdict(self.followed)
        c = self.calibration
        data["calibration"] = {
            "scored": c.count,
            "open": self.open_goes,
            "brier": rounded(c.score),
            "base_rate": rounded(c.base_rate),
            "climatology": rounded(c.uncertainty),
            "reliability": rounded(c.reliability),
            "resolution": rounded(c.resolution),
            "skill": rounded(c.skill),
            "bins": [
                {"low": b.low, "high": b.high, "count": b.count, "forecast": rounded(b.forecast),
                 "observed": rounded(b.observed)}
                for b in c.bins
            ],
        }  # fmt: skip
        return data


@dataclass(frozen=True, slots=True)
class Analytics:
    """The analytics of the decisions selected (`since`, `gate`) as of `today`: per gate, all together, and
    each decision's row."""

    today: dt.date
    since: dt.date | None
    gate: int | None
    gates: tuple[GateSummary, ...]
    overall: GateSummary
    rows: tuple[DecisionRow, ...]
    benefits: tuple[GateBenefits, ...] = ()  # per gate, then over all gates (`realised`)
    currency: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "today": self.today,
            "since": self.since,
            "gate": self.gate,
            "gates": [g.as_dict() for g in self.gates],
            "overall": self.overall.as_dict(),
            "currency": self.currency,
            "benefits": [b.as_dict() for b in self.benefits],
            "decisions": [dict(asdict(r), overridden=r.overridden) for r in self.rows],
        }


def _row(decision: Decision, project: Project) -> DecisionRow:
    base = decision.baseline
    days = (decision.meeting_date - decision.arrived).days if decision.arrived else None
    cost_outcome = basis = error = p50 = p90 = None
    slip = None
    went = decision.outcome in _GO
    report = project.report
    if went and report is not None and project.state in ("completed", "active", "paused"):
        if project.state == "completed":
            cost_outcome, basis = report.actual_cost, "final"
        else:
            cost_outcome, basis = report.actual_cost + sum(report.cost_forecast.values(), Decimal(0)), "forecast"
    if base is not None and went:
        if cost_outcome is not None and base.total_cost > 0:
            error = rounded(cost_outcome / base.total_cost - 1)
        if base.ranged:
            p50, p90 = pert_p50_p90(base.items)
        if project.completed_in is not None:
            slip = _quarter_index(project.completed_in) - _quarter_index(quarter_of(base.end_date))
    return DecisionRow(
        decision.seq, decision.project, decision.gate, decision.outcome, decision.recommended,
        decision.meeting_date, days, base.probability if base else None, project.state,
        base.total_cost if base else None, cost_outcome, basis, error, p50, p90,
        quarter_of(base.end_date) if base else None, project.completed_in if went else None, slip,
    )  # fmt: skip


def _within(outcome: Decimal | None, bound: Decimal | None) -> bool | None:
    return None if outcome is None or bound is None else outcome <= bound


def _group(rows: Sequence[DecisionRow]) -> Group:
    goes = [r for r in rows if r.went_ahead]
    return Group(
        len(goes),
        sum(1 for r in goes if r.resolved == 1),
        sum(1 for r in goes if r.resolved == 0),
        sum(1 for r in goes if r.resolved is None),
        median([r.cost_error for r in goes if r.cost_error is not None]),
    )


def summarise(rows: Sequence[DecisionRow], gate: int | None, name: str, today: dt.date) -> GateSummary:
    """The measures over `rows` (one gate's decisions, or all of them with `gate` None)."""
    outcomes = Counter(r.outcome for r in rows)
    days = [r.days_at_gate for r in rows if r.days_at_gate is not None]
    goes = [r for r in rows if r.went_ahead]
    errors = [r.cost_error for r in goes if r.cost_error is not None]
    ranged = [r for r in goes if r.p50 is not None and r.p90 is not None and r.cost_outcome is not None]
    completed = [r for r in goes if r.slip_quarters is not None]
    now = _quarter_index(quarter_of(today))
    open_past = [r for r in goes if r.fate not in _FATE and r.planned_end and now > _quarter_index(r.planned_end)]
    scored = [(r.forecast, o) for r in goes if (o := r.resolved) is not None and r.forecast is not None]
    ranged = [r for r in ranged if _within(r.cost_outcome, r.p50) is not None]
    overridden = [r for r in rows if r.overridden]
    return GateSummary(
        gate,
        name,
        len(rows),
        {o: outcomes.get(o, 0) for o in OUTCOMES},
        rounded(Fraction(outcomes.get("kill", 0), len(rows))) if rows else None,
        median(days),
        nearest_rank(days, _P90),
        len(errors),
        median(errors),
        nearest_rank(errors, _P90),
        sum(1 for e in errors if e > 0),
        len(ranged),
        sum(1 for r in ranged if _within(r.cost_outcome, r.p50)),
        sum(1 for r in ranged if _within(r.cost_outcome, r.p90)),
        len(completed),
        median([r.slip_quarters for r in completed if r.slip_quarters is not None]),
        sum(1 for r in completed if (r.slip_quarters or 0) <= 0),
        len(open_past),
        brier(scored),
        sum(1 for r in goes if r.resolved is None),
        len(overridden),
        dict(sorted(Counter(f"{r.recommended} -> {r.outcome}" for r in overridden).items())),
        _group(overridden),
        _group([r for r in rows if not r.overridden]),
    )


def analytics(conn: Connection, today: dt.date, *, since: dt.date | None = None, gate: int | None = None) -> Analytics:
    """Decision-quality analytics from the ledger: every gate decision in force (met on or after `since`,
    at `gate` when given) against what became of its project by `today`.

    Args:
        conn: a read connection to the governance database.
        today: the organisation's date (projects open past their planned end are counted against it).
        since: only decisions whose meeting date is on or after it.
        gate: only decisions at this gate.
    """
    decisions, projects = gather(conn)
    chosen = [
        d for d in decisions
        if (since is None or d.meeting_date >= since) and (gate is None or d.gate == gate)
    ]  # fmt: skip
    rows = tuple(_row(d, projects[d.project]) for d in chosen)
    names = {d.gate: d.gate_name for d in chosen}
    gates = tuple(summarise([r for r in rows if r.gate == g], g, names[g], today) for g in sorted(names))
    from governance.adoption import adopted_policy

    loaded = adopted_policy(conn)
    benefits = gate_benefits(conn, rows, loaded.policy, today) if loaded is not None and rows else ()
    currency = loaded.policy.currency if loaded is not None else None
    overall = summarise(rows, None, "All gates", today)
    return Analytics(today, since, gate, gates, overall, rows, benefits, currency)


def ledger_day(conn: Connection) -> dt.date:
    """The day (UTC) of the ledger's newest record: what the analytics are as of, so that the same ledger
    always gives the same figures (and a pack made again, the same bytes). 1970-01-01 for an empty ledger."""
    from models.tables import LedgerRow

    stamp = conn.scalar(select(LedgerRow.recorded_at).order_by(LedgerRow.seq.desc()).limit(1))
    return parse_utc(stamp).date() if stamp else dt.date(1970, 1, 1)
