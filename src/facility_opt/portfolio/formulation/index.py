"""The model's index: periods, sites, eligible placements, the sparse reach, capacity bounds, events.

Everything the variables and rows are laid out by is computed here once, from the problem, before any
variable exists: the blocks of :mod:`.variables` are sized by it and the rows of the other mixins
address variables through it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .events import prepare_events

__all__ = ["ModelIndex"]


class ModelIndex:
    """Mixin of PortfolioModel: the index arrays (``self.per``, ``self.el``, ``self.reach``, ...)."""

    def _index(self) -> None:
        self._index_periods_sites()
        self._index_placements()
        self._index_reach()
        self._index_capacity()
        self._index_economics()
        self._index_events()

    def _index_periods_sites(self) -> None:
        """Periods and years; sites, their floor and room to grow; when construction may start."""
        p, pol = self.problem, self.problem.policy
        per = pol.periods()
        self.per = per
        self.P = len(per)
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

    def _index_placements(self) -> None:
        """Eligible placements ``el`` with their site, unit size and floor need per unit."""
        p, pol = self.problem, self.problem.policy
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

    def _index_reach(self) -> None:
        """The sparse reach (zone, service, site) by distance; demand and population per (zone, service) and period."""
        p, P, el = self.problem, self.P, self.el
        svc = p.services.set_index("service_id")
        reach = p.reach()
        reach = reach.merge(
            el[["service_id", "site_id"]].reset_index().rename(columns={"index": "e"}), on=["service_id", "site_id"]
        )
        reach = reach.sort_values(["service_id", "zone_id"], kind="mergesort")  # keeps the nearest order
        # services with no demand (e.g. a ward-wide service kept as it is) need no assignment; a service with a
        # coverage standard but no capacity need (demand_rate 0: meeting rooms, seniors' rooms) still needs a
        # host within reach of every resident of its target groups (the `offer` rows)
        standard = p.demand["service_id"].map(svc["coverage_m"]).notna().to_numpy()
        used = (p.demand["demand"] > 0).to_numpy() | (standard & (p.demand["population"] > 0).to_numpy())
        zk = p.demand.loc[used, ["zone_id", "service_id"]].drop_duplicates().reset_index(drop=True)
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

    def _index_capacity(self) -> None:
        """Capacity each placement may add (in units): all demand within reach, capped per site."""
        pol, el = self.problem.policy, self.el
        svc = self.problem.services.set_index("service_id")
        allr = pd.concat([self.reach, self.dist_reach], ignore_index=True)
        rd = self.dem[allr["zk"].to_numpy()].max(axis=1) if len(allr) else np.zeros(0)
        m = np.bincount(allr["e"].to_numpy(), weights=rd, minlength=self.E)
        # a service without capacity need (the `offer` rows) may add one unit where anyone in reach lives
        zk_rows = allr["zk"].to_numpy()
        offer = (self.dem[zk_rows].max(axis=1) <= 0) & (self.pop[zk_rows].max(axis=1) > 0) if len(allr) else []
        reach_offer = np.bincount(allr["e"].to_numpy()[offer], minlength=self.E) > 0 if len(allr) else False
        m = np.where(reach_offer & (m <= 0), el["unit"].to_numpy(), m)
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
            whole = np.where(
                np.isfinite(maxcap),
                np.minimum(whole, np.floor(np.maximum(maxcap - cap0, 0.0) / el["unit"].to_numpy() + 1e-9)),
                whole,
            )
        units = np.where(el["unit"] > 1, whole, units)
        self.ext_ub = np.where(can_grow.to_numpy(), units, 0.0)
        self.is_unit = el["unit"].to_numpy() > 1

    def _index_events(self) -> None:
        """Renewal events and their options; the rebuild options that add floor within the horizon."""
        P = self.P
        self.events = prepare_events(self.problem)
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
