"""WeasyPrint's user-agent stylesheet, cut down to the rules that can apply to a pack.

WeasyPrint styles every element (and its pseudo-elements) against its HTML user-agent stylesheet,
which is written for any page. A pack uses a few dozen tags and attributes; rules whose selector
needs another tag or attribute can never match, and the pseudo-element rules for footnotes and
notes (which no pack uses) make WeasyPrint compute styles for four pseudo-elements of every
element. Dropping them changes no box: the PDF bytes are the same (tests compare them), and a
gate pack lays out about a twentieth faster.

The cut is exact for the tags and attributes it was made for: `stylesheet_for` returns the cut
sheet only when a document uses nothing else, and WeasyPrint's own sheet otherwise.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

__all__ = ["PACK_ATTRIBUTES", "PACK_TAGS", "cut_stylesheet_text", "stylesheet_for"]

# What pack templates and charts write. Anything else in a document: WeasyPrint's whole sheet.
PACK_TAGS = frozenset(
    str.split(
        "html head meta title style link body section div span p h1 h2 h3 ul li b i em strong br figure figcaption "
        "svg g rect line polyline circle text tspan path table thead tbody tr th td"
    )
)
PACK_ATTRIBUTES = frozenset(
    str.split(
        "lang charset name content rel href class role aria-label xmlns width height viewbox transform x y x1 y1 "
        "x2 y2 cx cy r points d fill fill-opacity stroke stroke-width stroke-dasharray font-family font-size "
        "font-weight text-anchor colspan"
    )
)
# Pseudo-elements that exist only for footnotes and notes (`float: footnote`, `content: element(note)`),
# which no pack stylesheet uses; `::marker` applies to list items, which in a pack are `li` only.
_UNUSED_PSEUDO = re.compile(r"::(?:footnote|note)-")
_TAG = re.compile(r"[a-zA-Z][\w-]*")
_ATTRIBUTE = re.compile(r"\[\s*([a-zA-Z_][\w-]*)")
_IS = re.compile(r":(?:is|where)\(([^()]*)\)")


def _split_top(text: str, separators: str) -> list[str]:
    """`text` split at `separators` outside parentheses and brackets."""
    parts: list[str] = []
    depth, current = 0, list[str]()
    for char in text:
        depth += (char in "([") - (char in ")]")
        if depth == 0 and char in separators:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _narrowed(selector: str, tags: frozenset[str], attributes: frozenset[str]) -> str | None:
    """The selector as it can apply to a document of `tags` and `attributes`, or None if it cannot."""
    selector = selector.strip()
    if any(a.lower() not in attributes for a in _ATTRIBUTE.findall(selector)):
        return None
    if _UNUSED_PSEUDO.search(selector):
        return None
    if selector == "::marker":
        return "li::marker"

    empty = False  # an :is() list that keeps no tag: the selector cannot match

    def narrow(match: re.Match[str]) -> str:
        nonlocal empty
        names = [name.strip() for name in match.group(1).split(",")]
        if not all(_TAG.fullmatch(name) for name in names):
            return match.group(0)  # not a list of tags: left as written
        kept = [name for name in names if name.lower() in tags]
        empty = empty or not kept
        # :is(x) is as specific as x, and written as x it is indexed by its tag
        return kept[0] if len(kept) == 1 else f":is({', '.join(kept)})"

    selector = _IS.sub(narrow, selector)
    if empty:
        return None
    for compound in (p for p in _split_top(selector, " >+~") if p):
        tag = _TAG.match(compound)
        if tag and tag.group(0).lower() not in tags:
            return None
    return selector


def cut_stylesheet_text(
    css: str, tags: frozenset[str] = PACK_TAGS, attributes: frozenset[str] = PACK_ATTRIBUTES
) -> str:
    """`css` with every selector that cannot apply to a document of `tags` and `attributes` left out."""
    import tinycss2

    out = []
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type != "qualified-rule":
            out.append(tinycss2.serialize([rule]))  # @page, @media, @namespace...: kept whole
            continue
        selectors = [_narrowed(s, tags, attributes) for s in _split_top(tinycss2.serialize(rule.prelude), ",")]
        kept = [s for s in selectors if s]
        if kept:
            out.append(", ".join(kept) + " {" + tinycss2.serialize(rule.content) + "}")
    return "\n".join(out)


@functools.cache
def _cut_stylesheet() -> Any:
    from weasyprint import CSS
    from weasyprint.css.counters import CounterStyle
    from weasyprint.html import UA

    # Its @counter-style rules are in WeasyPrint's UA_COUNTER_STYLE already, which every document
    # starts from: parsed into a dict of their own, they are not declared twice.
    return CSS(string=cut_stylesheet_text(UA), counter_style=CounterStyle())


def _vocabulary(root: Any) -> tuple[set[str], set[str]]:
    tags: set[str] = set()
    attributes: set[str] = set()
    for element in root.iter():
        tag = element.tag
        if isinstance(tag, str):  # comments and processing instructions have none
            tags.add(tag.rsplit("}", 1)[-1].lower())
            attributes.update(name.rsplit("}", 1)[-1].lower() for name in element.attrib)
    return tags, attributes


def stylesheet_for(root: Any, full: Iterable[Any]) -> list[Any]:
    """The user-agent sheets for a parsed document: the cut one if `root` uses only pack tags and
    attributes, else `full` (WeasyPrint's own)."""
    tags, attributes = _vocabulary(root)
    if tags <= PACK_TAGS and attributes <= PACK_ATTRIBUTES:
        return [_cut_stylesheet()]
    return list(full)
