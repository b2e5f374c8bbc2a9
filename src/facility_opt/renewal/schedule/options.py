"""Every way each event may be done: windows, options (event × variant × start year), their costs and order.

Shared by the renewal scheduler and the portfolio model (which schedules the renewals of the
buildings it keeps under the same windows and penalties).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .params import Penalties, ScheduleParams

__all__ = ["event_risk", "event_windows", "event_options", "order_rows"]


def event_risk(cost, area, is_rebuild, due, first, y, pen: Penalties):
    """Risk + overdue-upkeep cost (yen) of doing an event due ``due`` in year ``y`` (arrays): the
    deferral penalty, charged only for years from the start year ``first`` on."""
    k0 = np.maximum(due, first) - due + 1
    k1 = y - due
    m = np.maximum(k1 - k0 + 1, 0)
    yrs_sum = np.where(m > 0, (k0 + k1) * m / 2.0, 0.0)
    return cost * (pen.risk_linear * m + pen.risk_quadratic * yrs_sum) + np.where(
        is_rebuild, area * pen.deferred_rebuild_maintenance_yen_per_m2 * m, 0.0
    )


def event_windows(
    ev: pd.DataFrame,
    params: ScheduleParams,
    first: int,
    last: int,
    *,
    mode: str = "cap",
    within: str = "windows",
    no_preventive: pd.Series | np.ndarray | None = None,
) -> pd.DataFrame:
    """When each event may start: ``earliest``, ``latest`` (in the horizon), ``limit`` (hard limit
    year or NaN), ``can_defer`` (may run past the horizon) and ``pm`` (a preventive variant exists).

    ``ev`` has one row per event: ``group`` (events of one building share it, in chain order),
    ``kind, cycle, due_year, backlog, category``. Shared by the scheduler and the portfolio model.
    """
    ev = ev.copy()
    win = {c: params.window(c) for c in ev["category"].unique()}
    due = ev["due_year"].to_numpy(dtype=np.int64)
    base = np.maximum(due, first)
    early = np.array([win[c].early_years for c in ev["category"]], dtype=np.int64)
    late = np.array([win[c].late_years for c in ev["category"]], dtype=np.int64)
    hard = np.array([np.nan if win[c].hard_limit_years is None else win[c].hard_limit_years for c in ev["category"]])
    prev_kind = ev.groupby("group")["kind"].shift(1)
    next_cycle = (prev_kind == "rebuild").to_numpy()  # consequences of a rebuild: no hard limit of their own
    limit = np.where(np.isnan(hard) | next_cycle, np.nan, base + np.nan_to_num(hard))
    if mode == "min_budget" and within == "windows":
        limit = np.where(next_cycle, np.nan, np.fmin(limit, base + late))
    ev["earliest"] = np.maximum(first, due - early)
    latest = np.minimum(base + late, last)
    ev["limit"] = limit
    ev["latest"] = np.where(np.isnan(limit), latest, np.minimum(latest, limit)).astype(np.int64)
    ev["can_defer"] = np.isnan(limit) | (limit > last)
    pm = params.preventive
    ev["pm"] = False
    if pm is not None:
        ok = (
            (ev["kind"] == "rebuild")
            & (ev["cycle"] == 0)
            & ~ev["backlog"]
            & (ev["due_year"] >= first + pm.min_years_to_due)
        )
        if no_preventive is not None:
            ok &= ~np.asarray(no_preventive, dtype=bool)
        if pm.categories is not None:
            ok &= ev["category"].isin(pm.categories)
        ev["pm"] = ok.to_numpy()
    return ev


def event_options(
    ev: pd.DataFrame,
    params: ScheduleParams,
    first: int,
    last: int,
    *,
    discount_rate: float = 0.0,
    follow: Mapping[int, int] | None = None,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Every way each event may be done: one row per (event, variant, start year); ``last + 1`` = deferred.

    Returns ``(opt, spend, need)``: ``opt`` has ``e, variant, due, year, closed`` and the option's
    cost parts in yen (``capital`` (discounted), ``risk``, ``early``, ``interest``, ``pm_cost``, and
    ``coef`` = their sum); ``spend`` (options × years) is the capital spent each year and ``need``
    what the year's budget is charged (after bond proceeds and repayments, plus preventive
    maintenance). ``ev`` comes from :func:`event_windows` with ``e`` (row id), ``cost_yen`` (incl.
    demolition), ``floor_area_m2``, ``spread_years``, ``building_id``. ``follow`` maps an event to
    another event whose years it must take (a co-located guest's rebuild follows its host's).
    Shared by the scheduler and the portfolio model.
    """
    H = last - first + 1
    opt = _option_years(ev, params, first, last)
    if follow:  # the follower takes its leader's years (any variant); years beyond its own limit closed
        opt = _follow_years(opt, ev, follow, last)
    opt = opt.astype({"e": np.int64, "variant": np.int64, "due": np.int64, "year": np.int64, "closed": bool})
    opt = opt.sort_values(["e", "variant", "year"], kind="mergesort").reset_index(drop=True)

    E = ev.set_index("e")
    oe = opt["e"].to_numpy()
    cost = E["cost_yen"].to_numpy(dtype=float)[oe]
    is_reb = (E["kind"].to_numpy() == "rebuild")[oe]
    spread = E["spread_years"].to_numpy(dtype=np.int64)[oe]
    pm_cost = _option_costs(opt, E, params, first, last, discount_rate, follow)
    spend, need = _option_money(opt["year"].to_numpy(), cost, is_reb, spread, pm_cost, params, first, H)
    return opt, spend, need


