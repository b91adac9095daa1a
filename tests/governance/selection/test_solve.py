"""solve with the real HiGHS: one small problem's whole result, every constraint kind, infeasible
sets, the time limit, replay, and properties against brute force."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import highspy
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from governance.canonical import canonical_text
from governance.errors import InputRefused, Problem
from governance.selection import GreedyChoice, greedy, replay_agrees, solve
from models.selection import SelectionCandidate, SelectionProblem, SelectionResult

from .builders import SMALL, SOLVER, D, cand, constraints, problem, small_problems, subsets

# -- one small problem, its whole result ------------------------------------------------------


def test_small_problem_whole_result() -> None:
    """Greedy ranks D (5 per unit) and A (1.67) first, then B and C no longer fit: 105 against 138."""
    result = solve(SMALL)
    frontier = [
        # share, budget, value, count: worked out by hand (growth may spend 60% of each level)
        ("0.2000", "20.00", "5", 1),  # D
        ("0.4000", "40.00", "5", 1),  # D
        ("0.6000", "60.00", "100", 1),  # A (B + D 75; C over growth's 36)
        ("0.8000", "80.00", "105", 2),  # A + D
        ("1.0000", "100.00", "138", 2),  # B + C
        ("1.2000", "120.00", "175", 3),  # A + B + D
        ("1.4000", "140.00", "175", 3),  # A + B + C needs 160
        ("1.6000", "160.00", "238", 3),  # A + B + C
        ("1.8000", "180.00", "243", 4),  # all
        ("2.0000", "200.00", "243", 4),
    ]
    assert result.model_dump(mode="json") == {
        "status": "optimal",
        "value_measure": "ecv",
        "currency": "EUR",
        "objective": "138",
        "bound": "138",
        "gap": "0",
        "solver": SOLVER,
        "selected": ["B", "C"],
        "left_out": [
            {"id": "A", "reasons": ["budget FY2027: needs 60.00, 0.00 left"]},
            {"id": "D", "reasons": ["budget FY2027: needs 1.00, 0.00 left"]},
        ],
        "spend_by_period": [{"period": "FY2027", "budget": "100", "spend": "100", "left": "0"}],
        "spend_by_bucket": [
            {
                "bucket": "core",
                "spend": "50",
                "min_share": "0",
                "max_share": "1",
                "minimum": "0.00",
                "maximum": "100.00",
            },
            {
                "bucket": "growth",
                "spend": "50",
                "min_share": "0",
                "max_share": "0.6",
                "minimum": "0.00",
                "maximum": "60.00",
            },
        ],
        "frontier": [{"share": s, "budget": b, "status": "optimal", "value": v, "count": n} for s, b, v, n in frontier],
        "next_slice": {
            "share": "0.10",
            "extra_budget": "10.00",
            "status": "optimal",
            "value_gain": "32",  # A + B = 170 at 110
            "added": ["A"],
            "dropped": ["C"],
        },
        "greedy": {
            "value": "105",
            "selected": ["A", "D"],
            "only_in_optimal": ["B", "C"],
            "only_in_greedy": ["A", "D"],
            "value_difference": "33",
            "constraints_greedy_breaks": [],
        },
        "conflicts": [],
        "notes": ["costs in FY2028 are not constrained: no budget for it (1 candidate, 3.00)"],
    }
    assert greedy(SMALL) == GreedyChoice(("A", "D"), D(105))


def test_solves_after_another_highs_user_changed_the_thread_count() -> None:
    """HiGHS keeps one thread scheduler per process; ours (one thread) must run after one with two."""
    other = highspy.Highs()
    other.setOptionValue("output_flag", False)
    other.setOptionValue("threads", 2)
    other.passModel(1, 0, 0, 1, -1, 0.0, [1.0], [0.0], [1.0], [], [], [0, 0], [], [], [1])
    other.run()
    assert solve(SMALL, frontier=False).objective == D(138)


def test_solve_prints_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    """stdout carries `--json`: HiGHS's banner and log stay off, also for the conflict search."""
    solve(SMALL)
    solve(problem(cand("A", 10, 70, force="in", force_reason="one"), cand("B", 10, 70, force="in", force_reason="two")))
    assert capfd.readouterr() == ("", "")


def test_result_is_deterministic_and_canonical() -> None:
    first, second = solve(SMALL), solve(SMALL)
    assert canonical_text(first.model_dump(mode="json")) == canonical_text(second.model_dump(mode="json"))
    assert SelectionResult.model_validate_json(first.model_dump_json()) == first


