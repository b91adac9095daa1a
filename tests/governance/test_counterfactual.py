"""Counterfactual replay: the past under a draft policy (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance import adoption, gates, intake
from governance.assessments import read_assessments
from governance.authority import Actor
from governance.counterfactual import KINDS, Counterfactual, Difference, counterfactual_replay
from governance.errors import NotFoundError
from governance.ledger import Ledger
from governance.policy import LoadedPolicy, load_policy
from governance.store import Store

from .test_board import _assess
from .test_intake import proposal, write
from .test_replay import SG, _history


def draft(tmp_path: Path, change: Any, name: str = "draft.json") -> LoadedPolicy:
    """The stage-gate policy with `change(data)` applied, loaded from a file as `--policy` loads it."""
    data = json.loads(SG.text)
    change(data)
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return load_policy(str(path))


def test_under_the_current_policy_nothing_differs(store: Store, ledger: Ledger, tmp_path: Path) -> None:
    _history(store, ledger, tmp_path)
    result = counterfactual_replay(store, SG)
    assert result.differences == []
    assert result.totals() == {
        "examined": {"screening": 1, "scores": 1, "recommendations": 1, "selections": 1, "reviews": 8},
        "differences": 0,
        "changes": {},
        "budget_to_go": "0",
        "budget_from_go": "0",
        "budget_moved": "0",
        "selections_changed": 0,
        "board_no_longer_matching": 0,
    }


def test_a_higher_go_threshold_turns_the_go_and_unmatches_the_board(
    store: Store, ledger: Ledger, tmp_path: Path
) -> None:
    _history(store, ledger, tmp_path)

    def stricter(data: dict[str, Any]) -> None:
        data["gates"][0]["thresholds"]["go"] = "90"
        data["gates"][0]["thresholds"]["conditional_go"] = "85"

    result = counterfactual_replay(store, draft(tmp_path, stricter), kinds=("recommendations",))
    assert [d.as_dict() for d in result.differences] == [
        {
            "seq": 5,
            "kind": "recommendation",
            "subject": "P-2026-0001",
            "was": "go",
            "would_be": "recycle",
            "change": "go->recycle",
            "why": "score 80 < 85: back to the submitter to strengthen; go threshold 90 under the draft (was 60); "
            "conditional-go threshold 85 under the draft (was 50)",
            "cost": "670000",
        },
        {
            "seq": 6,
            "kind": "board",
            "subject": "P-2026-0001",
            "was": "go",
            "would_be": "recycle",
            "change": "board no longer matches",
            "why": "the board decided go at gate 1 as recommended; the draft recommends recycle",
            "cost": None,
        },
    ]
    assert result.totals()["budget_from_go"] == "670000"
    assert result.totals()["board_no_longer_matching"] == 1


def test_a_new_weight_and_a_new_screening_rule_are_named(store: Store, ledger: Ledger, tmp_path: Path) -> None:
    _history(store, ledger, tmp_path)

    def reweigh(data: dict[str, Any]) -> None:
        data["screening"].append(
            {
                "id": "small-only",
                "description": "Total cost at most 100,000",
                "require": {"field": "total_cost", "op": "le", "value": "100000"},
            }
        )

    result = counterfactual_replay(store, draft(tmp_path, reweigh), kinds=("screening",))
    assert [(d.kind, d.subject, d.change) for d in result.differences] == [
        ("screening", "P-2026-0001", "screened->screened-out")
    ]
    assert result.differences[0].why == "must-meet rule small-only now fails (total_cost le 100000 (is 670000): no)"


def test_unknown_kinds_are_refused(store: Store) -> None:
    with pytest.raises(NotFoundError, match=r"unknown kind\(s\) votes: choose from screening, scores"):
        counterfactual_replay(store, SG, kinds=("votes",))


# -- the property: exactly the decisions that cross a changed threshold are listed ------------------

SCORES = [(4, 4), (5, 6), (6, 6), (7, 7), (8, 7), (9, 9), (3, 5), (10, 8)]


def _scored_ledger(store: Store, ledger: Ledger, tmp_path: Path) -> dict[str, Decimal]:
    """Eight proposals scored at gate 1 and recommended; their totals by id."""
    adoption.adopt_policy(store, ledger, SG, Actor.of("ana"))
    files = [write(tmp_path, f"p{i}.yaml", proposal(f"NW-{i:02d}")) for i in range(len(SCORES))]
    intake.file_proposals(store, ledger, intake.validate_submission(files, SG.policy), "x")
    paths = []
    for i, (fit, market) in enumerate(SCORES):
        ratings = {"strategic-fit": fit, "market-attractiveness": market}
        paths.append(
            _assess(tmp_path, f"P-2026-{i + 1:04d}", 1, ratings, {"legal-compliance": True}, assessors=("raj", "lee"))
        )
    cards = gates.record_scores(store, ledger, read_assessments(paths), "pmo")
    for i in range(len(SCORES)):
        gates.record_recommendation(store, ledger, f"P-2026-{i + 1:04d}", "pmo")
    return {pid: card.total for pid, card in cards}


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, dict[str, Decimal]]:
    from governance.clock import FixedClock, SeededIds

    from ..conftest import START

    folder = tmp_path_factory.mktemp("scored")
    store = Store(f"sqlite:///{folder / 'g.db'}")
    store.upgrade()
    clock = FixedClock(START, dt.timedelta(milliseconds=1))
    totals = _scored_ledger(store, Ledger(clock, SeededIds("test"), engine_version="test"), folder)
    return store, totals


def _outcome(total: Decimal, go: Decimal, conditional: Decimal, kill: Decimal) -> str:
    if total < kill:
        return "kill"
    if total >= go:
        return "go"
    return "conditional-go" if total >= conditional else "recycle"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    which=st.sampled_from(["go", "conditional_go", "kill_below"]),
    value=st.integers(min_value=0, max_value=100),
)
def test_exactly_the_decisions_that_cross_a_changed_threshold_are_listed(
    scored: tuple[Store, dict[str, Decimal]], tmp_path_factory: pytest.TempPathFactory, which: str, value: int
) -> None:
    store, totals = scored
    before = {k: Decimal(v) for k, v in json.loads(SG.text)["gates"][0]["thresholds"].items()}
    after = dict(before, **{which: Decimal(value)})
    if not after["kill_below"] <= after["conditional_go"] <= after["go"]:
        return  # not a valid policy: `policy check` refuses it

    def change(data: dict[str, Any]) -> None:
        data["gates"][0]["thresholds"][which] = str(value)

    loaded = draft(tmp_path_factory.mktemp("draft"), change)
    result = counterfactual_replay(store, loaded, kinds=("recommendations",))
    expected = {
        pid: (
            _outcome(t, before["go"], before["conditional_go"], before["kill_below"]),
            _outcome(t, after["go"], after["conditional_go"], after["kill_below"]),
        )
        for pid, t in totals.items()
    }
    assert {d.subject: (d.was, d.would_be) for d in result.differences} == {
        pid: pair for pid, pair in expected.items() if pair[0] != pair[1]
    }
    assert all(d.kind == "recommendation" for d in result.differences)
    assert result.examined == {"recommendations": len(totals)}


def test_kinds_are_the_documented_ones() -> None:
    assert KINDS == ("screening", "scores", "recommendations", "reviews", "selections")
    assert Counterfactual("p", "v", None, KINDS).as_dict()["totals"]["differences"] == 0
    assert Difference(1, "score", "P", "1", "2", "score", "why").as_dict()["cost"] is None


def test_a_stricter_review_rule_pauses_a_project_and_moves_the_selection(
    store: Store, ledger: Ledger, tmp_path: Path
) -> None:
    _history(store, ledger, tmp_path)

    def slip(data: dict[str, Any]) -> None:
        rule = next(r for r in data["review_rules"] if r["id"] == "schedule-slip")
        rule["when"]["value"] = "0.85"

    result = counterfactual_replay(store, draft(tmp_path, slip))
    assert [tuple(d.as_dict().values()) for d in result.differences] == [
        (23, "selection", "Q-2026Q3", "7 selected", "7 selected", "selection",
         "would select P-2026-0001; would leave out P-2026-0002", None),
        (24, "review", "P-2026-0002", "continue", "pause", "continue->pause",
         "review rule schedule-slip now fires: SPI 0.82 is below 0.85 (2026Q3)", None),
        (26, "board", "P-2026-0002", "continue", "pause", "board no longer matches",
         "the board decided continue at the 2026Q3 review as recommended; the draft recommends pause", None),
    ]  # fmt: skip
    assert result.totals()["changes"] == {"board no longer matches": 1, "continue->pause": 1, "selection": 1}
    assert result.totals()["selections_changed"] == 1


def test_a_smaller_budget_names_itself_in_the_selection(store: Store, ledger: Ledger, tmp_path: Path) -> None:
    _history(store, ledger, tmp_path)

    def budget(data: dict[str, Any]) -> None:
        data["portfolio"]["budget"] = {"FY2027": "2500000", "FY2028": "2500000"}

    result = counterfactual_replay(store, draft(tmp_path, budget), kinds=("selections",))
    assert [d.as_dict() for d in result.differences] == [
        {
            "seq": 23,
            "kind": "selection",
            "subject": "Q-2026Q3",
            "was": "7 selected",
            "would_be": "0 selected",
            "change": "selection",
            "why": "budget FY2027 EUR 2,500,000 under the draft (was EUR 9,000,000); budget FY2028 EUR 2,500,000 "
            "under the draft (was EUR 9,000,000); would leave out P-2026-0002, P-2026-0004, P-2026-0005, "
            "P-2026-0006, P-2026-0007, P-2026-0008, P-2026-0009",
            "cost": None,
        }
    ]
    assert result.examined == {"selections": 1}


def test_since_lists_only_later_records(store: Store, ledger: Ledger, tmp_path: Path) -> None:
    _history(store, ledger, tmp_path)

    def stricter(data: dict[str, Any]) -> None:
        data["gates"][0]["thresholds"]["go"] = "90"

    later = counterfactual_replay(store, draft(tmp_path, stricter), since=dt.date(2026, 11, 24))
    assert later.differences == []
    assert later.examined == {}
    same_day = counterfactual_replay(store, draft(tmp_path, stricter), since=dt.date(2026, 11, 23))
    assert [d.change for d in same_day.differences] == ["go->conditional-go", "board no longer matches"]


def test_a_changed_weight_is_named_on_the_score(scored: tuple[Store, dict[str, Decimal]], tmp_path: Path) -> None:
    store, _ = scored

    def reweigh(data: dict[str, Any]) -> None:
        matrix = data["scoring"]["ahp"]["matrix"]
        matrix[0][2], matrix[2][0] = "1", "1"

    result = counterfactual_replay(store, draft(tmp_path, reweigh), kinds=("scores",))
    weights = "weight of strategic-fit 0.601804 (was 0.648525); weight of market-attractiveness 0.398196 (was 0.351475)"
    # Only the proposals rated differently on the two criteria change: (5, 6), (8, 7), (3, 5), (10, 8).
    assert [(d.seq, d.subject, d.was, d.would_be, d.why) for d in result.differences] == [
        (19, "P-2026-0002", "53.51", "53.98", f"weighted score 53.98 under the draft (was 53.51); {weights}"),
        (22, "P-2026-0005", "76.49", "76.02", f"weighted score 76.02 under the draft (was 76.49); {weights}"),
        (24, "P-2026-0007", "37.03", "37.96", f"weighted score 37.96 under the draft (was 37.03); {weights}"),
        (25, "P-2026-0008", "92.97", "92.04", f"weighted score 92.04 under the draft (was 92.97); {weights}"),
    ]
    assert result.changes == {"score": 4}


def test_another_policy_names_what_it_cannot_re_derive(store: Store, ledger: Ledger, tmp_path: Path) -> None:
    _history(store, ledger, tmp_path)
    result = counterfactual_replay(store, load_policy("it-demand"))
    refused = (
        "the draft cannot re-derive it: ratings.business-value: no rating for business-value at gate 1 (and 11 more)"
    )
    assert [(d.seq, d.kind, d.subject, d.was, d.would_be, d.change, d.why) for d in result.differences] == [
        (4, "score", "P-2026-0001", "80", "?", "not re-derivable", refused),
        (5, "recommendation", "P-2026-0001", "go", "?", "not re-derivable", refused),
        (23, "selection", "Q-2026Q3", "7 selected", "none", "selection",
         "the draft has no portfolio section: no selection would run"),
        (24, "review", "P-2026-0002", "continue", "pause", "continue->pause",
         "review rule cost-overrun now fires: CPI 0.76 is below 0.85 (2026Q3)"),
        (24, "review", "P-2026-0003", "pause", "continue", "pause->continue",
         "the draft has no portfolio section: no selection overrides the review rules"),
        (26, "board", "P-2026-0002", "continue", "pause", "board no longer matches",
         "the board decided continue at the 2026Q3 review as recommended; the draft recommends pause"),
        (27, "board", "P-2026-0003", "pause", "continue", "board now matches",
         "the board decided continue at the 2026Q3 review against the recommended pause; the draft recommends it"),
    ]  # fmt: skip
