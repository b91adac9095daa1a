"""`submit_one`: wall time of the real CLI, `governance submit one.yaml`, in a subprocess.

Each run gets its own working folder where `governance init` ran first (not timed), so every run
files one new proposal. Three ways, each the median of `runs` runs unless said otherwise:
- `server_s`, the fast path the README promises: `governance server start` runs (its own Prefect
  server and runner, started once, not timed; the first submit after the start warms the runner up
  and is reported apart as `server_first_s`), and the CLI hands the intake flow to the runner's
  gateway. Its floor `gateway_floor_s`: a bare `python -c` that sends the same request to the same
  gateway (`flows.gateway.call`): the same flow run, without the CLI around it.
- `api_url_s`: PREFECT_API_URL pointing at the bench's plain Prefect server (no runner): the CLI
  imports Prefect and runs the flow itself. Its floor `floor_s`: `python -c "import prefect; <one
  trivial @flow call>"` against the same server, heartbeat off as the CLI runs it.
- `embedded_s`: no PREFECT_* at all (one run): Prefect's embedded server, started by the command.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from bench.common import clean_env, log, median, quiet_prefect_env, run_timed
from bench.data import write_one_yaml

__all__ = ["submit_figure"]

TARGET_S = 3.0
FLOOR_CODE = """\
import prefect
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

@prefect.flow(persist_result=False)
def trivial() -> int:
    return 1

with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
    assert trivial() == 1
"""


def _governance() -> str:
    script = Path(sys.executable).parent / "governance"
    if not script.exists():
        raise RuntimeError(f"no governance script next to {sys.executable}: install the project first")
    return str(script)


def _folder(root: Path, name: str, seed: int) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    write_one_yaml(folder / "one.yaml", seed, ref=f"BENCH-{name.upper()}")
    run_timed([_governance(), "init"], clean_env({}), folder)
    return folder


def _submit(folder: Path, extra: dict[str, str]) -> float:
    env = clean_env({**extra})
    done = run_timed([_governance(), "submit", "one.yaml"], env, folder)
    if "Filed" not in done.value:
        raise RuntimeError(f"governance submit did not file the proposal:\n{done.value[-2000:]}")
    return done.seconds


GATEWAY_FLOOR = """\
import json, sys
from flows.gateway import call
state = json.load(open(sys.argv[1]))
report = call(state["gateway_url"], state["gateway_token"], "intake", [[sys.argv[2]], "bench", sys.argv[3], 500])
assert [f.action for f in report.filings] == ["filed"], report
"""


def _gateway_figures(root: Path, runs: int, seed: int) -> dict[str, Any]:
    """`governance server start` once, then the CLI and the bare gateway request, interleaved."""
    home = root / "gateway-home"
    env = clean_env({"GOVERNANCE_HOME": str(home)})
    starter = root / "gateway-start"
    starter.mkdir()
    run_timed([_governance(), "init"], env, starter)
    started = run_timed([_governance(), "server", "start", "--port", str(_free_port())], env, starter, timeout=300)
    log(f"submit_one: governance server start took {started.seconds:.1f} s")
    try:
        first = _submit(_folder(root, "gateway-first", seed), {"GOVERNANCE_HOME": str(home)})
        cli_s: list[float] = []
        floor_s: list[float] = []
        for i in range(runs):
            folder = _folder(root, f"gateway-floor-{i}", seed)
            floor_s.append(
                run_timed(
                    [sys.executable, "-c", GATEWAY_FLOOR, str(home / "server.json"), "one.yaml", _url(folder)],
                    env,
                    folder,
                ).seconds
            )
            cli_s.append(_submit(_folder(root, f"gateway-{i}", seed), {"GOVERNANCE_HOME": str(home)}))
            log(f"submit_one: gateway run {i + 1}/{runs}: floor {floor_s[-1]:.2f} s, submit {cli_s[-1]:.2f} s")
    finally:
        run_timed([_governance(), "server", "stop"], env, starter)
    return {
        "server_first_s": round(first, 3),
        "server_s": round(median(cli_s), 3),
        "gateway_floor_s": round(median(floor_s), 3),
        "gateway_ratio": round(median(cli_s) / median(floor_s), 3),
        "server_runs_s": [round(s, 3) for s in cli_s],
        "gateway_floor_runs_s": [round(s, 3) for s in floor_s],
    }


def _url(folder: Path) -> str:
    return f"sqlite:///{folder / 'governance.db'}"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def submit_figure(root: Path, api_url: str, runs: int, seed: int) -> dict[str, Any]:
    root.mkdir(parents=True, exist_ok=True)
    gateway = _gateway_figures(root, runs, seed)
    log("submit_one: embedded default (1 run)")
    embedded_s = _submit(_folder(root, "embedded", seed), {})
    log(f"submit_one: embedded took {embedded_s:.2f} s")
    server_s: list[float] = []
    floor_s: list[float] = []
    for i in range(runs):
        floor_home = root / f"floor-{i}"
        floor_home.mkdir()
        floor_env = clean_env({**quiet_prefect_env(), "PREFECT_API_URL": api_url, "PREFECT_HOME": str(floor_home)})
        floor_s.append(run_timed([sys.executable, "-c", FLOOR_CODE], floor_env, floor_home).seconds)
        folder = _folder(root, f"server-{i}", seed)
        (folder / "prefect-home").mkdir()
        server_s.append(_submit(folder, {"PREFECT_API_URL": api_url, "PREFECT_HOME": str(folder / "prefect-home")}))
        log(f"submit_one: run {i + 1}/{runs}: floor {floor_s[-1]:.2f} s, submit {server_s[-1]:.2f} s")
    server_med, floor_med = median(server_s), median(floor_s)
    return {
        **gateway,
        "api_url_s": round(server_med, 3),
        "floor_s": round(floor_med, 3),
        "ratio": round(server_med / floor_med, 3),
        "api_url_runs_s": [round(s, 3) for s in server_s],
        "floor_runs_s": [round(s, 3) for s in floor_s],
        "embedded_s": round(embedded_s, 3),
        "embedded_runs": 1,
        "target_s": TARGET_S,
        "meets_targets": gateway["server_s"] < TARGET_S,
    }
