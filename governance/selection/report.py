"""What a selection's result says besides the selection: why each candidate was left out, the
greedy (spreadsheet) choice and the constraints it breaks, notes, and spend by period and bucket.

Everything here is Decimal and exact. The parts that do not depend on the solver's selection
(`aside`) are worked out while HiGHS solves (see `solver.py`).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from itertools import compress, repeat
from typing import Any

import numpy as np

from governance.selection.problem import (
    CENT,
    IndexForm,
    bucket_bounds,
    constraints,
    index_form,
    money,
    pct,
    value_of,
)
from models.selection import SelectionProblem, ValueMeasure

__all__ = [
    "Aside",
    "GreedyChoice",
    "Usage",
    "aside",
    "greedy",
    "greedy_comparison",
    "left_out",
    "spend_by_bucket",
    "spend_by_period",
]


# -- the greedy choice --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GreedyChoice:
    """The spreadsheet's choice: ranked by value per cost, taken while every period's budget lasts."""

    selected: tuple[str, ...]
    value: Decimal


def _greedy(data: IndexForm, budget: Mapping[str, Decimal]) -> list[int]:
    # Ranked with numpy on floats (ratios closer than a float's precision tie, and ties go by id
    # all the same); taken in Decimal, exactly.
    eligible = np.asarray(
        [i for i, c in enumerate(data.problem.candidates) if data.values[i] > 0 and c.force != "out"], dtype=np.int64
    )
    value, total = np.asarray(data.value_float)[eligible], np.asarray(data.total_float)[eligible]
    costly = total > 0
    ratio = np.where(costly, value / np.where(costly, total, 1.0), value)
    id_rank = np.argsort(np.argsort(np.asarray(data.ids)[eligible], kind="stable"), kind="stable")
    ranked = eligible[np.lexsort((id_rank, -ratio, costly))].tolist()  # zero cost first, then by ratio
    left = dict(budget)
    taken = []
    for i in ranked:
        per = data.cost[i]
        for p, amount in per.items():
            if amount > left[p]:
                break
        else:
            for p, amount in per.items():
                left[p] -= amount
            taken.append(i)
    return sorted(taken)


def greedy(problem: SelectionProblem) -> GreedyChoice:
    """The choice a spreadsheet makes: rank by value per cost over the budgeted periods (zero cost
    first, ties by id), take each candidate with a positive value whose costs fit what is left of
    every period's budget. Forced-out candidates are off the list; buckets, dependencies,
    exclusions, capacity and force-in are ignored, as a spreadsheet ignores them.

    Raises:
        Unsound: the candidates do not fit together (see `index_form`).
    """
    data = index_form(problem)
    taken = _greedy(data, problem.budget)
    return GreedyChoice(tuple(data.ids[i] for i in taken), sum((data.values[i] for i in taken), Decimal(0)))


@dataclass(slots=True)
class Usage:
    """What a selection spends and uses, in Decimal, by period, bucket and (role, period)."""

    period: dict[str, Decimal]
    bucket: dict[str, Decimal]
    capacity: dict[tuple[str, str], Decimal]

    @classmethod
    def of(cls, data: IndexForm, chosen: Iterable[int]) -> Usage:
        # Sums in C (map, filter, compress); Decimal addition of money is exact, so the order of
        # the terms changes no digit. Cost maps hold no zero amounts (see index_form).
        zero = Decimal(0)
        chosen = list(chosen)
        costs = list(map(data.cost.__getitem__, chosen))
        period = {p: sum(filter(None, map(dict.get, costs, repeat(p))), zero) for p in data.periods}
        buckets = list(map(data.buckets.__getitem__, chosen))
        totals = list(map(data.total.__getitem__, chosen))
        bucket = {b: sum(compress(totals, map(b.__eq__, buckets)), zero) for b in data.problem.buckets}
        capacity = dict.fromkeys(data.limits, zero)
        if data.limits:
            for i in chosen:
                for key, need in data.fte[i].items():
                    capacity[key] += need
        return cls(period, bucket, capacity)


def _breaks(data: IndexForm, taken: list[int], budget: Mapping[str, Decimal]) -> list[str]:
    """The constraints a choice that ignored them breaks (bucket bounds, capacity, dependencies,
    exclusions, force-in), each named as in a conflict list."""
    usage = Usage.of(data, taken)
    chosen = set(taken)
    ids = data.ids
    broken = []
    total = sum(usage.bucket.values(), Decimal(0))
    of_spend = bucket_bounds(data.problem.buckets, budget, spend=total) if data.of_spend else {}
    for c in constraints(data, budget):
        if c.kind in ("bucket-minimum", "bucket-maximum"):
            spend = usage.bucket[c.subject[0]]
            if data.of_spend:
                bound = of_spend[c.subject[0]]
                low, high, whole = bound.minimum, bound.maximum, f" of {money(total)}"
            else:
                low, high, whole = c.bound, c.bound, ""
            under, over = c.kind == "bucket-minimum" and spend < low, c.kind == "bucket-maximum" and spend > high
            if under or over:
                broken.append(f"{c.name}: greedy spends {money(spend)}{whole}")
        elif c.kind == "capacity":
            used = usage.capacity[c.subject[0], c.subject[1]]
            if used > c.bound:
                broken.append(f"{c.name}: greedy needs {used} FTE")
        elif c.kind == "depends":
            later, first = c.candidates
            if later in chosen and first not in chosen:
                broken.append(f"{c.name}: greedy takes {ids[later]} without it")
        elif c.kind == "excludes":
            one, other = c.candidates
            if one in chosen and other in chosen:
                broken.append(f"{c.name}: greedy takes both")
        elif c.kind == "force-in" and c.candidates[0] not in chosen:
            broken.append(f"{c.name}: greedy leaves it out")
    return broken


def greedy_comparison(data: IndexForm, aside: Aside, chosen: list[int], objective: Decimal) -> dict[str, Any]:
    """The greedy choice against the selection `chosen`, worth `objective` (as `GreedyComparison`
    reads it)."""
    taken, ids = aside.greedy, data.ids
    mine, theirs = set(chosen), set(taken)
    return {
        "value": aside.greedy_value,
        "selected": list(map(ids.__getitem__, taken)),
        "only_in_optimal": list(map(ids.__getitem__, sorted(mine.difference(theirs)))),
        "only_in_greedy": list(map(ids.__getitem__, sorted(theirs.difference(mine)))),
        "value_difference": objective - aside.greedy_value,
        "constraints_greedy_breaks": aside.breaks,
    }


# -- what the solver's selection does not change ------------------------------------------------


def _notes(data: IndexForm) -> list[str]:
    notes = []
    outside: dict[str, tuple[int, Decimal]] = {}
    for c in data.problem.candidates:
        for k in c.costs:
            if k.period not in data.problem.budget and k.amount:
                count, total = outside.get(k.period, (0, Decimal(0)))
                outside[k.period] = (count + 1, total + k.amount)
    for p, (count, total) in sorted(outside.items()):
        many = "candidate" if count == 1 else "candidates"
        notes.append(f"costs in {p} are not constrained: no budget for it ({count} {many}, {money(total)})")
    return notes


def _value_text(measure: ValueMeasure, value: Decimal) -> str:
    return f"{measure} {value}" if measure == "score" else f"{measure} {money(value)}"


@dataclass(frozen=True, slots=True)
class Aside:
    """What the report needs that the solver's selection does not change, worked out while it solves."""

    notes: list[str]
    greedy: list[int]  # the greedy choice
    greedy_value: Decimal
    breaks: list[str]  # the constraints it breaks
    fixed: list[list[str] | None]  # per candidate: the reasons it is left out whatever is selected
    forced_out: set[int]
    by_period: dict[str, tuple[list[Decimal], list[int]]]  # each period's costs ascending, and whose
    # per candidate: (period, cost, the reason's start) for each budgeted period it spends in
    needs: list[list[tuple[str, Decimal, str]]]
    fits: list[str]  # per candidate with a positive value: the reason when nothing else keeps it out ("" else)
    # per bucket with a maximum (every bucket, if shares of spend): totals ascending, and whose
    by_bucket: dict[str, tuple[list[Decimal], list[int]]]
    prerequisites: dict[int, list[int]]
    partners: dict[int, list[int]]  # both sides of each exclusion, ascending


