"""The ledger on SQLite and PostgreSQL: records, chain, triggers, tampering, concurrent writers."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import multiprocessing
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import DBAPIError

from governance import derived, ledger_walk
from governance import ledger as ledger_module
from governance.authority import Actor
from governance.canonical import canonical_text
from governance.clock import FixedClock, RandomIds, SeededIds, SystemClock
from governance.ledger import (
    GENESIS_HASH,
    Ledger,
    NewRecord,
    VerifyReport,
    iter_records,
    put_policy,
    records_for,
    verify,
)
from governance.lifecycle import state_from_ledger
from governance.record_layout import key_id, record_mac
from governance.store import Store
from governance.verify_units import PAYLOAD_FIELDS, PROPOSALS_SQL, snapshot_fields
from models.decision import DecisionInput
from models.records import (
    RECORD_KINDS,
    RECORD_PAYLOADS,
    DecidedPayload,
    LedgerRecord,
    RecordPayloadError,
    WithdrawnPayload,
    parse_payload,
)
from models.tables import LedgerRow, PolicyRow, ProposalRow, SnapshotRow

from ..conftest import START, unguard


def _expected_hash(r: LedgerRecord) -> str:
    """Re-derive a record's hash exactly as the ledger's docstring tells an auditor to."""
    header = json.dumps(
        [
            r.seq,
            r.record_id,
            r.kind,
            r.subject,
            r.outcome,
            r.recorded_by,
            r.recorded_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            r.engine_version,
            r.policy_version,
            r.inputs,
            r.prev_hash,
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(f"{header}\n{r.payload_text}".encode()).hexdigest()


def test_append_returns_whole_records_that_read_back(store: Store, ledger: Ledger) -> None:
    with store.write() as conn:
        written = ledger.append(
            conn,
            [
                NewRecord(
                    kind="noted",
                    subject="P-2026-0001",
                    payload={"b": 2, "a": "x"},
                    inputs={"reference": "R-1"},
                ),
                NewRecord(kind="checked", subject="P-2026-0001", outcome="pass", policy_version=None, payload={}),
            ],
            "alice",
        )
    ids = SeededIds("test")
    first_id, second_id = ids.new_id("ledger:1"), ids.new_id("ledger:2")
    inputs_key = hashlib.sha256(b'{"reference":"R-1"}').hexdigest()
    first = LedgerRecord(
        seq=1,
        record_id=first_id,
        kind="noted",
        subject="P-2026-0001",
        outcome=None,
        recorded_by="alice",
        recorded_at=START,
        engine_version="test",
        policy_version=None,
        inputs=inputs_key,
        payload_text='{"a":"x","b":2}',
        prev_hash=GENESIS_HASH,
        hash=written[0].hash,
    )
    second = LedgerRecord(
        seq=2,
        record_id=second_id,
        kind="checked",
        subject="P-2026-0001",
        outcome="pass",
        recorded_by="alice",
        recorded_at=START + dt.timedelta(milliseconds=1),
        engine_version="test",
        policy_version=None,
        inputs=None,
        payload_text="{}",
        prev_hash=written[0].hash,
        hash=written[1].hash,
    )
    assert written == [first, second]
    assert [_expected_hash(r) for r in written] == [first.hash, second.hash]
    with store.read() as conn:
        assert records_for(conn, "P-2026-0001") == written
        assert list(iter_records(conn)) == written
        assert conn.execute(text("SELECT content FROM snapshots")).scalars().all() == ['{"reference":"R-1"}']
    report = verify(store, expect_head=(2, second.hash))
    assert report.as_dict() == {
        "ok": True,
        "records": 2,
        "head": f"2:{second.hash}",
        "snapshots": 1,
        "snapshot_bytes": len('{"reference":"R-1"}'),
        "policies": 0,
        "proposals": 0,
        "decision_keys": 0,
        "signatures": 0,
        "authenticated": False,
        "authentication": "records not authenticated: no ledger key is configured (GOVERNANCE_LEDGER_KEY_FILE), "
        "so a record added or rewritten by hand, its hashes recomputed, would pass",
        "problems": [],
    }


def test_same_inputs_same_records(db_url: str, tmp_path: Any) -> None:
    """With the clock and ids fixed, the same appends give byte-identical records on any database."""
    other = Store(f"sqlite:///{tmp_path / 'other.db'}")
    other.upgrade()
    mine = Store(db_url)
    mine.upgrade()
    out = []
    for s in (mine, other):
        lg = Ledger(FixedClock(START, dt.timedelta(seconds=1)), SeededIds("same"), engine_version="1")
        with s.write() as conn:
            out.append(lg.append(conn, [NewRecord(kind="noted", subject="X", payload={"n": 1})], "bob"))
        s.dispose()
    assert out[0] == out[1]


def _tamper(store: Store, sql: str) -> None:
    """Drop the guard triggers, change stored bytes, as an attacker with DBA rights would."""
    with store.engine.begin() as conn:
        if store.dialect == "postgresql":
            conn.execute(text("DROP TRIGGER ledger_append_only ON ledger"))
        else:
            conn.execute(text("DROP TRIGGER ledger_no_update"))
            conn.execute(text("DROP TRIGGER ledger_no_delete"))
        conn.exec_driver_sql(sql)


def _fill(store: Store, ledger: Ledger, n: int) -> list[LedgerRecord]:
    with store.write() as conn:
        put_policy(conn, hashlib.sha256(b'{"name":"p"}').hexdigest(), "p", '{"name":"p"}')
        return ledger.append(
            conn,
            [
                NewRecord(kind="noted", subject=f"P-2026-{i:04d}", payload={"i": i}, inputs={"i": i})
                for i in range(1, n + 1)
            ],
            "carol",
        )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger SET outcome = 'go' WHERE seq = 2",
        "DELETE FROM ledger WHERE seq = 3",
        "UPDATE snapshots SET content = '{}'",
        "DELETE FROM policies",
    ],
)
def test_triggers_refuse_changes(store: Store, ledger: Ledger, statement: str) -> None:
    _fill(store, ledger, 3)
    with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
        conn.execute(text(statement))
    assert verify(store).ok


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_postgres_refuses_truncate(store: Store, ledger: Ledger) -> None:
    _fill(store, ledger, 2)
    for table in ("ledger", "snapshots", "policies"):
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {table}"))
    assert verify(store).records == 2


def test_tampered_payload_is_named(store: Store, ledger: Ledger) -> None:
    _fill(store, ledger, 5)
    _tamper(store, "UPDATE ledger SET payload = '{\"i\":99}' WHERE seq = 3")
    assert verify(store).problems == ["record 3: stored bytes do not match its hash (altered)"]


def test_rewritten_tail_is_caught_by_expected_head(store: Store, ledger: Ledger) -> None:
    records = _fill(store, ledger, 5)
    _tamper(store, "DELETE FROM ledger WHERE seq >= 4")
    assert verify(store).ok  # a cut chain is self-consistent ...
    assert verify(store, expect_head=(5, records[4].hash)).problems == [  # ... but not the head noted earlier
        "record 5: expected head is missing (the chain ends at 3)"
    ]


def test_expected_head_may_be_a_prefix_of_12_or_more_digits_in_either_case(store: Store, ledger: Ledger) -> None:
    records = _fill(store, ledger, 3)
    head = records[2].hash
    for noted in (head, head[:12], head[:16].upper(), head[:40]):
        assert verify(store, expect_head=(3, noted)).problems == [], noted
    # A prefix of another hash fails as a whole other hash does; so does a prefix at the wrong record.
    other = ("0" if head[0] != "0" else "1") + head[1:12]
    assert verify(store, expect_head=(3, other)).problems == [f"record 3: hash differs from the expected head {other}"]
    assert verify(store, expect_head=(2, head[:12].upper())).problems == [
        f"record 2: hash differs from the expected head {head[:12]}"
    ]
    assert verify(store, expect_head=(4, head[:12])).problems == [
        "record 4: expected head is missing (the chain ends at 3)"
    ]
    for short in (head[:11], "", "g" * 12, head + "0"):
        with pytest.raises(ValueError, match=f"expect_head: the hash must be 12 to 64 hex digits, got {short!r}"):
            verify(store, expect_head=(3, short))


def test_missing_middle_record_and_snapshot_are_named(store: Store, ledger: Ledger) -> None:
    records = _fill(store, ledger, 4)
    _tamper(store, "DELETE FROM ledger WHERE seq = 2")
    with store.engine.begin() as conn:
        if store.dialect == "postgresql":
            conn.execute(text("DROP TRIGGER snapshots_append_only ON snapshots"))
        else:
            conn.execute(text("DROP TRIGGER snapshots_no_delete"))
        conn.execute(text("DELETE FROM snapshots WHERE key = :k"), {"k": records[3].inputs})
    assert verify(store).problems == [
        "record 2: missing (the next record is 3)",
        "record 3: prev_hash does not match the hash of record 2",
        f"record 4: its input snapshot {records[3].inputs} is missing",
    ]


def test_altered_snapshot_is_named(store: Store, ledger: Ledger) -> None:
    records = _fill(store, ledger, 2)
    with store.engine.begin() as conn:
        if store.dialect == "postgresql":
            conn.execute(text("DROP TRIGGER snapshots_append_only ON snapshots"))
        else:
            conn.execute(text("DROP TRIGGER snapshots_no_update"))
        conn.execute(text("UPDATE snapshots SET content = :c WHERE key = :k"), {"c": '{"i":7}', "k": records[0].inputs})
    assert verify(store).problems == [f"snapshot {records[0].inputs}: content does not match its key (altered)"]


def _writer(url: str, worker: int, n: int) -> None:
    store = Store(url)
    ledger = Ledger(SystemClock(), RandomIds())
    for i in range(n):
        with store.write() as conn:
            ledger.append(
                conn,
                [NewRecord(kind="noted", subject=f"W{worker}", payload={"w": worker, "i": i})],
                f"w{worker}",
            )
    store.dispose()


def test_concurrent_writers_in_processes_never_fork_the_chain(store: Store) -> None:
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_writer, args=(store.url, w, 15)) for w in range(6)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(120)
    assert [p.exitcode for p in workers] == [0] * 6
    report = verify(store)
    assert (report.ok, report.records) == (True, 90)
    with store.read() as conn:
        per_worker = sorted(len(records_for(conn, f"W{w}")) for w in range(6))
    assert per_worker == [15] * 6


payloads = st.lists(
    st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=20) | st.none(), max_size=3),
    min_size=1,
    max_size=8,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(payloads, min_size=1, max_size=4))
def test_any_sequence_of_appends_verifies(
    tmp_path_factory: pytest.TempPathFactory, batches: list[list[dict[str, Any]]]
) -> None:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('h') / 'g.db'}")
    store.upgrade()
    ledger = Ledger(SystemClock(), RandomIds())
    total = 0
    for batch in batches:
        with store.write() as conn:
            ledger.append(conn, [NewRecord(kind="noted", subject="S", payload=p, inputs=p) for p in batch], "h")
        total += len(batch)
    report = verify(store)
    assert (report.ok, report.records, report.head_seq) == (True, total, total)
    with store.read() as conn:
        stored = [r.payload_text for r in iter_records(conn)]
    assert stored == [canonical_text(p) for batch in batches for p in batch]
    store.dispose()


def test_head_revision_constant_matches_alembic() -> None:
    assert Store.alembic_head() == Store.head_revision()


# -- verify cut into ranges, walked by this process and a worker ---------------------------------


def _reference_verify(
    store: Store, *, expect_head: tuple[int, str] | None = None, max_problems: int = 20, key: bytes | None = None
) -> VerifyReport:
    """verify as one walk in one process, in substance as it was written before it was cut into units (with
    the MACs and the derived tables since): what the walk in units must still report, problem for problem.
    The derived tables' rows are re-derived by `governance.derived` from the events gathered here."""
    report = VerifyReport()
    with store.read() as conn:
        expected_seq, prev = 1, GENESIS_HASH
        expect_found = False
        events: dict[Any, list[Any]] = {}
        last_seq: dict[Any, Any] = {}
        problems = report.problems
        seq, stored = 0, GENESIS_HASH
        mac_first = None
        rows = conn.exec_driver_sql(
            "SELECT l.seq, record_id, kind, subject, outcome, recorded_by, recorded_at, engine_version, "
            "policy_version, inputs, payload, prev_hash, hash, m.mac FROM ledger AS l "
            "LEFT JOIN ledger_macs AS m ON m.seq = l.seq ORDER BY l.seq"
        )
        for row in rows:
            seq, kind, subject, outcome, payload, prev_hash, stored, mac = (
                row[0],
                row[2],
                row[3],
                row[4],
                row[10],
                row[11],
                row[12],
                row[13],
            )
            if len(problems) < max_problems:
                if seq != expected_seq:
                    problems.append(f"record {expected_seq}: missing (the next record is {seq})")
                if prev_hash != prev:
                    problems.append(f"record {seq}: prev_hash does not match the hash of record {seq - 1}")
                header = json.dumps([*row[:10], prev_hash], ensure_ascii=False, separators=(",", ":"))
                if hashlib.sha256(f"{header}\n{payload}".encode()).hexdigest() != stored:
                    problems.append(f"record {seq}: stored bytes do not match its hash (altered)")
                if expect_head is not None and seq == expect_head[0]:
                    expect_found = True
                    if not stored.startswith(expect_head[1].lower()):
                        problems.append(f"record {seq}: hash differs from the expected head {expect_head[1]}")
                if key is not None and mac is not None and mac != record_mac(key, stored):
                    problems.append(
                        f"record {seq} was not appended by the engine (its MAC does not match the ledger key)"
                    )
                if key is not None and mac is None and mac_first is not None:
                    problems.append(
                        f"record {seq} was not appended by the engine (it has no MAC, though record {mac_first} "
                        "before it has one)"
                    )
            if mac is not None:
                report.macs += 1
                mac_first = seq if mac_first is None else mac_first
            last_seq[subject] = seq
            if kind in derived.FOLDED_KINDS:
                fields = None
                if kind in derived.PARSED_KINDS:
                    with contextlib.suppress(ValueError):
                        body = json.loads(payload)
                        fields = tuple(map(body.get, PAYLOAD_FIELDS)) if isinstance(body, dict) else None
                events.setdefault(subject, []).append((seq, kind, outcome, row[9], row[8], fields))
            prev = stored
            expected_seq = seq + 1
            report.records += 1
        if report.records:
            report.head_seq, report.head_hash = seq, stored
        if expect_head is not None and not expect_found:
            problems.append(f"record {expect_head[0]}: expected head is missing (the chain ends at {report.head_seq})")
        if key is not None and report.records and mac_first is None and len(problems) < max_problems:
            problems.append(
                f"records 1-{report.head_seq} are not authenticated: none has a MAC (a ledger from before its key "
                "is sealed once with `governance keys seal`)"
            )
        orphans = conn.exec_driver_sql(
            "SELECT seq FROM ledger_macs WHERE seq NOT IN (SELECT seq FROM ledger) ORDER BY seq"
        ).all()
        for (orphan,) in orphans:
            if len(problems) < max_problems:
                problems.append(f"record {orphan}: missing, but its MAC is stored (the chain was cut short)")
        contents: dict[str, Any] = {}  # what each proposal's content says
        for key_, content in conn.execute(select(SnapshotRow.key, SnapshotRow.content).order_by(SnapshotRow.key)):
            if '"submitter":' in content and (fields := snapshot_fields(content)) is not None:
                contents[key_] = fields
            data = content.encode("utf-8")
            report.snapshots += 1
            report.snapshot_bytes += len(data)
            if hashlib.sha256(data).hexdigest() != key_ and len(problems) < max_problems:
                problems.append(f"snapshot {key_}: content does not match its key (altered)")
        policies = []
        for version_, name, content in conn.execute(select(PolicyRow.version, PolicyRow.name, PolicyRow.content)):
            report.policies += 1
            intact = hashlib.sha256(content.encode()).hexdigest() == version_
            body = json.loads(content) if intact else {}
            gates = tuple((g["number"], g["enters"]) for g in body.get("gates", []))
            policies.append((version_, name, intact, body.get("name"), gates))
            if not intact and len(problems) < max_problems:
                problems.append(f"policy {version_}: content does not match its version (altered)")
        for problem in derived.check_policy_names(policies):
            if len(problems) < max_problems:
                problems.append(problem)
        for seq_, missing_key in conn.execute(
            select(LedgerRow.seq, LedgerRow.inputs)
            .outerjoin(SnapshotRow, SnapshotRow.key == LedgerRow.inputs)
            .where(LedgerRow.inputs.is_not(None), SnapshotRow.key.is_(None))
            .order_by(LedgerRow.seq)
            .limit(max_problems)
        ):
            problems.append(f"record {seq_}: its input snapshot {missing_key} is missing")
        for seq_, missing_version in conn.execute(
            select(LedgerRow.seq, LedgerRow.policy_version)
            .outerjoin(PolicyRow, PolicyRow.version == LedgerRow.policy_version)
            .where(LedgerRow.policy_version.is_not(None), PolicyRow.version.is_(None))
            .order_by(LedgerRow.seq)
            .limit(max_problems)
        ):
            problems.append(f"record {seq_}: its policy {missing_version} is not stored")
        proposals = [tuple(row) for row in conn.exec_driver_sql(PROPOSALS_SQL)]
        keys = [tuple(row) for row in conn.exec_driver_sql("SELECT key, seq FROM decision_keys")]
        report.proposals, report.decision_keys = len(proposals), len(keys)
        facts = derived.policy_facts(policies)
        if len(problems) < max_problems:
            room = max_problems - len(problems)
            problems += derived.check_proposals(proposals, events, last_seq, facts, contents, room)
        if len(problems) < max_problems:
            problems += derived.check_decision_keys(keys, events, max_problems - len(problems))
    _authentication(report, key, mac_first, bool(orphans))
    return report


