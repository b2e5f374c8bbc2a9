"""The plan's headline figures: per-service coverage and distances, and the KPIs against the baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .formulation.solution import Solution
from .problem import PortfolioProblem
from .rows import Kpis, ServiceKpi, SitePlan, YearRow

__all__ = ["plan_kpis"]


def _wquantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    if len(x) == 0 or w.sum() <= 0:
        return 0.0
    o = np.argsort(x, kind="stable")
    cw = np.cumsum(w[o]) / w.sum()
    return float(x[o][min(np.searchsorted(cw, q - 1e-12), len(x) - 1)])


def _service_kpis(problem: PortfolioProblem, sol: Solution, years: list[YearRow]) -> dict[str, dict[str, float]]:
    P = len(problem.policy.periods())
    front = problem.station_front_in(problem.policy.end_year - 1)
    a = sol.assignments[sol.assignments["p"] == P - 1]
    pl = sol.placements[(sol.placements["place"] > 0.5) & (sol.placements["p"] == P - 1)]
    out = {}
    for k in problem.services["service_id"]:
        ak = a[a["service_id"] == k]
        w = (ak["population"] * ak["share"]).to_numpy()
        dist = np.nan_to_num(ak["distance_m"].to_numpy())
        sites = pl.loc[pl["service_id"] == k, "site_id"]
        cov = [y.covered_share for y in years if y.service_id == k]
        out[k] = {
            "sites": int(sites.nunique()),
            "coverage": round(min(cov), 6) if cov else 1.0,
            "capacity": round(float(pl.loc[pl["service_id"] == k, "capacity"].sum()), 3),
            "mean": round(float((w * dist).sum() / w.sum()), 1) if w.sum() > 0 else 0.0,
            "p95": round(_wquantile(dist, w, 0.95), 1),
            "front": round(float(front.reindex(sites).mean()), 6) if len(sites) else 0.0,
        }
    return out


def plan_kpis(
    problem: PortfolioProblem,
    sol: Solution,
    baseline: Solution,
    *,
    sites: list[SitePlan],
    years: list[YearRow],
    years_before: list[YearRow],
    open_: np.ndarray,
    totals: tuple[pd.DataFrame, pd.DataFrame],
    money: tuple[pd.DataFrame, pd.DataFrame],
    saving: int,
    by_kind: dict[str, float],
) -> Kpis:
    """The plan's headline figures against the baseline's; ``totals`` and ``money`` are (baseline, plan):
    costs by site over the horizon and spend by year; ``open_`` the plan's sites open by period."""
    pol = problem.policy
    (tot_b, tot_a), (money_b, money_a) = totals, money
    existing = problem.sites["kind"].eq("existing").to_numpy()
    cb, ca = float(tot_b["total_yen"].sum()), float(tot_a["total_yen"].sum())
    kb, ka = _service_kpis(problem, baseline, years_before), _service_kpis(problem, sol, years)
    svc = [
        ServiceKpi(
            service_id=k,
            sites_before=kb[k]["sites"],
            sites_after=ka[k]["sites"],
            coverage_before=kb[k]["coverage"],
            coverage_after=ka[k]["coverage"],
            capacity_before=kb[k]["capacity"],
            capacity_after=ka[k]["capacity"],
            mean_distance_before_m=kb[k]["mean"],
            mean_distance_after_m=ka[k]["mean"],
            p95_distance_before_m=kb[k]["p95"],
            p95_distance_after_m=ka[k]["p95"],
            station_front_share_before=kb[k]["front"],
            station_front_share_after=ka[k]["front"],
        )
        for k in problem.services["service_id"]
    ]
    floor_b = float(sum(r.floor_before_m2 for r in sites))
    floor_a = float(sum(r.floor_after_m2 for r in sites))
    budget = None
    if pol.budget is not None:
        bcaps = pol.budget.caps(pol.years())
        budget = round(float(np.mean(bcaps[np.isfinite(bcaps)]))) if np.isfinite(bcaps).any() else None
    return Kpis(
        horizon_years=pol.horizon_years,
        buildings_before=int(existing.sum()),
        buildings_after=int(open_[:, -1].sum()),
        floor_before_m2=round(floor_b, 1),
        floor_after_m2=round(floor_a, 1),
        floor_reduction=round(1 - floor_a / floor_b, 6) if floor_b > 0 else 0.0,
        cost_before_yen=round(cb),
        cost_after_yen=round(ca),
        cash_before_yen=round(float(tot_b["cash_yen"].sum())),
        cash_after_yen=round(float(tot_a["cash_yen"].sum())),
        penalty_before_yen=round(float(tot_b["penalty_yen"].sum())),
        penalty_after_yen=round(float(tot_a["penalty_yen"].sum())),
        deferred_before_yen=round(float(tot_b["deferred_yen"].sum())),
        deferred_after_yen=round(float(tot_a["deferred_yen"].sum())),
        cost_per_year_before_yen=round(cb / pol.horizon_years),
        cost_per_year_after_yen=round(ca / pol.horizon_years),
        saving_yen=saving,
        saving_share=round(1 - ca / cb, 6) if cb else 0.0,
        closures=int((existing & ~open_[:, -1]).sum()),
        new_buildings=int((~existing & open_[:, -1]).sum()),
        capital_spend_yen=round(float(tot_a["new_build_yen"].sum() + tot_a["land_yen"].sum())),
        peak_spend_before_yen=round(float(money_b["spend_yen"].max())),
        peak_spend_after_yen=round(float(money_a["spend_yen"].max())),
        budget_yen=budget,
        level_budget_yen=None if sol.level_budget_yen is None else round(sol.level_budget_yen),
        access_before_person_km=_person_km(problem, baseline),
        access_after_person_km=_person_km(problem, sol),
        station_front_share_before=_front_share(problem, baseline),
        station_front_share_after=_front_share(problem, sol),
        services=svc,
        saving_by_kind=by_kind,
    )


def _person_km(problem: PortfolioProblem, s: Solution) -> float:
    """Residents' distance to their sites, person-km a year averaged over the horizon."""
    pol = problem.policy
    a = s.assignments.merge(pol.periods().rename(columns={"start": "s0", "end": "s1"}), on="p")
    yrs = a["s1"] - a["s0"] + 1
    return round(
        float((a["population"] * a["share"] * np.nan_to_num(a["distance_m"]) * yrs).sum() / 1000.0 / pol.horizon_years),
        3,
    )


def _front_share(problem: PortfolioProblem, s: Solution) -> float:
    """The share of the last period's placements at station-front sites."""
    P = len(problem.policy.periods())
    pl = s.placements[(s.placements["place"] > 0.5) & (s.placements["p"] == P - 1)]
    front = problem.station_front_in(problem.policy.end_year - 1)
    return round(float(front.reindex(pl["site_id"]).mean()), 6) if len(pl) else 0.0