def _ascending(pairs: Iterable[tuple[Decimal, int]]) -> tuple[list[Decimal], list[int]]:
    ordered = sorted(pairs)
    return [a for a, _ in ordered], [i for _, i in ordered]


def aside(data: IndexForm, budget: Mapping[str, Decimal]) -> Aside:
    """Notes, the greedy choice and what it breaks, and the left-out reasons' groundwork."""
    problem = data.problem
    measure = problem.value_measure
    taken = _greedy(data, budget)
    fixed: list[list[str] | None] = [None] * len(data.ids)
    forced_out = set()
    fits_text = f"would fit; left out within the {pct(problem.mip_gap)} optimality gap"
    fits = [""] * len(data.ids)
    for i, c in enumerate(problem.candidates):
        if c.force == "out":
            fixed[i] = [f"forced out: {c.force_reason}"]
            forced_out.add(i)
        elif data.values[i] <= 0:
            fixed[i] = [f"value not positive ({_value_text(measure, data.values[i])})"]
        else:
            fits[i] = f"{fits_text} ({_value_text(measure, data.values[i])})"
    by_period = {p: _ascending((per[p], i) for i, per in enumerate(data.cost) if p in per) for p in data.periods}
    # Shares of spend: a candidate in any bucket may take another bucket below its minimum.
    if data.of_spend and data.bounded:
        capped = set(problem.buckets)
    else:
        capped = {b for b, (_, high) in problem.buckets.items() if high < 1}
    by_bucket = {b: _ascending((data.total[i], i) for i, c in enumerate(data.buckets) if c == b) for b in capped}
    prerequisites: dict[int, list[int]] = {}
    for later, first in data.depends:
        prerequisites.setdefault(later, []).append(first)
    partners: dict[int, list[int]] = {}
    for one, other in data.excludes:
        partners.setdefault(one, []).append(other)
        partners.setdefault(other, []).append(one)
    return Aside(
        notes=_notes(data),
        greedy=taken,
        greedy_value=value_of(data, taken),
        breaks=_breaks(data, taken, budget),
        fixed=fixed,
        forced_out=forced_out,
        by_period=by_period,
        needs=[[(p, amount, f"budget {p}: needs {money(amount)}, ") for p, amount in per.items()] for per in data.cost],
        fits=fits,
        by_bucket=by_bucket,
        prerequisites=prerequisites,
        partners={i: sorted(js) for i, js in partners.items()},
    )


