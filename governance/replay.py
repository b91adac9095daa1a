"""Replay: re-derive a recorded decision from its stored inputs and the policy version it names.

An auditor's second question ("would the same inputs and rules give the same decision?"). Each
kind re-runs the engine's own function on the record's input snapshot under the stored policy:

    screened / screened-out   the must-meet screening of the filed content
    scored                    the score card (weights, contributions, spread, financials; a card
                              made before issue 13 with payback and IRR by the earlier rules)
    recommended               the gate recommendation from the score card, conditions and date
    decided                   the board rules: roster, recusal (submitter and sponsor of the
                              proposal as scored), quorum, tally, dissent, the state it leads to
    selected                  the portfolio selection: the same objective within the recorded gap
                              (a solver may break ties differently, so the set may differ)
    reviewed                  the board's answer applied to the recommendations it confirmed
    simulated                 the portfolio simulation: the same trials drawn from the stored model
                              and seed, the same results byte for byte

A record of any other kind is a fact, not a derivation: `not-replayable`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Connection, select

from governance.canonical import canonical_text, decimal_text, to_plain
from governance.errors import GovernanceError, NotFoundError
from governance.financials import financials
from governance.gates import recommend
from governance.intake import screen
from governance.ledger import get_snapshot, iter_records
from governance.lifecycle import state_after_decision
from governance.policy import LoadedPolicy, policy_from_text
from governance.scoring import RatedAssessment, ScoreCard, Weights, gate_weights, score_proposal
from governance.store import Store
from models.assessment import Assessment
from models.decision import DecisionInput, ReviewAnswer
from models.policy import Policy
from models.proposal import Proposal
from models.records import (
    AhpWeightsSource,
    CriterionScore,
    DecidedPayload,
    DirectWeightsSource,
    GateCondition,
    LedgerRecord,
    MustMeetResult,
    RecommendedPayload,
    RecordPayloadError,
    ReviewedPayload,
    ReviewProposedPayload,
    ScoredFinancials,
    ScoredPayload,
    ScreenedOutPayload,
    ScreenedPayload,
    SelectedPayload,
    SimulatedPayload,
)
from models.tables import LedgerRow, PolicyRow, SnapshotRow

__all__ = [
    "REPLAYABLE",
    "Replay",
    "ReplayContext",
    "card_payload",
    "describe_replay",
    "recommendation_context",
    "recommendation_inputs",
    "replay_all",
    "replay_record",
    "replay_subject",
    "rescore",
]

REPLAYABLE = ("screened", "screened-out", "scored", "recommended", "decided", "selected", "reviewed", "simulated")


@dataclass(frozen=True, slots=True)
class Replay:
    seq: int
    kind: str
    subject: str
    status: str  # match | mismatch | not-replayable
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ReplayContext:
    """Policies by version and records by seq, loaded once per replay run."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._policies: dict[str, LoadedPolicy] = {}
        self._prefetched: dict[str, str] = {}
        self._weights: dict[tuple[int, int], tuple[Policy, Weights]] = {}  # the policy kept: its id stays its own

    def policy(self, version: str | None) -> LoadedPolicy:
        if version is None:
            raise NotFoundError("the record names no policy version")
        if version not in self._policies:
            text = self.conn.scalar(select(PolicyRow.content).where(PolicyRow.version == version))
            if text is None:
                raise NotFoundError(f"policy {version} is not stored")
            self._policies[version] = policy_from_text(text)
        return self._policies[version]

    def record(self, seq: int) -> LedgerRecord:
        for record in iter_records(self.conn, since_seq=seq, batch=1):
            if record.seq == seq:
                return record
            break
        raise NotFoundError(f"no ledger record {seq}")

    def inputs(self, record: LedgerRecord) -> Any:
        if record.inputs is None:
            raise NotFoundError(f"record {record.seq} has no input snapshot")
        text = self._prefetched.pop(record.inputs, None)
        return get_snapshot(self.conn, record.inputs) if text is None else json.loads(text)

    def prefetch(self, keys: Iterable[str]) -> None:
        """Read these snapshots in a few queries now; each is handed out once by `inputs` (a walk over many
        records reads a batch's snapshots together: one query per record was most of its time)."""
        wanted = sorted(set(keys) - self._prefetched.keys())
        for start in range(0, len(wanted), 500):
            rows = self.conn.execute(
                select(SnapshotRow.key, SnapshotRow.content).where(SnapshotRow.key.in_(wanted[start : start + 500]))
            )
            self._prefetched.update((str(k), str(c)) for k, c in rows)

    def forget(self) -> None:
        """Drop the prefetched snapshots not handed out."""
        self._prefetched.clear()

    def weights(self, policy: Policy, gate: int) -> Weights:
        """`gate_weights(policy, gate)`, derived once per policy and gate (an AHP eigenvector each)."""
        key = (id(policy), gate)
        if key not in self._weights:
            self._weights[key] = (policy, gate_weights(policy, gate))
        return self._weights[key][1]


