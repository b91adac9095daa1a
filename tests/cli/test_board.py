"""The board's commands: policy check, score, gate, decide, agenda, condition close."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from governance.policy import load_policy

from ..commands import assessment_csv, decide_conditional_go, run
from ..conftest import EXAMPLES, ROOT


def test_policy_check(tmp_path: Path) -> None:
    ok = run(tmp_path, "policy", "check", "stage-gate")
    assert ok.returncode == 0
    version = load_policy("stage-gate").version
    assert ok.stdout.splitlines()[0] == (
        f"Policy stage-gate is valid: version {version}; weights: AHP, consistency ratio 0.0144."
    )
    data = json.loads(run(tmp_path, "policy", "check", "stage-gate", "--json").stdout)
    assert data["weights_source"] == {"method": "ahp", "consistency_ratio": "0.0144", "lambda_max": "7.1144"}
    assert data["gates"][0]["weights"] == {"strategic-fit": "0.648525", "market-attractiveness": "0.351475"}
    bad = tmp_path / "bad.yaml"
    text = (
        (ROOT / "policies" / "stage-gate.yaml")
        .read_text(encoding="utf-8")
        .replace("- [1,     2,     2,", "- [1,     9,     2,")
    )
    bad.write_text(text, encoding="utf-8")
    shutil.copytree(ROOT / "policies" / "people", tmp_path / "people")
    refused = run(tmp_path, "policy", "check", str(bad))
    assert (refused.returncode, refused.stderr.splitlines()[0]) == (
        1,
        f"error[policy-invalid]: policy {bad} is invalid: {bad}: scoring.ahp: Value error, AHP matrix[0][1] and "
        "matrix[1][0] must be reciprocal (their product is 4.5000)",
    )


@pytest.mark.prefect
def test_score_gate_decide_agenda_on_the_embedded_server(workdir: Path) -> None:
    env = {"GOVERNANCE_HOME": str(workdir / ".governance")}
    assert (
        run(workdir, "submit", str(EXAMPLES / "proposals" / "10-cloud-iot-core-platform.yaml"), env=env).returncode == 0
    )
    scored = run(workdir, "score", str(assessment_csv(workdir / "a.csv", "NW-CLOUD-CORE", (6, 5))), env=env)
    assert (scored.returncode, scored.stderr) == (0, "")
    assert scored.stdout.splitlines()[-1] == (
        "Scored 1 proposal(s); see `governance show ID` for each criterion's contribution."
    )
    gated = run(workdir, "gate", "P-2026-0001", env=env)
    assert gated.stdout.splitlines()[0] == (
        "Gate 1 recommendation: conditional-go (score 56.49: at least 50 (conditional go), below 60 (go))"
    )
    refused = run(
        workdir,
        "decide",
        "P-2026-0001",
        "--gate",
        "1",
        "--outcome",
        "go",
        "--by",
        "ana",
        "--rationale",
        "x",
        "--vote",
        "ana=go",
        "--vote",
        "raj=hold",
        "--vote",
        "lee=hold",
    )
    assert refused.stderr == (
        "error[decision-refused]: the votes do not support 'go': go 1, hold 2 under majority "
        "(more than half of 3 votes)\n"
    )
    decided = decide_conditional_go(workdir, due="2026-11-01")
    assert (decided.returncode, decided.stderr) == (0, "")
    assert decided.stdout.splitlines()[1] == (
        "  condition C-2026-0001-G1-1: supplier audit by 2026-11-01 (owner Tom Becker, due 2026-11-01)"
    )
    agenda = json.loads(run(workdir, "agenda", "--json").stdout)
    assert agenda["awaiting_decision"] == []
    assert [(c["id"], c["overdue"]) for c in agenda["open_conditions"]] == [("C-2026-0001-G1-1", True)]
    closed = run(workdir, "condition", "close", "C-2026-0001-G1-1", "--note", "audit report SA-7")
    assert closed.stdout == "Closed C-2026-0001-G1-1 (record 7).\n"
    history = json.loads(run(workdir, "show", "P-2026-0001", "--json").stdout)["history"]
    assert [(h["kind"], h["outcome"]) for h in history] == [
        ("filed", None),
        ("screened", "pass"),
        ("scored", "56.49"),
        ("recommended", "conditional-go"),
        ("decided", "conditional-go"),
        ("condition-closed", "closed"),
    ]
    assert run(workdir, "verify").returncode == 0


def _scored(folder: Path) -> Path:
    """`folder` initialised, with NW-MARKUP (P-2026-0001) and NW-PLAIN (P-2026-0002) filed and scored at gate 1,
    in this process (no Prefect); neither is recommended on yet."""
    from governance import gates, intake
    from governance.assessments import read_assessments
    from governance.ledger import Ledger
    from governance.settings import load_settings
    from governance.store import Store

    from .conftest import _without_dependencies

    source = (EXAMPLES / "proposals" / "01-smart-thermostat-v2.yaml").read_text(encoding="utf-8")
    files = []
    for n, reference in enumerate(("NW-MARKUP", "NW-PLAIN")):
        files.append(folder / f"{n}.yaml")
        files[-1].write_text(_without_dependencies(source.replace("NW-THERMO-V2", reference)), encoding="utf-8")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GOVERNANCE_DATABASE_URL", f"sqlite:///{folder / 'governance.db'}")
        settings = load_settings()
        store = Store(settings.resolved_database_url())
        book = Ledger(settings.clock(), settings.ids())
        intake.file_proposals(store, book, intake.check_submission(store, [str(f) for f in files]), "pmo")
        cards = [
            assessment_csv(folder / "a.csv", "NW-MARKUP", (8, 8)),
            assessment_csv(folder / "b.csv", "NW-PLAIN", (6, 5)),
        ]
        gates.record_scores(store, book, read_assessments([str(c) for c in cards]), "pmo")
        store.dispose()
    return folder


GATE_ALL = [
    "Gate recommendations",
    "┏━━━━━━━━━━━━━┳━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓",
    "┃ id          ┃ gate ┃ recommendation ┃ why                                    ┃",
    "┡━━━━━━━━━━━━━╇━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩",
    "│ P-2026-0001 │ 1    │ go             │ score 80: at least 60 (go); must-meet  │",
    "│             │      │                │ 1 of 1 met                             │",
    "│ P-2026-0002 │ 1    │ conditional-go │ score 56.49: at least 50 (conditional  │",
    "│             │      │                │ go), below 60 (go)                     │",
    "└─────────────┴──────┴────────────────┴────────────────────────────────────────┘",
    "Gated 2 proposal(s): 1 conditional-go, 1 go; they await the board: governance agenda, then governance decide ID --gate N ...",  # noqa: E501 - a whole line of output
]


@pytest.mark.prefect
def test_gate_all_gates_every_scored_proposal_in_one_run(workdir: Path) -> None:
    _scored(workdir)
    env = {"GOVERNANCE_HOME": str(workdir / ".governance"), "COLUMNS": "80"}
    assert [(r.returncode, r.stdout) for r in (run(workdir, "gate"), run(workdir, "gate", "--all", "P-2026-0001"))] == [
        (2, ""),
        (2, ""),
    ]
    gated = run(workdir, "gate", "--all", env=env)
    assert (gated.returncode, gated.stderr) == (0, "")
    assert gated.stdout.splitlines() == GATE_ALL
    again = run(workdir, "gate", "--all", env=env)
    assert (again.returncode, again.stdout) == (
        0,
        "No proposal awaits a gate: none is scored and not yet recommended on.\n",
    )
    agenda = json.loads(run(workdir, "agenda", "--json").stdout)
    assert [(w["id"], w["recommendation"]) for w in agenda["awaiting_decision"]] == [
        ("P-2026-0001", "go"),
        ("P-2026-0002", "conditional-go"),
    ]
