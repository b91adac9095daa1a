"""Settings from the environment (prefix `GOVERNANCE_`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from governance.clock import Clock, FixedClock, IdSource, RandomIds, SeededIds, SystemClock

__all__ = ["Settings", "load_settings"]


class Settings(BaseSettings):
    """`GOVERNANCE_DATABASE_URL`: SQLAlchemy URL; default a SQLite file in the working folder.
    `GOVERNANCE_HOME`: where the local Prefect server keeps its state (default `.governance`).
    Who acts is never a setting: it is the OS user (PostgreSQL: the session user), see governance.authority.
    `GOVERNANCE_CLOCK_START`, `GOVERNANCE_ID_SEED`: fix the clock and the ids (reproducible runs).
    `GOVERNANCE_SIGNING_KEY`, `GOVERNANCE_SIGNING_CERT`: PEM files that sign packs (default: the pair
    `governance keys init` writes under `GOVERNANCE_HOME/keys`, if it exists).
    `GOVERNANCE_LEDGER_KEY` (hex) or `GOVERNANCE_LEDGER_KEY_FILE`: the key ledger records are authenticated
    with (default: `GOVERNANCE_HOME/keys/ledger.key`, if it exists; see `governance.ledger_key`).
    """

    model_config = SettingsConfigDict(env_prefix="GOVERNANCE_", extra="ignore")

    database_url: str = Field(default="sqlite:///governance.db")
    home: Path = Field(default=Path(".governance"))
    chunk_size: int = Field(default=500, ge=1, le=100_000)
    # Determinism for demos, tests and replays: a fixed start time (advancing one millisecond
    # per reading) and a seed for record ids. Unset, the system clock and random ids are used.
    clock_start: dt.datetime | None = None
    id_seed: str | None = None
    signing_key: Path | None = None
    signing_cert: Path | None = None
    ledger_key: SecretStr | None = None
    ledger_key_file: Path | None = None

    def ledger_secret(self) -> bytes | None:
        """The ledger key, or None when none is configured or made.

        Raises:
            ConfigError: both are set, or the key (or its file) is not a key.
        """
        from governance.errors import ConfigError
        from governance.ledger_key import parse_key, read_key_file

        if self.ledger_key is not None and self.ledger_key_file is not None:
            raise ConfigError("set GOVERNANCE_LEDGER_KEY or GOVERNANCE_LEDGER_KEY_FILE, not both")
        if self.ledger_key is not None:
            return parse_key(self.ledger_key.get_secret_value(), "GOVERNANCE_LEDGER_KEY")
        if self.ledger_key_file is not None:
            return read_key_file(self.ledger_key_file)
        default = self.home / "keys" / "ledger.key"
        return read_key_file(default) if default.is_file() else None

    def signing_pair(self) -> tuple[Path, Path] | None:
        """The key and certificate packs are signed with, or None when none is configured or made."""
        if self.signing_key is not None or self.signing_cert is not None:
            if self.signing_key is None or self.signing_cert is None:
                from governance.errors import ConfigError

                raise ConfigError("set both GOVERNANCE_SIGNING_KEY and GOVERNANCE_SIGNING_CERT, or neither")
            return self.signing_key, self.signing_cert
        key, cert = self.home / "keys" / "signing-key.pem", self.home / "keys" / "signing-cert.pem"
        return (key, cert) if key.is_file() and cert.is_file() else None

    def clock(self) -> Clock:
        if self.clock_start is None:
            return SystemClock()
        start = self.clock_start if self.clock_start.tzinfo else self.clock_start.replace(tzinfo=dt.UTC)
        return FixedClock(start, dt.timedelta(milliseconds=1))

    def ids(self) -> IdSource:
        return RandomIds() if self.id_seed is None else SeededIds(self.id_seed)

    def resolved_database_url(self) -> str:
        """A relative SQLite path made absolute, so flows in other processes find the same file.

        A SQLite URI keeps its form and its query: `sqlite:///file:governance.db?mode=ro&uri=true` (a
        read-only connection: an auditor's) becomes `sqlite:///file:/abs/governance.db?mode=ro&uri=true`.
        """
        url = self.database_url
        if not url.startswith("sqlite:///"):
            return url
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            parsed = make_url(url)
        except ArgumentError:
            return url  # Store names the bad URL
        database = parsed.database or ""
        uri = database.startswith("file:")
        path = database[len("file:") :] if uri else database
        if not path or path == ":memory:" or path.startswith("/"):
            return url
        absolute = str(Path(path).resolve())
        return parsed.set(database=f"file:{absolute}" if uri else absolute).render_as_string(hide_password=False)


# What each setting takes, in the words of the one-line error a bad value gets.
_EXPECTED = {
    "database_url": "a database URL, like sqlite:///governance.db or postgresql+psycopg://user@host/db",
    "home": "a folder path",
    "chunk_size": "a whole number from 1 to 100000",
    "clock_start": "a date and time, like 2026-11-23T09:00:00Z",
    "id_seed": "any text",
    "signing_key": "a file path",
    "signing_cert": "a file path",
    "ledger_key": "64 hex digits",
    "ledger_key_file": "a file path",
}


def load_settings() -> Settings:
    """The settings from the environment.

    Raises:
        ConfigError: a setting that does not parse: every bad one named with what it takes and what it got.
    """
    from pydantic import ValidationError

    from governance.errors import ConfigError

    try:
        return Settings()
    except ValidationError as exc:
        lines = []
        for error in exc.errors(include_url=False):
            field = str(error["loc"][0]) if error["loc"] else ""
            got = error.get("input")
            shown = repr(got if len(str(got)) <= 60 else f"{str(got)[:60]}...")
            lines.append(f"GOVERNANCE_{field.upper()}: expected {_EXPECTED.get(field, error['msg'])}, got {shown}")
        raise ConfigError("; ".join(dict.fromkeys(lines))) from None
