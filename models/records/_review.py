"""Payloads of running projects: migrated, status reports and the quarterly review."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Discriminator, Field, StrictBool, StrictInt, Tag

from models.decision import MemberName, ReviewAnswer, ReviewOutcome
from models.records._intake import SourceRef
from models.records._values import (
    Count,
    IsoDate,
    PlainDecimal,
    ProposalId,
    RecordPayload,
    ReviewState,
    RuleOutcome,
    ScaledDecimal,
    Seq,
    Sha256,
)
from models.selection import SelectionStatus, ValueMeasure
from models.status_report import Quarter, RiskLevel


class MigratedPayload(RecordPayload):
    """A project already running when the engine was adopted entered the ledger, past the policy's last gate."""

    reference: str
    title: str
    content_hash: Sha256
    approved_on: IsoDate
    score: PlainDecimal | None
    stage: str
    source: SourceRef
    state_after: Literal["active", "paused"]


class StatusReportedPayload(RecordPayload):
    """An active project's status report for a quarter (a higher version revises an earlier report)."""

    quarter: Quarter
    content_hash: Sha256
    version: Annotated[StrictInt, Field(ge=1)]
    cpi: PlainDecimal | None = Field(description="EV / AC; none before any spend")
    spi: PlainDecimal | None = Field(description="EV / PV; none before any planned work")
    risk_level: RiskLevel
    submitted_on: IsoDate
    source: SourceRef


class _FactsBase(RecordPayload):
    score: ScaledDecimal | None
    ecv: ScaledDecimal
    npv: ScaledDecimal
    open_conditions: Count
    overdue_conditions: Count
    state: Literal["active", "paused"]
    bucket: str


class ReviewFactsReported(_FactsBase):
    """A project's facts for the quarter under review, from its status report."""

    report_missing: Literal[False]
    report_late_days: Count
    cpi: ScaledDecimal | None
    spi: ScaledDecimal | None
    actual_cost: ScaledDecimal
    planned_value: ScaledDecimal
    earned_value: ScaledDecimal
    percent_complete: ScaledDecimal
    risk_level: RiskLevel
    risk_rank: Annotated[StrictInt, Field(ge=1, le=4)]
    milestones_hit: Count
    milestones_missed: Count


class ReviewFactsMissing(_FactsBase):
    """A project's facts for the quarter under review when it sent no status report."""

    report_missing: Literal[True]
    report_late_days: None


def _facts_tag(value: object) -> str | None:
    missing = value.get("report_missing") if isinstance(value, dict) else getattr(value, "report_missing", None)
    return {True: "missing", False: "reported"}.get(missing) if isinstance(missing, bool) else None


# Tagged by name, so that an error's place reads `facts.reported.cpi` (a bare True/False tag shows as 0/1).
ReviewFacts = Annotated[
    Annotated[ReviewFactsReported, Tag("reported")] | Annotated[ReviewFactsMissing, Tag("missing")],
    Discriminator(
        _facts_tag,
        custom_error_type="facts-report",
        custom_error_message="report_missing must be true or false",
    ),
]


class FiredRule(RecordPayload):
    """A review rule that held for the project, with the figures it held on."""

    rule: str
    outcome: RuleOutcome
    reason: str
    evidence: list[str]


class ReviewProject(RecordPayload):
    """One project in a quarterly review: its facts, the rules that fired and the recommendation."""

    id: ProposalId
    reference: str
    title: str
    bucket: str
    state: Literal["active", "paused"]
    rules_outcome: ReviewOutcome
    recommended: ReviewOutcome
    reasons: list[str]
    rules_fired: list[FiredRule]
    findings: list[str]
    facts: ReviewFacts
    funded: StrictBool | None = Field(description="whether the selection funds it; none without a selection")


class SelectionSummary(RecordPayload):
    """The portfolio selection a review recommends on (the whole result is the `selected` record beside it)."""

    status: SelectionStatus
    value_measure: ValueMeasure
    objective: ScaledDecimal | None
    bound: ScaledDecimal | None
    gap: ScaledDecimal | None
    selected: list[str]


class ReviewProposedPayload(RecordPayload):
    """A quarter's review: each active and paused project's recommendation, awaiting the board."""

    quarter: Quarter
    as_of: IsoDate
    policy: str
    counts: dict[ReviewOutcome, Count] = Field(description="recommendation -> number of projects")
    findings: list[str]
    projects: list[ReviewProject]
    selection: SelectionSummary | None


class ConfirmedOutcome(RecordPayload):
    """One project's confirmed outcome in a quarter's review, and whether the board overrode the recommendation."""

    id: ProposalId
    outcome: ReviewOutcome
    recommended: ReviewOutcome
    overridden: StrictBool


class ReviewConfirmedPayload(RecordPayload):
    """The board's one answer to a quarter's review, and each project's outcome that follows from it."""

    quarter: Quarter
    proposed_seq: Seq
    answer: ReviewAnswer
    outcomes: list[ConfirmedOutcome]


class ReviewedPayload(RecordPayload):
    """A project's confirmed outcome in a quarterly review and the state it leads to."""

    quarter: Quarter
    outcome: ReviewOutcome
    recommended: ReviewOutcome
    overridden: StrictBool
    reasons: list[str]
    rationale: str
    decided_by: MemberName
    meeting_date: IsoDate
    confirmed_seq: Seq
    state_after: ReviewState
