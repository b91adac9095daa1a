"""The chance constraint: scenarios as simulate() draws them, the SAA against brute force, a binding
case, alpha = 1, the snapshot round trip, the record, and bad option values."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from governance.candidates import with_overrides
from governance.canonical import canonical_text
from governance.errors import InputRefused, Problem
from governance.portfolio import problem_json
from governance.selection import problem_from_snapshot, solve
from governance.selection.chance import chance_model, draw_scenarios, greedy_start, in_sample, spend_draws
from governance.selection.model import build_model
from governance.selection.problem import index_form
from governance.simulation import PeriodSpend, simulate
from models.records import SelectedPayload
from models.selection import (
    ChanceConstraint,
    ChancePeriod,
    ChanceResult,
    PortfolioRules,
    SelectionCandidate,
    SelectionProblem,
    Uncertainty,
)
from tests.governance.selection.builders import D, cand, problem

CENT = Decimal("0.01")


def risky(cid: str, ecv: int, dev: tuple[int, int, int], launch: tuple[int, int, int] = (0, 0, 0), **extra: Any) -> Any:
    """A candidate with one period's development and launch as three-point estimates."""
    return cand(
        cid,
        ecv,
        dev[1] + launch[1],
        estimates=[
            {
                "period": "FY2027",
                "development": dict(zip(("low", "likely", "high"), dev, strict=True)),
                "launch": dict(zip(("low", "likely", "high"), launch, strict=True)),
            }
        ],
        **extra,
    )


def chance(alpha: str, scenarios: int = 200, seed: int = 7, trials: int = 1000) -> ChanceConstraint:
    return ChanceConstraint(alpha=D(alpha), scenarios=scenarios, seed=seed, trials=trials)


def test_scenarios_are_simulates_spend() -> None:
    """The scenarios' summed spend is simulate()'s spend for the same seed, to the cent and the 4th place."""
    cands = [
        risky("A", 10, (20, 30, 60), (5, 10, 12), p_technical="0.6", bucket="core"),
        risky("B", 9, (40, 40, 40), (0, 20, 30), p_technical="0.9", bucket="grow"),
        risky("C", 8, (10, 25, 26), bucket="grow"),
    ]
    prob = problem(*cands, budget={"FY2027": 90}, buckets={"core": ("0", "1"), "grow": ("0", "1")})
    prob = replace(prob, uncertainty=Uncertainty("pert", D("0.5"), D("0.2")))
    model = chance_model(prob, ["FY2027"])
    trials, seed = 12_345, 11  # two chunks
    draws = list(spend_draws(model, trials, seed))
    spend = np.concatenate([d.summed() for d in draws])[:, 0]
    per_candidate = np.concatenate([d.per_candidate() for d in draws]).sum(axis=1)[:, 0]
    assert np.allclose(spend, per_candidate, rtol=1e-6)  # float32 draws, summed in float32 as simulate() does

    def money(x: float) -> Decimal:
        return Decimal(repr(float(x))).quantize(CENT)

    p10, p50, p90 = np.percentile(spend, [10, 50, 90])
    expected = PeriodSpend(
        "FY2027",
        money(90.0),
        money(spend.mean()),
        money(p10),
        money(p50),
        money(p90),
        Decimal(repr(float((spend > 90.0).mean()))).quantize(Decimal("0.0001")),
    )
    assert simulate(model, trials, seed).spend == (expected,)


@st.composite
def small_chance_problems(draw: st.DrawFn) -> SelectionProblem:
    n = draw(st.integers(2, 6))
    periods = draw(st.sampled_from([["FY2027"], ["FY2027", "FY2028"]]))
    cands = []
    for i in range(n):
        estimates, costs = [], {}
        for p in periods:
            likely = draw(st.integers(5, 40))
            launch = draw(st.integers(0, 10))
            high = likely + draw(st.integers(0, 30))
            low = likely - draw(st.integers(0, likely))
            estimates.append(
                {
                    "period": p,
                    "development": {"low": low, "likely": likely, "high": high},
                    "launch": {"low": launch, "likely": launch, "high": launch * 2},
                }
            )
            costs[p] = likely + launch
        cands.append(
            cand(
                f"C{i}",
                draw(st.integers(1, 50)),
                costs,
                p_technical=draw(st.sampled_from(["0.5", "0.8", "1"])),
                estimates=estimates,
            )
        )
    budget = {p: draw(st.integers(30, 120)) for p in periods}
    alpha = draw(st.sampled_from(["0", "0.1", "0.25", "0.5", "1"]))
    rho = draw(st.sampled_from(["0", "0.4"]))
    base = problem(*cands, budget=budget)
    return replace(
        base,
        chance=chance(alpha, scenarios=draw(st.integers(10, 30)), seed=draw(st.integers(0, 99))),
        uncertainty=Uncertainty(draw(st.sampled_from(["pert", "triangular"])), D(rho), D(rho)),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_chance_problems())
