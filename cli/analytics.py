"""`governance analytics`: how good the board's decisions were, gate by gate (a read command)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from cli.context import JsonOption, opened, out, print_json
from cli.tables import Column, print_fitted

if TYPE_CHECKING:
    from governance.analytics import Analytics, GateSummary, Group

__all__ = ["AnalyticsSince", "GateOption", "app", "render_analytics"]

app = typer.Typer()

AnalyticsSince = Annotated[
    dt.datetime | None,
    typer.Option(formats=["%Y-%m-%d"], metavar="YYYY-MM-DD", help="Only decisions met on or after this day."),
]
GateOption = Annotated[int | None, typer.Option("--gate", min=1, help="Only decisions at this gate.")]


def _pct(value: Decimal | None, sign: bool = True) -> str:
    if value is None:
        return "\u2013"
    return f"{value * 100:+.1f}%" if sign else f"{value * 100:.1f}%"


def _num(value: Decimal | None, places: int = 3) -> str:
    return "\u2013" if value is None else f"{value:.{places}f}"


def _days(value: Decimal | None) -> str:
    return "\u2013" if value is None else f"{value.normalize():f}"


def _of(part: int, whole: int) -> str:
    return f"{part}/{whole}" if whole else "\u2013"


def _gate(s: GateSummary) -> str:
    return "all" if s.gate is None else str(s.gate)


def _fate(g: Group) -> str:
    error = f", median cost error {_pct(g.median_cost_error)}" if g.median_cost_error is not None else ""
    return f"{g.completed} completed, {g.failed} stopped or killed, {g.open} open{error}"


def render_analytics(result: Analytics, console: Console = out) -> None:
    """Three compact tables (decisions, promised against delivered, calibration) and the facts in words."""
    rows = [*result.gates, result.overall] if len(result.gates) > 1 else list(result.gates)
    where = (f" at gate {result.gate}" if result.gate else "") + (f" since {result.since}" if result.since else "")
    console.print(
        f"Decision quality{where}: {result.overall.decisions} decisions in force, as of the newest record "
        f"({result.today})"
    )
    if not result.rows:
        console.print("No gate decision in force matches: nothing to compare yet.")
        return
    console.print("Gates: " + "; ".join(f"{s.gate} {s.name}" for s in result.gates))
    print_fitted(
        console,
        [
            Column("gate", id=True),
            *(Column(h, justify="right") for h in ("decided", "go", "kill", "kill %", "days P50", "days P90")),
            Column("overrides", justify="right"),
        ],
        [
            [_gate(s), str(s.decisions), str(s.outcomes["go"] + s.outcomes["conditional-go"]), str(s.outcomes["kill"]),
             _pct(s.kill_rate, sign=False), _days(s.days_median), _days(s.days_p90), str(s.overrides)]
            for s in rows
        ],
        title="Decisions per gate (days: from reaching the gate to the decision)",
    )  # fmt: skip
    print_fitted(
        console,
        [Column("gate", id=True), *(Column(h, justify="right") for h in (
            "costed", "cost err", "err P90", "<=P50", "<=P90", "late/done", "overdue"))],
        [
            [_gate(s), str(s.costed), _pct(s.cost_error_median), _pct(s.cost_error_p90), _of(s.within_p50, s.ranged),
             _of(s.within_p90, s.ranged), _of(s.completed - s.on_time, s.completed), str(s.open_past_end)]
            for s in rows
        ],
        title="Promised at the gate against what happened (goes; cost: error against the gate's total)",
    )  # fmt: skip
    print_fitted(
        console,
        [Column("gate", id=True), *(Column(h, justify="right") for h in (
            "scored", "open", "Brier", "climatology", "skill", "base rate", "forecast"))],
        [
            [_gate(s), str(s.calibration.count), str(s.open_goes), _num(_dec(s.calibration.score)),
             _num(_dec(s.calibration.uncertainty)), _pct(_dec(s.calibration.skill)),
             _pct(_dec(s.calibration.base_rate), sign=False), _pct(_mean_forecast(s), sign=False)]
            for s in rows
        ],
        title="Chance of success (p_technical x p_commercial) against the outcome",
    )  # fmt: skip
    for line in facts(result):
        console.print(line)


def _dec(value: object) -> Decimal | None:
    from governance.analytics import rounded

    return rounded(value) if value is not None else None  # type: ignore[arg-type]


def _mean_forecast(s: GateSummary) -> Decimal | None:
    from fractions import Fraction

    bins = [b for b in s.calibration.bins if b.count and b.forecast is not None]
    if not bins:
        return None
    total = sum((b.count * b.forecast for b in bins if b.forecast is not None), Fraction(0))
    return _dec(total / sum(b.count for b in bins))


def facts(result: Analytics) -> list[str]:
    """The analytics in a few sentences (the CLI's last lines and the pack's dashboard)."""
    s = result.overall
    c = s.calibration
    lines = []
    if s.costed:
        lines.append(
            f"Cost: {s.costed} of {s.overridden.goes + s.followed.goes} goes have a cost outcome (final, or actual "
            f"+ forecast to complete); the median is {_pct(s.cost_error_median)} against the gate's total cost, "
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
        + (f" (median slip {_days(s.slip_median)} quarter(s))" if s.completed else "")
        + f"; status reports forecast no end date, so open projects are not forecast: {s.open_past_end} open "
        "past their planned end."
    )
    if c.count:
        skill = f", skill {_pct(_dec(c.skill))} against it" if c.skill is not None else ""
        lines.append(
            f"Calibration: Brier score {_num(_dec(c.score))} over {c.count} resolved goes (completed: 1; stopped, "
            f"killed later or withdrawn: 0); always forecasting the base rate "
            f"{_pct(_dec(c.base_rate), sign=False)} scores {_num(_dec(c.uncertainty))}{skill}; "
            f"{s.open_goes} still open, not scored."
        )
    else:
        lines.append(f"Calibration: no go has been resolved yet ({s.open_goes} open).")
    if s.overrides:
        directions = ", ".join(f"{k} {v}" for k, v in s.directions.items())
        lines.append(
            f"Overrides: {s.overrides} of {s.decisions} decisions went against the recommendation ({directions}). "
            f"Goes against it: {_fate(s.overridden)}; goes as recommended: {_fate(s.followed)}."
        )
    else:
        lines.append("Overrides: the board followed every recommendation.")
    return lines


@app.command()
def analytics(since: AnalyticsSince = None, gate: GateOption = None, json_: JsonOption = False) -> None:
    """How good the decisions were: per gate, what was promised (cost, schedule, probability of success)
    against what happened, the kill rate and days at the gate, and how overrides of the engine's
    recommendation turned out. Read from the ledger; records nothing.

    Example: governance analytics --since 2026-01-01 --gate 2
    """
    from governance.analytics import analytics as compute
    from governance.analytics import ledger_day

    _, db = opened()
    with db.read() as conn:
        result = compute(conn, ledger_day(conn), since=since.date() if since else None, gate=gate)
    if json_:
        print_json(result.as_dict())
        return
    render_analytics(result)
