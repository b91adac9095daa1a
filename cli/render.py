"""Tables and lines the commands print: formatting only, from data governance/ and flows/ return.

Every string prints as text (cli.context.PlainConsole): submitted text is never read as rich markup.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from cli.context import out, visible

if TYPE_CHECKING:
    from governance.intake import Filing
    from governance.views import Agenda, ProposalHistory, ProposalSummary
    from models.selection import SelectionProblem, SelectionResult

__all__ = [
    "agenda",
    "filings_table",
    "history",
    "proposals",
    "review_table",
    "selection",
    "summary_line",
]


def summary_line(filings: list[Filing]) -> str:
    """`Filed 32 proposal(s) (P-2026-0001 .. P-2026-0032); 3 screened out (must-meet: ...)`."""
    filed = [f.proposal_id for f in filings if f.action == "filed"]
    counts = Counter(f.action for f in filings)
    parts = []
    if filed:
        parts.append(
            f"Filed {len(filed)} proposal(s) ({filed[0]} .. {filed[-1]})" if len(filed) > 1 else f"Filed {filed[0]}"
        )
    if counts["amended"]:
        parts.append(f"{counts['amended']} amended")
    if counts["unchanged"]:
        parts.append(f"{counts['unchanged']} unchanged (already on file)")
    out_count = Counter(
        reason for f in filings if f.state == "screened-out" and f.action != "unchanged" for reason in f.reasons
    )
    line = "; ".join(parts) or "Nothing to file"
    screened_out = sum(1 for f in filings if f.state == "screened-out" and f.action != "unchanged")
    if screened_out:
        line += (
            f"; {screened_out} screened out (must-meet: " + ", ".join(f"{r} x{n}" for r, n in out_count.items()) + ")"
        )
    return line


def filings_table(filings: list[Filing], console: Console = out) -> None:
    """What an intake did with each proposal."""
    table = Table(title="Intake", show_lines=False)
    for column in ("id", "reference", "action", "state", "reasons"):
        table.add_column(column)
    for f in filings:
        style = "red" if f.state == "screened-out" else ("dim" if f.action == "unchanged" else "")
        table.add_row(f.proposal_id, f.reference, f.action, f.state, "; ".join(f.reasons), style=style)
    console.print(table)


_LISTED = ("id", "reference", "title", "bucket", "state", "version", "sponsor")


def proposals(rows: list[ProposalSummary]) -> None:
    """The listing as a table."""
    table = Table(title=f"Proposals ({len(rows)})")
    for column in _LISTED:
        table.add_column(column)
    for row in rows:
        data = row.as_dict()
        table.add_row(*(str(data[c]) for c in _LISTED))
    out.print(table)


def history(shown: ProposalHistory) -> None:
    """A proposal's header lines, its summary and its ledger history with each record's details."""
    from governance.views import record_details

    row, content = shown.row, shown.content
    out.print(Text.assemble((row.id, "bold"), f"  {row.reference}  {visible(content['title'])}"))
    out.print(
        f"State: {row.state} (version {row.version}); bucket {row.bucket}; "
        f"sponsor {row.sponsor}; submitter {row.submitter}"
    )
    out.print(content["summary"])
    table = Table(title="History")
    for column in ("seq", "kind", "outcome", "recorded by", "recorded at (UTC)", "details", "hash"):
        table.add_column(column)
    for r in shown.records:
        table.add_row(
            str(r.seq),
            r.kind,
            r.outcome or "",
            r.recorded_by,
            r.recorded_at.strftime("%Y-%m-%d %H:%M:%S"),
            record_details(r.body),
            r.hash[:12],
        )
    out.print(table)


def agenda(items: Agenda) -> None:
    """Quarterly reviews awaiting the board, then proposals at a gate, then open conditions."""
    for r in items.reviews_awaiting_confirmation:
        counts = ", ".join(f"{n} {o}" for o, n in r["counts"].items())
        out.print(
            f"Quarterly review {r['quarter']} awaits the board (record {r['seq']}: {counts}): "
            f"governance decide --quarter {r['quarter']} --by NAME --rationale TEXT",
        )
    table = Table(title=f"Awaiting the board ({items.date})")
    for column in ("id", "title", "gate", "recommendation", "score", "ECV"):
        table.add_column(column)
    for w in items.awaiting_decision:
        table.add_row(w["id"], w["title"], str(w["gate"]), w["recommendation"], str(w["score"]), str(w["ecv"]))
    out.print(table)
    ctable = Table(title="Open conditions")
    for column in ("id", "proposal", "condition", "owner", "due"):
        ctable.add_column(column)
    for c in items.open_conditions:
        ctable.add_row(
            c["id"],
            c["proposal"],
            c["text"],
            c["owner"],
            c["due"] + (" OVERDUE" if c["overdue"] else ""),
            style="red" if c["overdue"] else "",
        )
    out.print(ctable)


def review_table(projects: list[dict[str, Any]], only_changes: bool, console: Console = out) -> None:
    """A quarterly review's recommendations as a table, then each one's reasons in full (with the numbers)."""
    table = Table("project", "title", "state", "recommended", "funded")
    shown = [p for p in projects if not (only_changes and p["recommended"] == "continue")]
    for p in shown:
        funded = "" if p["funded"] is None else ("yes" if p["funded"] else "no")
        table.add_row(p["id"], p["title"][:50], p["state"], p["recommended"], funded)
    console.print(table)
    for p in shown:
        for reason in p["reasons"]:
            console.print(f"  {p['id']} {p['recommended']}: {reason}")
        for finding in p["findings"]:
            console.print(f"  {p['id']} finding: {finding}")


def selection(problem: SelectionProblem, result: SelectionResult, console: Console = out) -> None:
    """The selection as tables: spend against budget and bucket bounds, what was left out and why,
    the efficient frontier, the next slice of budget, and the greedy comparison."""
    titles = {c.id: c.title for c in problem.candidates}
    if result.status not in ("optimal", "gap"):
        console.print(f"No selection ({result.status}). Conflicting constraints:")
        for c in result.conflicts:
            console.print(f"  - {c}")
        return
    for note in result.notes:
        console.print(f"  note: {note}")
    console.print(
        f"Selection by {result.value_measure}: {result.status}; value {result.objective}, bound {result.bound}, "
        f"gap {result.gap}; {len(result.selected)} of {len(problem.candidates)} funded."
    )
    spend = Table("period", "budget", "spend", "left")
    for p in result.spend_by_period:
        spend.add_row(p.period, f"{p.budget:,.2f}", f"{p.spend:,.2f}", f"{p.left:,.2f}")
    console.print(spend)
    buckets = Table("bucket", "spend", "minimum", "maximum")
    for b in result.spend_by_bucket:
        buckets.add_row(b.bucket, f"{b.spend:,.2f}", f"{b.minimum:,.2f}", f"{b.maximum:,.2f}")
    console.print(buckets)
    chosen = Table("funded", "title")
    for cid in result.selected:
        chosen.add_row(cid, titles.get(cid, "")[:50])
    console.print(chosen)
    if result.left_out:
        left = Table("left out", "why")
        for item in result.left_out:
            left.add_row(item.id, "; ".join(item.reasons)[:300])
        console.print(left)
    frontier = Table("budget share", "budget", "best value", "funded", title="Efficient frontier")
    for f in result.frontier:
        frontier.add_row(
            f"{f.share:.0%}", f"{f.budget:,.2f}", "" if f.value is None else f"{f.value:,.2f}", str(f.count)
        )
    console.print(frontier)

    def value(v: Decimal | None) -> str:
        return "-" if v is None else str(v) if result.value_measure == "score" else f"{v:,.2f}"

    if result.next_slice is not None:
        n = result.next_slice
        console.print(
            f"The next {n.extra_budget:,.2f} of budget would add {value(n.value_gain)} of value"
            f" (adds {', '.join(n.added) or 'nothing'}; drops {', '.join(n.dropped) or 'nothing'})."
        )
    if result.greedy is not None:
        g = result.greedy
        if g.value_difference >= 0:
            compared = f"{value(g.value_difference)} less than the selection"
        elif g.constraints_greedy_breaks:
            compared = f"{value(-g.value_difference)} more, by breaking the constraints below"
        else:
            compared = f"{value(-g.value_difference)} more (the selection is within its optimality gap)"
        console.print(
            f"A spreadsheet's greedy choice (value per cost until the budget runs out): value {value(g.value)}, "
            f"{compared}; only in the optimum: {', '.join(g.only_in_optimal) or 'none'}; "
            f"only in greedy: {', '.join(g.only_in_greedy) or 'none'}."
        )
        for broken in g.constraints_greedy_breaks:
            console.print(f"  greedy breaks: {broken}")