def test_the_saa_is_the_best_subset_within_the_scenario_count(prob: SelectionProblem) -> None:
    """Against every subset: within the budget (most likely costs) and over budget in at most
    floor(alpha S) scenarios of each period; the same scenarios, counted by numpy."""
    data = index_form(prob)
    scenarios = draw_scenarios(prob, data)
    assert prob.chance is not None
    cap = int(prob.chance.alpha * prob.chance.scenarios)
    best = D(0)
    for k in range(len(data.ids) + 1):
        for subset in itertools.combinations(range(len(data.ids)), k):
            if any(sum((data.cost[i].get(p, D(0)) for i in subset), D(0)) > prob.budget[p] for p in data.periods):
                continue
            counts, _ = in_sample(scenarios, subset)
            if max(counts) <= cap:
                best = max(best, sum((data.values[i] for i in subset), D(0)))
    result = solve(prob, frontier=False)
    assert (result.status, result.objective) == ("optimal", best)
    start = greedy_start(scenarios, build_model(data, prob.budget))  # no candidate is forced: always one
    assert start is not None and sum((data.values[i] for i in start), D(0)) <= best
    assert all(sum((data.cost[i].get(p, D(0)) for i in start), D(0)) <= prob.budget[p] for p in data.periods)
    assert max(in_sample(scenarios, start)[0]) <= cap
    chosen = [data.ids.index(c) for c in result.selected]
    counts, any_in = in_sample(scenarios, chosen)
    assert result.chance is not None
    assert [p.in_sample_violations for p in result.chance.periods] == counts and max(counts) <= cap
    assert result.chance.in_sample_any == any_in


BINDING = problem(
    # A is worth more but its development may run to 130: over the budget of 100 in about a third of trials.
    risky("A", 10, (80, 90, 130)),
    risky("B", 9, (85, 90, 95)),
    budget={"FY2027": 100},
)


def test_the_constraint_binds_and_picks_the_safer_set() -> None:
    deterministic = solve(BINDING, frontier=False)
    assert (deterministic.selected, deterministic.objective, deterministic.chance) == (["A"], D(10), None)
    result = solve(replace(BINDING, chance=chance("0.1")), frontier=False)
    assert (result.status, result.selected, result.objective) == ("optimal", ["B"], D(9))
    assert result.chance == ChanceResult(
        alpha=D("0.1"),
        form="per-period",
        scenarios=200,
        seed=7,
        allowed=20,
        periods=[ChancePeriod(period="FY2027", in_sample_violations=0, out_of_sample=D("0.000000"))],
        in_sample_any=0,
        trials=1000,
        trials_seed=8,
        out_of_sample_any=D("0.000000"),
    )
    with_frontier = solve(replace(BINDING, chance=chance("0.1")))
    assert with_frontier.notes[-1:] == [
        "the chance constraint (alpha 0.1) is not applied to the frontier or the next slice: they show the budget "
        "constraints alone"
    ]


def test_alpha_one_is_the_deterministic_optimum() -> None:
    deterministic = solve(BINDING, frontier=False)
    result = solve(replace(BINDING, chance=chance("1")), frontier=False)
    assert result.chance is not None
    assert result.model_copy(update={"chance": None}) == deterministic
    scenarios = draw_scenarios(replace(BINDING, chance=chance("1")), index_form(BINDING))
    counts, any_in = in_sample(scenarios, [0])
    assert (result.chance.allowed, [p.in_sample_violations for p in result.chance.periods]) == (200, counts)
    assert any_in == counts[0] and 0 < counts[0] < 200


def test_a_chance_constraint_forced_in_spend_cannot_meet_is_the_conflict() -> None:
    prob = replace(
        BINDING,
        candidates=(BINDING.candidates[0].model_copy(update={"force": "in", "force_reason": "board"}),),
        chance=chance("0.05"),
    )
    result = solve(prob, frontier=False)
    assert (result.status, result.conflicts, result.chance) == (
        "infeasible",
        [
            "chance constraint: P(spend in a period > budget) <= 0.05 (at most 10 of 200 scenarios over budget in "
            "each period)",
            "force-in A (board)",
        ],
        None,
    )


def test_the_snapshot_carries_the_chance_constraint_only_when_set() -> None:
    plain = json.loads(canonical_text(problem_json(BINDING)))
    assert "chance" not in plain and "uncertainty" not in plain
    keys = ["bucket", "costs", "depends_on", "ecv", "excludes", "force", "force_reason", "id", "kind", "npv"]
    assert [sorted(c) for c in plain["candidates"]] == [[*keys, "resources", "score", "title"]] * 2
    with_chance = replace(BINDING, chance=chance("0.1"), uncertainty=Uncertainty("triangular", D("0.3"), D("0.1")))
    snapshot = json.loads(canonical_text(problem_json(with_chance)))
    assert snapshot["chance"] == {"alpha": "0.1", "scenarios": 200, "seed": 7, "trials": 1000}
    assert snapshot["uncertainty"] == {
        "distribution": "triangular",
        "correlation_within_bucket": "0.3",
        "correlation_across": "0.1",
    }
    again = problem_from_snapshot(snapshot)
    assert again == replace(with_chance, budget={"FY2027": D("100")})
    assert solve(again, frontier=False) == solve(with_chance, frontier=False)
    assert problem_from_snapshot(plain).chance is None


