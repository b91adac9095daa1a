"""The organisation's calendar: dates in its time zone, quarters, fiscal periods."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from governance import calendar
from governance.policy import LoadedPolicy


def test_quarters_and_fiscal_periods(stage_gate: LoadedPolicy) -> None:
    assert calendar.quarter_dates("2026Q4") == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert calendar.quarter_dates("2027Q1") == (dt.date(2027, 1, 1), dt.date(2027, 3, 31))
    assert calendar.previous_quarter("2027Q1") == "2026Q4"
    assert calendar.previous_quarter("2026Q3") == "2026Q2"
    assert calendar.quarter_of(dt.date(2026, 11, 23)) == "2026Q4"
    assert calendar.last_ended_quarter(dt.date(2027, 1, 1)) == "2026Q4"
    assert calendar.last_ended_quarter(dt.date(2026, 12, 31)) == "2026Q3"
    policy = stage_gate.policy.model_copy(update={"fiscal_year_start_month": 1})
    assert calendar.fiscal_period(dt.date(2026, 12, 31), policy) == "FY2026"
    july = policy.model_copy(update={"fiscal_year_start_month": 7})
    assert calendar.fiscal_period(dt.date(2026, 7, 1), july) == "FY2027"
    assert calendar.fiscal_period(dt.date(2026, 6, 30), july) == "FY2026"


def test_today_is_the_organisations_date(stage_gate: LoadedPolicy) -> None:
    late = dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)
    berlin = stage_gate.policy.model_copy(update={"timezone": "Europe/Berlin"})
    utc = stage_gate.policy.model_copy(update={"timezone": "UTC"})
    assert calendar.today_in(berlin, late) == dt.date(2027, 1, 1)
    assert calendar.today_in(utc, late) == dt.date(2026, 12, 31)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(9999, 12, 31)))
def test_a_day_lies_in_its_quarter_and_after_the_last_ended_one(day: dt.date) -> None:
    first, last = calendar.quarter_dates(calendar.quarter_of(day))
    assert first <= day <= last
    if day.year > 1900 or day.month > 3:
        _, ended = calendar.quarter_dates(calendar.last_ended_quarter(day))
        assert ended == first - dt.timedelta(days=1)
