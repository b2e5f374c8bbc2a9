"""Turning the solver's option counts into a :class:`ScheduleResult`: per-building events, per-year money, summary."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..projection import project_renewal
from .milp import info_in_yen
from .prepare import _Prepared
from .reasons import _reasons
from .result import ScheduleResult, _solver_section


def _assemble(P: _Prepared, params, rparams, catalogue, facilities, counts, caps, info, level, mode, horizon):
    """The result of a solve: ``info`` is the solver's (億円 scale), reported in yen."""
    first = P.first
    asg = _assign(P, counts)
    out = _event_table(asg, P, params)
    years, spend, before = _year_table(P, params, rparams, catalogue, facilities, counts, caps, horizon)
    summary = _summary(P, rparams, out, counts, spend, before, caps, level, mode, horizon)
    return ScheduleResult(
        buildings=out,
        years=years,
        summary=summary,
        info=info_in_yen(info),
        mode=mode,
        start_year=first,
        horizon_years=horizon,
        extra={"fund": params.fund, "params": params, "solver_section": _solver_section(info)},
    )


def _assign(P: _Prepared, counts: np.ndarray) -> pd.DataFrame:
    """Disaggregate cohorts: within a group, events in chain order, buildings matched by sorted years."""
    ev, opt = P.ev, P.opt
    last = P.last
    grp = P.groups.set_index("group")
    rows = []
    sel = np.flatnonzero(counts > 0)
    chosen = opt.iloc[sel].assign(count=counts[sel], oi=sel)
    for gid, gev in ev.groupby("group", sort=True):
        bs = grp.loc[gid, "members"]
        prev: dict[str, tuple] = {b: (-(10**6),) for b in bs}  # sort key from the previous event
        for r in gev.itertuples(index=False):
            ch = chosen[chosen["e"] == r.e].sort_values(["year", "variant"], kind="mergesort")
            slots = [
                (int(c.year), int(c.variant), int(c.due), int(c.oi))
                for c in ch.itertuples(index=False)
                for _ in range(int(c.count))
            ]
            order = sorted(bs, key=lambda b: (prev[b], b))
            for b, (yv, var, d, oi) in zip(order, slots):
                rows.append((b, r.e, yv, var, d, oi))
                deferred = yv > last
                prev[b] = (-(10**6),) if (deferred and r.kind != "rebuild") else (yv,)
    asg = pd.DataFrame(rows, columns=["building_id", "e", "year", "variant", "due", "oi"])
    asg = asg.merge(
        ev[
            [
                "e",
                "kind",
                "cycle",
                "due_year",
                "backlog",
                "spread_years",
                "category",
                "floor_area_m2",
                "cost_yen",
                "limit",
            ]
        ].rename(columns={"due_year": "due_nominal"}),
        on="e",
    )
    o = opt.loc[asg["oi"].to_numpy()]
    asg["penalty_yen"] = (o["risk"] + o["early"]).to_numpy()
    asg = asg.sort_values(["building_id", "due", "kind"], kind="mergesort").reset_index(drop=True)
    return asg


def _event_table(asg: pd.DataFrame, P: _Prepared, params) -> pd.DataFrame:
    """One row per (building, event): when it is done, its delay, cost, penalty, host and reason."""
    first, last = P.first, P.last
    host_of = P.ties
    deferred = asg["year"] > last
    sched = asg["year"].where(~deferred)
    delay = np.where(deferred, last + 1 - asg["due"], asg["year"] - asg["due"])
    added = np.where(deferred, last + 1 - np.maximum(asg["due"], first), asg["year"] - np.maximum(asg["due"], first))
    out = pd.DataFrame(
        {
            "building_id": asg["building_id"],
            "category": asg["category"],
            "event": asg["kind"],
            "cycle": asg["cycle"].astype(np.int64),
            "due_year": asg["due"].astype(np.int64),
            "scheduled_year": sched.astype("Int64"),
            "end_year": (asg["year"] + asg["spread_years"] - 1).where(~deferred).astype("Int64"),
            "spread_years": asg["spread_years"].astype(np.int64),
            "deferred": deferred.to_numpy(),
            "delay_years": delay.astype(np.int64),
            "added_delay_years": added.astype(np.int64),
            "backlog": asg["backlog"].to_numpy(),
            "preventive": (asg["variant"] == 1).to_numpy(),
            "hard_limit_year": asg["limit"].astype(float).round().astype("Int64"),
            "cost_yen": asg["cost_yen"].to_numpy(),
            "penalty_yen": asg["penalty_yen"].to_numpy(),
            "host": asg["building_id"].map(host_of).where(asg["kind"] == "rebuild"),
        }
    )
    out["reason"] = _reasons(out, asg, first, last, params)
    return out