def _authentication(report: VerifyReport, key: bytes | None, mac_first: Any, orphans: bool) -> None:
    if key is None:
        report.authentication = (
            "records not authenticated: no ledger key is configured (GOVERNANCE_LEDGER_KEY_FILE), so a record "
            "added or rewritten by hand, its hashes recomputed, would pass"
            + (f"; {report.macs} record(s) carry a MAC only the key can check" if report.macs else "")
        )
        return
    if orphans or mac_first is None or any("not appended" in p or "not authenticated" in p for p in report.problems):
        report.authentication = f"records not authenticated with the ledger key {key_id(key)}: see the problems"
        return
    report.authenticated = True
    sealed = f" (records 1-{mac_first - 1}, written before the key, through record {mac_first}'s MAC)"
    report.authentication = f"records authenticated with the ledger key {key_id(key)}: {report.macs} MAC(s) checked" + (
        sealed if mac_first > 1 else ""
    )


FORGED = "record {} was not appended by the engine (its MAC does not match the ledger key)"
POLICY_TEXT = '{"name":"p"}'
POLICY = hashlib.sha256(POLICY_TEXT.encode()).hexdigest()


def _content(pid: str) -> dict[str, str]:
    """A proposal's stored content: what its proposals row copies, and `p` (the tampering cases find it by)."""
    return {"p": pid, "reference": f"R-{pid}", "title": "t", "bucket": "b", "sponsor": "s", "submitter": "u"}


