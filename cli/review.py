"""The quarterly review's commands: review, select (`import projects` is in cli.imports).

The board's answer to a review is `governance decide --quarter` (cli.board).
"""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer

from cli import render
from cli.context import (
    JsonOption,
    choice,
    currency,
    err,
    ledger,
    load_settings,
    opened,
    out,
    print_json,
    quarter,
    recorded_as,
    working,
)

__all__ = ["app"]

app = typer.Typer()


@app.command()
def review(
    quarter: Annotated[
        str | None,
        typer.Option(callback=quarter, help="The quarter, like 2026Q4 (default: the quarter that ended last)."),
    ] = None,
    reports: Annotated[
        list[str], typer.Option("--reports", help="Status report files or folders for the quarter.")
    ] = [],  # noqa: B006 - typer reads the default; it is never mutated
    json_: JsonOption = False,
) -> None:
    """Run the quarterly review: ingest reports, apply the review rules, re-select the portfolio.

    Then the board answers once: `governance decide --quarter 2026Q4 --rationale "..." --vote NAME=accept ...`
    (with a running `governance server`, the run waits for the answer in the Prefect UI instead).

    Example: governance review --quarter 2026Q4 --reports examples/status/2026Q4/
    """
    from flows.launch import prefect_mode, run_review, start_quarterly_review
    from governance.adoption import current_policy
    from governance.calendar import last_ended_quarter, today_in
    from governance.canonical import to_plain
    from governance.errors import InputRefused
    from governance.inputs import read_here
    from governance.money import money
    from governance.reports import file_status_reports, read_status_reports

    settings, db = opened()
    actor = recorded_as(db)
    if quarter is None:  # the quarter that ended last, named here so the reports are checked against it
        with db.read() as conn:
            quarter = last_ended_quarter(today_in(current_policy(conn).policy, settings.clock().now()))
    files = read_here(reports)  # read once, here: the flow gets them from the database
    if files:  # refused here, before Prefect starts (the flow checks again)
        file_status_reports(db, ledger(settings), read_status_reports(files, quarter), actor, dry_run=True)
    mode = prefect_mode(settings)
    if mode.kind != "embedded":
        started = start_quarterly_review(settings, mode, quarter, files, actor)
        verb = "already open" if started.reused else "started"
        out.print(f"Quarterly review {verb} on {mode.api_url}: the board answers in the Prefect UI")
        out.print(f"  {started.ui_url}  (Resume, or POST /api/flow_runs/{started.run_id}/resume)")
        return
    with working(f"Quarterly review {quarter}: reports, review rules, selection"):
        result = run_review(settings, quarter, files, actor)
    if result.state == "refused-input":
        raise InputRefused(result.problems)
    if json_:
        print_json(to_plain(asdict(result)))
        return
    if result.reports:
        out.print("Status reports: " + ", ".join(f"{n} {a}" for a, n in sorted(result.reports.items())) + ".")
    counts = ", ".join(f"{n} {o}" for o, n in sorted(result.counts.items()))
    out.print(f"Quarterly review {result.quarter} (record {result.proposed_seq}): {counts}.")
    for finding in result.findings:
        out.print(f"  finding: {finding}")
    code = currency(db)
    render.review_table(result.projects, only_changes=len(result.projects) > 30, currency=code)
    if result.selection is not None:
        s = result.selection

        def value(v: object) -> str:
            return str(v) if s["value_measure"] == "score" else money(v, code)

        out.print(
            f"Selection ({s['value_measure']}): {s['status']}, value {value(s['objective'])}, "
            f"bound {value(s['bound'])}, gap {s['gap']}; {len(s['selected'])} funded. Details: governance select"
        )
    if result.state == "confirmed":
        out.print(
            f"Confirmed (record {result.confirmed_seq}): {result.recorded} outcome(s) recorded, "
            f"{result.already} already."
        )
    elif result.state == "refused":
        err.print(f"The board's answer was refused: {'; '.join(result.refusals)}")
        raise typer.Exit(1)
    else:
        out.print(
            f"Awaiting the board: governance decide --quarter {result.quarter} --by NAME --rationale TEXT "
            "[--override 'P-2026-0007=stop: why']"
        )


