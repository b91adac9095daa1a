"""The `governance` commands of the quarterly review: import projects, review, select, and the
board's answer (`governance decide --quarter`). Registered on the app of `flows.cli`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from rich.markup import escape
from rich.table import Table

from flows.cli import AsOption, JsonOption, _call_flow, _ledger, _print_json, _store, app, err, out
from flows.runtime import configure_prefect
from governance import intake
from governance.canonical import to_plain
from governance.errors import ConfigError, DecisionRefused
from governance.settings import Settings, default_actor, load_settings

if TYPE_CHECKING:
    from flows.review import ReviewResult
    from models.selection import SelectionProblem, SelectionResult

__all__ = ["confirm_quarter"]

import_app = typer.Typer(help="Bring in records from before the engine.", no_args_is_help=True)
app.add_typer(import_app, name="import")


@import_app.command("projects")
def import_projects_(
    paths: Annotated[list[str], typer.Argument(help="YAML or JSON files (or folders) of running projects.")],
    as_: AsOption = None,
    json_: JsonOption = False,
) -> None:
    """Import projects that were running before the engine was adopted (one `migrated` record each).

    Example: governance import projects examples/projects/
    """
    from governance.projects import import_projects

    settings = load_settings()
    store = _store(settings)
    store.require_schema()
    done = import_projects(store, _ledger(settings), paths, default_actor(as_, settings))
    if json_:
        _print_json([asdict(i) for i in done])
        return
    new = [i for i in done if i.action == "migrated"]
    out.print(f"Imported {len(new)} project(s); {len(done) - len(new)} already on file.")
    table = Table("id", "reference", "state", "action")
    for item in done:
        table.add_row(item.project_id, item.reference, item.state, item.action)
    out.print(table)


def _run_review(settings: Settings, quarter: str | None, reports: list[str], actor: str) -> ReviewResult:
    return cast(
        "ReviewResult",
        _call_flow(
            settings,
            "flows.review",
            "quarterly_review_flow",
            quarter,
            reports or None,
            actor,
            settings.resolved_database_url(),
            None,
            settings.chunk_size,
        ),
    )


def print_review(projects: list[dict[str, Any]], only_changes: bool) -> None:
    """The recommendations as a table, then each one's reasons in full (they carry the numbers)."""
    table = Table("project", "title", "state", "recommended", "funded")
    shown = [p for p in projects if not (only_changes and p["recommended"] == "continue")]
    for p in shown:
        funded = "" if p["funded"] is None else ("yes" if p["funded"] else "no")
        table.add_row(p["id"], escape(p["title"][:50]), p["state"], p["recommended"], funded)
    out.print(table)
    for p in shown:
        for reason in p["reasons"]:
            out.print(f"  {p['id']} {p['recommended']}: {reason}", markup=False)
        for finding in p["findings"]:
            out.print(f"  {p['id']} finding: {finding}", markup=False)


@app.command()
def review(
    quarter: Annotated[
        str | None, typer.Option(help="The quarter, like 2026Q4 (default: the quarter that ended last).")
    ] = None,
    reports: Annotated[
        list[str], typer.Option("--reports", help="Status report files or folders for the quarter.")
    ] = [],  # noqa: B006
    as_: AsOption = None,
    json_: JsonOption = False,
) -> None:
    """Run the quarterly review: ingest reports, apply the review rules, re-select the portfolio.

    Then the board answers once: `governance decide --quarter 2026Q4 --by ana --rationale "..."`
    (with a running `governance server`, the run waits for the answer in the Prefect UI instead).

    Example: governance review --quarter 2026Q4 --reports examples/status/2026Q4/
    """
    from models.status_report import QUARTER_PATTERN

    if quarter is not None and not __import__("re").fullmatch(QUARTER_PATTERN, quarter):
        raise ConfigError(f"--quarter {quarter!r}: expected a quarter like 2026Q4")
    settings = load_settings()
    _store(settings).require_schema()
    actor = default_actor(as_, settings)
    mode = configure_prefect(settings)
    if mode.kind != "embedded":
        _review_on_server(settings, mode.api_url or "", quarter, reports, actor)
        return
    result = _run_review(settings, quarter, reports, actor)
    if result.state == "refused-input":
        from governance.errors import InputRefused

        raise InputRefused(result.problems)
    if json_:
        _print_json(to_plain(asdict(result)))
        return
    if result.reports:
        out.print("Status reports: " + ", ".join(f"{n} {a}" for a, n in sorted(result.reports.items())) + ".")
    counts = ", ".join(f"{n} {o}" for o, n in sorted(result.counts.items()))
    out.print(f"Quarterly review {result.quarter} (record {result.proposed_seq}): {counts}.")
    for finding in result.findings:
        out.print(f"  finding: {finding}", markup=False)
    print_review(result.projects, only_changes=len(result.projects) > 30)
    if result.selection is not None:
        s = result.selection
        out.print(
            f"Selection ({s['value_measure']}): {s['status']}, value {s['objective']}, bound {s['bound']}, "
            f"gap {s['gap']}; {len(s['selected'])} funded. Details: governance select"
        )
    if result.state == "confirmed":
        out.print(
            f"Confirmed (record {result.confirmed_seq}): {result.recorded} outcome(s) recorded, "
            f"{result.already} already."
        )
    elif result.state == "refused":
        err.print(f"The board's answer was refused: {'; '.join(result.refusals)}", markup=False)
        raise typer.Exit(1)
    else:
        out.print(
            f"Awaiting the board: governance decide --quarter {result.quarter} --by NAME --rationale TEXT "
            "[--override 'P-2026-0007=stop: why']"
        )


