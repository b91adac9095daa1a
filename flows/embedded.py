"""The embedded Prefect server, tied to the command that started it.

Without `PREFECT_API_URL` or a `governance server`, a command needs a temporary Prefect server.
Prefect would start one itself (`SubprocessASGIServer`), but a command killed with -9 left it
running (about 200 MB) with nothing to stop it. This starts the same server, the same way
(uvicorn, Prefect's app factory, the same environment), with the kernel's parent-death signal set
in the child: when the command dies, however it dies, the server gets SIGTERM. A normal exit stops
it at interpreter exit, after Prefect's queued events and logs are sent.

Imported before prefect (it imports nothing of Prefect's).
"""

from __future__ import annotations

import atexit
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from governance.errors import ConfigError

__all__ = ["embedded_url", "start_embedded"]

_PR_SET_PDEATHSIG = 1
_process: subprocess.Popen[bytes] | None = None
_url: str | None = None


def embedded_url() -> str | None:
    """The API of this process's embedded server, while it runs."""
    return _url if _process is not None and _process.poll() is None else None


def start_embedded(timeout: float) -> str:
    """Start this process's embedded server (once) and return its API address.

    Raises:
        ConfigError: the server did not answer within `timeout` seconds (its exit status named).
    """
    global _process, _url
    running = embedded_url()
    if running is not None:
        return running
    port = _free_port()
    env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
    env.pop("PREFECT_API_URL", None)
    command = [sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "error", "--lifespan", "on"]
    parent = os.getpid()
    _process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, preexec_fn=lambda: _die_with(parent))
    _url = f"http://127.0.0.1:{port}/api"
    atexit.register(stop_embedded)  # registered before prefect is imported: runs after Prefect's own exit work
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _process.poll() is not None:
            status = _process.returncode
            stop_embedded()
            raise ConfigError(f"the embedded Prefect server exited at start (status {status})")
        if _answers(_url):
            return _url
        time.sleep(0.1)
    stop_embedded()
    raise ConfigError(
        f"the embedded Prefect server did not answer within {timeout:.0f} s "
        "(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS); `governance server start` keeps one running"
    )


def stop_embedded() -> None:
    """Stop the embedded server (SIGTERM, then SIGKILL after 10 s)."""
    global _process, _url
    process, _process, _url = _process, None, None
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _die_with(parent: int) -> None:
    """In the child, before exec: SIGTERM when the parent dies (Linux), or exit now if it already has."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the atexit stop still runs on a normal exit
        return
    if os.getppid() != parent:
        os._exit(1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=1) as response:  # noqa: S310 - loopback
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False
