"""Where each proposal stands beyond its state: its latest score and ECV, latest decision, and whether the
latest recorded selection funds it (the `list` columns and the spreadsheet's portfolio sheet).

One query over the ledger records that say so, in ledger order: the newest of each kind wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection, select

from models.records import (
    DecidedPayload,
    MigratedPayload,
    ReviewedPayload,
    ScoredPayload,
    SelectedPayload,
    parse_payload,
)
from models.tables import LedgerRow

__all__ = ["Standing", "standings"]

_KINDS = ("scored", "migrated", "decided", "superseded", "reviewed", "selected")


@dataclass(slots=True)
class Standing:
    """A proposal's latest score, ECV and decision, and whether the latest selection funds it.

    `decision`: `go (G1)`, `continue (2026Q4)`, `superseded (G1)`, or None before any.
    `funded`: True or False when the latest selection had it as a candidate, else None.
    """

    score: Decimal | None = None
    ecv: Decimal | None = None
    decision: str | None = None
    funded: bool | None = None


def standings(conn: Connection) -> dict[str, Standing]:
    """Every proposal's standing that the ledger says anything about, by proposal id."""
    rows = conn.execute(
        select(LedgerRow.subject, LedgerRow.kind, LedgerRow.payload)
        .where(LedgerRow.kind.in_(_KINDS))
        .order_by(LedgerRow.seq)
    )
    found: dict[str, Standing] = {}
    selection: SelectedPayload | None = None
    for subject, kind, payload in rows:
        if kind == "selected":
            selection = parse_payload("selected", payload)
            continue
        standing = found.setdefault(subject, Standing())
        body = parse_payload(kind, payload)
        if isinstance(body, ScoredPayload):
            standing.score, standing.ecv = body.total, body.financials.ecv
        elif isinstance(body, MigratedPayload):
            standing.score = body.score if body.score is not None else standing.score
        elif isinstance(body, DecidedPayload):
            standing.decision = f"{body.outcome} (G{body.gate})"
        elif isinstance(body, ReviewedPayload):
            standing.decision = f"{body.outcome} ({body.quarter})"
        elif standing.decision is not None:  # superseded: the decision it voids no longer stands
            standing.decision = "superseded " + standing.decision.partition(" ")[2]
    if selection is not None:
        for pid in selection.selected:
            found.setdefault(pid, Standing()).funded = True
        for item in selection.left_out:
            found.setdefault(item.id, Standing()).funded = False
    return found
