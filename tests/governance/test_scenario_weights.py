"""A scenario's criterion weights (governance.scenario_weights): each score card's total re-computed as the
weighted mean of its criteria's scores, the weights given replacing the card's; bad weights named."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from governance.scenario_weights import card_score, weight_problems
from models.records import ScoredPayload

from .review.conftest import stage_gate_data

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ledger-before-redesign.jsonl"
CARDS = [
    ScoredPayload.model_validate_json(r["payload"])
    for r in map(json.loads, FIXTURE.read_text(encoding="utf-8").splitlines())
    if r["kind"] == "scored"
]
WEIGHTS = st.decimals(min_value=0, max_value=10, places=3, allow_nan=False, allow_infinity=False)


def test_a_card_s_own_weights_give_its_total() -> None:
    assert len(CARDS) > 5
    for card in CARDS:
        assert abs(card_score(card, {}) - card.total) <= Decimal("0.01"), card.proposal_id


@given(st.sampled_from(CARDS), st.data())
def test_a_re_weighted_score_is_a_weighted_mean_of_the_card_s_scores(card: ScoredPayload, data: st.DataObject) -> None:
    weights = data.draw(st.dictionaries(st.sampled_from([c.id for c in card.criteria]), WEIGHTS))
    score = card_score(card, weights)
    given_weights = [weights.get(c.id, c.weight) for c in card.criteria]
    if sum(given_weights) == 0:
        assert score == 0
        return
    scores = [c.score for c, w in zip(card.criteria, given_weights, strict=True) if w > 0]
    assert min(scores) - Decimal("0.01") <= score <= max(scores) + Decimal("0.01")
    # Only one criterion weighted: the score is that criterion's.
    only = card.criteria[0]
    alone = {c.id: (Decimal(1) if c.id == only.id else Decimal(0)) for c in card.criteria}
    assert card_score(card, alone) == only.score.quantize(Decimal("0.01"))


def test_weights_for_unknown_criteria_or_not_numbers_at_least_zero_are_named() -> None:
    from governance.policy import _from_data

    policy = _from_data(stage_gate_data(), "stage-gate").policy
    known = sorted(c.id for c in policy.criteria if c.kind != "must-meet")
    problems = weight_problems(policy, {"luck": Decimal(1), known[0]: Decimal(-1), known[1]: Decimal("0.5")})
    assert [str(p) for p in problems] == [
        f"command line, --weight, luck: no scored criterion luck ({', '.join(known)}) [unknown-reference]",
        f"command line, --weight, {known[0]}: a weight is a number >= 0 [out-of-range]",
    ]
