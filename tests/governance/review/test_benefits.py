"""Benefits realisation: the baseline of the go (here: the migration), realised benefits from status reports
and from the post-implementation review after completion, what is due, and what is refused (SQLite and
PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import select

from governance import reports, review
from governance.authority import Actor
from governance.benefits import due_fraction, portfolio_totals, promised_to, quarters_after, realisation
from governance.benefits_review import file_benefits_reviews, read_benefits_reviews, reviews_due
from governance.canonical import canonical_text
from governance.clock import FixedClock, SeededIds
from governance.due import due_items
from governance.errors import Forbidden, InputRefused
from governance.intake import find_proposal
from governance.ledger import Ledger, latest_record, verify
from governance.policy import load_policy
from governance.store import Store
from models.records import parse_payload
from models.status_report import StatusReport
from models.tables import LedgerRow

from .conftest import EXAMPLES, RULES_ONLY, board_answer, review_quarter

POLICY = RULES_ONLY.policy
ECOLABEL_REPORT = (EXAMPLES / "status" / "2026Q4" / "ecolabel.yaml").read_text(encoding="utf-8")
REALISED = "benefits_realised:\n  FY2026: 40000\nbenefits_owner: Jonas Weber, Sales\n"
LATER = Ledger(FixedClock(dt.datetime(2027, 7, 20, 9, tzinfo=dt.UTC)), SeededIds("later"), engine_version="test")
REVIEW = (EXAMPLES / "benefits" / "ecolabel-2027Q2.yaml").read_text(encoding="utf-8")


def _completed(store: Store, ledger: Ledger) -> str:
    """2026Q3 and 2026Q4 reviewed; the energy-label project reports realised benefits and completes."""
    review_quarter(store, ledger, "2026Q3")
    review.confirm_review(store, ledger, board_answer("2026Q3"), Actor.of("ana"))
    assert REALISED in ECOLABEL_REPORT  # the example reports its first realised benefits
    reports.file_status_reports(store, ledger, reports.read_status_reports([EXAMPLES / "status" / "2026Q4"]), "pmo")
    review.propose_review(store, ledger, "2026Q4", "pmo")
    review.confirm_review(store, ledger, board_answer("2026Q4"), Actor.of("ana"))
    with store.read() as conn:
        row = find_proposal(conn, "NW-RUN-ECOLABEL")
    assert row.state == "completed"
    return str(row.id)


def test_status_reports_and_the_review_realise_the_migrated_promise(
    portfolio: Store, ledger: Ledger, tmp_path: Path
) -> None:
    pid = _completed(portfolio, ledger)
    with portfolio.read() as conn:
        before = realisation(conn, POLICY, dt.date(2026, 11, 23), [pid])
        assert reviews_due(conn, POLICY, dt.date(2027, 3, 31)) == []  # 2027Q2 has not ended
        [due] = reviews_due(conn, POLICY, dt.date(2027, 7, 20))
    [item] = before
    assert (item.promised, item.realised, item.sources) == (
        {"FY2027": Decimal(300000), "FY2028": Decimal(300000)},
        {"FY2026": Decimal(40000)},
        {"FY2026": "status report 2026Q4"},
    )
    assert (item.promised_to_date, item.realised_to_date, item.ratio) == (Decimal("0.00"), Decimal("40000.00"), None)
    assert (item.owner, item.completed_quarter, item.review_seq, item.baseline_gate) == (
        "Jonas Weber, Sales",
        "2026Q4",
        None,
        None,
    )
    assert due.as_dict() == {
        "project": pid,
        "title": item.title,
        "completed_quarter": "2026Q4",
        "due_quarter": "2027Q2",
        "due_on": "2027-07-15",
        "overdue": True,
    }
    with portfolio.read() as conn:  # `governance agenda --due` and the due-check flow's events list it too
        listed = [i.as_dict() for i in due_items(conn, dt.date(2027, 7, 20), POLICY) if i.subject == pid]
    assert listed == [
        {
            "what": "benefits-review-due",
            "key": f"benefits-review-due:{pid}:2027Q2",
            "subject": pid,
            "title": item.title,
            "since": "2027-06-30",
            "days": 20,
            "detail": {
                "quarter": "2027Q2",
                "completed_quarter": "2026Q4",
                "due_on": "2027-07-15",
                "overdue": True,
            },
        }
    ]
    file = tmp_path / "pir.yaml"
    file.write_text(REVIEW, encoding="utf-8")
    [done] = file_benefits_reviews(portfolio, LATER, read_benefits_reviews([file]), Actor.of("pmo"))
    # Due by the end of 2027Q2: half of FY2027's 300,000. Realised 160,000: 106.7 %, at least 90 %.
    assert (done.action, done.outcome, done.ratio) == ("reviewed", "realised", Decimal("1.067"))
    with portfolio.read() as conn:
        record = latest_record(conn, pid, "benefits-reviewed")
        after = realisation(conn, POLICY, dt.date(2027, 7, 20), [pid])[0]
        assert reviews_due(conn, POLICY, dt.date(2027, 7, 20)) == []
    assert record is not None and record.seq == done.seq and record.recorded_by == "pmo"
    assert record.outcome == "realised"
    with portfolio.read() as conn:
        stored = conn.scalar(select(LedgerRow.payload).where(LedgerRow.seq == record.seq))
    assert canonical_text(parse_payload("benefits-reviewed", stored)) == stored  # the text round-trips
    assert record.payload == {
        "quarter": "2027Q2",
        "reviewed_on": "2027-07-20",
        "owner": "Jonas Weber, Sales",
        "content_hash": record.payload["content_hash"],
        "version": 1,
        "baseline_seq": item.baseline_seq,
        "baseline_gate": None,
        "promised_total": "600000",
        "promised_to_date": "150000",
        "realised_to_date": "160000",
        "still_expected": "300000",
        "ratio": "1.067",
        "outcome": "realised",
        "completed_quarter": "2026Q4",
        "source": {"file": "pir.yaml", "record": "record 1"},
    }
    assert after.realised == {"FY2026": Decimal(40000), "FY2027": Decimal(120000)}
    assert after.sources == dict.fromkeys(("FY2026", "FY2027"), "post-implementation review 2027Q2")
    assert (after.still_expected, after.review_seq, after.review_outcome) == (
        {"FY2028": Decimal(300000)},
        record.seq,
        "realised",
    )
    assert (after.promised_to_date, after.realised_to_date) == (Decimal("150000.00"), Decimal("160000.00"))
    totals = portfolio_totals([after])
    assert (totals["promised_total"], totals["ratio"]) == (Decimal(600000), Decimal("1.067"))
    # The same file again records nothing; a changed one is a new version with its own outcome.
    [again] = file_benefits_reviews(portfolio, LATER, read_benefits_reviews([file]), Actor.of("pmo"))
    assert (again.action, again.seq) == ("unchanged", done.seq)
    file.write_text(REVIEW.replace("FY2027: 120000", "FY2027: 60000"), encoding="utf-8")
    [revised] = file_benefits_reviews(portfolio, LATER, read_benefits_reviews([file]), Actor.of("pmo"))
    assert (revised.action, revised.outcome, revised.ratio) == ("revised", "partly-realised", Decimal("0.667"))
    assert verify(portfolio).ok


def test_reviews_that_cannot_be_recorded_are_refused_whole(portfolio: Store, ledger: Ledger, tmp_path: Path) -> None:
    pid = _completed(portfolio, ledger)
    good, active, early = tmp_path / "good.yaml", tmp_path / "active.yaml", tmp_path / "early.yaml"
    good.write_text(REVIEW, encoding="utf-8")
    active.write_text(REVIEW.replace("NW-RUN-ECOLABEL", "NW-RUN-HPC2"), encoding="utf-8")
    with pytest.raises(InputRefused) as refused:
        file_benefits_reviews(portfolio, LATER, read_benefits_reviews([good, active]), Actor.of("pmo"))
    [problem] = refused.value.problems
    assert (problem.file, problem.field, problem.code) == (str(active), "project", "closed-proposal")
    assert "P-2026-0001 is paused: a post-implementation review is of a completed project" in problem.message
    early.write_text(REVIEW.replace("quarter: 2027Q2", "quarter: 2026Q3").replace("  FY2027: 120000\n", ""))
    with pytest.raises(InputRefused) as refused:
        file_benefits_reviews(portfolio, LATER, read_benefits_reviews([early]), Actor.of("pmo"))
    assert refused.value.problems[0].message == f"{pid} completed in 2026Q4; the review of 2026Q3 is before it"
    with pytest.raises(Forbidden):  # a submitter is neither the board nor the portfolio office
        file_benefits_reviews(portfolio, LATER, read_benefits_reviews([good]), Actor.of("lena"))
    with portfolio.read() as conn:
        assert latest_record(conn, pid, "benefits-reviewed") is None


def test_a_review_file_is_checked_like_any_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        REVIEW.replace("reviewed_on: 2027-07-20", "reviewed_on: 2027-06-01").replace("FY2028: 300000", "FY2027: 1")
    )
    with pytest.raises(InputRefused) as refused:
        read_benefits_reviews([bad])
    [problem] = refused.value.problems
    assert problem.code == "inconsistent"
    assert "reviewed_on 2027-06-01 is before the quarter 2027Q2 has ended" in problem.message


def test_status_reports_name_an_owner_and_only_periods_begun() -> None:
    base = {
        "project": "NW-X",
        "quarter": "2026Q4",
        "submitted_on": "2026-11-16",
        "actual_cost": 1,
        "planned_value": 1,
        "earned_value": 1,
        "percent_complete": 10,
        "risk_level": "low",
    }
    with pytest.raises(ValidationError, match="benefits_realised needs a benefits_owner"):
        StatusReport.model_validate({**base, "benefits_realised": {"FY2026": 5}})
    with pytest.raises(ValidationError, match="benefits_realised gives FY2028, which has not begun"):
        StatusReport.model_validate({**base, "benefits_realised": {"FY2028": 5}, "benefits_owner": "Jo"})
    # Absent fields keep a report's canonical form (and its content hash) as it was.
    assert "benefits_realised" not in (dumped := StatusReport.model_validate(base).model_dump_json())
    assert "benefits_owner" not in dumped


def test_due_fractions_follow_the_fiscal_year() -> None:
    april = load_policy("it-demand").policy  # fiscal years from April: FY2027 is April 2026 - March 2027
    assert due_fraction("FY2027", dt.date(2026, 9, 30), april) == Decimal(6) / Decimal(12)
    assert due_fraction("FY2027", dt.date(2026, 9, 29), april) == Decimal(5) / Decimal(12)
    assert due_fraction("FY2027", dt.date(2027, 3, 31), april) == 1
    assert due_fraction("FY2027", dt.date(2026, 3, 31), april) == 0
    assert promised_to({"FY2027": Decimal(1200), "FY2028": Decimal(1)}, dt.date(2026, 12, 31), april) == Decimal(
        "900.00"
    )
    assert quarters_after("2026Q4", 2) == "2027Q2" and quarters_after("2026Q1", 7) == "2027Q4"


@given(
    st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31)),
    st.integers(min_value=0, max_value=900),
    st.integers(min_value=2021, max_value=2034),
    st.sampled_from([1, 4, 7, 10]),
)
def test_a_period_falls_due_gradually_and_never_backwards(day: dt.date, later: int, year: int, month: int) -> None:
    policy = POLICY.model_copy(update={"fiscal_year_start_month": month})
    period = f"FY{year}"
    first, second = due_fraction(period, day, policy), due_fraction(period, day + dt.timedelta(days=later), policy)
    assert 0 <= first <= second <= 1
    begins = dt.date(year if month == 1 else year - 1, month, 1)
    if day < begins:
        assert first == 0
    if day >= dt.date(begins.year + 1, begins.month, 1) - dt.timedelta(days=1):
        assert first == 1


def test_csv_status_reports_carry_realised_benefits_and_their_owner(tmp_path: Path) -> None:
    csv_path = tmp_path / "q4.csv"
    csv_path.write_text(
        "project,quarter,submitted_on,actual_cost,planned_value,earned_value,percent_complete,risk_level,"
        "milestones_hit,cost:FY2027,realised:FY2026,benefits_owner\n"
        "NW-RUN-ECOLABEL,2026Q4,2026-11-16,385000,390000,390000,100,low,Label registered;Range updated,0,"
        '40000,"Jonas Weber, Sales"\n'
    )
    [from_csv] = reports.read_status_reports([csv_path], "2026Q4")
    [from_yaml] = reports.read_status_reports([EXAMPLES / "status" / "2026Q4" / "ecolabel.yaml"], "2026Q4")
    assert from_csv.report == from_yaml.report
    assert from_csv.report.benefits_realised == {"FY2026": Decimal(40000)}
