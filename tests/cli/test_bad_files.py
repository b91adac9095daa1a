"""The bad-file corpus (tests/data/bad, see its README) through the real `governance` command.

Each file is refused with the code its name gives: exit 1, one line naming the file and ending in
`[code]` (or `error[code]: ...` naming it, for policies), no traceback, no row written to any table,
no Prefect server started (bad input is refused before a flow run), and an answer within 10 s: a
command still running then is a hang. `tests/cli/conftest.py` prints the run's totals as one JSON line.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import get_args

import pytest

from governance.errors import ErrorCode, ProblemCode
from governance.policy import BUNDLED_POLICIES
from models.tables import Base

from ..commands import run
from ..conftest import EXAMPLES

BAD = Path(__file__).resolve().parent.parent / "data" / "bad"
TIMEOUT = 10.0
# <what-is-wrong>.<expected-code>.<ext>: lowercase words joined by dashes, then a known code.
WORDS = r"[a-z0-9]+(?:-[a-z0-9]+)*"
NAME = re.compile(rf"^(?P<what>{WORDS})\.(?P<code>{WORDS})\.(?P<ext>yaml|json|csv|txt)$")
CODES = frozenset(get_args(ErrorCode)) | frozenset(get_args(ProblemCode))


def _people_file_policy(path: Path, workdir: Path) -> list[str]:
    """`init` with the bundled Stage-Gate policy naming the bad people file, both copied into the workdir."""
    folder = workdir / "policy"
    (folder / "people").mkdir(parents=True)
    shutil.copy(path, folder / "people" / path.name)
    source = BUNDLED_POLICIES / "stage-gate.yaml"
    text = source.read_text(encoding="utf-8")
    assert text.count("people_file: people/nordwind.yaml") == 1
    (folder / source.name).write_text(text.replace("people/nordwind.yaml", f"people/{path.name}"), encoding="utf-8")
    return ["init", "--policy", str(folder / source.name)]


# The command that reads each format (the corpus's folder names).
COMMANDS: dict[str, Callable[[Path, Path], list[str]]] = {
    "proposal": lambda path, _: ["submit", str(path)],
    "assessment": lambda path, _: ["score", str(path)],
    "status-report": lambda path, _: ["review", "--quarter", "2026Q4", "--reports", str(path)],
    "project": lambda path, _: ["import", "projects", str(path)],
    "candidates": lambda path, _: ["select", "--candidates", str(path)],
    "policy": lambda path, _: ["init", "--policy", str(path)],
    "people": _people_file_policy,
}
# Every format in each file type its command reads.
FILE_TYPES = {
    ("proposal", "yaml"), ("proposal", "json"), ("proposal", "csv"),
    ("assessment", "yaml"), ("assessment", "json"), ("assessment", "csv"),
    ("status-report", "yaml"), ("status-report", "json"), ("status-report", "csv"),
    ("project", "yaml"), ("project", "json"),
    ("candidates", "yaml"), ("candidates", "json"),
    ("policy", "yaml"), ("policy", "json"),
    ("people", "yaml"), ("people", "json"),
}  # fmt: skip
CORPUS = sorted(p for p in BAD.glob("*/*") if p.is_file())
# Refused only by the flow: `governance review` checks its reports against the database after starting
# an embedded Prefect server (10-30 s), which also stores them as a snapshot first. The CLI's order
# is being fixed elsewhere (check the reports, then start the run); these cases pass once it is.


def _rows(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in Base.metadata.tables}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database in the state the corpus is refused against, made once: the running projects imported
    (NW-RUN-ZIGBEE paused), the sample proposals filed, NW-VOICE-ASSIST withdrawn."""
    folder = tmp_path_factory.mktemp("bad-files-template")
    for args in (
        ("init",),
        ("import", "projects", str(EXAMPLES / "projects")),
        ("submit", str(EXAMPLES / "proposals")),
        ("withdraw", "NW-VOICE-ASSIST", "--reason", "folded into NW-THERMO-V2"),
    ):
        result = run(folder, *args)
        assert result.returncode == 0, result.stderr
    return folder


def test_corpus_names_its_format_defect_and_code() -> None:
    wrong = [
        str(p.relative_to(BAD))
        for p in CORPUS
        if p.parent.name not in COMMANDS or (m := NAME.match(p.name)) is None or m["code"] not in CODES
    ]
    assert wrong == []
    assert len(CORPUS) >= 100
    assert {(p.parent.name, p.suffix[1:]) for p in CORPUS} >= FILE_TYPES
    assert sorted(p.name for p in BAD.iterdir() if p.is_file()) == ["README.md"]


def _case(path: Path) -> object:
    name = str(path.relative_to(BAD))
    return pytest.param(path, id=name)


@pytest.mark.parametrize("path", [_case(p) for p in CORPUS])
def test_bad_file_is_refused_cleanly(
    path: Path, template: Path, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    code = NAME.fullmatch(path.name)["code"]  # type: ignore[index] # the naming test checks every name
    shutil.copy(template / "governance.db", tmp_path)
    args = COMMANDS[path.parent.name](path, tmp_path)
    before = _rows(tmp_path / "governance.db")
    started = time.monotonic()
    try:
        result: subprocess.CompletedProcess[str] | None = run(tmp_path, *args, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        result = None
    seconds = time.monotonic() - started
    after = _rows(tmp_path / "governance.db")
    out = "" if result is None else result.stdout + result.stderr
    outcome = {
        "format": path.parent.name,
        "seconds": round(seconds, 2),
        "hang": result is None,
        "traceback": "Traceback" in out,
        "partial_write": before != after,
        "prefect_started": (tmp_path / ".governance").exists(),
    }
    record_property("bad_file", json.dumps(outcome))
    assert result is not None, f"no answer in {TIMEOUT} s: governance {' '.join(args)}"
    assert (result.returncode, outcome["traceback"]) == (1, False), out
    lines = result.stderr.splitlines()
    if code in get_args(ProblemCode):
        assert lines[0].startswith("error[input-refused]: "), out
        assert any(path.name in line and line.endswith(f"[{code}]") for line in lines[1:]), out
    else:
        assert lines[0].startswith(f"error[{code}]: ") and path.name in lines[0], out
    assert after == before
    assert not outcome["prefect_started"], f"Prefect was started before the input was refused:\n{out}"
