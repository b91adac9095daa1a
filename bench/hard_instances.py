"""Hard selection instances, generated and seeded (`bench/hard_selection.py` times them).

Two kinds:

- "realistic": the engine's own kind of portfolio made tight. Candidates over 4 budget periods
  (FY2027-FY2030), each spending in 1-4 consecutive periods, value correlated with cost; 8 buckets,
  each between 9 % and 15 % of the budget (bucket shares of the budget); 3 roles with a capacity
  per period at 45 % of what the candidates ask for; about 6 % dependencies (chains: a candidate
  depends on an earlier one), 1 % exclusions; 1 % forced in and 1 % forced out; each period's
  budget a share of the candidates' cost in it: 35 % by default, 20 % for the bench's n = 500 (at
  35 % the LP's gap shrinks with n and n = 500 is proven in the first hundred nodes; a board that
  funds one proposal in five is as hard at n = 500 as 35 % is at n = 200).
- "mkp": the correlated multidimensional knapsack of Chu and Beasley (1998): weights uniform in
  1..1000 in m dimensions (here: m budget periods), each capacity `tightness` x the sum of its
  weights (rounded down), profit = the mean weight of the item + 500 x U(0, 1), rounded to a whole
  number. The OR-Library instances are made this way.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from bench.selection import spending
from models.selection import SelectionCandidate, SelectionProblem

__all__ = ["mkp", "realistic"]

_PERIODS = ("FY2027", "FY2028", "FY2029", "FY2030")
_BUCKETS = ("core", "growth", "platform", "compliance", "efficiency", "research", "customer", "sustainability")
_ROLES = ("engineering", "data", "change")
_TIME_LIMIT_S = 3600  # a cap no instance here should need: the bench's own cap is set per run


def mkp(n: int, m: int, tightness: float, seed: int) -> SelectionProblem:
    """Chu and Beasley's correlated multidimensional knapsack as a selection problem (ECV profits,
    one budget period per dimension: FY2001, FY2002, ...)."""
    rng = np.random.default_rng(seed)
    weights = rng.integers(1, 1001, size=(n, m))
    capacity = np.floor(tightness * weights.sum(axis=0)).astype(np.int64)
    profit = np.rint(weights.sum(axis=1) / m + 500 * rng.random(n)).astype(np.int64)
    periods = [f"FY{2001 + k}" for k in range(m)]
    candidates = tuple(
        SelectionCandidate(
            id=f"K-{j:04d}",
            title=f"Knapsack item {j}",
            bucket="items",
            ecv=Decimal(int(profit[j])),
            costs=[{"period": p, "amount": Decimal(int(weights[j, k]))} for k, p in enumerate(periods)],
        )
        for j in range(n)
    )
    return SelectionProblem(
        candidates=candidates,
        budget={p: Decimal(int(capacity[k])) for k, p in enumerate(periods)},
        buckets={"items": (Decimal(0), Decimal(1))},
        value_measure="ecv",
        time_limit_seconds=_TIME_LIMIT_S,
    )


def realistic(n: int, seed: int, budget_share: float = 0.35) -> SelectionProblem:
    """The engine's kind of portfolio with tight budgets, bucket bounds and capacities (see the
    module's docstring); each period's budget is `budget_share` of what the candidates ask in it."""
    rng = np.random.default_rng(seed)
    cost = spending(rng, n, len(_PERIODS))
    value = np.round(cost.sum(axis=1) * rng.normal(1.3, 0.35, n) + rng.normal(0, 50_000, n), -2).astype(np.int64)
    value = np.maximum(value, 1_000)
    bucket = rng.integers(0, len(_BUCKETS), n)
    # FTE per role while a candidate spends: about one FTE per 100k of the period's cost, half the
    # candidates needing each role.
    needs = (rng.random((n, len(_ROLES))) < 0.5)[:, :, None] * (cost[:, None, :] / 100_000)
    fte = np.round(needs * rng.uniform(0.5, 1.5, size=needs.shape), 1)
    limit = np.round(fte.sum(axis=0) * 0.45, 1)
    ids = [f"H-{i:05d}" for i in range(n)]
    depends: dict[int, list[str]] = {}
    excludes: dict[int, list[str]] = {}
    linked: set[frozenset[int]] = set()
    for _ in range(round(0.06 * n)):  # chains: a later candidate needs an earlier one
        later = int(rng.integers(1, n))
        first_ = int(rng.integers(max(0, later - 20), later))
        if linked.isdisjoint([frozenset((later, first_))]):
            linked.add(frozenset((later, first_)))
            depends.setdefault(later, []).append(ids[first_])
    for _ in range(max(1, round(0.01 * n))):
        a, b = (int(x) for x in rng.choice(n, 2, replace=False))
        if frozenset((a, b)) not in linked:
            linked.add(frozenset((a, b)))
            excludes.setdefault(a, []).append(ids[b])
    free = [i for i in range(n) if not any(frozenset((i, j)) in linked for j in range(n))]
    forced = rng.choice(free, size=2 * max(1, round(0.01 * n)), replace=False)
    force_in = {int(i) for i in forced[: len(forced) // 2] if cost[i].sum() < 0.02 * cost.sum() * budget_share}
    force_out = {int(i) for i in forced[len(forced) // 2 :]}
    candidates = tuple(
        SelectionCandidate(
            id=ids[i],
            title=f"Generated candidate {i}",
            bucket=_BUCKETS[bucket[i]],
            ecv=Decimal(int(value[i])),
            costs=[{"period": p, "amount": Decimal(int(cost[i, k]))} for k, p in enumerate(_PERIODS) if cost[i, k]],
            resources=[
                {"role": r, "period": p, "fte": Decimal(str(fte[i, q, k]))}
                for q, r in enumerate(_ROLES)
                for k, p in enumerate(_PERIODS)
                if fte[i, q, k]
            ],
            depends_on=depends.get(i, []),
            excludes=excludes.get(i, []),
            force="in" if i in force_in else "out" if i in force_out else None,
            force_reason="committed" if i in force_in else "paused" if i in force_out else None,
        )
        for i in range(n)
    )
    budget = {p: Decimal(int(round(cost[:, k].sum() * budget_share, -2))) for k, p in enumerate(_PERIODS)}
    capacity = {r: {p: Decimal(str(limit[q, k])) for k, p in enumerate(_PERIODS)} for q, r in enumerate(_ROLES)}
    return SelectionProblem(
        candidates=candidates,
        budget=budget,
        buckets={b: (Decimal("0.09"), Decimal("0.15")) for b in _BUCKETS},
        capacity=capacity,
        value_measure="ecv",
        time_limit_seconds=_TIME_LIMIT_S,
    )
