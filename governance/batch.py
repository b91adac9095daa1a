"""The checks on a submission as a whole, shared by validation and by filing.

Validation (`governance.intake.check_submission`, and `load_parts` for a spread intake) refuses whatever
filing (`governance.intake.file_proposals`) would refuse, because both apply the rules of this module:
a submission that validation accepted cannot fail half-way through its chunks on a rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from governance.dependencies import OnFileDependencies, cycles
from governance.errors import Problem, ProblemCode
from governance.lifecycle import CLOSED, transition_refusal

__all__ = ["Item", "OnFile", "check_cycles", "check_references", "dedupe", "refiling_refusal"]


class Item(Protocol):
    """A proposal of a submission: a validated `Candidate`, or a spread intake's `Prepared` item."""

    @property
    def file(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def reference(self) -> str: ...
    @property
    def content_hash(self) -> str: ...
    @property
    def depends_on(self) -> list[str]: ...
    @property
    def excludes(self) -> list[str]: ...


ItemT = TypeVar("ItemT", bound=Item)


@dataclass(frozen=True, slots=True)
class OnFile:
    """A proposal already on file, as a submission is checked against it."""

    state: str
    content_hash: str


def dedupe(candidates: list[ItemT]) -> tuple[list[ItemT], list[Problem]]:
    """One item per reference; the same reference with other content is a problem."""
    by_ref: dict[str, ItemT] = {}
    problems = []
    for c in candidates:
        first = by_ref.get(c.reference)
        if first is None:
            by_ref[c.reference] = c
        elif first.content_hash != c.content_hash:
            problems.append(
                Problem(
                    c.file,
                    c.label,
                    "reference",
                    "duplicate-in-batch",
                    f"reference {c.reference} is also in {first.file} {first.label} with other content",
                )
            )
    return list(by_ref.values()), problems


def check_references(candidates: Sequence[Item], known: Mapping[str, OnFile]) -> list[Problem]:
    """Each reference named in depends_on or excludes exists; each proposal on file may be filed again."""
    in_batch = {c.reference for c in candidates}
    problems = []
    for c in candidates:
        for name in ("depends_on", "excludes"):
            for i, ref in enumerate(getattr(c, name)):
                if ref not in in_batch and ref not in known:
                    problems.append(
                        Problem(
                            c.file,
                            c.label,
                            f"{name}[{i}]",
                            "unknown-reference",
                            f"no proposal {ref} in this submission or on file",
                        )
                    )
        on_file = known.get(c.reference)
        refusal = None if on_file is None else refiling_refusal(on_file, c.content_hash)
        if refusal is not None:
            code, why = refusal
            problems.append(Problem(c.file, c.label, "reference", code, f"{c.reference} {why}"))
    return problems


def refiling_refusal(on_file: OnFile, content_hash: str) -> tuple[ProblemCode, str] | None:
    """Why a proposal on file may not be filed again with this content, or None: the one rule that both
    validation (`check_submission`) and filing (`file_proposals`) apply."""
    if on_file.state in CLOSED:
        return "closed-proposal", f"is {on_file.state} and cannot be refiled or amended"
    if on_file.content_hash == content_hash:
        return None  # unchanged: filing skips it
    refusal = transition_refusal(on_file.state, "amended")
    if refusal is None:
        return None
    return "not-amendable", f"{refusal} (a proposal is amended until its last gate decision)"


def check_cycles(candidates: Sequence[Item], on_file: OnFileDependencies | None) -> list[Problem]:
    """Every loop of depends_on that the submission would close, named on its first proposal."""
    batch = {c.reference: c for c in candidates}
    outside = {ref for c in candidates for ref in c.depends_on if ref not in batch}
    stored = on_file(outside) if on_file is not None and outside else {}

    def edges(ref: str) -> Sequence[str]:
        item = batch.get(ref)
        return item.depends_on if item is not None else stored.get(ref, ())

    problems = []
    for loop in cycles(batch, edges):
        c = batch[loop[0]]
        field = f"depends_on[{c.depends_on.index(loop[1])}]"
        message = f"depends_on closes a loop, so none of them can start: {' -> '.join(loop)}"
        problems.append(Problem(c.file, c.label, field, "dependency-cycle", message))
    return problems
