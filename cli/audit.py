"""The auditor's commands: verify, replay, export, schema, and the keys (packs' signing key, the ledger key).

None start Prefect."""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path
from typing import Annotated

import typer

from cli.context import JsonOption, choice, err, load_settings, opened, out, print_json
from cli.counterfactual import KindsOption, SinceOption
from governance.errors import ConfigError

__all__ = ["app", "keys_app", "output_file", "write_file"]

app = typer.Typer()
keys_app = typer.Typer(help="The keys that sign decision packs and authenticate ledger records.", no_args_is_help=True)

_HEAD = re.compile(r"^(\d{1,18}):([0-9a-fA-F]{12,64})$")


def _expect_head(value: str | None) -> str | None:
    if value is not None and not _HEAD.fullmatch(value):
        raise typer.BadParameter(
            f"must be SEQ:HASH, the hash whole or its first 12 or more hex digits (as screens show it), got {value!r}"
        )
    return value


@app.command("verify")
def verify_(
    expect_head: Annotated[
        str | None,
        typer.Option(
            callback=_expect_head,
            help="SEQ:HASH noted earlier (the hash whole or its first 12+ hex digits); also catches a chain cut short.",
        ),
    ] = None,
    json_: JsonOption = False,
) -> None:
    """Walk the ledger's hash chain, snapshots and policies, re-derive the proposals and decision keys from
    it, and check each record's MAC with the ledger key; name the first thing that fails.

    Without a ledger key (GOVERNANCE_LEDGER_KEY_FILE) the records are not authenticated, and it says so.
    Example: governance verify --expect-head 64:3f2a9c01b7d4
    """
    from governance.errors import IntegrityError
    from governance.ledger import verify

    settings, db = opened()
    expected = None
    if expect_head:
        seq, _, digest = expect_head.partition(":")
        expected = (int(seq), digest.lower())
    key = settings.ledger_secret()
    report = verify(db, expect_head=expected, key=key)
    if json_:
        print_json(report.as_dict())
        if not report.ok:
            raise typer.Exit(1)
        return
    authentication = report.authentication[:1].upper() + report.authentication[1:] + "."
    if not report.ok:
        for problem in report.problems[1:]:
            err.print(f"  also: {problem}")
        if key is None:
            err.print(f"  note: {authentication}")
        raise IntegrityError(f"ledger does not verify: {report.problems[0]}")
    out.print(
        f"Ledger verified: {report.records} records, head {report.head_seq}:{report.head_hash}; "
        f"{report.snapshots} snapshots ({report.snapshot_bytes:,} bytes), {report.policies} policies; "
        f"the proposals table ({report.proposals} rows) and the decision keys ({report.decision_keys}) "
        "match the ledger" + (f"; {report.signatures} vote signature(s) verified." if report.signatures else ".")
    )
    out.print(authentication)


_FORMATS = ("proposal", "policy", "assessment", "status-report", "project", "candidates")


def _record_kind(ctx: typer.Context, value: str | None) -> str | None:
    """`schema record KIND` needs one of the ledger's record kinds; the file formats take none."""
    if ctx.params.get("kind") != "record":
        if value is not None:
            raise typer.BadParameter(f"only `record` takes a record kind, not {ctx.params.get('kind')}")
        return value
    from models.records import RECORD_KINDS

    if value is None:
        raise typer.BadParameter(f"name a record kind: {', '.join(RECORD_KINDS)}")
    if value not in RECORD_KINDS:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(RECORD_KINDS)}")
    return value


@app.command()
def schema(
    kind: Annotated[
        str,
        typer.Argument(
            callback=choice(*_FORMATS, "record"),
            help=f"{', '.join(_FORMATS)}, or record (then a record kind)",
        ),
    ],
    record_kind: Annotated[
        str | None,
        typer.Argument(
            callback=_record_kind,
            metavar="RECORD_KIND",
            help="With record: the ledger record kind (decided, scored, selected, ...) whose payload to describe.",
        ),
    ] = None,
) -> None:
    """Print the JSON Schema of a file format, or of the payload of a ledger record kind (for auditors).

    `governance schema record` with no kind names the kinds.

    Example: governance schema record decided > decided.schema.json (a file format: governance schema proposal)
    """
    if record_kind is not None:
        from models.records import record_schema

        print_json(record_schema(record_kind))
        return
    from pydantic import BaseModel

    from models.assessment import Assessment
    from models.policy import Policy
    from models.proposal import Proposal
    from models.selection import CandidatesFile
    from models.status_report import MigratedProject, StatusReport

    models: dict[str, type[BaseModel]] = {
        "proposal": Proposal,
        "policy": Policy,
        "assessment": Assessment,
        "status-report": StatusReport,
        "project": MigratedProject,
        "candidates": CandidatesFile,
    }
    print_json(models[kind].model_json_schema(by_alias=True))


