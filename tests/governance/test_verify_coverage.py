"""verify covers every stored byte a decision depends on, and names a record the engine did not append.

One rich ledger (every record kind; records from before the ledger key, sealed, then records with MACs),
on SQLite and PostgreSQL, with the append-only triggers dropped as an attacker with DBA rights would:
- 1,000 seeded single-byte changes over every stored table: each reported, naming its record or row,
  never a traceback;
- forgeries (a fabricated record appended, records reordered, a chain cut short, a record rewritten with
  every later hash recomputed): each named with the key, and each passing without it (what the key adds).
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from governance import board, intake
from governance.authority import Actor
from governance.clock import FixedClock, SeededIds
from governance.errors import ConfigError, IntegrityError
from governance.ledger import Ledger, NewRecord, verify
from governance.ledger_seal import seal
from governance.record_layout import key_id, record_mac, rehash
from governance.store import Store
from models.decision import DecisionInput

from ..conftest import START, unguard
from .test_intake import proposal, write
from .test_replay import SG, _history

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
TABLES = ("ledger", "ledger_macs", "snapshots", "policies", "proposals", "decision_keys")
KEYS = {
    "ledger": "seq",
    "ledger_macs": "seq",
    "snapshots": "key",
    "policies": "version",
    "proposals": "id",
    "decision_keys": "key",
}
INTEGERS = {"seq", "version", "filed_seq", "last_seq", "gate"}


def _rich(store: Store, tmp_path: Path) -> None:
    """Every record kind: a gate decided, corrected and decided again, projects migrated and reviewed, a
    proposal amended and one withdrawn. Records up to the review come before the key and are sealed."""
    clock = FixedClock(START)
    _history(store, Ledger(clock, SeededIds("rich"), engine_version="test"), tmp_path)
    seal(store, KEY)
    keyed = Ledger(clock, SeededIds("rich-keyed"), engine_version="test", key=KEY)
    board.supersede(store, keyed, "P-2026-0001", 1, "The votes were counted wrongly.", Actor.of("ana"))
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
    board.decide(store, keyed, again, Actor.of("ana"))
    board.close_condition(store, keyed, "C-2026-0001-G1-1", "Audit passed.", Actor.of("ana"))
    changed = proposal("NW-ALPHA", sponsor="Katrin Vogel", submitter="Lukas Weber", summary="Changed.")
    beta = proposal("NW-BRAVO", budget_owner=None)
    files = [write(tmp_path, "a.yaml", changed), write(tmp_path, "b.yaml", beta)]
    [_, screened_out] = intake.file_proposals(store, keyed, intake.validate_submission(files, SG.policy), "x")
    intake.withdraw(store, keyed, screened_out.proposal_id, Actor.of("ana"), "Not needed any more.")


def _unguard_all(store: Store) -> None:
    for table in ("ledger", "ledger_macs", "snapshots", "policies"):
        unguard(store, table)


def _mutated(rng: random.Random, value: Any, column: str, postgres: bool) -> Any:
    """`value` with one byte changed: text as text (SQLite: bytes that may not be UTF-8), an integer as an
    integer if its digits still are one (SQLite: else the text, a wrong type); None if no change fits."""
    data = bytearray(str(value).encode())
    position = rng.randrange(len(data))
    for _ in range(50):
        digits = postgres and column in INTEGERS  # PostgreSQL: an integer stays one, text stays UTF-8 without NUL
        new = rng.choice(b"0123456789") if digits else rng.randrange(1 if postgres else 0, 256)
        if new == data[position]:
            continue
        changed = bytes(data[:position]) + bytes([new]) + bytes(data[position + 1 :])
        if isinstance(value, int) and re.fullmatch(rb"-?[0-9]+", changed):
            return int(changed)
        try:
            return changed.decode()
        except UnicodeDecodeError:
            if not postgres:
                return changed  # stored as text with its bytes (CAST below)
    return None


def _named(problems: list[str], table: str, row: Any, new: Any) -> bool:
    """Some problem names the changed row: its record, snapshot, policy, proposal or decision key."""
    names = {str(row), ascii(row)}
    if isinstance(new, bytes):  # as SQLite reads it back: its bytes kept as surrogate escapes
        new = new.decode("utf-8", "surrogateescape")
    if isinstance(new, (str, int)):
        names |= {str(new), ascii(new)}
    prefix = {
        "ledger": "record ",
        "ledger_macs": "record ",
        "snapshots": "",
        "policies": "policy ",
        "proposals": "proposal ",
        "decision_keys": "decision key ",
    }[table]
    return any(
        re.search(re.escape(prefix + name) + r"(?![0-9A-Za-z_-])", problem) for problem in problems for name in names
    )


@pytest.mark.parametrize("db_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_every_single_byte_change_anywhere_is_named(store: Store, tmp_path: Path) -> None:
    _rich(store, tmp_path)
    good = verify(store, key=KEY)
    assert (good.ok, good.authenticated) == (True, True), good.problems
    _unguard_all(store)
    postgres = store.dialect == "postgresql"
    rng = random.Random(20261202)
    with store.engine.connect() as conn:
        rows = {
            table: [dict(r) for r in conn.execute(text(f"SELECT * FROM {table}")).mappings().all()] for table in TABLES
        }
        columns = {table: list(conn.execute(text(f"SELECT * FROM {table} LIMIT 1")).keys()) for table in TABLES}
    assert all(rows.values()), {t: len(r) for t, r in rows.items()}
    changed = skipped = 0
    missed: list[tuple[str, Any, str, Any]] = []
    while changed < 1000:
        table = rng.choice(TABLES)
        row = rng.choice(rows[table])
        column = rng.choice(columns[table])
        old = row[column]
        new = None if old is None else _mutated(rng, old, column, postgres)
        if new is None:  # NULL has no bytes to change
            skipped += 1
            continue
        pk = KEYS[table]
        value = "CAST(:new AS TEXT)" if isinstance(new, bytes) else ":new"
        try:
            with store.engine.begin() as conn:
                conn.execute(
                    text(f"UPDATE {table} SET {column} = {value} WHERE {pk} = :pk"), {"new": new, "pk": row[pk]}
                )
        except Exception:  # noqa: BLE001 - a unique key taken, a value the column refuses: no change made
            skipped += 1
            continue
        changed += 1
        report = verify(store, key=KEY, max_problems=1000)  # a traceback fails the test here
        if report.ok or not _named(report.problems, table, row[pk], new if column == pk else None):
            missed.append((table, row[pk], column, new))
        where = "CAST(:pk AS TEXT)" if column == pk and isinstance(new, bytes) else ":pk"
        with store.engine.begin() as conn:
            conn.execute(
                text(f"UPDATE {table} SET {column} = :old WHERE {pk} = {where}"),
                {"old": old, "pk": new if column == pk else row[pk]},
            )
    assert missed == [], missed
    assert verify(store, key=KEY) == good  # every change undone
    assert skipped < 200


# -- forgeries ------------------------------------------------------------------------------------------


def _keyed_ledger(store: Store, n: int = 6) -> list[Any]:
    ledger = Ledger(FixedClock(START), SeededIds("forge"), engine_version="test", key=KEY)
    with store.write() as conn:
        return ledger.append(
            conn, [NewRecord(kind="noted", subject=f"S-{i}", payload={"i": i}, inputs={"i": i}) for i in range(n)], "x"
        )


def _row(store: Store, seq: int) -> dict[str, Any]:
    with store.engine.connect() as conn:
        return dict(conn.execute(text("SELECT * FROM ledger WHERE seq = :s"), {"s": seq}).mappings().one())


def _insert(row: dict[str, Any]) -> Any:
    return text(f"INSERT INTO ledger ({', '.join(row)}) VALUES ({', '.join(':' + c for c in row)})")


def _rewrite_from(store: Store, seq: int, change: dict[str, Any]) -> None:
    """Change record `seq` and recompute its hash and every later record's link and hash (the MACs stay)."""
    with store.engine.begin() as conn:
        rows = [
            dict(r)
            for r in conn.execute(text("SELECT * FROM ledger WHERE seq >= :s ORDER BY seq"), {"s": seq}).mappings()
        ]
        rows[0].update(change)
        prev = rows[0]["prev_hash"]
        for row in rows:
            row["prev_hash"] = prev
            row["hash"] = prev = rehash(row)
        conn.execute(text("DELETE FROM ledger WHERE seq >= :s"), {"s": seq})
        conn.execute(
            text(f"INSERT INTO ledger ({', '.join(rows[0])}) VALUES ({', '.join(':' + c for c in rows[0])})"), rows
        )


