"""Jira and Azure DevOps CSV exports of epics as status reports (the rules are `models.imports.Tracker`'s).

Jira's export ("Export CSV (all fields)") repeats some headers (`Labels`, `Sprint`), writes dates like
`03/Dec/26 9:14 AM` and times in seconds; its `Parent` holds the parent's issue id (or key). Azure DevOps'
query export writes dates like `12/3/2026 9:14:00 AM`, work in hours, tags separated by `; `. Only the
columns named below are read; any other column is left alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from governance.calendar import quarter_dates, quarter_of
from governance.errors import InputRefused, Problem
from governance.imports.mapping import elapsed_share
from governance.imports.tables import Cell, Table, read_table
from governance.reports import ReadReport, reports_from_records
from governance.sources import SourceRecord
from models.imports import ImportMap, Tracker, TrackerProject

__all__ = ["ADO_COLUMNS", "JIRA_COLUMNS", "read_tracker_status"]

# The engine's names for what an export gives, and each tool's header for it (None: the tool has none).
JIRA_COLUMNS = {
    "key": "Issue key",
    "id": "Issue id",
    "type": "Issue Type",
    "title": "Summary",
    "state": "Status Category",
    "start": "Custom field (Start date)",
    "due": "Due date",
    "parent": "Parent",
    "labels": "Labels",
    "area": None,
    "spent": "Σ Time Spent",
    "estimate": "Σ Original Estimate",
}
ADO_COLUMNS = {
    "key": "ID",
    "id": "ID",
    "type": "Work Item Type",
    "title": "Title",
    "state": "State",
    "start": "Start Date",
    "due": "Target Date",
    "parent": "Parent",
    "labels": "Tags",
    "area": "Area Path",
    "spent": "Completed Work",
    "estimate": "Original Estimate",
}
_REQUIRED = ("key", "type", "title", "state", "due", "parent", "spent")
_DATES = {
    "jira": ("%d/%b/%y %I:%M %p", "%d/%b/%y"),
    "azure-devops": ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y"),
}
_MILESTONE_TYPES = frozenset({"epic", "feature"})
_CENT = Decimal("0.01")


@dataclass(slots=True)
class Item:
    line: int
    key: str
    id: str
    type: str
    title: str
    done: bool
    start: dt.date | None
    due: dt.date | None
    parent: str
    labels: set[str] = field(default_factory=set)
    area: str = ""
    spent_hours: Decimal = Decimal(0)
    estimate_hours: Decimal = Decimal(0)


def _items(table: Table, imap: ImportMap, tracker: Tracker) -> tuple[list[Item], list[Problem]]:
    jira = imap.source == "jira"
    names = JIRA_COLUMNS if jira else ADO_COLUMNS
    problems: list[Problem] = []
    where: dict[str, list[int]] = {}
    for name, header in names.items():
        if header is None:
            continue
        found = [i for i, h in enumerate(table.header) if h == header]
        if not found and (name in _REQUIRED or (name == "estimate" and tracker.progress == "estimate")):
            problems.append(
                Problem(table.file, "row 1", header, "missing", f"no column {header!r} in this {imap.source} export")
            )
        elif len(found) > 1 and name != "labels":
            problems.append(
                Problem(table.file, "row 1", header, "parse-error", f"column {header!r} is named {len(found)} times")
            )
        where[name] = found
    if problems:
        return [], problems
    formats = (*_DATES[imap.source], *imap.date_formats)
    done_states = {
        s.casefold() for s in (tracker.done_states or (["done"] if jira else ["done", "closed", "completed"]))
    }
    items: list[Item] = []
    for line, cells in table.rows:

        def cell(name: str, cells: list[Cell] = cells) -> str:
            found = where.get(name) or []
            return str(cells[found[0]] or "").strip() if found else ""

        def bad(name: str, message: str, line: int = line) -> None:
            problems.append(Problem(table.file, f"row {line}", names[name] or name, "invalid-value", message))

        def date(name: str, cells: list[Cell] = cells) -> dt.date | None:
            found = where.get(name) or []
            raw = cells[found[0]] if found else None
            if isinstance(raw, dt.datetime):
                return raw.date()
            text = str(raw or "").strip()
            if not text:
                return None
            for pattern in formats:
                try:
                    return dt.datetime.strptime(text, pattern).date()
                except ValueError:
                    continue
            bad(name, f"{text!r} is not a date like {dt.date(2026, 12, 3).strftime(formats[0])!r}")
            return None

        def hours(name: str) -> Decimal:
            text = cell(name)
            if not text:
                return Decimal(0)
            try:
                value = Decimal(text.replace(",", ""))
            except InvalidOperation:
                value = Decimal("NaN")
            if not value.is_finite() or value < 0:
                bad(name, f"{text!r} is not a time ({'seconds' if jira else 'hours'})")
                return Decimal(0)
            return value / 3600 if jira else value

        labels = set()
        for position in where.get("labels") or []:
            labels |= {v.strip() for v in str(cells[position] or "").replace(",", ";").split(";") if v.strip()}
        if jira:
            labels = {v for position in where.get("labels") or [] if (v := str(cells[position] or "").strip())}
        items.append(
            Item(
                line=line,
                key=cell("key"),
                id=cell("id") or cell("key"),
                type=cell("type"),
                title=cell("title") or cell("key"),
                done=cell("state").casefold() in done_states,
                start=date("start"),
                due=date("due"),
                parent=cell("parent"),
                labels=labels,
                area=cell("area"),
                spent_hours=hours("spent"),
                estimate_hours=hours("estimate"),
            )
        )
    return items, problems


def _selected(items: list[Item], spec: TrackerProject) -> tuple[Item | None, list[Item]]:
    """(the epic, if selected by one; everything under it or with the label/tag/area path)."""
    if spec.epic is not None:
        root = next((i for i in items if spec.epic in (i.key, i.id)), None)
        if root is None:
            return None, []
        key_of = {i.id: i.key for i in items}
        children: dict[str, list[Item]] = {}
        for i in items:
            children.setdefault(key_of.get(i.parent, i.parent), []).append(i)
        out, todo = [root], [root.key]
        while todo:
            for child in children.get(todo.pop(), []):
                if child not in out:
                    out.append(child)
                    todo.append(child.key)
        return root, out
    if spec.label is not None:
        return None, [i for i in items if spec.label in i.labels]
    path = spec.area_path or ""
    return None, [i for i in items if i.area == path or i.area.startswith(path + "\\")]


def read_tracker_status(
    file: str | Path,
    imap: ImportMap,
    map_name: str,
    currency: str,
    *,
    quarter: str | None = None,
    as_of: dt.date | None = None,
) -> tuple[list[ReadReport], dict[str, str]]:
    """One status report per project of the map's tracker section, at `as_of`; where each figure came from."""
    assert imap.tracker is not None  # the map's model holds it
    tracker = imap.tracker
    rate = tracker.rate
    assert rate is not None  # the map's model holds it
    table, problems = read_table(Path(file))
    if table is None:
        raise InputRefused(problems)
    if as_of is None:
        raise InputRefused(
            [Problem(str(file), "", "", "missing", "an export has no status date: give --as-of YYYY-MM-DD")]
        )
    if quarter is not None and not quarter_dates(quarter)[0] <= as_of <= quarter_dates(quarter)[1]:
        raise InputRefused([Problem(str(file), "", "", "wrong-quarter", f"--as-of {as_of} is not in {quarter}")])
    items, problems = _items(table, imap, tracker)
    if problems and not items:
        raise InputRefused(problems)
    records: list[SourceRecord] = []
    for n, spec in enumerate(tracker.projects):
        what = f"tracker.projects[{n}]"
        root, chosen = _selected(items, spec)
        work = [i for i in chosen if i.type.casefold() not in _MILESTONE_TYPES and i.type.casefold() != "sub-task"]
        milestones = [i for i in chosen if i.type.casefold() in _MILESTONE_TYPES and i.due is not None]
        named = spec.epic or spec.label or spec.area_path
        if not work:
            problems.append(Problem(map_name, what, "", "missing", f"no work items for {named!r} in {table.file}"))
            continue
        if tracker.progress == "count":
            share = Decimal(sum(i.done for i in work)) / len(work)
        else:
            total = sum((i.estimate_hours for i in work), Decimal(0))
            if total == 0:
                problems.append(
                    Problem(map_name, what, "progress", "missing", f"no original estimates under {named!r}")
                )
                continue
            share = sum((i.estimate_hours for i in work if i.done), Decimal(0)) / total
        span = [i for i in ([root] if root is not None else milestones) if i is not None]
        starts = [i.start for i in span if i.start is not None]
        dues = [i.due for i in span if i.due is not None]
        if not starts or not dues:
            holder = (
                f"the epic {root.key} (row {root.line})" if root is not None else f"the epics and features of {named!r}"
            )
            problems.append(
                Problem(map_name, what, "", "missing", f"planned_value needs a start and a due date on {holder}")
            )
            continue
        spent = sum((i.spent_hours for i in chosen if i.type.casefold() != "sub-task"), Decimal(0))
        records.append(
            SourceRecord(
                table.file,
                f"{what} ({named})",
                {
                    "project": spec.project,
                    "quarter": quarter or quarter_of(as_of),
                    "submitted_on": as_of,
                    "actual_cost": (spent * rate).quantize(_CENT),
                    "planned_value": (spec.budget * elapsed_share(min(starts), max(dues), as_of)).quantize(_CENT),
                    "earned_value": (spec.budget * share).quantize(_CENT),
                    "percent_complete": (share * 100).quantize(_CENT),
                    "risk_level": spec.risk_level,
                    "milestones_hit": [m.title for m in milestones if m.done],
                    "milestones_missed": [
                        m.title for m in milestones if not m.done and m.due is not None and m.due <= as_of
                    ],
                },
            )
        )
    cols = JIRA_COLUMNS if imap.source == "jira" else ADO_COLUMNS
    unit = "seconds" if imap.source == "jira" else "hours"
    sources = {
        "actual_cost": f"{cols['spent']!r} ({unit}) x rate {tracker.rate} {currency}/hour",
        "earned_value": "budget (map) x percent_complete",
        "milestones": f"epics and features with {cols['due']!r}: done -> hit, past due -> missed",
        "percent_complete": "done work items / all"
        if tracker.progress == "count"
        else f"{cols['estimate']!r} done / all",
        "planned_value": f"budget (map) x elapsed share of {cols['start']!r}..{cols['due']!r}",
        "risk_level": "map (tracker.projects[].risk_level)",
        "submitted_on": "--as-of",
    }
    return reports_from_records(records, quarter, problems), sources
