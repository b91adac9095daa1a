"""The decision ledger: an append-only, hash-chained sequence of records.

Each record's hash is SHA-256 over its stored bytes, laid out as `governance.record_layout` says (the
one definition of the layout). `prev_hash` of the first record is 64 zeros. `inputs` is the key of the
content-addressed snapshot holding what the record was decided on. A ledger given the ledger key
(`governance.ledger_key`) stores each record's MAC in `ledger_macs`, in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from sqlalchemy import Connection, insert, select, update

from governance import derived, ledger_walk, verify_units
from governance.canonical import canonical_text, sha256_hex
from governance.clock import Clock, IdSource, format_utc, parse_utc
from governance.errors import NotFoundError
from governance.events import note_appended
from governance.ledger_key import check_key
from governance.record_layout import header, key_id, record_hash, record_mac
from governance.signatures import recorded_signature_problems
from governance.store import Store
from governance.verify_units import HEAD_PREFIX, shown, step
from models.records import LedgerRecord
from models.tables import LedgerMacRow, LedgerRow, PolicyRow, ProposalRow, SnapshotRow

__all__ = [
    "ENGINE_VERSION",
    "GENESIS_HASH",
    "Canonical",
    "Ledger",
    "NewRecord",
    "Stored",
    "VerifyReport",
    "Walked",
    "iter_records",
    "latest_record",
    "record_object",
    "records_for",
    "verify",
]

GENESIS_HASH = "0" * 64
try:
    ENGINE_VERSION = version("portfolio-governance")
except PackageNotFoundError:  # running from a source tree that was never installed
    ENGINE_VERSION = "0+unknown"

_COLUMNS = (
    LedgerRow.seq,
    LedgerRow.record_id,
    LedgerRow.kind,
    LedgerRow.subject,
    LedgerRow.outcome,
    LedgerRow.recorded_by,
    LedgerRow.recorded_at,
    LedgerRow.engine_version,
    LedgerRow.policy_version,
    LedgerRow.inputs,
    LedgerRow.payload,
    LedgerRow.prev_hash,
    LedgerRow.hash,
)


def record_object(record: LedgerRecord) -> dict[str, Any]:
    """A record's stored columns (`payload` is the stored canonical text, `recorded_at` as stored)."""
    return {
        "seq": record.seq,
        "record_id": record.record_id,
        "kind": record.kind,
        "subject": record.subject,
        "outcome": record.outcome,
        "recorded_by": record.recorded_by,
        "recorded_at": format_utc(record.recorded_at),
        "engine_version": record.engine_version,
        "policy_version": record.policy_version,
        "inputs": record.inputs,
        "payload": record.payload_text,
        "prev_hash": record.prev_hash,
        "hash": record.hash,
    }


class Canonical(str):
    """Text already in canonical JSON form: stored as it is, never serialised again."""

    __slots__ = ()


