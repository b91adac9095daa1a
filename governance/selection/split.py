"""Hard programs: plain HiGHS first, and when it does not prove its answer within a few hundred
nodes, the program cut by cardinality into pieces HiGHS proves much faster, on both cores.

`solve_program` runs one program (`Model`):

1. plain HiGHS from the caller's start, for at most `FIRST_NODES` branch-and-bound nodes: an easy
   program is proven here, with exactly the work (and the answer) of HiGHS alone. Its selection
   is the start of what follows, and the target is the start's value plus the gap;
2. cardinality: the LP relaxation's value as a function of how many candidates are selected (the
   row sum x = k) is concave in k, so the counts k whose LP value exceeds the target are an
   interval around the LP's own count, found by walking out from it. A selection of any other
   count is worth no more than the target. With more than `MOST_COUNTS` counts in the interval,
   cardinality does not cut the program down (costs that vary widely, as in most real
   portfolios): plain HiGHS goes on from the start for the rest of the time;
3. dives: the two counts with the best LP values, each for `DIVE_NODES` nodes, side by side; the
   best selection found raises the start (and the target);
4. each count of the interval is a program of its own, with reduced-cost fixing from its LP (a
   candidate whose flip would cost more than the LP's lead over the target is fixed: every
   selection with it flipped is worth at most the LP value less that reduced cost, which the
   bound keeps) and a row asking for more than the target, so that HiGHS either finds a better
   selection or proves that there is none (usually in a fraction of the time a proof of the
   whole takes). The pieces run two at a time, best LP value first, HiGHS single-threaded in each
   of two threads (it releases the GIL while it solves and keeps one scheduler per thread), the
   target raised after each pair by what the pair found.

Every step's outcome depends on the program, the options and the start alone (node limits, not
time, bound steps 1 and 3; each pair is awaited whole before the target moves), so the same
program gives the same selection, bound and gap on every run that the time limit does not cut
short. Every bound reported is proven: the largest of the start's value, the pieces' bounds, the
LP values of the counts set aside and what reduced-cost fixing excluded (a piece without a
selection above its target is bounded by the target). `tests/governance/selection/test_split.py`
checks it against brute force.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import highspy
import numpy as np

from governance.selection.model import Model, pass_model
from governance.selection.problem import Floats
from governance.selection.runs import Run, highs, optimise, outcome, run
from models.selection import SolverOptions

__all__ = ["DIVE_NODES", "FIRST_NODES", "MOST_COUNTS", "solve_program"]

FIRST_NODES = 100  # plain HiGHS's nodes before the program counts as hard
DIVE_NODES = 300  # each of the two most promising counts' nodes, for a better start
MOST_COUNTS = 12  # beyond this many counts to solve, the whole program is solved instead
_TOL = 1e-7  # LP values and reduced costs, relative to the objective's scale
_INF = math.inf


@dataclass(frozen=True, slots=True)
class _Relaxation:
    value: float
    x: Floats
    reduced: Floats  # reduced costs (maximising: <= 0 at the lower bound, >= 0 at the upper)


def solve_program(model: Model, options: SolverOptions, start: Sequence[int] | None, seconds: float) -> Run:
    """The best selection of `model` within `seconds` and the gap of `options`, with a proven bound
    (see the module's docstring)."""
    ends = time.monotonic() + seconds
    first = run(model, options, start, seconds, max_nodes=FIRST_NODES)
    if first.status in ("optimal", "infeasible") or first.halted == "time":
        return first
    return _split(model, options, first, ends)


def _left(ends: float) -> float:
    return max(ends - time.monotonic(), 0.0)


def _worth(model: Model, chosen: Sequence[int]) -> float:
    return float(model.data.objective[list(chosen)].sum()) if chosen else -_INF


def _split(model: Model, options: SolverOptions, first: Run, ends: float) -> Run:
    """Steps 2-4 (plain HiGHS goes on alone where the LP relaxation gives nothing)."""
    gap = float(options.mip_rel_gap)
    root = _relax(model, options, None, _left(ends))
    if root is None:
        return _rest(model, options, first, ends)
    best = first
    if not best.chosen:
        return _rest(model, options, first, ends)
    value = _worth(model, best.chosen)
    target = value + gap * abs(value)
    counts = _counts(model, options, root, target, ends)
    if counts is None:  # out of time
        return Run("gap", best.chosen, _bound(first, root.value), halted="time")
    pieces, set_aside = counts
    if len(pieces) > MOST_COUNTS:  # cardinality does not cut this program down: plain HiGHS goes on
        return _rest(model, options, first, ends)
    done: list[tuple[Run, float]] = []
    with ThreadPoolExecutor(2, thread_name_prefix="selection-piece") as pool:
        # A better start first: the two most promising counts, each for a few hundred nodes.
        dives = pool.map(lambda p: _piece(model, options, p[0], p[1], target, ends, DIVE_NODES), pieces[:2])
        for dive, _ in dives:
            if dive.chosen and _worth(model, dive.chosen) > _worth(model, best.chosen):
                best = dive
        value = _worth(model, best.chosen)
        target = value + gap * abs(value)
        for at in range(0, len(pieces), 2):  # two at a time, the target raised after each pair
            pair = pieces[at : at + 2]
            best_value = max([value, *(_worth(model, r.chosen) for r, _ in done)])
            target = max(target, best_value + gap * abs(best_value))
            still = [(k, lp) for k, lp in pair if lp.value > target]
            # A count the raised target has passed: its LP value bounds it, nothing there to solve.
            done += [(Run("infeasible", [], None), lp.value) for k, lp in pair if lp.value <= target]
            done += pool.map(lambda p, t=target: _piece(model, options, p[0], p[1], t, ends), still)
    bound = max([set_aside, value, *(b for _, b in done)])
    proven = all(r.status in ("optimal", "infeasible") for r, _ in done)
    found = [r for r, _ in done if r.chosen]
    winner = max(found, key=lambda r: (_worth(model, r.chosen), [-i for i in r.chosen]), default=best)
    if _worth(model, winner.chosen) <= value:
        winner = best
    worth = _worth(model, winner.chosen)
    if proven and bound <= worth + gap * abs(worth) + _TOL * max(1.0, abs(worth)):
        return Run("optimal", sorted(winner.chosen), max(bound, worth))
    return Run("gap", sorted(winner.chosen), max(bound, worth), halted="time")


def _bound(first: Run, lp: float) -> float:
    return min(first.bound, lp) if first.bound is not None else lp


def _rest(model: Model, options: SolverOptions, first: Run, ends: float) -> Run:
    """Plain HiGHS for the rest of the time, from the first run's selection."""
    return run(model, options, first.chosen or None, _left(ends))


def _solver(
    model: Model,
    options: SolverOptions,
    col_lower: Floats,
    col_upper: Floats,
    seconds: float,
    count: int | None = None,
) -> highspy.Highs:
    h = highs(options, seconds)
    pass_model(h, model, model.data.objective, model.row_lower, model.row_upper, col_lower, col_upper)
    if count is not None:
        n = len(col_lower)
        h.addRow(float(count), float(count), n, np.arange(n, dtype=np.int32), np.ones(n))
    return h


def _relax(model: Model, options: SolverOptions, count: int | None, seconds: float) -> _Relaxation | None:
    """The LP relaxation (with `count` candidates selected, if given); None if it is infeasible
    or was not solved in time."""
    h = _solver(model, options, model.col_lower, model.col_upper, seconds, count)
    n = len(model.col_lower)
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.zeros(n, dtype=np.uint8))
    optimise(h)
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    solution = h.getSolution()
    return _Relaxation(
        float(h.getInfo().objective_function_value), np.asarray(solution.col_value), np.asarray(solution.col_dual)
    )


