"""The proposal file format: what a submitter files, one per project idea."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from models.common import (
    STRICT,
    NonNegativeMoney,
    Period,
    PlainLine,
    PlainText,
    Probability,
    Reference,
)

__all__ = ["Attachment", "BenefitFlow", "PeriodCost", "Proposal", "Range", "ResourceDemand", "Risk"]

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class Range(BaseModel):
    """The low and high ends of a three-point estimate; the point value is its most likely value."""

    model_config = STRICT

    low: NonNegativeMoney
    high: NonNegativeMoney


def _within(name: str, value: Decimal, given: Range | None) -> None:
    if given is not None and not given.low <= value <= given.high:
        raise PydanticCustomError(
            "inconsistent",
            f"{name} {value} is outside {name}_range {given.low} to {given.high} (the range's low and high must "
            f"hold the most likely amount)",
        )


_ABSENT = Field(default=None, exclude_if=lambda v: v is None)  # absent: the file's canonical form is as before


class PeriodCost(BaseModel):
    """Cost in one budget period, split as Stage-Gate's ECV needs it; optional ranges make the amounts
    three-point estimates (low, the amount as the most likely, high) for the portfolio simulation."""

    model_config = STRICT

    period: Period
    development: NonNegativeMoney
    launch: NonNegativeMoney = Decimal("0")
    development_range: Range | None = _ABSENT
    launch_range: Range | None = _ABSENT

    @model_validator(mode="after")
    def _in_range(self) -> PeriodCost:
        _within("development", self.development, self.development_range)
        _within("launch", self.launch, self.launch_range)
        return self


class BenefitFlow(BaseModel):
    """Expected net benefit (cash inflow) in one period."""

    model_config = STRICT

    period: Period
    amount: NonNegativeMoney
    amount_range: Range | None = _ABSENT

    @model_validator(mode="after")
    def _in_range(self) -> BenefitFlow:
        _within("amount", self.amount, self.amount_range)
        return self


class ResourceDemand(BaseModel):
    """Full-time equivalents of one role needed in one period."""

    model_config = STRICT

    role: PlainLine
    period: Period
    fte: Annotated[Decimal, Field(ge=0, le=10_000, decimal_places=2)]


class Risk(BaseModel):
    """A named risk scored on the usual 1-5 likelihood and impact scales."""

    model_config = STRICT

    title: PlainLine
    likelihood: Annotated[int, Field(ge=1, le=5)]
    impact: Annotated[int, Field(ge=1, le=5)]
    mitigation: PlainText | None = None


class Attachment(BaseModel):
    """A supporting document, identified by its content hash (the file itself is not stored)."""

    model_config = STRICT

    name: PlainLine
    sha256: Sha256
    size: Annotated[int, Field(ge=0)]


class Proposal(BaseModel):
    """A project proposal as filed.

    `reference` is the submitter's own stable key: filing a changed file under the same
    reference amends the proposal rather than creating a new one.
    """

    model_config = STRICT

    reference: Reference
    title: PlainLine
    summary: PlainText
    sponsor: PlainLine
    submitter: PlainLine
    budget_owner: PlainLine | None = None
    bucket: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,39}$")]
    objectives: list[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,39}$")]] = Field(default_factory=list)
    start_date: dt.date
    end_date: dt.date
    costs: list[PeriodCost] = Field(min_length=1)
    benefits: list[BenefitFlow] = Field(default_factory=list)
    resources: list[ResourceDemand] = Field(default_factory=list)
    p_technical: Probability
    p_commercial: Probability
    depends_on: list[Reference] = Field(default_factory=list)
    excludes: list[Reference] = Field(default_factory=list)
    risks: list[Risk] = Field(default_factory=list)
    attachments: list[Attachment] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Proposal:
        if self.end_date < self.start_date:
            raise PydanticCustomError(
                "inconsistent", f"end_date {self.end_date} is before start_date {self.start_date}"
            )
        for name, periods in (
            ("costs", [c.period for c in self.costs]),
            ("benefits", [b.period for b in self.benefits]),
        ):
            if len(set(periods)) != len(periods):
                raise PydanticCustomError("inconsistent", f"{name} lists a period more than once")
        seen = [(r.role, r.period) for r in self.resources]
        if len(set(seen)) != len(seen):
            raise PydanticCustomError("inconsistent", "resources list a role and period more than once")
        for name, refs in (("depends_on", self.depends_on), ("excludes", self.excludes)):
            if self.reference in refs:
                raise PydanticCustomError("inconsistent", f"{name} names the proposal itself")
        if set(self.depends_on) & set(self.excludes):
            raise PydanticCustomError("inconsistent", "a proposal cannot both depend on and exclude the same proposal")
        return self

    @property
    def total_development(self) -> Decimal:
        return sum((c.development for c in self.costs), Decimal("0"))

    @property
    def total_launch(self) -> Decimal:
        return sum((c.launch for c in self.costs), Decimal("0"))
