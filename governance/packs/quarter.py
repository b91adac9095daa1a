"""The quarterly board pack's content, read from the ledger and its snapshots only.

The pack opens with a one-page dashboard, then lists what the selection funds and leaves out, the
frontier and the risk-value chart, and one page per project with its facts in words and its trend
over the quarters on file. Reasons are stored in the engine's wording and shown in words
(`governance.wording`); money carries the policy's currency.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from governance.errors import NotFoundError
from governance.ledger import get_snapshot, iter_records, records_for
from governance.money import compact, money, typographic
from governance.packs import charts, risk_charts
from governance.packs.benefits_page import benefits_page
from governance.packs.content import PackContent, common, directory_of, person_text, plain, policy_at, scaled
from governance.wording import fact_label, fact_value, reason_in_words
from models.records import (
    LedgerRecord,
    ReviewConfirmedPayload,
    ReviewedPayload,
    ReviewFactsReported,
    ReviewProposedPayload,
    SelectedPayload,
    SimulatedPayload,
)
from models.status_report import RISK_LEVELS
from models.tables import LedgerRow, SnapshotRow

__all__ = ["quarter_content", "register_risk"]

OUTCOMES = ("continue", "resume", "pause", "stop", "complete")
# The facts a project page shows, in the order a board reads them (state, bucket and risk are above).
FACT_ORDER = (
    "cpi",
    "spi",
    "percent_complete",
    "planned_value",
    "earned_value",
    "actual_cost",
    "milestones_hit",
    "milestones_missed",
    "risk_level",
    "ecv",
    "npv",
    "score",
    "open_conditions",
    "overdue_conditions",
    "report_missing",
    "report_late_days",
)
_PROPOSAL_KINDS = ("filed", "amended", "migrated")


def _amount(costs: Sequence[dict[str, Any]]) -> Decimal:
    return sum((Decimal(str(c["amount"])) for c in costs), Decimal(0))


def register_risk(risks: Iterable[dict[str, Any]]) -> int:
    """Risk rank 1 (low) .. 4 (critical) of a risk register: its highest likelihood x impact on the usual
    5 x 5 matrix (1-4 low, 5-9 medium, 10-16 high, 20-25 critical); an empty register is low."""
    worst = max((int(r.get("likelihood", 1)) * int(r.get("impact", 1)) for r in risks), default=0)
    return 4 if worst >= 20 else 3 if worst >= 10 else 2 if worst >= 5 else 1


def _proposals(conn: Connection, ids: set[str], as_of: int | None) -> dict[str, dict[str, Any]]:
    """Each proposal's newest filed, amended or migrated content (sponsor, owner, risk register)."""
    if not ids:
        return {}
    query = (
        select(LedgerRow.subject, SnapshotRow.content)
        .join(SnapshotRow, SnapshotRow.key == LedgerRow.inputs)
        .where(LedgerRow.kind.in_(_PROPOSAL_KINDS), LedgerRow.subject.in_(sorted(ids)))
        .order_by(LedgerRow.seq)
    )
    if as_of is not None:
        query = query.where(LedgerRow.seq <= as_of)
    found: dict[str, dict[str, Any]] = {}
    for subject, text in conn.execute(query):
        data = json.loads(text)
        found[subject] = data.get("proposal", data) if isinstance(data, dict) else {}
    return found


def _quarter_records(conn: Connection, kind: str, as_of: int | None) -> dict[str, LedgerRecord]:
    """The newest record of `kind` of every quarter (`2026Q3` -> record), as of `as_of`."""
    query = select(LedgerRow.subject).where(LedgerRow.kind == kind, LedgerRow.subject.like("Q-%")).distinct()
    found: dict[str, LedgerRecord] = {}
    for (subject,) in conn.execute(query):
        mine = [r for r in records_for(conn, subject) if r.kind == kind and (as_of is None or r.seq <= as_of)]
        if mine:
            found[subject[2:]] = mine[-1]
    return found


