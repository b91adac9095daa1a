"""`verify_100k` and `verify_snapshots`: `governance.ledger.verify` on a 100,000-record SQLite ledger.

The ledger is built through the engine (`adopt_policy`, then `Ledger.append` in chunks of 5,000
records, one `store.write()` transaction per chunk, with the `proposals` projection rows written
in the same transaction as intake does). Records come in pairs (`filed`, `screened`) that share
one content-addressed input snapshot of about 2 KB; payloads average about 1 KB (a `filed` payload
about 0.3 KB, its `screened` one about 1.7 KB), each built from its kind's model as the engine's are.

`verify` cuts its walk into units (ranges of 5,000 records, slices of 5,000 snapshots, the
proposals table) that this process and one spawned worker claim in turn, then joins the results.
Its floor does the same: the same units, the same two processes (`governance.ledger_walk` running
`bench/verify_walk.py`'s units), the same queries over the same rows and the same hashing, and no checks, folding,
joining, references or projection. The three walks are also timed on their own in this process
(each walk here, then verify's own merge step), each next to a single-process floor that runs the same
queries and hashing:
- chain (`_verify_chain`: hashes, links, folding each proposal's state changes): floor = the
  same range queries and one SHA-256 per record over the same fields and payload joined plainly.
- content (`_verify_content`, with the references the chain walk collected): floor = the same
  snapshot queries and SHA-256 over the same bytes.
- projection (`_verify_projection`, comparing the proposals table with the folded states):
  floor = the proposals-table query, rows read and dropped.
Each time is the median of `repeats` rounds, figure and floor interleaved.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, select

from bench.common import log, median, sqlite_url, timed
from bench.verify_walk import floor_chain, floor_snapshots
from bench.verify_walk import run_unit as floor_unit
from governance.adoption import adopt_policy
from governance.authority import Actor
from governance.canonical import canonical_text, sha256_hex
from governance.clock import FixedClock, SeededIds
from governance.ledger import (  # the merge steps are verify's own, timed here walk by walk
    Ledger,
    NewRecord,
    VerifyReport,
    Walked,
    _merge_chain,
    _merge_content,
    _merge_derived,
    _settings,
    verify,
)
from governance.ledger_walk import SMALL_UNITS, plan, run, run_unit
from governance.lifecycle import STATE_AFTER, state_from_ledger
from governance.policy import load_policy
from governance.store import Store
from governance.verify_units import PROPOSALS_SQL
from models.records import FiledPayload, LedgerRecord, RuleResult, ScreenedPayload, SourceRef
from models.tables import LedgerRow, ProposalRow

__all__ = ["build_ledger", "verify_figures"]

START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
# The ledger key the bench's records are appended with, and verify checks their MACs with.
KEY = bytes.fromhex("6c6564676572206b657920666f72207468652062656e63686d61726b206f6e6c79")
TARGET_RECORDS_PER_S = 100_000
TARGET_SNAPSHOT_RATIO = 1.3


def _pool(rng: random.Random, size: int, length: int) -> list[str]:
    """Random word strings to build payloads from quickly (plain letters, no markup)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    out = []
    for _ in range(size):
        words: list[str] = []
        while sum(len(w) + 1 for w in words) < length:
            words.append("".join(rng.choice(letters) for _ in range(rng.randint(2, 9))))
        out.append(" ".join(words))
    return out


def _filed(rng: random.Random, pool: list[str], index: int) -> FiledPayload:
    """A `filed` payload (about 0.3 KB of canonical JSON)."""
    return FiledPayload(
        reference=f"VERIFY-{index:07d}",
        title=rng.choice(pool)[:80],
        content_hash=f"{rng.getrandbits(256):064x}",
        version=1,
        source=SourceRef(file=f"verify-{index // 1000:04d}.yaml", record=f"record {index % 1000 + 1}"),
    )


def _screened(rng: random.Random, pool: list[str]) -> ScreenedPayload:
    """A `screened` payload: nine must-meet rules passed (about 1.7 KB of canonical JSON)."""
    return ScreenedPayload(
        content_hash=f"{rng.getrandbits(256):064x}",
        rules=[
            RuleResult(
                id=f"rule-{k}",
                description=rng.choice(pool)[:40],
                passed=True,
                because=[rng.choice(pool)[:50], f"total_cost {rng.randrange(10**7)} <= 25000000"],
            )
            for k in range(9)
        ],
    )


