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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any, Literal, get_args

import highspy
import numpy as np
from highspy._core import _Highs  # the public Highs class's core: see _highs
from pydantic import ValidationError

from governance.errors import InputRefused, Problem
from governance.intake import problems_from_validation
from governance.sources import read_records
from models.selection import (
    BucketBounds,
    BucketSpend,
    CandidatesFile,
    FrontierPoint,
    GreedyComparison,
    LeftOut,
    NextSlice,
    PeriodSpend,
    PortfolioRules,
    SelectionCandidate,
    SelectionProblem,
    SelectionResult,
    SelectionStatus,
    SolverInfo,
    SolverOptions,
    ValueMeasure,
)

__all__ = [
    "GreedyChoice",
    "build_problem",
    "check_problem",
    "greedy",
    "problem_from_file",
    "solve",
    "solver_options",
    "with_overrides",
]

_CENT = Decimal("0.01")
_SHARE = Decimal("0.0001")
_GAP = Decimal("0.000001")
_PERIOD = re.compile(r"^FY\d{4}$")
_INF = math.inf
_VERSION = f"{highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}.{highspy.HIGHS_VERSION_PATCH}"


# -- the problem, from a file or from code ------------------------------------------------------


def build_problem(
    rules: PortfolioRules,
    buckets: Sequence[BucketBounds],
    candidates: Sequence[SelectionCandidate],
    *,
    currency: str | None = None,
    source: str = "",
) -> SelectionProblem:
    """A selection problem from portfolio rules, bucket bounds and candidates.

    Raises:
        InputRefused: unknown references, duplicate ids, a bucket without bounds, a candidate
            without the chosen value measure (each a `Problem` naming `source`).
    """
    problem = SelectionProblem(
        candidates=tuple(candidates),
        budget=dict(rules.budget),
        buckets={b.bucket: (b.min_share, b.max_share) for b in buckets},
        capacity={role: dict(limits) for role, limits in rules.capacity.items()},
        value_measure=rules.value_measure,
        frontier_levels=rules.frontier_levels,
        next_slice=rules.next_slice,
        mip_gap=rules.mip_gap,
        time_limit_seconds=rules.time_limit_seconds,
        currency=currency,
    )
    problems = check_problem(problem, source)
    bucket_ids = [b.bucket for b in buckets]
    for name in sorted({b for b in bucket_ids if bucket_ids.count(b) > 1}):
        problems.append(Problem(source, "buckets", "bucket", "duplicate-in-batch", f"bucket {name} is listed twice"))
    if problems:
        raise InputRefused(problems)
    return problem


def check_problem(problem: SelectionProblem, source: str = "") -> list[Problem]:
    """Everything that makes a problem unsolvable as given, each a `Problem` (empty when sound)."""
    problems: list[Problem] = []
    if not problem.candidates:
        problems.append(Problem(source, "", "candidates", "missing", "no candidates to select from"))
    if not problem.budget:
        problems.append(Problem(source, "portfolio", "budget", "missing", "the budget names no period"))
    if sum((low for low, _ in problem.buckets.values()), Decimal(0)) > 1:
        problems.append(
            Problem(source, "buckets", "min_share", "inconsistent", "bucket min_share values add up to more than 1")
        )
    ids = [c.id for c in problem.candidates]
    known = set(ids)
    first: dict[str, int] = {}
    for i, c in enumerate(problem.candidates):
        label = f"candidates[{i}] {c.id}"
        if c.id in first:
            problems.append(
                Problem(source, label, "id", "duplicate-in-batch", f"id {c.id} is also candidates[{first[c.id]}]")
            )
        first.setdefault(c.id, i)
        problems.extend(_candidate_problems(c, label, source, problem.buckets, known, problem.value_measure))
    return problems


def _candidate_problems(
    c: SelectionCandidate,
    label: str,
    source: str,
    buckets: Mapping[str, Any],
    known: set[str],
    measure: ValueMeasure,
) -> list[Problem]:
    problems = []
    if c.bucket not in buckets:
        problems.append(
            Problem(
                source,
                label,
                "bucket",
                "unknown-bucket",
                f"bucket {c.bucket!r} has no bounds; buckets listed: {', '.join(sorted(buckets)) or 'none'}",
            )
        )
    for name in ("depends_on", "excludes"):
        for i, ref in enumerate(getattr(c, name)):
            if ref not in known:
                problems.append(Problem(source, label, f"{name}[{i}]", "unknown-reference", f"no candidate {ref}"))
    if c.value(measure) is None:
        problems.append(
            Problem(source, label, measure, "missing", f"no {measure} given; the value measure is {measure}")
        )
    return problems


