"""Parsing submitted YAML and JSON text, with limits, into plain data: never more than was written.

Every file the engine reads from a person (proposals, assessments, status reports, projects,
candidates, policies, people files) goes through `parse_text`. Besides the syntax it refuses what a
parser would otherwise accept silently or fail on with its own exception:

- a key given twice in one mapping (YAML and JSON parsers let the last one win, so a reviewer reading
  the file sees a value the engine never used);
- nesting deeper than `MAX_DEPTH` (3,000 levels make the parsers recurse out of stack);
- a number written with more than `MAX_NUMBER_CHARS` characters (Python refuses to convert integers of
  over 4,300 digits, and no amount here needs 64);
- a date or time that does not exist (2027-02-30, year 0, hour 25);
- YAML aliases (a few lines expanding into millions of nodes);
- text with control characters (they would reach a terminal or a PDF as commands, not as text),
  bidirectional embedding, override and isolate characters (a title would read differently from
  what is stored, as in "Trojan Source", CVE-2021-42574) or lone surrogates (they cannot be stored
  as UTF-8).

YAML is scanned and parsed by libyaml (about twice as fast as PyYAML's Python parser on a 5 MB file) and
composed by PyYAML's Python composer, which is where aliases and depth are checked.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import yaml
from yaml._yaml import CParser  # libyaml: part of every PyYAML wheel for this platform
from yaml.composer import Composer, ComposerError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node
from yaml.resolver import Resolver

__all__ = ["MAX_DEPTH", "MAX_NUMBER_CHARS", "Unparsable", "parse_json", "parse_text", "parse_yaml", "text_problem"]

MAX_DEPTH = 32
MAX_NUMBER_CHARS = 64

# C0 and C1 control characters other than tab, line feed and carriage return; the bidirectional
# embeddings, overrides and isolates (right-to-left text needs none of them: Unicode orders it).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class Unparsable(ValueError):
    """The text is not a document the engine accepts; `message` says where and why, for one line."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def parse_text(text: str, suffix: str) -> Any:
    """The document in `text`, read as JSON for `.json` and as YAML otherwise.

    Raises:
        Unparsable: the syntax, or one of the limits above.
    """
    return parse_json(text) if suffix.lower() == ".json" else parse_yaml(text)


# -- JSON -----------------------------------------------------------------------------------------


class _Duplicate(Exception):
    pass


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Duplicate(key)
            seen.add(key)
    return data


def _json_number(kind: type) -> Any:
    def convert(literal: str) -> Any:
        if len(literal) > MAX_NUMBER_CHARS:
            raise _TooLong(literal)
        return kind(literal)

    return convert


class _TooLong(Exception):
    pass


def parse_json(text: str) -> Any:
    """JSON with decimals kept exact (`Decimal`), within the limits of this module."""
    try:
        data = json.loads(
            text,
            parse_float=_json_number(Decimal),
            parse_int=_json_number(int),
            parse_constant=Decimal,
            object_pairs_hook=_json_object,
        )
    except json.JSONDecodeError as exc:
        raise Unparsable(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except _Duplicate as exc:
        raise Unparsable(f"invalid JSON: the key {exc.args[0]!r} is given twice in one object") from None
    except _TooLong as exc:
        raise Unparsable(f"invalid JSON: {_too_long(exc.args[0])}") from None
    except RecursionError:
        raise Unparsable(f"invalid JSON: nested deeper than {MAX_DEPTH} levels") from None
    _check_tree(data, "JSON")
    return data


def _too_long(literal: str) -> str:
    return f"a number written with {len(literal):,} characters (the limit is {MAX_NUMBER_CHARS})"


# -- YAML -----------------------------------------------------------------------------------------


class _Loader(CParser, SafeConstructor, Resolver):
    """libyaml's events, PyYAML's composer and safe constructor, with the checks of this module."""

    def __init__(self, stream: str) -> None:
        CParser.__init__(self, stream)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self.anchors: dict[Any, Node] = {}
        self._depth = 0

    get_single_node = Composer.get_single_node
    compose_document = Composer.compose_document
    compose_scalar_node = Composer.compose_scalar_node
    compose_sequence_node = Composer.compose_sequence_node
    compose_mapping_node = Composer.compose_mapping_node

    def compose_node(self, parent: Node | None, index: Any) -> Any:
        event: Any = self.peek_event()
        mark: Any = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            raise ComposerError(None, None, "YAML aliases (*name) are not accepted", mark)
        if self._depth >= MAX_DEPTH:
            raise ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels", mark)
        self._depth += 1
        try:
            return Composer.compose_node(self, parent, index)  # type: ignore[arg-type]
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            self.flatten_mapping(node)
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:
                    continue  # an unhashable key: the constructor below names it
                if first is not None:
                    raise ConstructorError(
                        None, None, f"the key {key!r} is given twice (first at line {first + 1})", key_node.start_mark
                    )
                seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)  # type: ignore[arg-type]

    def construct_yaml_timestamp(self, node: Node) -> Any:
        try:
            return super().construct_yaml_timestamp(node)  # type: ignore[arg-type]
        except (ValueError, OverflowError) as exc:
            raise ConstructorError(
                None, None, f"{node.value!r} is not a date or time that exists ({exc})", node.start_mark
            ) from None

    def construct_yaml_int(self, node: Node) -> int:
        self._check_number(node)
        return super().construct_yaml_int(node)  # type: ignore[arg-type]

    def construct_yaml_float(self, node: Node) -> float:
        self._check_number(node)
        return super().construct_yaml_float(node)  # type: ignore[arg-type]

    def _check_number(self, node: Node) -> None:
        if isinstance(node.value, str) and len(node.value) > MAX_NUMBER_CHARS:
            raise ConstructorError(None, None, _too_long(node.value), node.start_mark)


for _tag, _method in (
    ("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp),
    ("tag:yaml.org,2002:int", _Loader.construct_yaml_int),
    ("tag:yaml.org,2002:float", _Loader.construct_yaml_float),
):
    _Loader.add_constructor(_tag, _method)  # type: ignore[type-var]


def parse_yaml(text: str) -> Any:
    """One YAML document (safe tags only), within the limits of this module."""
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise Unparsable(f"invalid YAML{where}: {reason}") from None
    except RecursionError:  # libyaml parses any depth; this is the composer's guard failing open
        raise Unparsable(f"invalid YAML: nested deeper than {MAX_DEPTH} levels") from None
    finally:
        loader.dispose()
    _check_tree(data, "YAML")
    return data


# -- every string of a parsed document --------------------------------------------------------------


def text_problem(value: str) -> str | None:
    """Why this text may not be stored, or None: control characters (bidirectional ones too) and lone surrogates."""
    found = _CONTROL.search(value)
    if found is not None:
        kind = "bidirectional control" if ord(found.group()) > 0x9F else "control"
        return f"{kind} character U+{ord(found.group()):04X} in text"
    if _SURROGATE.search(value) is not None:
        return "a lone UTF-16 surrogate in text (not a character)"
    return None


def _check_tree(data: Any, kind: str) -> None:
    """Depth and text of a parsed document, walked without recursion."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise Unparsable(f"invalid {kind}: nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, str):
            problem = text_problem(value)
            if problem is not None:
                raise Unparsable(f"invalid {kind} at {path or '(top level)'}: {problem}")
        elif isinstance(value, dict):
            for key, item in value.items():
                name = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and (problem := text_problem(key)) is not None:
                    raise Unparsable(f"invalid {kind}: a key at {path or '(top level)'}: {problem}")
                stack.append((item, name, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{index}]", depth + 1) for index, item in enumerate(value))
