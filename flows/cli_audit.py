"""The auditor's commands: replay and export. Registered on the app of `flows.cli`; never start Prefect."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from flows.cli import JsonOption, _print_json, _store, app, out
from governance.errors import ConfigError
from governance.ledger import RECORD_FIELDS, record_object
from governance.settings import load_settings

__all__ = ["EXPORT_COLUMNS"]

keys_app = typer.Typer(help="The key that signs decision packs.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


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


EXPORT_COLUMNS = RECORD_FIELDS


@app.command()
def replay(
    target: Annotated[
        str | None, typer.Argument(help="A proposal or project id, a quarter (Q-2026Q4) or a record number.")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Replay every replayable record.")] = False,
    json_: JsonOption = False,
) -> None:
    """Re-derive decisions from their stored inputs and policy version, and say whether they match.

    Exits 1 if any record does not match. Example: governance replay --all
    """
    from governance.replay import replay_all, replay_record, replay_subject

    if (target is None) == (not all_):
        raise ConfigError("give one proposal, quarter or record number, or --all")
    store = _store(load_settings())
    store.require_schema()
    if all_:
        results = list(replay_all(store))
    elif target is not None and target.isdigit():
        results = [replay_record(store, int(target))]
    else:
        assert target is not None
        results = replay_subject(store, target)
    mismatched = [r for r in results if r.status == "mismatch"]
    if json_:
        _print_json([r.as_dict() for r in results])
    else:
        if not all_ or mismatched:
            table = Table("record", "kind", "subject", "replay", "detail")
            for r in results if not all_ else mismatched:
                table.add_row(str(r.seq), r.kind, r.subject, r.status, escape(r.detail))
            out.print(table)
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


def _day(value: str | None, flag: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{flag} {value!r}: expected a date, YYYY-MM-DD") from None


@app.command()
def export(
    since: Annotated[str | None, typer.Option(help="First day (UTC) of records to export, YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Last day (UTC), inclusive.")] = None,
    format_: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
    output: Annotated[str | None, typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
) -> None:
    """Every ledger record in a period with its hash, as stored (so each line re-hashes to its hash).

    Example: governance export --since 2026-10-01 --until 2026-12-31 --format csv -o q4.csv
    """
    from governance.ledger import iter_records

    first, last = _day(since, "--since"), _day(until, "--until")
    if format_ not in ("jsonl", "csv"):
        raise ConfigError(f"--format {format_!r}: choose jsonl or csv")
    store = _store(load_settings())
    store.require_schema()
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n") if format_ == "csv" else None
    if writer is not None:
        writer.writerow(EXPORT_COLUMNS)
    count = 0
    with store.read() as conn:
        for record in iter_records(conn):
            day = record.recorded_at.date()
            if (first and day < first) or (last and day > last):
                continue
            row = record_object(record)
            if writer is not None:
                writer.writerow(["" if row[c] is None else row[c] for c in EXPORT_COLUMNS])
            else:
                buffer.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    if output is None:
        sys.stdout.write(buffer.getvalue())
    else:
        from pathlib import Path

        target = Path(output)
        temporary = target.with_name(f".{target.name}.tmp")
        temporary.write_text(buffer.getvalue(), encoding="utf-8", newline="")
        temporary.replace(target)
        out.print(f"Exported {count} record(s) to {target}.")
