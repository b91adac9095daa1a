"""People, the role matrix and delegations: who may do what, as a policy (or the people file it names) says.

Everything else in the engine names people by their stable `id`. Names typed by users or written in
proposals are resolved to ids by the engine (governance.people), never compared as spellings.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, Field, StringConstraints

from models.common import STRICT, PlainLine

__all__ = [
    "ACTIONS",
    "BUILTIN_ROLES",
    "DEFAULT_ROLE_MATRIX",
    "Account",
    "Action",
    "Delegation",
    "PeopleFile",
    "Person",
    "PersonId",
    "RoleName",
]

PersonId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9._-]{0,39}$")]
RoleName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,39}$")]
# An OS account (SQLite, the embedded default) or a PostgreSQL login role that authenticates as a person.
Account = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9._@-]{0,62}$")]

Action = Literal[
    "adopt-policy",
    "decide",
    "supersede",
    "withdraw",
    "close-condition",
    "confirm-quarter",
    "assess",
    "sign",
    "simulate",
    "manage-scenarios",
    "commit-scenario",
    "review-benefits",
]
ACTIONS: tuple[str, ...] = get_args(Action)

# Roles every policy has without declaring them:
#   everyone         any person in the policy's people
#   board            a member of the board
#   chair            the board's chair
#   submitter        the submitter of the proposal acted on (withdraw)
#   condition-owner  the owner of the condition acted on (close-condition)
BUILTIN_ROLES: tuple[str, ...] = ("everyone", "board", "chair", "submitter", "condition-owner")

# The matrix in force when a policy has no `roles:` section.
DEFAULT_ROLE_MATRIX: dict[str, tuple[str, ...]] = {
    "adopt-policy": ("chair",),
    "decide": ("chair",),
    "supersede": ("chair",),
    "withdraw": ("submitter", "chair"),
    "close-condition": ("condition-owner", "chair"),
    "confirm-quarter": ("chair",),
    "assess": ("board", "assessor"),
    "sign": ("board",),
    "simulate": ("board", "portfolio-office"),
    "manage-scenarios": ("board", "portfolio-office"),
    "commit-scenario": ("chair",),
    "review-benefits": ("board", "portfolio-office"),
}


class Person(BaseModel):
    """One person: a stable id, the name and other spellings people write, roles and login accounts."""

    model_config = STRICT

    id: PersonId
    name: PlainLine
    aliases: list[PlainLine] = Field(default_factory=list)
    roles: list[RoleName] = Field(default_factory=list)
    accounts: list[Account] = Field(default_factory=list)
    public_key: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+/]{43}=$")] | None = None


class Delegation(BaseModel):
    """`to` may act for `from` in these actions; the record names both."""

    model_config = STRICT

    from_: PersonId = Field(alias="from")
    to: PersonId
    actions: list[Action] = Field(min_length=1)


class PeopleFile(BaseModel):
    """A people file a policy names with `people_file:` (read with the policy, stored inside it)."""

    model_config = STRICT

    people: list[Person] = Field(min_length=1)
    delegations: list[Delegation] = Field(default_factory=list)
