"""Freed land and operating costs: disposal options of freed sites (sell, lease, reuse), operating
cost per place and operator changes; their index, variables, rows, objective terms, solution and start.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...milp import Milp
from .constants import ADDED_PLACE_YEN, SCALE
from .solution import Solution
from .solve import _set_init

__all__ = ["LandAndOperators"]


class LandAndOperators:
    """Mixin of PortfolioModel: disposals and operator changes."""

    def _index_economics(self) -> None:
        """Disposal options of freed sites, operating cost per place of each placement, operator changes."""
        p, el = self.problem, self.el
        d = p.disposal_table()
        d["s"] = self.site_pos.reindex(d["site_id"]).to_numpy(dtype=np.int64) if len(d) else np.zeros(0, np.int64)
        n_opts = d.groupby("site_id")["choice"].transform("size") if len(d) else pd.Series(dtype=int)
        # a choice among options, or a need with a limited number of sites, is a binary variable; a site's
        # only option (no limit) needs none: it is taken whenever the site is closed (its value is >= 0)
        limited = {n.id for n in p.policy.reuse_needs if n.max_sites is not None}
        choose = (n_opts > 1).to_numpy() | d["need_id"].isin(limited).to_numpy()
        self.disp = d[choose].reset_index(drop=True)
        self.disp_implied = d[~choose].reset_index(drop=True)
        d = self.disp
        self.disp_sites = np.unique(d["s"].to_numpy()) if len(d) else np.zeros(0, dtype=np.int64)
        self.dyear_idx = np.flatnonzero(d["value_yen_per_year"].to_numpy() > 0) if len(d) else np.zeros(0, np.int64)
        rate = el["service_id"].map(p.services.set_index("service_id")["operating_yen_per_place_year"]).to_numpy(float)
        self.op_rate = np.nan_to_num(rate, nan=0.0)
        oc = p.operator_candidates()
        if self.baseline:
            oc = oc.iloc[0:0]
        key = pd.MultiIndex.from_frame(el[["service_id", "site_id"]])
        oc["e"] = key.get_indexer(pd.MultiIndex.from_frame(oc[["service_id", "site_id"]])) if len(oc) else []
        self.opc = oc[oc["e"] >= 0].reset_index(drop=True)

    def _economics_variables(self) -> None:
        m, P = self.m, self.P
        d = self.disp
        self.v_disp = m.block("dispose", len(d), cat="Binary")
        self.v_dyear = m.block("dispose_year", len(self.dyear_idx) * P)
        n = len(self.opc)
        self.v_opr = m.block("operator", n * P, cat="Binary")
        self.v_cc = m.block("commissioned", n * P)
        if n:  # a switch from the earliest year (and the first change) on
            oc = self.problem.policy.operator_change
            first = max(oc.earliest_year or self.problem.policy.change_year, self.problem.policy.change_year)
            ok = (self.pstart >= first) & ~self.pfixed
            Milp.set_bounds(self.v_opr, up=np.tile(ok.astype(float), n))

    def _cap_terms(self, e: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row position, variables, coefficients) of the places in use of placements ``e`` per period:
        current places kept in use plus ``unit`` × units added; rows ``i * P + q`` for the i-th of ``e``."""
        P = self.P
        pos = -np.ones(self.E, dtype=np.int64)
        pos[self.cur_idx] = np.arange(len(self.cur_idx))
        q = np.tile(np.arange(P), len(e))
        ee = np.repeat(e, P)
        rows = np.arange(len(e) * P)
        ext = self.v_ext[ee * P + q]
        has = pos[ee] >= 0
        cin = self.v_cin[pos[ee[has]] * P + q[has]]
        return (np.r_[rows, rows[has]], np.r_[ext, cin], np.r_[self.el["unit"].to_numpy()[ee], np.ones(has.sum())])

    def _disposal_rows(self) -> None:
        """``disposal_one``: one option per freed site; ``disposal_must``: one at least where hold is not
        allowed and the site can be sold or leased;
        ``disposal_year``: yearly income only while the site is closed and its option chosen;
        ``reuse_max_sites``: the most sites per need."""
        d, P = self.disp, self.P
        if d.empty:
            return
        o = self.v_open.reshape(self.S, P)
        sidx = np.searchsorted(self.disp_sites, d["s"].to_numpy())
        n = len(self.disp_sites)
        names = self.sites["site_id"].to_numpy()
        self.m.add(
            "disposal_one",
            np.r_[sidx, np.arange(n)],
            np.r_[self.v_disp, o[self.disp_sites, P - 1]],
            1.0,
            "<=",
            1.0,
            n_rows=n,
            labels=list(names[self.disp_sites]),
        )
        must = np.unique(d.loc[d["choice"].isin(["sell", "lease"]), "s"].to_numpy())
        if self.problem.policy.must_dispose and len(must):  # no hold: a site that can be sold or leased is
            rows = np.searchsorted(must, d["s"].to_numpy())
            ok = np.isin(d["s"].to_numpy(), must)
            self.m.add(
                "disposal_must",
                np.r_[rows[ok], np.arange(len(must))],
                np.r_[self.v_disp[ok], o[must, P - 1]],
                1.0,
                ">=",
                1.0,
                n_rows=len(must),
                labels=list(names[must]),
            )
        k = self.dyear_idx
        if len(k):
            b = d["value_yen_per_year"].to_numpy()[k][:, None] * self.plen[None, :] / SCALE  # (k, P)
            yv = self.v_dyear.reshape(len(k), P)
            n2 = len(k) * P
            rr = np.arange(n2)
            self.m.add(
                "disposal_year",
                np.r_[rr, rr, n2 + rr, n2 + rr],
                np.r_[yv.ravel(), np.repeat(self.v_disp[k], P), yv.ravel(), o[d["s"].to_numpy()[k]].ravel()],
                np.r_[np.ones(n2), -b.ravel(), np.ones(n2), b.ravel()],
                "<=",
                np.r_[np.zeros(n2), b.ravel()],
                n_rows=2 * n2,
            )
        lim = [(n_.id, n_.max_sites) for n_ in self.problem.policy.reuse_needs if n_.max_sites is not None]
        if lim:
            need = d["need_id"].to_numpy()
            rows = [np.full(int((need == nid).sum()), j) for j, (nid, _) in enumerate(lim)]
            vars_ = [self.v_disp[need == nid] for nid, _ in lim]
            self.m.add(
                "reuse_max_sites",
                np.concatenate(rows),
                np.concatenate(vars_),
                1.0,
                "<=",
                np.array([float(mx) for _, mx in lim]),
                n_rows=len(lim),
                labels=[nid for nid, _ in lim],
            )

    def _operator_rows(self) -> None:
        """Operator change: ``operator_order`` (once commissioned, stays), ``operator_in_place`` (a switch
        only where the service is), ``operator_cap`` / ``operator_link`` / ``operator_full`` (commissioned
        places = the placement's places once switched, 0 before), ``operator_per_period``, ``operator_total``."""
        oc, P, n = self.opc, self.P, len(self.opc)
        if not n:
            return
        pol = self.problem.policy.operator_change
        opv = self.v_opr.reshape(n, P)
        cc = self.v_cc
        e = oc["e"].to_numpy()
        if P > 1:
            self._pairs("operator_order", opv[:, :-1].ravel(), 1.0, opv[:, 1:].ravel(), -1.0, "<=")
        x = self.v_place.reshape(self.E, P)
        rows = np.r_[np.arange(n * P), np.arange(n * P), (np.arange(n)[:, None] * P + np.arange(1, P)).ravel()]
        self.m.add(
            "operator_in_place",
            rows,
            np.r_[opv.ravel(), x[e].ravel(), opv[:, :-1].ravel()],
            np.r_[np.ones(n * P), -np.ones(n * P), -np.ones(n * (P - 1))],
            "<=",
            0.0,
            n_rows=n * P,
        )
        r, v, c = self._cap_terms(e)
        nn = n * P
        self.m.add("operator_cap", np.r_[np.arange(nn), r], np.r_[cc, v], np.r_[np.ones(nn), -c], "<=", 0.0, n_rows=nn)
        big = np.repeat(self.el["capacity"].to_numpy()[e] + self.el["unit"].to_numpy()[e] * self.ext_ub[e], P)
        self._pairs("operator_link", cc, 1.0, self.v_opr, -big, "<=")
        # cc >= places - big * (1 - op): exact also when the commissioned rate is the dearer
        self.m.add(
            "operator_full",
            np.r_[np.arange(nn), r, np.arange(nn)],
            np.r_[cc, v, self.v_opr],
            np.r_[np.ones(nn), -c, -big],
            ">=",
            -big,
            n_rows=nn,
        )
        if pol.max_per_period is not None:
            rows = np.r_[np.tile(np.arange(P), n), np.tile(np.arange(1, P), n)]
            self.m.add(
                "operator_per_period",
                rows,
                np.r_[self.v_opr, opv[:, :-1].ravel()],
                np.r_[np.ones(nn), -np.ones(n * (P - 1))],
                "<=",
                float(pol.max_per_period),
                n_rows=P,
                labels=[str(y) for y in self.pstart],
            )
        if pol.max_total is not None:
            self.m.add("operator_total", np.zeros(n), opv[:, P - 1], 1.0, "<=", float(pol.max_total), n_rows=1)

    def _disposal_terms(self) -> tuple[float, list[tuple]]:
        """(constant, terms) of land income and reuse value (negative costs, million yen): a choice's one-off
        value × chosen and its yearly parts; a site's only option: its value × (1 − open), one-off at the end,
        yearly per period."""
        d, P = self.disp, self.P
        terms = list(zip(self.v_disp, (-d["value_yen"].to_numpy() / SCALE).tolist()))
        terms += [(v, -1.0) for v in self.v_dyear]
        im = self.disp_implied
        if im.empty:
            return 0.0, terms
        o = self.v_open.reshape(self.S, P)
        s_ = im["s"].to_numpy()
        once = im["value_yen"].to_numpy() / SCALE
        yearly = im["value_yen_per_year"].to_numpy()[:, None] * self.plen[None, :] / SCALE
        terms += list(zip(o[s_, P - 1], once.tolist())) + list(zip(o[s_].ravel(), yearly.ravel().tolist()))
        return -float(once.sum() + yearly.sum()), terms

    def _operating_terms(self) -> list[tuple]:
        """Operating cost per place (million yen): the ward-run rate on every place in use per year, less
        (ward − commissioned rate) on commissioned places, plus each switch's one-off transition cost."""
        P = self.P
        rated = np.flatnonzero(self.op_rate > 0)
        terms: list[tuple] = []
        if len(rated):
            r, v, c = self._cap_terms(rated)
            q = r % P
            coef = c * np.repeat(self.op_rate[rated], P)[r] * self.plen[q] / SCALE
            terms += list(zip(v, coef.tolist()))
            ext = self.v_ext.reshape(self.E, P)[rated].ravel()
            tie = np.repeat(self.el["unit"].to_numpy()[rated], P) * np.tile(self.plen, len(rated)) * ADDED_PLACE_YEN
            terms += list(zip(ext, (tie / SCALE).tolist()))
        oc = self.opc
        if len(oc):
            gain = oc["ward_yen_per_place_year"].to_numpy() - oc["commissioned_yen_per_place_year"].to_numpy()
            coef = -(gain[:, None] * self.plen[None, :]).ravel() / SCALE
            terms += list(zip(self.v_cc, coef.tolist()))
            opv = self.v_opr.reshape(len(oc), P)
            terms += list(zip(opv[:, P - 1], (oc["transition_yen"].to_numpy() / SCALE).tolist()))
        return terms

    def _economics_solution(self, val, op: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(disposals, operators) of the last solve: each closed site's chosen option ('hold' when none)
        and each operator change's first year."""
        d, P = self.disp, self.P
        chosen = d[np.round(val(self.v_disp)) > 0.5] if len(d) else d
        closed = [int(s) for s in self.disp_sites if not op[s, P - 1]]
        sid = self.sites["site_id"].to_numpy()
        rows = {r.site_id: (r.choice, r.need_id) for r in chosen.itertuples(index=False) if not op[r.s, P - 1]}
        rows.update(
            {r.site_id: (r.choice, r.need_id) for r in self.disp_implied.itertuples(index=False) if not op[r.s, P - 1]}
        )
        closed = sorted(
            set(closed) | {int(r.s) for r in self.disp_implied.itertuples(index=False) if not op[r.s, P - 1]}
        )
        disp = pd.DataFrame(
            [(sid[s], *rows.get(sid[s], ("hold", ""))) for s in closed], columns=["site_id", "choice", "need_id"]
        )
        oc = self.opc
        ops = []
        if len(oc):
            x = np.round(val(self.v_opr)).reshape(len(oc), P) > 0.5
            for i in np.flatnonzero(x.any(axis=1)):
                ops.append((oc["service_id"].iat[i], oc["site_id"].iat[i], int(self.pstart[np.argmax(x[i])])))
        return disp, pd.DataFrame(ops, columns=["service_id", "site_id", "year"])

    def _warm_start_economics(self, sol: Solution) -> None:
        """Disposals and operator changes of ``sol`` as a start (a closed site that must be disposed of
        and has none stated: its most valuable option)."""
        d, P = self.disp, self.P
        if len(d):
            o = sol.open.set_index(["site_id", "p"])["open"]
            closed = {s for s in d["site_id"].unique() if not bool(o.get((s, P - 1), True))}
            given = {(r.site_id, r.choice, r.need_id) for r in sol.disposals.itertuples(index=False)}
            pick = np.zeros(len(d))
            for s, g in d.groupby("site_id", sort=False):
                if s not in closed:
                    continue
                hit = [i for i, r in zip(g.index, g.itertuples(index=False)) if (s, r.choice, r.need_id) in given]
                if not hit and self.problem.policy.must_dispose:
                    hit = [int((g["value_yen"] + g["value_yen_per_year"] * self.H).idxmax())]
                pick[hit] = 1.0
            for v, xv in zip(self.v_disp, pick):
                _set_init(v, xv)
        oc = self.opc
        if len(oc):
            yr = {(r.service_id, r.site_id): int(r.year) for r in sol.operators.itertuples(index=False)}
            x = np.array(
                [
                    [1.0 if (k, s) in yr and self.pstart[q] >= yr[(k, s)] else 0.0 for q in range(P)]
                    for k, s in zip(oc["service_id"], oc["site_id"])
                ]
            )
            for v, xv in zip(self.v_opr, x.ravel()):
                _set_init(v, xv)
