"""Whole outputs of the everyday commands (list, agenda, decide, show, verify), as a user sees them.

One short session on Prefect's embedded server: two proposals filed, one scored and gated, the board's
conditional go; each command's whole stdout at 200 columns (`list` and `show` at 80 too) is compared line by line.
"""

# ruff: noqa: E501 - the expected outputs are whole lines of a 200-column terminal

from __future__ import annotations

from pathlib import Path

import pytest

from ..commands import assessment_csv, decide_conditional_go, run
from ..conftest import EXAMPLES

LIST = [
    "Proposals (2)",
    "┏━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━┳━━━━━━━━━━━━━━━━━━┳━━━━━━━━━┓",
    "┃ id          ┃ reference       ┃ title                                 ┃ bucket   ┃ state             ┃ score ┃  ECV (EUR) ┃ decision ┃ funded ┃ sponsor          ┃ version ┃",
    "┡━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━━━┩",
    "│ P-2026-0001 │ NW-CLOUD-CORE   │ Nordwind cloud IoT core platform      │ platform │ awaiting-decision │ 56.49 │ -4,051,525 │          │        │ Jonas Petersen   │ 1       │",
    "│ P-2026-0002 │ NW-MATTER-STACK │ Matter-over-Thread connectivity stack │ platform │ screened          │       │            │          │        │ Dr. Stefan Maier │ 1       │",
    "└─────────────┴─────────────────┴───────────────────────────────────────┴──────────┴───────────────────┴───────┴────────────┴──────────┴────────┴──────────────────┴─────────┘",
]
LIST_80 = [
    "Proposals (2)",
    "┏━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━┳━━━━━━━━━━━━┓",
    "┃ id          ┃ title                 ┃ state             ┃ score ┃  ECV (EUR) ┃",
    "┡━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━━┩",
    "│ P-2026-0001 │ Nordwind cloud IoT    │ awaiting-decision │ 56.49 │ -4,051,525 │",
    "│             │ core platform         │                   │       │            │",
    "│ P-2026-0002 │ Matter-over-Thread    │ screened          │       │            │",
    "│             │ connectivity stack    │                   │       │            │",
    "└─────────────┴───────────────────────┴───────────────────┴───────┴────────────┘",
]
AGENDA_BEFORE = [
    "Awaiting the board (2026-11-23)",
    "┏━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓",
    "┃ id          ┃ title                            ┃ gate ┃ recommendation ┃ score ┃  ECV (EUR) ┃ why                                                      ┃",
    "┡━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩",
    "│ P-2026-0001 │ Nordwind cloud IoT core platform │ 1    │ conditional-go │ 56.49 │ -4,051,525 │ score 56.49: at least 50 (conditional go), below 60 (go) │",
    "└─────────────┴──────────────────────────────────┴──────┴────────────────┴───────┴────────────┴──────────────────────────────────────────────────────────┘",
    "Open conditions",
    "┏━━━━┳━━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━┳━━━━━┓",
    "┃ id ┃ proposal ┃ condition ┃ owner ┃ due ┃",
    "┡━━━━╇━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━╇━━━━━┩",
    "└────┴──────────┴───────────┴───────┴─────┘",
]
DECIDE = [
    "Recorded conditional-go for P-2026-0001 at gate 1 (record 8, b82acbe266a9): tally conditional-go 2, hold 1; dissent: lee.",
    "  condition C-2026-0001-G1-1: supplier audit by 2026-11-01 (owner Tom Becker, due 2026-11-01)",
]
AGENDA_AFTER = [
    "Awaiting the board (2026-11-23)",
    "┏━━━━┳━━━━━━━┳━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━┳━━━━━━━━━━━┳━━━━━┓",
    "┃ id ┃ title ┃ gate ┃ recommendation ┃ score ┃ ECV (EUR) ┃ why ┃",
    "┡━━━━╇━━━━━━━╇━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━╇━━━━━┩",
    "└────┴───────┴──────┴────────────────┴───────┴───────────┴─────┘",
    "Open conditions",
    "┏━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━┓",
    "┃ id               ┃ proposal    ┃ condition                    ┃ owner      ┃ due                ┃",
    "┡━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━┩",
    "│ C-2026-0001-G1-1 │ P-2026-0001 │ supplier audit by 2026-11-01 │ Tom Becker │ 2026-11-01 OVERDUE │",
    "└──────────────────┴─────────────┴──────────────────────────────┴────────────┴────────────────────┘",
]
SHOW = [
    "P-2026-0001  NW-CLOUD-CORE  Nordwind cloud IoT core platform",
    "State: in-stage (version 1); bucket platform; sponsor Jonas Petersen; submitter Nina Berg",
    "A shared cloud platform for device provisioning, telemetry, remote configuration and user accounts that replaces three product-specific back ends inherited from earlier projects. Every connected product and the redesigned app depend on it. Direct benefits are hosting and support savings; most value comes through the products built on it.",
    "History",
    "┏━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┓",
    "┃ seq ┃ kind        ┃ outcome        ┃ recorded by ┃ recorded at (UTC)   ┃ details                                                                                                      ┃ hash         ┃",
    "┡━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━┩",
    "│ 2   │ filed       │                │ ana         │ 2026-11-23 09:00:00 │ from 10-cloud-iot-core-platform.yaml record 1                                                                │ f7aeb8e9a33a │",
    "│ 3   │ screened    │ pass           │ ana         │ 2026-11-23 09:00:00 │ 5 must-meet rules passed                                                                                     │ 8fa3582ca6b0 │",
    "│ 6   │ scored      │ 56.49          │ ana         │ 2026-11-23 09:00:00 │ gate 1: strategic-fit 60 x 0.648525 = 38.91; market-attractiveness 50 x 0.351475 = 17.57; legal-compliance   │ 14f54dd4415d │",
    "│     │             │                │             │                     │ met; ECV EUR -4,051,525                                                                                      │              │",
    "│ 7   │ recommended │ conditional-go │ ana         │ 2026-11-23 09:00:00 │ gate 1: score 56.49: at least 50 (conditional go), below 60 (go)                                             │ 6beb13c041e7 │",
    "│ 8   │ decided     │ conditional-go │ ana         │ 2026-11-23 09:00:00 │ gate 1 by ana (ana=conditional-go, lee=hold, raj=conditional-go); conditions: C-2026-0001-G1-1: Needs a      │ b82acbe266a9 │",
    "│     │             │                │             │                     │ second supplier                                                                                              │              │",
    "└─────┴─────────────┴────────────────┴─────────────┴─────────────────────┴──────────────────────────────────────────────────────────────────────────────────────────────────────────────┴──────────────┘",
]
SHOW_80 = [
    "P-2026-0001  NW-CLOUD-CORE  Nordwind cloud IoT core platform",
    "State: in-stage (version 1); bucket platform; sponsor Jonas Petersen; submitter Nina Berg",
    "A shared cloud platform for device provisioning, telemetry, remote configuration and user accounts that replaces three product-specific back ends inherited from earlier projects. Every connected product and the redesigned app depend on it. Direct benefits are hosting and support savings; most value comes through the products built on it.",
    "History",
    "┏━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┓",
    "┃ seq ┃ kind        ┃ outcome        ┃ details                  ┃ hash         ┃",
    "┡━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━┩",
    "│ 2   │ filed       │                │ from                     │ f7aeb8e9a33a │",
    "│     │             │                │ 10-cloud-iot-core-platfo │              │",
    "│     │             │                │ rm.yaml record 1         │              │",
    "│ 3   │ screened    │ pass           │ 5 must-meet rules passed │ 8fa3582ca6b0 │",
    "│ 6   │ scored      │ 56.49          │ gate 1: strategic-fit 60 │ 14f54dd4415d │",
    "│     │             │                │ x 0.648525 = 38.91;      │              │",
    "│     │             │                │ market-attractiveness 50 │              │",
    "│     │             │                │ x 0.351475 = 17.57;      │              │",
    "│     │             │                │ legal-compliance met;    │              │",
    "│     │             │                │ ECV EUR -4,051,525       │              │",
    "│ 7   │ recommended │ conditional-go │ gate 1: score 56.49: at  │ 6beb13c041e7 │",
    "│     │             │                │ least 50 (conditional    │              │",
    "│     │             │                │ go), below 60 (go)       │              │",
    "│ 8   │ decided     │ conditional-go │ gate 1 by ana            │ b82acbe266a9 │",
    "│     │             │                │ (ana=conditional-go,     │              │",
    "│     │             │                │ lee=hold,                │              │",
    "│     │             │                │ raj=conditional-go);     │              │",
    "│     │             │                │ conditions:              │              │",
    "│     │             │                │ C-2026-0001-G1-1: Needs  │              │",
    "│     │             │                │ a second supplier        │              │",
    "└─────┴─────────────┴────────────────┴──────────────────────────┴──────────────┘",
]
VERIFY = [
    "Ledger verified: 8 records, head 8:b82acbe266a9753cf934a9456e58b4767edb478911ef4d290654dab36908b063; 8 snapshots (13,223 bytes), 1 policies; the proposals table (2 rows) and the decision keys (1) match the ledger.",
    "Records not authenticated: no ledger key is configured (GOVERNANCE_LEDGER_KEY_FILE), so a record added or rewritten by hand, its hashes recomputed, would pass.",
]


