"""cli.render's selection prose and frontier wording at 80 columns: lines that fit, ids and amounts
whole, a level out of time saying its gap once."""

from __future__ import annotations

import io
from decimal import Decimal

from cli.context import PlainConsole
from cli.render import frontier_status, prose
from models.selection import FrontierPoint


def _printed(width: int, text: str, indent: str = "") -> list[str]:
    console = PlainConsole(width=width, file=io.StringIO(), color_system=None)
    prose(console, text, indent)
    return str(console.file.getvalue()).splitlines()  # type: ignore[attr-defined]


def test_prose_is_wrapped_at_words_with_ids_and_amounts_whole() -> None:
    ids = ", ".join(f"C-{i:05d}" for i in (11, 18, 23, 35, 45, 63, 73, 87, 114, 128))
    text = f"The next EUR 10,303,610 of budget would add EUR 12,343,900 of value (adds {ids}; drops C-00026)."
    assert _printed(80, text) == [
        "The next EUR 10,303,610 of budget would add EUR 12,343,900 of value (adds",
        "  C-00011, C-00018, C-00023, C-00035, C-00045, C-00063, C-00073, C-00087,",
        "  C-00114, C-00128; drops C-00026).",
    ]
    assert _printed(80, "greedy breaks: C-00016 depends on C-00059: greedy takes C-00016 without it", "  ") == [
        "  greedy breaks: C-00016 depends on C-00059: greedy takes C-00016 without it"
    ]
    long_note = (
        "note: the next 10% of budget (EUR 1,800,000) would add no value: nothing left out is worth funding with it"
    )
    assert _printed(80, long_note, "  ") == [
        "  note: the next 10% of budget (EUR 1,800,000) would add no value: nothing left",
        "    out is worth funding with it",
    ]


def _level(status: str, gap: str | None, reason: str | None) -> FrontierPoint:
    value = None if status == "infeasible" else Decimal(32_822_500)
    return FrontierPoint.model_validate(
        {
            "share": "0.1667",
            "budget": "17176118",
            "status": status,
            "value": value,
            "count": 25,
            "gap": gap,
            "reason": reason,
        }
    )


def test_a_level_out_of_time_says_its_gap_once() -> None:
    within = _level("time-limit", "0.005935", "the time limit was reached: within 0.5935% of the best bound")
    assert frontier_status(within, "EUR") == "time limit, gap 0.59%"
    unbounded = _level("time-limit", None, "the time limit was reached before any bound was proven")
    assert frontier_status(unbounded, "EUR") == "time limit: the time limit was reached before any bound was proven"
    assert frontier_status(_level("optimal", None, None), "EUR") == "optimal"
    infeasible = _level("infeasible", None, "no selection meets all of: budget FY2027 (17,176,118.00)")
    assert frontier_status(infeasible, "EUR") == "infeasible: no selection meets all of: budget FY2027 (EUR 17,176,118)"
