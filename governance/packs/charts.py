"""Charts as inline SVG, made here: vector, selectable text, deterministic, every label escaped.

Coordinates are written with two decimals from Decimal arithmetic turned to float only for
drawing, so the same data gives the same bytes on every machine.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

__all__ = [
    "Bar",
    "Bubble",
    "FrontierPoint",
    "Period",
    "TrendPoint",
    "bubble_chart",
    "bucket_chart",
    "frontier_chart",
    "period_chart",
    "short_money",
    "trend_charts",
]

_FONT = 'font-family="DejaVu Sans" font-size="9"'
_INK = "#1f2933"
_GRID = "#d5dbe1"
_ACCENT = "#1d5fa7"
_MUTED = "#9aa5b1"
_WARN = "#c2410c"


def short_money(value: float) -> str:
    """`1250000` -> `1.25M`, `3000000` -> `3M`, `-48000` -> `-48k`: axis labels."""
    sign = "\u2212" if value < 0 else ""
    v = abs(value)
    for size, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if v >= size:
            return f"{sign}{v / size:.2f}".rstrip("0").rstrip(".") + suffix
    return f"{sign}{v:.0f}"


def _f(x: float) -> str:
    return f"{x:.2f}"


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round ticks covering low .. high: steps of 1, 2, 2.5 or 5 x 10^k, about `count` of them."""
    if high <= low:
        high = low + 1
    raw = (high - low) / max(count - 1, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw * 0.999)
    first = math.floor(low / step + 1e-9) * step
    ticks: list[float] = []
    k = 0
    while not ticks or ticks[-1] < high - step * 1e-9 or len(ticks) < 2:
        ticks.append(round(first + k * step, 6))
        k += 1
    return ticks


def _range(low: float, high: float, count: int = 5) -> tuple[list[float], float, float]:
    """Round ticks and the axis range they span (the axis ends on a tick)."""
    ticks = _ticks(low, high, count)
    return ticks, min(ticks[0], low), max(ticks[-1], high)


def _svg(width: int, height: int, body: list[str], label: str) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">'
    )
    # Every piece was built here from numbers and escape()d text.
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704


