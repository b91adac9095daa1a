"""Submitters' commands as a user runs them: init, submit, withdraw, list, show."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from governance.policy import load_policy

from ..commands import os_user, run
from ..conftest import EXAMPLES


def test_init_prints_schema_and_policy(tmp_path: Path) -> None:
    first = run(tmp_path, "init")
    assert (first.returncode, first.stderr) == (0, "")
    stage_gate = load_policy(str(tmp_path / "policy" / "stage-gate.yaml")).short_version  # the OS user chairs
    assert first.stdout.splitlines() == [
        f"Database sqlite:///{tmp_path / 'governance.db'}: schema 0004 (created).",
        f"Policy stage-gate (Product development Stage-Gate (five gates)) adopted, version {stage_gate}.",
    ]
    # Another board and people: the board in office decides, by its quorum and rule.
    refused = run(tmp_path, "init", "--policy", "it-demand")
    assert (refused.returncode, refused.stderr.splitlines()[-1]) == (
        1,
        "error[decision-refused]: policy it-demand changes who may do what (people, board, roles or "
        "delegations): the board in office decides it; 0 vote(s) given, the quorum is 3 (give --vote "
        "NAME=accept|reject)",
    )
    votes = ("--vote", "ana=accept", "--vote", "raj=accept", "--vote", "lee=reject")
    again = run(tmp_path, "init", "--policy", "it-demand", *votes)
    it_demand = load_policy("it-demand").short_version
    assert again.stdout.splitlines()[1] == f"Policy it-demand (IT demand management) adopted, version {it_demand}."
    assert run(tmp_path, "init").stdout.splitlines() == [
        f"Database sqlite:///{tmp_path / 'governance.db'}: schema 0004 (up to date).",
        f"Policy it-demand (IT demand management) in force, version {it_demand}.",
    ]
    # Under it-demand the OS user is nobody: it may not adopt another policy.
    eve = run(tmp_path, "init", "--policy", "stage-gate")
    assert eve.returncode == 1
    assert eve.stderr.splitlines()[-1].startswith(f"error[not-authenticated]: the account '{os_user()}' (os-user)")


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
        (6, "filed", None, "ana"),
        (7, "screened", "pass", "ana"),
        (8, "withdrawn", "withdrawn", "ana"),
    ]
    assert shown["proposal"]["reference"] == "NW-MATTER-STACK"
    assert shown["state"] == "withdrawn"
    text = run(workdir, "show", "NW-MATTER-STACK")
    assert text.returncode == 0 and "folded into NW-CLOUD-CORE" in text.stdout
    assert run(workdir, "verify").stdout.startswith("Ledger verified: 8 records, head 8:")
