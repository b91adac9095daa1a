from __future__ import annotations

import dataclasses
import gc
from collections.abc import Iterator, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.errors import InputRefused, PolicyError, Problem
from governance.financials import Financials, financials
from governance.policy import LoadedPolicy, load_policy
from governance.scoring import (
    RatedAssessment,
    ScoreCard,
    ScoreRequest,
    _check,
    _gate,
    gate_weights,
    score_batch,
    score_proposal,
)
from models.assessment import Assessment
from models.policy import Policy
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


# -- the batch path: the same cards as score_proposal, digit for digit -------------------------


def _reference_score_proposal(
    policy: Policy, proposal_id: str, gate_number: int, items: Sequence[RatedAssessment], fin: Financials
) -> ScoreCard:
    """score_proposal as it was written before the batch path, verbatim: what both must still give."""
    gate = _gate(policy, gate_number)
    by_id = {c.id: c for c in policy.criteria}
    if not items:
        raise InputRefused(
            [Problem("", proposal_id, "assessments", "missing", f"no assessments for gate {gate_number}")]
        )
    problems = _check(items, policy, gate, by_id)
    if problems:
        raise InputRefused(problems)
    gate_w, source = gate_weights(policy, gate_number)
    assessments = sorted((i.assessment for i in items), key=lambda a: a.assessor)
    assessors = [a.assessor for a in assessments]
    criteria: list[dict[str, Any]] = []
    flags: list[str] = []
    total = Decimal(0)
    should_pass = True
    for cid, weight in gate_w.items():
        c = by_id[cid]
        ratings = {a.assessor: a.ratings[cid] for a in assessments}
        mean = sum(ratings.values(), Decimal(0)) / len(ratings)
        normalised = (mean / c.scale_max * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
        spread = ((max(ratings.values()) - min(ratings.values())) / c.scale_max * 100).quantize(Decimal("0.01"))
        flagged = spread > policy.scoring.spread_threshold
        if flagged:
            flags.append(f"{cid}: assessors differ by {spread} points (threshold {policy.scoring.spread_threshold})")
        contribution = (weight * normalised).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
        total += weight * normalised
        passed = None
        if c.kind == "should-meet":
            assert c.pass_threshold is not None
            passed = mean >= c.pass_threshold
            should_pass = should_pass and passed
            if not passed:
                flags.append(
                    f"{cid}: should-meet mean {mean.quantize(Decimal('0.01'))} below its pass threshold "
                    f"{c.pass_threshold}"
                )
        criteria.append(
            {
                "id": cid,
                "name": c.name,
                "kind": c.kind,
                "weight": weight,
                "ratings": ratings,
                "mean": mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN),
                "score": normalised,
                "spread": spread,
                "spread_flagged": flagged,
                "contribution": contribution,
                "passed": passed,
            }
        )
    must_meet = []
    for cid in (c for c in gate.criteria if by_id[c].kind == "must-meet"):
        votes = {a.assessor: a.must_meet[cid] for a in assessments}
        met = all(votes.values())
        if not met:
            flags.append(f"{cid}: must-meet not confirmed by {', '.join(k for k, v in votes.items() if not v)}")
        must_meet.append({"id": cid, "name": by_id[cid].name, "met": met, "by": votes})
    return ScoreCard(
        proposal_id=proposal_id,
        gate=gate_number,
        total=total.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN),
        knocked_out=not all(m["met"] for m in must_meet),
        should_meet_passed=should_pass,
        criteria=criteria,
        must_meet=must_meet,
        weights_source=dict(source, weights=gate_w),
        assessors=assessors,
        flags=flags,
        financials=dataclasses.asdict(fin),
    )


def _varied_policy() -> Policy:
    """it-demand with a 1-5 scale, a should-meet criterion, a fractional threshold and two assessors."""
    data = IT.policy.model_dump(by_alias=True)
    for c in data["criteria"]:
        if c["id"] == "architecture-fit":
            c["scale_max"] = 5
        if c["id"] == "delivery-confidence":
            c.update(kind="should-meet", pass_threshold="6.5")
    data["scoring"].update(spread_threshold="25.5", min_assessors=2)
    return Policy.model_validate(data)


