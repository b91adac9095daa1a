"""Applying an import map (`models.imports.ImportMap`) to a register's rows.

Each row becomes the data of one status report (or one part of a migrated project) in the engine's own
fields, then goes through the same validation as the engine's native files. Every problem names the file,
the row (its line number) and the column; a file with any problem is refused whole.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from governance.calendar import quarter_dates
from governance.errors import InputRefused, Problem
from governance.imports.tables import Cell, Table
from governance.parsing import Unparsable, parse_text
from governance.sources import SourceRecord, problems_from_validation, read_text_file
from models.imports import DATE_FIELDS, DELIVERY_CONFIDENCE, MONEY_FIELDS, RAG, ImportMap

__all__ = ["check_currency", "elapsed_share", "load_map", "mapped_records", "provenance"]

_CENT = Decimal("0.01")
_EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel's day 0 (its 1900 leap-year bug makes day 60 29 February)
_QUARTER = (re.compile(r"^(\d{4})\s*-?\s*Q([1-4])$", re.I), re.compile(r"^Q([1-4])\s*[-/]?\s*(\d{4})$", re.I))
_FY = (re.compile(r"^(\d{4})\s*[-/]\s*(\d{2}|\d{4})$"), re.compile(r"^FY\s*(\d{4})$", re.I))
_SYMBOLS = "£€$"
_NAMED = re.compile(r"^([a-z_]+(?:\.[a-z_]+)?): (.+)$", re.DOTALL)
_INPUTS = {
    "elapsed-schedule": ("start_date", "end_date"),
    "baseline-x-elapsed": ("baseline_cost", "start_date", "end_date"),
    "baseline-x-percent": ("baseline_cost",),
    "forecast-x-elapsed": ("forecast_cost", "start_date", "end_date"),
}
# Day-month-year patterns read without strptime: (the pattern, the groups of day, month and year).
_NUMERIC_DATES = {
    "%d/%m/%Y": (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"), (1, 2, 3)),
    "%m/%d/%Y": (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"), (2, 1, 3)),
    "%Y-%m-%d": (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), (3, 2, 1)),
    "%d.%m.%Y": (re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$"), (1, 2, 3)),
}
_LISTS = ("milestones_hit", "milestones_missed", "objectives")
_NUMBERS = ("percent_complete", "p_technical", "p_commercial", "score")


def load_map(path: str | Path) -> ImportMap:
    """Read and validate a map file; every problem names the map file and the field."""
    name = str(path)
    text, problem = read_text_file(Path(path))
    if problem is not None:
        raise InputRefused([problem], message=f"the map {name} cannot be read")
    try:
        data = parse_text(text, Path(path).suffix.lower() if Path(path).suffix else ".yaml")
    except Unparsable as exc:
        raise InputRefused(
            [Problem(name, "", "", "parse-error", exc.message)], message=f"the map {name} is refused"
        ) from None
    try:
        return ImportMap.model_validate(data)
    except ValidationError as exc:
        problems = [_field_named(p) for p in problems_from_validation(exc, name, "map")]
        raise InputRefused(problems, message=f"the map {name} is refused") from None


def _field_named(problem: Problem) -> Problem:
    """A check of the whole map names its field first (`units.project: ...`): name it as the field."""
    match = _NAMED.match(problem.message) if problem.field == "(record)" else None
    if match is None:
        return problem
    return Problem(problem.file, problem.record, match.group(1), problem.code, match.group(2))


def check_currency(imap: ImportMap, map_name: str, currency: str) -> list[Problem]:
    """A unit in another currency than the policy's needs a rate in the map (`rates: {GBP: 1.17}`)."""
    return [
        Problem(
            map_name,
            "map",
            f"units.{field}",
            "inconsistent",
            f"{unit.text!r} is in {unit.currency}, the policy's amounts are in {currency}: "
            f"give rates: {{{unit.currency}: ...}} (one {unit.currency} in {currency})",
        )
        for field, unit in sorted(imap.units.items())
        if unit.currency != currency and unit.currency not in imap.rates
    ]


