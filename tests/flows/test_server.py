"""`governance server start | status | stop` against a real `prefect server start` on loopback."""

from __future__ import annotations

import json
import socket
import time
import urllib.request
from pathlib import Path

import pytest

from ..conftest import EXAMPLES
from ..test_cli import run


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(url: str, body: dict[str, object]) -> object:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.prefect
def test_local_server_serves_commands_and_deployments(tmp_path: Path) -> None:
    port = _free_port()
    env = {"GOVERNANCE_HOME": str(tmp_path / ".governance")}
    assert run(tmp_path, "init", env=env).returncode == 0
    assert run(tmp_path, "server", "status", env=env).stdout.startswith("No local server")
    started = run(tmp_path, "server", "start", "--port", str(port), env=env)
    api = f"http://127.0.0.1:{port}/api"
    try:
        assert (started.returncode, started.stderr) == (0, "")
        assert started.stdout.startswith(f"Prefect server running: API {api}, UI http://127.0.0.1:{port} (runner pid ")
        assert run(tmp_path, "server", "status", env=env).stdout.startswith(f"Local server running: API {api}")

        # Commands now use the server: the flow run is recorded there.
        filed = run(tmp_path, "submit", str(EXAMPLES / "proposals" / "10-cloud-iot-core-platform.yaml"), env=env)
        assert (filed.returncode, filed.stderr, filed.stdout.splitlines()[-1]) == (0, "", "Filed P-2026-0001")
        runs = _post(f"{api}/flow_runs/filter", {"limit": 10, "offset": 0, "sort": "EXPECTED_START_TIME_DESC"})
        assert isinstance(runs, list)
        assert [(r["state_type"], r["parameters"]["actor"]) for r in runs] == [("COMPLETED", "tester")]

        # The runner serves the intake deployment: a run triggered through the API completes.
        deployments = _post(f"{api}/deployments/filter", {"limit": 10, "offset": 0})
        assert isinstance(deployments, list)
        assert [d["name"] for d in deployments] == ["intake"]
        created = _post(
            f"{api}/deployments/{deployments[0]['id']}/create_flow_run",
            {"parameters": {"paths": [str(EXAMPLES / "proposals" / "11-matter-thread-stack.yaml")], "actor": "runner"}},
        )
        assert isinstance(created, dict)
        state = ""
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and state not in ("COMPLETED", "FAILED", "CRASHED"):
            time.sleep(1)
            with urllib.request.urlopen(f"{api}/flow_runs/{created['id']}", timeout=10) as response:
                state = json.loads(response.read())["state_type"]
        assert state == "COMPLETED"
        listing = json.loads(run(tmp_path, "list", "--json", env=env).stdout)
        assert [(p["id"], p["reference"]) for p in listing] == [
            ("P-2026-0001", "NW-CLOUD-CORE"),
            ("P-2026-0002", "NW-MATTER-STACK"),
        ]
    finally:
        stopped = run(tmp_path, "server", "stop", env=env)
    assert stopped.stdout == "Stopped the local Prefect server and its runner.\n"
    assert run(tmp_path, "server", "status", env=env).stdout.startswith("No local server")
