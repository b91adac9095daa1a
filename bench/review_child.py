"""`python -m bench.review_child floor|flow DATABASE_URL REPORTS_CSV CHUNK`: one quarterly review, timed.

Prints one JSON line: `review_s` (ingest to the last recorded outcome), `peak_rss_mb` of this
process, and the floor's phases. The clock and ids come from GOVERNANCE_CLOCK_START / _ID_SEED.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from typing import Any

from governance.authority import Actor
from models.decision import ReviewAnswer

QUARTER = "2026Q4"
ANSWER = ReviewAnswer(
    quarter=QUARTER,
    decided_by="ana",
    meeting_date="2027-01-10",
    rationale="The board accepts the recommendations.",
    votes=[{"member": m, "vote": "accept"} for m in ("ana", "raj", "lee")],
)


def floor(url: str, reports_csv: str, chunk: int) -> dict[str, Any]:
    from governance import review
    from governance.ledger import Ledger
    from governance.reports import file_status_reports, read_status_reports
    from governance.settings import load_settings
    from governance.store import Store

    settings = load_settings()
    store, ledger = Store(url), Ledger(settings.clock(), settings.ids())
    phases: dict[str, float] = {}
    start = time.perf_counter()
    items = read_status_reports([reports_csv], QUARTER)
    file_status_reports(store, ledger, items, "bench", dry_run=True)
    for first in range(0, len(items), chunk):
        file_status_reports(store, ledger, items[first : first + chunk], "bench")
    phases["ingest_s"] = time.perf_counter() - start
    proposed = review.propose_review(store, ledger, QUARTER, "bench")
    phases["propose_s"] = time.perf_counter() - start - phases["ingest_s"]
    review.confirm_review(store, ledger, ANSWER, Actor.of("ana"), chunk_size=chunk)
    seconds = time.perf_counter() - start
    phases["confirm_s"] = seconds - phases["ingest_s"] - phases["propose_s"]
    store.dispose()
    selection = proposed.payload.selection
    return {"review_s": seconds, "phases": phases, "selection": None if selection is None else selection.model_dump()}


def flow(url: str, reports_csv: str, chunk: int) -> dict[str, Any]:
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from flows.review import quarterly_review_flow

    start = time.perf_counter()
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        result = quarterly_review_flow(QUARTER, [reports_csv], "bench", url, ANSWER, chunk)
    seconds = time.perf_counter() - start
    if result.state != "confirmed":
        raise SystemExit(f"review ended {result.state}: {result.problems[:3]} {result.refusals}")
    return {"review_s": seconds, "selection": result.selection}


def main(argv: list[str]) -> int:
    if len(argv) != 4 or argv[0] not in ("floor", "flow"):
        print("usage: python -m bench.review_child floor|flow DATABASE_URL REPORTS_CSV CHUNK", file=sys.stderr)
        return 2
    out = (floor if argv[0] == "floor" else flow)(argv[1], argv[2], int(argv[3]))
    out["review_s"] = round(out["review_s"], 3)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(out, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
