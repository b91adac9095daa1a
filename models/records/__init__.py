"""The payload of every ledger record kind: one frozen model per kind, and the registry of kinds.

A payload is stored as canonical JSON text (`governance.canonical.canonical_text(model)`), and
`parse_payload(kind, text)` reads it back through the kind's model. The fields, their nesting and
their types are chosen so that the text round-trips byte for byte:

    canonical_text(parse_payload(kind, text)) == text      for every record the engine wrote

Numbers that are decimals are stored as text, in one of two forms, and each field says which:

- `PlainDecimal`: canonical form, trailing zeros removed (`"71.4"`, `"1250000"`); what the canonical
  writer makes of a `Decimal`. Money, scores, ratings and rates on score cards are stored so.
- `ScaledDecimal`: the decimal as `str(Decimal)` writes it, its scale kept (`"3000600.00"`, `"0.90"`).
  The selection result and a review's facts were stored so (their JSON form before canonicalising).

Stored JSON must hold a decimal as text (a JSON number is refused) in the field's form, a date as
`YYYY-MM-DD`, an integer as a JSON integer and a yes/no as a JSON boolean: what does not fit is
refused, so nothing is silently re-written. From code, decimals are given as `Decimal` (or `int`,
or decimal text), dates as `datetime.date` (or ISO text); floats are refused.

Errors: `RecordPayloadError` (also a `ValueError`), with a stable `code` printed as `[code]`:
`unknown-record-kind` or `payload-invalid`.

`LedgerRecord` is a ledger record as read back from the store: `record.body` is its payload read
through its kind's model (`record.body_as(DecidedPayload)` where the reader knows the kind), and
`record.payload` the same payload as plain JSON data (for JSON output only).

Modules (private; this package is the public surface): `_values` (the value types and the base
model), `_intake`, `_gates`, `_review`, `_selection`, `_simulation`, `_scenario`, `_benefits` (the payloads, by the
engine module that writes them), `_registry` (kind -> model, `parse_payload`, `record_schema`) and
`_ledger` (`LedgerRecord`).
"""

from __future__ import annotations

from models.records._benefits import BenefitsOutcome, BenefitsReviewedPayload
from models.records._gates import (
    AhpWeightsSource,
    ConditionClosedPayload,
    CriterionScore,
    DecidedPayload,
    DirectWeightsSource,
    GateCondition,
    GateRecommendation,
    MustMeetResult,
    RecommendedPayload,
    ScoredFinancials,
    ScoredPayload,
    SupersededPayload,
    VoteTally,
    WeightsSource,
)
from models.records._intake import (
    AmendedPayload,
    FiledPayload,
    PolicyAdoptedPayload,
    RuleResult,
    ScreenedOutPayload,
    ScreenedPayload,
    SourceRef,
    WithdrawnPayload,
)
from models.records._ledger import LedgerRecord, RecordKind
from models.records._registry import (
    RECORD_KINDS,
    RECORD_PAYLOADS,
    RecordErrorCode,
    RecordPayloadError,
    parse_payload,
    record_schema,
)
from models.records._review import (
    ConfirmedOutcome,
    FiredRule,
    MigratedPayload,
    ReviewConfirmedPayload,
    ReviewedPayload,
    ReviewFacts,
    ReviewFactsMissing,
    ReviewFactsReported,
    ReviewProject,
    ReviewProposedPayload,
    SelectionSummary,
    StatusReportedPayload,
)
from models.records._scenario import (
    SCENARIO_NAME_PATTERN,
    ScenarioBounds,
    ScenarioChanges,
    ScenarioCommittedPayload,
    ScenarioName,
)
from models.records._selection import (
    RecordedBucketSpend,
    RecordedFrontierPoint,
    RecordedGreedy,
    RecordedNextSlice,
    RecordedPeriodSpend,
    RecordedSolver,
    RecordedSolverOptions,
    SelectedPayload,
)
from models.records._simulation import SimulatedDriver, SimulatedPayload, SimulatedPeriod
from models.records._values import IsoDate, PlainDecimal, RecordPayload, ScaledDecimal

__all__ = [
    "RECORD_KINDS",
    "RECORD_PAYLOADS",
    "SCENARIO_NAME_PATTERN",
    "AhpWeightsSource",
    "AmendedPayload",
    "BenefitsOutcome",
    "BenefitsReviewedPayload",
    "ConditionClosedPayload",
    "ConfirmedOutcome",
    "CriterionScore",
    "DecidedPayload",
    "DirectWeightsSource",
    "FiledPayload",
    "FiredRule",
    "GateCondition",
    "GateRecommendation",
    "IsoDate",
    "LedgerRecord",
    "MigratedPayload",
    "MustMeetResult",
    "PlainDecimal",
    "PolicyAdoptedPayload",
    "RecommendedPayload",
    "RecordErrorCode",
    "RecordKind",
    "RecordPayload",
    "RecordPayloadError",
    "RecordedBucketSpend",
    "RecordedFrontierPoint",
    "RecordedGreedy",
    "RecordedNextSlice",
    "RecordedPeriodSpend",
    "RecordedSolver",
    "RecordedSolverOptions",
    "ReviewConfirmedPayload",
    "ReviewFacts",
    "ReviewFactsMissing",
    "ReviewFactsReported",
    "ReviewProject",
    "ReviewProposedPayload",
    "ReviewedPayload",
    "RuleResult",
    "ScaledDecimal",
    "ScenarioBounds",
    "ScenarioChanges",
    "ScenarioCommittedPayload",
    "ScenarioName",
    "ScoredFinancials",
    "ScoredPayload",
    "ScreenedOutPayload",
    "ScreenedPayload",
    "SelectedPayload",
    "SelectionSummary",
    "SimulatedDriver",
    "SimulatedPayload",
    "SimulatedPeriod",
    "SourceRef",
    "StatusReportedPayload",
    "SupersededPayload",
    "VoteTally",
    "WeightsSource",
    "WithdrawnPayload",
    "parse_payload",
    "record_schema",
]
