"""The reform plan's moves beyond keep/close/co-locate: downsizing at rebuild (減築), school mergers
(学校統合), function conversion at a cost (機能転換) and hubs at planned stations (新駅周辺の拠点).

The MILP parts, a mixin of :class:`facility_opt.portfolio.model.PortfolioModel` with its own variables
and constraint families (the policy pieces and the shared tables: :mod:`facility_opt.portfolio.reform`):

* ``gd[o]`` (>= 0): floor *not* rebuilt by rebuild option *o* (downsizing); ``downsize_link``:
  ``gd[o] <= F[s] · z[o]``.  The floor rows count ``- gd`` once the rebuild is complete, so the
  services placed there still fit.  Each m² less saves the site's ``build_yen_per_m2`` (the unit a m²
  added at the rebuild costs, so adding and removing never pays) and its running cost from then on;
  the old building's demolition is unchanged.
* ``mg[j,p]`` (binary): school ``close`` of candidate pair *j* has merged into ``into`` in period *p*
  (and stays merged).  ``merge_order``, ``merge_window`` (a merger starts only in a period where the
  merged pupils are within ``min_classes..max_classes × class_size`` and, with ``only_undersized``,
  one of the two schools is below ``min_classes``), ``merge_one`` (a school takes part in at most one
  merger), ``merge_close`` (the closed school's site is freed), ``merge_lock`` (the locks that keep a
  school open and schooling in it hold until its merger), ``merge_district`` (the two districts are
  one for every district service attached to the schools: schooling and clubs), ``merge_required``.
* ``cv[s,p]`` (>= 0): m² of existing floor at site *s* converted in period *p*; ``conversion``: the
  floor taken by services new to a building of a category they do not use today, less the floor
  added there by extensions, is converted by then, unless the building has been rebuilt by then (a
  rebuilt building is new floor throughout); each m² costs ``conversion_yen_per_m2`` in the arrival
  year.
* ``hub``: a hub site holds at least ``min_services`` services in every period from its year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...milp import Milp
from ..reform import DOWNSIZE_NOISE_M2, candidate_mergers, conversion_placements, merger_windows
from .mergers import MergerRows

__all__ = ["ReformRows"]

#: price (million yen) of a hub missing a service in a period, or of a required merger not made: far above
#: any saving, so that keeping everything stays a (priced) solution to start from; the check rejects both
SHORTFALL_PRICE = 1e4


class ReformRows(MergerRows):
    """Mixin of PortfolioModel: downsizing, mergers, conversion and hubs (see the module docstring)."""

    # -- index (called from PortfolioModel._index, before the capacity bounds)
    def _reform_index(self) -> np.ndarray:
        """Prepare the moves; return the extra demand each placement may have to take (a merger's)."""
        p, pol = self.problem, self.problem.policy
        on = not self.baseline
        pairs = candidate_mergers(p) if on and pol.mergers else candidate_mergers(p).iloc[0:0]
        ok, _, _ = merger_windows(p, pairs)
        keep = ok.any(axis=1) | pairs["required"].to_numpy(dtype=bool)  # a pair never in the window cannot merge
        self.mpairs = pairs[keep].reset_index(drop=True)
        self.J = len(self.mpairs)
        self.m_ok, self.m_da, self.m_db = merger_windows(p, self.mpairs)
        # linked district services: the schooling service and those using its districts (clubs)
        svc = p.services
        self.m_links = []  # (j, service k', district rows' demand of close (P,), of into (P,))
        extra = np.zeros(self.E)
        el = self.el
        for j, r in enumerate(self.mpairs.itertuples(index=False)):
            for k in svc.loc[(svc["rule"] == "district") & (svc["district_of"] == r.service_id), "service_id"]:
                da, db = self._district_demand(k, r.close), self._district_demand(k, r.into)
                self.m_links.append((j, k, r.close, r.into, da, db))
                extra[self._district_members(k, (r.close,))[1]] += db.max()
                extra[self._district_members(k, (r.into,))[1]] += da.max()
        self.conv_e = (
            conversion_placements(p, el) if on and pol.conversion_yen_per_m2 > 0 else np.zeros(0, dtype=np.int64)
        )
        self.conv_sites = np.unique(el["s"].to_numpy()[self.conv_e])
        self.hubs = {s: h for s, h in pol.hubs.items()} if on else {}
        return extra

    # -- variables (called from PortfolioModel._variables, before the bounds)
    def _reform_variables(self) -> None:
        m, P, pol = self.m, self.P, self.problem.policy
        down = pol.allow_downsizing and not self.baseline and len(self.rebuild_opts)
        self.v_gd = m.block("gd", len(self.rebuild_opts) if down else 0)
        if len(self.v_gd):  # not where something is frozen (a frozen service keeps its floor)
            el = self.el
            frozen = el["site_id"].isin(pol.frozen_sites) | (el["current"] & el["service_id"].isin(pol.frozen_services))
            keep = np.zeros(self.S, dtype=bool)
            keep[el["s"].to_numpy()[frozen.to_numpy()]] = True
            s = self.opt_s[self.rebuild_opts]
            Milp.set_bounds(self.v_gd, up=np.where(keep[s], 0.0, self.F[s]))
        self.v_mg = m.block("mg", self.J * P, cat="Binary")
        if self.J:
            hi = np.ones((self.J, P))
            hi[:, self.pfixed] = 0.0
            first_ok = np.where(self.m_ok.any(axis=1), np.argmax(self.m_ok, axis=1), P)
            hi[np.arange(P)[None, :] < first_ok[:, None]] = 0.0
            Milp.set_bounds(self.v_mg, up=hi.ravel())
        self.v_cv = m.block("cv", len(self.conv_sites) * P)
        n_hub = sum(
            int((self.pstart >= h.year(self.sites.set_index("site_id").at[s, "available_from"], pol.change_year)).sum())
            for s, h in sorted(self.hubs.items())
        )
        self.v_hub_short = m.block("hub_short", n_hub)

    # -- rows (called from PortfolioModel._constraints)
    def _reform_rows(self) -> None:
        self._downsize_rows()
        self._merge_rows()
        self._conversion_rows()
        self._hub_rows()

    def _downsize_rows(self) -> None:
        if not len(self.v_gd):
            return
        ro = self.rebuild_opts
        s = self.opt_s[ro]
        self._pairs("downsize_link", self.v_gd, 1.0, self.v_z[ro], -self.F[s], "<=")
        # only a building that stays in use to the end is rebuilt smaller (not one demolished before closing)
        o = self.v_open.reshape(self.S, self.P)
        self._pairs("downsize_open", self.v_gd, 1.0, o[s, self.P - 1], -self.F[s], "<=")

    def _conversion_rows(self) -> None:
        if not len(self.conv_sites):
            return
        P, el = self.P, self.el
        n = len(self.conv_sites)
        cv = self.v_cv.reshape(n, P)
        ext = self.v_ext.reshape(self.E, P)
        gx = self.v_gx.reshape(self.S, P)
        pos = {s: i for i, s in enumerate(self.conv_sites)}
        es = el["s"].to_numpy()
        need = el["need"].to_numpy()
        ro = self.rebuild_opts
        big = np.where(np.isfinite(self.limit), self.limit, self.F + 1e5)  # all the floor a site can have
        rows, vars_, coefs = [], [], []
        for q in range(P):
            for s in self.conv_sites:
                r = pos[s] * P + q
                rows += [r] * (q + 1)
                vars_ += list(cv[pos[s], : q + 1])
                coefs += [1.0] * (q + 1)
                rows += [r] * (q + 1)
                vars_ += list(gx[s, : q + 1])
                coefs += [1.0] * (q + 1)
                idx = ro[(self.opt_s[ro] == s) & (self.opt_avail[ro] <= q)]  # rebuilt by q: all new floor
                rows += [r] * len(idx)
                vars_ += list(self.v_z[idx])
                coefs += [float(big[s])] * len(idx)
            sel = self.conv_e
            rows += list(np.array([pos[s] for s in es[sel]]) * P + q)
            vars_ += list(ext[sel, q])
            coefs += list(-need[sel])
        self.m.add(
            "conversion",
            np.array(rows),
            np.array(vars_, dtype=object),
            np.array(coefs),
            ">=",
            0.0,
            n_rows=n * P,
            labels=[f"{self.sites['site_id'].iat[s]}@p{q}" for s in self.conv_sites for q in range(P)],
        )

    def _hub_rows(self) -> None:
        if not self.hubs:
            return
        P, el = self.P, self.el
        x = self.v_place.reshape(self.E, P)
        avail = self.sites.set_index("site_id")["available_from"]
        ext = self.v_ext.reshape(self.E, P)
        rows, vars_, rhs, labels = [], [], [], []
        srows, svars, scoefs, slabels = [], [], [], []  # each service there: capacity >= min_places * place
        for s, h in sorted(self.hubs.items()):
            year = h.year(avail[s], self.problem.policy.change_year)
            es = np.flatnonzero((el["site_id"] == s).to_numpy())
            for q in np.flatnonzero(self.pstart >= year):
                rows += [len(rhs)] * (len(es) + 1)
                vars_ += list(x[es, q]) + [self.v_hub_short[len(rhs)]]
                rhs.append(float(h.min_services))
                labels.append(f"{s}@p{q}")
                for e in es:
                    r = len(slabels)
                    cin = self._cin_var(e, q)
                    terms = [(ext[e, q], float(el["unit"].iat[e])), (x[e, q], -h.min_places)]
                    terms += [(cin, 1.0)] if cin is not None else []
                    for v, c in terms:
                        srows.append(r)
                        svars.append(v)
                        scoefs.append(c)
                    slabels.append(f"{el['service_id'].iat[e]}@{s}@p{q}")
        if rhs:
            self.m.add(
                "hub",
                np.array(rows, dtype=np.int64),
                np.array(vars_, dtype=object),
                1.0,
                ">=",
                np.array(rhs),
                n_rows=len(rhs),
                labels=labels,
                penalty=1.0,
            )
            self.m.add(
                "hub_size",
                np.array(srows, dtype=np.int64),
                np.array(svars, dtype=object),
                np.array(scoefs),
                ">=",
                0.0,
                n_rows=len(slabels),
                labels=slabels,
                penalty=1.0,
            )

    # -- terms added to the base model's rows
    def _reform_floor_terms(self, q: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Floor row terms of period ``q``: floor not rebuilt counts once the rebuild is complete."""
        if not len(self.v_gd):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object), np.zeros(0)
        ro = self.rebuild_opts
        done = self.opt_avail[ro] <= q
        return self.opt_s[ro][done] * self.P + q, self.v_gd[done], np.ones(done.sum())

    def _reform_capital_terms(self, downsizing: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(year rows, variables, million yen) charged to each year: floor not rebuilt (negative, over the
        rebuild's years; a cheaper renewal, so not in the capital budget: ``downsizing=False``) and
        conversions (in the arrival year)."""
        H = self.H
        build = self.sites["build_yen_per_m2"].to_numpy() / 1e6
        rows, vars_, coefs = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=object)], [np.zeros(0)]
        ro = self.rebuild_opts
        if len(self.v_gd) and downsizing:
            for k in range(int(self.opt_spread[ro].max())):
                sel = k < self.opt_spread[ro]
                t = self.opt_year[ro][sel] + k - self.first
                ok = (t >= 0) & (t < H)
                j = np.flatnonzero(sel)[ok]
                rows.append(t[ok])
                vars_.append(self.v_gd[j])
                coefs.append(-build[self.opt_s[ro][j]] / self.opt_spread[ro][j])
        if len(self.conv_sites):
            rate = self.problem.policy.conversion_yen_per_m2 / 1e6
            t = self.pstart - self.first
            n = len(self.conv_sites)
            rows.append(np.tile(t, n))
            vars_.append(self.v_cv)
            coefs.append(np.full(n * self.P, rate))
        return np.concatenate(rows), np.concatenate(vars_), np.concatenate(coefs)

    def _reform_end_floor(self) -> tuple[np.ndarray, np.ndarray]:
        """Terms of the floor at the end of the horizon: minus the floor not rebuilt."""
        return self.v_gd, -np.ones(len(self.v_gd))

    def _reform_cost_terms(self) -> list[tuple]:
        """Objective terms (million yen): floor not rebuilt saves building and running; conversions cost."""
        terms: list[tuple] = []
        s = self.sites
        if len(self.v_gd):
            ro = self.rebuild_opts
            rate = s["operating_yen_per_m2_year"].to_numpy()
            years_from = np.cumsum(self.plen[::-1])[::-1]
            save = (
                s["build_yen_per_m2"].to_numpy()[self.opt_s[ro]] + rate[self.opt_s[ro]] * years_from[self.opt_avail[ro]]
            )
            terms += list(zip(self.v_gd, (-save / 1e6).tolist()))
        if len(self.v_cv):
            terms += [(v, self.problem.policy.conversion_yen_per_m2 / 1e6) for v in self.v_cv]
        return terms

    def _reform_warm_start(self, place: np.ndarray, set_init) -> None:
        """Start values of the moves' variables for a start without them (e.g. the baseline): nothing
        merged, converted or left out, and each hub's shortfall (so that the start stays feasible)."""
        for block in (self.v_mg, self.v_cv, self.v_gd):
            for v in block:
                set_init(v, 0.0)
        el, avail = self.el, self.sites.set_index("site_id")["available_from"]
        i = 0
        for s, h in sorted(self.hubs.items()):
            es = np.flatnonzero((el["site_id"] == s).to_numpy())
            for q in np.flatnonzero(self.pstart >= h.year(avail[s], self.problem.policy.change_year)):
                set_init(self.v_hub_short[i], max(float(h.min_services) - float(np.round(place[es, q]).sum()), 0.0))
                i += 1

    def _reform_penalty_terms(self) -> tuple[float, list[tuple]]:
        """(constant, terms) pricing a hub's missing services and a required merger not made."""
        terms = [(v, SHORTFALL_PRICE) for v in self.v_hub_short]
        req = np.flatnonzero(self.mpairs["required"].to_numpy(dtype=bool)) if self.J else np.zeros(0, dtype=int)
        mg = self.v_mg.reshape(self.J, self.P) if self.J else None
        terms += [(mg[j, self.P - 1], -SHORTFALL_PRICE) for j in req]
        return SHORTFALL_PRICE * len(req), terms

    def _reform_solution(self, floor_added: pd.DataFrame, val) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """(floor_added with the floor not rebuilt netted against the floor added at each rebuild (how
        ``downsize``, negative m²), mergers, conversions) of the last solve."""
        P = self.P
        sid = self.sites["site_id"].to_numpy()
        if len(self.v_gd):
            # the floor rows' tolerance lets a rebuild leave out FLOOR_TOL_M2 that nothing frees: not a downsizing
            gd = np.maximum(val(self.v_gd), 0.0)
            hit = np.flatnonzero(gd > DOWNSIZE_NOISE_M2)
            if len(hit):
                ro = self.rebuild_opts[hit]
                reb = floor_added[floor_added["how"] == "rebuild"].set_index("option")["added_m2"]
                net = reb.reindex(ro).fillna(0.0).to_numpy() - gd[hit]
                floor_added = floor_added[~((floor_added["how"] == "rebuild") & floor_added["option"].isin(ro))]
                rows = pd.DataFrame(
                    {
                        "site_id": sid[self.opt_s[ro]],
                        "p": self.opt_avail[ro],
                        "year": self.pstart[self.opt_avail[ro]],
                        "added_m2": net,
                        "how": np.where(net >= 0, "rebuild", "downsize"),
                        "option": ro,
                        "works_start": self.opt_year[ro],
                        "works_years": self.opt_spread[ro],
                    }
                )
                floor_added = pd.concat([floor_added, rows[np.abs(net) > 1e-6]], ignore_index=True)
                floor_added = floor_added.sort_values(["site_id", "p", "how"], kind="mergesort").reset_index(drop=True)
        mcols = ["rule", "service_id", "close", "into", "p", "year"]
        if self.J:
            mg = np.round(val(self.v_mg)).reshape(self.J, P) > 0.5
            js = np.flatnonzero(mg.any(axis=1))
            first = np.argmax(mg[js], axis=1)
            mergers = (
                self.mpairs.iloc[js][["rule", "service_id", "close", "into"]]
                .assign(p=first, year=self.pstart[first])
                .reset_index(drop=True)[mcols]
            )
        else:
            mergers = pd.DataFrame(columns=mcols)
        ccols = ["site_id", "p", "year", "converted_m2"]
        if len(self.v_cv):
            cv = np.maximum(val(self.v_cv), 0.0).reshape(len(self.conv_sites), P)
            i, q = np.nonzero(cv > 1e-6)
            conversions = pd.DataFrame(
                {"site_id": sid[self.conv_sites[i]], "p": q, "year": self.pstart[q], "converted_m2": cv[i, q]}
            )
        else:
            conversions = pd.DataFrame(columns=ccols)
        return floor_added, mergers, conversions