@pytest.mark.prefect
def test_list_agenda_decide_show_verify_whole_outputs(workdir: Path) -> None:
    env = {"GOVERNANCE_HOME": str(workdir / ".governance")}
    proposals = [
        str(EXAMPLES / "proposals" / f) for f in ("10-cloud-iot-core-platform.yaml", "11-matter-thread-stack.yaml")
    ]
    assert run(workdir, "submit", *proposals, env=env).returncode == 0
    assert (
        run(workdir, "score", str(assessment_csv(workdir / "a.csv", "NW-CLOUD-CORE", (6, 5))), env=env).returncode == 0
    )
    assert run(workdir, "gate", "P-2026-0001", env=env).returncode == 0
    outputs = {
        "list": run(workdir, "list"),
        "list 80": run(workdir, "list", env={"COLUMNS": "80"}),
        "agenda before": run(workdir, "agenda"),
    }
    outputs["decide"] = decide_conditional_go(workdir, due="2026-11-01")
    outputs["agenda after"] = run(workdir, "agenda")
    outputs["show"] = run(workdir, "show", "P-2026-0001")
    outputs["show 80"] = run(workdir, "show", "P-2026-0001", env={"COLUMNS": "80"})
    outputs["verify"] = run(workdir, "verify")
    assert {name: (r.returncode, r.stderr) for name, r in outputs.items()} == {name: (0, "") for name in outputs}
    assert {name: r.stdout.splitlines() for name, r in outputs.items()} == {
        "list": LIST,
        "list 80": LIST_80,
        "agenda before": AGENDA_BEFORE,
        "decide": DECIDE,
        "agenda after": AGENDA_AFTER,
        "show": SHOW,
        "show 80": SHOW_80,
        "verify": VERIFY,
    }
