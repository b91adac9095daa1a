"""Hard programs (governance/selection/split.py): the split side's pieces, its climb and the race,
against brute force and against plain HiGHS: the same optimum, and a bound that is never below
any selection that fits."""

from __future__ import annotations

import time
from dataclasses import replace
from decimal import Decimal
from unittest import mock

import numpy as np
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bench.hard_instances import mkp, realistic
from governance.selection import solver_options, split
from governance.selection.model import Model, build_model
from governance.selection.problem import IndexForm, index_form
from governance.selection.root import rounded, worth
from governance.selection.runs import run
from models.selection import SelectionCandidate, SelectionProblem

from .builders import D, constraints, small_problems, subsets


def _brute(p: SelectionProblem) -> tuple[list[set[str]], Decimal | None]:
    rules = [check for _, check in constraints(p)]
    feasible = [s for s in subsets(p) if all(check(s) for check in rules)]
    value = {c.id: c.ecv or D(0) for c in p.candidates}
    best = max((sum((value[i] for i in s), D(0)) for s in feasible), default=None)
    return feasible, best


def _started(
    p: SelectionProblem, pick: int
) -> tuple[list[set[str]], Decimal | None, dict[str, float], IndexForm, Model, split._Shared, set[str]] | None:
    """The brute force's answers and a race (`_Shared`) holding the `pick`th non-empty selection
    that fits; None if there is none."""
    feasible, best = _brute(p)
    starts = [s for s in feasible if s]
    if not starts:
        return None
    data = index_form(p)
    model = build_model(data, p.budget)
    at = {cid: i for i, cid in enumerate(data.ids)}
    shared = split._Shared(model, time.monotonic() + 10)
    start = starts[pick % len(starts)]
    shared.offer([at[i] for i in start])
    return feasible, best, {c.id: float(c.ecv or 0) for c in p.candidates}, data, model, shared, start


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
    started = _started(p, pick)
    if started is None:
        return
    feasible, best, worth, data, model, shared, _ = started
    shared.near.set()
    shared.hard.set()
    shared.deep.set()
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


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    small_problems(shares_of=st.sampled_from(["budget", "spend"])), st.sampled_from([0, 1, 20]), st.integers(0, 1000)
)
def test_the_core_offers_only_selections_that_fit_and_never_a_worse_one(
    p: SelectionProblem, size: int, pick: int
) -> None:
    """The core (the root LP's fractional candidates, its `size` nearest zeros and ones and the
    start's candidates free, the rest fixed) from any selection that fits: its bounds hold the
    start; the best selection afterwards fits, is worth at least the start and at most the
    brute-force optimum; with every candidate free (size 20 on these small problems) it is the
    optimum within a tenth of the gap (here 0)."""
    p = replace(p, mip_gap=D(0))
    started = _started(p, pick)
    if started is None:
        return
    feasible, best, worth, data, model, shared, start = started
    root = split._relax(model, solver_options(p), None, shared)
    assert root is not None and best is not None
    # The core always holds the start: none of its candidates fixed out, none of the others fixed in.
    col_lower, col_upper = split._core_bounds(model, root, shared.best()[0], size)
    held = np.isin(np.arange(len(col_lower)), shared.best()[0])
    assert np.all(col_lower <= held) and np.all(held <= col_upper)
    with mock.patch.object(split, "CORE", size):
        split._core(model, solver_options(p), root, shared)
    chosen, value = shared.best()
    picked = {data.ids[i] for i in chosen}
    assert picked in feasible
    assert value == sum(worth[i] for i in picked)
    assert sum(worth[i] for i in start) <= value <= float(best)
    if size >= len(p.candidates):
        assert value == float(best)


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
    with mock.patch.object(split, "FIRST_NODES", 0), mock.patch.object(split, "PIECES_NODES", 0):
        found = split.solve_program(model, solver_options(p), None, 60)
    assert found.status == "optimal"
    assert float(model.data.objective[found.chosen].sum()) == value
    assert found.bound is not None and found.bound >= value - 1e-6


def test_the_pieces_wait_for_plain_highs_past_the_pieces_nodes() -> None:
    """The same knapsack with the pieces waiting for more nodes than plain HiGHS needs: they never
    start (the split wakes when plain HiGHS ends, and the race is over), and the answer is plain
    HiGHS's optimum, proven."""
    p = replace(mkp(40, 5, 0.25, 3), mip_gap=D(0))
    value, _ = _plain_value(p)
    data = index_form(p)
    model = build_model(data, p.budget)
    with (
        mock.patch.object(split, "FIRST_NODES", 0),
        mock.patch.object(split, "PIECES_NODES", 10**9),
        mock.patch.object(split, "MOST_COUNTS", 100),  # at gap 0 more counts are worth solving
        mock.patch.object(split, "_piece", wraps=split._piece) as piece,
    ):
        found = split.solve_program(model, solver_options(p), None, 60)
    assert not piece.called
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
        shared.near.set()
        shared.hard.set()
        shared.deep.set()
        for most in (12, 0):
            with mock.patch.object(split, "MOST_COUNTS", most):
                found = split._split(model, solver_options(p), shared)
            assert found is not None and found.status == "optimal"
            assert float(model.data.objective[found.chosen].sum()) == value
            assert found.bound is not None and found.bound >= value - 1e-6


