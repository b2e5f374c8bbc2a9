"""Tables derived from a portfolio problem: where each service may be placed (:meth:`eligible`), which
sites each zone may be served from (:meth:`reach`), demand per period, what freed land may become
and which placements may change operator.  A mixin of
:class:`~facility_opt.portfolio.problem.PortfolioProblem`: the data classes stay plain, the tables
the model and the checks share are computed in one place.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .policy import DISPOSALS

__all__ = ["ProblemTables"]


class ProblemTables:
    """Mixin of PortfolioProblem: the derived tables (computed on demand, never stored)."""

    def eligible(self) -> pd.DataFrame:
        """(service_id, site_id) pairs where a service may be placed, with ``current`` capacity/floor.

        A service may stay where it is now; it may move to a site whose category is one of its
        ``host_categories``, unless the site is a candidate restricted by
        ``policy.candidate_services``, a frozen site, or the service is frozen; a ``district``
        service only to sites that belong to a district.
        """
        pol = self.policy
        cur = self.placements.groupby(["service_id", "site_id"], sort=True, as_index=False).agg(
            capacity=("capacity", "sum"), floor_area_m2=("floor_area_m2", "sum")
        )
        cur["current"] = True
        hosts = self.services[["service_id", "host_categories"]].explode("host_categories").dropna()
        hosts = hosts.rename(columns={"host_categories": "category"})
        el = hosts.merge(self.sites[["site_id", "category", "kind"]], on="category")[["service_id", "site_id", "kind"]]
        if pol.candidate_services:
            allowed = {(k, s) for s, ks in pol.candidate_services.items() for k in ks}
            restricted = set(pol.candidate_services)
            keep = [(s not in restricted) or ((k, s) in allowed) for k, s in zip(el["service_id"], el["site_id"])]
            el = el[keep]
        el = el[~el["site_id"].isin(pol.frozen_sites) & ~el["service_id"].isin(pol.frozen_services)]
        for k in self.services.loc[self.services["rule"] == "district", "service_id"]:
            _, sd = self.district_tables(k)
            el = el[(el["service_id"] != k) | el["site_id"].isin(sd.index)]
        el = pd.concat([cur[["service_id", "site_id"]], el[["service_id", "site_id"]]]).drop_duplicates()
        el = el.merge(cur, on=["service_id", "site_id"], how="left")
        el["current"] = el["current"].fillna(False).astype(bool)
        el[["capacity", "floor_area_m2"]] = el[["capacity", "floor_area_m2"]].fillna(0.0)
        return el.sort_values(["service_id", "site_id"], kind="mergesort").reset_index(drop=True)

    def reach(self) -> pd.DataFrame:
        """(zone, service, site) triples a zone may be served from: the sparse support of assignments.

        ``allocated`` and ``nearest`` services: eligible sites within the service's standard (or
        ``policy.max_reach_m``), for ``nearest`` services only the ``policy.nearest_candidates``
        nearest (or more, up to the nearest current provider; always a prefix by distance, so the
        nearest rule stays exact); ``district`` services: the eligible sites of the zone's district, whatever the
        distance.  Columns zone_id, service_id, site_id, distance_m (NaN when the pair is not in
        ``pairs``), sorted by service, zone, distance and site (the ``nearest`` order).
        """
        el = self.eligible()[["service_id", "site_id"]]
        zk = self.demand[["zone_id", "service_id"]].drop_duplicates()
        rule = self.services.set_index("service_id")["rule"]
        parts = []
        plain = zk[zk["service_id"].map(rule) != "district"]
        t = plain.merge(el, on="service_id").merge(self.pairs, on=["zone_id", "site_id"])
        cov = self.services.set_index("service_id")["coverage_m"]
        limit = t["service_id"].map(cov).to_numpy(dtype=float)
        far = self.policy.max_reach_m if self.policy.max_reach_m is not None else np.inf
        limit = np.where(np.isnan(limit), far, limit)
        parts.append(t[t["distance_m"].to_numpy() <= limit + 1e-9])
        for k in rule.index[rule == "district"]:
            zd, sd = self.district_tables(k)
            zz = zk[zk["service_id"] == k].assign(district=lambda f: f["zone_id"].map(zd))  # noqa: B023 (called at once)
            ss = el[el["service_id"] == k].assign(district=lambda f: f["site_id"].map(sd))  # noqa: B023 (called at once)
            t = zz.merge(ss, on=["service_id", "district"]).merge(self.pairs, on=["zone_id", "site_id"], how="left")
            parts.append(t.drop(columns="district"))
        out = pd.concat(parts, ignore_index=True)
        out["distance_m"] = out["distance_m"].astype(float)
        out["_d"] = out["distance_m"].round(1).fillna(np.inf)
        out = out.sort_values(["service_id", "zone_id", "_d", "site_id"], kind="mergesort").reset_index(drop=True)
        k = self.policy.nearest_candidates
        if k is not None:  # the k nearest eligible sites, and at least up to the nearest current provider:
            # a prefix by distance, so that nobody can pass a nearer provider the model does not see
            near = out["service_id"].map(rule).eq("nearest").to_numpy()
            key = [out["service_id"], out["zone_id"]]
            rank = out.groupby(key, sort=False).cumcount()
            cur = pd.MultiIndex.from_frame(self.placements[["service_id", "site_id"]].drop_duplicates())
            now = pd.Series(pd.MultiIndex.from_frame(out[["service_id", "site_id"]]).isin(cur), index=out.index)
            first_now = rank.where(now).groupby(key, sort=False).transform("min").fillna(-1)
            keep = ~near | (rank < np.maximum(k, first_now + 1)).to_numpy()
            out = out[keep].reset_index(drop=True)
        return out[["zone_id", "service_id", "site_id", "distance_m"]]

    def demand_by_period(self) -> pd.DataFrame:
        """zone_id, service_id, p, population, demand: the largest of the period's years, so that a
        portfolio that meets a period's demand meets it in each of its years."""
        per = self.policy.periods()
        pidx = np.searchsorted(per["start"].to_numpy(), self.demand["year"].to_numpy(), side="right") - 1
        d = self.demand.assign(p=pidx)
        return d.groupby(["zone_id", "service_id", "p"], sort=True, as_index=False)[["population", "demand"]].max()

    def disposal_table(self) -> pd.DataFrame:
        """What each freed site's land may become: one row per (existing sellable site, allowed option).

        Columns site_id, choice (sell, lease, reuse), need_id (reuse), value_yen (one-off, in the
        closure year) and value_yen_per_year (every year after the closure).  ``sell``: the land value;
        ``lease``: ``lease_yield`` × the land value a year (both only where the land has a value);
        ``reuse``: each need of ``policy.reuse_needs`` the site fits.  'hold' (nothing) needs no row.
        """
        pol = self.policy
        cols = ["site_id", "choice", "need_id", "value_yen", "value_yen_per_year"]
        s = self.sites[self.sites["kind"].eq("existing") & self.sites["sellable"]]
        value = (s["land_value_yen_per_m2"] * s["site_area_m2"]).to_numpy()
        ids = s["site_id"].to_numpy()
        opts = pol.disposal_options
        rows = []
        if "sell" in opts:
            rows.append(
                pd.DataFrame(
                    {"site_id": ids, "choice": "sell", "need_id": "", "value_yen": value, "value_yen_per_year": 0.0}
                )[value > 0]
            )
        if "lease" in opts:
            rows.append(
                pd.DataFrame(
                    {
                        "site_id": ids,
                        "choice": "lease",
                        "need_id": "",
                        "value_yen": 0.0,
                        "value_yen_per_year": pol.lease_yield * value,
                    }
                )[value > 0]
            )
        if "reuse" in opts:
            limit = (s["site_area_m2"] * s["max_far"].fillna(np.inf)).to_numpy()
            for n in pol.reuse_needs:
                fits = (s["site_area_m2"].to_numpy() >= n.min_site_area_m2) & (limit >= n.floor_m2)
                rows.append(
                    pd.DataFrame(
                        {
                            "site_id": ids[fits],
                            "choice": "reuse",
                            "need_id": n.id,
                            "value_yen": n.value_yen,
                            "value_yen_per_year": n.value_yen_per_year,
                        }
                    )
                )
        if not rows:
            return pd.DataFrame(columns=cols)
        out = pd.concat(rows, ignore_index=True)[cols]
        order = {c: i for i, c in enumerate(DISPOSALS)}
        out = out.assign(_o=out["choice"].map(order)).sort_values(["site_id", "_o", "need_id"], kind="mergesort")
        return out.drop(columns="_o").reset_index(drop=True)

    def operator_candidates(self) -> pd.DataFrame:
        """Current placements that may switch operator (``policy.operator_change``): service_id, site_id,
        ward_yen_per_place_year, commissioned_yen_per_place_year, transition_yen (empty without it)."""
        cols = ["service_id", "site_id", "ward_yen_per_place_year", "commissioned_yen_per_place_year", "transition_yen"]
        oc = self.policy.operator_change
        if oc is None:
            return pd.DataFrame(columns=cols)
        cur = self.placements[self.placements["capacity"] > 0][["service_id", "site_id"]].drop_duplicates()
        cur = cur[cur["service_id"].isin(list(oc.services)) & ~cur["site_id"].isin(oc.exclude_sites)]
        if oc.categories:
            cat = self.sites.set_index("site_id")["category"]
            cur = cur[cur["site_id"].map(cat).isin(oc.categories)]
        rate = self.services.set_index("service_id")["operating_yen_per_place_year"]
        cur = cur.assign(
            ward_yen_per_place_year=cur["service_id"].map(rate).to_numpy(dtype=float),
            commissioned_yen_per_place_year=[oc.services[k].commissioned_yen_per_place_year for k in cur["service_id"]],
            transition_yen=[oc.services[k].transition_yen for k in cur["service_id"]],
        )
        return cur.sort_values(["service_id", "site_id"], kind="mergesort").reset_index(drop=True)[cols]