def provenance(imap: ImportMap, currency: str) -> dict[str, str]:
    """Where each engine field comes from, in words (printed by the import, and in its --json)."""
    out: dict[str, str] = {}
    for field, column in imap.columns.items():
        unit = imap.units.get(field)
        where = f"column {column!r}"
        if unit is not None:
            where += f" in {unit.text} (x {unit.factor:,}"
            where += (
                f", x {imap.rates[unit.currency]} {unit.currency}->{currency})" if unit.currency != currency else ")"
            )
        out[field] = where
    for field, value in imap.constants.items():
        out[field] = f"constant {value}"
    for field, rule in imap.derive.given().items():
        out[field] = f"derived: {rule}"
    if imap.period is not None:
        out["quarter" if imap.target == "status" else "period"] = f"{imap.period.kind} column {imap.period.column!r}"
    return dict(sorted(out.items()))


def elapsed_share(start: dt.date, end: dt.date, at: dt.date) -> Decimal:
    """The share of start..end elapsed at the end of day `at`, 0 to 1."""
    if at >= end:
        return Decimal(1)
    if at < start:
        return Decimal(0)
    return Decimal((at - start).days + 1) / Decimal((end - start).days + 1)


class _Row:
    """One row being mapped: its problems named by the file, the row and the column."""

    def __init__(
        self,
        file: str,
        line: int,
        imap: ImportMap,
        rate: dict[str, Decimal],
        scale: dict[str, str],
        seen: dict[tuple[str, Cell], Any],
    ) -> None:
        self.file, self.label, self.imap, self.rate, self.scale = file, f"row {line}", imap, rate, scale
        # Cells already converted without a problem: a register repeats dates, periods and quarters from
        # row to row (a fifth of the mapping's time, bench/imports.py).
        self.seen = seen
        self.problems: list[Problem] = []

    def bad(self, column: str, code: Any, message: str) -> None:
        self.problems.append(Problem(self.file, self.label, column, code, message))

    def value(self, field: str, column: str, cell: Cell) -> Any:
        if cell is None or cell == "" or (isinstance(cell, str) and not cell.strip()):
            return None
        if field in MONEY_FIELDS:
            return self.money(field, column, cell)
        if field in DATE_FIELDS:
            known = self.seen.get(("date", cell))
            if known is None:
                known = self.date(column, cell)
                if known is not None:
                    self.seen["date", cell] = known
            return known
        if field == "risk_level":
            return self.risk(column, cell)
        text = cell if isinstance(cell, str) else _number_text(cell)
        text = text.strip()
        # Markup and control characters are refused by the engine's models, as in its own formats.
        if field in _LISTS:
            return [v.strip() for v in text.split(self.imap.lists_separator) if v.strip()]
        if field in _NUMBERS:
            return text.removesuffix("%").strip()
        if field in ("project", "reference"):
            return self.imap.ids.get(text, text)
        return text

    def money(self, field: str, column: str, cell: Cell) -> Decimal | None:
        unit = self.imap.units.get(field)
        if isinstance(cell, (int, float)) and not isinstance(cell, bool):
            amount: Decimal = Decimal(repr(cell)) if isinstance(cell, float) else Decimal(cell)
        else:
            text = str(cell).strip().replace(",", "").replace(" ", "")
            symbol = (
                text[:1] if text[:1] in _SYMBOLS else (text[1:2] if text[:1] == "-" and text[1:2] in _SYMBOLS else "")
            )
            if symbol:
                expected = unit.symbol if unit is not None else None
                if symbol != expected:
                    self.bad(
                        column,
                        "invalid-value",
                        f"{cell!r} is in {symbol}, the map's unit for {field} is {unit.text if unit else 'not given'}",
                    )
                    return None
                text = text.replace(symbol, "", 1)
            try:
                amount = Decimal(text)
            except InvalidOperation:
                self.bad(column, "invalid-value", f"{cell!r} is not an amount")
                return None
        if not amount.is_finite():
            self.bad(column, "not-finite", f"{cell!r} is not a finite amount")
            return None
        if unit is not None:
            amount *= unit.factor * self.rate.get(unit.currency, Decimal(1))
        return amount.quantize(_CENT, rounding=ROUND_HALF_EVEN)

    def date(self, column: str, cell: Cell) -> dt.date | None:
        if isinstance(cell, dt.datetime):
            return cell.date()
        if isinstance(cell, (int, float)) and not isinstance(cell, bool):
            if not 1 <= cell < 2_958_466:  # Excel's serial dates: 1900-01-01 .. 9999-12-31
                self.bad(column, "invalid-value", f"{cell!r} is not an Excel serial date")
                return None
            return _EXCEL_EPOCH + dt.timedelta(days=int(cell))
        text = str(cell).strip()
        for pattern in self.imap.date_formats:
            fast = _NUMERIC_DATES.get(pattern)
            if fast is not None:  # strptime's own parsing is a third of a mapped row's time (bench/imports.py)
                match = fast[0].match(text)
                if match is None:
                    continue
                day, month, year = (int(match.group(n)) for n in fast[1])
                try:
                    return dt.date(year, month, day)
                except ValueError:
                    continue
            try:
                return dt.datetime.strptime(text, pattern).date()
            except ValueError:
                continue
        self.bad(
            column,
            "invalid-value",
            f"{text!r} is not a date in the map's format ({' or '.join(self.imap.date_formats)})",
        )
        return None

    def risk(self, column: str, cell: Cell) -> str | None:
        text = str(cell).strip()
        level = self.scale.get(text) or self.scale.get(re.sub(r"\s*/\s*", "/", text).casefold())
        if level is None:
            self.bad(
                column,
                "invalid-value",
                f"{text!r} is not on the {self.imap.risk_scale} scale; say what it means in the map's risk_values",
            )
        return level

    def period(self, cell: Cell) -> tuple[str | None, int | None]:
        """(quarter, the financial year's end year) of the row's period cell."""
        assert self.imap.period is not None
        spec, text = self.imap.period, _number_text(cell).strip() if cell is not None else ""
        if not text:
            self.bad(spec.column, "missing", f"no {spec.kind}")
            return None, None
        if spec.kind == "quarter":
            for pattern in _QUARTER:
                match = pattern.match(text)
                if match:
                    a, b = match.groups()
                    year, q = (a, b) if len(a) == 4 else (b, a)
                    return f"{year}Q{q}", int(year)
        else:
            match = _FY[0].match(text)
            if match:
                start, end = int(match.group(1)), match.group(2)
                end_year = int(end) if len(end) == 4 else start // 100 * 100 + int(end)
                if end_year == start + 1:
                    return f"{end_year}Q{spec.year_end_quarter}", end_year
            match = _FY[1].match(text)
            if match:
                end_year = int(match.group(1))
                return f"{end_year}Q{spec.year_end_quarter}", end_year
        example = "2026Q4" if spec.kind == "quarter" else "2023-24"
        self.bad(spec.column, "invalid-value", f"{text!r} is not a {spec.kind} (like {example})")
        return None, None