def test_the_count_walk_starts_on_both_sides_of_the_lps_count() -> None:
    """Found by the property test above: the LP selects 1 1/3 candidates (one forced in worth 0,
    a third of one worth 3); with one candidate its value is 0, with two (the forced one and the
    one worth 1 that fits beside it) 1. A walk up from the nearest count (1) stopped at once and
    set count 2 aside, and the split claimed 0 as its bound; the walk up starts at 2."""

    def candidate(i: int, ecv: int, fte: int, force: str | None = None) -> SelectionCandidate:
        return SelectionCandidate(
            id=f"P-{i}",
            title=f"Project P-{i}",
            bucket="core",
            ecv=D(ecv),
            costs=[{"period": "FY2027", "amount": D(0)}],
            resources=[{"role": "engineer", "period": "FY2027", "fte": D(fte)}] if fte else [],
            force=force,
            force_reason="committed" if force else None,
        )

    p = SelectionProblem(
        candidates=(candidate(0, 1, 1), candidate(1, 3, 3), candidate(2, 0, 0), candidate(3, 0, 3, "in")),
        budget={"FY2027": D(0)},
        buckets={"core": (D(0), D(1))},
        capacity={"engineer": {"FY2027": D(4)}},
        value_measure="ecv",
        mip_gap=D(0),
    )
    data = index_form(p)
    model = build_model(data, p.budget)
    shared = split._Shared(model, time.monotonic() + 10)
    shared.offer([data.ids.index("P-3")])
    shared.near.set()
    shared.hard.set()
    shared.deep.set()
    with mock.patch.object(split, "MOST_COUNTS", 0), mock.patch.object(split, "_core", lambda *_: None):
        found = split._split(model, solver_options(p), shared)
    assert found == split.Run("optimal", [data.ids.index("P-0"), data.ids.index("P-3")], 1.0)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    small_problems(shares_of=st.sampled_from(["budget", "spend"])),
    st.sampled_from([D(0), D("0.05"), D("0.3")]),
    st.one_of(st.none(), st.integers(0, 1000)),
)
def test_the_roots_proof_is_honest_and_the_same_every_time(p: SelectionProblem, gap: Decimal, pick: int | None) -> None:
    """The root LP's verdict (`root.rounded`), from no start or from any selection that fits: a proof
    holds a selection that fits, a bound no selection exceeds and within the gap of the selection,
    which is worth at least the start; asked again, the same verdict."""
    p = replace(p, mip_gap=gap)
    feasible, best = _brute(p)
    data = index_form(p)
    model = build_model(data, p.budget)
    at = {cid: i for i, cid in enumerate(data.ids)}
    starts = [s for s in feasible if s]
    start = None if pick is None or not starts else sorted(at[i] for i in starts[pick % len(starts)])
    shared = split._Shared(model, time.monotonic() + 10)
    root = split._relax(model, solver_options(p), None, shared, watched=False)
    verdicts = [rounded(model, solver_options(p), root, start, shared.left) for _ in range(2)] if root else [None]
    assert verdicts[0] == verdicts[-1]
    proof = verdicts[0]
    event("proof" if proof is not None else "no proof")
    if best is None:  # nothing fits: no LP optimum, or a rounding that does not fit
        assert proof is None
    if proof is None:
        return
    worth = {c.id: float(c.ecv or 0) for c in p.candidates}
    chosen = {data.ids[i] for i in proof.chosen}
    value = sum(worth[i] for i in chosen)
    assert proof.status == "optimal"
    assert chosen in feasible
    assert proof.bound is not None and proof.bound >= float(best) - 1e-6
    assert proof.bound - value <= float(gap) * abs(value) + 1e-9
    if start is not None:
        assert value >= sum(worth[data.ids[i]] for i in start)


def _root_proven() -> tuple[Model, split.Run]:
    """A program of 500 generated candidates (the 5,000-candidate bench program's kind) that its
    root LP proves at 0.1 %: its ones fit, and a few exchanges bring them within the gap."""
    from bench.selection import generate

    p = replace(generate(500, 1, 30, 5).problem, mip_gap=D("0.001"))
    model = build_model(index_form(p), p.budget)
    shared = split._Shared(model, time.monotonic() + 60)
    root = split._relax(model, solver_options(p), None, shared, watched=False)
    assert root is not None
    proof = rounded(model, solver_options(p), root, None, shared.left)
    assert proof is not None
    return model, proof


def test_the_roots_proof_is_the_answer_whichever_side_ends_first() -> None:
    """The root's proof is the race's answer: with plain HiGHS running (it takes 0.3 s here, the
    root 6 ms), and with plain HiGHS ending at once with another selection (the empty one) before
    the root's verdict is in. Without a proof there, the race as before: a proven selection (plain
    HiGHS's, or the split's better one) within the gap of plain HiGHS's bound."""
    model, proof = _root_proven()
    options = solver_options(model.data.problem)
    assert split.solve_program(model, options, None, 60) == proof

    def first(*_: object) -> split.Run:
        return split.Run("optimal", [], 0.0)

    with mock.patch.object(split, "_plain", first):
        assert split.solve_program(model, options, None, 60) == proof
    plain = run(model, options)
    assert plain.bound is not None
    with mock.patch.object(split, "rounded", lambda *_: None):
        found = split.solve_program(model, options, None, 60)
    value = worth(model, found.chosen)
    assert found.status == "optimal" and found.chosen != proof.chosen
    assert found.bound is not None and found.bound >= worth(model, plain.chosen)
    assert plain.bound - value <= 0.001 * value
