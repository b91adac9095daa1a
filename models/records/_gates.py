"""Payloads at a gate: the score card, the recommendation, the board decision and its corrections."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictInt

from models.decision import MemberName, Outcome, Vote
from models.records._values import (
    ConditionId,
    Count,
    DecisionState,
    GateNumber,
    IsoDate,
    PlainDecimal,
    ProposalId,
    RecordPayload,
    Seq,
    Sha256,
)


class CriterionScore(RecordPayload):
    """One rated criterion on a score card: the ratings, their mean and spread, and its contribution to the total."""

    id: str
    name: str
    kind: Literal["scored", "should-meet"]
    weight: PlainDecimal
    ratings: dict[str, PlainDecimal] = Field(description="assessor -> rating")
    mean: PlainDecimal
    score: PlainDecimal = Field(description="the mean normalised to 0-100")
    spread: PlainDecimal
    spread_flagged: StrictBool
    contribution: PlainDecimal = Field(description="weight x score: the criterion's share of the total")
    passed: StrictBool | None = Field(description="should-meet: whether the mean reached its pass threshold")


class MustMeetResult(RecordPayload):
    """A must-meet (knock-out) criterion: met only if every assessor confirmed it."""

    id: str
    name: str
    met: StrictBool
    by: dict[str, StrictBool] = Field(description="assessor -> confirmed")


class AhpWeightsSource(RecordPayload):
    """Weights derived by AHP from the policy's pairwise comparisons, re-normalised over the gate's criteria."""

    method: Literal["ahp"]
    consistency_ratio: PlainDecimal
    lambda_max: PlainDecimal
    weights: dict[str, PlainDecimal] = Field(description="criterion -> weight")


class DirectWeightsSource(RecordPayload):
    """Weights as the policy sets them, re-normalised over the gate's criteria."""

    method: Literal["direct"]
    weights: dict[str, PlainDecimal] = Field(description="criterion -> weight")


WeightsSource = Annotated[AhpWeightsSource | DirectWeightsSource, Field(discriminator="method")]


class ScoredFinancials(RecordPayload):
    """A proposal's financials as scored: cash flows per period, NPV, IRR, payback and ECV."""

    periods: list[str]
    cash_flows: list[PlainDecimal]
    npv: PlainDecimal
    pv_benefits: PlainDecimal
    irr: PlainDecimal | None
    irr_note: str | None = Field(description="why there is no IRR, or every IRR when there are several")
    payback_years: PlainDecimal | None
    development: PlainDecimal
    launch: PlainDecimal
    p_technical: PlainDecimal
    p_commercial: PlainDecimal
    ecv: PlainDecimal
    financials_version: StrictInt | None = Field(
        default=None,
        exclude_if=lambda v: v is None,  # absent from cards made before issue 13: their bytes stay as stored
        description="the rules of payback and IRR (2: since issue 13); absent: the earlier rules",
    )


class ScoredPayload(RecordPayload):
    """A proposal's score card at a gate: the total, each criterion's contribution, must-meets and financials."""

    proposal_id: ProposalId
    gate: GateNumber
    total: PlainDecimal
    knocked_out: StrictBool
    should_meet_passed: StrictBool
    criteria: list[CriterionScore]
    must_meet: list[MustMeetResult]
    weights_source: WeightsSource
    assessors: list[str]
    flags: list[str]
    financials: ScoredFinancials


class GateCondition(RecordPayload):
    """A condition of a conditional go: what must happen, who owns it, by when."""

    id: ConditionId
    text: str
    owner: str
    due: IsoDate


class GateRecommendation(RecordPayload):
    """The outcome the policy's gate rule recommends, with its reasons."""

    outcome: Outcome
    reasons: list[str]


class RecommendedPayload(RecordPayload):
    """The gate's recommendation for a scored proposal, now awaiting the board's decision."""

    gate: GateNumber
    gate_name: str
    enters: str = Field(description="the stage a go leads into")
    deliverables: list[str]
    recommendation: GateRecommendation
    score: PlainDecimal
    ecv: PlainDecimal
    scored_seq: Seq
    open_conditions: list[GateCondition]


# -- board decisions --------------------------------------------------------------------------


class VoteTally(RecordPayload):
    """The votes counted under the policy's voting rule, and the outcome they support."""

    rule: Literal["majority", "unanimity", "chair-decides"]
    counts: dict[Outcome, Count]
    cast: Count
    supported: Outcome | None
    note: str


class DecidedPayload(RecordPayload):
    """The board's decision on a proposal at a gate: votes, tally, recusals, conditions and the state it leads to."""

    gate: GateNumber
    gate_name: str
    outcome: Outcome
    rationale: str
    decided_by: MemberName
    meeting_date: IsoDate
    votes: list[Vote]
    dissent: list[MemberName]
    recused: dict[MemberName, str] = Field(description="member -> why they may not vote")
    tally: VoteTally
    conditions: list[GateCondition]
    recommended: Outcome
    recommended_seq: Seq
    attempt: Annotated[StrictInt, Field(ge=1)]
    state_after: DecisionState
    next_gate: GateNumber | None
    signatures: dict[MemberName, str] = Field(
        default_factory=dict,
        exclude_if=lambda v: not v,  # left out when none: earlier decisions read back to their stored bytes
        description="member -> Ed25519 signature of the motion (left out when none)",
    )


class SupersededPayload(RecordPayload):
    """A decision was voided by a correcting record; the proposal awaits the board's decision again."""

    gate: GateNumber
    superseded_seq: Seq
    superseded_hash: Sha256
    rationale: str
    state_after: Literal["awaiting-decision"]


class ConditionClosedPayload(RecordPayload):
    """A condition of a conditional go was met and closed."""

    condition_id: ConditionId
    note: str
    closed_on: IsoDate
    was_due: IsoDate