def _number_text(cell: Cell) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def _columns(table: Table, imap: ImportMap, map_name: str) -> tuple[dict[str, int], list[Problem]]:
    wanted = dict(imap.columns)
    if imap.period is not None:
        wanted["(period)"] = imap.period.column
    index: dict[str, int] = {}
    problems: list[Problem] = []
    for field, column in wanted.items():
        found = [i for i, h in enumerate(table.header) if h == column.strip()]
        where = "period.column" if field == "(period)" else f"columns.{field}"
        if not found:
            problems.append(
                Problem(table.file, "row 1", column, "missing", f"no column {column!r} ({map_name} {where})")
            )
        elif len(found) > 1:
            problems.append(
                Problem(table.file, "row 1", column, "parse-error", f"column {column!r} is named {len(found)} times")
            )
        else:
            index[field] = found[0]
    return index, problems


def mapped_records(
    table: Table, imap: ImportMap, map_name: str, currency: str, quarter: str | None = None
) -> tuple[list[SourceRecord], list[Problem]]:
    """The rows of `table` as records in the engine's fields (status reports; or project rows, each with
    its `period`), with every problem of the file. `quarter` keeps only that quarter's rows (status)."""
    index, problems = _columns(table, imap, map_name)
    problems += check_currency(imap, map_name, currency)
    if problems:
        return [], problems
    rate = {c: r for c, r in imap.rates.items() if c != currency}
    rules = imap.derive.given()
    scale: dict[str, str] = dict(DELIVERY_CONFIDENCE if imap.risk_scale == "delivery-confidence" else RAG)
    scale.update({k.casefold(): v for k, v in imap.risk_values.items()})
    scale.update({k.title(): v for k, v in scale.items()})  # the common spelling, looked up as written
    seen: dict[tuple[str, Cell], Any] = {}
    records: list[SourceRecord] = []
    # Each mapped column once: (field, header, position); the row loop reads these, not the map's model.
    plan = [(field, imap.columns[field], position) for field, position in index.items() if field != "(period)"]
    constants = [(k, v) for k, v in imap.constants.items()]
    period_at = index.get("(period)")
    status = imap.target == "status"
    for line, cells in table.rows:
        row = _Row(table.file, line, imap, rate, scale, seen)
        data: dict[str, Any] = {k: (list(v) if isinstance(v, list) else v) for k, v in constants}
        for field, column, position in plan:
            value = row.value(field, column, cells[position])
            if value is not None:
                data[field] = value
        if period_at is not None:
            cell = cells[period_at]
            row_quarter, end_year = seen.get(("period", cell)) or row.period(cell)
            if row_quarter is not None:
                seen["period", cell] = (row_quarter, end_year)
            if status and row_quarter is not None:
                data["quarter"] = row_quarter
            elif not status and end_year is not None:
                data["period"] = f"FY{end_year}"
        if status:
            if quarter is not None and data.get("quarter", quarter) != quarter:
                continue
            if quarter is not None:
                data.setdefault("quarter", quarter)
            _derive(row, data, rules)
        elif isinstance(data.get("period"), str) and _FY[0].match(data["period"]):
            data["period"] = f"FY{int(data['period'][:4]) + 1}"
        if row.problems:
            problems += row.problems
        records.append(SourceRecord(table.file, row.label, data))
    if imap.target == "status" and not records and not problems and quarter is not None:
        problems.append(Problem(table.file, "", "", "wrong-quarter", f"no row is for {quarter}"))
    return records, problems


