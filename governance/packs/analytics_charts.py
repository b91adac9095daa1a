"""The analytics pack's charts (inline SVG, as governance.packs.charts makes them): a reliability chart of
the chance of success the gates forecast against how often the projects succeeded, and the cost error of
each go per gate as dots over a box.

The reliability chart's points are the bins of `governance.analytics.brier` (mean forecast against the
observed share, the count beside each); on the diagonal a forecast meant what it said. The error chart
draws at most `_DOTS` dots a gate (every n-th, in ledger order, when there are more), a box from the 25th
to the 75th percentile and whiskers from the 10th to the 90th (nearest rank), the median as a bar.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from markupsafe import Markup

from governance.analytics import Bin, nearest_rank
from governance.packs.charts import _ACCENT, _GRID, _INK, _MUTED, _WARN, _f, _range, _svg, _text, _title

__all__ = ["GateErrors", "error_chart", "reliability_chart"]

_DOTS = 300


def reliability_chart(bins: Sequence[Bin], *, width: int = 330, height: int = 300) -> Markup:
    """Forecast chance of success (x) against the share that succeeded (y), one point per bin with its count."""
    left, right, top, bottom = 44, 14, 34, 40
    pw, ph = width - left - right, height - top - bottom
    body: list[str] = []
    _title(body, 4, "Reliability: forecast chance against outcome")

    def px(p: float) -> float:
        return left + p * pw

    def py(p: float) -> float:
        return top + ph - p * ph

    for k in range(6):
        p = k / 5
        body.append(f'<line x1="{_f(left)}" y1="{_f(py(p))}" x2="{_f(left + pw)}" y2="{_f(py(p))}" stroke="{_GRID}"/>')
        body.append(f'<line x1="{_f(px(p))}" y1="{_f(top)}" x2="{_f(px(p))}" y2="{_f(top + ph)}" stroke="{_GRID}"/>')
        body.append(_text(left - 5, py(p) + 3, f"{p:.0%}", "end"))
        body.append(_text(px(p), top + ph + 12, f"{p:.0%}", "middle"))
    body.append(
        f'<line x1="{_f(px(0))}" y1="{_f(py(0))}" x2="{_f(px(1))}" y2="{_f(py(1))}" stroke="{_MUTED}" '
        'stroke-dasharray="4,3"/>'
    )
    body.append(_text(px(0.97), py(0.97) + 12, "as forecast", "end", f' fill="{_MUTED}" font-size="8"'))
    body.append(_text(left + pw / 2, height - 14, "forecast p_technical x p_commercial at the gate", "middle"))
    body.append(_text(left + pw / 2, height - 3, "(points: forecasts binned by 10 points; n = goes)", "middle",
                      ' font-size="7.5"'))  # fmt: skip
    body.append(_text(11, top + ph / 2, "share completed", "middle", f' transform="rotate(-90 11 {_f(top + ph / 2)})"'))
    full = [b for b in bins if b.count and b.forecast is not None and b.observed is not None]
    if not full:
        body.append(_text(left + pw / 2, top + ph / 2, "no go resolved yet", "middle"))
    largest = max((b.count for b in full), default=1)
    for b in full:
        x, y = px(float(b.forecast or 0)), py(float(b.observed or 0))
        r = 2.5 + 5.5 * math.sqrt(b.count / largest)
        body.append(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(r)}" fill="{_ACCENT}" fill-opacity="0.75"/>')
        anchor = "end" if x > left + pw - 30 else "start"
        body.append(_text(x + (-r - 2 if anchor == "end" else r + 2), y - 3, f"n={b.count}", anchor,
                          ' font-size="7.5"'))  # fmt: skip
    return _svg(width, height, body, "reliability chart of the chance of success")


@dataclass(frozen=True, slots=True)
class GateErrors:
    """One gate's cost errors (shares: 0.2 is 20 % over the gate's total cost)."""

    label: str
    errors: tuple[Decimal, ...]


def _q(values: Sequence[Decimal], share: int) -> float:
    return float(nearest_rank(values, Fraction(share, 100)) or 0)


def error_chart(gates: Sequence[GateErrors], *, width: int = 330, height: int = 300) -> Markup:
    """Each go's cost error per gate: dots over a box (P25-P75), whiskers (P10-P90) and the median."""
    left, right, top, bottom = 46, 10, 26, 40
    pw, ph = width - left - right, height - top - bottom
    body: list[str] = []
    _title(body, 4, "Cost error per gate (%)")
    values = [float(e) for g in gates for e in g.errors]
    if not values:
        body.append(_text(width / 2, height / 2, "no go has a cost outcome yet", "middle"))
        return _svg(width, height, body, "cost error per gate")
    ticks, lo, hi = _range(min([*values, 0.0]), max([*values, 0.0]), 6)
    span = (hi - lo) or 1.0

    def py(v: float) -> float:
        return top + ph - (v - lo) / span * ph

    for t in ticks:
        body.append(f'<line x1="{_f(left)}" y1="{_f(py(t))}" x2="{_f(left + pw)}" y2="{_f(py(t))}" stroke="{_GRID}"/>')
        body.append(_text(left - 5, py(t) + 3, f"{t:+.0%}" if t else "0%", "end"))
    body.append(f'<line x1="{_f(left)}" y1="{_f(py(0))}" x2="{_f(left + pw)}" y2="{_f(py(0))}" stroke="{_INK}"/>')
    body.append(_text(left + pw - 2, py(0) - 3, "as promised", "end", ' font-size="7.5"'))
    slot = pw / max(len(gates), 1)
    for i, gate in enumerate(gates):
        centre = left + slot * (i + 0.5)
        body.append(_text(centre, top + ph + 12, gate.label, "middle"))
        body.append(_text(centre, top + ph + 22, f"n={len(gate.errors)}", "middle", ' font-size="7.5"'))
        if not gate.errors:
            continue
        box = min(slot * 0.5, 40.0)
        p10, p25, p50, p75, p90 = (_q(gate.errors, s) for s in (10, 25, 50, 75, 90))
        body.append(
            f'<line x1="{_f(centre)}" y1="{_f(py(p10))}" x2="{_f(centre)}" y2="{_f(py(p90))}" stroke="{_MUTED}"/>'
        )
        body.append(
            f'<rect x="{_f(centre - box / 2)}" y="{_f(py(p75))}" width="{_f(box)}" height="{_f(py(p25) - py(p75))}" '
            f'fill="{_GRID}" fill-opacity="0.6" stroke="{_MUTED}"/>'
        )
        body.append(
            f'<line x1="{_f(centre - box / 2)}" y1="{_f(py(p50))}" x2="{_f(centre + box / 2)}" y2="{_f(py(p50))}" '
            f'stroke="{_WARN}" stroke-width="2"/>'
        )
        step = max(1, math.ceil(len(gate.errors) / _DOTS))
        for k, error in enumerate(gate.errors[::step]):
            jitter = ((k * 37) % 21 - 10) / 10 * box * 0.45  # a fixed spread, the same bytes every time
            body.append(
                f'<circle cx="{_f(centre + jitter)}" cy="{_f(py(float(error)))}" r="2.4" fill="{_ACCENT}" '
                'fill-opacity="0.8"/>'
            )
    body.append(_text(left + pw / 2, height - 3, "estimate at completion against the gate's total cost", "middle",
                      ' font-size="7.5"'))  # fmt: skip
    return _svg(width, height, body, "cost error per gate")
