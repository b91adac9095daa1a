"""Hard programs on both cores: plain HiGHS, and beside it the program cut into pieces HiGHS
proves much faster (by cardinality), or a proof climb; the first proof ends both.

`solve_program` runs one program (`Model`) in two threads, HiGHS single-threaded in each (it
releases the GIL while it solves and keeps one scheduler per thread):

- "plain": HiGHS on the program from the caller's start: exactly the solve without this module.
  A program it proves before the split has a better selection to give it is easy, and its
  answer is the answer (the same on every run). Each selection it finds is shared.
- "split": first the root's verdict (`root.rounded`): the LP relaxation, its ones (the fractional
  rounded down) or the caller's start, improved by exchanges of one candidate; if that selection
  is within the gap of the LP's value, the LP proves it, and it is the answer whichever side ends
  first (the race waits for this verdict, which never waits for plain HiGHS: the same inputs, the
  same answer). Programs whose LP is already as good as the proof, as most large portfolios with
  loose bounds are (the 5,000-candidate bench program: 20 ms for the LP, 3 ms for the exchanges,
  where plain HiGHS's presolve alone takes 0.12 s), end here. Then, once plain HiGHS has a
  selection within `NEAR_GAP` of its bound or has passed `FIRST_NODES` nodes with one, from the
  same LP:
  1. cardinality: the LP's value as a function of how many candidates are selected (the row
     sum x = k) is concave in k, so the counts k whose LP value exceeds the target (the best
     selection's value plus the gap) are an interval around the LP's own count, found by walking
     out from it. A selection of any other count is worth no more than the target;
  2. with at most `MOST_COUNTS` counts in the interval (item sizes alike, as in knapsacks),
     cardinality pays: once plain HiGHS has passed `PIECES_NODES` nodes (the counts taken again
     from its selection then), it stands aside and the pieces get both cores. Dives first (the
     two counts with the best LP values, `DIVE_NODES` nodes each) for a better selection; then
     each count, two at a time, best LP value first, as a program of its own with reduced-cost
     fixing from its LP (a candidate whose flip would cost more than the LP's lead over the target
     is fixed: every selection with it flipped is worth at most the LP value less that reduced
     cost, which the bound keeps) and a row asking for more than the target, so that HiGHS either
     finds a better selection or proves that there is none, usually in a fraction of the time a
     proof of the whole takes. The target rises after each pair by what it found. The pieces have
     half the time left; if they prove nothing in it, plain HiGHS goes on from the best selection;
  3. with more counts (costs that vary widely, as in most real portfolios), first exchanges
     from the best selection (`swaps.py`: a few candidates out and a few in; on these programs
     plain HiGHS's bound after its root is often within the gap of the optimum, and a selection a
     few exchanges better ends the proof), then the root LP's core for a better selection
     (`_core`: only the LP's fractional candidates, those nearest to entering or leaving it and
     the best selection's free; exchanges again from what it finds), and once plain HiGHS has
     passed `FIRST_NODES` nodes, a climb beside it: the whole program with reduced-cost fixing
     from the root LP and a row asking for more than the target, stopping at the first selection
     that beats it (which raises the target) or when plain HiGHS finds a better one; until none
     beats it: proven. Plain HiGHS takes each better selection of the split's as its incumbent
     before its next dive.

The split's bound is proven: the root's is the LP's value; the others the largest of the target,
the pieces' bounds, the LP values of the counts set aside and what reduced-cost fixing excluded.
On a hard program, which side proves first depends on the machine's load, and so may the
selection, within the gap: `replay_agrees` accepts that (as it does another machine's
tie-breaking). `tests/governance/selection/test_split.py` checks both sides against brute force.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

import highspy
import numpy as np
from highspy.highs import HighsCallbackEvent

from governance.selection.model import Model, pass_model
from governance.selection.problem import Floats
from governance.selection.root import Relaxation, ask_more_than, fits, matrix, ones, rounded, unit, worth
from governance.selection.runs import Run, highs, optimise, outcome, run
from governance.selection.swaps import exchanged, ranked
from models.selection import SolverOptions

__all__ = ["DIVE_NODES", "FIRST_NODES", "MOST_COUNTS", "solve_program"]

# Plain HiGHS's nodes before the program counts as hard (the 5,000-candidate bench program is proven at
# the root; measured with the core, realistic n = 200: 0.33x at 20 against 0.42x at 100; at n = 500 the
# first 100 nodes take 4 s).
FIRST_NODES = 20
# Plain HiGHS's nodes before the cardinality pieces start, from its selection then (measured, MKP
# 100/10/0.25 seed 1 at a 120 s cap, 2026-12-04: from its selection after 20 nodes the pieces proved
# nothing, gap 1.8 % at the cap; after 100, proven in 39.3 s; the floor is not proven in 120 s).
PIECES_NODES = 100
DIVE_NODES = 300  # each of the two most promising counts' nodes, for a better start
PIECES_SHARE = 0.5  # of the time left when the pieces start (measured: MKP 100/30 and 250/10 pieces never finish)
# Of the root LP's zeros and of its ones, those left free in `_core`. Measured (realistic n = 200, seeds
# 1-5, 2026-12-04): the optimum has 3-5 candidates outside the LP's support, all within the 21 zeros
# nearest to entering, and drops at most 7 of its ones, within the 25 nearest to leaving; with 20 free
# the core finds a selection within 0-0.9 % of it in 0.3-1.6 s, and `solve` went from 0.84x to 0.33x
# of plain HiGHS's time (median of the ratios, interleaved). Keeping the best selection's candidates
# free as well (2026-12-04, two interleaved rounds): realistic n = 200 0.36x -> 0.27x (seed 2 15 s ->
# 4.8 s, seed 3 3.3 s -> 5.3 s), n = 500 at 20 % seed 1 12.5 s -> 6.5 s, where the core without them
# was infeasible at 20 and took 11 s at 40.
CORE = 20
# Plain HiGHS's gap at which the split starts (else at `FIRST_NODES` nodes). Measured, realistic n = 500
# at 20 %: its root's first selections (rounding) are 1.7-3.6 % from its bound, the next (a sub-MIP, at
# 0.3 s) 0.12-0.17 %, a few exchanges from one good enough for the proof; the 5,000-candidate bench
# program is proven 3 ms after its first selection within 1 %.
NEAR_GAP = 0.01
MOST_COUNTS = 8  # beyond this many counts to solve, the climb instead (measured: knapsacks 4-5, portfolios 12-20)
_TOL = 1e-7  # LP values and reduced costs, relative to the objective's scale
_INF = math.inf


class _Shared:
    """What the two sides share: the best selection either has found, whether the program is hard
    (plain HiGHS past `FIRST_NODES` nodes), and whether the race is over."""

    def __init__(self, model: Model, ends: float) -> None:
        self.model = model
        self.ends = ends
        self.pieces_end = ends  # the pieces' share of the time, once plain HiGHS stands aside for them
        self.lock = threading.Lock()
        self.chosen: list[int] = []  # with `value` -inf: no selection yet (an empty one is worth 0)
        self.value = -_INF
        self.pending: Floats | None = None
        self.pending_value = -_INF  # what `pending` is worth
        self.near = threading.Event()  # plain HiGHS has a selection within `NEAR_GAP` of its bound
        self.hard = threading.Event()
        self.deep = threading.Event()  # plain HiGHS past `PIECES_NODES` nodes
        self.solo = threading.Event()  # the split has both cores: plain HiGHS stops
        self.over = threading.Event()
        self.rooted = threading.Event()  # the root's verdict is in: `proof` (None: no proof there)
        self.proof: Run | None = None

    def offer(self, found: Run | list[int]) -> None:
        """Keep a selection (a run's, if it has one) if it is the best so far."""
        if isinstance(found, Run):
            if found.status not in ("optimal", "gap") or found.bound is None:
                return  # no selection
            found = found.chosen
        chosen = found
        if not fits(self.model, chosen):
            return  # HiGHS's selections all fit: this guards the bound's honesty all the same
        value = worth(self.model, chosen)
        with self.lock:
            if value > self.value:
                self.chosen, self.value = sorted(chosen), value

    def found(self, x: Floats) -> None:
        """Plain HiGHS's newest selection (each better than the one before), kept as it comes:
        checked only when someone asks for the best (an easy program never does)."""
        value = float(self.model.data.objective[x > 0.5].sum())
        with self.lock:
            self.pending, self.pending_value = x, value

    def best(self) -> tuple[list[int], float]:
        with self.lock:
            x, self.pending = self.pending, None
        if x is not None:
            self.offer(np.flatnonzero(x > 0.5).tolist())
        with self.lock:
            return self.chosen, self.value

    def left(self) -> float:
        return max(self.ends - time.monotonic(), 0.0)

    def pieces_left(self) -> float:
        return max(min(self.ends, self.pieces_end) - time.monotonic(), 0.0)

    def watch(self, h: highspy.Highs, beaten: float = _INF, simplex: bool = True) -> None:
        """Interrupt `h` once the race is over, or once either side has a selection worth more
        than `beaten`."""

        def interrupt(e: HighsCallbackEvent) -> None:
            if self.over.is_set() or self.value > beaten or self.pending_value > beaten:
                e.interrupt()

        h.cbMipInterrupt += interrupt
        if simplex:  # a call into Python each simplex iteration, each waiting for the GIL
            h.cbSimplexInterrupt += interrupt


def solve_program(
    model: Model,
    options: SolverOptions,
    start: Sequence[int] | None,
    seconds: float,
    running: threading.Event | None = None,
) -> Run:
    """The best selection of `model` within `seconds` and the gap of `options`, with a proven bound
    (see the module's docstring). `running`, if given, is set once plain HiGHS and the root's LP
    have started to solve (they let go of the GIL then): other Python work waits for it, and does
    not hold up either start (measured, 5,000-candidate bench program: the report's groundwork,
    30 ms of Python, started beside them, held the LP's start up by 10-30 ms)."""
    shared = _Shared(model, time.monotonic() + seconds)  # the start is shared once HiGHS accepts it
    began = _Began(running)
    pool = ThreadPoolExecutor(2, thread_name_prefix="selection")
    try:
        plain = pool.submit(_plain, model, options, start, seconds, shared, lambda: began("plain"))
        split = pool.submit(_side, model, options, start, shared, lambda: began("root"))
        racing: list[Future[Any]] = [plain, split]
        wait(racing, return_when=FIRST_COMPLETED)
        # The root's verdict comes before either side's answer, whichever ended first: its proof,
        # if it has one, is the answer, and plain HiGHS is not waited for (a run in its presolve,
        # which HiGHS does not interrupt, ends on its own: 0.12 s on the 5,000-candidate program).
        shared.rooted.wait(shared.left())
        if shared.proof is not None:
            shared.over.set()
            return shared.proof
        if (split.done() and split.result() is not None) or (plain.done() and not shared.solo.is_set()):
            shared.over.set()  # a proof, or plain HiGHS's answer (proven, or out of time)
        found = plain.result()
        # Plain HiGHS's proof is the answer: the split, told that the race is over, ends on its own
        # and is not waited for (measured, 5,000-candidate bench program: its LP, started as plain
        # HiGHS found its selection, ended 17 ms after plain HiGHS's proof).
        proven = found.status == "optimal" and not shared.solo.is_set() and not split.done()
        cut = None if proven else split.result()
    finally:
        pool.shutdown(wait=False)
    if cut is None and shared.solo.is_set() and shared.left() > 0:
        # Plain HiGHS stood aside for pieces that proved nothing: it goes on from the best selection.
        chosen, value = shared.best()
        found = run(model, options, chosen if value > -_INF else start, shared.left())
    if cut is not None and cut.status == "optimal" and found.status != "optimal":
        chosen, _ = shared.best()  # the split had a selection: so has `shared`
        return Run("optimal", chosen, max(cut.bound or -_INF, worth(model, chosen)))
    if found.status in ("optimal", "gap"):
        chosen, value = shared.best()  # the better of the two sides' selections: the plain bound holds for both
        if found.bound is not None and value > worth(model, found.chosen):
            return Run(found.status, chosen, found.bound)
    return found


class _Began:
    """Sets `running` (if given) once both sides have said that their HiGHS has started."""

    def __init__(self, running: threading.Event | None) -> None:
        self.running = running
        self.sides: set[str] = set()
        self.lock = threading.Lock()

    def __call__(self, side: str) -> None:
        with self.lock:
            self.sides.add(side)
            if len(self.sides) == 2 and self.running is not None:
                self.running.set()


def _plain(
    model: Model,
    options: SolverOptions,
    start: Sequence[int] | None,
    seconds: float,
    shared: _Shared,
    began: Callable[[], None],
) -> Run:
    def hooks(h: highspy.Highs) -> None:
        def improving(e: HighsCallbackEvent) -> None:
            shared.found(np.array(e.data_out.mip_solution))
            if e.data_out.mip_gap <= NEAR_GAP:
                shared.near.set()

        def nodes(e: HighsCallbackEvent) -> None:
            if e.data_out.mip_node_count >= FIRST_NODES and not shared.hard.is_set():
                shared.near.set()  # hard, if not near: the split starts all the same
                shared.hard.set()
            if e.data_out.mip_node_count >= PIECES_NODES:
                shared.deep.set()
            if shared.solo.is_set():
                e.interrupt()

        def given(e: HighsCallbackEvent) -> None:
            # Before each dive: the climb's better selection, if it has one, becomes plain HiGHS's
            # incumbent, and prunes its tree (measured: realistic n=200 seed 3 15.1 -> 13.1 s, seed 4
            # 10.1 -> 8.0 s, the others unchanged). HiGHS checks it against the rows before taking it.
            with shared.lock:
                chosen, value = shared.chosen, shared.value
            if e.data_in is not None and value > e.data_out.mip_primal_bound + _TOL * max(1.0, abs(value)):
                x = np.zeros(len(model.col_lower))
                x[chosen] = 1.0
                e.data_in.setSolution(x)

        h.cbMipImprovingSolution += improving
        h.cbMipInterrupt += nodes
        h.cbMipUserSolution += given
        # Not in its simplex iterations: there each call into Python waits for the GIL, which the
        # report's thread holds (0.27 s -> 0.33 s on the 5k program); the MIP's checks are enough.
        shared.watch(h, simplex=False)
        began()  # the last step before HiGHS runs

    try:
        return run(model, options, start, seconds, hooks=hooks)
    finally:
        if not shared.solo.is_set():
            shared.over.set()  # plain HiGHS ended on its own (a proof, or out of time): so does the race
        shared.near.set()  # the split need not wait any longer
        shared.hard.set()
        shared.deep.set()


def _side(
    model: Model, options: SolverOptions, start: Sequence[int] | None, shared: _Shared, began: Callable[[], None]
) -> Run | None:
    """The split's thread: the root's verdict (`root.rounded`), then the split. `began` as the root's
    LP starts."""
    root = None
    try:
        root = _relax(model, options, None, shared, watched=False, began=began)
        shared.proof = None if root is None else rounded(model, options, root, start, shared.left)
    finally:
        began()  # if the LP never started
        shared.rooted.set()
    if shared.proof is not None:
        return shared.proof
    return _split(model, options, shared, root)


def _split(model: Model, options: SolverOptions, shared: _Shared, root: Relaxation | None = None) -> Run | None:
    """The split side (see the module's docstring), from the root LP `root` (solved here if not
    given): an optimal run with its proven bound, or None (the program is easy, cardinality does
    not cut it down, or the race ended first)."""
    shared.near.wait(shared.left())
    if shared.over.is_set() or not shared.near.is_set():
        return None
    gap = float(options.mip_rel_gap)
    if root is None:
        root = _relax(model, options, None, shared)
    chosen, value = shared.best()
    if root is None or value == -_INF or shared.over.is_set():
        return None
    counts = _counts(model, options, root, value + gap * abs(value), shared)
    if counts is not None and len(counts[0]) > MOST_COUNTS:
        # Too many counts for the pieces (costs that vary widely, as in portfolios): exchanges
        # pay here (measured, realistic n = 500 at 20 %, 5 seeds: median 0.97x -> 0.42x of the
        # floor), and not on knapsacks, whose pieces they hold up (MKP 100/5/0.25: 0.37x -> 0.44x);
        # then the core at once, not after `FIRST_NODES` nodes (seed 1 0.58x -> 0.43x; exchanges
        # from each better selection of plain HiGHS's until then found none better).
        searched = _exchange(model, root, shared.best()[0], shared)
        if shared.over.is_set():
            return None
        _core(model, options, root, shared)
        chosen, value = shared.best()
        if value > searched and not shared.over.is_set():
            _exchange(model, root, chosen, shared)
        shared.hard.wait(shared.left())
        if shared.over.is_set() or not shared.hard.is_set():
            return None
        return _climb(model, options, root, shared)
    if counts is not None and not shared.deep.is_set():
        # Pieces fit: they start from plain HiGHS's selection after `PIECES_NODES` nodes.
        shared.deep.wait(shared.left())
        _, value = shared.best()
        if shared.over.is_set():
            return None
        counts = _counts(model, options, root, value + gap * abs(value), shared)
    if counts is None:
        return None
    if len(counts[0]) > MOST_COUNTS:
        _core(model, options, root, shared)
        return _climb(model, options, root, shared)
    pieces, set_aside = counts
    # Cardinality pays: plain HiGHS stands aside, and the pieces have both cores for at most
    # `PIECES_SHARE` of the time left; pieces too hard for that give plain HiGHS the rest.
    shared.pieces_end = time.monotonic() + PIECES_SHARE * shared.left()
    shared.solo.set()
    with ThreadPoolExecutor(2, thread_name_prefix="selection-piece") as pool:
        dives = list(pool.map(lambda p: _piece(model, options, p[0], p[1], -_INF, shared, DIVE_NODES), pieces[:2]))
        for dive, _ in dives:  # a better selection first
            shared.offer(dive)
        bound = set_aside
        for at in range(0, len(pieces), 2):  # two at a time, the target raised after each pair
            _, value = shared.best()
            target = value + gap * abs(value)
            pair = pieces[at : at + 2]
            # A count the raised target has passed: its LP value bounds it, nothing to solve there.
            bound = max([bound, *(lp.value for _, lp in pair if lp.value <= target)])
            still = [(k, lp) for k, lp in pair if lp.value > target]
            for found, piece_bound in pool.map(
                lambda p, t=target: _piece(model, options, p[0], p[1], t, shared), still
            ):
                if shared.over.is_set() or found.status not in ("optimal", "infeasible"):
                    return None  # out of time: plain HiGHS's answer stands
                shared.offer(found)
                bound = max(bound, piece_bound)
    chosen, value = shared.best()
    if bound > value + gap * abs(value) + _TOL * max(1.0, abs(value)):
        return None  # a piece proved only within its own gap: not enough for the whole
    return Run("optimal", chosen, max(bound, value))


def _exchange(model: Model, root: Relaxation, chosen: Sequence[int], shared: _Shared) -> float:
    """Better selections by exchanges from `chosen` (`swaps.exchanged`), each offered as it is
    found: plain HiGHS takes it before its next dive. The value of the last."""
    data = model.data
    free = model.col_upper > model.col_lower
    selected = np.zeros(len(free), dtype=bool)
    selected[list(chosen)] = True
    last = exchanged(
        matrix(model),
        model.row_lower,
        model.row_upper,
        data.objective,
        selected,
        lambda s: ranked(s, free, root.x, root.reduced),
        unit(model),
        lambda s: shared.offer(ones(s)),
        lambda: shared.over.is_set() or shared.left() <= 0,
    )
    return float(data.objective[last].sum())


def _core(model: Model, options: SolverOptions, root: Relaxation, shared: _Shared) -> None:
    """A better selection near the root LP, for both sides to start from (measured: see `CORE`).
    The program with only the LP's fractional candidates and, of its zeros and of its ones, the
    `CORE` with reduced costs nearest zero left free, and the best selection's own candidates never
    fixed against it (the rest fixed as the LP has them, so the core always holds the best selection
    and is never infeasible for want of it), and a row asking for more than the best selection,
    solved to a tenth of the gap; if it has none better, once more with twice as many free. Its
    selection is offered; a core proves nothing."""
    gap = float(options.mip_rel_gap)
    for size in (CORE, 2 * CORE):
        chosen, value = shared.best()
        col_lower, col_upper = _core_bounds(model, root, chosen, size)
        h = highs(options, shared.left())
        pass_model(h, model, model.data.objective, model.row_lower, model.row_upper, col_lower, col_upper)
        ask_more_than(h, model, value)
        h.setOptionValue("mip_rel_gap", gap / 10)
        # Each better selection is offered as the core finds it (measured, realistic n = 500 seeds 1
        # and 4: the core's best 3.7 s and 1.1 s before its end), for plain HiGHS to take.
        h.cbMipImprovingSolution += lambda e: shared.offer(ones(e.data_out.mip_solution))
        shared.watch(h, simplex=False)
        optimise(h)
        shared.offer(outcome(h))
        if shared.over.is_set() or shared.best()[1] > value:
            return


def _core_bounds(model: Model, root: Relaxation, chosen: Sequence[int], size: int) -> tuple[Floats, Floats]:
    """The core's column bounds: of the root LP's zeros and of its ones, all but the `size` with
    reduced costs nearest zero fixed as the LP has them, except where `chosen` has them otherwise."""
    x, reduced = root.x, root.reduced
    free = model.col_upper > model.col_lower
    zeros = np.flatnonzero(free & (x <= 1e-9))
    ones = np.flatnonzero(free & (x >= 1 - 1e-9))
    zeros, ones = zeros[np.argsort(-reduced[zeros], kind="stable")], ones[np.argsort(reduced[ones], kind="stable")]
    best = np.zeros(len(x), dtype=bool)
    best[list(chosen)] = True
    fixed_out, fixed_in = zeros[size:], ones[size:]
    col_lower, col_upper = model.col_lower.copy(), model.col_upper.copy()
    col_upper[fixed_out[~best[fixed_out]]] = 0.0
    col_lower[fixed_in[best[fixed_in]]] = 1.0
    return col_lower, col_upper


def _climb(model: Model, options: SolverOptions, root: Relaxation, shared: _Shared) -> Run | None:
    """The proof side where cardinality does not cut the program down: whether any selection beats
    the best so far by more than the gap (reduced-cost fixing from the root LP, and a row asking
    for more than the target), stopping at the first that does, which raises the target, or when
    plain HiGHS finds one (a smaller find of plain HiGHS's leaves the question as it was); until
    there is none (proven) or the race is over."""
    gap = float(options.mip_rel_gap)
    while not shared.over.is_set() and shared.left() > 0:
        chosen, value = shared.best()
        target = value + gap * abs(value)
        col_lower, col_upper, excluded = _fixed(model, root, target)
        h = highs(options, shared.left())
        pass_model(h, model, model.data.objective, model.row_lower, model.row_upper, col_lower, col_upper)
        ask_more_than(h, model, target)
        h.setOptionValue("mip_max_improving_sols", 1)
        shared.watch(h, beaten=target, simplex=False)
        optimise(h)
        found = outcome(h)
        if found.status == "infeasible":  # nothing beats the target
            chosen, value = shared.best()
            return Run("optimal", chosen, max(excluded, target, value))
        if found.bound is not None and worth(model, found.chosen) <= value:
            return None  # HiGHS's tolerances let the best selection pass the row: no proof from here
        shared.offer(found)
    return None


def _solver(
    model: Model,
    options: SolverOptions,
    col_lower: Floats,
    col_upper: Floats,
    shared: _Shared,
    count: int | None = None,
    watched: bool = True,
) -> highspy.Highs:
    h = highs(options, shared.pieces_left())
    pass_model(h, model, model.data.objective, model.row_lower, model.row_upper, col_lower, col_upper)
    if count is not None:
        n = len(col_lower)
        h.addRow(float(count), float(count), n, np.arange(n, dtype=np.int32), np.ones(n))
    if watched:
        shared.watch(h)
    return h


def _relax(
    model: Model,
    options: SolverOptions,
    count: int | None,
    shared: _Shared,
    watched: bool = True,
    began: Callable[[], None] | None = None,
) -> Relaxation | None:
    """The LP relaxation (with `count` candidates selected, if given); None if it is infeasible
    or was not solved in time. `watched`: stopped when the race is over (not the root's: see
    `root.rounded`); `began` (if given) as HiGHS starts."""
    h = _solver(model, options, model.col_lower, model.col_upper, shared, count, watched)
    n = len(model.col_lower)
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.zeros(n, dtype=np.uint8))
    if began is not None:
        began()
    optimise(h)
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    solution = h.getSolution()
    return Relaxation(
        float(h.getInfo().objective_function_value), np.asarray(solution.col_value), np.asarray(solution.col_dual)
    )


