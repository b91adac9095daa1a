"""`governance analytics` as a user runs it: the small ledger of tests/governance/analytics_ledger.py at 80
columns, as JSON, narrowed by --gate and --since, and bad usage refused."""

from __future__ import annotations

import json
from pathlib import Path

from bench.analytics import append_stories

from ..commands import run
from ..governance.analytics_ledger import stories
from .conftest import engine_in

NARROW = {"COLUMNS": "80"}

EXPECTED = """\
Decision quality: 11 decisions in force, as of the newest record (2026-11-23)
Gates: 1 Gate 1; 2 Gate 2
Decisions per gate (days: from reaching the gate to the decision)
┏━━━━━━┳━━━━━━━━━┳━━━━┳━━━━━━┳━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━┓
┃ gate ┃ decided ┃ go ┃ kill ┃ kill % ┃ days P50 ┃ days P90 ┃ overrides ┃
┡━━━━━━╇━━━━━━━━━╇━━━━╇━━━━━━╇━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━┩
│ 1    │       7 │  5 │    1 │  14.3% │       20 │       40 │         2 │
│ 2    │       4 │  3 │    1 │  25.0% │       45 │       91 │         1 │
│ all  │      11 │  8 │    2 │  18.2% │       30 │       60 │         3 │
└──────┴─────────┴────┴──────┴────────┴──────────┴──────────┴───────────┘
Promised at the gate against what happened (goes; cost: error against the gate's total)
┏━━━━━━┳━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━┳━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━┓
┃ gate ┃ costed ┃ cost err ┃ err P90 ┃ <=P50 ┃ <=P90 ┃ late/done ┃ overdue ┃
┡━━━━━━╇━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━╇━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━┩
│ 1    │      3 │   +20.0% │  +50.0% │   0/1 │   1/1 │       1/2 │       0 │
│ 2    │      3 │   +20.0% │  +50.0% │   0/1 │   1/1 │       1/2 │       0 │
│ all  │      6 │   +20.0% │  +50.0% │   0/2 │   2/2 │       2/4 │       0 │
└──────┴────────┴──────────┴─────────┴───────┴───────┴───────────┴─────────┘
Chance of success (p_technical x p_commercial) against the outcome
┏━━━━━━┳━━━━━━━━┳━━━━━━┳━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━┓
┃ gate ┃ scored ┃ open ┃ Brier ┃ climatology ┃  skill ┃ base rate ┃ forecast ┃
┡━━━━━━╇━━━━━━━━╇━━━━━━╇━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━┩
│ 1    │      4 │    1 │ 0.240 │       0.250 │  +3.9% │     50.0% │    44.2% │
│ 2    │      2 │    1 │ 0.320 │       0.000 │      – │    100.0% │    48.5% │
│ all  │      6 │    2 │ 0.267 │       0.222 │ -20.1% │     66.7% │    45.7% │
└──────┴────────┴──────┴───────┴─────────────┴────────┴───────────┴──────────┘
Cost: 6 of 8 goes have a cost outcome (final, or actual + forecast to complete); the median is \
+20.0% against the gate's total cost, 6 over it.
Three-point estimates: the outcome was at or below the gate's P50 in 0 of 2 and at or below its P90 \
in 2 of 2 (well calibrated: about half and nine in ten).
Schedule: 4 goes completed, 2 after their planned end quarter (median slip 1 quarter(s)); status \
reports forecast no end date, so open projects are not forecast: 0 open past their planned end.
Calibration: Brier score 0.267 over 6 resolved goes (completed: 1; stopped, killed later or \
withdrawn: 0); always forecasting the base rate 66.7% scores 0.222, skill -20.1% against it; 2 \
still open, not scored.
Benefits: no project past the last gate among these decisions, so none to compare yet.
Overrides: 3 of 11 decisions went against the recommendation (go -> kill 1, kill -> go 1, kill -> \
hold 1). Goes against it: 1 completed, 0 stopped or killed, 0 open, median cost error +50.0%; goes \
as recommended: 3 completed, 2 stopped or killed, 2 open, median cost error +20.0%.
"""


def _ledger(folder: Path) -> Path:
    with engine_in(folder, "analytics") as (store, ledger):
        append_stories(store, ledger, stories())
    return folder


def test_the_tables_and_facts_at_80_columns(workdir: Path) -> None:
    shown = run(_ledger(workdir), "analytics", env=NARROW)
    assert (shown.returncode, shown.stderr) == (0, "")
    assert shown.stdout == EXPECTED


def test_json_narrowed_and_bad_usage(workdir: Path) -> None:
    folder = _ledger(workdir)
    shown = run(folder, "analytics", "--json", "--gate", "2", "--since", "2027-01-03")
    assert (shown.returncode, shown.stderr) == (0, "")
    data = json.loads(shown.stdout)
    assert (data["today"], data["since"], data["gate"]) == ("2026-11-23", "2027-01-03", 2)
    assert [(d["project"], d["outcome"], d["recommended"], d["days_at_gate"]) for d in data["decisions"]] == [
        ("P-2026-0002", "go", "go", 60),
        ("P-2026-0003", "kill", "go", 91),
        ("P-2026-0005", "go", "go", 30),
    ]
    [gate] = data["gates"]
    assert (gate["decisions"], gate["kill_rate"], gate["days_median"], gate["overrides"]) == (3, "0.3333", "60", 1)
    assert gate["calibration"]["brier"] == "0.5625"  # B alone resolved: (0.25 - 1)^2
    empty = run(folder, "analytics", "--since", "2030-01-01", env=NARROW)
    assert (empty.returncode, empty.stdout, empty.stderr) == (
        0,
        "Decision quality since 2030-01-01: 0 decisions in force, as of the newest record (2026-11-23)\n"
        "No gate decision in force matches: nothing to compare yet.\n",
        "",
    )
    bad = run(folder, "analytics", "--gate", "0")
    assert bad.returncode == 2
    assert "Invalid value for '--gate'" in bad.stderr


def test_the_pack_command_writes_the_pack(workdir: Path) -> None:
    folder = _ledger(workdir)
    made = run(folder, "pack", "analytics", "--gate", "1", "-o", "out")
    assert (made.returncode, made.stdout, made.stderr) == (0, "Wrote out/analytics-gate1.pdf\n", "")
    assert (folder / "out" / "analytics-gate1.pdf").read_bytes().startswith(b"%PDF-")
