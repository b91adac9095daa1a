"""The `governance` command: the outer edge. It starts flows and calls governance/ read paths.

A `GovernanceError` prints as one line (`error[code]: ...`) and exits 1; anything else is a bug
and is allowed to surface as one.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from governance import intake
from governance.errors import ConfigError, GovernanceError, InputRefused
from governance.ledger import Ledger, get_snapshot, records_for, verify
from governance.policy import load_policy
from governance.settings import Settings, default_actor, load_settings
from governance.store import Store
from models.tables import ProposalRow

if TYPE_CHECKING:
    from flows.intake import IntakeReport

__all__ = ["app", "main"]

app = typer.Typer(
    name="governance",
    help="Portfolio governance engine: intake, stage gates, board decisions and an auditable ledger.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
server_app = typer.Typer(
    help="A local Prefect server (and deployment runner) for faster commands.", no_args_is_help=True
)
app.add_typer(server_app, name="server")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

AsOption = Annotated[
    str | None, typer.Option("--as", help="Who records this (else GOVERNANCE_ACTOR, else the OS user).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _store(settings: Settings) -> Store:
    return Store(settings.resolved_database_url())


def _ledger(settings: Settings) -> Ledger:
    return Ledger(settings.clock(), settings.ids())


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


@app.command()
def init(
    policy: Annotated[str, typer.Option(help="Bundled policy name (stage-gate, it-demand) or a policy file.")] = "",
    as_: AsOption = None,
) -> None:
    """Create or upgrade the database and adopt a policy.

    Example: governance init --policy it-demand
    """
    settings = load_settings()
    store = _store(settings)
    before, after = store.upgrade()
    actor = default_actor(as_, settings)
    with store.read() as conn:
        current = intake.adopted_policy(conn)
    if policy:
        loaded = load_policy(policy)
    elif current is None:
        loaded = load_policy("stage-gate")
    else:
        loaded = current
    adopted = loaded is not current and intake.adopt_policy(store, _ledger(settings), loaded, actor)
    schema = "created" if before is None else ("upgraded" if before != after else "up to date")
    out.print(f"Database {store.safe_url}: schema {after} ({schema}).")
    verb = "adopted" if adopted else "in force"
    out.print(f"Policy {loaded.policy.name} ({loaded.policy.title}) {verb}, version {loaded.short_version}.")


def _run_intake(paths: list[str], actor: str, settings: Settings) -> IntakeReport:
    from flows.runtime import configure_prefect

    configure_prefect(settings)
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from flows.intake import intake_flow

    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        return intake_flow(paths, actor, settings.resolved_database_url(), settings.chunk_size)


@app.command()
def submit(
    paths: Annotated[list[Path], typer.Argument(help="Proposal files (YAML, JSON, CSV) and folders.")],
    as_: AsOption = None,
    json_: JsonOption = False,
) -> None:
    """File proposals through the intake flow; a changed proposal under the same reference is an amendment.

    Example: governance submit examples/proposals/
    """
    settings = load_settings()
    store = _store(settings)
    store.require_schema()
    # Refuse bad input before paying for a flow run: the flow validates again on its own.
    with store.read() as conn:
        policy = intake.current_policy(conn)
        known = intake.known_references(conn)
    intake.validate_submission([str(p) for p in paths], policy.policy, known)
    report = _run_intake([str(p) for p in paths], default_actor(as_, settings), settings)
    if report.problems:
        raise InputRefused(report.problems)
    if json_:
        _print_json([f.__dict__ for f in report.filings])
        return
    _filings_table(report.filings)
    out.print(_summary_line(report.filings))


def _summary_line(filings: list[intake.Filing]) -> str:
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


def _filings_table(filings: list[intake.Filing]) -> None:
    table = Table(title="Intake", show_lines=False)
    for column in ("id", "reference", "action", "state", "reasons"):
        table.add_column(column)
    for f in filings:
        style = "red" if f.state == "screened-out" else ("dim" if f.action == "unchanged" else "")
        table.add_row(f.proposal_id, f.reference, f.action, f.state, "; ".join(f.reasons), style=style)
    out.print(table)


@app.command()
def withdraw(
    proposal: Annotated[str, typer.Argument(help="Proposal id (P-2026-0007) or reference.")],
    reason: Annotated[str, typer.Option(help="Why it is withdrawn (kept in the ledger).")],
    as_: AsOption = None,
) -> None:
    """Withdraw a proposal before its decision.

    Example: governance withdraw P-2026-0007 --reason "merged into P-2026-0003"
    """
    settings = load_settings()
    store = _store(settings)
    store.require_schema()
    if not reason.strip():
        raise ConfigError("--reason must not be empty")
    filing = intake.withdraw(store, _ledger(settings), proposal, default_actor(as_, settings), reason.strip())
    out.print(f"Withdrew {filing.proposal_id} ({filing.reference}).")


@app.command("list")
def list_(
    state: Annotated[str | None, typer.Option(help="Only proposals in this state.")] = None,
    bucket: Annotated[str | None, typer.Option(help="Only proposals in this strategic bucket.")] = None,
    json_: JsonOption = False,
) -> None:
    """List proposals and where each stands.

    Example: governance list --state screened --bucket platform
    """
    from sqlalchemy import select

    settings = load_settings()
    store = _store(settings)
    store.require_schema()
    query = select(ProposalRow).order_by(ProposalRow.id)
    if state:
        query = query.where(ProposalRow.state == state)
    if bucket:
        query = query.where(ProposalRow.bucket == bucket)
    with store.read() as conn:
        rows = conn.execute(query).all()
    data = [
        {
            "id": r.id,
            "reference": r.reference,
            "title": r.title,
            "bucket": r.bucket,
            "state": r.state,
            "version": r.version,
            "sponsor": r.sponsor,
        }
        for r in rows
    ]
    if json_:
        _print_json(data)
        return
    table = Table(title=f"Proposals ({len(data)})")
    for column in ("id", "reference", "title", "bucket", "state", "version", "sponsor"):
        table.add_column(column)
    for d in data:
        table.add_row(*(str(d[c]) for c in ("id", "reference", "title", "bucket", "state", "version", "sponsor")))
    out.print(table)


@app.command()
def show(
    proposal: Annotated[str, typer.Argument(help="Proposal id (P-2026-0007) or reference.")],
    json_: JsonOption = False,
) -> None:
    """Show a proposal and its full history from the ledger.

    Example: governance show P-2026-0007
    """
    settings = load_settings()
    store = _store(settings)
    store.require_schema()
    with store.read() as conn:
        row = intake.find_proposal(conn, proposal)
        content = get_snapshot(conn, row.snapshot)
        history = records_for(conn, row.id)
    if json_:
        _print_json(
            {
                "id": row.id,
                "reference": row.reference,
                "state": row.state,
                "version": row.version,
                "proposal": content,
                "history": [
                    {
                        "seq": r.seq,
                        "kind": r.kind,
                        "outcome": r.outcome,
                        "recorded_by": r.recorded_by,
                        "recorded_at": r.recorded_at.isoformat(),
                        "policy_version": r.policy_version,
                        "hash": r.hash,
                        "payload": r.payload,
                    }
                    for r in history
                ],
            }
        )
        return
    out.print(f"[bold]{row.id}[/bold]  {row.reference}  {content['title']}")
    out.print(
        f"State: {row.state} (version {row.version}); bucket {row.bucket}; "
        f"sponsor {row.sponsor}; submitter {row.submitter}"
    )
    out.print(content["summary"], markup=False)
    table = Table(title="History")
    for column in ("seq", "kind", "outcome", "recorded by", "recorded at (UTC)", "details", "hash"):
        table.add_column(column)
    for r in history:
        table.add_row(
            str(r.seq),
            r.kind,
            r.outcome or "",
            r.recorded_by,
            r.recorded_at.strftime("%Y-%m-%d %H:%M:%S"),
            _details(r.kind, r.payload),
            r.hash[:12],
        )
    out.print(table)


def _details(kind: str, payload: dict[str, Any]) -> str:
    if kind in ("screened", "screened-out"):
        failed = [r["description"] for r in payload.get("rules", []) if not r["passed"]]
        return "failed: " + "; ".join(failed) if failed else f"{len(payload.get('rules', []))} must-meet rules passed"
    if kind == "amended":
        return f"v{payload['version']}: changed " + ", ".join(payload.get("changed", []))
    if kind == "withdrawn":
        return str(payload.get("reason", ""))
    if kind == "filed":
        return f"from {payload['source']['file']} {payload['source']['record']}"
    return ""


@app.command("verify")
def verify_(
    expect_head: Annotated[
        str | None, typer.Option(help="SEQ:HASH noted earlier; also catches a chain cut short.")
    ] = None,
    json_: JsonOption = False,
) -> None:
    """Walk the ledger's hash chain, its snapshots and policies; name the first record that fails.

    Example: governance verify --expect-head 64:3f2a...
    """
    from governance.errors import IntegrityError

    settings = load_settings()
    store = _store(settings)
    store.require_schema()
    expected = None
    if expect_head:
        seq, _, digest = expect_head.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            raise ConfigError(f"--expect-head must be SEQ:HASH (64 hex digits), got {expect_head!r}")
        expected = (int(seq), digest.lower())
    report = verify(store, expect_head=expected)
    if json_:
        _print_json(report.as_dict())
        if not report.ok:
            raise typer.Exit(1)
        return
    if not report.ok:
        for problem in report.problems[1:]:
            err.print(f"  also: {problem}")
        raise IntegrityError(f"ledger does not verify: {report.problems[0]}")
    out.print(
        f"Ledger verified: {report.records} records, head {report.head_seq}:{report.head_hash}; "
        f"{report.snapshots} snapshots ({report.snapshot_bytes:,} bytes), {report.policies} policies."
    )


@app.command()
def schema(
    kind: Annotated[str, typer.Argument(help="proposal or policy")],
) -> None:
    """Print the JSON Schema of a file format.

    Example: governance schema proposal > proposal.schema.json
    """
    from pydantic import BaseModel

    from models.policy import Policy
    from models.proposal import Proposal

    models: dict[str, type[BaseModel]] = {"proposal": Proposal, "policy": Policy}
    if kind not in models:
        raise ConfigError(f"unknown schema {kind!r}; choose one of: {', '.join(models)}")
    _print_json(models[kind].model_json_schema(by_alias=True))


@app.command()
def demo(
    folder: Annotated[Path, typer.Option(help="Where the demo keeps its database.")] = Path("demo-run"),
    as_: AsOption = None,
) -> None:
    """Run the whole engine on the bundled samples in a fresh database of its own.

    Example: governance demo
    """
    from flows.demo import run_demo

    run_demo(folder, default_actor(as_, load_settings()), out)


@server_app.command("start")
def server_start(port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 4200) -> None:
    """Start a local Prefect server (own SQLite) and a runner serving the deployments.

    Example: governance server start --port 4200
    """
    from flows.server import start

    out.print(start(load_settings(), port))


@server_app.command("stop")
def server_stop() -> None:
    """Stop the local Prefect server and its runner."""
    from flows.server import stop

    out.print(stop(load_settings()))


@server_app.command("status")
def server_status() -> None:
    """Say whether the local server runs and which mode commands use now."""
    from flows.server import status

    out.print(status(load_settings()))


def main() -> None:
    """Entry point: run the app, turning our errors into one clear line and a non-zero exit."""
    try:
        app()
    except InputRefused as refused:
        err.print(f"error[{refused.code}]: {refused.message}", markup=False)
        for problem in refused.problems:
            err.print(f"  {problem}", markup=False)
        sys.exit(1)
    except GovernanceError as error:
        err.print(f"error[{error.code}]: {error.message}", markup=False)
        sys.exit(1)
