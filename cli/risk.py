"""`governance risk`: the portfolio's outcome by simulation (value, spend per period, what drives the spread)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from cli.context import AsOption, JsonOption, acting, err, ledger, opened, out, print_json, quarter, working
from cli.render import amount, header
from cli.tables import Column, print_fitted
from governance.settings import load_settings
from models.records import SimulatedPayload

__all__ = ["app", "describe_source", "render_risk"]

app = typer.Typer()

_TOP_DRIVERS = 10


def _share(value: object) -> str:
    return f"{float(str(value)) * 100:.1f}%"


def describe_source(payload: SimulatedPayload) -> str:
    """The title of a simulation's results: what was simulated."""
    if payload.quarter is not None:
        what = f"the selection recorded with the {payload.quarter} review (#{payload.selection_seq})"
    elif payload.selection_seq is not None:
        what = f"the selection in record #{payload.selection_seq}"
    else:
        what = "the projects named"
    count = len(payload.projects)
    return f"Portfolio risk: {what}, {count} project{'s' if count != 1 else ''}"


def render_risk(
    payload: SimulatedPayload, title: str, seq: int | None, out: Console = out, *, note: str | None = None
) -> None:
    """The simulation's results as three tables and a few lines of what they rest on (`note`: the last line
    for results not recorded, instead of the dry run's; empty: none)."""
    cur = payload.currency
    out.print(title)
    rho = (
        f"correlation {payload.correlation_within_bucket} within a bucket, {payload.correlation_across} across"
        if payload.correlation_within_bucket or payload.correlation_across
        else "estimates independent of each other"
    )
    out.print(f"{payload.trials:,} trials, seed {payload.seed}, {payload.distribution.upper()} estimates, {rho}")
    out.print()
    print_fitted(
        out,
        [Column("", id=True), *(Column(h, justify="right") for h in ("mean", "P10", "P50", "P90"))],
        [["value", *(amount(v) for v in (payload.mean, payload.p10, payload.p50, payload.p90))]],
        title=header("Portfolio value", cur) + f": P(value < 0) = {_share(payload.p_negative)}",
    )
    if payload.spend:
        print_fitted(
            out,
            [
                Column("period", id=True),
                *(Column(h, justify="right") for h in ("budget", "mean", "P50", "P90")),
                Column("P(over)", justify="right"),
                Column("P10", justify="right", priority=1),
            ],
            [
                [
                    s.period,
                    *(amount(v) for v in (s.budget, s.mean, s.p50, s.p90)),
                    _share(s.p_over_budget),
                    amount(s.p10),
                ]
                for s in payload.spend
            ],
            title=header("Spend per period", cur),
        )
    shown = payload.drivers[:_TOP_DRIVERS]
    print_fitted(
        out,
        [Column("project", id=True), Column("share of variance", justify="right")],
        [[d.id, _share(d.share)] for d in shown],
        title="What drives the spread"
        + (f" (the {len(shown)} largest of {len(payload.drivers)})" if len(payload.drivers) > len(shown) else ""),
    )
    if payload.without_ranges:
        count = len(payload.without_ranges)
        named = f": {', '.join(payload.without_ranges)}" if count <= 5 else " (--json lists them)"
        out.print(
            f"{count} of {len(payload.projects)} have no three-point ranges on file: their costs and benefits are "
            f"their point estimates, and only their success or failure varies{named}."
        )
    if seq is not None:
        out.print(f"Recorded as #{seq} (simulated); `governance replay {seq}` draws the same trials again.")
    elif note is None:
        out.print("Nothing recorded (--dry-run).")
    elif note:
        out.print(note)


@app.command()
def risk(
    quarter_: Annotated[
        str | None,
        typer.Option("--quarter", callback=quarter, help="Simulate the selection recorded with this quarter's review."),
    ] = None,
    selection: Annotated[
        int | None, typer.Option("--selection", metavar="SEQ", help="Simulate the selection in this `selected` record.")
    ] = None,
    project: Annotated[
        list[str],
        typer.Option("--project", metavar="ID", help="Simulate these projects and proposals instead (repeat it)."),
    ] = [],  # noqa: B006
    trials: Annotated[
        int | None, typer.Option(min=100, max=10_000_000, help="Trials (default: the policy's, else 10,000).")
    ] = None,
    seed: Annotated[int, typer.Option(min=0, max=2**63 - 1, help="The random seed (the record keeps it).")] = 1,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Simulate only: record nothing.")] = False,
    as_: AsOption = None,
    json_: JsonOption = False,
) -> None:
    """The portfolio's outcome by Monte Carlo: value P10/P50/P90 and the chance it is negative, spend per
    period against budget, and which projects drive the spread. Recorded as `simulated` (replayable).

    The newest selection on record unless --quarter, --selection or --project says otherwise.

    Example: governance risk --quarter 2026Q4 --trials 20000 --seed 7
    """
    from governance.risk import Source, run_risk

    given = [name for name, v in (("--quarter", quarter_), ("--selection", selection), ("--project", project)) if v]
    if len(given) > 1:
        raise typer.BadParameter(f"give one of --quarter, --selection and --project, not {' and '.join(given)}")
    if quarter_:
        source = Source("quarter", quarter=quarter_)
    elif project:
        source = Source("projects", ids=tuple(project))
    else:
        source = Source("selection", selection_seq=selection)
    settings, db = opened(load_settings())
    actor = None if dry_run else acting(db, as_)
    with working("Simulating the portfolio"):
        run = run_risk(db, ledger(settings), source, actor, trials=trials, seed=seed)
    payload = run.payload
    if json_:
        print_json({"seq": run.seq, **payload.model_dump(mode="json")})
        return
    render_risk(payload, describe_source(payload), run.seq)
    if not payload.spend:
        err.print("the policy budgets no period: spend is not compared with a budget")
