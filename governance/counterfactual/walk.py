"""The walk over the ledger, and its gate steps: screening, score cards, recommendations, board decisions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import Connection

from governance.counterfactual.result import FUNDED, HOLDS, RECORD_KINDS, Counterfactual, Difference, number
from governance.errors import GovernanceError, InputRefused
from governance.gates import Recommendation, gate_of, recommend
from governance.intake import screen
from governance.policy import LoadedPolicy
from governance.replay import ReplayContext, card_payload, recommendation_context, rescore
from models.policy import Policy
from models.proposal import Proposal
from models.records import (
    DecidedPayload,
    LedgerRecord,
    RecommendedPayload,
    RecordPayloadError,
    ScoredPayload,
    ScreenedOutPayload,
    ScreenedPayload,
)

__all__ = ["Walk"]


class Walk:
    """One pass over the ledger in order, keeping what later records are compared with."""

    def __init__(self, conn: Connection, draft: LoadedPolicy, kinds: Sequence[str], since: dt.date | None) -> None:
        self.ctx = ReplayContext(conn)
        self.draft = draft
        self.policy: Policy = draft.policy
        self.kinds = kinds
        self.since = since
        self.cards: dict[int, ScoredPayload | GovernanceError] = {}
        # subject -> (recommended seq, as recorded, under the draft); review (quarter, project) -> the same
        self.recommended: dict[str, tuple[int, str, str | None]] = {}
        self.reviewed: dict[tuple[str, str], tuple[str, str | None]] = {}
        self.reports: dict[tuple[str, str], str] = {}  # (project, quarter) -> its newest report's snapshot
        self.result = Counterfactual(draft.policy.name, draft.version, since, tuple(kinds))

    # -- helpers --------------------------------------------------------------------------------
    def listed(self, record: LedgerRecord) -> bool:
        if self.since is not None and record.recorded_at.date() < self.since:
            return False
        return RECORD_KINDS[record.kind] in self.kinds

    def add(self, difference: Difference) -> None:
        self.result.differences.append(difference)

    def count(self, kind: str) -> None:
        self.result.examined[kind] = self.result.examined.get(kind, 0) + 1

    def refused(self, record: LedgerRecord, kind: str, was: str, error: GovernanceError | RecordPayloadError) -> None:
        message = error.message if isinstance(error, GovernanceError) else str(error)
        if isinstance(error, InputRefused) and error.problems:  # the stored inputs, as the draft reads them
            first = error.problems[0]
            more = f" (and {len(error.problems) - 1} more)" if len(error.problems) > 1 else ""
            message = f"the draft cannot re-derive it: {first.field}: {first.message}{more}"
        self.add(Difference(record.seq, kind, record.subject, was, "?", "not re-derivable", message))

    # -- screening ------------------------------------------------------------------------------
    def screened(self, record: LedgerRecord) -> None:
        self.count("screening")
        content = self.ctx.inputs(record)
        result = screen(Proposal.model_validate(content), self.policy, content)
        new = "screened" if result.passed else "screened-out"
        if new == record.kind:  # the kind says how it was screened: the payload is read only when it differs
            return
        body = record.body
        assert isinstance(body, ScreenedPayload | ScreenedOutPayload), record.kind
        before = {r.id: r.passed for r in body.rules}
        why = [
            f"must-meet rule {r.id} now fails ({'; '.join(r.because)})"
            for r in result.rules
            if not r.passed and before.get(r.id, True)
        ]
        after = {r.id: r.passed for r in result.rules}
        why += [
            f"must-meet rule {rid} " + ("now passes" if rid in after else "is not in the draft")
            for rid, passed in before.items()
            if not passed and after.get(rid, True)
        ]
        self.add(
            Difference(
                record.seq, "screening", record.subject, record.kind, new, f"{record.kind}->{new}", "; ".join(why)
            )
        )

    # -- scores ---------------------------------------------------------------------------------
    def draft_card(self, seq: int, record: LedgerRecord | None = None) -> ScoredPayload | GovernanceError:
        """The draft's score card for the `scored` record `seq` (`record`, when at hand), made once."""
        if seq not in self.cards:
            try:
                card, _ = rescore(self.ctx, record or self.ctx.record(seq), self.policy)
                self.cards[seq] = card_payload(card)
            except GovernanceError as error:
                self.cards[seq] = error
        return self.cards[seq]

    def scored(self, record: LedgerRecord) -> None:
        body = record.body_as(ScoredPayload)
        card = self.draft_card(record.seq, record)
        if not self.listed(record):
            return
        self.count("scores")
        if isinstance(card, GovernanceError):
            self.refused(record, "score", str(body.total), card)
            return
        if card.total == body.total and card.knocked_out == body.knocked_out:
            return
        was = {c.id: c for c in body.criteria}
        why = [f"weighted score {card.total} under the draft (was {body.total})"]
        for c in card.criteria:
            old = was.get(c.id)
            if old is None:
                why.append(f"criterion {c.id} is new, weight {c.weight}")
            elif old.weight != c.weight:
                why.append(f"weight of {c.id} {c.weight} (was {old.weight})")
        why += [f"criterion {cid} is not in the draft" for cid in was if cid not in {c.id for c in card.criteria}]
        if card.knocked_out != body.knocked_out:
            why.append(
                "a must-meet criterion " + ("now knocks it out" if card.knocked_out else "no longer knocks it out")
            )
        self.add(
            Difference(record.seq, "score", record.subject, str(body.total), str(card.total), "score", "; ".join(why))
        )

    # -- recommendations and the board ----------------------------------------------------------
    def _why_recommendation(
        self, record: LedgerRecord, card: ScoredPayload, old_total: Decimal, rec: Recommendation
    ) -> str:
        why = list(rec.reasons)
        if card.total != old_total:
            why.append(f"score {card.total} under the draft (was {old_total})")
        recorded = self.ctx.policy(record.policy_version).policy
        try:
            before = gate_of(recorded, card.gate).thresholds
        except GovernanceError:
            return "; ".join(why)
        after = gate_of(self.policy, card.gate).thresholds
        for name, label in (("go", "go"), ("conditional_go", "conditional-go"), ("kill_below", "kill")):
            new, old = getattr(after, name), getattr(before, name)
            if new != old:
                why.append(f"{label} threshold {number(new)} under the draft (was {number(old)})")
        return "; ".join(why)

    def recommended_(self, record: LedgerRecord) -> None:
        body = record.body_as(RecommendedPayload)
        was = body.recommendation.outcome
        conditions, today = recommendation_context(self.ctx, record)
        card = self.draft_card(body.scored_seq)
        listed = self.listed(record)
        if listed:
            self.count("recommendations")
        if isinstance(card, GovernanceError):
            self.recommended[record.subject] = (record.seq, was, None)
            if listed:
                self.refused(record, "recommendation", was, card)
            return
        try:
            rec = recommend(self.policy, card, conditions, today)
        except GovernanceError as error:
            self.recommended[record.subject] = (record.seq, was, None)
            if listed:
                self.refused(record, "recommendation", was, error)
            return
        self.recommended[record.subject] = (record.seq, was, rec.outcome)
        if rec.outcome == was or not listed:
            return
        crosses = (was in FUNDED) != (rec.outcome in FUNDED)
        cost = card.financials.development + card.financials.launch if crosses else None
        change = "hold change" if was in HOLDS and rec.outcome in HOLDS else f"{was}->{rec.outcome}"
        why = self._why_recommendation(record, card, body.score, rec)
        self.add(Difference(record.seq, "recommendation", record.subject, was, rec.outcome, change, why, cost))

    def decided(self, record: LedgerRecord) -> None:
        body = record.body_as(DecidedPayload)
        known = self.recommended.get(record.subject)
        if known is None or known[2] is None or not self.listed(record):
            return
        self.board(record, body.outcome, known[1], known[2], f"gate {body.gate}")

    def board(self, record: LedgerRecord, decided: str, was: str, would_be: str, what: str) -> None:
        if (decided == was) == (decided == would_be):
            return
        if decided == was:
            change = "board no longer matches"
            why = f"the board decided {decided} at {what} as recommended; the draft recommends {would_be}"
        else:
            change = "board now matches"
            why = f"the board decided {decided} at {what} against the recommended {was}; the draft recommends it"
        self.add(Difference(record.seq, "board", record.subject, was, would_be, change, why))
