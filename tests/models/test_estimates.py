"""Three-point estimates on proposals (issue 14) and the policy's simulation section: optional, absent
from the canonical form when not given (so earlier files, snapshots and policy versions keep their
bytes), and refused with the field named when the range does not hold the most likely amount."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from governance.canonical import canonical_text
from governance.policy import load_policy
from models.policy import SimulationRules
from models.proposal import BenefitFlow, PeriodCost


def test_costs_and_benefits_without_ranges_keep_their_canonical_form() -> None:
    assert canonical_text(PeriodCost.model_validate({"period": "FY2027", "development": "100"})) == (
        '{"development":"100","launch":"0","period":"FY2027"}'
    )
    assert canonical_text(BenefitFlow.model_validate({"period": "FY2028", "amount": "250"})) == (
        '{"amount":"250","period":"FY2028"}'
    )


def test_ranges_make_three_point_estimates() -> None:
    cost = PeriodCost.model_validate(
        {
            "period": "FY2027",
            "development": "100",
            "launch": "20",
            "development_range": {"low": "80", "high": "150"},
            "launch_range": {"low": "20", "high": "35"},
        }
    )
    assert canonical_text(cost) == (
        '{"development":"100","development_range":{"high":"150","low":"80"},"launch":"20",'
        '"launch_range":{"high":"35","low":"20"},"period":"FY2027"}'
    )
    benefit = BenefitFlow.model_validate({"period": "FY2028", "amount": "250", "amount_range": {"low": 0, "high": 400}})
    assert canonical_text(benefit) == '{"amount":"250","amount_range":{"high":"400","low":"0"},"period":"FY2028"}'


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            {"period": "FY2027", "development": "100", "development_range": {"low": "120", "high": "150"}},
            "development 100 is outside development_range 120 to 150",
        ),
        (
            {"period": "FY2027", "development": "100", "launch": "50", "launch_range": {"low": "0", "high": "40"}},
            "launch 50 is outside launch_range 0 to 40",
        ),
    ],
)
def test_a_range_that_does_not_hold_the_amount_is_refused(given: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        PeriodCost.model_validate(given)


def test_the_policy_version_is_unchanged_without_a_simulation_section_and_changes_with_one(tmp_path: Path) -> None:
    data = json.loads(load_policy("stage-gate").text)
    assert data.pop("simulation")  # the shipped policy has one: the test starts from it without
    (tmp_path / "without.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    shipped = load_policy(str(tmp_path / "without.yaml"))
    assert shipped.policy.simulation is None
    (tmp_path / "same.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    assert load_policy(str(tmp_path / "same.yaml")).version == shipped.version
    data["simulation"] = {"distribution": "triangular", "correlation_within_bucket": "0.4", "trials": 20000}
    (tmp_path / "changed.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    changed = load_policy(str(tmp_path / "changed.yaml"))
    assert changed.policy.simulation == SimulationRules(
        distribution="triangular", correlation_within_bucket="0.4", correlation_across="0", trials=20000
    )
    assert changed.version != shipped.version


def test_correlation_across_may_not_exceed_within_a_bucket() -> None:
    with pytest.raises(ValidationError, match=r"correlation_across \(0.5\) may not exceed correlation_within_bucket"):
        SimulationRules.model_validate({"correlation_within_bucket": "0.2", "correlation_across": "0.5"})
