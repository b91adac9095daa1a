"""Read paths: what the `governance` command shows, as data (the CLI only formats it).

`proposals` (the listing), `history` (one proposal and its records), `agenda` (what awaits the board,
from one query over the ledger) and `record_details` (one line saying what a record holds).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import Connection, select

from governance.canonical import decimal_text, to_plain
from governance.errors import NotFoundError
from governance.gates import fold_conditions
from governance.intake import find_proposal
from governance.ledger import get_snapshot, latest_record, records_for
from models.records import (
    AmendedPayload,
    ConditionClosedPayload,
    DecidedPayload,
    FiledPayload,
    LedgerRecord,
    MigratedPayload,
    RecommendedPayload,
    RecordPayload,
    ReviewedPayload,
    ReviewProposedPayload,
    ScoredPayload,
    ScreenedOutPayload,
    ScreenedPayload,
    StatusReportedPayload,
    SupersededPayload,
    WithdrawnPayload,
    parse_payload,
)
from models.tables import LedgerRow, ProposalRow

__all__ = [
    "Agenda",
    "ProposalHistory",
    "ProposalSummary",
    "agenda",
    "history",
    "latest_gate",
    "proposals",
    "record_details",
]


@dataclass(frozen=True, slots=True)
class ProposalSummary:
    """One line of the listing: where a proposal stands."""

    id: str
    reference: str
    title: str
    bucket: str
    state: str
    version: int
    sponsor: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def proposals(conn: Connection, *, state: str | None = None, bucket: str | None = None) -> list[ProposalSummary]:
    """Proposals by id, optionally only those in one state and one strategic bucket."""
    query = select(
        ProposalRow.id,
        ProposalRow.reference,
        ProposalRow.title,
        ProposalRow.bucket,
        ProposalRow.state,
        ProposalRow.version,
        ProposalRow.sponsor,
    ).order_by(ProposalRow.id)
    if state:
        query = query.where(ProposalRow.state == state)
    if bucket:
        query = query.where(ProposalRow.bucket == bucket)
    return [ProposalSummary(*row) for row in conn.execute(query)]


@dataclass(frozen=True, slots=True)
class ProposalHistory:
    """A proposal's row, its current content and every ledger record about it."""

    row: Any
    content: dict[str, Any]
    records: list[LedgerRecord]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.row.id,
            "reference": self.row.reference,
            "state": self.row.state,
            "version": self.row.version,
            "proposal": self.content,
            "history": [
                {
                    "seq": r.seq,
                    "kind": r.kind,
                    "outcome": r.outcome,
                    "recorded_by": r.recorded_by,
                    "recorded_at": r.recorded_at.isoformat(),
                    "policy_version": r.policy_version,
                    "hash": r.hash,
                    "payload": r.payload,
                }
                for r in self.records
            ],
        }


def latest_gate(conn: Connection, ident: str, kind: Literal["recommended", "decided"]) -> tuple[str, int]:
    """A proposal's id and the gate of its newest `recommended` or `decided` record (NotFoundError if none)."""
    row = find_proposal(conn, ident)
    record = latest_record(conn, row.id, kind)
    if record is None:
        what = "recommendation" if kind == "recommended" else "decision"
        raise NotFoundError(f"{row.id} has no gate {what} yet")
    body = record.body
    assert isinstance(body, RecommendedPayload | DecidedPayload), record.kind
    return row.id, body.gate


def history(conn: Connection, ident: str) -> ProposalHistory:
    """A proposal (by id or reference) with its whole history."""
    row = find_proposal(conn, ident)
    return ProposalHistory(row, get_snapshot(conn, row.snapshot), records_for(conn, row.id))


@dataclass(frozen=True, slots=True)
class Agenda:
    """What awaits the board on `date`: gate decisions, open conditions, unconfirmed quarterly reviews."""

    date: dt.date
    awaiting_decision: list[dict[str, Any]]
    open_conditions: list[dict[str, Any]]
    reviews_awaiting_confirmation: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "awaiting_decision": self.awaiting_decision,
            "open_conditions": self.open_conditions,
            "reviews_awaiting_confirmation": self.reviews_awaiting_confirmation,
        }


_AGENDA_KINDS = ("recommended", "decided", "superseded", "condition-closed", "review-proposed", "review-confirmed")


