"""Replay: every decision the engine records re-derives from its inputs and policy (SQLite and PostgreSQL)."""

from __future__ import annotations

import shutil
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance import adoption, board, gates, intake, projects, reports, review
from governance.assessments import read_assessments
from governance.authority import Actor
from governance.clock import FixedClock, SeededIds
from governance.errors import DecisionRefused, NotFoundError
from governance.ledger import Ledger, NewRecord, get_snapshot, iter_records
from governance.policy import BUNDLED_POLICIES, LoadedPolicy, load_policy
from governance.replay import Replay, replay_all, replay_record, replay_subject
from governance.store import Store
from models.decision import DecisionInput, ReviewAnswer
from models.records import SelectedPayload

from ..conftest import EXAMPLES, START
from .test_board import _assess
from .test_intake import proposal, write

SG = load_policy("stage-gate")
RATINGS = {
    "strategic-fit": 8,
    "product-advantage": 7,
    "market-attractiveness": 8,
    "core-competencies": 6,
    "technical-feasibility": 7,
    "financial-reward": 6,
    "market-need": 7,
}


def _history(store: Store, ledger: Ledger, tmp_path: Path, policy: LoadedPolicy = SG) -> None:
    """A proposal through gate 1, two running projects reviewed for a quarter with the selection."""
    adoption.adopt_policy(store, ledger, policy, Actor.of("ana"))
    data = proposal("NW-ALPHA", sponsor="Katrin Vogel", submitter="Lukas Weber")
    filing = intake.validate_submission([write(tmp_path, "a.yaml", data)], policy.policy)
    intake.file_proposals(store, ledger, filing, "x")
    gate1 = {k: v for k, v in RATINGS.items() if k in ("strategic-fit", "market-attractiveness")}
    path = _assess(tmp_path, "P-2026-0001", 1, gate1, {"legal-compliance": True}, assessors=("raj", "lee"))
    gates.record_scores(store, ledger, read_assessments([path]), "pmo")
    gates.record_recommendation(store, ledger, "P-2026-0001", "pmo")
    votes = [{"member": m, "outcome": "go"} for m in ("ana", "raj", "lee")] + [{"member": "mia", "outcome": "hold"}]
    decision = DecisionInput.model_validate(
        {
            "proposal_id": "P-2026-0001",
            "gate": 1,
            "outcome": "go",
            "rationale": "Fits the strategy.",
            "decided_by": "ana",
            "meeting_date": "2026-11-23",
            "votes": votes,
        }
    )
    board.decide(store, ledger, decision, Actor.of("ana"))
    projects.import_projects(store, ledger, [EXAMPLES / "projects"], "pmo")
    items = reports.read_status_reports([EXAMPLES / "status" / "2026Q3"], "2026Q3")
    reports.file_status_reports(store, ledger, items, "pmo")
    review.propose_review(store, ledger, "2026Q3", "pmo")
    answer = ReviewAnswer(
        quarter="2026Q3",
        decided_by="ana",
        meeting_date="2026-11-23",
        rationale="Accepted.",
        # The selection leaves P-2026-0003 (ECV -2.04M) unfunded, so the review recommends pause; the board
        # keeps it going (bucket shares are of spend: no bucket minimum forces it in any more).
        overrides=[{"project": "P-2026-0003", "outcome": "continue", "rationale": "The migration contract is signed."}],
        votes=[{"member": m, "vote": "accept"} for m in ("ana", "raj", "mia")],
    )
    review.confirm_review(store, ledger, answer, Actor.of("ana"))


def test_every_recorded_decision_replays_to_itself(store: Store, ledger: Ledger, tmp_path: Path) -> None:
    _history(store, ledger, tmp_path)
    results = list(replay_all(store))
    assert {r.status for r in results} == {"match"}
    counts: dict[str, int] = {}
    for r in results:
        counts[r.kind] = counts.get(r.kind, 0) + 1
    assert counts == {"screened": 1, "scored": 1, "recommended": 1, "decided": 1, "selected": 1, "reviewed": 8}
    assert [(r.kind, r.status) for r in replay_subject(store, "P-2026-0001")] == [
        ("screened", "match"),
        ("scored", "match"),
        ("recommended", "match"),
        ("decided", "match"),
    ]
    decided = next(r for r in results if r.kind == "decided")
    assert decided.detail == "go: go 3, hold 1 under majority (more than half of 4 votes)"
    overridden = next(r for r in results if r.subject == "P-2026-0003")
    assert overridden.detail == "continue (override)"
    assert replay_record(store, 1) == Replay(
        1, "policy-adopted", "policy", "not-replayable", "a fact, not a derivation"
    )
    with pytest.raises(NotFoundError, match="no replayable records about 'P-2026-0999'"):
        replay_subject(store, "P-2026-0999")


