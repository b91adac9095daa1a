"""The post-implementation review file: what a completed project's benefits came to (`governance benefits-review`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from models.common import STRICT, NonNegativeMoney, Period, PlainLine, PlainText
from models.status_report import Quarter

__all__ = ["BenefitsReview"]

ProjectRef = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9._-]{1,39}$")]


class BenefitsReview(BaseModel):
    """A post-implementation review of one completed project, as of the end of `quarter`.

    `benefits_realised` holds the benefits realised in each period that has begun (actuals);
    `benefits_forecast` what is still expected in later periods. A period is one or the other.
    `owner` is the benefits owner who answers for the figures.
    """

    model_config = STRICT

    project: ProjectRef  # the project's id (P-2026-0007) or its reference
    quarter: Quarter
    reviewed_on: dt.date
    owner: PlainLine
    benefits_realised: dict[Period, NonNegativeMoney] = Field(min_length=1)
    benefits_forecast: dict[Period, NonNegativeMoney] = Field(default_factory=dict)
    lessons: list[PlainLine] = Field(default_factory=list)
    commentary: PlainText | None = None

    @model_validator(mode="after")
    def _consistent(self) -> BenefitsReview:
        year, quarter = int(self.quarter[:4]), int(self.quarter[5])
        end = dt.date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
        if self.reviewed_on < end:
            raise PydanticCustomError(
                "inconsistent", f"reviewed_on {self.reviewed_on} is before the quarter {self.quarter} has ended"
            )
        both = sorted(set(self.benefits_realised) & set(self.benefits_forecast))
        if both:
            raise PydanticCustomError(
                "inconsistent",
                f"{', '.join(both)} is in both benefits_realised and benefits_forecast: "
                "a period is either realised or still expected",
            )
        for period in sorted(self.benefits_realised):
            if int(period[2:]) > year + 1:
                raise PydanticCustomError(
                    "inconsistent",
                    f"benefits_realised gives {period}, which has not begun by the end of {self.quarter}",
                )
        return self
