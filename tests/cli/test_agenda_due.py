"""`governance agenda --due`: what is due or overdue today, at 80 columns and in --json."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ..commands import assessment_csv, decide_conditional_go, run
from ..conftest import EXAMPLES
from .conftest import awaiting_board, engine_in

LATER = {"GOVERNANCE_CLOCK_START": "2026-12-07T09:00:00Z", "COLUMNS": "80"}


def _portfolio(folder: Path) -> Path:
    """P-2026-0001 decided conditional go with a condition due 2026-11-01, P-2026-0002 awaiting the board at
    gate 1, the running projects imported, and 2026Q3 status reports from all of them but the Zigbee one."""
    from governance import gates
    from governance.assessments import read_assessments
    from governance.reports import file_status_reports, read_status_reports

    awaiting_board(folder)
    with engine_in(folder, "due") as (store, book):
        cards = assessment_csv(folder / "plain.csv", "NW-PLAIN", (7, 7))
        gates.record_scores(store, book, read_assessments([str(cards)]), "pmo")
        gates.record_recommendation(store, book, "P-2026-0002", "pmo")
    decided = decide_conditional_go(folder, due="2026-11-01")
    assert (decided.returncode, decided.stderr) == (0, "")
    imported = run(folder, "import", "projects", str(EXAMPLES / "projects" / "running-projects.yaml"))
    assert (imported.returncode, imported.stderr) == (0, "")
    reports = folder / "q3"
    shutil.copytree(EXAMPLES / "status" / "2026Q3", reports)
    (reports / "zigbee.yaml").rename(folder / "zigbee.yaml")
    with engine_in(folder, "reports") as (store, book):
        file_status_reports(store, book, read_status_reports([str(reports)], "2026Q3"), "pmo")
    return folder


def test_agenda_due_at_80_columns_and_in_json(tmp_path: Path) -> None:
    from governance.reports import file_status_reports, read_status_reports

    folder = _portfolio(tmp_path)
    shown = run(folder, "agenda", "--due", env=LATER)
    assert (shown.returncode, shown.stderr) == (0, "")
    assert shown.stdout == (
        "Due or overdue on 2026-12-07 (3)\n"
        "┏━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━┓\n"
        "┃ due           ┃ id          ┃ title              ┃ what is due               ┃\n"
        "┡━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━┩\n"
        "│ decision      │ P-2026-0002 │ Budget [/bold]     │ gate 1, recommended go,   │\n"
        "│               │             │ [link=file:///etc/ │ waiting 14 days:          │\n"
        "│               │             │ passwd]x[/link]    │ governance decide         │\n"
        "│               │             │ plan 1             │ P-2026-0002 --gate 1 ...  │\n"
        "│ condition     │ P-2026-0001 │ Budget [/bold]     │ C-2026-0001-G1-1          │\n"
        '│               │             │ [link=file:///etc/ │ "supplier audit by        │\n'
        '│               │             │ passwd]x[/link]    │ 2026-11-01" (owner: Tom   │\n'
        "│               │             │ plan 0             │ Becker) due 2026-11-01,   │\n"
        "│               │             │                    │ 36 days overdue           │\n"
        "│ status report │ P-2026-0007 │ Zigbee bridge for  │ no 2026Q3 status report;  │\n"
        "│               │             │ legacy sensors     │ due 2026-10-15, 53 days   │\n"
        "│               │             │                    │ late                      │\n"
        "└───────────────┴─────────────┴────────────────────┴───────────────────────────┘\n"
    )
    assert all(len(line) <= 80 for line in shown.stdout.splitlines())
    data = json.loads(run(folder, "agenda", "--due", "--json", env=LATER).stdout)
    history = json.loads(run(folder, "show", "P-2026-0002", "--json").stdout)["history"]
    [recommended] = [h for h in history if h["kind"] == "recommended"]
    assert data == {
        "date": "2026-12-07",
        "due": [
            {
                "what": "decision-awaiting",
                "key": "decision-awaiting:P-2026-0002:9",
                "subject": "P-2026-0002",
                "title": "Budget [/bold] [link=file:///etc/passwd]x[/link] plan 1",
                "since": "2026-11-23",
                "days": 14,
                "detail": {"gate": 1, "recommendation": "go", "record_seq": 9, "record_hash": recommended["hash"]},
            },
            {
                "what": "condition-overdue",
                "key": "condition-overdue:C-2026-0001-G1-1",
                "subject": "P-2026-0001",
                "title": "Budget [/bold] [link=file:///etc/passwd]x[/link] plan 0",
                "since": "2026-11-01",
                "days": 36,
                "detail": {
                    "condition": "C-2026-0001-G1-1",
                    "text": "supplier audit by 2026-11-01",
                    "owner": "Tom Becker",
                },
            },
            {
                "what": "status-report-missing",
                "key": "status-report-missing:P-2026-0007:2026Q3",
                "subject": "P-2026-0007",
                "title": "Zigbee bridge for legacy sensors",
                "since": "2026-10-15",
                "days": 53,
                "detail": {"quarter": "2026Q3"},
            },
        ],
    }
    # The last report arrives: the quarter's review is ready (and nothing is missing).
    with engine_in(folder, "zigbee") as (store, book):
        file_status_reports(store, book, read_status_reports([str(folder / "zigbee.yaml")], "2026Q3"), "pmo")
    ready = json.loads(run(folder, "agenda", "--due", "--json", env=LATER).stdout)["due"]
    assert [(i["what"], i["key"], i["subject"], i["since"], i["days"], i["detail"]) for i in ready[2:]] == [
        ("review-ready", "review-ready:2026Q3", "Q-2026Q3", "2026-11-23", 14, {"quarter": "2026Q3", "projects": 8}),
    ]
    assert run(folder, "agenda", "--due", env=LATER).stdout.splitlines()[-5:] == [
        "│           │             │                      │ 2026-11-01, 36 days overdue │",
        "│ review    │ Q-2026Q3    │ Quarterly review     │ all 8 projects reported for │",
        "│           │             │ 2026Q3               │ 2026Q3: governance review   │",
        "│           │             │                      │ --quarter 2026Q3            │",
        "└───────────┴─────────────┴──────────────────────┴─────────────────────────────┘",
    ]


def test_nothing_due(workdir: Path) -> None:
    shown = run(workdir, "agenda", "--due", env=LATER)
    assert (shown.returncode, shown.stdout, shown.stderr) == (0, "Nothing is due or overdue on 2026-12-07.\n", "")
    assert json.loads(run(workdir, "agenda", "--due", "--json").stdout) == {"date": "2026-11-23", "due": []}
