"""The payload of a portfolio selection (`selected`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictInt

from models.records._values import Count, RecordPayload, ScaledDecimal
from models.selection import FrontierStatus, LeftOut, SelectionResult, SelectionStatus, SharesOf, ValueMeasure

# `selected` stores models.selection.SelectionResult in its JSON form: every decimal as str(Decimal),
# its scale kept. These models mirror it with ScaledDecimal; `SelectedPayload.from_result` builds one.


class RecordedSolverOptions(RecordPayload):
    """The options the solve ran with; a replay uses the same ones."""

    mip_rel_gap: ScaledDecimal
    time_limit_seconds: StrictInt
    random_seed: StrictInt
    threads: StrictInt
    presolve: str


class RecordedSolver(RecordPayload):
    """The solver that made the selection, its version and options."""

    name: str
    version: str
    options: RecordedSolverOptions


class RecordedPeriodSpend(RecordPayload):
    """The selection's spend in one budget period against the budget."""

    period: str
    budget: ScaledDecimal
    spend: ScaledDecimal
    left: ScaledDecimal


class RecordedBucketSpend(RecordPayload):
    """A bucket's spend in the budgeted periods against its bounds (shares and amounts)."""

    bucket: str
    spend: ScaledDecimal
    min_share: ScaledDecimal
    max_share: ScaledDecimal
    minimum: ScaledDecimal
    maximum: ScaledDecimal


class RecordedFrontierPoint(RecordPayload):
    """The best value at one budget level (every period's budget scaled by `share`)."""

    share: ScaledDecimal
    budget: ScaledDecimal
    status: FrontierStatus
    value: ScaledDecimal | None
    count: Count
    gap: ScaledDecimal | None = Field(default=None, exclude_if=lambda v: v is None)
    reason: str | None = Field(default=None, exclude_if=lambda v: v is None)


class RecordedNextSlice(RecordPayload):
    """What the next slice of budget would buy."""

    share: ScaledDecimal
    extra_budget: ScaledDecimal
    status: SelectionStatus
    value_gain: ScaledDecimal | None
    added: list[str]
    dropped: list[str]


class RecordedGreedy(RecordPayload):
    """The greedy choice (rank by value per cost, take while the budget lasts) against the selection."""

    value: ScaledDecimal
    selected: list[str]
    only_in_optimal: list[str]
    only_in_greedy: list[str]
    value_difference: ScaledDecimal
    constraints_greedy_breaks: list[str]


class RecordedChancePeriod(RecordPayload):
    """One budgeted period under the chance constraint: in-sample scenarios over budget, and the
    chance of it measured on fresh trials."""

    period: str
    in_sample_violations: Count
    out_of_sample: ScaledDecimal


class RecordedChance(RecordPayload):
    """The chance constraint the selection was made under (P(spend in a period > budget) <= alpha,
    over a fixed set of scenarios) and what it achieved in and out of sample."""

    alpha: ScaledDecimal
    form: Literal["per-period"]
    scenarios: Count
    seed: Count
    allowed: Count
    periods: list[RecordedChancePeriod]
    in_sample_any: Count
    trials: Count
    trials_seed: Count
    out_of_sample_any: ScaledDecimal


class SelectedPayload(RecordPayload):
    """A portfolio selection: what was chosen, how good it is proven to be, and what was left out and why."""

    status: SelectionStatus
    value_measure: ValueMeasure
    currency: str | None
    objective: ScaledDecimal | None
    bound: ScaledDecimal | None
    gap: ScaledDecimal | None
    solver: RecordedSolver
    selected: list[str]
    left_out: list[LeftOut]
    spend_by_period: list[RecordedPeriodSpend]
    spend_by_bucket: list[RecordedBucketSpend]
    frontier: list[RecordedFrontierPoint]
    next_slice: RecordedNextSlice | None
    greedy: RecordedGreedy | None
    conflicts: list[str]
    notes: list[str]
    bucket_shares_of: SharesOf = Field(default="budget", exclude_if=lambda v: v == "budget")
    # Absent unless the selection had a chance constraint, so earlier records keep their bytes.
    chance: RecordedChance | None = Field(default=None, exclude_if=lambda v: v is None)

    @classmethod
    def from_result(cls, result: SelectionResult) -> SelectedPayload:
        """The payload of a selection result (what its JSON form held, `str(Decimal)` for every decimal)."""
        return cls.model_validate(result.model_dump())

    def to_result(self) -> SelectionResult:
        """The selection result this payload records (each decimal with the scale it was stored with)."""
        return SelectionResult.model_validate(self.model_dump())
