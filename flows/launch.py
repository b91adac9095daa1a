"""The one way in from outside flows/: start a flow here or a deployment on a Prefect server.

Nothing outside flows/ imports a flow module or prefect itself; it calls these. Which Prefect a
call talks to follows the rule in `flows.runtime` (PREFECT_API_URL, else a running `governance
server`, else the embedded server). The flow modules, and prefect with them, are imported only
inside these functions, after the Prefect environment is set: importing this module is cheap.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from flows.gateway import FLOWS
from flows.runtime import (
    EMBEDDED_STARTUP_TIMEOUT,
    Mode,
    configure_prefect,
    drain_prefect,
    read_server_state,
    server_healthy,
)
from governance.errors import ConfigError, ConflictError, InputRefused
from governance.settings import Settings

if TYPE_CHECKING:
    from flows.gates import GateAllReport, GateReviewResult
    from flows.intake import IntakeReport
    from flows.review import ReviewResult
    from governance.sources import Source

__all__ = [
    "Started",
    "notify_records",
    "prefect_mode",
    "run_gate",
    "run_gate_all",
    "run_intake",
    "run_review",
    "run_score",
    "start_gate_review",
    "start_quarterly_review",
]

# The flows the runner's gateway runs for a command, by flow function: flows.gateway.FLOWS turned round.
_GATEWAY_NAMES = {function: name for name, (_, function) in FLOWS.items()}


@dataclass(frozen=True, slots=True)
class Started:
    """A flow run started from a deployment on a Prefect server."""

    api_url: str
    run_id: str
    reused: bool = False  # the open run already started with the same key, not a new one

    @property
    def ui_url(self) -> str:
        return f"{self.api_url.removesuffix('/api')}/runs/flow-run/{self.run_id}"


def notify_records() -> bool:
    """Emit a Prefect event for every record this command commits, when `PREFECT_API_URL` names a server.

    Cheap: prefect is imported only when a record is committed (flows.events), never by a read command.
    """
    from flows.events import install

    return install()


def prefect_mode(settings: Settings) -> Mode:
    """Which Prefect the next flow or deployment runs on (and its environment, set up)."""
    return configure_prefect(settings)


def _gateway(settings: Settings, flow_name: str) -> tuple[str, str, str] | None:
    """The local runner's gateway (url, token, flow) for this flow, when `governance server start` runs it."""
    if os.environ.get("PREFECT_API_URL") or flow_name not in _GATEWAY_NAMES:
        return None
    state = read_server_state(settings)
    if not state or "gateway_url" not in state or not server_healthy(str(state.get("api_url"))):
        return None
    return str(state["gateway_url"]), str(state["gateway_token"]), _GATEWAY_NAMES[flow_name]


def _require_prefect() -> None:
    """Prefect imports here, or one clear error (a broken or missing install is no traceback)."""
    try:
        importlib.import_module("prefect")
    except ImportError as exc:
        raise ConfigError(
            f"Prefect does not import ({type(exc).__name__}: {exc}): this command runs a flow; install the "
            "project's dependencies (make install) or start `governance server start` where it does"
        ) from None


def _require_server(api_url: str) -> None:
    """The Prefect API at `api_url` answers (any HTTP status), or one clear error naming it."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=10):  # noqa: S310 - the user's API URL
            return
    except urllib.error.HTTPError:
        return  # it answers; whatever it says about /health, the flow's own calls will tell
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ConfigError(f"cannot reach the Prefect server at {api_url} (PREFECT_API_URL): {reason}") from None


def _preflight(settings: Settings) -> Mode:
    """Before anything is stored or started: the Prefect this command runs on is there and answers."""
    mode = configure_prefect(settings)
    if mode.kind == "api-url" and mode.api_url:
        _require_server(mode.api_url)
    if mode.kind != "local-server":  # the local server's runner runs the flows: this process needs no Prefect
        _require_prefect()
    return mode


def _call_flow(settings: Settings, module: str, name: str, *args: Any) -> Any:
    """Run the flow `module.name`, on the Prefect the rule picks, quietly.

    With `governance server start` running, the runner's gateway runs it (this process never
    imports Prefect: the fast path); otherwise it runs in this process.
    """
    gateway = _gateway(settings, name)
    if gateway is not None:
        from flows.gateway import call

        _same_database(settings)
        return call(*gateway, list(args))
    if _preflight(settings).kind == "embedded":
        from flows.embedded import start_embedded

        os.environ["PREFECT_API_URL"] = start_embedded(float(os.environ[EMBEDDED_STARTUP_TIMEOUT]))
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    flow_ = getattr(importlib.import_module(module), name)
    try:
        # Without this every sync flow call waits about a second for its heartbeat thread.
        with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            return flow_(*args)
    finally:
        drain_prefect()


def _stored(settings: Settings, items: Sequence[Source]) -> list[str]:
    """The files read here (if they are not yet) and stored in the governance database: their references.

    A flow run gets these, never a path: the host that runs it may be another machine.
    """
    from governance.inputs import read_here, stash
    from governance.sources import SubmittedFile
    from governance.store import Store

    _preflight(settings)
    read = [i for i in items if isinstance(i, SubmittedFile)]
    files = read if len(read) == len(items) else read_here([str(i) for i in items])
    db = Store(settings.resolved_database_url())
    try:
        db.require_schema()
        return stash(db, files)
    finally:
        db.dispose()


def run_intake(settings: Settings, sources: Sequence[Source], actor: str) -> IntakeReport:
    """The intake flow over proposal files and folders (stored in the database first)."""
    refs = _stored(settings, sources)
    return cast(
        "IntakeReport",
        _call_flow(settings, "flows.intake", "intake_flow", refs, actor, None, settings.chunk_size),
    )


def run_score(settings: Settings, sources: Sequence[Source], actor: str) -> list[dict[str, Any]]:
    """The scoring flow over assessment files; the ranking, or InputRefused with every problem."""
    report = _call_flow(settings, "flows.gates", "score_flow", _stored(settings, sources), actor, None)
    if report.problems:
        raise InputRefused(report.problems)
    return cast("list[dict[str, Any]]", report.ranking)


def run_gate(settings: Settings, proposal_id: str, actor: str) -> GateReviewResult:
    """The gate review as a local flow run: it stops at "awaiting decision"."""
    return cast(
        "GateReviewResult",
        _call_flow(settings, "flows.gates", "gate_review_flow", proposal_id, actor, None),
    )


def run_gate_all(settings: Settings, actor: str, proposal_ids: list[str] | None = None) -> GateAllReport:
    """Recommendations for every proposal awaiting a gate (or those named) in one local flow run."""
    return cast(
        "GateAllReport",
        _call_flow(settings, "flows.gates", "gate_all_flow", actor, None, settings.chunk_size, proposal_ids),
    )


def run_review(settings: Settings, quarter: str | None, reports: Sequence[Source], actor: str) -> ReviewResult:
    """The quarterly review as a local flow run: it stops awaiting the board's answer."""
    refs = _stored(settings, reports) if reports else None
    return cast(
        "ReviewResult",
        _call_flow(
            settings,
            "flows.review",
            "quarterly_review_flow",
            quarter,
            refs,
            actor,
            None,
            None,
            settings.chunk_size,
        ),
    )


