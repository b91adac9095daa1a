"""The payload of a post-implementation review (`benefits-reviewed`): realised against promised benefits."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictInt

from models.records._intake import SourceRef
from models.records._values import GateNumber, IsoDate, PlainDecimal, RecordPayload, Seq, Sha256
from models.status_report import Quarter

BenefitsOutcome = Literal["realised", "partly-realised", "not-realised"]


class BenefitsReviewedPayload(RecordPayload):
    """A completed project's post-implementation review, against the benefits baseline of its go decision.

    `baseline_seq` is the record the promise was made in (the last go decision, or the migration of a
    project that predates the engine); `promised_to_date` sums the baseline's benefits in the periods that
    have begun by the end of `quarter`, `realised_to_date` the review's realised benefits. `ratio` is
    realised over promised to date (none when nothing was promised yet); it decides `outcome` by the
    policy's `post_implementation_review` thresholds. The review file is the record's inputs snapshot.
    """

    quarter: Quarter
    reviewed_on: IsoDate
    owner: str
    content_hash: Sha256
    version: Annotated[StrictInt, Field(ge=1)]
    baseline_seq: Seq
    baseline_gate: GateNumber | None
    promised_total: PlainDecimal
    promised_to_date: PlainDecimal
    realised_to_date: PlainDecimal
    still_expected: PlainDecimal
    ratio: PlainDecimal | None
    outcome: BenefitsOutcome
    completed_quarter: Quarter
    source: SourceRef
