"""`governance analytics`: how good the board's decisions were, gate by gate (a read command)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from cli.context import JsonOption, opened, out, print_json
from cli.render import amount, header
from cli.tables import Column, print_fitted
from governance.analytics.wording import days as _days
from governance.analytics.wording import decimal as _dec
from governance.analytics.wording import facts
from governance.analytics.wording import mean_forecast as _mean_forecast
from governance.analytics.wording import num as _num
from governance.analytics.wording import of as _of
from governance.analytics.wording import pct as _pct

if TYPE_CHECKING:
    from governance.analytics import Analytics, GateSummary

__all__ = ["AnalyticsSince", "GateOption", "app", "render_analytics"]

app = typer.Typer()

AnalyticsSince = Annotated[
    dt.datetime | None,
    typer.Option(formats=["%Y-%m-%d"], metavar="YYYY-MM-DD", help="Only decisions met on or after this day."),
]
GateOption = Annotated[int | None, typer.Option("--gate", min=1, help="Only decisions at this gate.")]


def _gate(s: GateSummary) -> str:
    return "all" if s.gate is None else str(s.gate)


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
    if result.benefits:
        print_fitted(
            console,
            [Column("gate", id=True), *(Column(h, justify="right")
                                        for h in ("projects", "promised", "realised", "realised %"))],
            [
                ["all" if b.gate is None else str(b.gate), str(b.projects), amount(b.promised_to_date),
                 amount(b.realised_to_date), _pct(b.ratio, sign=False)]
                for b in result.benefits
            ],
            title=header(f"Benefits to {result.today}: promised at the gate against realised", result.currency),
        )  # fmt: skip
    for line in facts(result):
        console.print(line)


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
