"""The scheduling MILP (PuLP): one integer count per event option, one option per event, order, ties, money.

Money rows and the objective are scaled to 億円 for the solver (yen coefficients of 1e10 hurt HiGHS);
:data:`SCALE` converts back.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pulp

from ...solver import SolveInfo
from ...units import OKU_YEN
from .options import order_rows
from .params import ScheduleParams
from .prepare import _Prepared

#: objective and money rows are scaled to 億円 for the solver (yen coefficients of 1e10 hurt HiGHS)
SCALE = OKU_YEN


class _Model:
    """The PuLP model for prepared options; caps fixed (``caps``) or a level budget variable."""

    def __init__(self, P: _Prepared, params: ScheduleParams, caps: np.ndarray | None, elastic: bool = False):
        self.P = P
        ev, opt = P.ev, P.opt
        H = P.last - P.first + 1
        prob = pulp.LpProblem("renewal_schedule", pulp.LpMinimize)
        n_of = ev.set_index("e")["n"].to_numpy()
        x = prob.add_variable_matrix("x", range(len(opt)), lowBound=0, upBound=1, cat="Integer")
        oe = opt["e"].to_numpy()
        for i in np.flatnonzero(n_of[oe] > 1):
            x[i].upBound = float(n_of[oe[i]])
        for i in np.flatnonzero(opt["closed"].to_numpy()):
            x[i].upBound = 0.0
        self.x = x
        # exactly one option per event (n per cohort)
        bounds = np.flatnonzero(np.r_[True, oe[1:] != oe[:-1], True])
        for j in range(len(bounds) - 1):
            a, b = bounds[j], bounds[j + 1]
            prob.addConstraint(pulp.lpSum_vars(x[a:b]) == float(n_of[oe[a]]), name=f"one_{oe[a]}")
        # order within a building
        yr = opt["year"].to_numpy()
        by_e = {int(oe[bounds[j]]): np.arange(bounds[j], bounds[j + 1]) for j in range(len(bounds) - 1)}
        E = ev.reset_index(drop=True)
        for name, plus, minus in order_rows(ev, opt, P.last):
            prob.addConstraint(
                pulp.lpSum_vars_coefs([(x[i], 1.0) for i in plus] + [(x[i], -1.0) for i in minus]) <= 0, name=name
            )
        # ties: guest rebuild year == host rebuild year (any variant)
        if P.ties:
            reb = E[E["kind"] == "rebuild"].drop_duplicates("building_id").set_index("building_id")["e"]
            for g, h in sorted(P.ties.items()):
                ig, ih = by_e[int(reb[g])], by_e[int(reb[h])]
                for yv in sorted(set(yr[ih])):
                    terms = [(x[i], 1.0) for i in ig[yr[ig] == yv]] + [(x[i], -1.0) for i in ih[yr[ih] == yv]]
                    prob.addConstraint(pulp.lpSum_vars_coefs(terms) == 0, name=f"tie_{g}_{yv}")
        # money
        self.B = None
        if caps is None:
            self.B = prob.add_variable("level_budget", lowBound=0)
        fund = params.fund
        bal = prob.add_variable_matrix("fund", range(H), lowBound=fund.min_balance_yen / SCALE) if fund else None
        self.bal = bal
        slack = prob.add_variable_matrix("shortfall", range(H), lowBound=0) if elastic else None
        self.slack = slack
        need = P.need / SCALE
        nz_i, nz_t = np.nonzero(need)
        order = np.argsort(nz_t, kind="mergesort")
        nz_i, nz_t = nz_i[order], nz_t[order]
        cuts = np.searchsorted(nz_t, np.arange(H + 1))
        for t in range(H):
            ii = nz_i[cuts[t] : cuts[t + 1]]
            terms = list(zip([x[i] for i in ii], need[ii, t].tolist()))
            rhs = 0.0 if caps is None else float(caps[t]) / SCALE
            if caps is None:
                terms.append((self.B, -1.0))
            if slack is not None:
                terms.append((slack[t], -1.0))
            if fund:
                terms.append((bal[t], 1.0))
                if t > 0:
                    terms.append((bal[t - 1], -1.0))
                else:
                    rhs += fund.initial_yen / SCALE
                prob.addConstraint(pulp.lpSum_vars_coefs(terms) == rhs, name=f"money_{t}")
            else:
                prob.addConstraint(pulp.lpSum_vars_coefs(terms) <= rhs, name=f"money_{t}")
        # deterministic tie-break (a few yen): among equal schedules, buildings earlier in id order go first
        grank = ev.set_index("e")["group"].to_numpy()[oe]
        tie_break = 1e-6 * (grank.max() + 1 - grank) / (grank.max() + 1) * np.minimum(yr - P.first, H) / H
        self.coef = (opt["coef"].to_numpy() / SCALE) + tie_break
        self.prob = prob

    def objective_cost(self, extra: list | None = None):
        terms = list(zip(self.x, self.coef.tolist()))
        self.prob.setObjective(pulp.lpSum_vars_coefs(terms + (extra or [])))

    def values(self) -> np.ndarray:
        return np.array([round(v.value() or 0.0) for v in self.x], dtype=np.int64)


def info_in_yen(info: SolveInfo) -> SolveInfo:
    """``info`` of a solve of :class:`_Model` with its objective and bound in yen (the solver's are in 億円)."""
    return dataclasses.replace(
        info,
        objective=None if info.objective is None else info.objective * SCALE,
        bound=None if info.bound is None else info.bound * SCALE,
    )
