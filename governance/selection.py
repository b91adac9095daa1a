"""Portfolio selection: which candidates to fund, as an integer program solved with HiGHS.

    maximise    sum_i v_i x_i                                x_i in {0, 1}
    subject to  sum_i c_ip x_i <= budget_p                   every budgeted period p
                min_b B <= sum_(i in b) c_i x_i <= max_b B   every bucket b with a bound
                sum_i f_irp x_i <= capacity_rp               every role r and period p with a limit
                x_b <= x_a                                   b depends on a
                x_a + x_b <= 1                               a and b exclude each other
                x_i = 1 / x_i = 0                            forced in / forced out

v is the policy's value measure (score, ECV or NPV), c_ip a candidate's cost in period p, c_i its
cost over the budgeted periods and B the total budget. The model is built once from numpy arrays
and passed to HiGHS whole; values stay Decimal everywhere else (the reported objective is the
Decimal sum of the selected values, the solver only sees floats). Solver options are fixed and
recorded, so a replay can check the objective within the recorded gap.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import chain, compress, repeat
from operator import attrgetter
from typing import Any, Literal

import highspy
import numpy as np
from highspy._core import _Highs  # the public Highs class's core: see _highs

from governance.candidates import check_problem
from governance.collector import collector_paused
from governance.errors import InputRefused
from models.selection import (
    FrontierPoint,
    NextSlice,
    SelectionProblem,
    SelectionResult,
    SelectionStatus,
    SolverInfo,
    SolverOptions,
    ValueMeasure,
)

__all__ = ["GreedyChoice", "greedy", "replay_agrees", "solve", "solver_options"]

_CENT = Decimal("0.01")
_SHARE = Decimal("0.0001")
_GAP = Decimal("0.000001")
_PERIOD = re.compile(r"^FY\d{4}$")
_INF = math.inf
_ID, _COSTS, _BUCKET, _FORCE = attrgetter("id"), attrgetter("costs"), attrgetter("bucket"), attrgetter("force")
_DEPENDS_ON, _EXCLUDES = attrgetter("depends_on"), attrgetter("excludes")
_VERSION = f"{highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}.{highspy.HIGHS_VERSION_PATCH}"


# -- the model: the same arrays for every solve of one problem ----------------------------------


_Floats = np.ndarray[Any, np.dtype[np.float64]]
_Ints = np.ndarray[Any, np.dtype[np.int32]]


@dataclass(frozen=True, slots=True)
class _Data:
    """The problem in index form: Decimal facts per candidate, the constraint structure, and the
    constraint matrix (column-wise), which is the same at every budget level."""

    problem: SelectionProblem
    ids: list[str]
    buckets: list[str]  # per candidate
    values: list[Decimal]
    value_float: list[float]
    periods: list[str]  # budgeted, sorted
    cost: list[dict[str, Decimal]]  # per candidate: budgeted period -> cost
    total: list[Decimal]  # per candidate: cost over the budgeted periods
    total_float: list[float]
    fte: list[dict[tuple[str, str], Decimal]]  # per candidate: (role, period) with a limit -> FTE
    limits: dict[tuple[str, str], Decimal]
    bounded: list[str]  # buckets with a bound, in the problem's order
    depends: list[tuple[int, int]]  # (dependent, prerequisite)
    excludes: list[tuple[int, int]]  # (listed by, listed)
    forced: list[int]
    objective: _Floats
    start: _Ints
    index: _Ints
    coef: _Floats


@dataclass(frozen=True, slots=True)
class _Group:
    """A named constraint: rows (one side of each) or forced columns. Conflicts are made of these."""

    name: str
    rows: tuple[int, ...] = ()
    side: Literal["upper", "lower"] = "upper"
    cols: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class _Model:
    data: _Data
    col_lower: _Floats
    col_upper: _Floats
    row_lower: _Floats
    row_upper: _Floats
    groups: list[_Group]


def _data(problem: SelectionProblem) -> _Data:
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
    depends = [(i, at[ref]) for i in compress(range(n), depends_on) for ref in depends_on[i]]
    excludes_of = list(map(_EXCLUDES, candidates))
    pairs: dict[frozenset[int], tuple[int, int]] = {}
    for i in compress(range(n), excludes_of):
        for ref in excludes_of[i]:
            pairs.setdefault(frozenset((i, at[ref])), (i, at[ref]))
    excludes = list(pairs.values())
    # Rows: budget per period, bucket bounds, capacity, dependencies, exclusions (as in _model).
    # Entries are gathered in flat lists and sorted column-wise by numpy.
    period_row = {p: k for k, p in enumerate(periods)}
    bucket_row = {b: len(periods) + k for k, b in enumerate(bounded)}
    capacity_row = {key: len(periods) + len(bounded) + k for k, key in enumerate(limits)}
    base = len(periods) + len(bounded) + len(limits)
    buckets = list(map(_BUCKET, candidates))
    in_bucket = [i for i in compress(range(n), total) if buckets[i] in bucket_row] if bucket_row else []
    rows = list(map(period_row.__getitem__, chain.from_iterable(cost)))
    rows += map(bucket_row.__getitem__, map(buckets.__getitem__, in_bucket))
    rows += map(capacity_row.__getitem__, chain.from_iterable(fte))
    cols = list(chain.from_iterable(map(repeat, range(n), map(len, cost))))
    cols += in_bucket
    cols += chain.from_iterable(map(repeat, range(n), map(len, fte)))
    coef = list(map(float, chain.from_iterable(map(dict.values, cost))))
    total_float = list(map(float, total))
    coef += map(total_float.__getitem__, in_bucket)
    coef += map(float, chain.from_iterable(map(dict.values, fte)))
    for k, (later, first) in enumerate(depends):
        rows += (base + k, base + k)
        cols += (later, first)
        coef += (1.0, -1.0)
    base += len(depends)
    for k, (one, other) in enumerate(excludes):
        rows += (base + k, base + k)
        cols += (one, other)
        coef += (1.0, 1.0)
    row_index, col_index = np.asarray(rows, dtype=np.int32), np.asarray(cols, dtype=np.int32)
    order = np.lexsort((row_index, col_index))  # column-wise, rows ascending within a column
    values = [v or zero for v in map(attrgetter(problem.value_measure), candidates)]
    value_float = list(map(float, values))
    return _Data(
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
        depends=depends,
        excludes=excludes,
        forced=list(compress(range(n), map(_FORCE, candidates))),
        objective=np.asarray(value_float, dtype=np.float64),
        start=np.searchsorted(col_index[order], np.arange(n + 1)).astype(np.int32),
        index=row_index[order],
        coef=np.asarray(coef, dtype=np.float64)[order],
    )


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _pct(share: Decimal) -> str:
    return format((share * 100).normalize(), "f") + "%"


def _scaled(budget: Mapping[str, Decimal], share: Decimal) -> dict[str, Decimal]:
    return {p: (amount * share).quantize(_CENT, ROUND_HALF_EVEN) for p, amount in budget.items()}


def _model(data: _Data, budget: Mapping[str, Decimal]) -> _Model:
    """The integer program at one budget: row and column bounds, and each constraint's name."""
    problem = data.problem
    total_budget = sum(budget.values(), Decimal(0))
    lower: list[float] = []
    upper: list[float] = []
    groups: list[_Group] = []

    def row(low: float, high: float) -> tuple[int]:
        lower.append(low)
        upper.append(high)
        return (len(lower) - 1,)

    for p in data.periods:
        groups.append(_Group(f"budget {p} ({_money(budget[p])})", row(-_INF, float(budget[p]))))
    for b in data.bounded:
        low, high = problem.buckets[b]
        minimum, maximum = (total_budget * low).quantize(_CENT), (total_budget * high).quantize(_CENT)
        r = row(float(minimum) if low > 0 else -_INF, float(maximum) if high < 1 else _INF)
        if low > 0:
            groups.append(_Group(f"bucket {b} minimum {_pct(low)} of budget ({_money(minimum)})", r, "lower"))
        if high < 1:
            groups.append(_Group(f"bucket {b} maximum {_pct(high)} of budget ({_money(maximum)})", r))
    for (role, p), limit in data.limits.items():
        groups.append(_Group(f"capacity {role} {p} ({limit} FTE)", row(-_INF, float(limit))))
    for later, first in data.depends:
        groups.append(_Group(f"{data.ids[later]} depends on {data.ids[first]}", row(-_INF, 0.0)))
    for one, other in data.excludes:
        groups.append(_Group(f"{data.ids[one]} excludes {data.ids[other]}", row(-_INF, 1.0)))
    n = len(data.ids)
    col_lower, col_upper = np.zeros(n), np.ones(n)
    for i in data.forced:
        c = problem.candidates[i]
        if c.force == "in":
            col_lower[i] = 1.0
        else:
            col_upper[i] = 0.0
        groups.append(_Group(f"force-{c.force} {c.id} ({c.force_reason})", cols=(i,)))
    return _Model(
        data=data,
        col_lower=col_lower,
        col_upper=col_upper,
        row_lower=np.asarray(lower, dtype=np.float64),
        row_upper=np.asarray(upper, dtype=np.float64),
        groups=groups,
    )


