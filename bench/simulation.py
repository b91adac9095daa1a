"""`simulation_500x4`: the portfolio simulation (governance.simulation) of 500 projects x 4 periods x
100,000 trials, PERT estimates, correlation 0.4 within a bucket and 0.1 across (five buckets).

Floor: plain numpy doing the same draws and sums without the engine's layer: a standard normal per
project for its costs and one for its benefits, two uniforms for its successes, each estimate drawn
as low + width x Phi(z) (no copula, no quantile table, no statistics), and the same sums (value per
trial, spend per period per trial, the cross products for the variance shares), in the same chunks.
Runs are interleaved (engine, floor, engine, ...); the figure is the median of each with its spread,
and the load average (1, 5, 15 min) at the start and the end: other work on a shared machine slows
both, so compare within one run. Memory: the engine's peak traced allocation (tracemalloc) in one
more run. Targets: < 5 s, <= 1.5x the floor, < 2 GB.
"""

from __future__ import annotations

import gc
import os
import random
import tracemalloc
from typing import Any

import numpy as np
from scipy.special import ndtr  # type: ignore[import-untyped]

from bench.common import log, median, timed
from governance.simulation import CHUNK, PortfolioModel, SimulatedProject, ThreePoint, simulate

PERIODS = ("FY2027", "FY2028", "FY2029", "FY2030")
BUCKETS = ("new-products", "platform", "improvements", "cost-reduction", "sustaining")


def _three(rng: random.Random, likely: float) -> ThreePoint:
    return ThreePoint(likely * rng.uniform(0.7, 1.0), likely, likely * rng.uniform(1.0, 1.8))


def portfolio(projects: int, seed: int) -> PortfolioModel:
    rng = random.Random(seed)
    made = []
    for i in range(projects):
        development = [_three(rng, rng.uniform(50_000, 900_000)) for _ in PERIODS]
        launch = [_three(rng, rng.uniform(0, 200_000)) for _ in PERIODS]
        made.append(
            SimulatedProject(
                id=f"P-{i:04d}",
                bucket=BUCKETS[i % len(BUCKETS)],
                p_technical=rng.uniform(0.5, 0.95),
                p_commercial=rng.uniform(0.3, 0.9),
                development=development,
                launch=launch,
                benefits=_three(rng, rng.uniform(2_000_000, 12_000_000)),
            )
        )
    total = sum(t.likely for p in made for t in (*p.development, *p.launch)) / len(PERIODS)
    return PortfolioModel(made, PERIODS, [total * 1.1] * len(PERIODS), "pert", rho_bucket=0.4, rho_all=0.1)


def floor(model: PortfolioModel, trials: int, seed: int) -> float:
    """The same draws and sums in plain numpy: a standard normal per project for its costs and one for its
    benefits, two uniforms for its successes; each estimate drawn as low + width x Phi(z) (no copula, no
    quantile table); the same value and spend sums in the same chunks."""
    rng = np.random.Generator(np.random.PCG64(seed))
    ps = model.projects
    n = len(ps)

    def summed(pick: str) -> tuple[Any, Any, Any]:
        a = np.array([[(t.low, t.likely, t.high) for t in getattr(p, pick)] for p in ps])
        mid = a.sum(axis=2)
        return a[..., 0].sum(axis=1), a[..., 2].sum(axis=1) - a[..., 0].sum(axis=1), mid / mid.sum(axis=1)[:, None]

    dev_lo, dev_w, dev_share = summed("development")
    la_lo, la_w, la_share = summed("launch")
    ben_lo = np.array([p.benefits.low for p in ps])
    ben_w = np.array([p.benefits.high - p.benefits.low for p in ps])
    pts = np.array([p.p_technical for p in ps])
    pcs = np.array([p.p_commercial for p in ps])
    total = 0.0
    for start in range(0, trials, CHUNK):
        t = min(CHUNK, trials - start)
        u_cost = ndtr(rng.standard_normal((t, n)))
        dev = dev_lo + dev_w * u_cost
        launch = la_lo + la_w * u_cost
        benefits = ben_lo + ben_w * ndtr(rng.standard_normal((t, n)))
        technical = rng.random((t, n)) < pts
        commercial = rng.random((t, n)) < pcs
        launched = launch * technical
        value = technical * commercial * benefits - launched - dev
        spend = dev @ dev_share + launched @ la_share
        chunk_total = value.sum(axis=1)
        total += float(chunk_total.sum()) + float(spend.sum()) + float((chunk_total @ value).sum())
    return total


def simulation_figure(seed: int, quick: bool, repeats: int = 3) -> dict[str, Any]:
    projects, trials = 500, 10_000 if quick else 100_000
    model = portfolio(projects, seed)
    load_at_start = [round(x, 2) for x in os.getloadavg()]  # other work on the machine moves both figures
    engine_s: list[float] = []
    floor_s: list[float] = []
    result = None
    for run in range(repeats):
        gc.collect()
        engine = timed(lambda: simulate(model, trials, seed))
        result = engine.value
        gc.collect()
        plain = timed(lambda: floor(model, trials, seed))
        engine_s.append(engine.seconds)
        floor_s.append(plain.seconds)
        log(f"simulation run {run + 1}: engine {engine.seconds:.2f} s, floor {plain.seconds:.2f} s")
    tracemalloc.start()
    simulate(model, trials, seed)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result is not None
    seconds, floor_seconds = median(engine_s), median(floor_s)
    ratio = seconds / floor_seconds
    return {
        "projects": projects,
        "periods": len(PERIODS),
        "trials": trials,
        "seconds": round(seconds, 3),
        "seconds_runs": [round(s, 3) for s in engine_s],
        "floor_seconds": round(floor_seconds, 3),
        "floor_seconds_runs": [round(s, 3) for s in floor_s],
        "ratio": round(ratio, 3),
        "peak_memory_mb": round(peak / 2**20, 1),
        "loadavg_at_start": load_at_start,
        "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
        "value_p10_p50_p90": [str(result.p10), str(result.p50), str(result.p90)],
        "targets": {"seconds": 5.0, "ratio": 1.5, "peak_memory_mb": 2048},
        "meets_targets": seconds < 5.0 and ratio <= 1.5 and peak < 2 * 2**30,
    }
