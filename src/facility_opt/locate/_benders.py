"""Benders decomposition of the radius formulation (Elloumi's F3) for the p-median.

F3 writes each demand point's cost as a staircase over its sorted costs; projecting the staircase
variables out leaves one continuous ``theta_i`` per demand point and the cuts

    theta_i >= r - sum_j max(0, r - c_ij) y_j        for every cost level r of point i

(Durán-Mateluna, Alès & Elloumi, EJOR 2023; the same cuts as Fischetti, Ljubić & Sinnl 2017 for
facility location). At a point ``y`` the most violated level of each demand point is where the
open fraction of its sites, nearest first, reaches one, so all demand points are separated in one
pass over the sorted cost matrix, O(N M), with no LP (:class:`RadiusCuts`).

The master (``y`` in [0, 1], ``sum y = p``, ``theta``, cuts) grows by bulk row additions. With
HiGHS it lives in one :class:`highspy.Highs` object (numpy ``addRows``; re-solves start from the
previous basis); PuLP would loop over every nonzero in Python and rebuild the model every round.
Any other solver gets the same master through PuLP (:class:`PulpMaster`: slow, for checking).
HiGHS 1.16 has no lazy-constraint callback (its callback input can only interrupt or suggest a
solution), so the integer phase is an iterative loop (:func:`mip_phase`).

:func:`lp_phase` runs the cutting-plane loop with in-out stabilisation (Ben-Ameur & Neto 2007):
cuts are separated between the LP point and a stability centre, and every separation point,
being feasible, also bounds the LP value from above, so the loop stops on a proven LP gap. The
duals of the cuts give exact Lagrangian multipliers of the assignment rows
(``lambda_i = sum of dual x level`` over point ``i``'s cuts), whose Lagrangian bound equals the LP
bound: that is what the Lagrangian reductions and branch and bound of
:mod:`facility_opt.locate.pmedian` then start from, instead of a long subgradient run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..milp import Milp, values
from ..solver import SolverOptions
from ._build import add_row, set_objective

__all__ = ["RadiusCuts", "LpPhase", "lp_phase", "mip_phase", "make_master"]

log = logging.getLogger(__name__)


class RadiusCuts:
    """Separation oracle of the F3 Benders cuts on a finite weighted cost matrix (``n x m``).

    ``order[i]`` lists the sites by increasing cost for demand point ``i`` and ``sorted_cost`` the
    costs in that order; built once in O(N M log M) (or passed in: ``LocationProblem.order``).
    """

    def __init__(self, cost: np.ndarray, order: np.ndarray | None = None) -> None:
        c = np.asarray(cost, dtype=float)
        self.order = np.argsort(c, axis=1, kind="stable") if order is None else np.asarray(order)
        self.sorted_cost = np.take_along_axis(c, self.order, axis=1)
        self.n, self.m = c.shape
        self._rows = np.arange(self.n)
        self._pos = np.arange(self.m)

    def separate(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Deepest cut of every demand point at ``y``: its value ``phi_i(y)`` and level position ``k_i``.

        ``k_i`` is the first position (nearest first) where the open fraction reaches one, and
        ``phi_i(y) = s_k - sum_{l<k} (s_k - s_l) y_(l)``; ``sum_i phi_i(y)`` is the cost of an integral
        ``y`` and the F3 LP value at a fractional one.
        """
        ys = np.asarray(y, dtype=float)[self.order]
        cum = np.cumsum(ys, axis=1)
        k = np.minimum((cum < 1.0 - 1e-9).sum(axis=1), self.m - 1)
        r = self.sorted_cost[self._rows, k]
        sy = np.cumsum(self.sorted_cost * ys, axis=1)
        prev = np.where(k > 0, cum[self._rows, k - 1], 0.0)
        prev_sy = np.where(k > 0, sy[self._rows, k - 1], 0.0)
        return r - (r * prev - prev_sy), k

    def value(self, k: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Value at ``y`` of the cuts at level positions ``k`` (one per demand point)."""
        ys = np.asarray(y, dtype=float)[self.order]
        r = self.sorted_cost[self._rows, k]
        below = self._pos[None, :] < k[:, None]
        return np.asarray(r - np.where(below, (r[:, None] - self.sorted_cost) * ys, 0.0).sum(axis=1))

    def rows(self, clients: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The cuts ``sum_j (r - c_ij)^+ y_j + theta_i >= r`` in CSR form over the ``y`` columns only.

        Returns ``(r, indptr, site_index, coef)``; the caller adds ``theta_i`` (coefficient 1).
        """
        sc = self.sorted_cost[clients]
        r = sc[np.arange(len(clients)), k]
        mask = (self._pos[None, :] < k[:, None]) & (sc < r[:, None])
        ri, ci = np.nonzero(mask)  # row-major: grouped by cut, nearest site first
        indptr = np.concatenate([[0], np.cumsum(mask.sum(axis=1))])
        return r, indptr, self.order[clients][ri, ci], r[ri] - sc[ri, ci]


class _CutBook:
    """What both masters keep of their cuts, in row order: each cut's demand point and level."""

    def __init__(self) -> None:
        self.cut_client = np.zeros(0, dtype=int)
        self.cut_level = np.zeros(0)

    def _record(self, clients: np.ndarray, levels: np.ndarray) -> None:
        self.cut_client = np.concatenate([self.cut_client, clients])
        self.cut_level = np.concatenate([self.cut_level, levels])

    def _keep(self, keep: np.ndarray) -> None:
        self.cut_client, self.cut_level = self.cut_client[keep], self.cut_level[keep]

    @property
    def n_cuts(self) -> int:
        return len(self.cut_client)


class HighsMaster(_CutBook):
    """The Benders master in one highspy model: columns ``y_0..y_{m-1}``, then ``theta_0..theta_{n-1}``."""

    def __init__(
        self, n: int, m: int, p: int, theta_low: np.ndarray, fixed_open: np.ndarray, options: SolverOptions
    ) -> None:
        import highspy

        from ..solver import _reset_highs_scheduler, _swallow_highs_banner

        _reset_highs_scheduler()
        if not options.msg:
            _swallow_highs_banner()
        self._hs = highspy
        h = highspy.Highs()
        h.setOptionValue("output_flag", bool(options.msg))
        if options.threads is not None:
            h.setOptionValue("threads", int(options.threads))
        self.h, self.n, self.m = h, n, m
        low = np.where(fixed_open, 1.0, 0.0)
        h.addCols(
            m + n,
            np.concatenate([np.zeros(m), np.ones(n)]),
            np.concatenate([low, np.asarray(theta_low, dtype=float)]),
            np.concatenate([np.ones(m), np.full(n, highspy.kHighsInf)]),
            0,
            np.zeros(0, np.int32),
            np.zeros(0, np.int32),
            np.zeros(0),
        )
        h.addRows(
            1,
            np.array([float(p)]),
            np.array([float(p)]),
            m,
            np.zeros(1, np.int32),
            np.arange(m, dtype=np.int32),
            np.ones(m),
        )
        super().__init__()
        self.integer = False
        self.solver = "highs"

    def add_cuts(self, oracle: RadiusCuts, clients: np.ndarray, k: np.ndarray) -> None:
        if len(clients) == 0:
            return
        r, indptr, idx, val = oracle.rows(clients, k)
        # theta_i goes last in each row: shift each row's start by the rows before it
        cnt = np.diff(indptr) + 1
        starts = np.concatenate([[0], np.cumsum(cnt)[:-1]])
        allidx = np.empty(int(cnt.sum()), dtype=np.int32)
        allval = np.empty(int(cnt.sum()))
        pos = np.arange(len(idx)) + np.repeat(np.arange(len(clients)), np.diff(indptr))
        allidx[pos], allval[pos] = idx, val
        last = starts + cnt - 1
        allidx[last], allval[last] = self.m + clients, 1.0
        self.h.addRows(
            len(clients),
            r,
            np.full(len(clients), self._hs.kHighsInf),
            len(allidx),
            starts.astype(np.int32),
            allidx,
            allval,
        )
        self._record(clients, r)

    def run(self, time_limit: float | None = None) -> tuple[str, np.ndarray | None, float, float]:
        """Solve; (status: optimal / infeasible / limit / other, column values, objective, bound)."""
        h = self.h
        h.setOptionValue("time_limit", float(time_limit) if time_limit is not None else self._hs.kHighsInf)
        h.run()
        st = h.getModelStatus()
        S = self._hs.HighsModelStatus
        info = h.getInfo()
        has = info.primal_solution_status == 2  # kSolutionStatusFeasible
        sol = np.asarray(h.getSolution().col_value) if has else None
        obj = float(info.objective_function_value) if has else np.nan
        bound = float(info.mip_dual_bound) if self.integer else obj
        if st == S.kOptimal:
            return "optimal", sol, obj, bound
        if st == S.kInfeasible:
            return "infeasible", None, np.nan, np.inf
        if st in (S.kTimeLimit, S.kInterrupt):
            return "limit", sol, obj, bound
        return h.modelStatusToString(st), sol, obj, bound

    def duals(self) -> tuple[np.ndarray, np.ndarray]:
        """(cut duals, reduced costs of ``y``) of the last LP solve."""
        sol = self.h.getSolution()
        return np.asarray(sol.row_dual)[1:], np.asarray(sol.col_dual)[: self.m]

    def purge(self, keep: np.ndarray) -> None:
        """Keep only the cuts flagged in ``keep`` (the ``sum y = p`` row always stays)."""
        drop = np.flatnonzero(~keep)
        if len(drop):
            self.h.deleteRows(len(drop), (drop + 1).astype(np.int32))
            self._keep(keep)

    def fix(self, closed: np.ndarray, opened: np.ndarray) -> None:
        idx = np.flatnonzero(closed | opened).astype(np.int32)
        if len(idx):
            v = np.where(opened[idx], 1.0, 0.0)
            self.h.changeColsBounds(len(idx), idx, v, v)

    def make_integer(self, integral_costs: bool, incumbent_value: float) -> None:
        idx = np.arange(self.m, dtype=np.int32)
        self.h.changeColsIntegrality(self.m, idx, np.ones(self.m, dtype=np.uint8))
        self.h.setOptionValue("mip_rel_gap", 0.0)
        self.h.setOptionValue("mip_abs_gap", 1.0 - 1e-6 if integral_costs else 1e-9 * max(1.0, incumbent_value))
        self.integer = True


class PulpMaster(_CutBook):
    """The same master rebuilt through PuLP for each solve: any PuLP solver (CBC), tiny inputs only."""

    def __init__(
        self, n: int, m: int, p: int, theta_low: np.ndarray, fixed_open: np.ndarray, options: SolverOptions
    ) -> None:
        self.n, self.m, self.p = n, m, p
        self.theta_low = np.asarray(theta_low, dtype=float)
        self.low = np.where(fixed_open, 1.0, 0.0)
        self.up = np.ones(m)
        self.options = options
        self.cuts: list[tuple[int, float, np.ndarray, np.ndarray]] = []
        super().__init__()
        self.integer = False
        self.solver = options.solver
        self._last: tuple[np.ndarray, np.ndarray] | None = None

    def add_cuts(self, oracle: RadiusCuts, clients: np.ndarray, k: np.ndarray) -> None:
        r, indptr, idx, val = oracle.rows(clients, k)
        for t, i in enumerate(clients.tolist()):
            self.cuts.append((i, float(r[t]), idx[indptr[t] : indptr[t + 1]], val[indptr[t] : indptr[t + 1]]))
        self._record(clients, r)

    def run(self, time_limit: float | None = None) -> tuple[str, np.ndarray | None, float, float]:
        import dataclasses

        mdl = Milp("benders_master")
        y = mdl.block("y", self.m, cat="Binary" if self.integer else "Continuous")
        for j in range(self.m):
            y[j].lowBound, y[j].upBound = float(self.low[j]), float(self.up[j])
        th = mdl.block("theta", self.n)
        for i in range(self.n):
            th[i].lowBound = float(self.theta_low[i])
        set_objective(mdl, th, np.ones(self.n))
        add_row(mdl, "p_sites", y, 1.0, "==", self.p)
        self._add_cuts(mdl, y, th)
        info = mdl.solve(dataclasses.replace(self.options, time_limit=time_limit))
        if info.status == "infeasible":
            return "infeasible", None, np.nan, np.inf
        if not info.has_solution:
            return info.status, None, np.nan, -np.inf
        sol = np.concatenate([values(y), values(th)])
        if not self.integer:
            rows = mdl.prob.constraints()[1:]  # in the order added; row 0 is sum y = p
            self._last = (np.array([float(c.pi or 0.0) for c in rows]), np.array([float(v.dj or 0.0) for v in y]))
        obj = float(sol[self.m :].sum())
        bound = info.bound if info.bound is not None else obj
        return ("optimal" if info.status == "optimal" else "limit"), sol, obj, bound

    def _add_cuts(self, mdl: Milp, y: np.ndarray, th: np.ndarray) -> None:
        """The optimality cuts ``sum_j val_j y_j + theta_i >= r`` (rows ``cut_<t>``, y terms first)."""
        rows, variables, coefs = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=object)], [np.zeros(0)]
        for t, (i, _, idx, val) in enumerate(self.cuts):
            rows.append(np.full(len(idx) + 1, t))
            variables += [y[idx], th[[i]]]
            coefs += [np.asarray(val, dtype=float), np.ones(1)]
        rhs, names = np.array([c[1] for c in self.cuts]), [f"cut_{t}" for t in range(len(self.cuts))]
        mdl.add(
            "cut",
            np.concatenate(rows),
            np.concatenate(variables),
            np.concatenate(coefs),
            ">=",
            rhs,
            len(rhs),
            names=names,
        )

    def duals(self) -> tuple[np.ndarray, np.ndarray]:
        assert self._last is not None
        return self._last

    def purge(self, keep: np.ndarray) -> None:
        self.cuts = [c for c, k in zip(self.cuts, keep) if k]
        self._keep(keep)

    def fix(self, closed: np.ndarray, opened: np.ndarray) -> None:
        self.up[closed] = 0.0
        self.low[opened] = 1.0

    def make_integer(self, integral_costs: bool, incumbent_value: float) -> None:
        import dataclasses

        self.integer = True
        self.options = dataclasses.replace(
            self.options, gap_rel=0.0 if self.options.gap_rel is None else self.options.gap_rel
        )


