"""Shared helpers: progress on stderr, timing, subprocess environments and a local Prefect server."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from flows.runtime import QUIET
from governance.adoption import adopt_policy
from governance.authority import Actor
from governance.ledger import Ledger, VerifyReport, verify
from governance.policy import load_policy
from governance.store import Store

__all__ = [
    "ROOT",
    "LocalServer",
    "Timed",
    "burn",
    "clean_env",
    "fresh_database",
    "local_server",
    "log",
    "median",
    "parallel_speedup",
    "quiet_prefect_env",
    "run_timed",
    "settled",
    "spawn",
    "sqlite_url",
    "timed",
    "verified",
]

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def log(message: str) -> None:
    """Progress goes to stderr; stdout carries only the JSON document."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def settled() -> None:
    """Wait, untimed, for the selection's threads that outlive a solve: when the root LP proves the
    program, `solve` returns without waiting for plain HiGHS, which ends at its next check (after
    its presolve, which HiGHS does not interrupt: up to 0.12 s on the 5,000-candidate program). The
    next run measured, the floor's or ours, then has the machine as the one before had it."""
    for thread in threading.enumerate():
        if thread.name.startswith("selection") and thread is not threading.current_thread():
            thread.join()


@dataclass(frozen=True, slots=True)
class Timed(Generic[T]):
    seconds: float
    value: T


def timed(fn: Callable[[], T]) -> Timed[T]:
    start = time.perf_counter()
    value = fn()
    return Timed(time.perf_counter() - start, value)


def median(values: list[float]) -> float:
    return statistics.median(values)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def fresh_database(path: Path, actor: str = "bench") -> str:
    """A new SQLite database with the schema and the stage-gate policy adopted (as `governance init`)."""
    from governance.clock import RandomIds, SystemClock

    url = sqlite_url(path)
    store = Store(url)
    try:
        store.upgrade()
        adopt_policy(store, Ledger(SystemClock(), RandomIds()), load_policy("stage-gate"), Actor.of(actor))
    finally:
        store.dispose()
    return url


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without any PREFECT_ or GOVERNANCE_ variable, plus `extra`.

    The bench process sets PREFECT_API_URL for itself; a child must only see what it is given.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GOVERNANCE_"))}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra or {})
    return env


def run_timed(args: list[str], env: Mapping[str, str], cwd: Path, timeout: float = 300) -> Timed[str]:
    """Wall time of one subprocess; its output is returned, and shown on failure."""
    start = time.perf_counter()
    done = subprocess.run(args, env=dict(env), cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} exited {done.returncode}\n--- stdout\n{done.stdout[-3000:]}\n"
            f"--- stderr\n{done.stderr[-3000:]}"
        )
    return Timed(seconds, done.stdout + done.stderr)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:  # noqa: S310 - loopback only
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@dataclass(frozen=True, slots=True)
class LocalServer:
    api_url: str
    pid: int
    start_s: float


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server's whole process group: SIGTERM, then SIGKILL after 15 s."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


def spawn(args: list[str], env: Mapping[str, str], log_path: Path, cwd: Path | None = None) -> subprocess.Popen[bytes]:
    """A process in its own session (stopped with its group by `_stop`), its output appended to `log_path`."""
    with log_path.open("ab") as sink:
        return subprocess.Popen(
            args, env=dict(env), cwd=cwd, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip


@contextlib.contextmanager
def local_server(home: Path, start_timeout: float = 180) -> Iterator[LocalServer]:
    """`prefect server start` on a free loopback port with its own PREFECT_HOME; stopped on exit."""
    home.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = clean_env(
        {
            "PREFECT_HOME": str(home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PREFECT_LOGGING_LEVEL": "WARNING",
        }
    )
    server_log = home / "server.log"
    start = time.perf_counter()
    process = spawn(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env,
        server_log,
    )
    try:
        while not _healthy(api_url):
            if process.poll() is not None:
                raise RuntimeError(f"the Prefect server exited; its log:\n{_tail(server_log)}")
            if time.perf_counter() - start > start_timeout:
                raise RuntimeError(f"the Prefect server did not answer in {start_timeout} s:\n{_tail(server_log)}")
            time.sleep(0.25)
        started = time.perf_counter() - start
        log(f"Prefect server up at {api_url} after {started:.1f} s")
        yield LocalServer(api_url, process.pid, started)
    finally:
        _stop(process)
        log("Prefect server stopped")


def _tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-chars:]
    except OSError:
        return "(no log)"


def quiet_prefect_env() -> dict[str, str]:
    """The variables the CLI sets for itself before importing prefect (flows/runtime.py)."""
    return dict(QUIET)


def verified(db: Path) -> VerifyReport:
    """`verify` of the SQLite file `db`; RuntimeError when the ledger does not verify (a side of a figure that
    filed nothing, or twice, or broke the chain)."""
    store = Store(sqlite_url(db))
    try:
        report = verify(store)
    finally:
        store.dispose()
    if not report.ok:
        raise RuntimeError(f"{db}: the ledger does not verify: {report.problems[:3]}")
    return report


def burn(count: int) -> float:
    """Seconds of a CPU-bound loop (a module-level function, so spawned pool workers can import it)."""
    start = time.perf_counter()
    total = 0
    for i in range(count):
        total += i
    return time.perf_counter() - start


def parallel_speedup() -> float:
    """What two CPU-bound processes get done together against one alone (2.0 = two real cores).

    On this machine it read about 1.0: the two CPUs deliver about one CPU of throughput, which
    caps every figure that counts on both cores (the pack pool, a parallel walk)."""
    import multiprocessing

    one = burn(10_000_000)
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(burn, [1, 1])  # both workers up (and this module imported) before the clock starts
        start = time.perf_counter()
        pool.map(burn, [10_000_000, 10_000_000])
        both = time.perf_counter() - start
    return round(2 * one / both, 2)
