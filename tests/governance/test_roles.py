"""deploy/roles.sql on a real PostgreSQL database: the engine appends, the auditor reads, neither alters."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import DBAPIError

from governance import adoption, gates, intake, views
from governance.assessments import read_assessments
from governance.authority import Actor
from governance.clock import FixedClock, SeededIds
from governance.errors import StoreError
from governance.export import export_records
from governance.ledger import Ledger, verify
from governance.policy import load_policy
from governance.replay import replay_all
from governance.store import Store

from ..conftest import EXAMPLES, PG_URL, ROOT, START

pytestmark = pytest.mark.postgres


@dataclass(frozen=True)
class Database:
    owner: str
    engine: str
    auditor: str
    libpq: str  # the owner's URL as psql takes it
    engine_role: str
    auditor_role: str


@pytest.fixture
def database() -> Iterator[Database]:
    if not PG_URL:
        pytest.skip("GOVERNANCE_TEST_POSTGRES_URL is not set")
    suffix = uuid.uuid4().hex[:10]
    name, engine_role, auditor_role = f"gov_{suffix}", f"gov_engine_{suffix}", f"gov_auditor_{suffix}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    owner = make_url(PG_URL).set(database=name)
    try:
        yield Database(
            owner=owner.render_as_string(hide_password=False),
            engine=owner.set(username=engine_role).render_as_string(hide_password=False),
            auditor=owner.set(username=auditor_role).render_as_string(hide_password=False),
            libpq=owner.set(drivername="postgresql").render_as_string(hide_password=False),
            engine_role=engine_role,
            auditor_role=auditor_role,
        )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(text(f"DROP ROLE IF EXISTS {engine_role}"))
            conn.execute(text(f"DROP ROLE IF EXISTS {auditor_role}"))
        admin.dispose()


def _roles(db: Database) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "psql",
            db.libpq,
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-v",
            f"engine={db.engine_role}",
            "-v",
            f"auditor={db.auditor_role}",
            "-f",
            str(ROOT / "deploy" / "roles.sql"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _refused(store: Store, sql: str) -> str:
    with pytest.raises(DBAPIError) as refused, store.engine.begin() as conn:
        conn.execute(text(sql))
    return str(refused.value.orig).splitlines()[0]


def test_the_engine_appends_the_auditor_reads_and_neither_can_alter(database: Database) -> None:
    owner = Store(database.owner)
    owner.upgrade()
    ledger = Ledger(FixedClock(START), SeededIds("roles"))
    adoption.adopt_policy(owner, ledger, load_policy("stage-gate"), Actor.of("ana"))
    owner.dispose()
    first, again = _roles(database), _roles(database)
    assert (first.returncode, first.stderr) == (0, "")
    assert (again.returncode, again.stderr) == (0, "")  # run again after an upgrade: no error, no change

    engine = Store(database.engine)
    engine.require_schema()
    ledger = Ledger(FixedClock(START), SeededIds("roles"), key=bytes(range(32)))  # it appends MACs too
    with engine.read() as conn:
        policy = adoption.current_policy(conn)
    filed = intake.file_proposals(
        engine, ledger, intake.validate_submission([EXAMPLES / "proposals"], policy.policy), "submitter"
    )
    assert len(filed) == 32
    cards = gates.record_scores(engine, ledger, read_assessments([EXAMPLES / "assessments"]), "pmo")
    assert cards
    for sql in (
        "UPDATE ledger SET outcome = 'go' WHERE seq = 2",
        "DELETE FROM snapshots",
        "UPDATE ledger_macs SET mac = 'x'",
        "DELETE FROM ledger_macs",
        "DELETE FROM proposals",
        "TRUNCATE decision_keys",
    ):
        assert _refused(engine, sql).startswith("permission denied for table"), sql
    for sql in (
        "DROP TRIGGER ledger_append_only ON ledger",
        "ALTER TABLE ledger DISABLE TRIGGER ALL",
        "CREATE TABLE ledger_copy (seq integer)",
    ):
        assert _refused(engine, sql).startswith(("must be owner", "permission denied for schema")), sql
    as_engine = verify(engine, key=bytes(range(32)))
    assert (as_engine.ok, as_engine.authenticated) == (True, True)
    engine.dispose()

    auditor = Store(database.auditor)
    assert verify(auditor, key=bytes(range(32))) == as_engine
    with auditor.read() as conn:
        assert len(views.proposals(conn)) == 32
        exported, count = export_records(conn, None, None, "jsonl")  # `governance export`
    assert count == as_engine.records and len(exported.splitlines()) == count
    replays = list(replay_all(auditor))  # `governance replay --all`
    assert replays and all(r.status in ("match", "not-replayable") for r in replays)
    assert _refused(auditor, "INSERT INTO snapshots VALUES ('k', '{}')").startswith("permission denied for table")
    assert _refused(auditor, "UPDATE proposals SET title = 'x'").startswith("permission denied for table")
    assert _refused(auditor, "ALTER TABLE proposals ADD COLUMN x integer").startswith("must be owner")
    # The engine's own writes as the auditor: one error naming the role's limit, nothing written.
    with pytest.raises(StoreError) as refused:
        intake.withdraw(auditor, ledger, "P-2026-0001", Actor.of("ana"), "testing")
    assert str(refused.value) == (
        f"the database user {database.auditor_role} may not write to table ledger ({auditor.safe_url}): "
        "this command records, so it needs the engine's role (deploy/roles.sql) [store-unavailable]"
    )
    assert verify(auditor, key=bytes(range(32))) == as_engine
    auditor.dispose()
