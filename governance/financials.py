"""Financials of a proposal: NPV, IRR, payback and Stage-Gate's expected commercial value.

Cash flows are per fiscal period (`FY2027`, ...), from the first period with a cost or benefit to
the last, the first period undiscounted. NPV and IRR come from pyxirr (a maintained library);
results are rounded to cents (money) or basis points of a percent (rates).

    npv          = NPV of (benefits - development - launch) at the policy's discount rate
    pv_benefits  = NPV of the benefits alone
    ECV          = ((pv_benefits * Pcs - C) * Pts) - D      C: launch cost, D: development cost
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import pyxirr

from models.proposal import Proposal

__all__ = ["Financials", "cash_flows", "financials"]

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

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _money(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(_CENT, rounding=ROUND_HALF_EVEN)


def _npv(rate: float, flows: list[Decimal]) -> Decimal:
    value = pyxirr.npv(rate, [float(f) for f in flows])
    if value is None:  # pyxirr answers None only for a rate of -100 %, which a policy cannot set
        raise ValueError(f"no NPV at discount rate {rate}")
    return _money(value)


def cash_flows(proposal: Proposal) -> tuple[list[str], list[Decimal], list[Decimal]]:
    """Periods from first to last, net cash flow and benefits in each (missing periods are zero)."""
    years = [int(c.period[2:]) for c in proposal.costs] + [int(b.period[2:]) for b in proposal.benefits]
    first, last = min(years), max(years)
    periods = [f"FY{y}" for y in range(first, last + 1)]
    net = dict.fromkeys(periods, Decimal(0))
    benefits = dict.fromkeys(periods, Decimal(0))
    for c in proposal.costs:
        net[c.period] -= c.development + c.launch
    for b in proposal.benefits:
        net[b.period] += b.amount
        benefits[b.period] += b.amount
    return periods, [net[p] for p in periods], [benefits[p] for p in periods]


def _payback(flows: list[Decimal]) -> Decimal | None:
    """Years until the cumulative (undiscounted) cash flow turns non-negative, interpolated within a year."""
    # Flows fall at period ends with the first at t = 0: recovering -100 with +60, +60 takes 1.67 years.
    if not flows or flows[0] >= 0:
        return Decimal(0)
    cumulative = flows[0]
    for year, flow in enumerate(flows[1:], start=1):
        before = cumulative
        cumulative += flow
        if cumulative >= 0:
            return (Decimal(year - 1) + (-before / flow)).quantize(Decimal("0.01"))
    return None


def financials(proposal: Proposal, discount_rate: Decimal) -> Financials:
    periods, flows, benefits = cash_flows(proposal)
    rate = float(discount_rate)
    npv = _npv(rate, flows)
    pv_benefits = _npv(rate, benefits)
    irr: Decimal | None = None
    note: str | None = None
    try:
        found = pyxirr.irr([float(f) for f in flows])
    except pyxirr.InvalidPaymentsError:
        found, note = None, "no IRR: the cash flows never change sign"
    if found is None and note is None:
        note = "no IRR: the search did not converge"
    elif found is not None:
        irr = Decimal(repr(found)).quantize(_RATE, rounding=ROUND_HALF_EVEN)
    development, launch = proposal.total_development, proposal.total_launch
    ecv = ((pv_benefits * proposal.p_commercial - launch) * proposal.p_technical) - development
    return Financials(
        periods=periods,
        cash_flows=flows,
        npv=npv,
        pv_benefits=pv_benefits,
        irr=irr,
        irr_note=note,
        payback_years=_payback(flows),
        development=development,
        launch=launch,
        p_technical=proposal.p_technical,
        p_commercial=proposal.p_commercial,
        ecv=ecv.quantize(_CENT, rounding=ROUND_HALF_EVEN),
    )
