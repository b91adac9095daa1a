"""The walks behind `governance.ledger.verify`, cut into units that one or two processes run.

A unit is one query over one slice of a table: a range of the ledger by sequence number (every
record's hash re-derived from its stored bytes, and its MAC from its hash, the links inside the range
checked, what the derived tables come from collected), a slice of the snapshots (each content hashed
against its key, and what a proposal's content says read), the proposals table, the policies, the decision
keys, the MACs of records that are gone. What each unit reads and returns is `governance.verify_units`;
each returns plain data. `plan` cuts a walk into units and `run` runs them: in this
process alone, or here and in one spawned worker, the two claiming units in turn from a shared
counter; `governance.ledger` then checks the link where each range meets the one before and joins
the results into the report `verify` has always given.

At run time this module imports only the standard library (and a database driver in `connect`):
the worker loads it by its file path (`runpy.run_path`), and `verify_units` and `record_layout` beside
it likewise, without the engine or SQLAlchemy, and is walking within about a tenth of a second. `serve` is its loop.
"""

from __future__ import annotations

import itertools
import multiprocessing
import runpy
import sqlite3
import sys
import threading
import traceback
import types
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # never imported at run time: a worker loads this module without the engine
    from sqlalchemy import Connection

    from governance.store import Store


def _sibling(name: str) -> Any:
    """A stdlib-only module beside this one: imported in the engine, loaded by its file path in a worker."""
    if __package__ == "governance":
        import importlib

        return importlib.import_module(f"governance.{name}")
    return types.SimpleNamespace(**runpy.run_path(str(Path(__file__).with_name(f"{name}.py"))))


_UNITS = _sibling("verify_units")
CHAIN_COLUMNS: str = _UNITS.CHAIN_COLUMNS
CHAIN_FROM: str = _UNITS.CHAIN_FROM
PROPOSALS_SQL: str = _UNITS.PROPOSALS_SQL
SMALL_UNITS: list[tuple[str, str, tuple[Any, ...]]] = _UNITS.SMALL_UNITS

# (kind, sql, params): kind is "chain", "snapshots", "proposals", "policies", "decision_keys" or "macs".
Unit = tuple[str, str, tuple[Any, ...]]
# Runs one unit on a DBAPI cursor: (cursor, unit, settings) -> plain data.
Runner = Callable[[Any, Unit, dict[str, Any]], Any]


# Records (or snapshots) per unit: small enough for the two processes to finish close together.
CHUNK = 5_000


def run_unit(cursor: Any, unit: Unit, settings: dict[str, Any]) -> Any:
    """Run one unit on a DBAPI cursor (sqlite3 or psycopg) and return its plain-data result.

    SQLite stores whatever bytes it is given: a column that is not UTF-8 (only a hand-edited file has one)
    stops sqlite3's reader. The unit is then read again with its bytes kept as they are (surrogate escapes),
    so that the record's hash, re-derived from those bytes, names it as altered.
    """
    try:
        return _run_unit(cursor, unit, settings)
    except sqlite3.OperationalError as exc:
        if "Could not decode to UTF-8" not in str(exc):
            raise
    with stored_bytes(cursor.connection):
        return _run_unit(cursor.connection.cursor(), unit, settings)


@contextmanager
def stored_bytes(connection: Any) -> Iterator[None]:
    """Read SQLite's text columns as their bytes (surrogate escapes for what is not UTF-8) meanwhile."""
    if not isinstance(connection, sqlite3.Connection):
        yield
        return
    factory = connection.text_factory
    connection.text_factory = _stored_bytes
    try:
        yield
    finally:
        connection.text_factory = factory