def _fill_proposals(store: Store, ledger: Ledger, n: int) -> list[LedgerRecord]:
    """n records about proposals P-1, P-2, ... (filed, screened, decided in turn), with their projection."""
    out: list[LedgerRecord] = []
    with store.write() as conn:
        put_policy(conn, POLICY, "p", POLICY_TEXT)
        for i in range(1, n + 1):
            pid, step = f"P-{(i + 2) // 3}", i % 3
            record = {
                1: NewRecord(kind="filed", subject=pid, payload={"i": i}, inputs=_content(pid)),
                2: NewRecord(kind="screened", subject=pid, outcome="pass", payload={"i": i}, policy_version=POLICY),
                0: NewRecord(kind="decided", subject=pid, outcome="hold", payload={"state_after": "on-hold"}),
            }[step]
            [written] = ledger.append(conn, [record], "dana")
            out.append(written)
            state = state_from_ledger(
                [(r.kind, r.outcome, r.payload.get("state_after")) for r in out if r.subject == pid]
            )
            if step == 1:
                conn.execute(
                    insert(ProposalRow).values(
                        id=pid,
                        reference=f"R-{pid}",
                        title="t",
                        bucket="b",
                        state=state,
                        sponsor="s",
                        submitter="u",
                        content_hash=written.inputs,
                        snapshot=written.inputs,
                        version=1,
                        filed_seq=i,
                        last_seq=i,
                    )
                )
            else:
                conn.execute(update(ProposalRow).where(ProposalRow.id == pid).values(state=state, last_seq=i))
    return out


