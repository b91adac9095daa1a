"""The hashed layout of a record: the fast header is the JSON encoder's bytes, whatever the fields hold."""

from __future__ import annotations

import hashlib
import json

from hypothesis import given
from hypothesis import strategies as st

from governance.record_layout import HEADER_FIELDS, RECORD_FIELDS, header, header_reference, rehash

TEXT = st.text(st.characters(codec="utf-8"), max_size=12)
OPTIONAL = st.none() | TEXT
SEQ = st.integers(min_value=-(2**63), max_value=2**63) | TEXT | st.none()


def test_the_layout() -> None:
    assert RECORD_FIELDS == (
        "seq",
        "record_id",
        "kind",
        "subject",
        "outcome",
        "recorded_by",
        "recorded_at",
        "engine_version",
        "policy_version",
        "inputs",
        "payload",
        "prev_hash",
        "hash",
    )
    assert (*RECORD_FIELDS[:10], "prev_hash") == HEADER_FIELDS


@given(
    st.tuples(SEQ, TEXT, TEXT, TEXT, OPTIONAL, TEXT, TEXT, TEXT, OPTIONAL, OPTIONAL, TEXT | st.none() | st.integers())
)
def test_header_is_the_encoders_bytes(values: tuple[object, ...]) -> None:
    expected = json.dumps(list(values), ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
    assert header(*values) == header_reference(values) == expected


def test_rehash_is_the_auditors_two_lines() -> None:
    columns = {
        "seq": 7,
        "record_id": "r\u00e9c",
        "kind": "decided",
        "subject": 'P-2026-0007 "quoted"',
        "outcome": None,
        "recorded_by": "ana\tb",
        "recorded_at": "2026-11-23T09:00:00.000000Z",
        "engine_version": "0.1.0",
        "policy_version": None,
        "inputs": "ab" * 32,
        "payload": '{"a":"\u00fc"}',
        "prev_hash": "0" * 64,
    }
    line = json.dumps([columns[f] for f in HEADER_FIELDS], ensure_ascii=False, separators=(",", ":"))
    assert rehash(columns) == hashlib.sha256(f"{line}\n{columns['payload']}".encode()).hexdigest()
