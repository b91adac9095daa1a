"""`submit_one`: wall time of the real CLI, `governance submit one.yaml`, in a subprocess.

Each run gets its own working folder where `governance init` ran first (not timed), so every run
files one new proposal. Against the running local server (PREFECT_API_URL given to the child, its
own PREFECT_HOME) it is the median of `runs` runs; on the embedded default (no PREFECT_* at all:
the CLI keeps the embedded server's state under the folder's `.governance/`, new each run) one
run. The floor, run interleaved with the server runs: `python -c "import prefect; <one trivial
@flow call>"` against the same server, heartbeat off as the CLI runs it.
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
    run_timed([_governance(), "init"], clean_env({"GOVERNANCE_ACTOR": "bench"}), folder)
    return folder


def _submit(folder: Path, extra: dict[str, str]) -> float:
    env = clean_env({"GOVERNANCE_ACTOR": "bench", **extra})
    done = run_timed([_governance(), "submit", "one.yaml"], env, folder)
    if "Filed" not in done.value:
        raise RuntimeError(f"governance submit did not file the proposal:\n{done.value[-2000:]}")
    return done.seconds


def submit_figure(root: Path, api_url: str, runs: int, seed: int) -> dict[str, Any]:
    root.mkdir(parents=True, exist_ok=True)
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
        "server_s": round(server_med, 3),
        "floor_s": round(floor_med, 3),
        "ratio": round(server_med / floor_med, 3),
        "server_runs_s": [round(s, 3) for s in server_s],
        "floor_runs_s": [round(s, 3) for s in floor_s],
        "embedded_s": round(embedded_s, 3),
        "embedded_runs": 1,
        "target_s": TARGET_S,
        "meets_targets": server_med < TARGET_S,
    }
