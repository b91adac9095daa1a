"""Proposal states and which record kinds may change them.

Only the ledger changes a proposal's state: each kind of record maps to the state it leads to,
and `check_transition` refuses a record the current state does not allow.
"""

from __future__ import annotations

from typing import Final

from governance.errors import TransitionError

__all__ = ["AMENDABLE", "CLOSED", "STATES", "STATE_AFTER", "check_transition", "state_from_ledger"]

STATES: Final = ("submitted", "screened", "screened-out", "withdrawn")
# A submitter may amend or withdraw a proposal until the board decides on it.
AMENDABLE: Final = frozenset({"submitted", "screened", "screened-out"})
CLOSED: Final = frozenset({"withdrawn"})

_ALLOWED: Final[dict[str, frozenset[str]]] = {
    "amended": AMENDABLE,
    "withdrawn": AMENDABLE,
    "screened": frozenset({"submitted"}),
    "screened-out": frozenset({"submitted"}),
}


# The state each record kind leads to; kinds not listed (policy-adopted, ...) change no proposal.
STATE_AFTER: Final[dict[str, str]] = {
    "filed": "submitted",
    "amended": "submitted",
    "screened": "screened",
    "screened-out": "screened-out",
    "withdrawn": "withdrawn",
}


def state_from_ledger(kinds: list[str]) -> str | None:
    """Fold a proposal's record kinds, oldest first, into its current state."""
    state = None
    for kind in kinds:
        state = STATE_AFTER.get(kind, state)
    return state


def check_transition(proposal_id: str, state: str, kind: str) -> None:
    allowed = _ALLOWED.get(kind)
    if allowed is not None and state not in allowed:
        raise TransitionError(f"{proposal_id} is {state}: a {kind!r} record is not allowed now")
