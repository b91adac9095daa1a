"""What every pack's content shares: the content object, the page stamp and the JSON values a template prints."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from governance.canonical import to_plain
from governance.ledger import ENGINE_VERSION, record_object
from models.records import LedgerRecord

__all__ = ["PackContent", "common", "pairs", "plain", "scaled"]


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
