"""`governance scenario`: saved what-ifs of the portfolio, compared side by side, committed by the board.

The engine is governance.scenarios; a scenario is a working document (the `scenarios` table), and only
`scenario commit` writes to the ledger, through the board's quorum and voting rule.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import typer
from rich.console import Console

from cli.context import AsOption, JsonOption, acting, choice, ledger, opened, out, print_json, working
from cli.render import amount, header
from cli.tables import Column, print_fitted

__all__ = ["scenario_app"]

scenario_app = typer.Typer(
    help="Saved what-ifs of the portfolio: create, list, show, compare, delete, commit.", no_args_is_help=True
)

NameArgument = Annotated[str, typer.Argument(help="The scenario's name: lowercase letters, digits, dashes.")]


def _share(value: object) -> str:
    return f"{float(str(value)) * 100:.1f}%"


def _value(value: object, measure: str) -> str:
    return "-" if value is None else (str(value) if measure == "score" else amount(value))


def _weights(items: list[str]) -> dict[str, Decimal]:
    weights: dict[str, Decimal] = {}
    for item in items:
        name, sep, amount = item.partition("=")
        try:
            if not sep:
                raise InvalidOperation
            weights[name.strip()] = Decimal(amount.strip())
        except InvalidOperation:
            raise typer.BadParameter(
                f"{item!r}: expected CRITERION=WEIGHT, like market=0.4", param_hint="'--weight'"
            ) from None
    return weights


@scenario_app.command("create")
def create(
    name: NameArgument,
    budget: Annotated[list[str], typer.Option(help="PERIOD=AMOUNT, that period's budget.")] = [],  # noqa: B006 - typer reads the default; it is never mutated
    bucket: Annotated[
        list[str], typer.Option(help="BUCKET=MIN:MAX shares (as the policy's bucket_shares_of says).")
    ] = [],  # noqa: B006
    value: Annotated[
        str | None, typer.Option(callback=choice("score", "ecv", "npv"), help="Value measure: score, ecv or npv.")
    ] = None,
    force_in: Annotated[list[str], typer.Option("--force-in", metavar="ID", help="Fund this candidate.")] = [],  # noqa: B006
    force_out: Annotated[list[str], typer.Option("--force-out", metavar="ID", help="Leave this candidate out.")] = [],  # noqa: B006
    weight: Annotated[
        list[str],
        typer.Option(metavar="CRITERION=W", help="A criterion's weight on each score card (relative to the card's)."),
    ] = [],  # noqa: B006
    policy: Annotated[
        str | None,
        typer.Option(
            metavar="FILE",
            help="Value the candidates under this draft policy: its portfolio section, buckets, review rules, "
            "weights (projects re-scored) and discount rate.",
        ),
    ] = None,
    as_: AsOption = None,
) -> None:
    """Save a what-if: the portfolio as it stands with changes, solved (HiGHS) and simulated. Nothing is recorded.

    Example: governance scenario create lean --budget FY2027=6000000 --force-out P-2026-0004
    """
    from cli.review import _bounds, _budgets
    from governance.policy import load_policy
    from governance.scenarios import changes_of, check_name, create_scenario

    check_name(name)
    budgets, bounds, weights = _budgets(budget), _bounds(bucket), _weights(weight)  # bad usage before any work
    draft = load_policy(policy) if policy else None
    settings, db = opened()
    changes = changes_of(
        budget=budgets, buckets=bounds, value_measure=value, force_in=force_in, force_out=force_out, weights=weights
    )
    with working(f"Solving and simulating scenario {name}"):
        made = create_scenario(db, ledger(settings), name, changes, acting(db, as_), draft=draft)
    result = made.result
    out.print(
        f"Saved scenario {name} (the portfolio as of record {made.ledger_seq}): {result.status}, value "
        f"{_value(result.objective, result.value_measure)} ({result.value_measure}), "
        f"{len(made.selected)} of {len(made.problem.candidates)} funded."
    )
    if made.risk is not None:
        out.print(
            f"Simulated value P10 {amount(made.risk.p10)}, P50 {amount(made.risk.p50)}, P90 {amount(made.risk.p90)}."
        )
    out.print(f"Details: governance scenario show {name}")


@scenario_app.command("list")
def list_(json_: JsonOption = False) -> None:
    """The saved scenarios.

    Example: governance scenario list
    """
    from governance.scenarios import describe_changes, list_scenarios

    _, db = opened()
    saved = list_scenarios(db)
    if json_:
        print_json([_summary(s) for s in saved])
        return
    if not saved:
        out.print("No scenarios saved: governance scenario create NAME [changes]")
        return
    columns = [
        Column("name", id=True),
        Column("by", id=True),
        Column("made", id=True),
        Column("status"),
        Column("value", justify="right"),
        Column("funded", justify="right"),
        Column("changes", wrap=True, priority=1),
    ]
    rows = [
        [
            s.name,
            s.created_by,
            s.created_at[:10],
            s.result.status,
            _value(s.result.objective, s.result.value_measure),
            str(len(s.selected)),
            "; ".join(describe_changes(s.changes)),
        ]
        for s in saved
    ]
    print_fitted(out, columns, rows)


def _summary(s: Any) -> dict[str, Any]:
    return {
        "name": s.name,
        "created_by": s.created_by,
        "created_at": s.created_at,
        "ledger_seq": s.ledger_seq,
        "policy_version": s.policy_version,
        "changes": s.changes.model_dump(mode="json"),
        "status": s.result.status,
        "value_measure": s.result.value_measure,
        "value": None if s.result.objective is None else str(s.result.objective),
        "selected": list(s.selected),
    }


@scenario_app.command("show")
def show(name: NameArgument, json_: JsonOption = False) -> None:
    """A saved scenario: its changes, its selection, and the simulation of that selection.

    Example: governance scenario show lean
    """
    from cli import render
    from cli.risk import render_risk
    from governance.scenarios import describe_changes, get_scenario

    _, db = opened()
    s = get_scenario(db, name)
    if json_:
        risk = None if s.risk is None else s.risk.model_dump(mode="json")
        print_json(_summary(s) | {"selection": s.result.model_dump(mode="json"), "risk": risk})
        return
    out.print(
        f"Scenario {s.name}: made by {s.created_by} on {s.created_at[:10]}, "
        f"from the portfolio as of record {s.ledger_seq}"
    )
    for line in describe_changes(s.changes):
        out.print(f"  change: {line}")
    out.print()
    render.selection(s.problem, s.result)
    if s.risk is not None:
        out.print()
        render_risk(s.risk, f"Simulated: the {len(s.risk.projects)} selected", None, note="")


def _comparison_rows(c: Any) -> list[list[str]]:
    cols = c.scenarios

    def row(label: str, cells: list[str]) -> list[str]:
        return [label, *cells]

    rows = [
        row("status", [f.status for f in cols]),
        row("value measure", [f.value_measure for f in cols]),
        row("value", [_value(f.value, f.value_measure) for f in cols]),
        row("funded", [str(f.count) for f in cols]),
    ]
    rows += [row(f"spend {p}", [amount(f.spend[p]) if p in f.spend else "-" for f in cols]) for p in c.periods]
    rows += [row(f"budget {p}", [amount(f.budget[p]) if p in f.budget else "-" for f in cols]) for p in c.periods]
    for label, attr in (("value P10", "p10"), ("value P50", "p50"), ("value P90", "p90")):
        rows.append(row(label, [amount(getattr(f, attr)) if getattr(f, attr) is not None else "-" for f in cols]))
    rows.append(row("P(value < 0)", [_share(f.p_negative) if f.p_negative is not None else "-" for f in cols]))
    rows += [
        row(f"P(over) {p}", [_share(f.p_over_budget[p]) if p in f.p_over_budget else "-" for f in cols])
        for p in c.periods
    ]
    return rows


def comparison_json(c: Any) -> dict[str, Any]:
    """A comparison as plain JSON data (`--json`)."""
    from dataclasses import asdict

    from governance.canonical import to_plain

    data: dict[str, Any] = to_plain(asdict(c))
    return data


@scenario_app.command("compare")
def compare(
    names: Annotated[list[str], typer.Argument(help="Two or more saved scenarios.")],
    json_: JsonOption = False,
) -> None:
    """Scenarios side by side: value, spend, simulated value and overrun chances, the projects in each.

    Example: governance scenario compare base lean bold
    """
    from governance.scenarios import compare_scenarios

    _, db = opened()
    c = compare_scenarios(db, names)
    if json_:
        print_json(comparison_json(c))
        return
    render_comparison(c)


def render_comparison(c: Any, out: Console = out) -> None:
    """The comparison's table, then the projects in all and in some only (the CLI and the demo)."""
    columns = [Column("", id=True), *(Column(f.name, justify="right") for f in c.scenarios)]
    print_fitted(out, columns, _comparison_rows(c), title=header("Scenarios compared", c.currency))
    out.print(f"In all {len(c.scenarios)}: {', '.join(c.in_all) or 'none'}")
    if c.in_some:
        marks = [
            [i, *("in" if f.name in c.in_some[i] else "-" for f in c.scenarios), c.titles.get(i, "")] for i in c.in_some
        ]
        print_fitted(
            out,
            [
                Column("project", id=True),
                *(Column(f.name, justify="right") for f in c.scenarios),
                Column("title", wrap=True, priority=1),
            ],
            marks,
            title="In some only",
        )


