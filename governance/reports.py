"""Quarterly status reports: reading them (YAML/JSON per project, or one CSV) and recording them.

A report is recorded as a `status-reported` record about its project, with its canonical content
as the input snapshot. Filing the same report again records nothing; a changed report for the
same project and quarter is recorded as a new version (the review reads the newest).

CSV: one row per project; plain columns `project, quarter, submitted_on, actual_cost,
planned_value, earned_value, percent_complete, risk_level, benefits_owner, commentary`; lists separated
by ";": `milestones_hit, milestones_missed`; per period: `cost:FY2027`, `benefit:FY2027` (forecasts),
`realised:FY2026` (benefits realised).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, and_, select

from governance.canonical import canonical_text, sha256_hex
from governance.errors import InputRefused, NotFoundError, Problem
from governance.intake import find_proposal
from governance.ledger import Canonical, Ledger, NewRecord
from governance.lifecycle import REVIEWABLE
from governance.sources import Source, SourceRecord, duplicate_columns, expand_paths, read_records, validated
from governance.store import Store
from models.records import SourceRef, StatusReportedPayload, parse_payload
from models.status_report import StatusReport
from models.tables import LedgerRow, ProposalRow, SnapshotRow

__all__ = [
    "FiledReport",
    "ReadReport",
    "earned_value_indices",
    "file_status_reports",
    "latest_reports",
    "projects_of",
    "read_status_reports",
    "reports_from_records",
]

_PLAIN = (
    "project",
    "quarter",
    "submitted_on",
    "actual_cost",
    "planned_value",
    "earned_value",
    "percent_complete",
    "risk_level",
    "benefits_owner",
    "commentary",
)
_PERIODIC = {"cost": "cost_forecast", "benefit": "benefits_forecast", "realised": "benefits_realised"}
_LISTS = ("milestones_hit", "milestones_missed")
_RATIO = Decimal("0.01")


class _FromFile(Protocol):
    @property
    def file(self) -> str: ...
    @property
    def label(self) -> str: ...


_Filed = TypeVar("_Filed", bound=_FromFile)


@dataclass(frozen=True, slots=True)
class ReadReport:
    file: str
    label: str
    report: StatusReport
    content_hash: str
    content: str


@dataclass(frozen=True, slots=True)
class FiledReport:
    project_id: str
    quarter: str
    action: str  # reported | revised | unchanged
    seq: int | None


def earned_value_indices(report: StatusReport) -> tuple[Decimal | None, Decimal | None]:
    """(CPI, SPI) to two places; None where the divisor is zero (nothing spent / nothing planned yet)."""
    cpi = (report.earned_value / report.actual_cost).quantize(_RATIO) if report.actual_cost else None
    spi = (report.earned_value / report.planned_value).quantize(_RATIO) if report.planned_value else None
    return cpi, spi


def _csv(name: str, text: str) -> tuple[list[SourceRecord], list[Problem]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    records: list[SourceRecord] = []
    problems: list[Problem] = []
    try:
        problems.extend(duplicate_columns(name, reader.fieldnames or []))
        for column in reader.fieldnames or []:
            head, _, period = column.strip().partition(":")
            if column.strip() not in _PLAIN + _LISTS and not (head in _PERIODIC and period):
                problems.append(Problem(name, "row 1", column, "unknown-field", f"unknown column {column!r}"))
        if problems:
            return [], problems
        for row in reader:
            label = f"row {reader.line_num}"
            data: dict[str, Any] = {}
            for column, raw in row.items():
                if column is None:
                    problems.append(Problem(name, label, "", "parse-error", "more cells than the header has columns"))
                    continue
                value = (raw or "").strip()
                column = column.strip()
                if not value:
                    continue
                if column in _PLAIN:
                    data[column] = value
                elif column in _LISTS:
                    data[column] = [v.strip() for v in value.split(";") if v.strip()]
                else:
                    head, _, period = column.partition(":")
                    data.setdefault(_PERIODIC[head], {})[period] = value
            if data:
                records.append(SourceRecord(name, label, data))
    except csv.Error as exc:
        return [], [Problem(name, f"row {reader.line_num}", "", "parse-error", f"invalid CSV: {exc}")]
    if not records and not problems:
        problems.append(Problem(name, "", "", "file-empty", "CSV has a header but no rows"))
    return records, problems


def read_status_reports(paths: Sequence[Source], quarter: str | None = None) -> list[ReadReport]:
    """Read and validate status reports; refuse them all on any problem (nothing is recorded).

    With `quarter`, every report must be for that quarter; a project may report once per quarter
    in one submission.
    """
    files, problems = expand_paths(paths)
    records: list[SourceRecord] = []
    for path in files:
        read, read_problems = read_records(path, csv_reader=_csv)
        records += read
        problems.extend(read_problems)
    if not files and not problems:
        problems.append(Problem("", "", "", "file-not-found", "no status reports given"))
    return reports_from_records(records, quarter, problems)


def reports_from_records(
    records: Sequence[SourceRecord], quarter: str | None = None, problems: list[Problem] | None = None
) -> list[ReadReport]:
    """Validate records read from any format (the engine's own, or a register through an import map) as
    status reports; refuse them all on any problem, `problems` found earlier included."""
    problems = list(problems or [])
    out: list[ReadReport] = []
    seen: dict[tuple[str, str], str] = {}
    for record, report in validated(records, StatusReport, problems):
        if report is None:
            continue
        if quarter is not None and report.quarter != quarter:
            problems.append(
                Problem(
                    record.file,
                    record.label,
                    "quarter",
                    "wrong-quarter",
                    f"report is for {report.quarter}, the review is for {quarter}",
                )
            )
            continue
        key = (report.project, report.quarter)
        if key in seen:
            problems.append(
                Problem(
                    record.file,
                    record.label,
                    "project",
                    "duplicate-in-batch",
                    f"{report.project} already reports for {report.quarter} in {seen[key]}",
                )
            )
            continue
        seen[key] = f"{record.file} {record.label}"
        content = canonical_text(report)
        out.append(ReadReport(record.file, record.label, report, sha256_hex(content), content))
    if problems:
        raise InputRefused(problems)
    return out


def _latest_for(conn: Connection, pid: str, quarter: str) -> tuple[int, StatusReportedPayload] | None:
    row = conn.execute(
        select(LedgerRow.seq, LedgerRow.payload)
        .where(LedgerRow.subject == pid, LedgerRow.kind == "status-reported", LedgerRow.outcome == quarter)
        .order_by(LedgerRow.seq.desc())
        .limit(1)
    ).first()
    return None if row is None else (row[0], parse_payload("status-reported", row[1]))


def projects_of(
    conn: Connection,
    items: Sequence[_Filed],
    reference: Callable[[_Filed], str],
    states: Collection[str],
    refusal: Callable[[Any], str],
) -> list[tuple[_Filed, Any]]:
    """Each item read from a file with its project's row, or InputRefused naming every item (file, record,
    `project`) whose project is not on file or is in none of `states` (`refusal(row)` says why)."""
    problems: list[Problem] = []
    targets: list[tuple[_Filed, Any]] = []
    for item in items:
        try:
            row = find_proposal(conn, reference(item))
        except NotFoundError:
            missing = f"no project {reference(item)}"
            problems.append(Problem(item.file, item.label, "project", "unknown-reference", missing))
            continue
        if row.state not in states:
            problems.append(Problem(item.file, item.label, "project", "closed-proposal", refusal(row)))
            continue
        targets.append((item, row))
    if problems:
        raise InputRefused(problems)
    return targets


def file_status_reports(
    store: Store, ledger: Ledger, reports: Sequence[ReadReport], actor: str, *, dry_run: bool = False
) -> list[FiledReport]:
    """Record the reports in one transaction; the whole batch is refused if one names no active project.

    With `dry_run` only the checks run (a flow checks the whole submission before filing it in chunks).
    """
    with store.write() as conn:
        targets = projects_of(
            conn,
            reports,
            lambda item: item.report.project,
            REVIEWABLE,
            lambda row: f"{row.id} is {row.state}: only active and paused projects report",
        )
        out: list[FiledReport] = []
        if dry_run:
            return out
        for item, row in targets:
            previous = _latest_for(conn, row.id, item.report.quarter)
            if previous is not None and previous[1].content_hash == item.content_hash:
                out.append(FiledReport(row.id, item.report.quarter, "unchanged", previous[0]))
                continue
            cpi, spi = earned_value_indices(item.report)
            version = 1 if previous is None else previous[1].version + 1
            record = ledger.append_for_proposal(
                conn,
                NewRecord(
                    kind="status-reported",
                    subject=row.id,
                    outcome=item.report.quarter,
                    payload=StatusReportedPayload(
                        quarter=item.report.quarter,
                        content_hash=item.content_hash,
                        version=version,
                        cpi=cpi,
                        spi=spi,
                        risk_level=item.report.risk_level,
                        submitted_on=item.report.submitted_on,
                        source=SourceRef(file=Path(item.file).name, record=item.label),
                    ),
                    inputs=Canonical(item.content),
                ),
                actor,
            )
            out.append(FiledReport(row.id, item.report.quarter, "reported" if version == 1 else "revised", record.seq))
        return out


def latest_reports(conn: Connection, quarters: Sequence[str]) -> dict[tuple[str, str], StatusReport]:
    """The newest report of each active or paused project for each of `quarters`."""
    newest = (
        select(LedgerRow.subject, LedgerRow.outcome, LedgerRow.inputs, LedgerRow.seq)
        .join(ProposalRow, ProposalRow.id == LedgerRow.subject)
        .where(
            and_(
                LedgerRow.kind == "status-reported",
                LedgerRow.outcome.in_(list(quarters)),
                ProposalRow.state.in_(sorted(REVIEWABLE)),
            )
        )
        .order_by(LedgerRow.seq)
    )
    keys: dict[tuple[str, str], str] = {}
    for subject, quarter, inputs, _seq in conn.execute(newest):
        keys[(str(subject), str(quarter))] = str(inputs)  # later versions overwrite earlier ones
    contents: dict[str, str] = {}
    wanted = sorted(set(keys.values()))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        contents.update(
            (k, c)
            for k, c in conn.execute(select(SnapshotRow.key, SnapshotRow.content).where(SnapshotRow.key.in_(chunk)))
        )
    return {k: StatusReport.model_validate_json(contents[v]) for k, v in keys.items()}