# -- solving ------------------------------------------------------------------------------------


def solver_options(problem: SelectionProblem) -> SolverOptions:
    """The fixed options every solve of `problem` uses (recorded in its result)."""
    return SolverOptions(
        mip_rel_gap=problem.mip_gap,
        time_limit_seconds=problem.time_limit_seconds,
        random_seed=0,
        threads=1,
        presolve="choose",
    )


def _highs(options: SolverOptions) -> Any:
    # highspy.Highs() prints its banner on stdout as it is constructed, before any option can be
    # set; its core class takes `output_flag` first and stays silent (stdout carries `--json`).
    h = _Highs()
    for name, value in (
        ("output_flag", False),
        ("random_seed", options.random_seed),
        ("threads", options.threads),
        ("presolve", options.presolve),
        ("mip_rel_gap", float(options.mip_rel_gap)),
        ("time_limit", float(options.time_limit_seconds)),
    ):
        if h.setOptionValue(name, value) != highspy.HighsStatus.kOk:
            raise RuntimeError(f"HiGHS refused option {name}={value!r}")
    return h


def _optimise(h: Any) -> None:
    if h.run() == highspy.HighsStatus.kError and h.getModelStatus() == highspy.HighsModelStatus.kNotset:
        # HiGHS keeps one thread scheduler per process: started with another thread count by
        # another solve in this process, it refuses ours until it is started again.
        _Highs.resetGlobalScheduler(True)
        h.run()