def test_a_selection_under_a_chance_constraint_replays_to_itself(store: Store, ledger: Ledger, tmp_path: Path) -> None:
    """The snapshot keeps the chance constraint, the uncertainty and the estimates; replay draws the
    same scenarios from them and re-solves."""
    folder = tmp_path / "policy"
    shutil.copytree(BUNDLED_POLICIES / "people", folder / "people")
    text = (BUNDLED_POLICIES / "stage-gate.yaml").read_text(encoding="utf-8")
    chance = "  chance_constraint: {alpha: 0.2, scenarios: 50, seed: 5, trials: 2000}\n"
    simulation = "simulation: {distribution: triangular, correlation_within_bucket: 0.3, correlation_across: 0.1}\n"
    text = text.replace("  bucket_shares_of: spend\n", "  bucket_shares_of: spend\n" + chance)
    text = text[: text.index("\nsimulation:\n") + 1] + simulation  # the shipped section (the file's last) replaced
    (folder / "stage-gate.yaml").write_text(text, encoding="utf-8")
    policy = load_policy(str(folder / "stage-gate.yaml"))
    assert policy.policy.portfolio is not None and policy.policy.portfolio.chance_constraint is not None
    _history(store, ledger, tmp_path, policy)
    selected = next(r for r in replay_all(store) if r.kind == "selected")
    assert selected.status == "match", selected.detail
    with store.read() as conn:
        record = next(r for r in iter_records(conn) if r.kind == "selected")
        inputs = get_snapshot(conn, record.inputs)
    assert (inputs["chance"], inputs["uncertainty"]) == (
        {"alpha": "0.2", "scenarios": 50, "seed": 5, "trials": 2000},
        {"distribution": "triangular", "correlation_within_bucket": "0.3", "correlation_across": "0.1"},
    )
    assert all("estimates" in c and "p_technical" in c for c in inputs["candidates"])
    body = record.body_as(SelectedPayload)
    assert body.chance is not None
    assert (body.chance.alpha, body.chance.scenarios, body.chance.seed, body.chance.allowed) == (D("0.2"), 50, 5, 10)
    assert max(p.in_sample_violations for p in body.chance.periods) <= 10


def test_a_record_the_rules_do_not_support_is_a_mismatch(store: Store, ledger: Ledger, tmp_path: Path) -> None:
    """A writer that bypasses the rules (a bug, or a forged record) is caught by replay, not by the chain."""
    _history(store, ledger, tmp_path)
    with store.read() as conn:
        from governance.ledger import latest_record

        scored = latest_record(conn, "P-2026-0001", "scored")
        assert scored is not None
        inputs = store_snapshot(conn, scored.inputs)
    forged = dict(scored.payload, total="99.00")
    with store.write() as conn:
        [record] = ledger.append(
            conn,
            [NewRecord("scored", "P-2026-0001", forged, "99.00", scored.policy_version, inputs)],
            "forger",
        )
    result = replay_record(store, record.seq)
    assert result.status == "mismatch"
    assert result.detail.startswith('total: replay gives "')
    assert result.detail.endswith('the record says "99.00"')


