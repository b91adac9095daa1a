from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from governance.financials import financials
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