@dataclass(frozen=True, slots=True)
class _Run:
    status: SelectionStatus
    chosen: list[int]  # selected candidate indexes, ascending
    bound: float | None


def _pass(h: Any, model: _Model, cost: Any, row_lower: Any, row_upper: Any, col_lower: Any, col_upper: Any) -> None:
    n = len(model.col_lower)
    status = h.passModel(
        n,
        len(row_lower),
        len(model.data.index),
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMaximize),
        0.0,
        cost,
        col_lower,
        col_upper,
        row_lower,
        row_upper,
        model.data.start,
        model.data.index,
        model.data.coef,
        np.ones(n, dtype=np.int32),
    )
    if status == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS refused the selection model")


def _run(model: _Model, options: SolverOptions, start: Sequence[int] | None = None) -> _Run:
    h = _prepared(model, options, start)
    _optimise(h)
    return _outcome(h)


def _prepared(model: _Model, options: SolverOptions, start: Sequence[int] | None = None) -> Any:
    """A solver holding the model (and a start), ready to run."""
    h = _highs(options)
    _pass(h, model, model.data.objective, model.row_lower, model.row_upper, model.col_lower, model.col_upper)
    if start is not None:
        # A feasible start (a lower level's selection) keeps the frontier monotone and saves time.
        solution = highspy.HighsSolution()
        values = np.zeros(len(model.col_lower))
        values[list(start)] = 1.0
        solution.col_value = values.tolist()
        h.setSolution(solution)
    return h


