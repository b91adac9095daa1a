"""Proposal states and which record kinds may change them.

Only the ledger changes a proposal's state: each kind of record maps to the state it leads to,
and `check_transition` refuses a record the current state does not allow.

    submitted -> screened | screened-out                      (screening, at filing and after amending)
    screened | in-stage | on-hold -> scored -> awaiting-decision (score, then gate recommendation)
    awaiting-decision -> in-stage (go / conditional go; `active` after the last gate)
                       | on-hold | recycled | killed
    any open state -> withdrawn (by the submitter, before a decision closes it)
    active | paused -> active (continue, resume) | paused | stopped | completed   (quarterly review)
    (migrated projects enter as active or paused)
"""

from __future__ import annotations

from typing import Final

from governance.errors import TransitionError

__all__ = [
    "AMENDABLE",
    "CLOSED",
    "GATEABLE",
    "REVIEWABLE",
    "REVIEW_STATE",
    "STATEFUL_PAYLOAD_KINDS",
    "STATES",
    "STATE_AFTER",
    "check_transition",
    "state_after_decision",
    "state_from_ledger",
    "transition_refusal",
]

STATES: Final = (
    "submitted",
    "screened",
    "screened-out",
    "scored",
    "awaiting-decision",
    "in-stage",
    "on-hold",
    "recycled",
    "active",
    "paused",
    "stopped",
    "completed",
    "killed",
    "withdrawn",
)
# A submitter may amend or withdraw a proposal until a decision closes it.
AMENDABLE: Final = frozenset(
    {"submitted", "screened", "screened-out", "scored", "awaiting-decision", "in-stage", "on-hold", "recycled"}
)
# States from which a proposal can be scored for its next gate.
GATEABLE: Final = frozenset({"screened", "in-stage", "on-hold", "scored"})
CLOSED: Final = frozenset({"withdrawn", "killed", "stopped", "completed"})
# States a quarterly review looks at.
REVIEWABLE: Final = frozenset({"active", "paused"})

_ALLOWED: Final[dict[str, frozenset[str]]] = {
    "amended": AMENDABLE,
    "withdrawn": AMENDABLE,
    "screened": frozenset({"submitted"}),
    "screened-out": frozenset({"submitted"}),
    "scored": GATEABLE,
    "recommended": frozenset({"scored"}),
    "decided": frozenset({"awaiting-decision"}),
    "reviewed": REVIEWABLE,
    "status-reported": REVIEWABLE,
    "benefits-reviewed": frozenset({"completed"}),
}

# The state each record kind leads to; "decided" depends on its outcome (state_after_decision);
# kinds not listed (policy-adopted, condition-closed, ...) change no proposal's state.
STATE_AFTER: Final[dict[str, str]] = {
    "filed": "submitted",
    "amended": "submitted",
    "screened": "screened",
    "screened-out": "screened-out",
    "withdrawn": "withdrawn",
    "scored": "scored",
    "recommended": "awaiting-decision",
}


# Kinds whose payload names the state they led to (`state_after`).
STATEFUL_PAYLOAD_KINDS: Final = ("decided", "superseded", "migrated", "reviewed")

# A quarterly review's outcome and the state it leads to.
REVIEW_STATE: Final[dict[str, str]] = {
    "continue": "active",
    "resume": "active",
    "pause": "paused",
    "stop": "stopped",
    "complete": "completed",
}


def state_after_decision(outcome: str, last_gate: bool) -> str:
    if outcome in ("go", "conditional-go"):
        return "active" if last_gate else "in-stage"
    return {"hold": "on-hold", "recycle": "recycled", "kill": "killed"}[outcome]


def state_from_ledger(records: list[tuple[str, str | None, str | None]]) -> str | None:
    """Fold a proposal's (kind, outcome, state_after) records, oldest first, into its current state.

    Decision records carry the state they led to in their payload (`state_after`), because it
    depends on the gate and the policy in force at the time.
    """
    state = None
    for kind, _outcome, recorded_state in records:
        state = recorded_state if recorded_state is not None else STATE_AFTER.get(kind, state)
    return state


def transition_refusal(state: str, kind: str) -> str | None:
    """Why a `kind` record may not follow `state` ("is paused: ..."), or None when it may."""
    allowed = _ALLOWED.get(kind)
    if allowed is not None and state not in allowed:
        return f"is {state}: a {kind!r} record is not allowed now"
    return None


def check_transition(proposal_id: str, state: str, kind: str) -> None:
    refusal = transition_refusal(state, kind)
    if refusal is not None:
        raise TransitionError(f"{proposal_id} {refusal}")
