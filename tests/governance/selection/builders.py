"""Problems for the selection tests: builders, one small problem worked out by hand, and the
brute-force reference (every constraint as the engine names it, every subset) with a strategy of
small problems for the properties."""

from __future__ import annotations

import itertools
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from hypothesis import strategies as st

from models.selection import SelectionCandidate, SelectionProblem

__all__ = [
    "EVERY_KIND",
    "PERIODS",
    "SMALL",
    "SOLVER",
    "D",
    "cand",
    "constraints",
    "pct",
    "problem",
    "small_problems",
    "subsets",
]

D = Decimal
SOLVER = {
    "name": "HiGHS",
    "version": "1.16.0",
    "options": {"mip_rel_gap": "0", "time_limit_seconds": 60, "random_seed": 0, "threads": 1, "presolve": "choose"},
}


def cand(
    cid: str, ecv: int | str, cost: int | str | dict[str, Any], bucket: str = "core", **extra: Any
) -> SelectionCandidate:
    costs = cost if isinstance(cost, dict) else {"FY2027": cost}
    data = {
        "id": cid,
        "title": f"Project {cid}",
        "bucket": bucket,
        "ecv": ecv,
        "costs": [{"period": p, "amount": a} for p, a in costs.items()],
        **extra,
    }
    return SelectionCandidate.model_validate(data)


def problem(
    *candidates: SelectionCandidate,
    budget: dict[str, int] | None = None,
    buckets: dict[str, tuple[str, str]] | None = None,
    **extra: Any,
) -> SelectionProblem:
    return SelectionProblem(
        candidates=candidates,
        budget={p: D(a) for p, a in (budget or {"FY2027": 100}).items()},
        buckets={b: (D(lo), D(hi)) for b, (lo, hi) in (buckets or {"core": ("0", "1")}).items()},
        mip_gap=D(0),
        **extra,
    )


SMALL = problem(
    cand("A", 100, 60),
    cand("B", 70, 50),
    cand("C", 68, 50, bucket="growth"),
    cand("D", 5, {"FY2027": 1, "FY2028": 3}, bucket="growth"),
    buckets={"core": ("0", "1"), "growth": ("0", "0.6")},
    frontier_levels=10,
    currency="EUR",
)

# -- the brute-force reference ----------------------------------------------------------------

PERIODS = ("FY2027", "FY2028")


def pct(share: Decimal) -> str:
    return format((share * 100).normalize(), "f") + "%"


def constraints(p: SelectionProblem) -> list[tuple[str, Any]]:
    """Every constraint of `p`, named as the engine names them, each a predicate over a set of ids."""
    by_id = {c.id: c for c in p.candidates}

    def spend(chosen: set[str], period: str) -> Decimal:
        return sum((k.amount for i in chosen for k in by_id[i].costs if k.period == period), D(0))

    def bucket_spend(chosen: set[str], bucket: str) -> Decimal:
        return sum((spend({i}, q) for i in chosen if by_id[i].bucket == bucket for q in p.budget), D(0))

    def spent(chosen: set[str]) -> Decimal:
        return sum((bucket_spend(chosen, b) for b in p.buckets), D(0))

    total = sum(p.budget.values(), D(0))
    found: list[tuple[str, Any]] = []
    for period in sorted(p.budget):
        limit = p.budget[period]
        found.append((f"budget {period} ({limit:,.2f})", lambda s, q=period, b=limit: spend(s, q) <= b))
    for bucket, (low, high) in p.buckets.items():
        if p.bucket_shares_of == "spend":  # exact: no rounding, shares of what the selection spends
            if low > 0:
                name = f"bucket {bucket} minimum {pct(low)} of spend"
                found.append((name, lambda s, b=bucket, m=low: bucket_spend(s, b) >= m * spent(s)))
            if high < 1:
                name = f"bucket {bucket} maximum {pct(high)} of spend"
                found.append((name, lambda s, b=bucket, m=high: bucket_spend(s, b) <= m * spent(s)))
            continue
        lo, hi = (total * low).quantize(D("0.01"), ROUND_CEILING), (total * high).quantize(D("0.01"), ROUND_FLOOR)
        if low > 0:
            found.append(
                (
                    f"bucket {bucket} minimum {pct(low)} of budget ({lo:,.2f})",
                    lambda s, b=bucket, m=lo: bucket_spend(s, b) >= m,
                )
            )
        if high < 1:
            found.append(
                (
                    f"bucket {bucket} maximum {pct(high)} of budget ({hi:,.2f})",
                    lambda s, b=bucket, m=hi: bucket_spend(s, b) <= m,
                )
            )
    for role, limits in p.capacity.items():
        for period, limit in limits.items():

            def used(s: set[str], r: str = role, q: str = period) -> Decimal:
                return sum((x.fte for i in s for x in by_id[i].resources if (x.role, x.period) == (r, q)), D(0))

            found.append((f"capacity {role} {period} ({limit} FTE)", lambda s, u=used, m=limit: u(s) <= m))
    seen: set[frozenset[str]] = set()
    for c in p.candidates:
        for a in c.depends_on:
            found.append((f"{c.id} depends on {a}", lambda s, b=c.id, a=a: b not in s or a in s))
    for c in p.candidates:
        for other in c.excludes:
            if frozenset((c.id, other)) not in seen:
                seen.add(frozenset((c.id, other)))
                found.append((f"{c.id} excludes {other}", lambda s, a=c.id, b=other: not (a in s and b in s)))
    for c in p.candidates:
        if c.force is not None:
            name = f"force-{c.force} {c.id} ({c.force_reason})"
            found.append((name, lambda s, i=c.id, f=c.force: (i in s) == (f == "in")))
    return found


