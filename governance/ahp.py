"""AHP: criteria weights from a pairwise-comparison matrix (Saaty).

Weights are the principal right eigenvector of the matrix, normalised to sum to 1. The consistency
index CI = (lambda_max - n) / (n - 1) and the ratio CR = CI / RI, with Saaty's random index RI. A
matrix with CR >= 0.10 is refused: its judgements contradict each other too much to be used.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from governance.errors import PolicyError
from models.policy import AhpMatrix

__all__ = ["CR_LIMIT", "RANDOM_INDEX", "AhpWeights", "ahp_weights"]

# Saaty's random consistency index for n = 1..10 (n = 1, 2 are always consistent).
RANDOM_INDEX = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45, 10: 1.49}
CR_LIMIT = Decimal("0.10")
_WEIGHT = Decimal("0.000001")
_RATIO = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class AhpWeights:
    weights: dict[str, Decimal]  # criterion -> weight, six decimals, summing to 1 within rounding
    lambda_max: Decimal
    consistency_index: Decimal
    consistency_ratio: Decimal


def ahp_weights(ahp: AhpMatrix) -> AhpWeights:
    """Derive weights and the consistency ratio; refuse an inconsistent matrix.

    Raises:
        PolicyError: when CR >= 0.10, with the CR in the message.
    """
    n = len(ahp.criteria)
    matrix = np.array([[float(v) for v in row] for row in ahp.matrix], dtype=np.float64)
    eigenvalues, eigenvectors = np.linalg.eig(matrix)
    index = int(np.argmax(eigenvalues.real))
    lambda_max = float(eigenvalues[index].real)
    vector = np.abs(eigenvectors[:, index].real)
    vector = vector / vector.sum()
    ci = max(0.0, (lambda_max - n) / (n - 1)) if n > 2 else 0.0
    cr = ci / RANDOM_INDEX[n] if RANDOM_INDEX[n] else 0.0
    result = AhpWeights(
        weights={c: Decimal(repr(float(w))).quantize(_WEIGHT) for c, w in zip(ahp.criteria, vector, strict=True)},
        lambda_max=Decimal(repr(lambda_max)).quantize(_RATIO),
        consistency_index=Decimal(repr(ci)).quantize(_RATIO),
        consistency_ratio=Decimal(repr(cr)).quantize(_RATIO),
    )
    if result.consistency_ratio >= CR_LIMIT:
        raise PolicyError(
            f"AHP matrix is inconsistent: consistency ratio {result.consistency_ratio} >= {CR_LIMIT} "
            f"(lambda_max {result.lambda_max}, n {n}); revise the pairwise judgements"
        )
    return result
