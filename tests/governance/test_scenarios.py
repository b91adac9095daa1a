"""Saved scenarios in the engine (governance.scenarios): made from the portfolio as it stands with changes,
listed, deleted, and committed through the board's path into a `selected` record that replays."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from governance import adoption, projects, reports
from governance.authority import Actor
from governance.canonical import canonical_text
from governance.errors import ConflictError, DecisionRefused, Forbidden, InputRefused, NotFoundError
from governance.ledger import Ledger, head, latest_record
from governance.policy import _from_data
from governance.replay import replay_record
from governance.scenarios import (
    changes_of,
    commit_scenario,
    create_scenario,
    delete_scenario,
    get_scenario,
    list_scenarios,
    partition,
)
from governance.store import Store
from models.records import ScenarioCommittedPayload, SelectedPayload, parse_payload, record_schema
from models.tables import ScenarioRow

from .review.conftest import EXAMPLES, stage_gate_data

VOTES = ["ana=accept", "raj=accept", "lee=accept"]
IDS = [f"P-2026-000{i}" for i in range(1, 7)]
SHOWN = ", ".join(f"P-2026-000{i}" for i in range(1, 9))  # the eight example projects


def policy_data(budget: int = 9_000_000) -> dict[str, Any]:
    """The stage-gate policy with open bucket bounds, no capacity, `budget` a year, 500 trials; scenarios
    managed by the chair and the portfolio office only (the default adds the board)."""
    data = stage_gate_data()
    for bucket in data["buckets"]:
        bucket["min_share"], bucket["max_share"] = 0, 1
    data["portfolio"].update(budget={"FY2027": budget, "FY2028": budget})
    data["portfolio"].pop("capacity")
    data["simulation"] = {"distribution": "pert", "trials": 500}
    data["roles"]["manage-scenarios"] = ["chair", "portfolio-office"]
    return data


@pytest.fixture
def portfolio(store: Store, ledger: Ledger) -> Store:
    """The example projects on file with their 2026Q3 reports, under a policy with a portfolio section."""
    adoption.adopt_policy(store, ledger, _from_data(policy_data(), "stage-gate (scenarios)"), Actor.of("ana"))
    projects.import_projects(store, ledger, [EXAMPLES / "projects"], "pmo")
    folder = EXAMPLES / "status" / "2026Q3"
    reports.file_status_reports(store, ledger, reports.read_status_reports([folder], "2026Q3"), "pmo")
    return store


def _rows(store: Store) -> int:
    with store.read() as conn:
        return int(conn.scalar(select(func.count()).select_from(ScenarioRow)) or 0)


def test_a_scenario_is_made_saved_listed_and_read_back_whole(portfolio: Store, ledger: Ledger) -> None:
    with portfolio.read() as conn:
        before = head(conn)
    tight = create_scenario(
        portfolio, ledger, "tight", changes_of(budget={"FY2027": Decimal(3_000_000)}), Actor.of("pmo")
    )
    base = create_scenario(portfolio, ledger, "base", changes_of(), Actor.of("ana"))
    with portfolio.read() as conn:
        assert head(conn) == before  # a working document: nothing is recorded
    assert [s.name for s in list_scenarios(portfolio)] == ["base", "tight"]
    again = get_scenario(portfolio, "tight")
    assert again == tight
    assert (tight.created_by, tight.created_at, tight.ledger_seq) == ("pmo", "2026-11-23T09:00:00.019000Z", before[0])
    assert tight.problem.budget["FY2027"] == Decimal(3_000_000)
    assert base.problem.budget["FY2027"] == Decimal(9_000_000)
    assert tight.result.objective < base.result.objective  # less budget, less value
    assert tight.risk is not None and base.risk is not None
    assert tight.risk.projects == list(tight.selected)
    assert [(s.period, s.budget) for s in tight.risk.spend] == [
        ("FY2027", Decimal(3_000_000)),
        ("FY2028", Decimal(9_000_000)),
    ]
    assert canonical_text(tight.changes) == (
        '{"buckets":{},"budget":{"FY2027":"3000000"},"force_in":[],"force_out":[],"policy":null,"value_measure":null,"weights":{}}'
    )


def test_forcing_in_and_out_changes_the_selection(portfolio: Store, ledger: Ledger) -> None:
    base = create_scenario(portfolio, ledger, "base", changes_of(), Actor.of("pmo"))
    chosen = base.selected[0]
    left = sorted({c.id for c in base.problem.candidates if c.force is None} - set(base.selected))
    changes = changes_of(force_out=[chosen], force_in=left[:1])
    forced = create_scenario(portfolio, ledger, "forced", changes, Actor.of("pmo"))
    assert chosen not in forced.selected
    assert set(left[:1]) <= set(forced.selected)
    candidate = {c.id: c for c in forced.problem.candidates}[chosen]
    assert (candidate.force, candidate.force_reason) == ("out", "forced out by the scenario")


def test_bad_changes_are_refused_whole_and_nothing_is_saved(portfolio: Store, ledger: Ledger) -> None:
    create_scenario(portfolio, ledger, "base", changes_of(), Actor.of("pmo"))
    changes = changes_of(
        budget={"2027": Decimal(1)},
        buckets={"moonshots": (Decimal("0.1"), Decimal("0.2"))},
        force_in=["P-2099-0001"],
        force_out=["NOPE"],
    )
    with pytest.raises(InputRefused) as refused:
        create_scenario(portfolio, ledger, "bad", changes, Actor.of("pmo"))
    assert [str(p) for p in refused.value.problems] == [
        "command line, --budget, 2027: a period is written FY2027 [invalid-value]",
        "command line, --bucket, moonshots: no bucket moonshots: cost-reduction, improvements, new-products, "
        "platform [unknown-bucket]",
        f"command line, --force-in, P-2099-0001: no candidate P-2099-0001 ({SHOWN}) [unknown-reference]",
        f"command line, --force-out, NOPE: no candidate NOPE ({SHOWN}) [unknown-reference]",
    ]
    with pytest.raises(InputRefused) as refused:
        create_scenario(
            portfolio, ledger, "bad", changes_of(force_in=["P-2026-0001"], force_out=["P-2026-0001"]), Actor.of("pmo")
        )
    assert [str(p) for p in refused.value.problems] == [
        "command line, --force-out, P-2026-0001: P-2026-0001 is also forced in [inconsistent]"
    ]
    with pytest.raises(InputRefused) as refused:
        create_scenario(portfolio, ledger, "-bad", changes_of(), Actor.of("pmo"))
    assert [str(p) for p in refused.value.problems] == [
        "command line, NAME, -bad: a scenario name is 1 to 40 lowercase letters, digits and dashes, "
        "not starting with a dash [invalid-value]"
    ]
    with pytest.raises(ConflictError, match="a scenario named 'base' exists already"):
        create_scenario(portfolio, ledger, "base", changes_of(), Actor.of("pmo"))
    with pytest.raises(NotFoundError, match=r"no scenario named 'nope' \(saved: base\)"):
        get_scenario(portfolio, "nope")
    with pytest.raises(Forbidden, match="tom may not manage-scenarios"):
        create_scenario(portfolio, ledger, "toms", changes_of(), Actor.of("tom"))
    assert _rows(portfolio) == 1


def test_delete_by_its_maker_or_the_board_only(portfolio: Store, ledger: Ledger) -> None:
    create_scenario(portfolio, ledger, "base", changes_of(), Actor.of("pmo"))
    with pytest.raises(Forbidden, match=r"nor did they make scenario base \(pmo did\)"):
        delete_scenario(portfolio, "base", Actor.of("tom"))
    delete_scenario(portfolio, "base", Actor.of("ana"))
    assert list_scenarios(portfolio) == []
    with pytest.raises(NotFoundError, match=r"no scenario named 'base' \(saved: none\)"):
        delete_scenario(portfolio, "base", Actor.of("ana"))


def test_committing_takes_quorum_and_the_chair_and_records_a_selection_that_replays(
    portfolio: Store, ledger: Ledger
) -> None:
    tight = create_scenario(
        portfolio, ledger, "tight", changes_of(budget={"FY2027": Decimal(3_000_000)}), Actor.of("pmo")
    )
    with pytest.raises(DecisionRefused, match="no quorum: 2 vote"):
        commit_scenario(portfolio, ledger, "tight", votes=VOTES[:2], rationale="Tighter.", actor=Actor.of("ana"))
    with pytest.raises(DecisionRefused, match="the votes do not carry"):
        votes = ["ana=accept", "raj=reject", "lee=reject"]
        commit_scenario(portfolio, ledger, "tight", votes=votes, rationale="Tighter.", actor=Actor.of("ana"))
    with pytest.raises(Forbidden, match="raj may not commit-scenario"):
        commit_scenario(portfolio, ledger, "tight", votes=VOTES, rationale="Tighter.", actor=Actor.of("raj"))
    with pytest.raises(DecisionRefused, match="a decision needs --rationale"):
        commit_scenario(portfolio, ledger, "tight", votes=VOTES, rationale=" ", actor=Actor.of("ana"))
    with portfolio.read() as conn:
        before = head(conn)
    done = commit_scenario(portfolio, ledger, "tight", votes=VOTES, rationale="Tighter.", actor=Actor.of("ana"))
    assert (done.selected_seq, done.committed_seq, done.selected) == (before[0] + 1, before[0] + 2, tight.selected)
    with portfolio.read() as conn:
        selected = latest_record(conn, "portfolio", "selected")
        committed = latest_record(conn, "portfolio", "scenario-committed")
    assert selected is not None and committed is not None
    assert selected.body_as(SelectedPayload).selected == list(tight.selected)
    body = committed.body_as(ScenarioCommittedPayload)
    assert json.loads(committed.payload_text) == {
        "scenario": "tight",
        "changes": json.loads(canonical_text(tight.changes)),
        "created_by": "pmo",
        "made_at_seq": tight.ledger_seq,
        "selected_seq": selected.seq,
        "selected": list(tight.selected),
        "votes": [{"member": m, "vote": "accept"} for m in ("ana", "raj", "lee")],
        "decided_by": "ana",
        "meeting_date": "2026-11-23",
        "rationale": "Tighter.",
    }
    assert canonical_text(parse_payload("scenario-committed", committed.payload_text)) == committed.payload_text
    schema = record_schema("scenario-committed")
    assert (schema["title"], schema["additionalProperties"]) == ("ScenarioCommittedPayload", False)
    assert set(schema["required"]) == set(json.loads(committed.payload_text))
    assert body.scenario == "tight" and committed.recorded_by == "ana"
    assert replay_record(portfolio, selected.seq).status == "match"
    with pytest.raises(ConflictError, match=f"scenario tight was committed already \\(record {committed.seq}\\)"):
        commit_scenario(portfolio, ledger, "tight", votes=VOTES, rationale="Again.", actor=Actor.of("ana"))


def test_a_scenario_the_portfolio_has_moved_away_from_is_refused(
    portfolio: Store, ledger: Ledger, tmp_path: Path
) -> None:
    create_scenario(portfolio, ledger, "base", changes_of(), Actor.of("pmo"))
    # A new policy with a much smaller budget: solved again, the scenario selects otherwise.
    adoption.adopt_policy(portfolio, ledger, _from_data(policy_data(budget=1_000_000), "smaller"), Actor.of("ana"))
    with pytest.raises(ConflictError, match="the portfolio changed since scenario base was made"):
        commit_scenario(portfolio, ledger, "base", votes=VOTES, rationale="As saved.", actor=Actor.of("ana"))


def test_a_draft_policy_values_the_portfolio_under_its_own_portfolio_section(portfolio: Store, ledger: Ledger) -> None:
    data = policy_data()
    data["portfolio"].update(budget={"FY2027": 4_500_000, "FY2028": 9_000_000}, value_measure="npv")
    draft = _from_data(data, "draft")
    drafted = create_scenario(portfolio, ledger, "drafted", changes_of(), Actor.of("pmo"), draft=draft)
    same = create_scenario(
        portfolio,
        ledger,
        "same",
        changes_of(budget={"FY2027": Decimal(4_500_000)}, value_measure="npv"),
        Actor.of("pmo"),
    )
    assert drafted.changes.policy == draft.version and drafted.draft_policy == draft.text
    assert same.changes.policy is None and same.draft_policy is None
    assert (drafted.result.selected, drafted.result.objective) == (same.result.selected, same.result.objective)
    assert drafted.problem.value_measure == "npv"
    done = commit_scenario(
        portfolio, ledger, "drafted", votes=VOTES, rationale="Under the draft.", actor=Actor.of("ana")
    )
    assert replay_record(portfolio, done.selected_seq).status == "match"
    with portfolio.read() as conn:
        committed = latest_record(conn, "portfolio", "scenario-committed")
    assert committed is not None
    assert committed.body_as(ScenarioCommittedPayload).changes.policy == draft.version


@given(st.dictionaries(st.sampled_from("abcde"), st.sets(st.sampled_from(IDS)), min_size=2, max_size=5))
def test_projects_are_in_all_or_in_some_as_a_brute_force_count_says(selections: dict[str, set[str]]) -> None:
    in_all, in_some = partition({name: tuple(sorted(ids)) for name, ids in selections.items()})
    for i in IDS:
        holders = [name for name, ids in selections.items() if i in ids]
        if len(holders) == len(selections):
            assert i in in_all and i not in in_some
        elif holders:
            assert i not in in_all and in_some[i] == tuple(holders)
        else:
            assert i not in in_all and i not in in_some
    assert list(in_all) == sorted(in_all) and list(in_some) == sorted(in_some)


def test_the_comparison_pack_attaches_the_records_the_scenarios_rest_on_and_is_byte_identical(
    portfolio: Store, ledger: Ledger, tmp_path: Path
) -> None:
    from governance.packs import read_pack, scenarios_job, write_pack

    create_scenario(portfolio, ledger, "base", changes_of(), Actor.of("pmo"))
    create_scenario(portfolio, ledger, "lean", changes_of(budget={"FY2027": Decimal(4_500_000)}), Actor.of("pmo"))
    first = write_pack(scenarios_job(portfolio, ["base", "lean"], tmp_path / "a"))
    again = write_pack(scenarios_job(portfolio, ["base", "lean"], tmp_path / "b"))
    assert first.name == "scenarios-base-lean.pdf"
    assert first.read_bytes() == again.read_bytes()
    pack = read_pack(first)
    with portfolio.read() as conn:
        seq, digest = head(conn)
    assert [(r["seq"], r["hash"]) for r in pack.records] == [(seq, digest)]
    assert (pack.title, pack.pdfa, pack.page_count) == ("Scenarios compared: base, lean", "3B", 1)
    assert [(s.kind, s.seq, s.hash) if s else None for s in pack.stamps] == [("head", seq, digest)]
    assert "Side by side" in pack.pages[0] and "budget FY2027: 4,500,000" in pack.pages[0]


def test_a_ledger_that_moved_without_changing_the_selection_still_commits(portfolio: Store, ledger: Ledger) -> None:
    from governance.risk import Source, run_risk

    base = create_scenario(portfolio, ledger, "base", changes_of(), Actor.of("pmo"))
    moved = run_risk(portfolio, ledger, Source("projects", ids=base.selected[:2]), Actor.of("pmo"), trials=200)
    assert moved.seq is not None and moved.seq > base.ledger_seq
    done = commit_scenario(portfolio, ledger, "base", votes=VOTES, rationale="Still so.", actor=Actor.of("ana"))
    assert (done.selected_seq, done.selected) == (moved.seq + 1, base.selected)


def test_its_maker_may_delete_a_scenario_after_losing_the_role(portfolio: Store, ledger: Ledger) -> None:
    create_scenario(portfolio, ledger, "mine", changes_of(), Actor.of("pmo"))
    create_scenario(portfolio, ledger, "chairs", changes_of(), Actor.of("ana"))
    data = policy_data()
    data["roles"]["manage-scenarios"] = ["chair"]
    adoption.adopt_policy(portfolio, ledger, _from_data(data, "chair only"), Actor.of("ana"), votes=VOTES)
    with pytest.raises(Forbidden, match=r"pmo may not manage-scenarios: .*; nor did they make scenario chairs"):
        delete_scenario(portfolio, "chairs", Actor.of("pmo"))
    delete_scenario(portfolio, "mine", Actor.of("pmo"))
    assert [s.name for s in list_scenarios(portfolio)] == ["chairs"]


def test_two_commits_racing_record_one_and_refuse_the_other(portfolio: Store, ledger: Ledger) -> None:
    from concurrent.futures import ThreadPoolExecutor

    create_scenario(portfolio, ledger, "base", changes_of(), Actor.of("pmo"))

    def commit(rationale: str) -> str:
        try:
            done = commit_scenario(portfolio, ledger, "base", votes=VOTES, rationale=rationale, actor=Actor.of("ana"))
        except ConflictError as conflict:
            return conflict.message
        return f"recorded {done.committed_seq}"

    with ThreadPoolExecutor(2) as pool:
        results = sorted(pool.map(commit, ["First.", "Second."]))
    with portfolio.read() as conn:
        seq, _ = head(conn)
    assert results == [
        f"recorded {seq}",
        f"scenario base was committed already (record {seq}); nothing was recorded",
    ]
