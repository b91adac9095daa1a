"""Microsoft Project XML (MSPDI, namespace http://schemas.microsoft.com/project) as a status report.

Earned value from the plan's baseline (Baseline Number 0), at the status date (the file's StatusDate, else
`as_of`):

- AC: the project summary task's (OutlineLevel 0) ActualCost.
- EV: over the leaf tasks, BCWP where the task has one, else baseline cost x PercentComplete.
- PV: over the leaf tasks, BCWS where the task has one, else the baseline cost spread evenly over the
  baseline's start..finish (calendar days; Project spreads it over working time, so this is close, not equal).
- percent_complete: the summary task's PercentComplete.
- milestones (Milestone 1): complete -> hit; not complete and due (baseline finish, else finish) by the
  status date -> missed.

MSPDI stores currency amounts in hundredths of the currency unit (`<Cost>480000</Cost>` is 4,800.00), as
Microsoft Project writes them and MPXJ reads them. A plan says nothing of risk: the risk level is given
(`--risk`). The parser refuses any DOCTYPE or entity declaration, as defusedxml does: nothing in the file can
make it read another file or expand without end.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from governance.calendar import quarter_dates, quarter_of
from governance.errors import InputRefused, Problem
from governance.imports.mapping import elapsed_share
from governance.reports import ReadReport, reports_from_records
from governance.sources import MAX_FILE_BYTES, SourceRecord

__all__ = ["MSPDI_NAMESPACE", "Task", "read_mspdi_status"]

MSPDI_NAMESPACE = "http://schemas.microsoft.com/project"
_NS = f"{{{MSPDI_NAMESPACE}}}"
_CENT = Decimal("0.01")
_HUNDRED = Decimal(100)
_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)

SOURCES = {
    "actual_cost": "summary task (OutlineLevel 0) ActualCost",
    "earned_value": "leaf tasks: BCWP, else baseline Cost x PercentComplete",
    "planned_value": "leaf tasks: BCWS, else baseline Cost over baseline Start..Finish to the status date",
    "percent_complete": "summary task PercentComplete",
    "milestones": "Milestone tasks: complete -> hit; due by the status date, not complete -> missed",
    "submitted_on": "the plan's StatusDate (else --as-of)",
}


@dataclass(frozen=True, slots=True)
class Task:
    uid: str
    name: str
    outline_level: int
    summary: bool
    milestone: bool
    percent: Decimal
    finish: dt.date | None
    actual_cost: Decimal | None
    bcws: Decimal | None
    bcwp: Decimal | None
    baseline_start: dt.date | None
    baseline_finish: dt.date | None
    baseline_cost: Decimal | None


class _Reader:
    def __init__(self, name: str) -> None:
        self.name = name
        self.problems: list[Problem] = []

    def text(self, node: ET.Element, tag: str) -> str | None:
        child = node.find(_NS + tag)
        return None if child is None or child.text is None or not child.text.strip() else child.text.strip()

    def date(self, node: ET.Element, tag: str, where: str) -> dt.date | None:
        value = self.text(node, tag)
        if value is None:
            return None
        try:
            return dt.datetime.fromisoformat(value).date()
        except ValueError:
            self.problems.append(Problem(self.name, where, tag, "invalid-value", f"{value!r} is not a date and time"))
            return None

    def number(self, node: ET.Element, tag: str, where: str, *, money: bool = False) -> Decimal | None:
        value = self.text(node, tag)
        if value is None:
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            self.problems.append(Problem(self.name, where, tag, "invalid-value", f"{value!r} is not a number"))
            return None
        return number / _HUNDRED if money else number

    def task(self, node: ET.Element) -> Task:
        uid = self.text(node, "UID") or "?"
        where = f"task UID {uid}"
        baseline = next((b for b in node.findall(_NS + "Baseline") if self.text(b, "Number") == "0"), None)
        level = self.number(node, "OutlineLevel", where)
        return Task(
            uid=uid,
            name=self.text(node, "Name") or f"task {uid}",
            outline_level=int(level) if level is not None else 1,
            summary=self.text(node, "Summary") == "1",
            milestone=self.text(node, "Milestone") == "1",
            percent=self.number(node, "PercentComplete", where) or Decimal(0),
            finish=self.date(node, "Finish", where),
            actual_cost=self.number(node, "ActualCost", where, money=True),
            bcws=self.number(node, "BCWS", where, money=True),
            bcwp=self.number(node, "BCWP", where, money=True),
            baseline_start=None if baseline is None else self.date(baseline, "Start", where + " baseline"),
            baseline_finish=None if baseline is None else self.date(baseline, "Finish", where + " baseline"),
            baseline_cost=None if baseline is None else self.number(baseline, "Cost", where + " baseline", money=True),
        )


def _parse(path: Path) -> ET.Element:
    name = str(path)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputRefused(
            [Problem(name, "", "", "file-too-large", f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}")]
        )
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputRefused(
            [Problem(name, "", "", "not-utf8", f"not UTF-8 text (bad byte at offset {exc.start})")]
        ) from None
    declared = _DECLARATION.search(text)
    if declared:
        line = text.count("\n", 0, declared.start()) + 1
        message = (
            f"a {declared.group(1).upper()} declaration is refused: a plan needs none, and one could make the "
            "parser read other files or expand without end"
        )
        raise InputRefused([Problem(name, f"line {line}", "", "parse-error", message)])
    try:
        root = ET.fromstring(text)  # noqa: S314 - DOCTYPE and ENTITY refused above, as defusedxml forbid_dtd does
    except ET.ParseError as exc:
        raise InputRefused(
            [Problem(name, f"line {exc.position[0]}", "", "parse-error", f"invalid XML: {exc}")]
        ) from None
    if root.tag != _NS + "Project":
        raise InputRefused(
            [
                Problem(
                    name,
                    "",
                    "",
                    "unsupported-format",
                    f"not Microsoft Project XML (a Project element in {MSPDI_NAMESPACE})",
                )
            ]
        )
    return root


def read_mspdi_status(
    file: str | Path,
    project: str,
    currency: str,
    *,
    quarter: str | None = None,
    as_of: dt.date | None = None,
    risk_level: str | None = None,
) -> tuple[list[ReadReport], dict[str, str]]:
    """The plan's status as one validated report for `project`, and where each figure came from."""
    path = Path(file)
    name = str(path)
    root = _parse(path)
    reader = _Reader(name)
    code = reader.text(root, "CurrencyCode")
    if code is not None and code != currency:
        reader.problems.append(
            Problem(
                name,
                "Project",
                "CurrencyCode",
                "inconsistent",
                f"the plan is in {code}, the policy's amounts in {currency}",
            )
        )
    status = reader.date(root, "StatusDate", "Project") or as_of
    if status is None:
        reader.problems.append(
            Problem(name, "Project", "StatusDate", "missing", "the plan has no StatusDate: give --as-of")
        )
    tasks = [reader.task(t) for t in root.iterfind(f"{_NS}Tasks/{_NS}Task")]
    top = next((t for t in tasks if t.outline_level == 0), None)
    if top is None:
        reader.problems.append(
            Problem(name, "Tasks", "OutlineLevel", "missing", "no project summary task (OutlineLevel 0)")
        )
    if reader.problems or status is None or top is None:
        raise InputRefused(reader.problems)
    leaves = [t for t in tasks if not t.summary and t.outline_level > 0]
    earned = planned = Decimal(0)
    for t in leaves:
        where = f"task UID {t.uid}"
        if t.bcwp is not None:
            earned += t.bcwp
        elif t.baseline_cost is not None:
            earned += t.baseline_cost * t.percent / _HUNDRED
        if t.bcws is not None:
            planned += t.bcws
        elif t.baseline_cost is not None and t.baseline_start is not None and t.baseline_finish is not None:
            planned += t.baseline_cost * elapsed_share(t.baseline_start, t.baseline_finish, status)
        no_baseline = t.baseline_cost is None or t.baseline_start is None or t.baseline_finish is None
        if (t.bcwp is None or t.bcws is None) and no_baseline and not t.milestone:
            message = (
                f"{t.name!r} has no baseline (Number 0 with Start, Finish, Cost) and no BCWS/BCWP: "
                "set a baseline in Project and save again"
            )
            reader.problems.append(Problem(name, where, "Baseline", "missing", message))
    hit = [t.name for t in tasks if t.milestone and t.percent >= _HUNDRED]
    due = [t for t in tasks if t.milestone and t.percent < _HUNDRED]
    missed = [t.name for t in due if (d := t.baseline_finish or t.finish) is not None and d <= status]
    the_quarter = quarter or quarter_of(status)
    if quarter is not None and not quarter_dates(quarter)[0] <= status <= quarter_dates(quarter)[1]:
        reader.problems.append(
            Problem(name, "Project", "StatusDate", "wrong-quarter", f"the status date {status} is not in {quarter}")
        )
    if risk_level is None:
        reader.problems.append(
            Problem(
                name,
                "Project",
                "risk_level",
                "missing",
                "a plan gives no risk level: give --risk low|medium|high|critical",
            )
        )
    data = {
        "project": project,
        "quarter": the_quarter,
        "submitted_on": status,
        "actual_cost": (top.actual_cost or Decimal(0)).quantize(_CENT),
        "planned_value": planned.quantize(_CENT),
        "earned_value": earned.quantize(_CENT),
        "percent_complete": top.percent,
        "milestones_hit": hit,
        "milestones_missed": missed,
    }
    if risk_level is not None:
        data["risk_level"] = risk_level
    if top.actual_cost is None:
        reader.problems.append(
            Problem(name, f"task UID {top.uid}", "ActualCost", "missing", "the summary task has no ActualCost")
        )
    if reader.problems:  # the plan is one record: its own problems, without the report's follow-ons
        raise InputRefused(reader.problems)
    sources = dict(SOURCES, risk_level="--risk")
    return reports_from_records([SourceRecord(name, "Project", data)], quarter, reader.problems), sources