def _text(x: float, y: float, text: str, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{_f(x)}" y="{_f(y)}" text-anchor="{anchor}" {_FONT} fill="{_INK}"{extra}>{escape(text)}</text>'


def _grid_y(body: list[str], ticks: list[float], left: float, width: float, py: Callable[[float], float]) -> None:
    for t in ticks:
        body.append(
            f'<line x1="{_f(left)}" y1="{_f(py(t))}" x2="{_f(left + width)}" y2="{_f(py(t))}" stroke="{_GRID}"/>'
        )
        body.append(_text(left - 6, py(t) + 3, short_money(t), "end"))


def _title(body: list[str], x: float, text: str) -> None:
    body.append(_text(x, 11, text, "start", ' font-weight="bold"'))


def _unit(currency: str | None) -> str:
    return f" ({currency})" if currency else ""


@dataclass(frozen=True, slots=True)
class FrontierPoint:
    budget: Decimal
    value: Decimal | None  # None: no feasible selection at that budget
    chosen: bool = False  # the budget the selection was made at
    status: str = "optimal"  # optimal | time-limit | infeasible (as the selection recorded it)
    reason: str | None = None  # why a level has no (proven) selection, when the selection said


def frontier_chart(
    points: Sequence[FrontierPoint], *, currency: str | None = None, width: int = 620, height: int = 270
) -> Markup:
    """Value of the best portfolio at each budget level: a line; infeasible levels as open marks on the
    axis, levels that ran out of time as hollow marks at the value found."""
    left, right, top, bottom = 70, 20, 26, 40
    pw, ph = width - left - right, height - top - bottom
    feasible = [p for p in points if p.value is not None]
    body: list[str] = []
    _title(body, 4, f"Efficient frontier: best value at each budget level{_unit(currency)}")
    if not points:
        body.append(_text(width / 2, height / 2, "no frontier was computed", "middle"))
        return _svg(width, height, body, "efficient frontier")
    xs = [float(p.budget) for p in points]
    ys = [float(p.value) for p in feasible if p.value is not None] or [0.0]
    x_ticks, x_lo, x_hi = _range(min(0.0, min(xs)), max(xs))
    y_ticks, y_lo, y_hi = _range(min(0.0, min(ys)), max(0.0, max(ys)))

    def px(x: float) -> float:
        return left + (x - x_lo) / (x_hi - x_lo) * pw

    def py(y: float) -> float:
        return top + ph - (y - y_lo) / (y_hi - y_lo) * ph

    _grid_y(body, y_ticks, left, pw, py)
    for t in x_ticks:
        body.append(_text(px(t), top + ph + 14, short_money(t), "middle"))
    body.append(_text(left + pw / 2, height - 6, f"budget over the plan's periods{_unit(currency)}", "middle"))
    body.append(
        _text(12, top + ph / 2, f"value{_unit(currency)}", "middle", f' transform="rotate(-90 12 {_f(top + ph / 2)})"')
    )
    if len(feasible) > 1:
        path = " ".join(f"{_f(px(float(p.budget)))},{_f(py(float(p.value or 0)))}" for p in feasible)
        body.append(f'<polyline points="{path}" fill="none" stroke="{_ACCENT}" stroke-width="1.5"/>')
    for p in points:
        x = px(float(p.budget))
        if p.value is None:
            body.append(f'<circle cx="{_f(x)}" cy="{_f(py(0))}" r="3" fill="white" stroke="{_WARN}"/>')
            continue
        y = py(float(p.value))
        if p.chosen:
            body.append(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="5" fill="{_WARN}"/>')
            body.append(_text(x + 7, y + 14, f"chosen: {short_money(float(p.value))}"))
        elif p.status != "optimal":
            body.append(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="3" fill="white" stroke="{_ACCENT}"/>')
        else:
            body.append(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="3" fill="{_ACCENT}"/>')
    return _svg(width, height, body, "efficient frontier")


@dataclass(frozen=True, slots=True)
class Bubble:
    label: str
    risk: int  # 1 low .. 4 critical (newest status report, or the proposal's own risk register)
    value: Decimal
    cost: Decimal
    selected: bool
    number: int = 0  # the number on the bubble, keyed in the table below the chart (0: none)


RISK_LABELS = ("low", "medium", "high", "critical")


def _spread(label: str) -> float:
    """A fixed offset in -0.5 .. 0.5 from the label (a CRC, not randomness): the same on every run."""
    return (zlib.crc32(label.encode()) % 1000) / 1000 - 0.5


def bubble_chart(
    bubbles: Sequence[Bubble], *, currency: str | None = None, width: int = 620, height: int = 340
) -> Markup:
    """Risk (columns) against value, bubble area by cost, filled when selected, each numbered."""
    left, right, top, bottom = 70, 20, 26, 40
    pw, ph = width - left - right, height - top - bottom
    body: list[str] = []
    _title(body, 4, f"Risk and value of every candidate{_unit(currency)}")
    values = [float(b.value) for b in bubbles] or [0.0]
    y_ticks, y_lo, y_hi = _range(min(0.0, min(values)), max(0.0, max(values)))
    max_cost = max((float(b.cost) for b in bubbles), default=1.0) or 1.0
    col = pw / len(RISK_LABELS)

    def py(y: float) -> float:
        return top + ph - (y - y_lo) / (y_hi - y_lo) * ph

    _grid_y(body, y_ticks, left, pw, py)
    for i, name in enumerate(RISK_LABELS):
        body.append(_text(left + col * (i + 0.5), top + ph + 14, name, "middle"))
    body.append(_text(left + pw / 2, height - 6, "risk (newest status report, else the risk register)", "middle"))
    body.append(
        _text(12, top + ph / 2, f"value{_unit(currency)}", "middle", f' transform="rotate(-90 12 {_f(top + ph / 2)})"')
    )
    # Largest first, so that small bubbles are drawn over large ones; each spread sideways in its column.
    order = sorted(range(len(bubbles)), key=lambda i: (-float(bubbles[i].cost), bubbles[i].label))
    labels: list[str] = []
    for i in order:
        b = bubbles[i]
        risk = min(max(b.risk, 1), len(RISK_LABELS)) - 1
        x = left + col * (risk + 0.5) + _spread(b.label) * col * 0.88
        y = py(float(b.value))
        r = 3 + 9 * (max(float(b.cost), 0.0) / max_cost) ** 0.5
        fill = _ACCENT if b.selected else "none"
        body.append(
            f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(r)}" fill="{fill}" fill-opacity="0.35" '
            f'stroke="{_ACCENT}" stroke-width="0.8"/>'
        )
        if b.number:
            labels.append(
                f'<text x="{_f(x)}" y="{_f(y + 2.5)}" text-anchor="middle" font-family="DejaVu Sans" '
                f'font-size="7" font-weight="bold" fill="{_INK}">{b.number}</text>'
            )
    body.extend(labels)  # numbers over every bubble
    return _svg(width, height, body, "risk and value of each candidate")


@dataclass(frozen=True, slots=True)
class Period:
    label: str
    budget: Decimal
    spend: Decimal


def period_chart(
    periods: Sequence[Period],
    currency: str | None = None,
    *,
    width: int = 620,
    title: str = "Budget and committed spend per period",
    labels: tuple[str, str] = ("budget", "committed"),
    warn_over: bool = True,
) -> Markup:
    """Budget (outline) against committed spend (filled) per period; with `title` and `labels` any pair of
    amounts per period (benefits promised against realised). `warn_over`: a filled bar above its outline
    is drawn in the warning colour."""
    left, right, top, bottom = 70, 20, 26, 34
    height = 190
    pw, ph = width - left - right, height - top - bottom
    body: list[str] = []
    _title(body, 4, f"{title}{_unit(currency)}")
    high = max([float(p.budget) for p in periods] + [float(p.spend) for p in periods] + [1.0])
    ticks, _, y_hi = _range(0.0, high, 4)

    def py(y: float) -> float:
        return top + ph - y / y_hi * ph

    _grid_y(body, ticks, left, pw, py)
    slot = pw / max(len(periods), 1)
    bar = min(slot * 0.3, 40)
    for i, p in enumerate(periods):
        x = left + slot * (i + 0.5)
        for dx, amount, style in (
            (-bar - 1, p.budget, f'fill="white" stroke="{_INK}" stroke-width="0.8"'),
            (1, p.spend, f'fill="{_WARN if warn_over and p.spend > p.budget else _ACCENT}"'),
        ):
            y = py(float(amount))
            body.append(f'<rect x="{_f(x + dx)}" y="{_f(y)}" width="{_f(bar)}" height="{_f(top + ph - y)}" {style}/>')
            body.append(_text(x + dx + bar / 2, y - 3, short_money(float(amount)), "middle"))
        body.append(_text(x, top + ph + 12, p.label, "middle"))
    body.append(f'<rect x="{_f(left + pw - 150)}" y="4" width="8" height="8" fill="white" stroke="{_INK}"/>')
    body.append(_text(left + pw - 138, 11, labels[0]))
    body.append(f'<rect x="{_f(left + pw - 90)}" y="4" width="8" height="8" fill="{_ACCENT}"/>')
    body.append(_text(left + pw - 78, 11, labels[1]))
    return _svg(width, height, body, f"{labels[0]} and {labels[1]} per period")


@dataclass(frozen=True, slots=True)
class TrendPoint:
    quarter: str
    cpi: Decimal | None
    spi: Decimal | None
    actual_cost: Decimal
    planned_value: Decimal


def _small(
    series: Sequence[tuple[str, Sequence[float | None], str]],
    quarters: Sequence[str],
    title: str,
    *,
    money_axis: bool,
    floor: float | None = None,
    width: int = 200,
    height: int = 120,
) -> str:
    left, right, top, bottom = 36, 8, 22, 26
    pw, ph = width - left - right, height - top - bottom
    values = [v for _, vs, _ in series for v in vs if v is not None] or [0.0]
    low = min(values + ([floor] if floor is not None else []) + ([0.0] if money_axis else []))
    high = max(values + ([floor] if floor is not None else []))
    # Few elements: 500 project pages draw three of these each, and every SVG element costs layout time
    # (two ticks, the first and last quarter named, a mark on the newest point only).
    ticks, lo, hi = _range(low, high, 2)
    ticks = [ticks[0], ticks[-1]]
    if hi == lo:
        hi = lo + 1
    body: list[str] = [_text(0, 10, title, "start", ' font-weight="bold"')]

    def px(i: int) -> float:
        inner = pw - 36  # the first and last quarter's labels stay inside the chart
        return left + 18 + (inner * i / (len(quarters) - 1) if len(quarters) > 1 else inner / 2)

    def py(y: float) -> float:
        return top + ph - (y - lo) / (hi - lo) * ph

    for t in ticks:
        body.append(f'<line x1="{_f(left)}" y1="{_f(py(t))}" x2="{_f(left + pw)}" y2="{_f(py(t))}" stroke="{_GRID}"/>')
        body.append(_text(left - 3, py(t) + 3, short_money(t) if money_axis else f"{t:g}", "end"))
    if floor is not None:
        body.append(
            f'<line x1="{_f(left)}" y1="{_f(py(floor))}" x2="{_f(left + pw)}" y2="{_f(py(floor))}" '
            f'stroke="{_WARN}" stroke-dasharray="3 2"/>'
        )
    for i in sorted({0, len(quarters) - 1}):
        body.append(_text(px(i), top + ph + 11, quarters[i], "middle"))
    for k, (name, vs, colour) in enumerate(series):
        pts = [(px(i), py(v)) for i, v in enumerate(vs) if v is not None]
        if len(pts) > 1:
            path = " ".join(f"{_f(x)},{_f(y)}" for x, y in pts)
            body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.4"/>')
        body.extend(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="2" fill="{colour}"/>' for x, y in pts[-1:])
        if len(series) > 1:
            body.append(f'<rect x="{_f(left + k * 80)}" y="{_f(height - 9)}" width="7" height="7" fill="{colour}"/>')
            body.append(_text(left + k * 80 + 10, height - 2, name))
    return f"<g>{''.join(body)}</g>"


def trend_charts(points: Sequence[TrendPoint], currency: str | None = None) -> Markup:
    """Three small charts side by side: CPI and SPI against 1.0, and actual cost against planned value."""
    quarters = [p.quarter for p in points]

    def fl(v: Decimal | None) -> float | None:
        return None if v is None else float(v)

    parts = [
        _small([("CPI", [fl(p.cpi) for p in points], _ACCENT)], quarters, "CPI", money_axis=False, floor=1.0),
        _small([("SPI", [fl(p.spi) for p in points], _ACCENT)], quarters, "SPI", money_axis=False, floor=1.0),
        _small(
            [
                ("actual cost", [fl(p.actual_cost) for p in points], _WARN),
                ("planned", [fl(p.planned_value) for p in points], _ACCENT),
            ],
            quarters,
            f"Spend against plan{_unit(currency)}",
            money_axis=True,
        ),
    ]
    body = [f'<g transform="translate({i * 210} 0)">{part}</g>' for i, part in enumerate(parts)]
    return _svg(620, 120, body, "CPI, SPI and spend against plan over the quarters on file")


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
    ticks, _, high = _range(0.0, high)
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
    for t in ticks:
        body.append(_text(px(t), axis_y, short_money(t), "middle"))
    return _svg(width, height, body, "budget by bucket against its bounds")
