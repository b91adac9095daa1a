"""Parsing with limits (governance.parsing) and the CSV readers: each refusal in full."""

from __future__ import annotations

import pytest

from governance.assessments import read_assessments
from governance.candidates import _raw_cross_problems
from governance.errors import InputRefused, Problem
from governance.parsing import MAX_DEPTH, Unparsable, parse_text
from governance.reports import read_status_reports
from governance.sources import SubmittedFile, read_records

REFUSED = [
    (".yaml", "a: 1\na: 2\n", "invalid YAML at line 2 column 1: the key 'a' is given twice (first at line 1)"),
    (".yaml", "{a: 1, a: 2}", "invalid YAML at line 1 column 8: the key 'a' is given twice (first at line 1)"),
    (".json", '{"a": 1, "b": {"c": 1, "c": 2}}', "invalid JSON: the key 'c' is given twice in one object"),
    (
        ".yaml",
        "due: 2027-02-30\n",
        "invalid YAML at line 1 column 6: '2027-02-30' is not a date or time that exists "
        "(day is out of range for month)",
    ),
    (
        ".yaml",
        "due: 0000-01-01\n",
        "invalid YAML at line 1 column 6: '0000-01-01' is not a date or time that exists (year 0 is out of range)",
    ),
    (
        ".yaml",
        "at: 2026-01-01 25:00:00\n",
        "invalid YAML at line 1 column 5: '2026-01-01 25:00:00' is not a date or time that exists "
        "(hour must be in 0..23)",
    ),
    (
        ".yaml",
        "n: " + "9" * 5000,
        "invalid YAML at line 1 column 4: a number written with 5,000 characters (the limit is 64)",
    ),
    (
        ".yaml",
        "n: 1." + "5" * 70,
        "invalid YAML at line 1 column 4: a number written with 72 characters (the limit is 64)",
    ),
    (".json", '{"n": ' + "9" * 5000 + "}", "invalid JSON: a number written with 5,000 characters (the limit is 64)"),
    (".yaml", "[" * 3000 + "]" * 3000, "invalid YAML at line 1 column 33: nested deeper than 32 levels"),
    (".json", "[" * 3000 + "]" * 3000, "invalid JSON: nested deeper than 32 levels"),
    (".json", "[" * 40 + "]" * 40, "invalid JSON: nested deeper than 32 levels"),
    (
        ".yaml",
        "a:\n" + "".join(" " * (i + 1) + "-\n" for i in range(3000)),
        "invalid YAML at line 33 column 33: nested deeper than 32 levels",
    ),
    (".yaml", "x: &a [1]\ny: *a\n", "invalid YAML at line 2 column 4: YAML aliases (*name) are not accepted"),
    (".yaml", 't: "a\\x1b[2Jb"\n', "invalid YAML at t: control character U+001B in text"),
    (".json", '{"t": ["ok", "\\u0007"]}', "invalid JSON at t[1]: control character U+0007 in text"),
    (".json", '{"t": "\\ud800"}', "invalid JSON at t: a lone UTF-16 surrogate in text (not a character)"),
    (".json", '{"\\u001b": 1}', "invalid JSON: a key at (top level): control character U+001B in text"),
    (
        ".yaml",
        "x: !!python/object:os.system 1\n",
        "invalid YAML at line 1 column 4: could not determine a constructor for the tag "
        "'tag:yaml.org,2002:python/object:os.system'",
    ),
    (".yaml", "- 1\n---\n- 2\n", "invalid YAML at line 2 column 1: but found another document"),
]


@pytest.mark.parametrize(("suffix", "text", "message"), REFUSED, ids=[f"{i}-{c[0]}" for i, c in enumerate(REFUSED)])
def test_refused_with_the_place_and_the_reason(suffix: str, text: str, message: str) -> None:
    with pytest.raises(Unparsable) as refused:
        parse_text(text, suffix)
    assert refused.value.message == message


def test_within_the_limits_is_read_as_written() -> None:
    deepest = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert parse_text(deepest, ".json") is not None
    assert parse_text(deepest, ".yaml") is not None
    assert parse_text("d: 2028-02-29\nn: " + "9" * 64 + "\nt: tab\there\n", ".yaml") == {
        "d": __import__("datetime").date(2028, 2, 29),
        "n": int("9" * 64),
        "t": "tab\there",
    }
    assert parse_text('{"a": {"b": 1}, "c": {"b": 2}, "x": 1.10}', ".json") == {
        "a": {"b": 1},
        "c": {"b": 2},
        "x": __import__("decimal").Decimal("1.10"),
    }


def test_csv_cells_and_headers() -> None:
    proposals = SubmittedFile("p.csv", "reference,title,title\nNW-A,A,B\nNW-B,\x1b[2J,C\n")
    assert read_records(proposals)[1] == [
        Problem("p.csv", "row 1", "title", "parse-error", "column 'title' is named twice in the header")
    ]
    control = SubmittedFile("p.csv", "reference,title\nNW-B,a\x1b[2Jb\n")
    assert read_records(control)[1] == [
        Problem("p.csv", "row 2", "title", "invalid-value", "control character U+001B in text")
    ]


def test_assessment_csv_row_longer_than_its_header() -> None:
    """Found by the property tests: a row with an extra cell raised AttributeError."""
    text = "proposal,gate,assessor,strategic-fit\nNW-A,1,raj,7,8\n"
    with pytest.raises(InputRefused) as refused:
        read_assessments([SubmittedFile("a.csv", text)])
    assert refused.value.problems == (
        Problem("a.csv", "row 2", "", "parse-error", "more cells than the header has columns"),
    )
    twice = "proposal,gate,assessor,strategic-fit,strategic-fit\nNW-A,1,raj,7,8\n"
    with pytest.raises(InputRefused) as refused:
        read_assessments([SubmittedFile("a.csv", twice)])
    assert refused.value.problems == (
        Problem(
            "a.csv", "row 1", "strategic-fit", "parse-error", "column 'strategic-fit' is named twice in the header"
        ),
    )


def test_status_report_csv_with_a_column_twice() -> None:
    text = "project,quarter,project\nNW-RUN-HPC2,2026Q4,NW-RUN-SMT\n"
    with pytest.raises(InputRefused) as refused:
        read_status_reports([SubmittedFile("s.csv", text)], "2026Q4")
    assert refused.value.problems[0] == Problem(
        "s.csv", "row 1", "project", "parse-error", "column 'project' is named twice in the header"
    )


def test_candidates_cross_checks_survive_a_bucket_that_is_a_list() -> None:
    """Found by the property tests: `bucket: [a]` in a candidates file raised TypeError (unhashable)."""
    data = {"buckets": [{"bucket": ["core"]}, {"bucket": "growth"}], "candidates": [{"id": "P-1", "bucket": "core"}]}
    assert [(p.record, p.field, p.code) for p in _raw_cross_problems(data, "c.yaml")] == [
        ("candidates[0] P-1", "bucket", "unknown-bucket"),
        ("candidates[0] P-1", "ecv", "missing"),  # no `value_measure`: ecv, and no ecv given
    ]
