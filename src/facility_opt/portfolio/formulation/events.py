"""Renewal events: their windows and options (the scheduler's rules, shared code) and their rows
(``event_one``, ``event_open``, ``event_drop``, ``event_order``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...renewal.schedule.options import event_options, event_windows, order_rows
from ..problem import PortfolioProblem

__all__ = ["EventPlan", "prepare_events", "EventRows"]


@dataclass
class EventPlan:
    """The prepared renewal events of a problem: windows, options and their money by year."""

    ev: pd.DataFrame  # one row per event: e, site_id, s, kind, due_year, spread_years, cost_yen, ...
    opt: pd.DataFrame  # one row per option: e, variant, due, year (last+1 = deferred), coef parts
    spend: np.ndarray  # options × years: capital spent
    need: np.ndarray  # options × years: what the budget is charged


def prepare_events(problem: PortfolioProblem) -> EventPlan:
    """Windows and options of every renewal event (the scheduler's rules, shared code)."""
    pol = problem.policy
    first, last = pol.start_year, pol.end_year - 1
    ev = problem.events.copy()
    spos = pd.Series(np.arange(len(problem.sites)), index=problem.sites["site_id"].to_numpy())
    ev["s"] = spos.reindex(ev["site_id"]).to_numpy(dtype=np.int64) if len(ev) else np.zeros(0, dtype=np.int64)
    ev["group"] = ev["s"]
    ev["building_id"] = ev["site_id"]
    ev["category"] = ev["site_id"].map(problem.sites.set_index("site_id")["category"])
    ev["e"] = np.arange(len(ev))
    H = pol.horizon_years
    if ev.empty:
        cols = ["e", "variant", "due", "year", "closed", "capital", "risk", "early", "interest", "pm_cost", "coef"]
        return EventPlan(
            ev.assign(earliest=0, latest=0, limit=np.nan, can_defer=True, pm=False),
            pd.DataFrame(columns=cols),
            np.zeros((0, H)),
            np.zeros((0, H)),
        )
    ev = event_windows(ev, pol.renewal, first, last, mode="min_budget" if pol.min_level_budget else "cap")
    opt, spend, need = event_options(ev, pol.renewal, first, last)
    return EventPlan(ev, opt, spend, need)


class EventRows:
    """Mixin of PortfolioModel: the renewal event constraint families."""

    def _event_rows(self) -> None:
        """One option per event (or dropped at its site's closure); work only on open sites; order."""
        if not self.n_opt:
            return
        P, m = self.P, self.m
        ev, opt = self.events.ev, self.events.opt
        o = self.v_open.reshape(self.S, P)
        oe = opt["e"].to_numpy()
        n_e = len(ev)
        rows = np.r_[oe, self.drops[:, 0]]
        vars_ = np.r_[self.v_z, self.v_drop]
        labels = [f"{r.site_id}:{r.kind}@{r.due_year}" for r in ev.itertuples(index=False)]
        m.add("event_one", rows, vars_, 1.0, "==", 1.0, n_rows=n_e, labels=labels)
        for i in np.flatnonzero(opt["closed"].to_numpy()):
            self.v_z[i].upBound = 0.0
        # an option needs its site open in its start year (deferred: open at the end)
        yr = self.opt_year
        per = np.where(yr <= self.last, np.searchsorted(self.pstart, yr, side="right") - 1, P - 1)
        self._pairs("event_open", self.v_z, 1.0, o[self.opt_s, per], -1.0, "<=")
        # a drop in q needs the site to close in q: drop <= open[q-1] - open[q]
        if len(self.drops):
            s_of = ev.set_index("e")["s"].to_numpy()[self.drops[:, 0]]
            q = self.drops[:, 1]
            n = len(q)
            has_prev = q > 0
            rows = np.r_[np.arange(n), np.arange(n), np.flatnonzero(has_prev)]
            vars_ = np.r_[self.v_drop, o[s_of, q], o[s_of[has_prev], q[has_prev] - 1]]
            coefs = np.r_[np.ones(n), np.ones(n), -np.ones(has_prev.sum())]
            m.add("event_drop", rows, vars_, coefs, "<=", np.where(has_prev, 0.0, 1.0), n_rows=n)
        orows = order_rows(ev, opt, self.last)
        if orows:
            rr = np.concatenate([np.full(len(p_) + len(m_), i) for i, (_, p_, m_) in enumerate(orows)])
            vv = np.concatenate([np.r_[self.v_z[p_], self.v_z[m_]] for _, p_, m_ in orows])
            cc = np.concatenate([np.r_[np.ones(len(p_)), -np.ones(len(m_))] for _, p_, m_ in orows])
            m.add("event_order", rr, vv, cc, "<=", 0.0, n_rows=len(orows), labels=[n for n, _, _ in orows])
