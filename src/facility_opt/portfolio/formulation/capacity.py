"""State and floor rows: sites and placements change at most once, capacity added and kept in
use only where a service is placed (``open_order``, ``place_order``, ``place_open``, ``ext_link``,
``in_use_link``), services' floor within the site's floor and added floor within the site limit
(``floor``, ``site_limit``, ``grow_open``, ``grow_open_new``, ``rebuild_add``).
"""

from __future__ import annotations

import numpy as np

from .constants import FLOOR_TOL_M2

__all__ = ["CapacityRows"]


class CapacityRows:
    """Mixin of PortfolioModel: the state and floor constraint families."""

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
        self._pairs(
            "in_use_link", self.v_cin, 1.0, x[ci].ravel(), -np.repeat(self.el["capacity"].to_numpy()[ci], P), "<="
        )

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
            rows.append(row(es[e_ok], q))
            vars_.append(x[e_ok, q])
            coefs.append(floor0[e_ok])
            rows.append(row(es[ci], q))
            vars_.append(cin[:, q])
            coefs.append(f0u[ci])
            g_ok = (self.ext_ub > 0) & (need > 0)
            rows.append(row(es[g_ok], q))
            vars_.append(ext[g_ok, q])
            coefs.append(need[g_ok])
            rows.append(row(np.arange(S), q))
            vars_.append(o[:, q])
            coefs.append(-self.F)
            for qq in range(q + 1):
                rows.append(row(np.arange(S), q))
                vars_.append(gx[:, qq])
                coefs.append(-np.ones(S))
            ro = self.rebuild_opts
            done = self.opt_avail[ro] <= q
            rows.append(row(self.opt_s[ro][done], q))
            vars_.append(self.v_ga[done])
            coefs.append(-np.ones(done.sum()))
            r_, v_, c_ = self._reform_floor_terms(q)
            rows.append(r_)
            vars_.append(v_)
            coefs.append(c_)
        labels = [f"{sid}@p{q}" for sid in self.sites["site_id"] for q in range(P)]
        # a tenth of a square metre of tolerance: floors are given to 0.01 m2 and current uses fill their building
        m.add(
            "floor",
            np.concatenate(rows),
            np.concatenate(vars_),
            np.concatenate(coefs),
            "<=",
            FLOOR_TOL_M2,
            n_rows=S * P,
            labels=labels,
            penalty=1.0 / np.repeat(np.maximum(self.F, 100.0), P),
        )
        # added floor within the site limit; on a site that then stays open (existing) / is open (candidates)
        ro = self.rebuild_opts
        lim_rows = np.r_[np.repeat(np.arange(S), P), self.opt_s[ro]]
        lim_vars = np.r_[self.v_gx, self.v_ga]
        finite = np.isfinite(self.room)
        room = np.where(finite, self.room, 0.0)
        sel = finite[lim_rows]
        m.add("site_limit", lim_rows[sel], lim_vars[sel], 1.0, "<=", room, n_rows=S, labels=list(self.sites["site_id"]))
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