def _derive(row: _Row, data: dict[str, Any], rules: dict[str, str]) -> None:
    """The map's derivation rules on one row (`models.imports.Derive` says what each assumes)."""
    if not rules:
        return
    if "quarter" not in data:
        row.bad("quarter", "missing", "no quarter: map a quarter column, or give --quarter")
        return
    at = row.seen.get(("quarter-end", data["quarter"]))
    if at is None:
        at = row.seen["quarter-end", data["quarter"]] = quarter_dates(data["quarter"])[1]
    start, end = data.pop("start_date", None), data.pop("end_date", None)
    inputs: dict[str, Any] = {"start_date": start, "end_date": end}
    inputs["baseline_cost"] = data.pop("baseline_cost", None)
    inputs["forecast_cost"] = data.pop("forecast_cost", None)  # inputs of the rules, not fields of a report
    share: Decimal | None = None
    if start is not None and end is not None:
        if end < start:
            row.bad(_col(row, "end_date"), "inconsistent", f"end {end} is before start {start}")
            return
        share = elapsed_share(start, end, at)
    for field, rule in rules.items():
        if rule == "quarter-end":
            data[field] = at
            continue
        needs = _INPUTS[rule]
        if any(inputs[n] is None for n in needs):
            for n in needs:
                if inputs[n] is None:
                    row.bad(
                        _col(row, n), "missing", f"{field} is derived ({rule}) from {n}, which this row does not give"
                    )
            continue
        if rule == "baseline-x-percent":
            percent = data.get("percent_complete")
            try:
                percent = percent if isinstance(percent, Decimal) or percent is None else Decimal(str(percent))
            except InvalidOperation:
                continue  # the report's validation names it
            if percent is not None:
                data[field] = (inputs["baseline_cost"] * percent / 100).quantize(_CENT)
            continue
        if share is None:
            continue  # a bad date, already named
        if rule == "elapsed-schedule":
            data[field] = (share * 100).quantize(_CENT)
        elif rule == "baseline-x-elapsed":
            data[field] = (inputs["baseline_cost"] * share).quantize(_CENT)
        elif rule == "forecast-x-elapsed":
            data[field] = (inputs["forecast_cost"] * share).quantize(_CENT)


def _col(row: _Row, field: str) -> str:
    return row.imap.columns.get(field, field)


def named_by_column(problems: Iterable[Problem], imap: ImportMap) -> list[Problem]:
    """Validation problems of mapped records name the register's column too (`Project Name (title)`)."""
    out = []
    for p in problems:
        head = re.split(r"[.\[]", p.field, maxsplit=1)[0]
        column = imap.columns.get({"costs": "development", "benefits": "benefit"}.get(head, head))
        out.append(Problem(p.file, p.record, f"{column} ({p.field})", p.code, p.message) if column else p)
    return out