SG = load_policy("stage-gate")
POLICIES = {"it-demand": IT.policy, "varied": _varied_policy(), "stage-gate": SG.policy}
ASSESSORS = ["ana", "lee", "raj", "cio", "zoe"]
WRITTEN = ["0", "-0", "0.00", "2.5", "2.50", "5", "5.0", "5.00", "50E-1", "7", "7.0", "10", "1E+1", "10.00"]


def _fin_proposal(reference: str, **changes: Any) -> Proposal:
    return Proposal.model_validate(proposal_data(reference, bucket="run", objectives=["efficiency"], **changes))


PROPOSALS = [
    _fin_proposal("NW-PLAIN"),
    _fin_proposal("NW-NOBEN", benefits=[]),  # no IRR: the cash flows never change sign
    _fin_proposal("NW-LATE", benefits=[{"period": "FY2031", "amount": "10.50"}]),  # never pays back
    _fin_proposal(
        "NW-CENTS",
        costs=[{"period": "FY2027", "development": "1000.05", "launch": "0.00"}],
        benefits=[{"period": "FY2027", "amount": "2000"}, {"period": "FY2029", "amount": "1E+3"}],
    ),
]


def _ratings(policy: Policy, gate: int) -> st.SearchStrategy[dict[str, Decimal]]:
    """A rating for each rated criterion (now and then one missing, too high, or not of this gate)."""
    by_id = {c.id: c for c in policy.criteria}
    rated = [c for c in policy.gates[gate - 1].criteria if by_id[c].kind != "must-meet"]

    def value(scale: int, *, above: bool = True) -> st.SearchStrategy[Decimal]:
        # Mostly a few values written several ways (7, 7.0, 70E-1, -0, 1E+1), so that requests of
        # one batch share ratings that are equal but not written alike.
        written = st.sampled_from([Decimal(t) for t in WRITTEN if Decimal(t) <= scale])
        options = [
            written,
            written,
            st.integers(0, scale).map(Decimal),
            st.integers(0, scale * 100).map(lambda n: Decimal(n).scaleb(-2)),  # 7.25, 0.00, ...
        ]
        if above:
            options.append(st.integers(scale + 1, 100).map(Decimal))  # above the scale: refused
        return st.one_of(options)

    entries = st.fixed_dictionaries(
        {},
        optional={c: value(by_id[c].scale_max) for c in rated} | {"speed": st.integers(0, 10).map(Decimal)},
    )
    full = st.fixed_dictionaries({c: value(by_id[c].scale_max, above=False) for c in rated})
    return st.one_of(full, full, full, entries)


def _votes(policy: Policy, gate: int) -> st.SearchStrategy[dict[str, bool]]:
    by_id = {c.id: c for c in policy.criteria}
    knockouts = [c for c in policy.gates[gate - 1].criteria if by_id[c].kind == "must-meet"]
    mostly_yes = st.sampled_from([True, True, True, False])
    full = st.fixed_dictionaries(dict.fromkeys(knockouts, mostly_yes))
    odd = st.fixed_dictionaries({}, optional=dict.fromkeys([*knockouts, "flying"], mostly_yes))
    return st.one_of(full, full, odd)


def _rewritten(value: Decimal, how: int) -> Decimal:
    """The same number written another way: 7 -> 7.00, 7.0 -> 7, 10 -> 1E+1, 0 -> -0."""
    if how == 1:
        return value.quantize(Decimal("0.01"))
    if how == 2:
        return value.normalize()
    if how == 3 and value == 0:
        return value.copy_negate()
    return value