def _option_years(ev: pd.DataFrame, params: ScheduleParams, first: int, last: int) -> pd.DataFrame:
    """One row per (event, variant, start year) in its window; ``last + 1`` where it may be deferred."""
    pm = params.preventive
    win = {c: params.window(c) for c in ev["category"].unique()}
    rows = []
    for r in ev.itertuples(index=False):
        variants = [(0, int(r.due_year), int(r.earliest), int(r.latest), bool(r.can_defer))]
        if r.pm:
            d2 = int(r.due_year) + pm.extension_years
            b2 = max(d2, first)
            lat2 = min(b2 + win[r.category].late_years, last)
            if not np.isnan(r.limit):
                lim2 = b2 + (r.limit - max(int(r.due_year), first))
                lat2 = min(lat2, lim2)
                dfr2 = lim2 > last
            else:
                dfr2 = True
            variants.append((1, d2, max(first, d2 - win[r.category].early_years), lat2, dfr2))
        for var, d, e0, e1, dfr in variants:
            ys = list(range(e0, e1 + 1)) if e0 <= last else []
            if dfr:
                ys.append(last + 1)
            rows.append(pd.DataFrame({"e": r.e, "variant": var, "due": d, "year": ys}))
    opt = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["e", "variant", "due", "year"])
    opt["closed"] = False
    return opt


def _follow_years(opt: pd.DataFrame, ev: pd.DataFrame, follow: Mapping[int, int], last: int) -> pd.DataFrame:
    """A follower's options are its leader's years; those beyond its own limit (or past the horizon) closed."""
    E0 = ev.set_index("e")
    keep = ~opt["e"].isin(list(follow))
    extra = []
    for g_e, h_e in sorted(follow.items()):
        r = E0.loc[g_e]
        hy = sorted(set(opt.loc[opt["e"] == h_e, "year"]))
        lim = r["limit"]
        extra.append(
            pd.DataFrame(
                {
                    "e": g_e,
                    "variant": 0,
                    "due": int(r["due_year"]),
                    "year": hy,
                    "closed": [
                        bool((y > last and not r["can_defer"]) or (not np.isnan(lim) and last >= y > lim)) for y in hy
                    ],
                }
            )
        )
    return pd.concat([opt[keep], *extra], ignore_index=True)


