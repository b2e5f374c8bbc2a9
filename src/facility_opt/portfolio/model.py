"""The portfolio MILP, built in bulk from a :class:`PortfolioProblem` (formulation: docs/portfolio.md).

Variables (all indexed by position in the problem's canonical tables):

* ``open[s]`` (binary): site *s* is in use at the end of the horizon (existing: kept; candidate: built);
* ``place[e]`` (binary): service *k* is provided at site *s*, for each eligible pair *e = (k, s)*;
* ``ext[e]`` (>= 0): capacity added to *e* beyond its current capacity;
* ``fadd[s]`` (>= 0): floor area built at *s* (co-location, extension, new building);
* ``w[r]`` in [0, 1]: share of zone *z*'s demand for *k* served at *s*, only for pairs within the
  standard (the sparse support :meth:`PortfolioProblem.reach`);
* ``u[z, k]`` in [0, 1]: share left uncovered (min-share services; every service when relaxed).

Constraints: ``place <= open``; ``w <= place`` (strong linking); ``sum_s w + u = 1``; capacity
``sum_z demand * w <= cap0 * place + ext``; ``ext <= M * place``; floor ``sum_k floor0 * place +
sum_k need_k (1 - saving) ext <= floor0_site * open + fadd``, ``fadd`` within the site limit; policy
limits (closures, floor-area reduction, capital budget, incompatible services, locks).

Objective (million yen): horizon cost of every site (:meth:`PortfolioProblem.site_costs`, linear in
``open`` and ``fadd``) + access weight × population × km × ``w`` + tiny tie-breaks (a new placement
costs 1,000 yen, so idle placements never appear).  With ``relax=True`` every hard constraint group
gets a penalised slack and the objective becomes the sum of normalised slacks (diagnosis).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pulp

from ..solver import SolveInfo, SolverOptions, solve
from .problem import PortfolioProblem

__all__ = ["PortfolioModel", "Solution", "build_model", "SCALE"]

log = logging.getLogger(__name__)

#: objective unit: one million yen (keeps coefficients well scaled for the solver)
SCALE = 1e6
#: cost of a placement that is not current (yen): a deterministic tie-break against idle placements
NEW_PLACEMENT_YEN = 1_000.0
#: weight of an uncovered (zone, service) in the relaxed model, relative to other relaxations
COVERAGE_PENALTY = 1_000.0
#: price of an uncovered resident in the keep-everything baseline (million yen): far above any expansion
BASELINE_UNCOVERED_PENALTY = 1_000.0


@dataclass
class Solution:
    """Variable values of one solve, labelled by the problem's ids."""

    info: SolveInfo
    open: pd.Series  # site_id -> bool
    placements: pd.DataFrame  # service_id, site_id, current, place, capacity0, ext, capacity, floor0
    added_floor: pd.Series  # site_id -> m2
    assignments: pd.DataFrame  # zone_id, service_id, site_id, distance_m, population, demand, share
    uncovered: pd.DataFrame  # zone_id, service_id, population, demand, share
    slacks: dict[str, pd.DataFrame] = field(default_factory=dict)  # relaxed model only


