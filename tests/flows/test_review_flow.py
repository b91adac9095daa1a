"""The quarterly review flow as real Prefect flow runs against the session's test server."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.review import ReviewConfirmation, ReviewResult, quarterly_review_flow, to_answer
from governance import adoption, projects
from governance.authority import Actor
from governance.clock import FixedClock, SeededIds
from governance.errors import DecisionRefused
from governance.ledger import Ledger, verify
from governance.policy import load_policy
from governance.store import Store
from models.decision import ReviewAnswer

from ..conftest import EXAMPLES, START
from .taskruns import task_runs

ANSWER = ReviewAnswer(
    quarter="2026Q3",
    decided_by="ana",
    meeting_date="2026-11-23",
    rationale="Accepted.",
    votes=[{"member": m, "vote": "accept"} for m in ("ana", "raj", "lee")],
)


@pytest.fixture
def running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    # The flow's tasks read the clock from the settings: the review is dated on the day the board meets.
    monkeypatch.setenv("GOVERNANCE_CLOCK_START", START.isoformat())
    store = Store(f"sqlite:///{tmp_path / 'g.db'}")
    store.upgrade()
    ledger = Ledger(FixedClock(START), SeededIds("flow"))
    adoption.adopt_policy(store, ledger, load_policy("stage-gate"), Actor.of("ana"))
    projects.import_projects(store, ledger, [EXAMPLES / "projects"], "pmo")
    return store


def _run(store: Store, **kwargs: object) -> ReviewResult:
    state = quarterly_review_flow(
        "2026Q3", [str(EXAMPLES / "status" / "2026Q3")], "pmo", store.url, chunk_size=3, return_state=True, **kwargs
    )
    assert state.is_completed(), state.message
    result = state.result()
    assert isinstance(result, ReviewResult)
    return result


def test_without_an_answer_the_run_stops_awaiting_the_board(running: Store) -> None:
    result = _run(running)
    assert (result.state, result.reports, result.confirmed_seq) == ("awaiting-confirmation", {"reported": 8}, None)
    # NW-RUN-CLOUDMIG (ECV -2.04M) is not funded: bucket shares of spend force no value-losing project in.
    assert result.counts == {"continue": 6, "pause": 1, "resume": 1}
    again = _run(running, answer=ANSWER)  # a second run (a resume, or the board answering at once)
    assert (again.state, again.reports, again.proposed_seq) == ("confirmed", {"unchanged": 8}, result.proposed_seq)
    assert (again.recorded, again.already) == (8, 0)
    third = _run(running, answer=ANSWER)
    assert (third.state, third.recorded, third.already) == ("confirmed", 0, 8)
    assert verify(running).ok


def test_the_run_publishes_its_tasks_and_refuses_a_bad_answer(running: Store) -> None:
    state = quarterly_review_flow(
        "2026Q3",
        [str(EXAMPLES / "status" / "2026Q3")],
        "pmo",
        running.url,
        ANSWER.model_copy(update={"decided_by": "zoe"}),
        3,
        return_state=True,
    )
    result = state.result()
    assert isinstance(result, ReviewResult)
    assert (result.state, result.refusals) == (
        "refused",
        ["not on the board roster: zoe (members: ana, lee, mia, raj, tom)"],
    )
    runs = task_runs(state.state_details.flow_run_id, lambda found: len(found) >= 6, limit=50)
    names = sorted(r.name.rsplit("-", 1)[0] for r in runs)
    assert names == [
        "check-reports",
        "confirm-review",
        "file-reports",
        "file-reports",
        "file-reports",
        "propose-review",
    ]


def test_the_ui_answer_becomes_the_same_review_answer() -> None:
    given = ReviewConfirmation(
        decided_by=" Ana ",
        meeting_date="2026-11-23",
        rationale="Accepted.",
        overrides="P-2026-0002 = stop: the market moved\n\nP-2026-0004=pause: wait",
    )
    assert to_answer("2026Q3", given) == ReviewAnswer(
        quarter="2026Q3",
        decided_by="ana",
        meeting_date="2026-11-23",
        rationale="Accepted.",
        overrides=[
            {"project": "P-2026-0002", "outcome": "stop", "rationale": "the market moved"},
            {"project": "P-2026-0004", "outcome": "pause", "rationale": "wait"},
        ],
    )
    with pytest.raises(DecisionRefused):
        to_answer("2026Q3", given.model_copy(update={"overrides": "P-2026-0002 stop"}))