def _option_costs(
    opt: pd.DataFrame,
    E: pd.DataFrame,
    params: ScheduleParams,
    first: int,
    last: int,
    discount_rate: float,
    follow: Mapping[int, int] | None,
) -> np.ndarray:
    """Add each option's cost parts in yen (``capital, risk, early, interest, pm_cost, coef``); returns pm_cost."""
    H = last - first + 1
    pen, pm = params.penalties, params.preventive
    oe = opt["e"].to_numpy()
    cost = E["cost_yen"].to_numpy(dtype=float)[oe]
    area = E["floor_area_m2"].to_numpy(dtype=float)[oe]
    is_reb = (E["kind"].to_numpy() == "rebuild")[oe]
    y = opt["year"].to_numpy()
    d = opt["due"].to_numpy()
    deferred = y > last
    y_eff = np.where(deferred, last + 1 + pen.defer_tail_years, y)
    risk = event_risk(cost, area, is_reb, d, first, y_eff, pen)
    guest = np.isin(oe, list(follow or {}))
    early_pen = np.where(guest, 0.0, cost * pen.early_share_per_year * np.maximum(d - y, 0))
    capital = cost / (1.0 + discount_rate) ** (np.minimum(y, last + 1) - first)
    interest = np.zeros(len(opt))
    if params.bonds is not None:
        bd = params.bonds
        interest = np.where(is_reb, bd.share * cost * (bd.annuity() * bd.years - 1.0), 0.0)
    pm_cost = np.where(opt["variant"].to_numpy() == 1, area * (pm.yen_per_m2_year if pm else 0.0) * H, 0.0)
    opt["capital"] = capital
    opt["risk"] = risk
    opt["early"] = early_pen
    opt["interest"] = interest
    opt["pm_cost"] = pm_cost
    opt["coef"] = capital + risk + early_pen + interest + pm_cost
    return pm_cost


def _option_money(
    y: np.ndarray,
    cost: np.ndarray,
    is_reb: np.ndarray,
    spread: np.ndarray,
    pm_cost: np.ndarray,
    params: ScheduleParams,
    first: int,
    H: int,
) -> tuple[np.ndarray, np.ndarray]:
    """(spend, need): each option's capital spend per year, and what each year's budget is charged."""
    pm = params.preventive
    n_opt = len(y)
    spend = np.zeros((n_opt, H))
    rows_i = np.arange(n_opt)
    for k in range(int(spread.max()) if n_opt else 0):
        t = y + k - first
        ok = (k < spread) & (t >= 0) & (t < H)
        spend[rows_i[ok], t[ok]] += cost[ok] / spread[ok]
    need = spend.copy()
    if params.bonds is not None:
        bd = params.bonds
        fin = spend * (bd.share * is_reb)[:, None]
        need -= fin
        a = bd.annuity()
        for lag in range(1, bd.years + 1):
            if lag < H:
                need[:, lag:] += a * fin[:, :-lag]
    if pm is not None:  # preventive maintenance is paid every year by the chosen variant
        need += (pm_cost / H)[:, None]
    return spend, need


def order_rows(ev: pd.DataFrame, opt: pd.DataFrame, last: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Rows ``sum x[plus] - sum x[minus] <= 0`` keeping the events of a building in order.

    An event starts only after the previous one of its building has finished (its spread years);
    an event after a rebuild keeps its distance (due years) to the rebuild. ``opt`` rows are sorted
    by event (:func:`event_options`). Returns (name, plus option rows, minus option rows).
    """
    oe = opt["e"].to_numpy()
    yr = opt["year"].to_numpy()
    bounds = np.flatnonzero(np.r_[True, oe[1:] != oe[:-1], True])
    by_e = {int(oe[bounds[j]]): np.arange(bounds[j], bounds[j + 1]) for j in range(len(bounds) - 1)}
    E = ev.reset_index(drop=True)
    out = []
    for j in range(1, len(E)):
        if E["group"].iat[j] != E["group"].iat[j - 1]:
            continue
        a, b = int(E["e"].iat[j - 1]), int(E["e"].iat[j])
        a_reb = E["kind"].iat[j - 1] == "rebuild"
        gap = int(E["due_year"].iat[j] - E["due_year"].iat[j - 1]) if a_reb else int(E["spread_years"].iat[j - 1])
        ia, ib = by_e[a], by_e[b]
        ya, yb = yr[ia], yr[ib]
        a_defer = ia[ya > last]
        a_max = ya[ya <= last].max(initial=-(10**6))
        yb_in = yb[yb <= last]
        for t in range(int(yb_in.min(initial=last + 1)), last + 1):
            if a_max <= t - gap and (not a_reb or len(a_defer) == 0):
                break
            minus = ia[ya <= t - gap]
            if not a_reb:
                minus = np.r_[minus, a_defer]
            out.append((f"order_{a}_{b}_{t}", ib[yb <= t], minus))
    return out
