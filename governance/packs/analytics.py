"""The decision-quality pack: `governance pack analytics` (`governance analytics` as a PDF for the board).

Page one is the dashboard (tiles, the facts in words, a table per gate); then the reliability chart and the
cost error per gate side by side, with the calibration and the overrides by direction; then, for up to
`_ROWS` decisions, every decision with what became of it. Attached: `analytics.json` (what
`governance analytics --json` prints) and `records.jsonl` (the decided records the analytics count, as
stored). Every page's foot carries the ledger head the analytics were read at; the same ledger gives the
same bytes (the analytics are as of the newest record's day, not the clock's).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from governance.adoption import adopted_policy
from governance.analytics import Analytics, DecisionRow, GateSummary, Group, analytics, ledger_day
from governance.analytics.wording import days, decimal, facts, mean_forecast, num, of, pct
from governance.errors import NotFoundError
from governance.ledger import iter_records
from governance.money import money
from governance.packs.analytics_charts import GateErrors, error_chart, reliability_chart
from governance.packs.content import PackContent, common
from governance.packs.data import records_jsonl
from governance.packs.render import PackAttachment, PackJob
from governance.packs.templates import environment
from governance.store import Store

__all__ = ["analytics_content", "analytics_job"]

_ROWS = 200


def _gate_row(s: GateSummary) -> dict[str, str]:
    c = s.calibration
    return {
        "gate": "" if s.gate is None else str(s.gate),
        "name": s.name,
        "decided": str(s.decisions),
        "go": str(s.outcomes["go"] + s.outcomes["conditional-go"]),
        "kill": str(s.outcomes["kill"]),
        "kill_rate": pct(s.kill_rate, sign=False),
        "days": f"{days(s.days_median)} / {days(s.days_p90)}",
        "cost": f"{pct(s.cost_error_median)} / {pct(s.cost_error_p90)}",
        "cost_median": pct(s.cost_error_median),
        "cost_p90": pct(s.cost_error_p90),
        "costed": str(s.costed),
        "cover": f"{of(s.within_p50, s.ranged)} · {of(s.within_p90, s.ranged)}",
        "late": of(s.completed - s.on_time, s.completed),
        "overdue": str(s.open_past_end),
        "scored": str(c.count),
        "open": str(s.open_goes),
        "brier": num(decimal(c.score)),
        "climatology": num(decimal(c.uncertainty)),
        "skill": pct(decimal(c.skill)),
        "base_rate": pct(decimal(c.base_rate), sign=False),
        "forecast": pct(mean_forecast(s), sign=False),
        "overrides": str(s.overrides),
        "directions": ", ".join(f"{k}: {v}" for k, v in s.directions.items()) or "\u2013",
        "overridden": _group(s.overridden),
        "followed": _group(s.followed),
    }


def _group(g: Group) -> str:
    fate = f"{g.completed} completed, {g.failed} stopped/killed, {g.open} open"
    return f"{g.goes} goes: {fate}; cost {pct(g.median_cost_error)}"


def _errors(result: Analytics) -> list[GateErrors]:
    errors = [(r.gate, r.cost_error) for r in result.rows if r.cost_error is not None]
    return [GateErrors(f"gate {s.gate}", tuple(e for g, e in errors if g == s.gate)) for s in result.gates]


def _decision(r: DecisionRow) -> dict[str, Any]:
    return {
        "seq": r.seq,
        "project": r.project,
        "gate": r.gate,
        "decided": f"{r.recommended} \u2192 {r.outcome}" if r.overridden else r.outcome,
        "meeting": r.meeting_date.isoformat(),
        "days": "\u2013" if r.days_at_gate is None else str(r.days_at_gate),
        "forecast": pct(r.forecast, sign=False),
        "fate": r.fate,
        "error": pct(r.cost_error),
        "slip": "\u2013" if r.slip_quarters is None else f"{r.slip_quarters:+d}",
    }


def _title(result: Analytics) -> str:
    where = (f", gate {result.gate}" if result.gate else "") + (f", since {result.since}" if result.since else "")
    return f"Decision quality{where}"


def analytics_content(
    store: Store, *, since: dt.date | None = None, gate: int | None = None
) -> tuple[PackContent, Analytics]:
    """The pack's content and the analytics it shows, stamped with the ledger head.

    Raises:
        NotFoundError: the ledger is empty.
    """
    with store.read() as conn:
        result = analytics(conn, ledger_day(conn), since=since, gate=gate)
        wanted = {r.seq for r in result.rows}
        records = list(iter_records(conn))
        loaded = adopted_policy(conn)
    if not records:
        raise NotFoundError("the ledger is empty: no decision to look back on")
    head = records[-1]
    about = [r for r in records if r.seq in wanted]
    version = loaded.version if loaded else "none"
    title = _title(result)
    context = common(title, head, True, version, running="Decision quality")
    rows = [*result.gates, result.overall] if len(result.gates) > 1 else list(result.gates)
    o = result.overall
    context.update(
        today=result.today.isoformat(),
        since=None if result.since is None else result.since.isoformat(),
        gate=result.gate,
        head_seq=head.seq,
        facts=facts(result),
        overall=_gate_row(o),
        goes=o.overridden.goes + o.followed.goes,
        gates=[_gate_row(s) for s in rows],
        reliability=reliability_chart(o.calibration.bins),
        errors=error_chart(_errors(result)),
        rows=[_decision(r) for r in result.rows[:_ROWS]],
        more=max(0, len(result.rows) - _ROWS),
        benefits=[
            {"gate": "all gates" if b.gate is None else str(b.gate), "projects": b.projects,
             "promised": money(b.promised_to_date), "realised": money(b.realised_to_date),
             "ratio": pct(b.ratio, sign=False)}
            for b in result.benefits
        ],
        currency=loaded.policy.currency if loaded else None,
    )  # fmt: skip
    where = (f"-gate{result.gate}" if result.gate else "") + (f"-since-{result.since}" if result.since else "")
    name = f"analytics{where}.pdf"
    return PackContent("analytics.html", context, about, head, True, version, name), result


def analytics_job(store: Store, out_dir: Path, *, since: dt.date | None = None, gate: int | None = None) -> PackJob:
    """The pack to render (`render.write_pack` or `render_many`), with its two attachments."""
    content, result = analytics_content(store, since=since, gate=gate)
    html = environment().get_template(content.template).render(**content.context)
    as_json = (json.dumps(result.as_dict(), ensure_ascii=False, indent=2, default=str) + "\n").encode()
    attachments = (
        PackAttachment("analytics.json", as_json, "the decision-quality analytics, as `governance analytics --json`"),
        PackAttachment("records.jsonl", records_jsonl(content.records),
                       f"{len(content.records)} decided records the analytics count"),
    )  # fmt: skip
    return PackJob(html, Path(out_dir) / content.file_name, content.stamp.recorded_at, attachments)