def _counts(
    model: Model, options: SolverOptions, root: Relaxation, target: float, shared: _Shared
) -> tuple[list[tuple[int, Relaxation]], float] | None:
    """The counts whose LP value exceeds `target`, best LP first (more than `MOST_COUNTS`: the
    walk stops there), and the largest LP value of the counts set aside (a bound on every
    selection of those counts); None when out of time."""
    n = len(root.x)
    # The walks start either side of the LP's own count, where its value peaks: up from the count
    # rounded up, down from below that (from a count rounded to nearest, one walk could start on
    # the far side of the peak and stop at once, setting aside counts worth more than the target).
    middle = int(np.clip(math.ceil(float(root.x.sum()) - 1e-6), 0, n))
    pieces: list[tuple[int, Relaxation]] = []
    set_aside = -_INF
    for step in (1, -1):
        k = middle if step == 1 else middle - 1
        while 0 <= k <= n and len(pieces) <= MOST_COUNTS:
            if shared.over.is_set() or shared.left() <= 0:
                return None
            relaxation = _relax(model, options, k, shared)
            if relaxation is None:  # infeasible at k, and so at every count beyond (the LP is concave in k)
                break
            if relaxation.value <= target:  # and every count beyond is worth less still
                set_aside = max(set_aside, relaxation.value)
                break
            pieces.append((k, relaxation))
            k += step
    pieces.sort(key=lambda p: (-p[1].value, p[0]))
    return pieces, set_aside


