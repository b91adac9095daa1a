"""The report beside the selection: the greedy comparison, and left-out reasons and spend against
a candidate-by-candidate reference."""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_FLOOR
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from governance.selection import solve
from models.selection import SelectionProblem

from .builders import D, cand, pct, problem, small_problems


def test_greedy_reports_the_constraints_it_ignores() -> None:
    given_problem = problem(
        cand("A", 30, 10, excludes=["B"]),
        cand("B", 28, 10),
        cand("C", 40, 10, depends_on=["E"]),
        cand("E", -1, 10),
        cand("F", -5, 50, bucket="growth", force="in", force_reason="signed contract"),
        cand("G", 9, 10, bucket="growth"),
        buckets={"core": ("0", "0.5"), "growth": ("0.2", "1")},
    )
    result = solve(given_problem, frontier=False)
    assert result.greedy is not None
    assert result.greedy.model_dump(mode="json") == {
        "value": "107",
        "selected": ["A", "B", "C", "G"],
        "only_in_optimal": ["E", "F"],
        "only_in_greedy": ["B"],
        "value_difference": "-34",
        "constraints_greedy_breaks": [
            "bucket growth minimum 20% of budget (20.00): greedy spends 10.00",
            "C depends on E: greedy takes C without it",
            "A excludes B: greedy takes both",
            "force-in F (signed contract): greedy leaves it out",
        ],
    }
    assert (result.selected, result.objective) == (["A", "C", "E", "F", "G"], D(73))


def _reference_report(p: SelectionProblem, chosen: set[str]) -> tuple[list[dict[str, Any]], dict[str, D], dict[str, D]]:
    """Left-out reasons and spend, candidate by candidate in Decimal: what solve wrote before its
    bookkeeping was made fast (bisection, sums in C, a thread), kept here as the reference."""
    by_id = {c.id: c for c in p.candidates}
    cost = {c.id: {k.period: k.amount for k in c.costs if k.period in p.budget and k.amount} for c in p.candidates}
    total = {cid: sum(per.values(), D(0)) for cid, per in cost.items()}
    limits = {(role, period): limit for role, per in p.capacity.items() for period, limit in per.items()}
    fte = {
        c.id: {(r.role, r.period): r.fte for r in c.resources if r.fte and (r.role, r.period) in limits}
        for c in p.candidates
    }
    period = {q: D(0) for q in sorted(p.budget)}
    bucket = {b: D(0) for b in p.buckets}
    used = dict.fromkeys(limits, D(0))
    for c in p.candidates:
        if c.id in chosen:
            for q, amount in cost[c.id].items():
                period[q] += amount
            bucket[c.bucket] += total[c.id]
            for key, need in fte[c.id].items():
                used[key] += need
    total_budget = sum(p.budget.values(), D(0))
    money = "{:,.2f}".format
    out = []
    for c in p.candidates:
        if c.id in chosen:
            continue
        if c.force == "out":
            out.append({"id": c.id, "reasons": [f"forced out: {c.force_reason}"]})
            continue
        value = c.ecv or D(0)
        reasons = [f"value not positive (ecv {money(value)})"] if value <= 0 else []
        reasons += [f"depends on {a} (not selected)" for a in c.depends_on if a not in chosen]
        partners = {o.id for o in p.candidates if c.id in o.excludes} | set(c.excludes)
        reasons += [f"excluded by {j} (selected)" for j in sorted(partners, key=list(by_id).index) if j in chosen]
        for q, amount in cost[c.id].items():
            left = p.budget[q] - period[q]
            if amount > left:
                reasons.append(f"budget {q}: needs {money(amount)}, {money(left)} left")
        high = p.buckets[c.bucket][1]
        maximum = (total_budget * high).quantize(D("0.01"), ROUND_FLOOR)
        if p.bucket_shares_of == "spend":
            reasons += _spend_reasons(p, c.bucket, total[c.id], bucket)
        elif high < 1 and total[c.id] > maximum - bucket[c.bucket]:
            reasons.append(
                f"bucket {c.bucket} at its maximum ({pct(high)} of budget, {money(maximum)}): "
                f"needs {money(total[c.id])}, {money(maximum - bucket[c.bucket])} left"
            )
        for (role, q), need in fte[c.id].items():
            if need > limits[role, q] - used[role, q]:
                reasons.append(f"capacity {role} {q}: needs {need} FTE, {limits[role, q] - used[role, q]} FTE left")
        out.append(
            {
                "id": c.id,
                "reasons": reasons
                or [f"would fit; left out within the {pct(p.mip_gap)} optimality gap (ecv {money(value)})"],
            }
        )
    return out, period, bucket


def _spend_reasons(p: SelectionProblem, own: str, cost: D, bucket: dict[str, D]) -> list[str]:
    """Shares of spend, from their definition: with the candidate in, its bucket's spend over its
    maximum share of the new spend, or another bucket's under its minimum share of it."""
    spent = sum(bucket.values(), D(0))
    money = "{:,.2f}".format
    reasons = []
    for b, (low, high) in p.buckets.items():
        if b == own and high < 1 and bucket[b] + cost > high * (spent + cost):
            fits = max((high * spent - bucket[b]) / (1 - high), D(0)).quantize(D("0.01"), ROUND_FLOOR)
            reasons.append(f"bucket {b} at its maximum ({pct(high)} of spend): needs {money(cost)}, {money(fits)} fits")
        elif b != own and low > 0 and bucket[b] < low * (spent + cost):
            fits = max(bucket[b] / low - spent, D(0)).quantize(D("0.01"), ROUND_FLOOR)
            text = f"bucket {b} would fall below its minimum ({pct(low)} of spend)"
            reasons.append(f"{text}: needs {money(cost)}, {money(fits)} fits")
    return reasons


@settings(max_examples=100, deadline=None)
@given(small_problems(shares_of=st.sampled_from(["budget", "spend"])), st.sampled_from([D(0), D("0.05"), D("0.3")]))
def test_left_out_reasons_and_spend_are_worked_out_candidate_by_candidate(p: SelectionProblem, gap: D) -> None:
    result = solve(replace(p, mip_gap=gap), frontier=False)
    if result.status == "infeasible":
        return
    shares = any("of spend" in r for o in result.left_out for r in o.reasons)
    event(f"bucket shares of {p.bucket_shares_of}; a share of spend keeps one out: {shares}")
    left_out, period, bucket = _reference_report(replace(p, mip_gap=gap), set(result.selected))
    assert [o.model_dump() for o in result.left_out] == left_out
    assert {s.period: s.spend for s in result.spend_by_period} == period
    assert {s.bucket: s.spend for s in result.spend_by_bucket} == bucket
