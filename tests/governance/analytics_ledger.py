"""The small ledger the analytics tests read: six proposals through gates 1 and 2 and quarterly reviews,
appended with `bench.analytics.append_stories` (each payload from its kind's model). The expected figures
in the tests are worked out by hand from these stories (see test_analytics.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from bench.analytics import Decided, Reported, Story, append_stories
from governance.ledger import Ledger
from governance.store import Store

TODAY = dt.date(2029, 1, 1)
D = dt.date


def proposal(
    ref: str,
    cost: int,
    end: str,
    p_t: str,
    p_c: str,
    low: int | None = None,
    high: int | None = None,
    benefits: dict[str, int] | None = None,
) -> dict[str, Any]:
    item: dict[str, Any] = {"period": "FY2027", "development": str(cost), "launch": "0"}
    if low is not None:
        item["development_range"] = {"low": str(low), "high": str(high)}
    return {
        "reference": ref, "title": f"Project {ref}", "summary": "A test project.", "sponsor": "Daniel Weiss",
        "submitter": "Jonas Berg", "bucket": "platform", "start_date": "2027-01-01", "end_date": end,
        "costs": [item], "p_technical": p_t, "p_commercial": p_c,
        "benefits": [{"period": k, "amount": str(v)} for k, v in (benefits or {}).items()],
    }  # fmt: skip


def stories() -> list[Story]:
    k = Decimal
    return [
        Story("P-2026-0001", proposal("REF-A", 100000, "2027-12-31", "0.9", "0.8", 90000, 130000),
              (Decided(1, "go", "go", D(2026, 12, 3)), Decided(2, "go", "go", D(2027, 1, 2))),
              reports=(Reported("2027Q4", k(110000), k(0)),), reviews=(("2027Q4", "complete"),)),
        Story("P-2026-0002", proposal("REF-B", 100000, "2027-12-31", "0.5", "0.5"),
              (Decided(1, "go", "kill", D(2026, 12, 13)), Decided(2, "go", "go", D(2027, 2, 11))),
              reports=(Reported("2028Q1", k(150000), k(0)),), reviews=(("2028Q2", "complete"),)),
        Story("P-2026-0003", proposal("REF-C", 200000, "2027-12-31", "0.8", "0.5"),
              (Decided(1, "go", "go", D(2026, 12, 23)), Decided(2, "kill", "go", D(2027, 3, 24)))),
        Story("P-2026-0004", proposal("REF-D", 100000, "2027-12-31", "0.3", "0.5"),
              (Decided(1, "hold", "kill", D(2026, 12, 3)), Decided(1, "kill", "kill", D(2027, 1, 2)))),
        Story("P-2026-0005", proposal("REF-E", 100000, "2028-06-30", "1", "0.6"),
              (Decided(1, "go", "go", D(2026, 12, 8)), Decided(2, "go", "go", D(2027, 1, 7))),
              reports=(Reported("2028Q3", k(60000), k(60000)),), reviews=(("2028Q3", "continue"),)),
        Story("P-2026-0006", proposal("REF-F", 100000, "2027-12-31", "0.7", "0.5"),
              (Decided(1, "go", "go", D(2026, 12, 13), superseded=True), Decided(1, "go", "go", D(2026, 12, 23))),
              amended={1: proposal("REF-F", 120000, "2027-12-31", "0.8", "0.5")},
              reports=(Reported("2027Q3", k(50000), k(50000)),), reviews=(("2027Q3", "stop"),)),
    ]  # fmt: skip


def build(store: Store, ledger: Ledger) -> int:
    """The stage-gate policy adopted and the six stories appended; returns the ledger's newest seq."""
    from governance import adoption
    from governance.authority import Actor
    from governance.policy import load_policy

    adoption.adopt_policy(store, ledger, load_policy("stage-gate"), Actor.of("ana"))
    return append_stories(store, ledger, stories())


def benefits_story() -> Story:
    """A project through all five gates promising 120k in FY2026 and 240k in FY2027, amended before gate 5
    to 60k in FY2026; its 2026Q3 report says 50k was realised in FY2026."""
    promise = {"FY2026": 120000, "FY2027": 240000}
    lower = {"FY2026": 60000, "FY2027": 240000}
    return Story(
        "P-2026-0007", proposal("REF-G", 100000, "2027-12-31", "0.9", "0.9", benefits=promise),
        tuple(Decided(g, "go", "go", D(2026, 1 + g, 10)) for g in range(1, 6)),
        amended={4: proposal("REF-G", 100000, "2027-12-31", "0.9", "0.9", benefits=lower)},
        reports=(Reported("2026Q3", Decimal(50000), Decimal(50000), benefits=Decimal(50000)),),
        reviews=(("2026Q3", "continue"),),
    )  # fmt: skip
