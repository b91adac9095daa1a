"""`governance replay --policy DRAFT.yaml`: the past under a draft policy, as a table, JSON, CSV or xlsx.

The replay command (cli/audit.py) hands over here when `--policy` is given. Nothing is recorded."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.context import err, opened, out, print_json

if TYPE_CHECKING:
    from governance.policy import LoadedPolicy

__all__ = ["KindsOption", "SinceOption", "kinds_of", "kinds_option", "load_draft", "show_counterfactual"]


def kinds_option(value: str | None) -> str | None:
    """`--kinds screening,scores`: each one of the kinds a counterfactual replay knows (bad usage otherwise)."""
    from governance.counterfactual import KINDS

    if value is None:
        return value
    unknown = [k for k in value.split(",") if k.strip() not in KINDS]
    if unknown:
        raise typer.BadParameter(f"{', '.join(map(repr, unknown))}: choose from {', '.join(KINDS)}")
    return value


SinceOption = Annotated[
    dt.datetime | None,
    typer.Option(formats=["%Y-%m-%d"], metavar="YYYY-MM-DD", help="With a draft: records from this day (UTC)."),
]
KindsOption = Annotated[
    str | None,
    typer.Option(
        callback=kinds_option,
        metavar="KIND,...",
        help="With a draft: screening, scores, recommendations, reviews, selections (default: all).",
    ),
]


def load_draft(policy: str) -> LoadedPolicy:
    """The draft policy file, its problems reported as `governance policy check` reports them."""
    from governance.errors import PolicyError
    from governance.policy import load_policy

    try:
        return load_policy(policy)
    except PolicyError as error:
        for problem in error.problems[1:]:
            err.print(f"  also: {problem}")
        raise


def kinds_of(kinds: str | None) -> tuple[str, ...]:
    """`--kinds a,b` as a tuple (every kind when not given)."""
    from governance.counterfactual import KINDS

    return tuple(k.strip() for k in kinds.split(",")) if kinds else KINDS


def _summary(totals: dict[str, object], examined: int, money_text: str) -> str:
    changes = totals["changes"]
    assert isinstance(changes, dict)
    listed = ", ".join(f"{n} {change}" for change, n in changes.items() if change not in _BOARD)
    return (
        f"{totals['differences']} of {examined} decision(s) would differ"
        + (f" ({listed})" if listed else "")
        + f".\nBudget crossing go: {money_text}.\n{totals['selections_changed']} selection(s) would change; "
        f"{totals['board_no_longer_matching']} board decision(s) would no longer match the recommendation."
    )


_BOARD = ("board no longer matches", "board now matches")
_SHORT = {"recommendation": "gate", "screening": "screen", "selection": "select"}  # narrow: 80 columns


def show_counterfactual(
    policy: str,
    since: dt.datetime | None,
    kinds: str | None,
    *,
    json_: bool,
    csv_: Path | None,
    xlsx: Path | None,
    write_file: Callable[[Path, bytes], None],
) -> None:
    """Run the counterfactual replay of `policy` (a draft file) and show it as asked (`write_file` writes the
    CSV or xlsx file whole or not at all)."""
    from governance.counterfactual import counterfactual_replay
    from governance.counterfactual.export import counterfactual_csv, counterfactual_sheets
    from governance.money import money

    draft = load_draft(policy)
    settings, db = opened()
    result = counterfactual_replay(db, draft, since=since.date() if since else None, kinds=kinds_of(kinds))
    currency = draft.policy.currency
    if csv_ is not None:
        write_file(csv_, counterfactual_csv(result).encode("utf-8"))
    if xlsx is not None:
        from governance.workbook import workbook_bytes

        book = workbook_bytes(counterfactual_sheets(result, currency), settings.clock().now(), "Counterfactual replay")
        write_file(xlsx, book)
    if json_:
        print_json(result.as_dict())
        return
    if result.differences:
        from cli.tables import Column, print_fitted

        columns = [Column("record", id=True), Column("subject", id=True), Column("kind"),
                   Column("change", wrap=True), Column("why", wrap=True)]  # fmt: skip
        rows = [
            (str(d.seq), d.subject, _SHORT.get(d.kind, d.kind), f"{d.was} -> {d.would_be}", d.why)
            for d in result.differences
        ]
        print_fitted(out, columns, rows, title=f"Under the draft {draft.policy.name} ({draft.short_version})")
    totals = result.totals()
    moved = f"{money(result.budget_to_go, currency)} into go, {money(result.budget_from_go, currency)} out of go"
    for line in _summary(totals, sum(result.examined.values()), moved).splitlines():
        out.print(textwrap.fill(line, max(out.width, 40), break_long_words=False, break_on_hyphens=False))
    for path in (csv_, xlsx):
        if path is not None:
            out.print(f"Wrote {path}.")