class Stored(str):
    """The key of a snapshot already in the store: a record's inputs by reference, nothing written again.

    The caller checks that the snapshot is there (governance.intake does, for a spread intake's parts)."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class NewRecord:
    """A record to append. `inputs` (any JSON-able value) becomes a content-addressed snapshot.

    `payload` is the kind's payload model (`models.records`: `DecidedPayload(...)` for `decided`); it is
    stored as its canonical text, and read back through the same model (`LedgerRecord.body`). A `Canonical`
    payload is that text already (made from the model elsewhere: a spread intake's part), stored as it is.
    """

    kind: str
    subject: str
    payload: Any
    outcome: str | None = None
    policy_version: str | None = None
    inputs: Any = None


def _row_to_record(row: Sequence[Any], recorded_at: dt.datetime | None = None) -> LedgerRecord:
    """A stored row as a record (`recorded_at`: the time its text was made from, when at hand)."""
    return LedgerRecord(
        seq=row[0],
        record_id=row[1],
        kind=row[2],
        subject=row[3],
        outcome=row[4],
        recorded_by=row[5],
        recorded_at=parse_utc(row[6]) if recorded_at is None else recorded_at,
        engine_version=row[7],
        policy_version=row[8],
        inputs=row[9],
        payload_text=row[10],
        prev_hash=row[11],
        hash=row[12],
    )


class Ledger:
    """Appends records inside a `Store.write()` transaction, with the injected clock and ids.

    With `key` (the ledger key, `Settings.ledger_secret()`), each record's MAC is stored with it.
    """

    def __init__(
        self, clock: Clock, ids: IdSource, engine_version: str = ENGINE_VERSION, *, key: bytes | None = None
    ) -> None:
        self.clock = clock
        self.ids = ids
        self.engine_version = engine_version
        self.key = key

    def append(self, conn: Connection, records: Sequence[NewRecord], recorded_by: str) -> list[LedgerRecord]:
        """Append `records` in order. The caller's transaction must hold the write lock.

        Raises:
            ConfigError: the ledger has records with MACs, and this ledger has no key or another than its head's.
            IntegrityError: the ledger has records with MACs, but its head has none.
        """
        if not records:
            return []
        seq, prev = head(conn)
        check_key(conn, self.key, seq, prev)
        snapshots: dict[str, str] = {}
        rows: list[dict[str, Any]] = []
        out: list[LedgerRecord] = []
        for new in records:
            seq += 1
            inputs_key = None
            if isinstance(new.inputs, Stored):
                inputs_key = str(new.inputs)
            elif new.inputs is not None:
                text = new.inputs if isinstance(new.inputs, Canonical) else canonical_text(new.inputs)
                inputs_key = sha256_hex(text)
                snapshots[inputs_key] = text
            payload = new.payload if isinstance(new.payload, Canonical) else canonical_text(new.payload)
            moment = self.clock.now().astimezone(dt.UTC)
            recorded_at = format_utc(moment)
            record_id = self.ids.new_id(f"ledger:{seq}")
            digest = record_hash(
                header(
                    seq,
                    record_id,
                    new.kind,
                    new.subject,
                    new.outcome,
                    recorded_by,
                    recorded_at,
                    self.engine_version,
                    new.policy_version,
                    inputs_key,
                    prev,
                ),
                payload,
            )
            row = {
                "seq": seq,
                "record_id": record_id,
                "kind": new.kind,
                "subject": new.subject,
                "outcome": new.outcome,
                "recorded_by": recorded_by,
                "recorded_at": recorded_at,
                "engine_version": self.engine_version,
                "policy_version": new.policy_version,
                "inputs": inputs_key,
                "payload": payload,
                "prev_hash": prev,
                "hash": digest,
            }
            rows.append(row)
            out.append(_row_to_record([row[c.key] for c in _COLUMNS], moment))
            prev = digest
        put_snapshots(conn, snapshots)
        conn.execute(insert(LedgerRow), rows)
        if self.key is not None:
            macs = [{"seq": r["seq"], "mac": record_mac(self.key, r["hash"])} for r in rows]
            conn.execute(insert(LedgerMacRow), macs)
        note_appended(conn.info, out)  # heard by governance.events' listeners once the transaction commits
        return out

    def append_for_proposal(
        self, conn: Connection, record: NewRecord, recorded_by: str, **projection: Any
    ) -> LedgerRecord:
        """Append one record about a proposal and update its row in the proposals projection.

        Every change of a proposal goes through here, so the projection is written only in the
        transaction of the ledger record that changes it (`verify` checks the two agree).
        """
        [written] = self.append(conn, [record], recorded_by)
        conn.execute(
            update(ProposalRow).where(ProposalRow.id == record.subject).values(last_seq=written.seq, **projection)
        )
        return written


def put_snapshots(conn: Connection, snapshots: dict[str, str]) -> None:
    """Insert the snapshots not stored yet (content-addressed: an existing key is the same content)."""
    if not snapshots:
        return
    keys = list(snapshots)
    existing: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        existing.update(conn.scalars(select(SnapshotRow.key).where(SnapshotRow.key.in_(chunk))))
    missing = [{"key": k, "content": snapshots[k]} for k in keys if k not in existing]
    if missing:
        conn.execute(insert(SnapshotRow), missing)


def put_policy(conn: Connection, version: str, name: str, text: str) -> bool:
    """Store a policy by version unless it is already stored. Returns True if it was new."""
    if conn.scalar(select(PolicyRow.version).where(PolicyRow.version == version)) is not None:
        return False
    conn.execute(insert(PolicyRow).values(version=version, name=name, content=text))
    return True


def get_snapshot(conn: Connection, key: str) -> Any:
    text = conn.scalar(select(SnapshotRow.content).where(SnapshotRow.key == key))
    if text is None:
        raise NotFoundError(f"no snapshot {key}")
    return json.loads(text)


def records_for(conn: Connection, subject: str) -> list[LedgerRecord]:
    rows = conn.execute(select(*_COLUMNS).where(LedgerRow.subject == subject).order_by(LedgerRow.seq))
    return [_row_to_record(r) for r in rows]


def latest_record(conn: Connection, subject: str, kind: str) -> LedgerRecord | None:
    """The newest record of `kind` about `subject`, if any."""
    row = conn.execute(
        select(*_COLUMNS)
        .where(LedgerRow.subject == subject, LedgerRow.kind == kind)
        .order_by(LedgerRow.seq.desc())
        .limit(1)
    ).first()
    return _row_to_record(row) if row else None


def iter_records(conn: Connection, *, since_seq: int = 1, batch: int = 5000) -> Iterator[LedgerRecord]:
    rows = conn.execution_options(yield_per=batch).execute(
        select(*_COLUMNS).where(LedgerRow.seq >= since_seq).order_by(LedgerRow.seq)
    )
    for row in rows:
        yield _row_to_record(row)


def head(conn: Connection) -> tuple[int, str]:
    row = conn.execute(select(LedgerRow.seq, LedgerRow.hash).order_by(LedgerRow.seq.desc()).limit(1)).first()
    return (row[0], row[1]) if row else (0, GENESIS_HASH)


@dataclass
class VerifyReport:
    """What `verify` found. `problems` names each record, snapshot, policy or derived row that does not check out.

    `authenticated`: every record was shown to be appended by the engine (verified with the ledger key);
    `authentication` says so, or why not, in a sentence.
    """

    records: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    snapshots: int = 0
    snapshot_bytes: int = 0
    policies: int = 0
    proposals: int = 0
    decision_keys: int = 0
    macs: int = 0
    signatures: int = 0
    authenticated: bool = False
    authentication: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "records": self.records,
            "head": f"{self.head_seq}:{self.head_hash}",
            "snapshots": self.snapshots,
            "snapshot_bytes": self.snapshot_bytes,
            "policies": self.policies,
            "proposals": self.proposals,
            "decision_keys": self.decision_keys,
            "signatures": self.signatures,
            "authenticated": self.authenticated,
            "authentication": self.authentication,
            "problems": self.problems,
        }


def verify(
    store: Store,
    *,
    expect_head: tuple[int, str] | None = None,
    max_problems: int = 20,
    key: bytes | None = None,
) -> VerifyReport:
    """Walk the chain, then every snapshot and policy, re-deriving each hash; re-derive the derived tables.

    With `expect_head` (a sequence number and hash noted earlier, for example printed in a
    board pack; the hash whole or its first 12 or more hex digits, in either case), a chain cut
    short before that record or rewritten up to it is also caught. The
    proposals and decision_keys tables are re-derived from the ledger's records and compared, column by
    column (`governance.derived`).

    With `key` (the ledger key), every record's MAC is checked: a record the engine did not append
    (inserted by hand, or rewritten with every later hash recomputed) is named. Records from before the
    key are covered by the first record with a MAC (its hash covers theirs); every record after it needs
    its own. Without a key nothing is authenticated, and the report says so (`authentication`).

    A ledger of 20,000 records or more is walked by this process and one worker process together
    (see `governance.ledger_walk`): the same checks of the same rows, the same report.
    """
    report = VerifyReport()
    settings = _settings(expect_head, max_problems, key)
    with store.read() as conn:
        plan = ledger_walk.plan(conn, store.dialect)
        results = ledger_walk.run(store, conn, plan.units, settings, parallel=plan.records >= _PARALLEL_FROM)
        walked = _merge_chain(report, [results[i] for i in plan.chain], expect_head, max_problems, key)
        _merge_macs(report, walked, results[plan.tables["macs"]], key, max_problems)
        policies = results[plan.tables["policies"]]
        _merge_content(conn, report, [results[i] for i in plan.snapshots], walked.seen, max_problems, policies)
        keys = results[plan.tables["decision_keys"]]
        fields = {k: f for i in plan.snapshots for k, f in results[i]["fields"].items()}
        _merge_derived(report, walked, results[plan.proposals], fields, policies, keys, max_problems)
        if report.ok:  # the stored inputs and policies are what they say: check the votes' signatures
            report.signatures, found = recorded_signature_problems(conn)
            report.problems.extend(found[:max_problems])
    return report


# A worker process costs about 0.1 s to start: smaller ledgers are walked by this process alone.
_PARALLEL_FROM = 20_000


@dataclass
class Walked:
    """What the chain's ranges give the later checks, joined: each subject's events and latest record,
    the snapshot keys and policy versions the records name, and the first record with a MAC."""

    events: dict[Any, list[derived.Event]] = field(default_factory=dict)
    last_seq: dict[Any, Any] = field(default_factory=dict)
    seen: tuple[set[str], set[str]] = field(default_factory=lambda: (set(), set()))
    mac_first: Any = None
    unauthentic: int = 0  # records with a MAC that does not match, or none after the first MAC (with a key)


def _settings(expect_head: tuple[int, str] | None, max_problems: int, key: bytes | None = None) -> dict[str, Any]:
    if expect_head is not None:
        seq, digest = expect_head
        if not HEAD_PREFIX.fullmatch(digest):
            # A shorter prefix would match too much: it could not tell this chain from another.
            raise ValueError(f"expect_head: the hash must be 12 to 64 hex digits, got {digest!r}")
        expect_head = (seq, digest.lower())
    return {
        "folded": derived.FOLDED_KINDS,
        "parsed": derived.PARSED_KINDS,
        "expect_head": expect_head,
        "max_problems": max_problems,
        "key": key,
    }


def _merge_chain(
    report: VerifyReport,
    parts: list[dict[str, Any]],
    expect_head: tuple[int, str] | None,
    max_problems: int,
    key: bytes | None = None,
) -> Walked:
    """Join the ranges: the link where each meets the one before, and the problems in record order.

    A record's problems are reported, all of them, only while fewer than `max_problems` are (as a
    single walk would); the expected head counts as found only there, too. With `key`, a record without a
    MAC after the first record with one is named.
    """
    problems = report.problems
    expected_seq, prev = 1, GENESIS_HASH
    expect_found = False
    walked = Walked()
    events_by_subject = walked.events
    for part in parts:
        if not part["count"]:
            continue
        first_seq, first_prev = part["first"]
        events: dict[int, list[str]] = dict(part["records"])
        link = []
        if first_seq != expected_seq:
            link.append(f"record {shown(expected_seq)}: missing (the next record is {shown(first_seq)})")
        if first_prev != prev:
            link.append(verify_units.LINK.format(shown(first_seq), shown(step(first_seq, -1))))
        if link:
            events[first_seq] = link + events.get(first_seq, [])
        unmacked = part["unmacked_lead"] + part["unmacked_after"] if walked.mac_first is not None else []
        if walked.mac_first is None and part["mac_first"] is not None:
            walked.mac_first, unmacked = part["mac_first"], part["unmacked_after"]
        if key is not None:
            walked.unauthentic += part["forged"] + len(unmacked)
            for seq in unmacked:
                events[seq] = [
                    *events.get(seq, []),
                    f"record {shown(seq)} was not appended by the engine (it has no MAC, though record "
                    f"{walked.mac_first} before it has one)",
                ]
        head = part["head"]
        if head is not None:
            events.setdefault(head[0], [])
        for seq in sorted(events, key=_in_order):
            if len(problems) < max_problems:
                if head is not None and seq == head[0]:
                    expect_found = True
                problems.extend(events[seq])
        expected_seq, prev = step(part["last"][0], 1), part["last"][1]
        report.records += part["count"]
        report.macs += part["macs"]
        report.head_seq, report.head_hash = part["last"]
        # A proposal's changes run on from one range to the next: join those lists in order.
        joined = {s: events_by_subject[s] + part["events"][s] for s in events_by_subject.keys() & part["events"].keys()}
        events_by_subject.update(part["events"])
        events_by_subject.update(joined)
        walked.last_seq.update(part["last_seq"])
        walked.seen[0].update(part["inputs"])
        walked.seen[1].update(part["policies"])
    if expect_head is not None and not expect_found:
        problems.append(f"record {expect_head[0]}: expected head is missing (the chain ends at {report.head_seq})")
    return walked


def _in_order(seq: Any) -> tuple[bool, Any]:
    """Sequence numbers in the database's order: numbers first (SQLite sorts a hand-edited text after them)."""
    number = isinstance(seq, (int, float))
    return (not number, seq if number else str(seq))


