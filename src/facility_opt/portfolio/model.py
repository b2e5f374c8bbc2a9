"""The multi-year portfolio MILP, built in bulk from a :class:`PortfolioProblem` (docs/portfolio.md).

Time: periods ``p`` (:meth:`Policy.periods`) for the portfolio's state, years ``t`` for renewal
events and money.  Variables (blocks indexed ``item * P + p``):

* ``open[s,p]`` (binary): site *s* is in use in period *p*; existing sites close at most once and
  never reopen, candidates open at most once and stay open;
* ``place[e,p]`` (binary): service *k* is at site *s* (eligible pair *e*); a current placement
  leaves at most once, a new one arrives at most once;
* ``ext[e,p]`` (>= 0; integer units for services with a ``unit_size``): capacity added to *e*;
* ``gx[s,q]`` (>= 0): floor added at *s*, usable from period *q* (an extension, or a candidate's new
  building), built in the ``build_years`` before; ``ga[o]`` (>= 0): floor added at *s* by its
  rebuild option *o*, usable once the rebuild is complete;
* ``z[o]`` (binary): renewal event option *o* (a start year in the event's window, or deferral past
  the horizon) is chosen; ``drop[e,q]``: event *e* is never done because its site closes in *q*;
* ``w[r,p]`` in [0, 1]: share of zone *z*'s demand for *k* served at *s* in *p* (the sparse reach);
  ``u[z,k,p]``: share uncovered (min-share services; every service in the baseline);
* ``cum[r,p]`` (``nearest`` services): the share served at the zone's *j* nearest sites;
* ``dispose[d]`` (a freed site's option of :meth:`PortfolioProblem.disposal_table`) and
  ``dispose_year[d,p]`` (its yearly value while closed);
* ``operator[c,p]`` (binary) and ``commissioned[c,p]``: an eligible placement's operator change and
  its commissioned places (only with ``policy.operator_change``).

Constraint families (names used by the diagnosis and the checks): ``open_order``, ``place_open``,
``place_order``, ``ext_link``, ``assign_link``, ``cover``, ``capacity``, ``floor``, ``site_limit``,
``grow_open``, ``rebuild_add``, ``nearest_cum``, ``nearest``, ``anchor``, ``min_capacity``,
``event_one``, ``event_open``, ``event_drop``, ``event_order``, ``money``, ``min_share``,
``incompatible``, ``max_closures``, ``floor_reduction``, ``capital``, ``disposal_one``, ``disposal_year``,
``disposal_must``, ``reuse_max_sites``, ``operator_order``, ``operator_in_place``, ``operator_cap``, ``operator_link``,
``operator_full``, ``operator_per_period``, ``operator_total``, ``lead_coverage`` (added by the optimiser); the
reform plan's moves (:mod:`facility_opt.portfolio.reform`: ``gd`` floor not rebuilt, ``mg`` school mergers, ``cv``
floor converted) add ``downsize_link``, ``merge_order``, ``merge_window``, ``merge_close``, ``merge_one``,
``merge_lock``, ``merge_district``, ``conversion`` and ``hub``.

Objective (million yen): renewal options (capital + deferral risk + early work + bond interest +
preventive upkeep, from :func:`facility_opt.schedule.event_options`), temporary premises during
rebuilds, the risk of events dropped at closure, running costs of open floor, operating costs per
place in use (less the commissioned saving) and operator-change transitions, floor added, land
bought, minus land sold, leased or reused, plus the optional access term and tiny deterministic
tie-breaks.  :mod:`facility_opt.portfolio.economics` recomputes every cost from a plan's state,
independently of this module, and the check compares the two.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pulp

from ..milp import Milp, csr_groups, values
from ..renewal.schedule.options import event_options, event_risk, event_windows, order_rows
from ..solver import SolveInfo, SolverOptions
from .problem import PortfolioProblem
from .reform import ReformRows

__all__ = ["PortfolioModel", "Solution", "build_model", "SCALE", "EventPlan"]

log = logging.getLogger(__name__)

#: objective unit: one million yen (keeps coefficients well scaled for the solver)
SCALE = 1e6
#: cost of a new placement per year it exists (yen): a deterministic tie-break against idle or early moves
NEW_PLACEMENT_YEN = 1_000.0
#: cost of a place added per year it exists (yen), for services with an operating cost per place: a tie-break
#: that uses today's places before adding new ones when both cost the same to run
ADDED_PLACE_YEN = 1.0
#: floor tolerance (m²) of the floor rows: floors are given to 0.01 m², and current uses fill their building
FLOOR_TOL_M2 = 0.1
#: price of an uncovered demand unit (a place, a pupil) of a hard service per period (million yen): above
#: what a place can cost (a pupil's 12 m² rebuilt at 33万円/m² and run 30 years is under 10 M yen)
UNCOVERED_PER_UNIT = 20.0
#: ... and per resident of its target group per period (million yen), for services with little demand per resident
UNCOVERED_PER_RESIDENT = 0.5
#: price of a yen of baseline spend above the annual budget (million yen per million yen)
BASELINE_OVER_BUDGET_PENALTY = 100.0
#: ... and of a plan (a yen over costs a thousand): far above any saving, so no gap tolerance hides much
OVER_BUDGET_PENALTY = 1000.0


@dataclass
class EventPlan:
    """The prepared renewal events of a problem: windows, options and their money by year."""

    ev: pd.DataFrame  # one row per event: e, site_id, s, kind, due_year, spread_years, cost_yen, ...
    opt: pd.DataFrame  # one row per option: e, variant, due, year (last+1 = deferred), coef parts
    spend: np.ndarray  # options × years: capital spent
    need: np.ndarray  # options × years: what the budget is charged


def prepare_events(problem: PortfolioProblem) -> EventPlan:
    """Windows and options of every renewal event (the scheduler's rules, shared code)."""
    pol = problem.policy
    first, last = pol.start_year, pol.end_year - 1
    ev = problem.events.copy()
    spos = pd.Series(np.arange(len(problem.sites)), index=problem.sites["site_id"].to_numpy())
    ev["s"] = spos.reindex(ev["site_id"]).to_numpy(dtype=np.int64) if len(ev) else np.zeros(0, dtype=np.int64)
    ev["group"] = ev["s"]
    ev["building_id"] = ev["site_id"]
    ev["category"] = ev["site_id"].map(problem.sites.set_index("site_id")["category"])
    ev["e"] = np.arange(len(ev))
    H = pol.horizon_years
    if ev.empty:
        cols = ["e", "variant", "due", "year", "closed", "capital", "risk", "early", "interest", "pm_cost", "coef"]
        return EventPlan(ev.assign(earliest=0, latest=0, limit=np.nan, can_defer=True, pm=False),
                         pd.DataFrame(columns=cols), np.zeros((0, H)), np.zeros((0, H)))
    ev = event_windows(ev, pol.renewal, first, last, mode="min_budget" if pol.min_level_budget else "cap")
    opt, spend, need = event_options(ev, pol.renewal, first, last)
    return EventPlan(ev, opt, spend, need)


@dataclass
class Solution:
    """Variable values of one solve, labelled by the problem's ids (per period where they vary)."""

    info: SolveInfo
    open: pd.DataFrame  # site_id, p, open
    placements: pd.DataFrame  # service_id, site_id, p, current, place, capacity0, ext, in_use, capacity, floor0
    floor_added: pd.DataFrame  # site_id, p, year (first usable), added_m2, how, option, works_start, works_years
    events: pd.DataFrame  # one row per event: site_id, e, kind, due_year, status, year, variant, option
    assignments: pd.DataFrame  # zone_id, service_id, site_id, p, distance_m, population, demand, share
    uncovered: pd.DataFrame  # zone_id, service_id, p, population, demand, share
    level_budget_yen: float | None = None
    slacks: dict[str, list] = field(default_factory=dict)
    #: site_id, choice (sell, lease, reuse, hold), need_id: what each closed sellable site's land becomes
    disposals: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["site_id", "choice", "need_id"]))
    #: service_id, site_id, year: placements commissioned (operator change) from that year
    operators: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["service_id", "site_id", "year"]))
    mergers: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["rule", "service_id", "close", "into", "p", "year"]))  # school mergers made (first merged period)
    conversions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["site_id", "p", "year", "converted_m2"]))  # existing floor converted to a new use


