"""Tables and lines the commands print: formatting only, from data governance/ and flows/ return.

Every string prints as text (cli.context.PlainConsole): submitted text is never read as rich markup.
"""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

from cli.context import out, visible
from cli.tables import Column, print_fitted
from governance.money import money
from governance.wording import reason_in_words

if TYPE_CHECKING:
    from flows.gates import GatedProposal
    from governance.due import DueItem
    from governance.intake import Filing
    from governance.standing import Standing
    from governance.views import Agenda, ProposalHistory, ProposalSummary
    from models.records import LedgerRecord
    from models.selection import ChanceResult, FrontierPoint, SelectionProblem, SelectionResult

__all__ = [
    "agenda",
    "amount",
    "filings_table",
    "gate_reason",
    "gated",
    "header",
    "history",
    "proposals",
    "ranking",
    "review_table",
    "selection",
    "summary_line",
]

NOT_MET = "must-meet not met: "


def amount(value: object) -> str:
    """An amount in a table cell: whole units, grouped (`-564,976`); the currency is in the header."""
    return money(value)


def header(name: str, currency: str | None) -> str:
    """A money column's header with its currency: `ECV (EUR)`."""
    return f"{name} ({currency})" if currency else name


# The gate recommendation's reasons as governance.gates words them (records keep those words for good).
_GATE_REASONS = (
    (re.compile(r"^score (\S+) >= (\S+) but < (\S+)$"), r"score \1: at least \2 (conditional go), below \3 (go)"),
    (re.compile(r"^score (\S+) >= (\S+); must-meet (\d+)/(\d+)$"),
     r"score \1: at least \2 (go); must-meet \3 of \4 met"),
    (re.compile(r"^score (\S+) >= (\S+)$"), r"score \1: at least \2 (conditional go)"),
    (re.compile(r"^score (\S+) < kill threshold (\S+)$"), r"score \1: below the kill threshold \2"),
    (re.compile(r"^score (\S+) < (\S+): (.*)$"), r"score \1: below \2 (conditional go): \3"),
)  # fmt: skip


def gate_reason(text: str, currency: str | None = None) -> str:
    """A gate recommendation's reason in words: `score 56.49 >= 50 but < 60` -> `score 56.49: at least 50
    (conditional go), below 60 (go)`; any other reason through `reason_in_words`."""
    for pattern, words in _GATE_REASONS:
        if pattern.match(text):
            return pattern.sub(words, text)
    return reason_in_words(text, currency)


def gated(items: list[GatedProposal], currency: str | None, console: Console = out) -> None:
    """What `gate --all` recommended for each proposal (or why it was refused), then the counts."""
    columns = [
        Column("id", id=True),
        Column("gate"),
        Column("recommendation"),
        Column("why", wrap=True, priority=1),
    ]
    rows = [
        (g.proposal_id, "" if g.gate is None else str(g.gate), g.recommendation or "refused",
         "; ".join(gate_reason(r, currency) for r in g.reasons) if g.error is None else g.error)
        for g in items
    ]  # fmt: skip
    styles = ["red" if g.error is not None else "" for g in items]
    if not items:
        console.print("No proposal awaits a gate: none is scored and not yet recommended on.")
        return
    print_fitted(console, columns, rows, title="Gate recommendations", styles=styles)
    counts = Counter(g.recommendation for g in items if g.error is None)
    done = ", ".join(f"{n} {o}" for o, n in sorted(counts.items()))
    console.print(
        f"Gated {sum(counts.values())} proposal(s): {done or 'none'}; they await the board: "
        "governance agenda, then governance decide ID --gate N ..."
    )


def _screening(reasons: list[str]) -> str:
    """A screened-out proposal's failed must-meet rules, said as failures."""
    return NOT_MET + "; ".join(reasons) if reasons else ""


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
        line += f"; {screened_out} screened out ({NOT_MET}" + ", ".join(f"{r} x{n}" for r, n in out_count.items()) + ")"
    return line


def filings_table(filings: list[Filing], console: Console = out) -> None:
    """What an intake did with each proposal."""
    columns = [
        Column("id", id=True),
        Column("reference", id=True),
        Column("action", priority=2),
        Column("state"),
        Column("reasons", wrap=True, priority=1),
    ]
    rows, styles = [], []
    for f in filings:
        styles.append("red" if f.state == "screened-out" else ("dim" if f.action == "unchanged" else ""))
        reasons = _screening(f.reasons) if f.state == "screened-out" else "; ".join(f.reasons)
        rows.append((f.proposal_id, f.reference, f.action, f.state, reasons))
    print_fitted(console, columns, rows, title="Intake", styles=styles)


_DECISIONS = {None: "", True: "yes", False: "no"}


