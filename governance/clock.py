"""The one clock and the one id source. Nothing else in the engine reads the time or makes ids.

Both are injected (`Clock`, `IdSource`), so tests and replays get reproducible records.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import uuid
from typing import Protocol

__all__ = [
    "Clock",
    "FixedClock",
    "IdSource",
    "RandomIds",
    "SeededIds",
    "SystemClock",
    "format_utc",
    "parse_utc",
]


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class IdSource(Protocol):
    def new_id(self, scope: str) -> str:
        """A new unique id (32 lowercase hex digits) for `scope`, e.g. `ledger:17`.

        `scope` is unique per use within one database, so a seeded source gives the same id for
        the same position in any process, and random sources ignore it.
        """
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FixedClock:
    """A clock that starts at `start` and advances `step` on every reading."""

    def __init__(self, start: dt.datetime, step: dt.timedelta = dt.timedelta(0)) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware start")
        self._now = start.astimezone(dt.UTC)
        self._step = step
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        with self._lock:
            value = self._now
            self._now = value + self._step
            return value


class RandomIds:
    def new_id(self, scope: str) -> str:
        return uuid.uuid4().hex


class SeededIds:
    """Deterministic ids: SHA-256 of a seed and the scope, cut to 32 hex digits."""

    def __init__(self, seed: str) -> None:
        self._seed = seed

    def new_id(self, scope: str) -> str:
        return hashlib.sha256(f"{self._seed}:{scope}".encode()).hexdigest()[:32]


def format_utc(moment: dt.datetime) -> str:
    """The stored form of a time: ISO-8601 UTC with microseconds and a `Z`."""
    if moment.tzinfo is None:
        raise ValueError("refusing a naive datetime: stored times are UTC")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_utc(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
