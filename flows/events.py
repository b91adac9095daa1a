"""Prefect events for the ledger's records and for what is due: the emitter behind governance.events.

`install()` registers `emit_records` as a ledger listener when this process talks to a Prefect server of
its own choosing (`PREFECT_API_URL` set, and not this process's embedded server): then every committed
record becomes a `governance.record.<kind>` event (governance.events.record_event), which the shipped
automations (deploy/automations.yaml) turn into notifications. On the embedded default nothing is
installed: Prefect's EventsWorker would otherwise start a temporary server of its own just to emit
(prefect/events/worker.py, `should_emit_events_to_ephemeral_server`), and that server's events die with
the command anyway.

Imported before prefect: prefect is imported at the first delivery, so installing costs a read command
nothing (the read commands commit no record, so they never load it).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from governance import events
from governance.events import RecordEvent, events_for, record_event
from governance.ledger import iter_records

if TYPE_CHECKING:
    from governance.store import Store
    from models.records import LedgerRecord

__all__ = ["emit", "emit_records", "install", "relay", "served", "uninstall"]


def served() -> bool:
    """This process sends to a Prefect server that outlives it: PREFECT_API_URL names one, not our embedded one,
    and `GOVERNANCE_EVENTS` is not `off` (the bench's other side; an operator's way to keep the events out)."""
    from flows.embedded import embedded_url

    if os.environ.get("GOVERNANCE_EVENTS", "").strip().lower() == "off":
        return False
    return bool(os.environ.get("PREFECT_API_URL")) and embedded_url() is None


def install() -> bool:
    """Emit an event for every committed record from now on if this process is served (see `served`);
    otherwise emit none (a listener installed before is removed)."""
    if not served():
        uninstall()
        return False
    events.add_listener(emit_records)
    return True


def uninstall() -> None:
    events.remove_listener(emit_records)


def _quiet() -> None:
    """Prefect's EventsWorker drains its queue at exit and logs "Still processing items" on stderr meanwhile,
    through a logger outside the "prefect" tree (as flows.runtime.drain_prefect says): not for the terminal."""
    logging.getLogger("EventsWorker").setLevel(logging.ERROR)


def emit(made: RecordEvent) -> None:
    """Queue one event on Prefect's EventsWorker (a background thread sends it; see DESIGN facts)."""
    from prefect.events import emit_event
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():  # never let Prefect start a temporary server just to emit
        return
    _quiet()
    emit_event(made.event, resource=made.resource, related=made.related, payload=made.payload, id=made.id)


def emit_records(records: Sequence[LedgerRecord]) -> None:
    """The ledger listener: the events of one committed transaction (governance.events.events_for: one
    `governance.record.<kind>` per record, or for a large batch one `governance.records.appended` and one
    per record people are told of), in ledger order."""
    from prefect.events import emit_event
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        return
    _quiet()
    for made in events_for(records):
        emit_event(made.event, resource=made.resource, related=made.related, payload=made.payload, id=made.id)


def relay(store: Store, after: int, send: Callable[[RecordEvent], None] = emit, *, batch: int = 5000) -> int:
    """Send `governance.record.<kind>` for every record after sequence number `after`, in ledger order; return
    the last sequence number sent (`after` when there is none).

    A large transaction sends one batch event when it commits (governance.events.events_for); the relay sends
    the rest, one event per record, later and in another process (the `ledger-events` deployment). Records
    already sent when they committed are sent again with the same id (made from the record's hash), and the
    server keeps one event per id.
    """
    last = after
    with store.read() as conn:
        for record in iter_records(conn, since_seq=after + 1, batch=batch):
            send(record_event(record))
            last = record.seq
    return last
