"""Hypothesis strategies for the file formats: documents drawn from each format's JSON Schema, then bent.

`from_schema` turns the schema a format publishes (`governance schema proposal`) into a strategy for
documents that follow it; `hostile` bends a document: a field dropped, one added, a value replaced by one
that parsers and models handle badly (huge numbers, NaN, deep nesting, markup, control characters, dates
that do not exist). `mangled_text` edits a file's text character by character. hypothesis-jsonschema
would do the first part, but its release fails on this Hypothesis (`'many' object has no attribute
'more'`) and it cannot follow the recursive references of the policy schema.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any

import yaml
from hypothesis import strategies as st

__all__ = ["NASTY", "from_schema", "hostile", "mangled_text", "serialised"]

_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)

# Values that have broken parsers and models before: each is one draw away.
NASTY: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(
        [
            None,
            True,
            "",
            " ",
            "2027-02-30",
            "0000-01-01",
            "2026-01-01T25:00:00",
            "2026Q5",
            "FY0000",
            "NaN",
            "Infinity",
            "-Infinity",
            "1e999",
            "-1",
            "1" * 80,
            "Budget [/bold] plan",
            "[link=file:///etc/passwd]x[/link]",
            "<script>alert(1)</script>",
            "&amp;",
            '=HYPERLINK("http://example.invalid")',
            "a\u202eb",
            "Ana\u200bRibeiro",
            "\u0410na Ribeiro",
            "x" * 5000,
            "P-2026-0001",
            "../../etc/passwd",
            "file:///etc/passwd",
            -1,
            0,
            10**80,
            2**63,
            -(2**63) - 1,
            1e308,
            -0.0,
            [],
            {},
        ]
    ),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.dates().map(dt.date.isoformat),
    _TEXT,
    st.recursive(st.none() | st.integers() | _TEXT, lambda inner: st.lists(inner, max_size=3), max_leaves=6),
)


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Documents following `schema` (a pydantic JSON Schema: `$defs` and `$ref`, recursion included)."""
    defs = schema.get("$defs", {})
    named: dict[str, st.SearchStrategy[Any]] = {}

    def ref(name: str) -> st.SearchStrategy[Any]:
        if name not in named:
            named[name] = st.deferred(lambda: build(defs[name]))
        return named[name]

    def build(node: dict[str, Any]) -> st.SearchStrategy[Any]:
        if "$ref" in node:
            return ref(node["$ref"].rsplit("/", 1)[-1])
        if "const" in node:
            return st.just(node["const"])
        if "enum" in node:
            return st.sampled_from(node["enum"])
        for key in ("anyOf", "oneOf"):
            if key in node:
                return st.one_of([build(option) for option in node[key]])
        if "allOf" in node:
            return build(node["allOf"][0])
        kind = node.get("type")
        if isinstance(kind, list):
            return st.one_of([build({**node, "type": k}) for k in kind])
        if kind == "object" or "properties" in node:
            return _object(node, build)
        if kind == "array":
            items = build(node.get("items", {}))
            low = node.get("minItems", 0)
            return st.lists(items, min_size=low, max_size=max(low, min(node.get("maxItems", low + 3), low + 3)))
        if kind == "string":
            return _string(node)
        if kind == "integer":
            return st.integers(node.get("minimum", node.get("exclusiveMinimum", -(10**6))), node.get("maximum", 10**6))
        if kind == "number":
            low, high = (
                node.get("minimum", node.get("exclusiveMinimum")),
                node.get("maximum", node.get("exclusiveMaximum")),
            )
            return st.floats(low, high, allow_nan=False, allow_infinity=False).map(lambda x: round(x, 2))
        if kind == "boolean":
            return st.booleans()
        if kind == "null":
            return st.none()
        return NASTY  # no type: anything

    return build(schema)


