"""Portfolio selection with the real HiGHS: small hand-checked problems, every constraint kind,
infeasible sets, candidates files, command-line overrides, and properties against brute force."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from highspy._core import _Highs
from hypothesis import event, given, settings
from hypothesis import strategies as st

from governance.candidates import problem_from_file, with_overrides
from governance.canonical import canonical_text
from governance.errors import InputRefused, Problem
from governance.selection import GreedyChoice, greedy, replay_agrees, solve
from models.selection import CandidatesFile, SelectionCandidate, SelectionProblem, SelectionResult

from .test_intake import write

D = Decimal
SOLVER = {
    "name": "HiGHS",
    "version": "1.16.0",
    "options": {"mip_rel_gap": "0", "time_limit_seconds": 60, "random_seed": 0, "threads": 1, "presolve": "choose"},
}


def cand(
    cid: str, ecv: int | str, cost: int | str | dict[str, Any], bucket: str = "core", **extra: Any
) -> SelectionCandidate:
    costs = cost if isinstance(cost, dict) else {"FY2027": cost}
    data = {
        "id": cid,
        "title": f"Project {cid}",
        "bucket": bucket,
        "ecv": ecv,
        "costs": [{"period": p, "amount": a} for p, a in costs.items()],
        **extra,
    }
    return SelectionCandidate.model_validate(data)


def problem(
    *candidates: SelectionCandidate,
    budget: dict[str, int] | None = None,
    buckets: dict[str, tuple[str, str]] | None = None,
    **extra: Any,
) -> SelectionProblem:
    return SelectionProblem(
        candidates=candidates,
        budget={p: D(a) for p, a in (budget or {"FY2027": 100}).items()},
        buckets={b: (D(lo), D(hi)) for b, (lo, hi) in (buckets or {"core": ("0", "1")}).items()},
        mip_gap=D(0),
        **extra,
    )


# -- one small problem, its whole result ------------------------------------------------------

SMALL = problem(
    cand("A", 100, 60),
    cand("B", 70, 50),
    cand("C", 68, 50, bucket="growth"),
    cand("D", 5, {"FY2027": 1, "FY2028": 3}, bucket="growth"),
    buckets={"core": ("0", "1"), "growth": ("0", "0.6")},
    frontier_levels=10,
    currency="EUR",
)


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
    other = _Highs()
    other.setOptionValue("output_flag", False)
    other.setOptionValue("threads", 2)
    other.passModel(1, 0, 0, 1, -1, 0.0, [1.0], [0.0], [1.0], [], [], [0, 0], [], [], [1])
    other.run()
    assert solve(SMALL, frontier=False).objective == D(138)


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


# -- candidates files -------------------------------------------------------------------------

GOOD_FILE: dict[str, Any] = {
    "currency": "EUR",
    "portfolio": {"value_measure": "npv", "budget": {"FY2027": 1000000, "FY2028": 800000}, "mip_gap": 0.0005},
    "buckets": [{"bucket": "core", "max_share": 0.7}, {"bucket": "growth", "min_share": 0.1}],
    "candidates": [
        {
            "id": "P-2026-0001",
            "title": "Heat pump controller",
            "bucket": "growth",
            "npv": 450000.5,
            "costs": [{"period": "FY2027", "amount": 400000}, {"period": "FY2028", "amount": 150000}],
        },
        {
            "id": "P-2026-0002",
            "title": "Billing platform upgrade",
            "kind": "project",
            "bucket": "core",
            "npv": 300000,
            "costs": [{"period": "FY2027", "amount": 250000}],
            "resources": [{"role": "engineer", "period": "FY2027", "fte": 2.5}],
            "depends_on": ["P-2026-0001"],
            "force": "in",
            "force_reason": "contract renewal",
        },
    ],
}


@pytest.mark.parametrize("name", ["candidates.yaml", "candidates.json"])
def test_problem_from_file(tmp_path: Path, name: str) -> None:
    parsed = CandidatesFile.model_validate(GOOD_FILE)
    assert problem_from_file(write(tmp_path, name, GOOD_FILE)) == SelectionProblem(
        candidates=tuple(parsed.candidates),
        budget={"FY2027": D("1000000"), "FY2028": D("800000")},
        buckets={"core": (D(0), D("0.7")), "growth": (D("0.1"), D(1))},
        capacity={},
        value_measure="npv",
        frontier_levels=12,
        next_slice=D("0.10"),
        mip_gap=D("0.0005"),
        time_limit_seconds=60,
        currency="EUR",
    )
    assert parsed.candidates[0].npv == D("450000.5")


def test_bad_file_lists_every_problem(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.yaml",
        """\
