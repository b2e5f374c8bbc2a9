"""facility_opt.solver: PuLP's statuses mapped to optimal / feasible / infeasible / unbounded /
no_solution on tiny problems, with HiGHS and with CBC; require_solution and combine_infos."""

from __future__ import annotations

import numpy as np
import pulp
import pytest

from facility_opt.errors import InfeasibleError, SolverError
from facility_opt.solver import SolveInfo, SolverOptions, combine_infos, map_status, require_solution, solve

SOLVERS = ["highs", "cbc"]


def _two_vars(kind: str, cat: str) -> pulp.LpProblem:
    """max x + 2y over x, y >= 0 with the rows of ``kind``."""
    p = pulp.LpProblem(f"tiny_{kind}", pulp.LpMaximize)
    d = p.add_variable_dicts("v", [0, 1], lowBound=0, upBound=None, cat=cat)
    x, y = d[0], d[1]
    p.setObjective(pulp.lpSum_vars_coefs([(x, 1.0), (y, 2.0)]))
    if kind == "bounded":  # x + y <= 3.5, y <= 1.5
        p.addConstraint(pulp.lpSum_vars_coefs([(x, 1.0), (y, 1.0)]) <= 3.5)
        p.addConstraint(pulp.lpSum_vars_coefs([(y, 1.0)]) <= 1.5)
    elif kind == "infeasible":  # x >= 2 and x <= 1
        p.addConstraint(pulp.lpSum_vars_coefs([(x, 1.0)]) >= 2)
        p.addConstraint(pulp.lpSum_vars_coefs([(x, 1.0)]) <= 1)
    elif kind == "unbounded":  # y <= 1, x free upwards
        p.addConstraint(pulp.lpSum_vars_coefs([(y, 1.0)]) <= 1)
    return p


