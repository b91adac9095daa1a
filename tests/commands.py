"""Running the real `governance` command in a subprocess, as a user does (shared by tests/cli and tests/flows)."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import yaml

from governance.policy import BUNDLED_POLICIES

__all__ = ["GOVERNANCE", "assessment_csv", "chair_policy", "decide_conditional_go", "os_user", "run"]

GOVERNANCE = str(Path(sys.executable).parent / "governance")


def os_user() -> str:
    """The OS account running the tests: who the CLI authenticates (governance.authority)."""
    return pwd.getpwuid(os.geteuid()).pw_name


def chair_policy(folder: Path, name: str = "stage-gate") -> Path:
    """The bundled policy with the OS user running the tests as an account of its chair, in `folder`.

    The CLI acts as the OS user; the bundled people map accounts named like their ids (ana, raj...).
    """
    source = BUNDLED_POLICIES / f"{name}.yaml"
    people_name = yaml.safe_load(source.read_text(encoding="utf-8"))["people_file"]
    people = yaml.safe_load((BUNDLED_POLICIES / people_name).read_text(encoding="utf-8"))
    chair = {"stage-gate": "ana", "it-demand": "cio"}[name]
    for person in people["people"]:
        if person["id"] == chair:
            person["accounts"] = [os_user()]
    target = folder / "policy"
    (target / "people").mkdir(parents=True, exist_ok=True)
    (target / people_name).write_text(yaml.safe_dump(people), encoding="utf-8")
    shutil.copy(source, target / source.name)
    return target / source.name


def run(
    cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """`governance ARGS` in `cwd` with a fixed clock and id seed, 200 columns, no outside settings.

    Raises `subprocess.TimeoutExpired` after `timeout` seconds, the command and its children killed.

    `init` of a new database without `--policy` adopts the bundled Stage-Gate policy with the OS user as
    its chair.
    """
    if args[:1] == ("init",) and "--policy" not in args and not (cwd / "governance.db").exists():
        args = (*args, "--policy", str(chair_policy(cwd)))
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVERNANCE_", "PREFECT_"))}
    full_env.update(
        COLUMNS="200",
        GOVERNANCE_CLOCK_START="2026-11-23T09:00:00Z",
        GOVERNANCE_ID_SEED="cli",
    )
    full_env.update(env or {})
    pipe = subprocess.PIPE
    # A session of its own, so that a timeout ends the command and whatever it started (an embedded
    # Prefect server is its child): `subprocess.run` would kill the command only.
    with subprocess.Popen(
        [GOVERNANCE, *args], cwd=cwd, env=full_env, stdout=pipe, stderr=pipe, text=True, start_new_session=True
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def decide_conditional_go(cwd: Path, due: str) -> subprocess.CompletedProcess[str]:
    """The board's conditional go on P-2026-0001 at gate 1, as the chair records it on the CLI."""
    return run(
        cwd, "decide", "P-2026-0001", "--gate", "1", "--outcome", "conditional-go", "--by", "ana",
        "--rationale", "Needs a second supplier", "--vote", "ana=conditional-go", "--vote", "raj=conditional-go",
        "--vote", "lee=hold", "--meeting-date", "2026-11-23",
        "--condition", f"supplier audit by {due}, owner: Tom Becker",
    )  # fmt: skip


def assessment_csv(path: Path, reference: str, ratings: tuple[int, int], legal: str = "yes") -> Path:
    path.write_text(
        "proposal,gate,assessor,strategic-fit,market-attractiveness,legal-compliance\n"
        + "".join(f"{reference},1,{a},{ratings[0]},{ratings[1]},{legal}\n" for a in ("raj", "lee")),
        encoding="utf-8",
    )
    return path