# -- what depends on the selection --------------------------------------------------------------


def left_out(
    data: IndexForm, aside: Aside, chosen: list[int], usage: Usage, budget: Mapping[str, Decimal]
) -> list[dict[str, Any]]:
    """Each candidate not selected, with what adding it to the selection would break."""
    problem = data.problem
    in_selection = set(chosen)
    period_left = {p: budget[p] - usage.period[p] for p in data.periods}
    left_text = {p: f"{money(left)} left" for p, left in period_left.items()}  # the same for every candidate
    bucket_left: dict[str, tuple[Decimal, str]] = (
        _spend_room(data, usage)
        if data.of_spend
        else {
            b: (bound.maximum - usage.bucket[b], f"{pct(bound.max_share)} of budget, {money(bound.maximum)}")
            for b, bound in bucket_bounds(problem.buckets, budget).items()
            if bound.has_maximum
        }
    )
    # Who costs more than is left, found by bisection in the costs sorted beforehand (exact: Decimal).
    over_budget: set[int] = set()
    for p, (amounts, whose) in aside.by_period.items():
        over_budget.update(whose[bisect_right(amounts, period_left[p]) :])
    over_bucket: set[int] = set()
    for b, (totals, whose) in aside.by_bucket.items():
        if b in bucket_left:
            over_bucket.update(whose[bisect_right(totals, bucket_left[b][0]) :])
    with_fte = {i for i, need in enumerate(data.fte) if need}
    worth_a_look = over_budget | over_bucket | with_fte | set(aside.prerequisites) | set(aside.partners)
    ids, candidates, fits = data.ids, problem.candidates, aside.fits
    out = []
    for i in sorted(set(range(len(ids))).difference(in_selection)):
        fixed = aside.fixed[i]
        if i in aside.forced_out:
            out.append({"id": ids[i], "reasons": list(fixed or ())})
            continue
        if fixed is None and i not in worth_a_look:
            out.append({"id": ids[i], "reasons": [fits[i]]})
            continue
        reasons = list(fixed or ())
        for a in aside.prerequisites.get(i, ()):
            if a not in in_selection:
                reasons.append(f"depends on {ids[a]} (not selected)")
        for j in aside.partners.get(i, ()):
            if j in in_selection:
                reasons.append(f"excluded by {ids[j]} (selected)")
        if i in over_budget:
            for p, amount, text in aside.needs[i]:
                if amount > period_left[p]:
                    reasons.append(text + left_text[p])
        if i in over_bucket and data.of_spend:
            reasons.extend(_spend_reasons(data, usage, i))
        elif i in over_bucket:
            bucket = candidates[i].bucket
            left, bound = bucket_left[bucket]
            reasons.append(
                f"bucket {bucket} at its maximum ({bound}): needs {money(data.total[i])}, {money(left)} left"
            )
        for (role, p), need in data.fte[i].items():
            left = data.limits[role, p] - usage.capacity[role, p]
            if need > left:
                reasons.append(f"capacity {role} {p}: needs {need} FTE, {left} FTE left")
        if not reasons:
            reasons.append(fits[i])
        out.append({"id": ids[i], "reasons": reasons})
    return out