def ranking(rows: list[dict[str, Any]], currency: str | None, console: Console = out, title: str = "Ranking") -> None:
    """The scoring flow's ranking: rank, id, gate, score, ECV and flags (knocked-out rows in red)."""
    columns = [
        Column("rank", justify="right"),
        Column("id", id=True),
        Column("gate", priority=2),
        Column("score", justify="right"),
        Column(header("ECV", currency), justify="right"),
        Column("flags", wrap=True, priority=1),
    ]
    table = [(str(n), r["id"], str(r["gate"]), r["score"], amount(r["ecv"]), r["flags"]) for n, r in enumerate(rows, 1)]
    styles = ["red" if r["knocked_out"] else "" for r in rows]
    print_fitted(console, columns, table, title=title, styles=styles)


def proposals(rows: list[ProposalSummary], standing: dict[str, Standing], currency: str | None) -> None:
    """The listing as a table: where each stands, its latest score, ECV and decision, whether it is funded.

    When the terminal is narrow the version, sponsor, bucket and reference go first, then funded, decision,
    ECV and score, in that order."""
    columns = [
        Column("id", id=True),
        Column("reference", id=True, priority=5),
        Column("title", wrap=True),
        Column("bucket", priority=6),
        Column("state"),
        Column("score", justify="right", priority=1),
        Column(header("ECV", currency), justify="right", priority=2),
        Column("decision", priority=3),
        Column("funded", priority=4),
        Column("sponsor", wrap=True, priority=7),
        Column("version", priority=8),
    ]
    table = []
    for row in rows:
        s = standing.get(row.id)
        table.append(
            (
                row.id,
                row.reference,
                row.title,
                row.bucket,
                row.state,
                "" if s is None or s.score is None else f"{s.score:.2f}",
                "" if s is None or s.ecv is None else amount(s.ecv),
                "" if s is None or s.decision is None else s.decision,
                "" if s is None else _DECISIONS[s.funded],
                row.sponsor,
                str(row.version),
            )
        )
    print_fitted(out, columns, table, title=f"Proposals ({len(rows)})")


def details(record: LedgerRecord, currency: str | None) -> str:
    """What a record holds, in words: screening failures as failures, money with its currency, reasons reworded."""
    from governance.views import record_details
    from models.records import RecommendedPayload, ReviewedPayload, ScoredPayload, ScreenedOutPayload

    body = record.body
    if isinstance(body, ScreenedOutPayload):
        failed = [r for r in body.rules if not r.passed]
        return NOT_MET + "; ".join(
            r.description
            + (f" ({'; '.join(reason_in_words(b, currency).removesuffix(': not met') for b in r.because)})")
            for r in failed
        ).replace(" ()", "")
    if isinstance(body, ScoredPayload):
        text = record_details(body)
        head, _, _ = text.rpartition("; ECV ")
        return f"{head}; ECV {money(body.financials.ecv, currency)}"
    if isinstance(body, RecommendedPayload):
        return f"gate {body.gate}: " + "; ".join(gate_reason(r, currency) for r in body.recommendation.reasons)
    if isinstance(body, ReviewedPayload):
        text = record_details(body)
        return reason_in_words(text, currency)
    return record_details(body)


def history(shown: ProposalHistory, currency: str | None) -> None:
    """A proposal's header lines, its summary and its ledger history with each record's details."""
    row, content = shown.row, shown.content
    out.print(Text.assemble((row.id, "bold"), f"  {row.reference}  {visible(content['title'])}"))
    out.print(
        f"State: {row.state} (version {row.version}); bucket {row.bucket}; "
        f"sponsor {row.sponsor}; submitter {row.submitter}"
    )
    out.print(content["summary"])
    columns = [
        Column("seq", id=True),
        Column("kind"),
        Column("outcome"),
        Column("recorded by", priority=2),
        Column("recorded at (UTC)", priority=3),
        Column("details", wrap=True),
        Column("hash", id=True, priority=1),
    ]
    rows = [
        (
            str(r.seq),
            r.kind,
            r.outcome or "",
            r.recorded_by,
            r.recorded_at.strftime("%Y-%m-%d %H:%M:%S"),
            details(r, currency),
            r.hash[:12],
        )
        for r in shown.records
    ]
    print_fitted(out, columns, rows, title="History")


