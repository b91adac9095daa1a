"""Value types shared by every file format: money, periods, references and plain text."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

__all__ = [
    "STRICT",
    "Money",
    "NonNegativeMoney",
    "Period",
    "PlainLine",
    "PlainText",
    "Probability",
    "Reference",
]

# Every file format forbids unknown fields: a typo must be an error, not a silently ignored key.
STRICT = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

_MARKUP = re.compile(r"<\s*/?\s*[A-Za-z!?]|&[A-Za-z]+;|&#")
# C0 and C1 controls but tab and line breaks, and the bidirectional embeddings, overrides and isolates
# (as governance.parsing refuses them in every file; this also covers CSV cells).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _plain(value: str) -> str:
    """Refuse markup and control characters: every text field is plain text.

    Packs escape text anyway; refusing markup at the door also keeps the ledger free of
    content that would render differently in another viewer.
    """
    if _CONTROL.search(value):
        raise PydanticCustomError("markup-in-text", "control characters are not allowed in text")
    match = _MARKUP.search(value)
    if match:
        raise PydanticCustomError(
            "markup-in-text", "text must be plain, found markup '{markup}'", {"markup": match.group(0)}
        )
    return value


def _money(value: object) -> object:
    # Floats would carry binary rounding into the ledger: read them through their shortest repr.
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


def _finite(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise PydanticCustomError("not-finite", "amount must be a finite number")
    return value


def _non_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise PydanticCustomError("negative-amount", "amount must not be negative")
    return value


Money = Annotated[
    Decimal,
    BeforeValidator(_money),
    Field(max_digits=18, decimal_places=2),
    AfterValidator(_finite),
]
NonNegativeMoney = Annotated[Money, AfterValidator(_non_negative)]
Probability = Annotated[Decimal, BeforeValidator(_money), AfterValidator(_finite), Field(ge=0, le=1, decimal_places=4)]
Period = Annotated[str, StringConstraints(pattern=r"^FY\d{4}$")]
Reference = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9._-]{1,39}$")]
PlainLine = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_plain)]
PlainText = Annotated[str, StringConstraints(min_length=1, max_length=20_000), AfterValidator(_plain)]
