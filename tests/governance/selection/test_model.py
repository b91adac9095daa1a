"""The integer program at one budget: the matrix from the index form, the bounds from the named
constraints."""

from __future__ import annotations

import math

import numpy as np

from governance.selection.model import build_model
from governance.selection.problem import index_form

from .builders import EVERY_KIND


def test_model_of_every_kind_of_constraint() -> None:
    model = build_model(index_form(EVERY_KIND), EVERY_KIND.budget)
    data = model.data
    matrix = np.zeros((data.row_count, len(data.ids)))
    for j in range(len(data.ids)):
        for k in range(data.start[j], data.start[j + 1]):
            matrix[data.index[k], j] = data.coef[k]
    inf = math.inf
    #                   A     B     C     E     F     G
    assert matrix.tolist() == [
        [10.0, 10.0, 10.0, 10.0, 50.0, 10.0],  # budget FY2027
        [5.0, 0.0, 0.0, 0.0, 0.0, 0.0],  # budget FY2028
        [15.0, 10.0, 10.0, 0.0, 0.0, 0.0],  # bucket core (cost over the budgeted periods)
        [0.0, 0.0, 0.0, 10.0, 50.0, 0.0],  # bucket growth
        [0.0, 0.0, 0.0, 0.0, 0.0, 10.0],  # bucket lab
        [2.0, 0.0, 0.0, 0.0, 0.0, 0.0],  # capacity engineer FY2027
        [0.0, 0.0, 1.0, -1.0, 0.0, 0.0],  # C depends on E
        [1.0, 1.0, 0.0, 0.0, 0.0, 0.0],  # A excludes B
    ]
    assert model.row_lower.tolist() == [-inf, -inf, -inf, 20.0, 5.0, -inf, -inf, -inf]
    assert model.row_upper.tolist() == [60.0, 40.0, 50.0, inf, 12.5, 3.0, 0.0, 1.0]
    assert (model.col_lower.tolist(), model.col_upper.tolist()) == ([0, 0, 0, 0, 1, 0], [1, 1, 1, 1, 1, 0])
    assert data.objective.tolist() == [30.0, 28.0, 40.0, -1.0, -5.0, 9.0]
