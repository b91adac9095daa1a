"""The root of the `governance` command: it registers each group and turns our errors into one line.

A `GovernanceError` prints as `error[code]: ...` and exits 1, and so does a flows or Prefect package that
does not import; bad usage is typer's message and exit 2; anything else is a bug and is allowed to surface
as one. The groups never import this module.
"""

from __future__ import annotations

import sys

import typer

from cli import analytics, audit, benefits, board, demo, imports, packs, proposals, review, risk, scenario, server
from cli.context import err
from governance.errors import GovernanceError, InputRefused

__all__ = ["app", "main"]

app = typer.Typer(
    name="governance",
    help="Portfolio governance engine: intake, stage gates, board decisions and an auditable ledger.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
# Commands first, in the order a newcomer meets them; then the groups of subcommands.
for commands in (
    proposals.app,
    audit.app,
    board.app,
    demo.app,
    packs.app,
    review.app,
    risk.app,
    benefits.app,
    analytics.app,
):
    app.add_typer(commands)
app.add_typer(server.server_app, name="server")
app.add_typer(board.policy_app, name="policy")
app.add_typer(board.condition_app, name="condition")
app.add_typer(audit.keys_app, name="keys")
app.add_typer(packs.pack_app, name="pack")
app.add_typer(imports.import_app, name="import")
app.add_typer(scenario.scenario_app, name="scenario")


def main() -> None:
    """Entry point: run the app, turning our errors into one clear line and a non-zero exit."""
    try:
        app()
    except InputRefused as refused:
        err.print(f"error[{refused.code}]: {refused.message}")
        for problem in refused.problems:
            err.print(f"  {problem}")
        sys.exit(1)
    except GovernanceError as error:
        err.print(f"error[{error.code}]: {error.message}")
        sys.exit(1)
    except OSError as error:
        # A file or folder the command was pointed at that the system refuses (not a folder, a symlink loop,
        # no permission): the person's to fix, named in one line. Without a file name it is a bug.
        if error.filename is None:
            raise
        err.print(f"error[file-unusable]: {error.filename}: {error.strerror or error}")
        sys.exit(1)
    except ImportError as error:
        # The orchestration layer (our flows package, Prefect) failing to import is an install problem, not
        # a bug of the command: one line naming it. Any other import error is a bug and surfaces as one.
        if (error.name or "").partition(".")[0] not in ("flows", "prefect"):
            raise
        err.print(f"error[config-invalid]: {error.name} does not import ({error}): reinstall (make install)")
        sys.exit(1)