def store_snapshot(conn: object, key: str | None) -> object:
    from governance.ledger import get_snapshot

    return get_snapshot(conn, key or "")  # type: ignore[arg-type]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    votes=st.dictionaries(
        st.sampled_from(["ana", "raj", "lee", "mia", "tom"]),
        st.sampled_from(["go", "conditional-go", "hold", "recycle", "kill"]),
        min_size=3,
        max_size=5,
    )
)
def test_any_decision_the_board_rules_accept_replays_to_itself(
    tmp_path_factory: pytest.TempPathFactory, votes: dict[str, str]
) -> None:
    folder = tmp_path_factory.mktemp("decide")
    store = Store(f"sqlite:///{folder / 'g.db'}")
    store.upgrade()
    ledger = Ledger(FixedClock(START), SeededIds("replay"))
    adoption.adopt_policy(store, ledger, SG, Actor.of("ana"))
    data = proposal("NW-ALPHA", sponsor="Katrin Vogel", submitter="Lukas Weber")
    intake.file_proposals(store, ledger, intake.validate_submission([write(folder, "a.yaml", data)], SG.policy), "x")
    gate1 = {k: v for k, v in RATINGS.items() if k in ("strategic-fit", "market-attractiveness")}
    path = _assess(folder, "P-2026-0001", 1, gate1, {"legal-compliance": True}, assessors=("raj", "lee"))
    gates.record_scores(store, ledger, read_assessments([path]), "pmo")
    gates.record_recommendation(store, ledger, "P-2026-0001", "pmo")
    tally = board.tally(SG.policy.board, board.parse_votes([f"{m}={o}" for m, o in votes.items()]))
    outcome = tally.supported or "go"
    decision = {
        "proposal_id": "P-2026-0001",
        "gate": 1,
        "outcome": outcome,
        "rationale": "As voted.",
        "decided_by": "ana",
        "meeting_date": "2026-11-23",
        "votes": [{"member": m, "outcome": o} for m, o in votes.items()],
        "conditions": [{"text": "Audit", "owner": "Tom", "due": "2027-01-31"}] if outcome == "conditional-go" else [],
    }
    try:
        record = board.decide(store, ledger, DecisionInput.model_validate(decision), Actor.of("ana"))
    except DecisionRefused:
        assert tally.supported is None
        return
    assert replay_record(store, record.seq).status == "match"
    store.dispose()


def test_a_card_made_before_issue_13_replays_by_the_earlier_rules(store: Store, ledger: Ledger, tmp_path: Path) -> None:
    """Cards without `financials_version` were made when payback was 0 for a first flow >= 0: replay
    re-derives them by those rules and says so; today's cards by today's."""
    import json

    from governance.canonical import canonical_text, to_plain
    from governance.financials import financials
    from governance.ledger import latest_record
    from models.proposal import Proposal

    adoption.adopt_policy(store, ledger, SG, Actor.of("ana"))
    # Net flows +100,000, -270,000, +900,000: the cumulative dips below zero in FY2028.
    data = proposal(
        "NW-ALPHA", benefits=[{"period": "FY2027", "amount": 500000}, {"period": "FY2029", "amount": 900000}]
    )
    intake.file_proposals(store, ledger, intake.validate_submission([write(tmp_path, "a.yaml", data)], SG.policy), "x")
    gate1 = {k: v for k, v in RATINGS.items() if k in ("strategic-fit", "market-attractiveness")}
    path = _assess(tmp_path, "P-2026-0001", 1, gate1, {"legal-compliance": True}, assessors=("raj", "lee"))
    gates.record_scores(store, ledger, read_assessments([path]), "pmo")
    with store.read() as conn:
        scored = latest_record(conn, "P-2026-0001", "scored")
        assert scored is not None
        inputs = store_snapshot(conn, scored.inputs)
    assert scored.payload["financials"]["payback_years"] == "1.19"
    assert scored.payload["financials"]["financials_version"] == 2
    assert replay_record(store, scored.seq).detail == "score 80.00"

    old = financials(Proposal.model_validate(inputs["proposal"]), SG.policy.discount_rate, legacy=True)  # type: ignore[index]
    legacy = json.loads(canonical_text(to_plain(dict(scored.payload, financials=old.as_dict()))))
    assert legacy["financials"]["payback_years"] == "0"
    assert "financials_version" not in legacy["financials"]
    # Today's figures under an old card's (absent) marker: not what the earlier rules gave.
    mixed = dict(
        scored.payload, financials={k: v for k, v in scored.payload["financials"].items() if k != "financials_version"}
    )
    with store.write() as conn:
        appended = ledger.append(
            conn,
            [
                NewRecord("scored", "P-2026-0001", legacy, scored.payload["total"], scored.policy_version, inputs),
                NewRecord("scored", "P-2026-0001", mixed, scored.payload["total"], scored.policy_version, inputs),
            ],
            "pmo",
        )
    rules = " (payback and IRR by the rules before issue 13, as the card was made)"
    assert replay_record(store, appended[0].seq) == Replay(
        appended[0].seq, "scored", "P-2026-0001", "match", f"score 80.00{rules}"
    )
    result = replay_record(store, appended[1].seq)
    assert result.status == "mismatch"
    assert result.detail.startswith("financials: replay gives ")
    assert result.detail.endswith(rules)
