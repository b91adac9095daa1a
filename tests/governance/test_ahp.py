from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.ahp import ahp_weights
from governance.errors import PolicyError
from models.policy import AhpMatrix


def test_saaty_example_weights_and_consistency() -> None:
    result = ahp_weights(
        AhpMatrix(
            criteria=["a", "b", "c", "d"],
            matrix=[[1, "1/3", "1/9", "1/5"], [3, 1, 1, 1], [9, 1, 1, 3], [5, 1, "1/3", 1]],
        )
    )
    assert result.weights == {
        "a": Decimal("0.057596"),
        "b": Decimal("0.266324"),
        "c": Decimal("0.454626"),
        "d": Decimal("0.221453"),
    }
    assert (result.lambda_max, result.consistency_index, result.consistency_ratio) == (
        Decimal("4.1873"),
        Decimal("0.0624"),
        Decimal("0.0694"),
    )


def test_inconsistent_matrix_is_refused_with_its_cr() -> None:
    # a > b (9), b > c (9), yet c > a (9): circular judgements.
    with pytest.raises(PolicyError) as refused:
        ahp_weights(AhpMatrix(criteria=["a", "b", "c"], matrix=[[1, 9, "1/9"], ["1/9", 1, 9], [9, "1/9", 1]]))
    assert str(refused.value) == (
        "AHP matrix is inconsistent: consistency ratio 6.1303 >= 0.10 (lambda_max 10.1111, n 3); "
        "revise the pairwise judgements [policy-invalid]"
    )


def test_non_reciprocal_matrix_is_invalid() -> None:
    with pytest.raises(ValueError, match=r"matrix\[0\]\[1\] and matrix\[1\]\[0\] must be reciprocal"):
        AhpMatrix(criteria=["a", "b"], matrix=[[1, 3], [3, 1]])


@given(st.lists(st.integers(1, 9), min_size=3, max_size=8))
def test_consistent_matrices_give_back_their_weights(raw: list[int]) -> None:
    """A perfectly consistent matrix (a_ij = w_i / w_j) has CR 0 and returns w, normalised."""
    total = sum(raw)
    n = len(raw)
    matrix = [[Decimal(raw[i]) / Decimal(raw[j]) for j in range(n)] for i in range(n)]
    if any(not (Decimal(1) / 9 <= v <= 9) for row in matrix for v in row):
        return  # outside Saaty's scale: not a valid policy matrix
    result = ahp_weights(AhpMatrix(criteria=[f"c{i}" for i in range(n)], matrix=matrix))
    assert result.consistency_ratio == 0
    for i, w in enumerate(result.weights.values()):
        assert abs(w - Decimal(raw[i]) / total) <= Decimal("0.000002")
