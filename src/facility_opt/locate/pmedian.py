"""p-median: open exactly ``p`` sites so that the total weighted distance to the nearest is least.

Methods (all exact; measured figures in ``docs/location_models.md``):

``"auto"`` (default)
    ``"benders"``: it solved pmed1-40 fastest (``docs/location_models.md``).
``"benders"``
    Benders decomposition of Elloumi's radius formulation F3 (:mod:`facility_opt.locate._benders`).
    The incumbent comes from multi-start vertex substitution when ``p <= 20``; for larger ``p``
    the LP comes first and its rounding, polished by vertex substitution, is the incumbent. The
    LP phase adds cuts separated in O(N M) without an LP until the LP bound is proven, which
    proves the incumbent optimal at once on most pmed instances. The cuts' duals are exact
    Lagrangian multipliers: with ``p <= 20`` and at least 15 sites per median, the Lagrangian
    reductions and branch and bound below start from them (no subgradient run); otherwise
    reduced-cost fixing and the Benders master MIP (solve, separate, polish, re-solve) finish.
``"reduced"``
    Multi-start vertex substitution gives an incumbent (upper bound); subgradient optimisation of
    the Lagrangian relaxation of the assignment constraints gives a lower bound and multipliers
    (Beasley 1993). If the bound already proves the incumbent optimal, no MIP is built. Otherwise
    Lagrangian reduction tests remove every site and every (demand, site) pair that cannot appear
    in a solution better than the incumbent, and the classic assignment model over what is left
    (strong linking ``x_ij <= y_j``) is built in bulk with PuLP and solved by HiGHS. The
    incumbent's own pairs are always kept, so the reduced model's optimum is the true optimum.
``"lagrangian"``
    The same incumbent, bound and reductions, then Lagrangian branch and bound on the remaining
    sites (:mod:`facility_opt.locate._lagrangian_bnb`) instead of a MIP solver: with few medians
    the LP gap (0.3-1 %) has to be closed by branching, and a Lagrangian node costs a few numpy
    passes where a MIP node re-solves an LP with tens of thousands of columns.
``"classic"``
    The textbook assignment model over every usable pair (ReVelle & Swain 1970), as spopt builds
    it; kept as the reference the other methods are measured against.
``"sparse"``
    Each demand point keeps its ``k`` nearest sites plus a "far" slack priced at its (k+1)-th
    distance; this is a relaxation, so when no slack is used the solution is optimal; otherwise
    ``k`` doubles for the demand points that used it and the model is solved again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from ..solver import SolveInfo, SolverOptions, Status, combine_infos, require_solution
from ._benders import LpPhase, RadiusCuts, lp_phase, make_master, mip_phase
from ._build import Pairs, make_options
from ._checks import check_p, check_reachable, check_served
from ._lagrangian_bnb import lagrangian_branch_and_bound
from ._pmedian_mip import classic_mip
from ._problem import LocationProblem, as_problem
from ._result import LocationResult, nearest_assignment
from .heuristics import (
    LagrangianBound,
    assignment_cost,
    big_cost,
    finite_cost,
    lagrangian_bound,
    lagrangian_reductions,
    lagrangian_value,
    multistart_p_median,
    vertex_substitution,
)

__all__ = ["PMedian", "p_median"]

log = logging.getLogger(__name__)

#: With at least this many sites per median the LP gap (0.3-1 %) is closed by Lagrangian branch and
#: bound; with fewer the LP is nearly integral and a MIP (Benders master or reduced classic) closes it.
AUTO_SITES_PER_MEDIAN = 15

#: up to this p the Benders method starts from a multi-start vertex substitution incumbent
MULTISTART_MAX_P = 20

Method = Literal["auto", "benders", "reduced", "lagrangian", "classic", "sparse"]


def _is_integral(c: np.ndarray) -> bool:
    fin = c[np.isfinite(c)]
    return bool(np.all(fin == np.round(fin)))


@dataclass(frozen=True)
class PMedian:
    """p-median model: parameters only; :meth:`solve` builds, solves and returns a result.

    Parameters
    ----------
    p : number of sites to open (required sites included).
    required : ids of sites that must be open (existing facilities).
    method : "auto", "benders", "reduced", "lagrangian", "classic" or "sparse"; see the module docstring.
    options : solver options (time limit, gap, threads, warm start, solver).
    """

    p: int
    required: Sequence[Hashable] | None = None
    method: Method = "auto"
    options: SolverOptions = field(default_factory=SolverOptions)

    name = "p-median"

    def solve(self, problem: LocationProblem) -> LocationResult:
        req = problem.site_index(self.required)
        check_p(problem, self.p, req, self.name)
        check_reachable(problem, self.name)
        method = "benders" if self.method == "auto" else self.method
        t0 = time.perf_counter()
        if method == "benders":
            sites, info = self._benders(problem, req)
        elif method == "reduced":
            sites, info = self._reduced(problem, req)
        elif method == "classic":
            sites, info = self._classic(problem, req)
        elif method == "sparse":
            sites, info = self._sparse(problem, req)
        elif method == "lagrangian":
            sites, info = self._reduced(problem, req, bnb=True)
        else:
            raise ValueError(
                f"unknown p-median method {self.method!r}; use auto, benders, reduced, lagrangian, classic or sparse"
            )
        log.info(
            "p-median %s p=%d (%s): %s in %.2f s", problem.name, self.p, method, info.status, time.perf_counter() - t0
        )
        require_solution(info, f"{self.name} on {problem.name}")  # a time limit without any solution
        return self._result(problem, sites, info)

    # ------------------------------------------------------------------ results
    def _result(self, problem: LocationProblem, sites: np.ndarray, info: SolveInfo) -> LocationResult:
        sites = np.sort(np.asarray(sites, dtype=int))
        rows, cols = (
            nearest_assignment(problem, sites)
            if len(sites)
            else (np.arange(problem.n_demand), np.full(problem.n_demand, -1))
        )
        check_served(problem, sites, cols, self.p, self.name)
        obj = float(problem.weighted_cost[rows, cols].sum())
        total_w = float(problem.demand.sum())
        metrics = {
            "mean_distance": obj / total_w if total_w > 0 else float("nan"),
            "max_distance": float(problem.cost[rows, cols].max()),
        }
        return LocationResult(
            self.name, problem, sites, rows, cols, np.ones(len(rows)), obj, info, metrics=MappingProxyType(metrics)
        )

    # ------------------------------------------------------------------ methods
    def _time_left(self, t0: float) -> float | None:
        tl = self.options.time_limit
        return None if tl is None else max(0.0, tl - (time.perf_counter() - t0))

    def _incumbent(self, c: np.ndarray, req: np.ndarray) -> np.ndarray:
        return multistart_p_median(c, self.p, req)

    def _reduced(self, problem: LocationProblem, req: np.ndarray, bnb: bool = False) -> tuple[np.ndarray, SolveInfo]:
        t0 = time.perf_counter()
        c = problem.weighted_cost
        inc = self._incumbent(c, req)
        ub = assignment_cost(c, inc)
        integral = _is_integral(c)
        lag = lagrangian_bound(c, self.p, ub, req, integral=integral)
        if lag.primal_sites is not None and lag.primal_value < ub:
            # the Lagrangian heuristic found a better start: polish it and bound again from there
            cand = vertex_substitution(c, lag.primal_sites, req)
            if assignment_cost(c, cand) < ub:
                inc, ub = cand, assignment_cost(c, cand)
                lag = lagrangian_bound(c, self.p, ub, req, integral=integral, start=lag.multipliers, max_iter=1000)
        extra = {
            "method": "lagrangian" if bnb else "reduced",
            "incumbent": ub,
            "lagrangian_bound": lag.bound,
            "lagrangian_iterations": lag.iterations,
        }
        return self._finish(problem, req, inc, ub, lag, extra, t0, "bnb" if bnb else "mip")

    def _benders(self, problem: LocationProblem, req: np.ndarray) -> tuple[np.ndarray, SolveInfo]:
        """Benders LP phase for the bound and exact multipliers, then the finisher that fits ``p``."""
        t0 = time.perf_counter()
        c = finite_cost(problem.weighted_cost)
        n, m = c.shape
        integral = _is_integral(c)
        # Lagrangian B&B for a handful of medians (its nodes are cheap, the LP gap is 0.3-1 %); the
        # master MIP when the LP is nearly integral (many medians, or few sites per median)
        few = self.p <= MULTISTART_MAX_P and m >= AUTO_SITES_PER_MEDIAN * self.p
        fixed_open = np.zeros(m, dtype=bool)
        fixed_open[req] = True
        oracle = RadiusCuts(c, problem.order)
        master = make_master(n, m, self.p, oracle.sorted_cost[:, 0], fixed_open, self.options)
        if self.p <= MULTISTART_MAX_P:
            # few swaps per descent: a multi-start gives the tight incumbent B&B prunes with, and
            # its bound can stop the LP phase early
            inc = self._incumbent(c, req)
            ub = assignment_cost(c, inc)
            y_start = np.zeros(m)
            y_start[inc] = 1.0
        else:
            # with many medians greedy and vertex substitution cost one O(N M) pass per site or
            # swap (tens of seconds at N = 3000, p = 300); the LP comes first, from the uniform
            # point, and its rounding gives the incumbent
            inc, ub = None, np.inf
            y_start = np.where(fixed_open, 1.0, (self.p - len(req)) / max(1, m - len(req)))
        stop_at = ub - 1.0 + 1e-6 if integral and inc is not None else None
        lp = lp_phase(oracle, master, self.p, y_start, stop_at=stop_at)
        # LP-guided incumbent: the p largest LP values (required sites first), polished
        rank = np.lexsort((np.arange(m), -(lp.y + 2.0 * fixed_open)))
        cand = vertex_substitution(c, np.sort(rank[: self.p]), req)
        if assignment_cost(c, cand) < ub:
            inc, ub = cand, assignment_cost(c, cand)
        free = ~fixed_open
        val, rho, chosen = lagrangian_value(c, lp.multipliers, self.p, req, free)
        lag = LagrangianBound(val, lp.multipliers, rho, np.flatnonzero(chosen), lp.rounds)
        extra = {
            "method": "benders",
            "incumbent": ub,
            "lp_bound": lp.bound,
            "lagrangian_bound": val,
            "lp_rounds": lp.rounds,
            "lp_cuts": master.n_cuts,
            "lp_seconds": round(lp.seconds, 4),
            "master": master.solver,
        }
        assert inc is not None  # the LP-guided candidate always beats ub = inf
        return self._finish(
            problem,
            req,
            inc,
            ub,
            lag,
            extra,
            t0,
            "bnb" if few else "benders",
            lp=lp,
            oracle=oracle,
            fixed_open=fixed_open,
            bound=max(lp.bound, val),
        )

    def _finish(
        self,
        problem: LocationProblem,
        req: np.ndarray,
        inc: np.ndarray,
        ub: float,
        lag: LagrangianBound,
        extra: dict[str, Any],
        t0: float,
        finisher: str,
        *,
        lp: LpPhase | None = None,
        oracle: RadiusCuts | None = None,
        fixed_open: np.ndarray | None = None,
        bound: float | None = None,
    ) -> tuple[np.ndarray, SolveInfo]:
        """From an incumbent and a Lagrangian bound: prove it, or reduce and finish with ``finisher``.

        ``finisher``: "bnb" (Lagrangian branch and bound), "mip" (the reduced classic MIP) or
        "benders" (the Benders master MIP of :func:`~facility_opt.locate._benders.mip_phase`).
        """
        c = problem.weighted_cost
        integral = _is_integral(c)
        bound = lag.bound if bound is None else bound
        lb = float(np.ceil(bound - 1e-6)) if integral else bound
        t_heur = time.perf_counter() - t0
        extra.update(incumbent=ub, heuristic_seconds=round(t_heur, 4))
        tol = 1e-9 * max(1.0, abs(ub))
        if lb >= ub - tol:
            extra.update(mip_variables=0, proven_by="lagrangian bound" if lp is None else "LP bound")
            return inc, combine_infos(
                [],
                status="optimal",
                objective=ub,
                bound=lb,
                extra_solve=t_heur,
                solver="lagrangian" if lp is None else "benders",
                extra=extra,
            )
        if finisher == "benders":
            assert lp is not None and oracle is not None and fixed_open is not None
            return self._finish_benders(c, req, inc, ub, extra, t0, lp, oracle, fixed_open, integral)
        keep, site_out, site_in = lagrangian_reductions(c, req, inc, ub, lag, tol)
        forced_open = site_in.copy()
        forced_open[req] = True
        extra.update(
            sites_fixed_closed=int(site_out.sum()),
            sites_fixed_open=int(site_in.sum()),
            pairs_kept=int(keep.sum()),
            pairs_total=int(np.isfinite(c).sum()),
        )
        log.debug("p-median reductions: %s", extra)
        if finisher == "bnb":
            return self._finish_bnb(c, inc, lag, extra, t0, keep, site_out, forced_open, integral)
        t_red = time.perf_counter() - t0
        sites, info = classic_mip(
            problem, Pairs.from_mask(keep), ~site_out, forced_open, inc, t_red - t_heur, self.p, self.options
        )
        extra["mip_variables"] = int(keep.sum() + (~site_out).sum())
        bound = max(info.bound if info.bound is not None else -np.inf, lb)
        if info.has_solution and assignment_cost(c, sites) > ub:
            sites = inc
        obj = assignment_cost(c, sites) if info.has_solution else ub
        status: Status = (
            info.status if info.has_solution else ("feasible" if info.status != "infeasible" else "optimal")
        )
        if not info.has_solution:
            sites = inc
        return sites, combine_infos(
            [info], status=status, objective=obj, bound=min(bound, obj), extra_solve=t_heur, extra=extra
        )

    def _finish_benders(
        self,
        c: np.ndarray,
        req: np.ndarray,
        inc: np.ndarray,
        ub: float,
        extra: dict[str, Any],
        t0: float,
        lp: LpPhase,
        oracle: RadiusCuts,
        fixed_open: np.ndarray,
        integral: bool,
    ) -> tuple[np.ndarray, SolveInfo]:
        """Finish on the Benders master MIP (reduced-cost fixing, solve, separate, polish, re-solve)."""
        c_fin = finite_cost(c)
        sites, value, bd, complete, stats = mip_phase(
            oracle,
            lp,
            inc,
            ub,
            fixed_open,
            integral=integral,
            time_limit=self._time_left(t0),
            polish=lambda s: vertex_substitution(c_fin, s, req),
        )
        extra.update(stats)
        return sites, combine_infos(
            [],
            status="optimal" if complete else "feasible",
            objective=value,
            bound=float(np.ceil(bd - 1e-6)) if integral and not complete else bd,
            extra_solve=time.perf_counter() - t0,
            solver=f"benders-{lp.master.solver}",
            extra=extra,
        )

    def _finish_bnb(
        self,
        c: np.ndarray,
        inc: np.ndarray,
        lag: LagrangianBound,
        extra: dict[str, Any],
        t0: float,
        keep: np.ndarray,
        site_out: np.ndarray,
        forced_open: np.ndarray,
        integral: bool,
    ) -> tuple[np.ndarray, SolveInfo]:
        """Finish with Lagrangian branch and bound on the sites and pairs the reductions kept."""
        cols = np.flatnonzero(~site_out)
        sub = np.where(keep[:, cols], c[:, cols], np.inf)
        sub = np.where(np.isfinite(sub), sub, big_cost(c))
        rmap = np.full(c.shape[1], -1)
        rmap[cols] = np.arange(len(cols))
        res = lagrangian_branch_and_bound(
            sub,
            self.p,
            rmap[np.flatnonzero(forced_open)],
            rmap[inc],
            lag.multipliers,
            integral=integral,
            time_limit=self._time_left(t0),
        )
        sites = cols[res.sites]
        extra.update(finisher="lagrangian-bnb", bnb_nodes=res.nodes, bnb_sites=len(cols))
        st: Status = "optimal" if res.complete else "feasible"
        return sites, combine_infos(
            [],
            status=st,
            objective=assignment_cost(c, sites),
            bound=res.bound,
            extra_solve=time.perf_counter() - t0,
            solver="lagrangian-bnb",
            extra=extra,
        )

    def _classic(self, problem: LocationProblem, req: np.ndarray) -> tuple[np.ndarray, SolveInfo]:
        c = problem.weighted_cost
        m = c.shape[1]
        inc = self._incumbent(c, req) if self.options.warm_start else None
        forced = np.zeros(m, dtype=bool)
        forced[req] = True
        sites, info = classic_mip(
            problem, Pairs.from_mask(np.isfinite(c)), np.ones(m, dtype=bool), forced, inc, 0.0, self.p, self.options
        )
        return sites, combine_infos([info], extra={"method": "classic", "mip_variables": int(np.isfinite(c).sum() + m)})

    def _sparse(self, problem: LocationProblem, req: np.ndarray, k0: int | None = None) -> tuple[np.ndarray, SolveInfo]:
        c = problem.weighted_cost
        n, m = c.shape
        order = problem.order
        n_fin = np.isfinite(c).sum(axis=1)
        k = np.full(n, min(m, k0 or max(8, int(np.ceil(3 * n / self.p)))))
        k = np.minimum(k, n_fin)
        inc = self._incumbent(c, req) if self.options.warm_start else None
        forced = np.zeros(m, dtype=bool)
        forced[req] = True
        infos: list[SolveInfo] = []
        rounds = 0
        rank = np.empty_like(order)
        rank[np.arange(n)[:, None], order] = np.arange(m)[None, :]
        while True:
            rounds += 1
            keep = rank < k[:, None]
            far_cost = np.where(k < n_fin, c[np.arange(n), order[np.arange(n), np.minimum(k, m - 1)]], np.nan)
            sites, info, far = classic_mip(
                problem,
                Pairs.from_mask(keep),
                np.ones(m, dtype=bool),
                forced,
                inc,
                0.0,
                self.p,
                self.options,
                far_cost=far_cost,
            )
            infos.append(info)
            if not info.has_solution or not far.any():
                break
            k[far] = np.minimum(2 * k[far], n_fin[far])
            log.debug("sparse p-median round %d: %d demand points use the far slack", rounds, int(far.sum()))
        return sites, combine_infos(infos, extra={"method": "sparse", "rounds": rounds, "k_max": int(k.max())})


def p_median(
    cost: LocationProblem | np.ndarray,
    p: int,
    *,
    demand: Sequence[float] | np.ndarray | None = None,
    required: Sequence[Hashable] | None = None,
    method: Method = "auto",
    options: SolverOptions | None = None,
    solver: str | None = None,
    time_limit: float | None = None,
    gap_rel: float | None = None,
    threads: int | None = None,
    warm_start: bool | None = None,
) -> LocationResult:
    """Solve a p-median problem (function form of :class:`PMedian`).

    Parameters
    ----------
    cost : a :class:`LocationProblem`, or a cost matrix (array / DataFrame: demand x sites).
    p : number of sites to open, required sites included.
    demand : demand weights when ``cost`` is a matrix.
    required : site ids that must be open (existing facilities).
    method : "auto", "benders", "reduced", "lagrangian", "classic" or "sparse" (module docstring).
    options, solver, time_limit, gap_rel, threads, warm_start : solver settings.

    Returns
    -------
    LocationResult
        chosen sites, nearest-site assignment, objective (total weighted distance) and solve info.

    Raises
    ------
    InfeasibleError
        p < 1, p > number of sites, more required sites than p, or a demand point with no usable site.

    Examples
    --------
    >>> res = p_median([[0, 3, 8], [2, 0, 5], [8, 5, 0], [9, 6, 1]], p=2)
    >>> res.sites, res.objective
    ((0, 2), 3.0)
    """
    prob = as_problem(cost, demand)
    opts = make_options(
        options, solver=solver, time_limit=time_limit, gap_rel=gap_rel, threads=threads, warm_start=warm_start
    )
    return PMedian(p, required, method, opts).solve(prob)
