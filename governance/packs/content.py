"""What every pack's content shares: the content object, the page stamp and the JSON values a template prints."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from governance.canonical import to_plain
from governance.ledger import ENGINE_VERSION, record_object
from governance.people import Directory
from governance.policy import policy_from_text
from models.policy import Policy
from models.records import LedgerRecord
from models.tables import PolicyRow

__all__ = ["PackContent", "common", "pairs", "person_text", "plain", "policy_at", "scaled"]


@dataclass(frozen=True, slots=True)
class PackContent:
    template: str
    context: dict[str, Any]
    records: list[LedgerRecord]
    stamp: LedgerRecord  # its hash (one record) or SEQ:HASH (many) is on every page
    many: bool
    policy_version: str
    file_name: str


def w3c(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def common(title: str, stamp: LedgerRecord, many: bool, policy_version: str, running: str = "") -> dict[str, Any]:
    line1 = f"Ledger head {stamp.seq}:{stamp.hash}" if many else f"Record {stamp.seq} sha256 {stamp.hash}"
    return {
        "title": title,
        "running_title": running or title,
        "author": f"{stamp.recorded_by} (portfolio-governance {stamp.engine_version})",
        "created": w3c(stamp.recorded_at),
        "generator": f"portfolio-governance {ENGINE_VERSION}",
        "stamp_line1": line1,
        "stamp_policy": f"Policy {policy_version}",
        "stamp_record": record_object(stamp),
    }


def pairs(mapping: dict[str, Any]) -> list[tuple[str, Any]]:
    return sorted(mapping.items())


def plain(value: Any) -> Any:
    """A payload's part as its stored JSON values (decimals as their stored text): what a template prints."""
    return to_plain(value)


def scaled(value: Decimal | None) -> str | None:
    """A `ScaledDecimal` as its stored text (its scale kept)."""
    return None if value is None else str(value)


def policy_at(conn: Connection, version: str) -> Policy | None:
    """The policy stored under `version` (None without one): a pack names people as that policy does."""
    text = conn.scalar(select(PolicyRow.content).where(PolicyRow.version == version)) if version else None
    return policy_from_text(text).policy if text else None


def person_text(directory: Directory | None, name: str) -> str:
    """`ana` -> `Ana Ribeiro (chair)`: a name in the policy's people with their roles, or the name as written."""
    if not name:
        return "\u2013"
    person = None
    if directory is not None:
        try:
            person = directory.resolve(name, what="name")
        except Exception:  # noqa: BLE001 - an ambiguous name is shown as it was written
            person = None
    if person is None:
        return name
    return f"{person.name} ({', '.join(person.roles)})" if person.roles else person.name


def directory_of(policy: Policy | None) -> Directory | None:
    """The policy's people, or None (names are then shown as written)."""
    try:
        return Directory.of(policy) if policy is not None else None
    except Exception:  # noqa: BLE001 - a policy whose people do not load still makes a pack
        return None