Master = HighsMaster | PulpMaster


def make_master(
    n: int, m: int, p: int, theta_low: np.ndarray, fixed_open: np.ndarray, options: SolverOptions
) -> Master:
    """highspy master for HiGHS (when installed), PuLP master otherwise."""
    if options.solver == "highs":
        try:
            import highspy  # noqa: F401

            return HighsMaster(n, m, p, theta_low, fixed_open, options)
        except ImportError:  # pragma: no cover - highspy missing: PuLP falls back to CBC
            log.warning("highspy is not available; the Benders master goes through PuLP")
    return PulpMaster(n, m, p, theta_low, fixed_open, options)


@dataclass
class LpPhase:
    """Outcome of :func:`lp_phase`: the LP bound, the LP point and the dual information."""

    bound: float
    y: np.ndarray
    multipliers: np.ndarray  # lambda_i of the assignment rows (exact LP duals)
    reduced_costs: np.ndarray  # of y at the final LP
    rounds: int
    seconds: float
    master: Master


def lp_phase(
    oracle: RadiusCuts,
    master: Master,
    p: int,
    y_start: np.ndarray,
    stop_at: float | None = None,
    tol: float = 1e-6,
    max_rounds: int = 500,
) -> LpPhase:
    """Cutting planes on the LP relaxation of F3 until its optimum is proven (relative gap ``tol``).

    Starts from the cuts tight at ``y_start`` (an incumbent); stops early once the bound reaches
    ``stop_at`` (it then already proves the incumbent optimal).
    """
    t0 = time.perf_counter()
    n, m = oracle.n, oracle.m
    _, k0 = oracle.separate(y_start)
    sel = np.flatnonzero(k0 > 0)
    master.add_cuts(oracle, sel, k0[sel])
    alpha = 0.3  # weight of the LP point in the separation point
    core = 0.5 * y_start + 0.5 * p / m
    lb, lp_ub = -np.inf, np.inf
    rounds = 0
    y_lp = y_start
    while rounds < max_rounds:
        rounds += 1
        status, sol, obj, _ = master.run()
        if sol is None:
            raise RuntimeError(f"Benders master LP stopped with status {status}")
        y_lp, th = sol[:m], sol[m:]
        lb = max(lb, obj)
        if (stop_at is not None and lb >= stop_at) or lp_ub - lb <= tol * max(1.0, abs(lb)):
            break
        ysep = alpha * y_lp + (1 - alpha) * core
        phi, k = oracle.separate(ysep)
        lp_ub = min(lp_ub, float(phi.sum()))
        viol = oracle.value(k, y_lp) - th
        sel = np.flatnonzero(viol > 1e-7 * np.maximum(1.0, np.abs(th)))
        if len(sel) == 0:  # mis-price: separate at the LP point itself
            phi, k = oracle.separate(y_lp)
            lp_ub = min(lp_ub, float(phi.sum()))
            sel = np.flatnonzero(phi - th > 1e-7 * np.maximum(1.0, np.abs(th)))
            alpha = min(1.0, alpha + 0.2)
            if len(sel) == 0:
                break
        master.add_cuts(oracle, sel, k[sel])
        core = 0.5 * (core + y_lp)
    dual, rc = master.duals()
    lam = np.bincount(master.cut_client, weights=dual * master.cut_level, minlength=n)
    # a demand point without a binding cut sits at its nearest cost
    lam = np.where(np.bincount(master.cut_client, weights=np.abs(dual), minlength=n) > 0, lam, oracle.sorted_cost[:, 0])
    out = LpPhase(lb, y_lp, lam, rc, rounds, time.perf_counter() - t0, master)
    log.debug("Benders LP phase: bound %.10g in %d rounds, %d cuts, %.3f s", lb, rounds, master.n_cuts, out.seconds)
    return out


