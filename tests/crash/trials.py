"""kill -9 trials: copy a prepared state, start a real command, SIGKILL it at a random moment, run it again.

A trial is one crash and one re-run of the same command in a fresh copy of a prepared folder (the
governance database, the policy, `.governance` with Prefect's warm embedded home and the signing keys).
What a trial found goes into its `Finding`; a `Report` adds them up into the line the run prints.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..commands import GOVERNANCE
from ..flows.servers import processes

__all__ = ["Finding", "Outcome", "Reference", "Report", "Scenario", "command_env", "ledger_keys", "run_trials"]

# The fixed clock and id seed of `tests.commands.run`: a re-run writes the records an uncrashed run writes.
FIXED = {"COLUMNS": "200", "GOVERNANCE_CLOCK_START": "2026-11-23T09:00:00Z", "GOVERNANCE_ID_SEED": "cli"}
DEFAULT_SEED = 20261123
LEFTOVER_GRACE_S = 15.0  # a server told to stop by the kernel (parent-death signal) shuts down in this time


def command_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without outside GOVERNANCE_/PREFECT_ settings, the fixed clock and ids, `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVERNANCE_", "PREFECT_"))}
    env.update(FIXED)
    env.update(extra or {})
    return env


def ledger_keys(folder: Path) -> Counter[tuple[str, str]]:
    """The multiset of (kind, subject) of the ledger in `folder`."""
    with contextlib.closing(sqlite3.connect(folder / "governance.db")) as conn:
        return Counter((str(k), str(s)) for k, s in conn.execute("SELECT kind, subject FROM ledger"))


@dataclass(frozen=True, slots=True)
class Outcome:
    """A finished command: exit status and output."""

    returncode: int
    stdout: str
    stderr: str


@dataclass(frozen=True, slots=True)
class Reference:
    """What an uncrashed run of the scenario's command leaves and says, and how long it took."""

    ledger: Counter[tuple[str, str]]
    outcome: Outcome
    seconds: float
    pdf: bytes | None


@dataclass(frozen=True, slots=True)
class Scenario:
    """One command, the folder it runs on, and what its run after a crash must say.

    `expect(reference, after_kill, rerun)` returns the problems of a re-run's output (empty: as it must be),
    given the ledger left by the killed run.
    """

    name: str
    args: tuple[str, ...]
    template: Path
    env: dict[str, str]
    expect: Callable[[Reference, Counter[tuple[str, str]], Outcome], list[str]]
    pdf: str | None = None  # the pack the command writes, relative to its folder


@dataclass
class Finding:
    trial: int
    delay: float
    kill: str  # "group" or "leader"
    landed: bool  # the command was still running when the kill came
    duplicates: int = 0
    lost: int = 0
    verify_failed: bool = False
    half_written_pdf: bool = False
    partial_files: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)
    rerun: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (
            self.duplicates
            or self.lost
            or self.verify_failed
            or self.half_written_pdf
            or self.partial_files
            or self.leftovers
            or self.rerun
        )


@dataclass
class Report:
    command: str
    seed: int
    reference_seconds: float
    findings: list[Finding] = field(default_factory=list)

    def line(self) -> str:
        f = self.findings
        return json.dumps(
            {
                "command": self.command,
                "seed": self.seed,
                "reference_s": round(self.reference_seconds, 2),
                "trials": len(f),
                "killed_mid_run": sum(t.landed for t in f),
                "duplicates": sum(t.duplicates for t in f),
                "lost": sum(t.lost for t in f),
                "verify_failures": sum(t.verify_failed for t in f),
                "half_written_pdfs": sum(t.half_written_pdf for t in f),
                "partial_files": sum(len(t.partial_files) for t in f),
                "leftover_processes": sum(len(t.leftovers) for t in f),
                "rerun_failures": sum(bool(t.rerun) for t in f),
            }
        )