def _knapsack(n: int = 60, seed: int = 1) -> pulp.LpProblem:
    """A 0-1 knapsack (values close to weights): the solvers need a search to prove the optimum, 1681."""
    rng = np.random.default_rng(seed)
    w = rng.integers(10, 100, n)
    v = w + rng.integers(-5, 5, n)
    p = pulp.LpProblem("knapsack", pulp.LpMaximize)
    d = p.add_variable_dicts("x", list(range(n)), lowBound=0, upBound=1, cat="Integer")
    x = [d[i] for i in range(n)]
    p.setObjective(pulp.lpSum_vars_coefs(zip(x, v.astype(float).tolist(), strict=True)))
    p.addConstraint(pulp.lpSum_vars_coefs(zip(x, w.astype(float).tolist(), strict=True)) <= float(w.sum() // 2))
    return p


@pytest.mark.parametrize("solver", SOLVERS)
def test_optimal_lp_and_mip(solver):
    # LP: y = 1.5 (its bound), x = 3.5 - 1.5 = 2: 2 + 2 * 1.5 = 5
    lp = solve(_two_vars("bounded", "Continuous"), SolverOptions(solver=solver))
    assert (lp.status, lp.objective, lp.bound, lp.gap, lp.solver) == ("optimal", 5.0, 5.0, 0.0, solver)
    # integers: y <= 1, x + y <= 3: y = 1, x = 2: 4 (y = 0, x = 3 gives 3)
    mip = solve(_two_vars("bounded", "Integer"), SolverOptions(solver=solver))
    assert (mip.status, mip.objective, mip.gap) == ("optimal", 4.0, 0.0) and mip.has_solution


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("cat", ["Continuous", "Integer"])
def test_infeasible(solver, cat):
    info = solve(_two_vars("infeasible", cat), SolverOptions(solver=solver))
    assert info.status == "infeasible" and info.objective is None and not info.has_solution


@pytest.mark.parametrize("solver", SOLVERS)
def test_unbounded_lp(solver):
    info = solve(_two_vars("unbounded", "Continuous"), SolverOptions(solver=solver))
    assert info.status == "unbounded" and info.objective is None


def test_unbounded_mip_is_unbounded_for_cbc_and_no_solution_for_highs():
    # HiGHS's MIP presolve says "infeasible or unbounded", which PuLP reports as Undefined
    assert solve(_two_vars("unbounded", "Integer"), SolverOptions(solver="cbc")).status == "unbounded"
    assert solve(_two_vars("unbounded", "Integer"), SolverOptions(solver="highs")).status == "no_solution"


@pytest.mark.parametrize("solver", SOLVERS)
def test_time_limit_without_incumbent_is_no_solution(solver):
    info = solve(_knapsack(), SolverOptions(solver=solver, time_limit=0.0))
    assert info.status == "no_solution" and info.objective is None
    with pytest.raises(SolverError, match=r"knapsack: the solver stopped with status no_solution"):
        require_solution(info, "knapsack")


def test_knapsack_optimum_with_both_solvers():
    for solver in SOLVERS:
        assert solve(_knapsack(), SolverOptions(solver=solver)).objective == 1681.0


def test_stopped_with_an_incumbent_is_feasible():
    # HiGHS stopped at its first improving solution (presolve and heuristics off): 1676 < 1681
    highs = solve(
        _knapsack(),
        SolverOptions(highs_options={"mip_max_improving_sols": 1, "presolve": "off", "mip_heuristic_effort": 0.0}),
    )
    assert highs.status == "feasible" and highs.objective == 1676.0
    # CBC's GapLimit with a gap asked for is "feasible" (without one it is CBC's "optimal within tolerance")
    cbc = solve(_knapsack(), SolverOptions(solver="cbc", gap_rel=0.5))
    assert cbc.status == "feasible" and cbc.objective is not None and cbc.objective <= 1681.0


@pytest.mark.parametrize(
    ("code", "has", "gap", "expected"),
    [
        (pulp.LpSolveStatus.Optimal, True, None, "optimal"),
        (pulp.LpSolveStatus.Optimal, False, None, "no_solution"),
        (pulp.LpSolveStatus.GapLimit, True, None, "optimal"),
        (pulp.LpSolveStatus.GapLimit, True, 0.01, "feasible"),
        (pulp.LpSolveStatus.Infeasible, False, None, "infeasible"),
        (pulp.LpSolveStatus.Unbounded, False, None, "unbounded"),
        (pulp.LpSolveStatus.TimeLimit, True, None, "feasible"),
        (pulp.LpSolveStatus.TimeLimit, False, None, "no_solution"),
        (pulp.LpSolveStatus.NotSolved, False, None, "no_solution"),
    ],
)
def test_map_status_table(code, has, gap, expected):
    assert map_status(code, has, SolverOptions(gap_rel=gap)) == expected


def _info(status="optimal", objective=10.0, bound=9.0, gap=0.1, nodes=3, build=1.0, solve_s=2.0) -> SolveInfo:
    return SolveInfo(
        status=status,
        objective=objective,
        bound=bound,
        gap=gap,
        build_seconds=build,
        solve_seconds=solve_s,
        solver="highs",
        nodes=nodes,
        raw_status=status.capitalize(),
    )


def test_require_solution():
    require_solution(_info(), "x")  # a solution: nothing raised
    require_solution(_info("infeasible", None, None, None), "x")  # infeasible passes: the caller names the cause
    with pytest.raises(InfeasibleError, match="years short"):
        require_solution(_info("infeasible", None, None, None), "x", infeasible=lambda: InfeasibleError("years short"))
    require_solution(_info(), "x", infeasible=lambda: InfeasibleError("never built"))
    with pytest.raises(SolverError, match=r"^schedule: the solver stopped with status no_solution \(No_solution\)"):
        require_solution(_info("no_solution", None, None, None), "schedule")


def test_combine_infos():
    a, b = _info(objective=12.0, bound=10.0, gap=0.5, nodes=4), _info(objective=10.0, bound=9.0, gap=0.07, nodes=6)
    both = combine_infos([a, b], extra={"method": "two steps"})
    # last solve's figures, times and nodes summed, gap of (10, 9): 0.1
    assert (both.status, both.objective, both.bound, both.nodes) == ("optimal", 10.0, 9.0, 10)
    assert both.gap == pytest.approx(0.1) and both.build_seconds == 2.0 and both.solve_seconds == 4.0
    assert both.extra == {"method": "two steps"}
    # a lexicographic second step keeps its solver's own gap and nodes
    lex = combine_infos([a, b], gap=b.gap, nodes=b.nodes)
    assert (lex.gap, lex.nodes) == (0.07, 6)
    # no solve at all (a bound proved the incumbent): optimal, bound = objective
    none = combine_infos([], status="optimal", objective=7.0, extra_solve=0.5, solver="lagrangian")
    assert (none.bound, none.gap, none.solve_seconds, none.nodes, none.solver) == (7.0, 0.0, 0.5, 0, "lagrangian")