def _outcome(h: Any) -> _Run:
    status = h.getModelStatus()
    info = h.getInfo()
    has_solution = info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
    if status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        return _Run("infeasible", [], None)
    if status == highspy.HighsModelStatus.kOptimal:
        kind: SelectionStatus = "optimal"
    elif status in (
        highspy.HighsModelStatus.kTimeLimit,
        highspy.HighsModelStatus.kIterationLimit,
        highspy.HighsModelStatus.kSolutionLimit,
        highspy.HighsModelStatus.kInterrupt,
    ):
        kind = "gap" if has_solution else "no-solution"
    else:
        raise RuntimeError(f"HiGHS ended the selection with {h.modelStatusToString(status)}")
    if not has_solution:
        return _Run(kind, [], None)
    x = np.asarray(h.getSolution().col_value)
    return _Run(kind, np.flatnonzero(x > 0.5).tolist(), float(info.mip_dual_bound))


def _feasible(model: _Model, options: SolverOptions, active: Iterable[int]) -> bool | None:
    """Whether the constraint groups `active` (and no others) can hold together; None: unknown."""
    row_lower, row_upper = np.full_like(model.row_lower, -_INF), np.full_like(model.row_upper, _INF)
    col_lower, col_upper = np.zeros_like(model.col_lower), np.ones_like(model.col_upper)
    for g in (model.groups[k] for k in active):
        for r in g.rows:
            if g.side == "upper":
                row_upper[r] = model.row_upper[r]
            else:
                row_lower[r] = model.row_lower[r]
        for c in g.cols:
            col_lower[c], col_upper[c] = model.col_lower[c], model.col_upper[c]
    h = _highs(options)
    _pass(h, model, np.zeros_like(model.data.objective), row_lower, row_upper, col_lower, col_upper)
    _optimise(h)
    run = _outcome(h)
    return None if run.status == "no-solution" else run.status != "infeasible"


def _conflicts(model: _Model, options: SolverOptions) -> list[str]:
    """A set of named constraints that cannot hold together, with none of them superfluous.

    HiGHS's IIS works on the LP relaxation: when that is already infeasible it names a small
    candidate set at once. A deletion filter over named groups then makes the set irreducible for
    the integer program itself (dropping any one group leaves a feasible problem).
    """
    active = list(range(len(model.groups)))
    narrowed = _lp_iis(model, options)
    if narrowed and _feasible(model, options, narrowed) is False:
        active = narrowed
    for k in list(active):
        trial = [a for a in active if a != k]
        if _feasible(model, options, trial) is False:
            active = trial
    return [model.groups[k].name for k in active]


def _lp_iis(model: _Model, options: SolverOptions) -> list[int]:
    h = _highs(options)
    _pass(
        h,
        model,
        np.zeros_like(model.data.objective),
        model.row_lower,
        model.row_upper,
        model.col_lower,
        model.col_upper,
    )
    _optimise(h)
    status, iis = h.getIis()
    if status != highspy.HighsStatus.kOk or not iis.valid_:
        return []
    rows: dict[int, int] = dict(zip(iis.row_index_, iis.row_bound_, strict=True))
    cols = set(iis.col_index_)
    lower, upper = int(highspy.IisBoundStatus.kIisBoundStatusLower), int(highspy.IisBoundStatus.kIisBoundStatusUpper)
    found = []
    for k, g in enumerate(model.groups):
        sides = [int(rows[r]) for r in g.rows if r in rows]
        wanted = upper if g.side == "upper" else lower
        if any(s not in (lower, upper) or s == wanted for s in sides) or any(c in cols for c in g.cols):
            found.append(k)
    return found


