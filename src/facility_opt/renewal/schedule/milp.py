"""The scheduling MILP on :class:`~facility_opt.milp.Milp`: one integer count per event option, and the
constraint families ``one`` (one option per event), ``order`` (events of a building in order), ``tie``
(a guest rebuilt with its host) and ``money`` (the annual caps, with the fund's balance).

Money rows and the objective are scaled to 億円 for the solver (yen coefficients of 1e10 hurt HiGHS);
:data:`SCALE` converts back.  With ``elastic=True`` the ``money`` family gets a priced shortfall per
year (:func:`shortfall_penalty`), which is how :mod:`.diagnose` finds the years the caps cannot pay.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ...milp import Milp
from ...solver import SolveInfo
from ...units import OKU_YEN
from .options import order_rows
from .params import ScheduleParams
from .prepare import _Prepared

#: objective and money rows are scaled to 億円 for the solver (yen coefficients of 1e10 hurt HiGHS)
SCALE = OKU_YEN


def shortfall_penalty(P: _Prepared) -> float:
    """Price of one 億円 of money shortfall in elastic mode: far above any option's cost."""
    return 1e4 * max(1.0, float(P.opt["coef"].max()) / SCALE)


def _signed_rows(rows: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates of rows ``sum x[plus] - sum x[minus]``: (row, option, coefficient), plus before minus."""
    parts = [np.r_[plus, minus] for plus, minus in rows]
    signs = [np.r_[np.ones(len(plus)), -np.ones(len(minus))] for plus, minus in rows]
    lengths = np.array([len(p) for p in parts], dtype=np.int64)
    if not len(parts):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
    return np.repeat(np.arange(len(parts)), lengths), np.concatenate(parts).astype(np.int64), np.concatenate(signs)


class _Model:
    """The scheduling MILP for prepared options; caps fixed (``caps``) or a level budget variable."""

    def __init__(self, P: _Prepared, params: ScheduleParams, caps: np.ndarray | None, elastic: bool = False):
        self.P = P
        ev, opt = P.ev, P.opt
        H = P.last - P.first + 1
        self.m = m = Milp("renewal_schedule", elastic=elastic)
        n_of = ev.set_index("e")["n"].to_numpy()
        oe = opt["e"].to_numpy()
        x = m.block("x", len(opt), cat="Integer", low=0, up=1)
        up = np.where(n_of[oe] > 1, n_of[oe].astype(float), np.nan)
        m.set_bounds(x, up=np.where(opt["closed"].to_numpy(), 0.0, up))
        self.x = x
        # exactly one option per event (n per cohort)
        starts = np.flatnonzero(np.r_[True, oe[1:] != oe[:-1]])
        first_e = oe[starts]
        m.add(
            "one",
            np.cumsum(np.r_[True, oe[1:] != oe[:-1]]) - 1,
            x,
            1.0,
            "==",
            n_of[first_e].astype(float),
            n_rows=len(starts),
            labels=[str(e) for e in first_e],
        )
        # order within a building
        rows = order_rows(ev, opt, P.last)
        r, i, c = _signed_rows([(plus, minus) for _, plus, minus in rows])
        m.add("order", r, x[i], c, "<=", 0.0, n_rows=len(rows), labels=[n.removeprefix("order_") for n, _, _ in rows])
        if P.ties:
            self._ties(opt, ev)
        # money
        self.v_level = m.block("level_budget", 1) if caps is None else None
        self.B = None if self.v_level is None else self.v_level[0]
        fund = params.fund
        self.bal = m.block("fund", H, low=fund.min_balance_yen / SCALE) if fund else None
        self._money(caps, H, fund, shortfall_penalty(P))
        # deterministic tie-break (a few yen): among equal schedules, buildings earlier in id order go first
        yr = opt["year"].to_numpy()
        grank = ev.set_index("e")["group"].to_numpy()[oe]
        tie_break = 1e-6 * (grank.max() + 1 - grank) / (grank.max() + 1) * np.minimum(yr - P.first, H) / H
        self.coef = (opt["coef"].to_numpy() / SCALE) + tie_break

    def _ties(self, opt, ev) -> None:
        """Family ``tie``: a guest's rebuild options of each year of its host's == the host's (any variant)."""
        oe, yr = opt["e"].to_numpy(), opt["year"].to_numpy()
        bounds = np.flatnonzero(np.r_[True, oe[1:] != oe[:-1], True])
        by_e = {int(oe[bounds[j]]): np.arange(bounds[j], bounds[j + 1]) for j in range(len(bounds) - 1)}
        E = ev.reset_index(drop=True)
        reb = E[E["kind"] == "rebuild"].drop_duplicates("building_id").set_index("building_id")["e"]
        rows, labels = [], []
        for g, h in sorted(self.P.ties.items()):
            ig, ih = by_e[int(reb[g])], by_e[int(reb[h])]
            for yv in sorted(set(yr[ih])):
                rows.append((ig[yr[ig] == yv], ih[yr[ih] == yv]))
                labels.append(f"{g}_{yv}")
        r, i, c = _signed_rows(rows)
        self.m.add("tie", r, self.x[i], c, "==", 0.0, n_rows=len(rows), labels=labels)

    def _money(self, caps: np.ndarray | None, H: int, fund, penalty: float) -> None:
        """Family ``money``, per year: charges (- level budget) (+ fund balance - last year's) <= or == the cap."""
        need = self.P.need / SCALE
        nz_i, nz_t = np.nonzero(need)
        order = np.argsort(nz_t, kind="mergesort")
        nz_i, nz_t = nz_i[order], nz_t[order]
        rows, vars_, coefs = [nz_t], [self.x[nz_i]], [need[nz_i, nz_t]]
        rhs = np.zeros(H) if caps is None else np.asarray(caps, dtype=float) / SCALE
        if self.v_level is not None:
            rows, vars_, coefs = rows + [np.arange(H)], vars_ + [np.repeat(self.v_level, H)], coefs + [-np.ones(H)]
        if fund:
            rows += [np.arange(H), np.arange(1, H)]
            vars_ += [self.bal, self.bal[:-1]]
            coefs += [np.ones(H), -np.ones(H - 1)]
            rhs[0] += fund.initial_yen / SCALE
        self.m.add(
            "money",
            np.concatenate(rows),
            np.concatenate(vars_),
            np.concatenate(coefs),
            "==" if fund else "<=",
            rhs,
            n_rows=H,
            labels=[str(self.P.first + t) for t in range(H)],
            penalty=penalty,
        )

    def objective_cost(self, extra: list | None = None) -> None:
        """Minimise the options' cost (億円) plus ``extra`` terms (e.g. the elastic slacks)."""
        self.m.set_objective(list(zip(self.x, self.coef.tolist())) + (extra or []))

    def values(self) -> np.ndarray:
        return np.array([round(v.value() or 0.0) for v in self.x], dtype=np.int64)


def info_in_yen(info: SolveInfo) -> SolveInfo:
    """``info`` of a solve of :class:`_Model` with its objective and bound in yen (the solver's are in 億円)."""
    return dataclasses.replace(
        info,
        objective=None if info.objective is None else info.objective * SCALE,
        bound=None if info.bound is None else info.bound * SCALE,
    )
