"""Financials of a proposal: NPV, IRR, payback and Stage-Gate's expected commercial value.

Cash flows are per fiscal period (`FY2027`, ...), from the first period with a cost or benefit to
the last, the first period undiscounted. NPV comes from pyxirr (a maintained library), every IRR
from `governance.irr`; results are rounded to cents (money) or basis points of a percent (rates).

    npv          = NPV of (benefits - development - launch) at the policy's discount rate
    pv_benefits  = NPV of the benefits alone
    ECV          = ((pv_benefits * Pcs - C) * Pts) - D      C: launch cost, D: development cost
    payback      = years until the cumulative net cash flow is >= 0 and stays so to the last period
                   (interpolated within the period it turns); None when it ends negative
    irr          = the lowest IRR; `irr_note` lists them all when there are several

Score cards made since issue 13 carry `financials_version` 2. A card without it was made by the
earlier rules (payback 0 whenever the first flow was >= 0, pyxirr's one IRR): `financials(...,
legacy=True)` computes those, so that such a record still replays to itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from itertools import accumulate, repeat
from operator import add, attrgetter, ge, sub
from typing import Any

import pyxirr

from governance.irr import HIGHEST, LOWEST, irr_roots
from models.proposal import Proposal

__all__ = [
    "FINANCIALS_VERSION",
    "Financials",
    "cash_flows",
    "financials",
    "financials_dict",
    "financials_dicts",
    "payback_years",
]

FINANCIALS_VERSION = 2
"""The rules of payback and IRR that new score cards carry (issue 13); cards without it: the earlier ones."""

_CENT = Decimal("0.01")
_RATE = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class Financials:
    periods: list[str]
    cash_flows: list[Decimal]
    npv: Decimal
    pv_benefits: Decimal
    irr: Decimal | None
    irr_note: str | None
    payback_years: Decimal | None
    development: Decimal  # D
    launch: Decimal  # C
    p_technical: Decimal
    p_commercial: Decimal
    ecv: Decimal
    financials_version: int | None = FINANCIALS_VERSION  # None: computed by the rules before issue 13

    def as_dict(self) -> dict[str, Any]:
        # What dataclasses.asdict gives (new lists, the same immutable values), without its
        # recursive deep copy: a score card embeds this dict, and scoring 100,000 cards calls it
        # 100,000 times (tests compare the two). A legacy card has no version key at all.
        out = {
            "periods": list(self.periods),
            "cash_flows": list(self.cash_flows),
            "npv": self.npv,
            "pv_benefits": self.pv_benefits,
            "irr": self.irr,
            "irr_note": self.irr_note,
            "payback_years": self.payback_years,
            "development": self.development,
            "launch": self.launch,
            "p_technical": self.p_technical,
            "p_commercial": self.p_commercial,
            "ecv": self.ecv,
        }
        if self.financials_version is not None:
            out["financials_version"] = self.financials_version
        return out


_PERIOD = attrgetter("period")
_DEVELOPMENT = attrgetter("development")
_LAUNCH = attrgetter("launch")
_AMOUNT = attrgetter("amount")


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where a proposal's costs and benefits fall among its periods (a function of their labels)."""

    periods: tuple[str, ...]  # first to last
    cost_at: list[int]  # each cost's period, as an index into periods
    benefit_at: list[int]
    unique: bool  # no period named twice among the costs, nor among the benefits
    cost_of: tuple[int, ...]  # per period, the index of its cost (len(costs) where it has none)
    benefit_of: tuple[int, ...]


@lru_cache(maxsize=4096)
def _layout(costs: tuple[str, ...], benefits: tuple[str, ...]) -> _Layout:
    # Proposals share a handful of layouts (FY2027..FY2031 and the like), hence the cache.
    years = [int(p[2:]) for p in costs] + [int(p[2:]) for p in benefits]
    first, last = min(years), max(years)
    periods = tuple(f"FY{y}" for y in range(first, last + 1))
    index = {p: i for i, p in enumerate(periods)}
    cost_at, benefit_at = [index[p] for p in costs], [index[p] for p in benefits]
    cost_of, benefit_of = [len(costs)] * len(periods), [len(benefits)] * len(periods)
    for k, i in enumerate(cost_at):
        cost_of[i] = k
    for k, i in enumerate(benefit_at):
        benefit_of[i] = k
    unique = len(set(cost_at)) == len(cost_at) and len(set(benefit_at)) == len(benefit_at)
    return _Layout(periods, cost_at, benefit_at, unique, tuple(cost_of), tuple(benefit_of))