def _same_database(settings: Settings) -> None:
    """The local server's runner must serve this command's database (it reads its own settings)."""
    state = read_server_state(settings) or {}
    theirs, ours = state.get("database_url"), settings.resolved_database_url()
    if theirs is not None and theirs != ours:
        raise ConfigError(
            f"the local Prefect server's runner serves the database {theirs}, this command's is {ours}: "
            "`governance server stop`, then start it again with this GOVERNANCE_DATABASE_URL"
        )


_FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def _start_deployment(settings: Settings, mode: Mode, name: str, parameters: dict[str, Any], key: str) -> Started:
    """A run of the deployment `name`, or the active run already started with the same `key`.

    The key (Prefect's idempotency key) makes a repeated command, or two people at once, start one run, not
    two; once that run has finished, the same command starts a new one. The ledger's unique keys remain the
    authority on what is recorded; this keeps the queue from doing the work twice. The run's parameters hold
    only what a board member may read: the worker (or the local runner) takes the database from its own
    environment, never from a run parameter.
    """
    if mode.kind == "local-server":
        _same_database(settings)
    _preflight(settings)
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            deployment = client.read_deployment_by_name(name)
        except ObjectNotFound:
            flow_name = name.partition("/")[0]
            raise ConfigError(
                f"{mode.api_url} has no {flow_name} deployment: use `governance server start`, or deploy "
                "prefect.yaml and start a worker"
            ) from None
        attempt_key = key
        for _ in range(1000):  # each finished run with this key moves the key on past it
            response = client.request(
                "POST",
                "/deployments/{id}/create_flow_run",
                path_params={"id": deployment.id},
                json={"parameters": parameters, "idempotency_key": attempt_key},
            )
            run = response.json()
            if response.status_code == 201 or run["state_type"] not in _FINAL:
                break
            attempt_key = f"{key}:after:{run['id']}"
    reused = response.status_code != 201
    if reused and run["parameters"] != parameters:
        raise ConflictError(
            f"{name.partition('/')[0]} run {run['id']} with other parameters is still open ({run['state_name']}): "
            "answer or cancel it in the Prefect UI first"
        )
    return Started(mode.api_url or "", str(run["id"]), reused)


def start_gate_review(
    settings: Settings, mode: Mode, proposal_id: str, gate: int, scored_seq: int, actor: str
) -> Started:
    """Trigger the gate-review deployment; it suspends until the chair answers in the Prefect UI.

    One open run per proposal, gate and score card (`scored_seq`, the ledger position of the card the
    recommendation is made on): a new score card is a new review.
    """
    parameters = {"proposal_id": proposal_id, "actor": actor}
    key = f"gate-review:{proposal_id}:g{gate}:s{scored_seq}"
    return _start_deployment(settings, mode, "gate-review/gate-review", parameters, key)


def start_quarterly_review(
    settings: Settings, mode: Mode, quarter: str | None, reports: Sequence[Source], actor: str
) -> Started:
    """Trigger the quarterly-review deployment; it suspends until the board answers in the Prefect UI.

    One open run per quarter (the quarter that ended last, when none is given).
    """
    quarter = quarter or _last_quarter(settings)
    parameters = {
        "quarter": quarter,
        "reports": _stored(settings, reports) if reports else None,
        "actor": actor,
        "chunk_size": settings.chunk_size,
    }
    return _start_deployment(
        settings, mode, "quarterly-review/quarterly-review", parameters, f"quarterly-review:{quarter}"
    )


def _last_quarter(settings: Settings) -> str:
    from governance.adoption import current_policy
    from governance.calendar import last_ended_quarter, today_in
    from governance.store import Store

    db = Store(settings.resolved_database_url())
    try:
        with db.read() as conn:
            return last_ended_quarter(today_in(current_policy(conn).policy, settings.clock().now()))
    finally:
        db.dispose()
