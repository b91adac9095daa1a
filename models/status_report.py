"""Quarterly status reports of active projects, and the file format of migrated projects."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from models.common import STRICT, NonNegativeMoney, Period, PlainLine, PlainText
from models.proposal import Proposal, Range

__all__ = ["QUARTER_PATTERN", "RISK_LEVELS", "MigratedProject", "Quarter", "RiskLevel", "StatusReport"]

QUARTER_PATTERN = r"^\d{4}Q[1-4]$"
Quarter = Annotated[str, StringConstraints(pattern=QUARTER_PATTERN)]
RiskLevel = Literal["low", "medium", "high", "critical"]
RISK_LEVELS: tuple[str, ...] = ("low", "medium", "high", "critical")
ProjectRef = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9._-]{1,39}$")]


class StatusReport(BaseModel):
    """One active project's report for one quarter (calendar quarters: 2026Q4 is October-December 2026).

    Cost figures are cumulative to the end of the quarter, as earned-value management reads them:
    `actual_cost` (AC), `planned_value` (PV, the budgeted cost of the work scheduled) and
    `earned_value` (EV, the budgeted cost of the work done). CPI = EV / AC and SPI = EV / PV follow.
    `cost_forecast` is the spend still to come per budget period; `benefits_forecast` the benefits
    now expected per period. Both replace the proposal's figures in the re-computed NPV and ECV.
    `cost_forecast_range` and `benefits_forecast_range` optionally make some of those figures
    three-point estimates (low, the forecast as the most likely, high) for `governance risk`.
    `benefits_realised` is what the project's benefits came to so far in each period that has begun
    (actuals, not forecasts), answered for by `benefits_owner`; `governance benefits` compares it with
    the benefits the go decision was made on.
    """

    model_config = STRICT

    project: ProjectRef  # the project's id (P-2026-0007) or its reference
    quarter: Quarter
    submitted_on: dt.date
    actual_cost: NonNegativeMoney
    planned_value: NonNegativeMoney
    earned_value: NonNegativeMoney
    percent_complete: Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)]
    risk_level: RiskLevel
    cost_forecast: dict[Period, NonNegativeMoney] = Field(default_factory=dict)
    benefits_forecast: dict[Period, NonNegativeMoney] = Field(default_factory=dict)
    cost_forecast_range: dict[Period, Range] | None = Field(default=None, exclude_if=lambda v: v is None)
    benefits_forecast_range: dict[Period, Range] | None = Field(default=None, exclude_if=lambda v: v is None)
    benefits_realised: dict[Period, NonNegativeMoney] | None = Field(default=None, exclude_if=lambda v: v is None)
    benefits_owner: PlainLine | None = Field(default=None, exclude_if=lambda v: v is None)
    milestones_hit: list[PlainLine] = Field(default_factory=list)
    milestones_missed: list[PlainLine] = Field(default_factory=list)
    commentary: PlainText | None = None

    @model_validator(mode="after")
    def _consistent(self) -> StatusReport:
        year, quarter = int(self.quarter[:4]), int(self.quarter[5])
        start = dt.date(year, 3 * quarter - 2, 1)
        if self.submitted_on < start:
            raise PydanticCustomError(
                "inconsistent", f"submitted_on {self.submitted_on} is before the quarter {self.quarter} begins"
            )
        if set(self.milestones_hit) & set(self.milestones_missed):
            raise PydanticCustomError("inconsistent", "a milestone is listed as both hit and missed")
        for period in sorted(self.benefits_realised or {}):
            if int(period[2:]) > year + 1:
                raise PydanticCustomError(
                    "inconsistent",
                    f"benefits_realised gives {period}, which has not begun by the end of {self.quarter} "
                    "(realised benefits are actuals; put what is expected in benefits_forecast)",
                )
        if self.benefits_realised and self.benefits_owner is None:
            raise PydanticCustomError(
                "inconsistent", "benefits_realised needs a benefits_owner: the person who answers for the figures"
            )
        for name, forecast, ranges in (
            ("cost_forecast", self.cost_forecast, self.cost_forecast_range),
            ("benefits_forecast", self.benefits_forecast, self.benefits_forecast_range),
        ):
            for period, given in sorted((ranges or {}).items()):
                if period not in forecast:
                    raise PydanticCustomError(
                        "inconsistent", f"{name}_range gives {period}, which {name} does not forecast"
                    )
                if not given.low <= forecast[period] <= given.high:
                    raise PydanticCustomError(
                        "inconsistent",
                        f"{name} {period} {forecast[period]} is outside {name}_range {given.low} to {given.high} "
                        f"(the range's low and high must hold the forecast)",
                    )
        return self


class MigratedProject(Proposal):
    """A project already running when the engine was adopted: the proposal's fields plus where it stands.

    `governance import projects FILE` records each as `migrated`, active (or paused), past its last gate.
    """

    approved_on: dt.date
    status: Literal["active", "paused"] = "active"
    score: Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)] | None = None
