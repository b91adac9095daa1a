"""The integer program at one budget, built from the index form, and its hand-over to HiGHS.

The matrix comes whole from the index form; a budget level sets the bounds: each named
constraint (`problem.constraints`) bounds one side of its row, or fixes a forced candidate's
column. Columns are binary.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import highspy
import numpy as np

from governance.selection.problem import Constraint, Floats, IndexForm, constraints

__all__ = ["Model", "build_model", "pass_model"]

_INF = math.inf


@dataclass(frozen=True, slots=True)
class Model:
    """The program at one budget: row and column bounds, and the named constraints behind them."""

    data: IndexForm
    col_lower: Floats
    col_upper: Floats
    row_lower: Floats
    row_upper: Floats
    constraints: list[Constraint]  # conflicts are made of these


def build_model(data: IndexForm, budget: Mapping[str, Decimal]) -> Model:
    """The integer program at `budget`."""
    named = constraints(data, budget)
    row_lower, row_upper = np.full(data.row_count, -_INF), np.full(data.row_count, _INF)
    n = len(data.ids)
    col_lower, col_upper = np.zeros(n), np.ones(n)
    for c in named:
        if c.row is None:
            (i,) = c.candidates
            if c.kind == "force-in":
                col_lower[i] = 1.0
            else:
                col_upper[i] = 0.0
        elif c.side == "upper":
            row_upper[c.row] = float(c.bound)
        else:
            row_lower[c.row] = float(c.bound)
    return Model(
        data=data,
        col_lower=col_lower,
        col_upper=col_upper,
        row_lower=row_lower,
        row_upper=row_upper,
        constraints=named,
    )


def pass_model(
    h: highspy.Highs,
    model: Model,
    cost: Floats,
    row_lower: Floats,
    row_upper: Floats,
    col_lower: Floats,
    col_upper: Floats,
) -> None:
    """Hand `model`'s matrix to `h`, with this objective and these bounds (maximised, binary)."""
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
