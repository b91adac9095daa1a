"""The review's plan: the rules applied to each project's facts, then the selection applied (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from governance import adoption, projects, review
from governance.adoption import current_policy
from governance.authority import Actor
from governance.canonical import canonical_text
from governance.ledger import Ledger
from governance.portfolio import problem_json
from governance.review import ReviewPlan
from governance.selection import solve
from governance.store import Store
from models.records import FiredRule, ReviewFactsMissing, ReviewProject, SelectedPayload
from models.selection import SelectionCandidate, SelectionProblem
from models.tables import LedgerRow

from .conftest import EXAMPLES, board_answer, review_quarter, with_portfolio


def _recommendations(proposed: review.ProposedReview) -> dict[str, tuple[str, list[str], list[str]]]:
    return {p.id: (p.recommended, p.reasons, p.findings) for p in proposed.payload.projects}


def test_two_quarters_of_reports_give_continue_pause_stop_complete(portfolio: Store, ledger: Ledger) -> None:
    q3 = review_quarter(portfolio, ledger, "2026Q3")
    assert q3.payload.counts == {"continue": 7, "resume": 1}
    assert q3.payload.findings == [
        "1 project(s) reported late",
        "the policy has no portfolio section: no selection was run",
    ]
    assert _recommendations(q3)["P-2026-0007"] == (
        "continue",
        ["no review rule fired"],
        ["status report for 2026Q3 came 7 day(s) after its due date"],
    )
    review.confirm_review(portfolio, ledger, board_answer("2026Q3"), Actor.of("ana"))
    q4 = review_quarter(portfolio, ledger, "2026Q4")
    assert _recommendations(q4) == {
        "P-2026-0001": (
            "pause",
            [
                "cost-overrun: Cost performance index below 0.80 for 2 quarters: "
                "cpi 0.71 < 0.8 (2026Q4); cpi 0.76 < 0.8 (2026Q3)"
            ],
            [],
        ),
        "P-2026-0002": (
            "stop",
            [
                "value-gone: Negative expected commercial value at high risk: "
                "ecv -2573753.09 < 0 and risk_level high in [high, critical] (2026Q4)"
            ],
            [],
        ),
        "P-2026-0003": (
            "complete",
            ["delivered: All milestones delivered: percent_complete 100 >= 100 (2026Q4)"],
            [],
        ),
        "P-2026-0004": ("continue", ["no review rule fired"], []),
        "P-2026-0005": ("continue", ["no review rule fired"], []),
        "P-2026-0006": ("continue", ["no review rule fired"], ["no status report for 2026Q4"]),
        "P-2026-0007": ("continue", ["no review rule fired"], []),
        "P-2026-0008": ("continue", ["no review rule fired"], []),
    }
    hpc2 = next(p for p in q4.payload.projects if p.id == "P-2026-0001")
    facts = hpc2.facts.model_dump()  # as recorded: decimals as written
    assert {k: facts[k] for k in ("cpi", "spi", "risk_level", "milestones_missed", "score")} == {
        "cpi": "0.71",
        "spi": "0.80",
        "risk_level": "high",
        "milestones_missed": 1,
        "score": "71.5",
    }


@pytest.mark.parametrize(
    ("precedence", "budget", "expected"),
    [
        # Enough money for all: the rules decide; with precedence `selection` the funded project continues.
        ("rules", 20_000_000, {"P-2026-0001": "pause", "P-2026-0008": "continue"}),
        ("selection", 20_000_000, {"P-2026-0001": "continue", "P-2026-0008": "continue"}),
        # Too little money: a project the rules would continue is paused, "not funded within budget".
        ("rules", 1_000_000, {"P-2026-0001": "pause", "P-2026-0008": "pause"}),
    ],
    ids=["rules-win", "selection-wins", "unfunded"],
)
def test_rules_and_selection_combine_as_the_policy_says(
    store: Store, ledger: Ledger, precedence: str, budget: int, expected: dict[str, str]
) -> None:
    adoption.adopt_policy(store, ledger, with_portfolio(precedence, budget), Actor.of("ana"))
    projects.import_projects(store, ledger, [EXAMPLES / "projects"], "pmo")
    review_quarter(store, ledger, "2026Q3")
    review.confirm_review(store, ledger, board_answer("2026Q3"), Actor.of("ana"))
    q4 = review_quarter(store, ledger, "2026Q4")
    got = {p.id: p for p in q4.payload.projects}
    assert {pid: got[pid].recommended for pid in expected} == expected
    assert q4.payload.selection is not None
    assert q4.payload.selection.status == "optimal"
    if precedence == "selection":
        assert got["P-2026-0001"].reasons[-1] == (
            "the selection funds it and the policy gives the selection precedence over the review rules"
        )
    if budget == 1_000_000:
        assert got["P-2026-0008"].funded is False
        assert got["P-2026-0008"].reasons[0].startswith("not funded within budget (")
    assert got["P-2026-0002"].recommended == "stop"  # a stop from the rules always stands


# -- the plan as a value ------------------------------------------------------------------------


def test_planning_reads_only_and_gives_a_frozen_plan(portfolio: Store, ledger: Ledger) -> None:
    review_quarter(portfolio, ledger, "2026Q3")
    with portfolio.read() as conn:
        before = conn.scalar(select(func.count()).select_from(LedgerRow))
        plan = review.plan_review(conn, current_policy(conn), "2026Q3", dt.date(2026, 11, 23))
        assert conn.scalar(select(func.count()).select_from(LedgerRow)) == before
    assert (plan.quarter, plan.as_of, plan.selection, plan.selection_problem, plan.problem) == (
        "2026Q3",
        dt.date(2026, 11, 23),
        None,
        None,
        None,
    )
    assert plan.findings == ("1 project(s) reported late", "the policy has no portfolio section: no selection was run")
    assert [p.id for p in plan.projects] == [f"P-2026-000{i}" for i in range(1, 9)]
    assert all(p.funded is None for p in plan.projects)
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.findings = ()  # type: ignore[misc]
    with pytest.raises(ValidationError):
        plan.projects[0].recommended = "stop"  # type: ignore[misc]


def test_without_solving_the_plan_holds_the_problem_only(store: Store, ledger: Ledger) -> None:
    adoption.adopt_policy(store, ledger, with_portfolio("rules", 20_000_000), Actor.of("ana"))
    projects.import_projects(store, ledger, [EXAMPLES / "projects"], "pmo")
    with store.read() as conn:
        loaded = current_policy(conn)
        plan = review.plan_review(conn, loaded, "2026Q3", dt.date(2026, 11, 23), solve=False)
        problem = review.selection_problem(conn, loaded, "2026Q3", dt.date(2026, 11, 23))
    assert plan.problem == problem
    assert (plan.selection, plan.selection_problem) == (None, None)
    assert all(p.funded is None for p in plan.projects)
    assert {c.id for c in problem.candidates} >= {p.id for p in plan.projects if p.rules_outcome == "continue"}


def _project(pid: str, rules_outcome: str, state: str = "active") -> ReviewProject:
    fired = (
        []
        if rules_outcome in ("continue", "resume")
        else [FiredRule(rule="r", outcome=rules_outcome, reason="x", evidence=[])]
    )
    facts = ReviewFactsMissing(
        score=None,
        ecv=Decimal(0),
        npv=Decimal(0),
        open_conditions=0,
        overdue_conditions=0,
        state=state,
        bucket="platform",
        report_missing=True,
        report_late_days=None,
    )
    return ReviewProject(
        id=pid,
        reference=f"REF-{pid[-1]}",
        title=f"Project {pid[-1]}",
        bucket="platform",
        state=state,
        rules_outcome=rules_outcome,
        recommended=rules_outcome,
        reasons=["no review rule fired"] if not fired else ["r: x"],
        rules_fired=fired,
        findings=[],
        facts=facts,
        funded=None,
    )


def _candidate(pid: str, cost: int, ecv: int, force_out: str | None = None) -> SelectionCandidate:
    return SelectionCandidate(
        id=pid,
        title=f"Project {pid[-1]}",
        kind="project",
        bucket="platform",
        ecv=Decimal(ecv),
        costs=[{"period": "FY2027", "amount": Decimal(cost)}],
        force="out" if force_out else None,
        force_reason=force_out,
    )


PLAN = ReviewPlan(
    "2026Q4",
    dt.date(2026, 11, 23),
    projects=(
        _project("P-2026-0001", "continue"),
        _project("P-2026-0002", "continue"),
        _project("P-2026-0003", "pause"),
        _project("P-2026-0004", "stop"),
        _project("P-2026-0005", "pause", state="paused"),
    ),
    findings=("one finding",),
)


def _problem(budget: int, *, pause_out: bool, min_share: str = "0") -> SelectionProblem:
    return SelectionProblem(
        candidates=(
            _candidate("P-2026-0001", 600, 1000),
            _candidate("P-2026-0002", 600, 500),
            _candidate("P-2026-0003", 100, 900, "review rule r: pause" if pause_out else None),
            _candidate("P-2026-0005", 100, 800, "review rule r: pause" if pause_out else None),
        ),
        budget={"FY2027": Decimal(budget)},
        buckets={"platform": (Decimal(min_share), Decimal(1))},
    )


def test_applying_the_selection_gives_a_new_plan_and_pauses_what_is_not_funded() -> None:
    problem = _problem(700, pause_out=True)
    result = solve(problem)
    solved = review.apply_selection(PLAN, problem, "rules")
    assert PLAN.projects[1].funded is None and PLAN.projects[1].recommended == "continue"  # the plan given is kept
    assert solved.selection == SelectedPayload.from_result(result)
    assert solved.selection_problem == json.loads(canonical_text(problem_json(problem)))
    assert solved.findings == ("one finding",)
    why = "; ".join(next(item.reasons for item in result.left_out if item.id == "P-2026-0002"))
    assert [(p.id, p.funded, p.recommended, p.reasons) for p in solved.projects] == [
        ("P-2026-0001", True, "continue", ["no review rule fired"]),
        ("P-2026-0002", False, "pause", [f"not funded within budget ({why})"]),
        ("P-2026-0003", False, "pause", ["r: x"]),
        ("P-2026-0004", None, "stop", ["r: x"]),  # a stop is no candidate: untouched
        ("P-2026-0005", False, "pause", ["r: x"]),
    ]


def test_with_selection_precedence_a_funded_pause_continues_or_resumes() -> None:
    problem = _problem(2000, pause_out=False)
    solved = review.apply_selection(PLAN, problem, "selection")
    reason = "the selection funds it and the policy gives the selection precedence over the review rules"
    assert [(p.id, p.funded, p.rules_outcome, p.recommended, p.reasons) for p in solved.projects] == [
        ("P-2026-0001", True, "continue", "continue", ["no review rule fired"]),
        ("P-2026-0002", True, "continue", "continue", ["no review rule fired"]),
        ("P-2026-0003", True, "pause", "continue", ["r: x", reason]),
        ("P-2026-0004", None, "stop", "stop", ["r: x"]),
        ("P-2026-0005", True, "pause", "resume", ["r: x", reason]),
    ]


def test_a_selection_without_a_solution_leaves_the_rules_to_decide() -> None:
    problem = _problem(10_000, pause_out=True, min_share="0.9")  # 90 % of the budget cannot be spent
    result = solve(problem)
    assert result.status == "infeasible"
    solved = review.apply_selection(PLAN, problem, "rules")
    assert solved.projects == PLAN.projects
    assert solved.selection == SelectedPayload.from_result(result)
    assert solved.findings == (
        "one finding",
        "portfolio selection is infeasible; the recommendations stand on the review rules alone. Conflicting: "
        + "; ".join(result.conflicts),
    )
