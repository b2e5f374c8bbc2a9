"""Two plans side by side: their headline and per-service KPIs, and the facilities decided differently."""

from __future__ import annotations

import pandas as pd

from .portfolio.plan import Plan

__all__ = ["compare_plans", "KPI_FIELDS"]

#: headline KPIs compared, in display order
KPI_FIELDS = (
    "buildings_after",
    "floor_after_m2",
    "floor_reduction",
    "cost_after_yen",
    "cost_per_year_after_yen",
    "cash_after_yen",
    "penalty_after_yen",
    "deferred_after_yen",
    "peak_spend_after_yen",
    "saving_yen",
    "saving_share",
    "closures",
    "new_buildings",
    "capital_spend_yen",
    "access_after_person_km",
    "station_front_share_after",
)

_SERVICE_FIELDS = ("sites_after", "coverage_after", "mean_distance_after_m", "p95_distance_after_m")
_DECISION_FIELDS = ("decision", "year", "services_after")


def compare_plans(a: Plan, b: Plan) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Compare plan ``a`` with plan ``b``.

    Returns
    -------
    kpis : DataFrame
        metric, a, b, difference (b - a): the headline KPIs (:data:`KPI_FIELDS`, plus the solver's
        status and gap as text-free numbers where they exist) and, per service, ``<field>:<service>``
        for sites, coverage, mean and p95 distance after the plan.  Services in one plan only get
        NaN on the other side.
    differences : DataFrame
        facility_id, name, decision_a, decision_b, year_a, year_b, services_after_a,
        services_after_b (``;``-joined), reason_a, reason_b: one row per facility whose decision,
        year or services after the plan differ (``absent`` when a plan does not have it), sorted
        by facility_id.

    Examples
    --------
    >>> # kpis, diff = compare_plans(Plan.from_json("a/plan.json"), Plan.from_json("b/plan.json"))
    """
    rows = []
    for f in KPI_FIELDS:
        va, vb = float(getattr(a.kpis, f)), float(getattr(b.kpis, f))
        rows.append((f, va, vb))
    rows.append(("gap", a.solver.gap, b.solver.gap))
    sa = {s.service_id: s for s in a.kpis.services}
    sb = {s.service_id: s for s in b.kpis.services}
    for k in sorted(set(sa) | set(sb)):
        for f in _SERVICE_FIELDS:
            rows.append(
                (
                    f"{f}:{k}",
                    float(getattr(sa[k], f)) if k in sa else float("nan"),
                    float(getattr(sb[k], f)) if k in sb else float("nan"),
                )
            )
    kpis = pd.DataFrame(rows, columns=["metric", "a", "b"]).astype({"a": float, "b": float})
    kpis["difference"] = (kpis["b"] - kpis["a"]).round(6)

    def table(p: Plan) -> pd.DataFrame:
        d = p.frame("decisions")[["facility_id", "name", "decision", "year", "services_after", "reason"]].copy()
        d["services_after"] = d["services_after"].map(";".join)
        d["year"] = d["year"].astype("Int64")
        return d.set_index("facility_id")

    da, db = table(a), table(b)
    ids = sorted(set(da.index) | set(db.index))
    da, db = da.reindex(ids), db.reindex(ids)
    for d in (da, db):
        d["decision"] = d["decision"].fillna("absent")
        d[["services_after", "reason"]] = d[["services_after", "reason"]].fillna("")
    differs = pd.Series(False, index=ids)
    for f in _DECISION_FIELDS:
        differs |= ~((da[f] == db[f]).fillna(False)) & ~(da[f].isna() & db[f].isna())
    out = pd.DataFrame({"facility_id": ids, "name": da["name"].fillna(db["name"]).to_numpy()})
    for f in _DECISION_FIELDS + ("reason",):
        out[f"{f}_a"] = da[f].reset_index(drop=True)
        out[f"{f}_b"] = db[f].reset_index(drop=True)
    out = out[differs.to_numpy()].reset_index(drop=True)
    return kpis, out
