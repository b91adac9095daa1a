"""Migrated projects, status reports and the quarterly review through the store (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from governance import adoption, projects, reports, review
from governance.errors import ConflictError, DecisionRefused, InputRefused, NotFoundError, Problem
from governance.ledger import Ledger, records_for, verify
from governance.policy import LoadedPolicy, _from_data, load_policy
from governance.sources import load_yaml_text
from governance.store import Store
from models.decision import ReviewAnswer, ReviewOverride
from models.status_report import StatusReport
from models.tables import LedgerRow, ProposalRow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _policy(portfolio: bool) -> LoadedPolicy:
    data = load_yaml_text((Path(__file__).resolve().parents[2] / "policies" / "stage-gate.yaml").read_text())
    if not portfolio:
        data.pop("portfolio")
    return _from_data(data, "stage-gate")


RULES_ONLY = _policy(portfolio=False)


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_NoAliases, sort_keys=False)


def _answer(quarter: str, **changes: Any) -> ReviewAnswer:
    data: dict[str, Any] = {
        "quarter": quarter,
        "decided_by": "ana",
        "meeting_date": "2026-11-25",
        "rationale": "The board accepts the recommendations.",
    }
    data.update(changes)
    return ReviewAnswer.model_validate(data)


@pytest.fixture
def portfolio(store: Store, ledger: Ledger) -> Store:
    adoption.adopt_policy(store, ledger, RULES_ONLY, "admin")
    projects.import_projects(store, ledger, [EXAMPLES / "projects"], "pmo")
    return store


def _review(store: Store, ledger: Ledger, quarter: str) -> review.ProposedReview:
    items = reports.read_status_reports([EXAMPLES / "status" / quarter], quarter)
    reports.file_status_reports(store, ledger, items, "pmo")
    return review.propose_review(store, ledger, quarter, "pmo")


def test_import_projects_records_each_once(portfolio: Store, ledger: Ledger) -> None:
    with portfolio.read() as conn:
        rows = conn.execute(select(ProposalRow.id, ProposalRow.reference, ProposalRow.state, ProposalRow.gate)).all()
        first = records_for(conn, "P-2026-0001")
    assert sorted(tuple(r) for r in rows) == [
        ("P-2026-0001", "NW-RUN-HPC2", "active", 5),
        ("P-2026-0002", "NW-RUN-CLOUDMIG", "active", 5),
        ("P-2026-0003", "NW-RUN-ECOLABEL", "active", 5),
        ("P-2026-0004", "NW-RUN-SMT", "active", 5),
        ("P-2026-0005", "NW-RUN-ZIGBEE", "paused", 5),
        ("P-2026-0006", "NW-RUN-DATAHUB", "active", 5),
        ("P-2026-0007", "NW-RUN-VALVEPCB", "active", 5),
        ("P-2026-0008", "NW-RUN-PORTAL", "active", 5),
    ]
    [migrated] = first
    assert (migrated.kind, migrated.outcome) == ("migrated", "active")
    payload = migrated.payload
    assert {k: payload[k] for k in ("reference", "approved_on", "score", "stage", "state_after")} == {
        "reference": "NW-RUN-HPC2",
        "approved_on": "2025-01-20",
        "score": "71.5",
        "stage": "launch",
        "state_after": "active",
    }
    again = projects.import_projects(portfolio, ledger, [EXAMPLES / "projects"], "pmo")
    assert {i.action for i in again} == {"unchanged"}
    assert verify(portfolio).ok


def test_import_refuses_a_changed_project_and_bad_fields(portfolio: Store, ledger: Ledger, tmp_path: Path) -> None:
    data = load_yaml_text((EXAMPLES / "projects" / "running-projects.yaml").read_text())["projects"]
    changed = dict(data[0], title="Heat pump controller gen2 (renamed)")
    broken = dict(data[1], reference="NW-NEW-ONE", status="dormant", score=140)
    path = tmp_path / "more.yaml"
    path.write_text(_dump([changed, broken]))
    with pytest.raises(InputRefused) as refused:
        projects.import_projects(portfolio, ledger, [path], "pmo")
    assert list(refused.value.problems) == [
        Problem(str(path), "record 2", "status", "invalid-value", "Input should be 'active' or 'paused'"),
        Problem(str(path), "record 2", "score", "out-of-range", "Input should be less than or equal to 100"),
    ]
    path.write_text(_dump([changed]))
    with pytest.raises(InputRefused) as refused:
        projects.import_projects(portfolio, ledger, [path], "pmo")
    assert list(refused.value.problems) == [
        Problem(
            str(path),
            "record 1",
            "reference",
            "already-on-file",
            "reference NW-RUN-HPC2 is already on file as P-2026-0001 (active) with other content",
        )
    ]
    with portfolio.read() as conn:
        assert conn.scalar(select(func.count()).select_from(LedgerRow)) == 9  # policy + 8 migrated: nothing new


def test_status_reports_from_csv_equal_yaml(tmp_path: Path) -> None:
    csv_path = tmp_path / "q4.csv"
    csv_path.write_text(
        "project,quarter,submitted_on,actual_cost,planned_value,earned_value,percent_complete,risk_level,"
        "milestones_hit,milestones_missed,commentary,cost:FY2027,benefit:FY2027,benefit:FY2028,benefit:FY2029,"
        "benefit:FY2030\n"
        "NW-RUN-HPC2,2026Q4,2026-11-20,2600000,2300000,1850000,62,high,EMC pre-scan,Beta firmware,"
        '"Cost overrun continues; the supplier\'s compressor driver change added a board spin.",1500000,600000,'
        "2400000,2900000,2700000\n"
    )
    [from_csv] = reports.read_status_reports([csv_path], "2026Q4")
    [from_yaml] = reports.read_status_reports([EXAMPLES / "status" / "2026Q4" / "hpc2.yaml"], "2026Q4")
    assert from_csv.report == from_yaml.report
    assert from_csv.content_hash == from_yaml.content_hash
    assert reports.earned_value_indices(from_csv.report) == (Decimal("0.71"), Decimal("0.80"))


def test_bad_status_reports_are_refused_whole(tmp_path: Path) -> None:
    good = load_yaml_text((EXAMPLES / "status" / "2026Q4" / "smt.yaml").read_text())
    bad = dict(good, project="NW-RUN-HPC2", actual_cost=-5, commentary="<script>x</script>", colour="red")
    early = dict(good, project="NW-RUN-PORTAL", submitted_on="2026-09-30")
    other = dict(good, project="NW-RUN-DATAHUB", quarter="2026Q3")
    path = tmp_path / "reports.yaml"
    path.write_text(_dump([good, bad, early, other, dict(good)]))
    with pytest.raises(InputRefused) as refused:
        reports.read_status_reports([path], "2026Q4")
    f = str(path)
    assert list(refused.value.problems) == [
        Problem(f, "record 2", "actual_cost", "negative-amount", "amount must not be negative"),
        Problem(f, "record 2", "commentary", "markup-in-text", "text must be plain, found markup '<s'"),
        Problem(f, "record 2", "colour", "unknown-field", "Extra inputs are not permitted"),
        Problem(
            f, "record 3", "(record)", "inconsistent", "submitted_on 2026-09-30 is before the quarter 2026Q4 begins"
        ),
        Problem(f, "record 4", "quarter", "wrong-quarter", "report is for 2026Q3, the review is for 2026Q4"),
        Problem(
            f, "record 5", "project", "duplicate-in-batch", f"NW-RUN-SMT already reports for 2026Q4 in {f} record 1"
        ),
    ]


def test_reports_for_unknown_or_closed_projects_record_nothing(
    portfolio: Store, ledger: Ledger, tmp_path: Path
) -> None:
    good = load_yaml_text((EXAMPLES / "status" / "2026Q4" / "smt.yaml").read_text())
    path = tmp_path / "r.yaml"
    path.write_text(_dump([good, dict(good, project="NW-NOBODY")]))
    items = reports.read_status_reports([path], "2026Q4")
    with pytest.raises(InputRefused) as refused:
        reports.file_status_reports(portfolio, ledger, items, "pmo")
    assert list(refused.value.problems) == [
        Problem(str(path), "record 2", "project", "unknown-reference", "no project NW-NOBODY")
    ]
    with portfolio.read() as conn:
        assert conn.scalar(select(func.count()).select_from(LedgerRow).where(LedgerRow.kind == "status-reported")) == 0


def _recommendations(proposed: review.ProposedReview) -> dict[str, tuple[str, list[str], list[str]]]:
    return {p["id"]: (p["recommended"], p["reasons"], p["findings"]) for p in proposed.payload["projects"]}


def test_two_quarters_of_reports_give_continue_pause_stop_complete(portfolio: Store, ledger: Ledger) -> None:
    q3 = _review(portfolio, ledger, "2026Q3")
    assert q3.payload["counts"] == {"continue": 7, "resume": 1}
    assert q3.payload["findings"] == [
        "1 project(s) reported late",
        "the policy has no portfolio section: no selection was run",
    ]
    assert _recommendations(q3)["P-2026-0007"] == (
        "continue",
        ["no review rule fired"],
        ["status report for 2026Q3 came 7 day(s) after its due date"],
    )
    review.confirm_review(portfolio, ledger, _answer("2026Q3"), "pmo")
    q4 = _review(portfolio, ledger, "2026Q4")
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
    hpc2 = next(p for p in q4.payload["projects"] if p["id"] == "P-2026-0001")
    assert {k: hpc2["facts"][k] for k in ("cpi", "spi", "risk_level", "milestones_missed", "score")} == {
        "cpi": "0.71",
        "spi": "0.80",
        "risk_level": "high",
        "milestones_missed": 1,
        "score": "71.5",
    }


def test_confirmation_records_each_outcome_once_with_overrides(portfolio: Store, ledger: Ledger) -> None:
    _review(portfolio, ledger, "2026Q3")
    answer = _answer(
        "2026Q3",
        overrides=[ReviewOverride(project="P-2026-0002", outcome="pause", rationale="Wait for the pricing offer.")],
    )
    first = review.confirm_review(portfolio, ledger, answer, "pmo", chunk_size=3)
    assert (first.recorded, first.already, first.outcomes) == (8, 0, {"continue": 6, "pause": 1, "resume": 1})
    again = review.confirm_review(portfolio, ledger, answer, "pmo", chunk_size=3)
    assert (again.recorded, again.already) == (0, 8)
    with portfolio.read() as conn:
        states = {pid: state for pid, state in conn.execute(select(ProposalRow.id, ProposalRow.state))}
        [reviewed] = [r for r in records_for(conn, "P-2026-0002") if r.kind == "reviewed"]
    assert states["P-2026-0002"] == "paused" and states["P-2026-0005"] == "active"
    assert reviewed.payload == {
        "quarter": "2026Q3",
        "outcome": "pause",
        "recommended": "continue",
        "overridden": True,
        "reasons": ["no review rule fired"],
        "rationale": "Wait for the pricing offer.",
        "decided_by": "ana",
        "meeting_date": "2026-11-25",
        "confirmed_seq": first.confirmed_seq,
        "state_after": "paused",
    }
    with pytest.raises(ConflictError, match=r"2026Q3 review was already confirmed \(record \d+\) with another answer"):
        review.confirm_review(portfolio, ledger, _answer("2026Q3"), "pmo")
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
    proposed = _review(portfolio, ledger, "2026Q3")
    with pytest.raises(DecisionRefused) as refused:
        review.confirm_review(portfolio, ledger, _answer("2026Q3", **changes), "pmo")
    assert refused.value.message == message
    with portfolio.read() as conn:
        assert conn.scalar(select(func.max(LedgerRow.seq))) == proposed.seq


def test_the_agenda_lists_reviews_awaiting_the_board(portfolio: Store, ledger: Ledger) -> None:
    proposed = _review(portfolio, ledger, "2026Q3")
    with portfolio.read() as conn:
        assert review.pending_reviews(conn) == [
            {
                "quarter": "2026Q3",
                "seq": proposed.seq,
                "counts": {"continue": 7, "resume": 1},
                "findings": proposed.payload["findings"],
            }
        ]
    review.confirm_review(portfolio, ledger, _answer("2026Q3"), "pmo")
    with portfolio.read() as conn:
        assert review.pending_reviews(conn) == []


def test_confirming_without_a_proposal_is_not_found(portfolio: Store, ledger: Ledger) -> None:
    with pytest.raises(NotFoundError, match="no review proposed for 2026Q4"):
        review.confirm_review(portfolio, ledger, _answer("2026Q4"), "pmo")


def test_proposing_again_records_nothing_new_unless_reports_change(
    portfolio: Store, ledger: Ledger, tmp_path: Path
) -> None:
    first = _review(portfolio, ledger, "2026Q3")
    again = review.propose_review(portfolio, ledger, "2026Q3", "pmo")
    assert (again.seq, again.reused) == (first.seq, True)
    revised = load_yaml_text((EXAMPLES / "status" / "2026Q3" / "hpc2.yaml").read_text())
    revised["earned_value"] = 1900000
    path = tmp_path / "hpc2.yaml"
    path.write_text(_dump(revised))
    [filed] = reports.file_status_reports(portfolio, ledger, reports.read_status_reports([path], "2026Q3"), "pmo")
    assert (filed.action, filed.quarter) == ("revised", "2026Q3")
    third = review.propose_review(portfolio, ledger, "2026Q3", "pmo")
    assert third.seq > first.seq and not third.reused
    hpc2 = next(p for p in third.payload["projects"] if p["id"] == "P-2026-0001")
    assert hpc2["facts"]["cpi"] == "0.93"


def test_explain_shows_the_numbers_a_rule_was_decided_on() -> None:
    from models.policy import ReviewRule

    rule = ReviewRule.model_validate(
        {
            "id": "x",
            "outcome": "pause",
            "reason": "r",
            "when": {
                "any": [
                    {"field": "spi", "op": "lt", "value": 0.75},
                    {"not": {"field": "commentary", "op": "present"}},
                    {"field": "state", "op": "ne", "other": "bucket"},
                ]
            },
        }
    )
    facts = {"spi": Decimal("0.70"), "state": "active", "bucket": "platform"}
    assert (
        review.explain(rule.when, facts)
        == "spi 0.70 < 0.75 or not (commentary absent) or state active != bucket platform"
    )
    assert review.explain(rule.when, dict(facts, spi=Decimal("0.9"), state="platform")) == "not (commentary absent)"


def test_parse_override() -> None:
    assert review.parse_override("P-2026-0007=stop: the market moved") == ReviewOverride(
        project="P-2026-0007", outcome="stop", rationale="the market moved"
    )
    with pytest.raises(DecisionRefused, match="expected 'P-2026-0007=OUTCOME: rationale'"):
        review.parse_override("P-2026-0007 stop")
    with pytest.raises(DecisionRefused, match="outcomes: continue, pause, resume, stop, complete"):
        review.parse_override("P-2026-0007=kill: no")


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(
    ac=st.integers(0, 10**9),
    pv=st.integers(0, 10**9),
    ev=st.integers(0, 10**9),
)
def test_earned_value_indices(ac: int, pv: int, ev: int) -> None:
    report = StatusReport.model_validate(
        {
            "project": "NW-X",
            "quarter": "2026Q4",
            "submitted_on": "2026-12-01",
            "actual_cost": ac,
            "planned_value": pv,
            "earned_value": ev,
            "percent_complete": 10,
            "risk_level": "low",
        }
    )
    cpi, spi = reports.earned_value_indices(report)
    assert (cpi is None) == (ac == 0) and (spi is None) == (pv == 0)
    if cpi is not None:
        assert abs(float(cpi) - ev / ac) <= 0.005 + 1e-9
    if spi is not None:
        assert abs(float(spi) - ev / pv) <= 0.005 + 1e-9


@settings(max_examples=40, deadline=None)
@given(
    overrides=st.dictionaries(
        st.sampled_from([f"P-2026-000{i}" for i in range(1, 9)]),
        st.sampled_from(["pause", "stop", "complete"]),
        max_size=8,
    )
)
def test_every_project_gets_exactly_one_outcome(overrides: dict[str, str]) -> None:
    proposed = {
        "projects": [
            {"id": f"P-2026-000{i}", "state": "active", "recommended": "continue", "reasons": ["no review rule fired"]}
            for i in range(1, 9)
        ]
    }
    answer = _answer(
        "2026Q4", overrides=[{"project": p, "outcome": o, "rationale": "board"} for p, o in sorted(overrides.items())]
    )
    outcomes = review.review_outcomes(proposed, answer)
    assert [o["id"] for o in outcomes] == [f"P-2026-000{i}" for i in range(1, 9)]
    for o in outcomes:
        expected = overrides.get(o["id"], "continue")
        assert (o["outcome"], o["overridden"]) == (expected, o["id"] in overrides)
        assert (
            o["state_after"]
            == {"continue": "active", "pause": "paused", "stop": "stopped", "complete": "completed"}[expected]
        )


def test_policy_rule_fields_are_documented() -> None:
    for rule in load_policy("stage-gate").policy.review_rules:
        fields = json.dumps(rule.when.model_dump(mode="json", by_alias=True))
        assert any(f'"{name}"' in fields for name in review.FACT_FIELDS), rule.id


def _with_portfolio(precedence: str, budget: int) -> LoadedPolicy:
    data = load_yaml_text((Path(__file__).resolve().parents[2] / "policies" / "stage-gate.yaml").read_text())
    for bucket in data["buckets"]:
        bucket["min_share"] = 0
        bucket["max_share"] = 1
    data["portfolio"].update(precedence=precedence, budget={"FY2027": budget, "FY2028": budget})
    data["portfolio"].pop("capacity")
    return _from_data(data, f"stage-gate ({precedence})")


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
    adoption.adopt_policy(store, ledger, _with_portfolio(precedence, budget), "admin")
    projects.import_projects(store, ledger, [EXAMPLES / "projects"], "pmo")
    _review(store, ledger, "2026Q3")
    review.confirm_review(store, ledger, _answer("2026Q3"), "pmo")
    q4 = _review(store, ledger, "2026Q4")
    got = {p["id"]: p for p in q4.payload["projects"]}
    assert {pid: got[pid]["recommended"] for pid in expected} == expected
    assert q4.payload["selection"]["status"] == "optimal"
    if precedence == "selection":
        assert got["P-2026-0001"]["reasons"][-1] == (
            "the selection funds it and the policy gives the selection precedence over the review rules"
        )
    if budget == 1_000_000:
        assert got["P-2026-0008"]["funded"] is False
        assert got["P-2026-0008"]["reasons"][0].startswith("not funded within budget (")
    assert got["P-2026-0002"]["recommended"] == "stop"  # a stop from the rules always stands
