"""The deployment runner started by `governance server start`: serves the project's flows."""

from __future__ import annotations

import contextlib
import inspect
import os
import signal
import sys
import threading
import time
from pathlib import Path

from flows.runtime import configure_prefect, server_healthy
from governance.settings import load_settings

# The runner outlives nothing it serves: with its server gone for this long, it ends its process group.
SERVER_GONE_AFTER_S = 30.0


def watch_server(api_url: str, *, every: float = 5.0, gone_after: float = SERVER_GONE_AFTER_S) -> threading.Thread:
    """A daemon thread that ends this process group once the server at `api_url` stops answering.

    `governance server start` runs the server and this runner as two processes; a server killed with -9
    would otherwise leave the runner polling a dead API for ever.
    """

    def watch() -> None:
        last_seen = time.monotonic()
        while True:
            time.sleep(every)
            if server_healthy(api_url, timeout=2.0):
                last_seen = time.monotonic()
            elif time.monotonic() - last_seen > gone_after:
                sys.stderr.write(f"the Prefect server at {api_url} stopped answering: the runner ends\n")
                sys.stderr.flush()
                with contextlib.suppress(OSError):
                    os.killpg(os.getpgid(0), signal.SIGTERM)
                time.sleep(5)  # SIGTERM may be ignored by Prefect's runner: end this process regardless
                os._exit(3)

    thread = threading.Thread(target=watch, name="server-watch", daemon=True)
    thread.start()
    return thread


def main() -> None:
    settings = load_settings()
    # The runner's deployment runs read the database from here (flows.runtime.check_settings), not from a parameter.
    os.environ["GOVERNANCE_DATABASE_URL"] = settings.resolved_database_url()
    configure_prefect(settings)
    api_url = os.environ.get("PREFECT_API_URL")
    if api_url:
        watch_server(api_url)
    from prefect import serve

    token, port_file = os.environ.get("GOVERNANCE_GATEWAY_TOKEN"), os.environ.get("GOVERNANCE_GATEWAY_PORT_FILE")
    if token and port_file:
        from flows.gateway import serve_gateway

        serve_gateway(token, Path(port_file))

    from flows.gates import gate_review_flow, score_flow
    from flows.intake import intake_flow, intake_part_flow
    from flows.review import quarterly_review_flow

    deployments = []
    for flow_, name, description in (
        (intake_flow, "intake", "File a batch of proposal files."),
        (intake_part_flow, "intake-part", "Read, validate and screen one part of a spread intake."),
        (score_flow, "score", "Score proposals from assessment files."),
        (gate_review_flow, "gate-review", "Recommend at a gate, then wait for the board's decision."),
        (quarterly_review_flow, "quarterly-review", "The quarterly review, then wait for the board's answer."),
    ):
        deployment = flow_.to_deployment(name=name, description=description)
        assert not inspect.isawaitable(deployment)  # sync context: to_deployment returns the deployment itself
        deployments.append(deployment)
    serve(*deployments)


if __name__ == "__main__":
    main()
