"""The HiGHS driver: fixed options, a run and its outcome, the conflicting constraints of an
infeasible program, the efficient frontier and the next slice of budget; `solve` puts the result
together and `replay_agrees` checks a replay against a record.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import highspy
import numpy as np

from governance.candidates import check_problem
from governance.collector import collector_paused
from governance.errors import InputRefused
from governance.selection.model import Model, build_model, pass_model
from governance.selection.problem import CENT, GAP, SHARE, IndexForm, index_form, pct, scaled_budget, value_of
from governance.selection.report import (
    Usage,
    aside,
    greedy_comparison,
    left_out,
    spend_by_bucket,
    spend_by_period,
)
from models.selection import (
    FrontierPoint,
    NextSlice,
    SelectionProblem,
    SelectionResult,
    SelectionStatus,
    SolverInfo,
    SolverOptions,
)

__all__ = ["replay_agrees", "solve", "solver_options"]

_INF = math.inf
_VERSION = f"{highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}.{highspy.HIGHS_VERSION_PATCH}"


def solver_options(problem: SelectionProblem) -> SolverOptions:
    """The fixed options every solve of `problem` uses (recorded in its result)."""
    return SolverOptions(
        mip_rel_gap=problem.mip_gap,
        time_limit_seconds=problem.time_limit_seconds,
        random_seed=0,
        threads=1,
        presolve="choose",
    )


class _SilentHighs(highspy.Highs):
    """highspy's `Highs`, silent from its construction on.

    `Highs()` prints HiGHS's banner on stdout (which carries `--json`) as its constructor enables
    callbacks, before a caller can set any option; the constructor's last step is
    `enableCallbacks`, so the output is switched off there, just before (`test_solve_prints_nothing`
    notices if that changes). Against the core class `highspy._core._Highs` it costs 10-30 us per
    solver and no solve time (bench selection_5k, four interleaved runs each, both cores busy).
    """

    def enableCallbacks(self) -> None:
        self.setOptionValue("output_flag", False)
        super().enableCallbacks()  # type: ignore[no-untyped-call]  # highspy leaves it unannotated


def _highs(options: SolverOptions) -> _SilentHighs:
    h = _SilentHighs()  # type: ignore[no-untyped-call]  # highspy's Highs.__init__ is unannotated
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


def _optimise(h: highspy.Highs) -> None:
    if h.run() == highspy.HighsStatus.kError and h.getModelStatus() == highspy.HighsModelStatus.kNotset:
        # HiGHS keeps one thread scheduler per process: started with another thread count by
        # another solve in this process, it refuses ours until it is started again.
        highspy.Highs.resetGlobalScheduler(True)
        h.run()


@dataclass(frozen=True, slots=True)
class _Run:
    status: SelectionStatus
    chosen: list[int]  # selected candidate indexes, ascending
    bound: float | None


def _run(model: Model, options: SolverOptions, start: Sequence[int] | None = None) -> _Run:
    h = _prepared(model, options, start)
    _optimise(h)
    return _outcome(h)


def _prepared(model: Model, options: SolverOptions, start: Sequence[int] | None = None) -> _SilentHighs:
    """A solver holding the model (and a start), ready to run."""
    h = _highs(options)
    pass_model(h, model, model.data.objective, model.row_lower, model.row_upper, model.col_lower, model.col_upper)
    if start is not None:
        # A feasible start (a lower level's selection) keeps the frontier monotone and saves time.
        solution = highspy.HighsSolution()
        values = np.zeros(len(model.col_lower))
        values[list(start)] = 1.0
        solution.col_value = values.tolist()
        h.setSolution(solution)
    return h


def _outcome(h: highspy.Highs) -> _Run:
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


# -- an infeasible program: which constraints conflict -------------------------------------------


def _feasible(model: Model, options: SolverOptions, active: Iterable[int]) -> bool | None:
    """Whether the constraints `active` (and no others) can hold together; None: unknown."""
    row_lower, row_upper = np.full_like(model.row_lower, -_INF), np.full_like(model.row_upper, _INF)
    col_lower, col_upper = np.zeros_like(model.col_lower), np.ones_like(model.col_upper)
    for c in (model.constraints[k] for k in active):
        if c.row is None:
            for i in c.candidates:
                col_lower[i], col_upper[i] = model.col_lower[i], model.col_upper[i]
        elif c.side == "upper":
            row_upper[c.row] = model.row_upper[c.row]
        else:
            row_lower[c.row] = model.row_lower[c.row]
    h = _highs(options)
    pass_model(h, model, np.zeros_like(model.data.objective), row_lower, row_upper, col_lower, col_upper)
    _optimise(h)
    run = _outcome(h)
    return None if run.status == "no-solution" else run.status != "infeasible"


def _conflicts(model: Model, options: SolverOptions) -> list[str]:
    """A set of named constraints that cannot hold together, with none of them superfluous.

    HiGHS's IIS works on the LP relaxation: when that is already infeasible it names a small
    candidate set at once. A deletion filter over named constraints then makes the set
    irreducible for the integer program itself (dropping any one leaves a feasible problem).
    """
    active = list(range(len(model.constraints)))
    narrowed = _lp_iis(model, options)
    if narrowed and _feasible(model, options, narrowed) is False:
        active = narrowed
    for k in list(active):
        trial = [a for a in active if a != k]
        if _feasible(model, options, trial) is False:
            active = trial
    return [model.constraints[k].name for k in active]


def _lp_iis(model: Model, options: SolverOptions) -> list[int]:
    h = _highs(options)
    pass_model(
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
    for k, c in enumerate(model.constraints):
        if c.row is None:
            if any(i in cols for i in c.candidates):
                found.append(k)
        elif c.row in rows:
            side = int(rows[c.row])
            if side not in (lower, upper) or side == (upper if c.side == "upper" else lower):
                found.append(k)
    return found


# -- the frontier and the next slice ------------------------------------------------------------


def _frontier(data: IndexForm, options: SolverOptions) -> list[FrontierPoint]:
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
        share = (Decimal(2 * k) / levels).quantize(SHARE)
        budget = scaled_budget(problem.budget, share)
        run = _run(build_model(data, budget), options, start)
        found = run.status in ("optimal", "gap")
        if found:
            start = run.chosen
        points.append(
            FrontierPoint(
                share=share,
                budget=sum(budget.values(), Decimal(0)),
                status=run.status,
                value=value_of(data, run.chosen) if found else None,
                count=len(run.chosen),
            )
        )
    return points


def _next_slice(data: IndexForm, options: SolverOptions, main: _Run) -> NextSlice:
    problem = data.problem
    budget = scaled_budget(problem.budget, 1 + problem.next_slice)
    run = _run(build_model(data, budget), options, main.chosen)
    found = run.status in ("optimal", "gap")
    before, after = set(main.chosen), set(run.chosen)
    return NextSlice(
        share=problem.next_slice,
        extra_budget=sum(budget.values(), Decimal(0)) - sum(problem.budget.values(), Decimal(0)),
        status=run.status,
        value_gain=value_of(data, run.chosen) - value_of(data, main.chosen) if found else None,
        added=[data.ids[i] for i in sorted(after - before)],
        dropped=[data.ids[i] for i in sorted(before - after)],
    )


# -- the whole result ---------------------------------------------------------------------------


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
    data = index_form(problem)
    options = solver_options(problem)
    model = build_model(data, problem.budget)
    # HiGHS releases the GIL while it solves: the parts of the report that do not depend on its
    # selection (notes, the greedy choice and what it breaks) are worked out in the meantime.
    h = _prepared(model, options)
    with ThreadPoolExecutor(1, thread_name_prefix="selection-report") as pool:
        pending = pool.submit(aside, data, problem.budget)
        _optimise(h)
        extra = pending.result()
    main = _outcome(h)
    notes = extra.notes
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
    objective = value_of(data, main.chosen)
    places = SHARE if problem.value_measure == "score" else CENT
    bound = max(objective, Decimal(repr(main.bound)).quantize(places) if main.bound is not None else objective)
    if objective:
        gap = ((bound - objective) / abs(objective)).quantize(GAP).normalize()
    else:
        gap = Decimal(0) if bound == objective else Decimal(1)
    if main.status == "gap":
        notes.append(f"time limit of {problem.time_limit_seconds} s reached: within {pct(gap)} of the best bound")
    usage = Usage.of(data, main.chosen)
    result.update(
        objective=objective,
        bound=bound,
        gap=gap,
        selected=[data.ids[i] for i in main.chosen],
        left_out=left_out(data, extra, main.chosen, usage, problem.budget),
        spend_by_period=spend_by_period(data, usage, problem.budget),
        spend_by_bucket=spend_by_bucket(data, usage, problem.budget),
        frontier=_frontier(data, options) if frontier else [],
        next_slice=_next_slice(data, options, main) if frontier else None,
        greedy=greedy_comparison(data, extra.greedy, extra.breaks, main.chosen),
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
    tolerance = max(gaps) * max(bounds, default=abs(recorded.objective)) + CENT
    return abs(recorded.objective - replayed.objective) <= tolerance
