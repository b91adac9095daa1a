"""`due-check`: what is due today (governance.due, the facts of `governance agenda --due`) as Prefect events.

Deployed from prefect.yaml with a daily schedule. Each fact becomes one `governance.due.<what>` event
(decision-awaiting, condition-overdue, status-report-missing, review-ready, and whatever provider is
added to `governance.due.PROVIDERS`), with an id made from the fact's stable key and the day: a second
run on the same day sends the same ids again, the next day's run sends new reminders. The automations in
deploy/automations.yaml turn them into notifications. It records nothing.
"""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.artifacts import create_table_artifact
from prefect.runtime import deployment as deployment_runtime

from flows.events import emit
from flows.runtime import check_settings, open_engine
from governance.adoption import current_policy
from governance.calendar import today_in
from governance.due import due_event, due_items

__all__ = ["due_check_flow"]


@flow(name="due-check", persist_result=False)
def due_check_flow(database_url: str | None = None) -> dict[str, Any]:
    """Emit an event for everything due or overdue today; returns them as `governance agenda --due --json`."""
    check_settings(database_url, deployment_runtime.get_id() is not None)
    store, ledger = open_engine(database_url)
    try:
        with store.read() as conn:
            policy = current_policy(conn).policy
            today = today_in(policy, ledger.clock.now())
            items = due_items(conn, today, policy)
    finally:
        store.dispose()
    for item in items:
        emit(due_event(item, today))
    if items:
        rows = [
            {"due": i.what, "id": i.subject, "title": i.title, "since": str(i.since), "days": i.days} for i in items
        ]
        create_table_artifact(key="due-check", table=rows, description=f"Due or overdue on {today}")
    return {"date": today.isoformat(), "due": [item.as_dict() for item in items]}