def _appended(store: Store, mac: str | None) -> dict[str, Any]:
    """A fabricated record after the head, with the right link and its own right hash."""
    head = _row(store, 6)
    forged = dict(head, seq=7, record_id="forged", subject="S-9", prev_hash=head["hash"], payload='{"i":9}')
    forged["hash"] = rehash(forged)
    with store.engine.begin() as conn:
        conn.execute(
            text(f"INSERT INTO ledger ({', '.join(forged)}) VALUES ({', '.join(':' + c for c in forged)})"), forged
        )
        if mac is not None:
            conn.execute(text("INSERT INTO ledger_macs (seq, mac) VALUES (7, :m)"), {"m": mac})
    return forged


NO_MAC = "record {} was not appended by the engine (it has no MAC, though record 1 before it has one)"
BAD_MAC = "record {} was not appended by the engine (its MAC does not match the ledger key)"


def test_a_fabricated_record_is_named_with_the_key_and_passes_without(store: Store) -> None:
    _keyed_ledger(store)
    forged = _appended(store, None)
    assert verify(store, key=KEY).problems == [NO_MAC.format(7)]
    assert verify(store, key=KEY, expect_head=(7, forged["hash"])).problems == [NO_MAC.format(7)]
    without = verify(store, expect_head=(7, forged["hash"]))
    assert (without.ok, without.authenticated) == (True, False)
    assert without.authentication.startswith("records not authenticated: no ledger key is configured")


