"""A selection problem in index form, its bucket bounds in money, and its named constraints.

Candidates become indexes 0..n-1 (in the problem's order); the constraint matrix is built once
per problem, column-wise, and is the same at every budget level. A budget level changes only the
bounds: `bucket_bounds` turns bucket shares into amounts, and `constraints` names every
constraint with its bound, its row and its side. The model (`model.py`), the conflict list and
the greedy comparison (`report.py`) all take their names from there.

Rows, in this order: budget per period, bucket bounds, capacity per (role, period), dependencies,
exclusions. Forced candidates are column bounds. A bounded bucket has one row (both sides) when its
shares are of the budget: min B <= sum_b c_i x_i <= max B. When they are of the selection's spend it
has two, each the same at every budget level (so a lower level's selection always fits a higher one):
    sum_i ([i in b] - min) c_i x_i >= 0        sum_i ([i in b] - max) c_i x_i <= 0
(c_i a candidate's cost over the budgeted periods, as in the budget form).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from itertools import chain, compress, repeat
from operator import attrgetter
from typing import Any, Literal

import numpy as np

from governance.candidates import candidates_fit
from models.selection import ChanceConstraint, SelectionCandidate, SelectionProblem, Uncertainty

__all__ = [
    "CENT",
    "GAP",
    "SHARE",
    "BucketBound",
    "Constraint",
    "ConstraintKind",
    "Floats",
    "IndexForm",
    "Ints",
    "Unsound",
    "bucket_bounds",
    "constraints",
    "index_form",
    "money",
    "pct",
    "problem_from_snapshot",
    "scaled_budget",
    "value_of",
]

CENT = Decimal("0.01")
SHARE = Decimal("0.0001")
GAP = Decimal("0.000001")
_ID, _COSTS, _BUCKET, _FORCE = attrgetter("id"), attrgetter("costs"), attrgetter("bucket"), attrgetter("force")
_DEPENDS_ON, _EXCLUDES = attrgetter("depends_on"), attrgetter("excludes")

Floats = np.ndarray[Any, np.dtype[np.float64]]
Ints = np.ndarray[Any, np.dtype[np.int32]]


def money(value: Decimal) -> str:
    return f"{value:,.2f}"


def pct(share: Decimal) -> str:
    return format((share * 100).normalize(), "f") + "%"


# -- the index form -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndexForm:
    """The problem in index form: Decimal facts per candidate, the constraint structure, the row
    layout, and the constraint matrix (column-wise), which is the same at every budget level."""

    problem: SelectionProblem
    ids: list[str]
    buckets: list[str]  # per candidate
    values: list[Decimal]
    value_float: list[float]
    periods: list[str]  # budgeted, sorted
    cost: list[dict[str, Decimal]]  # per candidate: budgeted period -> cost (no zero amounts)
    total: list[Decimal]  # per candidate: cost over the budgeted periods
    total_float: list[float]
    fte: list[dict[tuple[str, str], Decimal]]  # per candidate: (role, period) with a limit -> FTE
    limits: dict[tuple[str, str], Decimal]
    bounded: list[str]  # buckets with a bound, in the problem's order
    of_spend: bool  # bucket shares are of the selection's spend, not of the budget
    depends: list[tuple[int, int]]  # (dependent, prerequisite)
    excludes: list[tuple[int, int]]  # (listed by, listed)
    forced: list[int]
    period_row: dict[str, int]
    bucket_row: dict[str, int]  # bounded buckets only: the row of their minimum
    bucket_max_row: dict[str, int]  # the row of their maximum (the same row when shares are of the budget)
    capacity_row: dict[tuple[str, str], int]
    depends_row: int  # the first dependency's row; the others follow
    excludes_row: int  # the first exclusion's row; the others follow
    row_count: int
    objective: Floats
    start: Ints
    index: Ints
    coef: Floats


class Unsound(ValueError):
    """The candidates do not fit together: a duplicate id, a reference to no candidate, a bucket
    without bounds or a missing value. `check_problem` names each one."""


def index_form(problem: SelectionProblem) -> IndexForm:
    """`problem` in index form (see `IndexForm`).

    Raises:
        Unsound: the candidates do not fit together (`candidates_fit`, which `check_problem`
            asks too, on the attributes the index form reads anyway).
    """
    # Per-element work is done by C-level iteration (map, chain, compress) where it can be: this
    # runs before every solve, and at 5,000 candidates it is most of what solve adds to HiGHS.
    candidates = problem.candidates
    n = len(candidates)
    budget = problem.budget
    zero = Decimal(0)
    ids = list(map(_ID, candidates))
    at = dict(zip(ids, range(n), strict=True))
    periods = sorted(budget)
    limits = {(role, p): limit for role, per in problem.capacity.items() for p, limit in per.items()}
    cost = [{k.period: k.amount for k in ks if k.amount and k.period in budget} for ks in map(_COSTS, candidates)]
    total = [sum(per.values(), zero) for per in cost]
    no_limits: dict[tuple[str, str], Decimal] = {}  # shared, never written: most problems have no capacity
    fte = (
        [
            {(r.role, r.period): r.fte for r in c.resources if r.fte and (r.role, r.period) in limits} or no_limits
            for c in candidates
        ]
        if limits
        else [no_limits] * n
    )
    bounded = [b for b, (low, high) in problem.buckets.items() if low > 0 or high < 1]
    depends_on = list(map(_DEPENDS_ON, candidates))
    excludes_of = list(map(_EXCLUDES, candidates))
    buckets = list(map(_BUCKET, candidates))
    measured = list(map(attrgetter(problem.value_measure), candidates))
    if not candidates_fit(n, at, problem.buckets, buckets, measured, depends_on, excludes_of):
        raise Unsound("the candidates' ids, references, buckets or values do not fit together")
    depends = [(i, at[ref]) for i in compress(range(n), depends_on) for ref in depends_on[i]]
    pairs: dict[frozenset[int], tuple[int, int]] = {}
    for i in compress(range(n), excludes_of):
        for ref in excludes_of[i]:
            pairs.setdefault(frozenset((i, at[ref])), (i, at[ref]))
    excludes = list(pairs.values())
    # The row layout (see the module's docstring); entries are gathered in flat lists and sorted
    # column-wise by numpy.
    of_spend = problem.bucket_shares_of == "spend"
    period_row = {p: k for k, p in enumerate(periods)}
    per_bucket = 2 if of_spend else 1
    bucket_row = {b: len(periods) + per_bucket * k for k, b in enumerate(bounded)}
    bucket_max_row = {b: row + per_bucket - 1 for b, row in bucket_row.items()}
    bucket_rows = per_bucket * len(bounded)
    capacity_row = {key: len(periods) + bucket_rows + k for k, key in enumerate(limits)}
    depends_row = len(periods) + bucket_rows + len(limits)
    excludes_row = depends_row + len(depends)
    total_float = list(map(float, total))
    rows = list(map(period_row.__getitem__, chain.from_iterable(cost)))
    cols = list(chain.from_iterable(map(repeat, range(n), map(len, cost))))
    coef = list(map(float, chain.from_iterable(map(dict.values, cost))))
    if of_spend:
        costly = list(compress(range(n), total))
        for b in bounded:
            low, high = problem.buckets[b]
            for row, share in ((bucket_row[b], low), (bucket_max_row[b], high)):
                for i in costly:
                    # Decimal first: the coefficient is rounded to a float once.
                    factor = ((1 if buckets[i] == b else 0) - share) * total[i]
                    if factor:
                        rows.append(row)
                        cols.append(i)
                        coef.append(float(factor))
    else:
        in_bucket = [i for i in compress(range(n), total) if buckets[i] in bucket_row] if bucket_row else []
        rows += map(bucket_row.__getitem__, map(buckets.__getitem__, in_bucket))
        cols += in_bucket
        coef += map(total_float.__getitem__, in_bucket)
    if limits:
        rows += map(capacity_row.__getitem__, chain.from_iterable(fte))
        cols += chain.from_iterable(map(repeat, range(n), map(len, fte)))
        coef += map(float, chain.from_iterable(map(dict.values, fte)))
    for k, (later, first) in enumerate(depends):
        rows += (depends_row + k, depends_row + k)
        cols += (later, first)
        coef += (1.0, -1.0)
    for k, (one, other) in enumerate(excludes):
        rows += (excludes_row + k, excludes_row + k)
        cols += (one, other)
        coef += (1.0, 1.0)
    row_index, col_index = np.asarray(rows, dtype=np.int32), np.asarray(cols, dtype=np.int32)
    order = np.lexsort((row_index, col_index))  # column-wise, rows ascending within a column
    values = measured if all(measured) else [v or zero for v in measured]  # zeros as Decimal(0)
    value_float = list(map(float, values))
    return IndexForm(
        problem=problem,
        ids=ids,
        buckets=buckets,
        values=values,
        value_float=value_float,
        periods=periods,
        cost=cost,
        total=total,
        total_float=total_float,
        fte=fte,
        limits=limits,
        bounded=bounded,
        of_spend=of_spend,
        depends=depends,
        excludes=excludes,
        forced=list(compress(range(n), map(_FORCE, candidates))),
        period_row=period_row,
        bucket_row=bucket_row,
        bucket_max_row=bucket_max_row,
        capacity_row=capacity_row,
        depends_row=depends_row,
        excludes_row=excludes_row,
        row_count=excludes_row + len(excludes),
        objective=np.asarray(value_float, dtype=np.float64),
        start=np.searchsorted(col_index[order], np.arange(n + 1)).astype(np.int32),
        index=row_index[order],
        coef=np.asarray(coef, dtype=np.float64)[order],
    )


def value_of(data: IndexForm, chosen: Iterable[int]) -> Decimal:
    """The Decimal sum of the chosen candidates' values."""
    return sum(map(data.values.__getitem__, chosen), Decimal(0))


