"""Policy adoption: which policy is in force, and the record that puts one in force.

A policy's version is the SHA-256 of its canonical text; adopting one stores it by version and appends
a `policy-adopted` record. Every later record names the version in force when it was made.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from governance.errors import StoreError
from governance.ledger import Ledger, NewRecord, put_policy
from governance.policy import LoadedPolicy, policy_from_text
from governance.store import Store
from models.records import PolicyAdoptedPayload
from models.tables import LedgerRow, PolicyRow

__all__ = ["adopt_policy", "adopted_policy", "current_policy"]


def adopted_policy(conn: Connection) -> LoadedPolicy | None:
    """The policy in force, or None before the first `policy-adopted` record."""
    if conn.scalar(select(LedgerRow.seq).where(LedgerRow.kind == "policy-adopted").limit(1)) is None:
        return None
    return current_policy(conn)


def current_policy(conn: Connection) -> LoadedPolicy:
    """The policy adopted by the newest `policy-adopted` record."""
    version = conn.scalar(
        select(LedgerRow.policy_version)
        .where(LedgerRow.kind == "policy-adopted")
        .order_by(LedgerRow.seq.desc())
        .limit(1)
    )
    if version is None:
        raise StoreError("no policy adopted yet: run `governance init`", code="store-not-initialised")
    text = conn.scalar(select(PolicyRow.content).where(PolicyRow.version == version))
    if text is None:
        raise StoreError(f"the adopted policy {version} is missing from the store", code="store-not-initialised")
    return policy_from_text(text)


def adopt_policy(store: Store, ledger: Ledger, loaded: LoadedPolicy, actor: str) -> bool:
    """Record the policy as the one in force, unless it already is. Returns True if recorded."""
    with store.write() as conn:
        current = conn.scalar(
            select(LedgerRow.policy_version)
            .where(LedgerRow.kind == "policy-adopted")
            .order_by(LedgerRow.seq.desc())
            .limit(1)
        )
        if current == loaded.version:
            return False
        put_policy(conn, loaded.version, loaded.policy.name, loaded.text)
        ledger.append(
            conn,
            [
                NewRecord(
                    kind="policy-adopted",
                    subject="policy",
                    outcome=loaded.policy.name,
                    policy_version=loaded.version,
                    payload=PolicyAdoptedPayload(name=loaded.policy.name, title=loaded.policy.title, previous=current),
                )
            ],
            actor,
        )
        return True
