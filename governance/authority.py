"""Who acted, and whether the policy lets them: the role matrix, enforced for every way in.

The edges authenticate; the engine authorises. The CLI's `Actor` carries an authenticated account
(the OS user on SQLite, the PostgreSQL session user on PostgreSQL), which the policy's people map to
a person; in-process callers that are themselves the authority (tests, the demo's script, the
Prefect form's checked answer) name the person directly. `--as` asks to act for someone else: allowed
only where the policy's `delegations` say so, and the record names both people ("raj for ana").

Roles a person has: their own `roles:`, plus `everyone`, `board` (a board member), `chair`, and for
the proposal or condition acted on `submitter` (its submitter or sponsor resolves to them) and
`condition-owner`. The role matrix (`roles:` in the policy, else models.people.DEFAULT_ROLE_MATRIX)
says which roles may take each action.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import text

from governance.errors import DecisionRefused, Forbidden
from governance.people import Directory
from governance.store import Store
from models.decision import ReviewVote
from models.people import Person
from models.policy import BoardRules, Policy

__all__ = ["Actor", "Authorised", "authenticated", "authorise", "carried", "parse_review_votes", "roles_of"]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting, as the way in established it.

    Attributes:
        account: an authenticated login ("root", "ana"), mapped to a person by the policy's `accounts`.
        person: a person id named by a trusted in-process caller (a test, the demo, a checked form).
        acting_for: the person this actor asks to act for (`--as`); needs a delegation in the policy.
        via: how the identity was established ("os-user", "postgres", "prefect-form", "engine").
    """

    account: str | None = None
    person: str | None = None
    acting_for: str | None = None
    via: str = "engine"

    @staticmethod
    def of(person: str, *, via: str = "engine") -> Actor:
        """A person named directly by an in-process caller that is the authority for who it is."""
        return Actor(person=person, via=via)

    def describe(self) -> str:
        """The actor as the ledger's `recorded_by` shows it when no policy person is involved."""
        return self.person or self.account or "unknown"


@dataclass(frozen=True, slots=True)
class Authorised:
    """The person an action is taken as, and the delegate who took it for them (if any)."""

    person: Person
    delegate: Person | None = None

    @property
    def recorded_by(self) -> str:
        return f"{self.delegate.id} for {self.person.id}" if self.delegate else self.person.id


def authenticated(store: Store, acting_for: str | None = None) -> Actor:
    """The actor as the operating system or the database authenticated it, never as typed.

    On PostgreSQL the session user (each person logs in with a role of their own, a member of the
    engine's role); on SQLite the OS account running the command (its effective uid, not $USER).
    """
    if store.engine.dialect.name == "postgresql":
        with store.read() as conn:
            account = str(conn.scalar(text("SELECT session_user")))
        via = "postgres"
    else:
        import pwd

        try:
            account = pwd.getpwuid(os.geteuid()).pw_name
        except KeyError:
            account = f"uid-{os.geteuid()}"
        via = "os-user"
    return Actor(account=account, acting_for=acting_for.strip() if acting_for else None, via=via)


def roles_of(policy: Policy, person: Person, *, submitters: Iterable[str] = (), owners: Iterable[str] = ()) -> set[str]:
    """Every role the person has for this action (built-in roles included)."""
    roles = {"everyone", *person.roles}
    for member in policy.board.members:
        if member.name == person.id:
            roles.add("board")
            if member.chair:
                roles.add("chair")
    if person.id in set(submitters):
        roles.add("submitter")
    if person.id in set(owners):
        roles.add("condition-owner")
    return roles


def _who(directory: Directory, actor: Actor) -> Person:
    if actor.person is not None:
        if actor.person not in directory.people:
            raise Forbidden(f"{actor.person} is no person of the policy in force")
        return directory.person(actor.person)
    if actor.account is None:
        raise Forbidden("nobody authenticated: the action needs a person of the policy", code="not-authenticated")
    person = directory.for_account(actor.account)
    if person is None:
        raise Forbidden(
            f"the account {actor.account!r} ({actor.via}) is no person of the policy in force: "
            "add it to a person's `accounts` in the policy's people",
            code="not-authenticated",
        )
    return person


def authorise(
    policy: Policy,
    actor: Actor,
    action: str,
    *,
    submitters: Iterable[str] = (),
    owners: Iterable[str] = (),
    directory: Directory | None = None,
) -> Authorised:
    """The person this actor takes `action` as, if the policy allows it.

    Args:
        submitters: ids of the people who submitted or sponsor the proposal acted on.
        owners: ids of the people who own the condition acted on.

    Raises:
        Forbidden: not a person of the policy, no delegation for this action, or no role the
            role matrix gives this action (the message names the rule).
    """
    directory = directory or Directory.of(policy)
    me = _who(directory, actor)
    delegate = None
    person = me
    if actor.acting_for is not None and actor.acting_for != me.id:
        target = directory.member(actor.acting_for, what="--as")
        if target.id != me.id:
            allowed = any(d.from_ == target.id and d.to == me.id and action in d.actions for d in policy.delegations)
            if not allowed:
                raise Forbidden(
                    f"{me.id} may not {action} for {target.id}: the policy has no delegation from "
                    f"{target.id} to {me.id} for {action}"
                )
            delegate, person = me, target
    allowed_roles = policy.role_matrix()[action]
    held = roles_of(policy, person, submitters=submitters, owners=owners)
    if not held & set(allowed_roles):
        mine = ", ".join(sorted(held))
        raise Forbidden(
            f"{person.id} may not {action}: the policy's role matrix gives {action} to "
            f"{', '.join(allowed_roles)}; {person.id} has {mine}"
        )
    return Authorised(person=person, delegate=delegate)


def carried(board: BoardRules, votes: Sequence[ReviewVote]) -> tuple[bool, str]:
    """Whether accept/reject votes carry a motion under the board's voting rule, and why (quorum is the caller's)."""
    accept = sum(v.vote == "accept" for v in votes)
    cast = len(votes)
    if board.voting_rule == "majority":
        return accept * 2 > cast, f"{accept} of {cast} votes accept; a majority needs more than half"
    if board.voting_rule == "unanimity":
        return accept == cast, f"{accept} of {cast} votes accept; unanimity needs all"
    chair = next(m.name for m in board.members if m.chair)
    passed = any(v.member == chair and v.vote == "accept" for v in votes)
    return passed, f"the chair ({chair}) decides and {'accepts' if passed else 'does not accept'}"


def parse_review_votes(raw: Sequence[str]) -> list[ReviewVote]:
    """`["ana=accept", "lee=reject"]` -> votes on a quarterly answer. Refuses a malformed entry or a double vote."""
    votes = []
    for entry in raw:
        member, sep, vote = entry.partition("=")
        try:
            if not sep:
                raise ValueError
            votes.append(ReviewVote.model_validate({"member": member.strip().lower(), "vote": vote.strip().lower()}))
        except ValueError:
            raise DecisionRefused(f"--vote {entry!r}: expected NAME=accept or NAME=reject") from None
    twice = sorted({v.member for v in votes if sum(w.member == v.member for w in votes) > 1})
    if twice:
        raise DecisionRefused(f"{', '.join(twice)} voted more than once")
    return votes