def test_a_fabricated_record_with_a_made_up_mac_is_named(store: Store) -> None:
    _keyed_ledger(store)
    _appended(store, record_mac(OTHER_KEY, "0" * 64))
    assert verify(store, key=KEY).problems == [BAD_MAC.format(7)]


def test_a_record_rewritten_with_every_later_hash_recomputed_is_named(store: Store) -> None:
    _keyed_ledger(store)
    _unguard_all(store)
    _rewrite_from(store, 3, {"payload": '{"i":99}'})
    assert verify(store).ok  # the chain alone holds together
    assert verify(store, key=KEY).problems == [BAD_MAC.format(seq) for seq in range(3, 7)]


def test_reordered_records_are_named(store: Store) -> None:
    records = _keyed_ledger(store)
    _unguard_all(store)
    second, third = _row(store, 2), _row(store, 3)
    swap = {k: third[k] for k in ("record_id", "subject", "payload", "inputs")}
    with store.engine.begin() as conn:  # record 3's content moved to 2 (unique record ids kept apart meanwhile)
        conn.execute(text("UPDATE ledger SET record_id = 'moving' WHERE seq = 3"))
    _rewrite_from(store, 2, swap)
    _rewrite_from(store, 3, {k: second[k] for k in ("record_id", "subject", "payload", "inputs")})
    assert verify(store).ok
    assert verify(store, key=KEY).problems == [BAD_MAC.format(seq) for seq in range(2, 7)]
    assert records[1].hash != _row(store, 2)["hash"]


def test_a_chain_cut_short_is_named_by_the_expected_head_or_its_left_over_macs(store: Store) -> None:
    records = _keyed_ledger(store)
    _unguard_all(store)
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger WHERE seq >= 5"))
    assert verify(store, key=KEY).problems == [
        "record 5: missing, but its MAC is stored (the chain was cut short)",
        "record 6: missing, but its MAC is stored (the chain was cut short)",
    ]
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger_macs WHERE seq >= 5"))
    assert verify(store, key=KEY).ok  # cut cleanly, MACs and all: only a head noted earlier tells
    assert verify(store, key=KEY, expect_head=(6, records[5].hash)).problems == [
        "record 6: expected head is missing (the chain ends at 4)"
    ]


