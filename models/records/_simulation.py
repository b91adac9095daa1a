"""The payload of a portfolio simulation (`simulated`): what was simulated, how, and what came out."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictInt

from models.records._values import Count, PlainDecimal, RecordPayload, Seq


class SimulatedPeriod(RecordPayload):
    """The portfolio's spend in one budget period, over the trials, against the period's budget."""

    period: str
    budget: PlainDecimal
    mean: PlainDecimal
    p10: PlainDecimal
    p50: PlainDecimal
    p90: PlainDecimal
    p_over_budget: PlainDecimal


class SimulatedDriver(RecordPayload):
    """A project's share of the variance of the portfolio's value (the shares sum to 1)."""

    id: str
    share: PlainDecimal


class SimulatedPayload(RecordPayload):
    """A Monte Carlo simulation of a set of projects (governance.simulation).

    It keeps the source of the set, the distribution and correlations it was drawn with, the seed and
    trials, and the results. The record's inputs snapshot holds every estimate, so a replay draws the
    same trials again.
    """

    source: Literal["quarter", "selection", "projects"]
    quarter: str | None = Field(default=None, exclude_if=lambda v: v is None)
    selection_seq: Seq | None = Field(default=None, exclude_if=lambda v: v is None)
    projects: list[str]
    currency: str | None
    distribution: Literal["triangular", "pert"]
    correlation_within_bucket: PlainDecimal
    correlation_across: PlainDecimal
    trials: Count
    seed: StrictInt
    mean: PlainDecimal
    p10: PlainDecimal
    p50: PlainDecimal
    p90: PlainDecimal
    p_negative: PlainDecimal
    percentiles: list[PlainDecimal]  # the value at 5 %, 10 %, ..., 95 %
    spend: list[SimulatedPeriod]
    drivers: list[SimulatedDriver]
    without_ranges: list[str]  # projects simulated on point estimates (no three-point ranges on file)
