"""The tables derived from the ledger, re-derived from it for `verify` and compared with what is stored.

- `proposals` (every column): the state the proposal's records lead to; its latest version's snapshot
  (`snapshot`, `content_hash`) and what that snapshot says (`reference`, `title`, `bucket`, `sponsor`,
  `submitter`); `version` (one per filed or amended record); `filed_seq` and `last_seq` (its first and
  latest record); `gate` and `stage` (from its decisions, corrections and migration, and the policy
  version each was made under).
- `decision_keys`: one per decided gate attempt (`P-2026-0007:g2:a1`, `:sN` after N corrections at that
  gate), per confirmed review (`review:2026Q4`) and per project reviewed in it (`review:2026Q4:P-...`).
- `policies`: the content must hash to the version (checked with the snapshots) and `name` must be the
  name the content gives.

The walk (`governance.verify_units.chain`) collects each subject's events; this module folds them. It
imports no more than the engine's lifecycle: a plain loop per proposal, written to be read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from governance.lifecycle import STATE_AFTER, STATEFUL_PAYLOAD_KINDS
from governance.verify_units import PAYLOAD_FIELDS, PROPOSAL_COLUMNS, shown

__all__ = [
    "FOLDED_KINDS",
    "LEDGER_COLUMNS",
    "PARSED_KINDS",
    "Event",
    "PolicyFacts",
    "check_decision_keys",
    "check_policy_names",
    "check_proposals",
    "expected_decision_keys",
    "expected_proposal",
    "policy_facts",
]

# (seq, kind, outcome, inputs, policy_version, fields): fields are the payload's PAYLOAD_FIELDS, for the
# PARSED_KINDS (None otherwise, or when the payload is no JSON object: then its record is altered).
Event = tuple[Any, str, Any, Any, Any, tuple[Any, ...] | None]

_ENTRIES = ("filed", "amended", "migrated")  # the records that store a version of the proposal
FOLDED_KINDS = frozenset({*STATE_AFTER, *STATEFUL_PAYLOAD_KINDS, *_ENTRIES, "review-confirmed"})
PARSED_KINDS = frozenset({*STATEFUL_PAYLOAD_KINDS, "review-confirmed"})
_STATE, _GATE, _NEXT_GATE, _ATTEMPT, _QUARTER, _STAGE = range(len(PAYLOAD_FIELDS))
_GO = ("go", "conditional-go")
_GATE_KINDS = frozenset({"migrated", "decided", "superseded"})  # the records that move a proposal's gate or stage


class _Unknown:
    """A column the ledger cannot give (its source is missing or altered, which is reported on its own)."""

    def __repr__(self) -> str:
        return "unknown"


UNKNOWN: Any = _Unknown()
_UNKNOWN_FIELDS = (UNKNOWN,) * 5


@dataclass(frozen=True, slots=True)
class PolicyFacts:
    """What a stored policy says that the proposals table copies: each gate's stage, and the last gate."""

    enters: dict[Any, Any]
    last_gate: Any


def _field(fields: tuple[Any, ...] | None, index: int) -> Any:
    return UNKNOWN if fields is None else fields[index]


# The columns of a proposals row its records give (the others, SNAPSHOT_FIELDS, its latest snapshot gives).
LEDGER_COLUMNS = ("state", "content_hash", "snapshot", "version", "filed_seq", "last_seq", "gate", "stage")


def expected_proposal(
    pid: Any,
    events: Sequence[Event],
    last_seq: Any,
    policies: dict[Any, PolicyFacts],
    contents: dict[Any, tuple[Any, ...]],
) -> tuple[Any, ...] | None:
    """The proposals row (its PROPOSAL_COLUMNS) the ledger leads to, or None if it leads to none.

    The LEDGER_COLUMNS come from the proposal's records; the SNAPSHOT_FIELDS from `contents`, by the key of
    its latest version's snapshot (UNKNOWN when that content was not read as a proposal's).
    """
    state: Any = None
    snapshot: Any = UNKNOWN
    version: Any = 0
    filed_seq: Any = UNKNOWN
    gate: Any = 1
    stage: Any = None
    state_after = STATE_AFTER.get
    for seq, kind, outcome, inputs, policy_version, fields in events:
        # Only a PARSED_KINDS record has fields: the state it names, or the state its kind leads to.
        state = fields[_STATE] if fields is not None and fields[_STATE] is not None else state_after(kind, state)
        if kind not in _GATE_KINDS and kind not in _ENTRIES:
            continue
        if kind in _ENTRIES:
            snapshot = inputs
            version = 1 if kind == "migrated" else version + 1
            if filed_seq is UNKNOWN and kind != "amended":
                filed_seq = seq
        if kind == "migrated":
            policy = policies.get(policy_version)
            gate = UNKNOWN if policy is None else policy.last_gate
            stage = _field(fields, _STAGE)
        elif kind == "decided" and outcome in _GO:
            policy, number = policies.get(policy_version), _field(fields, _GATE)
            stage = UNKNOWN if policy is None or number is UNKNOWN else policy.enters.get(number, UNKNOWN)
            next_gate = _field(fields, _NEXT_GATE)
            if next_gate is not None:
                gate = next_gate
        elif kind == "superseded":
            gate = _field(fields, _GATE)
    if state is None:
        return None
    reference, title, bucket, sponsor, submitter = contents.get(snapshot) or _UNKNOWN_FIELDS
    return (
        pid,
        reference,
        title,
        bucket,
        state,
        sponsor,
        submitter,
        snapshot,  # content_hash: the snapshot's key is the hash of the proposal's content
        snapshot,
        version or UNKNOWN,
        filed_seq,
        last_seq,
        gate,
        stage,
    )