def _spend_limits(data: IndexForm, usage: Usage, bucket: str) -> list[tuple[Decimal, str]]:
    """Shares of spend: the most a candidate of `bucket` may cost and keep every share, one limit
    per bucket bound it meets (its own maximum, other buckets' minimums), each with its reason."""
    spent = sum(usage.bucket.values(), Decimal(0))
    limits = []
    for b, (low, high) in data.problem.buckets.items():
        if b == bucket and high < 1:
            # (S_b + c) <= high (S + c)  <=>  c <= (high S - S_b) / (1 - high)
            limit = (high * spent - usage.bucket[b]) / (1 - high)
            limits.append((limit, f"bucket {b} at its maximum ({pct(high)} of spend)"))
        elif b != bucket and low > 0:
            # S_b >= low (S + c)  <=>  c <= S_b / low - S
            limit = usage.bucket[b] / low - spent
            limits.append((limit, f"bucket {b} would fall below its minimum ({pct(low)} of spend)"))
    return limits


def _spend_room(data: IndexForm, usage: Usage) -> dict[str, tuple[Decimal, str]]:
    """Shares of spend: per bucket, the most one more candidate of it may cost (see `_spend_limits`)."""
    room = {}
    for b in data.problem.buckets:
        limits = _spend_limits(data, usage, b)
        if limits:
            room[b] = (min(limit for limit, _ in limits), "")
    return room


def _spend_reasons(data: IndexForm, usage: Usage, i: int) -> list[str]:
    cost = data.total[i]
    return [
        f"{text}: needs {money(cost)}, {money(max(limit, Decimal(0)).quantize(CENT, ROUND_FLOOR))} fits"
        for limit, text in _spend_limits(data, usage, data.buckets[i])
        if cost > limit
    ]


def spend_by_period(data: IndexForm, usage: Usage, budget: Mapping[str, Decimal]) -> list[dict[str, Any]]:
    """Each budgeted period's budget, spend and what is left (as `PeriodSpend` reads it)."""
    return [
        {"period": p, "budget": budget[p], "spend": usage.period[p], "left": budget[p] - usage.period[p]}
        for p in data.periods
    ]


def spend_by_bucket(data: IndexForm, usage: Usage, budget: Mapping[str, Decimal]) -> list[dict[str, Any]]:
    """Each bucket's spend against its bounds, as shares and amounts (as `BucketSpend` reads it)."""
    return [
        {
            "bucket": b,
            "spend": usage.bucket[b],
            "min_share": bound.min_share,
            "max_share": bound.max_share,
            "minimum": bound.minimum,
            "maximum": bound.maximum,
        }
        for b, bound in bucket_bounds(
            data.problem.buckets, budget, spend=sum(usage.bucket.values(), Decimal(0)) if data.of_spend else None
        ).items()
    ]
