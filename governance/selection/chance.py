"""The chance constraint of a selection: P(spend in a period > its budget) <= alpha.

Solved as a sample-average approximation (SAA) over a fixed set of S spend scenarios s_ips (candidate
i's spend in period p in scenario s), added to the selection's integer program:

    sum_i s_ips x_i - M_ps z_ps <= B_p          every budgeted period p, every scenario s with M_ps > 0
    sum_s z_ps <= floor(alpha S)                every budgeted period p
    z_ps in {0, 1}

with a tight big-M: M_ps = U_ps - B_p, U_ps the most any selection can spend in scenario s within the
program's own budget row for p (most likely costs within B_p): the fractional knapsack of the scenario's
spend against the likely costs (an LP bound), and at most the sum over the candidates not forced out. A
scenario in which no selection can exceed the budget (M_ps <= 0) needs no row. Each row is divided by
B_p (when positive) so HiGHS sees coefficients near 1.

The form is per period, one binary per (period, scenario), as the issue words it ("P(spend in a period
> budget)"): at most floor(alpha S) scenarios over budget in each period, not in all periods together.
The joint form (one binary per scenario, bounding P(any period over budget)) is stricter; the report
gives both chances out of sample, so a reader sees what the per-period form leaves open.

Scenarios are drawn as `governance.simulation.simulate` draws spend (its public `latent_normals` and
`QuantileTable`, the same PCG64 stream, chunk by chunk): a candidate's periods share one draw of its
summed development estimate and one of its launch (split in proportion to each period's low + likely
+ high), development and launch share a Gaussian-copula latent (a factor within the bucket and one
across all), and launch is spent only after technical success (Bernoulli p_technical). The benefits'
latents and commercial success are drawn and left, so the stream stays simulate()'s: the summed spend
of a scenario set is simulate()'s spend for the same seed (tests/governance/selection/test_chance.py).
A candidate without estimates spends its costs for certain (development only); without p_technical its
technical success is certain.

After the solve the selection's chance of exceeding is measured on fresh trials (`trials`, seed + 1,
drawing only what spend needs), per period and in any period, beside alpha and the in-sample count.
The frontier and the next slice are not solved under the chance constraint: the result says so in a
note. HiGHS starts from a greedy selection within the allowance (`greedy_start`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any

import highspy
import numpy as np

from governance.selection.model import Model
from governance.selection.problem import Floats, IndexForm
from governance.simulation import CostDraw, PortfolioModel, SimulatedProject, ThreePoint, cost_draws
from models.selection import ChanceConstraint, ChancePeriod, ChanceResult, SelectionCandidate, SelectionProblem

__all__ = [
    "Scenarios",
    "add_chance",
    "allowed",
    "chance_model",
    "chance_name",
    "chance_result",
    "draw_scenarios",
    "exceedance",
    "greedy_start",
    "in_sample",
    "spend_draws",
]

_PROBABILITY = Decimal("0.000001")


def allowed(chance: ChanceConstraint) -> int:
    """floor(alpha * scenarios): how many scenarios may be over budget in each period."""
    return int((chance.alpha * chance.scenarios).to_integral_value(ROUND_FLOOR))


def chance_name(chance: ChanceConstraint) -> str:
    """The chance constraint as a conflict names it."""
    return (
        f"chance constraint: P(spend in a period > budget) <= {chance.alpha} "
        f"(at most {allowed(chance)} of {chance.scenarios} scenarios over budget in each period)"
    )


def _project(c: SelectionCandidate, periods: Sequence[str]) -> SimulatedProject:
    cost = {k.period: float(k.amount) for k in c.costs}
    given = {e.period: e for e in c.estimates or ()}
    development, launch = [], []
    for p in periods:
        e = given.get(p)
        if e is None:
            development.append(ThreePoint.point(cost.get(p, 0.0)))
            launch.append(ThreePoint.point(0.0))
        else:
            d, la = e.development, e.launch
            development.append(ThreePoint(float(d.low), float(d.likely), float(d.high)))
            launch.append(ThreePoint(float(la.low), float(la.likely), float(la.high)))
    p_technical = 1.0 if c.p_technical is None else float(c.p_technical)
    return SimulatedProject(c.id, c.bucket, p_technical, 1.0, development, launch, ThreePoint.point(0.0))


def chance_model(
    problem: SelectionProblem, periods: Sequence[str], only: Sequence[int] | None = None
) -> PortfolioModel:
    """The candidates (or those at `only`) as simulate()'s model over the budgeted `periods`."""
    u = problem.uncertainty
    chosen = problem.candidates if only is None else [problem.candidates[i] for i in only]
    return PortfolioModel(
        projects=[_project(c, periods) for c in chosen],
        periods=list(periods),
        budget=[float(problem.budget[p]) for p in periods],
        family=u.distribution,
        rho_bucket=float(u.correlation_within_bucket),
        rho_all=float(u.correlation_across),
    )


