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

# Recorded with the code before the redesign (commit d4e8c00), engine version 0.1.0.
DEMO_HEAD = "148:b6f14c7318b7c1e8e35e0e134eacec10ccc16bed6fd303f862e411a347affd8d"
DEMO_PACKS = {
    "P-2026-0001-gate1-decision.pdf": "6131b43456e3f3921be8a1762b8be8a0ceed12abfe20b5133241f13de933e941",
    "P-2026-0007-gate1-decision.pdf": "61c0aaeb83e33d711468e508210433312e892cce0b57132d54ee3d616400ac6e",
    "P-2026-0022-gate1-pre-read.pdf": "a525e8f265a35a3b5f938640774b0a341594a826c9cb67e30c28f9e1cc541df7",
    "P-2026-0027-gate1-decision.pdf": "016964362a31f22e8ec056bf0cf11a6adb8750db0c5b488290210737da2fa072",
    # Since issue 10 the audit extract's snapshot count includes the submitted files stored in the database.
    "audit-2026-11-23-2026-11-23.pdf": "361f136788ae2ed78b82daedbd9b97d2c189cbe128752473b8ba19d6d4e20237",
    "board-pack-2026Q4.pdf": "96ebf1920730937dd20613ce4b6f131d23096d86047f53f5fd6dd629de55fc59",
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
