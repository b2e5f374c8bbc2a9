"""The model's variable blocks, their bounds (fixed periods, locks, frozen placements, growth
limits) and the small helpers that slice blocks and add aligned pair rows.

Blocks are created in one fixed order (the solver's path depends on it).
"""

from __future__ import annotations

import numpy as np

from ...milp import Milp
from .constants import SCALE

__all__ = ["ModelVariables"]


class ModelVariables:
    """Mixin of PortfolioModel: variable blocks and bounds."""

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
        self.v_fund = (
            m.block("fund", self.H, low=fund.min_balance_yen / SCALE) if (fund and self._has_budget()) else None
        )
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
            frozen_e = el["current"] & (
                el["site_id"].isin(pol.frozen_sites) | el["service_id"].isin(pol.frozen_services)
            )
            kept = (
                el["current"]
                & el["service_id"].isin(pol.keep_services)
                & ~frozen_e
                & ~el["site_id"].isin(self.merge_released)
            )  # until their merger: merge_lock
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
        return self.v_open[s * self.P : (s + 1) * self.P]

    def _x(self, e) -> np.ndarray:
        return self.v_place[e * self.P : (e + 1) * self.P]

    def _pairs(
        self,
        family: str,
        a: np.ndarray,
        ca: float,
        b: np.ndarray,
        cb: float,
        sense: str,
        rhs=0.0,
        labels=None,
        penalty=None,
    ) -> None:
        """Rows ``ca·a[i] + cb·b[i] (sense) rhs`` for aligned variable arrays (one row each)."""
        n = len(a)
        if n == 0:
            return
        rows = np.r_[np.arange(n), np.arange(n)]
        coefs = np.r_[
            np.broadcast_to(np.asarray(ca, dtype=float), (n,)), np.broadcast_to(np.asarray(cb, dtype=float), (n,))
        ]
        self.m.add(family, rows, np.r_[a, b], coefs, sense, rhs, n_rows=n, labels=labels, penalty=penalty)
