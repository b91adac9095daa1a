"""The board pack's risk charts (inline SVG, as governance.packs.charts makes them): the distribution of
the portfolio's value as an S-curve, and a fan chart of spend per period against budget.

The value's distribution is drawn from the percentiles a `simulated` record keeps (5 %, 10 %, ...,
95 %) as its cumulative curve: the chance that the value is at most x. A cumulative curve shows what a
histogram cannot from these figures: a jump where many trials end on one value (a project that fails
costs exactly its spend), and it needs no choice of bins. The tails beyond P5 and P95 are not drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup

from governance.packs.charts import _ACCENT, _GRID, _INK, _MUTED, _WARN, _f, _grid_y, _range, _svg, _text, _title, _unit
from governance.packs.charts import short_money as _short

__all__ = ["SpendBand", "spend_fan_chart", "value_curve"]


def value_curve(
    percentiles: Sequence[Decimal], marks: Sequence[tuple[str, Decimal]], currency: str | None, *, width: int = 620
) -> Markup:
    """The cumulative distribution of value through the percentiles at 5 %, 10 %, ..., 95 %, with `marks`
    (P10, P50, P90, mean) drawn on it and the region below zero shaded."""
    left, right, top, bottom = 44, 20, 26, 34
    height = 220
    pw, ph = width - left - right, height - top - bottom
    body: list[str] = []
    _title(body, 4, f"Portfolio value: chance it is at most x{_unit(currency)}")
    values = [float(v) for v in percentiles]
    low, high = min([*values, 0.0]), max([*values, 0.0])
    ticks, x_lo, x_hi = _range(low, high, 6)
    span = (x_hi - x_lo) or 1.0

    def px(x: float) -> float:
        return left + (x - x_lo) / span * pw

    def py(p: float) -> float:
        return top + ph - p * ph

    for p in (0.0, 0.25, 0.5, 0.75, 1.0):
        body.append(f'<line x1="{_f(left)}" y1="{_f(py(p))}" x2="{_f(left + pw)}" y2="{_f(py(p))}" stroke="{_GRID}"/>')
        body.append(_text(left - 6, py(p) + 3, f"{p:.0%}", "end"))
    for t in ticks:
        body.append(_text(px(t), top + ph + 12, _short(t), "middle"))
    if x_lo < 0:
        zero = px(0.0)
        body.append(
            f'<rect x="{_f(left)}" y="{_f(top)}" width="{_f(zero - left)}" height="{_f(ph)}" fill="{_WARN}" '
            'fill-opacity="0.08"/>'
        )
        body.append(f'<line x1="{_f(zero)}" y1="{_f(top)}" x2="{_f(zero)}" y2="{_f(top + ph)}" stroke="{_WARN}"/>')
        body.append(_text(zero - 4, top + 10, "loss", "end", f' fill="{_WARN}"'))
    shares = [k / 20 for k in range(1, 20)]
    points = " ".join(f"{_f(px(v))},{_f(py(p))}" for v, p in zip(values, shares, strict=True))
    body.append(f'<polyline points="{points}" fill="none" stroke="{_ACCENT}" stroke-width="1.6"/>')
    for label, value in marks:
        x = px(float(value))
        body.append(
            f'<line x1="{_f(x)}" y1="{_f(top)}" x2="{_f(x)}" y2="{_f(top + ph)}" stroke="{_MUTED}" '
            'stroke-dasharray="3,2"/>'
        )
        body.append(_text(x + 2, top + ph - 4, f"{label} {_short(float(value))}", "start", ' font-size="8"'))
    body.append(_text(left + pw / 2, height - 6, "portfolio value at the end of the trials", "middle"))
    return _svg(width, height, body, "cumulative distribution of the portfolio's value")


@dataclass(frozen=True, slots=True)
class SpendBand:
    """One period's simulated spend (P10, P50, P90) and its budget."""

    label: str
    budget: Decimal
    p10: Decimal
    p50: Decimal
    p90: Decimal
    p_over: Decimal


def spend_fan_chart(periods: Sequence[SpendBand], currency: str | None, *, width: int = 620) -> Markup:
    """Spend per period as a fan: the P10 to P90 band, the P50 line, and the budget as a step line;
    each period labelled with its chance of going over budget."""
    left, right, top, bottom = 70, 20, 26, 46
    height = 220
    pw, ph = width - left - right, height - top - bottom
    body: list[str] = []
    _title(body, 4, f"Spend per period: P10 to P90 band, P50 line, budget{_unit(currency)}")
    high = max([float(p.budget) for p in periods] + [float(p.p90) for p in periods] + [1.0])
    ticks, _, y_hi = _range(0.0, high, 4)

    def py(y: float) -> float:
        return top + ph - y / y_hi * ph

    _grid_y(body, ticks, left, pw, py)
    slot = pw / max(len(periods), 1)
    xs = [left + slot * (i + 0.5) for i in range(len(periods))]
    half = min(slot * 0.35, 60)
    # Each period is a box (P10 to P90) with its P50; the band joins them when there are several.
    if len(periods) > 1:
        upper = [f"{_f(x)},{_f(py(float(p.p90)))}" for x, p in zip(xs, periods, strict=True)]
        lower = [f"{_f(x)},{_f(py(float(p.p10)))}" for x, p in reversed(list(zip(xs, periods, strict=True)))]
        body.append(f'<polygon points="{" ".join(upper + lower)}" fill="{_ACCENT}" fill-opacity="0.12"/>')
        median = " ".join(f"{_f(x)},{_f(py(float(p.p50)))}" for x, p in zip(xs, periods, strict=True))
        body.append(f'<polyline points="{median}" fill="none" stroke="{_ACCENT}" stroke-width="1.2"/>')
    for x, p in zip(xs, periods, strict=True):
        top_y, bottom_y = py(float(p.p90)), py(float(p.p10))
        body.append(
            f'<rect x="{_f(x - half / 3)}" y="{_f(top_y)}" width="{_f(2 * half / 3)}" '
            f'height="{_f(max(bottom_y - top_y, 0.8))}" fill="{_ACCENT}" fill-opacity="0.35"/>'
        )
        y50 = py(float(p.p50))
        body.append(
            f'<line x1="{_f(x - half / 3)}" y1="{_f(y50)}" x2="{_f(x + half / 3)}" y2="{_f(y50)}" '
            f'stroke="{_ACCENT}" stroke-width="2"/>'
        )
        yb = py(float(p.budget))
        over = p.p_over > 0
        body.append(
            f'<line x1="{_f(x - half)}" y1="{_f(yb)}" x2="{_f(x + half)}" y2="{_f(yb)}" '
            f'stroke="{_WARN if over else _INK}" stroke-width="1.4" stroke-dasharray="5,3"/>'
        )
        body.append(_text(x + half + 2, yb + 3, _short(float(p.budget)), "start", ' font-size="8"'))
        body.append(_text(x, top + ph + 12, p.label, "middle"))
        chance = f"P(over budget) {float(p.p_over):.1%}"
        body.append(_text(x, top + ph + 24, chance, "middle", f' fill="{_WARN}"' if over else ""))
    return _svg(width, height, body, "simulated spend per period against budget")
