"""The map of `governance import status|projects FILE --map MAP.yaml`: how an organisation's own register
(a spreadsheet with its own headers, units, date formats and rating scales) becomes the engine's status
reports or migrated projects.

    target: status                      # or projects
    columns:                            # the engine's field: the file's column header, exactly
      project: GMPP ID Number
      risk_level: IPA Delivery Confidence Assessment
      baseline_cost: TOTAL Baseline Whole Life Costs (£m)
    constants: {submitted_on: 2021-04-30}    # fields the file lacks, the same for every row
    units: {baseline_cost: £m}          # a money column's unit: a currency and k, m or bn
    rates: {GBP: 1.17}                  # one unit of a currency in the policy's currency
    date_formats: ["%d/%m/%Y"]          # strptime patterns, tried in order (xlsx date cells need none)
    risk_scale: delivery-confidence     # or rag; risk_values adds or overrides values (Exempt: medium)
    period: {column: Financial Year, kind: financial-year, year_end_quarter: 1}
    derive: {percent_complete: elapsed-schedule, planned_value: baseline-x-elapsed, ...}

Every figure comes from a column, a constant or a named derivation rule; nothing is filled in silently.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from models.common import STRICT, PlainLine, Reference
from models.status_report import RiskLevel

__all__ = [
    "DELIVERY_CONFIDENCE",
    "MONEY_FIELDS",
    "PROJECT_FIELDS",
    "RAG",
    "STATUS_FIELDS",
    "Derive",
    "ImportMap",
    "PeriodColumn",
    "Tracker",
    "TrackerProject",
    "Unit",
]

# What a status row may give: the report's own fields, and the inputs of the derivation rules.
STATUS_FIELDS = (
    "project",
    "quarter",
    "submitted_on",
    "actual_cost",
    "planned_value",
    "earned_value",
    "percent_complete",
    "risk_level",
    "commentary",
    "milestones_hit",
    "milestones_missed",
    "baseline_cost",
    "forecast_cost",
    "start_date",
    "end_date",
)
# What a project row may give: a migrated project's fields; `development`, `launch` and `benefit` are the
# row's period's amounts (a project's rows over several years give its costs and benefits per period).
PROJECT_FIELDS = (
    "reference",
    "title",
    "summary",
    "sponsor",
    "submitter",
    "budget_owner",
    "bucket",
    "objectives",
    "start_date",
    "end_date",
    "development",
    "launch",
    "benefit",
    "p_technical",
    "p_commercial",
    "approved_on",
    "status",
    "score",
    "period",
)
MONEY_FIELDS = frozenset(
    {
        "actual_cost",
        "planned_value",
        "earned_value",
        "baseline_cost",
        "forecast_cost",
        "development",
        "launch",
        "benefit",
    }
)
DATE_FIELDS = frozenset({"submitted_on", "start_date", "end_date", "approved_on"})
_REQUIRED = {
    "status": (
        "project",
        "submitted_on",
        "actual_cost",
        "planned_value",
        "earned_value",
        "percent_complete",
        "risk_level",
    ),
    "projects": (
        "reference",
        "title",
        "summary",
        "sponsor",
        "submitter",
        "bucket",
        "start_date",
        "end_date",
        "development",
        "p_technical",
        "p_commercial",
        "approved_on",
        "period",
    ),
}

# The UK IPA's five-level delivery confidence assessment and a plain RAG, on the engine's risk levels.
# "Reset" and "Exempt" (and anything else) mean nothing by themselves: a map that meets them says what they
# mean in `risk_values`, or the row is refused.
DELIVERY_CONFIDENCE: dict[str, RiskLevel] = {
    "green": "low",
    "amber/green": "low",
    "amber": "medium",
    "amber/red": "high",
    "red": "critical",
}
RAG: dict[str, RiskLevel] = {"green": "low", "amber": "medium", "red": "high"}

_SYMBOLS = {"£": "GBP", "€": "EUR", "$": "USD"}
_FACTORS = {"": Decimal(1), "k": Decimal(1000), "m": Decimal(1_000_000), "bn": Decimal(1_000_000_000)}
_UNIT = re.compile(r"^\s*(?:([£€$])|([A-Z]{3}))\s*(k|m|bn)?\s*$", re.IGNORECASE)


class Unit(BaseModel):
    """A money column's unit: `£m`, `GBP m`, `EUR k`, `USD` (a currency, and k, m or bn)."""

    model_config = STRICT

    text: str
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    factor: Decimal
    symbol: str | None = None

    @classmethod
    def parse(cls, text: object) -> object:
        if not isinstance(text, str):
            return text
        match = _UNIT.match(text)
        if match is None or (match.group(2) and match.group(2).upper() != match.group(2)):
            raise PydanticCustomError(
                "invalid-value",
                "unit '{unit}': expected a currency and a scale, like '£m', 'GBP m' or 'EUR k'",
                {"unit": text},
            )
        symbol = match.group(1)
        code = _SYMBOLS[symbol] if symbol else match.group(2)
        return {"text": text, "currency": code, "factor": _FACTORS[(match.group(3) or "").lower()], "symbol": symbol}


