"""A decision ledger record as read back from the store, with its payload read through its kind's model."""

from __future__ import annotations

import datetime as dt
import json
from functools import cached_property
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, StringConstraints

from models.records._registry import RecordPayloadError, parse_payload
from models.records._values import RecordPayload

RecordKind = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z-]{1,39}$")]

P = TypeVar("P", bound=RecordPayload)


class LedgerRecord(BaseModel):
    """One append-only ledger record.

    `hash` is the SHA-256 over the record's stored bytes (see `governance.ledger`), and
    `prev_hash` chains it to the record before it. `body` is the payload read through its kind's
    model (`body_as(Model)` when the reader knows the kind); `payload` is the same payload as plain
    JSON data, for where JSON is what is wanted (`show --json`, a pack's attachment).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

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

    @cached_property
    def body(self) -> RecordPayload:
        """The payload, read once through `RECORD_PAYLOADS[kind]` (`parse_payload`).

        Raises:
            RecordPayloadError: `unknown-record-kind`, or `payload-invalid` for a payload that does
                not fit its kind's model.
        """
        return parse_payload(self.kind, self.payload_text)

    def body_as(self, model: type[P]) -> P:
        """The payload as `model`, for a reader that knows the record's kind (`body_as(DecidedPayload)`).

        Raises:
            RecordPayloadError: `payload-invalid` when the record's kind has another model (and as `body`).
        """
        body = self.body
        if not isinstance(body, model):
            raise RecordPayloadError(
                f"record {self.seq} is {self.kind}, whose payload is {type(body).__name__}, not {model.__name__}",
                code="payload-invalid",
                kind=self.kind,
            )
        return body

    @property
    def payload(self) -> Any:
        """The payload as plain JSON data (decoded `payload_text`): for JSON output, not for reading fields."""
        return json.loads(self.payload_text)
