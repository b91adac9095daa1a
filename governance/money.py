"""Money as people read it: one format for the terminal, the packs and the spreadsheets' text.

    money(Decimal("1250000.5"), "EUR")            -> "EUR 1,250,001"
    money(Decimal("-564976.48"), "EUR")           -> "EUR -564,976"
    money(Decimal("1250000.5"), "EUR", places=2)  -> "EUR 1,250,000.50"
    compact(Decimal("8740000"), "EUR")            -> "EUR 8.74M"
    compact(Decimal("-12500"), None)              -> "-12.5k"

Amounts are rounded half away from zero (what a reader does in their head), whole units unless
`places` says otherwise; the currency is the policy's ISO 4217 code, put in front. The packs swap
the hyphen-minus for a typographic minus sign (`typographic`); the terminal and CSV keep ASCII.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

__all__ = ["DASH", "as_decimal", "compact", "money", "typographic"]

DASH = "\u2013"  # what a missing amount shows
_NEGATIVE = re.compile(r"(?<![\w-])-(?=\d)")
_STEPS = ((Decimal(10) ** 9, "bn"), (Decimal(10) ** 6, "M"), (Decimal(10) ** 3, "k"))


def as_decimal(value: Any) -> Decimal | None:
    """A Decimal from a Decimal, int, float or numeric string; None for None, "" or anything else."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def _prefixed(text: str, currency: str | None) -> str:
    return f"{currency} {text}" if currency else text


def money(value: Any, currency: str | None = None, *, places: int = 0) -> str:
    """`value` with thousands separators and `places` decimals, after the currency code if given."""
    d = as_decimal(value)
    if d is None:
        return DASH
    rounded = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # no "-0"
    return _prefixed(f"{rounded:,.{places}f}", currency)


def compact(value: Any, currency: str | None = None) -> str:
    """Three significant figures with k / M / bn (`EUR 8.74M`), for charts and dashboards."""
    d = as_decimal(value)
    if d is None:
        return DASH
    three = Decimal(f"{abs(d):.3g}")  # rounded first, so 999,950 reads 1.00M, not 1,000k
    for step, suffix in _STEPS:
        if three >= step:
            scaled = three / step
            digits = 2 if scaled < 10 else 1 if scaled < 100 else 0
            return _prefixed(f"{'-' if d < 0 else ''}{scaled:.{digits}f}{suffix}", currency)
    return money(d, currency)


def typographic(text: str) -> str:
    """The packs' form: a minus sign (U+2212) for each hyphen-minus that starts a negative number
    (`EUR -1,200`, `-5%`), not for the hyphens inside ids and words (`P-2026-0001`)."""
    return _NEGATIVE.sub("\u2212", text)