def _review_on_server(settings: Settings, api_url: str, quarter: str | None, reports: list[str], actor: str) -> None:
    """Trigger the quarterly-review deployment; it suspends until the board answers in the Prefect UI."""
    import inspect
    from pathlib import Path

    from prefect.deployments import run_deployment
    from prefect.exceptions import ObjectNotFound

    try:
        run = run_deployment(  # sync context: returns the flow run itself
            "quarterly-review/quarterly-review",
            parameters={
                "quarter": quarter,
                "reports": [str(Path(r).resolve()) for r in reports] or None,
                "actor": actor,
                "database_url": settings.resolved_database_url(),
                "chunk_size": settings.chunk_size,
            },
            timeout=0,
        )
    except ObjectNotFound:
        raise ConfigError(
            f"{api_url} has no quarterly-review deployment: use `governance server start`, or deploy "
            "prefect.yaml and start a worker"
        ) from None
    assert not inspect.isawaitable(run)
    ui = api_url.removesuffix("/api")
    out.print(f"Quarterly review started on {api_url}: the board answers in the Prefect UI")
    out.print(f"  {ui}/runs/flow-run/{run.id}  (Resume, or POST /api/flow_runs/{run.id}/resume)")


def confirm_quarter(
    quarter: str, by: str, rationale: str, overrides: list[str], meeting_date: str | None, as_: str | None
) -> None:
    """`governance decide --quarter`: the board's one answer, then every project's outcome."""
    from pydantic import ValidationError

    from governance import gates, review
    from models.decision import ReviewAnswer

    settings = load_settings()
    store = _store(settings)
    store.require_schema()
    ledger = _ledger(settings)
    with store.read() as conn:
        policy = intake.current_policy(conn).policy
    try:
        day = dt.date.fromisoformat(meeting_date) if meeting_date else gates.today_in(policy, ledger.clock.now())
        answer = ReviewAnswer(
            quarter=quarter,
            decided_by=by.strip().lower(),
            meeting_date=day,
            rationale=rationale,
            overrides=[review.parse_override(o) for o in overrides],
        )
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False))
        raise DecisionRefused(f"invalid answer: {problems}") from None
    except ValueError as exc:
        raise DecisionRefused(f"invalid --meeting-date: {exc}") from None
    result = review.confirm_review(store, ledger, answer, default_actor(as_, settings), chunk_size=settings.chunk_size)
    outcomes = ", ".join(f"{n} {o}" for o, n in sorted(result.outcomes.items())) or "none new"
    out.print(
        f"Confirmed the {quarter} review (record {result.confirmed_seq}): {result.recorded} outcome(s) recorded "
        f"({outcomes}){f', {result.already} recorded before' if result.already else ''}."
    )


def _overrides(problem: SelectionProblem, budget: list[str], bucket: list[str], value: str | None) -> SelectionProblem:
    from governance.candidates import with_overrides

    budgets: dict[str, Decimal] = {}
    for item in budget:
        period, sep, amount = item.partition("=")
        try:
            if not sep:
                raise InvalidOperation
            budgets[period.strip()] = Decimal(amount.strip())
        except InvalidOperation:
            raise ConfigError(f"--budget {item!r}: expected PERIOD=AMOUNT, like FY2027=40000000") from None
    bounds: dict[str, tuple[Decimal, Decimal]] = {}
    for item in bucket:
        name, sep, span = item.partition("=")
        low, colon, high = span.partition(":")
        try:
            if not sep or not colon:
                raise InvalidOperation
            bounds[name.strip()] = (Decimal(low or "0"), Decimal(high or "1"))
        except InvalidOperation:
            raise ConfigError(f"--bucket {item!r}: expected BUCKET=MIN:MAX shares, like growth=0.2:0.5") from None
    if value is not None and value not in ("score", "ecv", "npv"):
        raise ConfigError(f"--value {value!r}: choose score, ecv or npv")
    return with_overrides(problem, budget=budgets or None, buckets=bounds or None, value_measure=value)


