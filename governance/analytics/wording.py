"""The analytics in words and figures for people: percentages, counts, and the facts a board reads (the CLI's
last lines and the pack's dashboard), worded once here."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from governance.analytics.measures import rounded
from governance.analytics.report import Analytics, GateSummary, Group
from governance.money import money

__all__ = ["days", "decimal", "facts", "mean_forecast", "num", "of", "pct"]


def pct(value: Decimal | None, sign: bool = True) -> str:
    if value is None:
        return "\u2013"
    return f"{value * 100:+.1f}%" if sign else f"{value * 100:.1f}%"


def num(value: Decimal | None, places: int = 3) -> str:
    return "\u2013" if value is None else f"{value:.{places}f}"


def days(value: Decimal | None) -> str:
    return "\u2013" if value is None else f"{value.normalize():f}"


def of(part: int, whole: int) -> str:
    return f"{part}/{whole}" if whole else "\u2013"


def _fate(g: Group) -> str:
    error = f", median cost error {pct(g.median_cost_error)}" if g.median_cost_error is not None else ""
    return f"{g.completed} completed, {g.failed} stopped or killed, {g.open} open{error}"


def decimal(value: object) -> Decimal | None:
    return rounded(value) if value is not None else None  # type: ignore[arg-type]


def mean_forecast(s: GateSummary) -> Decimal | None:
    bins = [b for b in s.calibration.bins if b.count and b.forecast is not None]
    if not bins:
        return None
    total = sum((b.count * b.forecast for b in bins if b.forecast is not None), Fraction(0))
    return decimal(total / sum(b.count for b in bins))


def facts(result: Analytics) -> list[str]:
    """The analytics in a few sentences."""
    s = result.overall
    c = s.calibration
    lines = []
    if s.costed:
        lines.append(
            f"Cost: {s.costed} of {s.overridden.goes + s.followed.goes} goes have a cost outcome (final, or actual "
            f"+ forecast to complete); the median is {pct(s.cost_error_median)} against the gate's total cost, "
            f"{s.over_budget} over it."
        )
    if s.ranged:
        lines.append(
            f"Three-point estimates: the outcome was at or below the gate's P50 in {s.within_p50} of {s.ranged} "
            f"and at or below its P90 in {s.within_p90} of {s.ranged} (well calibrated: about half and nine in ten)."
        )
    late = s.completed - s.on_time
    lines.append(
        f"Schedule: {s.completed} goes completed, {late} after their planned end quarter"
        + (f" (median slip {days(s.slip_median)} quarter(s))" if s.completed else "")
        + f"; status reports forecast no end date, so open projects are not forecast: {s.open_past_end} open "
        "past their planned end."
    )
    if c.count:
        skill = f", skill {pct(decimal(c.skill))} against it" if c.skill is not None else ""
        lines.append(
            f"Calibration: Brier score {num(decimal(c.score))} over {c.count} resolved goes (completed: 1; stopped, "
            f"killed later or withdrawn: 0); always forecasting the base rate "
            f"{pct(decimal(c.base_rate), sign=False)} scores {num(decimal(c.uncertainty))}{skill}; "
            f"{s.open_goes} still open, not scored."
        )
    else:
        lines.append(f"Calibration: no go has been resolved yet ({s.open_goes} open).")
    every = [b for b in result.benefits if b.gate is None]
    if every:
        b = every[0]
        promised, realised = money(b.promised_to_date, result.currency), money(b.realised_to_date, result.currency)
        lines.append(
            f"Benefits: {b.projects} project(s) past the last gate were promised {promised} "
            f"by {result.today} at their latest go and realised {realised} "
            f"({pct(b.ratio, sign=False)})."
        )
    else:
        lines.append("Benefits: no project past the last gate among these decisions, so none to compare yet.")
    if s.overrides:
        directions = ", ".join(f"{k} {v}" for k, v in s.directions.items())
        lines.append(
            f"Overrides: {s.overrides} of {s.decisions} decisions went against the recommendation ({directions}). "
            f"Goes against it: {_fate(s.overridden)}; goes as recommended: {_fate(s.followed)}."
        )
    else:
        lines.append("Overrides: the board followed every recommendation.")
    return lines