def _shown(value: Any) -> str:
    """A stored value in a message: text quoted (escapes for what is not printable ASCII), others as they are."""
    return ascii(value) if isinstance(value, (str, bytes)) else str(value)


def _differs(stored: Any, expected: Any) -> bool:
    """A stored value that is not the one expected (UNKNOWN: the ledger cannot say, and says why elsewhere).

    Values compare as Python compares them: SQLite's column affinity turns a stored '1' or 1.0 into the
    integer 1 in an INTEGER column, and a number into text in a TEXT one, so no other type compares equal.
    """
    return expected is not UNKNOWN and stored != expected


def check_proposals(
    rows: list[tuple[Any, ...]],
    events: dict[Any, list[Event]],
    last_seq: dict[Any, Any],
    policies: dict[Any, PolicyFacts],
    fields: dict[Any, tuple[Any, ...]],
    max_problems: int,
) -> list[str]:
    """Each stored proposals row (its PROPOSAL_COLUMNS) against the row the ledger leads to.

    `fields`: by snapshot key, the SNAPSHOT_FIELDS a proposal's stored content gives (`verify_units.snapshots`);
    a content not there (missing, altered, not a proposal's) leaves those columns unchecked, and is reported
    on its own. Problems in the order of the proposals' ids.
    """
    stored = {row[0]: row for row in rows}
    problems: dict[Any, list[str]] = {}
    underived: set[Any] = set()  # subjects whose records lead to no proposals row
    for pid, subject_events in events.items():
        expected = expected_proposal(pid, subject_events, last_seq.get(pid), policies, fields)
        if expected is None:
            underived.add(pid)
            continue
        row = stored.get(pid)
        if row is None:
            first = shown(subject_events[0][0])
            problems[pid] = [f"proposal {shown(pid)}: missing from the proposals table (record {first} is about it)"]
            continue
        if row == expected:  # the common case, at once
            continue
        wrong = [
            f"proposal {shown(pid)}: stored {column} {_shown(value)} differs from the ledger's {_shown(want)}"
            for column, value, want in zip(PROPOSAL_COLUMNS[1:], row[1:], expected[1:], strict=True)
            if _differs(value, want)
        ]
        if wrong:
            problems[pid] = wrong
    for pid in (stored.keys() - events.keys()) | (stored.keys() & underived):
        problems[pid] = [f"proposal {shown(pid)}: in the proposals table, but the ledger has no record of it"]
    out: list[str] = []
    for pid in sorted(problems, key=str):
        if len(out) >= max_problems:
            break
        out.extend(problems[pid])
    return out[:max_problems]


def expected_decision_keys(events: dict[Any, list[Event]]) -> dict[str, Any]:
    """Every decision key the ledger's records made, and the record that made it."""
    keys: dict[str, Any] = {}
    for subject, subject_events in events.items():
        corrections: dict[Any, int] = {}
        for seq, kind, _outcome, _inputs, _policy, fields in subject_events:
            if fields is None or (None in (fields[_GATE], fields[_ATTEMPT]) and kind == "decided"):
                continue  # a payload the engine did not write (its record's hash or MAC says so)
            if kind == "superseded":
                corrections[fields[_GATE]] = corrections.get(fields[_GATE], 0) + 1
            elif kind == "decided":
                gate = fields[_GATE]
                done = corrections.get(gate, 0)
                keys[f"{subject}:g{gate}:a{fields[_ATTEMPT]}" + (f":s{done}" if done else "")] = seq
            elif fields[_QUARTER] is None:
                continue
            elif kind == "review-confirmed":
                keys[f"review:{fields[_QUARTER]}"] = seq
            elif kind == "reviewed":
                keys[f"review:{fields[_QUARTER]}:{subject}"] = seq
    return keys


def check_decision_keys(rows: list[tuple[Any, Any]], events: dict[Any, list[Event]], max_problems: int) -> list[str]:
    """The stored decision keys against the keys the ledger's records made (in the order of the keys)."""
    stored = dict(rows)
    expected = expected_decision_keys(events)
    problems: dict[Any, str] = {}
    for key, seq in expected.items():
        if key not in stored:
            problems[key] = f"decision key {_shown(key)}: missing (the ledger's record {seq} made it)"
        elif stored[key] != seq:
            problems[key] = (
                f"decision key {_shown(key)}: stored record {_shown(stored[key])} differs from the ledger's {seq}"
            )
    for key in stored.keys() - expected.keys():
        problems[key] = f"decision key {_shown(key)} (record {_shown(stored[key])}): the ledger made no such key"
    return [problems[k] for k in sorted(problems, key=str)][:max_problems]


PolicyRead = tuple[Any, Any, bool, Any, tuple[tuple[Any, Any], ...]]


def check_policy_names(rows: list[PolicyRead]) -> list[str]:
    """The stored name of each intact policy against the name its content gives."""
    return [
        f"policy {shown(version)}: stored name {_shown(name)} differs from the policy's {_shown(named)}"
        for version, name, intact, named, _gates in rows
        if intact and _differs(name, named)
    ]


def policy_facts(rows: list[PolicyRead]) -> dict[Any, PolicyFacts]:
    """The gates of each intact policy, by version."""
    return {
        version: PolicyFacts(dict(gates), gates[-1][0])
        for version, _name, intact, _named, gates in rows
        if intact and gates
    }