def problem_from_file(path: str | Path) -> SelectionProblem:
    """Read a candidates file (YAML or JSON, the format of `governance schema candidates`).

    Raises:
        InputRefused: with every problem, by file, record (`candidates[3] P-2026-0004`) and field.
    """
    path = Path(path)
    name = str(path)
    if path.suffix.lower() not in (".yaml", ".yml", ".json"):
        raise InputRefused([Problem(name, "", "", "unsupported-format", "a candidates file is .yaml, .yml or .json")])
    records, problems = read_records(path)
    if problems:
        raise InputRefused(problems)
    if len(records) != 1 or not isinstance(records[0].data, dict) or set(records[0].data) == {"proposals"}:
        raise InputRefused(
            [Problem(name, "", "", "not-a-record", "expected a mapping with currency, portfolio, buckets, candidates")]
        )
    data = records[0].data
    try:
        parsed = CandidatesFile.model_validate(data)
    except ValidationError as exc:
        problems = [_relabel(p, data) for p in problems_from_validation(exc, name, "")]
        raise InputRefused(problems + _partial_problems(data, name)) from None
    return build_problem(parsed.portfolio, parsed.buckets, parsed.candidates, currency=parsed.currency, source=name)


_SECTION = re.compile(r"^(candidates|buckets)\[(\d+)\](?:\.(.*))?$")


def _relabel(problem: Problem, data: dict[str, Any]) -> Problem:
    """`candidates[3].costs[0].amount` -> record `candidates[3] P-2026-0004`, field `costs[0].amount`."""
    match = _SECTION.match(problem.field)
    if match:
        section, index, rest = match.group(1), int(match.group(2)), match.group(3)
        items = data.get(section)
        item = items[index] if isinstance(items, list) and index < len(items) else None
        key = item.get("id" if section == "candidates" else "bucket") if isinstance(item, dict) else None
        record = f"{section}[{index}]" + (f" {key}" if isinstance(key, str) else "")
        return replace(problem, record=record, field=rest or "(record)")
    head, _, rest = problem.field.partition(".")
    if head == "portfolio":
        return replace(problem, record="portfolio", field=rest or "(record)")
    return problem


def _partial_problems(data: dict[str, Any], source: str) -> list[Problem]:
    """Cross-reference checks on the parts of an invalid file that are valid on their own."""
    raw_candidates = data.get("candidates")
    raw_buckets = data.get("buckets")
    if not isinstance(raw_candidates, list) or not isinstance(raw_buckets, list):
        return []
    buckets: dict[str, Any] = {}
    for item in raw_buckets:
        if isinstance(item, dict) and isinstance(item.get("bucket"), str):
            buckets[item["bucket"]] = True
    known = {c["id"] for c in raw_candidates if isinstance(c, dict) and isinstance(c.get("id"), str)}
    portfolio = data.get("portfolio")
    raw_measure = portfolio.get("value_measure", "ecv") if isinstance(portfolio, dict) else "ecv"
    measure: ValueMeasure = "ecv"
    for known_measure in get_args(ValueMeasure):
        if raw_measure == known_measure:
            measure = known_measure
    problems: list[Problem] = []
    for i, raw in enumerate(raw_candidates):
        try:
            candidate = SelectionCandidate.model_validate(raw)
        except ValidationError:
            continue
        problems.extend(
            _candidate_problems(candidate, f"candidates[{i}] {candidate.id}", source, buckets, known, measure)
        )
    return problems