@st.composite
def _requests(draw: st.DrawFn, policy: Policy) -> list[ScoreRequest]:
    requests = []
    earlier: dict[tuple[int, str], dict[str, Decimal]] = {}
    for n in range(draw(st.integers(1, 8))):
        gate = draw(st.integers(1, len(policy.gates)))
        names = draw(
            st.one_of(
                st.lists(st.sampled_from(ASSESSORS[:3]), min_size=1, max_size=3, unique=True),
                st.lists(st.sampled_from(ASSESSORS), min_size=1, max_size=4, unique=True),
                st.lists(st.sampled_from(ASSESSORS), max_size=4),  # a duplicate, or nobody
            )
        )
        items = []
        for name in names:
            ratings = draw(_ratings(policy, gate))
            if (gate, name) in earlier and draw(st.booleans()):  # what this assessor gave before, rewritten
                ratings = {c: _rewritten(v, draw(st.integers(0, 3))) for c, v in earlier[gate, name].items()}
            earlier.setdefault((gate, name), ratings)
            items.append(_rated(name, ratings, draw(_votes(policy, gate)), gate=gate))
        requests.append(ScoreRequest(f"P-2026-{n:04d}", gate, items, draw(st.sampled_from(PROPOSALS))))
    return requests


def _whole(card: ScoreCard | None) -> str | None:
    """The card as text: equal only if every value, digit, exponent and key order is equal."""
    return None if card is None else repr(card.as_dict())


@settings(max_examples=200, deadline=None)
@given(data=st.data(), name=st.sampled_from(sorted(POLICIES)))
def test_batch_cards_are_score_proposal_cards(data: st.DataObject, name: str) -> None:
    policy = POLICIES[name]
    requests = data.draw(_requests(policy))
    batch = score_batch(policy, requests)
    expected: list[ScoreCard | None] = []
    problems: list[Problem] = []
    for r in requests:
        fin = financials(r.proposal, policy.discount_rate)
        try:
            card = score_proposal(policy, r.proposal_id, r.gate, r.items, fin)
        except InputRefused as refused:
            with pytest.raises(InputRefused) as reference:
                _reference_score_proposal(policy, r.proposal_id, r.gate, r.items, fin)
            assert reference.value.problems == refused.problems
            expected.append(None)
            problems.extend(refused.problems)
            continue
        assert _whole(card) == _whole(_reference_score_proposal(policy, r.proposal_id, r.gate, r.items, fin))
        expected.append(card)
    assert [_whole(c) for c in batch.cards] == [_whole(c) for c in expected]
    assert batch.problems == problems


def test_batch_of_many_reuses_figures_and_still_matches() -> None:
    """Ratings on a 0-10 scale repeat, so most figures come from the memo: still the same cards."""
    policy = SG.policy
    gate3 = [c for c in policy.gates[2].criteria if c not in ("legal-compliance", "safety")]
    requests = [
        ScoreRequest(
            f"P-2026-{i:04d}",
            3,
            [
                _rated(
                    a,
                    {c: Decimal((i * 7 + k * 3 + j) % 11) for k, c in enumerate(gate3)},
                    {"legal-compliance": True, "safety": (i + j) % 13 != 0},
                    gate=3,
                )
                for j, a in enumerate(["lee", "raj"])
            ],
            PROPOSALS[i % len(PROPOSALS)],
        )
        for i in range(400)
    ]
    batch = score_batch(policy, requests)
    assert batch.problems == []
    weights = gate_weights(policy, 3)
    assert [_whole(c) for c in batch.cards] == [
        _whole(
            score_proposal(
                policy, r.proposal_id, 3, r.items, financials(r.proposal, policy.discount_rate), weights=weights
            )
        )
        for r in requests
    ]


