"""The deployment runner started by `governance server start`: serves the project's flows."""

from __future__ import annotations

import inspect
import os
from pathlib import Path

from flows.runtime import configure_prefect
from governance.settings import load_settings


def main() -> None:
    configure_prefect(load_settings())
    from prefect import serve

    token, port_file = os.environ.get("GOVERNANCE_GATEWAY_TOKEN"), os.environ.get("GOVERNANCE_GATEWAY_PORT_FILE")
    if token and port_file:
        from flows.gateway import serve_gateway

        serve_gateway(token, Path(port_file))

    from flows.gates import gate_review_flow, score_flow
    from flows.intake import intake_flow
    from flows.review import quarterly_review_flow

    deployments = []
    for flow_, name, description in (
        (intake_flow, "intake", "File a batch of proposal files."),
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
