"""Dependency cycles: a submission may not close a loop of `depends_on` between proposals.

A proposal that depends on another cannot start before it; two that depend on each other (or three
in a ring) can never start. The loop may run through proposals already on file: amending one on file
to depend on a proposal that depends on it closes it too. The proposals on file are read only as far as
the submission's dependencies reach.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence

from sqlalchemy import Connection, select

from models.tables import ProposalRow, SnapshotRow

__all__ = ["OnFileDependencies", "cycles", "on_file_dependencies"]

# Given references not in the submission, their proposals' stored `depends_on`, and those of the
# proposals those reach in turn (a reference not on file has none).
OnFileDependencies = Callable[[set[str]], Mapping[str, Sequence[str]]]


def on_file_dependencies(conn: Connection) -> OnFileDependencies:
    """The dependencies of proposals on file, read in rounds from their stored contents."""

    def read(start: set[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        frontier = sorted(start)
        while frontier:
            snapshots: dict[str, str] = {}
            for first in range(0, len(frontier), 500):
                chunk = frontier[first : first + 500]
                rows = conn.execute(
                    select(ProposalRow.reference, ProposalRow.snapshot).where(ProposalRow.reference.in_(chunk))
                )
                snapshots.update((ref, key) for ref, key in rows)
            contents: dict[str, str] = {}
            keys = sorted(set(snapshots.values()))
            for first in range(0, len(keys), 500):
                chunk = keys[first : first + 500]
                rows = conn.execute(select(SnapshotRow.key, SnapshotRow.content).where(SnapshotRow.key.in_(chunk)))
                contents.update((key, content) for key, content in rows)
            for ref in frontier:
                data = json.loads(contents.get(snapshots.get(ref, ""), "{}"))
                depends = data.get("depends_on", []) if isinstance(data, dict) else []
                found[ref] = [d for d in depends if isinstance(d, str)]
            frontier = sorted({d for deps in found.values() for d in deps} - set(found))
        return found

    return read


def cycles(starts: Iterable[str], edges: Callable[[str], Sequence[str]]) -> list[list[str]]:
    """Every loop reachable from `starts`, each as a path `[a, b, ..., a]` from the first start on it.

    One path per strongly connected component (Tarjan's algorithm, without recursion: a chain of
    thousands of proposals must not exhaust the stack).
    """
    order = list(dict.fromkeys(starts))
    rank = {ref: i for i, ref in enumerate(order)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)

    for root in order:
        if root in index:
            continue
        visit(root)
        work = [(root, iter(edges(root)))]
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    visit(successor)
                    work.append((successor, iter(edges(successor))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component: list[str] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1 or node in edges(node):
                        components.append(component)
    paths = []
    for component in components:
        members = set(component)
        start = min(component, key=lambda ref: rank.get(ref, len(rank)))
        paths.append(_loop(start, members, edges))
    return sorted(paths, key=lambda path: rank.get(path[0], len(rank)))


def _loop(start: str, members: set[str], edges: Callable[[str], Sequence[str]]) -> list[str]:
    """The shortest path from `start` back to itself inside one component (breadth first)."""
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for successor in edges(node):
                if successor not in members:
                    continue
                if successor == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [start, *reversed(path[:-1]), start] if node != start else [start, start]
                if successor not in came_from:
                    came_from[successor] = node
                    following.append(successor)
        frontier = following
    raise AssertionError(f"{start} is on no loop of its component")  # pragma: no cover - Tarjan found one