def _fixed(model: Model, relaxation: Relaxation, target: float) -> tuple[Floats, Floats, float]:
    """Reduced-cost fixing against `target`: the column bounds, and the bound on the selections
    the fixing excludes (the LP value less the reduced cost of the flipped candidate)."""
    x, reduced, value = relaxation.x, relaxation.reduced, relaxation.value
    margin = _TOL * max(1.0, abs(value))
    free = model.col_upper > model.col_lower
    at_zero = free & (x <= 1e-9) & (value + reduced + margin <= target)
    at_one = free & (x >= 1 - 1e-9) & (value - reduced + margin <= target)
    col_lower, col_upper = model.col_lower.copy(), model.col_upper.copy()
    col_upper[at_zero] = 0.0
    col_lower[at_one] = 1.0
    excluded = np.concatenate([value + reduced[at_zero], value - reduced[at_one]]) + margin
    return col_lower, col_upper, float(excluded.max()) if len(excluded) else -_INF


def _piece(
    model: Model,
    options: SolverOptions,
    k: int,
    relaxation: Relaxation,
    target: float,
    shared: _Shared,
    max_nodes: int | None = None,
) -> tuple[Run, float]:
    """The program with exactly `k` candidates selected: its outcome and its bound. With
    `max_nodes`, a dive for a start: at most that many nodes, and any selection will do."""
    col_lower, col_upper, excluded = _fixed(model, relaxation, target)
    h = _solver(model, options, col_lower, col_upper, shared, k)
    if max_nodes is not None:
        h.setOptionValue("mip_max_nodes", max_nodes)
    cut = -_INF
    if max_nodes is None:  # only a selection worth more than the target matters (the best is kept aside)
        ask_more_than(h, model, target)
        cut = target
    optimise(h)
    found = outcome(h)
    if found.status == "infeasible":  # nothing with k candidates beats the target
        return found, max(excluded, cut)
    if found.status == "no-solution" or found.bound is None:  # out of time: the LP value bounds it
        return found, relaxation.value
    return found, max(found.bound, excluded, cut)
