"""Real Prefect servers and workers for the deployment tests: start, wait, talk REST."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from governance.authority import Actor

__all__ = [
    "PREFECT",
    "alive",
    "answers",
    "children",
    "client_env",
    "deploy_all",
    "flow_run",
    "free_port",
    "kill_tree",
    "post",
    "prefect_cli",
    "prefect_server",
    "processes",
    "quarterly_schedule",
    "start",
    "stash_copy",
    "stop_group",
    "stored_examples",
    "wait",
]

PREFECT = [sys.executable, "-m", "prefect"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def post(url: str, body: dict[str, object]) -> Any:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def flow_run(api: str, run_id: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{api}/flow_runs/{run_id}", timeout=10) as response:
        data = json.loads(response.read())
    assert isinstance(data, dict)
    return data


def wait(api: str, run_id: str, states: set[str], limit: float = 120) -> dict[str, Any]:
    """The flow run once its state's type or name is one of `states` (AssertionError after `limit` s)."""
    deadline = time.monotonic() + limit
    while True:
        run_ = flow_run(api, run_id)
        state = run_.get("state")
        if isinstance(state, dict) and (state.get("type") in states or state.get("name") in states):
            return run_
        final = isinstance(state, dict) and state.get("type") in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")
        assert not final, f"flow run {run_id} ended in {state}, not {sorted(states)}"
        assert time.monotonic() < deadline, f"flow run {run_id} stuck in {state}"
        time.sleep(1)


def answers(api: str, path: str = "health") -> bool:
    """Whether the API answers `GET /api/PATH` with 200 (`health`: the process is up; `ready`: and its
    database too)."""
    try:
        with urllib.request.urlopen(f"{api}/{path}", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def start(command: list[str], env: dict[str, str], log: Path, cwd: Path | None = None) -> subprocess.Popen[bytes]:
    """A process in its own session (stop it with `stop_group`), its output in `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def prefect_cli(args: list[str], env: dict[str, str], cwd: Path | None = None, timeout: float = 300) -> None:
    """`prefect ARGS`, which must succeed (its output is the assertion's message)."""
    command = [*PREFECT, *args]
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def client_env(tmp_path: Path) -> dict[str, str]:
    """This process's environment without any Prefect or governance setting, Prefect's home in `tmp_path`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GOVERNANCE_"))}
    env.update(PREFECT_HOME=str(tmp_path / "prefect-home"), PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1")
    return env


def stop_group(process: subprocess.Popen[bytes], first: signal.Signals = signal.SIGINT) -> None:
    """Stop a process started with start_new_session, and everything it started."""
    try:
        os.killpg(process.pid, first)
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        process.wait()


@contextmanager
def prefect_server(tmp_path: Path, host: str, database_env: dict[str, str]) -> Iterator[tuple[str, dict[str, str]]]:
    """`prefect server start` on `host` (its database from `database_env`), the scheduler looping every 2 s;
    its API URL and the environment a client needs."""
    port = free_port()
    api = f"http://{host}:{port}/api"
    env = client_env(tmp_path)
    server_env = dict(env, PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="2", **database_env)
    log_path = tmp_path / "server.log"
    server = start([*PREFECT, "server", "start", "--host", host, "--port", str(port)], server_env, log_path)
    try:
        deadline = time.monotonic() + 120
        while not answers(api):
            assert server.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "the Prefect server did not start"
            time.sleep(0.5)
        yield api, dict(env, PREFECT_API_URL=api)
    finally:
        stop_group(server)


def deploy_all(api: str, env: dict[str, str], root: Path) -> dict[str, dict[str, Any]]:
    """The operator's steps 4 and 5: the process work pool, then `prefect deploy --all` from `root`'s
    prefect.yaml; the deployments as the API returns them, by name."""
    prefect_cli(["work-pool", "create", "governance", "--type", "process"], env, root)
    prefect_cli(["--no-prompt", "deploy", "--all"], env, root)
    return {str(d["name"]): d for d in post(f"{api}/deployments/filter", {"limit": 50})}


class Process(NamedTuple):
    pid: int
    parent: int
    group: int
    cwd: str  # "" when it cannot be read
    cmdline: str


def processes() -> list[Process]:
    """Every live process but zombies (dead, not yet reaped), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        try:
            cwd = os.readlink(entry / "cwd")
        except OSError:
            cwd = ""
        state, parent, group = stat.rsplit(")", 1)[1].split()[:3]  # after "pid (comm)"
        if state != "Z":
            found.append(Process(int(entry.name), int(parent), int(group), cwd, cmdline))
    return found


def children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the live processes whose parent is `pid`."""
    return [(p.pid, p.cmdline) for p in processes() if p.parent == pid]


def kill_tree(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL a process and every process it started, whatever their session: a host that dies."""
    pids, frontier = [process.pid], [process.pid]
    while frontier:
        found = [pid for parent in frontier for pid, _ in children(parent)]
        pids += found
        frontier = found
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
    process.wait()


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        return not (Path("/proc") / str(pid) / "status").read_text().split("State:\t", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return False


def quarterly_schedule(api: str, deployment_id: str, log_path: Path) -> list[dict[str, Any]]:
    """The quarterly review's scheduled runs once the scheduler has made them (up to 100 days ahead), checked:
    SCHEDULED, on the 20th of the month after each quarter, with the deployment's parameters."""
    deadline = time.monotonic() + 90
    runs: list[dict[str, Any]] = []
    while not runs:
        assert time.monotonic() < deadline, log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
        time.sleep(1)
        runs = post(
            f"{api}/flow_runs/filter",
            {"deployments": {"id": {"any_": [deployment_id]}}, "limit": 10, "sort": "EXPECTED_START_TIME_ASC"},
        )
    assert {str(r["state_type"]) for r in runs} == {"SCHEDULED"}
    starts = [str(r["expected_start_time"]) for r in runs]
    assert all(s[8:10] == "20" and s[5:7] in ("01", "04", "07", "10") for s in starts), starts
    assert all(r["parameters"] == {"actor": "quarterly-review-deployment", "quarter": None, "reports": None,
                                   "chunk_size": 200} for r in runs)  # fmt: skip
    return runs


def stored_examples(governance_url: str, tmp_path: Path, seed: str) -> tuple[Any, list[str]]:
    """The governance database at `governance_url` migrated, the stage-gate policy adopted and the example
    proposals stored as `governance submit` stores them (the copy read is deleted): the store and the refs."""
    from governance import adoption
    from governance.clock import FixedClock, SeededIds
    from governance.ledger import Ledger
    from governance.policy import load_policy
    from governance.store import Store

    from ..conftest import EXAMPLES, START

    store = Store(governance_url)
    store.upgrade()
    adoption.adopt_policy(store, Ledger(FixedClock(START), SeededIds(seed)), load_policy("stage-gate"), Actor.of("ana"))
    return store, stash_copy(store, EXAMPLES / "proposals", tmp_path)


def stash_copy(store: Any, source: Path, tmp_path: Path) -> list[str]:
    """The files of `source` stored as `governance submit` stores them, from a copy then deleted: gone from
    every disk a worker could see. Their references."""
    import shutil

    from governance import inputs

    copy = tmp_path / "submitted" / source.name
    shutil.copytree(source, copy)
    refs = inputs.stash(store, inputs.read_here([copy]))
    shutil.rmtree(copy)
    return refs
