"""Decision ledger records as read back from the store."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints

__all__ = ["RECORD_KINDS", "LedgerRecord", "RecordKind"]

# The ledger stores the kind as text, so later capabilities add kinds without a migration;
# this tuple only documents the ones the engine writes today.
RECORD_KINDS = (
    "policy-adopted",
    "filed",
    "screened",
    "screened-out",
    "amended",
    "withdrawn",
)

RecordKind = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z-]{1,39}$")]


class LedgerRecord(BaseModel):
    """One append-only ledger record.

    `hash` is the SHA-256 over the record's stored bytes (see `governance.ledger`), and
    `prev_hash` chains it to the record before it.
    """

    model_config = ConfigDict(frozen=True)

    seq: int
    record_id: str
    kind: RecordKind
    subject: str
    outcome: str | None
    recorded_by: str
    recorded_at: dt.datetime
    engine_version: str
    policy_version: str | None
    inputs: str | None
    payload_text: str
    prev_hash: str
    hash: str

    @property
    def payload(self) -> Any:
        import json

        return json.loads(self.payload_text)
