"""Gates: recording score cards and the recommendation at a proposal's next gate.

The recommendation rule, in order:
    an open condition past its due date   -> hold      (it blocks the next gate)
    a must-meet criterion not confirmed   -> kill
    score < kill_below                    -> kill
    score >= go and should-meets pass     -> go
    score >= conditional_go               -> conditional go
    otherwise                             -> recycle   (back to the submitter to improve)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from governance.adoption import current_policy
from governance.authority import Actor, authorise
from governance.calendar import today_in
from governance.canonical import canonical_text, sha256_hex, to_plain
from governance.errors import Forbidden, IdentityError, InputRefused, NotFoundError, Problem, TransitionError
from governance.financials import financials
from governance.intake import find_proposal
from governance.ledger import Ledger, NewRecord, get_snapshot, latest_record
from governance.lifecycle import GATEABLE, check_transition
from governance.people import Directory
from governance.policy import LoadedPolicy
from governance.scoring import RatedAssessment, ScoreCard, gate_weights, score_proposal
from governance.store import Store
from models.decision import Outcome
from models.policy import Gate, Policy
from models.proposal import Proposal
from models.records import (
    ConditionClosedPayload,
    DecidedPayload,
    GateCondition,
    GateRecommendation,
    RecommendedPayload,
    RecordPayload,
    ScoredPayload,
    SupersededPayload,
    parse_payload,
)
from models.tables import LedgerRow

__all__ = [
    "CONDITION_KINDS",
    "Recommendation",
    "fold_conditions",
    "gate_of",
    "open_conditions",
    "recommend",
    "record_recommendation",
    "record_scores",
]


@dataclass(frozen=True, slots=True)
class Recommendation:
    outcome: Outcome
    reasons: list[str]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def payload(self) -> GateRecommendation:
        """As the `recommendation` of a `recommended` payload."""
        return GateRecommendation(outcome=self.outcome, reasons=self.reasons)


def gate_of(policy: Policy, number: int) -> Gate:
    for gate in policy.gates:
        if gate.number == number:
            return gate
    raise TransitionError(f"policy {policy.name} has no gate {number} (it has {len(policy.gates)})")


def recommend(
    policy: Policy, card: ScoredPayload, conditions: Sequence[GateCondition], today: dt.date
) -> Recommendation:
    """The gate's recommendation for a score card (the `scored` payload) and the open conditions."""
    gate = gate_of(policy, card.gate)
    t = gate.thresholds
    total = card.total
    overdue = [c for c in conditions if c.due < today]
    if overdue:
        return Recommendation(
            "hold",
            [f"condition {c.id} ({c.text}; owner {c.owner}) was due {c.due} and is still open" for c in overdue],
        )
    failed = [m.name for m in card.must_meet if not m.met]
    if failed:
        return Recommendation("kill", [f"must-meet not met: {name}" for name in failed])
    if total < t.kill_below:
        return Recommendation("kill", [f"score {total} < kill threshold {t.kill_below}"])
    weak = [c.id for c in card.criteria if c.passed is False]
    if total >= t.go and not weak:
        return Recommendation("go", [f"score {total} >= {t.go}; must-meet {len(card.must_meet)}/{len(card.must_meet)}"])
    if total >= t.conditional_go:
        reasons = [f"score {total} >= {t.conditional_go}" + (f" but < {t.go}" if total < t.go else "")]
        reasons += [f"should-meet {cid} below its pass threshold" for cid in weak]
        return Recommendation("conditional-go", reasons)
    return Recommendation("recycle", [f"score {total} < {t.conditional_go}: back to the submitter to strengthen"])


CONDITION_KINDS = ("decided", "condition-closed", "superseded")
"""The record kinds that open, void or close a proposal's conditions (what `fold_conditions` reads)."""


def open_conditions(conn: Connection, proposal_id: str) -> list[GateCondition]:
    """Conditions of conditional-go decisions on this proposal not yet closed (nor superseded)."""
    rows = conn.execute(
        select(LedgerRow.seq, LedgerRow.kind, LedgerRow.payload)
        .where(LedgerRow.subject == proposal_id, LedgerRow.kind.in_(CONDITION_KINDS))
        .order_by(LedgerRow.seq)
    )
    return fold_conditions([(seq, parse_payload(kind, payload)) for seq, kind, payload in rows])


def fold_conditions(records: Sequence[tuple[int, RecordPayload]]) -> list[GateCondition]:
    """The open conditions after one proposal's `decided`, `superseded` and `condition-closed` records
    (seq, payload), in ledger order; records of other kinds are passed over."""
    conditions: dict[str, GateCondition] = {}
    by_decision: dict[int, list[str]] = {}
    for seq, body in records:
        if isinstance(body, DecidedPayload):
            for c in body.conditions:
                conditions[c.id] = c
                by_decision.setdefault(seq, []).append(c.id)
        elif isinstance(body, SupersededPayload):
            for cid in by_decision.get(body.superseded_seq, []):
                conditions.pop(cid, None)
        elif isinstance(body, ConditionClosedPayload):
            conditions.pop(body.condition_id, None)
    return list(conditions.values())


def _proposal(conn: Connection, snapshot: str) -> Proposal:
    return Proposal.model_validate(get_snapshot(conn, snapshot))


def _assessor_problem(policy: Policy, directory: Directory, item: RatedAssessment, row: Any) -> Problem | None:
    """An assessor must be one of the policy's people whom the role matrix lets assess, and not the
    proposal's submitter or sponsor."""
    try:
        person = directory.member(item.assessment.assessor, what="assessor")
        authorise(policy, Actor.of(person.id), "assess", directory=directory)
    except (IdentityError, Forbidden) as exc:
        return Problem(item.file, item.label, "assessor", exc.code, exc.message)  # type: ignore[arg-type]
    if person.id in directory.ids(row.submitter, row.sponsor):
        return Problem(
            item.file,
            item.label,
            "assessor",
            "recused",
            f"{person.id} submitted or sponsors {row.id} and may not assess it",
        )
    return None


