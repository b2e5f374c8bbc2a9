"""Coverage and assignment rows: every zone's demand covered (``cover``), within the capacity of
the sites serving it (``capacity``), by the nearest provider for ``nearest`` services (``nearest_cum``,
``nearest``), per district for ``district`` services (``district``), clubs kept at their anchor
(``anchor``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["CoverageRows"]


class CoverageRows:
    """Mixin of PortfolioModel: the coverage and assignment constraint families."""

    def _assignment_rows(self) -> None:
        """Families in creation order: cover, capacity, offer, nearest_cum, nearest, district, anchor."""
        self._cover_rows()
        self._capacity_rows()
        self._offer_rows()
        if len(self.near_idx):
            self._nearest_rows()
        self._district_rows()
        self._anchor_rows()

    def _live_reach(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(has, live, ri, pi): (zone, service) × period with demand; the same per reach row; live (row, period)."""
        has = (self.pop > 0) | (self.dem > 0)
        live = has[self.reach["zk"].to_numpy()]  # (R, P)
        ri, pi = np.nonzero(live)
        return has, live, ri, pi

    def _cover_rows(self) -> None:
        P, m, zk = self.P, self.m, self.zk
        w = self.v_w.reshape(self.R, P)
        rzk = self.reach["zk"].to_numpy()
        has, _, ri, pi = self._live_reach()
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

    def _capacity_rows(self) -> None:
        """capacity: demand served <= capacity0 * place + unit * ext."""
        P, m, el = self.P, self.m, self.el
        w = self.v_w.reshape(self.R, P)
        re = self.reach["e"].to_numpy()
        rzk = self.reach["zk"].to_numpy()
        _, _, ri, pi = self._live_reach()
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
        labels = [
            f"{k}@{s}@p{q}" for k, s, q in zip(el["service_id"].to_numpy()[ue], el["site_id"].to_numpy()[ue], up_)
        ]
        pen = 100.0 / np.maximum(np.bincount(row_id, weights=d[ok], minlength=len(used)), 1.0)
        m.add("capacity", rows, vars_, coefs, "<=", 0.0, n_rows=len(used), labels=labels, penalty=pen)

    def _offer_rows(self) -> None:
        """offer: a service without capacity need (demand_rate 0, e.g. meeting rooms) serves a zone only from a
        site that has it: per (zone, site, period) pair ``w <= capacity0 in use + unit * ext``, so a site
        serving anyone holds at least one unit (the capacity rows cannot say it: the demand is 0)."""
        P, el = self.P, self.el
        w = self.v_w.reshape(self.R, P)
        re = self.reach["e"].to_numpy()
        rzk = self.reach["zk"].to_numpy()
        _, _, ri, pi = self._live_reach()
        zero = self.dem[rzk[ri], pi] <= 0
        if not zero.any():
            return
        zr, zq = ri[zero], pi[zero]
        flat = re[zr] * P + zq
        cin = self._cin_of(flat)
        has_cin = np.array([c is not None for c in cin], dtype=bool)
        n = len(zr)
        rows = np.r_[np.arange(n), np.arange(n), np.flatnonzero(has_cin)]
        vars_ = np.r_[w[zr, zq], self.v_ext[flat], cin[has_cin]]
        coefs = np.r_[np.ones(n), -el["unit"].to_numpy()[re[zr]], -np.ones(has_cin.sum())]
        sid, kid = el["site_id"].to_numpy()[re[zr]], el["service_id"].to_numpy()[re[zr]]
        zid = self.reach["zone_id"].to_numpy()[zr]
        labels = [f"{z}/{k}@{s}@p{q}" for z, k, s, q in zip(zid, kid, sid, zq)]
        self.m.add("offer", rows, vars_, coefs, "<=", 0.0, n_rows=n, labels=labels, penalty=100.0)

    def _nearest_rows(self) -> None:
        """nearest: cum_j = cum_{j-1} + w_j along the zone's sites by distance; place_j <= cum_j."""
        P, m, reach = self.P, self.m, self.reach
        w = self.v_w.reshape(self.R, P)
        x = self.v_place.reshape(self.E, P)
        re = reach["e"].to_numpy()
        rzk = reach["zk"].to_numpy()
        _, live, _, _ = self._live_reach()
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
        m.add(
            "nearest_cum",
            np.concatenate(rows_a),
            np.concatenate(vars_a),
            np.concatenate(coefs_a),
            "==",
            0.0,
            n_rows=n * P,
        )
        live_n = live[ni]
        ii, qq = np.nonzero(live_n)
        uu = self.v_u.reshape(len(self.zk), P)[rzk[ni[ii]], qq]  # an uncovered share is exempt
        n_ = len(ii)
        self.m.add(
            "nearest",
            np.r_[np.arange(n_), np.arange(n_), np.arange(n_)],
            np.r_[x[re[ni[ii]], qq], cum[ii, qq], uu],
            np.r_[np.ones(n_), -np.ones(n_), -np.ones(n_)],
            "<=",
            0.0,
            n_rows=n_,
            penalty=10.0,
            labels=[
                f"{a}/{b}->{c}@p{q}"
                for a, b, c, q in zip(
                    reach["zone_id"].to_numpy()[ni[ii]],
                    reach["service_id"].to_numpy()[ni[ii]],
                    reach["site_id"].to_numpy()[ni[ii]],
                    qq,
                )
            ],
        )

    def _anchor_rows(self) -> None:
        """anchor: a district service stays at its anchor while the anchor is open (a club stays in its school)."""
        P, el = self.P, self.el
        x = self.v_place.reshape(self.E, P)
        keep = self._anchor_placements()
        if len(keep) and not self.baseline:
            o = self.v_open.reshape(self.S, P)
            es = el["s"].to_numpy()
            self._pairs(
                "anchor",
                x[keep].ravel(),
                1.0,
                o[es[keep]].ravel(),
                -1.0,
                ">=",
                penalty=10.0,
                labels=[f"{el['service_id'].iat[e]}@{el['site_id'].iat[e]}@p{q}" for e in keep for q in range(P)],
            )

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
            zd_rows.append(
                pd.DataFrame({"zk": zz.index.to_numpy(), "service_id": k, "district": zz["zone_id"].map(zd).to_numpy()})
            )
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
            rows.append(zg * P + q)
            vars_.append(u[zk_arr, q])
            coefs.append(-d)
            np.add.at(rhs, zg * P + q, -d)
            rows.append(eg * P + q)
            vars_.append(ext[e_arr, q])
            coefs.append(-unit[e_arr])
            has = cin_pos[e_arr] >= 0
            rows.append(eg[has] * P + q)
            vars_.append(cin[cin_pos[e_arr[has]], q])
            coefs.append(-np.ones(has.sum()))
        r_, v_, c_ = self._merge_district_terms(groups)
        rows.append(r_)
        vars_.append(v_)
        coefs.append(c_)
        labels = [f"{k}@{d}@p{q}" for k, d in zip(groups["service_id"], groups["district"]) for q in range(P)]
        self.m.add(
            "district",
            np.concatenate(rows),
            np.concatenate(vars_),
            np.concatenate(coefs),
            "<=",
            rhs,
            n_rows=G * P,
            labels=labels,
            penalty=1.0,
        )
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
