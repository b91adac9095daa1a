"""governance.events: the event each record makes, and listeners that hear only committed appends."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Sequence

import pytest

from governance import events
from governance.events import record_event, subject_resource
from governance.ledger import Ledger, NewRecord
from governance.store import Store
from models.records import LedgerRecord


@pytest.fixture
def heard() -> Iterator[list[list[LedgerRecord]]]:
    batches: list[list[LedgerRecord]] = []

    def listener(records: Sequence[LedgerRecord]) -> None:
        batches.append(list(records))

    events.add_listener(listener)
    try:
        yield batches
    finally:
        events.remove_listener(listener)


def _noted(subject: str = "P-2026-0001", n: int = 1) -> NewRecord:
    return NewRecord(kind="noted", subject=subject, payload={"n": n}, outcome="ok", policy_version="abc123")


def test_committed_records_are_heard_once_after_commit(
    store: Store, ledger: Ledger, heard: list[list[LedgerRecord]]
) -> None:
    with store.write() as conn:
        written = ledger.append(conn, [_noted(n=1), _noted(n=2)], "alice")
        written += ledger.append(conn, [_noted("Q-2026Q4", 3)], "alice")
        assert heard == []  # not before the commit
    assert heard == [written]
    with store.write() as conn:
        again = ledger.append(conn, [_noted(n=4)], "bob")
    assert heard == [written, again]
    with store.write():
        pass  # a transaction that appends nothing is not heard
    assert heard == [written, again]


def test_a_rolled_back_append_is_never_heard(store: Store, ledger: Ledger, heard: list[list[LedgerRecord]]) -> None:
    with pytest.raises(RuntimeError, match="board changed its mind"), store.write() as conn:
        ledger.append(conn, [_noted()], "alice")
        raise RuntimeError("board changed its mind")
    assert heard == []
    # The pooled connection keeps no note of the rolled-back record for the next transaction.
    with store.write() as conn:
        [written] = ledger.append(conn, [_noted(n=9)], "alice")
    assert heard == [[written]]
    assert written.seq == 1


def test_a_failing_listener_does_not_fail_the_write(
    store: Store, ledger: Ledger, heard: list[list[LedgerRecord]], caplog: pytest.LogCaptureFixture
) -> None:
    def broken(records: Sequence[LedgerRecord]) -> None:
        raise ValueError("no network")

    events.add_listener(broken)
    try:
        with store.write() as conn:
            written = ledger.append(conn, [_noted()], "alice")
    finally:
        events.remove_listener(broken)
    assert heard == [written]
    assert [r.getMessage() for r in caplog.records] == ["a ledger listener failed on 1 records"]


def test_without_listeners_nothing_is_noted(store: Store, ledger: Ledger) -> None:
    assert not events.listening()
    with store.write() as conn:
        ledger.append(conn, [_noted()], "alice")
        assert events.APPENDED not in conn.info


def test_record_event_whole(store: Store, ledger: Ledger) -> None:
    with store.write() as conn:
        [record] = ledger.append(
            conn,
            [NewRecord(kind="decided", subject="P-2026-0007", payload={}, outcome="go", policy_version="v1")],
            "ana",
        )
    made = record_event(record)
    assert made == events.RecordEvent(
        id=uuid.uuid5(uuid.UUID("6a3c1e0e-7d55-4b8e-9a43-0b7d2f6f3c21"), record.hash),
        event="governance.record.decided",
        resource={"prefect.resource.id": "governance.proposal.P-2026-0007", "prefect.resource.name": "P-2026-0007"},
        payload={
            "seq": 1,
            "record_id": record.record_id,
            "kind": "decided",
            "subject": "P-2026-0007",
            "outcome": "go",
            "hash": record.hash,
            "recorded_by": "ana",
            "recorded_at": record.recorded_at.isoformat(),
            "policy_version": "v1",
        },
        related=[
            {
                "prefect.resource.id": "governance.actor.ana",
                "prefect.resource.role": "recorded-by",
                "prefect.resource.name": "ana",
            },
            {"prefect.resource.id": "governance.policy.v1", "prefect.resource.role": "policy"},
        ],
    )
    assert record_event(record) == made  # the same record, the same event and id


def test_subject_resources() -> None:
    assert [subject_resource(s)["prefect.resource.id"] for s in ("P-2026-0001", "Q-2026Q4", "policy", "portfolio")] == [
        "governance.proposal.P-2026-0001",
        "governance.quarter.2026Q4",
        "governance.policy",
        "governance.portfolio",
    ]
    day, next_day = dt.date(2026, 12, 7), dt.date(2026, 12, 8)
    assert events.due_event_id("a", day) == events.due_event_id("a", day) != events.due_event_id("b", day)
    assert events.due_event_id("a", day) != events.due_event_id("a", next_day)


def test_a_large_batch_is_one_event_and_the_notified_records(store: Store, ledger: Ledger) -> None:
    with store.write() as conn:
        small = ledger.append(conn, [_noted(n=n) for n in range(events.PER_RECORD_LIMIT)], "pmo")
    assert events.events_for(small) == [record_event(r) for r in small]
    bulk = [_noted(n=n) for n in range(events.PER_RECORD_LIMIT)]
    bulk.insert(7, NewRecord(kind="recommended", subject="P-2026-0002", payload={}, outcome="go"))
    with store.write() as conn:
        large = ledger.append(conn, bulk, "pmo")
    made = events.events_for(large)
    assert [m.event for m in made] == ["governance.records.appended", "governance.record.recommended"]
    assert made[0].payload == {
        "first_seq": 51,
        "last_seq": 101,
        "count": 51,
        "kinds": {"noted": 50, "recommended": 1},
        "hash": large[-1].hash,
        "recorded_by": "pmo",
    }
    assert made[0].resource == {"prefect.resource.id": "governance.ledger", "prefect.resource.name": "ledger"}
    assert made[1] == record_event(large[7])