currency: EUR
portfolio:
  value_measure: npv
  budget: {FY2027: 1000000, FY27: 5}
  mip_gap: 0.7
buckets:
  - {bucket: core, min_share: 0.6, max_share: 0.5}
  - {bucket: growth}
candidates:
  - {id: P-1, title: One, bucket: core, npv: 100, costs: [{period: FY2027, amount: -5}]}
  - {id: P-2, title: Two, bucket: moonshot, costs: [{period: FY2027, amount: 5}], depends_on: [P-9], force: in}
  - {id: P-2, title: <b>Three</b>, bucket: growth, npv: 1, costs: [{period: FY2027, amount: 5}], colour: red}
""",
    )
    name = str(path)
    with pytest.raises(InputRefused) as refused:
        problem_from_file(path)
    assert refused.value.problems == (
        Problem(name, "portfolio", "budget.FY27.[key]", "invalid-value", "String should match pattern '^FY\\d{4}$'"),
        Problem(name, "portfolio", "mip_gap", "out-of-range", "Input should be less than or equal to 0.5"),
        Problem(name, "buckets[0] core", "(record)", "inconsistent", "min_share 0.6 exceeds max_share 0.5"),
        Problem(name, "candidates[0] P-1", "costs[0].amount", "negative-amount", "amount must not be negative"),
        Problem(
            name,
            "candidates[1] P-2",
            "(record)",
            "inconsistent",
            "force and force_reason go together: give both or neither",
        ),
        Problem(name, "candidates[2] P-2", "title", "markup-in-text", "text must be plain, found markup '<b'"),
        Problem(name, "candidates[2] P-2", "colour", "unknown-field", "Extra inputs are not permitted"),
        Problem(
            name,
            "candidates[1] P-2",
            "bucket",
            "unknown-bucket",
            "bucket 'moonshot' has no bounds; buckets listed: core, growth",
        ),
        Problem(name, "candidates[1] P-2", "depends_on[0]", "unknown-reference", "no candidate P-9"),
        Problem(name, "candidates[1] P-2", "npv", "missing", "no npv given; the value measure is npv"),
        Problem(name, "candidates[2] P-2", "id", "duplicate-in-batch", "id P-2 is also candidates[1]"),
    )


def test_valid_file_with_bad_references(tmp_path: Path) -> None:
    data = json.loads(json.dumps(GOOD_FILE))
    data["buckets"] = [{"bucket": "core", "min_share": 0.6}, {"bucket": "growth", "min_share": 0.5}]
    data["candidates"][1].update(id="P-2026-0001", depends_on=[], excludes=["P-2026-0404"], bucket="legacy")
    del data["candidates"][0]["npv"]
    name = str(write(tmp_path, "refs.json", data))
    with pytest.raises(InputRefused) as refused:
        problem_from_file(name)
    assert refused.value.problems == (
        Problem(name, "buckets", "min_share", "inconsistent", "bucket min_share values add up to more than 1"),
        Problem(name, "candidates[0] P-2026-0001", "npv", "missing", "no npv given; the value measure is npv"),
        Problem(name, "candidates[1] P-2026-0001", "id", "duplicate-in-batch", "id P-2026-0001 is also candidates[0]"),
        Problem(
            name,
            "candidates[1] P-2026-0001",
            "bucket",
            "unknown-bucket",
            "bucket 'legacy' has no bounds; buckets listed: core, growth",
        ),
        Problem(name, "candidates[1] P-2026-0001", "excludes[0]", "unknown-reference", "no candidate P-2026-0404"),
    )


@pytest.mark.parametrize(
    ("name", "content", "problem_"),
    [
        pytest.param(
            "c.csv", "id\n1\n", ("", "", "unsupported-format", "a candidates file is .yaml, .yml or .json"), id="csv"
        ),
        pytest.param(
            "c.yaml",
            "- a: 1\n",
            ("", "", "not-a-record", "expected a mapping with currency, portfolio, buckets and candidates"),
            id="a-list",
        ),
        pytest.param(
            "c.json",
            "{",
            (
                "",
                "",
                "parse-error",
                "invalid JSON at line 1 column 2: Expecting property name enclosed in double quotes",
            ),
            id="bad-json",
        ),
        pytest.param("c.yaml", "", ("", "", "file-empty", "file is empty"), id="empty"),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, content: str, problem_: tuple[str, str, str, str]) -> None:
    path = write(tmp_path, name, content)
    with pytest.raises(InputRefused) as refused:
        problem_from_file(path)
    assert refused.value.problems == (Problem(str(path), *problem_),)  # type: ignore[arg-type]


# -- command-line overrides -------------------------------------------------------------------


def test_with_overrides() -> None:
    base = problem(
        cand("A", 10, 10, npv=5),
        cand("B", 10, 10, bucket="growth", npv=7),
        budget={"FY2027": 100, "FY2028": 50},
        buckets={"core": ("0", "1"), "growth": ("0", "0.5")},
    )
    changed = with_overrides(
        base,
        budget={"FY2028": D("80.50"), "FY2029": D(10)},
        buckets={"growth": (D("0.1"), D("0.4"))},
        value_measure="npv",
    )
    assert changed == replace(
        base,
        budget={"FY2027": D(100), "FY2028": D("80.50"), "FY2029": D(10)},
        buckets={"core": (D(0), D(1)), "growth": (D("0.1"), D("0.4"))},
        value_measure="npv",
    )
    assert with_overrides(base) == base


def test_with_overrides_refused() -> None:
    base = problem(*(cand(f"P-{i}", 10, 10) for i in range(12)), buckets={"core": ("0", "1")})
    with pytest.raises(InputRefused) as refused:
        with_overrides(
            base,
            budget={"2027": D(1), "FY2028": D(-1), "FY2029": D("1.005"), "FY2030": D("1e16")},
            buckets={"moonshot": (D(0), D(1)), "core": (D("0.5"), D("0.2"))},
            value_measure="npv",
        )
    assert refused.value.problems == (
        Problem("command line", "--budget", "2027", "invalid-value", "a period is written FY2027"),
        Problem("command line", "--budget", "FY2028", "negative-amount", "amount must not be negative"),
        Problem("command line", "--budget", "FY2029", "invalid-value", "amount has more than 2 decimal places"),
        Problem("command line", "--budget", "FY2030", "out-of-range", "amount has more than 16 digits"),
        Problem("command line", "--bucket", "moonshot", "unknown-bucket", "no bucket moonshot: core"),
        Problem("command line", "--bucket", "core", "inconsistent", "minimum 0.5 exceeds maximum 0.2"),
        Problem(
            "command line",
            "--value-measure",
            "npv",
            "missing",
            "no npv for P-0, P-1, P-2, P-3, P-4, P-5, P-6, P-7, P-8, P-9 and 2 more",
        ),
    )
    with pytest.raises(InputRefused) as refused:
        with_overrides(base, buckets={"core": (D("1.5"), D(2))}, value_measure="roi")
    assert refused.value.problems == (
        Problem("command line", "--bucket", "core", "out-of-range", "shares must be between 0 and 1"),
        Problem("command line", "--value-measure", "roi", "invalid-value", "choose score, ecv or npv"),
    )


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

PERIODS = ("FY2027", "FY2028")


def _pct(share: Decimal) -> str:
    return format((share * 100).normalize(), "f") + "%"


def constraints(p: SelectionProblem) -> list[tuple[str, Any]]:
    """Every constraint of `p`, named as the engine names them, each a predicate over a set of ids."""
    by_id = {c.id: c for c in p.candidates}

    def spend(chosen: set[str], period: str) -> Decimal:
        return sum((k.amount for i in chosen for k in by_id[i].costs if k.period == period), D(0))

    def bucket_spend(chosen: set[str], bucket: str) -> Decimal:
        return sum((spend({i}, q) for i in chosen if by_id[i].bucket == bucket for q in p.budget), D(0))

    total = sum(p.budget.values(), D(0))
    found: list[tuple[str, Any]] = []
    for period in sorted(p.budget):
        limit = p.budget[period]
        found.append((f"budget {period} ({limit:,.2f})", lambda s, q=period, b=limit: spend(s, q) <= b))
    for bucket, (low, high) in p.buckets.items():
        lo, hi = (total * low).quantize(D("0.01")), (total * high).quantize(D("0.01"))
        if low > 0:
            found.append(
                (
                    f"bucket {bucket} minimum {_pct(low)} of budget ({lo:,.2f})",
                    lambda s, b=bucket, m=lo: bucket_spend(s, b) >= m,
                )
            )
        if high < 1:
            found.append(
                (
                    f"bucket {bucket} maximum {_pct(high)} of budget ({hi:,.2f})",
                    lambda s, b=bucket, m=hi: bucket_spend(s, b) <= m,
                )
            )
    for role, limits in p.capacity.items():
        for period, limit in limits.items():

            def used(s: set[str], r: str = role, q: str = period) -> Decimal:
                return sum((x.fte for i in s for x in by_id[i].resources if (x.role, x.period) == (r, q)), D(0))

            found.append((f"capacity {role} {period} ({limit} FTE)", lambda s, u=used, m=limit: u(s) <= m))
    seen: set[frozenset[str]] = set()
    for c in p.candidates:
        for a in c.depends_on:
            found.append((f"{c.id} depends on {a}", lambda s, b=c.id, a=a: b not in s or a in s))
    for c in p.candidates:
        for other in c.excludes:
            if frozenset((c.id, other)) not in seen:
                seen.add(frozenset((c.id, other)))
                found.append((f"{c.id} excludes {other}", lambda s, a=c.id, b=other: not (a in s and b in s)))
    for c in p.candidates:
        if c.force is not None:
            name = f"force-{c.force} {c.id} ({c.force_reason})"
            found.append((name, lambda s, i=c.id, f=c.force: (i in s) == (f == "in")))
    return found


def subsets(p: SelectionProblem) -> list[set[str]]:
    ids = [c.id for c in p.candidates]
    return [set(combo) for n in range(len(ids) + 1) for combo in itertools.combinations(ids, n)]


@st.composite
def small_problems(draw: st.DrawFn, with_minimums: bool = True) -> SelectionProblem:
    n = draw(st.integers(1, 9))
    ids = [f"P-{i}" for i in range(n)]
    candidates = []
    pairs: set[frozenset[str]] = set()
    for cid in ids:
        others = [o for o in ids if o != cid]
        depends = (
            draw(st.lists(st.sampled_from(others), max_size=2, unique=True))
            if others and draw(st.integers(0, 3)) == 0
            else []
        )
        rest = [o for o in others if o not in depends and frozenset((o, cid)) not in pairs]
        excludes = (
            draw(st.lists(st.sampled_from(rest), max_size=1, unique=True))
            if rest and draw(st.integers(0, 3)) == 0
            else []
        )
        pairs.update(frozenset((cid, o)) for o in depends + excludes)
        force = draw(st.sampled_from([None] * 6 + ["in", "out"]))
        costs = {p: draw(st.integers(0, 40)) for p in (*PERIODS, "FY2029") if draw(st.booleans())} or {"FY2027": 0}
        fte = draw(st.integers(0, 3))
        candidates.append(
            cand(
                cid,
                draw(st.integers(-10, 60)),
                costs,
                bucket=draw(st.sampled_from(["core", "growth"])),
                depends_on=depends,
                excludes=excludes,
                force=force,
                force_reason="because" if force else None,
                resources=[{"role": "engineer", "period": "FY2027", "fte": fte}] if fte else [],
            )
        )
    lows = ["0", "0", "0.1", "0.3"] if with_minimums else ["0"]
    buckets = {
        b: (D(draw(st.sampled_from(lows))), D(draw(st.sampled_from(["0.4", "0.7", "1"])))) for b in ("core", "growth")
    }
    budget = {p: D(draw(st.integers(0, 80))) for p in PERIODS}
    capacity = {"engineer": {"FY2027": D(draw(st.integers(0, 5)))}} if draw(st.booleans()) else {}
    return SelectionProblem(
        candidates=tuple(candidates),
        budget=budget,
        buckets=buckets,
        capacity=capacity,
        mip_gap=D(0),
        frontier_levels=10,
    )


@settings(max_examples=150, deadline=None)
@given(small_problems())
def test_selection_agrees_with_brute_force(p: SelectionProblem) -> None:
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
    assert result.next_slice is not None and result.next_slice.value_gain is not None
    assert result.next_slice.value_gain >= 0  # it starts from the selection, which still fits


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
        maximum = (total_budget * high).quantize(D("0.01"))
        if high < 1 and total[c.id] > maximum - bucket[c.bucket]:
            reasons.append(
                f"bucket {c.bucket} at its maximum ({_pct(high)} of budget, {money(maximum)}): "
                f"needs {money(total[c.id])}, {money(maximum - bucket[c.bucket])} left"
            )
        for (role, q), need in fte[c.id].items():
            if need > limits[role, q] - used[role, q]:
                reasons.append(f"capacity {role} {q}: needs {need} FTE, {limits[role, q] - used[role, q]} FTE left")
        out.append(
            {
                "id": c.id,
                "reasons": reasons
                or [f"would fit; left out within the {_pct(p.mip_gap)} optimality gap (ecv {money(value)})"],
            }
        )
    return out, period, bucket


@settings(max_examples=100, deadline=None)
@given(small_problems(), st.sampled_from([D(0), D("0.05"), D("0.3")]))
def test_left_out_reasons_and_spend_are_worked_out_candidate_by_candidate(p: SelectionProblem, gap: D) -> None:
    result = solve(replace(p, mip_gap=gap), frontier=False)
    if result.status == "infeasible":
        return
    left_out, period, bucket = _reference_report(replace(p, mip_gap=gap), set(result.selected))
    assert [o.model_dump() for o in result.left_out] == left_out
    assert {s.period: s.spend for s in result.spend_by_period} == period
    assert {s.bucket: s.spend for s in result.spend_by_bucket} == bucket