# -- the report ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GreedyChoice:
    """The spreadsheet's choice: ranked by value per cost, taken while every period's budget lasts."""

    selected: tuple[str, ...]
    value: Decimal


def _greedy(data: _Data, budget: Mapping[str, Decimal]) -> list[int]:
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
    """
    data = _data(problem)
    taken = _greedy(data, problem.budget)
    return GreedyChoice(tuple(data.ids[i] for i in taken), sum((data.values[i] for i in taken), Decimal(0)))


@dataclass(slots=True)
class _Usage:
    """What a selection spends and uses, in Decimal, by period, bucket and (role, period)."""

    period: dict[str, Decimal]
    bucket: dict[str, Decimal]
    capacity: dict[tuple[str, str], Decimal]

    @classmethod
    def of(cls, data: _Data, chosen: Iterable[int]) -> _Usage:
        # Sums in C (map, filter, compress); Decimal addition of money is exact, so the order of
        # the terms changes no digit. Cost maps hold no zero amounts (see _data).
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


def _value_text(measure: ValueMeasure, value: Decimal) -> str:
    return f"{measure} {value}" if measure == "score" else f"{measure} {_money(value)}"


@dataclass(frozen=True, slots=True)
class _Aside:
    """What the report needs that the solver's selection does not change, worked out while it solves."""

    notes: list[str]
    greedy: list[int]  # the greedy choice
    breaks: list[str]  # the constraints it breaks
    fixed: list[list[str] | None]  # per candidate: the reasons it is left out whatever is selected
    forced_out: set[int]
    by_period: dict[str, tuple[list[Decimal], list[int]]]  # each period's costs ascending, and whose
    cost_text: list[dict[str, str]]  # per candidate and period: its cost as the reasons print it
    fits: list[str]  # per candidate with a positive value: the reason when nothing else keeps it out ("" else)
    by_bucket: dict[str, tuple[list[Decimal], list[int]]]  # per bucket with a maximum: totals ascending
    prerequisites: dict[int, list[int]]
    partners: dict[int, list[int]]  # both sides of each exclusion, ascending


def _ascending(pairs: Iterable[tuple[Decimal, int]]) -> tuple[list[Decimal], list[int]]:
    ordered = sorted(pairs)
    return [a for a, _ in ordered], [i for _, i in ordered]


def _aside(data: _Data, budget: Mapping[str, Decimal]) -> _Aside:
    problem = data.problem
    measure = problem.value_measure
    taken = _greedy(data, budget)
    fixed: list[list[str] | None] = [None] * len(data.ids)
    forced_out = set()
    fits_text = f"would fit; left out within the {_pct(problem.mip_gap)} optimality gap"
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
    capped = {b for b, (_, high) in problem.buckets.items() if high < 1}
    by_bucket = {b: _ascending((data.total[i], i) for i, c in enumerate(data.buckets) if c == b) for b in capped}
    prerequisites: dict[int, list[int]] = {}
    for later, first in data.depends:
        prerequisites.setdefault(later, []).append(first)
    partners: dict[int, list[int]] = {}
    for one, other in data.excludes:
        partners.setdefault(one, []).append(other)
        partners.setdefault(other, []).append(one)
    return _Aside(
        notes=_notes(data),
        greedy=taken,
        breaks=_breaks(data, taken, budget),
        fixed=fixed,
        forced_out=forced_out,
        by_period=by_period,
        cost_text=[{p: _money(amount) for p, amount in per.items()} for per in data.cost],
        fits=fits,
        by_bucket=by_bucket,
        prerequisites=prerequisites,
        partners={i: sorted(js) for i, js in partners.items()},
    )


