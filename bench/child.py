"""Subprocess entry points, so each timed child does exactly one thing.

`python -m bench.child intake-one FILE DATABASE_URL`: import the intake flow and file FILE through
it (one flow run, heartbeat off as the CLI runs it). Which Prefect it uses is up to the
environment the parent gives it (PREFECT_API_URL or nothing, i.e. the embedded server).
"""

from __future__ import annotations

import sys


def intake_one(path: str, database_url: str) -> int:
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from flows.intake import intake_flow

    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        report = intake_flow([path], "bench", database_url, chunk_size=500)
    if report.refused or len(report.filings) != 1:
        print(f"unexpected intake result: {report}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "intake-one":
        return intake_one(argv[1], argv[2])
    print("usage: python -m bench.child intake-one FILE DATABASE_URL", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