def _flows(proposal: Proposal) -> tuple[list[str], list[Decimal], list[Decimal], Decimal, Decimal]:
    """Periods, net cash flow and benefits per period, total development and total launch cost.

    Per period: net = 0 - (development + launch) + benefit, benefits = 0 + benefit, totals summed
    from 0 in order (`Proposal.total_development`). The same Decimal operations as adding them up
    period by period (a missing term is 0, which changes no digit), done in C with `map`.
    """
    costs, inflows = proposal.costs, proposal.benefits
    layout = _layout(tuple(map(_PERIOD, costs)), tuple(map(_PERIOD, inflows)))
    zero = Decimal(0)
    development, launch = list(map(_DEVELOPMENT, costs)), list(map(_LAUNCH, costs))
    if layout.unique:
        outflows = [*map(add, development, launch), zero]
        amounts = [*map(_AMOUNT, inflows), zero]
        benefits = list(map(amounts.__getitem__, layout.benefit_of))
        net = list(map(add, map(sub, repeat(zero), map(outflows.__getitem__, layout.cost_of)), benefits))
        benefits = list(map(add, repeat(zero), benefits))  # 0 + -0 is 0: not the amount itself
    else:  # a period named twice (only a proposal built without validation can do that)
        net = [zero] * len(layout.periods)
        benefits = [zero] * len(layout.periods)
        for c, i in zip(costs, layout.cost_at, strict=True):
            net[i] -= c.development + c.launch
        for b, i in zip(inflows, layout.benefit_at, strict=True):
            net[i] += b.amount
            benefits[i] += b.amount
    return list(layout.periods), net, benefits, sum(development, zero), sum(launch, zero)


def cash_flows(proposal: Proposal) -> tuple[list[str], list[Decimal], list[Decimal]]:
    """Periods from first to last, net cash flow and benefits in each (missing periods are zero)."""
    periods, net, benefits, _, _ = _flows(proposal)
    return periods, net, benefits


def payback_years(flows: list[Decimal]) -> Decimal | None:
    """Years until the cumulative (undiscounted) cash flow is >= 0 and stays so to the end of the
    horizon, interpolated within the period it last turns; None when it ends negative.

    Flows fall at period ends with the first at t = 0: recovering -100 with +60, +60 takes 1.67
    years; +10, -100, +200 pays back in 1.45 years (not at once: the cumulative dips below zero).
    """
    cumulative = list(accumulate(flows))
    if not cumulative or cumulative[-1] < 0:
        return None if cumulative else Decimal(0)
    last_negative = next((t for t in range(len(cumulative) - 1, -1, -1) if cumulative[t] < 0), None)
    if last_negative is None:
        return Decimal(0)
    return (Decimal(last_negative) + (-cumulative[last_negative] / flows[last_negative + 1])).quantize(_CENT)


def _legacy_payback(flows: list[Decimal]) -> Decimal | None:
    """Payback as cards before issue 13 computed it: 0 whenever the first flow is >= 0."""
    if not flows or flows[0] >= 0:
        return Decimal(0)
    cumulative = list(accumulate(flows))
    try:
        year = list(map(ge, cumulative, repeat(0))).index(True)
    except ValueError:
        return None
    return (Decimal(year - 1) + (-cumulative[year - 1] / flows[year])).quantize(_CENT)


def _rate(value: float) -> Decimal:
    rate = Decimal(repr(value)).quantize(_RATE, rounding=ROUND_HALF_EVEN)
    return rate.copy_abs() if rate == 0 else rate  # never "-0"


def _percent(rate: Decimal) -> str:
    return f"{(rate * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_EVEN)}%"


_NO_SIGN_CHANGE = "no IRR: the cash flows never change sign"


