"""Pack rendering: our packs against WeasyPrint's floor (plain HTML of the same page count), and the pool.

Issue 5's targets: the gate pack under 1 s warm, the quarterly board pack of 500 projects under 60 s,
each at most 1.5x its floor (issue 13: with the dashboard, the funded and left-out lists, the numbered
risk-value chart and a trend chart on every project page, over two quarters on file); 200 gate packs
through the process pool at least 1.6x faster than one after another.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import log
from bench.synthetic import synthetic_gates, synthetic_quarter
from governance import packs
from governance.clock import FixedClock, SeededIds
from governance.ledger import Ledger
from governance.store import Store

__all__ = ["packs_figures"]

_START = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
_PARAGRAPH = "<p>" + "The board reviews the portfolio every quarter and decides at every gate. " * 8 + "</p>"


def _ledger() -> Ledger:
    return Ledger(FixedClock(_START, dt.timedelta(milliseconds=5)), SeededIds("bench-packs"), engine_version="bench")


def _plain(paragraphs: int) -> str:
    return (
        "<html><head><title>floor</title><style>@page { size: A4; margin: 16mm 15mm 24mm 15mm }"
        " html { font-family: 'DejaVu Sans'; font-size: 8.6pt }</style></head><body>"
        + _PARAGRAPH * paragraphs
        + "</body></html>"
    )


def _floor(pages: int, repeats: int) -> tuple[float, int]:
    """Seconds for WeasyPrint to render plain paragraphs filling `pages` pages to PDF (median), and pages made."""
    from weasyprint import HTML

    per_page = len(HTML(string=_plain(40)).render().pages)
    paragraphs = max(1, round(pages * 40 / per_page))
    html = _plain(paragraphs)
    made = len(HTML(string=html).render().pages)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        HTML(string=html).write_pdf()
        times.append(time.perf_counter() - t)
    return statistics.median(times), made


def _pack_time(job: packs.PackJob, repeats: int) -> tuple[float, int]:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        packs.write_pack(job)
        times.append(time.perf_counter() - t)
    return statistics.median(times), packs.read_pack(job.path).page_count


def _against_floor(make_job: Callable[[], packs.PackJob], name: str, *, repeats: int, places: int) -> dict[str, Any]:
    """One pack's figures: its data and HTML, then `repeats` renders (median), against the floor of
    the same page count; the time is reported under `name`."""
    t = time.perf_counter()
    job = make_job()
    data_s = time.perf_counter() - t
    render_s, pages = _pack_time(job, repeats)
    floor_s, floor_pages = _floor(pages, repeats)
    return {
        "pages": pages,
        name: round(data_s + render_s, places),
        "data_and_html_s": round(data_s, places),
        "floor_s": round(floor_s, places),
        "floor_pages": floor_pages,
        "ratio_to_floor": round((data_s + render_s) / floor_s, 2),
    }


def packs_figures(tmp: Path, quick: bool) -> dict[str, Any]:
    """Gate pack warm, quarterly pack (500 projects; 100 when quick) and the pool (200 packs; 20 when quick)."""
    tmp.mkdir(parents=True, exist_ok=True)
    projects, pool_packs = (100, 20) if quick else (500, 200)
    log(f"packs: {pool_packs} decided gates")
    store, ids = synthetic_gates(tmp / "gates", pool_packs, _ledger())
    out = tmp / "out"
    # Gate pack, warm: data, HTML and PDF after one render has loaded fonts and templates.
    packs.write_pack(packs.gate_job(store, ids[0], 1, out))
    gate = _against_floor(lambda: packs.gate_job(store, ids[0], 1, out), "warm_s", repeats=3, places=3)
    log(f"packs: gate pack warm {gate['warm_s']} s, floor {gate['floor_s']} s; quarterly pack of {projects} projects")
    # Quarterly board pack.
    qstore = Store(f"sqlite:///{tmp / 'quarter.db'}")
    qstore.upgrade()
    # Two quarters, so that every project page draws its trend charts and the dashboard what changed.
    ledger = _ledger()
    synthetic_quarter(qstore, ledger, projects, "2026Q3", seed=6)
    synthetic_quarter(qstore, ledger, projects, "2026Q4")
    quarter = {
        "projects": projects,
        **_against_floor(lambda: packs.quarter_job(qstore, "2026Q4", out), "total_s", repeats=1, places=2),
    }
    log(
        f"packs: quarterly pack {quarter['total_s']} s, floor {quarter['floor_s']} s; "
        f"{len(ids)} packs serial and pooled"
    )
    # The pool against one process, on the same jobs (data assembled beforehand for both).
    jobs = [packs.gate_job(store, pid, 1, out / "serial") for pid in ids]
    t = time.perf_counter()
    for j in jobs:
        packs.write_pack(j)
    serial_s = time.perf_counter() - t
    pooled = [packs.PackJob(j.html, out / "pool" / j.path.name, j.moment, j.attachments) for j in jobs]
    t = time.perf_counter()
    packs.render_many(pooled, workers=2)
    pool_s = time.perf_counter() - t
    same = all(a.path.read_bytes() == b.path.read_bytes() for a, b in zip(jobs, pooled, strict=True))
    pool = {
        "packs": len(jobs),
        "workers": 2,
        "serial_s": round(serial_s, 2),
        "pool_s": round(pool_s, 2),
        "speedup": round(serial_s / pool_s, 2),
        "identical_bytes": same,
    }
    store.dispose()
    qstore.dispose()
    targets = {
        "gate_warm_under_1s": gate["warm_s"] < 1.0,
        "gate_within_1_5x_floor": gate["ratio_to_floor"] <= 1.5,
        "quarter_under_60s": quarter["total_s"] < 60.0 if not quick else None,
        "quarter_within_1_5x_floor": quarter["ratio_to_floor"] <= 1.5,
        "pool_at_least_1_6x": pool["speedup"] >= 1.6,
        "pool_identical_bytes": same,
    }
    return {
        "gate_pack": gate,
        "quarter_pack": quarter,
        "pool": pool,
        "targets": targets,
        "meets_targets": all(v is not False for v in targets.values()),
    }
