"""What each unit of `governance verify`'s walk reads and returns: a range of the ledger, a slice of the
snapshots, the proposals table, the policies. Plain data out, for `governance.ledger` to join.

At run time this module imports only the standard library (and pydantic-core's JSON parser for the
snapshots, if installed): a verify worker loads it by its file path (with
`governance.record_layout`), without the engine or SQLAlchemy (see `governance.ledger_walk`).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import re
import runpy
import types
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "CHAIN_COLUMNS",
    "CHAIN_FROM",
    "HEAD_PREFIX",
    "PAYLOAD_FIELDS",
    "PROPOSALS_SQL",
    "PROPOSAL_COLUMNS",
    "PROPOSAL_MARK",
    "SMALL_UNITS",
    "SNAPSHOT_FIELDS",
    "as_bytes",
    "chain",
    "policies",
    "shown",
    "snapshot_fields",
    "snapshots",
    "step",
]

HEAD_PREFIX = re.compile(r"[0-9a-fA-F]{12,64}")
"""An expected head's hash: whole, or its first 12 or more hex digits (what screens and pack footers show)."""


def _layout() -> Any:
    """`governance.record_layout`: imported in the engine, loaded by its file path in a verify worker."""
    if __package__ == "governance":
        from governance import record_layout

        return record_layout
    return types.SimpleNamespace(**runpy.run_path(str(Path(__file__).with_name("record_layout.py"))))


_LAYOUT = _layout()
header = _LAYOUT.header
MAC_CONTEXT: bytes = _LAYOUT.MAC_CONTEXT

CHAIN_COLUMNS = (
    "l.seq, l.record_id, l.kind, l.subject, l.outcome, l.recorded_by, l.recorded_at, l.engine_version, "
    "l.policy_version, l.inputs, l.payload, l.prev_hash, l.hash, m.mac"
)
CHAIN_FROM = "ledger AS l LEFT JOIN ledger_macs AS m ON m.seq = l.seq"
# Every stored column of the proposals table.
PROPOSAL_COLUMNS = (
    "id",
    "reference",
    "title",
    "bucket",
    "state",
    "sponsor",
    "submitter",
    "content_hash",
    "snapshot",
    "version",
    "filed_seq",
    "last_seq",
    "gate",
    "stage",
)
PROPOSALS_SQL = f"SELECT {', '.join(PROPOSAL_COLUMNS)} FROM proposals"
# The proposal's fields a proposals row copies from the snapshot of its latest version, and the text
# every such snapshot holds (a proposal's or a migrated project's content: `submitter` is required).
SNAPSHOT_FIELDS = ("reference", "title", "bucket", "sponsor", "submitter")
PROPOSAL_MARK = '"submitter":'
# The payload fields the projection and the decision keys are derived from (in this order).
PAYLOAD_FIELDS = ("state_after", "gate", "next_gate", "attempt", "quarter", "stage")
SMALL_UNITS: list[tuple[str, str, tuple[Any, ...]]] = [
    ("policies", "SELECT version, name, content FROM policies", ()),
    ("decision_keys", "SELECT key, seq FROM decision_keys", ()),
    (
        "macs",
        "SELECT m.seq FROM ledger_macs AS m LEFT JOIN ledger AS l ON l.seq = m.seq WHERE l.seq IS NULL ORDER BY m.seq",
        (),
    ),
]


LINK = "record {}: prev_hash does not match the hash of record {}"
FORGED = "record {} was not appended by the engine (its MAC does not match the ledger key)"


def shown(value: Any) -> str:
    """A stored value named in a message: as it is if it is a number or plain printable text, else quoted
    with escapes (a hand-edited column: it must never stop the report, nor the terminal printing it)."""
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.isprintable() and value.isascii()):
        return str(value)
    return ascii(value)


def step(seq: Any, by: int) -> Any:
    """The sequence number `by` after `seq`; a `seq` that is no number (a hand-edited SQLite column) has none."""
    return seq + by if isinstance(seq, (int, float)) else None