def _snapshot(rng: random.Random, pool: list[str], index: int) -> dict[str, Any]:
    """About 2 KB of canonical JSON, shaped like a proposal."""
    return {
        "reference": f"VERIFY-{index:07d}",
        "title": rng.choice(pool)[:80],
        "bucket": "platform",
        "sponsor": "Katrin Vogel",
        "submitter": "Lukas Weber",
        "summary": " ".join(rng.choice(pool) for _ in range(6)),
        "costs": [
            {"period": f"FY{2027 + y}", "development": str(rng.randrange(10**6)), "launch": str(rng.randrange(10**5))}
            for y in range(3)
        ],
        "risks": [{"title": rng.choice(pool)[:60], "likelihood": rng.randint(1, 5), "impact": 3} for _ in range(3)],
    }


def _project(conn: Connection, records: list[LedgerRecord], contents: dict[str, dict[str, Any]]) -> None:
    """The `proposals` rows for these records, in the same transaction (as intake writes them), copying
    what their snapshot (`contents`, by key) says."""
    by_subject: dict[str, list[LedgerRecord]] = {}
    for record in records:
        if record.kind in STATE_AFTER:
            by_subject.setdefault(record.subject, []).append(record)
    rows = []
    for subject, mine in by_subject.items():
        state = state_from_ledger([(r.kind, r.outcome, None) for r in mine])
        assert state is not None and mine[0].inputs is not None
        content = contents[mine[0].inputs]
        rows.append(
            {
                "id": subject,
                "reference": content["reference"],
                "title": content["title"],
                "bucket": content["bucket"],
                "state": state,
                "sponsor": content["sponsor"],
                "submitter": content["submitter"],
                "content_hash": mine[0].inputs,
                "snapshot": mine[0].inputs,
                "version": 1,
                "filed_seq": mine[0].seq,
                "last_seq": mine[-1].seq,
            }
        )
    conn.execute(insert(ProposalRow), rows)


def build_ledger(path: Path, records: int, seed: int, chunk: int = 5000) -> tuple[Store, float]:
    """A ledger of `records` records (the policy adoption is the first). Returns the store and build seconds.

    `chunk` must be even so that a `filed`/`screened` pair never straddles two transactions.
    """
    rng = random.Random(seed)
    pool = _pool(rng, 512, 220)
    store = Store(sqlite_url(path))
    store.upgrade()
    ledger = Ledger(FixedClock(START, dt.timedelta(milliseconds=1)), SeededIds(f"bench-verify-{seed}"), key=KEY)
    loaded = load_policy("stage-gate")

    def build() -> None:
        adopt_policy(store, ledger, loaded, Actor.of("ana"))
        inputs: dict[str, Any] = {}
        for start in range(1, records, chunk):
            batch = []
            contents: dict[str, dict[str, Any]] = {}
            for index in range(start, min(start + chunk, records)):
                first = index % 2 == 1
                if first:
                    inputs = _snapshot(rng, pool, index)
                    contents[sha256_hex(canonical_text(inputs))] = inputs
                batch.append(
                    NewRecord(
                        kind="filed" if first else "screened",
                        subject=f"P-2026-{(index + 1) // 2:05d}",
                        payload=_filed(rng, pool, index) if first else _screened(rng, pool),
                        outcome=None if first else "pass",
                        policy_version=None if first else loaded.version,
                        inputs=inputs,
                    )
                )
            with store.write() as conn:
                _project(conn, ledger.append(conn, batch, "bench"), contents)

    built = timed(build)
    return store, built.seconds


# -- the figure side: each of verify's walks on its own, in this process -------------------------


def _verify_chain(
    conn: Connection, report: VerifyReport, expect_head: tuple[int, str] | None, max_problems: int
) -> Walked:
    """The chain walk alone: sequence, links, hashes, MACs, and what the derived tables come from."""
    cut = plan(conn, conn.dialect.name)
    parts = _walk_here(conn, [cut.units[i] for i in cut.chain], _settings(expect_head, max_problems, KEY))
    return _merge_chain(report, parts, expect_head, max_problems, KEY)