def test_records_from_before_the_key_are_sealed_once(store: Store) -> None:
    plain = Ledger(FixedClock(START), SeededIds("old"), engine_version="test")
    with store.write() as conn:
        plain.append(conn, [NewRecord(kind="noted", subject="S", payload={"i": i}) for i in range(3)], "x")
    assert verify(store, key=KEY).problems == [
        "records 1-3 are not authenticated: none has a MAC (a ledger from before its key is sealed once with "
        "`governance keys seal`)"
    ]
    assert seal(store, KEY)[0] == 3
    sealed = verify(store, key=KEY)
    assert (sealed.ok, sealed.authentication) == (
        True,
        f"records authenticated with the ledger key {key_id(KEY)}: 1 MAC(s) checked (records 1-2, written "
        "before the key, through record 3's MAC)",
    )
    with pytest.raises(ConfigError, match=r"record 3 has a MAC\) and this process has none"), store.write() as conn:
        plain.append(conn, [NewRecord(kind="noted", subject="S", payload={})], "x")
    other = Ledger(FixedClock(START), SeededIds("other"), engine_version="test", key=OTHER_KEY)
    with (
        pytest.raises(ConfigError, match=f"ledger key of this process \\({key_id(OTHER_KEY)}\\)"),
        store.write() as conn,
    ):
        other.append(conn, [NewRecord(kind="noted", subject="S", payload={})], "x")
    assert verify(store, key=OTHER_KEY).problems == [BAD_MAC.format(3)]


def test_a_tampered_ledger_is_never_sealed(store: Store) -> None:
    plain = Ledger(FixedClock(START), SeededIds("old"), engine_version="test")
    with store.write() as conn:
        plain.append(conn, [NewRecord(kind="noted", subject="S", payload={"i": i}) for i in range(3)], "x")
    _unguard_all(store)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE ledger SET payload = '{}' WHERE seq = 2"))
    with pytest.raises(IntegrityError, match="record 2: stored bytes do not match its hash"):
        seal(store, KEY)


def test_a_database_from_before_the_key_migrates_and_is_sealed_once(store: Store) -> None:
    """A database at schema 0002 (no ledger_macs) with records: `governance init` adds the empty table; its
    records verify, unauthenticated, until they are sealed."""
    plain = Ledger(FixedClock(START), SeededIds("old"), engine_version="test")
    with store.write() as conn:
        plain.append(conn, [NewRecord(kind="noted", subject="S", payload={"i": i}) for i in range(3)], "x")
    with store.engine.begin() as conn:  # the schema as revision 0002 left it
        conn.execute(text("DROP TABLE ledger_macs"))
        conn.execute(text("DROP TABLE scenarios"))
        conn.execute(text("UPDATE alembic_version SET version_num = '0002'"))
    assert store.upgrade() == ("0002", "0004")
    before = verify(store)
    assert (before.ok, before.authenticated, before.records) == (True, False, 3)
    assert not verify(store, key=KEY).ok
    seal(store, KEY)
    assert verify(store, key=KEY).authenticated
    for statement in ("UPDATE ledger_macs SET mac = 'x'", "DELETE FROM ledger_macs"):  # append-only, as the ledger
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.execute(text(statement))


def test_a_record_the_engine_did_not_append_beyond_the_problems_shown_still_leaves_it_unauthenticated(
    store: Store,
) -> None:
    _keyed_ledger(store)
    _unguard_all(store)
    _appended(store, None)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE ledger SET outcome = 'x' WHERE seq = 2"))
    report = verify(store, key=KEY, max_problems=1)
    assert (report.problems, report.authenticated, report.authentication) == (
        ["record 2: stored bytes do not match its hash (altered)"],
        False,
        f"records not authenticated with the ledger key {key_id(KEY)}: see the problems",
    )
