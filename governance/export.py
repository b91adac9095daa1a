"""`governance export`: ledger records of a period as stored, so each line re-hashes to its hash."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Literal

from sqlalchemy import Connection

from governance.ledger import iter_records, record_object
from governance.record_layout import RECORD_FIELDS

__all__ = ["ExportFormat", "export_records", "spreadsheet_cell"]

ExportFormat = Literal["jsonl", "csv"]

# OWASP's rule against CSV (formula) injection: a cell that a spreadsheet would run as a formula, or
# whose leading tab or carriage return hides one, is written with a single quote in front.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text: `=HYPERLINK(...)` is written `'=HYPERLINK(...)`.

    None is the empty cell. No stored column of a record starts with these characters (sequence numbers,
    hex hashes, ids, times, a payload's `{`) unless a value from outside put it there: re-hashing an
    exported row takes the one quote off such a cell first.
    """
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def export_records(
    conn: Connection, since: dt.date | None, until: dt.date | None, fmt: ExportFormat
) -> tuple[str, int]:
    """The records recorded on `since`..`until` (UTC days, inclusive; None: open) and their count.

    JSON Lines: one object of stored columns per record. CSV: a header row of the stored columns,
    then a row per record (an empty cell for NULL; a cell a spreadsheet would run as a formula starts with
    a quote, see `spreadsheet_cell`).
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n") if fmt == "csv" else None
    if writer is not None:
        writer.writerow(RECORD_FIELDS)
    count = 0
    for record in iter_records(conn):
        day = record.recorded_at.date()
        if (since and day < since) or (until and day > until):
            continue
        row = record_object(record)
        if writer is not None:
            writer.writerow([spreadsheet_cell(row[c]) for c in RECORD_FIELDS])
        else:
            buffer.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return buffer.getvalue(), count