def test_replay_checks_the_objective_within_the_gap() -> None:
    recorded = solve(SMALL, frontier=False)
    assert recorded.objective == D(138)
    # Another tie-break (A + D instead of B + C would not be one: it is worth less) is fine ...
    assert replay_agrees(recorded, recorded.model_copy(update={"selected": ["C", "B"]}))
    # ... within the recorded gap of the bound (5 % of 140, plus a cent), and no further.
    loose = recorded.model_copy(update={"gap": D("0.05"), "bound": D(140)})
    assert replay_agrees(loose, loose.model_copy(update={"objective": D(132)}))
    assert not replay_agrees(loose, loose.model_copy(update={"objective": D(130), "gap": D(0)}))
    assert not replay_agrees(recorded, recorded.model_copy(update={"objective": D(105)}))
    infeasible = recorded.model_copy(update={"status": "infeasible", "objective": None, "bound": None, "gap": None})
    assert replay_agrees(infeasible, infeasible)
    assert not replay_agrees(infeasible, recorded)


# -- each constraint kind ---------------------------------------------------------------------

CASES = {
    "budget-per-period": (
        problem(
            cand("A", 10, {"FY2027": 5, "FY2028": 8}),
            cand("B", 6, {"FY2027": 5, "FY2028": 2}),
            budget={"FY2027": 10, "FY2028": 8},
        ),
        ["A"],
        {"B": ["budget FY2028: needs 2.00, 0.00 left"]},
    ),
    "bucket-maximum": (
        problem(
            cand("G1", 50, 40, bucket="growth"),
            cand("G2", 40, 30, bucket="growth"),
            cand("C1", 10, 30),
            buckets={"core": ("0", "1"), "growth": ("0", "0.5")},
        ),
        ["G1", "C1"],
        {"G2": ["bucket growth at its maximum (50% of budget, 50.00): needs 30.00, 10.00 left"]},
    ),
    "bucket-minimum": (
        problem(
            cand("C1", 5, 50),
            cand("G1", 80, 60, bucket="growth"),
            cand("G2", 30, 40, bucket="growth"),
            buckets={"core": ("0.5", "1"), "growth": ("0", "1")},
        ),
        ["C1", "G2"],
        {"G1": ["budget FY2027: needs 60.00, 10.00 left"]},
    ),
    "dependency-pulls-in-prerequisite": (
        problem(cand("A", -5, 10), cand("B", 30, 10, depends_on=["A"]), cand("C", 20, 15), budget={"FY2027": 25}),
        ["A", "B"],
        {"C": ["budget FY2027: needs 15.00, 5.00 left"]},
    ),
    "dependency-not-met": (
        problem(cand("A", 50, 120), cand("B", 30, 10, depends_on=["A"])),
        [],
        {"A": ["budget FY2027: needs 120.00, 100.00 left"], "B": ["depends on A (not selected)"]},
    ),
    "exclusion": (
        problem(cand("A", 30, 10, excludes=["B"]), cand("B", 20, 10)),
        ["A"],
        {"B": ["excluded by A (selected)"]},
    ),
    "force-out": (
        problem(cand("A", 30, 10, force="out", force_reason="vendor under review"), cand("B", 5, 10)),
        ["B"],
        {"A": ["forced out: vendor under review"]},
    ),
    "force-in": (
        problem(cand("A", -10, 50, force="in", force_reason="regulatory deadline"), cand("B", 30, 60)),
        ["A"],
        {"B": ["budget FY2027: needs 60.00, 50.00 left"]},
    ),
    "capacity": (
        problem(
            cand("A", 30, 10, resources=[{"role": "engineer", "period": "FY2027", "fte": 2}]),
            cand("B", 25, 10, resources=[{"role": "engineer", "period": "FY2027", "fte": 2}]),
            cand("C", 10, 10, resources=[{"role": "engineer", "period": "FY2027", "fte": 1}]),
            capacity={"engineer": {"FY2027": D(3)}},
        ),
        ["A", "C"],
        {"B": ["capacity engineer FY2027: needs 2 FTE, 0 FTE left"]},
    ),
    "value-not-positive": (
        problem(cand("A", -3, 1), cand("B", 0, 1)),
        [],
        {"A": ["value not positive (ecv -3.00)"], "B": ["value not positive (ecv 0.00)"]},
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_each_constraint_kind(case: tuple[SelectionProblem, list[str], dict[str, list[str]]]) -> None:
    given_problem, selected, left_out = case
    result = solve(given_problem, frontier=False)
    assert (result.status, result.selected, {o.id: o.reasons for o in result.left_out}) == (
        "optimal",
        selected,
        left_out,
    )
    values = {c.id: c.ecv for c in given_problem.candidates}
    assert result.objective == sum((values[i] or 0 for i in selected), D(0))


def test_a_bucket_spend_half_a_cent_short_of_its_minimum_does_not_pass() -> None:
    """Growth's minimum is 50 % of 100.01, 50.005: G's 50.00 is half a cent short. Rounded half to
    even, the minimum was 50.00 and G + C (value 20) passed; rounded up it is 50.01. Growth's
    maximum, 60 % (60.006), rounds down to 60.00, so G + G2 (100.01) is over it: G2 + C it is."""
    result = solve(
        problem(
            cand("C", 10, "50.00"),
            cand("G", 10, "50.00", bucket="growth"),
            cand("G2", 1, "50.01", bucket="growth"),
            budget={"FY2027": D("100.01")},  # type: ignore[dict-item]
            buckets={"core": ("0", "1"), "growth": ("0.5", "0.6")},
        ),
        frontier=False,
    )
    assert (result.selected, result.objective) == (["C", "G2"], D(11))
    assert [(b.bucket, b.spend, b.minimum, b.maximum) for b in result.spend_by_bucket] == [
        ("core", D("50.00"), D("0.00"), D("100.01")),
        ("growth", D("50.01"), D("50.01"), D("60.00")),
    ]


# -- infeasible sets --------------------------------------------------------------------------


def test_infeasible_whole_result() -> None:
    """Growth must spend exactly 50 but its candidates cost 30 and 40: feasible as an LP, not in
    whole projects, so the conflict comes from the deletion filter, not from the LP's IIS."""
    result = solve(
        problem(
            cand("G1", 10, 30, bucket="growth"),
            cand("G2", 10, 40, bucket="growth"),
            cand("C1", 10, 20),
            buckets={"core": ("0", "1"), "growth": ("0.5", "0.5")},
        )
    )
    assert result.model_dump(mode="json") == {
        "status": "infeasible",
        "value_measure": "ecv",
        "currency": None,
        "objective": None,
        "bound": None,
        "gap": None,
        "solver": SOLVER,
        "selected": [],
        "left_out": [],
        "spend_by_period": [],
        "spend_by_bucket": [],
        "frontier": [],
        "next_slice": None,
        "greedy": None,
        "conflicts": ["bucket growth minimum 50% of budget (50.00)", "bucket growth maximum 50% of budget (50.00)"],
        "notes": [],
    }


@pytest.mark.parametrize(
    ("candidates", "budget", "conflicts"),
    [
        pytest.param(
            [
                cand("A", 10, 40, force="in", force_reason="contract signed", excludes=["B"]),
                cand("B", 10, 40, force="in", force_reason="board decision"),
                cand("C", 10, 10),
            ],
            100,
            ["A excludes B", "force-in A (contract signed)", "force-in B (board decision)"],
            id="two-forced-exclusive",
        ),
        pytest.param(
            [
                cand("A", 10, 10, force="out", force_reason="supplier gone"),
                cand("B", 10, 10, force="in", force_reason="promised to the regulator", depends_on=["A"]),
            ],
            100,
            ["B depends on A", "force-out A (supplier gone)", "force-in B (promised to the regulator)"],
            id="forced-in-needs-forced-out",
        ),
        pytest.param(
            [
                cand("A", 10, 70, force="in", force_reason="board decision"),
                cand("B", 10, 70, force="in", force_reason="safety"),
                cand("C", 10, 5, force="in", force_reason="audit finding"),
            ],
            100,
            ["budget FY2027 (100.00)", "force-in A (board decision)", "force-in B (safety)"],
            id="forced-in-over-budget",
        ),
    ],
)
def test_conflicts_name_the_constraints(
    candidates: list[SelectionCandidate], budget: int, conflicts: list[str]
) -> None:
    result = solve(problem(*candidates, budget={"FY2027": budget}))
    assert (result.status, result.conflicts, result.selected, result.frontier) == ("infeasible", conflicts, [], [])


def test_time_limit_reports_the_gap() -> None:
    """A strongly correlated knapsack (value = cost + 100) proven to 0 gap takes far longer than 1 s."""
    items = [cand(f"K-{i:03d}", 1000 + (i * 7919) % 5000 + 100, 1000 + (i * 7919) % 5000) for i in range(400)]
    budget = sum(int(c.costs[0].amount) for c in items) // 2 + 1
    result = solve(replace(problem(*items, budget={"FY2027": budget}), time_limit_seconds=1), frontier=False)
    assert result.status == "gap"
    assert result.objective is not None and result.bound is not None and result.gap is not None
    assert (
        result.bound >= result.objective
        and result.gap == ((result.bound - result.objective) / result.objective).quantize(D("0.000001")).normalize()
    )
    assert result.notes[-1].startswith("time limit of 1 s reached: within ")


def test_solve_refuses_an_unsound_problem() -> None:
    with pytest.raises(InputRefused) as refused:
        solve(problem(cand("A", 1, 1, bucket="growth", depends_on=["Z"])))
    assert refused.value.problems == (
        Problem(
            "(problem)",
            "candidates[0] A",
            "bucket",
            "unknown-bucket",
            "bucket 'growth' has no bounds; buckets listed: core",
        ),
        Problem("(problem)", "candidates[0] A", "depends_on[0]", "unknown-reference", "no candidate Z"),
    )


# -- properties against brute force -----------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(small_problems(shares_of=st.sampled_from(["budget", "spend"])))
def test_selection_agrees_with_brute_force(p: SelectionProblem) -> None:
    event(f"bucket shares of {p.bucket_shares_of}")
    result = solve(p, frontier=False)
    rules = constraints(p)
    values = {c.id: c.ecv or D(0) for c in p.candidates}
    feasible = [s for s in subsets(p) if all(check(s) for _, check in rules)]
    event(f"status {result.status}")
    if not feasible:
        assert result.status == "infeasible"
        names = dict(rules)
        assert result.conflicts and set(result.conflicts) <= set(names)
        conflict = [names[c] for c in result.conflicts]
        assert not any(all(check(s) for check in conflict) for s in subsets(p))
        for k in range(len(conflict)):  # irreducible: without any one of them, a selection exists
            rest = conflict[:k] + conflict[k + 1 :]
            assert any(all(check(s) for check in rest) for s in subsets(p))
        return
    assert result.status == "optimal"
    chosen = set(result.selected)
    assert [name for name, check in rules if not check(chosen)] == []
    best = max(sum((values[i] for i in s), D(0)) for s in feasible)
    assert result.objective == sum((values[i] for i in chosen), D(0)) == best
    assert result.greedy is not None
    taken = set(result.greedy.selected)
    broken = [name for name, check in rules if not check(taken)]
    event(f"greedy breaks a constraint: {bool(broken)}")
    assert bool(broken) == bool(result.greedy.constraints_greedy_breaks)
    if not broken:
        assert result.objective >= result.greedy.value
    assert sorted(o.id for o in result.left_out) == sorted(set(values) - chosen)


@settings(max_examples=40, deadline=None)
@given(small_problems(with_minimums=False), st.sampled_from([D(0), D("0.05")]))
def test_frontier_never_falls_as_the_budget_grows(p: SelectionProblem, gap: Decimal) -> None:
    result = solve(replace(p, mip_gap=gap))
    if result.status == "infeasible":
        return
    assert [f.share for f in result.frontier] == [D(2 * k) / 10 for k in range(1, 11)]
    reached = [f for f in result.frontier if f.status != "infeasible"]
    assert result.frontier[len(result.frontier) - len(reached) :] == reached  # once feasible, always
    values = [f.value for f in reached]
    assert values == sorted(values)  # type: ignore[type-var]
    # Offered only when it adds value; it starts from the selection, which still fits.
    assert result.next_slice is None or (result.next_slice.value_gain or 0) > 0


@settings(max_examples=40, deadline=None)
@given(small_problems(shares_of=st.just("spend")))
def test_frontier_with_shares_of_spend_never_falls_and_agrees_with_brute_force(p: SelectionProblem) -> None:
    """Shares of spend are the same constraint at every budget level: a level's selection fits every
    higher one, so the frontier never falls, bucket minimums included; each level is the optimum."""
    result = solve(p)
    if result.status == "infeasible":
        return
    values = {c.id: c.ecv or D(0) for c in p.candidates}
    found = []
    for point in result.frontier:
        level = replace(p, budget={q: (a * point.share).quantize(D("0.01")) for q, a in p.budget.items()})
        rules = [check for _, check in constraints(level)]
        feasible = [s for s in subsets(level) if all(check(s) for check in rules)]
        if not feasible:
            assert (point.status, point.value) == ("infeasible", None)
            continue
        assert point.status == "optimal"
        assert point.value == max(sum((values[i] for i in s), D(0)) for s in feasible)
        found.append(point.value)
    assert found == sorted(found)