def _merge_macs(report: VerifyReport, walked: Walked, orphans: list[tuple[Any]], key: bytes | None, cap: int) -> None:
    """The MACs' verdict: a ledger without any under a key, MACs of records that are gone, the sentence."""
    if key is not None and report.records and walked.mac_first is None and len(report.problems) < cap:
        report.problems.append(
            f"records 1-{report.head_seq} are not authenticated: none has a MAC (a ledger from before its key "
            "is sealed once with `governance keys seal`)"
        )
    for (seq,) in orphans:
        if len(report.problems) < cap:
            report.problems.append(f"record {shown(seq)}: missing, but its MAC is stored (the chain was cut short)")
    if key is None:
        report.authentication = (
            "records not authenticated: no ledger key is configured (GOVERNANCE_LEDGER_KEY_FILE), so a record "
            "added or rewritten by hand, its hashes recomputed, would pass"
            + (f"; {report.macs} record(s) carry a MAC only the key can check" if report.macs else "")
        )
    elif walked.unauthentic or orphans or walked.mac_first is None:
        report.authentication = f"records not authenticated with the ledger key {key_id(key)}: see the problems"
    else:
        report.authenticated = True
        sealed = (
            f" (records 1-{walked.mac_first - 1}, written before the key, through record {walked.mac_first}'s MAC)"
            if isinstance(walked.mac_first, int) and walked.mac_first > 1
            else ""
        )
        report.authentication = (
            f"records authenticated with the ledger key {key_id(key)}: {report.macs} MAC(s) checked{sealed}"
        )