def _stored_bytes(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _run_unit(cursor: Any, unit: Unit, settings: dict[str, Any]) -> Any:
    kind, sql, params = unit
    rows = cursor.execute(sql, params) if params else cursor.execute(sql)
    if kind in ("proposals", "decision_keys", "macs"):
        return [tuple(row) for row in rows]
    if kind == "chain":
        return _UNITS.chain(rows, settings)
    if kind == "snapshots":
        return _UNITS.snapshots(rows)
    if kind == "policies":
        return _UNITS.policies(rows)
    raise ValueError(f"unknown unit kind {kind!r}")


# -- planning and running the units (in the parent) ----------------------------------------


@dataclass(frozen=True, slots=True)
class Plan:
    units: list[Unit]
    chain: list[int]  # indices of the ledger's ranges, in sequence order
    snapshots: list[int]
    proposals: int
    records: int  # the highest sequence number (about the number of records)
    # The indices of the SMALL_UNITS, by kind: "policies", "decision_keys", "macs".
    tables: dict[str, int] = field(default_factory=lambda: {u[0]: i for i, u in enumerate(SMALL_UNITS, start=1)})


def _ranges(column: str, high: int | None) -> list[tuple[str, tuple[Any, ...]]]:
    """Slices of an integer column up to `high`: WHERE clauses, the first one open below."""
    if high is None:
        return []
    bounds = [*range(CHUNK, high, CHUNK), high]
    return [(f"{column} <= {bounds[0]}", ())] + [
        (f"{column} > {lo} AND {column} <= {hi}", ()) for lo, hi in itertools.pairwise(bounds)
    ]


def _key_ranges(bounds: list[str]) -> list[tuple[str, tuple[Any, ...]]]:
    """Slices of the snapshots' keys at these keys (in the database's order): together, every key."""
    if not bounds:
        return [("TRUE", ())]
    return (
        [("key <= %s", (bounds[0],))]
        + [("key > %s AND key <= %s", (lo, hi)) for lo, hi in itertools.pairwise(bounds)]
        + [("key > %s", (bounds[-1],))]
    )


def plan(conn: Connection, dialect: str) -> Plan:
    """Cut the walk into units. Its first statement also starts this connection's read transaction.

    The ledger is cut by sequence number up to the highest one now, so a worker reading later sees
    the same records (the table is append-only); on SQLite the snapshots by rowid likewise. On
    PostgreSQL they are cut by key, at every CHUNK-th key in the database's own order.
    """
    with stored_bytes(conn.connection.dbapi_connection):  # a hand-edited seq that is not UTF-8
        high = conn.exec_driver_sql("SELECT max(seq) FROM ledger").scalar()
    # A sequence number that is no integer (only a hand-edited SQLite file has one): one range.
    ranges = _ranges("l.seq", high) if high is None or type(high) is int else [("1 = 1", ())]
    chain: list[Unit] = [
        ("chain", f"SELECT {CHAIN_COLUMNS} FROM {CHAIN_FROM} WHERE {where} ORDER BY l.seq", params)
        for where, params in ranges
    ]
    if dialect == "sqlite":
        slices = _ranges("rowid", conn.exec_driver_sql("SELECT max(rowid) FROM snapshots").scalar()) or [("1", ())]
    else:
        bounds = conn.exec_driver_sql(
            "SELECT key FROM (SELECT key, row_number() OVER (ORDER BY key) AS n FROM snapshots) AS k "
            f"WHERE mod(n, {CHUNK}) = 0 ORDER BY key"
        ).scalars()
        slices = _key_ranges(list(bounds))
    snapshots: list[Unit] = [
        ("snapshots", f"SELECT key, content FROM snapshots WHERE {where}", params) for where, params in slices
    ]
    # The small tables first (this process takes them before a worker is up), then the two big ones
    # interleaved, so that both processes work on both until the end.
    units: list[Unit] = [("proposals", PROPOSALS_SQL, ()), *SMALL_UNITS]
    at: dict[str, list[int]] = {"chain": [], "snapshots": []}
    for i in range(max(len(chain), len(snapshots))):
        for kind in (chain, snapshots):
            if i < len(kind):
                at[kind[i][0]].append(len(units))
                units.append(kind[i])
    return Plan(units, at["chain"], at["snapshots"], 0, high if type(high) is int else 0)


def run(
    store: Store,
    conn: Connection,
    units: list[Unit],
    settings: dict[str, Any],
    *,
    parallel: bool,
    runner: Runner | None = None,
    script: str = __file__,
) -> list[Any]:
    """Every unit's result, in order: run here, or here and in one worker process (units claimed in turn).

    `runner` runs one unit (default `run_unit`); `script` is the file a worker runs (default this one,
    whose `serve` uses `run_unit`): the bench passes its floor's own pair.
    """
    run_unit_ = runner or run_unit
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    results: dict[int, Any] = {}
    try:
        worker = Worker.start(store, units, settings, script) if parallel else None
        if worker is None:
            for i, unit in enumerate(units):
                results[i] = run_unit_(cursor, unit, settings)
            return [results[i] for i in range(len(units))]
        try:
            while (i := claim(worker.counter)) < len(units):
                results[i] = run_unit_(cursor, units[i], settings)
            results.update(worker.results(set(range(len(units))) - set(results)))
        finally:
            worker.stop()
        for i in range(len(units)):  # claimed by the worker and never answered: run them here
            if i not in results:
                results[i] = run_unit_(cursor, units[i], settings)
        return [results[i] for i in range(len(units))]
    finally:
        cursor.close()


class Worker:
    """One spawned process running `serve` over the same units, on its own connection.

    A thread here receives its results as they come (a result larger than the pipe's buffer
    would otherwise hold the worker up until this process is done with its own units).
    """

    def __init__(self, process: Any, counter: Any, receive: Any) -> None:
        self.process = process
        self.counter = counter
        self.receive = receive
        self._results: dict[int, Any] = {}
        self._finished = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._receive, name="verify-results", daemon=True)
        self._thread.start()

    @classmethod
    def start(cls, store: Store, units: list[Unit], settings: dict[str, Any], script: str = __file__) -> Worker | None:
        """Start the worker, or None (then this process walks alone) if it cannot be started."""
        if store.dialect not in ("sqlite", "postgresql") or multiprocessing.current_process().daemon:
            return None  # another database, or a daemonic process (a pool's), which may not have children
        ctx = multiprocessing.get_context("spawn")
        args, kwargs = store.engine.dialect.create_connect_args(store.engine.url)
        kwargs = {k: v for k, v in kwargs.items() if k != "context"}  # psycopg's adapters: not picklable
        counter = ctx.Value("q", 0)
        receive, send = ctx.Pipe(duplex=False)
        task = {
            "out": send,
            "units": units,
            "settings": settings,
            "counter": counter,
            "dialect": store.dialect,
            "args": list(args),
            "kwargs": kwargs,
        }
        process = ctx.Process(
            target=runpy.run_path,
            args=(script, {"TASK": task}, "__governance_ledger_walk__"),
            daemon=True,
        )
        try:
            with plain_main():
                process.start()
        except OSError:  # no process to be had (limits): walk alone
            receive.close()
            return None
        finally:
            send.close()  # the worker holds the other end: its exit ends the stream
        return cls(process, counter, receive)

    def _receive(self) -> None:
        try:
            while True:
                status, index, result = self.receive.recv()
                if status != "done":  # it failed on this unit: it stops, the caller runs what is left
                    break
                with self._changed:
                    self._results[index] = result
                    self._changed.notify_all()
        except (EOFError, OSError):
            pass
        finally:
            with self._changed:
                self._finished = True
                self._changed.notify_all()

    def results(self, pending: set[int]) -> dict[int, Any]:
        """The results of the units the worker claimed, once in; fewer if it stopped early."""
        with self._changed:
            self._changed.wait_for(lambda: self._finished or pending <= self._results.keys())
            return {i: self._results[i] for i in pending if i in self._results}

    def stop(self) -> None:
        if self.process.is_alive():  # done, or still starting up with nothing claimed
            self.process.terminate()
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self._thread.join(10)
        self.receive.close()


