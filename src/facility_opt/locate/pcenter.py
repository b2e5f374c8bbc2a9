"""p-center: open ``p`` sites so that the farthest demand point is as close as possible.

Method: the optimal radius is one of the distinct cost values, so the model is solved as a
sequence of set-covering feasibility questions ("can at most p sites cover everyone within r?")
by bisection over the sorted distinct costs, between the lower bound ``max_i min_j c_ij`` and the
radius of a vertex-substitution p-median solution. Each question is a small within-radius covering
MIP; this avoids the classic min-max formulation, whose LP bound is nearly useless (Elloumi 2010
uses the same levels in a single radius model). Demand weights do not matter for p-center.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from ..solver import SolveInfo, SolverOptions
from ._build import combine_infos, make_options
from ._checks import check_p, check_reachable
from ._problem import LocationProblem, as_problem
from ._result import LocationResult, nearest_assignment
from .covering import solve_cover
from .heuristics import greedy_p_median, vertex_substitution

__all__ = ["PCenter", "p_center"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PCenter:
    """p-center model (parameters only); see the module docstring for the method."""

    p: int
    required: Sequence[Hashable] | None = None
    options: SolverOptions = field(default_factory=SolverOptions)

    name = "p-center"

    def solve(self, problem: LocationProblem) -> LocationResult:
        t0 = time.perf_counter()
        req = problem.site_index(self.required)
        check_p(problem, self.p, req, self.name)
        check_reachable(problem, self.name)
        c = problem.cost
        lo_val = float(np.min(c, axis=1).max())
        if len(req):
            lo_val = max(lo_val, 0.0)
        heur = vertex_substitution(c, greedy_p_median(c, self.p, req), req)
        hi_val = float(c[:, heur].min(axis=1).max())
        levels = np.unique(c[np.isfinite(c)])
        levels = levels[(levels >= lo_val) & (levels <= hi_val)]
        best_sites = heur
        infos: list[SolveInfo] = []
        lo, hi = 0, len(levels) - 1  # levels[hi] is feasible (the heuristic's radius)
        t_pre = time.perf_counter() - t0
        while lo < hi:
            mid = (lo + hi) // 2
            r = float(levels[mid])
            within = c <= r
            if not within.any(axis=1).all():
                lo = mid + 1
                continue
            sites, info = solve_cover(problem, within, req, self.options, self.name, max_sites=self.p)
            infos.append(info)
            if sites is not None and info.status == "optimal":
                best_sites, hi = sites, mid
            else:
                lo = mid + 1
        # pad to exactly p sites, greedily by total distance (does not change the radius)
        sites = greedy_p_median(c, self.p, best_sites) if len(best_sites) < self.p else best_sites
        rows, cols = nearest_assignment(problem, np.sort(sites))
        radius = float(c[rows, cols].max())
        info = combine_infos(infos, status="optimal", objective=radius, bound=radius, extra_solve=t_pre,
                             solver=infos[-1].solver if infos else "heuristic",
                             extra={"method": "bisection over distance levels", "covering_solves": len(infos)})
        total = float(problem.demand.sum())
        metrics = {"max_distance": radius,
                   "mean_distance": float(problem.weighted_cost[rows, cols].sum()) / total if total else float("nan")}
        return LocationResult(self.name, problem, np.sort(sites), rows, cols, np.ones(len(rows)), radius, info,
                              metrics=MappingProxyType(metrics))


def p_center(cost, p: int, *, required=None, options: SolverOptions | None = None, **solver_kw) -> LocationResult:
    """Solve a p-center problem (function form of :class:`PCenter`); objective = the largest distance.

    Examples
    --------
    >>> res = p_center([[0, 3, 8], [2, 0, 5], [8, 5, 0], [9, 6, 1]], p=2)
    >>> res.sites, res.objective
    ((0, 2), 2.0)
    """
    prob = as_problem(cost)
    return PCenter(p, required, make_options(options, **solver_kw)).solve(prob)