def _verify_content(
    conn: Connection, report: VerifyReport, max_problems: int, seen: tuple[set[str], set[str]] | None = None
) -> None:
    """The snapshots and policies alone (and the references to them: by query without `seen`)."""
    cut = plan(conn, conn.dialect.name)
    parts = _walk_here(conn, [cut.units[i] for i in cut.snapshots], _settings(None, max_problems))
    _merge_content(conn, report, parts, seen, max_problems)


def _walk_here(conn: Connection, units: list[Any], settings: dict[str, Any]) -> list[Any]:
    """Walk `units` in this process, on `conn`'s own cursor."""
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        return [run_unit(cursor, unit, settings) for unit in units]
    finally:
        cursor.close()


def _verify_projection(
    conn: Connection, report: VerifyReport, walked: Walked, fields: dict[str, Any], max_problems: int
) -> None:
    """The proposals and decision keys (and the policies they need) against what the chain walk gathered and
    what the snapshot walk read of each proposal's content (`fields`)."""
    cut = plan(conn, conn.dialect.name)
    small = [cut.units[cut.proposals], *SMALL_UNITS]
    proposals, policies, keys, _macs = _walk_here(conn, small, _settings(None, max_problems))
    _merge_derived(report, walked, proposals, fields, policies, keys, max_problems)


def _chain(store: Store) -> VerifyReport:
    report = VerifyReport()
    with store.read() as conn:
        _verify_chain(conn, report, None, 20)
    return report


_WALKED: dict[str, Any] = {}


def _walked(store: Store) -> Walked:
    """What a chain walk gathers (the other two walks start from it; untimed)."""
    if "chain" not in _WALKED:
        with store.read() as conn:
            _WALKED["chain"] = _verify_chain(conn, VerifyReport(), None, 20)
    walked: Walked = _WALKED["chain"]
    return walked


def _content(store: Store) -> VerifyReport:
    report = VerifyReport()
    seen = _walked(store).seen
    with store.read() as conn:
        _verify_content(conn, report, 20, seen)
    return report


def _fields(store: Store) -> dict[str, Any]:
    """What the snapshot walk reads of each proposal's content (the projection starts from it; untimed)."""
    if "fields" not in _WALKED:
        with store.read() as conn:
            cut = plan(conn, conn.dialect.name)
            parts = _walk_here(conn, [cut.units[i] for i in cut.snapshots], _settings(None, 20))
        _WALKED["fields"] = {k: f for part in parts for k, f in part["fields"].items()}
    fields: dict[str, Any] = _WALKED["fields"]
    return fields


def _projection(store: Store) -> VerifyReport:
    report = VerifyReport()
    walked, fields = _walked(store), _fields(store)
    with store.read() as conn:
        _verify_projection(conn, report, walked, fields, 20)
    return report


# -- the floors: same queries, same rows, same hashing, no checks -------------------------------


def _units(conn: Connection, kind: str) -> list[tuple[str, str, tuple[Any, ...]]]:
    return [u for u in plan(conn, "sqlite").units if u[0] == kind]


def _floor_chain(store: Store) -> int:
    count = 0
    with store.read() as conn:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        for _, sql, _ in _units(conn, "chain"):
            count += floor_chain(cursor.execute(sql), KEY)
        cursor.close()
    return count


def _floor_content(store: Store) -> int:
    total = 0
    with store.read() as conn:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        for _, sql, _ in _units(conn, "snapshots"):
            total += floor_snapshots(cursor.execute(sql))
        cursor.close()
    return total


def _floor_projection(store: Store) -> int:
    """The proposals rows, read."""
    count = 0
    with store.read() as conn:
        for _row in conn.exec_driver_sql(PROPOSALS_SQL):
            count += 1
    return count


_FLOOR_SCRIPT = str(Path(__file__).with_name("verify_walk.py"))


def _floor_parallel(store: Store) -> int:
    """The same units in the same two processes as `verify`, each only read and hashed."""
    with store.read() as conn:
        units = plan(conn, store.dialect)
        results = run(
            store, conn, units.units, _settings(None, 20, KEY), parallel=True, runner=floor_unit, script=_FLOOR_SCRIPT
        )
    return sum(results[i] for i in units.chain)