@app.command()
def replay(
    target: Annotated[
        str | None, typer.Argument(help="A proposal or project id, a quarter (Q-2026Q4) or a record number.")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Replay every replayable record.")] = False,
    policy: Annotated[
        str | None,
        typer.Option(
            "--policy",
            metavar="DRAFT.yaml",
            help="A draft policy: re-derive the automatic steps of the past under it and list what would differ "
            "(nothing is recorded).",
        ),
    ] = None,
    since: SinceOption = None,
    kinds: KindsOption = None,
    csv_: Annotated[
        str | None, typer.Option("--csv", metavar="FILE", help="With --policy: also write the differences as CSV.")
    ] = None,
    xlsx: Annotated[
        str | None,
        typer.Option("--xlsx", metavar="FILE", help="With --policy: also write the differences and totals as xlsx."),
    ] = None,
    json_: JsonOption = False,
) -> None:
    """Re-derive decisions from their stored inputs and policy version, and say whether they match; or, with
    --policy, what the automatic steps of the past would have said under a draft policy.

    Exits 1 if any record does not match (a draft's differences are not an error).
    Example: governance replay --all
    Under a draft: governance replay --policy draft.yaml --since 2026-01-01 --kinds recommendations,reviews
    """
    from governance.replay import replay_all, replay_record, replay_subject

    if policy is not None:
        from cli.counterfactual import show_counterfactual

        if target is not None or all_:
            raise typer.BadParameter(
                "--policy replays the whole ledger: give no TARGET or --all", param_hint="'--policy'"
            )
        files = {"csv_": output_file(csv_, "'--csv'"), "xlsx": output_file(xlsx, "'--xlsx'")}
        show_counterfactual(policy, since, kinds, json_=json_, **files, write_file=write_file)
        return
    for name, value in (("--since", since), ("--kinds", kinds), ("--csv", csv_), ("--xlsx", xlsx)):
        if value is not None:
            raise typer.BadParameter("only with --policy DRAFT.yaml", param_hint=f"'{name}'")
    if (target is None) == (not all_):
        raise typer.BadParameter(
            "give one proposal, quarter or record number, or --all", param_hint="'TARGET' / '--all'"
        )
    _, db = opened()
    if all_:
        results = list(replay_all(db))
    elif target is not None and target.isdigit() and len(target) <= 18:
        results = [replay_record(db, int(target))]
    else:
        assert target is not None
        results = replay_subject(db, target)
    mismatched = [r for r in results if r.status == "mismatch"]
    if json_:
        print_json([r.as_dict() for r in results])
    else:
        if not all_ or mismatched:
            from cli.tables import Column, print_fitted

            columns = [Column("record", id=True), Column("kind"), Column("subject", id=True), Column("replay"),
                       Column("detail", wrap=True)]  # fmt: skip
            rows = [(str(r.seq), r.kind, r.subject, r.status, r.detail) for r in (results if not all_ else mismatched)]
            print_fitted(out, columns, rows)
        counts: dict[str, int] = {}
        for r in results:
            counts[r.status] = counts.get(r.status, 0) + 1
        out.print(
            f"Replayed {len(results)} record(s): "
            + ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
            + "."
        )
    if mismatched:
        raise typer.Exit(1)


@app.command()
def export(
    since: Annotated[
        dt.datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"], metavar="YYYY-MM-DD", help="First day (UTC) of records to export, YYYY-MM-DD."
        ),
    ] = None,
    until: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], metavar="YYYY-MM-DD", help="Last day (UTC), inclusive.")
    ] = None,
    format_: Annotated[
        str,
        typer.Option(
            "--format",
            callback=choice("jsonl", "csv", "xlsx"),
            help="jsonl or csv (the records), or xlsx (the ranking, the selection, its frontier and the portfolio).",
        ),
    ] = "jsonl",
    output: Annotated[str | None, typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
) -> None:
    """Every ledger record in a period with its hash, as stored (so each line re-hashes to its hash); or, as
    xlsx, the ranking, the latest selection with its frontier, and the portfolio as a spreadsheet.

    Example: governance export --since 2026-10-01 --until 2026-12-31 --format csv -o q4.csv
    A spreadsheet: governance export --format xlsx -o portfolio.xlsx
    """
    from governance.export import export_records

    target = output_file(output)  # a bad path refused before any work
    if format_ == "xlsx":
        if target is None:
            raise typer.BadParameter("a spreadsheet goes to a file: give -o FILE.xlsx", param_hint="'--format xlsx'")
        if since is not None or until is not None:
            raise typer.BadParameter("exports records of a period; xlsx is the portfolio now", param_hint="'--since'")
        write_file(target, _workbook())
        out.print(f"Exported the ranking, the selection, its frontier and the portfolio to {target}.")
        return
    _, db = opened()
    with db.read() as conn:
        text, count = export_records(
            conn,
            since.date() if since else None,
            until.date() if until else None,
            "csv" if format_ == "csv" else "jsonl",
        )
    if target is None:
        sys.stdout.write(text)
        return
    write_file(target, text.encode("utf-8"))
    out.print(f"Exported {count} record(s) to {target}.")


