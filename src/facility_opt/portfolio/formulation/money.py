"""Money by year: each year's charge to the budget (renewal options, floor added, land bought) and
the ``money`` rows (an annual cap, a level budget or a renewal fund).
"""

from __future__ import annotations

import numpy as np

from .constants import SCALE

__all__ = ["MoneyRows"]


class MoneyRows:
    """Mixin of PortfolioModel: capital by year and the budget rows."""

    def capital_by_year(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, variables, coefficients in million yen) of each year's charge to the budget:
        renewal options (as the scheduler charges them), floor added and land bought."""
        pol, P, H = self.problem.policy, self.P, self.H
        rows, vars_, coefs = [], [], []
        need = self.events.need / SCALE
        oi, ti = np.nonzero(need)
        rows.append(ti)
        vars_.append(self.v_z[oi])
        coefs.append(need[oi, ti])
        build = self.sites["build_yen_per_m2"].to_numpy() / SCALE
        ro = self.rebuild_opts
        for k in range(int(self.opt_spread[ro].max()) if len(ro) else 0):
            sel = k < self.opt_spread[ro]
            t = self.opt_year[ro][sel] + k - self.first
            ok = (t >= 0) & (t < H)
            j = np.flatnonzero(sel)[ok]
            rows.append(t[ok])
            vars_.append(self.v_ga[j])
            coefs.append(build[self.opt_s[ro][j]] / self.opt_spread[ro][j])
        unit = self._extension_cost() / SCALE
        gx = self.v_gx.reshape(self.S, P)
        land = self._land_purchase() / SCALE
        o = self.v_open.reshape(self.S, P)
        for q in np.flatnonzero(self.can_build):
            for k in range(pol.build_years):
                t = self.pstart[q] - pol.build_years + k - self.first
                if 0 <= t < H:
                    rows.append(np.full(self.S, t))
                    vars_.append(gx[:, q])
                    coefs.append(unit / pol.build_years)
            t = self.pstart[q] - pol.build_years - self.first
            buy = np.flatnonzero(land > 0)
            if 0 <= t < H and len(buy):  # land bought when construction starts: open[q] - open[q-1]
                rows.append(np.full(len(buy), t))
                vars_.append(o[buy, q])
                coefs.append(land[buy])
                if q > 0:
                    rows.append(np.full(len(buy), t))
                    vars_.append(o[buy, q - 1])
                    coefs.append(-land[buy])
        r_, v_, c_ = self._reform_capital_terms()
        rows.append(r_)
        vars_.append(v_)
        coefs.append(c_)
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
            self.m.add(
                "money",
                renum[rows[sel].astype(int)],
                vars_[sel],
                coefs[sel],
                "<=",
                caps[keep],
                n_rows=int(keep.sum()),
                labels=[lb for lb, k in zip(labels, keep) if k],
                penalty=1.0,
            )
