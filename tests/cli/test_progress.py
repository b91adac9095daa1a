"""Progress: a spinner on stderr when it is a terminal (a pty here), nothing when it is piped."""

from __future__ import annotations

import os
import pty
import select
import subprocess
from pathlib import Path

import yaml

from ..commands import GOVERNANCE, run
from .test_review import CANDIDATES

SPINNING = "Selecting the portfolio (3 candidates, with the frontier) ..."


def _candidates(folder: Path) -> Path:
    path = folder / "candidates.yaml"
    path.write_text(yaml.safe_dump(CANDIDATES), encoding="utf-8")
    return path


def _stderr_on_a_terminal(folder: Path, *args: str) -> tuple[int, str, str]:
    """`governance ARGS` with stderr on a pty (stdout piped): exit code, stdout, what the terminal got."""
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVERNANCE_", "PREFECT_", "FORCE_", "NO_COLOR"))}
    env.update(COLUMNS="80", TERM="xterm-256color")
    with subprocess.Popen(
        [GOVERNANCE, *args], cwd=folder, env=env, stdout=subprocess.PIPE, stderr=follower, text=True
    ) as process:
        os.close(follower)
        received = b""
        while True:
            ready, _, _ = select.select([leader], [], [], 60)
            if not ready:
                break
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the other end closed (Linux: EIO)
                break
            if not chunk:
                break
            received += chunk
        stdout = process.stdout.read() if process.stdout else ""
        code = process.wait(timeout=60)
    os.close(leader)
    return code, stdout, received.decode("utf-8", "replace")


def test_a_spinner_on_a_terminal_and_nothing_on_a_pipe(tmp_path: Path) -> None:
    path = _candidates(tmp_path)
    code, stdout, terminal = _stderr_on_a_terminal(tmp_path, "select", "--candidates", str(path))
    assert code == 0
    assert SPINNING in terminal
    # The cursor hidden, the spinner drawn, then the cursor shown again and the spinner's line erased.
    assert terminal.startswith("\x1b[?25l") and terminal.endswith("\x1b[?25h\r\x1b[1A\x1b[2K")
    piped = run(tmp_path, "select", "--candidates", str(path))
    assert (piped.returncode, piped.stderr) == (0, "")
    assert (
        piped.stdout.splitlines()[0]
        == stdout.splitlines()[0]
        == ("Selection by npv: optimal; value EUR 95, bound EUR 95, gap 0; 2 of 3 funded.")
    )
