"""The `governance` command as a user runs it: a real process, real exit codes, real output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from governance.policy import load_policy

from .conftest import EXAMPLES, ROOT

GOVERNANCE = str(Path(sys.executable).parent / "governance")


def run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVERNANCE_", "PREFECT_"))}
    full_env.update(
        COLUMNS="200",
        GOVERNANCE_ACTOR="tester",
        GOVERNANCE_CLOCK_START="2026-11-23T09:00:00Z",
        GOVERNANCE_ID_SEED="cli",
    )
    full_env.update(env or {})
    return subprocess.run([GOVERNANCE, *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    result = run(tmp_path, "init")
    assert result.returncode == 0, result.stderr
    return tmp_path


def test_init_prints_schema_and_policy(tmp_path: Path) -> None:
    first = run(tmp_path, "init")
    assert (first.returncode, first.stderr) == (0, "")
    assert first.stdout.splitlines() == [
        f"Database sqlite:///{tmp_path / 'governance.db'}: schema 0002 (created).",
        "Policy stage-gate (Product development Stage-Gate (five gates)) adopted, version e7f0b38a3537.",
    ]
    again = run(tmp_path, "init", "--policy", "it-demand")
    assert again.stdout.splitlines()[1] == "Policy it-demand (IT demand management) adopted, version 10c98419684d."
    assert run(tmp_path, "init").stdout.splitlines() == [
        f"Database sqlite:///{tmp_path / 'governance.db'}: schema 0002 (up to date).",
        "Policy it-demand (IT demand management) in force, version 10c98419684d.",
    ]


def test_bad_submission_is_one_clear_error_and_no_traceback(workdir: Path) -> None:
    bad = workdir / "bad.yaml"
    bad.write_text(yaml.safe_dump({"reference": "NW-X", "title": "<b>x</b>", "bucket": "moon"}), encoding="utf-8")
    result = run(workdir, "submit", str(bad))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error[input-refused]: submission refused, nothing was filed: 10 problem(s) in 1 file(s)",
        f"  {bad}, record 1, title: text must be plain, found markup '<b' [markup-in-text]",
        *(
            f"  {bad}, record 1, {field}: Field required [missing]"
            for field in (
                "summary",
                "sponsor",
                "submitter",
                "start_date",
                "end_date",
                "costs",
                "p_technical",
                "p_commercial",
            )
        ),
        f"  {bad}, record 1, bucket: unknown bucket 'moon'; the policy has: cost-reduction, improvements, "
        "new-products, platform [unknown-bucket]",
    ]
    assert "Traceback" not in result.stderr
    listing = run(workdir, "list", "--json")
    assert json.loads(listing.stdout) == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("show", "P-2026-0999"),
            "error[not-found]: no proposal 'P-2026-0999' (give its id, like P-2026-0001, or its reference)",
        ),
        (
            ("withdraw", "NW-NOPE", "--reason", "x"),
            "error[not-found]: no proposal 'NW-NOPE' (give its id, like P-2026-0001, or its reference)",
        ),
        (
            ("schema", "budget"),
            "error[config-invalid]: unknown schema 'budget'; choose one of: "
            "proposal, policy, assessment, status-report, project, candidates",
        ),
        (
            ("verify", "--expect-head", "12"),
            "error[config-invalid]: --expect-head must be SEQ:HASH (64 hex digits), got '12'",
        ),
        (
            ("init", "--policy", "nowhere.yaml"),
            "error[policy-invalid]: policy nowhere.yaml: cannot read: No such file or directory",
        ),
    ],
    ids=["unknown-id", "withdraw-unknown", "unknown-schema", "bad-head", "missing-policy"],
)
def test_errors_are_one_line(workdir: Path, args: tuple[str, ...], expected: str) -> None:
    result = run(workdir, *args)
    assert (result.returncode, result.stdout, result.stderr.splitlines()) == (1, "", [expected])


def test_commands_on_an_uninitialised_database_say_what_to_do(tmp_path: Path) -> None:
    result = run(tmp_path, "list")
    assert (result.returncode, result.stderr.strip()) == (
        1,
        f"error[store-not-initialised]: the database sqlite:///{tmp_path / 'governance.db'} is not initialised: "
        "run `governance init`",
    )


def test_schema_export(tmp_path: Path) -> None:
    proposal = json.loads(run(tmp_path, "schema", "proposal").stdout)
    assert proposal["title"] == "Proposal"
    assert proposal["additionalProperties"] is False
    assert sorted(proposal["required"]) == sorted(
        [
            "reference",
            "title",
            "summary",
            "sponsor",
            "submitter",
            "bucket",
            "start_date",
            "end_date",
            "costs",
            "p_technical",
            "p_commercial",
        ]
    )
    policy = json.loads(run(tmp_path, "schema", "policy").stdout)
    assert policy["title"] == "Policy"


def test_tampered_ledger_fails_verify_naming_the_record(workdir: Path) -> None:
    import sqlite3

    ok = run(workdir, "verify", "--json")
    report = json.loads(ok.stdout)
    assert (ok.returncode, report["ok"], report["records"]) == (0, True, 1)
    con = sqlite3.connect(workdir / "governance.db")
    con.execute("DROP TRIGGER ledger_no_update")
    con.execute("UPDATE ledger SET recorded_by = 'mallory' WHERE seq = 1")
    con.commit()
    con.close()
    broken = run(workdir, "verify")
    assert (broken.returncode, broken.stderr.splitlines()) == (
        1,
        ["error[ledger-broken]: ledger does not verify: record 1: stored bytes do not match its hash (altered)"],
    )
    cut = run(workdir, "verify", "--json", "--expect-head", f"2:{'a' * 64}")
    assert cut.returncode == 1
    assert json.loads(cut.stdout)["problems"] == [
        "record 1: stored bytes do not match its hash (altered)",
        "record 2: expected head is missing (the chain ends at 1)",
    ]


def test_every_command_has_help_with_an_example() -> None:
    for command in (
        ["init"],
        ["submit"],
        ["withdraw"],
        ["list"],
        ["show"],
        ["verify"],
        ["schema"],
        ["demo"],
        ["server", "start"],
    ):
        result = run(ROOT, *command, "--help")
        assert result.returncode == 0
        assert "Example: governance" in result.stdout, command


@pytest.mark.prefect
def test_submit_list_show_withdraw_end_to_end(workdir: Path) -> None:
    """A submitter's whole session, on Prefect's embedded server, as `make demo` runs it."""
    env = {"GOVERNANCE_HOME": str(workdir / ".governance")}
    filed = run(
        workdir,
        "submit",
        str(EXAMPLES / "proposals" / "01-smart-thermostat-v2.yaml"),
        str(EXAMPLES / "proposals" / "10-cloud-iot-core-platform.yaml"),
        str(EXAMPLES / "proposals" / "11-matter-thread-stack.yaml"),
        env=env,
    )
    assert (filed.returncode, filed.stderr) == (0, "")
    assert filed.stdout.splitlines()[-1] == "Filed 3 proposal(s) (P-2026-0001 .. P-2026-0003)"
    listing = json.loads(run(workdir, "list", "--json", "--bucket", "platform").stdout)
    assert [(p["id"], p["reference"], p["state"]) for p in listing] == [
        ("P-2026-0002", "NW-CLOUD-CORE", "screened"),
        ("P-2026-0003", "NW-MATTER-STACK", "screened"),
    ]
    gone = run(workdir, "withdraw", "NW-MATTER-STACK", "--reason", "folded into NW-CLOUD-CORE")
    assert gone.stdout == "Withdrew P-2026-0003 (NW-MATTER-STACK).\n"
    shown = json.loads(run(workdir, "show", "P-2026-0003", "--json").stdout)
    assert [(h["seq"], h["kind"], h["outcome"], h["recorded_by"]) for h in shown["history"]] == [
        (6, "filed", None, "tester"),
        (7, "screened", "pass", "tester"),
        (8, "withdrawn", "withdrawn", "tester"),
    ]
    assert shown["proposal"]["reference"] == "NW-MATTER-STACK"
    assert shown["state"] == "withdrawn"
    text = run(workdir, "show", "NW-MATTER-STACK")
    assert text.returncode == 0 and "folded into NW-CLOUD-CORE" in text.stdout
    assert run(workdir, "verify").stdout.startswith("Ledger verified: 8 records, head 8:")


def decide_conditional_go(cwd: Path, due: str) -> subprocess.CompletedProcess[str]:
    """The board's conditional go on P-2026-0001 at gate 1, as the chair records it on the CLI."""
    return run(
        cwd, "decide", "P-2026-0001", "--gate", "1", "--outcome", "conditional-go", "--by", "ana",
        "--rationale", "Needs a second supplier", "--vote", "ana=conditional-go", "--vote", "raj=conditional-go",
        "--vote", "lee=hold", "--meeting-date", "2026-11-20",
        "--condition", f"supplier audit by {due}, owner: Tom Becker",
    )  # fmt: skip


def _assessment_csv(path: Path, reference: str, ratings: tuple[int, int], legal: str = "yes") -> Path:
    path.write_text(
        "proposal,gate,assessor,strategic-fit,market-attractiveness,legal-compliance\n"
        + "".join(f"{reference},1,{a},{ratings[0]},{ratings[1]},{legal}\n" for a in ("raj", "lee")),
        encoding="utf-8",
    )
    return path


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
    scored = run(workdir, "score", str(_assessment_csv(workdir / "a.csv", "NW-CLOUD-CORE", (6, 5))), env=env)
    assert (scored.returncode, scored.stderr) == (0, "")
    assert scored.stdout.splitlines()[-1] == (
        "Scored 1 proposal(s); see `governance show ID` for each criterion's contribution."
    )
    gated = run(workdir, "gate", "P-2026-0001", env=env)
    assert gated.stdout.splitlines()[0] == "Gate 1 recommendation: conditional-go (score 56.49 >= 50 but < 60)"
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