def with_overrides(
    problem: SelectionProblem,
    *,
    budget: Mapping[str, Decimal] | None = None,
    buckets: Mapping[str, tuple[Decimal, Decimal]] | None = None,
    value_measure: str | None = None,
) -> SelectionProblem:
    """The problem with command-line overrides: budget periods and bucket bounds replace the ones
    they name (other periods and buckets keep theirs); `value_measure` replaces the measure.

    Raises:
        InputRefused: an override that is not valid, each a `Problem` of file `command line`.
    """
    problems: list[Problem] = []
    new_budget = dict(problem.budget)
    for period, amount in (budget or {}).items():
        problem_ = _amount_problem("--budget", period, amount)
        if problem_ is not None:
            problems.append(problem_)
        new_budget[period] = amount
    new_buckets = dict(problem.buckets)
    for bucket, (low, high) in (buckets or {}).items():
        if bucket not in problem.buckets:
            known = ", ".join(sorted(problem.buckets))
            problems.append(
                Problem("command line", "--bucket", bucket, "unknown-bucket", f"no bucket {bucket}: {known}")
            )
        elif not (low.is_finite() and high.is_finite() and 0 <= low <= 1 and 0 <= high <= 1):
            problems.append(
                Problem("command line", "--bucket", bucket, "out-of-range", "shares must be between 0 and 1")
            )
        elif low > high:
            problems.append(
                Problem("command line", "--bucket", bucket, "inconsistent", f"minimum {low} exceeds maximum {high}")
            )
        new_buckets[bucket] = (low, high)
    measure = problem.value_measure
    if value_measure is not None:
        if value_measure not in get_args(ValueMeasure):
            problems.append(
                Problem("command line", "--value-measure", value_measure, "invalid-value", "choose score, ecv or npv")
            )
        else:
            measure = value_measure  # type: ignore[assignment] # checked against the Literal just above
            missing = [c.id for c in problem.candidates if c.value(measure) is None]
            if missing:
                shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
                problems.append(
                    Problem("command line", "--value-measure", value_measure, "missing", f"no {measure} for {shown}")
                )
    if problems:
        raise InputRefused(problems)
    return replace(problem, budget=new_budget, buckets=new_buckets, value_measure=measure)


def _amount_problem(flag: str, period: str, amount: Decimal) -> Problem | None:
    if not _PERIOD.match(period):
        return Problem("command line", flag, period, "invalid-value", "a period is written FY2027")
    if not amount.is_finite():
        return Problem("command line", flag, period, "not-finite", "amount must be a finite number")
    if amount < 0:
        return Problem("command line", flag, period, "negative-amount", "amount must not be negative")
    if amount != amount.quantize(_CENT):
        return Problem("command line", flag, period, "invalid-value", "amount has more than 2 decimal places")
    return None


# -- the model: the same arrays for every solve of one problem ----------------------------------


@dataclass(frozen=True, slots=True)
class _Data:
    """The problem in index form: Decimal facts per candidate, and the constraint structure."""

    problem: SelectionProblem
    ids: list[str]
    values: list[Decimal]
    periods: list[str]  # budgeted, sorted
    cost: list[dict[str, Decimal]]  # per candidate: budgeted period -> cost
    total: list[Decimal]  # per candidate: cost over the budgeted periods
    fte: list[dict[tuple[str, str], Decimal]]  # per candidate: (role, period) with a limit -> FTE
    limits: dict[tuple[str, str], Decimal]
    bounded: list[str]  # buckets with a bound, in the problem's order
    depends: list[tuple[int, int]]  # (dependent, prerequisite)
    excludes: list[tuple[int, int]]  # (listed by, listed)
    forced: list[int]


@dataclass(frozen=True, slots=True)
class _Group:
    """A named constraint: rows (one side of each) or forced columns. Conflicts are made of these."""

    name: str
    rows: tuple[int, ...] = ()
    side: Literal["upper", "lower"] = "upper"
    cols: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class _Model:
    cost: np.ndarray[Any, np.dtype[np.float64]]
    col_lower: np.ndarray[Any, np.dtype[np.float64]]
    col_upper: np.ndarray[Any, np.dtype[np.float64]]
    row_lower: np.ndarray[Any, np.dtype[np.float64]]
    row_upper: np.ndarray[Any, np.dtype[np.float64]]
    start: np.ndarray[Any, np.dtype[np.int32]]
    index: np.ndarray[Any, np.dtype[np.int32]]
    value: np.ndarray[Any, np.dtype[np.float64]]
    groups: list[_Group]


