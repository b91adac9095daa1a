"""HiGHS runs: a silent solver with the fixed options, one run and its outcome, the time a whole
selection may take, and the conflicting constraints of an infeasible program.

`solve` (solver.py) and the frontier (frontier.py) both run programs through here.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import highspy
import numpy as np

from governance.selection.model import Model, pass_model
from models.selection import SelectionStatus, SolverOptions

__all__ = ["Run", "TimeBudget", "conflicts", "highs", "optimise", "outcome", "prepared", "run"]

_INF = math.inf
# The least time a run is given: HiGHS still reads the model and checks a start in it, so a level
# solved when the budget is spent keeps the level below's selection (a feasible start) and its gap.
_LEAST_SECONDS = 0.01


@dataclass(frozen=True, slots=True)
class TimeBudget:
    """The time left of one `--time-limit` for a whole selection (the main solve, the frontier's
    levels, the next slice and any conflict search), on the monotonic clock."""

    ends: float

    @classmethod
    def of(cls, seconds: float) -> TimeBudget:
        return cls(time.monotonic() + seconds)

    def left(self) -> float:
        return max(self.ends - time.monotonic(), 0.0)

    def share(self, runs: int) -> float:
        """An even share of what is left among `runs` runs still to come (one run's time limit)."""
        return max(self.left() / max(runs, 1), _LEAST_SECONDS)


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


def highs(options: SolverOptions, seconds: float | None = None) -> _SilentHighs:
    """A silent solver with `options`; `seconds` (if given) replaces their time limit."""
    h = _SilentHighs()  # type: ignore[no-untyped-call]  # highspy's Highs.__init__ is unannotated
    limit = float(options.time_limit_seconds) if seconds is None else max(seconds, _LEAST_SECONDS)
    for name, value in (
        ("output_flag", False),
        ("random_seed", options.random_seed),
        ("threads", options.threads),
        ("presolve", options.presolve),
        ("mip_rel_gap", float(options.mip_rel_gap)),
        ("time_limit", limit),
    ):
        if h.setOptionValue(name, value) != highspy.HighsStatus.kOk:
            raise RuntimeError(f"HiGHS refused option {name}={value!r}")
    return h


def optimise(h: highspy.Highs) -> None:
    if h.run() == highspy.HighsStatus.kError and h.getModelStatus() == highspy.HighsModelStatus.kNotset:
        # HiGHS keeps one thread scheduler per process: started with another thread count by
        # another solve in this process, it refuses ours until it is started again.
        highspy.Highs.resetGlobalScheduler(True)
        h.run()


@dataclass(frozen=True, slots=True)
class Run:
    status: SelectionStatus
    chosen: list[int]  # selected candidate indexes, ascending
    bound: float | None


def run(
    model: Model,
    options: SolverOptions,
    start: Sequence[int] | None = None,
    seconds: float | None = None,
    hooks: Callable[[highspy.Highs], None] | None = None,
) -> Run:
    """One run of `model`, from `start` if given, for `seconds` (default: the options' time limit);
    `hooks` (if given) attaches callbacks to each solver it runs."""
    began = time.monotonic()
    h = prepared(model, options, start, seconds)
    if hooks is not None:
        hooks(h)
    optimise(h)
    found = outcome(h)
    if start is not None and found.chosen and not _consistent(h, model, found.chosen):
        # HiGHS 1.16 with presolve, given a start it later improved on, can report the better
        # objective but hand back the start as its solution (tests/governance/selection/
        # test_frontier.py::test_a_level_started_from_below_is_its_own_optimum): solve again without it.
        left = None if seconds is None else seconds - (time.monotonic() - began)
        h = prepared(model, options, None, left)
        if hooks is not None:
            hooks(h)
        optimise(h)
        again = outcome(h)
        worth = model.data.objective
        if again.chosen and float(np.sum(worth[again.chosen])) >= float(np.sum(worth[found.chosen])):
            return again
        return Run("gap", found.chosen, found.bound)  # out of time: the start, and the bound HiGHS proved
    return found


def _consistent(h: highspy.Highs, model: Model, chosen: Sequence[int]) -> bool:
    """Whether the solution HiGHS hands back is worth the objective it reports."""
    worth = float(np.sum(model.data.objective[list(chosen)]))
    reported = float(h.getInfo().objective_function_value)
    return abs(worth - reported) <= 1e-6 * max(1.0, abs(reported))


def prepared(
    model: Model, options: SolverOptions, start: Sequence[int] | None = None, seconds: float | None = None
) -> _SilentHighs:
    """A solver holding the model (and a start), ready to run for `seconds` (default: the options')."""
    h = highs(options, seconds)
    pass_model(h, model, model.data.objective, model.row_lower, model.row_upper, model.col_lower, model.col_upper)
    if start is not None:
        # A feasible start (a lower level's selection) keeps the frontier monotone and saves time.
        solution = highspy.HighsSolution()
        values = np.zeros(len(model.col_lower))
        values[list(start)] = 1.0
        solution.col_value = values.tolist()
        h.setSolution(solution)
    return h


def outcome(h: highspy.Highs) -> Run:
    status = h.getModelStatus()
    info = h.getInfo()
    has_solution = info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
    if status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        return Run("infeasible", [], None)
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
        return Run(kind, [], None)
    x = np.asarray(h.getSolution().col_value)
    return Run(kind, np.flatnonzero(x > 0.5).tolist(), float(info.mip_dual_bound))


# -- an infeasible program: which constraints conflict -------------------------------------------


def _feasible(model: Model, options: SolverOptions, active: Iterable[int], budget: TimeBudget | None) -> bool | None:
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
    h = highs(options, None if budget is None else budget.left())
    pass_model(h, model, np.zeros_like(model.data.objective), row_lower, row_upper, col_lower, col_upper)
    optimise(h)
    found = outcome(h)
    return None if found.status == "no-solution" else found.status != "infeasible"


def conflicts(model: Model, options: SolverOptions, budget: TimeBudget | None = None) -> list[str]:
    """A set of named constraints that cannot hold together, with none of them superfluous.

    HiGHS's IIS works on the LP relaxation: when that is already infeasible it names a small
    candidate set at once. A deletion filter over named constraints then makes the set
    irreducible for the integer program itself (dropping any one leaves a feasible problem).
    Within a time budget, a constraint whose test ran out of time stays in the set, and once the
    time is spent the filter stops: the set still conflicts, but may not be irreducible.
    """
    active = list(range(len(model.constraints)))
    narrowed = _lp_iis(model, options, budget)
    if narrowed and _feasible(model, options, narrowed, budget) is False:
        active = narrowed
    for k in list(active):
        if budget is not None and not budget.left():
            break  # out of time: what is left still conflicts (every step kept an infeasible set)
        trial = [a for a in active if a != k]
        if _feasible(model, options, trial, budget) is False:
            active = trial
    return [model.constraints[k].name for k in active]


def _lp_iis(model: Model, options: SolverOptions, budget: TimeBudget | None) -> list[int]:
    h = highs(options, None if budget is None else budget.left())
    pass_model(
        h,
        model,
        np.zeros_like(model.data.objective),
        model.row_lower,
        model.row_upper,
        model.col_lower,
        model.col_upper,
    )
    optimise(h)
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
