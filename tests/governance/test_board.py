"""Scoring, gates and board decisions through the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from governance import adoption, board, gates, intake
from governance.assessments import read_assessments
from governance.authority import Actor
from governance.clock import FixedClock, RandomIds
from governance.errors import ConflictError, DecisionRefused, InputRefused, Problem, TransitionError
from governance.ledger import Ledger, records_for, verify
from governance.policy import load_policy
from governance.store import Store
from models.decision import DecisionInput

from .test_intake import proposal, write

IT = load_policy("it-demand")  # board: cio (chair), coo, ciso; quorum 2; chair decides
SG = load_policy("stage-gate")  # board: ana (chair), raj, lee, mia, tom; quorum 3; majority
CHAIR_IT = Actor.of("cio")


def _assess(
    tmp_path: Path,
    pid: str,
    gate: int,
    ratings: dict[str, Any],
    must_meet: dict[str, bool] | None = None,
    assessors: tuple[str, ...] = ("ciso", "demand"),
) -> Path:
    docs = [
        {"proposal": pid, "gate": gate, "assessor": a, "ratings": dict(ratings), "must_meet": dict(must_meet or {})}
        for a in assessors
    ]
    return write(tmp_path, f"assess-{pid}-{gate}.yaml", docs)


@pytest.fixture
def filed(store: Store, ledger: Ledger, tmp_path: Path) -> Store:
    adoption.adopt_policy(store, ledger, IT, Actor.of("ana"))
    data = proposal("NW-ALPHA", bucket="grow", objectives=["digital"], sponsor="Daniel Weiss", submitter="Jonas Berg")
    candidates = intake.validate_submission([str(write(tmp_path, "a.yaml", data))], IT.policy, {})
    intake.file_proposals(store, ledger, candidates, "jonas")
    return store


def _decision(**changes: Any) -> DecisionInput:
    data: dict[str, Any] = {
        "proposal_id": "P-2026-0001",
        "gate": 1,
        "outcome": "go",
        "rationale": "Strong value, fits the roadmap.",
        "decided_by": "cio",
        "meeting_date": "2026-11-23",
        "votes": [{"member": "cio", "outcome": "go"}, {"member": "ciso", "outcome": "hold"}],
    }
    data.update(changes)
    return DecisionInput.model_validate(data)


def _score_and_gate(
    store: Store,
    ledger: Ledger,
    tmp_path: Path,
    gate: int,
    value: int = 8,
    assessors: tuple[str, ...] = ("ciso", "demand"),
) -> gates.Recommendation:
    ratings = {"business-value": value, "urgency": value, "architecture-fit": value}
    must: dict[str, bool] = {}
    if gate == 2:
        ratings["delivery-confidence"] = value
        must = {"security-reviewed": True}
    gates.record_scores(
        store, ledger, read_assessments([_assess(tmp_path, "P-2026-0001", gate, ratings, must, assessors)]), "pmo"
    )
    return gates.record_recommendation(store, ledger, "P-2026-0001", "pmo")[2]


def test_score_gate_decide_through_both_gates(filed: Store, ledger: Ledger, tmp_path: Path) -> None:
    store = filed
    assert _score_and_gate(store, ledger, tmp_path, 1) == gates.Recommendation("go", ["score 80 >= 60; must-meet 0/0"])
    record = board.decide(store, ledger, _decision(), CHAIR_IT)
    assert record.payload == {
        "gate": 1,
        "gate_name": "Demand approval",
        "outcome": "go",
        "rationale": "Strong value, fits the roadmap.",
        "decided_by": "cio",
        "meeting_date": "2026-11-23",
        "votes": [{"member": "cio", "outcome": "go"}, {"member": "ciso", "outcome": "hold"}],
        "dissent": ["ciso"],
        "recused": {"coo": "sponsor of the proposal"},
        "tally": {
            "rule": "chair-decides",
            "counts": {"go": 1, "hold": 1},
            "cast": 2,
            "supported": "go",
            "note": "the chair (cio) decides",
        },
        "conditions": [],
        "recommended": "go",
        "recommended_seq": record.seq - 1,
        "attempt": 1,
        "state_after": "in-stage",
        "next_gate": 2,
    }
    assert (record.recorded_by, record.outcome, record.policy_version) == ("cio", "go", IT.version)
    # The same gate cannot be decided twice.
    with pytest.raises(
        ConflictError, match=r"P-2026-0001 gate 1 was already decided \(record 6\); nothing was recorded"
    ):
        board.decide(store, ledger, _decision(), CHAIR_IT)
    # Gate 2 (the last): conditional go with a condition; the proposal becomes an active project.
    assert _score_and_gate(store, ledger, tmp_path, 2, value=6).outcome == "conditional-go"
    final = board.decide(
        store,
        ledger,
        _decision(
            gate=2,
            outcome="conditional-go",
            votes=[{"member": "cio", "outcome": "conditional-go"}, {"member": "ciso", "outcome": "conditional-go"}],
            conditions=[{"text": "Penetration test passed", "owner": "CISO", "due": "2027-02-01"}],
        ),
        CHAIR_IT,
    )
    assert final.payload["conditions"] == [
        {"id": "C-2026-0001-G2-1", "text": "Penetration test passed", "owner": "CISO", "due": "2027-02-01"}
    ]
    assert (final.payload["state_after"], final.payload["next_gate"]) == ("active", None)
    with store.read() as conn:
        assert [(c.id, c.owner) for c in gates.open_conditions(conn, "P-2026-0001")] == [("C-2026-0001-G2-1", "CISO")]
        assert [r.kind for r in records_for(conn, "P-2026-0001")] == [
            "filed",
            "screened",
            "scored",
            "recommended",
            "decided",
            "scored",
            "recommended",
            "decided",
        ]
    board.close_condition(store, ledger, "C-2026-0001-G2-1", "Report PT-2027-04 accepted", CHAIR_IT)
    with store.read() as conn:
        assert gates.open_conditions(conn, "P-2026-0001") == []
    assert verify(store).ok


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"votes": [{"member": "cio", "outcome": "go"}, {"member": "coo", "outcome": "go"}]},
            "coo is recused (sponsor of the proposal) and cannot vote",
        ),
        (
            {"votes": [{"member": "cio", "outcome": "go"}, {"member": "bob", "outcome": "go"}]},
            "not on the board roster: bob (members: cio, ciso, coo)",
        ),
        (
            {"votes": [{"member": "cio", "outcome": "go"}]},
            "no quorum: 1 vote(s) cast, the quorum is 2 (2 eligible member(s); recused: coo (sponsor of the proposal))",
        ),
        (
            {"outcome": "kill"},
            "the votes do not support 'kill': go 1, hold 1 under chair-decides (the chair (cio) decides)",
        ),
        (
            {"votes": [{"member": "ciso", "outcome": "go"}, {"member": "cio", "outcome": "go"}], "conflicts": ["cio"]},
            "cio is recused (declared a conflict of interest) and cannot vote",
        ),
        (
            {"votes": [{"member": "ciso", "outcome": "go"}, {"member": "coo", "outcome": "go"}], "decided_by": "coo"},
            "coo is recused (sponsor of the proposal) and cannot vote",
        ),
        (
            {"outcome": "go", "conditions": [{"text": "x", "owner": "y", "due": "2027-01-01"}]},
            "conditions belong to a conditional go, not to 'go'",
        ),
        (
            {
                "outcome": "conditional-go",
                "votes": [{"member": "cio", "outcome": "conditional-go"}, {"member": "ciso", "outcome": "go"}],
            },
            "a conditional go needs at least one --condition (what, owner, due date)",
        ),
    ],
    ids=[
        "sponsor-votes",
        "stranger",
        "no-quorum",
        "unsupported-outcome",
        "declared-conflict",
        "recused-decider",
        "conditions-on-go",
        "conditional-without-condition",
    ],
)
def test_board_rules_refuse_and_write_nothing(
    filed: Store, ledger: Ledger, tmp_path: Path, changes: dict[str, Any], message: str
) -> None:
    _score_and_gate(filed, ledger, tmp_path, 1)
    before = verify(filed).records
    with pytest.raises(DecisionRefused) as refused:
        board.decide(filed, ledger, _decision(**changes), CHAIR_IT)
    assert str(refused.value) == f"{message} [decision-refused]"
    assert verify(filed).records == before


@pytest.mark.parametrize(
    ("rule", "votes", "supported"),
    [
        ("majority", ["go", "go", "hold"], "go"),
        ("majority", ["go", "hold"], None),
        ("unanimity", ["kill", "kill", "kill"], "kill"),
        ("unanimity", ["go", "go", "hold"], None),
        ("chair-decides", ["hold", "go", "go"], "hold"),
    ],
)
def test_tally_rules(rule: str, votes: list[str], supported: str | None) -> None:
    rules = SG.policy.board.model_copy(update={"voting_rule": rule})
    members = ["ana", "raj", "lee"]
    result = board.tally(rules, board.parse_votes([f"{m}={o}" for m, o in zip(members, votes, strict=False)]))
    assert result.supported == supported


def test_decide_before_gate_is_a_transition_error(filed: Store, ledger: Ledger) -> None:
    with pytest.raises(TransitionError, match=r"P-2026-0001 is screened, not awaiting a decision"):
        board.decide(filed, ledger, _decision(), CHAIR_IT)


@pytest.mark.parametrize(
    ("meeting", "message"),
    [
        (
            "2020-01-01",
            "meeting_date 2020-01-01 is before 2026-11-23, the date of the gate 1 recommendation (record {seq}) it "
            "decides on: a board meets on a recommendation once it is made; nothing was recorded",
        ),
        (
            "2026-11-24",
            "meeting_date 2026-11-24 is after today, 2026-11-23: a decision is recorded once its meeting has taken "
            "place; nothing was recorded",
        ),
    ],
    ids=["before-the-recommendation", "after-today"],
)
def test_a_meeting_date_outside_its_bounds_is_refused(
    filed: Store, ledger: Ledger, tmp_path: Path, meeting: str, message: str
) -> None:
    from governance.ledger import latest_record

    _score_and_gate(filed, ledger, tmp_path, 1)
    with filed.read() as conn:
        recommended = latest_record(conn, "P-2026-0001", "recommended")
    assert recommended is not None
    before = verify(filed).records
    with pytest.raises(DecisionRefused) as refused:
        board.decide(filed, ledger, _decision(meeting_date=meeting), CHAIR_IT)
    assert (refused.value.code, str(refused.value)) == (
        "meeting-date-invalid",
        message.format(seq=recommended.seq) + " [meeting-date-invalid]",
    )
    assert verify(filed).records == before
    # The bounds themselves are allowed: the day of the recommendation is today here.
    assert board.decide(filed, ledger, _decision(meeting_date="2026-11-23"), CHAIR_IT).kind == "decided"


def test_overdue_condition_blocks_the_next_gate(store: Store, tmp_path: Path) -> None:
    clock = FixedClock(dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC))
    ledger = Ledger(clock, RandomIds())
    adoption.adopt_policy(store, ledger, SG, Actor.of("ana"))
    data = proposal("NW-ALPHA", sponsor="Ana Ribeiro", submitter="Jonas Berg")
    intake.file_proposals(
        store, ledger, intake.validate_submission([str(write(tmp_path, "a.yaml", data))], SG.policy, {}), "j"
    )
    ratings = {"strategic-fit": 5, "market-attractiveness": 6}
    gates.record_scores(
        store,
        ledger,
        read_assessments(
            [_assess(tmp_path, "P-2026-0001", 1, ratings, {"legal-compliance": True}, assessors=("raj", "lee"))]
        ),
        "pmo",
    )
    assert gates.record_recommendation(store, ledger, "P-2026-0001", "pmo")[2].outcome == "conditional-go"
    votes = [{"member": m, "outcome": "conditional-go"} for m in ("raj", "lee", "mia")]  # ana sponsors: recused
    board.decide(
        store,
        ledger,
        _decision(
            outcome="conditional-go",
            decided_by="raj",
            votes=votes,
            conditions=[{"text": "Market study", "owner": "Mia", "due": "2026-12-01"}],
        ),
        Actor.of("raj"),  # the deputy chair decides when the chair is recused
    )
    clock._now = dt.datetime(2026, 12, 5, 9, tzinfo=dt.UTC)  # the condition is now past due
    rated = {
        "strategic-fit": 9,
        "product-advantage": 9,
        "market-attractiveness": 9,
        "technical-feasibility": 9,
        "market-need": 9,
    }
    gates.record_scores(
        store,
        ledger,
        read_assessments(
            [_assess(tmp_path, "P-2026-0001", 2, rated, {"legal-compliance": True}, assessors=("raj", "lee"))]
        ),
        "pmo",
    )
    assert gates.record_recommendation(store, ledger, "P-2026-0001", "pmo")[2] == gates.Recommendation(
        "hold", ["condition C-2026-0001-G1-1 (Market study; owner Mia) was due 2026-12-01 and is still open"]
    )


def test_assessments_for_unknown_or_wrong_gate_are_refused(filed: Store, ledger: Ledger, tmp_path: Path) -> None:
    bad = _assess(tmp_path, "P-2026-0002", 1, {"business-value": 5})
    wrong = _assess(tmp_path, "P-2026-0001", 2, {"business-value": 5}, assessors=("ana",))
    with pytest.raises(InputRefused) as refused:
        gates.record_scores(filed, ledger, read_assessments([bad, wrong]), "pmo")
    assert refused.value.problems == (
        Problem(str(bad), "record 1", "proposal", "unknown-reference", "no proposal P-2026-0002"),
        Problem(str(bad), "record 2", "proposal", "unknown-reference", "no proposal P-2026-0002"),
        Problem(str(wrong), "record 1", "gate", "invalid-value", "P-2026-0001 is at gate 1, not 2"),
    )


def _racer(url: str, votes: list[str], queue: Any) -> None:
    store = Store(url)
    decision = _decision(votes=[{"member": m, "outcome": o} for m, o in (v.split("=") for v in votes)])
    try:
        record = board.decide(
            store, Ledger(FixedClock(dt.datetime(2026, 11, 23, tzinfo=dt.UTC)), RandomIds()), decision, CHAIR_IT
        )
        queue.put(("ok", record.seq))
    except ConflictError as exc:
        queue.put(("conflict", str(exc)))
    finally:
        store.dispose()


def test_twenty_racing_decisions_record_exactly_one(filed: Store, ledger: Ledger, tmp_path: Path) -> None:
    _score_and_gate(filed, ledger, tmp_path, 1)
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    racers = [ctx.Process(target=_racer, args=(filed.url, ["cio=go", "ciso=go"], queue)) for _ in range(20)]
    for p in racers:
        p.start()
    results = [queue.get(timeout=180) for _ in racers]
    for p in racers:
        p.join(60)
    assert sorted(kind for kind, _ in results) == ["conflict"] * 19 + ["ok"]
    assert {msg for kind, msg in results if kind == "conflict"} == {
        "P-2026-0001 gate 1 was already decided (record 6); nothing was recorded [conflict]"
    }
    with filed.read() as conn:
        assert [r.kind for r in records_for(conn, "P-2026-0001")].count("decided") == 1
    assert verify(filed).ok


def test_a_wrong_decision_is_superseded_not_edited(filed: Store, ledger: Ledger, tmp_path: Path) -> None:
    store = filed
    _score_and_gate(store, ledger, tmp_path, 1)
    wrong = board.decide(
        store,
        ledger,
        _decision(
            outcome="conditional-go",
            votes=[{"member": "cio", "outcome": "conditional-go"}, {"member": "ciso", "outcome": "go"}],
            conditions=[{"text": "Budget confirmed", "owner": "CFO", "due": "2027-01-31"}],
        ),
        CHAIR_IT,
    )
    with pytest.raises(DecisionRefused, match="a correction needs a rationale"):
        board.supersede(store, ledger, "P-2026-0001", 1, "  ", CHAIR_IT)
    correction = board.supersede(store, ledger, "P-2026-0001", 1, "The chair's vote was recorded wrongly", CHAIR_IT)
    assert correction.payload == {
        "gate": 1,
        "superseded_seq": wrong.seq,
        "superseded_hash": wrong.hash,
        "rationale": "The chair's vote was recorded wrongly",
        "state_after": "awaiting-decision",
    }
    with store.read() as conn:
        assert gates.open_conditions(conn, "P-2026-0001") == []  # the voided decision's conditions go with it
    right = board.decide(
        store,
        ledger,
        _decision(
            outcome="conditional-go",
            votes=[{"member": "cio", "outcome": "conditional-go"}, {"member": "ciso", "outcome": "go"}],
            conditions=[{"text": "Budget confirmed by the CFO", "owner": "CFO", "due": "2027-02-28"}],
        ),
        CHAIR_IT,
    )
    assert [c["id"] for c in right.payload["conditions"]] == ["C-2026-0001-G1-2"]
    with store.read() as conn:
        assert [(r.kind, r.outcome) for r in records_for(conn, "P-2026-0001")][-3:] == [
            ("decided", "conditional-go"),
            ("superseded", "conditional-go"),
            ("decided", "conditional-go"),
        ]
    # Once the proposal moves on (scored for gate 2), the gate 1 decision can no longer be superseded.
    _score_and_gate(store, ledger, tmp_path, 2)
    with pytest.raises(TransitionError, match=r"has no decision at gate 1 to supersede|has moved on"):
        board.supersede(store, ledger, "P-2026-0001", 1, "too late", CHAIR_IT)
    assert verify(store).ok


def test_the_submitter_on_the_board_is_recused(store: Store, ledger: Ledger, tmp_path: Path) -> None:
    adoption.adopt_policy(store, ledger, IT, Actor.of("ana"))
    data = proposal("NW-ALPHA", bucket="grow", objectives=["digital"], sponsor="Jonas Berg", submitter="Sofia Marques")
    intake.file_proposals(
        store, ledger, intake.validate_submission([str(write(tmp_path, "a.yaml", data))], IT.policy, {}), "s"
    )
    with pytest.raises(InputRefused) as refused:  # nor may she assess it
        _score_and_gate(store, ledger, tmp_path, 1)
    assert [str(p).split(", ", 1)[1] for p in refused.value.problems] == [
        "record 1, assessor: ciso submitted or sponsors P-2026-0001 and may not assess it [recused]"
    ]
    _score_and_gate(store, ledger, tmp_path, 1, assessors=("coo", "demand"))
    with pytest.raises(DecisionRefused, match=r"ciso is recused \(submitter of the proposal\) and cannot vote"):
        board.decide(store, ledger, _decision(), CHAIR_IT)
    record = board.decide(
        store,
        ledger,
        _decision(votes=[{"member": "cio", "outcome": "go"}, {"member": "coo", "outcome": "go"}]),
        CHAIR_IT,
    )
    assert record.payload["recused"] == {"ciso": "submitter of the proposal"}


def test_the_same_assessments_again_record_no_second_score_card(filed: Store, ledger: Ledger, tmp_path: Path) -> None:
    """Found by the kill -9 trials (tests/crash): `governance score` run again after a crash late in its run,
    or simply twice, recorded every score card a second time. New ratings still make a new card."""
    ratings = {"business-value": 8, "urgency": 8, "architecture-fit": 8}
    for _ in range(2):
        gates.record_scores(filed, ledger, read_assessments([_assess(tmp_path, "P-2026-0001", 1, ratings)]), "pmo")
    changed = _assess(tmp_path, "P-2026-0001", 1, dict(ratings, urgency=6))
    gates.record_scores(filed, ledger, read_assessments([changed]), "pmo")
    with filed.read() as conn:
        history = [(r.kind, r.outcome) for r in records_for(conn, "P-2026-0001")]
    assert history == [("filed", None), ("screened", "pass"), ("scored", "80.00"), ("scored", "74.12")]
