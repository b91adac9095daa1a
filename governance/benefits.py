"""Benefits realisation: what each go decision promised against what the project's benefits came to.

The **baseline** is the benefits the decision was made on: the proposal version on file (the latest
`filed`, `amended` or `migrated` record's content) when a go or conditional go was recorded at a gate, or
the migrated project's own figures. Every go decision keeps its own baseline ("promised at gate 2"); the
one that made the project active (its last go, or its migration) is *the* baseline the realisation is
measured against. A superseded decision's baseline is dropped with it.

**Realised** benefits come from the project's status reports (`benefits_realised`, per period begun, the
newest report that gives a period wins) and, after completion, from its post-implementation review
(`benefits-reviewed`, governance.benefits_review), whose figures replace the reports' where both give a
period.

**To date** as of a day: the periods that have ended count in full; the period the day falls in counts
pro rata by the whole months of it that have passed (a fiscal year of twelve months, from the policy's
`fiscal_year_start_month`); later periods not at all. So a review in the middle of a year is measured
against the part of that year's promise that was due by then.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from governance.calendar import quarter_dates
from models.benefits import BenefitsReview
from models.policy import Policy
from models.proposal import Proposal
from models.records import parse_payload
from models.status_report import StatusReport
from models.tables import LedgerRow, ProposalRow

__all__ = [
    "Baseline",
    "ProjectBenefits",
    "due_fraction",
    "portfolio_totals",
    "promised_to",
    "quarter_end",
    "quarters_after",
    "realisation",
]

_KINDS = (
    "filed",
    "amended",
    "migrated",
    "decided",
    "superseded",
    "status-reported",
    "reviewed",
    "benefits-reviewed",
)
_GO = ("go", "conditional-go")
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Baseline:
    """The benefits (and costs) one go decision, or a migration, was made on."""

    seq: int  # the decided (or migrated) record
    gate: int | None  # None: a migrated project
    decided_on: str  # the meeting date, or the migration's approval date
    benefits: dict[str, Decimal]
    costs: dict[str, Decimal]
    total: Decimal


@dataclass(slots=True)
class ProjectBenefits:
    """One project's promised and realised benefits, per period and to date."""

    project: str
    title: str
    state: str
    baseline_seq: int
    baseline_gate: int | None
    promised: dict[str, Decimal]
    realised: dict[str, Decimal]
    sources: dict[str, str]  # period -> where its realised figure comes from
    owner: str | None
    promised_to_date: Decimal
    realised_to_date: Decimal
    still_expected: dict[str, Decimal]  # a post-implementation review's forecast of later periods
    completed_quarter: str | None
    review_seq: int | None  # the latest post-implementation review
    review_outcome: str | None
    baselines: list[Baseline] = field(default_factory=list)  # every go decision's, in ledger order

    @property
    def ratio(self) -> Decimal | None:
        """Realised over promised to date; None while nothing was due."""
        if not self.promised_to_date:
            return None
        return (self.realised_to_date / self.promised_to_date).quantize(Decimal("0.001"))

    @property
    def promised_total(self) -> Decimal:
        return sum(self.promised.values(), Decimal(0))

    def as_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "title": self.title,
            "state": self.state,
            "baseline_seq": self.baseline_seq,
            "baseline_gate": self.baseline_gate,
            "promised": self.promised,
            "realised": self.realised,
            "sources": self.sources,
            "owner": self.owner,
            "promised_total": self.promised_total,
            "promised_to_date": self.promised_to_date,
            "realised_to_date": self.realised_to_date,
            "ratio": self.ratio,
            "still_expected": self.still_expected,
            "completed_quarter": self.completed_quarter,
            "review_seq": self.review_seq,
            "review_outcome": self.review_outcome,
            "baselines": [
                {
                    "seq": b.seq,
                    "gate": b.gate,
                    "decided_on": b.decided_on,
                    "benefits": b.benefits,
                    "benefits_total": b.total,
                }
                for b in self.baselines
            ],
        }


def due_fraction(period: str, day: dt.date, policy: Policy) -> Decimal:
    """How much of a budget period's promise is due by the end of `day`: 1 once it has ended, 0 before
    it begins, else the whole months of it that have passed over twelve."""
    year = int(period[2:])
    start_month = policy.fiscal_year_start_month
    begins = dt.date(year if start_month == 1 else year - 1, start_month, 1)
    months = (day.year - begins.year) * 12 + (day.month - begins.month)  # whole months before day's month
    following = day + dt.timedelta(days=1)
    if following.day == 1:  # the day ends its month: that month has passed too
        months += 1
    return Decimal(max(0, min(12, months))) / Decimal(12)