def _same(expected: Any, recorded: Any) -> bool:
    return canonical_text(to_plain(expected)) == canonical_text(recorded)


def _first_difference(expected: Any, recorded: dict[str, Any]) -> str:
    plain = json.loads(canonical_text(to_plain(expected)))
    for key in sorted(set(plain) | set(recorded)):
        if plain.get(key) != recorded.get(key):
            mine, theirs = json.dumps(plain.get(key))[:200], json.dumps(recorded.get(key))[:200]
            return f"{key}: replay gives {mine}, the record says {theirs}"
    return "the payloads differ"


def _screened(ctx: ReplayContext, record: LedgerRecord) -> tuple[bool, str]:
    loaded = ctx.policy(record.policy_version)
    content = ctx.inputs(record)
    result = screen(Proposal.model_validate(content), loaded.policy, content)
    body = record.body
    assert isinstance(body, ScreenedPayload | ScreenedOutPayload), record.kind
    ok = result.passed == (record.kind == "screened") and _same(result.rules, body.rules)
    return ok, f"{len(result.rules)} must-meet rule(s), {'passed' if result.passed else 'failed'}"


def rescore(ctx: ReplayContext, record: LedgerRecord, policy: Policy) -> tuple[ScoreCard, bool]:
    """The score card of a `scored` record re-derived from its input snapshot under `policy`, and whether
    its payback and IRR follow the rules before issue 13 (as the recorded card's did)."""
    data = ctx.inputs(record)
    proposal = Proposal.model_validate(data["proposal"])
    items = [
        RatedAssessment("ledger", f"record {record.seq}", Assessment.model_validate(a)) for a in data["assessments"]
    ]
    if not items:
        raise NotFoundError(f"record {record.seq} has no assessments in its input snapshot")
    recorded = record.payload
    stored_financials = recorded.get("financials") if isinstance(recorded, dict) else None
    # A card without `financials_version` was made before issue 13: its payback and IRR follow the
    # earlier rules, and only those re-derive it.
    legacy = isinstance(stored_financials, dict) and "financials_version" not in stored_financials
    gate = items[0].assessment.gate
    fin = financials(proposal, policy.discount_rate, legacy=legacy)
    try:
        weights = ctx.weights(policy, gate)
    except GovernanceError:  # no such gate, or its weights unusable: score_proposal names it
        weights = None
    card = score_proposal(policy, record.subject, gate, items, fin, weights=weights)
    return card, legacy


_WEIGHTS_SOURCE: TypeAdapter[AhpWeightsSource | DirectWeightsSource] = TypeAdapter(
    AhpWeightsSource | DirectWeightsSource
)


def _stored(value: Any) -> Any:
    """A decimal as the payload reads it back from its stored text (80.00 is stored, and read, as 80)."""
    return Decimal(decimal_text(value)) if isinstance(value, Decimal) else value


def card_payload(card: ScoreCard) -> ScoredPayload:
    """A score card as the `scored` payload `recommend` reads, built without validating it again (its
    entries were made by the scorer, in the payload's own shapes): a third of a counterfactual's time was
    spent re-validating cards."""
    return ScoredPayload.model_construct(
        proposal_id=card.proposal_id,
        gate=card.gate,
        total=_stored(card.total),
        knocked_out=card.knocked_out,
        should_meet_passed=card.should_meet_passed,
        criteria=[CriterionScore.model_construct(**c) for c in card.criteria],
        must_meet=[MustMeetResult.model_construct(**m) for m in card.must_meet],
        weights_source=_WEIGHTS_SOURCE.validate_python(card.weights_source),
        assessors=card.assessors,
        flags=card.flags,
        financials=ScoredFinancials.model_construct(**{k: _stored(v) for k, v in card.financials.items()}),
    )