def _left_out(
    data: _Data, aside: _Aside, chosen: list[int], usage: _Usage, budget: Mapping[str, Decimal]
) -> list[dict[str, Any]]:
    """Each candidate not selected, with what adding it to the selection would break."""
    problem = data.problem
    in_selection = set(chosen)
    total_budget = sum(budget.values(), Decimal(0))
    period_left = {p: budget[p] - usage.period[p] for p in data.periods}
    period_text = {p: _money(left) for p, left in period_left.items()}  # the same for every candidate
    bucket_left: dict[str, tuple[Decimal, str]] = {}
    for b, (_, high) in problem.buckets.items():
        if high < 1:
            maximum = (total_budget * high).quantize(_CENT)
            bucket_left[b] = (maximum - usage.bucket[b], f"{_pct(high)} of budget, {_money(maximum)}")
    # Who costs more than is left, found by bisection in the costs sorted beforehand (exact: Decimal).
    over_budget: set[int] = set()
    for p, (amounts, whose) in aside.by_period.items():
        over_budget.update(whose[bisect_right(amounts, period_left[p]) :])
    over_bucket: set[int] = set()
    for b, (totals, whose) in aside.by_bucket.items():
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
            texts = aside.cost_text[i]
            for p, amount in data.cost[i].items():
                if amount > period_left[p]:
                    reasons.append(f"budget {p}: needs {texts[p]}, {period_text[p]} left")
        if i in over_bucket:
            bucket = candidates[i].bucket
            left, bound = bucket_left[bucket]
            reasons.append(
                f"bucket {bucket} at its maximum ({bound}): needs {_money(data.total[i])}, {_money(left)} left"
            )
        for (role, p), need in data.fte[i].items():
            left = data.limits[role, p] - usage.capacity[role, p]
            if need > left:
                reasons.append(f"capacity {role} {p}: needs {need} FTE, {left} FTE left")
        if not reasons:
            reasons.append(fits[i])
        out.append({"id": ids[i], "reasons": reasons})
    return out


def _breaks(data: _Data, taken: list[int], budget: Mapping[str, Decimal]) -> list[str]:
    """The constraints a choice that ignored them breaks (bucket bounds, capacity, dependencies,
    exclusions, force-in), each named as in a conflict list."""
    problem = data.problem
    usage = _Usage.of(data, taken)
    chosen = set(taken)
    total_budget = sum(budget.values(), Decimal(0))
    broken = []
    for b in data.bounded:
        low, high = problem.buckets[b]
        minimum, maximum = (total_budget * low).quantize(_CENT), (total_budget * high).quantize(_CENT)
        spend = _money(usage.bucket[b])
        if low > 0 and usage.bucket[b] < minimum:
            broken.append(f"bucket {b} minimum {_pct(low)} of budget ({_money(minimum)}): greedy spends {spend}")
        if high < 1 and usage.bucket[b] > maximum:
            broken.append(f"bucket {b} maximum {_pct(high)} of budget ({_money(maximum)}): greedy spends {spend}")
    for key, limit in data.limits.items():
        if usage.capacity[key] > limit:
            broken.append(f"capacity {key[0]} {key[1]} ({limit} FTE): greedy needs {usage.capacity[key]} FTE")
    for later, first in data.depends:
        if later in chosen and first not in chosen:
            name = f"{data.ids[later]} depends on {data.ids[first]}"
            broken.append(f"{name}: greedy takes {data.ids[later]} without it")
    for one, other in data.excludes:
        if one in chosen and other in chosen:
            broken.append(f"{data.ids[one]} excludes {data.ids[other]}: greedy takes both")
    for i in data.forced:
        c = problem.candidates[i]
        if c.force == "in" and i not in chosen:
            broken.append(f"force-in {c.id} ({c.force_reason}): greedy leaves it out")
    return broken


