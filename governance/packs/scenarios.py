"""The scenario comparison pack (`governance pack scenarios A B [C...]`): saved scenarios side by side.

A comparison decides nothing and has no record of its own. It rests on the portfolio as the ledger
stood when each scenario was made: the pack attaches those records (the ledger head at each scenario's
making, `records.jsonl`) and stamps every page with the newest of them. The scenarios themselves are
working documents (the `scenarios` table), so `verify-pack` cannot re-make this pack from the ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from governance.errors import NotFoundError
from governance.ledger import iter_records
from governance.packs.charts import _ACCENT, _INK, _MUTED, _WARN, _f, _range, _svg, _text, _title, _unit
from governance.packs.charts import short_money as _short
from governance.packs.content import PackContent, common
from governance.scenarios import compare_scenarios, describe_changes, get_scenario
from governance.store import Store

__all__ = ["ValueRange", "scenarios_content", "value_ranges_chart"]


@dataclass(frozen=True, slots=True)
class ValueRange:
    """A scenario's simulated value: P10, P50 and P90 (None: nothing selected to simulate)."""

    label: str
    p10: Decimal | None
    p50: Decimal | None
    p90: Decimal | None


def value_ranges_chart(rows: Sequence[ValueRange], currency: str | None, *, width: int = 620) -> Markup:
    """Each scenario's simulated value as a bar from P10 to P90 with its P50 marked, on one axis with zero."""
    left, right, top, row = 110, 20, 24, 26
    height = top + row * len(rows) + 30
    pw = width - left - right
    body: list[str] = []
    _title(body, 4, f"Simulated portfolio value, P10 to P90{_unit(currency)}")
    values = [float(v) for r in rows for v in (r.p10, r.p90) if v is not None]
    ticks, lo, hi = _range(min([*values, 0.0]), max([*values, 0.0]), 6)
    span = (hi - lo) or 1.0

    def px(x: float) -> float:
        return left + (x - lo) / span * pw

    bottom = top + row * len(rows)
    for t in ticks:
        body.append(f'<line x1="{_f(px(t))}" y1="{_f(top)}" x2="{_f(px(t))}" y2="{_f(bottom)}" stroke="#e4e7eb"/>')
        body.append(_text(px(t), bottom + 12, _short(t), "middle"))
    zero = px(0.0)
    body.append(f'<line x1="{_f(zero)}" y1="{_f(top)}" x2="{_f(zero)}" y2="{_f(bottom)}" stroke="{_WARN}"/>')
    for k, r in enumerate(rows):
        y = top + row * k + row / 2
        body.append(_text(left - 8, y + 3, r.label, "end"))
        if r.p10 is None or r.p50 is None or r.p90 is None:
            body.append(_text(left + 4, y + 3, "nothing selected", "start", f' fill="{_MUTED}"'))
            continue
        x10, x50, x90 = px(float(r.p10)), px(float(r.p50)), px(float(r.p90))
        body.append(
            f'<rect x="{_f(x10)}" y="{_f(y - 6)}" width="{_f(max(x90 - x10, 1.0))}" height="12" fill="{_ACCENT}" '
            'fill-opacity="0.35"/>'
        )
        body.append(
            f'<line x1="{_f(x50)}" y1="{_f(y - 8)}" x2="{_f(x50)}" y2="{_f(y + 8)}" stroke="{_INK}" stroke-width="2"/>'
        )
        body.append(_text(x90 + 4, y + 3, f"P50 {_short(float(r.p50))}", "start", ' font-size="8"'))
    body.append(_text(left + pw / 2, height - 4, "bar: P10 to P90 of the trials; line: P50; red: zero", "middle"))
    return _svg(width, height, body, "simulated value of each scenario, P10 to P90")


def _percent(value: Decimal | None) -> str:
    return "–" if value is None else f"{float(value) * 100:.1f}%"


def scenarios_content(store: Store, names: Sequence[str]) -> PackContent:
    """The comparison pack's content: a dashboard of the scenarios, the table side by side, the value
    ranges chart, each one's changes, and the projects in all and in some only.

    Raises:
        InputRefused: fewer than two names, a name twice, a bad name. NotFoundError: an unknown scenario.
    """
    comparison = compare_scenarios(store, names)
    scenarios = [get_scenario(store, n) for n in names]
    seqs = sorted({s.ledger_seq for s in scenarios})
    with store.read() as conn:
        records = [r for r in iter_records(conn, since_seq=seqs[0]) if r.seq in seqs]
    if not records:
        raise NotFoundError("the records the scenarios were made at are not on the ledger")
    stamp = records[-1]
    newest = max(scenarios, key=lambda s: s.ledger_seq)
    title = "Scenarios compared: " + ", ".join(names)
    cur = comparison.currency
    context: dict[str, Any] = common(title, stamp, True, newest.policy_version, running="Scenarios compared")
    columns = []
    for s, f in zip(scenarios, comparison.scenarios, strict=True):
        columns.append(
            {
                "name": f.name,
                "made_by": s.created_by,
                "made_at": s.created_at[:10],
                "seq": s.ledger_seq,
                "status": f.status,
                "measure": f.value_measure,
                "value": f.value,
                "count": f.count,
                "candidates": len(s.problem.candidates),
                "spend": [f.spend.get(p) for p in comparison.periods],
                "budget": [f.budget.get(p) for p in comparison.periods],
                "p10": f.p10,
                "p50": f.p50,
                "p90": f.p90,
                "p_negative": _percent(f.p_negative),
                "p_over": [_percent(f.p_over_budget.get(p)) for p in comparison.periods],
                "changes": describe_changes(s.changes),
            }
        )
    context.update(
        currency=cur,
        periods=list(comparison.periods),
        columns=columns,
        in_all=[(i, comparison.titles.get(i, "")) for i in comparison.in_all],
        in_some=[
            (i, comparison.titles.get(i, ""), [c["name"] in comparison.in_some[i] for c in columns])
            for i in comparison.in_some
        ],
        value_svg=value_ranges_chart([ValueRange(f.name, f.p10, f.p50, f.p90) for f in comparison.scenarios], cur),
        attached=[(r.seq, r.kind, r.subject, r.hash) for r in records],
    )
    file_name = "scenarios-" + "-".join(names) + ".pdf"
    return PackContent("scenario_pack.html", context, records, stamp, True, newest.policy_version, file_name)