def _scored(ctx: ReplayContext, record: LedgerRecord) -> tuple[bool, str]:
    # Everything is derived from the inputs (the assessments name their gate), then the whole payload
    # is compared with the stored JSON, key by key: a forged payload need not fit the model to be named.
    card, legacy = rescore(ctx, record, ctx.policy(record.policy_version).policy)
    recorded = record.payload
    expected = card.as_dict()
    rules = " (payback and IRR by the rules before issue 13, as the card was made)" if legacy else ""
    if _same(expected, recorded):
        return True, f"score {card.total}{rules}"
    return False, _first_difference(expected, recorded) + rules


def recommendation_inputs(
    ctx: ReplayContext, record: LedgerRecord
) -> tuple[ScoredPayload, list[GateCondition], dt.date]:
    """What a `recommended` record was derived from: the score card, the open conditions, the day."""
    data = ctx.inputs(record)
    return (ScoredPayload.model_validate(data["score_card"]), *_conditions_and_day(data))


def recommendation_context(ctx: ReplayContext, record: LedgerRecord) -> tuple[list[GateCondition], dt.date]:
    """A `recommended` record's open conditions and day, without its score card (a counterfactual brings its
    own card: reading the stored one through its model was a fifth of its time)."""
    return _conditions_and_day(ctx.inputs(record))


def _conditions_and_day(data: Any) -> tuple[list[GateCondition], dt.date]:
    return [GateCondition.model_validate(c) for c in data["open_conditions"]], dt.date.fromisoformat(data["today"])


def _recommended(ctx: ReplayContext, record: LedgerRecord) -> tuple[bool, str]:
    loaded = ctx.policy(record.policy_version)
    rec = recommend(loaded.policy, *recommendation_inputs(ctx, record))
    recorded = record.body_as(RecommendedPayload).recommendation
    ok = _same(rec.payload(), recorded)
    return ok, f"{rec.outcome}" if ok else _first_difference(rec.payload(), to_plain(recorded))


def _decided(ctx: ReplayContext, record: LedgerRecord) -> tuple[bool, str]:
    from governance.board import recusals, tally
    from governance.signatures import signature_problems

    loaded = ctx.policy(record.policy_version)
    data = ctx.inputs(record)
    decision = DecisionInput.model_validate(data["decision"])
    scored = ctx.record(RecommendedPayload.model_validate(data["recommendation"]).scored_seq)
    proposal = Proposal.model_validate(ctx.inputs(scored)["proposal"])
    recused = recusals(loaded.policy, proposal.submitter, proposal.sponsor, decision.conflicts)
    result = tally(loaded.policy.board, decision.votes)
    last = decision.gate == len(loaded.policy.gates)
    expected = {
        "outcome": decision.outcome,
        "recused": recused,
        "tally": result.as_dict(),
        "dissent": sorted(v.member for v in decision.votes if v.outcome != decision.outcome),
        "state_after": state_after_decision(decision.outcome, last),
    }
    body = record.body_as(DecidedPayload)
    recorded = to_plain(
        {
            "outcome": body.outcome,
            "recused": body.recused,
            "tally": body.tally,
            "dissent": body.dissent,
            "state_after": body.state_after,
        }
    )
    problems = []
    if result.supported != decision.outcome:
        problems.append(f"the votes do not support {decision.outcome} ({result.describe()})")
    if len(decision.votes) < loaded.policy.board.quorum:
        problems.append(f"no quorum ({len(decision.votes)} < {loaded.policy.board.quorum})")
    barred = sorted(v.member for v in decision.votes if v.member in recused)
    if barred:
        problems.append(f"recused members voted: {', '.join(barred)}")
    if not _same(expected, recorded):
        problems.append(_first_difference(expected, recorded))
    problems.extend(signature_problems(loaded.policy, decision))
    if decision.signatures != body.signatures:
        problems.append("the recorded signatures differ from the decision's")
    return not problems, "; ".join(problems) or f"{decision.outcome}: {result.describe()}"


