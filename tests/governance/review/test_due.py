"""governance.due: what is due on a day, provider by provider (the facts of `agenda --due` and due-check)."""

from __future__ import annotations

import datetime as dt

import pytest

from governance import due, events, review
from governance.adoption import current_policy
from governance.due import DueContext, DueItem, due_items
from governance.ledger import Ledger
from governance.store import Store


def _due(store: Store, day: str) -> list[tuple[str, str, str, int]]:
    with store.read() as conn:
        items = due_items(conn, dt.date.fromisoformat(day), current_policy(conn).policy)
    return [(i.what, i.key, i.since.isoformat(), i.days) for i in items]


def test_status_reports_are_missing_from_the_day_after_their_due_date(portfolio: Store) -> None:
    with portfolio.read() as conn:
        assert current_policy(conn).policy.review.report_due_days == 15
    assert _due(portfolio, "2026-10-15") == []
    missing = _due(portfolio, "2026-10-16")
    assert len(missing) == 8
    assert {(what, since, days) for what, _, since, days in missing} == {("status-report-missing", "2026-10-15", 1)}
    assert missing[0][1] == "status-report-missing:P-2026-0001:2026Q3"


def test_a_review_is_ready_once_every_project_reported_until_it_is_proposed(portfolio: Store, ledger: Ledger) -> None:
    from governance import reports

    from ...conftest import EXAMPLES

    items = reports.read_status_reports([EXAMPLES / "status" / "2026Q3"], "2026Q3")
    reports.file_status_reports(portfolio, ledger, items, "pmo")
    # The example clock recorded them on 2026-11-23 (tests.conftest.START).
    assert _due(portfolio, "2026-11-30") == [("review-ready", "review-ready:2026Q3", "2026-11-23", 7)]
    review.propose_review(portfolio, ledger, "2026Q3", "pmo")
    assert _due(portfolio, "2026-11-30") == []


def test_a_provider_added_to_the_list_is_asked_too(portfolio: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    def reviews_after_completion(ctx: DueContext) -> list[DueItem]:
        return [
            DueItem("pir-due", "pir-due:P-2026-0001:2027Q1", "P-2026-0001", "x", ctx.today, 0, {"quarter": "2027Q1"})
        ]

    monkeypatch.setattr(due, "PROVIDERS", [*due.PROVIDERS, reviews_after_completion])
    assert _due(portfolio, "2026-10-01") == [("pir-due", "pir-due:P-2026-0001:2027Q1", "2026-10-01", 0)]


def test_a_due_fact_is_one_event_a_day() -> None:
    item = DueItem("status-report-missing", "status-report-missing:P-2026-0007:2026Q3", "P-2026-0007", "Zigbee",
                   dt.date(2026, 10, 15), 53, {"quarter": "2026Q3"})  # fmt: skip
    today = dt.date(2026, 12, 7)
    made = due.due_event(item, today)
    assert made == events.RecordEvent(
        id=events.due_event_id(item.key, today),
        event="governance.due.status-report-missing",
        resource={
            "prefect.resource.id": "governance.proposal.P-2026-0007",
            "prefect.resource.name": "P-2026-0007",
            "governance.due.key": "status-report-missing:P-2026-0007:2026Q3",
        },
        payload={
            "what": "status-report-missing",
            "key": "status-report-missing:P-2026-0007:2026Q3",
            "subject": "P-2026-0007",
            "title": "Zigbee",
            "since": "2026-10-15",
            "days": 53,
            "detail": {"quarter": "2026Q3"},
            "as_of": "2026-12-07",
        },
        related=[],
    )
    assert due.due_event(item, today).id == made.id != due.due_event(item, dt.date(2026, 12, 8)).id
