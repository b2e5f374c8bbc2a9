"""p-center: open ``p`` sites so that the farthest demand point is as close as possible.

Method (exact): the optimal radius is one of the distinct cost values, so the model is solved as a
sequence of covering questions ("can ``p`` sites cover every demand point within ``r``?") by
bisection over the sorted distinct costs, between the lower bound ``max_i min_j c_ij`` and the
radius of a vertex-substitution solution. Each question is answered on a *subset* of the demand
points (the relaxation by clients of Contardo, Iori & Kramer 2019, and the representative clients
of Alès, Durán-Mateluna & Elloumi 2024): a small within-radius covering MIP with ``sum y <= p``
over the subset; if it is infeasible, so is the whole question; if its sites leave demand points
uncovered, the farthest of them join the subset and the MIP is solved again. The subset is kept
from one radius to the next, so it stays a few dozen demand points where the full covering MIP
has hundreds of rows that HiGHS struggles to prove infeasible just below the optimum. The classic
min-max formulation is avoided: its LP bound is nearly useless (Elloumi 2010 uses the same levels
in a single radius model). Demand weights do not matter for p-center.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from ..solver import SolveInfo, SolverOptions, combine_infos
from ._build import make_options
from ._checks import check_p, check_reachable
from ._problem import ArrayLike, LocationProblem, as_problem
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

    def _cover(
        self, problem: LocationProblem, within: np.ndarray, req: np.ndarray, subset: np.ndarray, infos: list[SolveInfo]
    ) -> np.ndarray | None:
        """At most ``p`` sites covering every demand point within the radius (``within``), or None.

        Solves the covering MIP on ``subset`` (grown in place with the farthest uncovered points)
        until its sites cover everyone; infeasible on a subset means infeasible for all.
        """
        # a feasibility question: any cover with at most p sites will do, so stop at the first one
        # (proving the least number of sites took 6-9 s per question on pmed40)
        opts = dataclasses.replace(self.options, gap_rel=1.0)
        while True:
            rows = np.flatnonzero(subset)
            if not within[rows].any(axis=1).all():
                return None
            sites, info = solve_cover(problem, within[rows], req, opts, self.name, max_sites=self.p)
            infos.append(info)
            if sites is None:
                return None
            # spend the sites left (up to p) greedily on the demand points still uncovered
            covered = within[:, sites].any(axis=1)
            picked = list(sites)
            while len(picked) < self.p and not covered.all():
                gain = within[~covered].sum(axis=0)
                j = int(np.argmax(gain))  # ties: lowest index
                if gain[j] == 0:
                    break
                picked.append(j)
                covered |= within[:, j]
            sites = np.sort(np.asarray(picked, dtype=int))
            uncovered = np.flatnonzero(~covered)
            if len(uncovered) == 0:
                return sites
            far = problem.cost[np.ix_(uncovered, sites)].min(axis=1)
            add = uncovered[np.lexsort((uncovered, -far))[: max(5, min(len(uncovered), 2 * self.p))]]
            subset[add] = True

    def solve(self, problem: LocationProblem) -> LocationResult:
        t0 = time.perf_counter()
        req = problem.site_index(self.required)
        check_p(problem, self.p, req, self.name)
        check_reachable(problem, self.name)
        c = problem.cost
        n = problem.n_demand
        lo_val = float(np.min(c, axis=1).max())
        heur = vertex_substitution(c, greedy_p_median(c, self.p, req), req)
        dist = c[:, heur].min(axis=1)
        hi_val = float(dist.max())
        levels = np.unique(c[np.isfinite(c)])
        levels = levels[(levels >= lo_val) & (levels <= hi_val)]
        best_sites = heur
        infos: list[SolveInfo] = []
        # the demand points farthest from the heuristic's sites start the subset (ties: lowest index)
        subset = np.zeros(n, dtype=bool)
        subset[np.lexsort((np.arange(n), -dist))[: min(n, 2 * self.p + 10)]] = True
        lo, hi = 0, len(levels) - 1  # levels[hi] is feasible (the heuristic's radius)
        t_pre = time.perf_counter() - t0
        while lo < hi:
            mid = (lo + hi) // 2
            within = c <= float(levels[mid])
            sites = self._cover(problem, within, req, subset, infos)
            if sites is None:
                lo = mid + 1
            else:
                best_sites = sites
                hi = int(np.searchsorted(levels, c[:, sites].min(axis=1).max()))  # its own radius: <= mid
        # pad to exactly p sites, greedily by total distance (does not change the radius)
        sites = greedy_p_median(c, self.p, best_sites) if len(best_sites) < self.p else best_sites
        rows, cols = nearest_assignment(problem, np.sort(sites))
        radius = float(c[rows, cols].max())
        info = combine_infos(
            infos,
            status="optimal",
            objective=radius,
            bound=radius,
            extra_solve=t_pre,
            solver=infos[-1].solver if infos else "heuristic",
            extra={
                "method": "bisection over distance levels, covering on a growing subset of demand points",
                "covering_solves": len(infos),
                "subset_size": int(subset.sum()),
            },
        )
        total = float(problem.demand.sum())
        metrics = {
            "max_distance": radius,
            "mean_distance": float(problem.weighted_cost[rows, cols].sum()) / total if total else float("nan"),
        }
        return LocationResult(
            self.name,
            problem,
            np.sort(sites),
            rows,
            cols,
            np.ones(len(rows)),
            radius,
            info,
            metrics=MappingProxyType(metrics),
        )


def p_center(
    cost: ArrayLike,
    p: int,
    *,
    required: Sequence[Hashable] | None = None,
    options: SolverOptions | None = None,
    **solver_kw: Any,
) -> LocationResult:
    """Solve a p-center problem (function form of :class:`PCenter`); objective = the largest distance.

    Examples
    --------
    >>> res = p_center([[0, 3, 8], [2, 0, 5], [8, 5, 0], [9, 6, 1]], p=2)
    >>> res.sites, res.objective
    ((0, 2), 2.0)
    """
    prob = as_problem(cost)
    return PCenter(p, required, make_options(options, **solver_kw)).solve(prob)