def _value(data: _Data, chosen: Iterable[int]) -> Decimal:
    return sum(map(data.values.__getitem__, chosen), Decimal(0))


def _frontier(data: _Data, options: SolverOptions) -> list[FrontierPoint]:
    """Best value at `frontier_levels` budget levels: 2k/L of the budget for k = 1..L (every
    period scaled alike, bucket bounds staying shares of the scaled budget).

    Each level starts from the level below's selection, which still fits unless a bucket minimum
    grew past it: so within the gap the frontier never falls as the budget grows. The level at
    100 % is solved again for the same reason, and may differ from the selection within the gap.
    """
    problem = data.problem
    levels = problem.frontier_levels
    points = []
    start: list[int] | None = None
    for k in range(1, levels + 1):
        share = (Decimal(2 * k) / levels).quantize(_SHARE)
        budget = _scaled(problem.budget, share)
        run = _run(_model(data, budget), options, start)
        found = run.status in ("optimal", "gap")
        if found:
            start = run.chosen
        points.append(
            FrontierPoint(
                share=share,
                budget=sum(budget.values(), Decimal(0)),
                status=run.status,
                value=_value(data, run.chosen) if found else None,
                count=len(run.chosen),
            )
        )
    return points


def _next_slice(data: _Data, options: SolverOptions, main: _Run) -> NextSlice:
    problem = data.problem
    budget = _scaled(problem.budget, 1 + problem.next_slice)
    run = _run(_model(data, budget), options, main.chosen)
    found = run.status in ("optimal", "gap")
    before, after = set(main.chosen), set(run.chosen)
    return NextSlice(
        share=problem.next_slice,
        extra_budget=sum(budget.values(), Decimal(0)) - sum(problem.budget.values(), Decimal(0)),
        status=run.status,
        value_gain=_value(data, run.chosen) - _value(data, main.chosen) if found else None,
        added=[data.ids[i] for i in sorted(after - before)],
        dropped=[data.ids[i] for i in sorted(before - after)],
    )


def _notes(data: _Data) -> list[str]:
    notes = []
    outside: dict[str, tuple[int, Decimal]] = {}
    for c in data.problem.candidates:
        for k in c.costs:
            if k.period not in data.problem.budget and k.amount:
                count, total = outside.get(k.period, (0, Decimal(0)))
                outside[k.period] = (count + 1, total + k.amount)
    for p, (count, total) in sorted(outside.items()):
        many = "candidate" if count == 1 else "candidates"
        notes.append(f"costs in {p} are not constrained: no budget for it ({count} {many}, {_money(total)})")
    return notes


def solve(problem: SelectionProblem, *, frontier: bool = True) -> SelectionResult:
    """Select the candidates to fund and report the selection, its proof and its alternatives.

    Args:
        problem: the candidates, budget, bucket bounds, capacity and solver settings.
        frontier: also solve the efficient frontier and the next slice of budget (one solve per
            level and one more); without it both are left empty.

    Returns:
        The selection with its objective, best bound and gap, what was left out and why, spend by
        period and bucket, the frontier, the next slice and the greedy comparison; for an
        infeasible problem, the constraints that conflict instead (and no selection).

    Raises:
        InputRefused: the problem is not sound (see `check_problem`).
    """
    problems = check_problem(problem, "(problem)")
    if problems:
        raise InputRefused(problems)
    with collector_paused():  # a problem's index form is many small objects, none in a cycle
        return _solve(problem, frontier)


