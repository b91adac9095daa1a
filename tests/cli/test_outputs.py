"""Whole outputs of the everyday commands (list, agenda, decide, show, verify), as a user sees them.

One short session on Prefect's embedded server: two proposals filed, one scored and gated, the board's
conditional go; each command's whole stdout at 200 columns is compared line by line.
"""

# ruff: noqa: E501 - the expected outputs are whole lines of a 200-column terminal

from __future__ import annotations

from pathlib import Path

import pytest

from ..commands import assessment_csv, decide_conditional_go, run
from ..conftest import EXAMPLES

LIST = [
    "Proposals (2)",
    "┏━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┓",
    "┃ id          ┃ reference       ┃ title                                 ┃ bucket   ┃ state             ┃ version ┃ sponsor          ┃",
    "┡━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━━━━━━━━┩",
    "│ P-2026-0001 │ NW-CLOUD-CORE   │ Nordwind cloud IoT core platform      │ platform │ awaiting-decision │ 1       │ Jonas Petersen   │",
    "│ P-2026-0002 │ NW-MATTER-STACK │ Matter-over-Thread connectivity stack │ platform │ screened          │ 1       │ Dr. Stefan Maier │",
    "└─────────────┴─────────────────┴───────────────────────────────────────┴──────────┴───────────────────┴─────────┴──────────────────┘",
]
AGENDA_BEFORE = [
    "Awaiting the board (2026-11-23)",
    "┏━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━┳━━━━━━━━━━━━━┓",
    "┃ id          ┃ title                            ┃ gate ┃ recommendation ┃ score ┃ ECV         ┃",
    "┡━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━━━┩",
    "│ P-2026-0001 │ Nordwind cloud IoT core platform │ 1    │ conditional-go │ 56.49 │ -4051524.62 │",
    "└─────────────┴──────────────────────────────────┴──────┴────────────────┴───────┴─────────────┘",
    "Open conditions",
    "┏━━━━┳━━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━┳━━━━━┓",
    "┃ id ┃ proposal ┃ condition ┃ owner ┃ due ┃",
    "┡━━━━╇━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━╇━━━━━┩",
    "└────┴──────────┴───────────┴───────┴─────┘",
]
DECIDE = [
    "Recorded conditional-go for P-2026-0001 at gate 1 (record 8, bd02e268a607): tally conditional-go 2, hold 1; dissent: lee.",
    "  condition C-2026-0001-G1-1: supplier audit by 2026-11-01 (owner Tom Becker, due 2026-11-01)",
]
AGENDA_AFTER = [
    "Awaiting the board (2026-11-23)",
    "┏━━━━┳━━━━━━━┳━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━┳━━━━━┓",
    "┃ id ┃ title ┃ gate ┃ recommendation ┃ score ┃ ECV ┃",
    "┡━━━━╇━━━━━━━╇━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━╇━━━━━┩",
    "└────┴───────┴──────┴────────────────┴───────┴─────┘",
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
    "│ 2   │ filed       │                │ ana         │ 2026-11-23 09:00:00 │ from 10-cloud-iot-core-platform.yaml record 1                                                                │ 841226f52fc9 │",
    "│ 3   │ screened    │ pass           │ ana         │ 2026-11-23 09:00:00 │ 5 must-meet rules passed                                                                                     │ 7cf6b91b7bc9 │",
    "│ 6   │ scored      │ 56.49          │ ana         │ 2026-11-23 09:00:00 │ gate 1: strategic-fit 60 x 0.648525 = 38.91; market-attractiveness 50 x 0.351475 = 17.57; legal-compliance   │ 821be791c08e │",
    "│     │             │                │             │                     │ met; ECV -4051524.62                                                                                         │              │",
    "│ 7   │ recommended │ conditional-go │ ana         │ 2026-11-23 09:00:00 │ gate 1: score 56.49 >= 50 but < 60                                                                           │ 95e9bf66e5ae │",
    "│ 8   │ decided     │ conditional-go │ ana         │ 2026-11-23 09:00:00 │ gate 1 by ana (ana=conditional-go, lee=hold, raj=conditional-go); conditions: C-2026-0001-G1-1: Needs a      │ bd02e268a607 │",
    "│     │             │                │             │                     │ second supplier                                                                                              │              │",
    "└─────┴─────────────┴────────────────┴─────────────┴─────────────────────┴──────────────────────────────────────────────────────────────────────────────────────────────────────────────┴──────────────┘",
]
VERIFY = [
    "Ledger verified: 8 records, head 8:bd02e268a607dc21c5f7704c2847ead09927d16c6cdcdf9851343840acbde099; 8 snapshots (13,223 bytes), 1 policies; the proposals table (2 rows) and the decision keys (1) match the ledger.",
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
    outputs = {"list": run(workdir, "list"), "agenda before": run(workdir, "agenda")}
    outputs["decide"] = decide_conditional_go(workdir, due="2026-11-01")
    outputs["agenda after"] = run(workdir, "agenda")
    outputs["show"] = run(workdir, "show", "P-2026-0001")
    outputs["verify"] = run(workdir, "verify")
    assert {name: (r.returncode, r.stderr) for name, r in outputs.items()} == {name: (0, "") for name in outputs}
    assert {name: r.stdout.splitlines() for name, r in outputs.items()} == {
        "list": LIST,
        "agenda before": AGENDA_BEFORE,
        "decide": DECIDE,
        "agenda after": AGENDA_AFTER,
        "show": SHOW,
        "verify": VERIFY,
    }