def _trends(proposed: dict[str, LedgerRecord], quarter: str) -> dict[str, list[charts.TrendPoint]]:
    """CPI, SPI, actual cost and planned value of each project over the quarters reviewed up to `quarter`."""
    trends: dict[str, list[charts.TrendPoint]] = {}
    for q in sorted(k for k in proposed if k <= quarter):
        for p in proposed[q].body_as(ReviewProposedPayload).projects:
            f = p.facts
            if isinstance(f, ReviewFactsReported):
                point = charts.TrendPoint(q, f.cpi, f.spi, f.actual_cost, f.planned_value)
                trends.setdefault(p.id, []).append(point)
    return trends


@dataclass(frozen=True, slots=True)
class _Words:
    currency: str | None

    def reasons(self, texts: Iterable[str]) -> list[str]:
        return [typographic(reason_in_words(t, self.currency)) for t in texts]

    def money(self, value: Any) -> str:
        return typographic(money(value, self.currency))

    def facts(self, facts: dict[str, Any]) -> list[tuple[str, str]]:
        shown = []
        for key in FACT_ORDER:
            if key not in facts or (key == "report_late_days" and facts[key] is None):
                continue
            value = facts[key]
            if key == "report_missing":
                shown.append(("status report sent", "no" if value else "yes"))
                continue
            shown.append((fact_label(key), typographic(fact_value(key, value, self.currency))))
        return shown


