"""Value types of record payloads: decimals in their stored form, dates, ids; the payload base."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

_PLAIN_PATTERN = r"^-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$"
_SCALED_PATTERN = r"^-?[0-9]+(\.[0-9]+)?(E[+-][0-9]+)?$"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _plain_text(value: Decimal) -> str:
    # The text governance.canonical.decimal_text writes: normalised, never an exponent, no "-0".
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _decimal_input(value: object, info: ValidationInfo, form: str) -> object:
    if info.mode == "json" and not isinstance(value, str):
        raise PydanticCustomError("decimal-text", "a decimal is stored as text, not as a JSON number")
    if isinstance(value, bool | float):
        message = "a decimal is given as a Decimal, an int or text, not {type}"
        raise PydanticCustomError("decimal-type", message, {"type": type(value).__name__})
    if not isinstance(value, str) or info.mode != "json":
        return value
    try:
        number = Decimal(value)
    except InvalidOperation:
        return value  # pydantic's own decimal validation names the problem
    if number.is_finite():
        written = _plain_text(number) if form == "plain" else str(number)
        if written != value:
            raise PydanticCustomError(
                "decimal-form",
                "{value} is not in the stored {form} form (that is {written})",
                {"value": value, "form": form, "written": written},
            )
    return value


def _plain_decimal(value: object, info: ValidationInfo) -> object:
    return _decimal_input(value, info, "plain")


def _scaled_decimal(value: object, info: ValidationInfo) -> object:
    return _decimal_input(value, info, "scaled")


def _iso_date(value: object, info: ValidationInfo) -> object:
    if isinstance(value, dt.datetime) or not isinstance(value, str | dt.date):
        raise PydanticCustomError("date-type", "a date is given as a date or as YYYY-MM-DD text")
    if isinstance(value, str) and not _DATE.fullmatch(value):
        raise PydanticCustomError("date-form", "{value} is not a date written as YYYY-MM-DD", {"value": value})
    if info.mode == "json" and not isinstance(value, str):  # pragma: no cover - JSON has no date type
        raise PydanticCustomError("date-type", "a date is stored as YYYY-MM-DD text")
    return value


PlainDecimal = Annotated[
    Decimal,
    BeforeValidator(_plain_decimal),
    WithJsonSchema({"type": "string", "pattern": _PLAIN_PATTERN, "description": "a decimal, trailing zeros removed"}),
]
"""A decimal stored in canonical form: `"71.4"`, `"1250000"`, `"-0.5"`."""

ScaledDecimal = Annotated[
    Decimal,
    BeforeValidator(_scaled_decimal),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {"type": "string", "pattern": _SCALED_PATTERN, "description": "a decimal as written, its scale kept"}
    ),
]
"""A decimal stored as `str(Decimal)` writes it, its scale kept: `"3000600.00"`, `"0.90"`.

Dumped as that text (also by `model_dump()`), so `Decimal("0.90")` and `Decimal("0.9")` are stored differently.
"""

IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
"""A calendar date, stored as `YYYY-MM-DD`."""

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
ProposalId = Annotated[str, StringConstraints(pattern=r"^P-\d{4}-\d{4,}$")]
ConditionId = Annotated[str, StringConstraints(pattern=r"^C-\d{4}-\d{4,}-G\d+-\d+$")]
GateNumber = Annotated[StrictInt, Field(ge=1, le=20)]
Seq = Annotated[StrictInt, Field(ge=1)]
Count = Annotated[StrictInt, Field(ge=0)]
DecisionState = Literal["in-stage", "active", "on-hold", "recycled", "killed"]
ReviewState = Literal["active", "paused", "stopped", "completed"]
RuleOutcome = Literal["pause", "stop", "complete"]


class RecordPayload(BaseModel):
    """The base of every payload model: frozen, and a key it does not know is refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")