class PortfolioModel(ReformRows):
    """A built multi-year MILP for one problem: ``build_model(problem)`` then :meth:`solve`.

    Parameters
    ----------
    problem : the instance.
    baseline : fix the keep-everything portfolio (every existing site open with its current
        services all along, nothing new) and drop the policy limits; coverage and the budget are
        priced instead of enforced, so that a portfolio that misses them still gets a (reported)
        solution.
    elastic : add a priced slack to every constraint family that can block a plan (diagnosis).
    """

    def __init__(self, problem: PortfolioProblem, baseline: bool = False, elastic: bool = False) -> None:
        t0 = time.perf_counter()
        self.problem = problem
        self.baseline = baseline
        self.elastic = elastic
        self.m = Milp("portfolio" + ("_baseline" if baseline else "_elastic" if elastic else ""), elastic=elastic)
        self._index()
        self._variables()
        self._constraints()
        self._set_cost_objective()
        self.access_constraint: pulp.LpConstraint | None = None
        self.build_seconds = time.perf_counter() - t0
        log.info("built %s: %d variables, %d constraints in %.2f s", self.m.prob.name, self.m.prob.numVariables(),
                 self.m.n_rows, self.build_seconds)

    @property
    def prob(self) -> pulp.LpProblem:
        return self.m.prob

    # ------------------------------------------------------------------ index
    def _index(self) -> None:
        p, pol = self.problem, self.problem.policy
        per = pol.periods()
        self.per = per
        self.P = P = len(per)
        self.pstart = per["start"].to_numpy()
        self.plen = (per["end"] - per["start"] + 1).to_numpy().astype(float)
        self.pfixed = per["fixed"].to_numpy()
        self.first, self.last, self.H = pol.start_year, pol.end_year - 1, pol.horizon_years
        sites = p.sites
        self.sites = sites
        self.S = len(sites)
        self.site_pos = pd.Series(np.arange(self.S), index=sites["site_id"].to_numpy())
        self.existing = sites["kind"].eq("existing").to_numpy()
        self.F = sites["floor_area_m2"].to_numpy(dtype=float) * self.existing
        self.limit = p.site_floor_limit().to_numpy()
        self.room = np.where(np.isfinite(self.limit), self.limit - self.F, np.inf)
        # construction must start in or after the first change year; until the first floor can be ready
        # (the lead time) the current buildings must do, and their shortfalls are the baseline's
        self.can_build = (self.pstart - pol.build_years >= pol.change_year) & ~self.pfixed
        self.lead = self.pstart < pol.change_year + pol.build_years
        avail = sites["available_from"].to_numpy()
        self.cand_ok = (self.pstart[None, :] >= avail[:, None]) & ~self.pfixed[None, :] & self.can_build[None, :]

        el = p.eligible()
        svc = p.services.set_index("service_id")
        if self.baseline:
            el = el[el["current"]].reset_index(drop=True)
        el["s"] = self.site_pos.reindex(el["site_id"]).to_numpy()
        unit = el["service_id"].map(svc["unit_size"]).to_numpy(dtype=float)
        el["unit"] = np.where(np.isfinite(unit), unit, 1.0)
        need = el["service_id"].map(svc["floor_m2_per_unit"]).to_numpy() * (1 - pol.sharing_saving)
        cap0 = el["capacity"].to_numpy()
        # floor per unit of current capacity in use (its share of the floor it uses now); capacity
        # added to a current placement needs at least as much per unit, so using what exists comes first
        el["f0u"] = np.where(cap0 > 0, el["floor_area_m2"].to_numpy() / np.where(cap0 > 0, cap0, 1.0), 0.0)
        el["need"] = np.where(el["current"], np.maximum(need, el["f0u"]), need) * el["unit"]
        self.el = el
        self.E = len(el)

        reach = p.reach()
        reach = reach.merge(el[["service_id", "site_id"]].reset_index().rename(columns={"index": "e"}),
                            on=["service_id", "site_id"])
        reach = reach.sort_values(["service_id", "zone_id"], kind="mergesort")  # keeps the nearest order
        # services with no demand (e.g. a ward-wide service kept as it is) need no assignment
        zk = p.demand.loc[p.demand["demand"] > 0, ["zone_id", "service_id"]].drop_duplicates().reset_index(drop=True)
        key = pd.MultiIndex.from_frame(zk)
        reach["zk"] = key.get_indexer(pd.MultiIndex.from_frame(reach[["zone_id", "service_id"]]))
        reach = reach[reach["zk"] >= 0]
        reach["rank"] = reach.groupby("zk", sort=False).cumcount()
        # district services need no assignment variables: a district's demand is met by its sites together
        is_dist = reach["service_id"].map(svc["rule"]).eq("district").to_numpy()
        self.dist_reach = reach[is_dist].reset_index(drop=True)
        self.reach = reach[~is_dist].reset_index(drop=True)
        self.R = len(self.reach)
        dp = p.demand_by_period()
        dp["zk"] = key.get_indexer(pd.MultiIndex.from_frame(dp[["zone_id", "service_id"]]))
        dp = dp[dp["zk"] >= 0]
        self.dem = np.zeros((len(zk), P))
        self.pop = np.zeros((len(zk), P))
        self.dem[dp["zk"].to_numpy(), dp["p"].to_numpy()] = dp["demand"].to_numpy()
        self.pop[dp["zk"].to_numpy(), dp["p"].to_numpy()] = dp["population"].to_numpy()
        zk["rule"] = zk["service_id"].map(svc["rule"])
        mode = zk["service_id"].map(lambda k: p.coverage_rule(k)[0])
        zk["soft"] = (mode == "min_share").to_numpy() | self.baseline
        self.zk = zk

        # capacity each placement may add (in units): all demand within reach, capped per site
        allr = pd.concat([self.reach, self.dist_reach], ignore_index=True)
        rd = self.dem[allr["zk"].to_numpy()].max(axis=1) if len(allr) else np.zeros(0)
        m = np.bincount(allr["e"].to_numpy(), weights=rd, minlength=self.E)
        m = m + self._reform_index()  # a merger's pupils may come to the receiving district's sites
        maxcap = el["service_id"].map(svc["max_capacity_per_site"]).to_numpy(dtype=float)
        maxunits = el["service_id"].map(svc["max_units_per_site"]).to_numpy(dtype=float) * el["unit"].to_numpy()
        maxcap = np.fmin(maxcap, maxunits)
        cap0 = el["capacity"].to_numpy()
        m = np.where(np.isfinite(maxcap), np.minimum(m, np.maximum(maxcap - cap0, 0.0)), m)
        frozen = el["service_id"].isin(pol.frozen_services) | el["site_id"].isin(pol.frozen_sites)
        can_grow = ~frozen & (~el["current"] | pol.allow_expansion)
        units = m / el["unit"].to_numpy()
        whole = np.ceil(units - 1e-9)  # enough whole units for all the demand in reach, within the per-site maximum
        if np.isfinite(maxcap).any():
            whole = np.where(np.isfinite(maxcap), np.minimum(whole, np.floor(np.maximum(maxcap - cap0, 0.0)
                                                                                / el["unit"].to_numpy() + 1e-9)), whole)
        units = np.where(el["unit"] > 1, whole, units)
        self.ext_ub = np.where(can_grow.to_numpy(), units, 0.0)
        self.is_unit = el["unit"].to_numpy() > 1

        self._index_economics()
        self.events = prepare_events(p)
        ev, opt = self.events.ev, self.events.opt
        self.n_opt = len(opt)
        if self.n_opt:
            E_ = ev.set_index("e")
            oe = opt["e"].to_numpy()
            self.opt_s = E_["s"].to_numpy()[oe]
            self.opt_year = opt["year"].to_numpy()
            spread = E_["spread_years"].to_numpy()[oe]
            self.opt_spread = spread
            is_reb = (E_["kind"].to_numpy() == "rebuild")[oe] & (self.opt_year <= self.last)
            done = self.opt_year + spread  # first year the rebuilt building is usable
            self.opt_avail = np.searchsorted(self.pstart, done, side="left")  # first period starting at/after it
            self.rebuild_opts = np.flatnonzero(is_reb & (self.opt_avail < P))
        else:
            self.opt_s = self.opt_year = self.opt_spread = self.opt_avail = np.zeros(0, dtype=np.int64)
            self.rebuild_opts = np.zeros(0, dtype=np.int64)

    # ------------------------------------------------------------------ variables
    def _variables(self) -> None:
        m, P, pol = self.m, self.P, self.problem.policy
        S, E, R = self.S, self.E, self.R
        self.v_open = m.block("open", S * P, cat="Binary")
        self.v_place = m.block("place", E * P, cat="Binary")
        self.v_ext = m.block("ext", E * P)
        for i in np.flatnonzero(np.repeat(self.is_unit, P)):
            self.v_ext[i].cat = "Integer"
        self.cur_idx = np.flatnonzero(self.el["current"].to_numpy() & (self.el["capacity"].to_numpy() > 0))
        self.v_cin = m.block("cin", len(self.cur_idx) * P)
        self.v_w = m.block("w", R * P, up=1.0)
        # uncovered shares: free (a tiny price) for min-share services; priced far above any cost of
        # covering for hard ones, so that every plan, keeping everything included, is a solution and the
        # solver always has one; the independent check rejects any share left uncovered once new floor
        # can be ready (the lead-time shortfall of the current portfolio is reported as a baseline issue)
        self.soft_idx = np.arange(len(self.zk))
        self.v_u = m.block("u", len(self.soft_idx) * P, up=1.0)
        self.near_idx = np.flatnonzero((self.reach["zk"].map(self.zk["rule"]) == "nearest").to_numpy())
        self.v_cum = m.block("cum", len(self.near_idx) * P, up=1.0)
        self.v_gx = m.block("gx", S * P)
        self.v_ga = m.block("ga", len(self.rebuild_opts))
        self.v_z = m.block("z", self.n_opt, cat="Binary")
        ev = self.events.ev
        # drop options: event e of site s dropped when s closes in period q (not fixed) before the event
        # must start (any closure for an event that may run past the horizon)
        drops = []
        for r in ev.itertuples(index=False):
            if not self.existing[r.s]:
                continue
            for q in np.flatnonzero(~self.pfixed & (r.can_defer | (self.pstart <= r.latest + 1))):
                drops.append((r.e, int(q)))
        self.drops = np.array(drops, dtype=np.int64).reshape(-1, 2)
        self.v_drop = m.block("drop", len(self.drops), up=1.0)
        self.v_level = m.block("level_budget", 1) if (pol.min_level_budget and not self.baseline) else None
        fund = pol.renewal.fund
        self.v_fund = m.block("fund", self.H, low=fund.min_balance_yen / SCALE) if (fund and self._has_budget()) else None
        # spend above an annual cap: priced (BASELINE_/OVER_BUDGET_PENALTY), so that every plan, keeping
        # everything included, is a solution to start from; the independent check rejects any year over
        capped = self.problem.policy.budget is not None and not self.elastic
        self.v_over = m.block("over_budget", self.H) if (self._has_budget() and (self.baseline or capped)) else None
        self._economics_variables()
        self._reform_variables()
        self._bounds()

    def _has_budget(self) -> bool:
        pol = self.problem.policy
        return pol.budget is not None or (pol.min_level_budget and not self.baseline)

    def _bounds(self) -> None:
        """Fixed periods, candidates' availability, locks, frozen placements and growth limits."""
        P, pol, el = self.P, self.problem.policy, self.el
        o_lo = np.zeros((self.S, P))
        o_hi = np.ones((self.S, P))
        ex = self.existing
        o_lo[np.ix_(ex, self.pfixed)] = 1.0
        o_hi[~ex] = self.cand_ok[~ex]
        x_lo = np.zeros((self.E, P))
        x_hi = np.ones((self.E, P))
        cur = el["current"].to_numpy()
        x_lo[np.ix_(cur, self.pfixed)] = 1.0
        x_hi[np.ix_(~cur, self.pfixed)] = 0.0
        self.locks: list[tuple[str, np.ndarray, float]] = []  # (label, variables, target)
        sp = self.site_pos
        if self.baseline:
            o_lo[ex], o_hi[ex], o_hi[~ex] = 1.0, 1.0, 0.0
            x_lo[:], x_hi[:] = 1.0, 1.0
        else:
            for s in [s for s in pol.lock_open if s not in self.merge_released] + pol.frozen_sites:
                self.locks.append((f"lock_open:{s}", self._o(sp[s]), 1.0))
            for s in pol.lock_closed:
                self.locks.append((f"lock_closed:{s}", self._o(sp[s])[~self.pfixed], 0.0))
            frozen_e = el["current"] & (el["site_id"].isin(pol.frozen_sites) | el["service_id"].isin(pol.frozen_services))
            kept = (el["current"] & el["service_id"].isin(pol.keep_services) & ~frozen_e
                    & ~el["site_id"].isin(self.merge_released))  # until their merger: merge_lock
            for e in np.flatnonzero((frozen_e | kept).to_numpy()):
                why = "frozen" if frozen_e.iat[e] else "keep_services"
                self.locks.append((f"{why}:{el['service_id'].iat[e]}@{el['site_id'].iat[e]}", self._x(e), 1.0))
        Milp.set_bounds(self.v_open, np.maximum(o_lo, 0).ravel(), o_hi.ravel())
        Milp.set_bounds(self.v_place, x_lo.ravel(), x_hi.ravel())
        if not self.elastic:
            for _, vs, t in self.locks:
                for v in vs:
                    v.lowBound = v.upBound = t
        ext_hi = np.repeat(self.ext_ub, P)
        Milp.set_bounds(self.v_ext, up=ext_hi)
        gx_hi = np.where(self.can_build[None, :], np.minimum(self.room, 1e7)[:, None], 0.0)
        gx_hi[~self.existing] = np.where(self.cand_ok[~self.existing], gx_hi[~self.existing], 0.0)
        if self.baseline:
            gx_hi[~self.existing] = 0.0
        if pol.frozen_sites:
            gx_hi[self.site_pos.reindex(pol.frozen_sites).to_numpy()] = 0.0
        Milp.set_bounds(self.v_gx, up=gx_hi.ravel())
        if len(self.rebuild_opts):
            Milp.set_bounds(self.v_ga, up=np.minimum(self.room[self.opt_s[self.rebuild_opts]], 1e7))
        # assignments only where the zone has demand in the period
        has = (self.pop > 0) | (self.dem > 0)
        w_hi = has[self.reach["zk"].to_numpy()].astype(float)
        Milp.set_bounds(self.v_w, up=w_hi.ravel())
        u_hi = has.astype(float)
        if not self.baseline:  # hard services: covered once new floor can be ready (a price alone loses to a
            # land sale in the last period, and an impossible policy must be diagnosed, not priced)
            u_hi[np.ix_(~self.zk["soft"].to_numpy(), ~self.lead)] = 0.0
        Milp.set_bounds(self.v_u, up=u_hi.ravel())
        cap_now = self.el["capacity"].to_numpy()[self.cur_idx]
        Milp.set_bounds(self.v_cin, up=np.repeat(cap_now, P))
        if self.baseline:  # keeping everything keeps today's places where they have an operating cost per place
            Milp.set_bounds(self.v_cin, low=np.repeat(np.where(self.op_rate[self.cur_idx] > 0, cap_now, 0.0), P))

    def _o(self, s) -> np.ndarray:
        return self.v_open[s * self.P:(s + 1) * self.P]

    def _x(self, e) -> np.ndarray:
        return self.v_place[e * self.P:(e + 1) * self.P]

    # ------------------------------------------------------------------ constraints
    def _constraints(self) -> None:
        self._state_rows()
        self._assignment_rows()
        self._floor_rows()
        self._event_rows()
        self._money_rows()
        if not self.baseline:
            self._policy_rows()
        self._disposal_rows()
        self._operator_rows()
        self._reform_rows()

    def _pairs(self, family: str, a: np.ndarray, ca: float, b: np.ndarray, cb: float, sense: str, rhs=0.0,
               labels=None, penalty=None) -> None:
        """Rows ``ca·a[i] + cb·b[i] (sense) rhs`` for aligned variable arrays (one row each)."""
        n = len(a)
        if n == 0:
            return
        rows = np.r_[np.arange(n), np.arange(n)]
        coefs = np.r_[np.broadcast_to(np.asarray(ca, dtype=float), (n,)), np.broadcast_to(np.asarray(cb, dtype=float), (n,))]
        self.m.add(family, rows, np.r_[a, b], coefs, sense, rhs, n_rows=n, labels=labels, penalty=penalty)

    def _state_rows(self) -> None:
        P, S, E = self.P, self.S, self.E
        o = self.v_open.reshape(S, P)
        x = self.v_place.reshape(E, P)
        if P > 1:
            ex = self.existing
            a = np.r_[o[ex, 1:].ravel(), o[~ex, :-1].ravel()]
            b = np.r_[o[ex, :-1].ravel(), o[~ex, 1:].ravel()]
            self._pairs("open_order", a, 1.0, b, -1.0, "<=")
            cur = self.el["current"].to_numpy()
            a = np.r_[x[cur, 1:].ravel(), x[~cur, :-1].ravel()]
            b = np.r_[x[cur, :-1].ravel(), x[~cur, 1:].ravel()]
            self._pairs("place_order", a, 1.0, b, -1.0, "<=")
        es = self.el["s"].to_numpy()
        self._pairs("place_open", x.ravel(), 1.0, o[es].ravel(), -1.0, "<=")
        ext = self.v_ext.reshape(E, P)
        grow = np.flatnonzero(self.ext_ub > 0)
        self._pairs("ext_link", ext[grow].ravel(), 1.0, x[grow].ravel(), -np.repeat(self.ext_ub[grow], P), "<=")
        ci = self.cur_idx
        self._pairs("in_use_link", self.v_cin, 1.0, x[ci].ravel(), -np.repeat(self.el["capacity"].to_numpy()[ci], P),
                    "<=")

    def _assignment_rows(self) -> None:
        P, R, m = self.P, self.R, self.m
        reach, zk = self.reach, self.zk
        w = self.v_w.reshape(R, P)
        x = self.v_place.reshape(self.E, P)
        re = reach["e"].to_numpy()
        rzk = reach["zk"].to_numpy()
        has = (self.pop > 0) | (self.dem > 0)
        live = has[rzk]  # (R, P)
        ri, pi = np.nonzero(live)
        # no w <= place rows: the capacity rows already forbid serving at a site that provides nothing
        # (the strong links make the LP several times slower on Nerima for little bound)
        # cover: sum_s w + u = 1 for every (zone, service, period) with demand (district services: _district_rows)
        nzk = len(zk)
        zi, zp = np.nonzero(has & (zk["rule"] != "district").to_numpy()[:, None])
        row_of = -np.ones((nzk, P), dtype=np.int64)
        row_of[zi, zp] = np.arange(len(zi))
        rows = row_of[rzk[ri], pi]
        vars_ = w[ri, pi]
        coefs = np.ones(len(ri))
        u = self.v_u.reshape(len(self.soft_idx), P)
        if len(self.soft_idx):
            sp = np.repeat(self.soft_idx, P)
            pp = np.tile(np.arange(P), len(self.soft_idx))
            ok = has[sp, pp] & (row_of[sp, pp] >= 0)
            rows = np.r_[rows, row_of[sp[ok], pp[ok]]]
            vars_ = np.r_[vars_, u.ravel()[ok]]
            coefs = np.r_[coefs, np.ones(ok.sum())]
        labels = [f"{a}/{b}@p{c}" for a, b, c in zip(zk["zone_id"].to_numpy()[zi], zk["service_id"].to_numpy()[zi], zp)]
        pen = 1e4 * (1.0 + np.log1p(self.pop[zi, zp]))
        m.add("cover", rows, vars_, coefs, "==", 1.0, n_rows=len(zi), labels=labels, penalty=pen)
        # capacity: demand served <= capacity0 * place + unit * ext
        el = self.el
        d = self.dem[rzk[ri], pi]
        cap_row = re[ri] * P + pi
        ok = d > 0
        used = np.unique(cap_row[ok])
        row_id = np.searchsorted(used, cap_row[ok])
        ue, up_ = used // P, used % P
        ext_flat = self.v_ext
        unit = el["unit"].to_numpy()
        cin = self._cin_of(used)
        has_cin = np.array([c is not None for c in cin], dtype=bool)
        rows = np.r_[row_id, np.arange(len(used)), np.flatnonzero(has_cin)]
        vars_ = np.r_[w[ri[ok], pi[ok]], ext_flat[used], cin[has_cin]]
        coefs = np.r_[d[ok], -unit[ue], -np.ones(has_cin.sum())]
        labels = [f"{k}@{s}@p{q}" for k, s, q in zip(el["service_id"].to_numpy()[ue], el["site_id"].to_numpy()[ue], up_)]
        pen = 100.0 / np.maximum(np.bincount(row_id, weights=d[ok], minlength=len(used)), 1.0)
        m.add("capacity", rows, vars_, coefs, "<=", 0.0, n_rows=len(used), labels=labels, penalty=pen)
        # nearest: cum_j = cum_{j-1} + w_j along the zone's sites by distance; place_j <= cum_j
        if len(self.near_idx):
            ni = self.near_idx
            cum = self.v_cum.reshape(len(ni), P)
            first_of_zone = reach["rank"].to_numpy()[ni] == 0
            n = len(ni)
            rows_a, vars_a, coefs_a = [], [], []
            for q in range(P):
                base = q * n
                rid = base + np.arange(n)
                rows_a += [rid, rid]
                vars_a += [cum[:, q], w[ni, q]]
                coefs_a += [np.ones(n), -np.ones(n)]
                prev = np.flatnonzero(~first_of_zone)
                rows_a.append(base + prev)
                vars_a.append(cum[prev - 1, q])
                coefs_a.append(-np.ones(len(prev)))
            m.add("nearest_cum", np.concatenate(rows_a), np.concatenate(vars_a), np.concatenate(coefs_a), "==", 0.0,
                  n_rows=n * P)
            live_n = live[ni]
            ii, qq = np.nonzero(live_n)
            uu = self.v_u.reshape(len(self.zk), P)[rzk[ni[ii]], qq]  # an uncovered share is exempt
            n_ = len(ii)
            self.m.add("nearest", np.r_[np.arange(n_), np.arange(n_), np.arange(n_)],
                       np.r_[x[re[ni[ii]], qq], cum[ii, qq], uu], np.r_[np.ones(n_), -np.ones(n_), -np.ones(n_)],
                       "<=", 0.0, n_rows=n_, penalty=10.0,
                       labels=[f"{a}/{b}->{c}@p{q}" for a, b, c, q in zip(reach["zone_id"].to_numpy()[ni[ii]],
                                                                         reach["service_id"].to_numpy()[ni[ii]],
                                                                         reach["site_id"].to_numpy()[ni[ii]], qq)])
        self._district_rows()
        # a district service stays at its anchor while the anchor is open (a club stays in its school)
        keep = self._anchor_placements()
        if len(keep) and not self.baseline:
            o = self.v_open.reshape(self.S, P)
            es = el["s"].to_numpy()
            self._pairs("anchor", x[keep].ravel(), 1.0, o[es[keep]].ravel(), -1.0, ">=", penalty=10.0,
                        labels=[f"{el['service_id'].iat[e]}@{el['site_id'].iat[e]}@p{q}" for e in keep for q in range(P)])

    def _district_rows(self) -> None:
        """A district's demand (less what is left uncovered) within the capacity of its sites, per period."""
        dr = self.dist_reach
        if dr.empty:
            return
        P, el = self.P, self.el
        zd_rows = []
        for k in dr["service_id"].unique():
            zd, _ = self.problem.district_tables(k)
            zz = self.zk[self.zk["service_id"] == k]
            zd_rows.append(pd.DataFrame({"zk": zz.index.to_numpy(), "service_id": k,
                                         "district": zz["zone_id"].map(zd).to_numpy()}))
        zdist = pd.concat(zd_rows, ignore_index=True).dropna(subset=["district"])
        # the district of each district placement: the district of the zones that reach it
        ed = dr.merge(zdist, on=["zk", "service_id"])[["service_id", "district", "e"]].drop_duplicates()
        groups = pd.concat([zdist[["service_id", "district"]], ed[["service_id", "district"]]]).drop_duplicates()
        groups = groups.sort_values(["service_id", "district"], kind="mergesort").reset_index(drop=True)
        gid = pd.MultiIndex.from_frame(groups)
        zg = gid.get_indexer(pd.MultiIndex.from_frame(zdist[["service_id", "district"]]))
        eg = gid.get_indexer(pd.MultiIndex.from_frame(ed[["service_id", "district"]]))
        u = self.v_u.reshape(len(self.zk), P)
        ext = self.v_ext.reshape(self.E, P)
        cin_pos = -np.ones(self.E, dtype=np.int64)
        cin_pos[self.cur_idx] = np.arange(len(self.cur_idx))
        cin = self.v_cin.reshape(max(len(self.cur_idx), 1), P) if len(self.cur_idx) else None
        G = len(groups)
        rows, vars_, coefs = [], [], []
        rhs = np.zeros(G * P)
        zk_arr = zdist["zk"].to_numpy()
        e_arr = ed["e"].to_numpy()
        unit = el["unit"].to_numpy()
        for q in range(P):
            d = self.dem[zk_arr, q]
            rows.append(zg * P + q); vars_.append(u[zk_arr, q]); coefs.append(-d)
            np.add.at(rhs, zg * P + q, -d)
            rows.append(eg * P + q); vars_.append(ext[e_arr, q]); coefs.append(-unit[e_arr])
            has = cin_pos[e_arr] >= 0
            rows.append(eg[has] * P + q); vars_.append(cin[cin_pos[e_arr[has]], q]); coefs.append(-np.ones(has.sum()))
        r_, v_, c_ = self._merge_district_terms(groups)
        rows.append(r_); vars_.append(v_); coefs.append(c_)
        labels = [f"{k}@{d}@p{q}" for k, d in zip(groups["service_id"], groups["district"]) for q in range(P)]
        self.m.add("district", np.concatenate(rows), np.concatenate(vars_), np.concatenate(coefs), "<=", rhs,
                   n_rows=G * P, labels=labels, penalty=1.0)
        self.district_groups = groups

    def _cin_of(self, flat: np.ndarray) -> np.ndarray:
        """The capacity-in-use variable of each (placement, period) index ``e * P + p`` (None where the
        placement has no current capacity)."""
        P = self.P
        pos = -np.ones(self.E, dtype=np.int64)
        pos[self.cur_idx] = np.arange(len(self.cur_idx))
        e, q = flat // P, flat % P
        out = np.empty(len(flat), dtype=object)
        ok = pos[e] >= 0
        out[ok] = self.v_cin[pos[e[ok]] * P + q[ok]]
        return np.where(ok, out, None)

    def _anchor_placements(self) -> np.ndarray:
        """Current placements of ``anchor_keeps`` district services at their own district's anchor."""
        p, el = self.problem, self.el
        out = []
        svc = p.services.set_index("service_id")
        for k in svc.index[(svc["rule"] == "district") & svc["anchor_keeps"]]:
            _, sd = p.district_tables(k)
            sel = (el["service_id"] == k) & el["current"] & (el["site_id"].map(sd) == el["site_id"])
            out += list(np.flatnonzero(sel.to_numpy()))
        return np.array(sorted(out), dtype=np.int64)

    def _floor_rows(self) -> None:
        """Services' floor within the site's floor; added floor within the site limit, on open sites."""
        P, S, el, m = self.P, self.S, self.el, self.m
        x = self.v_place.reshape(self.E, P)
        ext = self.v_ext.reshape(self.E, P)
        o = self.v_open.reshape(S, P)
        gx = self.v_gx.reshape(S, P)
        es = el["s"].to_numpy()
        floor0 = el["floor_area_m2"].to_numpy()
        need = el["need"].to_numpy()
        rows, vars_, coefs = [], [], []
        row = lambda s, q: s * P + q  # noqa: E731
        cap0 = el["capacity"].to_numpy()
        f0u = el["f0u"].to_numpy()
        ci = self.cur_idx
        cin = self.v_cin.reshape(len(ci), P)
        for q in range(P):
            e_ok = (floor0 > 0) & (cap0 <= 0)
            rows.append(row(es[e_ok], q)); vars_.append(x[e_ok, q]); coefs.append(floor0[e_ok])
            rows.append(row(es[ci], q)); vars_.append(cin[:, q]); coefs.append(f0u[ci])
            g_ok = (self.ext_ub > 0) & (need > 0)
            rows.append(row(es[g_ok], q)); vars_.append(ext[g_ok, q]); coefs.append(need[g_ok])
            rows.append(row(np.arange(S), q)); vars_.append(o[:, q]); coefs.append(-self.F)
            for qq in range(q + 1):
                rows.append(row(np.arange(S), q)); vars_.append(gx[:, qq]); coefs.append(-np.ones(S))
            ro = self.rebuild_opts
            done = self.opt_avail[ro] <= q
            rows.append(row(self.opt_s[ro][done], q)); vars_.append(self.v_ga[done]); coefs.append(-np.ones(done.sum()))
            r_, v_, c_ = self._reform_floor_terms(q)
            rows.append(r_); vars_.append(v_); coefs.append(c_)
        labels = [f"{sid}@p{q}" for sid in self.sites["site_id"] for q in range(P)]
        # a tenth of a square metre of tolerance: floors are given to 0.01 m2 and current uses fill their building
        m.add("floor", np.concatenate(rows), np.concatenate(vars_), np.concatenate(coefs), "<=", FLOOR_TOL_M2, n_rows=S * P,
              labels=labels, penalty=1.0 / np.repeat(np.maximum(self.F, 100.0), P))
        # added floor within the site limit; on a site that then stays open (existing) / is open (candidates)
        ro = self.rebuild_opts
        lim_rows = np.r_[np.repeat(np.arange(S), P), self.opt_s[ro]]
        lim_vars = np.r_[self.v_gx, self.v_ga]
        finite = np.isfinite(self.room)
        room = np.where(finite, self.room, 0.0)
        sel = finite[lim_rows]
        m.add("site_limit", lim_rows[sel], lim_vars[sel], 1.0, "<=", room, n_rows=S,
              labels=list(self.sites["site_id"]))
        big = np.where(finite, np.maximum(room, 0.0), 1e6)
        ex = np.flatnonzero(self.existing)
        rows = np.r_[lim_rows, np.arange(S)]
        vars_ = np.r_[lim_vars, o[:, P - 1]]
        coefs = np.r_[np.ones(len(lim_rows)), -big]
        keep = np.isin(rows, ex)
        m.add("grow_open", rows[keep], vars_[keep], coefs[keep], "<=", 0.0, n_rows=S)
        cand = np.flatnonzero(~self.existing)
        if len(cand):
            self._pairs("grow_open_new", gx[cand].ravel(), 1.0, o[cand].ravel(), -np.repeat(big[cand], P), "<=")
        if len(ro):
            z = self.v_z[ro]
            self._pairs("rebuild_add", self.v_ga, 1.0, z, -big[self.opt_s[ro]], "<=")

    def _event_rows(self) -> None:
        """One option per event (or dropped at its site's closure); work only on open sites; order."""
        if not self.n_opt:
            return
        P, m = self.P, self.m
        ev, opt = self.events.ev, self.events.opt
        o = self.v_open.reshape(self.S, P)
        oe = opt["e"].to_numpy()
        n_e = len(ev)
        rows = np.r_[oe, self.drops[:, 0]]
        vars_ = np.r_[self.v_z, self.v_drop]
        labels = [f"{r.site_id}:{r.kind}@{r.due_year}" for r in ev.itertuples(index=False)]
        m.add("event_one", rows, vars_, 1.0, "==", 1.0, n_rows=n_e, labels=labels)
        for i in np.flatnonzero(opt["closed"].to_numpy()):
            self.v_z[i].upBound = 0.0
        # an option needs its site open in its start year (deferred: open at the end)
        yr = self.opt_year
        per = np.where(yr <= self.last, np.searchsorted(self.pstart, yr, side="right") - 1, P - 1)
        self._pairs("event_open", self.v_z, 1.0, o[self.opt_s, per], -1.0, "<=")
        # a drop in q needs the site to close in q: drop <= open[q-1] - open[q]
        if len(self.drops):
            s_of = ev.set_index("e")["s"].to_numpy()[self.drops[:, 0]]
            q = self.drops[:, 1]
            n = len(q)
            has_prev = q > 0
            rows = np.r_[np.arange(n), np.arange(n), np.flatnonzero(has_prev)]
            vars_ = np.r_[self.v_drop, o[s_of, q], o[s_of[has_prev], q[has_prev] - 1]]
            coefs = np.r_[np.ones(n), np.ones(n), -np.ones(has_prev.sum())]
            m.add("event_drop", rows, vars_, coefs, "<=", np.where(has_prev, 0.0, 1.0), n_rows=n)
        orows = order_rows(ev, opt, self.last)
        if orows:
            rr = np.concatenate([np.full(len(p_) + len(m_), i) for i, (_, p_, m_) in enumerate(orows)])
            vv = np.concatenate([np.r_[self.v_z[p_], self.v_z[m_]] for _, p_, m_ in orows])
            cc = np.concatenate([np.r_[np.ones(len(p_)), -np.ones(len(m_))] for _, p_, m_ in orows])
            m.add("event_order", rr, vv, cc, "<=", 0.0, n_rows=len(orows), labels=[n for n, _, _ in orows])

    def capital_by_year(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, variables, coefficients in million yen) of each year's charge to the budget:
        renewal options (as the scheduler charges them), floor added and land bought."""
        pol, P, H = self.problem.policy, self.P, self.H
        rows, vars_, coefs = [], [], []
        need = self.events.need / SCALE
        oi, ti = np.nonzero(need)
        rows.append(ti); vars_.append(self.v_z[oi]); coefs.append(need[oi, ti])
        build = self.sites["build_yen_per_m2"].to_numpy() / SCALE
        ro = self.rebuild_opts
        for k in range(int(self.opt_spread[ro].max()) if len(ro) else 0):
            sel = k < self.opt_spread[ro]
            t = self.opt_year[ro][sel] + k - self.first
            ok = (t >= 0) & (t < H)
            j = np.flatnonzero(sel)[ok]
            rows.append(t[ok]); vars_.append(self.v_ga[j])
            coefs.append(build[self.opt_s[ro][j]] / self.opt_spread[ro][j])
        unit = self._extension_cost() / SCALE
        gx = self.v_gx.reshape(self.S, P)
        land = self._land_purchase() / SCALE
        o = self.v_open.reshape(self.S, P)
        for q in np.flatnonzero(self.can_build):
            for k in range(pol.build_years):
                t = self.pstart[q] - pol.build_years + k - self.first
                if 0 <= t < H:
                    rows.append(np.full(self.S, t)); vars_.append(gx[:, q]); coefs.append(unit / pol.build_years)
            t = self.pstart[q] - pol.build_years - self.first
            buy = np.flatnonzero(land > 0)
            if 0 <= t < H and len(buy):  # land bought when construction starts: open[q] - open[q-1]
                rows.append(np.full(len(buy), t)); vars_.append(o[buy, q]); coefs.append(land[buy])
                if q > 0:
                    rows.append(np.full(len(buy), t)); vars_.append(o[buy, q - 1]); coefs.append(-land[buy])
        r_, v_, c_ = self._reform_capital_terms()
        rows.append(r_); vars_.append(v_); coefs.append(c_)
        return np.concatenate(rows), np.concatenate(vars_), np.concatenate(coefs)

    def _extension_cost(self) -> np.ndarray:
        """Yen per m² of floor added outside a rebuild (existing: with the premium; candidates: a new building)."""
        build = self.sites["build_yen_per_m2"].to_numpy()
        return np.where(self.existing, build * (1 + self.problem.policy.extension_premium), build)

    def _land_purchase(self) -> np.ndarray:
        s = self.sites
        land = s["land_value_yen_per_m2"].to_numpy() * np.nan_to_num(s["site_area_m2"].to_numpy())
        return np.where(~self.existing & ~s["owned"].to_numpy(), land, 0.0)

    def _money_rows(self) -> None:
        if not self._has_budget():
            return
        pol, H = self.problem.policy, self.H
        rows, vars_, coefs = self.capital_by_year()
        caps = pol.budget.caps(pol.years()) / SCALE if pol.budget is not None else np.zeros(H)
        if self.v_level is not None:
            rows = np.r_[rows, np.arange(H)]
            vars_ = np.r_[vars_, np.repeat(self.v_level, H)]
            coefs = np.r_[coefs, -np.ones(H)]
        if self.v_over is not None:
            rows = np.r_[rows, np.arange(H)]
            vars_ = np.r_[vars_, self.v_over]
            coefs = np.r_[coefs, -np.ones(H)]
        labels = [str(y) for y in pol.years()]
        fund = pol.renewal.fund
        if self.v_fund is not None:
            rows = np.r_[rows, np.arange(H), np.arange(1, H)]
            vars_ = np.r_[vars_, self.v_fund, self.v_fund[:-1]]
            coefs = np.r_[coefs, np.ones(H), -np.ones(H - 1)]
            rhs = caps.copy()
            rhs[0] += fund.initial_yen / SCALE
            self.m.add("money", rows, vars_, coefs, "==", rhs, n_rows=H, labels=labels, penalty=1.0)
        else:  # only the capped years (from Budget.from_year) get a row
            keep = np.isfinite(caps)
            renum = np.cumsum(keep) - 1
            sel = keep[rows.astype(int)]
            self.m.add("money", renum[rows[sel].astype(int)], vars_[sel], coefs[sel], "<=", caps[keep],
                       n_rows=int(keep.sum()), labels=[lb for lb, k in zip(labels, keep) if k], penalty=1.0)

    def _policy_rows(self) -> None:
        pol, P, S, m, el = self.problem.policy, self.P, self.S, self.m, self.el
        o = self.v_open.reshape(S, P)
        x = self.v_place.reshape(self.E, P)
        ext = self.v_ext.reshape(self.E, P)
        # service floors: total capacity per period
        for k in self.problem.services["service_id"]:
            floor_y = pol.min_capacity_by_year(k)
            if not floor_y.any():
                continue
            need = np.array([floor_y[self.pstart[q] - self.first:self.per["end"].iat[q] - self.first + 1].max()
                             for q in range(P)])
            ek = np.flatnonzero((el["service_id"] == k).to_numpy())
            kc = np.flatnonzero(el["service_id"].to_numpy()[self.cur_idx] == k)
            cin = self.v_cin.reshape(len(self.cur_idx), P)
            rows = np.r_[np.tile(np.arange(P), len(ek)), np.tile(np.arange(P), len(kc))]
            vars_ = np.r_[ext[ek].ravel(), cin[kc].ravel()]
            coefs = np.r_[np.repeat(el["unit"].to_numpy()[ek], P), np.ones(len(kc) * P)]
            m.add(f"min_capacity:{k}", rows, vars_, coefs, ">=", need, n_rows=P,
                  labels=[f"{k}@{y}" for y in self.pstart], penalty=1.0 / max(float(need.max()), 1.0))
        # minimum covered share per min-share service and period
        shares = [(k, v) for k, v in pol.min_share.items() if v > 0]
        if shares:
            u = self.v_u.reshape(len(self.soft_idx), P)
            soft_k = self.zk["service_id"].to_numpy()[self.soft_idx]
            rows, vars_, coefs, rhs, labels = [], [], [], [], []
            for j, (k, v) in enumerate(shares):
                sel = np.flatnonzero(soft_k == k)
                for q in range(P):
                    pop = self.pop[self.soft_idx[sel], q]
                    tot = pop.sum()
                    if tot <= 0:
                        continue
                    rows.append(np.full(len(sel), len(rhs))); vars_.append(u[sel, q]); coefs.append(pop / tot)
                    rhs.append(1 - v)
                    labels.append(f"{k}@p{q}")
            if rhs:
                m.add("min_share", np.concatenate(rows), np.concatenate(vars_), np.concatenate(coefs), "<=",
                      np.array(rhs), n_rows=len(rhs), labels=labels, penalty=1.0)
        # services that may not share a site (incompatible pairs; services that are not co-locatable)
        pairs = {tuple(sorted(ab)) for ab in pol.incompatible}
        solo = set(self.problem.services.loc[~self.problem.services["co_locatable"], "service_id"])
        ks = el["service_id"].to_numpy()
        es = el["s"].to_numpy()
        inc = []
        order, ptr = csr_groups(es, S)
        for s_ in range(S):
            members = order[ptr[s_]:ptr[s_ + 1]]
            for i, e1 in enumerate(members):
                for e2 in members[i + 1:]:
                    a, b = sorted((ks[e1], ks[e2]))
                    if (a, b) in pairs or a in solo or b in solo:
                        inc.append((e1, e2))
        if inc:
            inc = np.array(inc)
            n = len(inc) * P
            rows = np.r_[np.arange(n), np.arange(n)]
            m.add("incompatible", rows, np.r_[x[inc[:, 0]].ravel(), x[inc[:, 1]].ravel()], 1.0, "<=", 1.0, n_rows=n,
                  labels=[f"{ks[a]}+{ks[b]}@{el['site_id'].iat[a]}@p{q}" for a, b in inc for q in range(P)],
                  penalty=1.0)
        ex = np.flatnonzero(self.existing)
        if pol.max_closures is not None:
            m.add("max_closures", np.zeros(len(ex)), o[ex, P - 1], 1.0, ">=", len(ex) - pol.max_closures, n_rows=1,
                  penalty=1.0)
        base = float(self.F[ex].sum())
        gd_v, gd_c = self._reform_end_floor()
        end_floor_rows = (np.r_[o[ex, P - 1], self.v_gx, self.v_ga, gd_v],
                          np.r_[self.F[ex], np.ones(len(self.v_gx) + len(self.v_ga)), gd_c])
        if pol.min_floor_reduction is not None:
            vs, cs = end_floor_rows
            m.add("floor_reduction_min", np.zeros(len(vs)), vs, cs, "<=", (1 - pol.min_floor_reduction) * base,
                  n_rows=1, penalty=1.0 / max(base, 1.0))
        if pol.max_floor_reduction is not None:
            vs, cs = end_floor_rows
            m.add("floor_reduction_max", np.zeros(len(vs)), vs, cs, ">=", (1 - pol.max_floor_reduction) * base,
                  n_rows=1, penalty=1.0 / max(base, 1.0))
        if pol.capital_budget_yen is not None:
            build = self.sites["build_yen_per_m2"].to_numpy()
            unit = self._extension_cost()
            land = self._land_purchase()
            buy = np.flatnonzero(land > 0)
            vs = np.r_[self.v_gx, self.v_ga, o[buy, P - 1]]
            cs = np.r_[np.repeat(unit, P), build[self.opt_s[self.rebuild_opts]], land[buy]] / SCALE
            _, r_v, r_c = self._reform_capital_terms(downsizing=False)  # conversions are capital for change
            vs, cs = np.r_[vs, r_v], np.r_[cs, r_c]
            m.add("capital", np.zeros(len(vs)), vs, cs, "<=", pol.capital_budget_yen / SCALE, n_rows=1, penalty=1.0)
        if self.elastic and self.locks:
            rows, vars_, coefs, rhs, labels = [], [], [], [], []
            for lab, vs, t in self.locks:
                for v in vs:  # |v - t| <= 0, priced: t=1: v >= 1; t=0: v <= 0 -> -v >= 0
                    rows.append(len(rhs)); vars_.append(v); coefs.append(1.0 if t else -1.0); rhs.append(t)
                    labels.append(lab)
            m.add("locks", np.array(rows), np.array(vars_, dtype=object), np.array(coefs), ">=", np.array(rhs),
                  n_rows=len(rhs), labels=labels, penalty=1.0)

    # ------------------------------------------------------------------ freed land and operating costs
    def _index_economics(self) -> None:
        """Disposal options of freed sites, operating cost per place of each placement, operator changes."""
        p, el = self.problem, self.el
        d = p.disposal_table()
        d["s"] = self.site_pos.reindex(d["site_id"]).to_numpy(dtype=np.int64) if len(d) else np.zeros(0, np.int64)
        n_opts = d.groupby("site_id")["choice"].transform("size") if len(d) else pd.Series(dtype=int)
        # a choice among options, or a need with a limited number of sites, is a binary variable; a site's
        # only option (no limit) needs none: it is taken whenever the site is closed (its value is >= 0)
        limited = {n.id for n in p.policy.reuse_needs if n.max_sites is not None}
        choose = (n_opts > 1).to_numpy() | d["need_id"].isin(limited).to_numpy()
        self.disp = d[choose].reset_index(drop=True)
        self.disp_implied = d[~choose].reset_index(drop=True)
        d = self.disp
        self.disp_sites = np.unique(d["s"].to_numpy()) if len(d) else np.zeros(0, dtype=np.int64)
        self.dyear_idx = np.flatnonzero(d["value_yen_per_year"].to_numpy() > 0) if len(d) else np.zeros(0, np.int64)
        rate = el["service_id"].map(p.services.set_index("service_id")["operating_yen_per_place_year"]).to_numpy(float)
        self.op_rate = np.nan_to_num(rate, nan=0.0)
        oc = p.operator_candidates()
        if self.baseline:
            oc = oc.iloc[0:0]
        key = pd.MultiIndex.from_frame(el[["service_id", "site_id"]])
        oc["e"] = key.get_indexer(pd.MultiIndex.from_frame(oc[["service_id", "site_id"]])) if len(oc) else []
        self.opc = oc[oc["e"] >= 0].reset_index(drop=True)

    def _economics_variables(self) -> None:
        m, P = self.m, self.P
        d = self.disp
        self.v_disp = m.block("dispose", len(d), cat="Binary")
        self.v_dyear = m.block("dispose_year", len(self.dyear_idx) * P)
        n = len(self.opc)
        self.v_opr = m.block("operator", n * P, cat="Binary")
        self.v_cc = m.block("commissioned", n * P)
        if n:  # a switch from the earliest year (and the first change) on
            oc = self.problem.policy.operator_change
            first = max(oc.earliest_year or self.problem.policy.change_year, self.problem.policy.change_year)
            ok = (self.pstart >= first) & ~self.pfixed
            Milp.set_bounds(self.v_opr, up=np.tile(ok.astype(float), n))

    def _cap_terms(self, e: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row position, variables, coefficients) of the places in use of placements ``e`` per period:
        current places kept in use plus ``unit`` × units added; rows ``i * P + q`` for the i-th of ``e``."""
        P = self.P
        pos = -np.ones(self.E, dtype=np.int64)
        pos[self.cur_idx] = np.arange(len(self.cur_idx))
        q = np.tile(np.arange(P), len(e))
        ee = np.repeat(e, P)
        rows = np.arange(len(e) * P)
        ext = self.v_ext[ee * P + q]
        has = pos[ee] >= 0
        cin = self.v_cin[pos[ee[has]] * P + q[has]]
        return (np.r_[rows, rows[has]], np.r_[ext, cin],
                np.r_[self.el["unit"].to_numpy()[ee], np.ones(has.sum())])

    def _disposal_rows(self) -> None:
        """``disposal_one``: one option per freed site; ``disposal_must``: one at least where hold is not
        allowed and the site can be sold or leased;
        ``disposal_year``: yearly income only while the site is closed and its option chosen;
        ``reuse_max_sites``: the most sites per need."""
        d, P = self.disp, self.P
        if d.empty:
            return
        o = self.v_open.reshape(self.S, P)
        sidx = np.searchsorted(self.disp_sites, d["s"].to_numpy())
        n = len(self.disp_sites)
        names = self.sites["site_id"].to_numpy()
        self.m.add("disposal_one", np.r_[sidx, np.arange(n)], np.r_[self.v_disp, o[self.disp_sites, P - 1]], 1.0,
                   "<=", 1.0, n_rows=n, labels=list(names[self.disp_sites]))
        must = np.unique(d.loc[d["choice"].isin(["sell", "lease"]), "s"].to_numpy())
        if self.problem.policy.must_dispose and len(must):  # no hold: a site that can be sold or leased is
            rows = np.searchsorted(must, d["s"].to_numpy())
            ok = np.isin(d["s"].to_numpy(), must)
            self.m.add("disposal_must", np.r_[rows[ok], np.arange(len(must))],
                       np.r_[self.v_disp[ok], o[must, P - 1]], 1.0, ">=", 1.0, n_rows=len(must),
                       labels=list(names[must]))
        k = self.dyear_idx
        if len(k):
            b = d["value_yen_per_year"].to_numpy()[k][:, None] * self.plen[None, :] / SCALE  # (k, P)
            yv = self.v_dyear.reshape(len(k), P)
            n2 = len(k) * P
            rr = np.arange(n2)
            self.m.add("disposal_year", np.r_[rr, rr, n2 + rr, n2 + rr],
                       np.r_[yv.ravel(), np.repeat(self.v_disp[k], P), yv.ravel(), o[d["s"].to_numpy()[k]].ravel()],
                       np.r_[np.ones(n2), -b.ravel(), np.ones(n2), b.ravel()], "<=",
                       np.r_[np.zeros(n2), b.ravel()], n_rows=2 * n2)
        lim = [(n_.id, n_.max_sites) for n_ in self.problem.policy.reuse_needs if n_.max_sites is not None]
        if lim:
            need = d["need_id"].to_numpy()
            rows = [np.full(int((need == nid).sum()), j) for j, (nid, _) in enumerate(lim)]
            vars_ = [self.v_disp[need == nid] for nid, _ in lim]
            self.m.add("reuse_max_sites", np.concatenate(rows), np.concatenate(vars_), 1.0, "<=",
                       np.array([float(mx) for _, mx in lim]), n_rows=len(lim), labels=[nid for nid, _ in lim])

    def _operator_rows(self) -> None:
        """Operator change: ``operator_order`` (once commissioned, stays), ``operator_in_place`` (a switch
        only where the service is), ``operator_cap`` / ``operator_link`` / ``operator_full`` (commissioned
        places = the placement's places once switched, 0 before), ``operator_per_period``, ``operator_total``."""
        oc, P, n = self.opc, self.P, len(self.opc)
        if not n:
            return
        pol = self.problem.policy.operator_change
        opv = self.v_opr.reshape(n, P)
        cc = self.v_cc
        e = oc["e"].to_numpy()
        if P > 1:
            self._pairs("operator_order", opv[:, :-1].ravel(), 1.0, opv[:, 1:].ravel(), -1.0, "<=")
        x = self.v_place.reshape(self.E, P)
        rows = np.r_[np.arange(n * P), np.arange(n * P), (np.arange(n)[:, None] * P + np.arange(1, P)).ravel()]
        self.m.add("operator_in_place", rows, np.r_[opv.ravel(), x[e].ravel(), opv[:, :-1].ravel()],
                   np.r_[np.ones(n * P), -np.ones(n * P), -np.ones(n * (P - 1))], "<=", 0.0, n_rows=n * P)
        r, v, c = self._cap_terms(e)
        nn = n * P
        self.m.add("operator_cap", np.r_[np.arange(nn), r], np.r_[cc, v], np.r_[np.ones(nn), -c], "<=", 0.0,
                   n_rows=nn)
        big = np.repeat(self.el["capacity"].to_numpy()[e] + self.el["unit"].to_numpy()[e] * self.ext_ub[e], P)
        self._pairs("operator_link", cc, 1.0, self.v_opr, -big, "<=")
        # cc >= places - big * (1 - op): exact also when the commissioned rate is the dearer
        self.m.add("operator_full", np.r_[np.arange(nn), r, np.arange(nn)], np.r_[cc, v, self.v_opr],
                   np.r_[np.ones(nn), -c, -big], ">=", -big, n_rows=nn)
        if pol.max_per_period is not None:
            rows = np.r_[np.tile(np.arange(P), n), np.tile(np.arange(1, P), n)]
            self.m.add("operator_per_period", rows, np.r_[self.v_opr, opv[:, :-1].ravel()],
                       np.r_[np.ones(nn), -np.ones(n * (P - 1))], "<=", float(pol.max_per_period), n_rows=P,
                       labels=[str(y) for y in self.pstart])
        if pol.max_total is not None:
            self.m.add("operator_total", np.zeros(n), opv[:, P - 1], 1.0, "<=", float(pol.max_total), n_rows=1)

    def _disposal_terms(self) -> tuple[float, list[tuple]]:
        """(constant, terms) of land income and reuse value (negative costs, million yen): a choice's one-off
        value × chosen and its yearly parts; a site's only option: its value × (1 − open), one-off at the end,
        yearly per period."""
        d, P = self.disp, self.P
        terms = list(zip(self.v_disp, (-d["value_yen"].to_numpy() / SCALE).tolist()))
        terms += [(v, -1.0) for v in self.v_dyear]
        im = self.disp_implied
        if im.empty:
            return 0.0, terms
        o = self.v_open.reshape(self.S, P)
        s_ = im["s"].to_numpy()
        once = im["value_yen"].to_numpy() / SCALE
        yearly = im["value_yen_per_year"].to_numpy()[:, None] * self.plen[None, :] / SCALE
        terms += list(zip(o[s_, P - 1], once.tolist())) + list(zip(o[s_].ravel(), yearly.ravel().tolist()))
        return -float(once.sum() + yearly.sum()), terms

    def _operating_terms(self) -> list[tuple]:
        """Operating cost per place (million yen): the ward-run rate on every place in use per year, less
        (ward − commissioned rate) on commissioned places, plus each switch's one-off transition cost."""
        P = self.P
        rated = np.flatnonzero(self.op_rate > 0)
        terms: list[tuple] = []
        if len(rated):
            r, v, c = self._cap_terms(rated)
            q = r % P
            coef = c * np.repeat(self.op_rate[rated], P)[r] * self.plen[q] / SCALE
            terms += list(zip(v, coef.tolist()))
            ext = self.v_ext.reshape(self.E, P)[rated].ravel()
            tie = np.repeat(self.el["unit"].to_numpy()[rated], P) * np.tile(self.plen, len(rated)) * ADDED_PLACE_YEN
            terms += list(zip(ext, (tie / SCALE).tolist()))
        oc = self.opc
        if len(oc):
            gain = (oc["ward_yen_per_place_year"].to_numpy() - oc["commissioned_yen_per_place_year"].to_numpy())
            coef = -(gain[:, None] * self.plen[None, :]).ravel() / SCALE
            terms += list(zip(self.v_cc, coef.tolist()))
            opv = self.v_opr.reshape(len(oc), P)
            terms += list(zip(opv[:, P - 1], (oc["transition_yen"].to_numpy() / SCALE).tolist()))
        return terms

    def _economics_solution(self, val, op: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(disposals, operators) of the last solve: each closed site's chosen option ('hold' when none)
        and each operator change's first year."""
        d, P = self.disp, self.P
        chosen = d[np.round(val(self.v_disp)) > 0.5] if len(d) else d
        closed = [int(s) for s in self.disp_sites if not op[s, P - 1]]
        sid = self.sites["site_id"].to_numpy()
        rows = {r.site_id: (r.choice, r.need_id) for r in chosen.itertuples(index=False) if not op[r.s, P - 1]}
        rows.update({r.site_id: (r.choice, r.need_id) for r in self.disp_implied.itertuples(index=False)
                     if not op[r.s, P - 1]})
        closed = sorted(set(closed) | {int(r.s) for r in self.disp_implied.itertuples(index=False)
                                       if not op[r.s, P - 1]})
        disp = pd.DataFrame([(sid[s], *rows.get(sid[s], ("hold", ""))) for s in closed],
                            columns=["site_id", "choice", "need_id"])
        oc = self.opc
        ops = []
        if len(oc):
            x = np.round(val(self.v_opr)).reshape(len(oc), P) > 0.5
            for i in np.flatnonzero(x.any(axis=1)):
                ops.append((oc["service_id"].iat[i], oc["site_id"].iat[i], int(self.pstart[np.argmax(x[i])])))
        return disp, pd.DataFrame(ops, columns=["service_id", "site_id", "year"])

    def _warm_start_economics(self, sol: Solution) -> None:
        """Disposals and operator changes of ``sol`` as a start (a closed site that must be disposed of
        and has none stated: its most valuable option)."""
        d, P = self.disp, self.P
        if len(d):
            o = sol.open.set_index(["site_id", "p"])["open"]
            closed = {s for s in d["site_id"].unique() if not bool(o.get((s, P - 1), True))}
            given = {(r.site_id, r.choice, r.need_id) for r in sol.disposals.itertuples(index=False)}
            pick = np.zeros(len(d))
            for s, g in d.groupby("site_id", sort=False):
                if s not in closed:
                    continue
                hit = [i for i, r in zip(g.index, g.itertuples(index=False)) if (s, r.choice, r.need_id) in given]
                if not hit and self.problem.policy.must_dispose:
                    hit = [int((g["value_yen"] + g["value_yen_per_year"] * self.H).idxmax())]
                pick[hit] = 1.0
            for v, xv in zip(self.v_disp, pick):
                _set_init(v, xv)
        oc = self.opc
        if len(oc):
            yr = {(r.service_id, r.site_id): int(r.year) for r in sol.operators.itertuples(index=False)}
            x = np.array([[1.0 if (k, s) in yr and self.pstart[q] >= yr[(k, s)] else 0.0 for q in range(P)]
                          for k, s in zip(oc["service_id"], oc["site_id"])])
            for v, xv in zip(self.v_opr, x.ravel()):
                _set_init(v, xv)

    # ------------------------------------------------------------------ objective
    def cost_terms(self) -> tuple[float, list[tuple]]:
        """(constant, terms) of the horizon cost in million yen (the plan's cost, penalties included)."""
        pol, P, S = self.problem.policy, self.P, self.S
        s = self.sites
        terms: list[tuple] = []
        const = 0.0
        opt = self.events.opt
        if self.n_opt:
            coef = opt["coef"].to_numpy(dtype=float).copy()
            reb = np.zeros(self.n_opt, dtype=bool)
            reb[self.rebuild_opts] = True
            inhorizon_reb = (self.events.ev.set_index("e")["kind"].to_numpy()[opt["e"].to_numpy()] == "rebuild") & (
                self.opt_year <= self.last)
            years_in = np.clip(self.last + 1 - self.opt_year, 0, self.opt_spread)
            coef += np.where(inhorizon_reb, pol.temporary_yen_per_m2_year * self.F[self.opt_s] * years_in, 0.0)
            terms += list(zip(self.v_z, (coef / SCALE).tolist()))
        if len(self.drops):
            ev = self.events.ev.set_index("e")
            e = self.drops[:, 0]
            risk = event_risk(ev["cost_yen"].to_numpy()[e], ev["floor_area_m2"].to_numpy()[e],
                              ev["kind"].to_numpy()[e] == "rebuild", ev["due_year"].to_numpy()[e], self.first,
                              self.pstart[self.drops[:, 1]], pol.renewal.penalties)
            terms += list(zip(self.v_drop, (risk / SCALE).tolist()))
        rate = s["operating_yen_per_m2_year"].to_numpy()
        fixed = s["fixed_yen_per_year"].to_numpy()
        per_open = (rate * self.F + fixed)[:, None] * self.plen[None, :]  # yen per open period
        terms += list(zip(self.v_open, (per_open.ravel() / SCALE).tolist()))
        years_from = np.cumsum(self.plen[::-1])[::-1]  # years from the start of period q to the end
        gx_cost = self._extension_cost()[:, None] + rate[:, None] * years_from[None, :]
        terms += list(zip(self.v_gx, (gx_cost.ravel() / SCALE).tolist()))
        ro = self.rebuild_opts
        if len(ro):
            ga_cost = s["build_yen_per_m2"].to_numpy()[self.opt_s[ro]] + rate[self.opt_s[ro]] * years_from[
                self.opt_avail[ro]]
            terms += list(zip(self.v_ga, (ga_cost / SCALE).tolist()))
        o = self.v_open.reshape(S, P)
        land = self._land_purchase()
        buy = np.flatnonzero(land > 0)
        terms += list(zip(o[buy, P - 1], (land[buy] / SCALE).tolist()))
        c, t = self._disposal_terms()
        const += c
        terms += t + self._operating_terms()
        # tie-breaks: new placements and added capacity cost a few yen per year
        cur = self.el["current"].to_numpy()
        x = self.v_place.reshape(self.E, P)
        terms += list(zip(x[~cur].ravel(), np.repeat(self.plen[None, :] * NEW_PLACEMENT_YEN / SCALE,
                                                    (~cur).sum(), 0).ravel().tolist()))
        terms += self._reform_cost_terms()
        return const, terms

    def access_terms(self) -> list[tuple]:
        """Population × km × years of every assignment (person-km-years)."""
        reach = self.reach
        pk = self.pop[reach["zk"].to_numpy()] * np.nan_to_num(reach["distance_m"].to_numpy())[:, None] / 1000.0
        pk = pk * self.plen[None, :]
        idx = np.flatnonzero(pk.ravel() > 0)
        return list(zip(self.v_w[idx], pk.ravel()[idx].tolist()))

    def _penalty_terms(self) -> list[tuple]:
        terms = []
        hard = ~self.zk["soft"].to_numpy() | self.baseline
        pen = np.where(hard[:, None], self.uncovered_price(), 1e-3 * self.pop)
        terms += list(zip(self.v_u, pen.ravel().tolist()))
        if self.v_over is not None:
            price = BASELINE_OVER_BUDGET_PENALTY if self.baseline else OVER_BUDGET_PENALTY
            terms += [(v, price) for v in self.v_over]
        if self.v_level is not None:
            terms += [(self.v_level[0], 1e-6)]
        terms += self._reform_penalty_terms()[1]
        return terms

    def uncovered_price(self) -> np.ndarray:
        """Price (million yen) of an uncovered share of a hard service, per (zone, service) and period:
        per demand unit and per resident, far above what covering them can cost."""
        return UNCOVERED_PER_UNIT * self.dem + UNCOVERED_PER_RESIDENT * self.pop

    def _set_cost_objective(self, cost: float = 1.0, access: float | None = None) -> None:
        if self.elastic:
            self.m.set_objective(self.m.slack_terms())
            return
        const, terms = self.cost_terms()
        alpha = (self.problem.policy.access_weight_yen_per_person_km / SCALE) if access is None else access
        terms = [(v, c * cost) for v, c in terms]
        if alpha > 0:
            terms += [(v, c * alpha) for v, c in self.access_terms()]
        self.m.set_objective(terms + self._penalty_terms(), const * cost + self._reform_penalty_terms()[0])

    def set_objective(self, cost: float = 1.0, access: float = 0.0) -> None:
        """Objective = cost × horizon cost + access × person-km-years (million-yen units for cost)."""
        self._set_cost_objective(cost, access)

    def set_access_limit(self, person_km_years: float | None) -> None:
        """Add (or move) the epsilon constraint ``access <= limit``; None removes the limit."""
        limit = 1e18 if person_km_years is None else float(person_km_years)
        if self.access_constraint is None:
            self.access_constraint = self.prob.addConstraint(pulp.lpSum_vars_coefs(self.access_terms()) <= limit,
                                                             name="access_limit")
        else:
            self.access_constraint.changeRHS(limit)

    def limit_lead_shortfall(self, reference: Solution) -> None:
        """No service worse covered in the lead years than if everything were kept.

        Before the first new floor can be ready (the lead periods after the first change), a plan can
        only rearrange what exists; this adds, per service with a hard standard and lead year, the row
        ``residents left uncovered <= the keep-everything solution's`` (``reference``, ward-wide, with
        half a resident of tolerance), so that no move made before its replacement can exist takes
        coverage away.  Called by the optimiser with the baseline it has solved; the independent check
        re-checks it from the plan's files (``Plan.baseline_uncovered``).
        """
        if self.baseline or reference is None:
            return
        lead = np.flatnonzero(self.lead & ~self.pfixed)
        hard = np.flatnonzero(~self.zk["soft"].to_numpy())
        if not len(lead) or not len(hard):
            return
        zk, P = self.zk, self.P
        years = np.concatenate([np.arange(self.pstart[q], self.pstart[q] + self.plen[q]) for q in lead]).astype(int)
        qy = np.searchsorted(self.pstart, years, side="right") - 1
        # residents per (zone, service) and lead year
        d = self.problem.demand
        d = d[d["year"].isin(years)]
        key = pd.MultiIndex.from_frame(zk[["zone_id", "service_id"]])
        i = key.get_indexer(pd.MultiIndex.from_frame(d[["zone_id", "service_id"]]))
        pop = np.zeros((len(zk), len(years)))
        ok = i >= 0
        pop[i[ok], np.searchsorted(years, d["year"].to_numpy()[ok])] = d["population"].to_numpy()[ok]
        ub = np.zeros((len(zk), P))
        ru = reference.uncovered
        if len(ru):
            j = key.get_indexer(pd.MultiIndex.from_frame(ru[["zone_id", "service_id"]]))
            ub[j[j >= 0], ru["p"].to_numpy()[j >= 0]] = ru["share"].to_numpy()[j >= 0]
        services = sorted(zk["service_id"].iloc[hard].unique())
        g = zk["service_id"].iloc[hard].map({k: n for n, k in enumerate(services)}).to_numpy()
        Y = len(years)
        u = self.v_u.reshape(len(zk), P)
        rows = np.concatenate([g * Y + t for t in range(Y)])
        vars_ = np.concatenate([u[hard, qy[t]] for t in range(Y)])
        coefs = np.concatenate([pop[hard, t] for t in range(Y)])
        ref = np.zeros(len(services) * Y)
        for t in range(Y):
            np.add.at(ref, g * Y + t, pop[hard, t] * ub[hard, qy[t]])
        labels = [f"{k}@{y}" for k in services for y in years]
        self.m.add("lead_coverage", rows, vars_, coefs, "<=", ref + 0.5, n_rows=len(ref), labels=labels, penalty=1.0)

    # ------------------------------------------------------------------ solving
    def solve(self, options: SolverOptions | None = None) -> Solution:
        """Solve and return the labelled :class:`Solution` (values are empty when there is none)."""
        info = self.m.solve(options or SolverOptions())
        return self.solution(info)

    def solve_level_budget(self, options: SolverOptions) -> Solution:
        """Smallest level annual budget, then the cheapest plan at that budget (warm-started)."""
        const, terms = self.cost_terms()
        self.m.set_objective([(self.v_level[0], 1.0)] + [(v, c * 1e-9) for v, c in terms]
                             + self._penalty_terms())
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
        sol.info = replace(second, build_seconds=first.build_seconds,
                           solve_seconds=first.solve_seconds + second.solve_seconds,
                           extra={"level_gap": first.gap, "level_status": first.status})
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
            for (v, cat, lo, hi), xi in zip(saved, xs):
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

    def keep_and_add(self, options: SolverOptions, time_limit: float,
                     reference: Solution | None = None) -> Solution | None:
        """A primal heuristic for large wards: keep every existing site open with its current services
        and solve for what must be added (placements, capacity, floor) to meet every standard, with the
        renewal works timed as in ``reference`` (the keep-everything baseline) when given.  Far fewer
        real choices than the full model, so a plan comes quickly even where the full model's own
        heuristics find none; the full solve then starts from it.  Sites the policy closes are left
        free.  Returns None when the restricted MIP finds nothing within ``time_limit``.
        """
        pol = self.problem.policy
        keep_site = self.existing & ~self.sites["site_id"].isin(pol.lock_closed).to_numpy()
        keep_place = (self.el["current"].to_numpy(dtype=bool) & (self.el["capacity"].to_numpy() > 0)
                      & keep_site[self.el["s"].to_numpy()])
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
        keys = pd.MultiIndex.from_tuples([(k, s, q) for k, s in zip(self.el["service_id"], self.el["site_id"])
                                          for q in range(P)])
        place = pk["place"].reindex(keys).fillna(0.0).to_numpy(float)
        ext = (pk["ext"].reindex(keys).fillna(0.0).to_numpy(float) / np.repeat(self.el["unit"].to_numpy(), P))
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
        keys = pd.MultiIndex.from_tuples([(z, k, s, q) for z, k, s in zip(self.reach["zone_id"], self.reach["service_id"],
                                                                          self.reach["site_id"]) for q in range(P)],
                                         names=["zone_id", "service_id", "site_id", "p"])
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
            keys = pd.MultiIndex.from_tuples([(z, k, q) for z, k in zip(zk["zone_id"], zk["service_id"])
                                              for q in range(P)])
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
        for block in (self.v_gx, self.v_ga, self.v_drop, self.v_disp, self.v_dyear, self.v_cc, self.v_u, self.v_gd,
                      self.v_cv):
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
            terms += [(v, 1e-3 * u) for v, u in zip(self.v_ext, np.repeat(self.el["unit"].to_numpy(), self.P))
                      if v.cat == "Continuous"]
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

    def solution(self, info: SolveInfo) -> Solution:
        """The labelled values of the last solve."""
        has = info.has_solution
        val = values if has else (lambda vs: np.zeros(len(vs)))
        P, S, E = self.P, self.S, self.E
        sid = self.sites["site_id"].to_numpy()
        op = np.round(val(self.v_open)).reshape(S, P) > 0.5
        open_df = pd.DataFrame({"site_id": np.repeat(sid, P), "p": np.tile(np.arange(P), S), "open": op.ravel()})
        el = self.el
        place = np.round(val(self.v_place)).reshape(E, P)
        ext = np.maximum(val(self.v_ext).reshape(E, P), 0.0)
        ext = np.where(self.is_unit[:, None], np.round(ext), ext) * el["unit"].to_numpy()[:, None]
        ext = np.where(place > 0.5, ext, 0.0)
        cin = np.zeros((E, P))
        cin[self.cur_idx] = np.clip(val(self.v_cin).reshape(len(self.cur_idx), P), 0.0, None)
        cin = np.where(place > 0.5, np.minimum(np.round(cin, 6), el["capacity"].to_numpy()[:, None]), 0.0)
        pl = pd.DataFrame({
            "service_id": np.repeat(el["service_id"].to_numpy(), P), "site_id": np.repeat(el["site_id"].to_numpy(), P),
            "p": np.tile(np.arange(P), E), "current": np.repeat(el["current"].to_numpy(), P),
            "place": place.ravel(), "capacity0": np.repeat(el["capacity"].to_numpy(), P), "ext": ext.ravel(),
            "in_use": cin.ravel(), "capacity": (cin + ext).ravel(),
            "floor0": np.repeat(el["floor_area_m2"].to_numpy(), P)})
        gx = np.maximum(val(self.v_gx), 0.0).reshape(S, P)
        gi, gq = np.nonzero(gx > 1e-6)
        by = self.problem.policy.build_years
        rows = [pd.DataFrame({"site_id": sid[gi], "p": gq, "year": self.pstart[gq], "added_m2": gx[gi, gq],
                              "how": np.where(self.existing[gi], "extension", "new"), "option": -1,
                              "works_start": self.pstart[gq] - by, "works_years": by})]
        ga = np.maximum(val(self.v_ga), 0.0)
        hit = np.flatnonzero(ga > 1e-6)
        ro = self.rebuild_opts[hit]
        rows.append(pd.DataFrame({"site_id": sid[self.opt_s[ro]], "p": self.opt_avail[ro],
                                  "year": self.pstart[self.opt_avail[ro]], "added_m2": ga[hit], "how": "rebuild",
                                  "option": ro, "works_start": self.opt_year[ro], "works_years": self.opt_spread[ro]}))
        floor_added = pd.concat(rows, ignore_index=True).sort_values(["site_id", "p", "how"], kind="mergesort")
        floor_added = floor_added.reset_index(drop=True)
        floor_added, mergers, conversions = self._reform_solution(floor_added, val)
        events = self._event_solution(val)
        re = self.reach
        w = np.clip(val(self.v_w), 0.0, 1.0).reshape(self.R, P)
        ri, pi = np.nonzero(w > 1e-7)
        zk = re["zk"].to_numpy()[ri]
        a = pd.DataFrame({"zone_id": re["zone_id"].to_numpy()[ri], "service_id": re["service_id"].to_numpy()[ri],
                          "site_id": re["site_id"].to_numpy()[ri], "p": pi, "distance_m": re["distance_m"].to_numpy()[ri],
                          "population": self.pop[zk, pi], "demand": self.dem[zk, pi], "share": w[ri, pi]})
        u_all = np.clip(val(self.v_u), 0.0, 1.0).reshape(len(self.zk), P)
        a = pd.concat([a, self._district_assignments(pl, u_all, mergers)], ignore_index=True)
        us = np.clip(val(self.v_u), 0.0, 1.0).reshape(len(self.zk), P)
        has_r = np.zeros(len(self.zk), dtype=bool)
        has_r[re["zk"].to_numpy()] = True
        has_r[self.dist_reach["zk"].to_numpy()] = True
        live = (self.pop > 0) | (self.dem > 0)
        us[~has_r] = 1.0
        us = np.where(live, us, 0.0)
        ui, uq = np.nonzero(us > 1e-7)
        u = pd.DataFrame({"zone_id": self.zk["zone_id"].to_numpy()[ui], "service_id": self.zk["service_id"].to_numpy()[ui],
                          "p": uq, "population": self.pop[ui, uq], "demand": self.dem[ui, uq], "share": us[ui, uq]})
        level = float(self.v_level[0].varValue) * SCALE if (has and self.v_level is not None) else None
        slacks = self.m.slack_values() if (has and self.elastic) else {}
        if has and self.v_over is not None:
            over = val(self.v_over) * SCALE
            hit = np.flatnonzero(over > 1.0)
            if len(hit):
                slacks["over_budget"] = [(str(self.first + t), float(over[t])) for t in hit]
        disposals, operators = self._economics_solution(val, op)
        return Solution(info=info, open=open_df, placements=pl, floor_added=floor_added, events=events,
                        assignments=a, uncovered=u, level_budget_yen=level, slacks=slacks, disposals=disposals,
                        operators=operators, mergers=mergers, conversions=conversions)

    def _district_assignments(self, pl: pd.DataFrame, u: np.ndarray, mergers: pd.DataFrame) -> pd.DataFrame:
        """A district's covered demand shared among its sites in proportion to their capacity (merged
        districts: among the sites of both)."""
        dr = self._merge_partner_reach(self.dist_reach)
        cols = ["zone_id", "service_id", "site_id", "p", "distance_m", "population", "demand", "share"]
        if dr.empty:
            return pd.DataFrame(columns=cols)
        cap = pl[pl["place"] > 0.5].set_index(["service_id", "site_id", "p"])["capacity"]
        t = dr.merge(pd.DataFrame({"p": np.arange(self.P)}), how="cross")
        t = t[(t["mj"] < 0) | (t["p"] >= t["mj"].map(self._merged_since(mergers)).fillna(self.P))]
        t["cap"] = cap.reindex(pd.MultiIndex.from_frame(t[["service_id", "site_id", "p"]])).fillna(0.0).to_numpy()
        tot = t.groupby(["zk", "p"])["cap"].transform("sum")
        zk, q = t["zk"].to_numpy(), t["p"].to_numpy()
        live = (self.pop[zk, q] > 0) | (self.dem[zk, q] > 0)
        t["share"] = np.where((tot > 0) & live, (1.0 - u[zk, q]) * t["cap"] / tot.where(tot > 0, 1.0), 0.0)
        t["population"], t["demand"] = self.pop[zk, q], self.dem[zk, q]
        t = t[t["share"] > 1e-7]
        return t[cols].reset_index(drop=True)

    def _event_solution(self, val) -> pd.DataFrame:
        ev, opt = self.events.ev, self.events.opt
        cols = ["site_id", "e", "kind", "cycle", "due_year", "status", "year", "variant", "option", "drop_p"]
        if ev.empty:
            return pd.DataFrame(columns=cols)
        z = np.round(val(self.v_z)) > 0.5
        chosen = pd.DataFrame({"e": opt["e"].to_numpy()[z], "option": np.flatnonzero(z),
                               "year": opt["year"].to_numpy()[z], "variant": opt["variant"].to_numpy()[z]})
        d = val(self.v_drop) > 0.5
        dropped = pd.DataFrame({"e": self.drops[d, 0], "drop_p": self.drops[d, 1]})
        out = ev[["site_id", "e", "kind", "cycle", "due_year"]].merge(chosen, on="e", how="left").merge(
            dropped, on="e", how="left")
        out["status"] = np.where(out["drop_p"].notna(), "dropped",
                                 np.where(out["year"] > self.last, "deferred",
                                          np.where(out["year"].notna(), "done", "none")))
        return out[cols].reset_index(drop=True)


def build_model(problem: PortfolioProblem, baseline: bool = False, elastic: bool = False) -> PortfolioModel:
    """Build the multi-year portfolio MILP for ``problem`` (see :class:`PortfolioModel`)."""
    return PortfolioModel(problem, baseline=baseline, elastic=elastic)


def _set_init(v, x: float) -> None:
    lo = v.lowBound if v.lowBound is not None else -np.inf
    hi = v.upBound if v.upBound is not None else np.inf
    v.setInitialValue(float(min(max(x, lo), hi)))
