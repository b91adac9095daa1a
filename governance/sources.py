"""Reading submitted files: YAML, JSON and CSV, each record labelled for error messages.

Reading never raises for bad input: every problem comes back as a `Problem` naming the file,
the record and the field, so a whole submission can be refused with all its problems at once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from governance.errors import Problem, ProblemCode
from governance.parsing import Unparsable, parse_text, text_problem

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_YAML_BYTES",
    "SUFFIXES",
    "Source",
    "SourceRecord",
    "SubmittedFile",
    "duplicate_columns",
    "expand_paths",
    "problems_from_validation",
    "read_records",
    "validated",
]

M = TypeVar("M", bound=BaseModel)

MAX_FILE_BYTES = 5 * 1024 * 1024
# YAML is built in Python: 5 MB took 7-9 s here, 2 MB stays well inside the 10 s a command may take to refuse.
MAX_YAML_BYTES = 2 * 1024 * 1024
SUFFIXES = (".yaml", ".yml", ".json", ".csv")


@dataclass(frozen=True, slots=True)
class SourceRecord:
    file: str
    label: str  # "record 2" in a YAML/JSON list, "row 7" in a CSV (the line number)
    data: Any


@dataclass(frozen=True, slots=True)
class SubmittedFile:
    """A submitted file's text, named as the submitter gave it: read where the submitter is and handed
    to the flow through the database (`governance.inputs`), so that the host running the flow needs no
    copy of the file."""

    name: str
    text: str

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix

    def __str__(self) -> str:  # named in problems as a path is
        return self.name


# What a reader accepts: a file or folder on this host, or a file already read.
Source = str | Path | SubmittedFile


def expand_paths(paths: Iterable[Source]) -> tuple[list[Path | SubmittedFile], list[Problem]]:
    """Files as given, folders expanded to their submission files (sorted, non-recursive); files
    already read pass through in their place."""
    files: list[Path | SubmittedFile] = []
    problems: list[Problem] = []
    for raw in paths:
        if isinstance(raw, SubmittedFile):
            files.append(raw)
            continue
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
            if not found:
                problems.append(
                    Problem(str(path), "", "", "file-not-found", "folder holds no .yaml, .json or .csv files")
                )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(str(path), "", "", "file-not-found", "no such file or folder"))
    return files, problems


def read_text_file(path: Path) -> tuple[str, Problem | None]:
    name = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        return "", Problem(name, "", "", "file-not-found", f"cannot read: {exc.strerror}")
    limit = MAX_YAML_BYTES if path.suffix.lower() in (".yaml", ".yml") else MAX_FILE_BYTES
    if size > limit:
        return "", Problem(name, "", "", "file-too-large", f"file is {size:,} bytes; the limit is {limit:,}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        return "", Problem(name, "", "", "file-not-found", f"cannot read: {exc.strerror}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return "", Problem(name, "", "", "not-utf8", f"not UTF-8 text (bad byte at offset {exc.start})")
    if not text.strip():
        return "", Problem(name, "", "", "file-empty", "file is empty")
    return text, None


def read_records(file: Path | SubmittedFile, csv_reader: Any = None) -> tuple[list[SourceRecord], list[Problem]]:
    """Parse one file into labelled records (`csv_reader(name, text)` overrides the proposal CSV format)."""
    name = str(file)
    suffix = file.suffix.lower()
    if suffix not in SUFFIXES:
        return [], [Problem(name, "", "", "unsupported-format", f"unsupported file type {suffix or '(none)'}")]
    if isinstance(file, SubmittedFile):
        text = file.text
    else:
        text, problem = read_text_file(file)
        if problem is not None:
            return [], [problem]
    if suffix == ".csv":
        return (csv_reader or _csv_records)(name, text)
    try:
        data = parse_text(text, suffix)
    except Unparsable as exc:
        return [], [Problem(name, "", "", "parse-error", exc.message)]
    if isinstance(data, dict) and len(data) == 1 and set(data) <= {"proposals", "assessments", "reports", "projects"}:
        data = next(iter(data.values()))
    if isinstance(data, dict):
        return [SourceRecord(name, "record 1", data)], []
    if isinstance(data, list) and data:
        records, problems = [], []
        for index, item in enumerate(data, start=1):
            if isinstance(item, dict):
                records.append(SourceRecord(name, f"record {index}", item))
            else:
                problems.append(Problem(name, f"record {index}", "", "not-a-record", "expected a mapping of fields"))
        return records, problems
    return [], [Problem(name, "", "", "not-a-record", "expected a proposal (a mapping) or a list of proposals")]


# -- CSV: one row per proposal --------------------------------------------------------------
# Plain columns: reference, title, summary, sponsor, submitter, budget_owner, bucket,
#   start_date, end_date, p_technical, p_commercial
# Lists separated by ";": objectives, depends_on, excludes
# Per period: development:FY2027, launch:FY2027, benefit:FY2027, fte:<role>:FY2027
# Risks: risks = "title (L3/I4); other title (L2/I5)"

_PLAIN = {
    "reference",
    "title",
    "summary",
    "sponsor",
    "submitter",
    "budget_owner",
    "bucket",
    "start_date",
    "end_date",
    "p_technical",
    "p_commercial",
}
_LISTS = {"objectives", "depends_on", "excludes"}


def _csv_records(name: str, text: str) -> tuple[list[SourceRecord], list[Problem]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return [], [Problem(name, "", "", "file-empty", "file is empty")]
    except csv.Error as exc:
        return [], [Problem(name, "row 1", "", "parse-error", f"invalid CSV: {exc}")]
    problems: list[Problem] = duplicate_columns(name, header)
    for column in header:
        if not _known_column(column):
            problems.append(Problem(name, "row 1", column, "unknown-field", f"unknown column {column!r}"))
    if problems:
        return [], problems
    records: list[SourceRecord] = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            label = f"row {line}"
            if len(row) != len(header):
                problems.append(
                    Problem(name, label, "", "parse-error", f"{len(row)} cells, the header has {len(header)}")
                )
                continue
            data, row_problems = _csv_row(name, label, dict(zip(header, row, strict=True)))
            problems.extend(row_problems)
            records.append(SourceRecord(name, label, data))
    except csv.Error as exc:
        problems.append(Problem(name, f"row {reader.line_num}", "", "parse-error", f"invalid CSV: {exc}"))
    if not records and not problems:
        problems.append(Problem(name, "", "", "file-empty", "CSV has a header but no rows"))
    return records, problems


def duplicate_columns(name: str, header: Iterable[str | None]) -> list[Problem]:
    """A column named twice in a CSV header: like a key given twice, the last would silently win."""
    seen: set[str] = set()
    problems = []
    for column in header:
        key = (column or "").strip()
        if key in seen:
            problems.append(Problem(name, "row 1", key, "parse-error", f"column {key!r} is named twice in the header"))
        seen.add(key)
    return problems


def _known_column(column: str) -> bool:
    if column in _PLAIN or column in _LISTS or column == "risks":
        return True
    parts = column.split(":")
    if len(parts) == 2 and parts[0] in ("development", "launch", "benefit"):
        return True
    return len(parts) == 3 and parts[0] == "fte" and bool(parts[1])


def _csv_row(name: str, label: str, cells: dict[str, str]) -> tuple[dict[str, Any], list[Problem]]:
    data: dict[str, Any] = {}
    problems: list[Problem] = []
    costs: dict[str, dict[str, str]] = {}
    benefits: list[dict[str, str]] = []
    resources: list[dict[str, str]] = []
    for column, raw in cells.items():
        value = raw.strip()
        if not value:
            continue
        bad_text = text_problem(value)
        if bad_text is not None:
            problems.append(Problem(name, label, column, "invalid-value", bad_text))
            continue
        if column in _PLAIN:
            data[column] = value
        elif column in _LISTS:
            data[column] = [v.strip() for v in value.split(";") if v.strip()]
        elif column == "risks":
            risks = []
            for index, item in enumerate(v.strip() for v in value.split(";") if v.strip()):
                parsed = _risk(item)
                if parsed is None:
                    problems.append(
                        Problem(
                            name,
                            label,
                            f"risks[{index}]",
                            "invalid-value",
                            f"expected 'title (L3/I4)', got {item!r}",
                        )
                    )
                else:
                    risks.append(parsed)
            data["risks"] = risks
        else:
            parts = column.split(":")
            if parts[0] == "benefit":
                benefits.append({"period": parts[1], "amount": value})
            elif parts[0] == "fte":
                resources.append({"role": parts[1], "period": parts[2], "fte": value})
            else:
                costs.setdefault(parts[1], {"period": parts[1]})[parts[0]] = value
    if costs:
        data["costs"] = list(costs.values())
    if benefits:
        data["benefits"] = benefits
    if resources:
        data["resources"] = resources
    return data, problems


def _risk(item: str) -> dict[str, Any] | None:
    if not item.endswith(")") or "(" not in item:
        return None
    title, _, tail = item[:-1].rpartition("(")
    scores = tail.strip().upper().split("/")
    if len(scores) != 2 or not scores[0].startswith("L") or not scores[1].startswith("I"):
        return None
    if not (scores[0][1:].isdigit() and scores[1][1:].isdigit()):
        return None
    return {"title": title.strip(), "likelihood": int(scores[0][1:]), "impact": int(scores[1][1:])}


_PYDANTIC_CODES: dict[str, ProblemCode] = {
    "missing": "missing",
    "extra_forbidden": "unknown-field",
    "unknown-field": "unknown-field",
    "finite_number": "not-finite",
    "not-finite": "not-finite",
    "negative-amount": "negative-amount",
    "markup-in-text": "markup-in-text",
    "inconsistent": "inconsistent",
    "greater_than_equal": "out-of-range",
    "less_than_equal": "out-of-range",
    "greater_than": "out-of-range",
    "less_than": "out-of-range",
    "too_short": "missing",
    "too_long": "out-of-range",
    "string_too_long": "out-of-range",
    "string_too_short": "missing",
    "decimal_max_digits": "out-of-range",
    "decimal_max_places": "invalid-value",
    "decimal_whole_digits": "out-of-range",
    "string_pattern_mismatch": "invalid-value",
}


def _field_path(loc: Iterable[int | str]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def problems_from_validation(exc: ValidationError, file: str, label: str) -> list[Problem]:
    """Pydantic errors as `Problem`s with stable codes."""
    problems = []
    for err in exc.errors(include_url=False):
        kind = err["type"]
        code: ProblemCode = _PYDANTIC_CODES.get(
            kind, "invalid-type" if "type" in kind or "parsing" in kind else "invalid-value"
        )
        message = err["msg"]
        if kind.startswith("value_error"):
            message = message.removeprefix("Value error, ")
        problems.append(Problem(file, label, _field_path(err["loc"]) or "(record)", code, message))
    return problems


def validated(
    records: Iterable[SourceRecord], model: type[M], problems: list[Problem]
) -> Iterator[tuple[SourceRecord, M | None]]:
    """Each record with its model, or with None once its validation problems are added to `problems`."""
    for record in records:
        try:
            yield record, model.model_validate(record.data)
        except ValidationError as exc:
            problems.extend(problems_from_validation(exc, record.file, record.label))
            yield record, None
