"""SQLAlchemy 2 tables.

`ledger`, `ledger_macs`, `snapshots` and `policies` are append-only (database triggers refuse UPDATE,
DELETE and TRUNCATE). `proposals` is a projection of the ledger, written only in the same
transaction as the ledger record that changes it, so it can always be rebuilt from the ledger.
Times are stored as ISO-8601 UTC text: the exact bytes are part of each record's hash.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "Base",
    "DecisionKeyRow",
    "LedgerMacRow",
    "LedgerRow",
    "PolicyRow",
    "ProposalRow",
    "ScenarioRow",
    "SnapshotRow",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class LedgerRow(Base):
    __tablename__ = "ledger"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    record_id: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(40))
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[str] = mapped_column(String(32))
    engine_version: Mapped[str] = mapped_column(String(40))
    policy_version: Mapped[str | None] = mapped_column(String(64))
    inputs: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    __table_args__ = (Index("ix_ledger_subject_seq", "subject", "seq"),)


class LedgerMacRow(Base):
    """The MAC of a ledger record appended with the ledger key (`governance.record_layout.record_mac`).

    Apart from the record, so that records appended before a key existed can be sealed afterwards
    (`governance keys seal` stores the MAC of the head), and so that the record's hashed columns stay
    what they were.
    """

    __tablename__ = "ledger_macs"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    mac: Mapped[str] = mapped_column(String(64))


class SnapshotRow(Base):
    """Content-addressed inputs: `key` is the SHA-256 of `content` (canonical JSON)."""

    __tablename__ = "snapshots"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    content: Mapped[str] = mapped_column(Text)


class PolicyRow(Base):
    """Every policy ever used, by version (SHA-256 of its canonical text)."""

    __tablename__ = "policies"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    content: Mapped[str] = mapped_column(Text)


class ProposalRow(Base):
    """Current state of each proposal, derived from the ledger."""

    __tablename__ = "proposals"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    bucket: Mapped[str] = mapped_column(String(40), index=True)
    state: Mapped[str] = mapped_column(String(40), index=True)
    sponsor: Mapped[str] = mapped_column(String(200))
    submitter: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    snapshot: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    filed_seq: Mapped[int] = mapped_column(BigInteger)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    gate: Mapped[int] = mapped_column(Integer, server_default="1")
    stage: Mapped[str | None] = mapped_column(String(40))


class DecisionKeyRow(Base):
    """One row per decided gate attempt (`P-2026-0007:g2:a1`): the unique key refuses a second decision."""

    __tablename__ = "decision_keys"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)


class ScenarioRow(Base):
    """A saved what-if of the portfolio (`governance scenario create`): a working document, not a decision.

    Rows are created and deleted, never updated; committing one goes through the ledger (`selected` and
    `scenario-committed`), which is what counts. `changes`, `problem` and `result` are canonical JSON.
    """

    __tablename__ = "scenarios"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    changes: Mapped[str] = mapped_column(Text)
    draft_policy: Mapped[str | None] = mapped_column(Text)  # a draft policy's canonical text (--policy)
    policy_version: Mapped[str] = mapped_column(String(64))  # the policy in force when it was made
    ledger_seq: Mapped[int] = mapped_column(BigInteger)  # the ledger head it was made at
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[str] = mapped_column(String(32))
    problem: Mapped[str] = mapped_column(Text)  # the selection problem (governance.portfolio.problem_json)
    result: Mapped[str] = mapped_column(Text)  # the solved selection and its simulation
