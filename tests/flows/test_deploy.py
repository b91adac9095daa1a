"""`prefect deploy --all` from prefect.yaml against a real `prefect server start`, and its schedule firing.

These are the two ways the pinned dependencies broke production (issue 10): fastapi 0.154 refused
the Prefect 3.8.8 client's `limit: null` (`prefect deploy --all` stopped after the first deployment
with a 422), and SQLAlchemy 2.1 made the server's scheduler fail every loop ("Can't evaluate bulk DML
statement"), so the quarterly schedule never created a run. Both are read back through the API.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import ROOT
from .test_server import _free_port, _post

PREFECT = [sys.executable, "-m", "prefect"]


def _healthy(api: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api}/health", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture
def real_server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A real Prefect server on its own SQLite, the scheduler looping every 2 s; its API URL and client env."""
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GOVERNANCE_"))}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="2",
    )
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [*PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not _healthy(api):
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            assert time.monotonic() < deadline, "the Prefect server did not start"
            time.sleep(0.5)
        yield api, dict(env, PREFECT_API_URL=api)
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


@pytest.mark.prefect
def test_deploy_all_creates_every_deployment_and_the_schedule_fires(
    real_server: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    api, env = real_server
    created = subprocess.run(
        [*PREFECT, "work-pool", "create", "governance", "--type", "process"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert created.returncode == 0, created.stdout + created.stderr
    deployed = subprocess.run(
        [*PREFECT, "--no-prompt", "deploy", "--all"],
        cwd=ROOT,
        env=dict(env, GOVERNANCE_PROJECT_DIR=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    deployments = _post(f"{api}/deployments/filter", {"limit": 50})
    assert isinstance(deployments, list)
    by_name = {str(d["name"]): d for d in deployments}
    assert sorted(by_name) == ["gate-review", "intake", "quarterly-review", "score"]
    quarterly = by_name["quarterly-review"]
    assert [s["schedule"]["cron"] for s in quarterly["schedules"]] == ["0 6 20 1,4,7,10 *"]

    # The scheduler (every 2 s here) creates the quarterly review's next run (up to 100 days ahead).
    deadline = time.monotonic() + 90
    runs: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        found = _post(
            f"{api}/flow_runs/filter",
            {"deployments": {"id": {"any_": [quarterly["id"]]}}, "limit": 10, "sort": "EXPECTED_START_TIME_ASC"},
        )
        assert isinstance(found, list)
        runs = found
        if runs:
            break
        time.sleep(1)
    log = (tmp_path / "server.log").read_text(encoding="utf-8", errors="replace")
    assert "bulk DML" not in log
    assert runs, log[-3000:]
    assert {str(r["state_type"]) for r in runs} == {"SCHEDULED"}
    starts = [str(r["expected_start_time"]) for r in runs]
    assert all(s[8:10] == "20" and s[5:7] in ("01", "04", "07", "10") for s in starts), starts