@scenario_app.command("delete")
def delete(name: NameArgument, as_: AsOption = None) -> None:
    """Delete a saved scenario (its maker, or whoever the role matrix lets manage scenarios).

    Example: governance scenario delete lean
    """
    from governance.scenarios import delete_scenario

    _, db = opened()
    delete_scenario(db, name, acting(db, as_))
    out.print(f"Deleted scenario {name}.")


@scenario_app.command("commit")
def commit(
    name: NameArgument,
    by: Annotated[str, typer.Option("--by", help="The member deciding: you, or whom you act for (default: you).")] = "",
    rationale: Annotated[str, typer.Option(help="Why (required; kept in the ledger).")] = "",
    vote: Annotated[list[str], typer.Option(help="NAME=accept|reject, once per member who voted.")] = [],  # noqa: B006
    as_: AsOption = None,
) -> None:
    """Make a scenario's selection the portfolio's, by the board's votes (quorum and voting rule).

    Recorded as `selected` (replayable) and `scenario-committed`. Refused when the portfolio has moved
    and the scenario, solved again, selects otherwise.

    Example: governance scenario commit lean --rationale "..." --vote ana=accept --vote raj=accept --vote lee=accept
    """
    from governance.scenarios import commit_scenario

    settings, db = opened()
    actor = acting(db, as_)
    with working(f"Solving scenario {name} again"):
        done = commit_scenario(db, ledger(settings), name, votes=vote, rationale=rationale, actor=actor, decided_by=by)
    out.print(
        f"Committed scenario {name}: record {done.selected_seq} (selected, {len(done.selected)} funded) and "
        f"record {done.committed_seq} (scenario-committed). `governance replay {done.selected_seq}` re-solves it."
    )
