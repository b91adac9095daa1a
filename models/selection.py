"""Portfolio selection: the portfolio rules, the candidates file, the problem and the result.

`PortfolioRules` is the `portfolio:` section of a policy; `CandidatesFile` is the what-if file
(`governance schema candidates`). `SelectionProblem` is what the engine solves (built by code from
either), and `SelectionResult` is what it reports: its JSON form (`model_dump(mode="json")`) has
every amount as a decimal string, so it can go into a ledger record as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from models.common import STRICT, Money, NonNegativeMoney, Period, PlainLine

__all__ = [
    "BucketBounds",
    "BucketSpend",
    "CandidateCost",
    "CandidateEstimate",
    "CandidateResource",
    "CandidatesFile",
    "ChanceConstraint",
    "ChancePeriod",
    "ChanceResult",
    "FrontierPoint",
    "FrontierStatus",
    "GreedyComparison",
    "LeftOut",
    "NextSlice",
    "PeriodSpend",
    "PortfolioRules",
    "SelectionCandidate",
    "SelectionProblem",
    "SelectionResult",
    "SelectionStatus",
    "SharesOf",
    "SolverInfo",
    "SolverOptions",
    "ThreePointAmount",
    "Uncertainty",
    "ValueMeasure",
]

ValueMeasure = Literal["score", "ecv", "npv"]
SelectionStatus = Literal["optimal", "gap", "infeasible", "no-solution"]
# What bucket shares are shares of: the budget (the first rule, kept so earlier policies and records
# replay unchanged) or what the selection spends (a frontier that never falls as the budget grows).
SharesOf = Literal["budget", "spend"]
# A frontier level: solved to optimality, stopped by the time limit (with or without a selection),
# or without any selection that fits. "gap" and "no-solution" are what earlier records say.
FrontierStatus = Literal["optimal", "time-limit", "infeasible", "gap", "no-solution"]
CandidateId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")]
BucketId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,39}$")]


def _decimal(value: object) -> object:
    # Floats would carry binary rounding into the record: read them through their shortest repr.
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


Share = Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0, le=1)]
Fte = Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0, le=10_000, decimal_places=2)]
Score = Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0, le=100, decimal_places=4)]


_ABSENT = Field(default=None, exclude_if=lambda v: v is None)  # absent: canonical forms are as before


class ChanceConstraint(BaseModel):
    """An optional chance constraint on the selection: P(spend in a period > its budget) <= alpha,
    for every budgeted period, as a sample-average approximation over `scenarios` spend scenarios
    drawn with `seed` (governance/selection/chance.py); the selection's chance of exceeding is then
    measured on `trials` fresh ones (seed + 1)."""

    model_config = STRICT

    alpha: Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0, le=1, decimal_places=4)]
    scenarios: Annotated[int, Field(ge=10, le=2_000)] = 200
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    trials: Annotated[int, Field(ge=1_000, le=10_000_000)] = 100_000


class PortfolioRules(BaseModel):
    """How a portfolio is selected: the value to maximise, the budget and the solver's settings.

    Bucket bounds are shares of the total budget over the budgeted periods (`bucket_shares_of:
    budget`, the default) or of what the selection spends in them (`spend`); a candidate's cost in
    a period without a budget is not constrained.
    """

    model_config = STRICT

    value_measure: ValueMeasure = "ecv"
    budget: Annotated[dict[Period, NonNegativeMoney], Field(min_length=1)]
    capacity: dict[PlainLine, dict[Period, Fte]] = Field(default_factory=dict)
    frontier_levels: Annotated[int, Field(ge=10, le=50)] = 12
    next_slice: Annotated[Decimal, BeforeValidator(_decimal), Field(gt=0, le=1)] = Decimal("0.10")
    mip_gap: Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0, le=0.5)] = Decimal("0.001")
    time_limit_seconds: Annotated[int, Field(ge=1, le=86_400)] = 60
    precedence: Literal["rules", "selection"] = "rules"
    # Left out of the canonical form at its default, so earlier policies keep their versions.
    bucket_shares_of: SharesOf = Field(default="budget", exclude_if=lambda v: v == "budget")
    chance_constraint: ChanceConstraint | None = _ABSENT


class CandidateCost(BaseModel):
    model_config = STRICT

    period: Period
    amount: NonNegativeMoney


class CandidateResource(BaseModel):
    """Full-time equivalents of one role a candidate needs in one period."""

    model_config = STRICT

    role: PlainLine
    period: Period
    fte: Fte


class ThreePointAmount(BaseModel):
    """A low, most likely and high amount."""

    model_config = STRICT

    low: NonNegativeMoney
    likely: NonNegativeMoney
    high: NonNegativeMoney

    @model_validator(mode="after")
    def _ordered(self) -> ThreePointAmount:
        if not self.low <= self.likely <= self.high:
            raise PydanticCustomError(
                "inconsistent", f"expected low <= likely <= high, got {self.low}, {self.likely}, {self.high}"
            )
        return self


class CandidateEstimate(BaseModel):
    """A candidate's development and launch cost in one period as three-point estimates (the chance
    constraint draws its spend scenarios from them; launch is spent only after technical success)."""

    model_config = STRICT

    period: Period
    development: ThreePointAmount
    launch: ThreePointAmount


class SelectionCandidate(BaseModel):
    """A proposal or active project that may be funded."""

    model_config = STRICT

    id: CandidateId
    title: PlainLine
    kind: Literal["proposal", "project"] = "proposal"
    bucket: BucketId
    score: Score | None = None
    ecv: Money | None = None
    npv: Money | None = None
    costs: list[CandidateCost] = Field(min_length=1)
    resources: list[CandidateResource] = Field(default_factory=list)
    depends_on: list[CandidateId] = Field(default_factory=list)
    excludes: list[CandidateId] = Field(default_factory=list)
    force: Literal["in", "out"] | None = None
    force_reason: PlainLine | None = None
    # For a chance constraint only (absent: the candidate spends its costs for certain).
    p_technical: Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0, le=1)] | None = _ABSENT
    estimates: list[CandidateEstimate] | None = _ABSENT

    @model_validator(mode="after")
    def _consistent(self) -> SelectionCandidate:
        periods = [c.period for c in self.costs]
        if len(set(periods)) != len(periods):
            raise PydanticCustomError("inconsistent", "costs list a period more than once")
        seen = [(r.role, r.period) for r in self.resources]
        if len(set(seen)) != len(seen):
            raise PydanticCustomError("inconsistent", "resources list a role and period more than once")
        for name, refs in (("depends_on", self.depends_on), ("excludes", self.excludes)):
            if self.id in refs:
                raise PydanticCustomError("inconsistent", f"{name} names the candidate itself")
            if len(set(refs)) != len(refs):
                raise PydanticCustomError("inconsistent", f"{name} names a candidate more than once")
        if set(self.depends_on) & set(self.excludes):
            raise PydanticCustomError("inconsistent", "a candidate cannot both depend on and exclude the same one")
        if (self.force is None) != (self.force_reason is None):
            raise PydanticCustomError("inconsistent", "force and force_reason go together: give both or neither")
        if self.estimates is not None:
            self._check_estimates()
        return self

    def _check_estimates(self) -> None:
        assert self.estimates is not None
        cost = {c.period: c.amount for c in self.costs}
        seen = [e.period for e in self.estimates]
        if len(set(seen)) != len(seen):
            raise PydanticCustomError("inconsistent", "estimates list a period more than once")
        for e in self.estimates:
            likely = e.development.likely + e.launch.likely
            if likely != cost.get(e.period, Decimal(0)):
                raise PydanticCustomError(
                    "inconsistent",
                    f"estimates for {e.period}: development and launch most likely add up to {likely}, "
                    f"the cost is {cost.get(e.period, Decimal(0))}",
                )

    def value(self, measure: ValueMeasure) -> Decimal | None:
        """The candidate's value under a measure (None if it has none)."""
        value: Decimal | None = getattr(self, measure)
        return value


