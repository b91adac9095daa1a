"""The layers: imports point one way (models <- governance <- flows <- cli), no import cycle anywhere,
Prefect only in flows/, and the read commands load neither prefect, nor highspy, nor weasyprint.

Imports are read from the source (every `import`, also those inside functions), so a lazy import
that reaches up a layer is caught as well as a module-level one.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from governance.dependencies import cycles

from .commands import GOVERNANCE
from .conftest import ROOT

PACKAGES = ("models", "governance", "flows", "cli")
RANK = {name: rank for rank, name in enumerate(PACKAGES)}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:  # Alembic's scripts, loaded by Alembic by path
                continue
            found[_module_name(path)] = path
    return found


SOURCES = _sources()


def _imports(path: Path, *, top_level_only: bool = False) -> Iterator[tuple[str, int]]:
    """(imported module, line) for every import in the file; `from A import B` names A.B if B is a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                yield (full if full in SOURCES else node.module), node.lineno


def _ours(name: str) -> str | None:
    top = name.split(".")[0]
    return top if top in RANK else None


def test_every_package_is_read() -> None:
    assert {"models.records", "governance.ledger", "flows.launch", "cli.app"} <= SOURCES.keys()


def test_imports_point_one_way() -> None:
    wrong = []
    for module, path in SOURCES.items():
        own = RANK[module.split(".")[0]]
        for name, line in _imports(path):
            package = _ours(name)
            if package is not None and RANK[package] > own:
                wrong.append(f"{module}:{line} imports {name}")
    assert wrong == []


def test_prefect_is_imported_only_in_flows() -> None:
    wrong = [
        f"{module}:{line}"
        for module, path in SOURCES.items()
        if not module.startswith("flows")
        for name, line in _imports(path)
        if name.split(".")[0] == "prefect"
    ]
    assert wrong == []


def test_the_cli_groups_never_import_the_root_and_import_prefect_never_at_module_level() -> None:
    wrong = [
        f"{module}:{line} imports {name}"
        for module, path in SOURCES.items()
        if module.startswith("cli.") and module != "cli.app"
        for name, line in _imports(path)
        if name == "cli.app"
    ]
    wrong += [
        f"{module}:{line} imports {name} at module level"
        for module, path in SOURCES.items()
        if module.startswith(("cli", "flows.launch"))
        for name, line in _imports(path, top_level_only=True)
        if name.split(".")[0] == "prefect" or name in ("flows.gates", "flows.intake", "flows.review", "flows.serve")
    ]
    assert wrong == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Import loops (the engine's own dependency-loop finder, governance.dependencies.cycles)."""
    return cycles(sorted(graph), lambda module: sorted(graph.get(module, ())))


def test_cycles_are_found() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]


def test_no_import_cycle_anywhere() -> None:
    graph = {
        module: {name for name, _ in _imports(path) if name in SOURCES and name != module}
        for module, path in SOURCES.items()
    }
    # A package's own modules importing a sibling through the package is not a cycle with the package.
    for module in graph:
        graph[module] = {name for name in graph[module] if not module.startswith(name + ".")}
    assert _cycles(graph) == []


def test_no_module_over_600_lines() -> None:
    long = {m: n for m, p in SOURCES.items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600}
    assert long == {}


READ_COMMANDS = [
    (("list",), []),
    (("show", "P-2026-0001"), []),
    (("verify",), []),
    (("agenda",), []),
    (("export",), []),
    (("analytics",), []),
    (("pack", "quarter", "2026Q4"), ["weasyprint"]),  # the probe's control: a pack command loads the renderer
]


@pytest.mark.parametrize(("command", "loaded"), READ_COMMANDS, ids=[" ".join(c) for c, _ in READ_COMMANDS])
def test_read_commands_load_no_prefect_solver_or_renderer(
    tmp_path: Path, command: tuple[str, ...], loaded: list[str]
) -> None:
    """`governance list/show/verify` and friends in a real process: which heavy packages got imported."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVERNANCE_", "PREFECT_"))}
    subprocess.run([GOVERNANCE, "init"], cwd=tmp_path, env=env, check=True, capture_output=True)
    probe = (
        "import json, sys, runpy\n"
        f"sys.argv = {json.dumps(['governance', *command])}\n"
        "try:\n"
        "    from cli.app import main\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted(m for m in ('prefect', 'highspy', 'weasyprint') if m in sys.modules)\n"
        "sys.stderr.write('LOADED ' + json.dumps(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert json.loads(result.stderr.rsplit("LOADED ", 1)[-1]) == loaded, result.stderr