@pytest.mark.parametrize(
    "written",
    [["7", "7.0", "7.00", "7", "70E-1"], ["0", "-0", "0.00", "0", "-0.0"], ["10", "1E+1", "10.0", "10", "1E+1"]],
    ids=["trailing-zeros", "signed-zero", "exponent"],
)
def test_equal_ratings_written_differently_show_as_written(written: list[str]) -> None:
    """The figures of equal ratings are shared; the ratings on each card are its own, digit for digit."""
    requests = [
        ScoreRequest(
            f"P-2026-{i:04d}",
            1,
            [_rated(a, {c: Decimal(text) for c in GATE1}) for a in ("ana", "raj")],
            PROPOSALS[0],
        )
        for i, text in enumerate(written)
    ]
    batch = score_batch(IT.policy, requests)
    expected = [
        _reference_score_proposal(IT.policy, r.proposal_id, 1, r.items, financials(r.proposal, Decimal("0.06")))
        for r in requests
    ]
    assert [_whole(c) for c in batch.cards] == [_whole(c) for c in expected]
    shown = [str(card.criteria[0]["ratings"]["ana"]) for card in batch.cards if card is not None]
    assert shown == [str(Decimal(text)) for text in written]


def _inconsistent() -> Policy:
    data = SG.policy.model_dump(by_alias=True)
    matrix = data["scoring"]["ahp"]["matrix"]
    matrix[0][6], matrix[6][0] = Decimal(1) / 9, Decimal(9)  # strategic fit 9x less than market need
    return Policy.model_validate(data)


def test_batch_raises_the_errors_score_proposal_raises() -> None:
    policy = _inconsistent()
    ratings = {"strategic-fit": Decimal(5), "market-attractiveness": Decimal(6)}
    good = [_rated(a, ratings, {"legal-compliance": True}) for a in ("a", "b")]
    bad = [_rated("a", {"strategic-fit": Decimal(5)}, {"legal-compliance": True})]
    # Problems with the assessments come before the policy's own (as in score_proposal) ...
    batch = score_batch(policy, [ScoreRequest("P-2026-0001", 1, bad, PROPOSALS[0])])
    with pytest.raises(InputRefused) as refused:
        score_proposal(policy, "P-2026-0001", 1, bad, FIN)
    assert (batch.cards, batch.problems) == ([None], list(refused.value.problems))
    # ... and an unusable weighting ends the batch, as it ends score_proposal.
    with pytest.raises(PolicyError, match="inconsistent") as raised:
        score_batch(policy, [ScoreRequest("P-2026-0001", 1, good, PROPOSALS[0])])
    with pytest.raises(PolicyError) as single:
        score_proposal(policy, "P-2026-0001", 1, good, FIN)
    assert str(raised.value) == str(single.value)
    with pytest.raises(PolicyError, match="has no gate 9"):
        score_batch(policy, [ScoreRequest("P-2026-0001", 9, good, PROPOSALS[0])])


class _Watched(list[RatedAssessment]):
    """Assessments that note whether the cyclic garbage collector runs while they are read."""

    seen: ClassVar[list[bool]] = []

    def __iter__(self) -> Iterator[RatedAssessment]:
        self.seen.append(gc.isenabled())
        return super().__iter__()


def test_batch_pauses_the_collector_and_restores_it() -> None:
    assert gc.isenabled()
    items = _Watched([_rated("ana", {"business-value": 1, "urgency": 2, "architecture-fit": 3})])
    assert score_batch(IT.policy, [ScoreRequest("P-2026-0001", 1, items, PROPOSALS[0])]).problems == []
    assert (_Watched.seen, gc.isenabled()) == ([False], True)
    with pytest.raises(PolicyError):
        good = [_rated(a, {"strategic-fit": 5, "market-attractiveness": 6}, {"legal-compliance": True}) for a in "ab"]
        score_batch(_inconsistent(), [ScoreRequest("P-2026-0001", 1, good, PROPOSALS[0])])
    assert gc.isenabled()  # also after an error
    gc.disable()
    try:
        score_batch(IT.policy, [ScoreRequest("P-2026-0001", 1, items, PROPOSALS[0])])
        assert not gc.isenabled()  # a caller's own choice is left alone
    finally:
        gc.enable()
