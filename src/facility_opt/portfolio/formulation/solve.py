"""Solving: the plain solve, the level-budget two-step, the primal heuristics that give the full
solve a start (LP-and-fix, keep-and-add), warm starts from a solution, and the assignment polish.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import pandas as pd

from ...solver import SolverOptions
from .constants import SCALE
from .solution import Solution

log = logging.getLogger(__name__)

__all__ = ["Solving"]


class Solving:
    """Mixin of PortfolioModel: solve, warm-start, repair and polish."""

    def solve(self, options: SolverOptions | None = None) -> Solution:
        """Solve and return the labelled :class:`Solution` (values are empty when there is none)."""
        info = self.m.solve(options or SolverOptions())
        return self.solution(info)

    def solve_level_budget(self, options: SolverOptions) -> Solution:
        """Smallest level annual budget, then the cheapest plan at that budget (warm-started)."""
        const, terms = self.cost_terms()
        self.m.set_objective([(self.v_level[0], 1.0)] + [(v, c * 1e-9) for v, c in terms] + self._penalty_terms())
        first = self.m.solve(options)
        if not first.has_solution:
            return self.solution(first)
        level = float(self.v_level[0].varValue) * SCALE
        level = float(np.ceil(level / 1e4 - 1e-9) * 1e4)  # to the 万円, rounded up
        self.warm_start_from_values()
        self.v_level[0].upBound = level / SCALE
        self._set_cost_objective()
        second = self.m.solve(replace(options, warm_start=True))
        sol = self.solution(second)
        sol.level_budget_yen = level
        sol.info = replace(
            second,
            build_seconds=first.build_seconds,
            solve_seconds=first.solve_seconds + second.solve_seconds,
            extra={"level_gap": first.gap, "level_status": first.status},
        )
        return sol

    def _integers(self) -> list:
        return [v for v in self.prob.variables() if v.cat in ("Binary", "Integer")]

    def warm_start_from_values(self) -> None:
        """Hand the current variable values to the solver as its start."""
        for v in self.prob.variables():
            if v.varValue is not None:
                _set_init(v, float(v.varValue))

    def lp_and_fix(self, options: SolverOptions, time_limit: float) -> Solution | None:
        """A primal heuristic: solve the LP relaxation, fix the binaries it leaves at 0 or 1, and
        solve the much smaller restricted MIP for at most ``time_limit`` seconds.
        Returns None when the restricted MIP finds nothing (the full solve then starts cold)."""
        ints = self._integers()
        saved = [(v, v.cat, v.lowBound, v.upBound) for v in ints]
        try:
            for v in ints:
                v.cat = "Continuous"
            lp = self.m.solve(replace(options, warm_start=False, time_limit=time_limit))
            if not lp.has_solution:
                return None
            xs = np.array([v.varValue or 0.0 for v in ints])
            for (v, cat, _lo, _hi), xi in zip(saved, xs):
                v.cat = cat
                if cat == "Binary":
                    if xi <= 1e-6:
                        v.upBound = 0.0
                    elif xi >= 1 - 1e-6:
                        v.lowBound = 1.0
            sub = self.m.solve(replace(options, warm_start=False, time_limit=time_limit, gap_rel=1e-3))
            log.info("LP-and-fix: restricted MIP %s", sub)
            return self.solution(sub) if sub.has_solution else None
        finally:
            for v, cat, lo, hi in saved:
                v.cat, v.lowBound, v.upBound = cat, lo, hi

    def keep_and_add(
        self, options: SolverOptions, time_limit: float, reference: Solution | None = None
    ) -> Solution | None:
        """A primal heuristic for large wards: keep every existing site open with its current services
        and solve for what must be added (placements, capacity, floor) to meet every standard, with the
        renewal works timed as in ``reference`` (the keep-everything baseline) when given.  Far fewer
        real choices than the full model, so a plan comes quickly even where the full model's own
        heuristics find none; the full solve then starts from it.  Sites the policy closes are left
        free.  Returns None when the restricted MIP finds nothing within ``time_limit``.
        """
        pol = self.problem.policy
        keep_site = self.existing & ~self.sites["site_id"].isin(pol.lock_closed).to_numpy()
        keep_place = (
            self.el["current"].to_numpy(dtype=bool)
            & (self.el["capacity"].to_numpy() > 0)
            & keep_site[self.el["s"].to_numpy()]
        )
        fixed = list(self.v_open.reshape(self.S, self.P)[keep_site].ravel())
        fixed += list(self.v_place.reshape(self.E, self.P)[keep_place].ravel())
        target = dict.fromkeys(fixed, 1.0)
        if reference is not None and self.n_opt:
            chosen = set(reference.events.loc[reference.events["status"] != "dropped", "option"].dropna().astype(int))
            target.update((v, 1.0 if i in chosen else 0.0) for i, v in enumerate(self.v_z))
        saved = [(v, v.lowBound, v.upBound) for v in target]
        try:
            for v, x in target.items():
                v.lowBound = v.upBound = x
            sub = self.m.solve(replace(options, warm_start=False, time_limit=time_limit))
            log.info("keep-and-add start: %s", sub)
            return self.solution(sub) if sub.has_solution else None
        finally:
            for v, lo, hi in saved:
                v.lowBound, v.upBound = lo, hi

    def warm_start(self, sol: Solution) -> None:
        """Hand a solution (the baseline, a previous plan or a heuristic's) to the solver as its start.

        Matched by ids: sites, placements, zones or events the solution does not know start at 0.
        """
        P = self.P
        o = sol.open.set_index(["site_id", "p"])["open"]
        keys = pd.MultiIndex.from_product([self.sites["site_id"], range(P)])
        for v, x in zip(self.v_open, o.reindex(keys).fillna(0.0).to_numpy(float)):
            _set_init(v, x)
        pk = sol.placements.set_index(["service_id", "site_id", "p"])
        keys = pd.MultiIndex.from_tuples(
            [(k, s, q) for k, s in zip(self.el["service_id"], self.el["site_id"]) for q in range(P)]
        )
        place = pk["place"].reindex(keys).fillna(0.0).to_numpy(float)
        ext = pk["ext"].reindex(keys).fillna(0.0).to_numpy(float) / np.repeat(self.el["unit"].to_numpy(), P)
        for v, x in zip(self.v_place, place):
            _set_init(v, x)
        self._reform_warm_start(place.reshape(self.E, P), _set_init)
        for v, x in zip(self.v_ext, ext):
            _set_init(v, x)
        if "in_use" in pk.columns:
            in_use = pk["in_use"].reindex(keys).fillna(0.0).to_numpy(float)
        else:
            in_use = place * np.repeat(self.el["capacity"].to_numpy(), P)
        in_use = in_use.reshape(self.E, P)[self.cur_idx].ravel()
        for v, x in zip(self.v_cin, in_use):
            _set_init(v, x)
        fa = sol.floor_added
        gx = fa[~fa["how"].isin(["rebuild", "downsize"])].groupby(["site_id", "p"])["added_m2"].sum()
        keys = pd.MultiIndex.from_product([self.sites["site_id"], range(P)])
        for v, x in zip(self.v_gx, gx.reindex(keys).fillna(0.0).to_numpy(float)):
            _set_init(v, x)
        ga = fa[fa["how"] == "rebuild"].set_index("option")["added_m2"]
        for v, x in zip(self.v_ga, ga.reindex(self.rebuild_opts).fillna(0.0).to_numpy(float)):
            _set_init(v, x)
        gd = -fa[fa["how"] == "downsize"].set_index("option")["added_m2"]
        for v, x in zip(self.v_gd, gd.reindex(self.rebuild_opts).fillna(0.0).to_numpy(float)):
            _set_init(v, x)
        chosen = set(sol.events.loc[sol.events["status"] != "dropped", "option"].dropna().astype(int))
        for i, v in enumerate(self.v_z):
            _set_init(v, 1.0 if i in chosen else 0.0)
        dropped = sol.events[sol.events["status"] == "dropped"]
        dset = set(zip(dropped["e"].astype(int), dropped["drop_p"].astype(int)))
        for (e, q), v in zip(self.drops, self.v_drop):
            _set_init(v, 1.0 if (int(e), int(q)) in dset else 0.0)
        a = sol.assignments.set_index(["zone_id", "service_id", "site_id", "p"])["share"]
        keys = pd.MultiIndex.from_tuples(
            [
                (z, k, s, q)
                for z, k, s in zip(self.reach["zone_id"], self.reach["service_id"], self.reach["site_id"])
                for q in range(P)
            ],
            names=["zone_id", "service_id", "site_id", "p"],
        )
        share = a.reindex(keys).fillna(0.0).to_numpy(float)
        for v, x in zip(self.v_w, share):
            _set_init(v, x)
        if len(self.near_idx):
            cum = np.cumsum(share.reshape(self.R, P)[self.near_idx], axis=0)
            zk = self.reach["zk"].to_numpy()[self.near_idx]
            starts = np.flatnonzero(np.r_[True, zk[1:] != zk[:-1]])
            base = np.zeros_like(cum)
            for a_, b_ in zip(starts, np.r_[starts[1:], len(zk)]):
                base[a_:b_] = cum[a_ - 1] if a_ > 0 else 0.0
            for v, x in zip(self.v_cum, (cum - base).ravel()):
                _set_init(v, x)
        self._warm_start_economics(sol)
        if len(self.soft_idx):
            un = sol.uncovered.set_index(["zone_id", "service_id", "p"])["share"]
            zk = self.zk.iloc[self.soft_idx]
            keys = pd.MultiIndex.from_tuples(
                [(z, k, q) for z, k in zip(zk["zone_id"], zk["service_id"]) for q in range(P)]
            )
            for v, x in zip(self.v_u, un.reindex(keys).fillna(0.0).to_numpy(float)):
                _set_init(v, x)

    def polish(self, sol: Solution, options: SolverOptions | None = None) -> Solution:
        """Re-assign residents to the nearest sites with room, every decision of ``sol`` held fixed.

        The cost model is indifferent between assignments of equal cost; this LP (open, placements,
        capacity, floor, events and the uncovered shares fixed) minimises population-weighted distance, so that reported
        assignments are the ones residents would use.  The solver report of ``sol`` is kept.
        """
        if not sol.info.has_solution:
            return sol
        fixed = {id(v): v for v in self._integers()}
        # ... and the uncovered shares: they are priced, so the plan's cost stays the solver's objective
        for block in (
            self.v_gx,
            self.v_ga,
            self.v_drop,
            self.v_disp,
            self.v_dyear,
            self.v_cc,
            self.v_u,
            self.v_gd,
            self.v_cv,
        ):
            fixed.update({id(v): v for v in block})
        # places in use are a cost where the service has an operating cost per place: held too
        rated = np.repeat(self.op_rate > 0, self.P)
        fixed.update({id(v): v for v in self.v_ext[rated]})
        fixed.update({id(v): v for v in self.v_cin[np.repeat(self.op_rate[self.cur_idx] > 0, self.P)]})
        ints = list(fixed.values())
        saved = [(v, v.cat, v.lowBound, v.upBound) for v in ints]
        try:
            for v in ints:
                x = float(v.varValue or 0.0)
                x = float(round(x)) if v.cat in ("Binary", "Integer") else x
                v.cat = "Continuous"
                v.lowBound, v.upBound = x, x + (1e-6 * abs(x) + 1e-6 if v.cat == "Continuous" and x > 0 else 0.0)
            # lexicographic in practice: the nearest sites with room, then current places kept in use and
            # no place added that nothing needs
            terms = self.access_terms()
            terms += [(v, -1e-3) for v in self.v_cin]
            terms += [
                (v, 1e-3 * u)
                for v, u in zip(self.v_ext, np.repeat(self.el["unit"].to_numpy(), self.P))
                if v.cat == "Continuous"
            ]
            self.m.set_objective(terms)
            polished = self.m.solve(replace(options or SolverOptions(), warm_start=False))
            if not polished.has_solution:
                log.warning("assignment polish failed (%s); keeping the solver's assignments", polished.status)
                return sol
            out = self.solution(polished)
        finally:
            for v, cat, lo, hi in saved:
                v.cat, v.lowBound, v.upBound = cat, lo, hi
            self._set_cost_objective()
        out.info, out.slacks, out.level_budget_yen = sol.info, sol.slacks, sol.level_budget_yen
        return out


def _set_init(v, x: float) -> None:
    lo = v.lowBound if v.lowBound is not None else -np.inf
    hi = v.upBound if v.upBound is not None else np.inf
    v.setInitialValue(float(min(max(x, lo), hi)))
