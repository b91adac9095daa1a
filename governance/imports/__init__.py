"""Imports from the tools projects live in: an organisation's register through a column map, Microsoft
Project XML (MSPDI), and Jira or Azure DevOps CSV exports of epics.

Each reader turns its file into the engine's own records and hands them to the same validation and the
same recording as the native formats (`governance.reports.reports_from_records` / `file_status_reports`,
`governance.projects.projects_from_records` / `import_projects`): a mapped row is a `status-reported` or a
`migrated` record like any other. Problems name the file, the row and the column; any problem refuses the
whole file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from governance.errors import InputRefused, Problem
from governance.imports.mapping import (
    check_currency,
    elapsed_share,
    load_map,
    mapped_records,
    named_by_column,
    provenance,
)
from governance.imports.tables import Table, read_table
from governance.intake import Candidate
from governance.projects import projects_from_records
from governance.reports import ReadReport, reports_from_records
from governance.sources import SourceRecord, SubmittedFile
from models.imports import ImportMap
from models.status_report import MigratedProject

__all__ = [
    "ImportMap",
    "Table",
    "check_currency",
    "elapsed_share",
    "load_map",
    "provenance",
    "read_mapped_projects",
    "read_mapped_status",
    "read_table",
]


def _table(file: str | Path | SubmittedFile) -> Table:
    table, problems = read_table(file if isinstance(file, SubmittedFile) else Path(file))
    if table is None:
        raise InputRefused(problems)
    return table


def read_mapped_status(
    file: str | Path | SubmittedFile, imap: ImportMap, map_name: str, currency: str, quarter: str | None = None
) -> list[ReadReport]:
    """A register's rows as validated status reports (refused whole on any problem)."""
    if imap.target != "status":
        raise InputRefused(
            [Problem(map_name, "map", "target", "invalid-value", "this map imports projects, not status")]
        )
    table = _table(file)
    records, problems = mapped_records(table, imap, map_name, currency, quarter)
    try:
        return reports_from_records(records, quarter, problems)
    except InputRefused as refused:
        raise InputRefused(
            _in_file_order(named_by_column(refused.problems, imap), table, list(imap.derive.given()))
        ) from None


def read_mapped_projects(
    file: str | Path | SubmittedFile, imap: ImportMap, map_name: str, currency: str
) -> list[tuple[Candidate, MigratedProject]]:
    """A register's rows as validated migrated projects: a project's rows (one per financial year) give its
    costs and benefits per period; its other fields come from its latest period's row."""
    if imap.target != "projects":
        raise InputRefused(
            [Problem(map_name, "map", "target", "invalid-value", "this map imports status, not projects")]
        )
    table = _table(file)
    rows, problems = mapped_records(table, imap, map_name, currency)
    grouped: dict[str, list[SourceRecord]] = {}
    for record in rows:
        grouped.setdefault(str(record.data.get("reference", f"({record.label})")), []).append(record)
    records: list[SourceRecord] = []
    for group in grouped.values():
        records.append(_merged(group, problems))
    try:
        return projects_from_records(records, problems)
    except InputRefused as refused:
        raise InputRefused(
            _in_file_order(named_by_column(refused.problems, imap), table, list(imap.derive.given()))
        ) from None


def _in_file_order(problems: Sequence[Problem], table: Table, derived: Sequence[str] = ()) -> list[Problem]:
    """The map's problems first, then the file's by row and by column, as a reader goes through it; a cell
    already named as bad is not named again as missing (nor what is derived from it)."""
    columns = {h: n for n, h in reversed(list(enumerate(table.header)))}

    def column_of(field: str) -> str:
        # A validation problem names `Header (field)`, and a header may itself end in parentheses.
        return field if field in columns else next((h for h in columns if field.startswith(h + " (")), field)

    bad_cells = {(p.file, p.record, column_of(p.field)) for p in problems if p.code != "missing"}
    bad_rows = {(f, r) for f, r, _ in bad_cells}

    def follows(p: Problem) -> bool:  # a figure missing because a cell it is read or derived from is bad
        if p.code != "missing":
            return False
        return (p.file, p.record, column_of(p.field)) in bad_cells or (
            (p.file, p.record) in bad_rows and p.field in derived
        )

    kept = [p for p in problems if not follows(p)]

    def key(p: Problem) -> tuple[int, int, int]:
        if p.file != table.file:
            return (0, 0, 0)
        words = p.record.split()
        row = int(words[1]) if len(words) > 1 and words[0] == "row" and words[1].isdigit() else 0
        return (1, row, columns.get(column_of(p.field), len(columns)))

    return sorted(kept, key=key)


def _merged(group: Sequence[SourceRecord], problems: list[Problem]) -> SourceRecord:
    ordered = sorted(group, key=lambda r: str(r.data.get("period", "")))
    costs: list[dict[str, Any]] = []
    benefits: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    for record in ordered:
        period = record.data.get("period")
        if not isinstance(period, str):
            continue
        if period in seen:
            problems.append(
                Problem(
                    record.file, record.label, "period", "duplicate-in-batch", f"{period} is also in {seen[period]}"
                )
            )
            continue
        seen[period] = record.label
        if "development" in record.data:  # a year without a figure gives no cost, never a zero
            cost = {"period": period, "development": record.data["development"]}
            if "launch" in record.data:
                cost["launch"] = record.data["launch"]
            costs.append(cost)
        elif "launch" in record.data:
            problems.append(
                Problem(
                    record.file,
                    record.label,
                    "development",
                    "missing",
                    f"{period} has a launch cost but no development cost",
                )
            )
        if "benefit" in record.data:
            benefits.append({"period": period, "amount": record.data["benefit"]})
    last = ordered[-1]
    data = {k: v for k, v in last.data.items() if k not in ("period", "development", "launch", "benefit")}
    data["costs"] = costs
    if benefits:
        data["benefits"] = benefits
    label = last.label if len(group) == 1 else f"{last.label} (with {', '.join(r.label for r in ordered[:-1])})"
    return SourceRecord(last.file, label, data)
