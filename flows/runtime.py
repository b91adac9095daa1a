"""Which Prefect a command talks to, and the environment it needs. Imported before prefect.

The rule (also in the README):
1. `PREFECT_API_URL` set: that server.
2. else a local server started by `governance server start` that answers: that server.
3. else an embedded temporary server (about 10 s to start in every process; `flows.embedded` ties
   it to the command, so it ends with the command however the command ends).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from governance.errors import ConfigError
from governance.ledger import Ledger
from governance.settings import Settings, load_settings
from governance.store import Store

__all__ = [
    "EMBEDDED_STARTUP_TIMEOUT",
    "Mode",
    "check_settings",
    "configure_prefect",
    "drain_prefect",
    "open_engine",
    "read_server_state",
    "server_healthy",
    "state_file",
]

QUIET = {
    # Analytics try a DNS lookup that fails without a network; flow and task logs stay in the
    # Prefect UI instead of the terminal.
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_LOGGING_LEVEL": "ERROR",
}
EMBEDDED_ONLY = {
    # The embedded server's task-run recorder is cancelled mid-write when the process exits and
    # prints "Error flushing events". The embedded server lives only as long as the command, so
    # its task-run history is not worth that noise; a real server keeps the recorder on.
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED": "false",
    # 20 s by default: on a loaded 2-core machine the embedded server took longer and the command failed.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
}
EMBEDDED_STARTUP_TIMEOUT = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"


@dataclass(frozen=True, slots=True)
class Mode:
    kind: Literal["api-url", "local-server", "embedded"]
    api_url: str | None

    def describe(self) -> str:
        if self.kind == "embedded":
            return "embedded Prefect server (start `governance server start` for faster commands)"
        source = "PREFECT_API_URL" if self.kind == "api-url" else "governance server"
        return f"Prefect server {self.api_url} ({source})"


def state_file(settings: Settings) -> Path:
    return settings.home.resolve() / "server.json"


def read_server_state(settings: Settings) -> dict[str, object] | None:
    path = state_file(settings)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def server_healthy(api_url: str, timeout: float = 1.0) -> bool:
    if not api_url.startswith(("http://127.0.0.1", "http://localhost")):
        return False
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=timeout) as response:  # noqa: S310
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def configure_prefect(settings: Settings) -> Mode:
    """Point Prefect at the right server and quiet it. Call before importing prefect."""
    for key, value in QUIET.items():
        os.environ.setdefault(key, value)
    home = settings.home.resolve()
    from flows.embedded import embedded_url

    if embedded_url() is not None:  # this process's own embedded server (flows.embedded), already started
        return Mode("embedded", None)
    if os.environ.get("PREFECT_API_URL"):
        return Mode("api-url", os.environ["PREFECT_API_URL"])
    state = read_server_state(settings)
    api_url = str(state.get("api_url")) if state else None
    if api_url and server_healthy(api_url):
        os.environ["PREFECT_API_URL"] = api_url
        return Mode("local-server", api_url)
    # Embedded: keep the temporary server's database in our own folder, not the user's ~/.prefect.
    for key, value in EMBEDDED_ONLY.items():
        os.environ.setdefault(key, value)
    prefect_home = Path(os.environ.setdefault("PREFECT_HOME", str(home / "prefect-embedded")))
    prefect_home.mkdir(parents=True, exist_ok=True)
    return Mode("embedded", None)


def drain_prefect(timeout: float = 15) -> None:
    """Send Prefect's queued events and logs while its server still answers.

    Otherwise the embedded server can stop first and Prefect prints "EventsWorker - Still
    processing items" at exit.
    """
    import logging
    import sys

    if "prefect" not in sys.modules:
        return
    # Prefect's queue services log through loggers named after their class, outside the "prefect"
    # logger tree, so PREFECT_LOGGING_LEVEL does not reach them; their progress notes at exit are
    # not for the person at the terminal.
    for name in ("EventsWorker", "APILogWorker"):
        logging.getLogger(name).setLevel(logging.ERROR)
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        try:
            worker.drain_all(timeout=timeout)
        except RuntimeError:  # a worker that never started has nothing to send
            continue


def open_engine(database_url: str | None) -> tuple[Store, Ledger]:
    """The store (the flow's `database_url`, else the settings') and a ledger on the settings' clock, ids and key.

    Each task opens its own: a task may run in another process than the flow that called it.
    """
    from flows.events import install

    install()  # events for the records this task commits, when a Prefect server outlives the run
    settings = load_settings()
    ledger = Ledger(settings.clock(), settings.ids(), key=settings.ledger_secret())
    return Store(database_url or settings.resolved_database_url()), ledger


def check_settings(database_url: str | None, deployed: bool) -> None:
    """Every setting a flow run needs, checked before its first task: one clear error naming the setting.

    A deployment's run (on a worker, or `governance server start`'s runner) takes the governance database
    from `GOVERNANCE_DATABASE_URL` on the host that runs it, which must be set there: the default, a SQLite
    file in whatever folder the worker runs in, is never what an operator means.

    Raises:
        ConfigError: GOVERNANCE_DATABASE_URL is not set where a deployment's run runs.
        StoreError: the database cannot be opened or has not been brought to this engine's schema.
    """
    if database_url is None and deployed and not os.environ.get("GOVERNANCE_DATABASE_URL", "").strip():
        raise ConfigError(
            "GOVERNANCE_DATABASE_URL is not set on the host running this flow: set it in the worker's "
            "environment (deploy/README.md, step 6)"
        )
    store, _ = open_engine(database_url)
    try:
        store.require_schema()
    finally:
        store.dispose()
