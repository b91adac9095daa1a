"""The decision-quality pack read back: PDF/A-3b, the ledger head on every page, the dashboard's facts,
the analytics and the decided records attached, and the same bytes from the same ledger."""

from __future__ import annotations

import json
import re
from pathlib import Path

from governance.analytics import analytics, ledger_day
from governance.ledger import Ledger, head
from governance.packs import read_pack, render_pdf, write_pack
from governance.packs.analytics import analytics_job
from governance.store import Store
from tests.governance.analytics_ledger import build


def test_the_pack_holds_the_dashboard_charts_and_the_data(store: Store, ledger: Ledger, tmp_path: Path) -> None:
    build(store, ledger)
    path = write_pack(analytics_job(store, tmp_path))
    assert path == tmp_path / "analytics.pdf"
    pack = read_pack(path)
    with store.read() as conn:
        seq, digest = head(conn)
        expected = analytics(conn, ledger_day(conn)).as_dict()
    assert (pack.title, pack.pdfa, pack.page_count) == ("Decision quality", "3B", 3)
    assert [(s.kind, s.seq, s.hash, s.page, s.pages) if s else None for s in pack.stamps] == [
        ("head", seq, digest, n, 3) for n in (1, 2, 3)
    ]
    first = re.sub(r"\s+", " ", pack.pages[0])
    assert "11 · 18.2%" in first
    assert "0.267 · 0.222" in first
    assert (
        "Overrides: 3 of 11 decisions went against the recommendation (go -> kill 1, kill -> go 1, kill -> hold 1)."
        in first
    )
    second = re.sub(r"\s+", " ", pack.pages[1])
    assert "Reliability: forecast chance against outcome" in second
    assert "Cost error per gate (%)" in second
    assert sorted(pack.attachments) == ["analytics.json", "records.jsonl"]
    assert json.loads(pack.attachments["analytics.json"]) == json.loads(json.dumps(expected, default=str))
    assert [(r["seq"], r["kind"]) for r in pack.records] == [(d["seq"], "decided") for d in expected["decisions"]]


def test_the_same_ledger_gives_the_same_bytes(store: Store, ledger: Ledger, tmp_path: Path) -> None:
    build(store, ledger)
    first = render_pdf(analytics_job(store, tmp_path, gate=1))
    again = render_pdf(analytics_job(store, tmp_path, gate=1))
    assert first == again
    assert analytics_job(store, tmp_path, gate=1).path == tmp_path / "analytics-gate1.pdf"