def verify_figures(folder: Path, records: int, seed: int, repeats: int) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    log(f"verify: building a ledger of {records:,} records")
    store, build_s = build_ledger(folder / "verify.db", records, seed)
    parts: dict[str, tuple[Callable[[Store], Any], Callable[[Store], Any]]] = {
        "chain": (_chain, _floor_chain),
        "content": (_content, _floor_content),
        "projection": (_projection, _floor_projection),
    }
    names = [*parts, *(f"floor_{p}" for p in parts), "total", "floor_parallel"]
    times: dict[str, list[float]] = {name: [] for name in names}
    floor_singles: list[float] = []
    results: dict[str, Any] = {}
    try:
        with store.read() as conn:
            payload_avg = float(conn.scalar(select(func.avg(func.length(LedgerRow.payload)))) or 0)
        db_mb = (folder / "verify.db").stat().st_size / 1e6
        log(f"verify: built in {build_s:.1f} s ({db_mb:.0f} MB); timing {repeats} round(s)")
        _walked(store), _fields(store)
        for _ in range(repeats):
            floor_single = 0.0
            for name, (figure_fn, floor_fn) in parts.items():
                floor = timed(lambda fn=floor_fn: fn(store))  # type: ignore[misc]
                figure = timed(lambda fn=figure_fn: fn(store))  # type: ignore[misc]
                times[f"floor_{name}"].append(floor.seconds)
                times[name].append(figure.seconds)
                floor_single += floor.seconds
                results[name], results[f"floor_{name}"] = figure.value, floor.value
            floor_singles.append(floor_single)
            parallel = timed(lambda: _floor_parallel(store))
            whole = timed(lambda: verify(store, key=KEY))
            times["floor_parallel"].append(parallel.seconds)
            times["total"].append(whole.seconds)
            results["total"], results["floor_parallel"] = whole.value, parallel.value
    finally:
        _WALKED.clear()
        store.dispose()
    med = {name: median(values) for name, values in times.items()}
    full: VerifyReport = results["total"]
    content: VerifyReport = results["content"]
    n = full.records
    checks_ok = (
        full.ok
        and full.authenticated
        and results["chain"].ok
        and content.ok
        and results["projection"].ok
        and n == records == results["floor_chain"] == results["floor_parallel"]
        and content.snapshot_bytes == results["floor_content"]
    )
    floor_s = med["floor_parallel"]
    floor_single_s = median(floor_singles)
    mb = content.snapshot_bytes / 1e6
    chain_figure = {
        "records": n,
        "payload_avg_bytes": round(payload_avg),
        "database_mb": round(db_mb, 1),
        "build_s": round(build_s, 3),
        "append_records_per_s": round(records / build_s),
        "verify_s": round(med["total"], 3),
        "floor_s": round(floor_s, 3),
        "ratio": round(med["total"] / floor_s, 3),
        "records_per_s": round(n / med["total"]),
        "floor_records_per_s": round(n / floor_s),
        "floor_single_process_s": round(floor_single_s, 3),
        "target_records_per_s": TARGET_RECORDS_PER_S,
        "parts": {
            name: {
                "s": round(med[name], 3),
                "floor_s": round(med[f"floor_{name}"], 3),
                "ratio": round(med[name] / med[f"floor_{name}"], 3),
            }
            for name in parts
        },
        "chain_records_per_s": round(n / med["chain"]),
        "runs": repeats,
        "verify_ok": full.ok,
        "checks_ok": checks_ok,
        "meets_targets": checks_ok and n / med["total"] >= TARGET_RECORDS_PER_S,
    }
    snapshot_figure = {
        "snapshots": content.snapshots,
        "snapshot_mb": round(mb, 1),
        "content_s": round(med["content"], 3),
        "floor_s": round(med["floor_content"], 3),
        "ratio": round(med["content"] / med["floor_content"], 3),
        "mb_per_s": round(mb / med["content"], 1),
        "floor_mb_per_s": round(mb / med["floor_content"], 1),
        "target_ratio": TARGET_SNAPSHOT_RATIO,
        "runs": repeats,
        "checks_ok": checks_ok,
        "meets_targets": checks_ok and med["content"] / med["floor_content"] <= TARGET_SNAPSHOT_RATIO,
    }
    return {"chain": chain_figure, "snapshots": snapshot_figure}
