"""The deployment runner started by `governance server start`: serves the project's flows."""

from __future__ import annotations

import inspect

from flows.runtime import configure_prefect
from governance.settings import load_settings


def main() -> None:
    configure_prefect(load_settings())
    from prefect import serve

    from flows.intake import intake_flow

    deployment = intake_flow.to_deployment(name="intake", description="File a batch of proposal files.")
    assert not inspect.isawaitable(deployment)  # sync context: to_deployment returns the deployment itself
    serve(deployment)


if __name__ == "__main__":
    main()