@dataclass(frozen=True, slots=True)
class _Draw:
    """One chunk of simulate()'s cost draws, with the candidates in the model's order."""

    cost: CostDraw

    def per_candidate(self) -> Floats:
        """trials x n x periods (float64 products of the float32 draws and shares)."""
        inverse = np.argsort(self.cost.order)
        development = self.cost.development[inverse].T.astype(np.float64)
        launched = self.cost.launched[inverse].T.astype(np.float64)
        development_weights = self.cost.development_weights.T[inverse].astype(np.float64)
        launch_weights = self.cost.launch_weights.T[inverse].astype(np.float64)
        return np.asarray(
            development[:, :, None] * development_weights[None] + launched[:, :, None] * launch_weights[None],
            dtype=np.float64,
        )

    def summed(self) -> Floats:
        """trials x periods: the portfolio's spend, as simulate() sums it."""
        return np.asarray(self.cost.spend().T, dtype=np.float64)


def spend_draws(model: PortfolioModel, trials: int, seed: int, *, as_simulate: bool = True) -> Iterator[_Draw]:
    """`trials` draws of spend, in chunks of at most CHUNK, from simulate()'s stream for `seed`; without
    `as_simulate` the draws spend does not need (the benefits' latents, commercial success) are left
    out, so the stream is another one with the same distribution (fresh trials need not match simulate)."""
    for cost in cost_draws(model, trials, seed, as_simulate=as_simulate):
        yield _Draw(cost)


@dataclass(frozen=True, slots=True)
class Scenarios:
    """The fixed scenario set of one SAA: spend (scenarios x candidates x periods) and the budget."""

    chance: ChanceConstraint
    periods: list[str]
    spend: Floats
    budget: Floats


def draw_scenarios(problem: SelectionProblem, data: IndexForm) -> Scenarios:
    """The problem's scenario set (its chance constraint's `scenarios`, drawn with its `seed`)."""
    chance = problem.chance
    assert chance is not None
    model = chance_model(problem, data.periods)
    if data.ids:
        spend = np.concatenate([d.per_candidate() for d in spend_draws(model, chance.scenarios, chance.seed)])
    else:
        spend = np.zeros((chance.scenarios, 0, len(data.periods)))
    return Scenarios(chance, list(data.periods), spend, np.asarray(model.budget, dtype=np.float64))