def _object(node: dict[str, Any], build: Any) -> st.SearchStrategy[Any]:
    properties = node.get("properties", {})
    required = set(node.get("required", ()))
    fixed = st.fixed_dictionaries(
        {k: build(v) for k, v in properties.items() if k in required},
        optional={k: build(v) for k, v in properties.items() if k not in required},
    )
    extra = node.get("additionalProperties")
    patterns = node.get("patternProperties")
    if isinstance(extra, dict) or patterns:
        values = build(extra) if isinstance(extra, dict) else build(next(iter(patterns.values())))
        keys = st.from_regex(next(iter(patterns)), fullmatch=True) if patterns else _TEXT
        more = st.dictionaries(keys, values, min_size=node.get("minProperties", 0), max_size=3)
        return st.tuples(fixed, more).map(lambda pair: {**pair[1], **pair[0]})
    return fixed


def _string(node: dict[str, Any]) -> st.SearchStrategy[str]:
    if "pattern" in node:
        return st.from_regex(node["pattern"], fullmatch=True)
    if node.get("format") == "date":
        return st.dates(dt.date(1990, 1, 1), dt.date(2100, 1, 1)).map(dt.date.isoformat)
    if node.get("format") == "date-time":
        return st.datetimes(timezones=st.just(dt.UTC)).map(dt.datetime.isoformat)
    low = node.get("minLength", 0)
    return st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=low, max_size=low + 20)


@st.composite
def hostile(draw: st.DrawFn, document: Any) -> Any:
    """The document with up to three changes: a value replaced, a key dropped or added, nesting deepened."""
    for _ in range(draw(st.integers(0, 3))):
        document = _bend(draw, document)
    return document


def _bend(draw: st.DrawFn, document: Any) -> Any:
    paths = list(_paths(document, ()))
    path = draw(st.sampled_from(paths))
    action = draw(st.sampled_from(["replace", "drop", "add", "deepen", "wrap"]))
    if action == "deepen":
        return _set(document, path, f"{_DEEP}{draw(st.sampled_from([31, 33, 3000]))}")
    if action == "wrap":
        return _set(document, path, [_get(document, path)])
    if action in ("drop", "add") and path and isinstance(_get(document, path[:-1]), dict):
        parent = dict(_get(document, path[:-1]))
        if action == "drop":
            parent.pop(path[-1], None)
        else:
            parent[draw(st.sampled_from(["x", "title ", "Title", "reference", "__class__", "!!python"]))] = draw(NASTY)
        return _set(document, path[:-1], parent)
    return _set(document, path, draw(NASTY))


# Nesting thousands deep is written into the text, not built: the serialisers would recurse out of stack.
_DEEP = "deep-nesting-"
_DEEP_MARK = re.compile(r'"?deep-nesting-(\d+)"?')


def _paths(value: Any, at: tuple[Any, ...]) -> Any:
    yield at
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*at, index))


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        value = value[part]
    return value


def _set(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _set(value[head], rest, new)}
    copy = list(value)
    copy[head] = _set(value[head], rest, new)
    return copy


def _plain(value: Any) -> Any:
    """Values YAML and JSON can write: Decimals and dates as the text a person would type."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def serialised(document: Any, suffix: str) -> str:
    """The document as a person would write it: JSON, or YAML (block style)."""
    plain = _plain(document)
    if suffix == ".json":
        text = json.dumps(plain, ensure_ascii=False, allow_nan=True)
    else:
        text = yaml.safe_dump(plain, allow_unicode=True, sort_keys=False)
    return _DEEP_MARK.sub(lambda m: "[" * int(m.group(1)) + "]" * int(m.group(1)), text)


_EDIT_CHARS = st.sampled_from([*list("\"'[]{}:,-#&*!|>%@`\\\n\t ?=0189.eE+"), "\x00", "\x1b", "\ufeff", "\u2028"])


@st.composite
def mangled_text(draw: st.DrawFn, text: str) -> str:
    """A file's text with a few characters inserted, deleted or replaced, or cut short."""
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        char = draw(_EDIT_CHARS)
        text = text[:at] + (char if op != "delete" else "") + text[at + (op != "insert") :]
    return text
