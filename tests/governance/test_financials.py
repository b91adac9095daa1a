from __future__ import annotations

import dataclasses
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import pytest
import pyxirr
from hypothesis import example, given, settings
from hypothesis import strategies as st

from governance.financials import cash_flows, financials, financials_dict, financials_dicts
from models.proposal import Proposal


def _proposal(
    costs: list[dict[str, Any]], benefits: list[dict[str, Any]], pts: str = "0.8", pcs: str = "0.5"
) -> Proposal:
    return Proposal.model_validate(
        {
            "reference": "NW-FIN",
            "title": "t",
            "summary": "s",
            "sponsor": "a",
            "submitter": "b",
            "bucket": "platform",
            "start_date": "2027-01-01",
            "end_date": "2029-12-31",
            "costs": costs,
            "benefits": benefits,
            "p_technical": pts,
            "p_commercial": pcs,
        }
    )


def test_npv_irr_payback_ecv() -> None:
    p = _proposal(
        [{"period": "FY2027", "development": 100, "launch": 0}, {"period": "FY2028", "development": 0, "launch": 20}],
        [{"period": "FY2028", "amount": 80}, {"period": "FY2029", "amount": 100}],
    )
    f = financials(p, Decimal("0.10"))
    assert f.periods == ["FY2027", "FY2028", "FY2029"]
    assert f.cash_flows == [Decimal(-100), Decimal(60), Decimal(100)]
    # -100 + 60/1.1 + 100/1.21
    assert f.npv == Decimal("37.19")
    # 80/1.1 + 100/1.21
    assert f.pv_benefits == Decimal("155.37")
    # x = 1 / (1 + r) solves 100x^2 + 60x - 100 = 0
    assert f.irr == Decimal("0.344031")
    assert f.irr_note is None
    assert f.payback_years == Decimal("1.40")
    # ((155.37 * 0.5 - 20) * 0.8) - 100
    assert f.ecv == Decimal("-53.85")


@pytest.mark.parametrize(
    ("benefits", "irr_note", "payback"),
    [([], "no IRR: the cash flows never change sign", None), ([{"period": "FY2030", "amount": 10}], None, None)],
    ids=["no-benefit", "never-pays-back"],
)
def test_missing_irr_and_payback_are_reported(
    benefits: list[dict[str, Any]], irr_note: str | None, payback: Any
) -> None:
    f = financials(_proposal([{"period": "FY2027", "development": 100}], benefits), Decimal("0.08"))
    assert (f.irr_note, f.payback_years) == (irr_note, payback)
    if irr_note:
        assert f.irr is None


# -- the faster financials give the same values, digit for digit ---------------------------------


def _reference(proposal: Proposal, discount_rate: Decimal) -> dict[str, Any]:
    """financials() as it was written before it was made faster (verbatim in substance), as a dict."""
    years = [int(c.period[2:]) for c in proposal.costs] + [int(b.period[2:]) for b in proposal.benefits]
    first, last = min(years), max(years)
    periods = [f"FY{y}" for y in range(first, last + 1)]
    net = dict.fromkeys(periods, Decimal(0))
    inflow = dict.fromkeys(periods, Decimal(0))
    for c in proposal.costs:
        net[c.period] -= c.development + c.launch
    for b in proposal.benefits:
        net[b.period] += b.amount
        inflow[b.period] += b.amount
    flows, benefits = [net[p] for p in periods], [inflow[p] for p in periods]

    def money(value: float) -> Decimal:
        return Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)

    rate = float(discount_rate)
    npv = money(pyxirr.npv(rate, [float(f) for f in flows]))
    pv_benefits = money(pyxirr.npv(rate, [float(b) for b in benefits]))
    irr: Decimal | None = None
    note: str | None = None
    try:
        found = pyxirr.irr([float(f) for f in flows])
    except pyxirr.InvalidPaymentsError:
        found, note = None, "no IRR: the cash flows never change sign"
    if found is None and note is None:
        note = "no IRR: the search did not converge"
    elif found is not None:
        irr = Decimal(repr(found)).quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN)
    payback: Decimal | None = None
    if not flows or flows[0] >= 0:
        payback = Decimal(0)
    else:
        cumulative = flows[0]
        for year, flow in enumerate(flows[1:], start=1):
            before = cumulative
            cumulative += flow
            if cumulative >= 0:
                payback = (Decimal(year - 1) + (-before / flow)).quantize(Decimal("0.01"))
                break
    development, launch = proposal.total_development, proposal.total_launch
    ecv = ((pv_benefits * proposal.p_commercial - launch) * proposal.p_technical) - development
    return {
        "periods": periods,
        "cash_flows": flows,
        "npv": npv,
        "pv_benefits": pv_benefits,
        "irr": irr,
        "irr_note": note,
        "payback_years": payback,
        "development": development,
        "launch": launch,
        "p_technical": proposal.p_technical,
        "p_commercial": proposal.p_commercial,
        "ecv": ecv.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN),
    }


