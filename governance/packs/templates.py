"""The Jinja2 environment for packs: autoescape on, StrictUndefined, and formatting filters only.

Filters never read the locale or the time zone, so a pack renders the same everywhere.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from governance.money import compact as compact_text
from governance.money import money as money_text
from governance.money import typographic
from governance.packs.fetcher import TEMPLATE_DIR
from governance.wording import reason_in_words

__all__ = ["compact", "css_string", "environment", "money", "number", "percent", "words"]

_CSS_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 :._-")


def css_string(value: Any) -> Markup:
    """Text for inside a CSS string in a `<style>` element: every other character as a CSS escape.

    HTML escaping does not apply inside `<style>`, so nothing but letters, digits and a few marks
    goes through as itself (no quote, backslash or `<` can end the string or the element).
    """
    text = str(value)
    return Markup("".join(c if c in _CSS_SAFE else f"\\{ord(c):06x}" for c in text))  # noqa: S704 - escaped above


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def money(value: Any, currency: str | None = None, places: int = 0) -> str:
    """`"1250000.5"` -> `1,250,001`, with a currency `EUR 1,250,001`; None -> an en dash; a minus sign."""
    return typographic(money_text(value, currency, places=places))


def compact(value: Any, currency: str | None = None) -> str:
    """`8740381.96` -> `EUR 8.74M` (dashboard tiles)."""
    return typographic(compact_text(value, currency))


def words(value: Any, currency: str | None = None) -> str:
    """An engine reason (`ecv -2573753.09 < 0`) in words (`ECV is EUR -2,573,753, below 0`)."""
    return typographic(reason_in_words(str(value), currency))


def number(value: Any, places: int = 2) -> str:
    d = _decimal(value)
    if d is None:
        return "\u2013"
    return f"{d:,.{places}f}".replace("-", "\u2212")


def percent(value: Any, places: int = 1) -> str:
    """A share (`"0.396"`) as a percentage (`39.6%`)."""
    d = _decimal(value)
    if d is None:
        return "\u2013"
    return f"{d * 100:,.{places}f}%".replace("-", "\u2212")


def _date(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def _outcome(value: Any) -> str:
    return str(value).replace("-", " ") if value is not None else "\u2013"


@cache
def environment() -> Environment:
    """The one environment for every pack template (cached: templates compile once per process)."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        css_string=css_string,
        money=money,
        compact=compact,
        words=words,
        number=number,
        percent=percent,
        when=_date,
        outcome=_outcome,
    )
    return env
