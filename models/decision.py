"""What the board gives: decisions, votes, conditions, quarterly review answers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "OUTCOMES",
    "REVIEW_OUTCOMES",
    "ConditionInput",
    "DecisionInput",
    "Outcome",
    "ReviewAnswer",
    "ReviewOutcome",
    "ReviewOverride",
    "ReviewVote",
    "Vote",
]

Outcome = Literal["go", "conditional-go", "hold", "recycle", "kill"]
OUTCOMES: tuple[str, ...] = ("go", "conditional-go", "hold", "recycle", "kill")
MemberName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9._-]{0,39}$")]


class Vote(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    member: MemberName
    outcome: Outcome


class ConditionInput(BaseModel):
    """A condition of a conditional go: what must happen, who owns it, by when."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    text: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    owner: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    due: dt.date


ReviewOutcome = Literal["continue", "pause", "resume", "stop", "complete"]
REVIEW_OUTCOMES: tuple[str, ...] = ("continue", "pause", "resume", "stop", "complete")


class ReviewOverride(BaseModel):
    """The board replaces one project's recommended outcome, with its reason."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    project: Annotated[str, StringConstraints(pattern=r"^P-\d{4}-\d{4,}$")]
    outcome: ReviewOutcome
    rationale: Annotated[str, StringConstraints(min_length=1, max_length=5_000)]


class ReviewVote(BaseModel):
    """A member's vote on the board's answer to a quarterly review, as a whole."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    member: MemberName
    vote: Literal["accept", "reject"]


class ReviewAnswer(BaseModel):
    """The board's one answer to a quarterly review: accept every recommendation except the overrides.

    It needs the quorum and the voting rule as a gate decision does (`votes`); members who submitted
    or sponsor a project the answer overrides are recused from it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    quarter: Annotated[str, StringConstraints(pattern=r"^\d{4}Q[1-4]$")]
    decided_by: MemberName
    meeting_date: dt.date
    rationale: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
    overrides: list[ReviewOverride] = Field(default_factory=list)
    # Left out when empty: answers recorded before votes were asked for read back to their stored bytes.
    votes: list[ReviewVote] = Field(default_factory=list, exclude_if=lambda v: not v)


class DecisionInput(BaseModel):
    """A board's decision on one proposal at one gate, as the chair gives it (CLI or Prefect UI)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    proposal_id: Annotated[str, StringConstraints(pattern=r"^P-\d{4}-\d{4,}$")]
    gate: Annotated[int, Field(ge=1, le=20)]
    outcome: Outcome
    rationale: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
    decided_by: MemberName
    meeting_date: dt.date
    votes: list[Vote] = Field(default_factory=list)
    conditions: list[ConditionInput] = Field(default_factory=list)
    conflicts: list[MemberName] = Field(default_factory=list)
    signatures: dict[MemberName, Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+/]{86}==$")]] = Field(
        default_factory=dict,
        exclude_if=lambda v: not v,  # left out when none: earlier decisions read back to their stored bytes
        description="member -> Ed25519 signature of the motion (governance.signatures)",
    )
