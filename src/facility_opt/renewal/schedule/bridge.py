"""The bridge to the portfolio model: the buildings a plan keeps, and the renewal years the plan chose."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import DataIssue, DataValidationError
from ...solver import SolveInfo
from .result import ScheduleResult

__all__ = ["plan_buildings", "plan_schedule"]


def plan_buildings(plan, ward) -> pd.DataFrame:
    """The buildings a portfolio plan keeps, ready for :func:`schedule_renewals`.

    One row per existing site the plan keeps open (a site is a building: the facilities sharing a
    ``building_id``), with the floor area *after* the plan, so the floor of services co-located
    into a host is renewed with the host (its rebuild carries them: the co-location tie holds by
    construction). Closed sites are left out (they close at their change year instead of being
    renewed) and so are new buildings (built in the horizon, not due for renewal within it).
    ``year_built`` is the main facility's (the one whose id is the site id), else the oldest.
    """
    sites = plan.frame("sites")
    kept = sites[(sites["kind"] == "existing") & sites["open_after"]]
    f = pd.DataFrame(ward.facilities.drop(columns="geometry"))
    f["site_id"] = f["building_id"].where(f["building_id"].notna() & (f["building_id"] != ""), f["facility_id"])
    main = f[f["facility_id"] == f["site_id"]].set_index("site_id")["year_built"]
    oldest = f.groupby("site_id")["year_built"].min()
    year = main.reindex(kept["site_id"]).fillna(oldest.reindex(kept["site_id"]))
    if year.isna().any():
        missing = sorted(kept["site_id"][year.isna().to_numpy()])[:10]
        raise DataValidationError(
            [DataIssue("plan", None, "site_id", f"sites of the plan not in the ward's facilities: {missing}")]
        )
    return pd.DataFrame(
        {
            "facility_id": kept["site_id"].to_numpy(),
            "building_id": kept["site_id"].to_numpy(),
            "category": kept["category"].to_numpy(),
            "floor_area_m2": kept["floor_after_m2"].to_numpy(),
            "year_built": year.astype(int).to_numpy(),
        }
    ).sort_values("facility_id", kind="mergesort", ignore_index=True)


def plan_schedule(plan) -> ScheduleResult:
    """The renewal schedule of a portfolio plan, as the portfolio model scheduled it (no re-solve).

    The multi-year portfolio model places every renewal event of the buildings it keeps in a year
    (``plan.events``) under the same windows, penalties and budget as :func:`schedule_renewals`; this
    turns those years into a :class:`ScheduleResult`, so ``facility-opt schedule --plan`` reports the
    plan's own years instead of scheduling the kept buildings again (which could disagree with it).

    ``buildings`` has one row per event of ``plan.events`` (``building_id`` = site id) with its
    ``status`` (done, deferred, or dropped because the site closes first: ``closure_year``);
    ``years`` has the renewal ``spend_yen`` of the events done (by category), ``charged_yen`` = the
    plan's yearly spend charged to the budget (renewal, new floor, land: ``plan.years``),
    ``cap_yen`` its budget (NaN without one) and ``unlevelled_yen`` the renewal spend of keeping
    everything (``plan.baseline_events``).
    """
    first, H = int(plan.start_year), int(plan.horizon_years)
    last = first + H - 1
    yrs = np.arange(first, last + 1)
    cat = {s.site_id: s.category for s in plan.sites}
    ev = plan.frame("events").sort_values(["site_id", "due_year", "kind"], kind="mergesort").reset_index(drop=True)
    done = ev["status"] == "done"
    out = _plan_event_table(ev, cat, first, last)
    spend_cat, unlevelled = _plan_spend(plan, ev, done, cat, first, H)
    py = plan.frame("years").groupby("year", sort=True).agg(charged=("spend_yen", "first"), cap=("budget_yen", "first"))
    py = py.reindex(yrs)
    spend = sum(spend_cat.values(), np.zeros(H))
    years = pd.DataFrame(
        {
            "year": yrs,
            **{f"spend_{c}": spend_cat[c] for c in sorted(spend_cat)},
            "spend_yen": spend,
            "charged_yen": py["charged"].to_numpy(dtype=float),
            "cap_yen": pd.to_numeric(py["cap"], errors="coerce").to_numpy(dtype=float),
            "unlevelled_yen": unlevelled,
        }
    )
    summary = _plan_summary(plan, ev, out, years, spend, unlevelled, first, H)
    info = SolveInfo(
        status=plan.solver.status,
        objective=plan.solver.objective_yen,
        bound=plan.solver.bound_yen,
        gap=plan.solver.gap,
        build_seconds=0.0,
        solve_seconds=0.0,
        solver=plan.solver.solver,
    )
    return ScheduleResult(
        buildings=out, years=years, summary=summary, info=info, mode="plan", start_year=first, horizon_years=H
    )


def _plan_event_table(ev: pd.DataFrame, cat: dict, first: int, last: int) -> pd.DataFrame:
    """One row per event of the plan: done, deferred or dropped with its site, and why."""
    done = ev["status"] == "done"
    deferred = ev["status"] == "deferred"
    year = ev["year"].astype("Int64")
    spread = (ev["end_year"] - ev["year"] + 1).astype("Int64")
    due = ev["due_year"].astype(np.int64)
    at = np.where(
        done,
        year.fillna(0).astype(np.int64),
        np.where(deferred, last + 1, ev["closure_year"].fillna(last + 1).astype(np.int64)),
    )
    reasons = []
    for r, _y in zip(ev.itertuples(index=False), at):
        if r.status == "done":
            reasons.append(f"{r.kind} {int(r.year)}-{int(r.end_year)} (due {r.due_year})")
        elif r.status == "deferred":
            reasons.append(f"{r.kind} deferred past {last} (due {r.due_year})")
        else:
            reasons.append(f"{r.kind} dropped: the site closes in {int(r.closure_year)} (due {r.due_year})")
    out = pd.DataFrame(
        {
            "building_id": ev["site_id"],
            "category": ev["site_id"].map(cat),
            "event": ev["kind"],
            "cycle": ev["cycle"].astype(np.int64),
            "due_year": due,
            "status": ev["status"],
            "scheduled_year": year.where(done),
            "end_year": ev["end_year"].astype("Int64").where(done),
            "spread_years": spread.where(done),
            "deferred": deferred.to_numpy(),
            "closure_year": ev["closure_year"].astype("Int64"),
            "delay_years": (at - due).astype(np.int64),
            "added_delay_years": (at - np.maximum(due, first)).astype(np.int64),
            "backlog": (due < first),
            "preventive": (ev["variant"] == 1).to_numpy(),
            "cost_yen": ev["cost_yen"].astype(float),
            "penalty_yen": ev["penalty_yen"].astype(float),
            "reason": reasons,
        }
    )
    return out


def _plan_spend(
    plan, ev: pd.DataFrame, done: pd.Series, cat: dict, first: int, H: int
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """(renewal spend per year by category of the events done, the spend of keeping everything)."""
    last = first + H - 1

    def spread_spend(rows: pd.DataFrame) -> dict[str, np.ndarray]:
        by: dict[str, np.ndarray] = {}
        for r in rows.itertuples(index=False):
            v = by.setdefault(cat.get(r.site_id, "other"), np.zeros(H))
            n = int(r.end_year) - int(r.year) + 1
            for k in range(n):
                if first <= int(r.year) + k <= last:
                    v[int(r.year) + k - first] += float(r.cost_yen) / n
        return by

    spend_cat = spread_spend(ev[done])
    base = pd.DataFrame([e.model_dump() for e in plan.baseline_events], columns=list(ev.columns))
    unlevelled = sum(spread_spend(base[base["status"] == "done"]).values(), np.zeros(H))
    return spend_cat, unlevelled


def _plan_summary(plan, ev, out, years, spend, unlevelled, first, H) -> dict:
    """The summary figures of a plan's renewal schedule (as :func:`schedule_renewals` reports them)."""
    done = ev["status"] == "done"
    deferred = ev["status"] == "deferred"
    late = out[out["delay_years"] > 0]
    k = plan.kpis
    summary = {
        "mode": "plan",
        "start_year": first,
        "horizon_years": H,
        "buildings": int(out["building_id"].nunique()),
        "events": int(len(out)),
        "events_done": int(done.sum()),
        "events_deferred": int(deferred.sum()),
        "events_dropped": int((ev["status"] == "dropped").sum()),
        "capital_yen": round(float(ev.loc[done | deferred, "cost_yen"].sum()), 0),
        "penalty_yen": round(float(ev["penalty_yen"].sum()), 0),
        "total_cost_yen": round(float(ev.loc[done | deferred, "cost_yen"].sum() + ev["penalty_yen"].sum()), 0),
        "spend_in_horizon_yen": round(float(spend.sum()), 0),
        "spend_peak_yen": round(float(spend.max()), 0),
        "charged_peak_yen": round(float(np.nanmax(years["charged_yen"])), 0) if H else 0.0,
        "unlevelled_in_horizon_yen": round(float(unlevelled.sum()), 0),
        "unlevelled_peak_yen": round(float(unlevelled.max()), 0),
        "mean_cap_yen": None if np.isnan(years["cap_yen"]).all() else round(float(np.nanmean(years["cap_yen"])), 0),
        "level_budget_yen": k.level_budget_yen,
        "buildings_past_due": int(late["building_id"].nunique()),
        "events_past_due": int(len(late)),
        "events_delayed_by_schedule": int((out["added_delay_years"] > 0).sum()),
        "buildings_delayed_by_schedule": int(out.loc[out["added_delay_years"] > 0, "building_id"].nunique()),
        "max_delay_years": int(out["delay_years"].max()) if len(out) else 0,
        "mean_added_delay_years": round(float(out["added_delay_years"].clip(lower=0).mean()), 2) if len(out) else 0.0,
    }
    return summary
