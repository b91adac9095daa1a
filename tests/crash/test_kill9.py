"""kill -9 at random moments of submit, score, gate, decide, review and pack, then the same command again.

Issue 12: after the crash and the re-run, no ledger record is doubled or missing (against an uncrashed
run's multiset of (kind, subject)), `verify` passes, no pack is half-written (the file is absent or the
reference's bytes, also between the crash and the re-run; no temporary file stays), and no process of
the command's is left. The delays come from a seeded generator (`CRASH_SEED`, printed with each delay):
a failure replays with the same seed. `CRASH_TRIALS` sets the trials per command (20).

Where each command runs its flows, and why:
- `submit`, `score`: against one `prefect server start` for the module (PREFECT_API_URL, Prefect's rule 1):
  the flow runs in the command's own process, so the kill lands in the process writing the records.
  (`governance server start` would be faster still, but its runner runs these flows through its gateway,
  out of the killed process group: a kill would test only the client.)
- `gate`, `review`: on the embedded server, the default. With any Prefect server these commands only
  start a deployment and return; on the embedded server the flow records in the killed process.
- `decide`, `pack`: no Prefect.
Half the trials kill the process group, half only the command (`kill -9 PID`: what it started must end
by itself). The trials found two pack bugs (tests/governance/test_pack_files.py): a kill between rendering
and signing left the unsigned pack under its name, and a kill mid-write left its temporary file for ever.
About 15-25 minutes on a 2-core machine (each embedded-server run is 10-12 s): deselect with -m 'not long'.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from .conftest import ASSESSMENTS, PROPOSALS, Q3, REPORTS, REVIEW_CHUNKS, SUBMIT_CHUNKS
from .trials import DEFAULT_SEED, Outcome, Reference, Scenario, reference_run, run_trials

pytestmark = [pytest.mark.long, pytest.mark.prefect]

SEED = int(os.environ.get("CRASH_SEED", DEFAULT_SEED))
TRIALS = int(os.environ.get("CRASH_TRIALS", "20"))
Ledger = Counter[tuple[str, str]]
DECIDE = (
    "decide", "P-2026-0001", "--gate", "1", "--outcome", "go", "--by", "ana", "--rationale", "Flagship product.",
    "--vote", "ana=go", "--vote", "raj=go", "--vote", "lee=go", "--vote", "mia=hold", "--meeting-date", "2026-11-23",
)  # fmt: skip


def _same(expected: Outcome, rerun: Outcome) -> list[str]:
    if rerun == expected:
        return []
    return [f"re-run: exit {rerun.returncode}, stdout {rerun.stdout!r}, stderr {rerun.stderr!r}"]


def _count(ledger: Ledger, kind: str) -> int:
    return sum(n for (k, _), n in ledger.items() if k == kind)


def expect_submit(reference: Reference, after_kill: Ledger, rerun: Outcome) -> list[str]:
    """Nothing filed yet: the reference's output. Some filed: every proposal listed, the rest filed."""
    if not _count(after_kill, "filed"):
        return _same(reference.outcome, rerun)
    rows = [line for line in rerun.stdout.splitlines() if line.startswith("│ P-2026-")]
    if (rerun.returncode, rerun.stderr, len(rows)) != (0, "", 32):
        return [f"re-run: exit {rerun.returncode}, {len(rows)} row(s), stderr {rerun.stderr!r}"]
    return []


def expect_decide(reference: Reference, after_kill: Ledger, rerun: Outcome) -> list[str]:
    """Not yet decided: the reference's output. Decided before the kill: the conflict, nothing recorded."""
    if not after_kill[("decided", "P-2026-0001")]:
        return _same(reference.outcome, rerun)
    seq = reference.outcome.stdout.split("(record ", 1)[1].split(",", 1)[0]
    conflict = f"error[conflict]: P-2026-0001 gate 1 was already decided (record {seq}); nothing was recorded\n"
    return _same(Outcome(1, "", conflict), rerun)


def expect_review(reference: Reference, after_kill: Ledger, rerun: Outcome) -> list[str]:
    """The reports not yet stored are reported, the others unchanged; the rest is the reference's output."""
    stored = _count(after_kill, "status-reported")
    if not stored:
        return _same(reference.outcome, rerun)
    counts = {"reported": 8 - stored, "unchanged": stored}
    first = "Status reports: " + ", ".join(f"{n} {a}" for a, n in sorted(counts.items()) if n) + "."
    _, rest = reference.outcome.stdout.split("\n", 1)
    return _same(Outcome(0, f"{first}\n{rest}", ""), rerun)


def expect_same(reference: Reference, after_kill: Ledger, rerun: Outcome) -> list[str]:
    """`score`, `gate` and `pack` say the same whatever a crash left."""
    return _same(reference.outcome, rerun)


@pytest.fixture
def scenario(request: pytest.FixtureRequest, name: str) -> Scenario:
    if name in ("submit", "score"):
        api = request.getfixturevalue("prefect_api")
    if name == "submit":
        return Scenario(
            name,
            ("submit", PROPOSALS),
            request.getfixturevalue("fresh"),
            {"PREFECT_API_URL": api, **SUBMIT_CHUNKS},
            expect_submit,
        )
    if name == "score":
        return Scenario(
            name, ("score", ASSESSMENTS), request.getfixturevalue("submitted"), {"PREFECT_API_URL": api}, expect_same
        )
    if name == "gate":
        return Scenario(name, ("gate", "P-2026-0001"), request.getfixturevalue("gate_ready"), {}, expect_same)
    if name == "decide":
        return Scenario(name, DECIDE, request.getfixturevalue("gated"), {}, expect_decide)
    if name == "review":
        args = ("review", "--quarter", "2026Q3", "--reports", Q3)
        return Scenario(name, args, request.getfixturevalue("imported"), REVIEW_CHUNKS, expect_review)
    assert name == "pack"
    pdf = "out/board-pack-2026Q3.pdf"
    return Scenario(name, ("pack", "quarter", "2026Q3"), request.getfixturevalue("reviewed"), {}, expect_same, pdf)


@pytest.mark.parametrize("name", ["submit", "score", "gate", "decide", "review", "pack"])
def test_kill_9_then_the_same_command_again(scenario: Scenario, name: str, tmp_path: Path) -> None:
    reference = reference_run(scenario, tmp_path / "reference")
    print(f"{name}: seed {SEED}, reference run {reference.seconds:.2f} s", flush=True)
    report = run_trials(scenario, reference, tmp_path, TRIALS, SEED)
    REPORTS.append(report.line())
    failed = [f for f in report.findings if not f.ok]
    assert not failed, f"seed {SEED}: " + "; ".join(str(f) for f in failed)