def _current_problem(settings: Settings) -> SelectionProblem:
    """The selection a review of the current portfolio would solve (active and paused projects, pipeline)."""
    from governance import review

    store = _store(settings)
    store.require_schema()
    ledger = _ledger(settings)
    with store.read() as conn:
        loaded = intake.current_policy(conn)
        if loaded.policy.portfolio is None:
            raise ConfigError("the adopted policy has no portfolio section: give --candidates FILE")
        today = intake_today(loaded.policy, ledger)
        quarter = review.previous_quarter(f"{today.year}Q{(today.month - 1) // 3 + 1}")
        return review.selection_problem(conn, loaded, quarter, today)


def intake_today(policy: Any, ledger: Any) -> dt.date:
    from governance.gates import today_in

    return today_in(policy, ledger.clock.now())


@app.command()
def select(
    candidates: Annotated[
        str | None, typer.Option(help="A candidates file (see `governance schema candidates`); default: the portfolio.")
    ] = None,
    budget: Annotated[list[str], typer.Option(help="PERIOD=AMOUNT, overrides that period's budget.")] = [],  # noqa: B006
    bucket: Annotated[list[str], typer.Option(help="BUCKET=MIN:MAX shares of the budget.")] = [],  # noqa: B006
    value: Annotated[str | None, typer.Option(help="Value measure: score, ecv or npv.")] = None,
    json_: JsonOption = False,
) -> None:
    """Portfolio selection as a what-if: nothing is recorded.

    Example: governance select --budget FY2027=30000000 --value npv
    """
    from governance.candidates import problem_from_file
    from governance.selection import solve

    settings = load_settings()
    problem = problem_from_file(candidates) if candidates else _current_problem(settings)
    problem = _overrides(problem, budget, bucket, value)
    result = solve(problem)
    if json_:
        _print_json(result.model_dump(mode="json"))
    else:
        print_selection(problem, result)
    if result.status not in ("optimal", "gap"):
        raise typer.Exit(1)


def print_selection(problem: SelectionProblem, result: SelectionResult) -> None:
    """The selection as tables: spend against budget and bucket bounds, what was left out and why,
    the efficient frontier, the next slice of budget, and the greedy comparison."""
    titles = {c.id: c.title for c in problem.candidates}
    if result.status not in ("optimal", "gap"):
        out.print(f"No selection ({result.status}). Conflicting constraints:")
        for c in result.conflicts:
            out.print(f"  - {c}", markup=False)
        return
    for note in result.notes:
        out.print(f"  note: {note}", markup=False)
    out.print(
        f"Selection by {result.value_measure}: {result.status}; value {result.objective}, bound {result.bound}, "
        f"gap {result.gap}; {len(result.selected)} of {len(problem.candidates)} funded."
    )
    spend = Table("period", "budget", "spend", "left")
    for p in result.spend_by_period:
        spend.add_row(p.period, f"{p.budget:,.2f}", f"{p.spend:,.2f}", f"{p.left:,.2f}")
    out.print(spend)
    buckets = Table("bucket", "spend", "minimum", "maximum")
    for b in result.spend_by_bucket:
        buckets.add_row(b.bucket, f"{b.spend:,.2f}", f"{b.minimum:,.2f}", f"{b.maximum:,.2f}")
    out.print(buckets)
    chosen = Table("funded", "title")
    for cid in result.selected:
        chosen.add_row(cid, escape(titles.get(cid, "")[:50]))
    out.print(chosen)
    if result.left_out:
        left = Table("left out", "why")
        for item in result.left_out:
            left.add_row(item.id, escape("; ".join(item.reasons)[:300]))
        out.print(left)
    frontier = Table("budget share", "budget", "best value", "funded", title="Efficient frontier")
    for f in result.frontier:
        frontier.add_row(
            f"{f.share:.0%}", f"{f.budget:,.2f}", "" if f.value is None else f"{f.value:,.2f}", str(f.count)
        )
    out.print(frontier)

    def value(v: Decimal | None) -> str:
        return "-" if v is None else str(v) if result.value_measure == "score" else f"{v:,.2f}"

    if result.next_slice is not None:
        n = result.next_slice
        out.print(
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
        out.print(
            f"A spreadsheet's greedy choice (value per cost until the budget runs out): value {value(g.value)}, "
            f"{compared}; only in the optimum: {', '.join(g.only_in_optimal) or 'none'}; "
            f"only in greedy: {', '.join(g.only_in_greedy) or 'none'}."
        )
        for broken in g.constraints_greedy_breaks:
            out.print(f"  greedy breaks: {broken}", markup=False)
