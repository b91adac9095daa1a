"""Portfolio selection: which candidates to fund, as an integer program solved with HiGHS.

    maximise    sum_i v_i x_i                                x_i in {0, 1}
    subject to  sum_i c_ip x_i <= budget_p                   every budgeted period p
                min_b B <= sum_(i in b) c_i x_i <= max_b B   every bucket b with a bound (or, with
                                                             shares of spend, B = sum_i c_i x_i)
                sum_i f_irp x_i <= capacity_rp               every role r and period p with a limit
                x_b <= x_a                                   b depends on a
                x_a + x_b <= 1                               a and b exclude each other
                x_i = 1 / x_i = 0                            forced in / forced out

v is the policy's value measure (score, ECV or NPV), c_ip a candidate's cost in period p, c_i its
cost over the budgeted periods and B the total budget. The model is built once from numpy arrays
and passed to HiGHS whole; values stay Decimal everywhere else (the reported objective is the
Decimal sum of the selected values, the solver only sees floats). Solver options are fixed and
recorded, so a replay can check the objective within the recorded gap.

Modules: `problem` (the index form, bucket bounds in money, the named constraints), `model` (the
program at one budget, handed to HiGHS), `runs` (the HiGHS driver: a run, the time budget, the
conflicts of an infeasible program), `frontier` (the levels and the next slice, each with its status
and reason), `solver` (the whole result within one time budget; replay's check), `report`
(left-out reasons, the greedy comparison, notes, spend), `chance` (the optional chance constraint on
spend per period, a sample-average approximation over drawn scenarios).
"""

from __future__ import annotations

from governance.selection.problem import problem_from_snapshot
from governance.selection.report import GreedyChoice, greedy
from governance.selection.solver import replay_agrees, solve, solver_options

__all__ = ["GreedyChoice", "greedy", "problem_from_snapshot", "replay_agrees", "solve", "solver_options"]