# -- a budget level: bucket bounds in money, named constraints ---------------------------------


def scaled_budget(budget: Mapping[str, Decimal], share: Decimal) -> dict[str, Decimal]:
    """Every period's budget times `share`, to the cent."""
    return {p: (amount * share).quantize(CENT, ROUND_HALF_EVEN) for p, amount in budget.items()}


@dataclass(frozen=True, slots=True)
class BucketBound:
    """A bucket's bounds as shares (of the total budget or of the selection's spend) and as amounts:
    the minimum rounded up to the cent, the maximum down, so no spend outside the shares passes."""

    min_share: Decimal
    max_share: Decimal
    minimum: Decimal
    maximum: Decimal

    @property
    def has_minimum(self) -> bool:
        return self.min_share > 0

    @property
    def has_maximum(self) -> bool:
        return self.max_share < 1


def bucket_bounds(
    buckets: Mapping[str, tuple[Decimal, Decimal]], budget: Mapping[str, Decimal], *, spend: Decimal | None = None
) -> dict[str, BucketBound]:
    """Each bucket's minimum and maximum amounts: its shares of the total of `budget` (every
    period), or of `spend` when given (shares of the selection's spend), the minimum rounded up to
    the cent and the maximum down. Every bucket is listed, bounded or not, in the order of `buckets`."""
    total = sum(budget.values(), Decimal(0)) if spend is None else spend
    return {
        b: BucketBound(
            low, high, (total * low).quantize(CENT, ROUND_CEILING), (total * high).quantize(CENT, ROUND_FLOOR)
        )
        for b, (low, high) in buckets.items()
    }


