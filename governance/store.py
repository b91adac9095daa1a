"""The store: one SQLAlchemy engine, Alembic migrations, and serialised write transactions.

Writes go through `Store.write()`, which takes the database's write lock before reading the
ledger head (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: a transaction-scoped advisory lock), so two
writers in separate processes can never fork the chain.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError, ProgrammingError
from sqlalchemy.exc import NoSuchModuleError as _NoSuchModule

from governance.errors import ConfigError, StoreError
from governance.events import APPENDED, deliver, take_appended

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["HEAD_REVISION", "Store"]

_MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration. Commands check the schema against this constant so that they need not
# import Alembic (a test keeps it equal to Alembic's own head).
HEAD_REVISION = "0004"
# Any constant works; it only has to be the same for every writer of one database.
_ADVISORY_LOCK_KEY = 0x60BE_2A7C


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


class Store:
    """A governance database, SQLite or PostgreSQL."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            if url.startswith("sqlite"):
                self.engine = create_engine(url, connect_args={"timeout": 60})
                _sqlite_setup(self.engine)
            else:
                self.engine = create_engine(url, pool_pre_ping=True)
        except (ArgumentError, _NoSuchModule) as exc:
            raise ConfigError(f"GOVERNANCE_DATABASE_URL is not a usable database URL: {url!r}") from exc
        self.dialect = self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()

    # -- schema -------------------------------------------------------------------------

    def upgrade(self) -> tuple[str | None, str]:
        """Create or upgrade the schema to the newest migration. Returns (before, after)."""
        from alembic import command
        from alembic.runtime.migration import MigrationContext

        config = _alembic_config()
        try:
            with self.engine.connect() as conn:
                before = MigrationContext.configure(conn).get_current_revision()
            with self.engine.begin() as conn:
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
        except DBAPIError as exc:
            raise self._unavailable(exc, writing=True) from exc
        return before, self.head_revision()

    @staticmethod
    def head_revision() -> str:
        return HEAD_REVISION

    @staticmethod
    def alembic_head() -> str | None:
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(_alembic_config()).get_current_head()

    def current_revision(self) -> str | None:
        """The schema's migration, or None for a database `governance init` has not made (never created here)."""
        if self.missing:
            return None
        try:
            with self.engine.connect() as conn:
                if not inspect(conn).has_table("alembic_version"):
                    return None
                return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError as exc:
            raise self._unavailable(exc) from exc

    @property
    def missing(self) -> bool:
        """A SQLite database whose file does not exist: only `governance init` (`upgrade`) may create it."""
        if self.dialect != "sqlite":
            return False
        database = self.engine.url.database or ""
        path = database.removeprefix("file:").partition("?")[0]
        return bool(path) and path != ":memory:" and not Path(path).exists()

    def _unavailable(self, exc: DBAPIError, *, writing: bool = False) -> StoreError:
        """One line for a database error that is no bug of ours: unreachable, unreadable, or not allowed.

        The URL is shown with its password hidden; the driver's message is cut to its first line.
        """
        first = (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
        if getattr(exc.orig, "sqlstate", None) == _INSUFFICIENT_PRIVILEGE:
            user = self.engine.url.username or "of this connection"
            _, found, table = first.partition(" for table ")
            what = f"table {table}" if found else "this database"
            if writing:
                return StoreError(
                    f"the database user {user} may not write to {what} ({self.safe_url}): this command records, "
                    "so it needs the engine's role (deploy/roles.sql)"
                )
            return StoreError(f"the database user {user} may not read {what} ({self.safe_url}): see deploy/roles.sql")
        return StoreError(f"cannot use the database {self.safe_url}: {first}")

    def require_schema(self) -> None:
        """Refuse to work on a database that `governance init` has not brought up to date."""
        current = self.current_revision()
        if current is None:
            raise StoreError(
                f"the database {self.safe_url} is not initialised: run `governance init`",
                code="store-not-initialised",
            )
        if current != self.head_revision():
            raise StoreError(
                f"the database {self.safe_url} is at schema {current}, this engine needs "
                f"{self.head_revision()}: run `governance init` to upgrade",
                code="store-not-initialised",
            )

    @property
    def safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    # -- transactions -------------------------------------------------------------------

    def _require_file(self) -> None:
        if self.missing:
            raise StoreError(
                f"the database {self.safe_url} does not exist: run `governance init`", code="store-not-initialised"
            )

    @contextmanager
    def read(self) -> Iterator[Connection]:
        self._require_file()
        try:
            with self.engine.connect() as conn:
                yield conn
        except DBAPIError as exc:
            if not _environmental(exc):
                raise
            raise self._unavailable(exc) from exc

    @property
    def read_only(self) -> bool:
        """A SQLite database opened read-only (`sqlite:///file:PATH?mode=ro&uri=true`: an auditor's URL)."""
        return self.dialect == "sqlite" and self.engine.url.query.get("mode") == "ro"

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that holds the database's write lock from its first statement."""
        if self.read_only:
            raise StoreError(
                f"the database {self.safe_url} is opened read-only (mode=ro): this command records, "
                "so it needs GOVERNANCE_DATABASE_URL without mode=ro"
            )
        self._require_file()
        try:
            with self.engine.connect() as raw:
                conn = raw.execution_options(governance_write=True)
                conn.info.pop(APPENDED, None)  # the pooled connection's notes from a transaction that never committed
                try:
                    with conn.begin():
                        if self.dialect == "postgresql":
                            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_ADVISORY_LOCK_KEY})")
                        yield conn
                except BaseException:
                    take_appended(conn.info)
                    raise
                appended = take_appended(conn.info)
        except DBAPIError as exc:
            if not _environmental(exc):
                raise
            raise self._unavailable(exc, writing=True) from exc
        deliver(appended)  # committed: now the listeners (governance.events) may hear of it


_INSUFFICIENT_PRIVILEGE = "42501"  # PostgreSQL: an auditor's role (deploy/roles.sql) writing


def _environmental(exc: DBAPIError) -> bool:
    """A database error the environment causes (unreachable, unreadable, a role without the grant), not our SQL."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, ProgrammingError) and getattr(exc.orig, "sqlstate", None) == _INSUFFICIENT_PRIVILEGE


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event, not pysqlite, decide how a transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("governance_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
