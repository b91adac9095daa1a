"""Running the real `governance` command in a subprocess, as a user does (shared by tests/cli and tests/flows)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

__all__ = ["GOVERNANCE", "assessment_csv", "decide_conditional_go", "run"]

GOVERNANCE = str(Path(sys.executable).parent / "governance")


def run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`governance ARGS` in `cwd` with a fixed clock, id seed and actor, 200 columns, no outside settings."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVERNANCE_", "PREFECT_"))}
    full_env.update(
        COLUMNS="200",
        GOVERNANCE_ACTOR="tester",
        GOVERNANCE_CLOCK_START="2026-11-23T09:00:00Z",
        GOVERNANCE_ID_SEED="cli",
    )
    full_env.update(env or {})
    return subprocess.run([GOVERNANCE, *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=300)


def decide_conditional_go(cwd: Path, due: str) -> subprocess.CompletedProcess[str]:
    """The board's conditional go on P-2026-0001 at gate 1, as the chair records it on the CLI."""
    return run(
        cwd, "decide", "P-2026-0001", "--gate", "1", "--outcome", "conditional-go", "--by", "ana",
        "--rationale", "Needs a second supplier", "--vote", "ana=conditional-go", "--vote", "raj=conditional-go",
        "--vote", "lee=hold", "--meeting-date", "2026-11-20",
        "--condition", f"supplier audit by {due}, owner: Tom Becker",
    )  # fmt: skip


def assessment_csv(path: Path, reference: str, ratings: tuple[int, int], legal: str = "yes") -> Path:
    path.write_text(
        "proposal,gate,assessor,strategic-fit,market-attractiveness,legal-compliance\n"
        + "".join(f"{reference},1,{a},{ratings[0]},{ratings[1]},{legal}\n" for a in ("raj", "lee")),
        encoding="utf-8",
    )
    return path