def _counts(
    model: Model, options: SolverOptions, root: _Relaxation, target: float, ends: float
) -> tuple[list[tuple[int, _Relaxation]], float] | None:
    """The counts whose LP value exceeds `target`, best LP first (more than `MOST_COUNTS`: the
    walk stops there), and the largest LP value of the counts set aside (a bound on every
    selection of those counts); None when out of time."""
    n = len(root.x)
    middle = int(np.clip(round(float(root.x.sum())), 0, n))
    pieces: list[tuple[int, _Relaxation]] = []
    set_aside = -_INF
    for step in (1, -1):
        k = middle if step == 1 else middle - 1
        while 0 <= k <= n and len(pieces) <= MOST_COUNTS:
            if _left(ends) <= 0:
                return None
            relaxation = _relax(model, options, k, _left(ends))
            if relaxation is None:  # infeasible at k, and so at every count beyond (the LP is concave in k)
                break
            if relaxation.value <= target:  # and every count beyond is worth less still
                set_aside = max(set_aside, relaxation.value)
                break
            pieces.append((k, relaxation))
            k += step
    pieces.sort(key=lambda p: (-p[1].value, p[0]))
    return pieces, set_aside


def _fixed(model: Model, relaxation: _Relaxation, target: float) -> tuple[Floats, Floats, float]:
    """Reduced-cost fixing against `target`: the column bounds, and the bound on the selections
    the fixing excludes (the LP value less the reduced cost of the flipped candidate)."""
    x, reduced, value = relaxation.x, relaxation.reduced, relaxation.value
    margin = _TOL * max(1.0, abs(value))
    free = model.col_upper > model.col_lower
    at_zero = free & (x <= 1e-9) & (value + reduced + margin <= target)
    at_one = free & (x >= 1 - 1e-9) & (value - reduced + margin <= target)
    col_lower, col_upper = model.col_lower.copy(), model.col_upper.copy()
    col_upper[at_zero] = 0.0
    col_lower[at_one] = 1.0
    excluded = np.concatenate([value + reduced[at_zero], value - reduced[at_one]]) + margin
    return col_lower, col_upper, float(excluded.max()) if len(excluded) else -_INF


