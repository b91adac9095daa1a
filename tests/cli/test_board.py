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
