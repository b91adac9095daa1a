"""Submitters' commands: init, submit, withdraw, list, show."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli import render
from cli.context import (
    AsOption,
    JsonOption,
    acting,
    choice,
    currency,
    ledger,
    load_settings,
    opened,
    out,
    print_json,
    recorded_as,
    store,
    working,
)
from governance.errors import ConfigError, InputRefused
from governance.lifecycle import STATES

__all__ = ["app"]

app = typer.Typer()


@app.command()
def init(
    policy: Annotated[str, typer.Option(help="Bundled policy name (stage-gate, it-demand) or a policy file.")] = "",
    vote: Annotated[
        list[str], typer.Option(help="NAME=accept|reject: the board's vote on a policy that changes who may do what.")
    ] = [],  # noqa: B006 - typer reads the default; it is never mutated
    as_: AsOption = None,
) -> None:
    """Create or upgrade the database and adopt a policy.

    The first policy is adopted by whoever initialises the database; after that the policy in force
    decides who may adopt another (its role matrix), and a change to its people, board, roles or
    delegations needs the board's votes.

    Example: governance init --policy it-demand
    """
    from governance import adoption
    from governance.policy import load_policy

    settings = load_settings()
    db = store(settings)
    before, after = db.upgrade()
    with db.read() as conn:
        current = adoption.adopted_policy(conn)
    if policy:
        loaded = load_policy(policy)
    elif current is None:
        loaded = load_policy("stage-gate")
    else:
        loaded = current
    adopted = loaded is not current and adoption.adopt_policy(db, ledger(settings), loaded, acting(db, as_), votes=vote)
    schema = "created" if before is None else ("upgraded" if before != after else "up to date")
    out.print(f"Database {db.safe_url}: schema {after} ({schema}).")
    verb = "adopted" if adopted else "in force"
    out.print(f"Policy {loaded.policy.name} ({loaded.policy.title}) {verb}, version {loaded.short_version}.")


@app.command()
def submit(
    paths: Annotated[list[Path], typer.Argument(help="Proposal files (YAML, JSON, CSV) and folders.")],
    json_: JsonOption = False,
) -> None:
    """File proposals through the intake flow; a changed proposal under the same reference is an amendment.

    Example: governance submit examples/proposals/
    """
    from flows.launch import run_intake
    from governance import intake
    from governance.inputs import read_here

    settings = load_settings()
    files = read_here(paths)  # read once, here: the flow gets them from the database
    # Refuse bad input before paying for a flow run: the flow validates again on its own.
    intake.check_submission(store(settings), files)
    with working(f"Filing {len(files)} file(s) (the intake flow)"):
        report = run_intake(settings, files, recorded_as(store(settings)))
    if report.problems:
        raise InputRefused(report.problems)
    if json_:
        print_json([f.__dict__ for f in report.filings])
        return
    render.filings_table(report.filings)
    out.print(render.summary_line(report.filings))


@app.command()
def withdraw(
    proposal: Annotated[str, typer.Argument(help="Proposal id (P-2026-0007) or reference.")],
    reason: Annotated[str, typer.Option(help="Why it is withdrawn (kept in the ledger).")],
    as_: AsOption = None,
) -> None:
    """Withdraw a proposal before its decision.

    Example: governance withdraw P-2026-0007 --reason "merged into P-2026-0003"
    """
    from governance import intake

    settings, db = opened()
    if not reason.strip():
        raise ConfigError("--reason must not be empty")
    filing = intake.withdraw(db, ledger(settings), proposal, acting(db, as_), reason.strip())
    out.print(f"Withdrew {filing.proposal_id} ({filing.reference}).")


@app.command("list")
def list_(
    state: Annotated[
        str | None, typer.Option(callback=choice(*STATES), help=f"Only proposals in this state: {', '.join(STATES)}.")
    ] = None,
    bucket: Annotated[
        str | None, typer.Option(help="Only proposals in this strategic bucket (one of the policy in force).")
    ] = None,
    json_: JsonOption = False,
) -> None:
    """List proposals and where each stands.

    Example: governance list --state screened --bucket platform
    """
    from governance import views
    from governance.adoption import current_policy
    from governance.standing import standings

    _, db = opened()
    with db.read() as conn:
        policy = current_policy(conn).policy
        buckets = sorted(policy.bucket_ids())
        if bucket is not None and bucket not in buckets:
            raise typer.BadParameter(
                f"{bucket!r} is no bucket of the policy in force: {', '.join(buckets)}", param_hint="'--bucket'"
            )
        rows = views.proposals(conn, state=state, bucket=bucket)
        standing = standings(conn) if not json_ else {}
    if json_:
        print_json([r.as_dict() for r in rows])
        return
    render.proposals(rows, standing, policy.currency)


@app.command()
def show(
    proposal: Annotated[str, typer.Argument(help="Proposal id (P-2026-0007) or reference.")],
    json_: JsonOption = False,
) -> None:
    """Show a proposal and its full history from the ledger.

    Example: governance show P-2026-0007
    """
    from governance import views

    _, db = opened()
    with db.read() as conn:
        shown = views.history(conn, proposal)
    if json_:
        print_json(shown.as_dict())
        return
    render.history(shown, currency(db))