class BucketBounds(BaseModel):
    """A strategic bucket's bounds, as shares of the total budget over the budgeted periods."""

    model_config = STRICT

    bucket: BucketId
    min_share: Share = Decimal("0")
    max_share: Share = Decimal("1")

    @model_validator(mode="after")
    def _bounds(self) -> BucketBounds:
        if self.min_share > self.max_share:
            raise PydanticCustomError("inconsistent", f"min_share {self.min_share} exceeds max_share {self.max_share}")
        return self


class CandidatesFile(BaseModel):
    """The what-if file of `governance select`: rules, bucket bounds and candidates in one file.

    Every candidate's bucket must be listed in `buckets`; candidate ids are unique and
    `depends_on` / `excludes` name candidates of the same file (checked when the file is read).
    """

    model_config = STRICT

    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    portfolio: PortfolioRules
    buckets: list[BucketBounds] = Field(min_length=1)
    candidates: list[SelectionCandidate] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Uncertainty:
    """How spend scenarios are drawn (the policy's `simulation:` section): the distribution of the
    three-point estimates and the Gaussian copula's correlations within a bucket and across all."""

    distribution: Literal["triangular", "pert"] = "pert"
    correlation_within_bucket: Decimal = Decimal(0)
    correlation_across: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class SelectionProblem:
    """One selection to solve, built by code (from a candidates file, or from a policy and proposals).

    `buckets` maps a bucket to its (min_share, max_share) of the total budget, or of the selection's
    spend when `bucket_shares_of` is "spend"; `capacity` maps a role to its FTE limit per period.
    """

    candidates: tuple[SelectionCandidate, ...]
    budget: Mapping[str, Decimal]
    buckets: Mapping[str, tuple[Decimal, Decimal]]
    capacity: Mapping[str, Mapping[str, Decimal]] = field(default_factory=dict)
    value_measure: ValueMeasure = "ecv"
    frontier_levels: int = 12
    next_slice: Decimal = Decimal("0.10")
    mip_gap: Decimal = Decimal("0.001")
    time_limit_seconds: int = 60
    currency: str | None = None
    bucket_shares_of: SharesOf = "budget"
    chance: ChanceConstraint | None = None
    uncertainty: Uncertainty = Uncertainty()


