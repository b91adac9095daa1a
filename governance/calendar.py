"""The organisation's calendar: its date in its time zone, calendar quarters and fiscal periods.

Every "what day is it" and "which quarter" in the engine is answered here, from the injected clock's
reading and the policy (its time zone and the month its fiscal year starts).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from governance.errors import DecisionRefused
from models.policy import Policy

__all__ = [
    "check_meeting_date",
    "fiscal_period",
    "last_ended_quarter",
    "previous_quarter",
    "quarter_dates",
    "quarter_of",
    "today_in",
]


def today_in(policy: Policy, now: dt.datetime) -> dt.date:
    """The organisation's date (the policy's time zone) at `now`."""
    return now.astimezone(zoneinfo.ZoneInfo(policy.timezone)).date()


def quarter_of(day: dt.date) -> str:
    """The calendar quarter a date falls in (2026-11-23 -> `2026Q4`)."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_dates(quarter: str) -> tuple[dt.date, dt.date]:
    """First and last day of a calendar quarter (`2026Q4` -> 2026-10-01, 2026-12-31)."""
    year, q = int(quarter[:4]), int(quarter[5])
    start = dt.date(year, 3 * q - 2, 1)
    end = (dt.date(year + 1, 1, 1) if q == 4 else dt.date(year, 3 * q + 1, 1)) - dt.timedelta(days=1)
    return start, end


def previous_quarter(quarter: str) -> str:
    """The quarter before (`2027Q1` -> `2026Q4`)."""
    year, q = int(quarter[:4]), int(quarter[5])
    return f"{year - 1}Q4" if q == 1 else f"{year}Q{q - 1}"


def last_ended_quarter(day: dt.date) -> str:
    """The quarter that ended last before `day`: the one a quarterly review looks back on."""
    return previous_quarter(quarter_of(day))


def fiscal_period(day: dt.date, policy: Policy) -> str:
    """The budget period a date falls in; a fiscal year is named after the calendar year it ends in."""
    start = policy.fiscal_year_start_month
    return f"FY{day.year + 1 if start != 1 and day.month >= start else day.year}"


def check_meeting_date(meeting: dt.date, earliest: dt.date, decides_on: str, today: dt.date) -> None:
    """Refuse a meeting date before the record the meeting decides on, or after today.

    Args:
        meeting: the meeting date given (`meeting_date`, `--meeting-date`).
        earliest: the date of the record it decides on (a recommendation, a proposed review).
        decides_on: that record in words, for the message (`the gate 1 recommendation (record 7)`).
        today: the organisation's date by the engine's clock.

    Raises:
        DecisionRefused: code `meeting-date-invalid`, naming the field, the date and the bound.
    """
    if meeting < earliest:
        raise DecisionRefused(
            f"meeting_date {meeting} is before {earliest}, the date of {decides_on} it decides on: "
            "a board meets on a recommendation once it is made; nothing was recorded",
            code="meeting-date-invalid",
        )
    if meeting > today:
        raise DecisionRefused(
            f"meeting_date {meeting} is after today, {today}: a decision is recorded once its meeting "
            "has taken place; nothing was recorded",
            code="meeting-date-invalid",
        )
