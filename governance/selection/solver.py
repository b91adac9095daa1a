"""The selection's result: `solve` runs the main program, the frontier and the next slice within
one time budget and puts the result together; `replay_agrees` checks a replay against a record.

The time budget is the problem's `time_limit_seconds`, for the whole solve: without a frontier the
main run may take all of it; with one it takes half, and the frontier's levels and the next slice
share the rest (`frontier.py`). An infeasible program's conflict search takes what is left.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import highspy

from governance.candidates import check_portfolio, check_problem
from governance.collector import collector_paused
from governance.errors import InputRefused
from governance.selection.chance import Scenarios, add_chance, chance_name, chance_result, draw_scenarios
from governance.selection.frontier import frontier as frontier_points
from governance.selection.frontier import next_slice, proven_gap
from governance.selection.model import Model, build_model
from governance.selection.problem import CENT, IndexForm, Unsound, index_form, pct, value_of
from governance.selection.report import (
    Aside,
    Usage,
    aside,
    greedy_comparison,
    left_out,
    spend_by_bucket,
    spend_by_period,
)
from governance.selection.runs import Run, TimeBudget, conflicts, optimise, outcome, prepared, run
from governance.selection.split import solve_program
from models.selection import (
    SelectionProblem,
    SelectionResult,
    SolverInfo,
    SolverOptions,
)

__all__ = ["replay_agrees", "solve", "solver_options"]

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


# -- the whole result ---------------------------------------------------------------------------


def solve(problem: SelectionProblem, *, frontier: bool = True) -> SelectionResult:
    """Select the candidates to fund and report the selection, its proof and its alternatives.

    Args:
        problem: the candidates, budget, bucket bounds, capacity and solver settings.
        frontier: also solve the efficient frontier and the next slice of budget (one solve per
            level and one more, sharing half the time limit); without it both are left empty and
            the main solve may take the whole time limit.

    Returns:
        The selection with its objective, best bound and gap, what was left out and why, spend by
        period and bucket, the frontier, the next slice and the greedy comparison; for an
        infeasible problem, the constraints that conflict instead (and no selection).

    Raises:
        InputRefused: the problem is not sound (see `check_problem`).
    """
    budget = TimeBudget.of(problem.time_limit_seconds)  # the time limit is for the whole solve
    problems = check_portfolio(problem, "(problem)")
    if problems:
        raise InputRefused(problems)
    with collector_paused():  # a problem's index form is many small objects, none in a cycle
        try:
            # The candidates' cross-checks come with the index form's own passes over them (at
            # 5,000 candidates, 5 ms of the 50 ms solve adds to HiGHS); `check_problem` names the
            # problems when it finds one.
            data = index_form(problem)
        except Unsound:
            problems = check_problem(problem, "(problem)")
            if not problems:
                raise  # the two disagree: a bug here, not in the input
            raise InputRefused(problems) from None
        return _solve(data, budget, frontier)


def _solve(data: IndexForm, budget: TimeBudget, frontier: bool) -> SelectionResult:
    problem = data.problem
    options = solver_options(problem)
    model = build_model(data, problem.budget)
    # HiGHS releases the GIL while it solves: the parts of the report that do not depend on its
    # selection (notes, the greedy choice and what it breaks) are worked out in the meantime, once
    # it has started, plain HiGHS and the root's LP both (before, the threads took turns at the GIL,
    # 5 ms at a time, and HiGHS started later: by 6 ms at the least on the 5,000-candidate bench
    # program).
    scenarios = None if problem.chance is None else draw_scenarios(problem, data)
    seconds = budget.left() / 2 if frontier else budget.left()
    running = threading.Event()

    def report() -> Aside:
        running.wait()
        return aside(data, problem.budget)

    with ThreadPoolExecutor(1, thread_name_prefix="selection-report") as pool:
        if scenarios is None:
            pending = pool.submit(report)
            try:
                main = solve_program(model, options, None, seconds, running)
            finally:
                running.set()  # the report goes ahead whatever happened to HiGHS
        else:  # the chance constraint's rows and binaries: HiGHS on the whole
            pending = pool.submit(aside, data, problem.budget)
            h = prepared(model, options, seconds=seconds)
            add_chance(h, scenarios, model)
            optimise(h)
            main = outcome(h)
        extra = pending.result()
    n = len(data.ids)
    if scenarios is not None:  # the chance constraint's binaries follow the candidates' columns
        main = Run(main.status, [i for i in main.chosen if i < n], main.bound)
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
        "bucket_shares_of": problem.bucket_shares_of,
    }
    if main.status == "no-solution":
        notes.append(f"no feasible selection was found within the time limit of {problem.time_limit_seconds} s")
    if main.status == "infeasible":
        result["conflicts"] = _conflicts(model, options, budget, scenarios)
    if main.status in ("infeasible", "no-solution"):
        return SelectionResult.model_validate(result)
    objective = value_of(data, main.chosen)
    bound, gap = proven_gap(data, objective, main.bound)
    if main.status == "gap":
        half = " (half of it for the selection, the rest for the frontier)" if frontier else ""
        limit = problem.time_limit_seconds
        within = "no bound proven" if gap is None else f"within {pct(gap)} of the best bound"
        notes.append(f"time limit of {limit} s reached{half}: {within}")
    usage = Usage.of(data, main.chosen)
    points, offered = [], None
    if scenarios is not None:
        result["chance"] = chance_result(problem, scenarios, main.chosen)
        if frontier:
            notes.append(
                f"the chance constraint (alpha {scenarios.chance.alpha}) is not applied to the frontier or "
                "the next slice: they show the budget constraints alone"
            )
    if frontier:
        points = frontier_points(data, options, budget, runs_after=1, selection=main.chosen)
        offered, why_not = next_slice(data, options, budget, main.chosen)
        if why_not is not None:
            notes.append(why_not)
    result.update(
        objective=objective,
        bound=bound,
        gap=gap,
        selected=list(map(data.ids.__getitem__, main.chosen)),
        left_out=left_out(data, extra, main.chosen, usage, problem.budget),
        spend_by_period=spend_by_period(data, usage, problem.budget),
        spend_by_bucket=spend_by_bucket(data, usage, problem.budget),
        frontier=points,
        next_slice=offered,
        greedy=greedy_comparison(data, extra, main.chosen, objective),
    )
    return SelectionResult.model_validate(result)


def _conflicts(model: Model, options: SolverOptions, budget: TimeBudget, scenarios: Scenarios | None) -> list[str]:
    """The conflicting constraints of an infeasible program; with a chance constraint that the
    program without it satisfies, the chance constraint itself (with what forces spend on it)."""
    if scenarios is not None and run(model, options, seconds=budget.share(1)).status != "infeasible":
        forced = [c.name for c in model.constraints if c.kind in ("force-in", "bucket-minimum")]
        return [chance_name(scenarios.chance), *forced]
    return conflicts(model, options, budget)


def replay_agrees(recorded: SelectionResult, replayed: SelectionResult) -> bool:
    """Whether a replayed selection bears out a recorded one.

    Another machine or HiGHS version may break ties differently, so the selected ids may differ;
    the objective may not, beyond what the gaps allow: both runs lie within their gap of the same
    optimum. Without a selection on either side, the statuses must match.
    """
    if (recorded.chance is None) != (replayed.chance is None):
        return False  # one under a chance constraint, the other not
    if recorded.objective is None or replayed.objective is None:
        return recorded.status == replayed.status
    gaps = [g for g in (recorded.gap, replayed.gap) if g is not None] + [recorded.solver.options.mip_rel_gap]
    bounds = [abs(b) for b in (recorded.bound, replayed.bound) if b is not None]
    tolerance = max(gaps) * max(bounds, default=abs(recorded.objective)) + CENT
    return abs(recorded.objective - replayed.objective) <= tolerance
