"""Shared fixtures: databases (SQLite always, PostgreSQL when configured), clock, ids, policy."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from governance.clock import FixedClock, SeededIds
from governance.ledger import Ledger
from governance.policy import LoadedPolicy, load_policy
from governance.store import Store

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
PG_URL = os.environ.get("GOVERNANCE_TEST_POSTGRES_URL")
START = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)

if os.environ.get("GOVERNANCE_TEST_REQUIRE_POSTGRES") and not PG_URL:
    raise RuntimeError("GOVERNANCE_TEST_REQUIRE_POSTGRES is set but GOVERNANCE_TEST_POSTGRES_URL is not")

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def postgres_schema_url() -> Iterator[str]:
    """A fresh PostgreSQL schema's URL (dropped afterwards); skips the test without PostgreSQL."""
    if not PG_URL:
        pytest.skip("GOVERNANCE_TEST_POSTGRES_URL is not set")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'governance.db'}"
    else:
        yield from postgres_schema_url()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store(db_url)
    s.upgrade()
    yield s
    s.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START, dt.timedelta(milliseconds=1))


@pytest.fixture
def ledger(clock: FixedClock) -> Ledger:
    return Ledger(clock, SeededIds("test"), engine_version="test")


@pytest.fixture(scope="session")
def stage_gate() -> LoadedPolicy:
    return load_policy("stage-gate")


def unguard(store: Store, table: str) -> None:
    """Drop a table's append-only triggers, as an attacker with DBA rights would."""
    with store.engine.begin() as conn:
        if store.dialect == "postgresql":
            conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"))
        else:
            conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_update"))
            conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_delete"))