def _merge_content(
    conn: Connection,
    report: VerifyReport,
    parts: list[dict[str, Any]],
    seen: tuple[set[str], set[str]] | None,
    max_problems: int,
    policies: list[Any] | None = None,
) -> None:
    """Snapshots and policies against their hashes (and a policy's name), and the chain's references to them.

    `seen` holds the snapshot keys and policy versions the chain's records name; without it (a
    walk of the content alone) the references are checked with a query. `policies`: the policies unit's
    result (read here without it).
    """
    keys: set[str] = set()
    bad: list[str] = []
    for part in parts:
        report.snapshots += part["count"]
        report.snapshot_bytes += part["bytes"]
        bad += part["bad"]
        keys.update(part["keys"])
    with ledger_walk.stored_bytes(_dbapi(conn)):
        if len(bad) > 1:  # reported in the database's order of keys, as one walk by key would
            wanted = set(bad)
            bad = [k for k in conn.execute(select(SnapshotRow.key).order_by(SnapshotRow.key)).scalars() if k in wanted]
        for key in bad:
            if len(report.problems) < max_problems:
                report.problems.append(f"snapshot {shown(key)}: content does not match its key (altered)")
        if policies is None:
            policies = verify_units.policies(conn.execute(select(PolicyRow.version, PolicyRow.name, PolicyRow.content)))
        report.policies = len(policies)
        versions = {p[0] for p in policies}
        for version_, _name, intact, _named, _gates in policies:
            if not intact and len(report.problems) < max_problems:
                report.problems.append(f"policy {shown(version_)}: content does not match its version (altered)")
        for problem in derived.check_policy_names(policies):
            if len(report.problems) < max_problems:
                report.problems.append(problem)
        if seen is None or seen[0] - keys:
            for seq, missing_key in _unmatched(conn, LedgerRow.inputs, SnapshotRow.key, max_problems):
                report.problems.append(f"record {shown(seq)}: its input snapshot {shown(missing_key)} is missing")
        if seen is None or seen[1] - versions:
            for seq, missing_version in _unmatched(conn, LedgerRow.policy_version, PolicyRow.version, max_problems):
                report.problems.append(f"record {shown(seq)}: its policy {shown(missing_version)} is not stored")