def _budgets(items: list[str]) -> dict[str, Decimal]:
    budgets: dict[str, Decimal] = {}
    for item in items:
        period, sep, amount = item.partition("=")
        try:
            if not sep:
                raise InvalidOperation
            budgets[period.strip()] = Decimal(amount.strip())
        except InvalidOperation:
            raise typer.BadParameter(
                f"{item!r}: expected PERIOD=AMOUNT, like FY2027=40000000", param_hint="'--budget'"
            ) from None
    return budgets


def _bounds(items: list[str]) -> dict[str, tuple[Decimal, Decimal]]:
    bounds: dict[str, tuple[Decimal, Decimal]] = {}
    for item in items:
        name, sep, span = item.partition("=")
        low, colon, high = span.partition(":")
        try:
            if not sep or not colon:
                raise InvalidOperation
            bounds[name.strip()] = (Decimal(low or "0"), Decimal(high or "1"))
        except InvalidOperation:
            raise typer.BadParameter(
                f"{item!r}: expected BUCKET=MIN:MAX shares, like growth=0.2:0.5", param_hint="'--bucket'"
            ) from None
    return bounds


def _alpha(given: str | None) -> Decimal | None:
    if given is None:
        return None
    try:
        alpha = Decimal(given)
    except InvalidOperation:
        alpha = Decimal("NaN")
    if not alpha.is_finite():
        raise typer.BadParameter(f"{given!r}: expected a probability, like 0.1", param_hint="'--chance'")
    return alpha


@app.command()
def select(
    candidates: Annotated[
        str | None, typer.Option(help="A candidates file (see `governance schema candidates`); default: the portfolio.")
    ] = None,
    budget: Annotated[list[str], typer.Option(help="PERIOD=AMOUNT, overrides that period's budget.")] = [],  # noqa: B006
    bucket: Annotated[
        list[str],
        typer.Option(
            help="BUCKET=MIN:MAX shares (of the selected spend or of the budget, as the policy says: bucket_shares_of)."
        ),
    ] = [],  # noqa: B006
    value: Annotated[
        str | None,
        typer.Option(callback=choice("score", "ecv", "npv"), help="Value measure: score, ecv or npv."),
    ] = None,
    time_limit: Annotated[
        int | None,
        typer.Option(
            "--time-limit",
            metavar="SECONDS",
            help="Seconds for the whole selection (default: the policy's): the main solve takes half, the "
            "frontier's levels share the rest; a level out of time is marked time-limit, with its gap.",
        ),
    ] = None,
    chance: Annotated[
        str | None,
        typer.Option(
            "--chance",
            metavar="ALPHA",
            help="A chance constraint: P(spend in a period > budget) <= ALPHA over a fixed set of spend "
            "scenarios (the policy's simulation section draws them); default: the policy's, if any.",
        ),
    ] = None,
    scenarios: Annotated[
        int | None, typer.Option("--scenarios", metavar="N", help="Scenarios of the chance constraint (10-2000).")
    ] = None,
    scenario_seed: Annotated[
        int | None, typer.Option("--scenario-seed", metavar="S", help="Seed of the chance constraint's scenarios.")
    ] = None,
    json_: JsonOption = False,
) -> None:
    """Portfolio selection as a what-if: nothing is recorded.

    Example: governance select --budget FY2027=30000000 --value npv --chance 0.1
    """
    from governance.candidates import problem_from_file, with_overrides
    from governance.review import current_problem
    from governance.selection import solve

    budgets, bounds, alpha = _budgets(budget), _bounds(bucket), _alpha(chance)  # bad usage before any work
    if candidates:
        problem = problem_from_file(candidates)
    else:
        settings, db = opened(load_settings())
        problem = current_problem(db, ledger(settings))
    problem = with_overrides(
        problem,
        budget=budgets or None,
        buckets=bounds or None,
        value_measure=value,
        time_limit_seconds=time_limit,
        chance=alpha,
        scenarios=scenarios,
        scenario_seed=scenario_seed,
    )
    with working(f"Selecting the portfolio ({len(problem.candidates)} candidates, with the frontier)"):
        result = solve(problem)
    if json_:
        print_json(result.model_dump(mode="json"))
    else:
        render.selection(problem, result)
    if result.status not in ("optimal", "gap"):
        raise typer.Exit(1)