def subsets(p: SelectionProblem) -> list[set[str]]:
    ids = [c.id for c in p.candidates]
    return [set(combo) for n in range(len(ids) + 1) for combo in itertools.combinations(ids, n)]


@st.composite
def small_problems(
    draw: st.DrawFn, with_minimums: bool = True, shares_of: st.SearchStrategy[str] | None = None
) -> SelectionProblem:
    n = draw(st.integers(1, 9))
    ids = [f"P-{i}" for i in range(n)]
    candidates = []
    pairs: set[frozenset[str]] = set()
    for cid in ids:
        others = [o for o in ids if o != cid]
        depends = (
            draw(st.lists(st.sampled_from(others), max_size=2, unique=True))
            if others and draw(st.integers(0, 3)) == 0
            else []
        )
        rest = [o for o in others if o not in depends and frozenset((o, cid)) not in pairs]
        excludes = (
            draw(st.lists(st.sampled_from(rest), max_size=1, unique=True))
            if rest and draw(st.integers(0, 3)) == 0
            else []
        )
        pairs.update(frozenset((cid, o)) for o in depends + excludes)
        force = draw(st.sampled_from([None] * 6 + ["in", "out"]))
        costs = {p: draw(st.integers(0, 40)) for p in (*PERIODS, "FY2029") if draw(st.booleans())} or {"FY2027": 0}
        fte = draw(st.integers(0, 3))
        candidates.append(
            cand(
                cid,
                draw(st.integers(-10, 60)),
                costs,
                bucket=draw(st.sampled_from(["core", "growth"])),
                depends_on=depends,
                excludes=excludes,
                force=force,
                force_reason="because" if force else None,
                resources=[{"role": "engineer", "period": "FY2027", "fte": fte}] if fte else [],
            )
        )
    lows = ["0", "0", "0.1", "0.3"] if with_minimums else ["0"]
    buckets = {
        b: (D(draw(st.sampled_from(lows))), D(draw(st.sampled_from(["0.4", "0.7", "1"])))) for b in ("core", "growth")
    }
    budget = {p: D(draw(st.integers(0, 80))) for p in PERIODS}
    capacity = {"engineer": {"FY2027": D(draw(st.integers(0, 5)))}} if draw(st.booleans()) else {}
    return SelectionProblem(
        candidates=tuple(candidates),
        budget=budget,
        buckets=buckets,
        capacity=capacity,
        mip_gap=D(0),
        frontier_levels=10,
        bucket_shares_of=draw(shares_of) if shares_of is not None else "budget",  # type: ignore[arg-type]  # the strategies draw the two names
    )


# -- one problem with every kind of constraint ------------------------------------------------

EVERY_KIND = problem(
    cand(
        "A",
        30,
        {"FY2027": 10, "FY2028": 5},
        excludes=["B"],
        resources=[{"role": "engineer", "period": "FY2027", "fte": 2}],
    ),
    cand("B", 28, 10, excludes=["A"]),
    cand("C", 40, 10, depends_on=["E"]),
    cand("E", -1, 10, bucket="growth"),
    cand("F", -5, 50, bucket="growth", force="in", force_reason="signed contract"),
    cand("G", 9, 10, bucket="lab", force="out", force_reason="vendor gone"),
    budget={"FY2028": 40, "FY2027": 60},
    buckets={"core": ("0", "0.5"), "growth": ("0.2", "1"), "lab": ("0.05", "0.125"), "spare": ("0", "1")},
    capacity={"engineer": {"FY2027": D(3)}},
)
