"""The lead years: no service worse covered before new floor can be ready than if everything were
kept (``lead_coverage``, added by the optimiser once it has solved the baseline).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .solution import Solution

__all__ = ["LeadRows"]


class LeadRows:
    """Mixin of PortfolioModel: the lead-years coverage rows."""

    def limit_lead_shortfall(self, reference: Solution, tolerance: float = 0.5) -> None:
        """No service worse covered in the lead years than if everything were kept.

        Before the first new floor can be ready (the lead periods after the first change), a plan can
        only rearrange what exists; this adds, per service with a hard standard and lead year, the row
        ``residents left uncovered <= the keep-everything solution's`` (``reference``, ward-wide, with
        ``tolerance`` residents: half a resident, as the check allows, shared out when solving by
        parts), so that no move made before its replacement can exist takes coverage away.  Called by
        the optimiser with the baseline it has solved; the independent check re-checks it from the
        plan's files (``Plan.baseline_uncovered``).
        """
        if self.baseline or reference is None:
            return
        lead = np.flatnonzero(self.lead & ~self.pfixed)
        hard = np.flatnonzero(~self.zk["soft"].to_numpy())
        if not len(lead) or not len(hard):
            return
        zk, P = self.zk, self.P
        years = np.concatenate([np.arange(self.pstart[q], self.pstart[q] + self.plen[q]) for q in lead]).astype(int)
        qy = np.searchsorted(self.pstart, years, side="right") - 1
        # residents per (zone, service) and lead year
        d = self.problem.demand
        d = d[d["year"].isin(years)]
        key = pd.MultiIndex.from_frame(zk[["zone_id", "service_id"]])
        i = key.get_indexer(pd.MultiIndex.from_frame(d[["zone_id", "service_id"]]))
        pop = np.zeros((len(zk), len(years)))
        ok = i >= 0
        pop[i[ok], np.searchsorted(years, d["year"].to_numpy()[ok])] = d["population"].to_numpy()[ok]
        ub = np.zeros((len(zk), P))
        ru = reference.uncovered
        if len(ru):
            j = key.get_indexer(pd.MultiIndex.from_frame(ru[["zone_id", "service_id"]]))
            ub[j[j >= 0], ru["p"].to_numpy()[j >= 0]] = ru["share"].to_numpy()[j >= 0]
        services = sorted(zk["service_id"].iloc[hard].unique())
        g = zk["service_id"].iloc[hard].map({k: n for n, k in enumerate(services)}).to_numpy()
        Y = len(years)
        u = self.v_u.reshape(len(zk), P)
        rows = np.concatenate([g * Y + t for t in range(Y)])
        vars_ = np.concatenate([u[hard, qy[t]] for t in range(Y)])
        coefs = np.concatenate([pop[hard, t] for t in range(Y)])
        ref = np.zeros(len(services) * Y)
        for t in range(Y):
            np.add.at(ref, g * Y + t, pop[hard, t] * ub[hard, qy[t]])
        labels = [f"{k}@{y}" for k in services for y in years]
        self.m.add(
            "lead_coverage", rows, vars_, coefs, "<=", ref + tolerance, n_rows=len(ref), labels=labels, penalty=1.0
        )
