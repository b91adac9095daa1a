from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.errors import InputRefused, Problem
from governance.financials import financials
from governance.policy import LoadedPolicy, load_policy
from governance.scoring import RatedAssessment, gate_weights, score_proposal
from models.assessment import Assessment
from models.proposal import Proposal

from .test_intake import proposal as proposal_data

IT = load_policy("it-demand")
GATE1 = ["business-value", "urgency", "architecture-fit"]


def _rated(
    assessor: str, ratings: dict[str, Any], must_meet: dict[str, bool] | None = None, gate: int = 1
) -> RatedAssessment:
    return RatedAssessment(
        f"{assessor}.yaml",
        "record 1",
        Assessment(proposal="P-2026-0001", gate=gate, assessor=assessor, ratings=ratings, must_meet=must_meet or {}),
    )


FIN = financials(Proposal.model_validate(proposal_data(bucket="run", objectives=["efficiency"])), Decimal("0.06"))


def test_direct_weights_are_renormalised_over_the_gate() -> None:
    weights, source = gate_weights(IT.policy, 1)
    # business-value 0.40, urgency 0.25, architecture-fit 0.20 -> / 0.85
    assert weights == {
        "business-value": Decimal("0.470588"),
        "urgency": Decimal("0.294118"),
        "architecture-fit": Decimal("0.235294"),
    }
    assert source == {"method": "direct"}


def test_ahp_weights_from_the_stage_gate_policy(stage_gate: LoadedPolicy) -> None:
    weights, source = gate_weights(stage_gate.policy, 1)
    assert source == {"method": "ahp", "consistency_ratio": Decimal("0.0144"), "lambda_max": Decimal("7.1144")}
    assert list(weights) == ["strategic-fit", "market-attractiveness"]
    assert sum(weights.values()) == Decimal(1)


def test_score_card_explains_every_contribution() -> None:
    card = score_proposal(
        IT.policy,
        "P-2026-0001",
        1,
        [
            _rated("raj", {"business-value": 8, "urgency": 6, "architecture-fit": 9}),
            _rated("ana", {"business-value": 4, "urgency": 7, "architecture-fit": 9}),
        ],
        FIN,
    )
    assert card.as_dict() == {
        "proposal_id": "P-2026-0001",
        "gate": 1,
        "total": Decimal("68.53"),  # 0.470588 * 60 + 0.294118 * 65 + 0.235294 * 90
        "knocked_out": False,
        "should_meet_passed": True,
        "criteria": [
            {
                "id": "business-value",
                "name": "Business value",
                "kind": "scored",
                "weight": Decimal("0.470588"),
                "ratings": {"ana": Decimal(4), "raj": Decimal(8)},
                "mean": Decimal("6.00"),
                "score": Decimal("60.00"),
                "spread": Decimal("40.00"),
                "spread_flagged": True,
                "contribution": Decimal("28.24"),
                "passed": None,
            },
            {
                "id": "urgency",
                "name": "Urgency and risk of not doing it",
                "kind": "scored",
                "weight": Decimal("0.294118"),
                "ratings": {"ana": Decimal(7), "raj": Decimal(6)},
                "mean": Decimal("6.50"),
                "score": Decimal("65.00"),
                "spread": Decimal("10.00"),
                "spread_flagged": False,
                "contribution": Decimal("19.12"),
                "passed": None,
            },
            {
                "id": "architecture-fit",
                "name": "Fit with target architecture",
                "kind": "scored",
                "weight": Decimal("0.235294"),
                "ratings": {"ana": Decimal(9), "raj": Decimal(9)},
                "mean": Decimal("9.00"),
                "score": Decimal("90.00"),
                "spread": Decimal("0.00"),
                "spread_flagged": False,
                "contribution": Decimal("21.18"),
                "passed": None,
            },
        ],
        "must_meet": [],
        "weights_source": {
            "method": "direct",
            "weights": {
                "business-value": Decimal("0.470588"),
                "urgency": Decimal("0.294118"),
                "architecture-fit": Decimal("0.235294"),
            },
        },
        "assessors": ["ana", "raj"],
        "flags": ["business-value: assessors differ by 40.00 points (threshold 35)"],
        "financials": FIN.as_dict(),
    }


def test_missing_ratings_are_errors_not_zeros() -> None:
    with pytest.raises(InputRefused) as refused:
        score_proposal(
            IT.policy,
            "P-2026-0001",
            2,
            [
                _rated("raj", {"business-value": 8, "urgency": 11, "speed": 3}, {}, gate=2),
                _rated("raj", {"business-value": 8}, {}, gate=2),
            ],
            FIN,
        )
    assert refused.value.problems == (
        Problem("raj.yaml", "record 1", "ratings.urgency", "out-of-range", "rating 11 exceeds the scale maximum 10"),
        Problem(
            "raj.yaml", "record 1", "ratings.architecture-fit", "missing", "no rating for architecture-fit at gate 2"
        ),
        Problem(
            "raj.yaml",
            "record 1",
            "ratings.delivery-confidence",
            "missing",
            "no rating for delivery-confidence at gate 2",
        ),
        Problem("raj.yaml", "record 1", "ratings.speed", "unknown-field", "speed is not rated at gate 2"),
        Problem(
            "raj.yaml",
            "record 1",
            "must_meet.security-reviewed",
            "missing",
            "no yes/no for must-meet security-reviewed",
        ),
        Problem(
            "raj.yaml",
            "record 1",
            "assessor",
            "duplicate-in-batch",
            "raj already assessed P-2026-0001 at gate 2 in raj.yaml record 1",
        ),
    )


def test_must_meet_knocks_out() -> None:
    ratings = {"business-value": 9, "urgency": 9, "architecture-fit": 9, "delivery-confidence": 9}
    card = score_proposal(
        IT.policy, "P-2026-0001", 2, [_rated("cio", ratings, {"security-reviewed": False}, gate=2)], FIN
    )
    assert (card.total, card.knocked_out) == (Decimal("90.00"), True)
    assert card.must_meet == [
        {"id": "security-reviewed", "name": "Security review passed", "met": False, "by": {"cio": False}}
    ]
    assert card.flags == ["security-reviewed: must-meet not confirmed by cio"]


@given(st.lists(st.tuples(*[st.integers(0, 10)] * 3), min_size=1, max_size=6))
def test_scores_stay_in_range_and_add_up(rows: list[tuple[int, int, int]]) -> None:
    items = [_rated(f"a{i}", dict(zip(GATE1, row, strict=True))) for i, row in enumerate(rows)]
    card = score_proposal(IT.policy, "P-2026-0001", 1, items, FIN)
    assert Decimal(0) <= card.total <= Decimal(100)
    assert abs(card.total - sum(c["contribution"] for c in card.criteria)) <= Decimal("0.02")
