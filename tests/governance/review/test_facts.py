"""The review's facts: running projects imported, status reports read and filed, what the rules may name."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import func, select

from governance import projects, reports, review
from governance.errors import InputRefused, Problem
from governance.ledger import Ledger, records_for, verify
from governance.parsing import parse_yaml
from governance.policy import load_policy
from governance.review.facts import quarter_facts, recorded_facts
from governance.store import Store
from models.records import ReviewFactsMissing, ReviewFactsReported
from models.status_report import StatusReport
from models.tables import LedgerRow, ProposalRow

from .conftest import EXAMPLES, dump_yaml


def test_import_projects_records_each_once(portfolio: Store, ledger: Ledger) -> None:
    with portfolio.read() as conn:
        rows = conn.execute(select(ProposalRow.id, ProposalRow.reference, ProposalRow.state, ProposalRow.gate)).all()
        first = records_for(conn, "P-2026-0001")
    assert sorted(tuple(r) for r in rows) == [
        ("P-2026-0001", "NW-RUN-HPC2", "active", 5),
        ("P-2026-0002", "NW-RUN-CLOUDMIG", "active", 5),
        ("P-2026-0003", "NW-RUN-ECOLABEL", "active", 5),
        ("P-2026-0004", "NW-RUN-SMT", "active", 5),
        ("P-2026-0005", "NW-RUN-ZIGBEE", "paused", 5),
        ("P-2026-0006", "NW-RUN-DATAHUB", "active", 5),
        ("P-2026-0007", "NW-RUN-VALVEPCB", "active", 5),
        ("P-2026-0008", "NW-RUN-PORTAL", "active", 5),
    ]
    [migrated] = first
    assert (migrated.kind, migrated.outcome) == ("migrated", "active")
    payload = migrated.payload
    assert {k: payload[k] for k in ("reference", "approved_on", "score", "stage", "state_after")} == {
        "reference": "NW-RUN-HPC2",
        "approved_on": "2025-01-20",
        "score": "71.5",
        "stage": "launch",
        "state_after": "active",
    }
    again = projects.import_projects(portfolio, ledger, [EXAMPLES / "projects"], "pmo")
    assert {i.action for i in again} == {"unchanged"}
    assert verify(portfolio).ok


def test_import_refuses_a_changed_project_and_bad_fields(portfolio: Store, ledger: Ledger, tmp_path: Path) -> None:
    data = parse_yaml((EXAMPLES / "projects" / "running-projects.yaml").read_text())["projects"]
    changed = dict(data[0], title="Heat pump controller gen2 (renamed)")
    broken = dict(data[1], reference="NW-NEW-ONE", status="dormant", score=140)
    path = tmp_path / "more.yaml"
    path.write_text(dump_yaml([changed, broken]))
    with pytest.raises(InputRefused) as refused:
        projects.import_projects(portfolio, ledger, [path], "pmo")
    assert list(refused.value.problems) == [
        Problem(str(path), "record 2", "status", "invalid-value", "Input should be 'active' or 'paused'"),
        Problem(str(path), "record 2", "score", "out-of-range", "Input should be less than or equal to 100"),
    ]
    path.write_text(dump_yaml([changed]))
    with pytest.raises(InputRefused) as refused:
        projects.import_projects(portfolio, ledger, [path], "pmo")
    assert list(refused.value.problems) == [
        Problem(
            str(path),
            "record 1",
            "reference",
            "already-on-file",
            "reference NW-RUN-HPC2 is already on file as P-2026-0001 (active) with other content",
        )
    ]
    with portfolio.read() as conn:
        assert conn.scalar(select(func.count()).select_from(LedgerRow)) == 9  # policy + 8 migrated: nothing new


def test_status_reports_from_csv_equal_yaml(tmp_path: Path) -> None:
    csv_path = tmp_path / "q4.csv"
    csv_path.write_text(
        "project,quarter,submitted_on,actual_cost,planned_value,earned_value,percent_complete,risk_level,"
        "milestones_hit,milestones_missed,commentary,cost:FY2027,benefit:FY2027,benefit:FY2028,benefit:FY2029,"
        "benefit:FY2030\n"
        "NW-RUN-HPC2,2026Q4,2026-11-20,2600000,2300000,1850000,62,high,EMC pre-scan,Beta firmware,"
        '"Cost overrun continues; the supplier\'s compressor driver change added a board spin.",1500000,600000,'
        "2400000,2900000,2700000\n"
    )
    [from_csv] = reports.read_status_reports([csv_path], "2026Q4")
    [from_yaml] = reports.read_status_reports([EXAMPLES / "status" / "2026Q4" / "hpc2.yaml"], "2026Q4")
    # The example's forecast ranges have no CSV columns: the CSV report is the YAML one without them.
    without = {"cost_forecast_range": None, "benefits_forecast_range": None}
    assert from_yaml.report.cost_forecast_range is not None
    assert from_csv.report == from_yaml.report.model_copy(update=without)
    assert reports.earned_value_indices(from_csv.report) == (Decimal("0.71"), Decimal("0.80"))


def test_bad_status_reports_are_refused_whole(tmp_path: Path) -> None:
    good = parse_yaml((EXAMPLES / "status" / "2026Q4" / "smt.yaml").read_text())
    bad = dict(good, project="NW-RUN-HPC2", actual_cost=-5, commentary="<script>x</script>", colour="red")
    early = dict(good, project="NW-RUN-PORTAL", submitted_on="2026-09-30")
    other = dict(good, project="NW-RUN-DATAHUB", quarter="2026Q3")
    path = tmp_path / "reports.yaml"
    path.write_text(dump_yaml([good, bad, early, other, dict(good)]))
    with pytest.raises(InputRefused) as refused:
        reports.read_status_reports([path], "2026Q4")
    f = str(path)
    assert list(refused.value.problems) == [
        Problem(f, "record 2", "actual_cost", "negative-amount", "amount must not be negative"),
        Problem(f, "record 2", "commentary", "markup-in-text", "text must be plain, found markup '<s'"),
        Problem(f, "record 2", "colour", "unknown-field", "Extra inputs are not permitted"),
        Problem(
            f, "record 3", "(record)", "inconsistent", "submitted_on 2026-09-30 is before the quarter 2026Q4 begins"
        ),
        Problem(f, "record 4", "quarter", "wrong-quarter", "report is for 2026Q3, the review is for 2026Q4"),
        Problem(
            f, "record 5", "project", "duplicate-in-batch", f"NW-RUN-SMT already reports for 2026Q4 in {f} record 1"
        ),
    ]


def test_reports_for_unknown_or_closed_projects_record_nothing(
    portfolio: Store, ledger: Ledger, tmp_path: Path
) -> None:
    good = parse_yaml((EXAMPLES / "status" / "2026Q4" / "smt.yaml").read_text())
    path = tmp_path / "r.yaml"
    path.write_text(dump_yaml([good, dict(good, project="NW-NOBODY")]))
    items = reports.read_status_reports([path], "2026Q4")
    with pytest.raises(InputRefused) as refused:
        reports.file_status_reports(portfolio, ledger, items, "pmo")
    assert list(refused.value.problems) == [
        Problem(str(path), "record 2", "project", "unknown-reference", "no project NW-NOBODY")
    ]
    with portfolio.read() as conn:
        assert conn.scalar(select(func.count()).select_from(LedgerRow).where(LedgerRow.kind == "status-reported")) == 0


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(
    ac=st.integers(0, 10**9),
    pv=st.integers(0, 10**9),
    ev=st.integers(0, 10**9),
)
def test_earned_value_indices(ac: int, pv: int, ev: int) -> None:
    report = StatusReport.model_validate(
        {
            "project": "NW-X",
            "quarter": "2026Q4",
            "submitted_on": "2026-12-01",
            "actual_cost": ac,
            "planned_value": pv,
            "earned_value": ev,
            "percent_complete": 10,
            "risk_level": "low",
        }
    )
    cpi, spi = reports.earned_value_indices(report)
    assert (cpi is None) == (ac == 0) and (spi is None) == (pv == 0)
    if cpi is not None:
        assert abs(float(cpi) - ev / ac) <= 0.005 + 1e-9
    if spi is not None:
        assert abs(float(spi) - ev / pv) <= 0.005 + 1e-9


def test_policy_rule_fields_are_documented() -> None:
    for rule in load_policy("stage-gate").policy.review_rules:
        fields = json.dumps(rule.when.model_dump(mode="json", by_alias=True))
        assert any(f'"{name}"' in fields for name in review.FACT_FIELDS), rule.id


def _report(**changes: object) -> StatusReport:
    data: dict[str, object] = {
        "project": "NW-X",
        "quarter": "2026Q4",
        "submitted_on": "2027-01-20",
        "actual_cost": 1000,
        "planned_value": 800,
        "earned_value": 700,
        "percent_complete": "42.50",
        "risk_level": "high",
        "milestones_hit": ["Beta"],
    }
    data.update(changes)
    return StatusReport.model_validate(data)


BASE = {
    "score": Decimal("71.5"),
    "ecv": Decimal("1250000.00"),
    "npv": Decimal("-3.10"),
    "open_conditions": 2,
    "overdue_conditions": 1,
    "state": "active",
    "bucket": "platform",
}


def test_the_facts_of_a_quarter_are_what_the_rules_name_and_are_recorded_as_written() -> None:
    facts = quarter_facts(_report(), dt.date(2027, 1, 15), BASE)
    assert facts == {
        **BASE,
        "cpi": Decimal("0.70"),
        "spi": Decimal("0.88"),
        "actual_cost": Decimal("1000"),
        "planned_value": Decimal("800"),
        "earned_value": Decimal("700"),
        "percent_complete": Decimal("42.50"),
        "risk_level": "high",
        "risk_rank": 3,
        "milestones_hit": 1,
        "milestones_missed": 0,
        "report_missing": False,
        "report_late_days": 5,
    }
    assert facts.keys() == review.FACT_FIELDS.keys()
    recorded = recorded_facts(facts)
    assert isinstance(recorded, ReviewFactsReported)
    assert recorded.model_dump() == {
        "score": "71.5",
        "ecv": "1250000.00",
        "npv": "-3.10",
        "open_conditions": 2,
        "overdue_conditions": 1,
        "state": "active",
        "bucket": "platform",
        "report_missing": False,
        "report_late_days": 5,
        "cpi": "0.70",
        "spi": "0.88",
        "actual_cost": "1000",
        "planned_value": "800",
        "earned_value": "700",
        "percent_complete": "42.50",
        "risk_level": "high",
        "risk_rank": 3,
        "milestones_hit": 1,
        "milestones_missed": 0,
    }


def test_a_missing_report_is_a_fact_too() -> None:
    facts = quarter_facts(None, dt.date(2027, 1, 15), BASE)
    assert facts == {**BASE, "report_missing": True, "report_late_days": None}
    assert recorded_facts(facts) == ReviewFactsMissing.model_validate(facts)
    with pytest.raises(ValidationError):  # a fact the model does not know is refused, not stored
        recorded_facts({**facts, "colour": "red"})
