"""Sealing a ledger written before its key: the MAC of its head record covers every record before it.

`governance keys seal` runs it once; from then on each record the engine appends gets its own MAC.
"""

from __future__ import annotations

from sqlalchemy import func, insert, select

from governance.errors import ConflictError, IntegrityError
from governance.ledger import head, verify
from governance.record_layout import record_mac
from governance.store import Store
from models.tables import LedgerMacRow

__all__ = ["seal"]


def seal(store: Store, key: bytes) -> tuple[int, str]:
    """Seal a ledger written before its key: store the MAC of its head record, which covers every record.

    The ledger must verify first (everything but the MACs): a tampered ledger is never sealed. Returns the
    sealed head (sequence number, hash).

    Raises:
        IntegrityError: the ledger does not verify, or has records with MACs already but not its head.
        ConflictError: the ledger is empty, already sealed, or moved on while it was verified.
    """
    report = verify(store)
    if not report.ok:
        raise IntegrityError(f"the ledger does not verify, so it is not sealed: {report.problems[0]}")
    with store.write() as conn:
        seq, digest = head(conn)
        if not seq:
            raise ConflictError("the ledger is empty: nothing to seal (records appended with the key get MACs)")
        if (seq, digest) != (report.head_seq, report.head_hash):
            raise ConflictError(f"the ledger moved on while it was verified (its head is now {seq}): run it again")
        if conn.scalar(select(LedgerMacRow.mac).where(LedgerMacRow.seq == seq)) is not None:
            raise ConflictError(f"the ledger is sealed already: its head, record {seq}, has a MAC")
        if conn.scalar(select(func.count()).select_from(LedgerMacRow)):
            raise IntegrityError(
                f"record {seq}, the head, has no MAC though earlier records have one: it was not appended by the "
                "engine (run `governance verify`); the ledger is not sealed"
            )
        conn.execute(insert(LedgerMacRow).values(seq=seq, mac=record_mac(key, digest)))
    return seq, digest