def agenda(items: Agenda, currency: str | None = None) -> None:
    """Quarterly reviews awaiting the board, then proposals at a gate, then open conditions."""
    for r in items.reviews_awaiting_confirmation:
        counts = ", ".join(f"{n} {o}" for o, n in r["counts"].items())
        out.print(
            f"Quarterly review {r['quarter']} awaits the board (record {r['seq']}: {counts}): "
            f"governance decide --quarter {r['quarter']} --by NAME --rationale TEXT",
        )
    waiting = [
        (
            w["id"],
            w["title"],
            str(w["gate"]),
            w["recommendation"],
            str(w["score"]),
            amount(w["ecv"]),
            "; ".join(gate_reason(r, currency) for r in w.get("reasons", [])),
        )
        for w in items.awaiting_decision
    ]
    columns = [
        Column("id", id=True),
        Column("title", wrap=True),
        Column("gate"),
        Column("recommendation"),
        Column("score", justify="right", priority=1),
        Column(header("ECV", currency), justify="right", priority=2),
        Column("why", wrap=True, priority=3),
    ]
    print_fitted(out, columns, waiting, title=f"Awaiting the board ({items.date})")
    conditions = [
        (c["id"], c["proposal"], c["text"], c["owner"], c["due"] + (" OVERDUE" if c["overdue"] else ""))
        for c in items.open_conditions
    ]
    print_fitted(
        out,
        [Column("id", id=True), Column("proposal", id=True), Column("condition", wrap=True), Column("owner", wrap=True),
         Column("due")],
        conditions,
        title="Open conditions",
        styles=["red" if c["overdue"] else "" for c in items.open_conditions],
    )  # fmt: skip


_DUE_HEADINGS = {
    "decision-awaiting": "decision",
    "condition-overdue": "condition",
    "status-report-missing": "status report",
    "review-ready": "review",
    "benefits-review-due": "benefits",
}


def due_note(item: DueItem) -> str:
    """What is due, in words, with what to do about it."""
    d = item.detail
    if item.what == "decision-awaiting":
        return (
            f"gate {d['gate']}, recommended {d['recommendation']}, waiting {_days(item.days)}: "
            f"governance decide {item.subject} --gate {d['gate']} ..."
        )
    if item.what == "condition-overdue":
        return f'{d["condition"]} "{d["text"]}" (owner: {d["owner"]}) due {item.since}, {_days(item.days)} overdue'
    if item.what == "status-report-missing":
        return f"no {d['quarter']} status report; due {item.since}, {_days(item.days)} late"
    if item.what == "review-ready":
        return f"all {d['projects']} projects reported for {d['quarter']}: governance review --quarter {d['quarter']}"
    if item.what == "benefits-review-due":
        state = f"overdue since {d['due_on']}" if d["overdue"] else f"due {d['due_on']}"
        return (
            f"post-implementation review of {d['quarter']} (completed {d['completed_quarter']}), {state}: "
            "governance benefits-review FILE"
        )
    return ", ".join(f"{k}: {v}" for k, v in d.items()) or item.what  # a provider added later: its facts as they are


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def due(today: object, items: list[DueItem], console: Console = out) -> None:
    """What is due or overdue today: one row each, kind by kind (`governance.due.PROVIDERS`' order)."""
    if not items:
        console.print(f"Nothing is due or overdue on {today}.")
        return
    rows = [(_DUE_HEADINGS.get(i.what, i.what), i.subject, i.title, due_note(i)) for i in items]
    columns = [Column("due", id=True), Column("id", id=True), Column("title", wrap=True, priority=1),
               Column("what is due", wrap=True)]  # fmt: skip
    print_fitted(console, columns, rows, title=f"Due or overdue on {today} ({len(items)})")


def review_table(
    projects: list[dict[str, Any]], only_changes: bool, console: Console = out, currency: str | None = None
) -> None:
    """A quarterly review's recommendations as a table, then each one's reasons in words (with the numbers)."""
    shown = [p for p in projects if not (only_changes and p["recommended"] == "continue")]
    rows = [
        (p["id"], p["title"], p["state"], p["recommended"], _DECISIONS[p["funded"]])
        for p in shown
    ]  # fmt: skip
    columns = [
        Column("project", id=True),
        Column("title", wrap=True),
        Column("state"),
        Column("recommended"),
        Column("funded", priority=1),
    ]
    print_fitted(console, columns, rows)
    for p in shown:
        for reason in p["reasons"]:
            console.print(f"  {p['id']} {p['recommended']}: {reason_in_words(reason, currency)}")
        for finding in p["findings"]:
            console.print(f"  {p['id']} finding: {reason_in_words(finding, currency)}")


def frontier_status(point: FrontierPoint, currency: str | None) -> str:
    """How a frontier level was solved, in words: optimal, stopped by the time limit (with its gap), or
    infeasible (with the reason when the record has one)."""
    if point.status == "time-limit":
        said = "time limit" + ("" if point.gap is None else f", gap {point.gap:.2%}")
        if point.gap is not None:
            return said  # its reason says only that, in more words
    else:
        said = point.status
    return said if point.reason is None else f"{said}: {reason_in_words(point.reason, currency)}"


def prose(console: Console, text: str, indent: str = "") -> None:
    """A line of prose wrapped at the console's width at words (ids and amounts whole), each line
    after the first indented two more than `indent`."""
    width = max(console.width, 40)
    console.print(
        textwrap.fill(
            text,
            width,
            initial_indent=indent,
            subsequent_indent=indent + "  ",
            break_long_words=False,
            break_on_hyphens=False,
        )
    )