def _data(problem: SelectionProblem) -> _Data:
    ids = [c.id for c in problem.candidates]
    at = {cid: i for i, cid in enumerate(ids)}
    budgeted = set(problem.budget)
    limits = {(role, p): limit for role, per in problem.capacity.items() for p, limit in per.items()}
    cost = [{k.period: k.amount for k in c.costs if k.period in budgeted and k.amount} for c in problem.candidates]
    pairs: dict[frozenset[int], tuple[int, int]] = {}
    for i, c in enumerate(problem.candidates):
        for ref in c.excludes:
            pairs.setdefault(frozenset((i, at[ref])), (i, at[ref]))
    return _Data(
        problem=problem,
        ids=ids,
        values=[c.value(problem.value_measure) or Decimal(0) for c in problem.candidates],
        periods=sorted(budgeted),
        cost=cost,
        total=[sum(per.values(), Decimal(0)) for per in cost],
        fte=[
            {(r.role, r.period): r.fte for r in c.resources if r.fte and (r.role, r.period) in limits}
            for c in problem.candidates
        ],
        limits=limits,
        bounded=[b for b, (low, high) in problem.buckets.items() if low > 0 or high < 1],
        depends=[(i, at[ref]) for i, c in enumerate(problem.candidates) for ref in c.depends_on],
        excludes=list(pairs.values()),
        forced=[i for i, c in enumerate(problem.candidates) if c.force is not None],
    )


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _pct(share: Decimal) -> str:
    return format((share * 100).normalize(), "f") + "%"


def _scaled(budget: Mapping[str, Decimal], share: Decimal) -> dict[str, Decimal]:
    return {p: (amount * share).quantize(_CENT, ROUND_HALF_EVEN) for p, amount in budget.items()}


def _model(data: _Data, budget: Mapping[str, Decimal]) -> _Model:
    """The integer program at one budget (every other part of it is the problem's own)."""
    problem = data.problem
    total_budget = sum(budget.values(), Decimal(0))
    rows: list[int] = []
    cols: list[int] = []
    coef: list[float] = []
    lower: list[float] = []
    upper: list[float] = []
    groups: list[_Group] = []

    def row(low: float, high: float) -> int:
        lower.append(low)
        upper.append(high)
        return len(lower) - 1

    for p in data.periods:
        r = row(-_INF, float(budget[p]))
        groups.append(_Group(f"budget {p} ({_money(budget[p])})", (r,)))
        for i, per in enumerate(data.cost):
            if p in per:
                rows.append(r)
                cols.append(i)
                coef.append(float(per[p]))
    bucket_row: dict[str, int] = {}
    for b in data.bounded:
        low, high = problem.buckets[b]
        minimum, maximum = (total_budget * low).quantize(_CENT), (total_budget * high).quantize(_CENT)
        r = bucket_row[b] = row(float(minimum) if low > 0 else -_INF, float(maximum) if high < 1 else _INF)
        if low > 0:
            groups.append(_Group(f"bucket {b} minimum {_pct(low)} of budget ({_money(minimum)})", (r,), "lower"))
        if high < 1:
            groups.append(_Group(f"bucket {b} maximum {_pct(high)} of budget ({_money(maximum)})", (r,)))
    for i, c in enumerate(problem.candidates):
        r_ = bucket_row.get(c.bucket)
        if r_ is not None and data.total[i]:
            rows.append(r_)
            cols.append(i)
            coef.append(float(data.total[i]))
    for (role, p), limit in data.limits.items():
        r = row(-_INF, float(limit))
        groups.append(_Group(f"capacity {role} {p} ({limit} FTE)", (r,)))
        for i, need in enumerate(data.fte):
            if (role, p) in need:
                rows.append(r)
                cols.append(i)
                coef.append(float(need[role, p]))
    for later, first in data.depends:
        r = row(-_INF, 0.0)
        groups.append(_Group(f"{data.ids[later]} depends on {data.ids[first]}", (r,)))
        rows += [r, r]
        cols += [later, first]
        coef += [1.0, -1.0]
    for one, other in data.excludes:
        r = row(-_INF, 1.0)
        groups.append(_Group(f"{data.ids[one]} excludes {data.ids[other]}", (r,)))
        rows += [r, r]
        cols += [one, other]
        coef += [1.0, 1.0]
    n = len(data.ids)
    col_lower, col_upper = np.zeros(n), np.ones(n)
    for i in data.forced:
        c = problem.candidates[i]
        (col_lower if c.force == "in" else col_upper)[i] = 1.0 if c.force == "in" else 0.0
        groups.append(_Group(f"force-{c.force} {c.id} ({c.force_reason})", cols=(i,)))
    row_index, col_index = np.asarray(rows, dtype=np.int32), np.asarray(cols, dtype=np.int32)
    order = np.lexsort((row_index, col_index))  # column-wise, rows ascending within a column
    return _Model(
        cost=np.asarray([float(v) for v in data.values]),
        col_lower=col_lower,
        col_upper=col_upper,
        row_lower=np.asarray(lower, dtype=np.float64),
        row_upper=np.asarray(upper, dtype=np.float64),
        start=np.searchsorted(col_index[order], np.arange(n + 1)).astype(np.int32),
        index=row_index[order],
        value=np.asarray(coef, dtype=np.float64)[order],
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
        len(model.index),
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMaximize),
        0.0,
        cost,
        col_lower,
        col_upper,
        row_lower,
        row_upper,
        model.start,
        model.index,
        model.value,
        np.ones(n, dtype=np.int32),
    )
    if status == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS refused the selection model")


