"""Reading a register as a table: a header row and its rows (CSV or xlsx), each row with its line number.

Cells are text (CSV), or what openpyxl reads from xlsx: text, numbers, dates. Headers are kept as given,
repeated ones too (a tracker export repeats `Labels` and `Sprint`): whoever maps a column decides whether
a repeated header is an error.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from governance.errors import Problem
from governance.sources import MAX_FILE_BYTES, SubmittedFile, read_text_file

__all__ = ["Cell", "Table", "read_table"]

Cell = str | int | float | dt.datetime | None


@dataclass(frozen=True, slots=True)
class Table:
    file: str
    header: list[str]
    rows: list[tuple[int, list[Cell]]]  # (line number in the file, cells: one per header column)


def read_table(file: Path | SubmittedFile) -> tuple[Table | None, list[Problem]]:
    """The file's header and rows, or the problems that keep it from being read."""
    name = str(file)
    suffix = file.suffix.lower()
    if suffix == ".csv":
        if isinstance(file, SubmittedFile):
            text = file.text
        else:
            text, problem = read_text_file(file)
            if problem is not None:
                return None, [problem]
        return _csv(name, text)
    if suffix == ".xlsx" and isinstance(file, Path):
        return _xlsx(file)
    return None, [
        Problem(name, "", "", "unsupported-format", f"a register is a .csv or .xlsx file, not {suffix or '(none)'}")
    ]


def _csv(name: str, text: str) -> tuple[Table | None, list[Problem]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
        rows: list[tuple[int, list[Cell]]] = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                return None, [
                    Problem(
                        name,
                        f"row {reader.line_num}",
                        "",
                        "parse-error",
                        f"{len(row)} cells, the header has {len(header)}",
                    )
                ]
            rows.append((reader.line_num, [*row, *([""] * (len(header) - len(row)))]))
    except StopIteration:
        return None, [Problem(name, "", "", "file-empty", "file is empty")]
    except csv.Error as exc:
        return None, [Problem(name, f"row {reader.line_num}", "", "parse-error", f"invalid CSV: {exc}")]
    if not rows:
        return None, [Problem(name, "", "", "file-empty", "the register has a header but no rows")]
    return Table(name, header, rows), []


def _xlsx(path: Path) -> tuple[Table | None, list[Problem]]:
    import zipfile

    from openpyxl import load_workbook  # type: ignore[import-untyped]

    name = str(path)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        return None, [
            Problem(name, "", "", "file-too-large", f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}")
        ]
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        return None, [Problem(name, "", "", "parse-error", f"not a readable xlsx workbook: {exc}")]
    try:
        sheet = book.worksheets[0]
        values = sheet.iter_rows(values_only=True)
        first = next(values, None)
        if first is None:
            return None, [Problem(name, "", "", "file-empty", "the first sheet is empty")]
        header = ["" if v is None else str(v).strip() for v in first]
        rows: list[tuple[int, list[Cell]]] = []
        for line, row in enumerate(values, start=2):
            cells: list[Cell] = [_xlsx_cell(v) for v in row][: len(header)]
            if not any(c not in (None, "") for c in cells):
                continue
            rows.append((line, [*cells, *([None] * (len(header) - len(cells)))]))
    finally:
        book.close()
    if not rows:
        return None, [Problem(name, "", "", "file-empty", "the register has a header but no rows")]
    return Table(name, header, rows), []


def _xlsx_cell(value: object) -> Cell:
    if value is None or isinstance(value, (str, int, float, dt.datetime)):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return str(value)
