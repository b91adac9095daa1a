"""`governance risk` as a user runs it: named projects simulated and recorded at 80 columns, the record
replayed, and every way of asking wrongly answered with one line and a non-zero exit."""

from __future__ import annotations

import json
from pathlib import Path

from ..commands import run
from ..conftest import EXAMPLES

NARROW = {"COLUMNS": "80"}

EXPECTED = """\
Portfolio risk: the projects named, 2 projects
1,000 trials, seed 3, PERT estimates, correlation 0.3 within a bucket, 0.1 across

Portfolio value (EUR): P(value < 0) = 45.3%
┏━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━┓
┃       ┃      mean ┃        P10 ┃       P50 ┃       P90 ┃
┡━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━┩
│ value │ 3,305,545 │ -1,162,222 │ 6,362,154 │ 6,939,932 │
└───────┴───────────┴────────────┴───────────┴───────────┘
Spend per period (EUR)
┏━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━━┓
┃ period ┃    budget ┃      mean ┃       P50 ┃       P90 ┃ P(over) ┃       P10 ┃
┡━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━┩
│ FY2027 │ 9,000,000 │ 1,613,400 │ 1,740,000 │ 1,740,000 │    0.0% │ 1,140,000 │
│ FY2028 │ 9,000,000 │         0 │         0 │         0 │    0.0% │         0 │
└────────┴───────────┴───────────┴───────────┴───────────┴─────────┴───────────┘
What drives the spread
┏━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓
┃ project     ┃ share of variance ┃
┡━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩
│ P-2026-0001 │             99.5% │
│ P-2026-0003 │              0.5% │
└─────────────┴───────────────────┘
2 of 2 have no three-point ranges on file: their costs and benefits are their \
point estimates, and only their success or failure varies: P-2026-0001, P-2026-0003.
Recorded as #10 (simulated); `governance replay 10` draws the same trials again.
"""


def test_named_projects_are_simulated_recorded_and_replayed(workdir: Path) -> None:
    assert run(workdir, "import", "projects", str(EXAMPLES / "projects")).returncode == 0
    args = ("risk", "--project", "P-2026-0001", "--project", "P-2026-0003", "--trials", "1000", "--seed", "3")
    shown = run(workdir, *args, env=NARROW)
    assert (shown.returncode, shown.stderr) == (0, "")
    assert shown.stdout == EXPECTED
    replayed = run(workdir, "replay", "10", "--json")
    assert replayed.returncode == 0, replayed.stderr
    (only,) = json.loads(replayed.stdout)
    assert (only["kind"], only["status"]) == ("simulated", "match")
    # A dry run prints the same figures as JSON and records nothing.
    dry = run(workdir, *args, "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    data = json.loads(dry.stdout)
    assert (data["seq"], data["mean"], data["p_negative"]) == (None, "3305544.88", "0.4530")
    assert run(workdir, "replay", "11").returncode != 0  # nothing was recorded as 11


def test_asking_wrongly_is_one_line_and_a_non_zero_exit(workdir: Path) -> None:
    assert run(workdir, "import", "projects", str(EXAMPLES / "projects")).returncode == 0
    refused = {
        (
            "risk",
        ): "error[not-found]: no selection is on record: run a quarterly review, or name projects with --project\n",
        ("risk", "--quarter", "2026Q4"): "error[not-found]: the 2026Q4 review recorded no selection: run "
        "`governance review --quarter 2026Q4` first\n",
        ("risk", "--project", "P-2026-0099"): "error[not-found]: not on file: P-2026-0099\n",
        (
            "risk",
            "--selection",
            "2",
        ): "error[not-found]: record #2 is a migrated record, not a selection (`selected`)\n",
    }
    for args, message in refused.items():
        result = run(workdir, *args, env=NARROW)
        assert (result.returncode, result.stdout, result.stderr) == (1, "", message), args
    for args, words in {
        ("risk", "--quarter", "2026Q4", "--project", "X"): "give one of --quarter, --selection and --project",
        ("risk", "--trials", "5"): "Input should be greater than or equal to 100",
        ("risk", "--quarter", "26Q4"): "expected a quarter like 2026Q4",
    }.items():
        result = run(workdir, *args, env=NARROW)
        assert result.returncode == 2 and "Traceback" not in result.stderr, args
        assert words in " ".join(result.stderr.replace("│", " ").split()), (args, result.stderr)