@pytest.fixture
def cut(monkeypatch: pytest.MonkeyPatch) -> None:
    """verify cut into ranges of 3 records (and slices of 3 snapshots), with a worker, whatever the size."""
    monkeypatch.setattr(ledger_module, "_PARALLEL_FROM", 0)
    monkeypatch.setattr(ledger_walk, "CHUNK", 3)


def _worker_takes_all_but(monkeypatch: pytest.MonkeyPatch, mine: int) -> list[int]:
    """This process claims its first `mine` units, then leaves the rest to the worker (and waits).

    Returns a list that gets, for each walk, how many units' results came from the worker.
    """
    real = ledger_walk.claim
    taken: list[int] = []
    delivered: list[int] = []

    def claim(counter: Any) -> int:
        if len(taken) >= mine:
            taken.append(-1)
            return 1 << 30
        taken.append(real(counter))
        return taken[-1]

    results = ledger_walk.Worker.results

    def counted(worker: Any, pending: set[int]) -> dict[int, Any]:
        taken.clear()
        out: dict[int, Any] = results(worker, pending)
        delivered.append(len(out))
        return out

    monkeypatch.setattr(ledger_walk, "claim", claim)
    monkeypatch.setattr(ledger_walk.Worker, "results", counted)
    return delivered


TAMPERING = {
    "first-range": ["UPDATE ledger SET payload = '{\"i\":99}' WHERE seq = 2"],
    "range-start": ["UPDATE ledger SET payload = '{\"i\":99}' WHERE seq = 4"],
    "range-end": ["UPDATE ledger SET outcome = 'fail' WHERE seq = 6"],
    "last-record": ['UPDATE ledger SET payload = \'{"state_after":"killed"}\' WHERE seq = 12'],
    "cut-at-boundary": ["DELETE FROM ledger WHERE seq = 4"],
    "cut-before-boundary": ["DELETE FROM ledger WHERE seq = 3"],
    "relinked": ["UPDATE ledger SET prev_hash = hash WHERE seq = 7"],
    "both-halves": [
        "UPDATE ledger SET payload = '{\"i\":98}' WHERE seq = 1",
        "DELETE FROM ledger WHERE seq = 9",
        "UPDATE ledger SET kind = 'screened-out' WHERE seq = 11",
    ],
    "projection": ["UPDATE proposals SET state = 'killed' WHERE id = 'P-2'"],
    "snapshots": [
        "UPDATE snapshots SET content = '{}' WHERE content LIKE '%%\"p\":\"P-3\"%%'",
        "UPDATE snapshots SET content = '{}' WHERE content LIKE '%%\"p\":\"P-1\"%%'",
        'DELETE FROM snapshots WHERE content LIKE \'%%"p":"P-2"%%\'',
    ],
    "policy": ["DELETE FROM policies"],
}


