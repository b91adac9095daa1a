from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.canonical import canonical_text, decimal_text, sha256_hex


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"b": 1, "a": [True, None, "x"]}, '{"a":[true,null,"x"],"b":1}'),
        ({"amount": Decimal("1000.00")}, '{"amount":"1000"}'),
        ({"amount": Decimal("0.50")}, '{"amount":"0.5"}'),
        ({"amount": Decimal("-0.00")}, '{"amount":"0"}'),
        ({"amount": Decimal("1E+3")}, '{"amount":"1000"}'),
        ({"when": dt.date(2027, 1, 31)}, '{"when":"2027-01-31"}'),
        (
            {"at": dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))},
            '{"at":"2026-11-23T09:00:00.000000Z"}',
        ),
        ({"text": "Grüße <b>"}, '{"text":"Grüße <b>"}'),
        ({"f": 1.0, "g": 1e21, "h": 1e-7, "i": 0.1}, '{"f":1,"g":1e+21,"h":1e-7,"i":0.1}'),
        # RFC 8785 orders keys by UTF-16 code units: U+1F600 (a surrogate pair) sorts before U+FF5E.
        ({"\uff5e": 1, "\U0001f600": 2}, '{"\U0001f600":2,"\uff5e":1}'),
    ],
    ids=[
        "order",
        "money",
        "fraction",
        "negative-zero",
        "exponent",
        "date",
        "utc",
        "unicode",
        "floats",
        "utf16-order",
    ],
)
def test_canonical_text(value: Any, expected: str) -> None:
    assert canonical_text(value) == expected


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), Decimal("NaN"), Decimal("Infinity")], ids=str)
def test_non_finite_numbers_have_no_canonical_form(bad: Any) -> None:
    with pytest.raises(ValueError, match=r"finite|NaN"):
        canonical_text({"x": bad})


def test_naive_datetime_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        canonical_text({"x": dt.datetime(2026, 1, 1)})


def test_decimal_text() -> None:
    assert [decimal_text(Decimal(v)) for v in ("12.3400", "100", "0.000", "-5.50")] == [
        "12.34",
        "100",
        "0",
        "-5.5",
    ]


def test_sha256_of_text_and_bytes_agree() -> None:
    assert sha256_hex("abc") == sha256_hex(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.text()
    | st.decimals(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_canonical_text_is_a_fixed_point(value: Any) -> None:
    """Parsing canonical text and writing it again gives the same bytes (decimals become strings)."""
    text = canonical_text(value)
    assert canonical_text(json.loads(text)) == text
