"""Hard programs (governance/selection/split.py): the split side's pieces, its climb and the race,
against brute force and against plain HiGHS: the same optimum, and a bound that is never below
any selection that fits."""

from __future__ import annotations

import time
from dataclasses import replace
from decimal import Decimal
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.hard_instances import mkp, realistic
from governance.selection import solver_options, split
from governance.selection.model import build_model
from governance.selection.problem import index_form
from governance.selection.runs import run
from models.selection import SelectionProblem

from .builders import D, constraints, small_problems, subsets


def _brute(p: SelectionProblem) -> tuple[list[set[str]], Decimal | None]:
    rules = [check for _, check in constraints(p)]
    feasible = [s for s in subsets(p) if all(check(s) for check in rules)]
    value = {c.id: c.ecv or D(0) for c in p.candidates}
    best = max((sum((value[i] for i in s), D(0)) for s in feasible), default=None)
    return feasible, best


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    small_problems(shares_of=st.sampled_from(["budget", "spend"])),
    st.sampled_from([0, 12]),
    st.sampled_from([D(0), D("0.05")]),
    st.integers(0, 1000),
)
def test_the_split_side_proves_the_brute_force_optimum(p: SelectionProblem, most: int, gap: Decimal, pick: int) -> None:
    """From any selection that fits, by cardinality pieces (most 12) or by the climb (most 0):
    a selection that fits, within the gap of the optimum, and a bound no selection exceeds."""
    p = replace(p, mip_gap=gap)
    feasible, best = _brute(p)
    worth = {c.id: float(c.ecv or 0) for c in p.candidates}
    starts = [s for s in feasible if s]
    if not starts:
        return
    data = index_form(p)
    model = build_model(data, p.budget)
    at = {cid: i for i, cid in enumerate(data.ids)}
    shared = split._Shared(model, time.monotonic() + 10)
    shared.offer([at[i] for i in starts[pick % len(starts)]])
    shared.hard.set()
    with mock.patch.object(split, "MOST_COUNTS", most):
        found = split._split(model, solver_options(p), shared)
    assert best is not None
    if found is None:  # only where a piece proved within its own gap alone (never at gap 0)
        assert gap > 0
        return
    chosen = {data.ids[i] for i in found.chosen}
    assert found.status == "optimal"
    assert chosen in feasible
    value = sum(worth[i] for i in chosen)
    assert found.bound is not None and found.bound >= float(best) - 1e-6
    assert found.bound - value <= float(gap) * abs(value) + 1e-6 * max(1.0, abs(value))


def _plain_value(p: SelectionProblem) -> tuple[float, float]:
    data = index_form(p)
    model = build_model(data, p.budget)
    found = run(model, solver_options(p))
    assert found.status == "optimal" and found.bound is not None
    return float(model.data.objective[found.chosen].sum()), found.bound


def test_a_knapsack_past_the_first_nodes_is_split_and_keeps_the_optimum() -> None:
    """A correlated knapsack (40 items, 5 dimensions) at gap 0, the split side taking part from
    the first node: the race's answer is plain HiGHS's optimum, proven."""
    p = replace(mkp(40, 5, 0.25, 3), mip_gap=D(0))
    value, _ = _plain_value(p)
    data = index_form(p)
    model = build_model(data, p.budget)
    with mock.patch.object(split, "FIRST_NODES", 0):
        found = split.solve_program(model, solver_options(p), None, 60)
    assert found.status == "optimal"
    assert float(model.data.objective[found.chosen].sum()) == value
    assert found.bound is not None and found.bound >= value - 1e-6


def test_the_split_side_alone_on_a_knapsack_and_a_portfolio() -> None:
    """The split side by itself (pieces on the knapsack, the climb on the realistic portfolio),
    from plain HiGHS's first selection: the optimum at gap 0, as plain HiGHS proves it."""
    for p in (replace(mkp(30, 5, 0.5, 1), mip_gap=D(0)), replace(realistic(40, 1), mip_gap=D(0))):
        value, _ = _plain_value(p)
        data = index_form(p)
        model = build_model(data, p.budget)
        start = run(model, solver_options(p).model_copy(update={"mip_rel_gap": D("0.05")}), None, 60)
        shared = split._Shared(model, time.monotonic() + 60)
        shared.offer(start.chosen)
        shared.hard.set()
        for most in (12, 0):
            with mock.patch.object(split, "MOST_COUNTS", most):
                found = split._split(model, solver_options(p), shared)
            assert found is not None and found.status == "optimal"
            assert float(model.data.objective[found.chosen].sum()) == value
            assert found.bound is not None and found.bound >= value - 1e-6
