"""`governance import ...`: bring in records from before the engine, and from the tools projects live in.

`import projects` (the engine's YAML/JSON, or a register through `--map`) and `import status` (a register
through `--map`, Microsoft Project XML, a Jira or Azure DevOps export through its map).
"""

from __future__ import annotations

import datetime as dt
import textwrap
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from cli.context import JsonOption, choice, ledger, opened, out, print_json, quarter, recorded_as

if TYPE_CHECKING:
    from governance.reports import FiledReport, ReadReport
    from governance.store import Store

__all__ = ["import_app", "render_import"]

import_app = typer.Typer(help="Bring in records from before the engine and from project tools.", no_args_is_help=True)

MapOption = Annotated[
    str | None,
    typer.Option("--map", metavar="MAP.yaml", help="How the file's columns become the engine's fields (a YAML map)."),
]


def _policy_currency(db: Store) -> str:
    from governance.adoption import current_policy

    with db.read() as conn:
        return current_policy(conn).policy.currency


@import_app.command("projects")
def import_projects_(
    paths: Annotated[
        list[str], typer.Argument(help="YAML or JSON files (or folders) of running projects; with --map, one register.")
    ],
    map_: MapOption = None,
    json_: JsonOption = False,
) -> None:
    """Import projects that were running before the engine was adopted (one `migrated` record each).

    Example: governance import projects examples/projects/
    Example: governance import projects gmpp.csv --map examples/imports/gmpp-projects.yaml
    """
    from cli.tables import Column, print_fitted
    from governance.projects import import_projects

    settings, db = opened()
    items = None
    if map_ is not None:
        from governance.imports import load_map, read_mapped_projects

        if len(paths) != 1:
            raise typer.BadParameter("with --map, give one register file", param_hint="'PATHS'")
        items = read_mapped_projects(paths[0], load_map(map_), map_, _policy_currency(db))
    done = import_projects(db, ledger(settings), paths, recorded_as(db), items=items)
    if json_:
        print_json([asdict(i) for i in done])
        return
    new = [i for i in done if i.action == "migrated"]
    out.print(f"Imported {len(new)} project(s); {len(done) - len(new)} already on file.")
    columns = [Column("id", id=True), Column("reference", id=True), Column("state"), Column("action")]
    print_fitted(out, columns, [(i.project_id, i.reference, i.state, i.action) for i in done])


@import_app.command("status")
def import_status(
    path: Annotated[str, typer.Argument(help="A register (.csv, .xlsx) with --map, or Microsoft Project XML (.xml).")],
    map_: MapOption = None,
    quarter_: Annotated[
        str | None,
        typer.Option("--quarter", callback=quarter, help="Only this quarter's rows (default: each row's own)."),
    ] = None,
    project: Annotated[
        str | None,
        typer.Option("--project", metavar="ID", help="The engine's project (id or reference) of an .xml plan."),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", metavar="YYYY-MM-DD", help="The status date where the file has none (.xml, exports)."),
    ] = None,
    risk: Annotated[
        str | None,
        typer.Option(
            "--risk",
            callback=choice("low", "medium", "high", "critical"),
            help="The risk level of an .xml plan (it has none).",
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check everything, record nothing.")] = False,
    json_: JsonOption = False,
) -> None:
    """Import status reports from a register, a Microsoft Project plan or a tracker export.

    Each report is filed as the engine's own (a `status-reported` record); the output says where each figure
    came from. Any problem refuses the whole file.

    Example: governance import status gmpp.csv --map examples/imports/gmpp.yaml --quarter 2021Q1
    Example: governance import status plan.xml --project P-2026-0007 --risk medium
    """
    from governance.imports import load_map, provenance
    from governance.reports import file_status_reports

    day = _date(as_of)
    settings, db = opened()
    code = _policy_currency(db)
    suffix = Path(path).suffix.lower()
    if suffix == ".xml":
        from governance.imports.mspdi import read_mspdi_status

        if project is None:
            raise typer.BadParameter("a Microsoft Project plan needs --project ID", param_hint="'--project'")
        read, sources = read_mspdi_status(path, project, code, quarter=quarter_, as_of=day, risk_level=risk)
    elif map_ is None:
        raise typer.BadParameter(
            f"a {suffix or 'file without a suffix'} file needs --map MAP.yaml: how its columns become the engine's "
            "fields (see examples/imports/)",
            param_hint="'--map'",
        )
    else:
        imap = load_map(map_)
        if imap.source == "register":
            from governance.imports import read_mapped_status

            read = read_mapped_status(path, imap, map_, code, quarter_)
            sources = provenance(imap, code)
        else:
            from governance.imports.trackers import read_tracker_status

            read, sources = read_tracker_status(path, imap, map_, code, quarter=quarter_, as_of=day)
    filed = file_status_reports(db, ledger(settings), read, recorded_as(db), dry_run=dry_run)
    render_import(read, filed, sources, Path(path).name, dry_run, json_, code)


def _date(given: str | None) -> dt.date | None:
    if given is None:
        return None
    try:
        return dt.date.fromisoformat(given)
    except ValueError:
        raise typer.BadParameter(f"{given!r}: expected a date like 2026-12-31", param_hint="'--as-of'") from None


def render_import(
    read: list[ReadReport],
    filed: list[FiledReport],
    sources: dict[str, str],
    name: str,
    dry_run: bool,
    json_: bool,
    code: str,
    out: Console = out,
) -> None:
    """What an import read (or filed), where each figure came from, and the reports at the terminal's width."""
    from cli.tables import Column, print_fitted
    from governance.canonical import to_plain
    from governance.money import compact

    actions = ["checked"] * len(read) if dry_run else [f.action for f in filed]  # filed in the reports' order
    if json_:
        print_json(
            {
                "file": name,
                "dry_run": dry_run,
                "sources": sources,
                "reports": [
                    {"label": item.label, "action": action, "report": to_plain(item.report.model_dump(mode="json"))}
                    for item, action in zip(read, actions, strict=True)
                ],
            }
        )
        return
    if dry_run:
        out.print(f"Checked {len(read)} status report(s) from {name}: nothing recorded (--dry-run).")
    else:
        counts: dict[str, int] = {}
        for action in actions:
            counts[action] = counts.get(action, 0) + 1
        done = ", ".join(f"{n} {a}" for a, n in sorted(counts.items()))
        out.print(f"Filed {len(read)} status report(s) from {name}: {done}.")
    out.print("Where the figures come from:")
    width = max((len(k) for k in sources), default=0)
    for field, where in sources.items():
        lines = textwrap.wrap(where, max(30, out.width - width - 4), break_long_words=False) or [""]
        out.print(f"  {field:<{width}}  {lines[0]}")
        for line in lines[1:]:
            out.print(f"  {'':<{width}}  {line}")
    out.print(f"Amounts in {code}: AC actual cost, PV planned value, EV earned value (to date).")
    columns = [
        Column("project", id=True),
        Column("quarter"),
        Column("AC", justify="right"),
        Column("PV", justify="right"),
        Column("EV", justify="right"),
        Column("done %", justify="right", priority=1),
        Column("risk", priority=2),
        Column("action", priority=3),
    ]
    rows = [
        (r.project, r.quarter, compact(r.actual_cost), compact(r.planned_value), compact(r.earned_value),
         f"{r.percent_complete}", r.risk_level, action)
        for r, action in ((item.report, action) for item, action in zip(read, actions, strict=True))
    ]  # fmt: skip
    print_fitted(out, columns, rows)
