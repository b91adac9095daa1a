"""The floor of verify's walk: the same units read and hashed the same way, nothing checked.

`bench/verify.py` runs it in this process (`run_unit`) and, for the two-process floor, as the worker's
script: a spawned worker loads this file by its path, then `governance/ledger_walk.py` by its path for
the claiming loop (`serve`), and serves the floor's `run_unit`. Standard library only, as the engine's
own worker is, so both start alike.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import runpy
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["floor_chain", "floor_snapshots", "run_unit"]


def floor_chain(rows: Iterable[Sequence[Any]], key: bytes | None = None) -> int:
    """Each record's fields and payload joined plainly and hashed once, and with `key` one HMAC over its
    stored hash (as its MAC is checked); the number of records."""
    sha256, mac = hashlib.sha256, hmac.digest
    count = 0
    for row in rows:
        header = "\x1f".join([str(v) for v in row[:10]]) + "\x1f" + row[11]
        sha256(f"{header}\n{row[10]}".encode()).hexdigest()
        if key is not None:
            mac(key, b"governance-ledger-mac-v1\n" + row[12].encode(), "sha256").hex()
        count += 1
    return count


def floor_snapshots(rows: Iterable[Sequence[Any]]) -> int:
    """Each snapshot's content hashed, and a proposal's content (it names a submitter) parsed with the
    standard library's JSON reader, as verify reads what the proposals table copies; the bytes read."""
    sha256, loads = hashlib.sha256, json.loads
    size = 0
    for _key, content in rows:
        data = content.encode("utf-8")
        sha256(data).hexdigest()
        if '"submitter":' in content:
            loads(content)
        size += len(data)
    return size


def run_unit(cursor: Any, unit: tuple[str, str, tuple[Any, ...]], settings: dict[str, Any]) -> Any:
    """One unit of `governance.ledger_walk.plan`, on a DBAPI cursor, the floor's way."""
    kind, sql, params = unit
    rows = cursor.execute(sql, params) if params else cursor.execute(sql)
    if kind == "chain":
        return floor_chain(rows, settings.get("key"))
    if kind == "snapshots":
        return floor_snapshots(rows)
    return [tuple(row) for row in rows]


if __name__ == "__governance_ledger_walk__":  # loaded by runpy in a worker process
    _walk = runpy.run_path(
        str(Path(__file__).resolve().parent.parent / "governance" / "ledger_walk.py"), run_name="__floor_walk_lib__"
    )
    _walk["serve"](globals()["TASK"], run_unit)
