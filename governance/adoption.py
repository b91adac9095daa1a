"""Policy adoption: which policy is in force, and the record that puts one in force.

A policy's version is the SHA-256 of its canonical text; adopting one stores it by version and appends
a `policy-adopted` record. Every later record names the version in force when it was made.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select

from governance.authority import Actor, authorise, carried, parse_review_votes
from governance.canonical import canonical_text
from governance.errors import DecisionRefused, StoreError
from governance.ledger import Ledger, NewRecord, put_policy
from governance.people import Directory
from governance.policy import LoadedPolicy, policy_from_text
from governance.store import Store
from models.decision import ReviewVote
from models.policy import Policy
from models.records import PolicyAdoptedPayload
from models.tables import LedgerRow, PolicyRow

__all__ = ["adopt_policy", "adopted_policy", "current_policy"]


def adopted_policy(conn: Connection) -> LoadedPolicy | None:
    """The policy in force, or None before the first `policy-adopted` record."""
    if conn.scalar(select(LedgerRow.seq).where(LedgerRow.kind == "policy-adopted").limit(1)) is None:
        return None
    return current_policy(conn)


def current_policy(conn: Connection) -> LoadedPolicy:
    """The policy adopted by the newest `policy-adopted` record."""
    version = conn.scalar(
        select(LedgerRow.policy_version)
        .where(LedgerRow.kind == "policy-adopted")
        .order_by(LedgerRow.seq.desc())
        .limit(1)
    )
    if version is None:
        raise StoreError("no policy adopted yet: run `governance init`", code="store-not-initialised")
    text = conn.scalar(select(PolicyRow.content).where(PolicyRow.version == version))
    if text is None:
        raise StoreError(f"the adopted policy {version} is missing from the store", code="store-not-initialised")
    return policy_from_text(text)


def _authority_part(policy: Policy) -> str:
    """What decides who may do what: people, board, role matrix and delegations (canonical text)."""
    return canonical_text(
        {
            "people": policy.everyone(),
            "board": policy.board,
            "roles": policy.role_matrix(),
            "delegations": policy.delegations,
        }
    )


def adopt_policy(
    store: Store, ledger: Ledger, loaded: LoadedPolicy, actor: Actor, *, votes: Sequence[str] = ()
) -> bool:
    """Record the policy as the one in force, unless it already is. Returns True if recorded.

    The first policy of a database is adopted by whoever initialises it. After that the policy in
    force decides: the actor needs `adopt-policy` in its role matrix, and a policy that changes the
    people, the board, the role matrix or the delegations is a decision of the board under the
    policy in force (`votes`, NAME=accept|reject: its quorum and voting rule).

    Raises:
        Forbidden: the actor may not adopt a policy.
        DecisionRefused: a change of authority without the board's votes carrying it.
    """
    ballots = parse_review_votes(votes)
    with store.write() as conn:
        current = adopted_policy(conn)
        if current is not None and current.version == loaded.version:
            return False
        if current is None:
            authority = "first-policy"
            person = actor.person or Directory.of(loaded.policy).accounts.get(actor.account or "")
            recorded_by = person or actor.describe()
        else:
            acting = authorise(current.policy, actor, "adopt-policy")
            recorded_by = acting.recorded_by
            authority = "role"
            if _authority_part(current.policy) != _authority_part(loaded.policy):
                authority = "board-vote"
                _check_votes(current.policy, ballots, loaded.policy.name)
        if authority != "board-vote" and ballots:
            raise DecisionRefused("votes are for a policy that changes people, board, roles or delegations")
        put_policy(conn, loaded.version, loaded.policy.name, loaded.text)
        ledger.append(
            conn,
            [
                NewRecord(
                    kind="policy-adopted",
                    subject="policy",
                    outcome=loaded.policy.name,
                    policy_version=loaded.version,
                    payload=PolicyAdoptedPayload(
                        name=loaded.policy.name,
                        title=loaded.policy.title,
                        previous=current.version if current else None,
                        authority=authority,
                        votes=sorted(ballots, key=lambda v: v.member),
                    ),
                )
            ],
            recorded_by,
        )
        return True


def _check_votes(policy: Policy, votes: Sequence[ReviewVote], name: str) -> None:
    board = policy.board
    roster = {m.name for m in board.members}
    strangers = sorted({v.member for v in votes} - roster)
    if strangers:
        raise DecisionRefused(f"not on the board roster: {', '.join(strangers)} (members: {', '.join(sorted(roster))})")
    if len(votes) < board.quorum:
        raise DecisionRefused(
            f"policy {name} changes who may do what (people, board, roles or delegations): the board in "
            f"office decides it; {len(votes)} vote(s) given, the quorum is {board.quorum} "
            "(give --vote NAME=accept|reject)"
        )
    passed, note = carried(board, votes)
    if not passed:
        raise DecisionRefused(f"the votes do not carry policy {name}: {note}")
