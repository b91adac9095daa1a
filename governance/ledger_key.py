"""The ledger key: the secret the engine authenticates each record it appends with (HMAC-SHA256).

The key lives on the hosts that run the engine (workers, the CLI of chairs and submitters, the auditor who
verifies with it), never in the database: whoever can write the database but lacks the key cannot make a
record that `governance verify` accepts. It is 32 random bytes, written as 64 hexadecimal digits, given as
`GOVERNANCE_LEDGER_KEY` or in the file `GOVERNANCE_LEDGER_KEY_FILE` (default: `GOVERNANCE_HOME/keys/ledger.key`,
if it exists; `governance keys ledger` makes one). See `governance.record_layout` for what a MAC is over.

A ledger written before its key existed is sealed once (`governance.ledger_seal`, `governance keys seal`):
the MAC of its head record covers every record before it through the hash chain. From then on each record
needs its own MAC.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from governance.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy import Connection

__all__ = ["KEY_BYTES", "check_key", "parse_key", "read_key_file", "write_key_file"]

KEY_BYTES = 32


def parse_key(text: str, source: str) -> bytes:
    """The key written as hex in `text` (surrounding whitespace ignored); `source` names where it came from.

    Raises:
        ConfigError: not hexadecimal, or shorter than 32 bytes (64 digits).
    """
    digits = text.strip()
    try:
        key = bytes.fromhex(digits)
    except ValueError:
        key = b""
    if len(key) < KEY_BYTES or len(digits) != 2 * len(key):
        raise ConfigError(
            f"{source} is not a ledger key: expected at least {2 * KEY_BYTES} hexadecimal digits "
            "(make one with `governance keys ledger`)"
        )
    return key


def read_key_file(path: Path) -> bytes:
    """The key in the file at `path`.

    Raises:
        ConfigError: the file cannot be read or holds no key.
    """
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the ledger key file {path}: {getattr(exc, 'strerror', None) or exc}") from exc
    return parse_key(text, f"the ledger key file {path}")


def write_key_file(path: Path) -> Path:
    """Write a new random key to `path` (mode 0600); an existing file is never replaced.

    Raises:
        ConfigError: the file exists already, or cannot be written.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise ConfigError(
            f"a ledger key exists already at {path}: it is kept (records appended with it would no longer "
            "verify with another key)"
        ) from exc
    except OSError as exc:
        raise ConfigError(f"cannot write the ledger key file {path}: {exc.strerror}") from exc
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_hex(KEY_BYTES) + "\n")
    return path


def check_key(conn: Connection, key: bytes | None, seq: int, digest: str) -> None:
    """Before appending after record `seq` (hash `digest`): once a record has a MAC, append only with the key
    the head was appended with.

    A host set up without the key, or with another, is refused at once, not found out at the next audit;
    and the engine never appends after a head that is not its own (its MAC would seal that record).
    """
    from sqlalchemy import select

    from governance.errors import IntegrityError
    from governance.record_layout import key_id, record_mac
    from models.tables import LedgerMacRow

    latest = conn.scalar(select(LedgerMacRow.seq).order_by(LedgerMacRow.seq.desc()).limit(1))
    if latest is None:
        return  # no key yet: this ledger's first MAC, if any, seals every record before it
    if key is None:
        raise ConfigError(
            f"the ledger is authenticated with a ledger key (record {latest} has a MAC) and this process has "
            "none: set GOVERNANCE_LEDGER_KEY_FILE to the engine's key file; nothing was recorded"
        )
    mac = conn.scalar(select(LedgerMacRow.mac).where(LedgerMacRow.seq == seq))
    if mac is None:
        raise IntegrityError(
            f"record {seq}, the ledger's head, has no MAC: it was not appended by the engine (run "
            "`governance verify`); nothing was recorded"
        )
    if mac != record_mac(key, digest):
        raise ConfigError(
            f"the ledger key of this process ({key_id(key)}) is not the one record {seq} was appended with "
            "(or that record was not appended by the engine: run `governance verify`); nothing was recorded"
        )
