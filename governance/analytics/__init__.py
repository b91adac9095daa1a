"""Decision-quality analytics: what each gate was promised against what happened (`governance analytics`).

`gather` walks the ledger once (each decision in force, its baseline proposal and its project's fate),
`measures` holds the statistics (Brier score and reliability bins, quantiles, PERT P50/P90), `report`
puts them together per gate (`analytics(conn, today)`), each measure defined in its docstring.
"""

from __future__ import annotations

from governance.analytics.gather import Baseline, Decision, Project, gather
from governance.analytics.measures import BINS, Bin, Brier, brier, median, nearest_rank, pert_p50_p90, rounded
from governance.analytics.report import (
    OUTCOMES,
    Analytics,
    DecisionRow,
    GateSummary,
    Group,
    analytics,
    ledger_day,
    summarise,
)

__all__ = [
    "BINS",
    "OUTCOMES",
    "Analytics",
    "Baseline",
    "Bin",
    "Brier",
    "Decision",
    "DecisionRow",
    "GateSummary",
    "Group",
    "Project",
    "analytics",
    "brier",
    "gather",
    "ledger_day",
    "median",
    "nearest_rank",
    "pert_p50_p90",
    "rounded",
    "summarise",
]