def record_scores(
    store: Store, ledger: Ledger, items: Sequence[RatedAssessment], actor: str, *, dry_run: bool = False
) -> list[tuple[str, ScoreCard]]:
    """Score every proposal the assessments name, at its next gate; one `scored` record each.

    All assessments are checked first (unknown proposal, wrong gate, proposal not ready to be
    scored, missing ratings): any problem refuses the whole batch and nothing is written. With
    `dry_run`, only the checks run and the score cards come back unrecorded.
    """
    with store.write() as conn:
        loaded = current_policy(conn)
        directory = Directory.of(loaded.policy)
        grouped: dict[str, list[RatedAssessment]] = {}
        rows: dict[str, Any] = {}
        problems: list[Problem] = []
        for item in items:
            a = item.assessment
            try:
                row = find_proposal(conn, a.proposal)
            except NotFoundError:
                problems.append(
                    Problem(item.file, item.label, "proposal", "unknown-reference", f"no proposal {a.proposal}")
                )
                continue
            if row.state not in GATEABLE:
                problems.append(
                    Problem(
                        item.file,
                        item.label,
                        "proposal",
                        "closed-proposal",
                        f"{row.id} is {row.state}: it cannot be scored now",
                    )
                )
                continue
            if a.gate != row.gate:
                problems.append(
                    Problem(
                        item.file, item.label, "gate", "invalid-value", f"{row.id} is at gate {row.gate}, not {a.gate}"
                    )
                )
                continue
            problem = _assessor_problem(loaded.policy, directory, item, row)
            if problem is not None:
                problems.append(problem)
                continue
            rows[row.id] = row
            grouped.setdefault(row.id, []).append(item)
        cards: list[tuple[str, ScoreCard]] = []
        weights: dict[int, tuple[dict[str, Decimal], dict[str, Any]]] = {}
        for pid in sorted(grouped):
            row = rows[pid]
            proposal = _proposal(conn, row.snapshot)
            if row.gate not in weights:
                weights[row.gate] = gate_weights(loaded.policy, row.gate)
            try:
                card = score_proposal(
                    loaded.policy,
                    pid,
                    row.gate,
                    grouped[pid],
                    financials(proposal, loaded.policy.discount_rate),
                    weights=weights[row.gate],
                )
            except InputRefused as refused:
                problems.extend(refused.problems)
                continue
            cards.append((pid, card))
        if problems:
            raise InputRefused(problems)
        if dry_run:
            return cards
        for pid, card in cards:
            row = rows[pid]
            check_transition(pid, row.state, "scored")
            inputs = {
                "proposal": get_snapshot(conn, row.snapshot),
                "assessments": [
                    to_plain(i.assessment) for i in sorted(grouped[pid], key=lambda i: i.assessment.assessor)
                ],
            }
            if row.state == "scored" and _same_card(conn, pid, loaded.version, inputs):
                continue  # the same command again (after a crash, or twice): the card is on file already
            ledger.append_for_proposal(
                conn,
                NewRecord(
                    kind="scored",
                    subject=pid,
                    outcome=str(card.total),
                    policy_version=loaded.version,
                    payload=ScoredPayload.model_validate(card.as_dict()),
                    inputs=inputs,
                ),
                actor,
                state="scored",
            )
        return cards


def _same_card(conn: Connection, pid: str, policy_version: str, inputs: dict[str, Any]) -> bool:
    """Whether the proposal's latest score card was made from these very inputs under this policy."""
    latest = latest_record(conn, pid, "scored")
    return (
        latest is not None
        and latest.policy_version == policy_version
        and latest.inputs == sha256_hex(canonical_text(inputs))
    )


def record_recommendation(store: Store, ledger: Ledger, ident: str, actor: str) -> tuple[str, int, Recommendation]:
    """Evaluate a scored proposal at its next gate and record the recommendation."""
    with store.write() as conn:
        loaded: LoadedPolicy = current_policy(conn)
        row = find_proposal(conn, ident)
        if row.state == "awaiting-decision":
            existing = latest_record(conn, row.id, "recommended")
            assert existing is not None
            given = existing.body_as(RecommendedPayload).recommendation
            return row.id, row.gate, Recommendation(given.outcome, list(given.reasons))
        check_transition(row.id, row.state, "recommended")
        scored = latest_record(conn, row.id, "scored")
        if scored is None:  # pragma: no cover - the lifecycle guarantees a score card in state "scored"
            raise TransitionError(f"{row.id} has no score card")
        card = scored.body_as(ScoredPayload)
        conditions = open_conditions(conn, row.id)
        today = today_in(loaded.policy, ledger.clock.now())
        rec = recommend(loaded.policy, card, conditions, today)
        gate = gate_of(loaded.policy, row.gate)
        payload = RecommendedPayload(
            gate=row.gate,
            gate_name=gate.name,
            enters=gate.enters,
            deliverables=gate.deliverables,
            recommendation=rec.payload(),
            score=card.total,
            ecv=card.financials.ecv,
            scored_seq=scored.seq,
            open_conditions=conditions,
        )
        ledger.append_for_proposal(
            conn,
            NewRecord(
                kind="recommended",
                subject=row.id,
                outcome=rec.outcome,
                policy_version=loaded.version,
                payload=payload,
                inputs={"score_card": card, "open_conditions": conditions, "today": today.isoformat()},
            ),
            actor,
            state="awaiting-decision",
        )
        return row.id, row.gate, rec
