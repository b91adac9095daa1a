"""Payloads of intake: the policy adopted, proposals filed, amended, screened and withdrawn."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictInt

from models.decision import ReviewVote
from models.records._values import RecordPayload, Sha256


class PolicyAdoptedPayload(RecordPayload):
    """A policy was adopted and is in force from this record on (its version is the record's policy version)."""

    name: str
    title: str
    previous: Sha256 | None = Field(description="the version of the policy in force before, if any")
    # authority and votes are left out when unset: earlier records read back to their stored bytes.
    authority: Literal["first-policy", "role", "board-vote"] | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="why the adopter could adopt it: the first policy of the database; the role matrix of the "
        "policy in force; or, for a change to people, board, roles or delegations, also the board's vote",
    )
    votes: list[ReviewVote] = Field(
        default_factory=list, exclude_if=lambda v: not v, description="the board's votes on a change of authority"
    )


class SourceRef(RecordPayload):
    """Where a submission was read from: the file's name and the record in it (`record 1`, `row 3`)."""

    file: str
    record: str


class FiledPayload(RecordPayload):
    """A proposal was filed (version 1); its content is the record's input snapshot."""

    reference: str
    title: str
    content_hash: Sha256
    version: Annotated[StrictInt, Field(ge=1)]
    source: SourceRef


class AmendedPayload(RecordPayload):
    """The submitter amended a proposal before its decision: a new version, and the fields that changed."""

    reference: str
    content_hash: Sha256
    previous_hash: Sha256
    version: Annotated[StrictInt, Field(ge=2)]
    changed: list[str]
    source: SourceRef


class RuleResult(RecordPayload):
    """One screening rule applied to a proposal: whether it passed, and the comparisons that decided it."""

    id: str
    description: str
    passed: StrictBool
    because: list[str]


class ScreenedPayload(RecordPayload):
    """The proposal passed every must-meet screening rule of the policy."""

    content_hash: Sha256
    rules: list[RuleResult]


class ScreenedOutPayload(RecordPayload):
    """The proposal failed at least one must-meet screening rule of the policy and stops here."""

    content_hash: Sha256
    rules: list[RuleResult]


class WithdrawnPayload(RecordPayload):
    """The submitter withdrew the proposal before its decision, with the reason given."""

    reference: str
    reason: str
    content_hash: Sha256