def _start(h: highspy.Highs, chosen: Sequence[int], col_lower: Floats, col_upper: Floats) -> bool:
    """Hand `chosen` to HiGHS as a start if it keeps to the column bounds; whether it did."""
    x = np.zeros(len(col_lower))
    x[list(chosen)] = 1.0
    if np.any(x < col_lower) or np.any(x > col_upper):
        return False
    solution = highspy.HighsSolution()
    solution.col_value = x.tolist()
    h.setSolution(solution)
    return True


def _piece(
    model: Model,
    options: SolverOptions,
    k: int,
    relaxation: _Relaxation,
    target: float,
    ends: float,
    max_nodes: int | None = None,
) -> tuple[Run, float]:
    """The program with exactly `k` candidates selected: its outcome and its bound. With
    `max_nodes`, a dive for a start: at most that many nodes, and any selection will do."""
    col_lower, col_upper, excluded = _fixed(model, relaxation, target)
    h = _solver(model, options, col_lower, col_upper, _left(ends), k)
    if max_nodes is not None:
        h.setOptionValue("mip_max_nodes", max_nodes)
    cut = -_INF
    if max_nodes is None:  # only a selection worth more than the target matters (the start is kept aside)
        n = len(col_lower)
        h.addRow(target, _INF, n, np.arange(n, dtype=np.int32), model.data.objective)
        cut = target
    optimise(h)
    found = outcome(h)
    if found.status == "infeasible":  # nothing with k candidates beats the target
        return found, max(excluded, cut)
    if found.status == "no-solution" or found.bound is None:  # out of time: the LP value bounds it
        return found, relaxation.value
    return found, max(found.bound, excluded, cut)
