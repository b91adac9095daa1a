"""The root LP's verdict, and what both sides of the race (split.py) ask of a model's selections.

`rounded` is the second core's first step on every program: the LP relaxation's ones (the
fractional rounded down) or the caller's start, whichever fits and is worth more, improved by
exchanges of one candidate (in, out, or one for one: `swaps.exchanged` with `ROOT_KINDS`); if that
selection is within the gap of the LP's value, the LP proves it, and it is the race's answer
whichever side ends first. Measured on the 5,000-candidate bench program: the LP in 20 ms, its
ones 0.083 % below its value and three exchanges (3 ms) 0.036 %, where plain HiGHS takes 0.18 s,
0.12 s of it a presolve that HiGHS does not interrupt, to prove the same bound. On the hard kinds
there is no proof here (the realistic kind's ones miss a bucket minimum; on knapsacks they end 1.3-
1.9 % below the LP's value), and the split goes on from the same LP.

A selection is a list of column indexes, ascending.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import highspy
import numpy as np

from governance.selection.model import Model
from governance.selection.problem import CENT, SHARE, Floats
from governance.selection.runs import Run
from governance.selection.swaps import KINDS, Matrix, exchanged, ranked
from models.selection import SolverOptions

__all__ = [
    "ROOT_KINDS",
    "Relaxation",
    "ask_more_than",
    "fits",
    "matrix",
    "ones",
    "rounded",
    "unit",
    "worth",
]

# The root's exchanges: one candidate in, out, or one for one (measured, 5,000-candidate bench
# program: 3 ms; up to two and two 78 ms, three and three 8.8 s, none of them better there).
ROOT_KINDS = tuple(k for k in KINDS if max(k) == 1)


@dataclass(frozen=True, slots=True)
class Relaxation:
    """An LP relaxation's optimum: its value, its solution and its reduced costs."""

    value: float
    x: Floats
    reduced: Floats  # reduced costs (maximising: <= 0 at the lower bound, >= 0 at the upper)


def ones(x: Sequence[float] | Floats) -> list[int]:
    """The selected columns of a solution."""
    return np.flatnonzero(np.asarray(x) > 0.5).tolist()


def matrix(model: Model) -> Matrix:
    data = model.data
    return Matrix(data.row_count, data.start, data.index, data.coef)


def worth(model: Model, chosen: Sequence[int]) -> float:
    return float(model.data.objective[list(chosen)].sum()) if chosen else 0.0


def fits(model: Model, chosen: Sequence[int]) -> bool:
    """Whether `chosen` keeps to every row and column bound of `model` (to HiGHS's tolerance)."""
    x = np.zeros(len(model.col_lower))
    x[list(chosen)] = 1.0
    if np.any(x < model.col_lower) or np.any(x > model.col_upper):
        return False
    activity = matrix(model).activity(x)
    slack = 1e-6 * np.maximum(1.0, np.abs(activity))
    return bool(np.all(activity >= model.row_lower - slack) and np.all(activity <= model.row_upper + slack))


def unit(model: Model) -> float:
    """A value's smallest unit: values are whole cents, or whole ten-thousandths of a score."""
    return float(SHARE if model.data.problem.value_measure == "score" else CENT)


def ask_more_than(h: highspy.Highs, model: Model, target: float) -> None:
    """A row asking for a selection worth more than `target`: at least half of a value's smallest
    unit more (values are whole cents, or whole ten-thousandths of a score), well clear of HiGHS's
    tolerances; a selection worth more than `target` is worth at least a unit more."""
    n = len(model.col_lower)
    h.addRow(target + unit(model) / 2, math.inf, n, np.arange(n, dtype=np.int32), model.data.objective)


def rounded(
    model: Model, options: SolverOptions, root: Relaxation, start: Sequence[int] | None, left: Callable[[], float]
) -> Run | None:
    """The root LP's proof, if it has one (see the module's docstring): the selection and the LP's
    value as its bound; None when there is none here, or when the time (`left`) ran out first. The
    same inputs, the same verdict: nothing here waits on plain HiGHS or stops when it ends."""
    free = model.col_upper > model.col_lower
    origins = [np.flatnonzero(root.x >= 1 - 1e-9).tolist(), *([] if start is None else [list(start)])]
    fitting = [chosen for chosen in origins if fits(model, chosen)]
    if not fitting:
        return None
    selected = np.zeros(len(free), dtype=bool)
    selected[max(fitting, key=lambda c: worth(model, c))] = True
    last = exchanged(
        matrix(model),
        model.row_lower,
        model.row_upper,
        model.data.objective,
        selected,
        lambda s: ranked(s, free, root.x, root.reduced),
        unit(model),
        lambda s: None,
        lambda: left() <= 0,
        ROOT_KINDS,
    )
    if left() <= 0:
        return None  # cut short by the time limit: not the same on every run
    chosen = ones(last)
    value = worth(model, chosen)
    bound = max(root.value, value)
    if bound - value > float(options.mip_rel_gap) * abs(value):
        return None
    return Run("optimal", chosen, bound)