def _year_table(P: _Prepared, params, rparams, catalogue, facilities, counts, caps, horizon):
    """(years table, capital spend per year, unlevelled spend per year)."""
    ev, opt = P.ev, P.opt
    first, last = P.first, P.last
    E = ev.set_index("e")
    H = last - first + 1
    cnt = counts.astype(float)
    spend = P.spend.T @ cnt
    charged = P.need.T @ cnt
    yrs = np.arange(first, last + 1)
    ycat = {}
    # spend by facility category: each event's spend split by its facilities' category shares
    cats = P.cats.copy()
    tot = cats.groupby(["building_id", "kind", "cycle", "due_year"])["cost_yen"].transform("sum")
    cats["w"] = cats["cost_yen"] / tot
    ev_key = ev.set_index("e")[["building_id", "kind", "cycle", "due_year"]]
    oe = opt["e"].to_numpy()
    w_rows = ev_key.reset_index().merge(
        cats[["building_id", "kind", "cycle", "due_year", "category", "w"]],
        on=["building_id", "kind", "cycle", "due_year"],
        how="left",
    )
    for c in sorted(w_rows["category"].dropna().unique()):
        we = w_rows[w_rows["category"] == c].groupby("e")["w"].sum()
        wv = np.zeros(len(ev))
        wv[we.index.to_numpy()] = we.to_numpy()
        ycat[f"spend_{c}"] = P.spend.T @ (cnt * wv[oe])
    pm_year = np.zeros(H)
    if params.preventive is not None:
        pm_year = np.full(H, float((opt["pm_cost"].to_numpy() / H * cnt).sum()))
    bonds = params.bonds
    proceeds = (P.spend * ((E["kind"].to_numpy() == "rebuild")[oe] * (bonds.share if bonds else 0.0))[:, None]).T @ cnt
    repay = charged - spend + proceeds - pm_year
    fund = params.fund
    bal = np.full(H, np.nan)
    if fund:
        bal = fund.initial_yen + np.cumsum(caps - charged)
    before = (
        project_renewal(
            facilities,
            start_year=first,
            params=rparams,
            catalogue=catalogue,
            horizon_years=horizon,
            include_operation=False,
        )
        .groupby("year")["cost_yen"]
        .sum()
        .reindex(yrs, fill_value=0.0)
    )
    years = pd.DataFrame(
        {
            "year": yrs,
            **ycat,
            "spend_yen": spend,
            "preventive_yen": pm_year,
            "bond_proceeds_yen": proceeds,
            "bond_repayment_yen": np.maximum(repay, 0.0),
            "charged_yen": charged,
            "cap_yen": caps,
            "fund_balance_yen": bal,
            "unlevelled_yen": before.to_numpy(),
        }
    )
    return years, spend, before


def _summary(P: _Prepared, rparams, out, counts, spend, before, caps, level, mode, horizon) -> dict:
    """The summary figures of a schedule (yen rounded to 1)."""
    first = P.first
    o_all = P.opt.assign(count=counts)
    tot = lambda c: float((o_all[c] * o_all["count"]).sum())  # noqa: E731
    late = out[(out["delay_years"] > 0)]
    bpast = late["building_id"].nunique()
    summary = {
        "mode": mode,
        "start_year": first,
        "horizon_years": horizon,
        "renewal_preset": rparams.preset,
        "buildings": int(sum(len(v) for v in P.groups["members"])),
        "events": int(len(out)),
        "cohorts": int(len(P.groups)),
        "total_cost_yen": round(tot("coef"), 0),
        "capital_yen": round(tot("capital"), 0),
        "penalty_yen": round(tot("risk") + tot("early"), 0),
        "risk_yen": round(tot("risk"), 0),
        "early_yen": round(tot("early"), 0),
        "bond_interest_yen": round(tot("interest"), 0),
        "preventive_yen": round(tot("pm_cost"), 0),
        "spend_in_horizon_yen": round(float(spend.sum()), 0),
        "unlevelled_in_horizon_yen": round(float(before.sum()), 0),
        "unlevelled_peak_yen": round(float(before.max()), 0),
        "spend_peak_yen": round(float(spend.max()), 0),
        "mean_cap_yen": round(float(np.mean(caps)), 0),
        "level_budget_yen": None if level is None else float(round(level, 0)),
        "buildings_past_due": int(bpast),
        "events_past_due": int(len(late)),
        "events_delayed_by_schedule": int((out["added_delay_years"] > 0).sum()),
        "buildings_delayed_by_schedule": int(out.loc[out["added_delay_years"] > 0, "building_id"].nunique()),
        "events_deferred": int(out["deferred"].sum()),
        "buildings_deferred": int(out.loc[out["deferred"], "building_id"].nunique()),
        "max_delay_years": int(out["delay_years"].max()) if len(out) else 0,
        "mean_delay_years_of_late": round(float(late["delay_years"].mean()), 2) if len(late) else 0.0,
        "mean_added_delay_years": round(float(out["added_delay_years"].clip(lower=0).mean()), 2) if len(out) else 0.0,
        "events_preventive": int(out["preventive"].sum()),
        "delay_histogram": {k: int(v) for k, v in _delay_bins(out).items()},
    }
    return summary


def _delay_bins(out: pd.DataFrame) -> dict[str, int]:
    d = out["added_delay_years"]
    bins = {
        "on time": int((d <= 0).sum()),
        "1-5 years": int(((d >= 1) & (d <= 5)).sum()),
        "6-10 years": int(((d >= 6) & (d <= 10)).sum()),
        "11-20 years": int(((d >= 11) & (d <= 20)).sum()),
        "over 20 years": int((d > 20).sum()),
    }
    return bins
