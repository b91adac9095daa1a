"""The portfolio simulation against closed forms: sums of independent triangular and PERT variables
(mean and variance), Bernoulli success (the mean is Cooper's ECV), the copula's correlations, and a
fixed seed giving the same result."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ndtr  # type: ignore[import-untyped]

from governance.simulation import (
    PortfolioModel,
    QuantileTable,
    SimulatedProject,
    ThreePoint,
    latent_normals,
    quantiles,
    simulate,
)

ZERO = ThreePoint.point(0.0)


def project(
    pid: str,
    development: list[ThreePoint],
    *,
    bucket: str = "b",
    launch: list[ThreePoint] | None = None,
    benefits: ThreePoint = ZERO,
    pts: float = 1.0,
    pcs: float = 1.0,
) -> SimulatedProject:
    return SimulatedProject(
        id=pid,
        bucket=bucket,
        p_technical=pts,
        p_commercial=pcs,
        development=development,
        launch=launch or [ZERO] * len(development),
        benefits=benefits,
    )


def triangular_moments(t: ThreePoint) -> tuple[float, float]:
    a, c, b = t.low, t.likely, t.high
    return (a + b + c) / 3, (a * a + b * b + c * c - a * b - a * c - b * c) / 18


def pert_moments(t: ThreePoint) -> tuple[float, float]:
    a, m, b = t.low, t.likely, t.high
    mean = (a + 4 * m + b) / 6
    alpha, beta = 1 + 4 * (m - a) / (b - a), 1 + 4 * (b - m) / (b - a)
    return mean, (b - a) ** 2 * alpha * beta / ((alpha + beta) ** 2 * (alpha + beta + 1))


ESTIMATES = [
    ThreePoint(100_000, 150_000, 260_000),
    ThreePoint(40_000, 40_000, 90_000),
    ThreePoint(300_000, 420_000, 500_000),
    ThreePoint(10_000, 25_000, 40_000),
]


@pytest.mark.parametrize(("family", "moments"), [("triangular", triangular_moments), ("pert", pert_moments)])
def test_independent_costs_sum_to_the_closed_form_mean_and_variance(family, moments) -> None:  # type: ignore[no-untyped-def]
    # Buckets listed against the ids' order: the engine groups projects by bucket, and each share must
    # still come back to its own project.
    projects = [project(f"P{i}", [e, e], bucket=f"b{len(ESTIMATES) - i}") for i, e in enumerate(ESTIMATES)]
    model = PortfolioModel(projects, ["FY1", "FY2"], [2e6, 2e6], family=family)
    trials = 200_000
    result = simulate(model, trials, seed=7)
    # A project's total is drawn from the summed estimate (2 low, 2 likely, 2 high): it is 2 X.
    mean = -sum(2 * moments(e)[0] for e in ESTIMATES)
    variance = sum(4 * moments(e)[1] for e in ESTIMATES)
    standard_error = math.sqrt(variance / trials)
    assert abs(float(result.mean) - mean) < 4 * standard_error
    # Spend per period is one draw of each estimate: its mean is the sum of the means.
    period_mean = sum(moments(e)[0] for e in ESTIMATES)
    for spent in result.spend:
        assert abs(float(spent.mean) - period_mean) < 4 * math.sqrt(variance / 4 / trials)
        assert spent.p_over_budget == Decimal("0.0000")
    assert result.p_negative == Decimal("1.0000")
    # Independent projects: each one's share of the variance is its own variance over the total.
    shares = {d.id: float(d.share) for d in result.drivers}
    for i, e in enumerate(ESTIMATES):
        assert abs(shares[f"P{i}"] - 4 * moments(e)[1] / variance) < 0.02
    assert abs(sum(shares.values()) - 1) < 1e-3


def test_bernoulli_success_gives_cooper_ecv_on_average() -> None:
    # ECV = Pts (Pcs PV - launch) - development, with point estimates.
    cases = [
        (0.8, 0.6, 1_000_000.0, 200_000.0, 300_000.0),
        (0.5, 0.9, 2_500_000.0, 400_000.0, 800_000.0),
        (0.95, 0.3, 700_000.0, 50_000.0, 120_000.0),
    ]
    projects = [
        project(
            f"P{i}",
            [ThreePoint.point(dev)],
            bucket=f"b{i}",
            launch=[ThreePoint.point(launch)],
            benefits=ThreePoint.point(pv),
            pts=pts,
            pcs=pcs,
        )
        for i, (pts, pcs, pv, launch, dev) in enumerate(cases)
    ]
    ecv = sum(pts * (pcs * pv - launch) - dev for pts, pcs, pv, launch, dev in cases)
    variance = 0.0
    for pts, pcs, pv, launch, _ in cases:
        second = pts * (pcs * (pv - launch) ** 2 + (1 - pcs) * launch**2)
        variance += second - (pts * (pcs * pv - launch)) ** 2
    trials = 200_000
    result = simulate(PortfolioModel(projects, ["FY1"], [1e7]), trials, seed=11)
    assert abs(float(result.mean) - ecv) < 4 * math.sqrt(variance / trials)
    # Launch is spent only after technical success: expected spend = development + Pts x launch.
    expected_spend = sum(dev + pts * launch for pts, _, _, launch, dev in cases)
    assert abs(float(result.spend[0].mean) - expected_spend) < 4 * math.sqrt(
        sum(pts * (1 - pts) * launch**2 for pts, _, _, launch, _ in cases) / trials
    )


@pytest.mark.parametrize("bucket_of", [[0, 0, 1, 1], [1, 0, 0, 1]], ids=["grouped", "interleaved"])
def test_the_copula_correlates_within_a_bucket_and_across(bucket_of: list[int]) -> None:
    # The normals are made grouped by bucket; interleaved buckets must come back to their own columns.
    rng = np.random.Generator(np.random.PCG64(3))
    z = latent_normals(rng, 200_000, np.array(bucket_of, dtype=np.intp), rho_bucket=0.6, rho_all=0.2)
    assert z.shape == (200_000, 4) and z.dtype == np.float32
    c = np.corrcoef(z, rowvar=False)
    same = [(i, j) for i in range(4) for j in range(i + 1, 4) if bucket_of[i] == bucket_of[j]]
    across = [(i, j) for i in range(4) for j in range(i + 1, 4) if bucket_of[i] != bucket_of[j]]
    assert all(abs(c[i, j] - 0.6) < 0.01 for i, j in same) and len(same) == 2
    assert all(abs(c[i, j] - 0.2) < 0.01 for i, j in across) and len(across) == 4
    assert np.allclose(z.std(axis=0), 1.0, atol=0.01)


def test_correlation_widens_the_spread_but_not_the_mean() -> None:
    projects = [project(f"P{i}", [ThreePoint(50.0, 100.0, 300.0)]) for i in range(20)]
    # A budget above the mean spend (3,000): correlation makes exceeding it likelier.
    alone = simulate(PortfolioModel(projects, ["FY1"], [3400.0], family="triangular"), 50_000, seed=5)
    together = simulate(
        PortfolioModel(projects, ["FY1"], [3400.0], family="triangular", rho_bucket=0.5), 50_000, seed=5
    )
    mean = -20 * 150.0
    assert abs(float(alone.mean) - mean) < 10 and abs(float(together.mean) - mean) < 25
    assert together.p10 < alone.p10 and together.p90 > alone.p90
    assert together.spend[0].p_over_budget > alone.spend[0].p_over_budget


def test_a_seed_gives_the_same_result_and_another_seed_another() -> None:
    projects = [project(f"P{i}", [e], bucket=f"b{i % 2}", pts=0.7, pcs=0.5) for i, e in enumerate(ESTIMATES)]
    model = PortfolioModel(projects, ["FY1"], [500_000.0], rho_bucket=0.3, rho_all=0.1)
    first, again = simulate(model, 25_000, seed=42), simulate(model, 25_000, seed=42)
    assert first == again
    assert simulate(model, 25_000, seed=43) != first


@settings(max_examples=200, deadline=None)
@given(
    st.floats(-1e7, 1e7),
    st.floats(0, 1e6),
    st.floats(0, 1e6),
    st.sampled_from(["triangular", "pert"]),
    st.lists(st.floats(0, 1), min_size=1, max_size=20),
)
def test_quantiles_stay_within_the_estimate_and_rise_with_u(
    low: float, up: float, more: float, family: str, us: list[float]
) -> None:
    likely, high = low + up, low + up + more
    u = np.array(sorted(us))
    x = quantiles(family, np.array(low), np.array(likely), np.array(high), u)  # type: ignore[arg-type]
    tolerance = 1e-9 * max(1.0, abs(low), abs(high))
    assert np.all(x >= low - tolerance) and np.all(x <= high + tolerance)
    assert np.all(np.diff(x) >= -tolerance)


def test_bad_estimates_and_correlations_are_refused() -> None:
    with pytest.raises(ValueError, match="low <= likely <= high"):
        ThreePoint(10.0, 5.0, 20.0)
    with pytest.raises(ValueError, match="rho_all <= rho_bucket"):
        PortfolioModel([], [], [], rho_bucket=0.1, rho_all=0.3)
    with pytest.raises(ValueError, match="one estimate per period"):
        PortfolioModel([project("P1", [ZERO])], ["FY1", "FY2"], [1.0, 1.0])


@pytest.mark.parametrize("family", ["triangular", "pert"])
def test_the_quantile_table_reads_the_exact_quantiles(family: str) -> None:
    # Modes 0, 1, 0.25 and 0.8 (the table computes modes up to 0.5 and mirrors the rest) and a point.
    low = np.array([0.0, 100.0, 5.0, 1e6, -60.0, 7.0])
    likely = np.array([0.0, 100.0, 9.0, 1.3e6, 20.0, 7.5])
    high = np.array([1.0, 400.0, 9.0, 2.5e6, 40.0, 7.5])
    table = QuantileTable(family, low, likely, high)  # type: ignore[arg-type]
    z = np.random.Generator(np.random.PCG64(1)).standard_normal((6, 5000), dtype=np.float32)
    z[:, 0] = -9.0
    z[:, 1] = 9.0
    # Exact at the float32 z the table reads: one row per estimate.
    exact = quantiles(family, low[:, None], likely[:, None], high[:, None], ndtr(z.astype(np.float64)))  # type: ignore[arg-type]
    drawn = table.draw(z)
    assert drawn.dtype == np.float32 and drawn.shape == (6, 5000)
    assert np.all(np.abs(drawn - exact) <= 2e-3 * (high - low)[:, None] + 1e-9 * np.abs(exact))