def test_the_record_keeps_the_chance_facts_and_omits_them_when_unused() -> None:
    result = solve(replace(BINDING, chance=chance("0.1")), frontier=False)
    payload = SelectedPayload.from_result(result)
    assert payload.to_result() == result
    assert payload.model_dump(mode="json")["chance"] == {
        "alpha": "0.1",
        "form": "per-period",
        "scenarios": 200,
        "seed": 7,
        "allowed": 20,
        "periods": [{"period": "FY2027", "in_sample_violations": 0, "out_of_sample": "0.000000"}],
        "in_sample_any": 0,
        "trials": 1000,
        "trials_seed": 8,
        "out_of_sample_any": "0.000000",
    }
    assert "chance" not in SelectedPayload.from_result(solve(BINDING, frontier=False)).model_dump(mode="json")


def test_the_policy_option_is_absent_by_default() -> None:
    rules = PortfolioRules.model_validate({"budget": {"FY2027": 100}})
    assert "chance_constraint" not in rules.model_dump(mode="json")
    set_ = PortfolioRules.model_validate({"budget": {"FY2027": 100}, "chance_constraint": {"alpha": 0.1}})
    assert set_.model_dump(mode="json")["chance_constraint"] == {
        "alpha": "0.1",
        "scenarios": 200,
        "seed": 0,
        "trials": 100000,
    }


@pytest.mark.parametrize(
    ("given", "errors"),
    [
        pytest.param({"alpha": 1.5}, [(("alpha",), "less_than_equal")], id="alpha-above-1"),
        pytest.param({"alpha": -0.1}, [(("alpha",), "greater_than_equal")], id="alpha-negative"),
        pytest.param({"alpha": 0.1, "scenarios": 5}, [(("scenarios",), "greater_than_equal")], id="few-scenarios"),
        pytest.param({"alpha": 0.1, "seed": -1}, [(("seed",), "greater_than_equal")], id="negative-seed"),
        pytest.param({"scenarios": 100}, [(("alpha",), "missing")], id="no-alpha"),
    ],
)
def test_bad_policy_options_are_refused(given: dict[str, Any], errors: list[tuple[tuple[str, ...], str]]) -> None:
    with pytest.raises(ValidationError) as refused:
        PortfolioRules.model_validate({"budget": {"FY2027": 100}, "chance_constraint": given})
    assert [(e["loc"][1:], e["type"]) for e in refused.value.errors()] == errors


def test_estimates_must_hold_the_cost() -> None:
    with pytest.raises(ValidationError) as refused:
        SelectionCandidate.model_validate(
            {
                "id": "A",
                "title": "A",
                "bucket": "core",
                "ecv": 1,
                "costs": [{"period": "FY2027", "amount": 50}],
                "estimates": [
                    {
                        "period": "FY2027",
                        "development": {"low": 10, "likely": 40, "high": 60},
                        "launch": {"low": 0, "likely": 0, "high": 0},
                    }
                ],
            }
        )
    assert [e["msg"] for e in refused.value.errors()] == [
        "estimates for FY2027: development and launch most likely add up to 40, the cost is 50"
    ]


@pytest.mark.parametrize(
    ("options", "problems"),
    [
        pytest.param(
            {"chance": D("1.5")},
            [
                Problem(
                    "command line",
                    "--chance",
                    "1.5",
                    "out-of-range",
                    "alpha is a probability from 0 to 1, at most 4 decimal places",
                )
            ],
            id="alpha-above-1",
        ),
        pytest.param(
            {"chance": D("0.1"), "scenarios": 5},
            [Problem("command line", "--scenarios", "5", "out-of-range", "the scenarios are 10 to 2000")],
            id="few-scenarios",
        ),
        pytest.param(
            {"scenarios": 100},
            [
                Problem(
                    "command line",
                    "--scenarios",
                    "100",
                    "missing",
                    "--scenarios needs --chance ALPHA: the policy sets no chance constraint",
                )
            ],
            id="scenarios-without-chance",
        ),
    ],
)
def test_bad_command_line_options_are_refused(options: dict[str, Any], problems: list[Problem]) -> None:
    with pytest.raises(InputRefused) as refused:
        with_overrides(BINDING, **options)
    assert refused.value.problems == tuple(problems)


def test_command_line_options_change_the_policys_constraint() -> None:
    given = replace(BINDING, chance=chance("0.1"))
    assert with_overrides(given, scenarios=50, scenario_seed=3).chance == chance("0.1", scenarios=50, seed=3)
    assert with_overrides(BINDING, chance=D("0.2")).chance == ChanceConstraint(alpha=D("0.2"))
