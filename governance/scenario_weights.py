"""A scenario's criterion weights (`governance scenario create --weight CRITERION=W`).

Each candidate's score is re-computed from its newest score card on file: every criterion on the card
keeps its score (the mean rating normalised to 0-100) and its weight, except the criteria given, which
take the weight given; the weights are re-normalised over the card's criteria (so a weight is relative:
`--weight market=0.5` beside the card's own weights, which sum to 1), and the score is the weighted mean,
rounded to 0.01 as a score card's total is. A candidate without a score card keeps its score. The
weights change the selection only where the value measure is `score`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import Connection, select

from governance.errors import Problem
from models.policy import Policy
from models.records import ScoredPayload, parse_payload
from models.selection import SelectionProblem
from models.tables import LedgerRow

__all__ = ["card_score", "reweighted", "weight_problems"]

_SCORE = Decimal("0.01")


def weight_problems(policy: Policy, weights: Mapping[str, Decimal]) -> list[Problem]:
    """What is wrong with the weights given: an unknown criterion, a weight that is not a number >= 0."""
    known = sorted(c.id for c in policy.criteria if c.kind != "must-meet")
    problems = []
    for cid, weight in weights.items():
        if cid not in known:
            message = f"no scored criterion {cid} ({', '.join(known)})"
            problems.append(Problem("command line", "--weight", cid, "unknown-reference", message))
        elif not weight.is_finite() or weight < 0 or weight.adjusted() >= 6:
            problems.append(Problem("command line", "--weight", cid, "out-of-range", "a weight is a number >= 0"))
    return problems


def card_score(card: ScoredPayload, weights: Mapping[str, Decimal]) -> Decimal:
    """The card's total with `weights` replacing its criteria's weights, re-normalised over its criteria."""
    given = {c.id: weights.get(c.id, c.weight) for c in card.criteria}
    total = sum(given.values(), Decimal(0))
    if total == 0:
        return Decimal(0)
    weighted = sum((given[c.id] * c.score for c in card.criteria), Decimal(0))
    return (weighted / total).quantize(_SCORE, rounding=ROUND_HALF_EVEN)


def reweighted(conn: Connection, problem: SelectionProblem, weights: Mapping[str, Decimal]) -> SelectionProblem:
    """The problem with each candidate's score re-computed from its newest score card under `weights`."""
    if not weights:
        return problem
    ids = [c.id for c in problem.candidates]
    cards: dict[str, ScoredPayload] = {}
    for start in range(0, len(ids), 500):
        for subject, payload in conn.execute(
            select(LedgerRow.subject, LedgerRow.payload)
            .where(LedgerRow.kind == "scored", LedgerRow.subject.in_(ids[start : start + 500]))
            .order_by(LedgerRow.seq)
        ):
            card = parse_payload("scored", payload)
            assert isinstance(card, ScoredPayload)
            cards[subject] = card  # the newest wins
    return replace(
        problem,
        candidates=tuple(
            c.model_copy(update={"score": card_score(cards[c.id], weights)}) if c.id in cards else c
            for c in problem.candidates
        ),
    )
