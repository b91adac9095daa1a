"""A better selection by exchanges: a few candidates out, a few in.

On the realistic hard programs (bench `hard_selection`, tight bounds and capacities) plain HiGHS
finds a selection within 0.05-0.1 % of the optimum at its root and then takes seconds to minutes
to find the last few hundredths of a per cent by branching, while its bound after the root's cuts
is within 0.1 % of the optimum: the optimum, once known, ends the proof. The last step is often a
handful of exchanges (measured, realistic n = 500 at 20 %: seed 3's root selection is two out and
three in from the optimum; seed 2's is one exchange of three out and two in from a selection good
enough for the proof), which a search over exchanges finds in a fraction of a second.

`exchanged` searches exchanges of up to three candidates out and three in among those the LP
relaxation ranks nearest to leaving and to entering the selection, the cheapest kinds first, and
takes the best exchange of the first kind that has one, until no exchange improves the selection.
Each better selection is handed on as it is found. It proves nothing: the bound stays HiGHS's.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from governance.selection.problem import Floats

__all__ = ["KINDS", "Matrix", "exchanged", "ranked"]

# (out, in): the kinds of exchange, cheapest to search first (measured, realistic n = 500: the kinds
# up to two and two take 1-12 ms, three and two 50-90 ms, two and three 90-210 ms, three and three
# 430-510 ms).
KINDS = tuple(sorted(((a, b) for a in range(4) for b in range(4) if a or b), key=lambda k: (max(k), k[0] + k[1], k[1])))
# Of the selected and of the rest, how many the search takes, in the LP's order (measured, realistic
# n = 500 seeds 2 and 3: the exchanges to the optimum or to a selection good enough for the proof
# are within the 21 nearest to leaving and the 24 nearest to entering).
WIDTH_OUT = 25
WIDTH_IN = 30


def ranked(selected: np.ndarray, free: np.ndarray, x: Floats, reduced: Floats) -> tuple[np.ndarray, np.ndarray]:
    """The free candidates in the LP relaxation's order: of the selected, those nearest to leaving
    first (fractional in the LP, then by reduced cost, least first); of the rest, those nearest to
    entering first (fractional, then by reduced cost, nearest zero first)."""
    out = np.flatnonzero(selected & free)
    into = np.flatnonzero(~selected & free)
    fractional = (x > 1e-9) & (x < 1 - 1e-9)
    out_key = np.where(fractional[out], -np.inf, reduced[out])
    into_key = np.where(fractional[into], -np.inf, -reduced[into])
    return out[np.argsort(out_key, kind="stable")], into[np.argsort(into_key, kind="stable")]


def exchanged(
    matrix: Matrix,
    row_lower: Floats,
    row_upper: Floats,
    objective: Floats,
    selected: np.ndarray,
    order: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    unit: float,
    found: Callable[[np.ndarray], None],
    over: Callable[[], bool],
    kinds: tuple[tuple[int, int], ...] = KINDS,
) -> np.ndarray:
    """The selection (`selected`, a boolean per column, keeping to every row) improved by
    exchanges of `kinds` (cheapest first) until none is worth at least `unit` more; `found` gets
    each better one, `over` stops the search early. `order(selected)` gives the candidates to take
    out and to put in, nearest first."""
    selected = selected.copy()
    lower = row_lower - 1e-6 * np.maximum(1.0, np.abs(row_lower))
    upper = row_upper + 1e-6 * np.maximum(1.0, np.abs(row_upper))
    improved = True
    while improved and not over():
        improved = False
        out, into = order(selected)
        out, into = out[:WIDTH_OUT], into[:WIDTH_IN]
        near = np.concatenate([out, into])  # searched by place: `out` first, then `into`
        search = _Search(matrix.dense(near), objective[near], matrix.activity(selected), lower, upper)
        leaving, entering = np.arange(len(out)), np.arange(len(out), len(near))
        for kind in kinds:
            move = search.best(leaving, entering, kind, unit, over)
            if move is not None:
                leave, enter = move
                selected[near[leave]] = False
                selected[near[enter]] = True
                found(selected.copy())
                improved = True
                break
    return selected


@dataclass(frozen=True, slots=True)
class Matrix:
    """A constraint matrix, column-wise (as HiGHS takes it)."""

    rows: int
    start: np.ndarray
    index: np.ndarray
    coef: Floats

    def dense(self, columns: np.ndarray) -> Floats:
        """These columns, dense (rows by columns)."""
        out = np.zeros((self.rows, len(columns)))
        for k, j in enumerate(columns.tolist()):
            at = slice(self.start[j], self.start[j + 1])
            out[self.index[at], k] = self.coef[at]
        return out

    def activity(self, selected: np.ndarray) -> Floats:
        """Each row's activity with the selected columns at one and the rest at zero."""
        weights = self.coef * np.repeat(selected.astype(np.float64), np.diff(self.start))
        activity: Floats = np.bincount(self.index, weights=weights, minlength=self.rows).astype(np.float64)
        return activity


@dataclass(frozen=True, slots=True)
class _Search:
    """The candidates searched (by place): their columns, dense, and their values; the rows'
    activity with the selection, and their bounds (with HiGHS's tolerance)."""

    columns: Floats
    values: Floats
    activity: Floats
    lower: Floats
    upper: Floats

    def best(
        self, out: np.ndarray, into: np.ndarray, kind: tuple[int, int], unit: float, over: Callable[[], bool]
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """The exchange of this kind (so many of `out` out, so many of `into` in) worth the most, as
        places, if one keeps to every row and is worth at least `unit` more; None otherwise."""
        leaving, entering = _subsets(out, kind[0]), _subsets(into, kind[1])
        if len(leaving) == 0 or len(entering) == 0:
            return None
        lose = self.values[leaving].sum(axis=1)
        gain = self.values[entering].sum(axis=1)
        by_gain = np.argsort(-gain, kind="stable")
        entering, gain = entering[by_gain], gain[by_gain]
        # A row per subset: what it adds to each row's activity by entering, or takes by leaving.
        added = self.columns[:, entering].sum(axis=2).T
        removed = self.columns[:, leaving].sum(axis=2).T
        best, move = unit / 2, None
        negated = -gain
        for i in range(len(leaving)):
            # Only the subsets entering worth more than this one leaving and the best exchange so
            # far: sorted by worth, a prefix.
            m = int(np.searchsorted(negated, -(lose[i] + best), side="left"))
            if m == 0:
                continue
            after = self.activity - removed[i] + added[:m]
            keeps = np.flatnonzero(np.all((after >= self.lower) & (after <= self.upper), axis=1))
            if len(keeps):
                j = int(keeps[0])  # the worthiest that keeps to the rows
                best, move = gain[j] - lose[i], (leaving[i], entering[j])
            if over():
                return None
        return move


def _subsets(places: np.ndarray, size: int) -> np.ndarray:
    """Every subset of `places` of this size, a row each (one empty row for size 0)."""
    if size == 0:
        return np.zeros((1, 0), dtype=np.intp)
    return np.array(list(itertools.combinations(places.tolist(), size)), dtype=np.intp).reshape(-1, size)