def as_bytes(value: Any) -> bytes:
    """A stored text column's bytes (as SQLite read them back, see `run_unit`); a value of another type
    (a hand-edited SQLite column) as its text, which cannot hash to what the engine stored."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    return value if isinstance(value, bytes) else repr(value).encode()


def chain(rows: Iterable[Sequence[Any]], settings: dict[str, Any]) -> dict[str, Any]:
    """Check one range of the ledger, in sequence order.

    Each record's hash is re-derived from its stored bytes and, with the ledger key (`settings["key"]`),
    its MAC from its hash; from its second record on, the range's own sequence and links are checked. The
    first record's link to the record before it is left to the caller (it belongs to the range before),
    and so is a missing MAC (whether one was due depends on the records before). `records` holds
    `(seq, problems)` for the first `max_problems` records with a problem, in the order `verify` reports
    them. `events` holds, by subject, what the derived tables are re-derived from: `(seq, kind, outcome,
    inputs, policy_version, fields)`, `fields` being the PAYLOAD_FIELDS of the kinds in `settings["parsed"]`.
    """
    folds: frozenset[str] = settings["folded"]
    parsed: frozenset[str] = settings["parsed"]
    key: bytes | None = settings["key"]
    expect_seq, expect_hash = settings["expect_head"] or (None, None)
    cap: int = settings["max_problems"]
    records: list[tuple[int, list[str]]] = []
    events: dict[Any, list[tuple[Any, ...]]] = {}
    last: dict[Any, Any] = {}
    inputs_seen: set[str] = set()
    policies_seen: set[str] = set()
    first: tuple[Any, Any] | None = None
    head: tuple[Any, bool] | None = None
    mac_first: Any = None
    macs = forged_count = 0
    unmacked_lead: list[Any] = []  # records without a MAC before the range's first MAC (the first `cap`)
    unmacked_after: list[Any] = []  # and after it
    sha256 = hashlib.sha256
    keyed = None if key is None else _keyed(key)
    count = 0
    seq: Any = None
    stored: Any = None
    expected_seq: Any = None
    prev: Any = None
    for row in rows:
        (
            seq,
            _record_id,
            kind,
            subject,
            outcome,
            _recorded_by,
            _recorded_at,
            _engine_version,
            policy_version,
            inputs,
            payload,
            prev_hash,
            stored,
            mac,
        ) = row
        problems: list[str] | None = None
        if count:
            if seq != expected_seq:
                problems = [f"record {shown(expected_seq)}: missing (the next record is {shown(seq)})"]
            if prev_hash != prev:
                problems = problems or []
                problems.append(LINK.format(shown(seq), shown(step(seq, -1))))
        else:
            first = (seq, prev_hash)
        try:  # the layout: the fields up to inputs, then prev_hash; then the payload
            altered = sha256(header(*row[:10], prev_hash) + payload.encode()).hexdigest() != stored
        except (UnicodeEncodeError, AttributeError):  # a column that is not UTF-8 (see run_unit), or not text
            altered = True
        if altered:
            problems = problems or []
            problems.append(f"record {shown(seq)}: stored bytes do not match its hash (altered)")
        if seq == expect_seq:
            # The hash noted may be a prefix (12 or more digits, as screens and pack footers show it).
            matches = isinstance(stored, str) and stored.startswith(str(expect_hash))
            head = (seq, matches)
            if not matches:
                problems = problems or []
                problems.append(f"record {seq}: hash differs from the expected head {expect_hash}")
        if mac is None:
            if mac_first is None:
                if len(unmacked_lead) < cap:
                    unmacked_lead.append(seq)
            elif len(unmacked_after) < cap:
                unmacked_after.append(seq)
        else:
            macs += 1
            if mac_first is None:
                mac_first = seq
            if key is not None:
                try:  # a plain comparison: verify answers nobody who could time it
                    made = keyed.copy()  # type: ignore[union-attr]
                    made.update(stored.encode())
                    forged = made.hexdigest() != mac
                except (UnicodeEncodeError, AttributeError):
                    forged = True
                if forged:
                    forged_count += 1
                    problems = problems or []
                    problems.append(FORGED.format(shown(seq)))
        if problems and len(records) < cap:
            records.append((seq, problems))
        last[subject] = seq
        if kind in folds:
            event = (seq, kind, outcome, inputs, policy_version, _fields(payload) if kind in parsed else None)
            subject_events = events.get(subject)
            if subject_events is None:
                events[subject] = [event]
            else:
                subject_events.append(event)
        if inputs is not None:
            inputs_seen.add(inputs)
        if policy_version is not None:
            policies_seen.add(policy_version)
        prev, expected_seq = stored, seq + 1 if type(seq) is int else step(seq, 1)
        count += 1
    return {
        "count": count,
        "first": first,
        "last": (seq, stored) if count else None,
        "records": records,
        "head": head,
        "events": events,
        "last_seq": last,
        "inputs": inputs_seen,
        "policies": policies_seen,
        "macs": macs,
        "forged": forged_count,
        "mac_first": mac_first,
        "unmacked_lead": unmacked_lead,
        "unmacked_after": unmacked_after,
    }


def _keyed(key: bytes) -> Any:
    """An HMAC-SHA256 with the key and MAC_CONTEXT already taken in, to copy for each record: a third of
    the time of one `hmac.digest` per record (its key is set up again each time)."""
    try:
        from _hashlib import hmac_new
    except ImportError:  # a Python without OpenSSL's hashes
        return hmac.new(key, MAC_CONTEXT, "sha256")
    return hmac_new(key, MAC_CONTEXT, digestmod="sha256")


def _fields(payload: Any) -> tuple[Any, ...] | None:
    """PAYLOAD_FIELDS of a payload (None for a field it lacks), or None if it is no JSON object (altered)."""
    try:
        body = json.loads(payload)
    except (ValueError, TypeError):
        return None
    return tuple(map(body.get, PAYLOAD_FIELDS)) if isinstance(body, dict) else None


def snapshots(rows: Iterable[Sequence[Any]]) -> dict[str, Any]:
    """Hash each snapshot's content against its key; every key is kept (for the references check).

    `fields`: by key, the SNAPSHOT_FIELDS of each snapshot that reads as a proposal's content (it holds
    PROPOSAL_MARK and is a JSON object), for the proposals table's check: read here, where the content
    passes anyway, rather than looked up again by each proposals row (a join and a second read).
    """
    sha256, loads = hashlib.sha256, _json_loads()
    count = size = 0
    bad: list[str] = []
    keys: list[str] = []
    fields: dict[str, tuple[Any, ...]] = {}
    for key, content in rows:
        data = as_bytes(content)  # a column that is not UTF-8: its bytes, which differ
        count += 1
        size += len(data)
        if sha256(data).hexdigest() != key:
            bad.append(key)
        keys.append(key)
        if isinstance(content, str) and PROPOSAL_MARK in content:
            found = snapshot_fields(content, loads)
            if found is not None:
                fields[key] = found
    return {"count": count, "bytes": size, "bad": bad, "keys": keys, "fields": fields}


def _json_loads() -> Any:
    """pydantic-core's JSON parser (jiter, keys cached) where it is installed, as the engine has it: about
    twice as fast as `json.loads` on a bench snapshot of 2 KB (each proposal's content is parsed)."""
    try:
        from pydantic_core import from_json
    except ImportError:  # not in this environment: the standard library's
        return json.loads
    return functools.partial(from_json, cache_strings="keys")


def snapshot_fields(content: Any, loads: Any = json.loads) -> tuple[Any, ...] | None:
    """SNAPSHOT_FIELDS of a proposal's stored content; None if it is no JSON object (then altered)."""
    try:
        body = loads(content)
    except ValueError:  # jiter refuses what json takes (NaN, lone surrogates from bytes that are not UTF-8)
        try:
            body = json.loads(content)
        except (ValueError, TypeError):
            return None
    except TypeError:
        return None
    return tuple(map(body.get, SNAPSHOT_FIELDS)) if isinstance(body, dict) else None


def policies(rows: Iterable[Sequence[Any]]) -> list[tuple[Any, Any, bool, Any, tuple[tuple[Any, Any], ...]]]:
    """(version, stored name, whether the content hashes to the version, the name the content gives, and
    its gates as (number, the stage a go enters)). A policy's content is what the engine stored only if
    it hashes to its version: only then is it read."""
    out = []
    for version, name, content in rows:
        data = as_bytes(content)
        intact = hashlib.sha256(data).hexdigest() == version
        named: Any = None
        gates: tuple[tuple[Any, Any], ...] = ()
        if intact:
            try:
                body = json.loads(data)
                named = body.get("name")
                gates = tuple((g.get("number"), g.get("enters")) for g in body.get("gates") or ())
            except (ValueError, AttributeError, TypeError):  # stored so by hand, and its version made to match
                named, gates = None, ()
        out.append((version, name, intact, named, gates))
    return out
