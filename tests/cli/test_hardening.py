"""Issue 12: whatever the input, one clear line, a non-zero exit, no traceback, nothing written.

Text that people typed prints as typed (never as rich markup, control characters escaped); bad settings,
unreachable or forbidden databases and a missing or unreachable Prefect are each one `error[code]` line.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from ..commands import run
from ..conftest import PG_URL
from .conftest import awaiting_board, counts

TITLE = "Budget [/bold] [link=file:///etc/passwd]x[/link] plan"


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return awaiting_board(tmp_path_factory.mktemp("board"))


def test_list_and_show_print_markup_as_text(board: Path) -> None:
    listed, shown = run(board, "list"), run(board, "show", "P-2026-0001")
    assert (listed.returncode, listed.stderr, shown.returncode, shown.stderr) == (0, "", 0, "")
    assert listed.stdout.splitlines()[0] == "Proposals (2)"
    assert [line.split("│")[1:6] for line in listed.stdout.splitlines()[4:6]] == [
        [" P-2026-0001 ", " NW-MARKUP ", f" {TITLE} 0 ", " new-products ", " awaiting-decision "],
        [" P-2026-0002 ", " NW-PLAIN  ", f" {TITLE} 1 ", " new-products ", " screened          "],
    ]
    assert shown.stdout.splitlines()[:2] == [
        f"P-2026-0001  NW-MARKUP  {TITLE} 0",
        "State: awaiting-decision (version 1); bucket new-products; sponsor Katrin Vogel; submitter Lukas Weber",
    ]


@pytest.mark.parametrize(
    ("meeting", "bound"),
    [
        ("2020-01-01", "is before 2026-11-23, the date of the gate 1 recommendation (record 7) it decides on: a board "
         "meets on a recommendation once it is made"),
        ("2026-11-24", "is after today, 2026-11-23: a decision is recorded once its meeting has taken place"),
    ],
    ids=["before-the-recommendation", "after-today"],
)  # fmt: skip
def test_decide_refuses_a_meeting_date_outside_its_bounds(board: Path, meeting: str, bound: str) -> None:
    before = counts(board)
    result = run(
        board, "decide", "P-2026-0001", "--gate", "1", "--outcome", "conditional-go", "--by", "ana",
        "--rationale", "x", "--vote", "ana=conditional-go", "--vote", "raj=conditional-go", "--vote", "lee=hold",
        "--meeting-date", meeting, "--condition", "audit by 2027-02-01, owner: Tom Becker",
        env={"COLUMNS": "1000"},
    )  # fmt: skip
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        f"error[meeting-date-invalid]: meeting_date {meeting} {bound}; nothing was recorded\n",
    )
    assert counts(board) == before


def test_decide_prints_markup_and_escape_sequences_as_text(board: Path) -> None:
    before = counts(board)
    result = run(
        board, "decide", "P-2026-0001", "--gate", "1", "--outcome", "conditional-go", "--by", "ana",
        "--rationale", "Fine [/bold] \x1b[31m red", "--vote", "ana=conditional-go", "--vote", "raj=conditional-go",
        "--vote", "lee=hold", "--meeting-date", "2026-11-23",
        "--condition", "audit [/bold] \x1b[31m by 2027-02-01, owner: Tom [red]Becker",
    )  # fmt: skip
    assert (result.returncode, result.stderr, result.stdout.splitlines()) == (
        0,
        "",
        [
            "Recorded conditional-go for P-2026-0001 at gate 1 (record 8, 6dd718714d87): tally conditional-go 2, "
            "hold 1; dissent: lee.",
            "  condition C-2026-0001-G1-1: audit [/bold] \\x1b[31m by 2027-02-01 "
            "(owner Tom [red]Becker, due 2027-02-01)",
        ],
    )
    assert counts(board)[0] == before[0] + 1
    agenda = run(board, "agenda")
    assert (
        "│ C-2026-0001-G1-1 │ P-2026-0001 │ audit [/bold] \\x1b[31m by 2027-02-01 │ Tom [red]Becker │" in agenda.stdout
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"GOVERNANCE_CHUNK_SIZE": "abc"},
            "GOVERNANCE_CHUNK_SIZE: expected a whole number from 1 to 100000, got 'abc'",
        ),
        (
            {"GOVERNANCE_CLOCK_START": "yesterday", "GOVERNANCE_CHUNK_SIZE": "0"},
            "GOVERNANCE_CHUNK_SIZE: expected a whole number from 1 to 100000, got '0'; "
            "GOVERNANCE_CLOCK_START: expected a date and time, like 2026-11-23T09:00:00Z, got 'yesterday'",
        ),
    ],
    ids=["chunk-size", "two-bad"],
)
def test_a_bad_setting_is_one_line_naming_the_variable(tmp_path: Path, env: dict[str, str], expected: str) -> None:
    result = run(tmp_path, "list", env=env)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", f"error[config-invalid]: {expected}\n")


def test_read_commands_never_create_a_database(tmp_path: Path) -> None:
    for command in (("list",), ("show", "P-2026-0001"), ("agenda",), ("verify",), ("export",), ("replay", "--all")):
        result = run(tmp_path, *command)
        assert (result.returncode, result.stdout, result.stderr) == (
            1,
            "",
            f"error[store-not-initialised]: the database sqlite:///{tmp_path / 'governance.db'} is not initialised: "
            "run `governance init`\n",
        )
    assert list(tmp_path.iterdir()) == []


def test_an_unusable_database_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "folder.db").mkdir()
    refused = run(tmp_path, "list", env={"GOVERNANCE_DATABASE_URL": f"sqlite:///{tmp_path / 'folder.db'}"})
    assert (refused.returncode, refused.stdout, refused.stderr) == (
        1,
        "",
        f"error[store-unavailable]: cannot use the database sqlite:///{tmp_path / 'folder.db'}: "
        "unable to open database file\n",
    )
    closed = "postgresql+psycopg://someone:secret@127.0.0.1:9/governance"
    result = run(tmp_path, "list", env={"GOVERNANCE_DATABASE_URL": closed})
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        "error[store-unavailable]: cannot use the database postgresql+psycopg://someone:***@127.0.0.1:9/governance: "
        'connection failed: connection to server at "127.0.0.1", port 9 failed: Connection refused\n',
    )


@pytest.mark.postgres
def test_a_read_only_database_user_writing_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    if not PG_URL:
        pytest.skip("GOVERNANCE_TEST_POSTGRES_URL is not set")
    suffix = uuid.uuid4().hex[:10]
    name, reader = f"gov_ro_{suffix}", f"gov_reader_{suffix}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
        conn.execute(text(f"CREATE ROLE {reader} LOGIN"))
    owner = make_url(PG_URL).set(database=name)
    try:
        owner_url = owner.render_as_string(hide_password=False)
        assert run(tmp_path, "init", env={"GOVERNANCE_DATABASE_URL": owner_url}).returncode == 0
        database = create_engine(owner_url, isolation_level="AUTOCOMMIT")
        with database.connect() as conn:  # the auditor's grant (deploy/roles.sql): SELECT, nothing else
            conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {reader}"))
        reader_url = owner.set(username=reader, password="pw").render_as_string(hide_password=False)
        # `keys seal` records (a MAC for the head record) and asks no one's role: the database refuses.
        result = run(
            tmp_path, "keys", "seal", env={"GOVERNANCE_DATABASE_URL": reader_url, "GOVERNANCE_LEDGER_KEY": "ab" * 32}
        )
        shown = owner.set(username=reader, password="pw").render_as_string(hide_password=True)
        assert (result.returncode, result.stdout, result.stderr) == (
            1,
            "",
            f"error[store-unavailable]: the database user {reader} may not write to table ledger_macs ({shown}): "
            "this command records, so it needs the engine's role (deploy/roles.sql)\n",
        )
        with database.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM ledger_macs")).scalar() == 0
        database.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(text(f"DROP ROLE IF EXISTS {reader}"))
        admin.dispose()


def test_an_unreachable_prefect_server_is_one_line_before_anything_is_stored(board: Path) -> None:
    before = counts(board)
    result = run(board, "submit", "proposals", env={"PREFECT_API_URL": "http://127.0.0.1:9/api"})
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        "error[config-invalid]: cannot reach the Prefect server at http://127.0.0.1:9/api (PREFECT_API_URL): "
        "[Errno 111] Connection refused\n",
    )
    assert counts(board) == before


def test_a_missing_prefect_is_one_line(board: Path, tmp_path: Path) -> None:
    (tmp_path / "prefect").mkdir()
    (tmp_path / "prefect" / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'prefect'\", name='prefect')\n", encoding="utf-8"
    )
    path = os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    before = counts(board)
    result = run(board, "submit", "proposals", env={"PYTHONPATH": path})
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        "error[config-invalid]: Prefect does not import (ModuleNotFoundError: No module named 'prefect'): this "
        "command runs a flow; install the project's dependencies (make install) or start `governance server start` "
        "where it does\n",
    )
    assert counts(board) == before


def test_review_refuses_reports_before_prefect_starts(board: Path, tmp_path: Path) -> None:
    report = tmp_path / "r.yaml"
    report.write_text(
        "project: NW-NOPE\nquarter: 2026Q4\nspend_to_date: 1\nbudget_at_completion: 2\n", encoding="utf-8"
    )
    shutil.rmtree(board / ".governance", ignore_errors=True)  # an earlier test's Prefect set-up
    result = run(board, "review", "--reports", str(report))
    assert result.returncode == 1
    assert result.stderr.splitlines()[0].startswith("error[input-refused]: submission refused, nothing was filed")
    assert not (board / ".governance" / "prefect-embedded").exists()  # Prefect was never set up