def _start(folder: Path, scenario: Scenario, log: Path) -> subprocess.Popen[bytes]:
    # Output to a file, not a pipe: a killed command's orphans would hold a pipe open.
    with log.open("wb") as sink:
        return subprocess.Popen(
            [GOVERNANCE, *scenario.args],
            cwd=folder,
            env=command_env(scenario.env),
            stdout=sink,
            stderr=sink,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def _complete(folder: Path, args: tuple[str, ...], env: dict[str, str]) -> tuple[Outcome, int]:
    """Run a command to its end in its own session; its outcome and its process group id."""
    process = subprocess.Popen(
        [GOVERNANCE, *args],
        cwd=folder,
        env=command_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    stdout, stderr = process.communicate(timeout=300)
    return Outcome(process.returncode, stdout, stderr), process.pid


def reference_run(scenario: Scenario, folder: Path) -> Reference:
    """The scenario's command, uncrashed, in a fresh copy of its template: the figures every trial is held to."""
    shutil.copytree(scenario.template, folder)
    started = time.monotonic()
    outcome, _ = _complete(folder, scenario.args, scenario.env)
    seconds = time.monotonic() - started
    assert outcome.returncode == 0, outcome.stdout + outcome.stderr
    pdf = (folder / scenario.pdf).read_bytes() if scenario.pdf else None
    return Reference(ledger_keys(folder), outcome, seconds, pdf)


def leftovers(folder: Path, groups: set[int], grace: float = LEFTOVER_GRACE_S) -> list[str]:
    """Processes of these groups, or working in or naming `folder`, still alive after `grace` seconds;
    each is then killed (SIGKILL) so that one trial's leftovers do not weigh on the next."""
    me = os.getpid()
    deadline = time.monotonic() + grace
    while True:
        alive = [
            p
            for p in processes()
            if p.pid != me and (p.group in groups or f"{p.cwd}/".startswith(f"{folder}/") or str(folder) in p.cmdline)
        ]
        if not alive or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    for p in alive:
        with contextlib.suppress(OSError):
            os.kill(p.pid, signal.SIGKILL)
    return [f"{p.pid} (group {p.group}, cwd {p.cwd}): {p.cmdline[:160]}" for p in alive]


def _trial(scenario: Scenario, reference: Reference, folder: Path, number: int, rng: random.Random) -> Finding:
    shutil.copytree(scenario.template, folder)
    delay = rng.uniform(0.0, reference.seconds)
    # Half the trials kill the whole process group, as a supervisor does; the other half only the command
    # itself, as `kill -9 PID` does: whatever it started must then end by itself.
    kill = "group" if number % 2 == 0 else "leader"
    process = _start(folder, scenario, folder.parent / f"{folder.name}.log")
    time.sleep(delay)
    landed = process.poll() is None
    with contextlib.suppress(ProcessLookupError):
        if kill == "group":
            os.killpg(process.pid, signal.SIGKILL)
        else:
            os.kill(process.pid, signal.SIGKILL)
    process.wait()
    finding = Finding(number, round(delay, 3), kill, landed)
    pdf = folder / scenario.pdf if scenario.pdf else None
    if pdf is not None and pdf.exists() and pdf.read_bytes() != reference.pdf:
        finding.half_written_pdf = True  # a reader between the crash and the re-run would have taken it
    after_kill = ledger_keys(folder)
    rerun, rerun_group = _complete(folder, scenario.args, scenario.env)
    finding.rerun = scenario.expect(reference, after_kill, rerun)
    got = ledger_keys(folder)
    finding.duplicates = sum((got - reference.ledger).values())
    finding.lost = sum((reference.ledger - got).values())
    verified, _ = _complete(folder, ("verify",), {})
    finding.verify_failed = verified.returncode != 0 or not verified.stdout.startswith("Ledger verified")
    if pdf is not None:
        if not pdf.exists() or pdf.read_bytes() != reference.pdf:
            finding.half_written_pdf = True
        finding.partial_files = sorted(p.name for p in pdf.parent.iterdir() if p != pdf)
    finding.leftovers = leftovers(folder, {process.pid, rerun_group})
    return finding


def run_trials(scenario: Scenario, reference: Reference, root: Path, trials: int, seed: int) -> Report:
    """`trials` crash-and-re-run trials of the scenario under `root`, the delays drawn from `seed`."""
    rng = random.Random(f"{seed}:{scenario.name}")
    report = Report(scenario.name, seed, reference.seconds)
    for number in range(trials):
        finding = _trial(scenario, reference, root / f"trial-{number:02d}", number, rng)
        report.findings.append(finding)
        print(f"{scenario.name} trial {number}: {finding}", flush=True)
    return report