@pytest.mark.parametrize("split", ["worker-does-all", "shared"])
@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_walk_in_units_reports_tampering_anywhere(
    store: Store, ledger: Ledger, cut: None, monkeypatch: pytest.MonkeyPatch, case: str, split: str
) -> None:
    """Tampering in either process's share, at a range's first or last record, or between ranges."""
    records = _fill_proposals(store, ledger, 12)
    for table in ("ledger", "snapshots", "policies"):
        unguard(store, table)
    with store.engine.begin() as conn:
        for statement in TAMPERING[case]:
            conn.exec_driver_sql(statement)
    _worker_takes_all_but(monkeypatch, 0 if split == "worker-does-all" else 3)
    for expect_head, max_problems in [
        (None, 20),
        ((6, records[5].hash), 20),
        ((12, records[11].hash), 2),
        ((13, "f" * 64), 1),
    ]:
        expected = _reference_verify(store, expect_head=expect_head, max_problems=max_problems)
        assert verify(store, expect_head=expect_head, max_problems=max_problems) == expected
    assert not verify(store).ok


def test_walk_in_units_names_problems_in_record_order(store: Store, ledger: Ledger, cut: None) -> None:
    _fill_proposals(store, ledger, 12)
    unguard(store, "ledger")
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE ledger SET payload = '{\"i\":99}' WHERE seq = 4")
        conn.exec_driver_sql("DELETE FROM ledger WHERE seq = 7")
        conn.exec_driver_sql("UPDATE ledger SET payload = '{\"i\":99}' WHERE seq = 12")
    assert verify(store).problems == [
        "record 4: stored bytes do not match its hash (altered)",
        "record 7: missing (the next record is 8)",
        "record 8: prev_hash does not match the hash of record 7",
        "record 12: stored bytes do not match its hash (altered)",
        "proposal P-4: stored state 'on-hold' differs from the ledger's 'screened'",  # its decision lost its state
    ]
    assert verify(store, max_problems=2).problems == [
        "record 4: stored bytes do not match its hash (altered)",
        "record 7: missing (the next record is 8)",
        "record 8: prev_hash does not match the hash of record 7",  # a record's problems come together
    ]


