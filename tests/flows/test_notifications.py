"""Notifications: every committed record a Prefect event; what is due as events; the shipped automations."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from flows import events as flow_events
from governance import events
from governance.ledger import Ledger, NewRecord
from governance.store import Store

pytestmark = pytest.mark.prefect


@pytest.fixture
def asserting_events(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Prefect's own asserting client in place of the server's: the events as `emit_event` made them."""
    from prefect.events.clients import AssertingEventsClient
    from prefect.events.worker import EventsWorker

    worker = EventsWorker.instance(AssertingEventsClient)
    monkeypatch.setattr(EventsWorker, "instance", lambda *_: worker)
    events.add_listener(flow_events.emit_records)
    try:
        yield
    finally:
        events.remove_listener(flow_events.emit_records)
        worker.drain()


def test_each_committed_record_is_one_event(governance_url: str, asserting_events: None) -> None:
    from prefect.events.clients import AssertingEventsClient
    from prefect.events.worker import EventsWorker

    from governance.clock import FixedClock, SeededIds
    from tests.conftest import START

    store = Store(governance_url)
    store.upgrade()
    ledger = Ledger(FixedClock(START), SeededIds("events"), engine_version="test")
    with pytest.raises(RuntimeError), store.write() as conn:
        ledger.append(conn, [NewRecord(kind="noted", subject="P-2026-0001", payload={})], "ana")
        raise RuntimeError("rolled back")
    with store.write() as conn:
        written = ledger.append(
            conn,
            [
                NewRecord(kind="recommended", subject="P-2026-0001", payload={}, outcome="go", policy_version="v1"),
                NewRecord(kind="reviewed", subject="Q-2026Q4", payload={}, outcome="continue"),
            ],
            "ana",
        )
    store.dispose()
    EventsWorker.instance().drain()
    client = AssertingEventsClient.last
    assert client is not None
    got = [(e.event, e.resource.id, e.payload, str(e.id)) for e in client.events]
    assert got == [
        (
            made.event,
            made.resource["prefect.resource.id"],
            made.payload,
            str(made.id),
        )
        for made in map(events.record_event, written)
    ]
    assert [e.event for e in client.events] == ["governance.record.recommended", "governance.record.reviewed"]
