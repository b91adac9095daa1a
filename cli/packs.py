"""`governance pack gate|quarter|scenarios|audit|counterfactual|analytics` and `governance verify-pack`.

Packs are written into `--output` (default `out/`), atomically, and signed (PAdES) when a signing
key is configured (`governance keys init`, or GOVERNANCE_SIGNING_KEY / _CERT). None of these start Prefect.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from governance.packs.check import PackCheck

from cli.context import JsonOption, err, load_settings, opened, out, print_json, store, working
from cli.counterfactual import KindsOption, SinceOption, kinds_of, load_draft
from governance.errors import IntegrityError, NotFoundError, Unverifiable

__all__ = ["app", "pack_app"]

app = typer.Typer()
pack_app = typer.Typer(help="PDF decision packs (PDF/A-3, the records attached).", no_args_is_help=True)


def _folder(value: Path) -> Path:
    """`-o` must be a folder, or a path one can be made at: not a file, not a symlink loop (bad usage)."""
    if value.is_symlink() and not value.exists():
        raise typer.BadParameter(f"{str(value)!r} is a dangling symlink or a symlink loop")
    if value.exists() and not value.is_dir():
        raise typer.BadParameter(f"{str(value)!r} is a file, not a folder")
    return value


OutputOption = Annotated[
    Path, typer.Option("--output", "-o", callback=_folder, help="Folder to write the pack into (made if need be).")
]


@pack_app.command("gate")
def pack_gate(
    proposal: Annotated[str, typer.Argument(help="Proposal id (P-2026-0007) or reference.")],
    gate: Annotated[int | None, typer.Option(help="The gate (default: the latest decided, or recommended).")] = None,
    pre_read: Annotated[
        bool, typer.Option("--pre-read", help="The board's pre-read: everything but the decision.")
    ] = False,
    output: OutputOption = Path("out"),
) -> None:
    """Write the gate decision pack (or the pre-read) of one proposal.

    Example: governance pack gate P-2026-0007 --pre-read -o out/
    """
    from governance import views
    from governance.intake import find_proposal
    from governance.packs import gate_job, write_packs

    settings, db = opened()
    with db.read() as conn:
        if gate is None:
            pid, number = views.latest_gate(conn, proposal, "recommended" if pre_read else "decided")
        else:
            pid, number = find_proposal(conn, proposal).id, gate
    with working(f"Rendering the gate pack of {pid}"):
        [path] = write_packs([gate_job(db, pid, number, output, pre_read=pre_read)], settings.signing_pair())
    out.print(f"Wrote {path}")


@pack_app.command("quarter")
def pack_quarter(
    quarter: Annotated[str, typer.Argument(help="The quarter, like 2026Q4.")],
    output: OutputOption = Path("out"),
) -> None:
    """Write the quarterly board pack: summary, continue/pause/stop table, selection, charts, appendix.

    Example: governance pack quarter 2026Q4 -o out/
    """
    from governance.packs import quarter_job, write_packs

    settings, db = opened()
    with working(f"Rendering the {quarter} board pack"):
        [path] = write_packs([quarter_job(db, quarter, output)], settings.signing_pair())
    out.print(f"Wrote {path}")


@pack_app.command("scenarios")
def pack_scenarios(
    names: Annotated[list[str], typer.Argument(help="Two or more saved scenarios.")],
    output: OutputOption = Path("out"),
) -> None:
    """Write the comparison of saved scenarios: value, spend, the simulated range of value and the chance of
    overrunning each budget, and the projects in each, side by side.

    Example: governance pack scenarios base lean bold -o out/
    """
    from governance.packs import scenarios_job, write_packs

    settings, db = opened()
    with working("Rendering the scenario comparison"):
        [path] = write_packs([scenarios_job(db, names, output)], settings.signing_pair())
    out.print(f"Wrote {path}")


@pack_app.command("audit")
def pack_audit(
    since: Annotated[
        dt.datetime, typer.Option(formats=["%Y-%m-%d"], metavar="YYYY-MM-DD", help="First day (UTC), YYYY-MM-DD.")
    ],
    until: Annotated[
        dt.datetime, typer.Option(formats=["%Y-%m-%d"], metavar="YYYY-MM-DD", help="Last day (UTC), inclusive.")
    ],
    output: OutputOption = Path("out"),
) -> None:
    """Write the audit extract for a period: chain verification, every record, each decision's replay.

    Example: governance pack audit --since 2026-10-01 --until 2026-12-31
    """
    from governance.packs import audit_job, write_packs
    from governance.replay import describe_replay

    settings, db = opened()
    with working("Replaying the period's decisions and rendering the audit extract"):
        with describe_replay(db) as replay:
            job = audit_job(db, since.date(), until.date(), output, replay)
        [path] = write_packs([job], settings.signing_pair())
    out.print(f"Wrote {path}")


@pack_app.command("counterfactual")
def pack_counterfactual(
    policy: Annotated[str, typer.Argument(metavar="DRAFT.yaml", help="The draft policy file.")],
    since: SinceOption = None,
    kinds: KindsOption = None,
    output: OutputOption = Path("out"),
) -> None:
    """Write the counterfactual pack: what the automatic steps of the past would have said under a draft
    policy (`governance replay --policy` as a PDF, the result and the draft attached). Nothing is recorded.

    Example: governance pack counterfactual draft.yaml --since 2026-01-01
    """
    from governance.counterfactual import counterfactual_replay
    from governance.packs import write_packs
    from governance.packs.counterfactual import counterfactual_job

    draft = load_draft(policy)
    settings, db = opened()
    with working("Replaying the past under the draft and rendering the pack"):
        result = counterfactual_replay(db, draft, since=since.date() if since else None, kinds=kinds_of(kinds))
        [path] = write_packs([counterfactual_job(db, draft, result, output)], settings.signing_pair())
    out.print(f"Wrote {path}")


@pack_app.command("analytics")
def pack_analytics(
    since: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], metavar="YYYY-MM-DD", help="Only decisions met on or after this day."),
    ] = None,
    gate: Annotated[int | None, typer.Option("--gate", min=1, help="Only decisions at this gate.")] = None,
    output: OutputOption = Path("out"),
) -> None:
    """Write the decision-quality pack: a dashboard, the reliability chart and the cost error per gate, the
    calibration and the overrides per gate, every decision (`governance analytics` as a PDF, the result attached).

    Example: governance pack analytics --since 2026-01-01 -o out/
    """
    from governance.packs import write_packs
    from governance.packs.analytics import analytics_job

    settings, db = opened()
    with working("Rendering the decision-quality pack"):
        job = analytics_job(db, output, since=since.date() if since else None, gate=gate)
        [path] = write_packs([job], settings.signing_pair())
    out.print(f"Wrote {path}")


@app.command("verify-pack")
def verify_pack(
    paths: Annotated[list[Path], typer.Argument(help="Pack files (PDF).")],
    offline: Annotated[
        bool,
        typer.Option(
            "--offline",
            help="Without the database: the pack against itself and its signature (unsigned: unverifiable).",
        ),
    ] = False,
    json_: JsonOption = False,
) -> None:
    """Check packs: is each file, byte for byte, the pack the ledger makes, as it was written?

    Online: the attached records must be the ledger's, and the file the pack re-rendered from the ledger.

    A signed pack is compared up to its signature, which must cover the whole file. Any change fails.

    Offline: a signed pack is checked by its signature; an unsigned one cannot be verified offline.

    With a signing key configured, every pack must be signed with it. Exits 1 unless all are verified.

    Example: governance verify-pack out/board-pack-2026Q4.pdf
    """
    from dataclasses import asdict

    from governance.packs.check import check_pack

    settings = load_settings()
    db = None
    if not offline:
        db = store(settings)
        db.require_schema()
    pair = settings.signing_pair()
    results = []
    for path in paths:
        if not path.is_file():
            raise NotFoundError(f"{path}: no such file")
        results.append(check_pack(path, db, pair[1] if pair else None))
    if json_:
        print_json([dict(asdict(r), ok=r.ok) for r in results])
    else:
        for r in results:
            if r.ok:
                out.print(f"{r.path}: verified {_proof(r)}.")
            elif r.problems:
                err.print(f"{r.path}: FAILED")
                for problem in r.problems:
                    err.print(f"  {problem}")
            elif len(results) > 1:  # one pack alone: the error line below says it
                err.print(f"{r.path}: UNVERIFIABLE: {r.unverifiable}")
    failed = [r for r in results if r.problems]
    if failed:
        raise IntegrityError(f"{len(failed)} of {len(results)} pack(s) failed verification: {failed[0].problems[0]}")
    unverified = [r for r in results if not r.ok]
    if len(results) == 1 and unverified:
        raise Unverifiable(f"{unverified[0].path}: {unverified[0].unverifiable}")
    if unverified:
        raise Unverifiable(
            f"{len(unverified)} of {len(results)} pack(s) could not be verified: {unverified[0].unverifiable}"
        )


def _proof(r: PackCheck) -> str:
    """What a verified pack was shown to be, and its counts: the line after its path."""
    head = f"head {r.head[:20] if r.head else '-'}..."
    signed = (
        "signature " + ", ".join("trusted" if s.trusted else "valid, not checked against a key" for s in r.signatures)
        if r.signatures
        else "not signed"
    )
    counts = f"{r.records} record(s), {head}"
    if r.remade:
        return f"as the pack re-rendered from the ledger, byte for byte ({counts}, {r.pages} pages; {signed})"
    if r.against_ledger:  # an audit extract of a ledger grown since: its records match, its signature holds
        return (
            f"by its signature; its records match the ledger, which has grown since ({counts}, "
            f"stamps on all {r.pages} pages; {signed})"
        )
    return f"offline, by its signature ({counts}, stamps on all {r.pages} pages; {signed})"
