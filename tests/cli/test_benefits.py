"""`governance benefits` and `governance benefits-review` as a user runs them, at 80 columns."""

from __future__ import annotations

import json
from pathlib import Path

from ..commands import chair_policy, run
from ..conftest import EXAMPLES
from .conftest import counts

NARROW = {"COLUMNS": "80"}

PORTFOLIO = """\
Benefits promised and realised, as of 2026-11-23 (EUR)
┏━━━━━━━━━━━━━┳━━━━━━━━┳━━━━━━━━━━━┳━━━━━┳━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━━━┓
┃ project     ┃ state  ┃  promised ┃ due ┃ realised ┃ % of due ┃ baseline    ┃
┡━━━━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━╇━━━━━╇━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━━┩
│ P-2026-0001 │ active │ 9,300,000 │   0 │        0 │        - │ #2 migrated │
│ P-2026-0002 │ active │ 1,300,000 │   0 │        0 │        - │ #3 migrated │
│ P-2026-0003 │ active │   600,000 │   0 │        0 │        - │ #4 migrated │
│ P-2026-0004 │ active │ 2,500,000 │   0 │        0 │        - │ #5 migrated │
│ P-2026-0005 │ paused │ 2,100,000 │   0 │        0 │        - │ #6 migrated │
│ P-2026-0006 │ active │ 2,200,000 │   0 │        0 │        - │ #7 migrated │
│ P-2026-0007 │ active │ 1,350,000 │   0 │        0 │        - │ #8 migrated │
│ P-2026-0008 │ active │ 1,950,000 │   0 │        0 │        - │ #9 migrated │
└─────────────┴────────┴───────────┴─────┴──────────┴──────────┴─────────────┘
Portfolio: 8 project(s), 21,300,000 promised in all; nothing due yet, 0 \
realised.
Due: the baseline's periods that have ended, and the months of the current \
period that have passed. `governance benefits ID` shows a project's periods and \
every gate's promise.
"""

PROJECT = """\
P-2026-0003 Energy label 2026 compliance update (active)
Benefits per period, baseline #4 migrated (EUR)
┏━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━━┓
┃ period ┃ promised ┃ realised ┃ still expected ┃ source ┃
┡━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━━┩
│ FY2027 │  300,000 │        - │              - │        │
│ FY2028 │  300,000 │        - │              - │        │
└────────┴──────────┴──────────┴────────────────┴────────┘
Promised at each go decision (EUR)
┏━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━┓
┃ record ┃ gate     ┃ decided on ┃ promised ┃
┡━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━┩
│ #4     │ migrated │ 2025-11-28 │  600,000 │
└────────┴──────────┴────────────┴──────────┘
As of 2026-11-23: nothing due yet, 0 realised; owner: no benefits owner named \
yet.
"""


def _folder(tmp_path: Path) -> Path:
    assert run(tmp_path, "init", "--policy", str(chair_policy(tmp_path))).returncode == 0
    assert run(tmp_path, "import", "projects", str(EXAMPLES / "projects")).returncode == 0
    return tmp_path


def _unwrapped(text: str) -> str:
    return text.replace("\\\n", "")


def test_the_portfolio_and_a_project_at_80_columns(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    shown = run(folder, "benefits", env=NARROW)
    assert (shown.returncode, shown.stderr) == (0, "")
    assert shown.stdout.replace("\n", " ") == _unwrapped(PORTFOLIO).replace("\n", " ")
    one = run(folder, "benefits", "NW-RUN-ECOLABEL", env=NARROW)
    assert (one.returncode, one.stderr) == (0, "")
    assert one.stdout.replace("\n", " ") == _unwrapped(PROJECT).replace("\n", " ")
    data = json.loads(run(folder, "benefits", "P-2026-0003", "--json").stdout)
    assert data["as_of"] == "2026-11-23"
    assert data["portfolio"] == {
        "projects": 1,
        "promised_total": "600000",
        "promised_to_date": "0.00",
        "realised_to_date": "0.00",
        "ratio": None,
        "promised": {"FY2027": "300000", "FY2028": "300000"},
        "realised": {},
    }
    [project] = data["projects"]
    assert (project["baseline_seq"], project["baseline_gate"], project["baselines"][0]["decided_on"]) == (
        4,
        None,
        "2025-11-28",
    )


def test_what_cannot_be_shown_or_recorded_is_one_line_and_nothing_written(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    missing = run(folder, "benefits", "NOPE")
    assert (missing.returncode, missing.stdout) == (1, "")
    assert missing.stderr == (
        "error[not-found]: no proposal 'NOPE' (give its id, like P-2026-0001, or its reference)\n"
    )
    review = folder / "pir.yaml"
    review.write_text(
        "project: NW-RUN-HPC2\nquarter: 2027Q2\nreviewed_on: 2027-07-20\nowner: Jo\nbenefits_realised: {FY2027: 5}\n",
        encoding="utf-8",
    )
    before = counts(folder)
    refused = run(folder, "benefits-review", str(review))
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr.startswith("error[")
    assert "P-2026-0001 is active: a post-implementation review is of a completed project" in refused.stderr
    assert f"{review}" in refused.stderr and "Traceback" not in refused.stderr
    assert counts(folder) == before
