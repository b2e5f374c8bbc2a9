"""Why no schedule exists: a pre-check of the hard-limited work against the caps, and an elastic re-solve.

Both raise (or return) an :class:`~facility_opt.errors.InfeasibleError` naming the first year that
breaks and the buildings forcing it.
"""

from __future__ import annotations

import numpy as np

from ...errors import InfeasibleError, SolverError
from ...solver import SolveInfo, SolverOptions
from ...units import OKU_YEN
from .milp import SCALE, _Model
from .params import Fund, ScheduleParams
from .prepare import _Prepared
from .reasons import _n


def _precheck(P: _Prepared, caps: np.ndarray, fund: Fund | None) -> None:
    """Raise InfeasibleError when the events that must be done by their hard limit cannot fit.

    Each such event is placed as late as it may go (which charges the least by any year); if the
    cumulative charge by year t exceeds the cumulative cap (+ usable fund) by t, no schedule exists.
    """
    ev, opt = P.ev, P.opt
    must_e = ev.loc[~ev["can_defer"], "e"].to_numpy()
    if len(must_e) == 0:
        return
    sel = np.flatnonzero(opt["e"].isin(must_e).to_numpy() & ~opt["closed"].to_numpy())
    e_sel = opt["e"].to_numpy()[sel]
    starts = np.flatnonzero(np.r_[True, e_sel[1:] != e_sel[:-1]])
    cum = np.cumsum(P.need[sel], axis=1)
    least = np.minimum.reduceat(cum, starts, axis=0)  # per event: the least it must be charged by each year
    evs = e_sel[starts]
    n = ev.set_index("e").loc[evs, "n"].to_numpy()
    least = least * n[:, None]
    cum_need = least.sum(axis=0)
    allow = np.cumsum(caps) + ((fund.initial_yen - fund.min_balance_yen) if fund else 0.0)
    bad = np.flatnonzero(cum_need > allow * (1 + 1e-9) + 1.0)
    if fund is None:  # without a fund, each year on its own: the least each event is charged that year
        yearly = np.minimum.reduceat(P.need[sel], starts, axis=0) * n[:, None]
        bad_y = np.flatnonzero(yearly.sum(axis=0) > caps * (1 + 1e-9) + 1.0)
        if len(bad_y) and (not len(bad) or bad_y[0] <= bad[0]):
            t = int(bad_y[0])
            _raise_short(P, evs, yearly[:, t], P.first + t, yearly[:, t].sum(), caps[t], "in", fund)
    if not len(bad):
        return
    t = int(bad[0])
    _raise_short(P, evs, least[:, t], P.first + t, cum_need[t], allow[t], "by", fund)


def _raise_short(P: _Prepared, evs, contrib, year, need, allow, by, fund) -> None:
    ev = P.ev
    order = np.argsort(-contrib, kind="mergesort")
    E = ev.set_index("e")
    reasons = []
    grp = P.groups.set_index("group")
    for i in order[:15]:
        if contrib[i] <= 0:
            break
        r = E.loc[int(evs[i])]
        who = grp.loc[r["group"], "members"]
        name = who[0] if len(who) == 1 else f"{who[0]} (and {_n(len(who) - 1, 'identical building')})"
        reasons.append(
            f"{name} ({r['category']}): {r['kind']} due {int(r['due_year'])}, hard limit "
            f"{int(r['limit'])}, needs {contrib[i] / OKU_YEN:,.2f} oku-yen {by} {year}"
        )
    fix = "raise the caps in or before that year, add a reserve fund or bonds, or relax hard_limit_years"
    raise InfeasibleError(
        f"the annual caps cannot pay for the buildings that may not be delayed past their hard limit: {by} {year} "
        f"they need at least {need / OKU_YEN:,.2f} oku-yen but "
        f"{'the caps and fund allow' if fund else ('the cap allows' if by == 'in' else 'the caps allow')} "
        f"{allow / OKU_YEN:,.2f} (shortfall {(need - allow) / OKU_YEN:,.2f}); {fix}. Largest:",
        reasons,
    )


def _require(info: SolveInfo, P: _Prepared, params: ScheduleParams, caps: np.ndarray | None) -> None:
    if info.status == "infeasible":
        raise _diagnose(P, params, caps)
    if not info.has_solution:
        raise SolverError(
            f"renewal schedule: the solver stopped with status {info.status} ({info.raw_status}) and "
            "no schedule; raise the time limit (SolverOptions.time_limit) or loosen gap_rel"
        )


def _diagnose(P: _Prepared, params: ScheduleParams, caps: np.ndarray | None) -> InfeasibleError:
    """Re-solve elastic (:class:`~facility_opt.milp.Milp`: a priced shortfall per row of family ``money``);
    name the years short and the hard-limited events placed there."""
    if caps is None:
        return InfeasibleError(
            "no schedule meets the windows and ties at any budget",
            ["check co-location ties between buildings whose hard limits do not overlap"],
        )
    m = _Model(P, params, caps=caps, elastic=True)
    m.objective_cost(m.m.slack_terms())
    info = m.m.solve(SolverOptions(gap_rel=1e-3, time_limit=120))
    if not info.has_solution:
        return InfeasibleError("the schedule is infeasible for a reason other than the caps (ties or order)", [])
    # the years the caps cannot pay: the rows of family ``money`` that needed a shortfall (over 1 yen)
    short = [(int(year), amt * SCALE) for year, amt in m.m.slack_values(tol=1.0 / SCALE).get("money", [])]
    cnt = m.values()
    reasons = []
    E = P.ev.set_index("e")
    grp = P.groups.set_index("group")
    for year, amount in short:
        t = year - P.first
        sel = np.flatnonzero((cnt > 0) & (P.need[:, t] > 0))
        forced = [(P.need[i, t] * cnt[i], i) for i in sel if not bool(E.loc[P.opt["e"].iat[i], "can_defer"])]
        forced.sort(key=lambda z: -z[0])
        names = []
        for amt, i in forced[:5]:
            r = E.loc[P.opt["e"].iat[i]]
            who = grp.loc[r["group"], "members"]
            names.append(
                f"{who[0]}{'' if len(who) == 1 else f' (+{len(who) - 1})'} {r['kind']} "
                f"(limit {int(r['limit'])}, {amt / OKU_YEN:,.1f})"
            )
        reasons.append(
            f"{year}: short by {amount / OKU_YEN:,.1f} oku-yen; hard-limited work there: "
            + (", ".join(names) or "none")
        )
    return InfeasibleError(
        "the annual caps cannot pay for the buildings that may not be delayed past their hard "
        "limit in these years; raise the caps there, add a fund or bonds, or relax hard_limit_years",
        reasons,
    )