def promised_to(promised: dict[str, Decimal], day: dt.date, policy: Policy) -> Decimal:
    """The part of a promise due by the end of `day` (module docstring: "to date")."""
    total = sum((amount * due_fraction(p, day, policy) for p, amount in promised.items()), Decimal(0))
    return total.quantize(_CENT)


def _realised_to(realised: dict[str, Decimal]) -> Decimal:
    """Realised benefits to date: every period reported (they are actuals, never of periods not begun)."""
    return sum(realised.values(), Decimal(0)).quantize(_CENT)


def _flows(proposal: Proposal) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    benefits: dict[str, Decimal] = defaultdict(Decimal)
    for b in proposal.benefits:
        benefits[b.period] += b.amount
    costs: dict[str, Decimal] = defaultdict(Decimal)
    for c in proposal.costs:
        costs[c.period] += c.development + c.launch
    return dict(sorted(benefits.items())), dict(sorted(costs.items()))


@dataclass(slots=True)
class _Walk:
    """One project's records as the realisation reads them."""

    content: str | None = None  # the proposal version on file (snapshot key)
    migrated: bool = False
    baselines: list[tuple[int, int | None, str, str, bool]] = field(default_factory=list)  # seq, gate, on, key, mig
    reports: dict[str, tuple[int, str]] = field(default_factory=dict)  # quarter -> (seq, snapshot key)
    completed: str | None = None
    reviews: list[tuple[int, str, str]] = field(default_factory=list)  # seq, snapshot key, outcome


def _walk(rows: Iterable[Any]) -> dict[str, _Walk]:
    walks: dict[str, _Walk] = defaultdict(_Walk)
    for seq, kind, subject, outcome, inputs, payload in rows:
        w = walks[subject]
        if kind in ("filed", "amended"):
            w.content = inputs
        elif kind == "migrated":
            w.content, w.migrated = inputs, True
            body = parse_payload(kind, payload)
            w.baselines.append((seq, None, body.approved_on.isoformat(), inputs, True))
        elif kind == "decided" and outcome in _GO and w.content is not None:
            body = parse_payload(kind, payload)
            w.baselines.append((seq, body.gate, body.meeting_date.isoformat(), w.content, False))
        elif kind == "superseded":
            body = parse_payload(kind, payload)
            voided = body.superseded_seq
            w.baselines = [b for b in w.baselines if b[0] != voided]
        elif kind == "status-reported":
            w.reports[outcome] = (seq, inputs)  # a later version replaces an earlier one
        elif kind == "reviewed" and outcome == "complete":
            w.completed = parse_payload(kind, payload).quarter
        elif kind == "benefits-reviewed":
            w.reviews.append((seq, inputs, outcome))
    return walks


def _snapshots(conn: Connection, keys: set[str]) -> dict[str, str]:
    from models.tables import SnapshotRow

    wanted = sorted(keys)
    out: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        query = select(SnapshotRow.key, SnapshotRow.content).where(SnapshotRow.key.in_(chunk))
        out.update((k, c) for k, c in conn.execute(query))
    return out


def realisation(
    conn: Connection,
    policy: Policy,
    today: dt.date,
    projects: Iterable[str] | None = None,
    *,
    upto: int | None = None,
) -> list[ProjectBenefits]:
    """Every project with a benefits baseline (a last-gate go or a migration), or only `projects` (ids),
    ordered by id: promised against realised as of `today`; with `upto`, from the records up to that
    sequence number only (a pack made at that point). `state` and `title` are the projection's, current."""
    query = (
        select(LedgerRow.seq, LedgerRow.kind, LedgerRow.subject, LedgerRow.outcome, LedgerRow.inputs, LedgerRow.payload)
        .where(LedgerRow.kind.in_(_KINDS))
        .order_by(LedgerRow.seq)
    )
    if upto is not None:
        query = query.where(LedgerRow.seq <= upto)
    wanted = None if projects is None else sorted(set(projects))
    if wanted is not None:
        query = query.where(LedgerRow.subject.in_(wanted))
    walks = _walk(conn.execute(query))
    last_gate = len(policy.gates)
    chosen = {
        pid: w for pid, w in walks.items() if w.baselines and (w.baselines[-1][4] or w.baselines[-1][1] == last_gate)
    }
    keys: set[str] = set()
    for w in chosen.values():
        keys.update(b[3] for b in w.baselines)
        keys.update(k for _, k in w.reports.values())
        keys.update(r[1] for r in w.reviews)
    texts = _snapshots(conn, keys)
    named = select(ProposalRow.id, ProposalRow.title, ProposalRow.state).where(ProposalRow.id.in_(sorted(chosen)))
    rows = {r.id: r for r in conn.execute(named)}
    flows: dict[str, tuple[dict[str, Decimal], dict[str, Decimal]]] = {}  # snapshot key -> its flows, parsed once
    return [_project(pid, rows[pid], chosen[pid], texts, flows, policy, today) for pid in sorted(chosen) if pid in rows]


