"""The hashed layout of a ledger record: defined here once, for the ledger, the verify walk and export.

A record's hash is SHA-256 over its stored bytes:

    header  = JSON array, no spaces, UTF-8, of the HEADER_FIELDS in order:
              [seq, record_id, kind, subject, outcome, recorded_by, recorded_at,
               engine_version, policy_version, inputs, prev_hash]
    hash    = sha256(header + "\\n" + payload)      # payload: the canonical JSON text as stored

An auditor can re-derive every hash from a plain SQL dump with these two lines. This module imports
only the standard library: the verify worker loads it by file path, without the engine.

A record appended with the ledger key (a secret kept on the engine's hosts, never in the database)
also gets a MAC, stored beside it in `ledger_macs`:

    mac     = HMAC-SHA256(key, "governance-ledger-mac-v1\n" + hash)   # lower-case hex, like the hash

The hash covers every stored byte of the record and, through `prev_hash`, every record before it: a MAC
over the hash authenticates both, and costs one short HMAC per record to check.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "HEADER_FIELDS",
    "MAC_CONTEXT",
    "RECORD_FIELDS",
    "header",
    "header_reference",
    "key_id",
    "record_hash",
    "record_mac",
    "rehash",
]

# The stored columns of one ledger record, in table order (pack attachments, `governance export`).
RECORD_FIELDS = (
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
# The columns the header holds, in its order: every stored column but the payload and the hash.
HEADER_FIELDS = (*RECORD_FIELDS[:10], "prev_hash")

# The same bytes as json.dumps(..., ensure_ascii=False, separators=(",", ":")), without building an
# encoder per call.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
# Bytes json.dumps(ensure_ascii=False) escapes in a string (a quote, a backslash, control characters).
_ESCAPED = b'"\\' + bytes(range(0x20))


def header_reference(values: Sequence[Any]) -> bytes:
    """The header line (with its final newline) of the HEADER_FIELDS values, by the JSON encoder itself."""
    return _JSON(list(values)).encode() + b"\n"


def header(
    seq: Any,
    record_id: Any,
    kind: Any,
    subject: Any,
    outcome: Any,
    recorded_by: Any,
    recorded_at: Any,
    engine_version: Any,
    policy_version: Any,
    inputs: Any,
    prev_hash: Any,
) -> bytes:
    """The header line (with its final newline): `header_reference`'s bytes, made faster.

    Written out directly when that gives the encoder's bytes (an int seq and text fields with
    nothing to escape: about a third of verify's time per record, measured in bench/verify.py);
    the encoder otherwise, so a hand-edited row is hashed exactly as the reference would.
    """
    if type(seq) is int:
        try:
            encoded = "".join(
                (
                    "[",
                    str(seq),
                    ',"',
                    record_id,
                    '","',
                    kind,
                    '","',
                    subject,
                    '",',
                    "null" if outcome is None else '"' + outcome + '"',
                    ',"',
                    recorded_by,
                    '","',
                    recorded_at,
                    '","',
                    engine_version,
                    '",',
                    "null" if policy_version is None else '"' + policy_version + '"',
                    ",",
                    "null" if inputs is None else '"' + inputs + '"',
                    ',"',
                    prev_hash,
                    '"]\n',
                )
            ).encode()
        except TypeError:  # a field that is not text (join refuses it): the encoder decides
            pass
        else:
            # Without its quotes and the final newline, nothing may go: a quote, backslash or
            # control character inside a field is one the encoder would have escaped.
            quotes = 14 + 2 * ((outcome is not None) + (policy_version is not None) + (inputs is not None))
            if len(encoded.translate(None, _ESCAPED)) == len(encoded) - quotes - 1:
                return encoded
    return header_reference(
        (
            seq,
            record_id,
            kind,
            subject,
            outcome,
            recorded_by,
            recorded_at,
            engine_version,
            policy_version,
            inputs,
            prev_hash,
        )
    )


def record_hash(header_line: bytes, payload: str) -> str:
    """The record's hash from its header line (`header`) and its stored payload text."""
    return hashlib.sha256(header_line + payload.encode()).hexdigest()


def rehash(columns: Mapping[str, Any]) -> str:
    """The hash of a record given as its stored columns (an export line, a pack attachment)."""
    return record_hash(header(*(columns[f] for f in HEADER_FIELDS)), columns["payload"])


# What a record's MAC is over, before its hash: a MAC made with the same key for anything else never matches.
MAC_CONTEXT = b"governance-ledger-mac-v1\n"


def record_mac(key: bytes, record_hash_hex: str) -> str:
    """The record's MAC with the ledger key: HMAC-SHA256 over MAC_CONTEXT and its hash, as hex."""
    return hmac.digest(key, MAC_CONTEXT + record_hash_hex.encode(), "sha256").hex()


def key_id(key: bytes) -> str:
    """A name for a ledger key that gives nothing of it away (to tell two keys apart in messages)."""
    return hmac.digest(key, b"governance-ledger-key-id", "sha256").hex()[:12]
