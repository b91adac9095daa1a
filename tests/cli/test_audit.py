"""The auditor's commands: verify, schema (replay and export: tests/cli/test_review.py)."""

from __future__ import annotations

import json
from pathlib import Path

from ..commands import run


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
