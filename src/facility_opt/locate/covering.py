"""Covering models: maximal covering (MCLP; Church & ReVelle 1974) and set covering (LSCP; Toregas
et al. 1971).

Both are built over the pairs within the radius only (``cost <= radius``): a demand point's
coverage row lists just the sites that reach it, so the model size is the number of covering pairs,
not ``n x m``. Demand points no site can reach are reported before any solve (LSCP: error naming
them; MCLP: they simply stay uncovered and are counted).
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pulp

from ..errors import InfeasibleError
from ..milp import Milp, values
from ..solver import SolveInfo, SolverOptions, combine_infos, require_solution
from ._build import Pairs, add_row, add_rows, make_options, set_objective
from ._checks import check_coverable, check_p
from ._problem import ArrayLike, LocationProblem, as_problem
from ._result import LocationResult, nearest_assignment

__all__ = ["MCLP", "LSCP", "mclp", "lscp"]

log = logging.getLogger(__name__)


def _coverage_metrics(problem: LocationProblem, cols: np.ndarray, radius: float) -> dict[str, Any]:
    rows = np.arange(problem.n_demand)
    ok = cols >= 0
    dist = np.full(problem.n_demand, np.inf)
    dist[ok] = problem.cost[rows[ok], cols[ok]]
    cov = dist <= radius
    total = float(problem.demand.sum())
    return {
        "covered_demand": float(problem.demand[cov].sum()),
        "coverage_share": float(problem.demand[cov].sum()) / total if total > 0 else float("nan"),
        "n_covered": int(cov.sum()),
        "n_uncovered": int((~cov).sum()),
        "percent_covered_points": 100.0 * float(cov.sum()) / problem.n_demand,
    }


def _cover_rows(
    mdl: Milp, y: np.ndarray, pairs: Pairs, n: int, name: str, extra: np.ndarray | None = None, sense: str = ">="
) -> None:
    """One row per demand point: ``sum_{j covers i} y_j (- z_i) >= rhs`` (without ``z``, points no
    site covers get no row)."""
    yc = y[pairs.cols]
    if extra is None:
        add_rows(mdl, name, pairs.rows, yc, sense, 1.0, n, empty="drop")
    else:
        add_rows(mdl, name, pairs.rows, yc, sense, 0.0, n, extra=(np.arange(n), extra, -1.0))


@dataclass(frozen=True)
class MCLP:
    """Maximal covering: open ``p`` sites to cover the most demand within ``radius``.

    Parameters
    ----------
    radius : a demand point is covered by a site at cost ``<= radius``.
    p : number of sites to open (required included).
    required : site ids that must be open.
    """

    radius: float
    p: int
    required: Sequence[Hashable] | None = None
    options: SolverOptions = field(default_factory=SolverOptions)

    name = "MCLP"

    def solve(self, problem: LocationProblem) -> LocationResult:
        req = problem.site_index(self.required)
        check_p(problem, self.p, req, self.name)
        within = problem.cost <= self.radius
        n, m = within.shape
        coverable = within.any(axis=1)
        pairs = Pairs.from_mask(within)
        mdl = Milp(f"mclp_{problem.name}", sense=pulp.LpMaximize)
        y = mdl.block("y", m, cat="Binary")
        for j in req:
            y[j].lowBound = 1
        rows = np.flatnonzero(coverable)
        # z_i continuous in [0, 1] is exact: with integral y the optimum sets z_i = min(1, coverage)
        z = mdl.block("z", len(rows), low=0.0, up=1.0, labels=rows.tolist())
        set_objective(mdl, z, problem.demand[rows])
        sub = Pairs(np.searchsorted(rows, pairs.rows), pairs.cols)
        _cover_rows(mdl, y, sub, len(rows), "cover", extra=z)
        add_row(mdl, "p_sites", y, 1.0, "==", self.p)
        info = mdl.solve(self.options)
        require_solution(info, self.name)
        sites = np.flatnonzero(values(y) > 0.5)
        r, cols = nearest_assignment(problem, sites)
        metrics = _coverage_metrics(problem, cols, self.radius)
        info = combine_infos(
            [info], extra={"method": "within-radius pairs", "pairs": len(pairs), "uncoverable": int((~coverable).sum())}
        )
        return LocationResult(
            self.name,
            problem,
            sites,
            r,
            cols,
            np.ones(n),
            metrics["covered_demand"],
            info,
            radius=float(self.radius),
            metrics=MappingProxyType(metrics),
        )


@dataclass(frozen=True)
class LSCP:
    """Set covering: the fewest sites such that every demand point is within ``radius`` of one.

    Raises :class:`InfeasibleError` naming the demand points no candidate site covers.
    """

    radius: float
    required: Sequence[Hashable] | None = None
    options: SolverOptions = field(default_factory=SolverOptions)

    name = "LSCP"

    def solve(self, problem: LocationProblem) -> LocationResult:
        req = problem.site_index(self.required)
        within = check_coverable(problem, self.radius, self.name)
        sites, info = solve_cover(problem, within, req, self.options, self.name)
        assert sites is not None  # without max_sites an infeasible cover raises
        r, cols = nearest_assignment(problem, sites)
        metrics = _coverage_metrics(problem, cols, self.radius)
        metrics["n_sites"] = int(len(sites))
        return LocationResult(
            self.name,
            problem,
            sites,
            r,
            cols,
            np.ones(problem.n_demand),
            float(len(sites)),
            info,
            radius=float(self.radius),
            metrics=MappingProxyType(metrics),
        )


def solve_cover(
    problem: LocationProblem,
    within: np.ndarray,
    req: np.ndarray,
    options: SolverOptions,
    what: str,
    max_sites: int | None = None,
) -> tuple[np.ndarray | None, SolveInfo]:
    """Fewest sites covering every demand point (``within`` mask); shared by LSCP and p-center."""
    n, m = within.shape
    pairs = Pairs.from_mask(within)
    mdl = Milp(f"lscp_{problem.name}")
    y = mdl.block("y", m, cat="Binary")
    for j in req:
        y[j].lowBound = 1
    set_objective(mdl, y, np.ones(m))
    _cover_rows(mdl, y, pairs, n, "cover")
    if max_sites is not None:
        add_row(mdl, "max_sites", y, 1.0, "<=", max_sites)
    info = mdl.solve(options)
    if info.status == "infeasible":
        if max_sites is not None:
            return None, info
        raise InfeasibleError(f"{what}: the covering constraints cannot all be met", ["constraint 'cover'"])
    require_solution(info, what)
    sites = np.flatnonzero(values(y) > 0.5)
    return sites, combine_infos([info], extra={"method": "within-radius pairs", "pairs": len(pairs)})


def mclp(
    cost: ArrayLike,
    radius: float,
    p: int,
    *,
    demand: ArrayLike = None,
    required: Sequence[Hashable] | None = None,
    options: SolverOptions | None = None,
    **solver_kw: Any,
) -> LocationResult:
    """Maximal covering location (function form of :class:`MCLP`); objective = covered demand.

    Examples
    --------
    >>> res = mclp([[1, 9], [2, 8], [9, 1]], radius=3, p=1, demand=[1, 1, 5])
    >>> res.sites, res.objective
    ((1,), 5.0)
    """
    prob = as_problem(cost, demand)
    return MCLP(radius, p, required, make_options(options, **solver_kw)).solve(prob)


def lscp(
    cost: ArrayLike,
    radius: float,
    *,
    required: Sequence[Hashable] | None = None,
    options: SolverOptions | None = None,
    **solver_kw: Any,
) -> LocationResult:
    """Location set covering (function form of :class:`LSCP`); objective = number of sites.

    Examples
    --------
    >>> lscp([[1, 9], [2, 8], [9, 1]], radius=3).sites
    (0, 1)
    """
    prob = as_problem(cost)
    return LSCP(radius, required, make_options(options, **solver_kw)).solve(prob)
