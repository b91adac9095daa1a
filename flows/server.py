"""`governance server start | stop | status`: a local Prefect server on loopback plus a runner.

The server keeps its own SQLite under `GOVERNANCE_HOME/server`; the runner (`flows.serve`)
serves the project's deployments. While both run, commands use the server (see flows/runtime.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from flows.runtime import QUIET, read_server_state, server_healthy, state_file
from governance.errors import ConfigError
from governance.settings import Settings

__all__ = ["start", "status", "stop"]


def _alive(pid: int) -> bool:
    """Whether `pid` runs. A zombie (ended, not yet reaped: the runner's parent is whoever adopted it when
    `server start` returned, and a container's first process may never reap it) does not."""
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return True  # no /proc here: signal 0 is all there is
    return "\nState:\tZ" not in status


def _spawn(args: list[str], env: dict[str, str], log: Path) -> int:
    with log.open("ab") as sink:
        process = subprocess.Popen(
            args,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return process.pid


def start(settings: Settings, port: int) -> str:
    state = read_server_state(settings)
    if state and server_healthy(str(state.get("api_url"))):
        return f"Already running: API {state['api_url']}, UI {state['ui_url']}"
    home = settings.home.resolve()
    server_home = home / "server"
    server_home.mkdir(parents=True, exist_ok=True)
    api_url = f"http://127.0.0.1:{port}/api"
    if server_healthy(api_url):
        raise ConfigError(f"something already answers on 127.0.0.1:{port}; choose another --port")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(QUIET)
    env["PREFECT_HOME"] = str(server_home)
    env["PREFECT_LOGGING_LEVEL"] = "WARNING"
    # The UI asks the server for its API's address (/ui-settings); unset, it says port 4200 whatever --port is,
    # and the UI would show another server's runs, or none.
    env["PREFECT_UI_API_URL"] = api_url
    server_pid = _spawn(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env,
        home / "server.log",
    )
    deadline = time.monotonic() + 90
    while not server_healthy(api_url):
        if time.monotonic() > deadline or not _alive(server_pid):
            _kill(server_pid)
            raise ConfigError(f"the Prefect server did not start; see {home / 'server.log'}")
        time.sleep(0.5)
    token = secrets.token_urlsafe(32)
    port_file = home / "gateway.port"
    port_file.unlink(missing_ok=True)
    runner_env = dict(
        env,
        PREFECT_API_URL=api_url,
        GOVERNANCE_DATABASE_URL=settings.resolved_database_url(),
        GOVERNANCE_GATEWAY_TOKEN=token,
        GOVERNANCE_GATEWAY_PORT_FILE=str(port_file),
        # A run started from the CLI (a gate, a review) starts within a second, not up to Prefect's default
        # ten; the poll is one query to this loopback server.
        PREFECT_RUNNER_POLL_FREQUENCY="1",
    )
    runner_pid = _spawn([sys.executable, "-m", "flows.serve"], runner_env, home / "runner.log")
    # Commands may trigger deployments right away: wait until the runner has registered them all.
    deadline = time.monotonic() + 90
    while not (port_file.exists() and _deployment_names(api_url) >= DEPLOYMENTS):
        if time.monotonic() > deadline or not _alive(runner_pid):
            _kill(runner_pid)
            _kill(server_pid)
            raise ConfigError(f"the deployment runner did not start; see {home / 'runner.log'}")
        time.sleep(0.5)
    ui_url = f"http://127.0.0.1:{port}"
    state = {
        "api_url": api_url,
        "ui_url": ui_url,
        "server_pid": server_pid,
        "runner_pid": runner_pid,
        "database_url": settings.resolved_database_url(),
        "gateway_url": f"http://127.0.0.1:{port_file.read_text(encoding='utf-8').strip()}",
        "gateway_token": token,
    }
    # The file holds the gateway's token: readable by this user only.
    path = state_file(settings)
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(state, indent=2))
    return f"Prefect server running: API {api_url}, UI {ui_url} (runner pid {runner_pid}). Commands now use it."


DEPLOYMENTS = frozenset({"intake", "intake-part", "score", "gate-review", "quarterly-review"})


def _deployment_names(api_url: str) -> set[str]:
    body = json.dumps({"limit": 50, "offset": 0}).encode()
    request = urllib.request.Request(  # noqa: S310 - api_url is our own loopback server
        f"{api_url}/deployments/filter", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback only
            return {str(d.get("name")) for d in json.loads(response.read())}
    except (urllib.error.URLError, OSError, ValueError):
        return set()


def _kill(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except OSError:
        return
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.1)
    if _alive(pid):
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)


def stop(settings: Settings) -> str:
    state = read_server_state(settings)
    if not state:
        return "No local server is running."
    for key in ("runner_pid", "server_pid"):
        pid = state.get(key)
        if isinstance(pid, int):
            _kill(pid)
    state_file(settings).unlink(missing_ok=True)
    return "Stopped the local Prefect server and its runner."


def status(settings: Settings) -> str:
    if os.environ.get("PREFECT_API_URL"):
        return f"Commands use PREFECT_API_URL={os.environ['PREFECT_API_URL']}."
    state = read_server_state(settings)
    runner = state.get("runner_pid") if state else None
    runner_alive = isinstance(runner, int) and _alive(runner)
    if state and server_healthy(str(state.get("api_url"))):
        runner_state = "running" if runner_alive else "not running"
        return f"Local server running: API {state['api_url']}, UI {state['ui_url']}; runner {runner_state}."
    embedded = "commands use Prefect's embedded server (about 10 s to start per command)"
    if state and runner_alive:
        return (
            f"The local server at {state['api_url']} does not answer, but its runner (pid {runner}) still runs "
            f"(it stops by itself within a minute); {embedded}. `governance server stop` ends it now."
        )
    if state:
        return f"The local server at {state['api_url']} stopped; {embedded}. `governance server stop` clears its state."
    return f"No local server: {embedded}."
