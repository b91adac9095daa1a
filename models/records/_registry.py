"""The registry of record kinds: kind -> payload model, reading a stored payload, its JSON Schema."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal, overload

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from models.records._benefits import BenefitsReviewedPayload
from models.records._gates import (
    ConditionClosedPayload,
    DecidedPayload,
    RecommendedPayload,
    ScoredPayload,
    SupersededPayload,
)
from models.records._intake import (
    AmendedPayload,
    FiledPayload,
    PolicyAdoptedPayload,
    ScreenedOutPayload,
    ScreenedPayload,
    WithdrawnPayload,
)
from models.records._review import (
    MigratedPayload,
    ReviewConfirmedPayload,
    ReviewedPayload,
    ReviewProposedPayload,
    StatusReportedPayload,
)
from models.records._scenario import ScenarioCommittedPayload
from models.records._selection import SelectedPayload
from models.records._simulation import SimulatedPayload
from models.records._values import RecordPayload

RecordErrorCode = Literal["unknown-record-kind", "payload-invalid"]


class RecordPayloadError(ValueError):
    """A record kind the registry does not know, or a stored payload that does not fit its kind's model.

    `code` is stable and printed in the message as `[code]`; `kind` is the record kind asked for;
    `errors` holds pydantic's error list (`payload-invalid`), each with its `loc`, `type` and `msg`.
    """

    def __init__(
        self, message: str, *, code: RecordErrorCode, kind: str, errors: tuple[ErrorDetails, ...] = ()
    ) -> None:
        self.code: RecordErrorCode = code
        self.kind = kind
        self.errors = errors
        self.message = message
        super().__init__(f"{message} [{code}]")


RECORD_PAYLOADS: Mapping[str, type[RecordPayload]] = MappingProxyType(
    {
        "policy-adopted": PolicyAdoptedPayload,
        "filed": FiledPayload,
        "screened": ScreenedPayload,
        "screened-out": ScreenedOutPayload,
        "amended": AmendedPayload,
        "withdrawn": WithdrawnPayload,
        "scored": ScoredPayload,
        "recommended": RecommendedPayload,
        "decided": DecidedPayload,
        "superseded": SupersededPayload,
        "condition-closed": ConditionClosedPayload,
        "migrated": MigratedPayload,
        "status-reported": StatusReportedPayload,
        "review-proposed": ReviewProposedPayload,
        "selected": SelectedPayload,
        "review-confirmed": ReviewConfirmedPayload,
        "reviewed": ReviewedPayload,
        "simulated": SimulatedPayload,
        "scenario-committed": ScenarioCommittedPayload,
        "benefits-reviewed": BenefitsReviewedPayload,
    }
)
"""Record kind -> the model of its payload: every kind the engine writes."""

# The ledger stores the kind as text: a later capability adds a kind here, without a migration.
RECORD_KINDS: tuple[str, ...] = tuple(RECORD_PAYLOADS)


def _model_of(kind: str) -> type[RecordPayload]:
    model = RECORD_PAYLOADS.get(kind)
    if model is None:
        raise RecordPayloadError(
            f"unknown record kind {kind!r} (the kinds are: {', '.join(RECORD_KINDS)})",
            code="unknown-record-kind",
            kind=kind,
        )
    return model


@overload
def parse_payload(kind: Literal["policy-adopted"], text: str) -> PolicyAdoptedPayload: ...
@overload
def parse_payload(kind: Literal["filed"], text: str) -> FiledPayload: ...
@overload
def parse_payload(kind: Literal["screened"], text: str) -> ScreenedPayload: ...
@overload
def parse_payload(kind: Literal["screened-out"], text: str) -> ScreenedOutPayload: ...
@overload
def parse_payload(kind: Literal["amended"], text: str) -> AmendedPayload: ...
@overload
def parse_payload(kind: Literal["withdrawn"], text: str) -> WithdrawnPayload: ...
@overload
def parse_payload(kind: Literal["scored"], text: str) -> ScoredPayload: ...
@overload
def parse_payload(kind: Literal["recommended"], text: str) -> RecommendedPayload: ...
@overload
def parse_payload(kind: Literal["decided"], text: str) -> DecidedPayload: ...
@overload
def parse_payload(kind: Literal["superseded"], text: str) -> SupersededPayload: ...
@overload
def parse_payload(kind: Literal["condition-closed"], text: str) -> ConditionClosedPayload: ...
@overload
def parse_payload(kind: Literal["migrated"], text: str) -> MigratedPayload: ...
@overload
def parse_payload(kind: Literal["status-reported"], text: str) -> StatusReportedPayload: ...
@overload
def parse_payload(kind: Literal["review-proposed"], text: str) -> ReviewProposedPayload: ...
@overload
def parse_payload(kind: Literal["selected"], text: str) -> SelectedPayload: ...
@overload
def parse_payload(kind: Literal["review-confirmed"], text: str) -> ReviewConfirmedPayload: ...
@overload
def parse_payload(kind: Literal["reviewed"], text: str) -> ReviewedPayload: ...
@overload
def parse_payload(kind: Literal["simulated"], text: str) -> SimulatedPayload: ...
@overload
def parse_payload(kind: str, text: str) -> RecordPayload: ...


def parse_payload(kind: str, text: str) -> RecordPayload:
    """Read a stored payload (its canonical JSON text) through its kind's model.

    Args:
        kind: the record's kind (`decided`, `scored`, ...); a literal kind gives its model's type.
        text: the payload as stored.

    Returns:
        An instance of `RECORD_PAYLOADS[kind]`, whose `canonical_text` is `text` again.

    Raises:
        RecordPayloadError: `unknown-record-kind`, or `payload-invalid` with every problem in `errors`
            (the message names the first five).
    """
    model = _model_of(kind)
    try:
        return model.model_validate_json(text)
    except ValidationError as exc:
        errors = tuple(exc.errors(include_url=False, include_input=False))
        shown = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(payload)'}: {e['msg']}" for e in errors[:5])
        more = f"; and {len(errors) - 5} more" if len(errors) > 5 else ""
        raise RecordPayloadError(
            f"the {kind} payload does not fit {model.__name__}: {shown}{more}",
            code="payload-invalid",
            kind=kind,
            errors=errors,
        ) from None


def record_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of a record kind's payload (for auditors: `governance schema record KIND`).

    Raises:
        RecordPayloadError: `unknown-record-kind`.
    """
    return _model_of(kind).model_json_schema()
