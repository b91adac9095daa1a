"""The portfolio's outcome by simulation (Monte Carlo): value, spend per period, and what drives the spread.

Each project i has, per budget period p, a development cost D_ip and a launch cost L_ip, and a present
value of benefits B_i, each a three-point estimate (low, likely, high); and the probabilities of
technical (Pts) and commercial (Pcs) success. A project's periods move together (an overrun runs
through the project): its total development cost is drawn from the distribution (triangular or
PERT) of the summed estimates (sum of lows, of likelies, of highs), and each period takes its share
of the total in proportion to its own estimate (low + likely + high); launch likewise. One trial is

    T_i ~ Bernoulli(Pts_i), C_i ~ Bernoulli(Pcs_i)            independent
    value_i = T_i (C_i B_i - L_i) - D_i                        L_i, D_i summed over the periods
    spend_ip = D_ip + T_i L_ip                                 launch is spent only after technical success

so E[value_i] = Pts (Pcs E[B] - E[L]) - E[D]: with point estimates, Cooper's ECV exactly.

Correlation (Gaussian copula, one coefficient within a bucket and one across all): each project has
two latent standard normals, one for its costs (development and launch) and one for its benefits,
built from factors so that no n x n matrix is ever formed:

    z_i = sqrt(rho_all) G + sqrt(rho_bucket - rho_all) H_bucket(i) + sqrt(1 - rho_bucket) E_i

(corr(z_i, z_j) = rho_bucket in one bucket, rho_all across; rho_all <= rho_bucket). The draw is the
estimate's quantile at Phi(z). Costs and benefits are independent of each other. The quantile of a
standard estimate on [0, 1] depends only on where its mode lies (m = (likely - low) / (high - low)),
so it is tabulated once over (m, z) (`QuantileTable`, from the exact quantiles in `quantiles`) and
read by linear interpolation: a few array operations per draw instead of an inverse beta function.

Trials run in fixed chunks (CHUNK), every draw from one PCG64 stream seeded by `seed`, with numpy
arrays throughout (no Python loop per trial). Within a chunk the arrays are project x trial, so each
project's table row stays in cache while its trials read it, and projects are grouped by bucket, so
a bucket's factor is one broadcast add. The draws (normals, uniforms) and the table read are float32:
the table's interpolation error (within 2e-3 of an estimate's width) dwarfs float32's 6e-8;
the sums over projects and across chunks are float64. Results are rounded (money to cents,
probabilities to 4 places) so that a record of them has the same bytes wherever it is made.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from itertools import groupby
from typing import Any, Literal

import numpy as np
from scipy.special import betaincinv, ndtr  # type: ignore[import-untyped]

__all__ = [
    "CHUNK",
    "PERCENTILES",
    "CostDraw",
    "Driver",
    "Family",
    "PeriodSpend",
    "Places",
    "PortfolioModel",
    "QuantileTable",
    "SimulatedProject",
    "Simulation",
    "ThreePoint",
    "cost_draws",
    "latent_normals",
    "quantiles",
    "simulate",
]

Family = Literal["triangular", "pert"]
Floats = np.ndarray[Any, np.dtype[np.float64]]
Floats32 = np.ndarray[Any, np.dtype[np.float32]]
Indexes = np.ndarray[Any, np.dtype[np.intp]]
CHUNK = 2_000
PERCENTILES = tuple(range(5, 100, 5))
CENT = Decimal("0.01")
SHARE = Decimal("0.0001")


@dataclass(frozen=True)
class ThreePoint:
    """A low, most likely and high value (a point value has all three equal)."""

    low: float
    likely: float
    high: float

    @classmethod
    def point(cls, value: float) -> ThreePoint:
        return cls(value, value, value)

    def __post_init__(self) -> None:
        if not self.low <= self.likely <= self.high:
            raise ValueError(f"expected low <= likely <= high, got {self.low}, {self.likely}, {self.high}")


@dataclass(frozen=True)
class SimulatedProject:
    """One project's estimates: `development` and `launch` per period (the model's periods, in order)."""

    id: str
    bucket: str
    p_technical: float
    p_commercial: float
    development: Sequence[ThreePoint]
    launch: Sequence[ThreePoint]
    benefits: ThreePoint


@dataclass(frozen=True)
class PortfolioModel:
    """What to simulate: the projects, the periods with their budgets, the family and the correlations."""

    projects: Sequence[SimulatedProject]
    periods: Sequence[str]
    budget: Sequence[float]
    family: Family = "pert"
    rho_bucket: float = 0.0
    rho_all: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.rho_all <= self.rho_bucket < 1.0:
            raise ValueError(f"expected 0 <= rho_all <= rho_bucket < 1, got {self.rho_all}, {self.rho_bucket}")
        if len(self.budget) != len(self.periods):
            raise ValueError("one budget per period")
        for p in self.projects:
            if len(p.development) != len(self.periods) or len(p.launch) != len(self.periods):
                raise ValueError(f"{p.id}: development and launch need one estimate per period")
            if not (0.0 <= p.p_technical <= 1.0 and 0.0 <= p.p_commercial <= 1.0):
                raise ValueError(f"{p.id}: probabilities of success must be within 0..1")


@dataclass(frozen=True)
class PeriodSpend:
    period: str
    budget: Decimal
    mean: Decimal
    p10: Decimal
    p50: Decimal
    p90: Decimal
    p_over_budget: Decimal


@dataclass(frozen=True)
class Driver:
    """A project's share of the portfolio value's variance (Euler: cov(v_i, V) / var(V); shares sum to 1)."""

    id: str
    share: Decimal


@dataclass(frozen=True)
class Simulation:
    trials: int
    seed: int
    mean: Decimal
    p10: Decimal
    p50: Decimal
    p90: Decimal
    p_negative: Decimal
    percentiles: tuple[Decimal, ...]  # the value at 5 %, 10 %, ..., 95 % (for a chart of its distribution)
    spend: tuple[PeriodSpend, ...]
    drivers: tuple[Driver, ...]


def quantiles(family: Family, low: Floats, likely: Floats, high: Floats, u: Floats) -> Floats:
    """The estimate's value at probability u (elementwise; arrays broadcast). A degenerate estimate
    (low == high) is its point value."""
    width = high - low
    safe = np.where(width > 0, width, 1.0)
    if family == "triangular":
        mode_at = (likely - low) / safe
        below = low + np.sqrt(u * width * (likely - low))
        above = high - np.sqrt((1.0 - u) * width * (high - likely))
        drawn = np.where(u < mode_at, below, above)
    else:
        alpha = 1.0 + 4.0 * (likely - low) / safe
        beta = 1.0 + 4.0 * (high - likely) / safe
        # betaincinv gives nan below about 1e-200 (where the quantile is low to within 1e-20 of the width)
        drawn = low + width * betaincinv(alpha, beta, np.clip(u, 1e-100, 1.0))
    return np.asarray(np.where(width > 0, drawn, low), dtype=np.float64)


def _latent(
    rng: np.random.Generator,
    trials: int,
    sizes: Sequence[int],
    rho_bucket: float,
    rho_all: float,
    scale: float = 1.0,
    shift: float = 0.0,
) -> Floats32:
    """scale z + shift for n x trials standard normals z (float32) of projects grouped by bucket: `sizes`
    are the groups' row counts, in order. One row per project keeps its draws together for the table
    read; scale and shift (the table's z grid) ride on the factor arithmetic at no extra pass."""
    own = rng.standard_normal((sum(sizes), trials), dtype=np.float32)
    common = rng.standard_normal(trials, dtype=np.float32)
    factor = rng.standard_normal((len(sizes), trials), dtype=np.float32)
    factor *= np.float32(scale * np.sqrt(rho_bucket - rho_all))
    factor += np.float32(scale * np.sqrt(rho_all)) * common
    factor += np.float32(shift)
    own *= np.float32(scale * np.sqrt(1.0 - rho_bucket))
    start = 0
    for k, size in enumerate(sizes):  # a bucket's rows are contiguous: a broadcast add, no gather
        own[start : start + size] += factor[k]
        start += size
    return own


def latent_normals(
    rng: np.random.Generator, trials: int, bucket_of: Indexes, rho_bucket: float, rho_all: float
) -> Floats32:
    """trials x n standard normals (float32) with corr rho_bucket within a bucket and rho_all across."""
    order = np.argsort(bucket_of, kind="stable")
    sizes = np.bincount(bucket_of).tolist() if len(bucket_of) else []
    z = _latent(rng, trials, sizes, rho_bucket, rho_all)
    return np.asarray(z[np.argsort(order)].T)


_Z_LOW, _Z_STEP, _Z_POINTS = -8.0, 0.01, 1601  # z from -8 to 8
_M_POINTS = 201  # the mode's place, 0 to 1 in steps of 0.005
_GRID_SCALE, _GRID_SHIFT = 1.0 / _Z_STEP, -_Z_LOW / _Z_STEP  # z -> its place on the grid


@cache
def _standard_table(family: Family) -> Floats:
    """The quantile of a standard estimate (low 0, high 1, mode m) at Phi(z), for m x z on the grids.

    Both grids are symmetric (m <-> 1 - m, z <-> -z) and so are the estimates: Q(Phi(z); m) =
    1 - Q(Phi(-z); 1 - m). Half the rows are computed and the rest mirrored: the inverse beta function
    costs 1.5 s for the whole PERT table and 0.6 s for half (once per process). The mirror reads the
    upper tail from Phi(-z), which float64 holds better than Phi(z) near 1."""
    half = _M_POINTS // 2 + 1  # m from 0 to 0.5
    m = np.linspace(0.0, 1.0, _M_POINTS)[:half, None]
    u = ndtr(_Z_LOW + _Z_STEP * np.arange(_Z_POINTS))[None, :]
    computed = quantiles(family, np.zeros_like(m), m, np.ones_like(m), u)
    return np.concatenate([computed, 1.0 - computed[: _M_POINTS - half][::-1, ::-1]])


class Places:
    """Where k x trials standard normals fall on the table's z grid: the flat index of the point below
    (row r's points start at r x the grid's length) and the fraction of the step beyond it. Tables of
    k rows read the same places, so estimates sharing a latent (development and launch) place it once.

    Made from `grid`, the normals already on the grid ((z - _Z_LOW) / _Z_STEP; consumed), or `of(z)`."""

    def __init__(self, grid: Floats32) -> None:
        np.clip(grid, np.float32(0.0), np.float32(_Z_POINTS - 1), out=grid)
        below = np.floor(grid)  # not np.modf: it is about 5x slower here (no SIMD loop)
        grid -= below
        self.fraction = grid
        self.index = below.astype(np.intp)
        self.index += (np.arange(grid.shape[0], dtype=np.intp) * _Z_POINTS)[:, None]

    @classmethod
    def of(cls, z: Floats32) -> Places:
        grid = np.multiply(z, np.float32(_GRID_SCALE))
        grid += np.float32(_GRID_SHIFT)
        return cls(grid)


class QuantileTable:
    """Quantiles at Phi(z) of k estimates (low, likely, high arrays), by linear interpolation in z.

    Stored as float32 (value, slope to the next point) pairs, each pair one complex64 item, so one
    gather reads both ends of the interval (for 500 x 5,000 places: 8.2 ms, against 7.7 ms for one
    float32 gather and so 15.4 ms for the two the plain version needs); float32 adds about 6e-8 of
    the value, far below the interpolation's own error (test_the_quantile_table_reads_the_exact_quantiles
    states it)."""

    def __init__(self, family: Family, low: Floats, likely: Floats, high: Floats) -> None:
        width = high - low
        mode = np.divide(likely - low, width, out=np.zeros_like(width), where=width > 0)
        standard = _standard_table(family)
        place = mode * (_M_POINTS - 1)
        below = np.minimum(place.astype(np.intp), _M_POINTS - 2)
        share = (place - below)[:, None]
        rows = standard[below] * (1.0 - share) + standard[below + 1] * share  # k x z points
        values = low[:, None] + width[:, None] * rows
        pairs = np.zeros((len(low), _Z_POINTS, 2), dtype=np.float32)
        pairs[..., 0] = values
        pairs[:, :-1, 1] = np.diff(values, axis=1)  # the last point's slope stays 0: z is clipped to it
        self.pairs = pairs.view(np.complex64).ravel()

    def read(self, places: Places) -> Floats32:
        """The k x trials draws at `places` (of a k x trials z)."""
        pair = self.pairs.take(places.index)
        drawn = np.multiply(pair.imag, places.fraction)
        drawn += pair.real
        return drawn

    def draw(self, z: Floats32) -> Floats32:
        """z: k x trials standard normals (one row per estimate) -> k x trials draws."""
        return self.read(Places.of(z))


def _total_and_weights(rows: Sequence[Sequence[ThreePoint]]) -> tuple[Floats, Floats, Floats, Floats]:
    """Each project's summed estimate (low, likely, high) and its periods' shares of the total."""
    a = np.array([[(t.low, t.likely, t.high) for t in row] for row in rows], dtype=np.float64)
    a = a.reshape(len(rows), -1, 3)
    mid = a.sum(axis=2)
    total = mid.sum(axis=1, keepdims=True)
    weights = np.divide(mid, total, out=np.zeros_like(mid), where=total > 0)
    return a[..., 0].sum(axis=1), a[..., 1].sum(axis=1), a[..., 2].sum(axis=1), weights


def _money(x: float) -> Decimal:
    return Decimal(repr(float(x))).quantize(CENT)


def _share(x: float) -> Decimal:
    return Decimal(repr(float(x))).quantize(SHARE)


@dataclass(frozen=True)
class CostDraw:
    """One chunk of `simulate`'s cost draws: rows are the projects as simulate orders them (grouped by
    bucket; `order[k]` is row k's index in the model), columns the chunk's trials (float32)."""

    order: Indexes
    development: Floats32  # n x trials
    launched: Floats32  # n x trials: launch cost, after technical success
    development_weights: Floats32  # periods x n: each row's share of its total per period
    launch_weights: Floats32

    def spend(self) -> Floats:
        """periods x trials: the portfolio's spend, summed as `simulate` sums it (the same bits)."""
        spend: Floats = np.einsum("pn,nt->pt", self.development_weights, self.development).astype(np.float64)
        spend += np.einsum("pn,nt->pt", self.launch_weights, self.launched)
        return spend


def cost_draws(model: PortfolioModel, trials: int, seed: int, *, as_simulate: bool = True) -> Iterator[CostDraw]:
    """The development and launched costs `simulate(model, trials, seed)` draws, chunk by chunk (for a
    chance constraint's scenarios). Without `as_simulate` the draws that spend does not need (the
    benefits' latents, commercial success) are skipped: another stream, the same distribution."""
    rng = np.random.Generator(np.random.PCG64(seed))
    order = np.array(sorted(range(len(model.projects)), key=lambda i: model.projects[i].bucket), dtype=np.intp)
    ps = [model.projects[i] for i in order]
    n = len(ps)
    *dev_total, dev_weights = _total_and_weights([p.development for p in ps])
    *launch_total, launch_weights = _total_and_weights([p.launch for p in ps])
    development = QuantileTable(model.family, *dev_total)
    launches = QuantileTable(model.family, *launch_total)
    pts = np.array([p.p_technical for p in ps], dtype=np.float32)[:, None]
    sizes = [len(list(group)) for _, group in groupby(p.bucket for p in ps)]
    dev_weights_t = np.ascontiguousarray(dev_weights.T, dtype=np.float32)
    launch_weights_t = np.ascontiguousarray(launch_weights.T, dtype=np.float32)
    for start in range(0, trials, CHUNK):
        t = min(CHUNK, trials - start)
        places = Places(_latent(rng, t, sizes, model.rho_bucket, model.rho_all, _GRID_SCALE, _GRID_SHIFT))
        dev = development.read(places)
        launch = launches.read(places)
        if as_simulate:
            _latent(rng, t, sizes, model.rho_bucket, model.rho_all, _GRID_SCALE, _GRID_SHIFT)  # benefits
            technical = rng.random((2, n, t), dtype=np.float32)[0] < pts  # [1]: commercial success
        else:
            technical = rng.random((n, t), dtype=np.float32) < pts
        launch *= technical
        yield CostDraw(order, dev, launch, dev_weights_t, launch_weights_t)


def simulate(model: PortfolioModel, trials: int, seed: int) -> Simulation:
    """Simulate `trials` outcomes of the portfolio (see the module's docstring)."""
    if trials < 2:
        raise ValueError("at least 2 trials")
    rng = np.random.Generator(np.random.PCG64(seed))
    # Projects grouped by bucket (stable), so that a bucket's latent rows are contiguous.
    ps = sorted(model.projects, key=lambda p: p.bucket)
    n, periods = len(ps), len(model.periods)
    *dev_total, dev_weights = _total_and_weights([p.development for p in ps])
    *launch_total, launch_weights = _total_and_weights([p.launch for p in ps])
    ben = np.array([(p.benefits.low, p.benefits.likely, p.benefits.high) for p in ps], dtype=np.float64)
    ben = ben.reshape(n, 3)
    development = QuantileTable(model.family, *dev_total)
    launches = QuantileTable(model.family, *launch_total)
    benefits_table = QuantileTable(model.family, ben[:, 0], ben[:, 1], ben[:, 2])
    pts = np.array([p.p_technical for p in ps], dtype=np.float32)[:, None]
    pcs = np.array([p.p_commercial for p in ps], dtype=np.float32)[:, None]
    sizes = [len(list(group)) for _, group in groupby(p.bucket for p in ps)]
    dev_weights_t = np.ascontiguousarray(dev_weights.T, dtype=np.float32)  # periods x n
    launch_weights_t = np.ascontiguousarray(launch_weights.T, dtype=np.float32)
    totals = np.empty(trials)
    spend = np.empty((periods, trials))
    own_sum = np.zeros(n)
    cross_sum = np.zeros(n)
    shift = 0.0
    for start in range(0, trials, CHUNK):
        t = min(CHUNK, trials - start)
        cost_places = Places(_latent(rng, t, sizes, model.rho_bucket, model.rho_all, _GRID_SCALE, _GRID_SHIFT))
        dev = development.read(cost_places)  # development and launch share a latent
        launch = launches.read(cost_places)
        value = benefits_table.read(
            Places(_latent(rng, t, sizes, model.rho_bucket, model.rho_all, _GRID_SCALE, _GRID_SHIFT))
        )
        u = rng.random((2, n, t), dtype=np.float32)
        technical = u[0] < pts
        success = u[1] < pcs
        success &= technical
        launch *= technical  # launched
        value *= success
        value -= launch
        value -= dev
        chunk_total = value.sum(axis=0, dtype=np.float64)
        totals[start : start + t] = chunk_total
        # einsum, not matmul: threaded BLAS stalls when the other core is busy (median 16 ms against
        # 0.3 ms for one chunk's 4 x 500 x 2,000 product on the 2-core bench machine; einsum 0.6 ms, steady)
        spend[:, start : start + t] = np.einsum("pn,nt->pt", dev_weights_t, dev)
        spend[:, start : start + t] += np.einsum("pn,nt->pt", launch_weights_t, launch)
        if start == 0:  # cross products about the first chunk's mean: float32 need not carry the mean's square
            shift = float(chunk_total.mean())
        own_sum += value.sum(axis=1, dtype=np.float64)
        cross_sum += np.einsum("nt,t->n", value, (chunk_total - shift).astype(np.float32))
    mean = float(totals.mean())
    covariance = cross_sum / trials - (own_sum / trials) * (mean - shift)
    variance = float(totals.var())
    shares = covariance / variance if variance > 0 else np.zeros(n)
    order = sorted(range(n), key=lambda i: (-abs(float(shares[i])), ps[i].id))
    percentiles = np.percentile(totals, PERCENTILES)
    p10, p50, p90 = (percentiles[PERCENTILES.index(q)] for q in (10, 50, 90))
    budget = np.array(model.budget, dtype=np.float64)
    s10, s50, s90 = np.percentile(spend, [10, 50, 90], axis=1)
    over = (spend > budget[:, None]).mean(axis=1)
    return Simulation(
        trials=trials,
        seed=seed,
        mean=_money(mean),
        p10=_money(p10),
        p50=_money(p50),
        p90=_money(p90),
        p_negative=_share(float((totals < 0).mean())),
        percentiles=tuple(map(_money, percentiles)),
        spend=tuple(
            PeriodSpend(
                period=name,
                budget=_money(budget[k]),
                mean=_money(spend[k].mean()),
                p10=_money(s10[k]),
                p50=_money(s50[k]),
                p90=_money(s90[k]),
                p_over_budget=_share(over[k]),
            )
            for k, name in enumerate(model.periods)
        ),
        drivers=tuple(Driver(ps[i].id, _share(shares[i])) for i in order),
    )