def quarter_content(conn: Connection, quarter: str, *, as_of: int | None = None) -> PackContent:
    """The quarterly board pack from the quarter's review-proposed, selected, review-confirmed, reviewed.

    `as_of` (a sequence number): the pack as it was when that record was the ledger's newest (see gate_content).
    """
    subject = f"Q-{quarter}"
    history = [r for r in records_for(conn, subject) if as_of is None or r.seq <= as_of]
    proposed_all = [r for r in history if r.kind == "review-proposed"]
    if not proposed_all:
        raise NotFoundError(f"no review proposed for {quarter}: run `governance review --quarter {quarter}`")
    proposed = proposed_all[-1]
    selected = next((r for r in reversed(history) if r.kind == "selected" and r.seq < proposed.seq), None)
    confirmed = next(
        (
            r
            for r in history
            if r.kind == "review-confirmed" and r.body_as(ReviewConfirmedPayload).proposed_seq == proposed.seq
        ),
        None,
    )
    reviewed: list[LedgerRecord] = []
    if confirmed is not None:
        reviewed = [
            r
            for r in iter_records(conn, since_seq=confirmed.seq + 1)
            if r.kind == "reviewed"
            and (as_of is None or r.seq <= as_of)
            and r.body_as(ReviewedPayload).confirmed_seq == confirmed.seq
        ]
    plan = proposed.body_as(ReviewProposedPayload)
    sel = selected.body_as(SelectedPayload) if selected is not None else None
    problem = get_snapshot(conn, selected.inputs) if selected is not None and selected.inputs else {}
    policy = policy_at(conn, proposed.policy_version or "")
    currency = (sel.currency if sel else None) or problem.get("currency") or (policy.currency if policy else None)
    words = _Words(currency)
    directory = directory_of(policy)
    candidates = {c["id"]: c for c in problem.get("candidates", [])}
    by_subject = {r.subject: r for r in reviewed}
    outcomes = {r.subject: r.body_as(ReviewedPayload) for r in reviewed}
    chosen = set(sel.selected) if sel else set()
    left_out = {item.id: list(item.reasons) for item in sel.left_out} if sel else {}
    measure = sel.value_measure if sel else "ecv"
    proposals = _proposals(conn, {p.id for p in plan.projects} | set(candidates), as_of)
    confirmed_all = _quarter_records(conn, "review-confirmed", as_of)
    trends = _trends(_quarter_records(conn, "review-proposed", as_of), quarter)
    charts_by_id = {pid: charts.trend_charts(points, currency) for pid, points in trends.items() if len(points) > 1}

    projects: list[dict[str, Any]] = []
    buckets: dict[str, dict[str, Any]] = {}
    final_counts = dict.fromkeys(OUTCOMES, 0)
    for p in plan.projects:
        done = outcomes.get(p.id)
        cand = candidates.get(p.id)
        facts = p.facts
        proposal = proposals.get(p.id, {})
        final = done.outcome if done else p.recommended
        final_counts[final] = final_counts.get(final, 0) + 1
        reconcile = None
        if done and done.overridden and p.funded is not True and final in ("continue", "resume"):
            reconcile = (
                f"The board decided {done.outcome} against the review's recommendation ({p.recommended}). "
                f"The selection was made on the recommendation before the board met, so it left this project "
                f"out; the board's decision stands: the project {'continues' if final == 'continue' else 'resumes'}, "
                "its spend is not in the selection's figures, and the next quarter's selection includes it."
            )
        row = {
            "id": p.id,
            "title": p.title,
            "reference": p.reference,
            "bucket": p.bucket,
            "state": p.state,
            "recommended": p.recommended,
            "outcome": done.outcome if done else None,
            "overridden": bool(done and done.overridden),
            "reconcile": reconcile,
            "rationale": done.rationale if done else None,
            "reasons": words.reasons(p.reasons),
            "findings": words.reasons(p.findings),
            "funded": p.funded,
            "facts": words.facts(plain(facts)),
            "cost": _amount(cand["costs"]) if cand else None,
            "ecv": scaled(facts.ecv),
            "score": scaled(facts.score),
            "risk": facts.risk_level if isinstance(facts, ReviewFactsReported) else "no report",
            "sponsor": person_text(directory, str(proposal.get("sponsor") or "")),
            "owner": person_text(directory, str(proposal.get("budget_owner") or "")),
            "left_out": [] if reconcile else words.reasons(left_out.get(p.id, [])),
            "trend_svg": charts_by_id.get(p.id),
            "record": {"seq": by_subject[p.id].seq, "hash": by_subject[p.id].hash} if done else None,
        }
        projects.append(row)
        b = buckets.setdefault(p.bucket, {"bucket": p.bucket, "projects": 0, "ecv": Decimal(0), "outcomes": {}})
        b.setdefault("spend", None)
        b["projects"] += 1
        b["ecv"] += facts.ecv
        b["outcomes"][final] = b["outcomes"].get(final, 0) + 1
    spend_rows = sel.spend_by_bucket if sel else []
    for s in spend_rows:
        b = buckets.setdefault(s.bucket, {"bucket": s.bucket, "projects": 0, "ecv": Decimal(0), "outcomes": {}})
        b["spend"] = scaled(s.spend)

    # What changed since the last quarter the board confirmed.
    earlier = sorted(q for q in confirmed_all if q < quarter)
    changes = []
    last_quarter = earlier[-1] if earlier else None
    if last_quarter is not None:
        before = {o.id: o.outcome for o in confirmed_all[last_quarter].body_as(ReviewConfirmedPayload).outcomes}
        for proj in projects:
            now = proj["outcome"] or proj["recommended"]
            was = before.get(proj["id"])
            if was != now:
                changes.append({"id": proj["id"], "title": proj["title"], "was": was or "not reviewed", "now": now})
        reviewed_now = {proj["id"] for proj in projects}
        for pid, was in sorted(before.items()):
            if pid not in reviewed_now:
                changes.append({"id": pid, "title": "", "was": was, "now": "no longer reviewed"})

    funded: list[dict[str, Any]] = []
    dropped: list[dict[str, Any]] = []
    frontier: list[charts.FrontierPoint] = []
    bubbles: list[charts.Bubble] = []
    bars = []
    budget_total = Decimal(0)
    review_by_id = {row["id"]: row for row in projects}
    if sel:
        budget_total = sum((Decimal(str(v)) for v in problem.get("budget", {}).values()), Decimal(0))
        for point in sel.frontier:
            reason = getattr(point, "reason", None)
            frontier.append(
                charts.FrontierPoint(
                    budget=point.budget,
                    value=point.value,
                    chosen=point.budget == budget_total,
                    status=point.status,
                    reason=reason,
                )
            )
        for cid in sorted(candidates):
            c = candidates[cid]
            value = Decimal(str(c.get(measure) or c.get("ecv") or 0))
            cost = _amount(c["costs"])
            review = review_by_id.get(cid)
            row = {
                "id": cid,
                "title": c.get("title") or proposals.get(cid, {}).get("title", ""),
                "bucket": c.get("bucket", ""),
                "kind": c.get("kind", "proposal"),
                "value": value,
                "cost": cost,
                "score": c.get("score"),
            }
            if cid in chosen:
                funded_why = _funded_reason(c, value, cost, review, candidates, chosen)
                funded.append(row | {"reason": funded_why, "is_funded": True})
            else:
                why_out = words.reasons(left_out.get(cid, []))
                if not why_out and sel.objective is None:
                    why_out = [f"no feasible selection this quarter ({sel.status})"]
                if review is not None and review["reconcile"]:
                    why_out = [f"the review recommended {review['recommended']}; the board decided {review['outcome']}"]
                dropped.append(row | {"reasons": why_out, "is_funded": False})
        for number, b in enumerate(funded + dropped, start=1):
            b["number"] = number
        facts_by_id = {p.id: p.facts for p in plan.projects}
        for b in funded + dropped:
            reported = facts_by_id.get(b["id"])
            if isinstance(reported, ReviewFactsReported):
                risk, source = reported.risk_rank, "report"
            else:
                risk, source = register_risk(proposals.get(b["id"], {}).get("risks", [])), "register"
            b["risk"] = RISK_LEVELS[risk - 1]
            b["risk_source"] = source
            bubbles.append(
                charts.Bubble(
                    label=b["id"],
                    risk=risk,
                    value=b["value"],
                    cost=b["cost"],
                    selected=b["id"] in chosen,
                    number=b["number"],
                )
            )
        for s in spend_rows:
            bars.append(charts.Bar(label=s.bucket, spend=s.spend, minimum=s.minimum, maximum=s.maximum))
    committed = sum((Decimal(str(s.spend)) for s in sel.spend_by_period), Decimal(0)) if sel else Decimal(0)
    next_slice = plain(sel.next_slice) if sel and sel.next_slice else None
    if next_slice is not None:
        gain = Decimal(str(next_slice.get("value_gain") or 0))
        next_slice["worth_it"] = gain > 0
    simulated = _simulated(history, selected)
    covered = sorted(
        [r for r in (selected, proposed, confirmed, simulated) if r is not None] + reviewed, key=lambda r: r.seq
    )
    head = covered[-1]
    policy_version = proposed.policy_version or ""
    title = f"Quarterly board pack {quarter}"
    context = common(title, head, True, policy_version)
    answer = plain(confirmed.body_as(ReviewConfirmedPayload).answer) if confirmed is not None else None
    context.update(
        quarter=quarter,
        currency=currency,
        plan={
            "as_of": plan.as_of.isoformat(),
            "policy": plan.policy,
            "counts": dict(plan.counts),
            "findings": words.reasons(plan.findings),
        },
        confirmed=None
        if confirmed is None or answer is None
        else dict(
            answer,
            seq=confirmed.seq,
            decided_by_name=person_text(directory, str(answer.get("decided_by", ""))),
            votes_named=[(person_text(directory, str(v["member"])), v["vote"]) for v in answer.get("votes", [])],
        ),
        reviewed_count=len(reviewed),
        projects=projects,
        buckets=[
            dict(b, outcomes=[(o, b["outcomes"].get(o, 0)) for o in OUTCOMES]) for _, b in sorted(buckets.items())
        ],
        outcome_names=OUTCOMES,
        dashboard={
            "budget": compact(budget_total, currency) if sel else "\u2013",
            "committed": compact(committed, currency) if sel else "\u2013",
            "committed_share": (committed / budget_total) if sel and budget_total else None,
            "value": typographic(compact(sel.objective, currency)) if sel and sel.objective is not None else "\u2013",
            "funded": len(funded),
            "left_out": len(dropped),
            "outcomes": [(o, final_counts.get(o, 0)) for o in OUTCOMES],
            "last_quarter": last_quarter,
            "changes": changes,
            "period_svg": charts.period_chart(
                [charts.Period(s.period, s.budget, s.spend) for s in sel.spend_by_period], currency
            )
            if sel
            else None,
        },
        funded=funded,
        dropped=dropped,
        selection=None
        if sel is None
        else {
            "status": sel.status,
            "value_measure": sel.value_measure,
            "objective": scaled(sel.objective),
            "bound": scaled(sel.bound),
            "gap": scaled(sel.gap),
            "currency": sel.currency,
            "notes": words.reasons(sel.notes),
            "next_slice": next_slice,
            "spend_by_bucket": plain(sel.spend_by_bucket),
            "spend_by_period": plain(sel.spend_by_period),
            "greedy": plain(sel.greedy),
            "selected": list(sel.selected),
            "frontier": [
                {
                    "budget": p.budget,
                    "value": p.value,
                    "status": p.status,
                    "reason": typographic(reason_in_words(p.reason, currency)) if p.reason else None,
                }
                for p in frontier
            ],
        }
        | {"seq": selected.seq if selected else None},
        frontier_svg=charts.frontier_chart(frontier, currency=currency) if sel else None,
        bubble_svg=charts.bubble_chart(bubbles, currency=currency) if sel else None,
        bucket_svg=charts.bucket_chart(bars) if sel else None,
        risk=_risk(simulated, currency, {i: str(c.get("title", "")) for i, c in candidates.items()}),
        benefits=benefits_page(conn, policy, quarter, proposed.seq, currency) if policy is not None else None,
        proposed_seq=proposed.seq,
        records=[
            {"seq": r.seq, "kind": r.kind, "subject": r.subject, "outcome": r.outcome, "hash": r.hash} for r in covered
        ],
    )
    return PackContent("board_pack.html", context, covered, head, True, policy_version, f"board-pack-{quarter}.pdf")