def _solve(problem: SelectionProblem, frontier: bool) -> SelectionResult:
    data = _data(problem)
    options = solver_options(problem)
    model = _model(data, problem.budget)
    # HiGHS releases the GIL while it solves: the parts of the report that do not depend on its
    # selection (notes, the greedy choice and what it breaks) are worked out in the meantime.
    h = _prepared(model, options)
    with ThreadPoolExecutor(1, thread_name_prefix="selection-report") as pool:
        aside = pool.submit(_aside, data, problem.budget)
        _optimise(h)
        extra = aside.result()
    main = _outcome(h)
    notes, taken = extra.notes, extra.greedy
    result: dict[str, Any] = {
        "status": main.status,
        "value_measure": problem.value_measure,
        "currency": problem.currency,
        "solver": SolverInfo(name="HiGHS", version=_VERSION, options=options),
        "objective": None,
        "bound": None,
        "gap": None,
        "selected": [],
        "left_out": [],
        "spend_by_period": [],
        "spend_by_bucket": [],
        "frontier": [],
        "next_slice": None,
        "greedy": None,
        "conflicts": [],
        "notes": notes,
    }
    if main.status == "no-solution":
        notes.append(f"no feasible selection was found within the time limit of {problem.time_limit_seconds} s")
    if main.status == "infeasible":
        result["conflicts"] = _conflicts(model, options)
    if main.status in ("infeasible", "no-solution"):
        return SelectionResult.model_validate(result)
    objective = _value(data, main.chosen)
    places = _SHARE if problem.value_measure == "score" else _CENT
    bound = max(objective, Decimal(repr(main.bound)).quantize(places) if main.bound is not None else objective)
    if objective:
        gap = ((bound - objective) / abs(objective)).quantize(_GAP).normalize()
    else:
        gap = Decimal(0) if bound == objective else Decimal(1)
    if main.status == "gap":
        notes.append(f"time limit of {problem.time_limit_seconds} s reached: within {_pct(gap)} of the best bound")
    usage = _Usage.of(data, main.chosen)
    greedy_value = _value(data, taken)
    total_budget = sum(problem.budget.values(), Decimal(0))
    result.update(
        objective=objective,
        bound=bound,
        gap=gap,
        selected=[data.ids[i] for i in main.chosen],
        left_out=_left_out(data, extra, main.chosen, usage, problem.budget),
        spend_by_period=[
            {
                "period": p,
                "budget": problem.budget[p],
                "spend": usage.period[p],
                "left": problem.budget[p] - usage.period[p],
            }
            for p in data.periods
        ],
        spend_by_bucket=[
            {
                "bucket": b,
                "spend": usage.bucket[b],
                "min_share": low,
                "max_share": high,
                "minimum": (total_budget * low).quantize(_CENT),
                "maximum": (total_budget * high).quantize(_CENT),
            }
            for b, (low, high) in problem.buckets.items()
        ],
        frontier=_frontier(data, options) if frontier else [],
        next_slice=_next_slice(data, options, main) if frontier else None,
        greedy={
            "value": greedy_value,
            "selected": [data.ids[i] for i in taken],
            "only_in_optimal": [data.ids[i] for i in sorted(set(main.chosen) - set(taken))],
            "only_in_greedy": [data.ids[i] for i in sorted(set(taken) - set(main.chosen))],
            "value_difference": objective - greedy_value,
            "constraints_greedy_breaks": extra.breaks,
        },
    )
    return SelectionResult.model_validate(result)


def replay_agrees(recorded: SelectionResult, replayed: SelectionResult) -> bool:
    """Whether a replayed selection bears out a recorded one.

    Another machine or HiGHS version may break ties differently, so the selected ids may differ;
    the objective may not, beyond what the gaps allow: both runs lie within their gap of the same
    optimum. Without a selection on either side, the statuses must match.
    """
    if recorded.objective is None or replayed.objective is None:
        return recorded.status == replayed.status
    gaps = [g for g in (recorded.gap, replayed.gap) if g is not None] + [recorded.solver.options.mip_rel_gap]
    bounds = [abs(b) for b in (recorded.bound, replayed.bound) if b is not None]
    tolerance = max(gaps) * max(bounds, default=abs(recorded.objective)) + _CENT
    return abs(recorded.objective - replayed.objective) <= tolerance
