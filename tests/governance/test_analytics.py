"""Decision-quality analytics over a small ledger whose every figure is worked out by hand.

The stories (tests/governance/analytics_ledger.py), forecasts p_technical x p_commercial:
A 0.72 go/go, cost 100k (PERT 90k-100k-130k: P50 103,333.33, P90 112,466.91), final 110k, completed 2027Q4
  as planned; B 0.25 go against a kill, then go; 100k, final 150k, completed 2028Q2, two quarters late;
C 0.40 go, then killed at gate 2 against a go; D held against a kill, then killed; E 0.60 go/go, active,
60k spent + 60k to come, due 2028Q2 (open past its end on 2029-01-01); F: a go superseded, the proposal
amended (120k, 0.40), go again 30 days after screening (2026-11-23), stopped in 2027Q3.
Gate 1 Brier: ((0.72-1)^2 + (0.25-1)^2 + (0.4-0)^2 + (0.4-0)^2) / 4 = 0.240225; base rate 2/4.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from governance.analytics import analytics
from governance.ledger import Ledger
from governance.store import Store
from tests.governance.analytics_ledger import TODAY, benefits_story, build

N = None


def _summary(gate: dict[str, Any]) -> dict[str, Any]:
    """A gate's measures with its reliability bins as (low, count, forecast, observed) of the bins not empty."""
    data = dict(gate)
    calibration = dict(data.pop("calibration"))
    calibration["bins"] = [
        (str(b["low"]), b["count"], str(b["forecast"]), str(b["observed"]))
        for b in calibration["bins"]
        if isinstance(b, dict) and b["count"]
    ] or calibration["bins"]
    data["calibration"] = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in calibration.items()}
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in data.items()}


def _group(goes: int, completed: int, failed: int, open_: int, error: str | None) -> dict[str, Any]:
    return {
        "goes": goes, "completed": completed, "failed": failed, "open": open_,
        "median_cost_error": None if error is None else Decimal(error),
    }  # fmt: skip


GATE_1 = {
    "gate": 1, "name": "Gate 1", "decisions": 7,
    "outcomes": {"go": 5, "conditional-go": 0, "hold": 1, "recycle": 0, "kill": 1},
    "kill_rate": "0.1429", "days_median": "20", "days_p90": "40",
    "costed": 3, "cost_error_median": "0.2000", "cost_error_p90": "0.5000", "over_budget": 3,
    "ranged": 1, "within_p50": 0, "within_p90": 1,
    "completed": 2, "slip_median": "1", "on_time": 1, "open_past_end": 1, "open_goes": 1,
    "overrides": 2, "directions": {"kill -> go": 1, "kill -> hold": 1},
    "overridden": _group(1, 1, 0, 0, "0.5"), "followed": _group(4, 1, 2, 1, "0.15"),
    "calibration": {
        "scored": 4, "open": 1, "brier": "0.2402", "base_rate": "0.5000", "climatology": "0.2500",
        "reliability": "0.2402", "resolution": "0.2500", "skill": "0.0391",
        "bins": [("0.2", 1, "0.2500", "1.0000"), ("0.4", 2, "0.4000", "0.0000"), ("0.7", 1, "0.7200", "1.0000")],
    },
}  # fmt: skip
GATE_2 = {
    "gate": 2, "name": "Gate 2", "decisions": 4,
    "outcomes": {"go": 3, "conditional-go": 0, "hold": 0, "recycle": 0, "kill": 1},
    "kill_rate": "0.2500", "days_median": "45", "days_p90": "91",
    "costed": 3, "cost_error_median": "0.2000", "cost_error_p90": "0.5000", "over_budget": 3,
    "ranged": 1, "within_p50": 0, "within_p90": 1,
    "completed": 2, "slip_median": "1", "on_time": 1, "open_past_end": 1, "open_goes": 1,
    "overrides": 1, "directions": {"go -> kill": 1},
    "overridden": _group(0, 0, 0, 0, None), "followed": _group(3, 2, 0, 1, "0.2"),
    "calibration": {
        "scored": 2, "open": 1, "brier": "0.3204", "base_rate": "1.0000", "climatology": "0.0000",
        "reliability": "0.3204", "resolution": "0.0000", "skill": None,
        "bins": [("0.2", 1, "0.2500", "1.0000"), ("0.7", 1, "0.7200", "1.0000")],
    },
}  # fmt: skip
ALL = {
    "gate": None, "name": "All gates", "decisions": 11,
    "outcomes": {"go": 8, "conditional-go": 0, "hold": 1, "recycle": 0, "kill": 2},
    "kill_rate": "0.1818", "days_median": "30", "days_p90": "60",
    "costed": 6, "cost_error_median": "0.2000", "cost_error_p90": "0.5000", "over_budget": 6,
    "ranged": 2, "within_p50": 0, "within_p90": 2,
    "completed": 4, "slip_median": "1", "on_time": 2, "open_past_end": 2, "open_goes": 2,
    "overrides": 3, "directions": {"go -> kill": 1, "kill -> go": 1, "kill -> hold": 1},
    "overridden": _group(1, 1, 0, 0, "0.5"), "followed": _group(7, 3, 2, 2, "0.2"),
    "calibration": {
        "scored": 6, "open": 2, "brier": "0.2670", "base_rate": "0.6667", "climatology": "0.2222",
        "reliability": "0.2670", "resolution": "0.2222", "skill": "-0.2014",
        "bins": [("0.2", 2, "0.2500", "1.0000"), ("0.4", 2, "0.4000", "0.0000"), ("0.7", 2, "0.7200", "1.0000")],
    },
}  # fmt: skip