def _workbook() -> bytes:
    """The spreadsheet of the portfolio now, its times from the engine's clock."""
    from governance.workbook import workbook_bytes, workbook_sheets

    settings, db = opened()
    with db.read() as conn:
        sheets = workbook_sheets(conn)
    return workbook_bytes(sheets, settings.clock().now())


def write_file(target: Path, data: bytes) -> None:
    """`data` to `target` whole or not at all (a temporary file beside it, then renamed)."""
    temporary = target.with_name(f".{target.name}.tmp")
    try:
        temporary.write_bytes(data)
        temporary.replace(target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise ConfigError(f"-o {target}: cannot write: {exc.strerror}") from None


def output_file(output: str | None, hint: str = "'--output' / '-o'") -> Path | None:
    """`-o FILE` as a path a file can be written to (its folder exists; it is no folder), else bad usage."""
    if output is None:
        return None
    target = Path(output)
    if target.is_dir():
        raise typer.BadParameter(f"{output!r} is a folder: name a file", param_hint=hint)
    if target.is_symlink() and not target.exists():
        raise typer.BadParameter(f"{output!r} is a dangling symlink or a symlink loop", param_hint=hint)
    if not target.parent.is_dir():
        raise typer.BadParameter(f"{output!r}: no folder {str(target.parent)!r}", param_hint=hint)
    return target


@keys_app.command("init")
def keys_init(
    organisation: Annotated[str, typer.Option(help="Organisation named in the certificate.")] = "Portfolio office",
) -> None:
    """Make a self-signed signing key and certificate under GOVERNANCE_HOME/keys, for trying signatures out.

    Packs are then signed (PAdES); an organisation sets GOVERNANCE_SIGNING_KEY and
    GOVERNANCE_SIGNING_CERT to its own instead. Example: governance keys init --organisation "Nordwind GmbH"
    """
    from governance.signing import init_keys

    settings = load_settings()
    key, cert = init_keys(settings.home / "keys", organisation, settings.clock().now())
    out.print(f"Signing key {key} (private, mode 0600) and self-signed certificate {cert}.")
    out.print("Packs written from now on are signed; `governance verify-pack` checks the signature.")


@keys_app.command("ledger")
def keys_ledger() -> None:
    """Make the ledger key: records appended with it get a MAC, and `governance verify` checks them.

    Written to GOVERNANCE_LEDGER_KEY_FILE if set, else GOVERNANCE_HOME/keys/ledger.key (mode 0600); an
    existing key is never replaced. Give the same file to every host that runs the engine; never store it
    in the database. Example: governance keys ledger && governance keys seal
    """
    from governance.ledger_key import read_key_file, write_key_file
    from governance.record_layout import key_id

    settings = load_settings()
    path = write_key_file(settings.ledger_key_file or settings.home / "keys" / "ledger.key")
    out.print(f"Ledger key {path} (private, mode 0600; key id {key_id(read_key_file(path))}).")
    out.print(
        "Records appended with it from now on get a MAC. Keep it on the engine's hosts, never in the database; "
        "seal the records already there with `governance keys seal`."
    )


@keys_app.command("seal")
def keys_seal() -> None:
    """Seal a ledger written before its key: the MAC of its head record covers every record before it.

    The ledger must verify first. Example: governance keys seal
    """
    from governance.ledger_seal import seal
    from governance.record_layout import key_id

    settings, db = opened()
    key = settings.ledger_secret()
    if key is None:
        raise ConfigError(
            "no ledger key is configured: make one with `governance keys ledger` or set GOVERNANCE_LEDGER_KEY_FILE"
        )
    seq, digest = seal(db, key)
    out.print(
        f"Sealed records 1-{seq} with the ledger key {key_id(key)} (head {seq}:{digest}): "
        "`governance verify` with the key now authenticates them."
    )