def agenda(conn: Connection, today: dt.date) -> Agenda:
    """The board's agenda from one query: every record that opens or closes an item, in ledger order."""
    rows = conn.execute(
        select(
            LedgerRow.subject,
            LedgerRow.seq,
            LedgerRow.kind,
            LedgerRow.payload,
            ProposalRow.reference,
            ProposalRow.title,
            ProposalRow.state,
        )
        .outerjoin(ProposalRow, ProposalRow.id == LedgerRow.subject)
        .where(LedgerRow.kind.in_(_AGENDA_KINDS))
        .order_by(LedgerRow.seq)
    ).all()
    recommended: dict[str, tuple[tuple[str, str], RecommendedPayload]] = {}
    condition_records: dict[str, list[tuple[int, RecordPayload]]] = {}
    proposed: dict[str, tuple[int, ReviewProposedPayload]] = {}
    confirmed: set[str] = set()
    for subject, seq, kind, payload, reference, title, state in rows:
        if kind == "review-confirmed":
            confirmed.add(subject)
        elif kind == "review-proposed":
            proposed[subject] = (seq, parse_payload("review-proposed", payload))
        elif reference is None:
            continue
        elif kind == "recommended":
            if state == "awaiting-decision":
                recommended[subject] = ((reference, title), parse_payload("recommended", payload))
        else:
            condition_records.setdefault(subject, []).append((seq, parse_payload(kind, payload)))
    waiting = [
        {
            "id": pid,
            "reference": names[0],
            "title": names[1],
            "gate": rec.gate,
            "recommendation": rec.recommendation.outcome,
            "score": decimal_text(rec.score),
            "ecv": decimal_text(rec.ecv),
            "reasons": list(rec.recommendation.reasons),
        }
        for pid, (names, rec) in sorted(recommended.items())
    ]
    conditions = [
        dict(to_plain(c), proposal=pid, overdue=c.due < today)
        for pid in sorted(condition_records)
        for c in fold_conditions(condition_records[pid])
    ]
    reviews = [
        {"quarter": review.quarter, "seq": seq, "counts": dict(review.counts), "findings": list(review.findings)}
        for subject, (seq, review) in sorted(proposed.items())
        if subject not in confirmed
    ]
    return Agenda(today, waiting, conditions, reviews)


def _text(value: Decimal | None) -> str:
    """A stored decimal as its stored text (`None` for none, as the line always showed it)."""
    return "None" if value is None else decimal_text(value)


def record_details(body: RecordPayload) -> str:
    """One line saying what a record holds (the `details` column of `governance show`), from its payload."""
    match body:
        case ScreenedPayload() | ScreenedOutPayload():
            failed = [r.description for r in body.rules if not r.passed]
            return "failed: " + "; ".join(failed) if failed else f"{len(body.rules)} must-meet rules passed"
        case AmendedPayload():
            return f"v{body.version}: changed " + ", ".join(body.changed)
        case WithdrawnPayload():
            return body.reason
        case FiledPayload():
            return f"from {body.source.file} {body.source.record}"
        case ScoredPayload():
            parts = [f"{c.id} {_text(c.score)} x {_text(c.weight)} = {_text(c.contribution)}" for c in body.criteria]
            parts += [f"{m.id} {'met' if m.met else 'NOT met'}" for m in body.must_meet]
            return f"gate {body.gate}: " + "; ".join(parts) + f"; ECV {_text(body.financials.ecv)}"
        case RecommendedPayload():
            return f"gate {body.gate}: " + "; ".join(body.recommendation.reasons)
        case DecidedPayload():
            votes = ", ".join(f"{v.member}={v.outcome}" for v in body.votes)
            recused = "; recused: " + ", ".join(f"{m} ({r})" for m, r in body.recused.items()) if body.recused else ""
            conditions = "; conditions: " + ", ".join(c.id for c in body.conditions) if body.conditions else ""
            return f"gate {body.gate} by {body.decided_by} ({votes}){recused}{conditions}: {body.rationale}"
        case SupersededPayload():
            return f"voids record {body.superseded_seq}: {body.rationale}"
        case ConditionClosedPayload():
            return f"{body.condition_id}: {body.note}"
        case MigratedPayload():
            return f"imported {body.state_after}, approved {body.approved_on}"
        case StatusReportedPayload():
            indices = f"CPI {_text(body.cpi)}, SPI {_text(body.spi)}"
            return f"{body.quarter} v{body.version}: {indices}, risk {body.risk_level}"
        case ReviewedPayload():
            who = f"override by {body.decided_by}" if body.overridden else f"as recommended ({body.decided_by})"
            return f"{body.quarter}: {who}: " + "; ".join(body.reasons) + f"; {body.rationale}"
    return ""