def add_chance(h: highspy.Highs, scenarios: Scenarios, model: Model) -> None:
    """Add the SAA's binaries and rows (see the module's docstring) to `h`, which holds `model`, and
    give it the greedy start (`greedy_start`) when there is one."""
    n = len(model.col_upper)
    z_rows: list[tuple[int, Any]] = []  # per period with rows: (period index, the scenarios of its binaries)
    open_ = model.col_upper > 0.5  # forced-out candidates add nothing to a row or its big-M
    cap = float(allowed(scenarios.chance))
    rows: list[np.ndarray[Any, Any]] = []
    cols: list[np.ndarray[Any, Any]] = []
    vals: list[Floats] = []
    lower: list[float] = []
    upper: list[float] = []
    z = n
    for k, budget in enumerate(scenarios.budget):
        a = scenarios.spend[:, :, k] * open_[None, :]
        likely = np.array([cost.get(scenarios.periods[k], 0) for cost in model.data.cost], dtype=np.float64)
        big_m = np.minimum(a.sum(axis=1), _knapsack_bound(a, likely, budget)) - budget
        kept = np.flatnonzero(big_m > 0)
        if not len(kept):
            continue
        scale = budget if budget > 0 else 1.0
        block = a[kept] / scale
        r, c = np.nonzero(block)
        first = len(upper)
        ids = np.arange(z, z + len(kept))
        rows += [r + first, np.arange(first, first + len(kept)), np.full(len(kept), first + len(kept))]
        cols += [c, ids, ids]
        vals += [block[r, c], -big_m[kept] / scale, np.ones(len(kept))]
        lower += [-np.inf] * len(kept) + [-np.inf]
        upper += [budget / scale] * len(kept) + [cap]
        z += len(kept)
        z_rows.append((k, kept))
    if z == n:
        return
    added = z - n
    empty = np.zeros(added + 1, dtype=np.int32)
    _ok(h.addCols(added, np.zeros(added), np.zeros(added), np.ones(added), 0, empty, empty[:0], np.zeros(0)))
    _ok(h.changeColsIntegrality(added, np.arange(n, z, dtype=np.int32), np.ones(added, dtype=np.uint8)))
    row, col, val = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    order = np.lexsort((col, row))
    starts = np.searchsorted(row[order], np.arange(len(upper))).astype(np.int32)
    _ok(
        h.addRows(
            len(upper),
            np.asarray(lower, dtype=np.float64),
            np.asarray(upper, dtype=np.float64),
            len(order),
            starts,
            col[order].astype(np.int32),
            val[order].astype(np.float64),
        )
    )
    start = greedy_start(scenarios, model)
    if start is not None:
        values = np.zeros(z)
        values[start] = 1.0
        chosen_spend = scenarios.spend[:, start, :].sum(axis=1)
        at = n
        for k, kept in z_rows:
            values[at : at + len(kept)] = chosen_spend[kept, k] > scenarios.budget[k]
            at += len(kept)
        solution = highspy.HighsSolution()
        solution.col_value = values.tolist()
        h.setSolution(solution)


def greedy_start(scenarios: Scenarios, model: Model) -> list[int] | None:
    """A selection that satisfies the whole program, chance constraint included, for HiGHS to start
    from: candidates by value per most likely cost (forced-in ones first), each taken if every row
    stays within its upper bound and no period gets more scenarios over budget than allowed; None
    when the forced-in candidates or the lower bounds (bucket minimums) are not met that way.

    Without it HiGHS's own heuristics found, within the bench's 30 s, a selection far inside the
    allowance (1 of 20 scenarios over budget in the worst period, 12 % gap; bench chance_500x200).
    """
    data = model.data
    n = len(model.col_upper)
    cap = allowed(scenarios.chance)
    activity = np.zeros(data.row_count)
    spend = np.zeros((scenarios.spend.shape[0], len(scenarios.budget)))
    tolerance = 1e-9 * np.maximum(np.abs(model.row_upper), 1.0)
    forced = [i for i in range(n) if model.col_lower[i] > 0.5]
    ratio = [
        v / t if t > 0 else (np.inf if v > 0 else -np.inf)
        for v, t in zip(data.value_float, data.total_float, strict=True)
    ]
    order = sorted((i for i in range(n) if data.value_float[i] > 0 and i not in forced), key=lambda i: -ratio[i])
    chosen = []
    for i in [*forced, *order]:
        if model.col_upper[i] < 0.5:
            continue
        lo, hi = data.start[i], data.start[i + 1]
        rows = data.index[lo:hi]
        moved = activity[rows] + data.coef[lo:hi]
        after = spend + scenarios.spend[:, i, :]
        fits = bool(np.all(moved <= model.row_upper[rows] + tolerance[rows]))
        if fits and int((after > scenarios.budget[None, :]).sum(axis=0).max(initial=0)) <= cap:
            activity[rows], spend = moved, after
            chosen.append(i)
        elif i in forced:
            return None
    if not np.all(activity >= model.row_lower - 1e-9 * np.maximum(np.abs(model.row_lower), 1.0)):
        return None
    return sorted(chosen)


