"""Registers through a column map: the GMPP sample as published, units, dates, scales, periods, bad maps and
bad rows (every problem with its file, row and column), xlsx, and the recording path."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance import adoption
from governance.authority import Actor
from governance.errors import InputRefused, Problem
from governance.imports import load_map, read_mapped_projects, read_mapped_status
from governance.ledger import Ledger
from governance.policy import load_policy
from governance.projects import import_projects
from governance.reports import file_status_reports
from governance.store import Store
from models.imports import Unit

from ..conftest import ROOT

DATA = ROOT / "tests" / "data" / "imports"
GMPP = DATA / "gmpp.csv"
STATUS_MAP = ROOT / "examples" / "imports" / "gmpp.yaml"
PROJECTS_MAP = ROOT / "examples" / "imports" / "gmpp-projects.yaml"
DCA = (
    "IPA Delivery Confidence Assessment (A Delivery Confidence Assessment of the project at a fixed point in time, "
    "using a five-point scale, Red – Amber/Red – Amber – Amber/Green – Green; definitions in the IPA Annual Report on "
    "Major Projects)"
)

# Hand-computed. Rows 2-4 are 2019-20 (figures as at 2020-03-31, 2020Q1), rows 5-7 2020-21 (2021-03-31, 2021Q1).
# DFT 2020Q1 in GBP: 2018-10-01..2026-09-30 is 2,922 days, 548 of them elapsed by 2020-03-31: 548/2922 = 18.75 %;
# PV = 2,013.02m x 548/2922 = 377,527,364.82; EV = 2,013.02m x 18.75 % = 377,441,250.00; AC = the forecast
# (also 2,013.02m) x 548/2922. MOJ 2021Q1: 1,461 of 2,191 days = 66.68 %; in EUR every £ is 1.17.
# (project, quarter, AC, PV, EV, percent complete, risk level)
EXPECTED_GBP = [
    ("MOJ_0031_1718-Q1", "2020Q1", "660301232.31", "600273847.56", "600240000.00", "50.02", "medium"),
    ("DFT_0042_1819-Q2", "2020Q1", "377527364.82", "377527364.82", "377441250.00", "18.75", "low"),
    ("MOD_0107_1617-Q1", "2020Q1", "337782761.06", "315762470.80", "315776950.00", "48.25", "high"),
    ("MOJ_0031_1718-Q1", "2021Q1", "920209949.79", "800182565.04", "800160000.00", "66.68", "high"),
    ("DFT_0042_1819-Q2", "2021Q1", "640537303.22", "628982635.18", "629068750.00", "31.25", "low"),
    ("MOD_0107_1617-Q1", "2021Q1", "400106930.97", "400321019.47", "400333182.00", "61.17", "medium"),
]
EXPECTED_EUR = [
    ("MOJ_0031_1718-Q1", "2020Q1", "772552441.81", "702320401.64", "702280800.00", "50.02", "medium"),
    ("DFT_0042_1819-Q2", "2020Q1", "441707016.84", "441707016.84", "441606262.50", "18.75", "low"),
    ("MOD_0107_1617-Q1", "2020Q1", "395205830.44", "369442090.83", "369459031.50", "48.25", "high"),
    ("MOJ_0031_1718-Q1", "2021Q1", "1076645641.26", "936213601.10", "936187200.00", "66.68", "high"),
    ("DFT_0042_1819-Q2", "2021Q1", "749428644.76", "735909683.16", "736010437.50", "31.25", "low"),
    ("MOD_0107_1617-Q1", "2021Q1", "468125109.24", "468375592.78", "468389822.94", "61.17", "medium"),
]


def _rows(reports: list) -> list[tuple[str, ...]]:
    return [
        (
            r.report.project,
            r.report.quarter,
            str(r.report.actual_cost),
            str(r.report.planned_value),
            str(r.report.earned_value),
            str(r.report.percent_complete),
            r.report.risk_level,
        )
        for r in reports
    ]


@pytest.mark.parametrize(("currency", "expected"), [("GBP", EXPECTED_GBP), ("EUR", EXPECTED_EUR)], ids=["gbp", "eur"])
def test_the_gmpp_register_as_published_gives_these_reports(currency: str, expected: list) -> None:
    reports = read_mapped_status(GMPP, load_map(STATUS_MAP), "gmpp.yaml", currency)
    assert _rows(reports) == expected
    assert [r.label for r in reports] == [f"row {n}" for n in range(2, 8)]
    first = reports[3].report.model_dump(mode="json")
    assert first == {
        "project": "MOJ_0031_1718-Q1",
        "quarter": "2021Q1",
        "submitted_on": "2021-03-31",
        "actual_cost": "920209949.79" if currency == "GBP" else "1076645641.26",
        "planned_value": "800182565.04" if currency == "GBP" else "936213601.10",
        "earned_value": "800160000.00" if currency == "GBP" else "936187200.00",
        "percent_complete": "66.68",
        "risk_level": "high",
        "cost_forecast": {},
        "benefits_forecast": {},
        "milestones_hit": [],
        "milestones_missed": [],
        "commentary": "Re-baseline approved; schedule held.",
    }
    assert reports[1].report.commentary is None  # a blank cell is an absent value, not an empty text


def test_quarter_picks_one_years_rows() -> None:
    reports = read_mapped_status(GMPP, load_map(STATUS_MAP), "gmpp.yaml", "GBP", "2021Q1")
    assert _rows(reports) == EXPECTED_GBP[3:]
    with pytest.raises(InputRefused) as refused:
        read_mapped_status(GMPP, load_map(STATUS_MAP), "gmpp.yaml", "GBP", "2026Q4")
    assert refused.value.problems == (Problem(str(GMPP), "", "", "wrong-quarter", "no row is for 2026Q4"),)


def test_the_gmpp_register_gives_migrated_projects_with_a_cost_per_year() -> None:
    items = read_mapped_projects(GMPP, load_map(PROJECTS_MAP), "gmpp-projects.yaml", "GBP")
    assert [(c.label, p.reference) for c, p in items] == [
        ("row 5 (with row 2)", "MOJ_0031_1718-Q1"),
        ("row 6 (with row 3)", "DFT_0042_1819-Q2"),
        ("row 7 (with row 4)", "MOD_0107_1617-Q1"),
    ]
    project = items[2][1].model_dump(mode="json", exclude_defaults=True)
    assert project == {
        "reference": "MOD_0107_1617-Q1",
        "title": "Maritime Radar Upgrade",
        "summary": "Upgrades the surveillance radar of the maritime patrol fleet.",
        "sponsor": "MOD",
        "submitter": "Portfolio office (GMPP register import)",
        "bucket": "platform",
        "start_date": "2016-07-08",
        "end_date": "2024-04-01",
        "costs": [
            {"period": "FY2020", "development": "96400000.00"},
            {"period": "FY2021", "development": "88000000.00"},
        ],
        "p_technical": "0.8",
        "p_commercial": "0.9",
        "approved_on": "2016-07-08",
    }


def test_a_project_without_a_cost_in_any_year_is_refused_naming_the_column(tmp_path: Path) -> None:
    register = tmp_path / "gmpp.csv"
    register.write_text(GMPP.read_text(encoding="utf-8").replace("£96.40", "").replace("£88.00", ""), "utf-8")
    with pytest.raises(InputRefused) as refused:
        read_mapped_projects(register, load_map(PROJECTS_MAP), "gmpp-projects.yaml", "GBP")
    column = "Financial Year Baseline (£m) (including Non-Government Costs)"
    assert refused.value.problems == (
        Problem(str(register), "row 7 (with row 4)", f"{column} (costs)", "missing",
                "List should have at least 1 item after validation, not 0"),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "currency", "factor"),
    [
        ("£m", "GBP", 1_000_000),
        ("GBP m", "GBP", 1_000_000),
        ("EUR k", "EUR", 1000),
        ("USD", "USD", 1),
        ("€bn", "EUR", 10**9),
    ],
)
def test_units(text: str, currency: str, factor: int) -> None:
    unit = Unit.model_validate(Unit.parse(text))
    assert (unit.currency, unit.factor) == (currency, factor)


def _map(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "map.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _refusal(path: Path) -> list[tuple[str, str, str, str, str]]:
    with pytest.raises(InputRefused) as refused:
        load_map(path)
    return [(p.file, p.record, p.field, p.code, p.message) for p in refused.value.problems]


BASE = {
    "target": "status",
    "columns": {"project": "Id", "risk_level": "RAG", "actual_cost": "AC", "planned_value": "PV", "earned_value": "EV"},
    "constants": {"submitted_on": "2026-12-31", "percent_complete": "50"},
}


@pytest.mark.parametrize(
    ("change", "field", "code", "message"),
    [
        ({"colour": "red"}, "colour", "unknown-field", "Extra inputs are not permitted"),
        ({"units": {"actual_cost": "pounds"}}, "units.actual_cost", "invalid-value",
         "unit 'pounds': expected a currency and a scale, like '£m', 'GBP m' or 'EUR k'"),
        ({"columns": {**BASE["columns"], "colour": "C"}}, "columns.colour", "unknown-field",
         "not a field of a status import (fields: project, quarter, submitted_on, actual_cost, "
         "planned_value, earned_value, percent_complete, risk_level, commentary, milestones_hit, milestones_missed, "
         "baseline_cost, forecast_cost, start_date, end_date)"),
        ({"constants": {"submitted_on": "2026-12-31", "percent_complete": "50", "project": "X1"}}, "(record)",
         "inconsistent", "project is both a column and a constant: give one"),
        ({"derive": {"planned_value": "baseline-x-elapsed"}}, "derive.planned_value", "inconsistent",
         "planned_value is also a column or a constant: give one"),
        ({"constants": {"submitted_on": "2026-12-31"}}, "percent_complete", "missing",
         "not given by a column, a constant or a derive rule"),
        ({"period": {"column": "FY", "kind": "financial-year"}}, "period", "missing",
         "a financial-year column needs year_end_quarter (1-4): the quarter its figures stand at"),
    ],
    ids=["unknown-key", "bad-unit", "unknown-field", "column-and-constant", "derived-and-given", "missing", "fy-end"],
)  # fmt: skip
def test_bad_maps_are_refused_naming_the_map_and_the_field(
    tmp_path: Path, change: dict, field: str, code: str, message: str
) -> None:
    path = _map(tmp_path, {**BASE, **change})
    assert _refusal(path) == [(str(path), "map", field, code, message)]


def test_a_unit_in_another_currency_needs_a_rate(tmp_path: Path) -> None:
    data = {**BASE, "units": {"actual_cost": "EUR k"}}
    path = _map(tmp_path, data)
    register = tmp_path / "r.csv"
    register.write_text("Id,RAG,AC,PV,EV\nX1,Green,1,2,3\n", encoding="utf-8")
    with pytest.raises(InputRefused) as refused:
        read_mapped_status(register, load_map(path), str(path), "GBP", "2026Q4")
    assert refused.value.problems == (
        Problem(str(path), "map", "units.actual_cost", "inconsistent",
                "'EUR k' is in EUR, the policy's amounts are in GBP: give rates: {EUR: ...} (one EUR in GBP)"),
    )  # fmt: skip
    path = _map(tmp_path, {**data, "rates": {"EUR": "0.85"}})
    (report,) = read_mapped_status(register, load_map(path), str(path), "GBP", "2026Q4")
    assert report.report.actual_cost == Decimal("850.00")  # 1 EUR k x 0.85


def test_every_bad_row_of_a_file_is_named_together(tmp_path: Path) -> None:
    path = _map(
        tmp_path, {**BASE, "columns": {**BASE["columns"], "commentary": "Start"}, "units": {"actual_cost": "£k"}}
    )
    register = tmp_path / "bad.csv"
    register.write_text(
        "Id,RAG,AC,PV,EV,Start\nX1,Green,£1.5,10,5,fine\nX2,Purple,$3,10,5,\nX3,Reset,abc,-4,5,\nx4,Amber,1,1,1,\n",
        encoding="utf-8",
    )
    with pytest.raises(InputRefused) as refused:
        read_mapped_status(register, load_map(path), str(path), "GBP", "2026Q4")
    name = str(register)
    assert [(p.file, p.record, p.field, p.code, p.message) for p in refused.value.problems] == [
        (name, "row 3", "RAG", "invalid-value",
         "'Purple' is not on the delivery-confidence scale; say what it means in the map's risk_values"),
        (name, "row 3", "AC", "invalid-value", "'$3' is in $, the map's unit for actual_cost is £k"),
        (name, "row 4", "RAG", "invalid-value",
         "'Reset' is not on the delivery-confidence scale; say what it means in the map's risk_values"),
        (name, "row 4", "AC", "invalid-value", "'abc' is not an amount"),
        (name, "row 4", "PV (planned_value)", "negative-amount", "amount must not be negative"),
        (name, "row 5", "Id (project)", "invalid-value", "String should match pattern '^[A-Z0-9][A-Z0-9._-]{1,39}$'"),
    ]  # fmt: skip


def test_a_missing_column_and_a_bad_date_are_named(tmp_path: Path) -> None:
    text = GMPP.read_text(encoding="utf-8").replace("31/03/2023", "2023-03-31").replace(",Financial Year\n", ",FY\n")
    register = tmp_path / "gmpp.csv"
    register.write_text(text, encoding="utf-8")
    with pytest.raises(InputRefused) as refused:
        read_mapped_status(register, load_map(STATUS_MAP), "gmpp.yaml", "GBP")
    assert [str(p) for p in refused.value.problems] == [
        f"{register}, row 1, Financial Year: no column 'Financial Year' (gmpp.yaml period.column) [missing]"
    ]
    register.write_text(GMPP.read_text(encoding="utf-8").replace("31/03/2023", "2023-03-31"), encoding="utf-8")
    with pytest.raises(InputRefused) as refused:
        read_mapped_status(register, load_map(STATUS_MAP), "gmpp.yaml", "GBP")
    column = "Project - End Date (Latest Approved End Date)"
    assert [str(p) for p in refused.value.problems] == [
        f"{register}, row {n}, {column}: '2023-03-31' is not a date in the map's format (%d/%m/%Y) [invalid-value]"
        for n in (2, 5)
    ]


def _xlsx(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_an_xlsx_register_with_date_cells_and_serial_dates_reads_as_the_csv(tmp_path: Path) -> None:
    reader = csv.reader(io.StringIO(GMPP.read_text(encoding="utf-8")))
    header = next(reader)
    rows: list[list[object]] = []
    for n, row in enumerate(reader):
        cells: list[object] = list(row)
        start = dt.datetime.strptime(row[7], "%d/%m/%Y")
        end = dt.datetime.strptime(row[8], "%d/%m/%Y")
        cells[7] = start if n % 2 else (start.date() - dt.date(1899, 12, 30)).days  # a date cell, or a serial number
        cells[8] = end
        cells[12] = float(row[12].strip("£").replace(",", ""))  # a number cell
        rows.append(cells)
    book = _xlsx(tmp_path / "gmpp.xlsx", header, rows)
    reports = read_mapped_status(book, load_map(STATUS_MAP), "gmpp.yaml", "GBP")
    assert _rows(reports) == EXPECTED_GBP


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(list(range(16))))
def test_any_order_of_the_columns_gives_the_same_reports(tmp_path: Path, order: list[int]) -> None:
    table = list(csv.reader(io.StringIO(GMPP.read_text(encoding="utf-8"))))
    out = io.StringIO()
    csv.writer(out).writerows([[row[i] for i in order] for row in table])
    register = tmp_path / "shuffled.csv"
    register.write_text(out.getvalue(), encoding="utf-8")
    assert _rows(read_mapped_status(register, load_map(STATUS_MAP), "gmpp.yaml", "GBP")) == EXPECTED_GBP


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pence=st.integers(min_value=0, max_value=10**13))
def test_an_amount_in_k_m_or_units_reads_as_the_same_money(tmp_path: Path, pence: int) -> None:
    amount = Decimal(pence) / 100
    register = tmp_path / "r.csv"
    register.write_text(
        f'Id,RAG,AC,PV,EV\nX1,Green,{amount},{amount / 1000},"£{amount / 1_000_000:,}"\n', encoding="utf-8"
    )
    data = {**BASE, "units": {"actual_cost": "GBP", "planned_value": "GBP k", "earned_value": "£m"}}
    path = _map(tmp_path, data)
    (report,) = read_mapped_status(register, load_map(path), str(path), "GBP", "2026Q4")
    assert report.report.actual_cost == report.report.planned_value == report.report.earned_value == amount


def test_mapped_reports_and_projects_are_recorded_like_the_native_ones(store: Store, ledger: Ledger) -> None:
    policy = load_policy("stage-gate")
    adoption.adopt_policy(store, ledger, policy, Actor.of("ana"))
    items = read_mapped_projects(GMPP, load_map(PROJECTS_MAP), "gmpp-projects.yaml", "EUR")
    done = import_projects(store, ledger, [], "pmo", items=items)
    assert [(i.project_id, i.reference, i.action) for i in done] == [
        ("P-2026-0001", "MOJ_0031_1718-Q1", "migrated"),
        ("P-2026-0002", "DFT_0042_1819-Q2", "migrated"),
        ("P-2026-0003", "MOD_0107_1617-Q1", "migrated"),
    ]
    reports = read_mapped_status(GMPP, load_map(STATUS_MAP), "gmpp.yaml", "EUR")
    filed = file_status_reports(store, ledger, reports, "pmo")
    assert [(f.project_id, f.quarter, f.action) for f in filed] == [
        ("P-2026-0001", "2020Q1", "reported"),
        ("P-2026-0002", "2020Q1", "reported"),
        ("P-2026-0003", "2020Q1", "reported"),
        ("P-2026-0001", "2021Q1", "reported"),
        ("P-2026-0002", "2021Q1", "reported"),
        ("P-2026-0003", "2021Q1", "reported"),
    ]
    again = file_status_reports(
        store, ledger, read_mapped_status(GMPP, load_map(STATUS_MAP), "gmpp.yaml", "EUR"), "pmo"
    )
    assert {f.action for f in again} == {"unchanged"}


@pytest.mark.parametrize(
    ("name", "content", "record", "code", "message"),
    [
        ("r.xlsx", b"not a zip", "", "parse-error", "not a readable xlsx workbook: File is not a zip file"),
        ("r.txt", b"a,b\n1,2\n", "", "unsupported-format", "a register is a .csv or .xlsx file, not .txt"),
        ("r.csv", b"Id,RAG\nX1,Green,extra\n", "row 2", "parse-error", "3 cells, the header has 2"),
        ("r.csv", b"Id,RAG\n", "", "file-empty", "the register has a header but no rows"),
        ("r.csv", b"Id,RAG\n\xff\n", "", "not-utf8", "not UTF-8 text (bad byte at offset 7)"),
    ],
    ids=["xlsx-not-zip", "txt", "extra-cell", "no-rows", "not-utf8"],
)
def test_a_register_that_cannot_be_read_is_named(
    tmp_path: Path, name: str, content: bytes, record: str, code: str, message: str
) -> None:
    register = tmp_path / name
    register.write_bytes(content)
    path = _map(tmp_path, BASE)
    with pytest.raises(InputRefused) as refused:
        read_mapped_status(register, load_map(path), str(path), "GBP", "2026Q4")
    assert refused.value.problems == (Problem(str(register), record, "", code, message),)