def _project(
    pid: str,
    row: Any,
    w: _Walk,
    texts: dict[str, str],
    flows: dict[str, tuple[dict[str, Decimal], dict[str, Decimal]]],
    policy: Policy,
    today: dt.date,
) -> ProjectBenefits:
    baselines: list[Baseline] = []
    for seq, gate, on, key, _migrated in w.baselines:  # a migration's snapshot is its proposal part too
        if key not in flows:  # several gates' goes are often made on one proposal version
            flows[key] = _flows(Proposal.model_validate_json(texts[key]))
        benefits, costs = flows[key]
        baselines.append(Baseline(seq, gate, on, benefits, costs, sum(benefits.values(), Decimal(0))))
    base = baselines[-1]
    realised: dict[str, Decimal] = {}
    sources: dict[str, str] = {}
    owner: str | None = None
    for quarter in sorted(w.reports):
        report = StatusReport.model_validate_json(texts[w.reports[quarter][1]])
        for period, amount in sorted((report.benefits_realised or {}).items()):
            realised[period] = amount
            sources[period] = f"status report {quarter}"
        owner = report.benefits_owner or owner
    expected: dict[str, Decimal] = {}
    review_seq = review_outcome = None
    if w.reviews:
        review_seq, key, review_outcome = w.reviews[-1]
        review = BenefitsReview.model_validate_json(texts[key])
        for period, amount in sorted(review.benefits_realised.items()):
            realised[period] = amount
            sources[period] = f"post-implementation review {review.quarter}"
        expected = dict(sorted(review.benefits_forecast.items()))
        owner = review.owner
    return ProjectBenefits(
        project=pid,
        title=row.title,
        state=row.state,
        baseline_seq=base.seq,
        baseline_gate=base.gate,
        promised=base.benefits,
        realised=dict(sorted(realised.items())),
        sources=dict(sorted(sources.items())),
        owner=owner,
        promised_to_date=promised_to(base.benefits, today, policy),
        realised_to_date=_realised_to(realised),
        still_expected=expected,
        completed_quarter=w.completed,
        review_seq=review_seq,
        review_outcome=review_outcome,
        baselines=baselines,
    )


def portfolio_totals(items: Iterable[ProjectBenefits]) -> dict[str, Any]:
    """The portfolio's promised and realised benefits: totals, to date, and per period."""
    promised: dict[str, Decimal] = defaultdict(Decimal)
    realised: dict[str, Decimal] = defaultdict(Decimal)
    to_date = realised_to_date = total = Decimal(0)
    count = 0
    for item in items:
        count += 1
        for period, amount in item.promised.items():
            promised[period] += amount
        for period, amount in item.realised.items():
            realised[period] += amount
        to_date += item.promised_to_date
        realised_to_date += item.realised_to_date
        total += item.promised_total
    ratio = (realised_to_date / to_date).quantize(Decimal("0.001")) if to_date else None
    return {
        "projects": count,
        "promised_total": total,
        "promised_to_date": to_date,
        "realised_to_date": realised_to_date,
        "ratio": ratio,
        "promised": dict(sorted(promised.items())),
        "realised": dict(sorted(realised.items())),
    }


def quarters_after(quarter: str, n: int) -> str:
    """The quarter `n` quarters after `quarter` (`2026Q4`, 2 -> `2027Q2`)."""
    year, q = int(quarter[:4]), int(quarter[5]) - 1 + n
    return f"{year + q // 4}Q{q % 4 + 1}"


def quarter_end(quarter: str) -> dt.date:
    return quarter_dates(quarter)[1]
