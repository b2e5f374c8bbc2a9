"""The objective: the horizon cost in million yen (renewal, running, floor, land, operating costs
and tie-breaks), the access term, the prices of uncovered shares and of spend over budget, and the
epsilon constraint on access.
"""

from __future__ import annotations

import numpy as np
import pulp

from ...renewal.schedule.options import event_risk
from .constants import (
    BASELINE_OVER_BUDGET_PENALTY,
    NEW_PLACEMENT_YEN,
    OVER_BUDGET_PENALTY,
    SCALE,
    UNCOVERED_PER_RESIDENT,
    UNCOVERED_PER_UNIT,
)

__all__ = ["Objective"]


class Objective:
    """Mixin of PortfolioModel: cost, access and penalty terms; the objective."""

    def cost_terms(self) -> tuple[float, list[tuple]]:
        """(constant, terms) of the horizon cost in million yen (the plan's cost, penalties included)."""
        pol, P, S = self.problem.policy, self.P, self.S
        s = self.sites
        terms: list[tuple] = []
        const = 0.0
        opt = self.events.opt
        if self.n_opt:
            coef = opt["coef"].to_numpy(dtype=float).copy()
            reb = np.zeros(self.n_opt, dtype=bool)
            reb[self.rebuild_opts] = True
            inhorizon_reb = (self.events.ev.set_index("e")["kind"].to_numpy()[opt["e"].to_numpy()] == "rebuild") & (
                self.opt_year <= self.last
            )
            years_in = np.clip(self.last + 1 - self.opt_year, 0, self.opt_spread)
            coef += np.where(inhorizon_reb, pol.temporary_yen_per_m2_year * self.F[self.opt_s] * years_in, 0.0)
            terms += list(zip(self.v_z, (coef / SCALE).tolist()))
        if len(self.drops):
            ev = self.events.ev.set_index("e")
            e = self.drops[:, 0]
            risk = event_risk(
                ev["cost_yen"].to_numpy()[e],
                ev["floor_area_m2"].to_numpy()[e],
                ev["kind"].to_numpy()[e] == "rebuild",
                ev["due_year"].to_numpy()[e],
                self.first,
                self.pstart[self.drops[:, 1]],
                pol.renewal.penalties,
            )
            terms += list(zip(self.v_drop, (risk / SCALE).tolist()))
        rate = s["operating_yen_per_m2_year"].to_numpy()
        fixed = s["fixed_yen_per_year"].to_numpy()
        per_open = (rate * self.F + fixed)[:, None] * self.plen[None, :]  # yen per open period
        terms += list(zip(self.v_open, (per_open.ravel() / SCALE).tolist()))
        years_from = np.cumsum(self.plen[::-1])[::-1]  # years from the start of period q to the end
        gx_cost = self._extension_cost()[:, None] + rate[:, None] * years_from[None, :]
        terms += list(zip(self.v_gx, (gx_cost.ravel() / SCALE).tolist()))
        ro = self.rebuild_opts
        if len(ro):
            ga_cost = (
                s["build_yen_per_m2"].to_numpy()[self.opt_s[ro]] + rate[self.opt_s[ro]] * years_from[self.opt_avail[ro]]
            )
            terms += list(zip(self.v_ga, (ga_cost / SCALE).tolist()))
        o = self.v_open.reshape(S, P)
        land = self._land_purchase()
        buy = np.flatnonzero(land > 0)
        terms += list(zip(o[buy, P - 1], (land[buy] / SCALE).tolist()))
        c, t = self._disposal_terms()
        const += c
        terms += t + self._operating_terms()
        # tie-breaks: new placements and added capacity cost a few yen per year
        cur = self.el["current"].to_numpy()
        x = self.v_place.reshape(self.E, P)
        terms += list(
            zip(
                x[~cur].ravel(),
                np.repeat(self.plen[None, :] * NEW_PLACEMENT_YEN / SCALE, (~cur).sum(), 0).ravel().tolist(),
            )
        )
        terms += self._reform_cost_terms()
        return const, terms

    def access_terms(self) -> list[tuple]:
        """Population × km × years of every assignment (person-km-years)."""
        reach = self.reach
        pk = self.pop[reach["zk"].to_numpy()] * np.nan_to_num(reach["distance_m"].to_numpy())[:, None] / 1000.0
        pk = pk * self.plen[None, :]
        idx = np.flatnonzero(pk.ravel() > 0)
        return list(zip(self.v_w[idx], pk.ravel()[idx].tolist()))

    def _penalty_terms(self) -> list[tuple]:
        terms = []
        hard = ~self.zk["soft"].to_numpy() | self.baseline
        pen = np.where(hard[:, None], self.uncovered_price(), 1e-3 * self.pop)
        terms += list(zip(self.v_u, pen.ravel().tolist()))
        if self.v_over is not None:
            price = BASELINE_OVER_BUDGET_PENALTY if self.baseline else OVER_BUDGET_PENALTY
            terms += [(v, price) for v in self.v_over]
        if self.v_level is not None:
            terms += [(self.v_level[0], 1e-6)]
        terms += self._reform_penalty_terms()[1]
        return terms

    def uncovered_price(self) -> np.ndarray:
        """Price (million yen) of an uncovered share of a hard service, per (zone, service) and period:
        per demand unit and per resident, far above what covering them can cost."""
        return UNCOVERED_PER_UNIT * self.dem + UNCOVERED_PER_RESIDENT * self.pop

    def _set_cost_objective(self, cost: float = 1.0, access: float | None = None, extra: list | None = None) -> None:
        """The plan's cost (times ``cost``), access (``access``, default the policy's weight) and ``extra``
        (variable, coefficient) terms, e.g. the priced rows of a Lagrangian bound."""
        if self.elastic:
            self.m.set_objective(self.m.slack_terms())
            return
        const, terms = self.cost_terms()
        alpha = (self.problem.policy.access_weight_yen_per_person_km / SCALE) if access is None else access
        terms = [(v, c * cost) for v, c in terms]
        if alpha > 0:
            terms += [(v, c * alpha) for v, c in self.access_terms()]
        self.m.set_objective(
            terms + self._penalty_terms() + (extra or []), const * cost + self._reform_penalty_terms()[0]
        )

    def set_objective(self, cost: float = 1.0, access: float = 0.0) -> None:
        """Objective = cost × horizon cost + access × person-km-years (million-yen units for cost)."""
        self._set_cost_objective(cost, access)

    def set_access_limit(self, person_km_years: float | None) -> None:
        """Add (or move) the epsilon constraint ``access <= limit``; None removes the limit."""
        limit = 1e18 if person_km_years is None else float(person_km_years)
        if self.access_constraint is None:
            self.access_constraint = self.prob.addConstraint(
                pulp.lpSum_vars_coefs(self.access_terms()) <= limit, name="access_limit"
            )
        else:
            self.access_constraint.changeRHS(limit)
