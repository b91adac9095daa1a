"""Reading assessments: YAML/JSON files (one or a list) or a CSV with one row per assessor and proposal.

CSV columns: `proposal, gate, assessor[, comment]`, then one column per criterion: a number is a
rating, `yes`/`no` answers a must-meet criterion; an empty cell is no answer.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from governance.errors import InputRefused, Problem
from governance.scoring import RatedAssessment
from governance.sources import Source, SourceRecord, duplicate_columns, expand_paths, read_records, validated
from models.assessment import Assessment

__all__ = ["read_assessments"]

_FIXED = ("proposal", "gate", "assessor", "comment")
_YES = {"yes": True, "y": True, "true": True, "no": False, "n": False, "false": False}


def _csv(name: str, text: str) -> tuple[list[SourceRecord], list[Problem]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    records: list[SourceRecord] = []
    problems: list[Problem] = []
    try:
        problems.extend(duplicate_columns(name, reader.fieldnames or []))
        for row in reader:
            label = f"row {reader.line_num}"
            data: dict[str, Any] = {"ratings": {}, "must_meet": {}}
            if None in row:  # DictReader keeps the cells past the header as a list under None
                problems.append(Problem(name, label, "", "parse-error", "more cells than the header has columns"))
                continue
            for column, raw in row.items():
                value = (raw or "").strip()
                if not value:
                    continue
                if column in _FIXED:
                    data[column] = value
                elif value.lower() in _YES:
                    data["must_meet"][column.strip()] = _YES[value.lower()]
                else:
                    data["ratings"][column.strip()] = value
            records.append(SourceRecord(name, label, data))
    except csv.Error as exc:
        return [], [Problem(name, f"row {reader.line_num}", "", "parse-error", f"invalid CSV: {exc}")]
    if not records and not problems:
        problems.append(Problem(name, "", "", "file-empty", "CSV has a header but no rows"))
    return records, problems


def read_assessments(paths: Sequence[Source]) -> list[RatedAssessment]:
    """Read and validate every assessment file; refuse them all on any problem."""
    files, problems = expand_paths(paths)
    items: list[RatedAssessment] = []
    for path in files:
        records, read_problems = read_records(path, csv_reader=_csv)
        problems.extend(read_problems)
        for record, assessment in validated(records, Assessment, problems):
            if assessment is not None:
                items.append(RatedAssessment(record.file, record.label, assessment))
    if problems:
        raise InputRefused(problems)
    return items