AMOUNTS = st.one_of(
    st.integers(0, 10**9).map(str),
    st.integers(0, 10**11).map(lambda n: f"{n // 100}.{n % 100:02d}"),  # cents
    st.sampled_from(["0", "0.00", "-0", "1E+3", "2.5E+4", "0.1", "999999999999.99"]),
)


@st.composite
def _proposals(draw: st.DrawFn) -> Proposal:
    years = st.integers(2025, 2036)
    cost_years = draw(st.lists(years, min_size=1, max_size=6, unique=True))
    benefit_years = draw(st.lists(years, max_size=8, unique=True))
    return _proposal(
        [{"period": f"FY{y}", "development": draw(AMOUNTS), "launch": draw(AMOUNTS)} for y in cost_years],
        [{"period": f"FY{y}", "amount": draw(AMOUNTS)} for y in benefit_years],
        pts=draw(st.sampled_from(["0", "0.25", "0.8", "1", "0.3333"])),
        pcs=draw(st.sampled_from(["0", "0.5", "0.9999", "1"])),
    )


@settings(max_examples=300, deadline=None)
@given(proposal=_proposals(), rate=st.sampled_from(["0", "0.06", "0.08", "0.1", "0.125", "1"]))
@example(  # 0 + -0 is 0, and its float 0.0, not -0.0: a benefit of -0 must not reach pyxirr as -0.0
    proposal=_proposal(
        [{"period": "FY2025", "development": "0", "launch": "0"}], [{"period": "FY2025", "amount": "-0"}], "0", "0"
    ),
    rate="0",
)
def test_financials_are_the_same_as_before(proposal: Proposal, rate: str) -> None:
    expected = repr(_reference(proposal, Decimal(rate)))
    found = financials(proposal, Decimal(rate))
    assert repr(found.as_dict()) == repr(dataclasses.asdict(found)) == expected
    assert repr(financials_dict(proposal, Decimal(rate))) == expected
    assert repr(cash_flows(proposal)) == repr((found.periods, found.cash_flows, _reference_benefits(proposal)))


def _reference_benefits(proposal: Proposal) -> list[Decimal]:
    periods = _reference(proposal, Decimal(0))["periods"]
    inflow = dict.fromkeys(periods, Decimal(0))
    for b in proposal.benefits:
        inflow[b.period] += b.amount
    return [inflow[p] for p in periods]


def test_a_period_named_twice_adds_up_as_before() -> None:
    """Only a proposal built without validation can name a period twice; it still adds up the same."""
    valid = _proposal([{"period": "FY2027", "development": 100}], [{"period": "FY2028", "amount": 80}])
    twice = Proposal.model_construct(
        **{
            **dict(valid),
            "costs": [*valid.costs, *valid.costs],
            "benefits": [*valid.benefits, *valid.benefits],
        }
    )
    assert repr(financials_dict(twice, Decimal("0.1"))) == repr(_reference(twice, Decimal("0.1")))
    assert financials(twice, Decimal("0.1")).cash_flows == [Decimal(-200), Decimal(160)]


def test_batch_of_financials_hands_back_errors_in_order() -> None:
    good = _proposal([{"period": "FY2027", "development": 100}], [{"period": "FY2028", "amount": 80}])
    odd = Proposal.model_construct(**{**dict(good), "costs": [good.costs[0].model_copy(update={"period": "FYabcd"})]})
    out = list(financials_dicts([good, odd, good], Decimal("0.1")))
    assert [type(x) for x in out] == [dict, ValueError, dict]
    with pytest.raises(ValueError) as raised:
        financials(odd, Decimal("0.1"))
    assert str(out[1]) == str(raised.value)
