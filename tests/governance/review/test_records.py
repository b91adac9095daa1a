"""The review's records: proposing, the board's answer and each project's outcome (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from governance import reports, review
from governance.authority import Actor
from governance.errors import ConflictError, DecisionRefused, NotFoundError
from governance.ledger import Ledger, latest_record, records_for, verify
from governance.parsing import parse_yaml
from governance.store import Store
from models.decision import ReviewOverride
from models.records import (
    ReviewConfirmedPayload,
    ReviewFactsMissing,
    ReviewProject,
    ReviewProposedPayload,
)
from models.tables import LedgerRow, ProposalRow

from .conftest import EXAMPLES, board_answer, dump_yaml, review_quarter


def test_the_proposal_is_recorded_as_its_model_gives_it(portfolio: Store, ledger: Ledger) -> None:
    proposed = review_quarter(portfolio, ledger, "2026Q3")
    with portfolio.read() as conn:
        record = latest_record(conn, "Q-2026Q3", "review-proposed")
    assert record is not None and record.seq == proposed.seq
    assert record.body_as(ReviewProposedPayload) == proposed.payload
    assert (record.outcome, review.quarter_subject("2026Q3")) == ("8 projects", "Q-2026Q3")


def test_confirmation_records_each_outcome_once_with_overrides(portfolio: Store, ledger: Ledger) -> None:
    review_quarter(portfolio, ledger, "2026Q3")
    answer = board_answer(
        "2026Q3",
        overrides=[ReviewOverride(project="P-2026-0002", outcome="pause", rationale="Wait for the pricing offer.")],
    )
    first = review.confirm_review(portfolio, ledger, answer, Actor.of("ana"), chunk_size=3)
    assert (first.recorded, first.already, first.outcomes) == (8, 0, {"continue": 6, "pause": 1, "resume": 1})
    again = review.confirm_review(portfolio, ledger, answer, Actor.of("ana"), chunk_size=3)
    assert (again.recorded, again.already) == (0, 8)
    with portfolio.read() as conn:
        states = {pid: state for pid, state in conn.execute(select(ProposalRow.id, ProposalRow.state))}
        [reviewed] = [r for r in records_for(conn, "P-2026-0002") if r.kind == "reviewed"]
        confirmed = latest_record(conn, "Q-2026Q3", "review-confirmed")
        assert review.stored_answer(conn, "2026Q3") == answer
    assert states["P-2026-0002"] == "paused" and states["P-2026-0005"] == "active"
    assert reviewed.payload == {
        "quarter": "2026Q3",
        "outcome": "pause",
        "recommended": "continue",
        "overridden": True,
        "reasons": ["no review rule fired"],
        "rationale": "Wait for the pricing offer.",
        "decided_by": "ana",
        "meeting_date": "2026-11-23",
        "confirmed_seq": first.confirmed_seq,
        "state_after": "paused",
    }
    assert confirmed is not None
    assert confirmed.body_as(ReviewConfirmedPayload).answer == answer
    with pytest.raises(ConflictError, match=r"2026Q3 review was already confirmed \(record \d+\) with another answer"):
        review.confirm_review(portfolio, ledger, board_answer("2026Q3"), Actor.of("ana"))
    assert verify(portfolio).ok


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"decided_by": "zoe"}, "not on the board roster: zoe (members: ana, lee, mia, raj, tom)"),
        (
            {"overrides": [{"project": "P-2026-0099", "outcome": "stop", "rationale": "x"}]},
            "overrides name projects not in the 2026Q3 review: P-2026-0099",
        ),
        (
            {"overrides": [{"project": "P-2026-0001", "outcome": "resume", "rationale": "x"}]},
            "P-2026-0001 is active: use continue, not resume",
        ),
        (
            {"overrides": [{"project": "P-2026-0005", "outcome": "continue", "rationale": "x"}]},
            "P-2026-0005 is paused: use resume, not continue",
        ),
        (
            {
                "overrides": [
                    {"project": "P-2026-0001", "outcome": "stop", "rationale": "x"},
                    {"project": "P-2026-0001", "outcome": "pause", "rationale": "y"},
                ]
            },
            "more than one override for: P-2026-0001",
        ),
    ],
    ids=["stranger", "unknown-project", "resume-active", "continue-paused", "twice"],
)
def test_refused_answers_record_nothing(
    portfolio: Store, ledger: Ledger, changes: dict[str, Any], message: str
) -> None:
    proposed = review_quarter(portfolio, ledger, "2026Q3")
    with pytest.raises(DecisionRefused) as refused:
        review.confirm_review(portfolio, ledger, board_answer("2026Q3", **changes), Actor.of("ana"))
    assert refused.value.message == message
    with portfolio.read() as conn:
        assert conn.scalar(select(func.max(LedgerRow.seq))) == proposed.seq


@pytest.mark.parametrize(
    ("meeting", "message"),
    [
        (
            "2026-10-28",
            "meeting_date 2026-10-28 is before 2026-11-23, the date of the 2026Q3 review (record {seq}) it decides "
            "on: a board meets on a recommendation once it is made; nothing was recorded",
        ),
        (
            "2026-11-25",
            "meeting_date 2026-11-25 is after today, 2026-11-23: a decision is recorded once its meeting has taken "
            "place; nothing was recorded",
        ),
    ],
    ids=["before-the-review", "after-today"],
)
def test_a_meeting_date_outside_its_bounds_is_refused(
    portfolio: Store, ledger: Ledger, meeting: str, message: str
) -> None:
    proposed = review_quarter(portfolio, ledger, "2026Q3")
    with pytest.raises(DecisionRefused) as refused:
        review.confirm_review(portfolio, ledger, board_answer("2026Q3", meeting_date=meeting), Actor.of("ana"))
    assert (refused.value.code, refused.value.message) == ("meeting-date-invalid", message.format(seq=proposed.seq))
    with portfolio.read() as conn:
        assert conn.scalar(select(func.max(LedgerRow.seq))) == proposed.seq


def test_the_agenda_lists_reviews_awaiting_the_board(portfolio: Store, ledger: Ledger) -> None:
    proposed = review_quarter(portfolio, ledger, "2026Q3")
    with portfolio.read() as conn:
        assert review.pending_reviews(conn) == [
            {
                "quarter": "2026Q3",
                "seq": proposed.seq,
                "counts": {"continue": 7, "resume": 1},
                "findings": proposed.payload.findings,
            }
        ]
    review.confirm_review(portfolio, ledger, board_answer("2026Q3"), Actor.of("ana"))
    with portfolio.read() as conn:
        assert review.pending_reviews(conn) == []


def test_confirming_without_a_proposal_is_not_found(portfolio: Store, ledger: Ledger) -> None:
    with pytest.raises(NotFoundError, match="no review proposed for 2026Q4"):
        review.confirm_review(portfolio, ledger, board_answer("2026Q4"), Actor.of("ana"))


def test_proposing_again_records_nothing_new_unless_reports_change(
    portfolio: Store, ledger: Ledger, tmp_path: Path
) -> None:
    first = review_quarter(portfolio, ledger, "2026Q3")
    again = review.propose_review(portfolio, ledger, "2026Q3", "pmo")
    assert (again.seq, again.reused) == (first.seq, True)
    assert again.payload == first.payload  # read back through its model: what was recorded
    revised = parse_yaml((EXAMPLES / "status" / "2026Q3" / "hpc2.yaml").read_text())
    revised["earned_value"] = 1900000
    path = tmp_path / "hpc2.yaml"
    path.write_text(dump_yaml(revised))
    [filed] = reports.file_status_reports(portfolio, ledger, reports.read_status_reports([path], "2026Q3"), "pmo")
    assert (filed.action, filed.quarter) == ("revised", "2026Q3")
    third = review.propose_review(portfolio, ledger, "2026Q3", "pmo")
    assert third.seq > first.seq and not third.reused
    hpc2 = next(p for p in third.payload.projects if p.id == "P-2026-0001")
    assert hpc2.facts.model_dump()["cpi"] == "0.93"


def test_parse_override() -> None:
    assert review.parse_override("P-2026-0007=stop: the market moved") == ReviewOverride(
        project="P-2026-0007", outcome="stop", rationale="the market moved"
    )
    with pytest.raises(DecisionRefused, match="expected 'P-2026-0007=OUTCOME: rationale'"):
        review.parse_override("P-2026-0007 stop")
    with pytest.raises(DecisionRefused, match="outcomes: continue, pause, resume, stop, complete"):
        review.parse_override("P-2026-0007=kill: no")


def _proposal(count: int) -> ReviewProposedPayload:
    """A review of `count` active projects, each recommended to continue."""
    facts = ReviewFactsMissing(
        score=None,
        ecv=0,
        npv=0,
        open_conditions=0,
        overdue_conditions=0,
        state="active",
        bucket="platform",
        report_missing=True,
        report_late_days=None,
    )
    return ReviewProposedPayload(
        quarter="2026Q4",
        as_of="2026-11-23",
        policy="stage-gate",
        counts={"continue": count},
        findings=[],
        projects=[
            ReviewProject(
                id=f"P-2026-000{i}",
                reference=f"REF-{i}",
                title=f"Project {i}",
                bucket="platform",
                state="active",
                rules_outcome="continue",
                recommended="continue",
                reasons=["no review rule fired"],
                rules_fired=[],
                findings=[],
                facts=facts,
                funded=None,
            )
            for i in range(1, count + 1)
        ],
        selection=None,
    )


PROPOSAL = _proposal(8)


@settings(max_examples=40, deadline=None)
@given(
    overrides=st.dictionaries(
        st.sampled_from([f"P-2026-000{i}" for i in range(1, 9)]),
        st.sampled_from(["pause", "stop", "complete"]),
        max_size=8,
    )
)
def test_every_project_gets_exactly_one_outcome(overrides: dict[str, str]) -> None:
    answer = board_answer(
        "2026Q4", overrides=[{"project": p, "outcome": o, "rationale": "board"} for p, o in sorted(overrides.items())]
    )
    outcomes = review.review_outcomes(PROPOSAL, answer)
    assert [o.id for o in outcomes] == [f"P-2026-000{i}" for i in range(1, 9)]
    for o in outcomes:
        expected = overrides.get(o.id, "continue")
        assert (o.outcome, o.overridden) == (expected, o.id in overrides)
        assert (
            o.state_after
            == {"continue": "active", "pause": "paused", "stop": "stopped", "complete": "completed"}[expected]
        )


def test_an_outcome_carries_its_reasons_and_the_rationale_that_applies() -> None:
    override = ReviewOverride(project="P-2026-0002", outcome="continue", rationale="As recommended, said twice.")
    outcomes = review.review_outcomes(_proposal(2), board_answer("2026Q4", overrides=[override]))
    assert outcomes == [
        review.ProjectOutcome(
            id="P-2026-0001",
            outcome="continue",
            recommended="continue",
            overridden=False,
            reasons=["no review rule fired"],
            rationale="The board accepts the recommendations.",
            state_before="active",
            state_after="active",
        ),
        review.ProjectOutcome(
            id="P-2026-0002",
            outcome="continue",
            recommended="continue",
            overridden=False,  # an override that repeats the recommendation changes nothing
            reasons=["no review rule fired"],
            rationale="As recommended, said twice.",
            state_before="active",
            state_after="active",
        ),
    ]
