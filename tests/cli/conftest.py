"""A working folder with an initialised database, for the command tests."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ..commands import assessment_csv, run
from ..conftest import EXAMPLES

if TYPE_CHECKING:
    from governance.ledger import Ledger
    from governance.store import Store

MARKUP = "[/bold] [link=file:///etc/passwd]x[/link]"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    result = run(tmp_path, "init")
    assert result.returncode == 0, result.stderr
    return tmp_path


def counts(folder: Path) -> tuple[int, ...]:
    """Rows of every table a command may write (ledger, snapshots, policies, proposals, keys, MACs)."""
    with sqlite3.connect(f"file:{folder / 'governance.db'}?mode=ro", uri=True) as conn:
        return tuple(
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("ledger", "snapshots", "policies", "proposals", "decision_keys", "ledger_macs")
        )


def awaiting_board(folder: Path) -> Path:
    """`folder` initialised, with P-2026-0001 (NW-MARKUP, titled with rich markup) scored and awaiting the
    board at gate 1, and P-2026-0002 (NW-PLAIN) screened: filed and scored in this process, without Prefect."""
    from governance import gates, intake
    from governance.assessments import read_assessments

    assert run(folder, "init").returncode == 0
    proposals = folder / "proposals"
    proposals.mkdir()
    source = (EXAMPLES / "proposals" / "01-smart-thermostat-v2.yaml").read_text(encoding="utf-8")
    for n, reference in enumerate(("NW-MARKUP", "NW-PLAIN")):
        text = source.replace("NW-THERMO-V2", reference)
        text = text.replace("title: Smart thermostat V2 with Matter support", f"title: Budget {MARKUP} plan {n}")
        (proposals / f"{n}.yaml").write_text(_without_dependencies(text), encoding="utf-8")
    with engine_in(folder, "board") as (store, book):
        intake.file_proposals(store, book, intake.check_submission(store, [str(proposals)]), "pmo")
        cards = assessment_csv(folder / "assess.csv", "NW-MARKUP", (8, 8))
        gates.record_scores(store, book, read_assessments([str(cards)]), "pmo")
        gates.record_recommendation(store, book, "P-2026-0001", "pmo")
    return folder


@contextmanager
def engine_in(folder: Path, seed: str) -> Iterator[tuple[Store, Ledger]]:
    """The store and ledger of `folder`'s database as the commands see it (the clock of `tests.commands.run`),
    for steps taken in this process without Prefect."""
    from governance.ledger import Ledger
    from governance.settings import load_settings
    from governance.store import Store

    with pytest.MonkeyPatch.context() as env:
        env.setenv("GOVERNANCE_DATABASE_URL", f"sqlite:///{folder / 'governance.db'}")
        env.setenv("GOVERNANCE_CLOCK_START", "2026-11-23T09:00:00Z")
        env.setenv("GOVERNANCE_ID_SEED", seed)
        settings = load_settings()
        store = Store(settings.resolved_database_url())
        try:
            yield store, Ledger(settings.clock(), settings.ids())
        finally:
            store.dispose()


def _without_dependencies(text: str) -> str:
    kept, skipping = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith("depends_on:"):
            skipping = not line.rstrip().endswith("]")
            continue
        if skipping and line.startswith((" ", "-")):
            continue
        skipping = False
        kept.append(line)
    return "".join(kept)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The bad-file corpus's totals (tests/cli/test_bad_files.py) as one JSON line, also without -s."""
    outcomes = [
        json.loads(value)
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for name, value in getattr(report, "user_properties", ())
        if name == "bad_file"
    ]
    if not outcomes:
        return
    formats = Counter(o["format"] for o in outcomes)
    summary = {
        "files": len(outcomes),
        "formats": dict(sorted(formats.items())),
        "tracebacks": sum(o["traceback"] for o in outcomes),
        "partial_writes": sum(o["partial_write"] for o in outcomes),
        "hangs": sum(o["hang"] for o in outcomes),
        "prefect_started": sum(o["prefect_started"] for o in outcomes),
        "max_seconds": max((o["seconds"] for o in outcomes if not o["hang"]), default=0),  # of those that answered
    }
    terminalreporter.write_line("bad files: " + json.dumps(summary))
