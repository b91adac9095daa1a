"""`due-check`: what is due today (governance.due, the facts of `governance agenda --due`) as Prefect events.

Deployed from prefect.yaml with a daily schedule. Each fact becomes one `governance.due.<what>` event
(decision-awaiting, condition-overdue, status-report-missing, review-ready, and whatever provider is
added to `governance.due.PROVIDERS`), with an id made from the fact's stable key and the day: a second
run on the same day sends the same ids again, the next day's run sends new reminders. The automations in
deploy/automations.yaml turn them into notifications. It records nothing.

`ledger-events`: one `governance.record.<kind>` event for every record appended since its last run (the
relay, flows.events.relay). A large transaction sends only a batch event and the records people are told
of as it commits (per-record events there cost the bulk intake too much); this deployment sends the rest,
every few minutes, from its own process. Its place in the ledger is the Prefect Variable
`governance_events_relayed` (the last sequence number sent); records sent twice keep one event on the server.
"""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.artifacts import create_table_artifact
from prefect.runtime import deployment as deployment_runtime

from flows.events import emit, relay, served
from flows.runtime import check_settings, open_engine
from governance.adoption import current_policy
from governance.calendar import today_in
from governance.due import due_event, due_items

__all__ = ["RELAYED", "due_check_flow", "ledger_events_flow"]

RELAYED = "governance_events_relayed"


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


@flow(name="ledger-events", persist_result=False)
def ledger_events_flow(database_url: str | None = None) -> dict[str, Any]:
    """Send an event for every record appended since the last run; returns the range sent."""
    from prefect.variables import Variable

    check_settings(database_url, deployment_runtime.get_id() is not None)
    if not served():  # no Prefect server that outlives this run: nothing to send to, and the place stays
        return {"after": None, "last": None, "sent": 0}
    after = int(Variable.get(RELAYED, default=0) or 0)
    store, _ = open_engine(database_url)
    try:
        last = relay(store, after)
    finally:
        store.dispose()
    if last != after:
        Variable.set(RELAYED, last, overwrite=True)
    return {"after": after, "last": last, "sent": last - after}
