"""Named points where a quarterly review can crash, for the tests that kill a real process there.

`GOVERNANCE_CRASH_AT=mid-outcomes governance decide --quarter 2026Q4 ...` makes the process kill
itself (SIGKILL: no cleanup, no exception handlers, no atexit) when it reaches that point. Unset,
a crash point costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal
from typing import Final

__all__ = ["CRASH_POINTS", "crash_point"]

CRASH_POINTS: Final = ("after-ingest", "after-proposal", "after-confirmation", "mid-outcomes", "after-outcomes")


def crash_point(name: str) -> None:
    """Die here, at once, if `GOVERNANCE_CRASH_AT` names this point."""
    assert name in CRASH_POINTS, name
    if os.environ.get("GOVERNANCE_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