def _run(model: _Model, options: SolverOptions, start: Sequence[int] | None = None) -> _Run:
    h = _highs(options)
    _pass(h, model, model.cost, model.row_lower, model.row_upper, model.col_lower, model.col_upper)
    if start is not None:
        # A feasible start (a lower level's selection) keeps the frontier monotone and saves time.
        solution = highspy.HighsSolution()
        values = np.zeros(len(model.col_lower))
        values[list(start)] = 1.0
        solution.col_value = values.tolist()
        h.setSolution(solution)
    h.run()
    return _outcome(h)


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
    _pass(h, model, np.zeros_like(model.cost), row_lower, row_upper, col_lower, col_upper)
    h.run()
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
    _pass(h, model, np.zeros_like(model.cost), model.row_lower, model.row_upper, model.col_lower, model.col_upper)
    h.run()
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
    def key(i: int) -> tuple[int, Decimal, str]:
        if not data.total[i]:
            return (0, -data.values[i], data.ids[i])
        return (1, -data.values[i] / data.total[i], data.ids[i])

    left = dict(budget)
    taken = []
    eligible = [i for i, c in enumerate(data.problem.candidates) if data.values[i] > 0 and c.force != "out"]
    for i in sorted(eligible, key=key):
        if all(amount <= left[p] for p, amount in data.cost[i].items()):
            for p, amount in data.cost[i].items():
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
        usage = cls(
            {p: Decimal(0) for p in data.periods},
            {b: Decimal(0) for b in data.problem.buckets},
            dict.fromkeys(data.limits, Decimal(0)),
        )
        for i in chosen:
            for p, amount in data.cost[i].items():
                usage.period[p] += amount
            bucket = data.problem.candidates[i].bucket
            usage.bucket[bucket] = usage.bucket.get(bucket, Decimal(0)) + data.total[i]
            for key, need in data.fte[i].items():
                usage.capacity[key] += need
        return usage


def _value_text(measure: ValueMeasure, value: Decimal) -> str:
    return f"{measure} {value}" if measure == "score" else f"{measure} {_money(value)}"


def _left_out(data: _Data, chosen: list[int], usage: _Usage, budget: Mapping[str, Decimal]) -> list[LeftOut]:
    problem = data.problem
    in_selection = set(chosen)
    total_budget = sum(budget.values(), Decimal(0))
    partners: dict[int, list[int]] = {}
    for a, b in data.excludes:
        partners.setdefault(a, []).append(b)
        partners.setdefault(b, []).append(a)
    prerequisites: dict[int, list[int]] = {}
    for b, a in data.depends:
        prerequisites.setdefault(b, []).append(a)
    out = []
    for i, c in enumerate(problem.candidates):
        if i in in_selection:
            continue
        if c.force == "out":
            out.append(LeftOut(id=c.id, reasons=[f"forced out: {c.force_reason}"]))
            continue
        reasons = []
        if data.values[i] <= 0:
            reasons.append(f"value not positive ({_value_text(problem.value_measure, data.values[i])})")
        reasons += [
            f"depends on {data.ids[a]} (not selected)" for a in prerequisites.get(i, ()) if a not in in_selection
        ]
        reasons += [f"excluded by {data.ids[j]} (selected)" for j in sorted(partners.get(i, ())) if j in in_selection]
        for p, amount in data.cost[i].items():
            left = budget[p] - usage.period[p]
            if amount > left:
                reasons.append(f"budget {p}: needs {_money(amount)}, {_money(left)} left")
        high = problem.buckets[c.bucket][1]
        if high < 1 and data.total[i]:
            maximum = (total_budget * high).quantize(_CENT)
            left = maximum - usage.bucket[c.bucket]
            if data.total[i] > left:
                reasons.append(
                    f"bucket {c.bucket} at its maximum ({_pct(high)} of budget, {_money(maximum)}): "
                    f"needs {_money(data.total[i])}, {_money(left)} left"
                )
        for (role, p), need in data.fte[i].items():
            left = data.limits[role, p] - usage.capacity[role, p]
            if need > left:
                reasons.append(f"capacity {role} {p}: needs {need} FTE, {left} FTE left")
        if not reasons:
            reasons.append(
                f"would fit; left out within the {_pct(problem.mip_gap)} optimality gap "
                f"({_value_text(problem.value_measure, data.values[i])})"
            )
        out.append(LeftOut(id=c.id, reasons=reasons))
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
    return sum((data.values[i] for i in chosen), Decimal(0))


