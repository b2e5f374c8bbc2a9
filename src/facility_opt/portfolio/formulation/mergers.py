"""School mergers in the MILP (``mg[j,p]``; see :mod:`facility_opt.portfolio.formulation.reform` for the
families): their rows, the district terms that make two merged districts one, and the merged districts'
reach and sites when the solution is read.  A base of :class:`~.reform.ReformRows`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["MergerRows"]


class MergerRows:
    """Mixin of PortfolioModel (through ReformRows): school mergers."""

    def _district_demand(self, k: str, district: str) -> np.ndarray:
        zks, _ = self._district_members(k, (district,))
        return self.dem[zks].sum(axis=0)

    @property
    def merge_released(self) -> set[str]:
        """Sites whose lock to stay open (and keep their services) holds only until their merger."""
        return set(self.mpairs["close"]) - set(self.problem.policy.frozen_sites) if self.J else set()

    def _merge_rows(self) -> None:
        if not self.J:
            return
        P, S, J = self.P, self.S, self.J
        mg = self.v_mg.reshape(J, P)
        o = self.v_open.reshape(S, P)
        x = self.v_place.reshape(self.E, P)
        labels = [f"{r.close}->{r.into}" for r in self.mpairs.itertuples(index=False)]
        if P > 1:
            self._pairs("merge_order", mg[:, :-1].ravel(), 1.0, mg[:, 1:].ravel(), -1.0, "<=")
            # a merger starts (mg[p] - mg[p-1] = 1) only where the window allows it
            late = np.flatnonzero(~self.m_ok[:, 1:].ravel())
            self._pairs("merge_window", mg[:, 1:].ravel()[late], 1.0, mg[:, :-1].ravel()[late], -1.0, "<=")
        cs = self.site_pos.reindex(self.mpairs["close"]).to_numpy()
        ci = self.site_pos.reindex(self.mpairs["into"]).to_numpy()
        self._pairs(
            "merge_close",
            mg.ravel(),
            1.0,
            o[cs].ravel(),
            1.0,
            "<=",
            rhs=1.0,
            labels=[f"{lb}@p{q}" for lb in labels for q in range(P)],
        )
        # a school takes part in at most one merger
        who = np.r_[cs, ci]
        jj = np.r_[np.arange(J), np.arange(J)]
        sites = np.unique(who)
        sid = np.searchsorted(sites, who)
        rows = (sid[:, None] * P + np.arange(P)[None, :]).ravel()
        self.m.add("merge_one", rows, mg[jj].ravel(), 1.0, "<=", 1.0, n_rows=len(sites) * P)
        # the released locks: open (and keeping its kept services) until merged
        pol, el = self.problem.policy, self.el
        rows, vars_, coefs = [], [], []
        n = 0
        targets = [("site", s) for s in sorted(set(pol.lock_open) & self.merge_released)]
        kept = el["current"] & el["service_id"].isin(pol.keep_services) & el["site_id"].isin(self.merge_released)
        targets += [("place", e) for e in np.flatnonzero(kept.to_numpy())]
        for what, t in targets:
            s = t if what == "site" else el["site_id"].iat[t]
            var = o[self.site_pos[s]] if what == "site" else x[t]
            js = np.flatnonzero(self.mpairs["close"].to_numpy() == s)
            for q in range(P):
                rows += [n] + [n] * len(js)
                vars_ += [var[q]] + list(mg[js, q])
                coefs += [1.0] + [1.0] * len(js)
                n += 1
        if n:
            self.m.add(
                "merge_lock",
                np.array(rows),
                np.array(vars_, dtype=object),
                np.array(coefs),
                ">=",
                1.0,
                n_rows=n,
                penalty=1.0,
            )
        # one district: the two districts' demand within their sites' capacity together, once merged
        rows, vars_, coefs, labels = [], [], [], []
        for i, (j, k, a, b, da, db) in enumerate(self.m_links):
            zks, es = self._district_members(k, (a, b))
            for q in range(P):
                r = i * P + q
                rows += [r] * (len(zks) + 2 * len(es) + 1)
                vars_ += list(self.v_u.reshape(len(self.zk), P)[zks, q])
                coefs += list(-self.dem[zks, q])
                for e in es:
                    vars_ += [self.v_ext.reshape(self.E, P)[e, q], self._cin_var(e, q)]
                    coefs += [-float(self.el["unit"].iat[e]), -1.0]
                vars_.append(mg[j, q])
                coefs.append(float(da[q] + db[q]))
                labels.append(f"{k}@{a}+{b}@p{q}")
        keep = [v is not None for v in vars_]
        self.m.add(
            "merge_district",
            np.array(rows)[keep],
            np.array(vars_, dtype=object)[keep],
            np.array(coefs)[keep],
            "<=",
            0.0,
            n_rows=len(self.m_links) * P,
            labels=labels,
            penalty=1.0,
        )

    def _district_members(self, k: str, districts: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """(zk rows, placements) of district service ``k`` in ``districts``."""
        cache = self.__dict__.setdefault("_dm_cache", {})
        if k not in cache:
            zd, sd = self.problem.district_tables(k)
            zdist = np.where((self.zk["service_id"] == k).to_numpy(), self.zk["zone_id"].map(zd).to_numpy(), None)
            edist = np.where((self.el["service_id"] == k).to_numpy(), self.el["site_id"].map(sd).to_numpy(), None)
            cache[k] = (zdist, edist)
        zdist, edist = cache[k]
        return np.flatnonzero(np.isin(zdist, list(districts))), np.flatnonzero(np.isin(edist, list(districts)))

    def _cin_var(self, e: int, q: int):
        if "_cin_pos" not in self.__dict__:
            self._cin_pos = -np.ones(self.E, dtype=np.int64)
            self._cin_pos[self.cur_idx] = np.arange(len(self.cur_idx))
        pos = self._cin_pos[e]
        return self.v_cin[pos * self.P + q] if pos >= 0 else None

    def _merge_district_terms(self, groups: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Terms relaxing each district row by its whole demand once its school has merged (the
        ``merge_district`` row holds instead): rows of the ``district`` family."""
        if not self.J:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object), np.zeros(0)
        P = self.P
        gid = pd.MultiIndex.from_frame(groups[["service_id", "district"]])
        mg = self.v_mg.reshape(self.J, P)
        rows, vars_, coefs = [], [], []
        for j, k, a, b, da, db in self.m_links:
            for dist, dd in ((a, da), (b, db)):
                g = gid.get_indexer([(k, dist)])[0]
                if g < 0:
                    continue
                rows += [g * P + q for q in range(P)]
                vars_ += list(mg[j])
                coefs += list(-dd)
        return np.array(rows, dtype=np.int64), np.array(vars_, dtype=object), np.array(coefs, dtype=float)

    def _merge_partner_reach(self, dr: pd.DataFrame) -> pd.DataFrame:
        """District reach plus, for each merger, each district's zones to the other district's sites
        (column ``mj``: the merger, -1 for a zone's own district)."""
        dr = dr.assign(mj=-1)
        if not self.J:
            return dr
        extra = []
        for j, k, a, b, _, _ in self.m_links:
            _, sd = self.problem.district_tables(k)
            for mine, other in ((a, b), (b, a)):
                zks, _ = self._district_members(k, (mine,))
                _, es = self._district_members(k, (other,))
                if not len(zks) or not len(es):
                    continue
                t = pd.DataFrame({"zk": np.repeat(zks, len(es)), "e": np.tile(es, len(zks))})
                t["zone_id"] = self.zk["zone_id"].to_numpy()[t["zk"]]
                t["service_id"] = k
                t["site_id"] = self.el["site_id"].to_numpy()[t["e"]]
                extra.append(t.assign(mj=j))
        if extra:
            x = pd.concat(extra, ignore_index=True)
            x = x.merge(self.problem.pairs, on=["zone_id", "site_id"], how="left")
            dr = pd.concat([dr, x[[c for c in dr.columns if c in x.columns]]], ignore_index=True)
        return dr

    def _merged_since(self, mergers: pd.DataFrame) -> pd.Series:
        """Candidate pair -> first merged period, for the mergers made (a partner district's sites serve
        a zone only from then on)."""
        if not len(mergers):
            return pd.Series(dtype=float)
        key = pd.MultiIndex.from_frame(self.mpairs[["close", "into", "rule"]].astype(str))
        j = key.get_indexer(pd.MultiIndex.from_frame(mergers[["close", "into", "rule"]].astype(str)))
        return pd.Series(mergers["p"].to_numpy(dtype=float), index=j)
