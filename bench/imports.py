"""`imports_5000`: a 5,000-row register (the GMPP sample's columns, `£m` amounts, `dd/mm/yyyy` dates, delivery
confidence ratings, a financial-year column) through `examples/imports/gmpp.yaml` into validated status reports
(`governance.imports.read_mapped_status`: reading the table, the map's units, dates, scale, period and
derivation rules, then the engine's own status-report validation).

Floor: the same 5,000 reports, written in the engine's own status-report CSV, through
`governance.reports.read_status_reports` (the engine's reading and validation without the mapping layer).
Runs are interleaved (mapped, floor, ...); the figure is the median of each with every run, and the load
average at the start and the end. Target: <= 1.3x the floor.
"""

from __future__ import annotations

import csv
import gc
import io
import os
import random
from pathlib import Path
from typing import Any

from bench.common import log, median, timed
from governance.imports import load_map, read_mapped_status
from governance.reports import read_status_reports

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "data" / "imports" / "gmpp.csv"
MAP = ROOT / "examples" / "imports" / "gmpp.yaml"
RATINGS = ("Green", "Amber/Green", "Amber", "Amber/red", "Red", "Exempt")


def register(rows: int, seed: int) -> str:
    """`rows` projects, one row each for 2020-21, in the sample's exact columns."""
    rng = random.Random(seed)
    header = next(csv.reader(io.StringIO(SAMPLE.read_text(encoding="utf-8"))))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for i in range(rows):
        start_year = rng.randint(2012, 2020)
        baseline = rng.uniform(50, 5000)
        writer.writerow(
            [f"DEP_{i:04d}_1920-Q1", f"Project {i}", "DEP", "Infrastructure and Construction", f"Project {i} aims.",
             rng.choice(RATINGS), "" if i % 3 else "Commentary on the rating.",
             f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{start_year}",
             f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{start_year + rng.randint(3, 12)}",
             f"£{baseline / 8:,.2f}", f"£{baseline / 7.5:,.2f}", "5%", f"£{baseline:,.2f}",
             f"£{baseline * rng.uniform(0.9, 1.4):,.2f}", "" if i % 2 else f"£{baseline * 1.5:,.2f}", "2020-21"]
        )  # fmt: skip
    return out.getvalue()


def native(reports: list[Any]) -> str:
    """The same reports in the engine's own status-report CSV."""
    columns = ("project", "quarter", "submitted_on", "actual_cost", "planned_value", "earned_value",
               "percent_complete", "risk_level", "commentary")  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for read in reports:
        r = read.report
        writer.writerow([getattr(r, c) if getattr(r, c) is not None else "" for c in columns])
    return out.getvalue()


def imports_figure(tmp: Path, rows: int, seed: int, repeats: int = 7) -> dict[str, Any]:
    tmp.mkdir(parents=True, exist_ok=True)
    mapped_file, native_file = tmp / "register.csv", tmp / "native.csv"
    mapped_file.write_text(register(rows, seed), encoding="utf-8")
    imap = load_map(MAP)
    reports = read_mapped_status(mapped_file, imap, MAP.name, "EUR")
    native_file.write_text(native(reports), encoding="utf-8")
    assert [r.content for r in read_status_reports([native_file])] == [r.content for r in reports]
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    mapped_s: list[float] = []
    floor_s: list[float] = []
    for run in range(repeats):
        gc.collect()
        mapped = timed(lambda: read_mapped_status(mapped_file, imap, MAP.name, "EUR"))
        gc.collect()
        plain = timed(lambda: read_status_reports([native_file]))
        assert len(mapped.value) == len(plain.value) == rows
        mapped_s.append(mapped.seconds)
        floor_s.append(plain.seconds)
        log(f"imports run {run + 1}: mapped {mapped.seconds:.3f} s, floor {plain.seconds:.3f} s")
    seconds, floor_seconds = median(mapped_s), median(floor_s)
    ratio = seconds / floor_seconds
    return {
        "rows": rows,
        "seconds": round(seconds, 3),
        "seconds_runs": [round(s, 3) for s in mapped_s],
        "floor_seconds": round(floor_seconds, 3),
        "floor_seconds_runs": [round(s, 3) for s in floor_s],
        "ratio": round(ratio, 3),
        # Each run's mapped / floor: on a loaded machine the pair run back to back shares its load.
        "ratio_per_run": [round(a / b, 3) for a, b in zip(mapped_s, floor_s, strict=True)],
        "loadavg_at_start": load_at_start,
        "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
        "targets": {"ratio": 1.3},
        "meets_targets": ratio <= 1.3,
    }


if __name__ == "__main__":
    import json
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        print(json.dumps(imports_figure(Path(folder), 5000, 20261123), indent=2))
