"""The labelled solution of a solve: variable values read back by the problem's ids."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...milp import values
from ...solver import SolveInfo
from .constants import SCALE

__all__ = ["Solution", "SolutionReader"]


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
    mergers: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["rule", "service_id", "close", "into", "p", "year"])
    )  # school mergers made (first merged period)
    conversions: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["site_id", "p", "year", "converted_m2"])
    )  # existing floor converted to a new use


class SolutionReader:
    """Mixin of PortfolioModel: the labelled values of the last solve."""

    def solution(self, info: SolveInfo) -> Solution:
        """The labelled values of the last solve."""
        has = info.has_solution
        val = values if has else (lambda vs: np.zeros(len(vs)))
        P, S = self.P, self.S
        sid = self.sites["site_id"].to_numpy()
        op = np.round(val(self.v_open)).reshape(S, P) > 0.5
        open_df = pd.DataFrame({"site_id": np.repeat(sid, P), "p": np.tile(np.arange(P), S), "open": op.ravel()})
        pl = self._placement_solution(val)
        floor_added = self._floor_solution(val, sid)
        floor_added, mergers, conversions = self._reform_solution(floor_added, val)
        events = self._event_solution(val)
        a = self._assignment_solution(val, pl, mergers)
        u = self._uncovered_solution(val)
        level = float(self.v_level[0].varValue) * SCALE if (has and self.v_level is not None) else None
        slacks = self.m.slack_values() if (has and self.elastic) else {}
        if has and self.v_over is not None:
            over = val(self.v_over) * SCALE
            hit = np.flatnonzero(over > 1.0)
            if len(hit):
                slacks["over_budget"] = [(str(self.first + t), float(over[t])) for t in hit]
        disposals, operators = self._economics_solution(val, op)
        return Solution(
            info=info,
            open=open_df,
            placements=pl,
            floor_added=floor_added,
            events=events,
            assignments=a,
            uncovered=u,
            level_budget_yen=level,
            slacks=slacks,
            disposals=disposals,
            operators=operators,
            mergers=mergers,
            conversions=conversions,
        )

    def _placement_solution(self, val) -> pd.DataFrame:
        """Each service at each site per period: placed, its current places in use, places added."""
        P, E, el = self.P, self.E, self.el
        place = np.round(val(self.v_place)).reshape(E, P)
        ext = np.maximum(val(self.v_ext).reshape(E, P), 0.0)
        ext = np.where(self.is_unit[:, None], np.round(ext), ext) * el["unit"].to_numpy()[:, None]
        ext = np.where(place > 0.5, ext, 0.0)
        cin = np.zeros((E, P))
        cin[self.cur_idx] = np.clip(val(self.v_cin).reshape(len(self.cur_idx), P), 0.0, None)
        cin = np.where(place > 0.5, np.minimum(np.round(cin, 6), el["capacity"].to_numpy()[:, None]), 0.0)
        pl = pd.DataFrame(
            {
                "service_id": np.repeat(el["service_id"].to_numpy(), P),
                "site_id": np.repeat(el["site_id"].to_numpy(), P),
                "p": np.tile(np.arange(P), E),
                "current": np.repeat(el["current"].to_numpy(), P),
                "place": place.ravel(),
                "capacity0": np.repeat(el["capacity"].to_numpy(), P),
                "ext": ext.ravel(),
                "in_use": cin.ravel(),
                "capacity": (cin + ext).ravel(),
                "floor0": np.repeat(el["floor_area_m2"].to_numpy(), P),
            }
        )
        return pl

    def _floor_solution(self, val, sid: np.ndarray) -> pd.DataFrame:
        """Floor added per site and period: extensions and new buildings, and the rebuilds' chosen options."""
        P, S = self.P, self.S
        gx = np.maximum(val(self.v_gx), 0.0).reshape(S, P)
        gi, gq = np.nonzero(gx > 1e-6)
        by = self.problem.policy.build_years
        rows = [
            pd.DataFrame(
                {
                    "site_id": sid[gi],
                    "p": gq,
                    "year": self.pstart[gq],
                    "added_m2": gx[gi, gq],
                    "how": np.where(self.existing[gi], "extension", "new"),
                    "option": -1,
                    "works_start": self.pstart[gq] - by,
                    "works_years": by,
                }
            )
        ]
        ga = np.maximum(val(self.v_ga), 0.0)
        hit = np.flatnonzero(ga > 1e-6)
        ro = self.rebuild_opts[hit]
        rows.append(
            pd.DataFrame(
                {
                    "site_id": sid[self.opt_s[ro]],
                    "p": self.opt_avail[ro],
                    "year": self.pstart[self.opt_avail[ro]],
                    "added_m2": ga[hit],
                    "how": "rebuild",
                    "option": ro,
                    "works_start": self.opt_year[ro],
                    "works_years": self.opt_spread[ro],
                }
            )
        )
        floor_added = pd.concat(rows, ignore_index=True).sort_values(["site_id", "p", "how"], kind="mergesort")
        floor_added = floor_added.reset_index(drop=True)
        return floor_added

    def _assignment_solution(self, val, pl: pd.DataFrame, mergers: pd.DataFrame) -> pd.DataFrame:
        """The share of each zone's demand assigned to each site per period (district services included)."""
        P = self.P
        re = self.reach
        w = np.clip(val(self.v_w), 0.0, 1.0).reshape(self.R, P)
        ri, pi = np.nonzero(w > 1e-7)
        zk = re["zk"].to_numpy()[ri]
        a = pd.DataFrame(
            {
                "zone_id": re["zone_id"].to_numpy()[ri],
                "service_id": re["service_id"].to_numpy()[ri],
                "site_id": re["site_id"].to_numpy()[ri],
                "p": pi,
                "distance_m": re["distance_m"].to_numpy()[ri],
                "population": self.pop[zk, pi],
                "demand": self.dem[zk, pi],
                "share": w[ri, pi],
            }
        )
        u_all = np.clip(val(self.v_u), 0.0, 1.0).reshape(len(self.zk), P)
        a = pd.concat([a, self._district_assignments(pl, u_all, mergers)], ignore_index=True)
        return a

    def _uncovered_solution(self, val) -> pd.DataFrame:
        """The share of each zone's demand left uncovered per period (all of it where no site can reach)."""
        P = self.P
        us = np.clip(val(self.v_u), 0.0, 1.0).reshape(len(self.zk), P)
        has_r = np.zeros(len(self.zk), dtype=bool)
        has_r[self.reach["zk"].to_numpy()] = True
        has_r[self.dist_reach["zk"].to_numpy()] = True
        live = (self.pop > 0) | (self.dem > 0)
        us[~has_r] = 1.0
        us = np.where(live, us, 0.0)
        ui, uq = np.nonzero(us > 1e-7)
        u = pd.DataFrame(
            {
                "zone_id": self.zk["zone_id"].to_numpy()[ui],
                "service_id": self.zk["service_id"].to_numpy()[ui],
                "p": uq,
                "population": self.pop[ui, uq],
                "demand": self.dem[ui, uq],
                "share": us[ui, uq],
            }
        )
        return u

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
        chosen = pd.DataFrame(
            {
                "e": opt["e"].to_numpy()[z],
                "option": np.flatnonzero(z),
                "year": opt["year"].to_numpy()[z],
                "variant": opt["variant"].to_numpy()[z],
            }
        )
        d = val(self.v_drop) > 0.5
        dropped = pd.DataFrame({"e": self.drops[d, 0], "drop_p": self.drops[d, 1]})
        out = (
            ev[["site_id", "e", "kind", "cycle", "due_year"]]
            .merge(chosen, on="e", how="left")
            .merge(dropped, on="e", how="left")
        )
        out["status"] = np.where(
            out["drop_p"].notna(),
            "dropped",
            np.where(out["year"] > self.last, "deferred", np.where(out["year"].notna(), "done", "none")),
        )
        return out[cols].reset_index(drop=True)