UnitText = Annotated[Unit, BeforeValidator(Unit.parse)]
Header = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Constant = str | int | Decimal | dt.date | list[str]


class PeriodColumn(BaseModel):
    """The column naming each row's quarter (`2026Q4`, `2026 Q4`, `Q4 2026`) or financial year (`2023-24`,
    `2023/24`, `FY2024`). A financial year names the quarter its data stands at by `year_end_quarter`: the
    calendar quarter, in the year the financial year ends, that the row's figures are as at (1 for a year
    ending in March). `governance import status --quarter Q` keeps only that quarter's rows."""

    model_config = STRICT

    column: Header
    kind: Literal["quarter", "financial-year"]
    year_end_quarter: Annotated[int, Field(ge=1, le=4)] | None = None

    @model_validator(mode="after")
    def _year_end(self) -> PeriodColumn:
        if self.kind == "financial-year" and self.year_end_quarter is None:
            raise PydanticCustomError(
                "missing", "a financial-year column needs year_end_quarter (1-4): the quarter its figures stand at"
            )
        return self


class Derive(BaseModel):
    """Figures a register does not give, derived by a named rule (each says what it assumes):

    - percent_complete `elapsed-schedule`: the share of start_date..end_date elapsed at the quarter's end
      (a register gives no progress; this assumes the project is exactly on schedule).
    - planned_value `baseline-x-elapsed`: baseline_cost x the elapsed share (linear planned spend).
    - earned_value `baseline-x-percent`: baseline_cost x percent_complete.
    - actual_cost `forecast-x-elapsed`: forecast_cost x the elapsed share (spend at the forecast's rate: CPI
      then reads baseline / forecast, the cost growth).
    - submitted_on `quarter-end`: the last day of the row's quarter.
    """

    model_config = STRICT

    percent_complete: Literal["elapsed-schedule"] | None = None
    planned_value: Literal["baseline-x-elapsed"] | None = None
    earned_value: Literal["baseline-x-percent"] | None = None
    actual_cost: Literal["forecast-x-elapsed"] | None = None
    submitted_on: Literal["quarter-end"] | None = None

    def given(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


_NEEDS = {
    "elapsed-schedule": ("start_date", "end_date"),
    "baseline-x-elapsed": ("baseline_cost", "start_date", "end_date"),
    "baseline-x-percent": ("baseline_cost", "percent_complete"),
    "forecast-x-elapsed": ("forecast_cost", "start_date", "end_date"),
    "quarter-end": ("quarter",),
}


class TrackerProject(BaseModel):
    """One engine project in a tracker export: its epic (a Jira issue key, an Azure DevOps ID) and what is
    under it, or every item with a label (Jira) or tag (Azure DevOps), or under an area path (Azure DevOps).
    `budget` (in the policy's currency) is what earned and planned value are shares of: an export has none."""

    model_config = STRICT

    project: Reference
    epic: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    label: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    area_path: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = None
    budget: Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)]
    risk_level: RiskLevel

    @model_validator(mode="after")
    def _one_way(self) -> TrackerProject:
        if sum(x is not None for x in (self.epic, self.label, self.area_path)) != 1:
            raise PydanticCustomError("inconsistent", "give exactly one of epic, label or area_path")
        return self


class Tracker(BaseModel):
    """How a Jira or Azure DevOps export becomes status reports.

    - percent_complete: done work items / all (`progress: count`), or their original estimates (`estimate`).
    - earned_value: budget x that share; planned_value: budget x the elapsed share of the epic's start..due
      (Jira `Custom field (Start date)`..`Due date`; Azure DevOps `Start Date`..`Target Date`).
    - actual_cost: hours spent (Jira `Σ Time Spent`, seconds; Azure DevOps `Completed Work`, hours) x `rate`.
    - milestones: epics and features with a due (target) date: done -> hit, past due and not done -> missed.
    """

    model_config = STRICT

    projects: list[TrackerProject] = Field(min_length=1)
    progress: Literal["count", "estimate"] = "count"
    rate: Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=2)] | None = None
    done_states: list[Annotated[str, StringConstraints(min_length=1)]] | None = None

    @model_validator(mode="after")
    def _rate(self) -> Tracker:
        if self.rate is None:
            raise PydanticCustomError(
                "missing",
                "rate: an export gives hours spent, not cost: give the cost of an hour (in the policy's currency) "
                "for actual_cost",
            )
        return self


