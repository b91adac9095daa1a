"""The index form's budget-level facts: bucket bounds in money, and every constraint's name,
bound, row and side (the one place that names them for the model, conflicts and the greedy
comparison)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.candidates import check_problem
from governance.errors import InputRefused
from governance.selection import solve
from governance.selection.problem import BucketBound, Unsound, bucket_bounds, constraints, index_form
from models.selection import SelectionProblem

from .builders import EVERY_KIND, D, cand, problem, small_problems
from .builders import constraints as reference_constraints


def test_bucket_bounds_are_shares_of_the_whole_budget_to_the_cent() -> None:
    """100.10 over two periods: 25 % is 25.025 and 35 % 35.035; a minimum is rounded up to the cent
    and a maximum down, so no spend outside the shares passes (half to even let 25.02 and 35.04 by)."""
    bounds = bucket_bounds(
        {"core": (D(0), D(1)), "growth": (D("0.25"), D("0.35")), "lab": (D("0.1"), D("0.1"))},
        {"FY2027": D("60.10"), "FY2028": D("40.00")},
    )
    assert bounds == {
        "core": BucketBound(D(0), D(1), D(0), D("100.10")),
        "growth": BucketBound(D("0.25"), D("0.35"), D("25.03"), D("35.03")),
        "lab": BucketBound(D("0.1"), D("0.1"), D("10.01"), D("10.01")),
    }
    assert {b: (str(x.minimum), str(x.maximum), x.has_minimum, x.has_maximum) for b, x in bounds.items()} == {
        "core": ("0.00", "100.10", False, False),
        "growth": ("25.03", "35.03", True, True),
        "lab": ("10.01", "10.01", True, True),
    }
    assert bucket_bounds({"core": (D("0.5"), D(1))}, {}) == {"core": BucketBound(D("0.5"), D(1), D(0), D(0))}
    # Shares of spend: the same rounding, of the amount given.
    assert bucket_bounds({"growth": (D("0.25"), D("0.35"))}, {"FY2027": D(1)}, spend=D("100.10")) == {
        "growth": BucketBound(D("0.25"), D("0.35"), D("25.03"), D("35.03"))
    }


def test_constraints_name_every_constraint_in_row_order() -> None:
    """Periods sorted, bounded buckets (minimum, then maximum), capacity, dependencies, exclusions
    (each pair once, as first listed), then forced candidates, which are columns, not rows."""
    data = index_form(EVERY_KIND)
    assert [
        (c.kind, c.name, c.bound, c.row, c.side, c.subject, c.candidates) for c in constraints(data, EVERY_KIND.budget)
    ] == [
        ("budget", "budget FY2027 (60.00)", D(60), 0, "upper", ("FY2027",), ()),
        ("budget", "budget FY2028 (40.00)", D(40), 1, "upper", ("FY2028",), ()),
        ("bucket-maximum", "bucket core maximum 50% of budget (50.00)", D(50), 2, "upper", ("core",), ()),
        ("bucket-minimum", "bucket growth minimum 20% of budget (20.00)", D(20), 3, "lower", ("growth",), ()),
        ("bucket-minimum", "bucket lab minimum 5% of budget (5.00)", D(5), 4, "lower", ("lab",), ()),
        ("bucket-maximum", "bucket lab maximum 12.5% of budget (12.50)", D("12.5"), 4, "upper", ("lab",), ()),
        ("capacity", "capacity engineer FY2027 (3 FTE)", D(3), 5, "upper", ("engineer", "FY2027"), ()),
        ("depends", "C depends on E", D(0), 6, "upper", (), (2, 3)),
        ("excludes", "A excludes B", D(1), 7, "upper", (), (0, 1)),
        ("force-in", "force-in F (signed contract)", D(1), None, "upper", (), (4,)),
        ("force-out", "force-out G (vendor gone)", D(0), None, "upper", (), (5,)),
    ]
    assert data.row_count == 8
    # At another budget level, the amounts in the names follow the budget.
    doubled = constraints(data, {"FY2027": D(1200), "FY2028": D(800)})
    assert [c.name for c in doubled if c.row is not None and c.row < 5] == [
        "budget FY2027 (1,200.00)",
        "budget FY2028 (800.00)",
        "bucket core maximum 50% of budget (1,000.00)",
        "bucket growth minimum 20% of budget (400.00)",
        "bucket lab minimum 5% of budget (100.00)",
        "bucket lab maximum 12.5% of budget (250.00)",
    ]


@settings(max_examples=100, deadline=None)
@given(small_problems(shares_of=st.sampled_from(["budget", "spend"])))
def test_constraint_names_agree_with_the_reference(p: SelectionProblem) -> None:
    """The brute-force reference's names (written out in the tests) are the engine's, in order."""
    assert [c.name for c in constraints(index_form(p), p.budget)] == [name for name, _ in reference_constraints(p)]


# -- the index form's own cross-checks ----------------------------------------------------------


@st.composite
def loose_problems(draw: st.DrawFn) -> SelectionProblem:
    """Up to four candidates whose ids may repeat, whose references may name no candidate, whose
    buckets may have no bounds and whose values may be missing: each sound or not by chance."""
    names = ["A", "B", "C", "Z"]
    count = draw(st.integers(1, 4))
    ids = draw(st.lists(st.sampled_from(names[:3]), min_size=count, max_size=count))
    candidates = []
    for cid in ids:
        others = [n for n in names if n != cid]
        refs = draw(st.lists(st.sampled_from(others), max_size=2, unique=True))
        split = draw(st.integers(0, len(refs)))
        candidates.append(
            cand(
                cid,
                draw(st.sampled_from([5, None])),  # type: ignore[arg-type]  # None: no value
                3,
                bucket=draw(st.sampled_from(["core", "core", "lab"])),
                depends_on=refs[:split],
                excludes=refs[split:],
            )
        )
    return problem(*candidates)


@settings(max_examples=200, deadline=None)
@given(loose_problems())
def test_the_index_form_refuses_what_the_cross_checks_refuse(p: SelectionProblem) -> None:
    """`solve` leaves the candidates' cross-checks to `index_form`: it must refuse exactly the
    problems `check_problem` names (and `solve` then refuses with those names)."""
    named = check_problem(p, "(problem)")
    try:
        index_form(p)
    except Unsound:
        assert named
        with pytest.raises(InputRefused) as refused:
            solve(p, frontier=False)
        assert refused.value.problems == tuple(named)
    else:
        assert named == []
