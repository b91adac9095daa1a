"""Exchanges (governance/selection/swaps.py): every selection handed on fits and is worth more
than the one before, and the last is one that no exchange of up to three out and three in
improves, against brute force."""

from __future__ import annotations

import itertools
import time
from dataclasses import replace
from decimal import Decimal

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance.selection import solver_options, split, swaps
from governance.selection.model import build_model
from governance.selection.problem import index_form
from models.selection import SelectionProblem

from .builders import D, cand, constraints, problem, small_problems, subsets


def _search(p: SelectionProblem, start: set[str], order: list[str]) -> tuple[list[set[str]], set[str]]:
    """`exchanged` from `start`, taking candidates in `order`: the selections it hands on, and its
    answer (as ids)."""
    data = index_form(p)
    model = build_model(data, p.budget)
    at = {cid: i for i, cid in enumerate(data.ids)}
    rank = np.array([order.index(cid) for cid in data.ids])
    free = model.col_upper > model.col_lower
    selected = np.zeros(len(data.ids), dtype=bool)
    selected[[at[i] for i in start]] = True

    def ordered(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        by_rank = np.argsort(rank, kind="stable")
        return by_rank[(s & free)[by_rank]], by_rank[(~s & free)[by_rank]]

    found: list[set[str]] = []
    last = swaps.exchanged(
        swaps.Matrix(data.row_count, data.start, data.index, data.coef),
        model.row_lower,
        model.row_upper,
        data.objective,
        selected,
        ordered,
        0.01,
        lambda s: found.append({data.ids[i] for i in np.flatnonzero(s)}),
        lambda: False,
    )
    return found, {data.ids[i] for i in np.flatnonzero(last)}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems(shares_of=st.sampled_from(["budget", "spend"])), st.integers(0, 1000), st.randoms())
def test_exchanges_hand_on_better_selections_that_fit_and_end_where_none_improves(
    p: SelectionProblem, pick: int, rng: object
) -> None:
    """From any selection that fits, in any order of the candidates: each selection handed on
    fits and is worth more than the one before; the answer is the last of them (or the start);
    and no selection that fits, at most three out and three in from the answer, is worth more
    (these problems are smaller than the search's widths, so it sees every candidate)."""
    rules = [check for _, check in constraints(p)]
    feasible = [s for s in subsets(p) if all(check(s) for check in rules)]
    if not feasible:
        return
    start = feasible[pick % len(feasible)]
    order = [c.id for c in p.candidates]
    rng.shuffle(order)  # type: ignore[attr-defined]
    value = {c.id: c.ecv or D(0) for c in p.candidates}

    def worth(s: set[str]) -> Decimal:
        return sum((value[i] for i in s), D(0))

    found, answer = _search(p, start, order)
    values = [worth(start)] + [worth(s) for s in found]
    assert all(s in feasible for s in found)
    assert all(a < b for a, b in itertools.pairwise(values))
    assert answer == (found[-1] if found else start)
    near = [s for s in feasible if len(answer - s) <= 3 and len(s - answer) <= 3]
    assert max(worth(s) for s in near) == worth(answer)


_TWO_FOR_THREE = (
    cand("A", 50, 50),
    cand("B", 50, 50),
    cand("C", 34, 33),
    cand("D", 34, 33),
    cand("E", 34, 33),
)


def test_two_out_and_three_in_where_nothing_smaller_pays() -> None:
    """A budget of 100 spent on two projects of 50 worth 50 each; three of 33 worth 34 each fit
    instead, and no smaller exchange is worth more (one for one: 84; two for two: 68; one of 50
    and two of 33 cost 116). The search hands on the three, and nothing else."""
    p = problem(*_TWO_FOR_THREE, cand("F", 1, 90), budget={"FY2027": 100})
    found, answer = _search(p, {"A", "B"}, ["A", "B", "C", "D", "E", "F"])
    assert found == [{"C", "D", "E"}]
    assert answer == {"C", "D", "E"}


def test_two_for_two_and_three_for_three_where_nothing_smaller_pays() -> None:
    """Each period's budget spent whole by projects that lean on one period; as many even ones,
    worth one more each, fit instead, and no smaller exchange does (every one of them overruns a
    period or is worth less): two for two over two periods, three for three over three."""
    two = problem(
        cand("A", 100, {"FY2027": 60, "FY2028": 40}),
        cand("B", 100, {"FY2027": 40, "FY2028": 60}),
        cand("C", 101, {"FY2027": 50, "FY2028": 50}),
        cand("D", 101, {"FY2027": 50, "FY2028": 50}),
        budget={"FY2027": 100, "FY2028": 100},
    )
    assert _search(two, {"A", "B"}, ["A", "B", "C", "D"]) == ([{"C", "D"}], {"C", "D"})
    years = ("FY2027", "FY2028", "FY2029")
    leaning = [
        cand(name, 99, {y: 55 if y == lean else 22 for y in years}) for name, lean in zip("ABC", years, strict=True)
    ]
    even = [cand(name, 100, dict.fromkeys(years, 33)) for name in "DEF"]
    three = problem(*leaning, *even, budget=dict.fromkeys(years, 99))
    assert _search(three, {"A", "B", "C"}, list("ABCDEF")) == ([{"D", "E", "F"}], {"D", "E", "F"})


def test_the_split_exchanges_from_plain_highs_selection() -> None:
    """The same problem in the split: plain HiGHS's selection (A and B) handed over as it finds
    it; the split's exchanges find C, D and E, offer them and say what they are worth."""
    p = replace(problem(*_TWO_FOR_THREE, budget={"FY2027": 100}), mip_gap=Decimal(0))
    data = index_form(p)
    model = build_model(data, p.budget)
    at = {cid: i for i, cid in enumerate(data.ids)}
    shared = split._Shared(model, time.monotonic() + 10)
    x = np.zeros(len(data.ids))
    x[[at["A"], at["B"]]] = 1.0
    shared.found(x)
    root = split._relax(model, solver_options(p), None, shared)
    assert root is not None
    assert split._exchange(model, root, shared.best()[0], shared) == 102.0
    assert shared.best() == (sorted(at[i] for i in "CDE"), 102.0)
