"""The assessment file format: one assessor's ratings of one proposal for one gate."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field, StringConstraints

from models.common import STRICT, PlainText

__all__ = ["Assessment"]


def _decimal(value: object) -> object:
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


Rating = Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0, le=100, decimal_places=2)]
CriterionId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,39}$")]


class Assessment(BaseModel):
    """`ratings` covers the gate's rated criteria (0..scale_max); `must_meet` its knock-out criteria."""

    model_config = STRICT

    proposal: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9._-]{1,39}$")]
    gate: Annotated[int, Field(ge=1, le=20)]
    assessor: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9._-]{0,39}$")]
    ratings: dict[CriterionId, Rating] = Field(default_factory=dict)
    must_meet: dict[CriterionId, bool] = Field(default_factory=dict)
    comment: PlainText | None = None
