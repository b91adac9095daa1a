"""`governance benefits [ID]` (promised against realised) and `governance benefits-review FILE...`."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.console import Console

from cli.context import AsOption, JsonOption, acting, currency, ledger, opened, out, print_json
from cli.render import amount, header
from cli.tables import Column, print_fitted

__all__ = ["app", "render_portfolio", "render_project"]

app = typer.Typer()


def _ratio(value: Decimal | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def _to_date(due: Decimal, realised: Decimal, ratio: Decimal | None) -> str:
    if ratio is None:
        return f"nothing due yet, {amount(realised)} realised"
    return f"{amount(due)} due to date, {amount(realised)} realised ({_ratio(ratio)} of it)"


def _baseline(gate: int | None, seq: int) -> str:
    return f"#{seq} migrated" if gate is None else f"#{seq} gate {gate}"


def render_portfolio(items: list[Any], totals: dict[str, Any], cur: str | None, today: str, out: Console = out) -> None:
    """One line per project and the portfolio's totals."""
    print_fitted(
        out,
        [
            Column("project", id=True),
            Column("title", priority=3),
            Column("state", priority=2),
            Column("promised", justify="right"),
            Column("due", justify="right"),
            Column("realised", justify="right"),
            Column("% of due", justify="right"),
            Column("baseline", priority=1),
        ],
        [
            [
                b.project,
                b.title,
                b.state,
                amount(b.promised_total),
                amount(b.promised_to_date),
                amount(b.realised_to_date),
                _ratio(b.ratio),
                _baseline(b.baseline_gate, b.baseline_seq),
            ]
            for b in items
        ],
        title=header(f"Benefits promised and realised, as of {today}", cur),
    )
    out.print(
        f"Portfolio: {totals['projects']} project(s), {amount(totals['promised_total'])} promised in all; "
        + _to_date(totals["promised_to_date"], totals["realised_to_date"], totals["ratio"])
        + "."
    )
    out.print(
        "Due: the baseline's periods that have ended, and the months of the current period that have "
        "passed. `governance benefits ID` shows a project's periods and every gate's promise."
    )


def render_project(item: Any, cur: str | None, today: str, out: Console = out) -> None:
    """A project's periods (promised, realised, where the figure comes from) and each gate's promise."""
    out.print(f"{item.project} {item.title} ({item.state})")
    periods = sorted(set(item.promised) | set(item.realised) | set(item.still_expected))
    print_fitted(
        out,
        [
            Column("period", id=True),
            Column("promised", justify="right"),
            Column("realised", justify="right"),
            Column("still expected", justify="right", priority=1),
            Column("source", priority=2),
        ],
        [
            [
                p,
                amount(item.promised.get(p, Decimal(0))),
                amount(item.realised[p]) if p in item.realised else "-",
                amount(item.still_expected[p]) if p in item.still_expected else "-",
                item.sources.get(p, ""),
            ]
            for p in periods
        ],
        title=header(f"Benefits per period, baseline {_baseline(item.baseline_gate, item.baseline_seq)}", cur),
    )
    print_fitted(
        out,
        [Column("record", id=True), Column("gate"), Column("decided on"), Column("promised", justify="right")],
        [
            [f"#{b.seq}", "migrated" if b.gate is None else str(b.gate), b.decided_on, amount(b.total)]
            for b in item.baselines
        ],
        title=header("Promised at each go decision", cur),
    )
    owner = item.owner or "no benefits owner named yet"
    out.print(f"As of {today}: {_to_date(item.promised_to_date, item.realised_to_date, item.ratio)}; owner: {owner}.")
    if item.completed_quarter is not None:
        review = (
            f"post-implementation review #{item.review_seq}: {item.review_outcome}"
            if item.review_seq is not None
            else "no post-implementation review yet"
        )
        out.print(f"Completed in {item.completed_quarter}; {review}.")


@app.command()
def benefits(
    ident: Annotated[str | None, typer.Argument(help="A project's id or reference (default: every project).")] = None,
    json_: JsonOption = False,
) -> None:
    """Benefits promised at go against benefits realised, per project and for the portfolio.

    The promise is the benefits the last go decision (or the migration) was made on; realised benefits come
    from status reports and post-implementation reviews.

    Example: governance benefits P-2026-0035
    """
    from governance.adoption import current_policy
    from governance.benefits import portfolio_totals, realisation
    from governance.calendar import today_in
    from governance.errors import NotFoundError
    from governance.intake import find_proposal

    settings, db = opened()
    with db.read() as conn:
        policy = current_policy(conn).policy
        today = today_in(policy, ledger(settings).clock.now())
        wanted = None if ident is None else [find_proposal(conn, ident).id]
        items = realisation(conn, policy, today, wanted)
    if ident is not None and not items:
        raise NotFoundError(f"{ident} has no benefits baseline: no go at its last gate, and not migrated")
    totals = portfolio_totals(items)
    if json_:
        print_json({"as_of": today.isoformat(), "projects": [b.as_dict() for b in items], "portfolio": totals})
        return
    cur = currency(db)
    if ident is not None:
        render_project(items[0], cur, today.isoformat())
    elif not items:
        out.print("No project has a benefits baseline yet (a go at the last gate, or a migration).")
    else:
        render_portfolio(items, totals, cur, today.isoformat())


@app.command("benefits-review")
def benefits_review(
    paths: Annotated[list[str], typer.Argument(help="Post-implementation review files (YAML or JSON), or folders.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only: record nothing.")] = False,
    as_: AsOption = None,
    json_: JsonOption = False,
) -> None:
    """Record post-implementation reviews of completed projects: realised benefits against the baseline.

    Example: governance benefits-review examples/benefits/ecolabel-2027Q2.yaml
    """
    from dataclasses import asdict

    from governance.benefits_review import file_benefits_reviews, read_benefits_reviews

    settings, db = opened()
    reviews = read_benefits_reviews(paths)
    done = file_benefits_reviews(db, ledger(settings), reviews, acting(db, as_), dry_run=dry_run)
    if json_:
        print_json([asdict(d) for d in done])
        return
    print_fitted(
        out,
        [Column("project", id=True), *(Column(h) for h in ("quarter", "action", "outcome")), Column("ratio")],
        [[d.project_id, d.quarter, d.action, d.outcome, _ratio(d.ratio)] for d in done],
        title="Post-implementation reviews",
    )
    if dry_run:
        out.print("Nothing recorded (--dry-run).")
