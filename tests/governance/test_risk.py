"""`governance risk` in the engine (governance.risk): a recorded selection simulated from the estimates on
file, recorded as `simulated`, replayed to the same bytes; the estimates it reads; who may record it."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from governance import adoption, projects, reports, review
from governance.authority import Actor
from governance.canonical import canonical_text
from governance.errors import Forbidden, NotFoundError
from governance.ledger import Ledger, head, latest_record
from governance.policy import _from_data
from governance.replay import replay_record
from governance.risk import Source, estimates, replay_simulated, run_risk
from governance.store import Store
from models.proposal import Proposal
from models.records import SelectedPayload, parse_payload, record_schema

from .review.conftest import EXAMPLES, stage_gate_data

RANGED_PORTAL = """\
project: NW-RUN-PORTAL
quarter: 2026Q4
submitted_on: 2026-11-18
actual_cost: 300000
planned_value: 310000
earned_value: 290000
percent_complete: 45
risk_level: medium
cost_forecast:
  FY2027: 800000
cost_forecast_range:
  FY2027: {low: 700000, high: 1300000}
"""


def _policy(**simulation: Any) -> Any:
    data = stage_gate_data()
    for bucket in data["buckets"]:
        bucket["min_share"], bucket["max_share"] = 0, 1
    data["portfolio"].update(budget={"FY2027": 9_000_000, "FY2028": 9_000_000})
    data["portfolio"].pop("capacity")
    data["simulation"] = {"distribution": "pert", "correlation_within_bucket": 0.3, "correlation_across": 0.1}
    data["simulation"].update(simulation)
    return _from_data(data, "stage-gate (risk)")


@pytest.fixture
def reviewed(store: Store, ledger: Ledger, tmp_path: Path) -> Store:
    """The example projects, their 2026Q4 reports (the portal's forecast a three-point estimate), reviewed."""
    adoption.adopt_policy(store, ledger, _policy(), Actor.of("ana"))
    projects.import_projects(store, ledger, [EXAMPLES / "projects"], "pmo")
    folder = tmp_path / "2026Q4"
    shutil.copytree(EXAMPLES / "status" / "2026Q4", folder)
    (folder / "portal.yaml").write_text(RANGED_PORTAL, encoding="utf-8")
    reports.file_status_reports(store, ledger, reports.read_status_reports([folder], "2026Q4"), "pmo")
    review.propose_review(store, ledger, "2026Q4", "pmo")
    return store


def test_a_quarter_s_selection_is_simulated_recorded_and_replayed_to_the_same_bytes(
    reviewed: Store, ledger: Ledger
) -> None:
    run = run_risk(reviewed, ledger, Source("quarter", quarter="2026Q4"), Actor.of("pmo"), trials=4000, seed=11)
    with reviewed.read() as conn:
        selected = latest_record(conn, "Q-2026Q4", "selected")
        record = latest_record(conn, "Q-2026Q4", "simulated")
    assert selected is not None and record is not None and record.seq == run.seq
    assert record.recorded_by == "pmo"
    assert record.payload_text == canonical_text(run.payload)
    assert canonical_text(parse_payload("simulated", record.payload_text)) == record.payload_text
    schema = record_schema("simulated")
    assert set(schema["required"]) == set(json.loads(record.payload_text)) - {"quarter", "selection_seq"}
    payload = run.payload
    assert payload.projects == selected.body_as(SelectedPayload).selected
    assert (payload.source, payload.quarter, payload.selection_seq) == ("quarter", "2026Q4", selected.seq)
    assert (payload.trials, payload.seed, payload.distribution) == (4000, 11, "pert")
    assert (payload.correlation_within_bucket, payload.correlation_across) == (Decimal("0.3"), Decimal("0.1"))
    assert [s.period for s in payload.spend] == ["FY2027", "FY2028"]
    assert payload.p10 <= payload.p50 <= payload.p90
    assert payload.percentiles == sorted(payload.percentiles) and len(payload.percentiles) == 19
    assert sum(d.share for d in payload.drivers) == pytest.approx(Decimal(1), abs=Decimal("0.001"))
    # The portal carries its report's range; the others have none on file.
    portal = next(p for p in run.inputs["projects"] if p["id"] == _id_of(reviewed, "NW-RUN-PORTAL"))
    assert portal["development"] == {"FY2027": ["700000", "800000", "1300000"]}
    assert portal["ranged"] is True
    ranged = {_id_of(reviewed, r) for r in ("NW-RUN-PORTAL", "NW-RUN-SMT", "NW-RUN-HPC2")}  # the examples give ranges
    assert sorted(payload.without_ranges) == sorted(p for p in payload.projects if p not in ranged)
    # Replay draws the same trials: a match; the same seed again gives the same bytes, another seed does not.
    assert replay_record(reviewed, record.seq).status == "match"
    again = run_risk(reviewed, ledger, Source("quarter", quarter="2026Q4"), None, trials=4000, seed=11)
    assert canonical_text(again.payload) == canonical_text(payload)
    other = run_risk(reviewed, ledger, Source("quarter", quarter="2026Q4"), None, trials=4000, seed=12)
    assert other.payload.mean != payload.mean


def _id_of(store: Store, reference: str) -> str:
    from sqlalchemy import select

    from models.tables import ProposalRow

    with store.read() as conn:
        found = conn.scalar(select(ProposalRow.id).where(ProposalRow.reference == reference))
    assert found is not None
    return str(found)


def test_the_simulated_mean_is_the_sum_of_expected_values_within_its_standard_error(
    reviewed: Store, ledger: Ledger
) -> None:
    run = run_risk(reviewed, ledger, Source("quarter", quarter="2026Q4"), None, trials=20_000, seed=5)
    # E[value] = sum Pts (Pcs E[B] - E[L]) - E[D], with a PERT estimate's mean (low + 4 likely + high) / 6.
    expected = 0.0
    for p in run.inputs["projects"]:
        lo, ml, hi = p["benefits"]
        mean = (float(lo) + 4 * float(ml) + float(hi)) / 6
        dev = sum((float(lo) + 4 * float(ml) + float(hi)) / 6 for lo, ml, hi in p["development"].values())
        launch = sum((float(lo) + 4 * float(ml) + float(hi)) / 6 for lo, ml, hi in p["launch"].values())
        expected += float(p["p_technical"]) * (float(p["p_commercial"]) * mean - launch) - dev
    spread = (float(run.payload.p90) - float(run.payload.p10)) / 2.56  # about one standard deviation
    assert abs(float(run.payload.mean) - expected) < 4 * spread / np.sqrt(20_000)


def test_a_tampered_result_does_not_replay(reviewed: Store, ledger: Ledger) -> None:
    run = run_risk(reviewed, ledger, Source("selection"), None, trials=1000, seed=2)
    forged = run.payload.model_copy(update={"p50": run.payload.p50 + 1})
    ok, detail = replay_simulated(run.inputs, forged)
    assert not ok
    assert detail == f"1000 trials, seed 2: P50 {run.payload.p50} vs recorded {forged.p50}"
    assert replay_simulated(run.inputs, run.payload) == (
        True,
        f"1000 trials, seed 2: P50 {run.payload.p50}, the same results",
    )


def test_a_person_the_role_matrix_does_not_name_may_not_record_and_a_dry_run_records_nothing(
    reviewed: Store, ledger: Ledger
) -> None:
    store = reviewed
    data = _policy().policy.model_dump(mode="json")
    assert "simulate" not in (data.get("roles") or {})
    with store.read() as conn:
        before = head(conn)
    run = run_risk(store, ledger, Source("quarter", quarter="2026Q4"), None, trials=200)
    assert run.seq is None
    with store.read() as conn:
        assert head(conn) == before
    # The default matrix: the board and the portfolio office; a policy may narrow it.
    stage = stage_gate_data()
    stage["roles"]["simulate"] = ["portfolio-office"]
    for bucket in stage["buckets"]:
        bucket["min_share"], bucket["max_share"] = 0, 1
    adoption.adopt_policy(
        store, ledger, _from_data(stage, "narrowed"), Actor.of("ana"), votes=["ana=accept", "raj=accept", "lee=accept"]
    )
    with pytest.raises(Forbidden) as refused:
        run_risk(store, ledger, Source("selection"), Actor.of("mia"), trials=200)
    assert "simulate" in refused.value.message
    assert run_risk(store, ledger, Source("selection"), Actor.of("pmo"), trials=200).seq is not None


def test_sources_that_are_not_there_are_named(reviewed: Store, ledger: Ledger) -> None:
    cases = [
        (
            Source("quarter", quarter="2025Q1"),
            "the 2025Q1 review recorded no selection: run `governance review --quarter 2025Q1` first",
        ),
        (Source("selection", selection_seq=1), "record #1 is a policy-adopted record, not a selection (`selected`)"),
        (Source("selection", selection_seq=99_999), "record #99999 is not on record, not a selection (`selected`)"),
        (Source("projects", ids=("P-2026-9999",)), "not on file: P-2026-9999"),
    ]
    for source, message in cases:
        with pytest.raises(NotFoundError) as missing:
            run_risk(reviewed, ledger, source, Actor.of("pmo"), trials=200)
        assert missing.value.message == message


def test_a_proposal_s_estimates_are_its_ranges_and_the_pv_of_its_benefits_at_each_end() -> None:
    proposal = Proposal.model_validate(
        {
            "reference": "NW-RISK",
            "title": "Ranged",
            "summary": "A proposal with three-point estimates.",
            "sponsor": "Ana Ribeiro",
            "submitter": "Jonas Keller",
            "bucket": "new-products",
            "start_date": "2027-01-01",
            "end_date": "2028-12-31",
            "costs": [
                {"period": "FY2027", "development": 100, "development_range": {"low": 90, "high": 150}},
                {"period": "FY2028", "development": 50, "launch": 20, "launch_range": {"low": 20, "high": 40}},
            ],
            "benefits": [{"period": "FY2028", "amount": 110, "amount_range": {"low": 55, "high": 220}}],
            "p_technical": 0.8,
            "p_commercial": 0.5,
        }
    )
    assert estimates(proposal, Decimal("0.1")) == {
        "development": {"FY2027": ["90", "100", "150"], "FY2028": ["50", "50", "50"]},
        "launch": {"FY2027": ["0", "0", "0"], "FY2028": ["20", "20", "40"]},
        "benefits": ["50.00", "100.00", "200.00"],  # one period on: / 1.1
        "p_technical": "0.8",
        "p_commercial": "0.5",
        "ranged": True,
    }
