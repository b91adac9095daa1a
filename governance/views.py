"""Read paths: what the `governance` command shows, as data (the CLI only formats it).

`proposals` (the listing), `history` (one proposal and its records), `agenda` (what awaits the board,
from one query over the ledger) and `record_details` (one line saying what a record holds).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, select

from governance.errors import NotFoundError
from governance.gates import fold_conditions
from governance.intake import find_proposal
from governance.ledger import get_snapshot, latest_record, records_for
from models.decision import LedgerRecord
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


def latest_gate(conn: Connection, ident: str, kind: str) -> tuple[str, int]:
    """A proposal's id and the gate of its newest `recommended` or `decided` record (NotFoundError if none)."""
    row = find_proposal(conn, ident)
    record = latest_record(conn, row.id, kind)
    if record is None:
        what = "recommendation" if kind == "recommended" else "decision"
        raise NotFoundError(f"{row.id} has no gate {what} yet")
    return row.id, int(record.payload["gate"])


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
    recommended: dict[str, tuple[Any, dict[str, Any]]] = {}
    condition_records: dict[str, list[tuple[int, str, dict[str, Any]]]] = {}
    proposed: dict[str, tuple[int, dict[str, Any]]] = {}
    confirmed: set[str] = set()
    for subject, seq, kind, payload, reference, title, state in rows:
        if kind == "review-confirmed":
            confirmed.add(subject)
        elif kind == "review-proposed":
            proposed[subject] = (seq, json.loads(payload))
        elif reference is None:
            continue
        elif kind == "recommended":
            if state == "awaiting-decision":
                recommended[subject] = ((reference, title), json.loads(payload))
        else:
            condition_records.setdefault(subject, []).append((seq, kind, json.loads(payload)))
    waiting = [
        {
            "id": pid,
            "reference": names[0],
            "title": names[1],
            "gate": rec["gate"],
            "recommendation": rec["recommendation"]["outcome"],
            "score": rec["score"],
            "ecv": rec["ecv"],
            "reasons": rec["recommendation"]["reasons"],
        }
        for pid, (names, rec) in sorted(recommended.items())
    ]
    conditions = [
        dict(c, proposal=pid, overdue=str(c["due"]) < today.isoformat())
        for pid in sorted(condition_records)
        for c in fold_conditions(condition_records[pid])
    ]
    reviews = [
        {"quarter": data["quarter"], "seq": seq, "counts": data["counts"], "findings": data["findings"]}
        for subject, (seq, data) in sorted(proposed.items())
        if subject not in confirmed
    ]
    return Agenda(today, waiting, conditions, reviews)


def record_details(kind: str, payload: dict[str, Any]) -> str:
    """One line saying what a record holds (the `details` column of `governance show`)."""
    if kind in ("screened", "screened-out"):
        failed = [r["description"] for r in payload.get("rules", []) if not r["passed"]]
        return "failed: " + "; ".join(failed) if failed else f"{len(payload.get('rules', []))} must-meet rules passed"
    if kind == "amended":
        return f"v{payload['version']}: changed " + ", ".join(payload.get("changed", []))
    if kind == "withdrawn":
        return str(payload.get("reason", ""))
    if kind == "filed":
        return f"from {payload['source']['file']} {payload['source']['record']}"
    if kind == "scored":
        parts = [f"{c['id']} {c['score']} x {c['weight']} = {c['contribution']}" for c in payload["criteria"]]
        parts += [f"{m['id']} {'met' if m['met'] else 'NOT met'}" for m in payload["must_meet"]]
        return f"gate {payload['gate']}: " + "; ".join(parts) + f"; ECV {payload['financials']['ecv']}"
    if kind == "recommended":
        return f"gate {payload['gate']}: " + "; ".join(payload["recommendation"]["reasons"])
    if kind == "decided":
        votes = ", ".join(f"{v['member']}={v['outcome']}" for v in payload["votes"])
        recused = (
            "; recused: " + ", ".join(f"{m} ({r})" for m, r in payload["recused"].items()) if payload["recused"] else ""
        )
        conditions = (
            "; conditions: " + ", ".join(c["id"] for c in payload["conditions"]) if payload["conditions"] else ""
        )
        return (
            f"gate {payload['gate']} by {payload['decided_by']} ({votes}){recused}{conditions}: {payload['rationale']}"
        )
    if kind == "superseded":
        return f"voids record {payload['superseded_seq']}: {payload['rationale']}"
    if kind == "condition-closed":
        return f"{payload['condition_id']}: {payload['note']}"
    if kind == "migrated":
        return f"imported {payload['state_after']}, approved {payload['approved_on']}"
    if kind == "status-reported":
        indices = f"CPI {payload['cpi']}, SPI {payload['spi']}"
        return f"{payload['quarter']} v{payload['version']}: {indices}, risk {payload['risk_level']}"
    if kind == "reviewed":
        who = (
            f"override by {payload['decided_by']}"
            if payload["overridden"]
            else f"as recommended ({payload['decided_by']})"
        )
        return f"{payload['quarter']}: {who}: " + "; ".join(payload["reasons"]) + f"; {payload['rationale']}"
    return ""