class PortfolioModel:
    """A built MILP for one problem: ``build_model(problem)`` then :meth:`solve`.

    Parameters
    ----------
    problem : the instance.
    relax : add a penalised slack to every hard constraint group and minimise their sum
        (used by :mod:`facility_opt.portfolio.diagnose`).
    baseline : fix the keep-everything portfolio (every existing site open with its current
        services, nothing new) and drop the policy limits; coverage is relaxed so that a portfolio
        that misses the standards still gets a (reported) solution.
    """

    def __init__(self, problem: PortfolioProblem, relax: bool = False, baseline: bool = False) -> None:
        t0 = time.perf_counter()
        self.problem = problem
        self.relax = relax
        self.baseline = baseline
        self.prob = pulp.LpProblem("portfolio" + ("_relaxed" if relax else "_baseline" if baseline else ""),
                                   pulp.LpMinimize)
        self._index()
        self._variables()
        self._constraints()
        self._objective()
        self.access_constraint: pulp.LpConstraint | None = None
        self.build_seconds = time.perf_counter() - t0
        log.info("built %s: %d variables, %d constraints in %.2f s", self.prob.name, self.prob.numVariables(),
                 self.prob.numConstraints(), self.build_seconds)

    # ------------------------------------------------------------------ index
    def _index(self) -> None:
        p, pol = self.problem, self.problem.policy
        self.sites = p.sites
        self.site_pos = pd.Series(np.arange(len(p.sites)), index=p.sites["site_id"].to_numpy())
        self.existing = (p.sites["kind"] == "existing").to_numpy()
        el = p.eligible()
        if self.baseline:
            el = el[el["current"]].reset_index(drop=True)
        svc = p.services.set_index("service_id")
        el["s"] = self.site_pos.loc[el["site_id"]].to_numpy()
        el["need"] = el["service_id"].map(svc["floor_m2_per_unit"]).to_numpy() * (1 - pol.sharing_saving)
        reach = p.reach()
        reach = reach.merge(el[["service_id", "site_id"]].reset_index().rename(columns={"index": "e"}),
                            on=["service_id", "site_id"])
        reach = reach.sort_values(["service_id", "zone_id", "site_id"], kind="mergesort").reset_index(drop=True)
        # expansion bound: all demand within reach, capped by the per-site maximum capacity
        m = reach.groupby("e")["demand"].sum().reindex(range(len(el)), fill_value=0.0).to_numpy()
        maxcap = el["service_id"].map(svc["max_capacity_per_site"]).to_numpy()
        m = np.where(np.isfinite(maxcap), np.minimum(m, np.maximum(maxcap - el["capacity"].to_numpy(), 0.0)), m)
        frozen = el["service_id"].isin(pol.frozen_services) | el["site_id"].isin(pol.frozen_sites)
        can_grow = ~frozen & (~el["current"] | pol.allow_expansion) & (el["need"] >= 0)
        el["ext_ub"] = np.where(can_grow.to_numpy(), m, 0.0)
        self.el = el
        zk = p.demand.copy()
        mode = zk["service_id"].map(lambda k: p.coverage_rule(k)[0])
        zk["soft"] = (mode == "min_share").to_numpy() | self.relax | self.baseline
        zk = zk.reset_index(drop=True)
        self.zk = zk
        key = pd.MultiIndex.from_frame(zk[["zone_id", "service_id"]])
        reach["zk"] = key.get_indexer(pd.MultiIndex.from_frame(reach[["zone_id", "service_id"]]))
        self.reach = reach
        limit = p.site_floor_limit().to_numpy()
        room = limit - p.sites["floor_area_m2"].to_numpy()
        need_max = pd.Series(el["need"].to_numpy() * el["ext_ub"].to_numpy()).groupby(el["s"].to_numpy()).sum()
        need_max = need_max.reindex(range(len(p.sites)), fill_value=0.0).to_numpy()
        self.fadd_ub = np.minimum(np.where(np.isfinite(room), room, np.inf), need_max)
        self.fadd_ub = np.where(self.fadd_ub > 1e-9, self.fadd_ub, 0.0)
        self.room = room

    # ------------------------------------------------------------------ variables
    def _variables(self) -> None:
        prob = self.prob
        n_s, n_e, n_r = len(self.sites), len(self.el), len(self.reach)
        self.v_open = prob.add_variable_matrix("open", range(n_s), cat="Binary")
        self.v_place = prob.add_variable_matrix("place", range(n_e), cat="Binary")
        self.ext_idx = np.flatnonzero(self.el["ext_ub"].to_numpy() > 1e-9)
        self.v_ext = prob.add_variable_matrix("ext", range(len(self.ext_idx)), lowBound=0)
        for v, ub in zip(self.v_ext, self.el["ext_ub"].to_numpy()[self.ext_idx]):
            v.upBound = float(ub)
        self.fadd_idx = np.flatnonzero(self.fadd_ub > 0)
        self.v_fadd = prob.add_variable_matrix("fadd", range(len(self.fadd_idx)), lowBound=0)
        for v, ub in zip(self.v_fadd, self.fadd_ub[self.fadd_idx]):
            v.upBound = float(ub) if np.isfinite(ub) else None
        self.v_w = prob.add_variable_matrix("w", range(n_r), lowBound=0, upBound=1)
        self.u_idx = np.flatnonzero(self.zk["soft"].to_numpy())
        self.v_u = prob.add_variable_matrix("u", range(len(self.u_idx)), lowBound=0, upBound=1)
        self.slack: dict[str, tuple[np.ndarray, list]] = {}
        self._fix_locks()

    def _fix_locks(self) -> None:
        """Locks are variable bounds (penalised deviations when relaxed; fixed current plan in baseline)."""
        pol, el = self.problem.policy, self.el
        self.lock_targets: list[tuple[str, object, float, str]] = []  # (kind, var, target, label)
        if self.baseline:
            for i, v in enumerate(self.v_open):
                v.lowBound = v.upBound = 1.0 if self.existing[i] else 0.0
            for v in self.v_place:
                v.lowBound = v.upBound = 1.0  # baseline keeps only current placements
            return
        targets: list[tuple[object, float, str]] = []
        for s in pol.lock_open:
            targets.append((self.v_open[self.site_pos[s]], 1.0, f"lock_open:{s}"))
        for s in pol.lock_closed:
            targets.append((self.v_open[self.site_pos[s]], 0.0, f"lock_closed:{s}"))
        for s in pol.frozen_sites:
            targets.append((self.v_open[self.site_pos[s]], 1.0, f"frozen_sites:{s}"))
        frozen_e = el["current"] & (el["site_id"].isin(pol.frozen_sites) | el["service_id"].isin(pol.frozen_services))
        for e in np.flatnonzero(frozen_e.to_numpy()):
            k, s = el["service_id"].iat[e], el["site_id"].iat[e]
            why = "frozen_sites" if s in pol.frozen_sites else "frozen_services"
            targets.append((self.v_place[e], 1.0, f"{why}:{s if why == 'frozen_sites' else k}@{s}"))
        kept = el["current"] & el["service_id"].isin(pol.keep_services) & ~frozen_e
        for e in np.flatnonzero(kept.to_numpy()):
            k, s = el["service_id"].iat[e], el["site_id"].iat[e]
            targets.append((self.v_place[e], 1.0, f"keep_services:{k}@{s}"))
        self.lock_targets = targets
        if not self.relax:
            for v, t, _ in targets:
                v.lowBound = v.upBound = t

    # ------------------------------------------------------------------ constraints
    def _add_slack(self, group: str, labels: list[str], scale: np.ndarray) -> list:
        """Slack variables for one constraint group (relaxed model only), weighted by 1/scale."""
        vs = self.prob.add_variable_matrix(f"slack_{group}", range(len(labels)), lowBound=0)
        self.slack[group] = (np.asarray(labels, dtype=object), vs, np.asarray(scale, dtype=float))
        return vs

    def _constraints(self) -> None:
        prob, el, reach, zk, pol = self.prob, self.el, self.reach, self.zk, self.problem.policy
        vo, vp, vw = self.v_open, self.v_place, self.v_w
        es = el["s"].to_numpy()
        # place <= open
        for e in range(len(el)):
            prob += pulp.lpSum_vars_coefs([(vp[e], 1.0), (vo[es[e]], -1.0)]) <= 0
        # w <= place (strong linking)
        re = reach["e"].to_numpy()
        for r in range(len(reach)):
            prob += pulp.lpSum_vars_coefs([(vw[r], 1.0), (vp[re[r]], -1.0)]) <= 0
        # every (zone, service) assigned in full, or partly uncovered
        u_of = {int(i): self.v_u[j] for j, i in enumerate(self.u_idx)}
        rows_by_zk = _group_positions(reach["zk"].to_numpy(), len(zk))
        self.cover_rows = rows_by_zk
        for i in range(len(zk)):
            terms = [(vw[r], 1.0) for r in rows_by_zk[i]]
            if i in u_of:
                terms.append((u_of[i], 1.0))
            if terms:
                prob += pulp.lpSum_vars_coefs(terms) == 1
        # minimum covered share per min-share service
        if not self.baseline:
            shares = [(k, m) for k, m in pol.min_share.items()]
            if self.relax:
                sl = self._add_slack("min_share", [k for k, _ in shares], np.ones(len(shares)))
            for j, (k, m) in enumerate(shares):
                idx = [int(i) for i in np.flatnonzero((zk["service_id"] == k).to_numpy())]
                pop = zk["population"].to_numpy()
                total = float(sum(pop[i] for i in idx))
                if total <= 0:
                    continue
                terms = [(u_of[i], pop[i] / total) for i in idx if i in u_of]
                if self.relax:
                    terms.append((sl[j], -1.0))
                prob += pulp.lpSum_vars_coefs(terms) <= 1 - m
        # capacity: demand served <= current capacity (if kept) + added capacity
        ext_of = {int(e): self.v_ext[j] for j, e in enumerate(self.ext_idx)}
        dem = reach["demand"].to_numpy()
        rows_by_e = _group_positions(re, len(el))
        cap0 = el["capacity"].to_numpy()
        cap_rows = [e for e in range(len(el)) if len(rows_by_e[e]) and dem[rows_by_e[e]].sum() > 0]
        if self.relax:
            cs = self._add_slack("capacity", [f"{el['service_id'].iat[e]}@{el['site_id'].iat[e]}" for e in cap_rows],
                                 np.array([max(dem[rows_by_e[e]].sum(), 1.0) for e in cap_rows]))
        for j, e in enumerate(cap_rows):
            terms = [(vw[r], float(dem[r])) for r in rows_by_e[e] if dem[r] > 0]
            terms.append((vp[e], -float(cap0[e])))
            if e in ext_of:
                terms.append((ext_of[e], -1.0))
            if self.relax:
                terms.append((cs[j], -1.0))
            prob += pulp.lpSum_vars_coefs(terms) <= 0
        # added capacity only where the service is placed
        ext_ub = el["ext_ub"].to_numpy()
        for e, v in ext_of.items():
            prob += pulp.lpSum_vars_coefs([(v, 1.0), (vp[e], -float(ext_ub[e]))]) <= 0
        # floor area of each site that may grow
        fadd_of = {int(s): self.v_fadd[j] for j, s in enumerate(self.fadd_idx)}
        floor0 = el["floor_area_m2"].to_numpy()
        need = el["need"].to_numpy()
        area0 = self.sites["floor_area_m2"].to_numpy()
        e_by_s = _group_positions(es, len(self.sites))
        grow_sites = [s for s in range(len(self.sites)) if any(e in ext_of and need[e] > 0 for e in e_by_s[s])]
        if self.relax:
            fs = self._add_slack("floor", [self.sites["site_id"].iat[s] for s in grow_sites],
                                 np.array([max(area0[s], 100.0) for s in grow_sites]))
        for j, s in enumerate(grow_sites):
            terms = [(vp[e], float(floor0[e])) for e in e_by_s[s] if floor0[e] > 0]
            terms += [(ext_of[e], float(need[e])) for e in e_by_s[s] if e in ext_of and need[e] > 0]
            terms.append((vo[s], -float(area0[s])))
            if s in fadd_of:
                terms.append((fadd_of[s], -1.0))
            if self.relax:
                terms.append((fs[j], -1.0))
            prob += pulp.lpSum_vars_coefs(terms) <= 0
        if self.baseline:
            return
        # services that may not share a site (incompatible pairs; services that are not co-locatable)
        pairs = set()
        for a, b in pol.incompatible:
            pairs.add(tuple(sorted((a, b))))
        solo = set(self.problem.services.loc[~self.problem.services["co_locatable"], "service_id"])
        ks = el["service_id"].to_numpy()
        inc_rows = []
        for s in range(len(self.sites)):
            es_s = e_by_s[s]
            for i, e1 in enumerate(es_s):
                for e2 in es_s[i + 1:]:
                    a, b = sorted((ks[e1], ks[e2]))
                    if (a, b) in pairs or a in solo or b in solo:
                        inc_rows.append((e1, e2))
        if self.relax and inc_rows:
            isl = self._add_slack("incompatible", [f"{ks[a]}+{ks[b]}@{el['site_id'].iat[a]}" for a, b in inc_rows],
                                  np.ones(len(inc_rows)))
        for j, (e1, e2) in enumerate(inc_rows):
            terms = [(vp[e1], 1.0), (vp[e2], 1.0)]
            if self.relax:
                terms.append((isl[j], -1.0))
            prob += pulp.lpSum_vars_coefs(terms) <= 1
        ex = np.flatnonzero(self.existing)
        # most closures
        if pol.max_closures is not None:
            terms = [(vo[s], 1.0) for s in ex]
            if self.relax:
                terms.append((self._add_slack("max_closures", ["max_closures"], [1.0])[0], 1.0))
            prob += pulp.lpSum_vars_coefs(terms) >= len(ex) - pol.max_closures
        # floor-area reduction bounds (total floor = kept existing floor + floor built)
        base = float(area0[ex].sum())
        floor_terms = [(vo[s], float(area0[s])) for s in ex] + [(v, 1.0) for v in self.v_fadd]
        if pol.min_floor_reduction is not None:
            terms = list(floor_terms)
            if self.relax:
                terms.append((self._add_slack("min_floor_reduction", ["min_floor_reduction"], [base])[0], -1.0))
            prob += pulp.lpSum_vars_coefs(terms) <= (1 - pol.min_floor_reduction) * base
        if pol.max_floor_reduction is not None:
            terms = list(floor_terms)
            if self.relax:
                terms.append((self._add_slack("max_floor_reduction", ["max_floor_reduction"], [base])[0], 1.0))
            prob += pulp.lpSum_vars_coefs(terms) >= (1 - pol.max_floor_reduction) * base
        # capital budget: floor built + land bought
        if pol.capital_budget_yen is not None:
            cost1 = self.problem.site_costs(np.ones(len(self.sites), bool), np.zeros(len(self.sites)))
            build = self.sites["build_yen_per_m2"].to_numpy()
            terms = [(v, float(build[s]) / SCALE) for s, v in zip(self.fadd_idx, self.v_fadd)]
            terms += [(vo[s], float(cost1["land_yen"].iat[s]) / SCALE) for s in np.flatnonzero(~self.existing)
                      if cost1["land_yen"].iat[s] > 0]
            if self.relax:
                terms.append((self._add_slack("capital_budget", ["capital_budget"],
                                              [max(pol.capital_budget_yen / SCALE, 1.0)])[0], -1.0))
            prob += pulp.lpSum_vars_coefs(terms) <= pol.capital_budget_yen / SCALE
        if self.relax and self.lock_targets:
            labels = [lab for _, _, lab in self.lock_targets]
            ls = self._add_slack("locks", labels, np.ones(len(labels)))
            for (v, t, _), s_ in zip(self.lock_targets, ls):
                # |v - t| <= slack for a binary with target 0 or 1
                prob += pulp.lpSum_vars_coefs([(v, 1.0 if t == 0 else -1.0), (s_, -1.0)]) <= (0.0 if t == 0 else -1.0)

    # ------------------------------------------------------------------ objective
    def cost_terms(self) -> tuple[float, list]:
        """(constant, terms) of the horizon cost in million yen."""
        n = len(self.sites)
        closed = self.problem.site_costs(np.zeros(n, bool), np.zeros(n))["total_yen"].to_numpy()
        opened = self.problem.site_costs(np.ones(n, bool), np.zeros(n))["total_yen"].to_numpy()
        per_m2 = self.problem.site_costs(np.ones(n, bool), np.ones(n))["total_yen"].to_numpy() - opened
        const = float(closed.sum()) / SCALE
        terms = [(self.v_open[s], float(opened[s] - closed[s]) / SCALE) for s in range(n) if opened[s] != closed[s]]
        terms += [(v, float(per_m2[s]) / SCALE) for s, v in zip(self.fadd_idx, self.v_fadd)]
        cur = self.el["current"].to_numpy()
        terms += [(self.v_place[e], NEW_PLACEMENT_YEN / SCALE) for e in np.flatnonzero(~cur)]
        return const, terms

    def access_terms(self) -> list:
        """Population × km of every assignment (the access measure, person-km)."""
        pk = self.reach["population"].to_numpy() * self.reach["distance_m"].to_numpy() / 1000.0
        return [(self.v_w[r], float(pk[r])) for r in np.flatnonzero(pk > 0)]

    def _objective(self) -> None:
        if self.relax:
            terms = []
            for group, (labels, vs, scale) in self.slack.items():
                terms += [(v, 1.0 / sc) for v, sc in zip(vs, scale)]
            pop = self.zk["population"].to_numpy()
            terms += [(self.v_u[j], COVERAGE_PENALTY * (1.0 + float(np.log1p(pop[i]))))
                      for j, i in enumerate(self.u_idx)]
            self.cost_constant = 0.0
            self.prob += pulp.lpSum_vars_coefs(terms)
            return
        self.cost_constant = self.cost_terms()[0]
        self._objective_reset()

    # ------------------------------------------------------------------ solving
    def set_access_limit(self, person_km: float | None) -> None:
        """Add (or move) the epsilon constraint ``access <= person_km``; None removes the limit."""
        limit = 1e18 if person_km is None else float(person_km)
        if self.access_constraint is None:
            self.access_constraint = self.prob.addConstraint(pulp.lpSum_vars_coefs(self.access_terms()) <= limit,
                                                             name="access_limit")
        else:
            self.access_constraint.changeRHS(limit)

    def set_objective(self, cost: float = 1.0, access: float = 0.0) -> None:
        """Objective = cost × horizon cost + access × person-km (million-yen units for cost)."""
        const, terms = self.cost_terms()
        terms = [(v, c * cost) for v, c in terms] + [(v, c * access) for v, c in self.access_terms()]
        pop = self.zk["population"].to_numpy()
        terms += [(self.v_u[j], 1e-3 * pop[i]) for j, i in enumerate(self.u_idx)]
        self.prob.setObjective(pulp.lpSum_vars_coefs(terms) + const * cost)

    def polish(self, sol: Solution, options: SolverOptions | None = None) -> Solution:
        """Re-assign residents to the nearest sites with room, the decisions of ``sol`` held fixed.

        The decision model is indifferent between assignments of equal cost; this LP (open,
        placements, added capacity and floor fixed) minimises population-weighted distance, so that
        reported assignments and distances are the ones residents would use.  The solver report of
        ``sol`` (objective, bound, gap) is kept.
        """
        if not sol.info.has_solution:
            return sol
        groups = [(self.v_open, sol.open.reindex(self.sites["site_id"]).to_numpy(float)),
                  (self.v_place, sol.placements["place"].to_numpy(float))]
        ext = sol.placements["ext"].to_numpy(float)[self.ext_idx]
        fadd = sol.added_floor.reindex(self.sites["site_id"]).fillna(0.0).to_numpy(float)[self.fadd_idx]
        saved = [(v, v.lowBound, v.upBound) for vs, _ in groups for v in vs]
        saved += [(v, v.lowBound, v.upBound) for v in list(self.v_ext) + list(self.v_fadd)]
        try:
            for vs, x in groups:
                for v, xi in zip(vs, x):
                    v.lowBound = v.upBound = float(round(xi))
            for v, xi in zip(list(self.v_ext) + list(self.v_fadd), np.concatenate([ext, fadd])):
                v.lowBound, v.upBound = 0.0, float(xi) * (1 + 1e-6) + 1e-4
            pop = self.zk["population"].to_numpy()
            terms = self.access_terms() + [(self.v_u[j], 1e3 * max(pop[i], 1.0)) for j, i in enumerate(self.u_idx)]
            self.prob.setObjective(pulp.lpSum_vars_coefs(terms))
            polished = solve(self.prob, options or SolverOptions(), build_seconds=0.0)
            if not polished.has_solution:
                log.warning("assignment polish failed (%s); keeping the solver's assignments", polished.status)
                return sol
            out = self.solution(polished)
        finally:
            for v, lo, hi in saved:
                v.lowBound, v.upBound = lo, hi
            self._objective_reset()
        out.info = sol.info
        out.slacks = sol.slacks
        return out

    def _objective_reset(self) -> None:
        if self.relax:
            return
        const, terms = self.cost_terms()
        alpha = self.problem.policy.access_weight_yen_per_person_km / SCALE
        if alpha > 0:
            terms += [(v, c * alpha) for v, c in self.access_terms()]
        pop = self.zk["population"].to_numpy()
        pen = BASELINE_UNCOVERED_PENALTY if self.baseline else 1e-3
        terms += [(self.v_u[j], pen * max(pop[i], 1.0) if self.baseline else pen * pop[i])
                  for j, i in enumerate(self.u_idx)]
        self.prob.setObjective(pulp.lpSum_vars_coefs(terms) + const)

    def lp_and_fix(self, options: SolverOptions, time_limit: float) -> Solution | None:
        """A primal heuristic: solve the LP relaxation, fix the binaries it leaves at 0 or 1, and solve
        the much smaller restricted MIP for at most ``time_limit`` seconds.

        On Nerima the full MIP spends its first minute on root cuts before its heuristics find a
        good plan; this finds one in seconds and is handed to the full solve as a warm start.
        Returns None when the restricted MIP finds nothing (the full solve then starts cold).
        """
        binaries = list(self.v_open) + list(self.v_place)
        saved = [(v, v.lowBound, v.upBound) for v in binaries]
        try:
            for v in binaries:
                v.cat = "Continuous"
            lp = solve(self.prob, replace(options, warm_start=False, time_limit=time_limit))
            if not lp.has_solution:
                return None
            x = np.array([v.varValue or 0.0 for v in binaries])
            for v in binaries:
                v.cat = "Binary"
            for v, xi in zip(binaries, x):
                if xi <= 1e-6:
                    v.upBound = 0.0
                elif xi >= 1 - 1e-6:
                    v.lowBound = 1.0
            sub = solve(self.prob, replace(options, warm_start=False, time_limit=time_limit, gap_rel=1e-3))
            log.info("LP-and-fix: %d of %d binaries fractional at the LP; restricted MIP %s", int(
                ((x > 1e-6) & (x < 1 - 1e-6)).sum()), len(binaries), sub)
            return self.solution(sub) if sub.has_solution else None
        finally:
            for v, lo, hi in saved:
                v.cat = "Binary"
                v.lowBound, v.upBound = lo, hi

    def warm_start(self, sol: Solution) -> None:
        """Hand a solution (usually the keep-everything baseline) to the solver as its start."""
        o = sol.open.reindex(self.sites["site_id"]).fillna(False).to_numpy()
        for v, x in zip(self.v_open, o):
            _set_init(v, float(x))
        pk = sol.placements.set_index(["service_id", "site_id"])
        keys = pd.MultiIndex.from_frame(self.el[["service_id", "site_id"]])
        place = pk["place"].reindex(keys).fillna(0.0).to_numpy()
        ext = pk["ext"].reindex(keys).fillna(0.0).to_numpy()
        for v, x in zip(self.v_place, place):
            _set_init(v, float(x))
        for j, e in enumerate(self.ext_idx):
            _set_init(self.v_ext[j], float(ext[e]))
        fadd = sol.added_floor.reindex(self.sites["site_id"]).fillna(0.0).to_numpy()
        for j, s in enumerate(self.fadd_idx):
            _set_init(self.v_fadd[j], float(fadd[s]))
        a = sol.assignments.set_index(["zone_id", "service_id", "site_id"])["share"]
        rk = pd.MultiIndex.from_frame(self.reach[["zone_id", "service_id", "site_id"]])
        share = a.reindex(rk).fillna(0.0).to_numpy()
        for v, x in zip(self.v_w, share):
            _set_init(v, float(x))
        un = sol.uncovered.set_index(["zone_id", "service_id"])["share"]
        uk = pd.MultiIndex.from_frame(self.zk[["zone_id", "service_id"]])
        us = un.reindex(uk).fillna(0.0).to_numpy()
        for j, i in enumerate(self.u_idx):
            _set_init(self.v_u[j], float(us[i]))

    def solve(self, options: SolverOptions | None = None) -> Solution:
        """Solve and return the labelled :class:`Solution` (values are empty when there is none)."""
        info = solve(self.prob, options or SolverOptions(), build_seconds=self.build_seconds)
        return self.solution(info)

    def solution(self, info: SolveInfo) -> Solution:
        has = info.has_solution
        val = (lambda vs: np.array([v.varValue or 0.0 for v in vs], dtype=float)) if has else \
            (lambda vs: np.zeros(len(vs)))
        sid = self.sites["site_id"].to_numpy()
        is_open = pd.Series(np.round(val(self.v_open)) > 0.5, index=sid, name="open")
        el = self.el[["service_id", "site_id", "current", "capacity", "floor_area_m2"]].rename(
            columns={"capacity": "capacity0", "floor_area_m2": "floor0"}).copy()
        el["place"] = np.round(val(self.v_place))
        ext = np.zeros(len(el))
        ext[self.ext_idx] = np.maximum(val(self.v_ext), 0.0)
        el["ext"] = np.where(el["place"] > 0.5, ext, 0.0)
        el["capacity"] = el["place"] * el["capacity0"] + el["ext"]
        fadd = np.zeros(len(sid))
        fadd[self.fadd_idx] = np.maximum(val(self.v_fadd), 0.0)
        added = pd.Series(np.where(is_open.to_numpy(), fadd, 0.0), index=sid, name="added_floor_m2")
        a = self.reach[["zone_id", "service_id", "site_id", "distance_m", "population", "demand"]].copy()
        a["share"] = np.clip(val(self.v_w), 0.0, 1.0)
        a = a[a["share"] > 1e-7].reset_index(drop=True)
        u = self.zk[["zone_id", "service_id", "population", "demand"]].copy()
        us = np.zeros(len(u))
        us[self.u_idx] = np.clip(val(self.v_u), 0.0, 1.0)
        # zones with no site in reach are uncovered by construction
        no_reach = np.array([len(r) == 0 for r in self.cover_rows])
        us[no_reach] = 1.0
        u["share"] = us
        u = u[u["share"] > 1e-7].reset_index(drop=True)
        slacks = {}
        for group, (labels, vs, scale) in self.slack.items():
            x = val(vs)
            keep = x > 1e-6
            slacks[group] = pd.DataFrame({"label": labels[keep], "amount": x[keep]})
        return Solution(info=info, open=is_open, placements=el.reset_index(drop=True), added_floor=added,
                        assignments=a, uncovered=u, slacks=slacks)


def build_model(problem: PortfolioProblem, relax: bool = False, baseline: bool = False) -> PortfolioModel:
    """Build the portfolio MILP for ``problem`` (see :class:`PortfolioModel`)."""
    return PortfolioModel(problem, relax=relax, baseline=baseline)


def _set_init(v, x: float) -> None:
    lo = v.lowBound if v.lowBound is not None else -np.inf
    hi = v.upBound if v.upBound is not None else np.inf
    v.setInitialValue(float(min(max(x, lo), hi)))


def _group_positions(keys: np.ndarray, n: int) -> list[np.ndarray]:
    """Positions of each key 0..n-1 in ``keys`` (stable order)."""
    keys = np.asarray(keys, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(keys[order], np.arange(n + 1))
    return [order[bounds[i]:bounds[i + 1]] for i in range(n)]
