"""Events about the ledger: what each appended record says to the outside, and who hears it.

The engine does not send anything itself (governance/ never imports prefect). `Ledger.append` notes
the records it appended on the transaction's connection (`note_appended`); `Store.write()` hands them
to the registered listeners once the transaction has committed (`deliver`), so a rolled-back append
is never heard. flows/events.py registers the one listener that emits Prefect events, wherever the
engine runs against a Prefect server.

`RecordEvent` is the event a record makes (name, resource, payload, related resources), built here,
pure: the same record always makes the same event, with the same id, so a receiver can drop repeats.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from models.records import LedgerRecord

if TYPE_CHECKING:
    import datetime as dt

__all__ = [
    "APPENDED",
    "NOTIFIED_KINDS",
    "PER_RECORD_LIMIT",
    "Listener",
    "RecordEvent",
    "add_listener",
    "batch_event",
    "deliver",
    "due_event_id",
    "events_for",
    "listening",
    "note_appended",
    "record_event",
    "remove_listener",
    "subject_resource",
    "take_appended",
]

# The key of `Connection.info` under which `Ledger.append` notes what the transaction appended. The
# dict belongs to the pooled DBAPI connection, so `Store.write()` empties it at the start of every
# transaction and takes it at the end, committed or not.
APPENDED = "governance.appended"
# The namespace the events' ids are made in (uuid5 of a record's hash, or of a due fact's key).
_NAMESPACE = uuid.UUID("6a3c1e0e-7d55-4b8e-9a43-0b7d2f6f3c21")
_PROPOSAL = re.compile(r"^[A-Z]+-\d{4}-\d+$")

Listener = Callable[[Sequence[LedgerRecord]], None]
_listeners: list[Listener] = []
_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RecordEvent:
    """The event an appended record makes: `governance.record.<kind>` about its subject."""

    id: uuid.UUID
    event: str
    resource: dict[str, str]
    payload: dict[str, Any]
    related: list[dict[str, str]]


def subject_resource(subject: str) -> dict[str, str]:
    """The resource a ledger subject is: a proposal (or project), a quarter, or the engine's own subjects."""
    if subject.startswith("Q-"):
        return {"prefect.resource.id": f"governance.quarter.{subject[2:]}", "prefect.resource.name": subject[2:]}
    if _PROPOSAL.match(subject) or not subject.isidentifier():
        return {"prefect.resource.id": f"governance.proposal.{subject}", "prefect.resource.name": subject}
    return {"prefect.resource.id": f"governance.{subject}", "prefect.resource.name": subject}


def record_event(record: LedgerRecord) -> RecordEvent:
    """The event of one appended record (its id is made from the record's hash: one record, one id)."""
    related = [
        {
            "prefect.resource.id": f"governance.actor.{record.recorded_by}",
            "prefect.resource.role": "recorded-by",
            "prefect.resource.name": record.recorded_by,
        }
    ]
    if record.policy_version is not None:
        related.append(
            {"prefect.resource.id": f"governance.policy.{record.policy_version}", "prefect.resource.role": "policy"}
        )
    return RecordEvent(
        id=uuid.uuid5(_NAMESPACE, record.hash),
        event=f"governance.record.{record.kind}",
        resource=subject_resource(record.subject),
        payload={
            "seq": record.seq,
            "record_id": record.record_id,
            "kind": record.kind,
            "subject": record.subject,
            "outcome": record.outcome,
            "hash": record.hash,
            "recorded_by": record.recorded_by,
            "recorded_at": record.recorded_at.isoformat(),
            "policy_version": record.policy_version,
        },
        related=related,
    )


# A transaction that appends more records than this (a chunk of a bulk intake, of a review's outcomes) makes
# one `governance.records.appended` event for the whole batch, plus one event per record only of the kinds
# people are told of (NOTIFIED_KINDS). Per record, Prefect's emit_event and the server's ingestion cost about
# 0.8 ms on this 2-core machine: one event per record doubled a 10,000-proposal intake (bench: events_intake_10k).
PER_RECORD_LIMIT = 50
NOTIFIED_KINDS = frozenset(
    {"recommended", "decided", "superseded", "withdrawn", "condition-closed", "review-proposed", "review-confirmed",
     "policy-adopted", "scenario-committed"}
)  # fmt: skip


def batch_event(records: Sequence[LedgerRecord]) -> RecordEvent:
    """One event for a large committed batch: its seq range, count by kind, and the hash of its last record."""
    kinds: dict[str, int] = {}
    for record in records:
        kinds[record.kind] = kinds.get(record.kind, 0) + 1
    last = records[-1]
    return RecordEvent(
        id=uuid.uuid5(_NAMESPACE, f"batch:{last.hash}"),
        event="governance.records.appended",
        resource={"prefect.resource.id": "governance.ledger", "prefect.resource.name": "ledger"},
        payload={
            "first_seq": records[0].seq,
            "last_seq": last.seq,
            "count": len(records),
            "kinds": dict(sorted(kinds.items())),
            "hash": last.hash,
            "recorded_by": last.recorded_by,
        },
        related=[],
    )


def events_for(records: Sequence[LedgerRecord]) -> list[RecordEvent]:
    """The events of one committed transaction: one per record, or for a large one (more than
    PER_RECORD_LIMIT records) one for the batch and one per record of the NOTIFIED_KINDS."""
    if len(records) <= PER_RECORD_LIMIT:
        return [record_event(r) for r in records]
    return [batch_event(records), *(record_event(r) for r in records if r.kind in NOTIFIED_KINDS)]


def due_event_id(key: str, today: dt.date) -> uuid.UUID:
    """The id of a due fact's event on a day: one id per fact and day, so a second due-check on the same
    day sends the same events again (Prefect keeps one of each id) and the next day's are new reminders."""
    return uuid.uuid5(_NAMESPACE, f"due:{key}@{today.isoformat()}")


# -- the listeners ---------------------------------------------------------------------------------


def add_listener(listener: Listener) -> None:
    """Hear every committed append from now on (once: adding the same listener again does nothing)."""
    if listener not in _listeners:
        _listeners.append(listener)


def remove_listener(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def listening() -> bool:
    return bool(_listeners)


def note_appended(info: dict[Any, Any], records: Iterable[LedgerRecord]) -> None:
    """Note records appended in the transaction whose connection's `info` this is (nothing without listeners)."""
    if _listeners:
        info.setdefault(APPENDED, []).extend(records)


def take_appended(info: dict[Any, Any]) -> list[LedgerRecord]:
    """The records noted on this connection, forgotten there."""
    taken: list[LedgerRecord] = info.pop(APPENDED, [])
    return taken


def deliver(records: Sequence[LedgerRecord]) -> None:
    """Hand committed records to every listener. A listener that fails is logged, never raised: the
    records are committed whatever a listener does, and the command that made them has succeeded."""
    if not records:
        return
    for listener in list(_listeners):
        try:
            listener(records)
        except Exception:  # noqa: BLE001 - the records are committed: a listener's failure is logged, not raised
            _log.exception("a ledger listener failed on %d records", len(records))