def _irr(flows: list[float]) -> tuple[Decimal | None, str | None]:
    """The lowest IRR and a note: why there is none, or every IRR when there are several."""
    roots = irr_roots(flows)
    if not roots:
        if not any(f < 0 for f in flows) or not any(f > 0 for f in flows):
            return None, _NO_SIGN_CHANGE
        return None, f"no IRR: no rate from {LOWEST:.0%} to {HIGHEST:,.0%} makes the NPV zero"
    if len(roots) == 1:
        return _rate(roots[0]), None
    rates = sorted({_rate(r) for r in roots})
    if len(rates) == 1:
        return rates[0], None
    return rates[0], "several IRRs: " + ", ".join(map(_percent, rates))


def _legacy_irr(flows: list[float]) -> tuple[Decimal | None, str | None]:
    """The IRR as cards before issue 13 computed it: pyxirr's one root, or a note."""
    try:
        found = pyxirr.irr(flows)
    except pyxirr.InvalidPaymentsError:
        return None, _NO_SIGN_CHANGE
    if found is None:
        return None, "no IRR: the search did not converge"
    return Decimal(repr(found)).quantize(_RATE, rounding=ROUND_HALF_EVEN), None


def _compute(proposal: Proposal, rate: float, legacy: bool = False) -> dict[str, Any]:
    """Financials' fields by name (what `Financials.as_dict` gives)."""
    periods, flows, benefits, development, launch = _flows(proposal)
    as_floats = list(map(float, flows))
    npv, pv_benefits = pyxirr.npv(rate, as_floats), pyxirr.npv(rate, list(map(float, benefits)))
    if npv is None or pv_benefits is None:  # only for a rate of -100 %, which a policy cannot set
        raise ValueError(f"no NPV at discount rate {rate}")
    irr, note = _legacy_irr(as_floats) if legacy else _irr(as_floats)
    # Money from a float goes through its shortest repr (the digits pyxirr's answer prints as).
    npv_money = Decimal(repr(npv)).quantize(_CENT, rounding=ROUND_HALF_EVEN)
    pv_money = Decimal(repr(pv_benefits)).quantize(_CENT, rounding=ROUND_HALF_EVEN)
    p_technical, p_commercial = proposal.p_technical, proposal.p_commercial
    ecv = ((pv_money * p_commercial - launch) * p_technical) - development
    out = {
        "periods": periods,
        "cash_flows": flows,
        "npv": npv_money,
        "pv_benefits": pv_money,
        "irr": irr,
        "irr_note": note,
        "payback_years": _legacy_payback(flows) if legacy else payback_years(flows),
        "development": development,
        "launch": launch,
        "p_technical": p_technical,
        "p_commercial": p_commercial,
        "ecv": ecv.quantize(_CENT, rounding=ROUND_HALF_EVEN),
    }
    if not legacy:
        out["financials_version"] = FINANCIALS_VERSION
    return out


def financials(proposal: Proposal, discount_rate: Decimal, *, legacy: bool = False) -> Financials:
    """A proposal's financials at the policy's discount rate.

    Args:
        proposal: the proposal as filed.
        discount_rate: the policy's rate per period.
        legacy: payback and IRR by the rules before issue 13 (to replay the cards they made).
    """
    values = _compute(proposal, float(discount_rate), legacy)
    values.setdefault("financials_version", None)
    return Financials(**values)


def financials_dict(proposal: Proposal, discount_rate: Decimal) -> dict[str, Any]:
    """`financials(proposal, discount_rate).as_dict()`, without building the Financials first."""
    return _compute(proposal, float(discount_rate))


def financials_dicts(proposals: Iterable[Proposal], discount_rate: Decimal) -> Iterator[dict[str, Any] | Exception]:
    """`financials_dict` of each proposal in turn, or the exception it raised (to raise in order later).

    What a batch of score cards embeds; the discount rate is converted once.
    """
    rate = float(discount_rate)
    for proposal in proposals:
        try:
            yield _compute(proposal, rate)
        except Exception as exc:  # noqa: BLE001 - handed to the caller, who raises it in order
            yield exc
