"""The ledger on SQLite and PostgreSQL: records, chain, triggers, tampering, concurrent writers."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from governance.canonical import canonical_text
from governance.clock import FixedClock, RandomIds, SeededIds, SystemClock
from governance.ledger import GENESIS_HASH, Ledger, NewRecord, iter_records, put_policy, records_for, verify
from governance.store import Store
from models.decision import LedgerRecord

from ..conftest import START


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
