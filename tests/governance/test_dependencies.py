"""Dependency loops: governance.dependencies.cycles against a brute-force search."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from governance.dependencies import cycles

NODES = [f"N{i}" for i in range(7)]
graphs = st.dictionaries(st.sampled_from(NODES), st.lists(st.sampled_from(NODES), max_size=3, unique=True), max_size=7)


def _reachable(graph: dict[str, list[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        for nxt in graph.get(node, []):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


@given(graphs, st.lists(st.sampled_from(NODES), min_size=1, max_size=4, unique=True))
def test_loops_match_brute_force(graph: dict[str, list[str]], starts: list[str]) -> None:
    found = cycles(starts, lambda node: graph.get(node, []))
    # Each path is a loop of real edges, starting and ending on the same node.
    for path in found:
        assert path[0] == path[-1]
        assert all(b in graph.get(a, []) for a, b in itertools.pairwise(path))
    # A node lies on a loop iff it reaches itself; the loops found cover exactly the reachable ones.
    reach = set(starts).union(*(_reachable(graph, s) for s in starts))
    on_loops = {n for n in reach if n in _reachable(graph, n)}
    covered = {n for path in found for n in path}
    assert {
        n for n in on_loops if any(n in _reachable(graph, m) and m in _reachable(graph, n) for m in covered)
    } == on_loops
    # One path per strongly connected component: no two paths share a node.
    assert sum(len(set(p)) for p in found) == len({n for p in found for n in p})


def test_a_long_chain_does_not_exhaust_the_stack() -> None:
    chain = {f"N{i}": [f"N{i + 1}"] for i in range(50_000)}
    assert cycles(["N0"], lambda node: chain.get(node, [])) == []
    chain["N50000"] = ["N0"]
    [loop] = cycles(["N0"], lambda node: chain.get(node, []))
    assert loop[0] == loop[-1] == "N0" and len(loop) == 50_002


def test_self_dependency_and_the_order_of_loops() -> None:
    graph = {"B": ["C"], "C": ["B"], "A": ["A"]}
    assert cycles(["C", "A"], lambda node: graph.get(node, [])) == [["C", "B", "C"], ["A", "A"]]