# -- the result ---------------------------------------------------------------------------------

_RESULT = ConfigDict(frozen=True, extra="forbid")


class SolverOptions(BaseModel):
    """The options every solve ran with; a replay uses the same ones."""

    model_config = _RESULT

    mip_rel_gap: Decimal
    time_limit_seconds: int
    random_seed: int
    threads: int
    presolve: str


class SolverInfo(BaseModel):
    model_config = _RESULT

    name: str
    version: str
    options: SolverOptions


class LeftOut(BaseModel):
    """A candidate not selected and why: what adding it to the selection would break."""

    model_config = _RESULT

    id: str
    reasons: list[str]


class PeriodSpend(BaseModel):
    model_config = _RESULT

    period: str
    budget: Decimal
    spend: Decimal
    left: Decimal


class BucketSpend(BaseModel):
    """A bucket's spend in the budgeted periods against its bounds (shares and amounts)."""

    model_config = _RESULT

    bucket: str
    spend: Decimal
    min_share: Decimal
    max_share: Decimal
    minimum: Decimal
    maximum: Decimal


class FrontierPoint(BaseModel):
    """The best value at one budget level (every period's budget scaled by `share`).

    `gap` is the level's proven gap when the time limit stopped it with a selection; `reason` says in
    words why a level has no optimal selection. Both are left out when None, so earlier records keep
    their bytes (readers test whether they are there).
    """

    model_config = _RESULT

    share: Decimal
    budget: Decimal
    status: FrontierStatus
    value: Decimal | None
    count: int
    gap: Decimal | None = Field(default=None, exclude_if=lambda v: v is None)
    reason: str | None = Field(default=None, exclude_if=lambda v: v is None)


class NextSlice(BaseModel):
    """What the next slice of budget (every period raised by the same share) would buy."""

    model_config = _RESULT

    share: Decimal
    extra_budget: Decimal
    status: SelectionStatus
    value_gain: Decimal | None
    added: list[str]
    dropped: list[str]


class GreedyComparison(BaseModel):
    """The spreadsheet's choice (rank by value per cost, take while the budget lasts) against ours."""

    model_config = _RESULT

    value: Decimal
    selected: list[str]
    only_in_optimal: list[str]
    only_in_greedy: list[str]
    value_difference: Decimal
    constraints_greedy_breaks: list[str]


class ChancePeriod(BaseModel):
    """One budgeted period under the chance constraint: the scenarios (of the fixed set) in which the
    selection spends more than the budget, and the chance of it measured on fresh trials."""

    model_config = _RESULT

    period: str
    in_sample_violations: int
    out_of_sample: Decimal


class ChanceResult(BaseModel):
    """The chance constraint a selection was made under and what it achieved.

    `form` "per-period": at most `allowed` = floor(alpha * scenarios) scenarios over budget in each
    period (one binary per period and scenario). `any_period` counts a trial over budget in any period.
    """

    model_config = _RESULT

    alpha: Decimal
    form: Literal["per-period"]
    scenarios: int
    seed: int
    allowed: int
    periods: list[ChancePeriod]
    in_sample_any: int
    trials: int
    trials_seed: int
    out_of_sample_any: Decimal


class SelectionResult(BaseModel):
    """A selection: what was chosen, how good it is proven to be, and what was left out and why."""

    model_config = _RESULT

    status: SelectionStatus
    value_measure: ValueMeasure
    currency: str | None
    objective: Decimal | None
    bound: Decimal | None
    gap: Decimal | None
    solver: SolverInfo
    selected: list[str]
    left_out: list[LeftOut]
    spend_by_period: list[PeriodSpend]
    spend_by_bucket: list[BucketSpend]
    frontier: list[FrontierPoint]
    next_slice: NextSlice | None
    greedy: GreedyComparison | None
    conflicts: list[str]
    notes: list[str]
    # Left out at "budget", so earlier records keep their bytes.
    bucket_shares_of: SharesOf = Field(default="budget", exclude_if=lambda v: v == "budget")
    chance: ChanceResult | None = _ABSENT