# (project, gate, outcome, recommended, days, forecast, fate, baseline, outcome cost, basis, error, P50, P90, slip)
ROWS = [
    ("P-2026-0001", 1, "go", "go", 10, "0.72", "completed", "100000", "110000", "final", "0.1000", "103333.33",
     "112466.91", 0),
    ("P-2026-0001", 2, "go", "go", 30, "0.72", "completed", "100000", "110000", "final", "0.1000", "103333.33",
     "112466.91", 0),
    ("P-2026-0002", 1, "go", "kill", 20, "0.25", "completed", "100000", "150000", "final", "0.5000", N, N, 2),
    ("P-2026-0002", 2, "go", "go", 60, "0.25", "completed", "100000", "150000", "final", "0.5000", N, N, 2),
    ("P-2026-0003", 1, "go", "go", 30, "0.40", "killed", "200000", N, N, N, N, N, N),
    ("P-2026-0003", 2, "kill", "go", 91, "0.40", "killed", "200000", N, N, N, N, N, N),
    ("P-2026-0004", 1, "hold", "kill", 10, "0.15", "killed", "100000", N, N, N, N, N, N),
    ("P-2026-0004", 1, "kill", "kill", 40, "0.15", "killed", "100000", N, N, N, N, N, N),
    ("P-2026-0005", 1, "go", "go", 15, "0.6", "active", "100000", "120000", "forecast", "0.2000", N, N, N),
    ("P-2026-0005", 2, "go", "go", 30, "0.6", "active", "100000", "120000", "forecast", "0.2000", N, N, N),
    ("P-2026-0006", 1, "go", "go", 30, "0.40", "stopped", "120000", N, N, N, N, N, N),
]  # fmt: skip


def _text(value: Any) -> Any:
    return None if value is None else str(value)


def test_every_measure_per_gate_and_overall(store: Store, ledger: Ledger) -> None:
    build(store, ledger)
    with store.read() as conn:
        result = analytics(conn, TODAY)
    data = result.as_dict()
    assert [_summary(g) for g in data["gates"]] == [_summary(GATE_1), _summary(GATE_2)]
    assert _summary(data["overall"]) == _summary(ALL)
    assert [
        (r.project, r.gate, r.outcome, r.recommended, r.days_at_gate, _text(r.forecast), r.fate,
         _text(r.cost_baseline), _text(r.cost_outcome), r.cost_basis, _text(r.cost_error), _text(r.p50),
         _text(r.p90), r.slip_quarters)
        for r in result.rows
    ] == ROWS  # fmt: skip


def test_since_and_gate_select_the_decisions(store: Store, ledger: Ledger) -> None:
    build(store, ledger)
    with store.read() as conn:
        gate_2 = analytics(conn, TODAY, gate=2)
        later = analytics(conn, TODAY, since=dt.date(2027, 1, 3))
        none = analytics(conn, TODAY, since=dt.date(2030, 1, 1))
    assert [_summary(g) for g in gate_2.as_dict()["gates"]] == [_summary(GATE_2)]
    assert [(r.project, r.gate, r.outcome) for r in later.rows] == [
        ("P-2026-0002", 2, "go"),
        ("P-2026-0003", 2, "kill"),
        ("P-2026-0005", 2, "go"),
    ]
    assert (none.gates, none.rows, none.overall.decisions, none.overall.kill_rate) == ((), (), 0, None)


def test_an_empty_ledger_has_no_decisions(store: Store) -> None:
    with store.read() as conn:
        result = analytics(conn, TODAY)
    assert (result.gates, result.rows, result.overall.calibration.score) == ((), (), None)


def test_benefits_realised_against_what_each_gate_promised(store: Store, ledger: Ledger) -> None:
    """Promised to 2026-11-23 (ten months of FY2026 due): 100,000 at gates 1-4, 50,000 at gate 5 (amended);
    realised 50,000. Over all gates the project counts once, at its last go."""
    from bench.analytics import append_stories
    from governance import adoption
    from governance.authority import Actor
    from governance.policy import load_policy

    adoption.adopt_policy(store, ledger, load_policy("stage-gate"), Actor.of("ana"))
    append_stories(store, ledger, [benefits_story()])
    with store.read() as conn:
        result = analytics(conn, dt.date(2026, 11, 23))
    assert [b.as_dict() for b in result.benefits] == [
        *({"gate": g, "projects": 1, "promised_to_date": Decimal("100000.00"), "realised_to_date": Decimal(50000),
           "ratio": Decimal("0.5000")} for g in (1, 2, 3, 4)),
        {"gate": 5, "projects": 1, "promised_to_date": Decimal("50000.00"), "realised_to_date": Decimal(50000),
         "ratio": Decimal("1.0000")},
        {"gate": None, "projects": 1, "promised_to_date": Decimal("50000.00"), "realised_to_date": Decimal(50000),
         "ratio": Decimal("1.0000")},
    ]  # fmt: skip
    assert result.currency == "EUR"