def _simulated(history: Sequence[LedgerRecord], selected: LedgerRecord | None) -> LedgerRecord | None:
    """The newest simulation of the quarter's selection (`governance risk --quarter`), if any was run."""
    if selected is None:
        return None
    return next(
        (
            r
            for r in reversed(history)
            if r.kind == "simulated" and r.body_as(SimulatedPayload).selection_seq == selected.seq
        ),
        None,
    )


def _risk(record: LedgerRecord | None, currency: str | None, titles: dict[str, str]) -> dict[str, Any] | None:
    """The risk page's figures and charts from a `simulated` record."""
    if record is None:
        return None
    sim = record.body_as(SimulatedPayload)
    marks = [("P10", sim.p10), ("P50", sim.p50), ("P90", sim.p90)]
    return {
        "seq": record.seq,
        "trials": sim.trials,
        "seed": sim.seed,
        "distribution": sim.distribution,
        "within": sim.correlation_within_bucket,
        "across": sim.correlation_across,
        "mean": sim.mean,
        "p10": sim.p10,
        "p50": sim.p50,
        "p90": sim.p90,
        "p_negative": sim.p_negative,
        "spend": plain(sim.spend),
        "drivers": [{"id": d.id, "title": titles.get(d.id, ""), "share": d.share} for d in sim.drivers[:8]],
        "more_drivers": max(len(sim.drivers) - 8, 0),
        "count": len(sim.projects),
        "without_ranges": len(sim.without_ranges),
        "value_svg": risk_charts.value_curve(sim.percentiles, marks, currency),
        "spend_svg": risk_charts.spend_fan_chart(
            [risk_charts.SpendBand(s.period, s.budget, s.p10, s.p50, s.p90, s.p_over_budget) for s in sim.spend],
            currency,
        )
        if sim.spend
        else None,
    }


def _funded_reason(
    c: dict[str, Any],
    value: Decimal,
    cost: Decimal,
    review: dict[str, Any] | None,
    candidates: dict[str, dict[str, Any]],
    chosen: set[str],
) -> str:
    """Why the selection funds a candidate, in words."""
    if c.get("force") == "in":
        return f"forced in: {c.get('force_reason') or 'by the board'}"
    if review is not None:
        return f"running project; the review recommends {review['recommended']}"
    needed_by = sorted(o for o in chosen if c["id"] in candidates[o].get("depends_on", []))
    if value <= 0:
        if needed_by:
            verb = "depends" if len(needed_by) == 1 else "depend"
            return f"value not positive, funded because {', '.join(needed_by)} {verb} on it"
        return f"value not positive, funded to meet the {c.get('bucket', '')} bucket's minimum spend"
    ratio = f"{value / cost:.2f} of value per 1 of cost" if cost > 0 else "no cost ahead"
    return ratio + (f"; {', '.join(needed_by)} depend on it" if needed_by else "")