def _selected(ctx: ReplayContext, record: LedgerRecord) -> tuple[bool, str]:
    from governance.selection import problem_from_snapshot, replay_agrees, solve

    problem = problem_from_snapshot(ctx.inputs(record))
    # Only the selection is compared (the objective within the gap): the frontier is not re-solved.
    result = solve(problem, frontier=False)
    recorded = record.body_as(SelectedPayload).to_result()
    ok = replay_agrees(recorded, result)
    if result.status != recorded.status:
        return False, f"status: replay gives {result.status}, the record says {recorded.status}"
    same_set = "same selection" if result.selected == recorded.selected else "another selection of that value"
    return ok, f"objective {result.objective} vs recorded {recorded.objective} within the gap ({same_set})"


def _reviewed(ctx: ReplayContext, record: LedgerRecord) -> tuple[bool, str]:
    from governance.review import review_outcomes

    body = record.body_as(ReviewedPayload)
    confirmed = ctx.record(body.confirmed_seq)
    data = ctx.inputs(confirmed)
    proposed = ReviewProposedPayload.model_validate(data["proposed"])
    outcomes = {o.id: o for o in review_outcomes(proposed, ReviewAnswer.model_validate(data["answer"]))}
    expected = outcomes.get(record.subject)
    if expected is None:
        return False, f"{record.subject} is not in the review it names"
    ok = (expected.outcome, expected.recommended, expected.overridden, expected.rationale, expected.state_after) == (
        body.outcome,
        body.recommended,
        body.overridden,
        body.rationale,
        body.state_after,
    )
    return ok, f"{expected.outcome} ({'override' if expected.overridden else 'as recommended'})"


def _simulated(ctx: ReplayContext, record: LedgerRecord) -> tuple[bool, str]:
    from governance.risk import replay_simulated

    return replay_simulated(ctx.inputs(record), record.body_as(SimulatedPayload))


_REPLAYERS = {
    "screened": _screened,
    "screened-out": _screened,
    "scored": _scored,
    "recommended": _recommended,
    "decided": _decided,
    "selected": _selected,
    "reviewed": _reviewed,
    "simulated": _simulated,
}


def _replay(ctx: ReplayContext, record: LedgerRecord) -> Replay:
    replayer = _REPLAYERS.get(record.kind)
    if replayer is None:
        return Replay(record.seq, record.kind, record.subject, "not-replayable", "a fact, not a derivation")
    try:
        ok, detail = replayer(ctx, record)
    except NotFoundError as missing:
        return Replay(record.seq, record.kind, record.subject, "mismatch", missing.message)
    except RecordPayloadError as unfit:  # a payload the engine would not have written
        return Replay(record.seq, record.kind, record.subject, "mismatch", str(unfit))
    return Replay(record.seq, record.kind, record.subject, "match" if ok else "mismatch", detail)


@contextlib.contextmanager
def describe_replay(store: Store) -> Iterator[Callable[[LedgerRecord], str]]:
    """A function giving each record's replay result as one line (for the audit extract)."""
    with store.read() as conn:
        ctx = ReplayContext(conn)

        def describe(record: LedgerRecord) -> str:
            result = _replay(ctx, record)
            return result.status if result.status == "not-replayable" else f"{result.status}: {result.detail}"

        yield describe


def replay_record(store: Store, seq: int) -> Replay:
    """Replay one ledger record by its sequence number."""
    with store.read() as conn:
        ctx = ReplayContext(conn)
        return _replay(ctx, ctx.record(seq))


def replay_subject(store: Store, subject: str) -> list[Replay]:
    """Replay every replayable record about one proposal, project or quarter (`Q-2026Q4`)."""
    with store.read() as conn:
        ctx = ReplayContext(conn)
        seqs = list(
            conn.scalars(
                select(LedgerRow.seq)
                .where(LedgerRow.subject == subject, LedgerRow.kind.in_(REPLAYABLE))
                .order_by(LedgerRow.seq)
            )
        )
        if not seqs:
            raise NotFoundError(f"no replayable records about {subject!r}")
        return [_replay(ctx, ctx.record(s)) for s in seqs]


def replay_all(store: Store) -> Iterator[Replay]:
    """Replay every replayable record in ledger order."""
    with store.read() as conn:
        ctx = ReplayContext(conn)
        seqs = list(conn.scalars(select(LedgerRow.seq).where(LedgerRow.kind.in_(REPLAYABLE)).order_by(LedgerRow.seq)))
        for seq in seqs:
            yield _replay(ctx, ctx.record(seq))