def test_a_failed_worker_leaves_its_units_to_this_process(
    store: Store, ledger: Ledger, cut: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill_proposals(store, ledger, 10)
    start = ledger_walk.Worker.start.__func__  # type: ignore[attr-defined]

    def broken(cls: Any, store_: Store, units: Any, settings: Any, *script: str) -> Any:
        return start(cls, store_, [("chain", "SELECT no_such_column FROM ledger", ())] * len(units), settings, *script)

    monkeypatch.setattr(ledger_walk.Worker, "start", classmethod(broken))
    _worker_takes_all_but(monkeypatch, 0)
    assert verify(store) == _reference_verify(store)


def test_small_ledgers_start_no_worker(store: Store, ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    _fill_proposals(store, ledger, 5)
    monkeypatch.setattr(ledger_walk.Worker, "start", classmethod(lambda *a: pytest.fail("a worker started")))
    assert verify(store) == _reference_verify(store)


def test_the_worker_does_not_import_the_callers_main_script() -> None:
    main = sys.modules["__main__"]
    with ledger_walk.plain_main():
        assert sys.modules["__main__"] is not main
        assert getattr(sys.modules["__main__"], "__file__", None) is None
    assert sys.modules["__main__"] is main


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n=st.integers(0, 14),
    chunk=st.integers(1, 5),
    statements=st.lists(
        st.sampled_from(
            [
                *[s for case in TAMPERING.values() for s in case],
                "DELETE FROM ledger WHERE seq = 1",
                "UPDATE ledger SET seq = 30 WHERE seq = 5",
                "UPDATE ledger SET seq = 6.5 WHERE seq = 6",
                "UPDATE ledger SET seq = 20.5 WHERE seq = 12",
                "UPDATE ledger SET hash = 'x' WHERE seq = 8",
                "UPDATE ledger SET subject = 'P-\"q' WHERE seq = 10",
                "UPDATE ledger SET recorded_by = 'tab\tbed' WHERE seq = 2",
                "INSERT INTO snapshots (key, content) VALUES ('0000', 'odd')",
                "DELETE FROM proposals WHERE id = 'P-1'",
            ]
        ),
        max_size=4,
    ),
    head=st.one_of(st.none(), st.tuples(st.integers(0, 16), st.sampled_from(["f" * 64, "real", "real-prefix"]))),
    max_problems=st.integers(1, 6),
)
def test_any_cut_reports_what_one_walk_reports(
    tmp_path_factory: pytest.TempPathFactory,
    n: int,
    chunk: int,
    statements: list[str],
    head: tuple[int, str] | None,
    max_problems: int,
) -> None:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('cut') / 'g.db'}")
    store.upgrade()
    records = _fill_proposals(store, Ledger(FixedClock(START, dt.timedelta(seconds=1)), SeededIds("cut")), n)
    for table in ("ledger", "snapshots", "policies"):
        unguard(store, table)
    with store.engine.begin() as conn:
        for statement in statements:
            with contextlib.suppress(DBAPIError):  # a statement that no longer applies
                conn.exec_driver_sql(statement)
    if head is not None and head[1].startswith("real"):
        digest = records[head[0] - 1].hash if 0 < head[0] <= n else "f" * 64
        head = (head[0], digest[:12] if head[1] == "real-prefix" else digest)
    expected = _reference_verify(store, expect_head=head, max_problems=max_problems)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ledger_walk, "CHUNK", chunk)
        patch.setattr(ledger_module, "_PARALLEL_FROM", 1 << 30)  # this process alone: the cuts are the point
        assert verify(store, expect_head=head, max_problems=max_problems) == expected
    store.dispose()


