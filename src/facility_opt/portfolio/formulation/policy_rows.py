"""Policy limits: least capacity per service, least covered share, incompatible services, the most
closures, floor reduction bounds, the capital budget and (elastic) the priced locks.
"""

from __future__ import annotations

import numpy as np

from ...milp import csr_groups
from .constants import SCALE

__all__ = ["PolicyRows"]


class PolicyRows:
    """Mixin of PortfolioModel: the policy constraint families (not in the baseline)."""

    def _policy_rows(self) -> None:
        """Families in creation order: min_capacity, min_share, incompatible, max_closures, floor_reduction,
        capital, locks."""
        self._min_capacity_rows()
        self._min_share_rows()
        self._incompatible_rows()
        self._portfolio_limit_rows()
        if self.elastic and self.locks:
            self._lock_rows()

    def _min_capacity_rows(self) -> None:
        """Service floors: total capacity per period."""
        pol, P, m, el = self.problem.policy, self.P, self.m, self.el
        ext = self.v_ext.reshape(self.E, P)
        for k in self.problem.services["service_id"]:
            floor_y = pol.min_capacity_by_year(k)
            if not floor_y.any():
                continue
            need = np.array(
                [floor_y[self.pstart[q] - self.first : self.per["end"].iat[q] - self.first + 1].max() for q in range(P)]
            )
            ek = np.flatnonzero((el["service_id"] == k).to_numpy())
            kc = np.flatnonzero(el["service_id"].to_numpy()[self.cur_idx] == k)
            cin = self.v_cin.reshape(len(self.cur_idx), P)
            rows = np.r_[np.tile(np.arange(P), len(ek)), np.tile(np.arange(P), len(kc))]
            vars_ = np.r_[ext[ek].ravel(), cin[kc].ravel()]
            coefs = np.r_[np.repeat(el["unit"].to_numpy()[ek], P), np.ones(len(kc) * P)]
            m.add(
                f"min_capacity:{k}",
                rows,
                vars_,
                coefs,
                ">=",
                need,
                n_rows=P,
                labels=[f"{k}@{y}" for y in self.pstart],
                penalty=1.0 / max(float(need.max()), 1.0),
            )

    def _min_share_rows(self) -> None:
        """Minimum covered share per min-share service and period."""
        pol, P, m = self.problem.policy, self.P, self.m
        shares = [(k, v) for k, v in pol.min_share.items() if v > 0]
        if shares:
            u = self.v_u.reshape(len(self.soft_idx), P)
            soft_k = self.zk["service_id"].to_numpy()[self.soft_idx]
            rows, vars_, coefs, rhs, labels = [], [], [], [], []
            for k, v in shares:
                sel = np.flatnonzero(soft_k == k)
                for q in range(P):
                    pop = self.pop[self.soft_idx[sel], q]
                    tot = pop.sum()
                    if tot <= 0:
                        continue
                    rows.append(np.full(len(sel), len(rhs)))
                    vars_.append(u[sel, q])
                    coefs.append(pop / tot)
                    rhs.append(1 - v)
                    labels.append(f"{k}@p{q}")
            if rhs:
                m.add(
                    "min_share",
                    np.concatenate(rows),
                    np.concatenate(vars_),
                    np.concatenate(coefs),
                    "<=",
                    np.array(rhs),
                    n_rows=len(rhs),
                    labels=labels,
                    penalty=1.0,
                )

    def _incompatible_rows(self) -> None:
        """Services that may not share a site (incompatible pairs; services that are not co-locatable)."""
        pol, P, S, m, el = self.problem.policy, self.P, self.S, self.m, self.el
        x = self.v_place.reshape(self.E, P)
        pairs = {tuple(sorted(ab)) for ab in pol.incompatible}
        solo = set(self.problem.services.loc[~self.problem.services["co_locatable"], "service_id"])
        ks = el["service_id"].to_numpy()
        es = el["s"].to_numpy()
        inc = []
        order, ptr = csr_groups(es, S)
        for s_ in range(S):
            members = order[ptr[s_] : ptr[s_ + 1]]
            for i, e1 in enumerate(members):
                for e2 in members[i + 1 :]:
                    a, b = sorted((ks[e1], ks[e2]))
                    if (a, b) in pairs or a in solo or b in solo:
                        inc.append((e1, e2))
        if inc:
            inc = np.array(inc)
            n = len(inc) * P
            rows = np.r_[np.arange(n), np.arange(n)]
            m.add(
                "incompatible",
                rows,
                np.r_[x[inc[:, 0]].ravel(), x[inc[:, 1]].ravel()],
                1.0,
                "<=",
                1.0,
                n_rows=n,
                labels=[f"{ks[a]}+{ks[b]}@{el['site_id'].iat[a]}@p{q}" for a, b in inc for q in range(P)],
                penalty=1.0,
            )

    def _portfolio_limit_rows(self) -> None:
        """The most closures, the floor reduction bounds and the capital budget for change."""
        pol, P, m = self.problem.policy, self.P, self.m
        o = self.v_open.reshape(self.S, P)
        ex = np.flatnonzero(self.existing)
        if pol.max_closures is not None:
            m.add(
                "max_closures",
                np.zeros(len(ex)),
                o[ex, P - 1],
                1.0,
                ">=",
                len(ex) - pol.max_closures,
                n_rows=1,
                penalty=1.0,
            )
        base = float(self.F[ex].sum())
        gd_v, gd_c = self._reform_end_floor()
        end_floor_rows = (
            np.r_[o[ex, P - 1], self.v_gx, self.v_ga, gd_v],
            np.r_[self.F[ex], np.ones(len(self.v_gx) + len(self.v_ga)), gd_c],
        )
        if pol.min_floor_reduction is not None:
            vs, cs = end_floor_rows
            m.add(
                "floor_reduction_min",
                np.zeros(len(vs)),
                vs,
                cs,
                "<=",
                (1 - pol.min_floor_reduction) * base,
                n_rows=1,
                penalty=1.0 / max(base, 1.0),
            )
        if pol.max_floor_reduction is not None:
            vs, cs = end_floor_rows
            m.add(
                "floor_reduction_max",
                np.zeros(len(vs)),
                vs,
                cs,
                ">=",
                (1 - pol.max_floor_reduction) * base,
                n_rows=1,
                penalty=1.0 / max(base, 1.0),
            )
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

    def _lock_rows(self) -> None:
        """Elastic only: the locks as priced rows (bounds otherwise)."""
        m = self.m
        rows, vars_, coefs, rhs, labels = [], [], [], [], []
        for lab, vs, t in self.locks:
            for v in vs:  # |v - t| <= 0, priced: t=1: v >= 1; t=0: v <= 0 -> -v >= 0
                rows.append(len(rhs))
                vars_.append(v)
                coefs.append(1.0 if t else -1.0)
                rhs.append(t)
                labels.append(lab)
        m.add(
            "locks",
            np.array(rows),
            np.array(vars_, dtype=object),
            np.array(coefs),
            ">=",
            np.array(rhs),
            n_rows=len(rhs),
            labels=labels,
            penalty=1.0,
        )