ConstraintKind = Literal[
    "budget", "bucket-minimum", "bucket-maximum", "capacity", "depends", "excludes", "force-in", "force-out"
]


@dataclass(frozen=True, slots=True)
class Constraint:
    """One named constraint at one budget: one side of a row, or a forced candidate's column.

    `bound` is the row's bound on that side (money, FTE, 0 for a dependency, 1 for an exclusion),
    or the forced column's value; `subject` what it is about: (period,), (bucket,) or (role,
    period); `candidates` (dependent, prerequisite), (listed by, listed) or (forced,).
    """

    kind: ConstraintKind
    name: str
    bound: Decimal
    row: int | None = None  # None: a forced column
    subject: tuple[str, ...] = ()
    candidates: tuple[int, ...] = ()

    @property
    def side(self) -> Literal["upper", "lower"]:
        return "lower" if self.kind == "bucket-minimum" else "upper"


def constraints(data: IndexForm, budget: Mapping[str, Decimal]) -> list[Constraint]:
    """Every constraint of the program at `budget`, named as results print them, in row order
    (a bucket's minimum before its maximum), forced candidates last."""
    ids, problem = data.ids, data.problem
    found = [
        Constraint("budget", f"budget {p} ({money(budget[p])})", budget[p], row, (p,))
        for p, row in data.period_row.items()
    ]
    bounds = bucket_bounds(problem.buckets, budget)
    zero = Decimal(0)
    for b in data.bounded:
        bound = bounds[b]
        if data.of_spend:  # rows of shares: both bounds are 0 (see the module's docstring)
            low = (f"minimum {pct(bound.min_share)} of spend", zero)
            high = (f"maximum {pct(bound.max_share)} of spend", zero)
        else:
            low = (f"minimum {pct(bound.min_share)} of budget ({money(bound.minimum)})", bound.minimum)
            high = (f"maximum {pct(bound.max_share)} of budget ({money(bound.maximum)})", bound.maximum)
        if bound.has_minimum:
            found.append(Constraint("bucket-minimum", f"bucket {b} {low[0]}", low[1], data.bucket_row[b], (b,)))
        if bound.has_maximum:
            found.append(Constraint("bucket-maximum", f"bucket {b} {high[0]}", high[1], data.bucket_max_row[b], (b,)))
    for (role, p), limit in data.limits.items():
        found.append(
            Constraint("capacity", f"capacity {role} {p} ({limit} FTE)", limit, data.capacity_row[role, p], (role, p))
        )
    one = Decimal(1)
    for k, (later, first) in enumerate(data.depends):
        name = f"{ids[later]} depends on {ids[first]}"
        found.append(Constraint("depends", name, zero, data.depends_row + k, candidates=(later, first)))
    for k, (listed_by, listed) in enumerate(data.excludes):
        name = f"{ids[listed_by]} excludes {ids[listed]}"
        found.append(Constraint("excludes", name, one, data.excludes_row + k, candidates=(listed_by, listed)))
    for i in data.forced:
        c = problem.candidates[i]
        kind: ConstraintKind = "force-in" if c.force == "in" else "force-out"
        found.append(
            Constraint(kind, f"{kind} {c.id} ({c.force_reason})", one if c.force == "in" else zero, candidates=(i,))
        )
    return found


