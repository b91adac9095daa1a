"""The efficient frontier over budget levels and what the next slice of budget buys, each level
with its status and, where it has no optimal selection, the reason in words.

Levels share what is left of the selection's one time budget (`runs.TimeBudget`): each level's
run may take an even share of the time left among the runs still to come, so time a quick level
does not use goes to the next. Each level starts from the level below's selection (HiGHS's
`setSolution`): with bucket shares of spend it always fits, so even a level stopped by the time
limit keeps a selection at least as good as the level below's, and its gap says how far from
proven it is.
"""

from __future__ import annotations

import math
from decimal import Decimal

from governance.money import money
from governance.selection.model import Model, build_model
from governance.selection.problem import CENT, GAP, SHARE, IndexForm, pct, scaled_budget, value_of
from governance.selection.runs import Run, TimeBudget, conflicts
from governance.selection.split import solve_program
from models.selection import FrontierPoint, NextSlice, SolverOptions

__all__ = ["frontier", "next_slice", "proven_gap"]


def proven_gap(data: IndexForm, objective: Decimal, bound: float | None) -> tuple[Decimal | None, Decimal | None]:
    """The best bound (never below the objective, rounded as values are) and the relative gap; both
    None when HiGHS proved no finite bound (stopped by the time limit before it had one)."""
    if bound is not None and not math.isfinite(bound):
        return None, None
    places = SHARE if data.problem.value_measure == "score" else CENT
    best = max(objective, Decimal(repr(bound)).quantize(places) if bound is not None else objective)
    if objective:
        return best, ((best - objective) / abs(objective)).quantize(GAP).normalize()
    return best, Decimal(0) if best == objective else Decimal(1)


def _infeasible_reason(model: Model, options: SolverOptions, budget: TimeBudget) -> str:
    """Why no selection fits a level, in words: the constraints that conflict there."""
    names = conflicts(model, options, budget)
    named = {c.name: c for c in model.constraints}
    minimums = [named[n] for n in names if named[n].kind == "bucket-minimum"]
    others = [n for n in names if named[n].kind != "bucket-minimum"]
    if not minimums:
        return "no selection meets all of: " + "; ".join(names)
    currency = model.data.problem.currency
    needs = []
    for c in minimums:
        (bucket,) = c.subject
        if model.data.of_spend:
            low, _ = model.data.problem.buckets[bucket]
            needs.append(f"{bucket} needs at least {pct(low)} of what is spent")
        else:
            needs.append(f"{bucket} needs at least {money(c.bound, currency)}")
    with_ = f" (with {'; '.join(others)})" if others else ""
    return "bucket minimums cannot be met within this budget: " + "; ".join(needs) + with_


def _timed_out_reason(status: str, gap: Decimal | None) -> str:
    if status == "no-solution":
        return "the time limit was reached before any selection was found"
    if gap is None:
        return "the time limit was reached before any bound was proven"
    return f"the time limit was reached: within {pct(gap)} of the best bound"


def frontier(
    data: IndexForm,
    options: SolverOptions,
    budget: TimeBudget,
    runs_after: int = 0,
    selection: list[int] | None = None,
) -> list[FrontierPoint]:
    """Best value at `frontier_levels` budget levels: 2k/L of the budget for k = 1..L (every
    period scaled alike; bucket bounds stay shares of the scaled budget, or of spend).

    Each level starts from the level below's selection, which still fits unless a bucket minimum
    (a share of the budget) grew past it: so within the gap the frontier never falls as the budget
    grows, and with shares of spend never at all. The level at 100 % is solved again for the same
    reason, and may differ from the selection within the gap; it starts from `selection` (the
    main run's, at the same budget) when that is worth more than the level below's, so that it is
    never worth less (seen at a 20 s limit: the level 77,207,300 out of time, the selection
    77,250,400 proven). `runs_after` is how many runs still share the time budget after the levels
    (the next slice).
    """
    problem = data.problem
    levels = problem.frontier_levels
    points = []
    start: list[int] | None = None
    for k in range(1, levels + 1):
        share = (Decimal(2 * k) / levels).quantize(SHARE)
        level = scaled_budget(problem.budget, share)
        model = build_model(data, level)
        # The level's share of the time, for its run and, if it has no selection, its reason.
        mine = TimeBudget.of(budget.share(levels - k + 1 + runs_after))
        if (
            share == 1
            and selection is not None
            and (start is None or value_of(data, selection) > value_of(data, start))
        ):
            start = selection
        found = solve_program(model, options, start, mine.left())
        points.append(_point(data, model, options, mine, share, level, found))
        if found.status in ("optimal", "gap"):
            start = found.chosen
    return points


def _point(
    data: IndexForm,
    model: Model,
    options: SolverOptions,
    budget: TimeBudget,
    share: Decimal,
    level: dict[str, Decimal],
    found: Run,
) -> FrontierPoint:
    total = sum(level.values(), Decimal(0))
    if found.status == "infeasible":
        reason = _infeasible_reason(model, options, budget)
        return FrontierPoint(share=share, budget=total, status="infeasible", value=None, count=0, reason=reason)
    if found.status == "no-solution":
        reason = _timed_out_reason(found.status, None)
        return FrontierPoint(share=share, budget=total, status="time-limit", value=None, count=0, reason=reason)
    value = value_of(data, found.chosen)
    if found.status == "optimal":
        return FrontierPoint(share=share, budget=total, status="optimal", value=value, count=len(found.chosen))
    gap = proven_gap(data, value, found.bound)[1]
    return FrontierPoint(
        share=share,
        budget=total,
        status="time-limit",
        value=value,
        count=len(found.chosen),
        gap=gap,
        reason=_timed_out_reason(found.status, gap),
    )


def next_slice(
    data: IndexForm, options: SolverOptions, budget: TimeBudget, chosen: list[int]
) -> tuple[NextSlice | None, str | None]:
    """What the next slice of budget buys, offered only when it adds value; else None and a note
    saying why not (no value to add, no feasible selection, or the time ran out)."""
    problem = data.problem
    level = scaled_budget(problem.budget, 1 + problem.next_slice)
    model = build_model(data, level)
    budget = TimeBudget.of(budget.share(1))
    found = solve_program(model, options, chosen, budget.left())
    extra = sum(level.values(), Decimal(0)) - sum(problem.budget.values(), Decimal(0))
    slice_text = f"the next {pct(problem.next_slice)} of budget ({money(extra, problem.currency)})"
    if found.status == "infeasible":
        return None, f"{slice_text} has no feasible selection: {_infeasible_reason(model, options, budget)}"
    if found.status == "no-solution":
        return None, f"{slice_text}: {_timed_out_reason(found.status, None)}"
    gain = value_of(data, found.chosen) - value_of(data, chosen)
    if gain < 0 and found.status == "optimal":  # only a bucket minimum (a share of the budget) grows with it
        lost = money(-gain, problem.currency)
        return None, f"{slice_text} would lose {lost} of value: bucket minimums grow with the budget"
    if gain <= 0:
        within = " within the time limit" if found.status == "gap" else ""
        return None, f"{slice_text} would add no value{within}: nothing left out is worth funding with it"
    before, after = set(chosen), set(found.chosen)
    offered = NextSlice(
        share=problem.next_slice,
        extra_budget=extra,
        status=found.status,
        value_gain=gain,
        added=[data.ids[i] for i in sorted(after - before)],
        dropped=[data.ids[i] for i in sorted(before - after)],
    )
    return offered, None