def _dbapi(conn: Connection) -> Any:
    return conn.connection.dbapi_connection


def _unmatched(conn: Connection, reference: Any, target: Any, limit: int) -> Any:
    """(seq, value) of the records whose `reference` column names no row's `target`, in seq order."""
    return conn.execute(
        select(LedgerRow.seq, reference)
        .outerjoin(target.class_, target == reference)
        .where(reference.is_not(None), target.is_(None))
        .order_by(LedgerRow.seq)
        .limit(limit)
    ).all()


def _merge_derived(
    report: VerifyReport,
    walked: Walked,
    proposals: list[tuple[Any, ...]],
    fields: dict[str, tuple[Any, ...]],
    policies: list[Any],
    decision_keys: list[tuple[Any, Any]],
    max_problems: int,
) -> None:
    """The proposals and decision_keys tables against what the ledger's records lead to (`fields`: what each
    proposal's content says, by snapshot key, from the snapshot walk)."""
    report.proposals, report.decision_keys = len(proposals), len(decision_keys)
    facts = derived.policy_facts(policies)
    room = max_problems - len(report.problems)
    if room > 0:
        report.problems += derived.check_proposals(proposals, walked.events, walked.last_seq, facts, fields, room)
    room = max_problems - len(report.problems)
    if room > 0:
        report.problems += derived.check_decision_keys(decision_keys, walked.events, room)
