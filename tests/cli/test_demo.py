"""The redesign's promise (issue 9): the same ledger bytes, the same PDF bytes, the same CLI output.

`governance demo` runs as a user runs it (a real process, Prefect's embedded server, real WeasyPrint)
with a fixed clock and id seed; its whole output, its ledger head and the SHA-256 of every pack it
writes were recorded from the code before the redesign and must not move. The recorded ledger (the
demo's, plus a supersede and a condition closed, so that every kind the engine writes is there) is
kept as a fixture: every record re-hashes to its stored hash, byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from governance.ledger import GENESIS_HASH
from governance.record_layout import rehash

from ..conftest import ROOT

GOVERNANCE = str(Path(sys.executable).parent / "governance")
FIXTURES = ROOT / "tests" / "fixtures"
BEFORE = FIXTURES / "ledger-before-redesign.jsonl"

# Recorded with issue 13's code (score cards carry financials_version 2; packs with the dashboard).
DEMO_HEAD = "149:5a6114e342189e4052e4d29572c3ffef432b7b2bf991038cf010cea76c439b8e"
DEMO_PACKS = {
    "P-2026-0001-gate1-decision.pdf": "7cb25a57136bea6ee0d7607b162ed36329a7619d56e2d68573e7ed3188bbb23c",
    "P-2026-0007-gate1-decision.pdf": "77202bcd65c5d3fa2ee8a594405f67402091e4a564a2c12e9685dd1f9c279be8",
    "P-2026-0022-gate1-pre-read.pdf": "a49034a2cca6f65125befe996a1c17fe777f6e8a5cc4195c32f6a32c8ad0e497",
    "P-2026-0027-gate1-decision.pdf": "7a25388a50ee1a95bdc28cd719dc7e5011137eaee78b7d6516169486d7f6f11a",
    # Since issue 10 the audit extract's snapshot count includes the submitted files stored in the database.
    "audit-2026-11-23-2026-11-23.pdf": "97ef0610057dfd5a00182851cd38ce8df89e752c138f4f7a9a9a17e6e7376f62",
    "board-pack-2026Q4.pdf": "bf8cceae8e3ee390f9baf2cc3560507e3da6213c454aaabd03c2ba54c9ba8d50",
}


def _before() -> list[dict[str, object]]:
    return [json.loads(line) for line in BEFORE.read_text(encoding="utf-8").splitlines()]


def test_the_recorded_ledger_rehashes_byte_for_byte() -> None:
    records = _before()
    kinds = {r["kind"] for r in records}
    assert kinds == {
        "policy-adopted",
        "filed",
        "screened",
        "screened-out",
        "amended",
        "withdrawn",
        "scored",
        "recommended",
        "decided",
        "superseded",
        "condition-closed",
        "migrated",
        "status-reported",
        "review-proposed",
        "selected",
        "review-confirmed",
        "reviewed",
    }
    prev = GENESIS_HASH
    for seq, record in enumerate(records, start=1):
        assert record["seq"] == seq
        assert record["prev_hash"] == prev
        assert rehash(record) == record["hash"], f"record {seq}"
        prev = str(record["hash"])


@pytest.mark.prefect
def test_demo_writes_the_same_ledger_packs_and_output(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVERNANCE_", "PREFECT_"))}
    env.update(
        COLUMNS="100",
        GOVERNANCE_CLOCK_START="2026-11-23T09:00:00Z",
        GOVERNANCE_ID_SEED="demo",
        GOVERNANCE_HOME=str(tmp_path / ".governance"),
    )
    result = subprocess.run(
        [GOVERNANCE, "demo"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    expected = (FIXTURES / "demo-output.txt").read_text(encoding="utf-8").replace("{RUN}", str(tmp_path))
    assert result.stdout == expected
    assert f"head {DEMO_HEAD};" in result.stdout
    written = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (tmp_path / "out").iterdir()}
    assert written == DEMO_PACKS
