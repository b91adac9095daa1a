"""The payload of the board committing a saved scenario (`scenario-committed`), and a scenario's changes."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from models.decision import MemberName, ReviewVote
from models.records._values import IsoDate, PlainDecimal, RecordPayload, Seq, Sha256
from models.selection import ValueMeasure

SCENARIO_NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{0,39}$"
ScenarioName = Annotated[str, StringConstraints(pattern=SCENARIO_NAME_PATTERN)]


class ScenarioBounds(RecordPayload):
    """A bucket's bounds as a scenario sets them: shares of the budget or of the spend, as the policy says."""

    min_share: PlainDecimal
    max_share: PlainDecimal


class ScenarioChanges(RecordPayload):
    """What a scenario changes in the portfolio's selection problem as it stands (nothing: the current one).

    `weights` replace criteria's weights on each candidate's score card (governance.scenario_weights).
    `policy` is the version of a draft policy the candidates were valued under (its portfolio section,
    buckets, weights and discount rate), None for the policy in force.
    """

    budget: dict[str, PlainDecimal] = Field(default_factory=dict)
    buckets: dict[str, ScenarioBounds] = Field(default_factory=dict)
    value_measure: ValueMeasure | None = None
    force_in: list[str] = Field(default_factory=list)
    force_out: list[str] = Field(default_factory=list)
    weights: dict[str, PlainDecimal] = Field(default_factory=dict)
    policy: Sha256 | None = None


class ScenarioCommittedPayload(RecordPayload):
    """The board's decision to make a saved scenario's selection the portfolio's.

    The selection is the `selected` record `selected_seq`; the votes carried it under the policy's quorum
    and voting rule.
    """

    scenario: ScenarioName
    changes: ScenarioChanges
    created_by: str
    made_at_seq: Seq
    selected_seq: Seq
    selected: list[str]
    votes: list[ReviewVote]
    decided_by: MemberName
    meeting_date: IsoDate
    rationale: Annotated[str, StringConstraints(min_length=1)]
