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
DEMO_HEAD = "148:28531b214b707aa0162fb377b78b25710708ad89a657bb9b15e56296a9f8dce8"
DEMO_PACKS = {
    "P-2026-0001-gate1-decision.pdf": "b0aa2bae5bf1672eb992ed370c2778ac8766fc03a060d0fa1ff0594d4a5892d3",
    "P-2026-0007-gate1-decision.pdf": "63da06d6091bb62d8cf43033b0edacc202e05b329f529dab0191a8f4d22b0436",
    "P-2026-0022-gate1-pre-read.pdf": "bf501cca091b94c954db76d023cb39be850fda1b4579b73256e988a67568c88a",
    "P-2026-0027-gate1-decision.pdf": "ba2061ff0ff104351ca2b0b68085cc1f6ec8030fb29db3e58849d9f5a348cfd5",
    # Since issue 10 the audit extract's snapshot count includes the submitted files stored in the database.
    "audit-2026-11-23-2026-11-23.pdf": "cc0cf0dd60352b26055edc0146d934e6fc09399f9849f7f9e96efe04267ba60d",
    "board-pack-2026Q4.pdf": "a2ce19f25986372ce95ce03a0313ca61a43accde62584cf620bb4b24885bbb0c",
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
