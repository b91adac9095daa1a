"""`governance server start | stop | status`: a local Prefect server and the runner serving the deployments."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.context import load_settings, out

__all__ = ["server_app"]

server_app = typer.Typer(
    help="A local Prefect server (and deployment runner) for faster commands.", no_args_is_help=True
)


@server_app.command("start")
def server_start(port: Annotated[int, typer.Option(min=1, max=65535, help="Port on 127.0.0.1.")] = 4200) -> None:
    """Start a local Prefect server (own SQLite) and a runner serving the deployments.

    Example: governance server start --port 4200
    """
    from flows.server import start

    out.print(start(load_settings(), port))


@server_app.command("stop")
def server_stop() -> None:
    """Stop the local Prefect server and its runner.

    Example: governance server stop
    """
    from flows.server import stop

    out.print(stop(load_settings()))


@server_app.command("status")
def server_status() -> None:
    """Say whether the local server runs and which mode commands use now.

    Example: governance server status
    """
    from flows.server import status

    out.print(status(load_settings()))