def problem_from_snapshot(data: Mapping[str, Any]) -> SelectionProblem:
    """The selection problem a `selected` record was solved on, from its inputs snapshot (replay
    re-solves it; the demo and `show` print the recorded selection beside it)."""
    return SelectionProblem(
        candidates=tuple(SelectionCandidate.model_validate(c) for c in data["candidates"]),
        budget={k: Decimal(v) for k, v in data["budget"].items()},
        buckets={k: (Decimal(lo), Decimal(hi)) for k, (lo, hi) in data["buckets"].items()},
        capacity={r: {p: Decimal(v) for p, v in lim.items()} for r, lim in data["capacity"].items()},
        value_measure=data["value_measure"],
        frontier_levels=data["frontier_levels"],
        next_slice=Decimal(data["next_slice"]),
        mip_gap=Decimal(data["mip_gap"]),
        time_limit_seconds=data["time_limit_seconds"],
        currency=data["currency"],
        bucket_shares_of=data.get("bucket_shares_of", "budget"),  # snapshots before it: "budget"
        # Without a chance constraint the snapshot has neither (nor the candidates' estimates).
        chance=None if "chance" not in data else ChanceConstraint.model_validate(data["chance"]),
        uncertainty=Uncertainty()
        if "uncertainty" not in data
        else Uncertainty(
            data["uncertainty"]["distribution"],
            Decimal(data["uncertainty"]["correlation_within_bucket"]),
            Decimal(data["uncertainty"]["correlation_across"]),
        ),
    )
