"""Facility location with opening costs: uncapacitated (UFL) and capacitated (CFL), plus the
capacitated p-median (CFL with exactly ``p`` sites and no opening costs).

Formulation (the strong one; Cornuéjols, Nemhauser & Wolsey 1990)::

    min  sum_j f_j y_j + sum_ij c_ij x_ij
    s.t. sum_j x_ij = 1                      every demand point fully served
         x_ij <= y_j                         strong linking (the aggregated form is far weaker)
         sum_i d_i x_ij <= s_j y_j           capacity (CFL)
         sum_j s_j y_j >= sum_i d_i          aggregate capacity cut (CFL)
         sum_j y_j = p                       (capacitated p-median)

``x`` is continuous for splittable demand and binary for single-source assignment. ``c_ij`` is
the cost of serving *all* of demand point ``i`` from ``j`` (weight x distance, or the OR-Library
per-customer cost). When there are more usable pairs than ``max_dense_pairs`` the model keeps each
demand point's ``k`` cheapest sites plus a "far" slack priced at the next cost (a relaxation), and
doubles ``k`` for the points that use it until none does: exact, never dense.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from ..errors import InfeasibleError
from ..milp import Milp, values
from ..solver import SolveInfo, SolverOptions, combine_infos
from ._build import Category, Pairs, add_links, add_row, add_rows, make_options, pair_labels, set_objective
from ._checks import check_capacity, check_p, check_reachable
from ._problem import ArrayLike, LocationProblem, as_problem
from ._result import LocationResult, nearest_assignment

__all__ = ["FacilityLocation", "ufl", "cfl", "capacitated_p_median"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FacilityLocation:
    """UFL / CFL / capacitated p-median model (parameters only; :meth:`solve` does the work).

    Parameters
    ----------
    capacitated : respect the problem's site capacities.
    single_source : each demand point served by exactly one site (binary assignment).
    p : open exactly ``p`` sites (None: as many as pay off against the fixed costs).
    required : site ids that must be open.
    fill_required : required sites are filled exactly to capacity (spopt's ``fulfill_predefined_fac``).
    use_fixed_cost : include the problem's fixed opening costs in the objective.
    max_dense_pairs : above this many usable pairs, use the exact k-nearest + far-slack model.
    """

    capacitated: bool = False
    single_source: bool = False
    p: int | None = None
    required: Sequence[Hashable] | None = None
    fill_required: bool = False
    use_fixed_cost: bool = True
    max_dense_pairs: int = 30_000
    options: SolverOptions = field(default_factory=SolverOptions)

    @property
    def name(self) -> str:
        if self.p is not None:
            return "capacitated p-median" if self.capacitated else "p-median (FL)"
        return ("CFL" + (" single-source" if self.single_source else "")) if self.capacitated else "UFL"

    def solve(self, problem: LocationProblem) -> LocationResult:
        req = problem.site_index(self.required)
        if self.p is not None:
            check_p(problem, self.p, req, self.name)
        check_reachable(problem, self.name)
        if self.capacitated:
            check_capacity(problem, self.name, self.p, self.single_source)
            if self.fill_required and len(req):
                assert problem.capacity is not None  # check_capacity refuses a problem without
                fill = float(problem.capacity[req].sum())
                if fill > problem.demand.sum() + 1e-9:
                    raise InfeasibleError(
                        f"{self.name}: the required sites must be filled to capacity ({fill:g}) but total "
                        f"demand is only {problem.demand.sum():g}",
                        ["constraint 'fill required sites': drop fill_required or some required sites"],
                    )
        if self.use_fixed_cost and problem.fixed_cost is None and self.p is None:
            raise ValueError(f"{self.name}: the problem has no fixed costs; pass fixed_cost=... or set p")
        c = problem.weighted_cost
        n, m = c.shape
        fin = np.isfinite(c)
        if fin.sum() <= self.max_dense_pairs:
            sites, x, info = self._mip(problem, Pairs.from_mask(fin), req, None)
            info = combine_infos([info], extra={"method": "dense", "variables": int(fin.sum() + m)})
        else:
            sites, x, info = self._sparse(problem, req)
        return self._result(problem, sites, x, info)

    # ------------------------------------------------------------------
    def _sparse(self, problem: LocationProblem, req: np.ndarray) -> tuple[np.ndarray, Any, SolveInfo]:
        c = problem.weighted_cost
        n, m = c.shape
        order = np.argsort(c, axis=1, kind="stable")
        n_fin = np.isfinite(c).sum(axis=1)
        k = np.minimum(max(4, self.max_dense_pairs // max(n, 1) // 2), n_fin)
        k = np.full(n, k) if np.ndim(k) == 0 else k
        infos: list[SolveInfo] = []
        rank = np.empty_like(order)
        rank[np.arange(n)[:, None], order] = np.arange(m)[None, :]
        while True:
            keep = rank < k[:, None]
            nxt = order[np.arange(n), np.minimum(k, m - 1)]
            far_cost = np.where(k < n_fin, c[np.arange(n), nxt], np.nan)
            sites, x, info = self._mip(problem, Pairs.from_mask(keep), req, far_cost)
            infos.append(info)
            far = x[1] if x is not None else None
            if far is None or not far.any():
                break
            k[far] = np.minimum(2 * k[far], n_fin[far])
        x = None if x is None else x[0]
        return (
            sites,
            x,
            combine_infos(infos, extra={"method": "k-nearest+far", "rounds": len(infos), "k_max": int(k.max())}),
        )

    def _mip(
        self, problem: LocationProblem, pairs: Pairs, req: np.ndarray, far_cost: np.ndarray | None
    ) -> tuple[np.ndarray, Any, SolveInfo]:
        c = problem.weighted_cost
        n, m = c.shape
        d = problem.demand
        mdl = Milp(f"fl_{problem.name}")
        y = mdl.block("y", m, cat="Binary")
        for j in req:
            y[j].lowBound = 1
        cat: Category = "Binary" if self.single_source else "Continuous"
        x = mdl.block("x", len(pairs), cat=cat, low=0.0, up=1.0, labels=pair_labels(pairs))
        obj_v = [x]
        obj_c = [c[pairs.rows, pairs.cols]]
        if self.use_fixed_cost and problem.fixed_cost is not None:
            obj_v.append(y)
            obj_c.append(problem.fixed_cost)
        far_rows = np.flatnonzero(np.isfinite(far_cost)) if far_cost is not None else np.zeros(0, dtype=int)
        f = mdl.block("far", len(far_rows), low=0.0, up=1.0, labels=far_rows.tolist())
        if len(far_rows):
            obj_v.append(f)
            obj_c.append(far_cost[far_rows])  # type: ignore[index]  # far rows exist only with far costs
        set_objective(mdl, np.concatenate(obj_v), np.concatenate(obj_c))
        add_rows(mdl, "assign", pairs.rows, x, "==", 1.0, n, extra=(far_rows, f, 1.0))
        add_links(mdl, x, y[pairs.cols])
        if self.capacitated:
            cap = problem.capacity
            assert cap is not None
            self._capacity_rows(mdl, x, y, pairs, d, cap, req)
            add_row(mdl, "aggregate_capacity", y, cap, ">=", float(d.sum()))
        if self.p is not None:
            add_row(mdl, "p_sites", y, 1.0, "==", self.p)
        info = mdl.solve(self.options)
        if info.status == "infeasible":
            what = "capacity" if self.capacitated else "assignment"
            raise InfeasibleError(
                f"{self.name} on {problem.name}: no assignment satisfies the constraints",
                [
                    f"constraint '{what}'"
                    + (
                        ": single-source demand cannot be packed into the sites' capacities"
                        if self.single_source
                        else ""
                    )
                    + (f" with exactly p = {self.p} sites" if self.p is not None else "")
                ],
            )
        if not info.has_solution:
            from ..solver import require_solution

            require_solution(info, self.name)
        yv = values(y)
        sites = np.flatnonzero(yv > 0.5)
        xv = values(x)
        far = values(f) > 1e-6 if len(far_rows) else np.zeros(0, dtype=bool)
        far_mask = np.zeros(n, dtype=bool)
        far_mask[far_rows[far]] = True
        xs = (pairs, xv)
        return sites, ((xs, far_mask) if far_cost is not None else xs), info

    def _capacity_rows(
        self, mdl: Milp, x: np.ndarray, y: np.ndarray, pairs: Pairs, d: np.ndarray, cap: np.ndarray, req: np.ndarray
    ) -> None:
        """Per site, in site order: ``sum_i d_i x_ij - cap_j y_j <= 0`` (rows ``cap_j``, sites with
        pairs), or ``sum_i d_i x_ij = cap_j`` for required sites that must be filled (rows ``fill_j``)."""
        m = len(y)
        fill = np.zeros(m, dtype=bool)
        if self.fill_required:
            fill[req] = True
        sites = np.flatnonzero(fill | (np.bincount(pairs.cols, minlength=m) > 0))
        rowid = np.full(m, -1)
        rowid[sites] = np.arange(len(sites))
        order, _ = pairs.by_col(m)
        capped = sites[~fill[sites]]
        rows = np.concatenate([rowid[pairs.cols[order]], rowid[capped]])
        variables = np.concatenate([x[order], y[capped]])
        coefs = np.concatenate([d[pairs.rows[order]], -cap[capped]])
        fs = fill[sites]
        names = [f"{'fill' if f else 'cap'}_{j}" for f, j in zip(fs.tolist(), sites.tolist())]
        sense = np.where(fs, "==", "<=")
        rhs = np.where(fs, cap[sites], 0.0)
        mdl.add("capacity", rows, variables, coefs, sense, rhs, n_rows=len(sites), names=names, empty="keep")

    def _result(self, problem: LocationProblem, sites: np.ndarray, x: Any, info: SolveInfo) -> LocationResult:
        c = problem.weighted_cost
        if self.capacitated:
            pairs, xv = x
            xv = np.where(xv < 1e-9, 0.0, xv)
            if self.single_source:
                xv = np.round(xv)
            used = xv > 0
            rows, cols, frac = pairs.rows[used], pairs.cols[used], xv[used]
            # normalise tiny solver noise so every demand point's fractions sum to 1
            tot = np.bincount(rows, weights=frac, minlength=problem.n_demand)
            frac = frac / tot[rows]
        else:
            rows, cols = nearest_assignment(problem, sites)
            frac = np.ones(len(rows))
        assign = float((c[rows, cols] * frac).sum())
        has_fixed = self.use_fixed_cost and problem.fixed_cost is not None
        fixed = float(problem.fixed_cost[sites].sum()) if problem.fixed_cost is not None and has_fixed else 0.0
        obj = assign + fixed
        total_w = float(problem.demand.sum())
        metrics = {"assignment_cost": assign, "fixed_cost": fixed, "n_sites": int(len(sites))}
        if not problem.cost_is_total and total_w > 0:
            metrics["mean_distance"] = float((problem.weighted_cost[rows, cols] * frac).sum()) / total_w
        return LocationResult(
            self.name,
            problem,
            np.asarray(sites, dtype=int),
            rows,
            cols,
            frac,
            obj,
            info,
            metrics=MappingProxyType(metrics),
        )


def ufl(
    cost: ArrayLike,
    fixed_cost: ArrayLike = None,
    *,
    demand: ArrayLike = None,
    required: Sequence[Hashable] | None = None,
    options: SolverOptions | None = None,
    **solver_kw: Any,
) -> LocationResult:
    """Uncapacitated facility location (function form of :class:`FacilityLocation`).

    Examples
    --------
    >>> res = ufl([[1, 9], [2, 8], [9, 1]], fixed_cost=[5, 5])
    >>> res.sites, res.objective
    ((0, 1), 14.0)
    """
    prob = as_problem(cost, demand, fixed_cost=fixed_cost)
    return FacilityLocation(required=required, options=make_options(options, **solver_kw)).solve(prob)


def cfl(
    cost: ArrayLike,
    fixed_cost: ArrayLike = None,
    capacity: ArrayLike = None,
    *,
    demand: ArrayLike = None,
    single_source: bool = False,
    required: Sequence[Hashable] | None = None,
    options: SolverOptions | None = None,
    **solver_kw: Any,
) -> LocationResult:
    """Capacitated facility location, splittable (default) or single-source.

    Examples
    --------
    >>> res = cfl([[1, 9], [2, 8], [9, 1]], fixed_cost=[5, 5], capacity=[1, 5], demand=[1, 1, 1])
    >>> res.sites, res.objective
    ((0, 1), 20.0)
    """
    prob = as_problem(cost, demand, fixed_cost=fixed_cost, capacity=capacity)
    return FacilityLocation(
        capacitated=True, single_source=single_source, required=required, options=make_options(options, **solver_kw)
    ).solve(prob)


def capacitated_p_median(
    cost: ArrayLike,
    p: int,
    capacity: ArrayLike = None,
    *,
    demand: ArrayLike = None,
    required: Sequence[Hashable] | None = None,
    fill_required: bool = False,
    single_source: bool = False,
    options: SolverOptions | None = None,
    **solver_kw: Any,
) -> LocationResult:
    """Capacitated p-median: exactly ``p`` sites, capacities respected, no opening costs."""
    prob = as_problem(cost, demand, capacity=capacity)
    return FacilityLocation(
        capacitated=True,
        single_source=single_source,
        p=p,
        required=required,
        fill_required=fill_required,
        use_fixed_cost=False,
        options=make_options(options, **solver_kw),
    ).solve(prob)
