"""A counterfactual replay as CSV (one row per difference) and as a workbook (differences and totals)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from governance.counterfactual.result import Counterfactual
from governance.export import spreadsheet_cell
from governance.workbook import MONEY_FORMAT, Sheet

__all__ = ["COLUMNS", "counterfactual_csv", "counterfactual_sheets", "totals_rows"]

COLUMNS = ("record", "kind", "subject", "was", "would be", "change", "why", "cost")
"""The columns of the CSV and of the workbook's Differences sheet."""


def _rows(result: Counterfactual) -> list[list[Any]]:
    return [[d.seq, d.kind, d.subject, d.was, d.would_be, d.change, d.why, d.cost] for d in result.differences]


def totals_rows(result: Counterfactual, currency: str | None) -> list[tuple[str, Any]]:
    """The totals as (label, value) rows: what the table's footer, the workbook and the pack show."""
    totals = result.totals()
    unit = f" ({currency})" if currency else ""
    rows: list[tuple[str, Any]] = [
        ("draft policy", f"{result.policy_name} {result.policy_version[:12]}"),
        ("since", "" if result.since is None else result.since.isoformat()),
        ("kinds", ", ".join(result.kinds)),
    ]
    rows += [(f"examined: {kind}", n) for kind, n in totals["examined"].items()]
    rows.append(("decisions that would differ", totals["differences"]))
    rows += [(f"change: {change}", n) for change, n in totals["changes"].items()]
    rows += [
        (f"budget that would cross into go{unit}", Decimal(totals["budget_to_go"])),
        (f"budget that would cross out of go{unit}", Decimal(totals["budget_from_go"])),
        (f"budget moved{unit}", Decimal(totals["budget_moved"])),
        ("selections that would change", totals["selections_changed"]),
        ("board decisions that would no longer match", totals["board_no_longer_matching"]),
    ]
    return rows


def counterfactual_csv(result: Counterfactual) -> str:
    """One header row, then a row per difference (a cell a spreadsheet would run as a formula is quoted)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in _rows(result):
        writer.writerow([spreadsheet_cell(v) for v in row])
    return buffer.getvalue()


def counterfactual_sheets(result: Counterfactual, currency: str | None) -> list[Sheet]:
    """The differences and the totals as the sheets of a workbook (`governance.workbook.workbook_bytes`)."""
    cost = f"cost ({currency})" if currency else "cost"
    differences = Sheet("Differences", [*COLUMNS[:-1], cost], _rows(result), {cost: MONEY_FORMAT})
    totals = Sheet(
        "Totals", ["total", "value"], [list(r) for r in totals_rows(result, currency)], {"value": MONEY_FORMAT}
    )
    return [differences, totals]
