"""Charts as inline SVG, made here: vector, selectable text, deterministic, every label escaped.

Coordinates are written with two decimals from Decimal arithmetic turned to float only for
drawing, so the same data gives the same bytes on every machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

__all__ = ["Bar", "Bubble", "FrontierPoint", "bubble_chart", "bucket_chart", "frontier_chart", "short_money"]

_FONT = 'font-family="DejaVu Sans" font-size="9"'
_INK = "#1f2933"
_GRID = "#d5dbe1"
_ACCENT = "#1d5fa7"
_MUTED = "#9aa5b1"
_WARN = "#c2410c"


def short_money(value: float) -> str:
    """`1250000` -> `1.25M`, `-48000` -> `-48k`: axis labels."""
    sign = "\u2212" if value < 0 else ""
    v = abs(value)
    if v >= 1_000_000:
        return f"{sign}{v / 1_000_000:.2f}M"
    if v >= 1_000:
        return f"{sign}{v / 1_000:.0f}k"
    return f"{sign}{v:.0f}"


def _f(x: float) -> str:
    return f"{x:.2f}"


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    if high <= low:
        high = low + 1
    step = (high - low) / (count - 1)
    return [low + i * step for i in range(count)]


def _svg(width: int, height: int, body: list[str], label: str) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">'
    )
    # Every piece was built here from numbers and escape()d text.
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704


def _text(x: float, y: float, text: str, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{_f(x)}" y="{_f(y)}" text-anchor="{anchor}" {_FONT} fill="{_INK}"{extra}>{escape(text)}</text>'


@dataclass(frozen=True, slots=True)
class FrontierPoint:
    budget: Decimal
    value: Decimal | None  # None: no feasible selection at that budget
    chosen: bool = False  # the budget the selection was made at


def frontier_chart(points: Sequence[FrontierPoint], *, width: int = 620, height: int = 260) -> Markup:
    """Value of the best portfolio at each budget level: a line, infeasible levels as open marks."""
    left, right, top, bottom = 70, 20, 20, 40
    pw, ph = width - left - right, height - top - bottom
    feasible = [p for p in points if p.value is not None]
    body: list[str] = []
    if not points:
        body.append(_text(width / 2, height / 2, "no frontier was computed", "middle"))
        return _svg(width, height, body, "efficient frontier")
    xs = [float(p.budget) for p in points]
    ys = [float(p.value) for p in feasible if p.value is not None] or [0.0]
    x_lo, x_hi = min(xs), max(xs)
    y_lo, y_hi = min(0.0, min(ys)), max(0.0, max(ys))
    if x_hi == x_lo:
        x_hi = x_lo + 1
    if y_hi == y_lo:
        y_hi = y_lo + 1

    def px(x: float) -> float:
        return left + (x - x_lo) / (x_hi - x_lo) * pw

    def py(y: float) -> float:
        return top + ph - (y - y_lo) / (y_hi - y_lo) * ph

    for t in _ticks(y_lo, y_hi):
        body.append(f'<line x1="{_f(left)}" y1="{_f(py(t))}" x2="{_f(left + pw)}" y2="{_f(py(t))}" stroke="{_GRID}"/>')
        body.append(_text(left - 6, py(t) + 3, short_money(t), "end"))
    for t in _ticks(x_lo, x_hi):
        body.append(_text(px(t), top + ph + 14, short_money(t), "middle"))
    body.append(_text(left + pw / 2, height - 6, "budget", "middle"))
    body.append(_text(12, top + ph / 2, "value", "middle", f' transform="rotate(-90 12 {_f(top + ph / 2)})"'))
    if len(feasible) > 1:
        path = " ".join(f"{_f(px(float(p.budget)))},{_f(py(float(p.value or 0)))}" for p in feasible)
        body.append(f'<polyline points="{path}" fill="none" stroke="{_ACCENT}" stroke-width="1.5"/>')
    for p in points:
        x = px(float(p.budget))
        if p.value is None:
            body.append(f'<circle cx="{_f(x)}" cy="{_f(py(0))}" r="3" fill="white" stroke="{_MUTED}"/>')
            continue
        y = py(float(p.value))
        if p.chosen:
            body.append(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="5" fill="{_WARN}"/>')
            body.append(_text(x + 7, y - 6, f"chosen: {short_money(float(p.value))}"))
        else:
            body.append(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="3" fill="{_ACCENT}"/>')
    return _svg(width, height, body, "efficient frontier")


@dataclass(frozen=True, slots=True)
class Bubble:
    label: str
    risk: int  # 0: no status report (pipeline), 1 low .. 4 critical
    value: Decimal
    cost: Decimal
    selected: bool


RISK_LABELS = ("no report", "low", "medium", "high", "critical")


def bubble_chart(bubbles: Sequence[Bubble], *, width: int = 620, height: int = 300) -> Markup:
    """Risk (columns) against value, bubble area by cost; filled when selected."""
    left, right, top, bottom = 70, 20, 20, 40
    pw, ph = width - left - right, height - top - bottom
    body: list[str] = []
    values = [float(b.value) for b in bubbles] or [0.0]
    y_lo, y_hi = min(0.0, min(values)), max(0.0, max(values))
    if y_hi == y_lo:
        y_hi = y_lo + 1
    max_cost = max((float(b.cost) for b in bubbles), default=1.0) or 1.0
    col = pw / len(RISK_LABELS)

    def py(y: float) -> float:
        return top + ph - (y - y_lo) / (y_hi - y_lo) * ph

    for t in _ticks(y_lo, y_hi):
        body.append(f'<line x1="{_f(left)}" y1="{_f(py(t))}" x2="{_f(left + pw)}" y2="{_f(py(t))}" stroke="{_GRID}"/>')
        body.append(_text(left - 6, py(t) + 3, short_money(t), "end"))
    for i, name in enumerate(RISK_LABELS):
        body.append(_text(left + col * (i + 0.5), top + ph + 14, name, "middle"))
    body.append(_text(left + pw / 2, height - 6, "risk (newest status report)", "middle"))
    body.append(_text(12, top + ph / 2, "value", "middle", f' transform="rotate(-90 12 {_f(top + ph / 2)})"'))
    # Spread bubbles of one column sideways by a fixed, data-derived offset (no randomness).
    order = sorted(range(len(bubbles)), key=lambda i: (-float(bubbles[i].cost), bubbles[i].label))
    per_column: dict[int, int] = {}
    for i in order:
        b = bubbles[i]
        risk = min(max(b.risk, 0), len(RISK_LABELS) - 1)
        k = per_column.get(risk, 0)
        per_column[risk] = k + 1
        offset = ((k * 37) % 100 / 100 - 0.5) * col * 0.7
        x = left + col * (risk + 0.5) + offset
        r = 2 + 14 * (max(float(b.cost), 0.0) / max_cost) ** 0.5
        fill = _ACCENT if b.selected else "none"
        body.append(
            f'<circle cx="{_f(x)}" cy="{_f(py(float(b.value)))}" r="{_f(r)}" fill="{fill}" fill-opacity="0.45" '
            f'stroke="{_ACCENT}" stroke-width="0.8"/>'
        )
    return _svg(width, height, body, "risk and value of each candidate")


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    spend: Decimal
    minimum: Decimal | None
    maximum: Decimal | None


def bucket_chart(bars: Sequence[Bar], *, width: int = 620, row: int = 26) -> Markup:
    """Spend per bucket as bars, with the bucket's lower and upper bounds as marks."""
    left, right, top = 120, 70, 10
    height = top + row * max(len(bars), 1) + 30
    pw = width - left - right
    high = max([float(b.spend) for b in bars] + [float(b.maximum) for b in bars if b.maximum is not None] + [1.0])
    body: list[str] = []

    def px(x: float) -> float:
        return left + x / high * pw

    for i, b in enumerate(bars):
        y = top + i * row
        outside = (b.minimum is not None and b.spend < b.minimum) or (b.maximum is not None and b.spend > b.maximum)
        colour = _WARN if outside else _ACCENT
        label = b.label if len(b.label) <= 18 else b.label[:17] + "\u2026"
        body.append(_text(left - 6, y + row / 2 + 3, label, "end"))
        body.append(
            f'<rect x="{_f(left)}" y="{_f(y + 6)}" width="{_f(max(px(float(b.spend)) - left, 0))}" '
            f'height="{_f(row - 12)}" fill="{colour}"/>'
        )
        for bound in (b.minimum, b.maximum):
            if bound is not None:
                x = px(float(bound))
                body.append(
                    f'<line x1="{_f(x)}" y1="{_f(y + 2)}" x2="{_f(x)}" y2="{_f(y + row - 2)}" '
                    f'stroke="{_INK}" stroke-width="1.5"/>'
                )
        body.append(_text(px(float(b.spend)) + 4, y + row / 2 + 3, short_money(float(b.spend))))
    axis_y = top + row * max(len(bars), 1) + 14
    for t in _ticks(0, high):
        body.append(_text(px(t), axis_y, short_money(t), "middle"))
    return _svg(width, height, body, "budget by bucket against its bounds")