@contextmanager
def plain_main() -> Iterator[None]:
    """Hide the caller's main module while a worker is spawned.

    A spawned process first re-imports the parent's main script (for the `governance` command:
    typer, rich and the whole engine, about a second). The worker runs only `ledger_walk`, which
    needs nothing from it; without a file or spec, there is nothing to import.
    """
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


# -- the worker ---------------------------------------------------------------------------------


def connect(dialect: str, args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    """A DBAPI connection for reading, from the arguments SQLAlchemy's dialect would pass."""
    if dialect == "sqlite":
        import sqlite3

        db = sqlite3.connect(*args, **{**kwargs, "timeout": 60, "isolation_level": None})
        db.execute("PRAGMA query_only = 1")
        return db
    if dialect == "postgresql":
        import psycopg

        return psycopg.connect(*args, **{**kwargs, "autocommit": True})  # reads only: no transaction held open
    raise ValueError(f"no worker for {dialect} databases")


def claim(counter: Any) -> int:
    """The next unit's index, from the counter the parent and the worker share."""
    with counter.get_lock():
        index = int(counter.value)
        counter.value = index + 1
    return index


def serve(task: dict[str, Any], runner: Runner | None = None) -> None:
    """The worker: claim units until none is left, sending ("done", index, result) for each.

    On an error it sends ("failed", index, traceback) and stops: the parent runs that unit
    again itself (and so raises the error, if it is one), as it does any unit a worker claimed and
    never answered.
    """
    out = task["out"]
    units: list[Unit] = task["units"]
    index = -1
    try:
        db = connect(task["dialect"], task["args"], task["kwargs"])
        try:
            cursor = db.cursor()
            while (index := claim(task["counter"])) < len(units):
                out.send(("done", index, (runner or run_unit)(cursor, units[index], task["settings"])))
        finally:
            db.close()
    except BaseException:  # noqa: BLE001 - reported to the parent, which redoes the unit
        out.send(("failed", index, traceback.format_exc()))
    finally:
        out.close()


if __name__ == "__governance_ledger_walk__":  # loaded by runpy in a worker process
    serve(globals()["TASK"])
