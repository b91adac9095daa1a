"""Subprocess entry points, so each timed child does exactly one thing.

`python -m bench.child intake-one FILE DATABASE_URL`: import the intake flow and file FILE through
it (one flow run, heartbeat off as the CLI runs it). Which Prefect it uses is up to the
environment the parent gives it (PREFECT_API_URL or nothing, i.e. the embedded server).

`python -m bench.child intake-floor DATABASE_URL FILE...`: the governance functions the intake flow's
tasks call (bench.intake.run_floor: check_submission, then file_proposals per chunk of 500), no Prefect.
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


def intake_floor(database_url: str, paths: list[str]) -> int:
    from bench.intake import run_floor

    filings = run_floor(paths, database_url)
    print(f"{len(filings)} filed", file=sys.stderr)
    return 0


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "intake-one":
        return intake_one(argv[1], argv[2])
    if len(argv) >= 3 and argv[0] == "intake-floor":
        return intake_floor(argv[1], argv[2:])
    print(
        "usage: python -m bench.child intake-one FILE DATABASE_URL | intake-floor DATABASE_URL FILE...", file=sys.stderr
    )
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
