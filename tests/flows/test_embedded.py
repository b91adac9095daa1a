"""The embedded Prefect server ends with the command that started it, however the command ends."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from ..commands import GOVERNANCE, run
from ..conftest import EXAMPLES
from .servers import alive, children


@pytest.mark.prefect
def test_a_command_killed_with_9_takes_its_embedded_server_with_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVERNANCE_", "PREFECT_"))}
    env.update(GOVERNANCE_HOME=str(tmp_path / ".governance"))
    assert run(tmp_path, "init", env={"GOVERNANCE_HOME": env["GOVERNANCE_HOME"]}).returncode == 0
    command = subprocess.Popen(
        [GOVERNANCE, "submit", str(EXAMPLES / "proposals")],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        servers: list[tuple[int, str]] = []
        while not servers and time.monotonic() < deadline and command.poll() is None:
            servers = [c for c in children(command.pid) if "prefect.server.api.server:create_app" in c[1]]
            time.sleep(0.2)
        assert len(servers) == 1, "the command started no embedded server"
        [(server, _)] = servers
        command.send_signal(signal.SIGKILL)
        command.wait()
        deadline = time.monotonic() + 20
        while alive(server) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not alive(server), "the embedded server outlived the command killed with -9"
    finally:
        if command.poll() is None:
            command.kill()
            command.wait()


@pytest.mark.prefect
def test_a_command_that_ends_leaves_no_server_behind(tmp_path: Path) -> None:
    env = {"GOVERNANCE_HOME": str(tmp_path / ".governance")}
    assert run(tmp_path, "init", env=env).returncode == 0
    before = {pid for pid, cmd in children(1) if "prefect.server.api.server:create_app" in cmd}
    filed = run(tmp_path, "submit", str(EXAMPLES / "proposals" / "11-matter-thread-stack.yaml"), env=env)
    assert (filed.returncode, filed.stderr, filed.stdout.splitlines()[-1]) == (0, "", "Filed P-2026-0001")
    after = {pid for pid, cmd in children(1) if "prefect.server.api.server:create_app" in cmd}
    assert after - before == set()
