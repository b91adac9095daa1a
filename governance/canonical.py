"""Canonical JSON (after RFC 8785, JCS): the one byte form of every payload, snapshot and policy.

Keys sorted by UTF-16 code units, no insignificant whitespace, UTF-8, no NaN or infinity.
Money and other decimals are written as plain decimal strings with trailing zeros removed
(`"1250.5"`, never a float), dates as `YYYY-MM-DD`, times as UTC `...Z`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from governance.clock import format_utc

__all__ = ["canonical_bytes", "canonical_text", "decimal_text", "sha256_hex", "to_plain"]


def decimal_text(value: Decimal) -> str:
    """`Decimal('1000.00')` -> `'1000'`, `Decimal('0.50')` -> `'0.5'`; never an exponent."""
    if not value.is_finite():
        raise ValueError(f"not a finite number: {value}")
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _number(value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        raise ValueError("NaN and infinity have no canonical JSON form")
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        sign = "-" if exponent.startswith("-") else "+"
        text = f"{mantissa}e{sign}{exponent.lstrip('+-').lstrip('0')}"
    return text


class _Raw(str):
    """A number already in its canonical text; emitted without quotes."""


def to_plain(value: Any) -> Any:
    """Turn models, decimals, dates and mappings into plain JSON values in canonical order."""
    if isinstance(value, BaseModel):
        return to_plain(value.model_dump(mode="python", by_alias=True))
    if isinstance(value, Mapping):
        items = [(str(k), to_plain(v)) for k, v in value.items()]
        items.sort(key=lambda kv: kv[0].encode("utf-16-be"))
        return dict(items)
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, float):
        return _Raw(_number(value))
    if isinstance(value, dt.datetime):
        return format_utc(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"no canonical JSON form for {type(value).__name__}")


def _dump(value: Any) -> str:
    if isinstance(value, _Raw):
        return str.__str__(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_dump(k)}:{_dump(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_dump(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def canonical_text(value: Any) -> str:
    """The canonical JSON text of `value`."""
    plain = to_plain(value)
    if not _has_raw(plain):
        # Fast path: insertion order is already canonical and no float needs special text.
        return json.dumps(plain, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return _dump(plain)


def _has_raw(value: Any) -> bool:
    if isinstance(value, _Raw):
        return True
    if isinstance(value, dict):
        return any(_has_raw(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_raw(v) for v in value)
    return False


def canonical_bytes(value: Any) -> bytes:
    return canonical_text(value).encode("utf-8")


def sha256_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()
