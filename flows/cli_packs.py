"""`governance pack gate|quarter|audit` and `governance verify-pack`. Registered on the app of `flows.cli`.

Packs are written into `--output` (default `out/`), atomically, and signed (PAdES) when a signing
key is configured (`governance keys init`, or GOVERNANCE_SIGNING_KEY / _CERT). None of these start Prefect.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from flows.cli import JsonOption, _print_json, _store, app, err, out
from governance.errors import ConfigError, IntegrityError, NotFoundError
from governance.settings import Settings, load_settings

if TYPE_CHECKING:
    from governance.packs import PackJob

__all__ = ["finish_packs"]

pack_app = typer.Typer(help="PDF decision packs (PDF/A-3, the records attached).", no_args_is_help=True)
app.add_typer(pack_app, name="pack")
OutputOption = Annotated[Path, typer.Option("--output", "-o", help="Folder to write the pack into.")]


def finish_packs(settings: Settings, jobs: list[PackJob]) -> list[Path]:
    """Render the jobs (a process pool when there are several), then sign each if a key is configured."""
    from governance.packs import render_many
    from governance.packs.check import sign_pack

    paths = render_many(jobs)
    pair = settings.signing_pair()
    if pair is not None:
        for job, path in zip(jobs, paths, strict=True):
            sign_pack(path, job.moment, *pair)
    return paths


def _latest_gate(store: Any, proposal_id: str, kind: str) -> int:
    from governance.intake import find_proposal
    from governance.ledger import latest_record

    with store.read() as conn:
        row = find_proposal(conn, proposal_id)
        record = latest_record(conn, row.id, kind)
    if record is None:
        what = "recommendation" if kind == "recommended" else "decision"
        raise NotFoundError(f"{row.id} has no gate {what} yet")
    return int(record.payload["gate"])


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
    from governance.intake import find_proposal
    from governance.packs import gate_job

    settings = load_settings()
    store = _store(settings)
    store.require_schema()
    with store.read() as conn:
        pid = find_proposal(conn, proposal).id
    number = gate if gate is not None else _latest_gate(store, pid, "recommended" if pre_read else "decided")
    [path] = finish_packs(settings, [gate_job(store, pid, number, output, pre_read=pre_read)])
    out.print(f"Wrote {path}")


@pack_app.command("quarter")
def pack_quarter(
    quarter: Annotated[str, typer.Argument(help="The quarter, like 2026Q4.")],
    output: OutputOption = Path("out"),
) -> None:
    """Write the quarterly board pack: summary, continue/pause/stop table, selection, charts, appendix.

    Example: governance pack quarter 2026Q4 -o out/
    """
    from governance.packs import quarter_job

    settings = load_settings()
    store = _store(settings)
    store.require_schema()
    [path] = finish_packs(settings, [quarter_job(store, quarter, output)])
    out.print(f"Wrote {path}")


def _day(value: str, flag: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{flag} {value!r}: expected a date, YYYY-MM-DD") from None


@pack_app.command("audit")
def pack_audit(
    since: Annotated[str, typer.Option(help="First day (UTC), YYYY-MM-DD.")],
    until: Annotated[str, typer.Option(help="Last day (UTC), inclusive.")],
    output: OutputOption = Path("out"),
) -> None:
    """Write the audit extract for a period: chain verification, every record, each decision's replay.

    Example: governance pack audit --since 2026-10-01 --until 2026-12-31
    """
    from governance.packs import audit_job
    from governance.replay import describe_replay

    settings = load_settings()
    store = _store(settings)
    store.require_schema()
    first, last = _day(since, "--since"), _day(until, "--until")
    with describe_replay(store) as replay:
        job = audit_job(store, first, last, output, replay)
    [path] = finish_packs(settings, [job])
    out.print(f"Wrote {path}")


@app.command("verify-pack")
def verify_pack(
    paths: Annotated[list[Path], typer.Argument(help="Pack files (PDF).")],
    offline: Annotated[
        bool, typer.Option("--offline", help="Check the pack against itself and its signature only.")
    ] = False,
    json_: JsonOption = False,
) -> None:
    """Check packs: the attached records re-hash, every page's stamp, the signature, and the ledger.

    Exits 1 if any check fails. Example: governance verify-pack out/board-pack-2026Q4.pdf
    """
    from dataclasses import asdict

    from governance.packs.check import check_pack

    settings = load_settings()
    store = None
    if not offline:
        store = _store(settings)
        store.require_schema()
    pair = settings.signing_pair()
    results = []
    for path in paths:
        if not path.is_file():
            raise NotFoundError(f"{path}: no such file")
        results.append(check_pack(path, store, pair[1] if pair else None))
    if json_:
        _print_json([dict(asdict(r), ok=r.ok) for r in results])
    else:
        for r in results:
            signed = (
                "; signature "
                + ", ".join("trusted" if s.trusted else "valid, not checked against a key" for s in r.signatures)
                if r.signatures
                else "; not signed"
            )
            where = "matches the ledger" if r.against_ledger else "offline: the pack against itself"
            if r.ok:
                out.print(
                    f"{r.path}: verified ({r.records} record(s), head {r.head[:20] if r.head else '-'}..., "
                    f"stamps on all {r.pages} pages, {where}{signed}).",
                    markup=False,
                )
            else:
                err.print(f"{r.path}: FAILED", markup=False)
                for problem in r.problems:
                    err.print(f"  {escape(problem)}", markup=False)
    failed = [r for r in results if not r.ok]
    if failed:
        raise IntegrityError(f"{len(failed)} of {len(results)} pack(s) failed verification: {failed[0].problems[0]}")
