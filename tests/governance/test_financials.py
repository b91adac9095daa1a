from __future__ import annotations

import dataclasses
import itertools
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

import numpy
import numpy_financial
import pytest
import pyxirr
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from governance.financials import _irr, cash_flows, financials, financials_dict, financials_dicts, payback_years
from governance.irr import HIGHEST, LOWEST, irr_roots, sign_changes
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


def _new(reference: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A legacy reference dict with the issue-13 payback and IRR (and the version marker) in it."""
    return {**reference, **changes, "financials_version": 2}


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
    assert f.financials_version == 2


@pytest.mark.parametrize(
    ("benefits", "irr_note", "payback"),
    [
        ([], "no IRR: the cash flows never change sign", None),
        ([{"period": "FY2030", "amount": 10}], None, None),
        # -100, 5: the IRR is -95 %
        ([{"period": "FY2028", "amount": 5}], None, None),
    ],
    ids=["no-benefit", "never-pays-back", "irr-near-minus-95"],
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
def test_legacy_financials_are_the_same_as_before(proposal: Proposal, rate: str) -> None:
    """Cards made before issue 13 replay through `legacy=True`: digit for digit what the code then gave."""
    expected = _reference(proposal, Decimal(rate))
    found = financials(proposal, Decimal(rate), legacy=True)
    asdict = dataclasses.asdict(found)
    assert asdict.pop("financials_version") is None
    assert repr(found.as_dict()) == repr(asdict) == repr(expected)
    assert repr(cash_flows(proposal)) == repr((found.periods, found.cash_flows, _reference_benefits(proposal)))
    # Today's financials differ only in payback, IRR and the version marker.
    current = financials_dict(proposal, Decimal(rate))
    assert repr(financials(proposal, Decimal(rate)).as_dict()) == repr(current)
    flows = expected["cash_flows"]
    assert current["payback_years"] == _brute_force_payback(flows)
    assert repr(current) == repr(
        _new(expected, irr=current["irr"], irr_note=current["irr_note"], payback_years=current["payback_years"])
    )


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
    reference = _reference(twice, Decimal("0.1"))
    assert repr(financials(twice, Decimal("0.1"), legacy=True).as_dict()) == repr(reference)
    assert repr(financials_dict(twice, Decimal("0.1"))) == repr(_new(reference))  # -200, 160: the same figures
    assert financials(twice, Decimal("0.1")).cash_flows == [Decimal(-200), Decimal(160)]


def test_batch_of_financials_hands_back_errors_in_order() -> None:
    good = _proposal([{"period": "FY2027", "development": 100}], [{"period": "FY2028", "amount": 80}])
    odd = Proposal.model_construct(**{**dict(good), "costs": [good.costs[0].model_copy(update={"period": "FYabcd"})]})
    out = list(financials_dicts([good, odd, good], Decimal("0.1")))
    assert [type(x) for x in out] == [dict, ValueError, dict]
    with pytest.raises(ValueError) as raised:
        financials(odd, Decimal("0.1"))
    assert str(out[1]) == str(raised.value)


# -- payback: against a brute force over the piecewise-linear cumulative ------------------------


def _brute_force_payback(flows: list[Decimal]) -> Decimal | None:
    """The last moment the cumulative cash flow is negative, exactly (fractions), rounded to cents.

    The cumulative is C(t) = f0 + ... + ft at whole t, a straight line between (what interpolating
    within a period means); it pays back at the end of the last stretch where C < 0, and not at all
    when it ends negative.
    """
    points = [Fraction(sum(flows[: t + 1], Decimal(0))) for t in range(len(flows))]
    if points[-1] < 0:
        return None
    last: Fraction | None = Fraction(0) if points[0] < 0 else None
    for t in range(len(points) - 1):
        a, b = points[t], points[t + 1]
        if a < 0 <= b:  # the line crosses zero going up inside this period
            last = t + (-a) / (b - a)
        elif b < 0:
            last = Fraction(t + 1)
    if last is None:
        return Decimal(0)
    return (Decimal(last.numerator) / Decimal(last.denominator)).quantize(Decimal("0.01"))


@pytest.mark.parametrize(
    ("flows", "expected"),
    [
        ([-100, 60, 60], Decimal("1.67")),
        ([10, -100, 200], Decimal("1.45")),  # was 0: the first flow is >= 0
        ([10, -5, -20], None),  # was 0: it never pays back
        ([0, 0], Decimal(0)),
        ([5, 5], Decimal(0)),
        ([-100, 100], Decimal(1)),
        ([-100, 150, -100, 100], Decimal("2.50")),  # turns twice: the last turn counts
        ([-100, 50], None),
    ],
    ids=["plain", "dips-later", "never", "zeros", "positive", "exact", "turns-twice", "short"],
)
def test_payback(flows: list[int], expected: Decimal | None) -> None:
    as_decimals = [Decimal(f) for f in flows]
    assert payback_years(as_decimals) == _brute_force_payback(as_decimals) == expected


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.integers(-(10**12), 10**12).map(lambda n: Decimal(n) / 100), min_size=1, max_size=15))
def test_payback_matches_the_brute_force(flows: list[Decimal]) -> None:
    assert payback_years(flows) == _brute_force_payback(flows)


def test_payback_from_a_proposal_whose_first_flow_is_positive() -> None:
    # FY2027: +50 of benefit, FY2028: -300 of cost, FY2029: +200: the cumulative ends at -50.
    p = _proposal(
        [{"period": "FY2028", "development": 300}],
        [{"period": "FY2027", "amount": 50}, {"period": "FY2029", "amount": 200}],
    )
    assert financials(p, Decimal("0.1")).payback_years is None
    assert financials(p, Decimal("0.1"), legacy=True).payback_years == Decimal(0)


# -- IRR: against numpy-financial (one root) and the cash-flow polynomial's roots (all) ----------


def _polynomial_irrs(flows: list[float]) -> list[float]:
    """Every IRR from numpy.roots: NPV(r) = sum(f_t x^t) with x = 1 / (1 + r), a real root x > 0."""
    trimmed = list(flows)
    while trimmed and trimmed[-1] == 0:
        trimmed.pop()
    if len(trimmed) < 2:
        return []
    xs = numpy.roots(trimmed[::-1])
    return sorted(1 / x.real - 1 for x in xs if abs(x.imag) < 1e-9 and x.real > 0)


@pytest.mark.parametrize(
    ("flows", "irr", "note"),
    [
        ([-100, 60, 100], Decimal("0.344031"), None),
        ([-100, 230, -132], Decimal("0.1"), "several IRRs: 10.0%, 20.0%"),
        ([-1e12, 2.3e12, -1.32e12], Decimal("0.1"), "several IRRs: 10.0%, 20.0%"),  # large flows
        ([-1, 6, -11, 6], Decimal(0), "several IRRs: 0.0%, 100.0%, 200.0%"),
        ([-100, 5], Decimal("-0.95"), None),
        # pyxirr did not converge on these two (the earlier "did not converge"); the roots are there
        ([-1803000, -351000, -1199000, -3000000, 38000], Decimal("-0.987397"), None),
        ([-1584000, 567000, -2259000, -586000, 1496000, -2923000, 128000], Decimal("-0.955203"), None),
        ([100, 50], None, "no IRR: the cash flows never change sign"),
        ([0, 0], None, "no IRR: the cash flows never change sign"),
        ([-100, 50, -100], None, "no IRR: no rate from -99% to 10,000% makes the NPV zero"),
    ],
    ids=[
        "one",
        "two",
        "two-large",
        "three",
        "minus-95",
        "unconverged-1",
        "unconverged-2",
        "positive",
        "zeros",
        "no-root",
    ],
)
def test_irr(flows: list[float], irr: Decimal | None, note: str | None) -> None:
    found = _irr([float(f) for f in flows])
    assert found == (irr, note)
    if irr is not None:
        assert abs(float(irr) - _polynomial_irrs(flows)[0]) < 1e-6


def test_the_unconverged_series_did_not_converge_in_pyxirr() -> None:
    assert pyxirr.irr([-1803000, -351000, -1199000, -3000000, 38000]) is None
    assert pyxirr.irr([-1584000, 567000, -2259000, -586000, 1496000, -2923000, 128000]) is None


def test_several_irrs_reach_the_card() -> None:
    p = _proposal(
        [{"period": "FY2027", "development": 100}, {"period": "FY2029", "development": 132}],
        [{"period": "FY2028", "amount": 230}],
    )
    f = financials(p, Decimal("0.1"))
    assert (f.irr, f.irr_note) == (Decimal("0.1"), "several IRRs: 10.0%, 20.0%")


FLOWS = st.lists(st.integers(-3000, 3000).map(lambda n: float(n * 1000)), min_size=2, max_size=9)


# Costs first, then benefits: one sign change, so exactly one IRR (zeros may fall anywhere).
ONE_CHANGE = st.tuples(
    st.lists(st.integers(-3000, 0), min_size=1, max_size=4).filter(any),
    st.lists(st.integers(0, 3000), min_size=1, max_size=5).filter(any),
).map(lambda parts: [float(n * 1000) for n in parts[0] + parts[1]])


@settings(max_examples=1500, deadline=None)
@given(ONE_CHANGE)
def test_irr_matches_numpy_financial_where_there_is_one_root(flows: list[float]) -> None:
    assert sign_changes(flows) == 1
    expected = numpy_financial.irr(flows)
    assume(not numpy.isnan(expected) and LOWEST + 1e-3 < expected < HIGHEST)
    assert irr_roots(flows) == pytest.approx([expected], rel=1e-7, abs=1e-7)


@settings(max_examples=1500, deadline=None)
@given(FLOWS, st.sampled_from([1.0, 1e-3, 1e9]))
def test_every_irr_is_found(flows: list[float], scale: float) -> None:
    flows = [f * scale for f in flows]
    expected = [r for r in _polynomial_irrs(flows) if LOWEST + 1e-3 < r < HIGHEST * 0.99]
    # Roots closer than the grid's step (or a root where NPV only touches zero) are not promised.
    assume(all(b - a > 0.02 * (1 + a) for a, b in itertools.pairwise(expected)))
    xs = numpy.roots(flows[::-1]) if any(flows) else []
    assume(not any(0 < abs(x.imag) < 1e-3 for x in xs))
    found = [r for r in irr_roots(flows) if LOWEST + 1e-3 < r < HIGHEST * 0.99]
    assert found == pytest.approx(expected, rel=1e-6, abs=1e-6)
