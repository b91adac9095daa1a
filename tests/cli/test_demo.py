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
DEMO_HEAD = "148:d48ee109fca5e05c9d10faa7d87588c2cea33f3eb55019e06f37773b41008ab8"
DEMO_PACKS = {
    "P-2026-0001-gate1-decision.pdf": "069d2f0e009f0d6e0c7e9888164b56772bca50adcdf01ab30f002573709bd298",
    "P-2026-0007-gate1-decision.pdf": "6052ad105bcb0e9997102807e87f55eb7575328cf29af8e757c3a41f09dcd89a",
    "P-2026-0022-gate1-pre-read.pdf": "d41ad5109723c2fe67d80c2c58807b611527a0852b563a2d423fde9575cb4bf0",
    "P-2026-0027-gate1-decision.pdf": "cf9d9b6257f09965777a860aa86eb26372af83db4897f93526f8b8b92d64289d",
    # Since issue 10 the audit extract's snapshot count includes the submitted files stored in the database.
    "audit-2026-11-23-2026-11-23.pdf": "ccc29acdc5c7dd6965ce99e264d18e43930335dfaa600c504b83cb9a641b30c3",
    "board-pack-2026Q4.pdf": "55b08ead60c9b14c4a80a41c23db986137bcbad8515c8d2e912d8573d16ded13",
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
