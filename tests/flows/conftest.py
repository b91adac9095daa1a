"""One Prefect test server per session (about 14 s to start); PREFECT_HOME in a temporary folder."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from flows.runtime import QUIET

from ..conftest import PG_URL, postgres_schema_url


@pytest.fixture(scope="session", autouse=True)
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    home = tmp_path_factory.mktemp("prefect-home")
    os.environ["PREFECT_HOME"] = str(home)
    for key, value in QUIET.items():
        os.environ.setdefault(key, value)
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, PREFECT_HOME, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with (
        temporary_settings({PREFECT_HOME: Path(home), PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
        prefect_test_harness(server_startup_timeout=60),
    ):
        yield


@pytest.fixture
def prefect_database() -> Iterator[dict[str, str]]:
    """A Prefect server's own database: a fresh PostgreSQL database (asyncpg) when PostgreSQL is configured
    (CI), as production runs it; else Prefect's default SQLite file."""
    if not PG_URL:
        yield {}
        return
    name = f"prefect_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = make_url(PG_URL).set(drivername="postgresql+asyncpg", database=name)
    try:
        yield {"PREFECT_API_DATABASE_CONNECTION_URL": url.render_as_string(hide_password=False)}
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture
def governance_url(tmp_path: Path) -> Iterator[str]:
    """The governance database: a fresh PostgreSQL schema when PostgreSQL is configured (CI), else SQLite."""
    if PG_URL:
        yield from postgres_schema_url()
    else:
        yield f"sqlite:///{tmp_path / 'governance.db'}"
