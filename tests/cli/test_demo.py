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
DEMO_HEAD = "149:5e8a2e2cc7273d43123ba32be25e63ee5ccc35d90115707545da68b9a1731c75"
DEMO_PACKS = {
    "P-2026-0001-gate1-decision.pdf": "9451499805cdf9161532ddb015a0ffc99504460e138730bd7994c497777c4a96",
    "P-2026-0007-gate1-decision.pdf": "e3f870ea63e95cc131aee20a4c6e908e4416930c288a80fa063dc86fd09ea815",
    "P-2026-0022-gate1-pre-read.pdf": "5ec3efcec735f98246728b93afad21d869c1289ff73fbc94ef8fcce77062a851",
    "P-2026-0027-gate1-decision.pdf": "eaf95ca2ad6f9a744b9cda7b37fa20d1494dd14ffd93a31a1be5f303ca53acaf",
    # Since issue 10 the audit extract's snapshot count includes the submitted files stored in the database.
    "audit-2026-11-23-2026-11-23.pdf": "e10a740882f0de687fedffbc170aba37e3f90be475c8c730a24ae50520857220",
    "board-pack-2026Q4.pdf": "529d5fac7aa6314741e9883f2fd481007aa2cfd86910c404d56cd4c838eb6947",
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
