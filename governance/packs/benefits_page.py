"""The board pack's benefits page: what the go decisions promised against what the benefits came to."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from governance.benefits import portfolio_totals, quarter_end, realisation
from governance.packs import charts
from models.policy import Policy

__all__ = ["benefits_page"]

_SHOWN = 20


def benefits_page(
    conn: Connection, policy: Policy, quarter: str, upto: int, currency: str | None
) -> dict[str, Any] | None:
    """The page's figures as of the end of `quarter`, from the records up to `upto` (the review's proposal):
    None when no project has a benefits baseline."""
    items = realisation(conn, policy, quarter_end(quarter), upto=upto)
    if not items:
        return None
    totals = portfolio_totals(items)
    periods = sorted(set(totals["promised"]) | set(totals["realised"]))
    ranked = sorted(items, key=lambda b: (-b.promised_total, b.project))
    return {
        "as_of": quarter_end(quarter).isoformat(),
        "count": len(items),
        "promised_total": totals["promised_total"],
        "promised_to_date": totals["promised_to_date"],
        "realised_to_date": totals["realised_to_date"],
        "ratio": totals["ratio"],
        "reporting": sum(1 for b in items if b.realised),
        "reviewed": sum(1 for b in items if b.review_seq is not None),
        "chart_svg": charts.period_chart(
            [
                charts.Period(p, totals["promised"].get(p, Decimal(0)), totals["realised"].get(p, Decimal(0)))
                for p in periods
            ],
            currency,
            title="Benefits promised at go and realised, per period",
            labels=("promised", "realised"),
            warn_over=False,
        ),
        "projects": [
            {
                "id": b.project,
                "title": b.title,
                "baseline": f"gate {b.baseline_gate} (#{b.baseline_seq})"
                if b.baseline_gate
                else f"migrated (#{b.baseline_seq})",
                "promised": b.promised_total,
                "due": b.promised_to_date,
                "realised": b.realised_to_date,
                "ratio": b.ratio,
                "owner": b.owner or "",
                "review": b.review_outcome or "",
            }
            for b in ranked[:_SHOWN]
        ],
        "more": max(len(items) - _SHOWN, 0),
    }
