"""`chance_500`: chance-constrained selection (governance/selection/chance.py) of 500 candidates over 4
periods with 200 spend scenarios, alpha 0.1, and the selection's chance of exceeding the budget
measured on 100,000 fresh trials.

The candidates are bench/simulation.py's 500 projects (PERT three-point development and launch
estimates, Bernoulli technical success, correlation 0.4 within a bucket and 0.1 across), each with a
seeded value; every period's budget is 40 % of what all of them would spend in it (most likely).

Figure: `seconds`, the whole `solve(problem, frontier=False)` with the chance constraint (drawing the
scenarios, the SAA program, the out-of-sample measurement). Floor: `floor_seconds`, the same solve
without the chance constraint (the deterministic selection, same candidates and budget). Runs are
interleaved (chance, floor, chance, ...); the figure is the median of each with its runs. Beside
alpha: the in-sample scenarios over budget per period and the out-of-sample probability per period
and in any period, with the deterministic selection's out-of-sample probabilities for comparison
(what the constraint bought), and both objectives (what it cost). No target on time beyond the
solve's own time limit; `meets_targets` says whether every period's out-of-sample probability is
within alpha + 0.05 (the SAA's sampling error at 200 scenarios) and the SAA was solved to optimality
or its gap.
"""

from __future__ import annotations

import gc
import random
from dataclasses import replace
from decimal import Decimal
from typing import Any

from bench.common import log, median, timed
from bench.simulation import BUCKETS, PERIODS, portfolio
from governance.selection import solve
from governance.selection.chance import chance_model, exceedance
from governance.selection.problem import index_form
from models.selection import (
    CandidateCost,
    CandidateEstimate,
    ChanceConstraint,
    SelectionCandidate,
    SelectionProblem,
    ThreePointAmount,
    Uncertainty,
)

_CENT = Decimal("0.01")


def _amount(x: float) -> Decimal:
    return Decimal(repr(x)).quantize(_CENT)


def chance_problem(candidates: int, seed: int, scenarios: int, trials: int) -> SelectionProblem:
    """bench/simulation.py's projects as candidates, with a budget of 40 % of their likely spend."""
    model = portfolio(candidates, seed)
    rng = random.Random(seed + 1)
    made = []
    for p in model.projects:
        estimates = [
            CandidateEstimate(
                period=period,
                development=ThreePointAmount(low=_amount(d.low), likely=_amount(d.likely), high=_amount(d.high)),
                launch=ThreePointAmount(low=_amount(la.low), likely=_amount(la.likely), high=_amount(la.high)),
            )
            for period, d, la in zip(PERIODS, p.development, p.launch, strict=True)
        ]
        made.append(
            SelectionCandidate(
                id=p.id,
                title=f"Project {p.id}",
                bucket=p.bucket,
                ecv=_amount(rng.uniform(100_000, 5_000_000)),
                costs=[
                    CandidateCost(period=e.period, amount=e.development.likely + e.launch.likely) for e in estimates
                ],
                p_technical=Decimal(repr(round(p.p_technical, 4))),
                estimates=estimates,
            )
        )
    budget = {
        period: (sum((c.costs[k].amount for c in made), Decimal(0)) * Decimal("0.4")).quantize(_CENT)
        for k, period in enumerate(PERIODS)
    }
    return SelectionProblem(
        candidates=tuple(made),
        budget=budget,
        buckets={b: (Decimal(0), Decimal(1)) for b in BUCKETS},
        time_limit_seconds=30,
        chance=ChanceConstraint(alpha=Decimal("0.1"), scenarios=scenarios, seed=seed, trials=trials),
        uncertainty=Uncertainty("pert", Decimal("0.4"), Decimal("0.1")),
    )


def chance_figure(seed: int, quick: bool, repeats: int = 3) -> dict[str, Any]:
    candidates, scenarios, trials = 500, 200, 10_000 if quick else 100_000
    problem = chance_problem(candidates, seed, scenarios, trials)
    deterministic = replace(problem, chance=None)
    chance_s: list[float] = []
    floor_s: list[float] = []
    result = plain = None
    for run in range(repeats):
        gc.collect()
        engine = timed(lambda: solve(problem, frontier=False))
        gc.collect()
        floor = timed(lambda: solve(deterministic, frontier=False))
        result, plain = engine.value, floor.value
        chance_s.append(engine.seconds)
        floor_s.append(floor.seconds)
        log(f"chance run {run + 1}: chance-constrained {engine.seconds:.2f} s, deterministic {floor.seconds:.2f} s")
    assert result is not None and plain is not None and result.chance is not None
    # The deterministic selection's chance of exceeding, on the same fresh trials.
    data = index_form(problem)
    at = {cid: i for i, cid in enumerate(data.ids)}
    fresh = result.chance.trials_seed
    measured = timed(
        lambda: exceedance(chance_model(problem, data.periods, [at[c] for c in plain.selected]), trials, fresh)
    )
    over, anywhere = measured.value
    alpha = result.chance.alpha
    within = all(p.out_of_sample <= alpha + Decimal("0.05") for p in result.chance.periods)
    return {
        "candidates": candidates,
        "periods": len(PERIODS),
        "scenarios": scenarios,
        "out_of_sample_trials": trials,
        "alpha": str(alpha),
        "status": result.status,
        "gap": None if result.gap is None else str(result.gap),
        "seconds": round(median(chance_s), 3),
        "seconds_runs": [round(s, 3) for s in chance_s],
        "floor_seconds": round(median(floor_s), 3),
        "floor_seconds_runs": [round(s, 3) for s in floor_s],
        "ratio": round(median(chance_s) / median(floor_s), 1),
        "time_limit_seconds": problem.time_limit_seconds,
        "out_of_sample_seconds": round(measured.seconds, 3),  # one measurement (the deterministic selection's)
        "in_sample_violations": {p.period: p.in_sample_violations for p in result.chance.periods},
        "allowed_per_period": result.chance.allowed,
        "out_of_sample": {p.period: str(p.out_of_sample) for p in result.chance.periods},
        "out_of_sample_any_period": str(result.chance.out_of_sample_any),
        "deterministic_out_of_sample": {p: f"{over[k] / trials:.6f}" for k, p in enumerate(data.periods)},
        "deterministic_out_of_sample_any_period": f"{anywhere / trials:.6f}",
        "objective": str(result.objective),
        "deterministic_objective": str(plain.objective),
        "selected": len(result.selected),
        "deterministic_selected": len(plain.selected),
        "meets_targets": within and result.status in ("optimal", "gap"),
    }