def _verify_in_pool(url: str) -> dict[str, Any]:
    ledger_module._PARALLEL_FROM = 0  # would start a worker, but a pool's process may not have children
    ledger_walk.CHUNK = 3
    return verify(Store(url)).as_dict()


def test_a_pool_process_walks_alone(store: Store, ledger: Ledger) -> None:
    _fill_proposals(store, ledger, 8)
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        assert pool.apply(_verify_in_pool, (store.url,)) == _reference_verify(store).as_dict()


# -- payloads through their models ------------------------------------------------------------


def test_every_record_an_engine_run_writes_reads_back_through_its_model(
    store: Store, ledger: Ledger, tmp_path: Path
) -> None:
    """Every kind the engine writes, from one run: `record.body` is the kind's model, read once, and it
    gives the stored bytes again."""
    from governance import board, intake

    from .test_intake import proposal, write
    from .test_replay import SG, _history

    _history(store, ledger, tmp_path)  # adopted, filed, screened, scored, ..., selected, reviewed
    board.supersede(store, ledger, "P-2026-0001", 1, "The votes were counted wrongly.", Actor.of("ana"))
    votes = [{"member": m, "outcome": "conditional-go"} for m in ("ana", "raj", "lee")]
    again = DecisionInput.model_validate(
        {
            "proposal_id": "P-2026-0001",
            "gate": 1,
            "outcome": "conditional-go",
            "rationale": "Fits the strategy, once the supplier is audited.",
            "decided_by": "ana",
            "meeting_date": "2026-11-23",
            "votes": [*votes, {"member": "mia", "outcome": "hold"}],
            "conditions": [{"text": "Supplier audit", "owner": "Tom Becker", "due": "2027-02-01"}],
        }
    )
    board.decide(store, ledger, again, Actor.of("ana"))
    board.close_condition(store, ledger, "C-2026-0001-G1-1", "Audit passed.", Actor.of("ana"))
    changed = proposal("NW-ALPHA", sponsor="Katrin Vogel", submitter="Lukas Weber", summary="Changed.")
    beta = proposal("NW-BRAVO", budget_owner=None)
    files = [write(tmp_path, "a.yaml", changed), write(tmp_path, "b.yaml", beta)]
    [_, screened_out] = intake.file_proposals(store, ledger, intake.validate_submission(files, SG.policy), "x")
    intake.withdraw(store, ledger, screened_out.proposal_id, Actor.of("ana"), "Not needed any more.")

    with store.read() as conn:
        written = list(iter_records(conn))
    # simulated, scenario-committed and benefits-reviewed: their own tests (test_risk, test_scenarios,
    # review/test_benefits) read them back
    assert {r.kind for r in written} == set(RECORD_KINDS) - {"simulated", "scenario-committed", "benefits-reviewed"}
    for record in written:
        body = record.body
        assert type(body) is RECORD_PAYLOADS[record.kind], record.seq
        assert record.body is body  # parsed once
        assert record.body_as(RECORD_PAYLOADS[record.kind]) is body
        assert body == parse_payload(record.kind, record.payload_text)
        assert canonical_text(body) == record.payload_text, f"record {record.seq} ({record.kind})"
        assert record.payload == json.loads(record.payload_text)  # the same payload as plain JSON data


def test_a_record_read_as_another_kind_s_model_is_refused(store: Store, ledger: Ledger) -> None:
    with store.write() as conn:
        [record] = ledger.append(conn, [NewRecord(kind="withdrawn", subject="P-2026-0001", payload=_WITHDRAWN)], "x")
    with pytest.raises(RecordPayloadError) as caught:
        record.body_as(DecidedPayload)
    assert (str(caught.value), caught.value.code) == (
        "record 1 is withdrawn, whose payload is WithdrawnPayload, not DecidedPayload [payload-invalid]",
        "payload-invalid",
    )
    with store.write() as conn:
        [odd] = ledger.append(conn, [NewRecord(kind="noted", subject="X", payload={"n": 1})], "x")
    with pytest.raises(RecordPayloadError, match=r"unknown record kind 'noted' .* \[unknown-record-kind\]"):
        _ = odd.body
    assert odd.payload == {"n": 1}


_WITHDRAWN = WithdrawnPayload(reference="NW-ALPHA", reason="No longer needed.", content_hash="0" * 64)
