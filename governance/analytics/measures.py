"""The statistics the analytics use, each defined once: quantiles, the Brier score and its parts, the
reliability bins, and the P50/P90 of a sum of three-point estimates.

Probabilities and scores are computed exactly (fractions) and rounded to 4 places only when shown.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from statistics import NormalDist

__all__ = ["BINS", "Bin", "Brier", "brier", "median", "nearest_rank", "pert_p50_p90", "rounded"]

_SCALE_PLACES = 8
BINS = 10  # reliability bins of equal width: [0, 0.1), [0.1, 0.2), ... [0.9, 1.0]
_PLACES = Decimal("0.0001")
_Z90 = NormalDist().inv_cdf(0.9)


def rounded(value: Fraction | Decimal | float | None, places: Decimal = _PLACES) -> Decimal | None:
    """A value to 4 decimal places (half to even), None kept."""
    if value is None:
        return None
    if isinstance(value, Fraction):
        return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(places, ROUND_HALF_EVEN)
    return Decimal(str(value)).quantize(places, ROUND_HALF_EVEN)


def median(values: Sequence[Decimal | int]) -> Decimal | None:
    """The middle value (the mean of the two middle ones for an even count); None for none."""
    ordered = sorted(Decimal(v) for v in values)
    if not ordered:
        return None
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def nearest_rank(values: Sequence[Decimal | int], share: Fraction) -> Decimal | None:
    """The nearest-rank quantile: the smallest value with at least `share` of the values at or below it."""
    ordered = sorted(Decimal(v) for v in values)
    if not ordered:
        return None
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class Bin:
    """One reliability bin: forecasts in [low, high) (the last bin includes 1), how many, their mean
    forecast and how often the event happened."""

    low: Decimal
    high: Decimal
    count: int
    forecast: Fraction | None
    observed: Fraction | None


@dataclass(frozen=True, slots=True)
class Brier:
    """The Brier score of probability forecasts against 0/1 outcomes, its binned Murphy decomposition
    (reliability - resolution + uncertainty, equal to the score when every forecast in a bin is the
    same) and the climatology baseline (always forecasting the observed base rate: its score is the
    uncertainty)."""

    count: int
    score: Fraction | None
    base_rate: Fraction | None
    reliability: Fraction | None
    resolution: Fraction | None
    uncertainty: Fraction | None
    skill: Fraction | None  # 1 - score / uncertainty: above 0 beats climatology
    bins: tuple[Bin, ...]


def brier(pairs: Sequence[tuple[Decimal, int]]) -> Brier:
    """The Brier score of `(forecast, outcome)` pairs (outcome 1 or 0), its parts and the reliability bins."""
    # Exact in integers: a forecast is a decimal of at most `_SCALE_PLACES` places (p_technical x
    # p_commercial: 4 + 4), so f * 10^8 is whole; the sums become fractions only once at the end (Fraction
    # arithmetic per pair was a quarter of the bench's time). `test_brier_is_the_mean_squared_error` holds
    # it to the plain mean of (f - o)^2 in fractions.
    count = len(pairs)
    one = 10**_SCALE_PLACES
    sums = [[0, 0, 0] for _ in range(BINS)]  # per bin: count, sum of scaled forecasts, successes
    square = 0
    for forecast, outcome in pairs:
        scaled = int(forecast * one)
        if scaled != forecast * one:
            raise ValueError(f"forecast {forecast} has more than {_SCALE_PLACES} decimal places")
        k = min(BINS - 1, scaled * BINS // one)
        sums[k][0] += 1
        sums[k][1] += scaled
        sums[k][2] += outcome
        square += (scaled - outcome * one) ** 2
    bins = tuple(
        Bin(
            Decimal(i) / BINS,
            Decimal(i + 1) / BINS,
            n,
            Fraction(total, n * one) if n else None,
            Fraction(hits, n) if n else None,
        )
        for i, (n, total, hits) in enumerate(sums)
    )
    if not count:
        return Brier(0, None, None, None, None, None, None, bins)
    score = Fraction(square, count * one * one)
    rate = Fraction(sum(hits for _, _, hits in sums), count)
    full = [b for b in bins if b.count and b.forecast is not None and b.observed is not None]
    reliability = sum((b.count * (b.forecast - b.observed) ** 2 for b in full), Fraction(0)) / count  # type: ignore[operator]
    resolution = sum((b.count * (b.observed - rate) ** 2 for b in full), Fraction(0)) / count  # type: ignore[operator]
    uncertainty = rate * (1 - rate)
    skill = 1 - score / uncertainty if uncertainty else None
    return Brier(count, score, rate, reliability, resolution, uncertainty, skill, bins)


def pert_p50_p90(items: Sequence[tuple[Decimal, Decimal, Decimal]]) -> tuple[Decimal, Decimal]:
    """The P50 and P90 of the sum of independent PERT estimates `(low, likely, high)`, by the normal
    approximation of the sum: each PERT's mean (low + 4 likely + high) / 6 and variance
    (mean - low)(high - mean) / 7, summed; P50 = the summed mean, P90 = mean + 1.2816 sd. A point amount
    (low = likely = high) adds its value and no variance. Rounded to cents."""
    mean = 0.0
    variance = 0.0
    for low, likely, high in items:
        a, m, b = float(low), float(likely), float(high)
        mu = (a + 4 * m + b) / 6
        mean += mu
        variance += (mu - a) * (b - mu) / 7
    cent = Decimal("0.01")
    return rounded(mean, cent) or Decimal(0), rounded(mean + _Z90 * math.sqrt(variance), cent) or Decimal(0)