def _knapsack_bound(a: Floats, likely: Floats, budget: float) -> Floats:
    """Per scenario (row of `a`), the most any selection within the budget row (most likely costs
    `likely` within `budget`) can spend: the fractional knapsack, best spend per likely cost first
    (an LP bound, so at least the integer one), with a margin for HiGHS's feasibility tolerance."""
    ratio = np.where(likely > 0, a / np.where(likely > 0, likely, 1.0), np.inf)
    order = np.argsort(-ratio, axis=1, kind="stable")
    weight = likely[order]
    gain = np.take_along_axis(a, order, axis=1)
    filled = np.cumsum(weight, axis=1)
    whole = filled <= budget
    bound = (gain * whole).sum(axis=1)
    first_out = whole.sum(axis=1)  # the item that no longer fits whole (if any)
    rows = np.flatnonzero(first_out < a.shape[1])
    at = first_out[rows]
    before = np.where(at > 0, filled[rows, np.maximum(at - 1, 0)], 0.0)
    bound[rows] += (budget - before) / weight[rows, at] * gain[rows, at]
    return np.asarray(bound + 1e-6 * max(budget, 1.0), dtype=np.float64)


def _ok(status: highspy.HighsStatus) -> None:
    if status == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS refused the chance constraint's rows")


def in_sample(scenarios: Scenarios, chosen: Sequence[int]) -> tuple[list[int], int]:
    """Scenarios of the set in which `chosen` spends more than the budget: per period, and in any."""
    over = scenarios.spend[:, list(chosen), :].sum(axis=1) > scenarios.budget[None, :]
    return [int(v) for v in over.sum(axis=0)], int(over.any(axis=1).sum())


def exceedance(model: PortfolioModel, trials: int, seed: int) -> tuple[list[int], int]:
    """Trials (fresh, from `seed`) in which the model's projects together spend more than the budget:
    per period, and in any period."""
    budget = np.asarray(model.budget, dtype=np.float64)
    per_period = np.zeros(len(budget), dtype=np.int64)
    anywhere = 0
    if not model.projects:
        return [0] * len(budget), 0  # nothing selected spends nothing
    for d in spend_draws(model, trials, seed, as_simulate=False):
        over = d.summed() > budget[None, :]
        per_period += over.sum(axis=0)
        anywhere += int(over.any(axis=1).sum())
    return [int(v) for v in per_period], anywhere


def _probability(count: int, trials: int) -> Decimal:
    return (Decimal(count) / Decimal(trials)).quantize(_PROBABILITY)


def chance_result(problem: SelectionProblem, scenarios: Scenarios, chosen: Sequence[int]) -> ChanceResult:
    """What the selection `chosen` achieved: in-sample violations and out-of-sample chances."""
    chance = scenarios.chance
    counts, any_in = in_sample(scenarios, chosen)
    fresh_seed = chance.seed + 1
    fresh, any_out = exceedance(chance_model(problem, scenarios.periods, chosen), chance.trials, fresh_seed)
    return ChanceResult(
        alpha=chance.alpha,
        form="per-period",
        scenarios=chance.scenarios,
        seed=chance.seed,
        allowed=allowed(chance),
        periods=[
            ChancePeriod(period=p, in_sample_violations=counts[k], out_of_sample=_probability(fresh[k], chance.trials))
            for k, p in enumerate(scenarios.periods)
        ],
        in_sample_any=any_in,
        trials=chance.trials,
        trials_seed=fresh_seed,
        out_of_sample_any=_probability(any_out, chance.trials),
    )