class ImportMap(BaseModel):
    """A register's columns on the engine's fields (see the module's docstring)."""

    model_config = STRICT

    target: Literal["status", "projects"]
    source: Literal["register", "jira", "azure-devops"] = "register"
    description: PlainLine | None = None
    columns: dict[str, Header] = Field(default_factory=dict)
    constants: dict[str, Constant] = Field(default_factory=dict)
    ids: dict[str, Reference] = Field(default_factory=dict)
    units: dict[str, UnitText] = Field(default_factory=dict)
    rates: dict[Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")], Annotated[Decimal, Field(gt=0)]] = Field(
        default_factory=dict
    )
    date_formats: list[Annotated[str, StringConstraints(min_length=2)]] = Field(default_factory=lambda: ["%Y-%m-%d"])
    risk_scale: Literal["delivery-confidence", "rag"] = "delivery-confidence"
    risk_values: dict[str, RiskLevel] = Field(default_factory=dict)
    lists_separator: Annotated[str, StringConstraints(min_length=1, max_length=3)] = ";"
    period: PeriodColumn | None = None
    derive: Derive = Field(default_factory=Derive)
    tracker: Tracker | None = None

    @model_validator(mode="after")
    def _coherent(self) -> ImportMap:
        if self.source != "register":
            if self.target != "status" or self.tracker is None:
                raise PydanticCustomError(
                    "missing",
                    "a {source} export gives status reports: target status, with a tracker section",
                    {"source": self.source},
                )
            if self.columns or self.derive.given() or self.period is not None:
                raise PydanticCustomError(
                    "inconsistent",
                    "columns, derive and period are for registers; a {source} export's columns are known",
                    {"source": self.source},
                )
            return self
        if self.tracker is not None:
            raise PydanticCustomError("inconsistent", "tracker: only for source jira or azure-devops")
        known = STATUS_FIELDS if self.target == "status" else PROJECT_FIELDS
        for section, names in (("columns", self.columns), ("constants", self.constants), ("units", self.units)):
            for name in names:
                if name not in known:
                    raise PydanticCustomError(
                        "unknown-field",
                        "{section}.{name}: not a field of a {target} import (fields: {fields})",
                        {"section": section, "name": name, "target": self.target, "fields": ", ".join(known)},
                    )
        for name in self.units:
            if name not in MONEY_FIELDS:
                raise PydanticCustomError(
                    "invalid-value", "units.{name}: only money fields have a unit", {"name": name}
                )
            if name not in self.columns:
                raise PydanticCustomError(
                    "inconsistent", "units.{name}: {name} is not read from a column", {"name": name}
                )
        derived = self.derive.given()
        if self.target == "projects" and derived:
            raise PydanticCustomError("inconsistent", "derive: rules derive status report figures only")
        for name in sorted(set(self.columns) & set(self.constants)):
            raise PydanticCustomError(
                "inconsistent", "{name} is both a column and a constant: give one", {"name": name}
            )
        for name in sorted(set(derived) & (set(self.columns) | set(self.constants))):
            raise PydanticCustomError(
                "inconsistent", "derive.{name}: {name} is also a column or a constant: give one", {"name": name}
            )
        given = set(self.columns) | set(self.constants) | set(derived)
        if self.period is not None:
            given |= {"quarter"} if self.target == "status" else {"period"}
        for name, rule in derived.items():
            for needed in _NEEDS[rule]:
                if needed not in given and not (needed == "quarter" and self.target == "status"):
                    raise PydanticCustomError(
                        "missing",
                        "derive.{name} {rule} needs {needed}: map it to a column or give it as a constant",
                        {"name": name, "rule": rule, "needed": needed},
                    )
        missing = [n for n in _REQUIRED[self.target] if n not in given]
        if missing:
            raise PydanticCustomError(
                "missing",
                "{fields}: not given by a column, a constant or a derive rule",
                {"fields": ", ".join(missing)},
            )
        return self

    def currencies(self) -> set[str]:
        """The currencies of the map's money columns."""
        return {u.currency for u in self.units.values()}