def chance_lines(chance: ChanceResult, console: Console = out) -> None:
    """The chance constraint in words: alpha, the scenarios, and the chances measured out of sample."""
    console.print(
        f"Chance constraint (per period): P(spend > budget) <= {chance.alpha}, as at most {chance.allowed} of "
        f"{chance.scenarios} scenarios (seed {chance.seed}) over budget in each period."
    )
    for p in chance.periods:
        console.print(
            f"  {p.period}: {p.in_sample_violations} of {chance.scenarios} scenarios over budget; "
            f"{p.out_of_sample:.2%} of {chance.trials:,} fresh trials (alpha {chance.alpha:%})"
        )
    console.print(
        f"  any period: {chance.in_sample_any} of {chance.scenarios} scenarios; "
        f"{chance.out_of_sample_any:.2%} of fresh trials"
    )


def selection(problem: SelectionProblem, result: SelectionResult, console: Console = out) -> None:
    """The selection as tables: spend against budget and bucket bounds, what was left out and why,
    the efficient frontier, the next slice of budget, and the greedy comparison."""
    titles = {c.id: c.title for c in problem.candidates}
    if result.status not in ("optimal", "gap"):
        console.print(f"No selection ({result.status}). Conflicting constraints:")
        for c in result.conflicts:
            console.print(f"  - {c}")
        return
    currency = problem.currency
    in_money = result.value_measure != "score"

    def value(v: Decimal | None, *, unit: bool = True) -> str:
        if v is None:
            return "-"
        if not in_money:
            return str(v)
        return money(v, currency if unit else None)

    for note in result.notes:
        prose(console, f"note: {reason_in_words(note, currency)}", "  ")
    prose(
        console,
        f"Selection by {result.value_measure}: {result.status}; value {value(result.objective)}, "
        f"bound {value(result.bound)}, gap {result.gap}; {len(result.selected)} of {len(problem.candidates)} funded.",
    )
    if result.chance is not None:
        chance_lines(result.chance, console)
    head = [header("budget", currency), header("spend", currency), header("left", currency)]
    print_fitted(
        console,
        [Column("period", id=True), *(Column(h, justify="right") for h in head)],
        [(p.period, amount(p.budget), amount(p.spend), amount(p.left)) for p in result.spend_by_period],
    )
    head = [header("spend", currency), header("minimum", currency), header("maximum", currency)]
    print_fitted(
        console,
        [Column("bucket", id=True), *(Column(h, justify="right") for h in head)],
        [(b.bucket, amount(b.spend), amount(b.minimum), amount(b.maximum)) for b in result.spend_by_bucket],
    )
    print_fitted(
        console,
        [Column("funded", id=True), Column("title", wrap=True)],
        [(cid, titles.get(cid, "")) for cid in result.selected],
    )
    if result.left_out:
        print_fitted(
            console,
            [Column("left out", id=True), Column("why", wrap=True)],
            [(item.id, "; ".join(reason_in_words(r, currency) for r in item.reasons)) for item in result.left_out],
        )
    print_fitted(
        console,
        [
            Column("budget share", justify="right"),
            Column(header("budget", currency), justify="right"),
            Column("best value" if not in_money else header("best value", currency), justify="right"),
            Column("funded", justify="right"),
            Column("solved", wrap=True),
        ],
        [
            (
                f"{f.share:.0%}",
                amount(f.budget),
                "-" if f.value is None else value(f.value, unit=False),
                str(f.count),
                frontier_status(f, currency),
            )
            for f in result.frontier
        ],
        title="Efficient frontier",
    )
    if result.next_slice is not None:
        n = result.next_slice
        prose(
            console,
            f"The next {money(n.extra_budget, currency)} of budget would add {value(n.value_gain)} of value"
            f" (adds {', '.join(n.added) or 'nothing'}; drops {', '.join(n.dropped) or 'nothing'}).",
        )
    if result.greedy is not None:
        g = result.greedy
        if g.value_difference >= 0:
            compared = f"{value(g.value_difference)} less than the selection"
        elif g.constraints_greedy_breaks:
            compared = f"{value(-g.value_difference)} more, by breaking the constraints below"
        else:
            compared = f"{value(-g.value_difference)} more (the selection is within its optimality gap)"
        prose(
            console,
            f"A spreadsheet's greedy choice (value per cost until the budget runs out): value {value(g.value)}, "
            f"{compared}; only in the optimum: {', '.join(g.only_in_optimal) or 'none'}; "
            f"only in greedy: {', '.join(g.only_in_greedy) or 'none'}.",
        )
        for broken in g.constraints_greedy_breaks:
            prose(console, f"greedy breaks: {reason_in_words(broken, currency)}", "  ")