def mip_phase(
    oracle: RadiusCuts,
    lp: LpPhase,
    incumbent: np.ndarray,
    ub: float,
    fixed_open: np.ndarray,
    *,
    integral: bool,
    time_limit: float | None = None,
    polish: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray, float, float, bool, dict[str, Any]]:
    """Finish on the master MIP: fix sites by reduced cost, then solve / separate / re-solve.

    Returns ``(sites, value, bound, complete, stats)``. The master is a relaxation, so its optimum
    is a valid bound; when its ``theta`` equal the true costs of its solution, that solution is
    optimal. The incumbent (true cost) is the cut-off: a master optimum at or above it proves it.
    ``polish`` (a local search: site indices -> site indices) improves each master solution; its
    result updates the incumbent and adds its own cuts.
    """
    t0 = time.perf_counter()
    m = oracle.m
    master = lp.master
    tol = 1e-9 * max(1.0, abs(ub))
    inc = np.sort(np.asarray(incumbent, dtype=int))

    def cutoff() -> float:
        return ub - 1.0 + 1e-6 if integral else ub - tol

    slack = cutoff() - lp.bound
    closed = (lp.y < 1e-9) & (lp.reduced_costs > slack) & ~fixed_open
    opened = (lp.y > 1 - 1e-9) & (-lp.reduced_costs > slack)
    master.fix(closed, opened)
    dual, _ = master.duals()
    master.purge(np.abs(dual) > 1e-12)  # slack cuts only slow the tree down
    master.make_integer(integral, ub)
    stats: dict[str, Any] = {"sites_fixed_closed": int(closed.sum()), "sites_fixed_open": int(opened.sum())}
    bound, rounds, complete = lp.bound, 0, True
    while True:
        rounds += 1
        left = None if time_limit is None else time_limit - (time.perf_counter() - t0)
        if left is not None and left <= 0:
            complete = False
            break
        status, sol, obj, mbound = master.run(left)
        if status == "infeasible":  # the fixings leave nothing strictly better than the incumbent
            bound = ub
            break
        if sol is None:
            complete = False
            break
        y = np.round(sol[:m])
        phi, k = oracle.separate(y)
        true = float(phi.sum())
        if true < ub - tol:
            ub, inc = true, np.flatnonzero(y > 0.5)
        if status != "optimal":
            bound = max(bound, mbound)
            complete = False
            break
        bound = max(bound, min(mbound, obj))
        if min(mbound, obj) >= cutoff() or obj >= true - tol:
            bound = ub
            break
        th = sol[m:]
        sel = np.flatnonzero(phi - th > 1e-7 * np.maximum(1.0, np.abs(th)))
        master.add_cuts(oracle, sel, k[sel])
        if polish is not None:
            better = polish(np.flatnonzero(y > 0.5))
            yb = np.zeros(m)
            yb[better] = 1.0
            phb, kb = oracle.separate(yb)
            if float(phb.sum()) < ub - tol:
                ub, inc = float(phb.sum()), np.sort(better)
            if float(phb.sum()) < true - tol:  # a different point: its cuts too
                selb = np.flatnonzero(kb > 0)
                master.add_cuts(oracle, selb, kb[selb])
        log.debug(
            "Benders MIP round %d: master %.10g, its true cost %.10g, incumbent %.10g, %d cuts added",
            rounds,
            obj,
            true,
            ub,
            len(sel),
        )
    stats.update(mip_rounds=rounds, mip_seconds=round(time.perf_counter() - t0, 4), cuts=master.n_cuts)
    return inc, ub, min(bound, ub), complete, stats
