"""Invariants of the analytics' statistics against naive reference computations."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from governance.analytics import BINS, brier, summarise
from governance.analytics.report import DecisionRow

probability = st.integers(0, 10_000).map(lambda n: Decimal(n) / 10_000)
pairs = st.lists(st.tuples(probability, st.integers(0, 1)), max_size=60)


@given(pairs)
def test_brier_is_the_mean_squared_error_and_its_parts_add_up(data: list[tuple[Decimal, int]]) -> None:
    result = brier(data)
    assert sum(b.count for b in result.bins) == len(data) == result.count
    assert len(result.bins) == BINS
    if not data:
        assert result.score is None
        return
    naive = sum((Fraction(f) - o) ** 2 for f, o in data) / len(data)
    assert result.score == naive
    assert 0 <= naive <= 1
    assert result.uncertainty == result.base_rate * (1 - result.base_rate)  # type: ignore[operator]
    # Murphy: exact when every forecast in a bin is the same; the within-bin spread is what is left over.
    spread = sum(
        ((Fraction(f) - b.forecast) ** 2 for b in result.bins if b.count for f, _ in data
         if b.low <= f < b.high or (b.high == 1 and f == 1)),
        Fraction(0),
    )  # fmt: skip
    cross = sum(
        (2 * (Fraction(f) - b.forecast) * (b.forecast - o) for b in result.bins if b.count
         for f, o in data if b.low <= f < b.high or (b.high == 1 and f == 1)),
        Fraction(0),
    )  # fmt: skip
    parts = result.reliability - result.resolution + result.uncertainty  # type: ignore[operator]
    assert naive == parts + (spread + cross) / len(data)


outcome = st.sampled_from(["go", "conditional-go", "hold", "recycle", "kill"])
fate = st.sampled_from(["completed", "stopped", "killed", "withdrawn", "active", "in-stage"])


@st.composite
def rows(draw: st.DrawFn) -> DecisionRow:
    import datetime as dt

    return DecisionRow(
        1, "P-2026-0001", 1, draw(outcome), draw(outcome), dt.date(2027, 1, 1), draw(st.none() | st.integers(0, 400)),
        draw(st.none() | probability), draw(fate), None, None, None, None, None, None, None, None, None,
    )  # fmt: skip


@given(st.lists(rows(), max_size=40))
def test_counts_add_up(items: list[DecisionRow]) -> None:
    import datetime as dt

    s = summarise(items, 1, "Gate 1", dt.date(2029, 1, 1))
    assert s.decisions == len(items) == sum(s.outcomes.values())
    kills = sum(1 for r in items if r.outcome == "kill")
    assert s.kill_rate == (None if not items else (Decimal(kills) / len(items)).quantize(Decimal("0.0001")))
    goes = [r for r in items if r.outcome in ("go", "conditional-go")]
    assert s.calibration.count + s.open_goes + sum(
        1 for r in goes if r.forecast is None and r.resolved is not None
    ) == len(goes)
    assert sum(b.count for b in s.calibration.bins) == s.calibration.count
    assert (
        s.overrides
        == sum(s.directions.values())
        == s.overridden.goes + sum(1 for r in items if r.overridden and r.outcome not in ("go", "conditional-go"))
    )
    assert s.overridden.goes + s.followed.goes == len(goes)