def _frontier(data: _Data, options: SolverOptions, main: _Run) -> list[FrontierPoint]:
    """Best value at `frontier_levels` budget levels: 2k/L of the budget for k = 1..L (every
    period scaled alike, bucket bounds staying shares of the scaled budget)."""
    problem = data.problem
    levels = problem.frontier_levels
    points = []
    start: list[int] | None = None
    for k in range(1, levels + 1):
        share = (Decimal(2 * k) / levels).quantize(_SHARE)
        budget = _scaled(problem.budget, share)
        run = main if share == 1 else _run(_model(data, budget), options, start)
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
        notes.append(f"costs in {p} are not constrained: no budget for it ({count} candidates, {_money(total)})")
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
    data = _data(problem)
    options = solver_options(problem)
    solver = SolverInfo(name="HiGHS", version=_VERSION, options=options)
    model = _model(data, problem.budget)
    main = _run(model, options)
    notes = _notes(data)
    common: dict[str, Any] = {"value_measure": problem.value_measure, "currency": problem.currency, "solver": solver}
    if main.status in ("infeasible", "no-solution"):
        if main.status == "no-solution":
            notes.append(f"no feasible selection was found within the time limit of {problem.time_limit_seconds} s")
        conflicts = _conflicts(model, options) if main.status == "infeasible" else []
        return SelectionResult(
            status=main.status,
            objective=None,
            bound=None,
            gap=None,
            selected=[],
            left_out=[],
            spend_by_period=[],
            spend_by_bucket=[],
            frontier=[],
            next_slice=None,
            greedy=None,
            conflicts=conflicts,
            notes=notes,
            **common,
        )
    objective = _value(data, main.chosen)
    places = _SHARE if problem.value_measure == "score" else _CENT
    bound = max(objective, Decimal(repr(main.bound)).quantize(places) if main.bound is not None else objective)
    if objective:
        gap = ((bound - objective) / abs(objective)).quantize(_GAP)
    else:
        gap = Decimal(0) if bound == objective else Decimal(1)
    if main.status == "gap":
        notes.append(f"time limit of {problem.time_limit_seconds} s reached: within {_pct(gap)} of the best bound")
    usage = _Usage.of(data, main.chosen)
    taken = _greedy(data, problem.budget)
    greedy_value = _value(data, taken)
    total_budget = sum(problem.budget.values(), Decimal(0))
    return SelectionResult(
        status=main.status,
        objective=objective,
        bound=bound,
        gap=gap,
        selected=[data.ids[i] for i in main.chosen],
        left_out=_left_out(data, main.chosen, usage, problem.budget),
        spend_by_period=[
            PeriodSpend(
                period=p, budget=problem.budget[p], spend=usage.period[p], left=problem.budget[p] - usage.period[p]
            )
            for p in data.periods
        ],
        spend_by_bucket=[
            BucketSpend(
                bucket=b,
                spend=usage.bucket[b],
                min_share=low,
                max_share=high,
                minimum=(total_budget * low).quantize(_CENT),
                maximum=(total_budget * high).quantize(_CENT),
            )
            for b, (low, high) in problem.buckets.items()
        ],
        frontier=_frontier(data, options, main) if frontier else [],
        next_slice=_next_slice(data, options, main) if frontier else None,
        greedy=GreedyComparison(
            value=greedy_value,
            selected=[data.ids[i] for i in taken],
            only_in_optimal=[data.ids[i] for i in sorted(set(main.chosen) - set(taken))],
            only_in_greedy=[data.ids[i] for i in sorted(set(taken) - set(main.chosen))],
            value_difference=objective - greedy_value,
            constraints_greedy_breaks=_breaks(data, taken, problem.budget),
        ),
        conflicts=[],
        notes=notes,
        **common,
    )
