"""What every command group shares: the consoles, common options, the settings' store and ledger, JSON out.

Groups import this module and `cli.render`, never `cli.app`.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from governance.authority import Actor
from governance.ledger import Ledger
from governance.settings import Settings, load_settings
from governance.store import Store

__all__ = [
    "AsOption",
    "JsonOption",
    "PlainConsole",
    "acting",
    "choice",
    "currency",
    "err",
    "ledger",
    "load_settings",
    "opened",
    "out",
    "print_json",
    "quarter",
    "recorded_as",
    "store",
    "visible",
    "working",
]

# Control characters that would move the cursor, clear the screen or restyle the terminal if written raw:
# C0 (but newline and tab), DEL, C1, and the bidirectional overrides that reorder what a reader sees.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """`text` with every control character shown as its escape (`\\x1b`), so it prints as it is."""
    return _CONTROL.sub(lambda m: repr(m.group(0))[1:-1], text)


class PlainConsole(Console):
    """A console that prints every string as text: never as rich markup or emoji codes, control characters
    shown escaped. Whatever a submitter, a board member or a file typed reaches the terminal as typed, and
    styles are given as `style=` or `rich.text.Text`, never inside a string."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(markup=False, emoji=False, highlight=False, soft_wrap=True, **kwargs)

    def render_str(self, text: str, **kwargs: Any) -> Text:
        kwargs["markup"] = kwargs["emoji"] = False  # also where a caller asks for them
        return super().render_str(visible(text), **kwargs)


out = PlainConsole()
err = PlainConsole(stderr=True)

AsOption = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="Act for this person (a delegation the policy allows). Who you are is your OS user "
        "(PostgreSQL: your database login), mapped to a person by the policy's people.",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@contextmanager
def working(message: str) -> Iterator[None]:
    """A spinner with `message` on stderr while the block runs (a flow run: seconds with nothing to show),
    when stderr is a terminal; nothing when it is piped or captured, so outputs and tests stay clean."""
    if not err.is_terminal:
        yield
        return
    with err.status(f"{message} ...", spinner="dots"):
        yield


def store(settings: Settings) -> Store:
    """The governance database the settings name (not created or migrated here)."""
    return Store(settings.resolved_database_url())


def ledger(settings: Settings) -> Ledger:
    """A ledger on the settings' clock, id source and ledger key.

    With `PREFECT_API_URL` set, every record it commits is also a Prefect event (flows.events, through
    flows.launch): the shipped automations notify the board of them (deploy/automations.yaml)."""
    if os.environ.get("PREFECT_API_URL"):
        from flows.launch import notify_records

        notify_records()
    return Ledger(settings.clock(), settings.ids(), key=settings.ledger_secret())


def opened(settings: Settings | None = None) -> tuple[Settings, Store]:
    """The settings and their store, which must already have the current schema (else one clear error)."""
    settings = settings or load_settings()
    db = store(settings)
    db.require_schema()
    return settings, db


def acting(db: Store, as_: str | None = None) -> Actor:
    """The authenticated actor (OS user, or PostgreSQL session user), acting for `--as` if given."""
    from governance.authority import authenticated

    return authenticated(db, as_)


def recorded_as(db: Store) -> str:
    """The ledger's name for the authenticated actor on steps the role matrix does not guard (submit,
    score, review): the person their account maps to under the policy in force, else the account."""
    from governance.adoption import adopted_policy
    from governance.authority import authenticated
    from governance.people import Directory

    actor = authenticated(db)
    with db.read() as conn:
        loaded = adopted_policy(conn)
    if loaded is not None and actor.account is not None:
        person = Directory.of(loaded.policy).for_account(actor.account)
        if person is not None:
            return person.id
    return actor.describe()


def currency(db: Store) -> str | None:
    """The currency code of the policy in force (what amounts are in), or None before any policy."""
    from governance.adoption import adopted_policy

    with db.read() as conn:
        loaded = adopted_policy(conn)
    return loaded.policy.currency if loaded is not None else None


def print_json(data: Any) -> None:
    """JSON on stdout, indented, non-ASCII kept, anything else as its text."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def quarter(value: str | None) -> str | None:
    """An option callback refusing anything but a quarter like 2026Q4 (bad usage: typer's message, exit 2)."""
    from models.status_report import QUARTER_PATTERN

    if value is not None and not re.fullmatch(QUARTER_PATTERN, value):
        raise typer.BadParameter(f"{value!r}: expected a quarter like 2026Q4")
    return value


def choice(*values: str) -> Callable[[str | None], str | None]:
    """An option callback refusing any value but these (bad usage: typer's message, exit 2)."""

    def check(value: str | None) -> str | None:
        if value is not None and value not in values:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(values)}")
        return value

    return check
