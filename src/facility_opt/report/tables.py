"""The plan year by year as tables: the moves of its timeline and the annual spend against the budget."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..portfolio.plan import Plan
from ..portfolio.problem import PortfolioProblem

__all__ = ["plan_moves", "spend_by_year", "MOVE_COLUMNS", "SPEND_COLUMNS"]

#: columns of :func:`plan_moves`
MOVE_COLUMNS = ["year", "service_id", "kind", "from_site", "to_site", "capacity_before", "capacity_after"]
#: columns of :func:`spend_by_year`
SPEND_COLUMNS = ["year", "spend_yen", "renewal_yen", "new_build_yen", "land_yen", "budget_yen", "baseline_yen"]


def plan_moves(plan: Plan) -> pd.DataFrame:
    """What the plan's ``timeline`` changes, year by year: one row per service and year in which it
    leaves a site, arrives at one, or changes capacity where it is.

    Returns
    -------
    DataFrame
        :data:`MOVE_COLUMNS`: ``year`` (the first year of the new state), ``service_id``, ``kind``
        (``move``: it leaves ``from_site`` and arrives at ``to_site`` that year; ``leave``: it
        leaves ``from_site`` and its residents go to sites that already serve them; ``open``: it
        starts at ``to_site``; ``capacity``: its capacity at ``to_site`` = ``from_site`` changes),
        ``from_site``, ``to_site`` (``;``-joined when several), ``capacity_before`` (places at the
        sites it leaves, or before the change), ``capacity_after``; sorted by year, service, kind.
    """
    t = plan.frame("timeline")
    start, end = plan.start_year, plan.start_year + plan.horizon_years - 1
    rows = []
    for k, g in t.groupby("service_id", sort=True):
        for y in sorted(set(g["from_year"]) | set(g["to_year"] + 1)):
            if y <= start or y > end:
                continue
            ends = g[g["to_year"] == y - 1].set_index("site_id")["capacity"]
            starts = g[g["from_year"] == y].set_index("site_id")["capacity"]
            same = sorted(set(ends.index) & set(starts.index))
            for s in same:
                if float(ends[s]) != float(starts[s]):
                    rows.append((y, k, "capacity", s, s, float(ends[s]), float(starts[s])))
            gone, new = sorted(set(ends.index) - set(same)), sorted(set(starts.index) - set(same))
            if not gone and not new:
                continue
            kind = "move" if gone and new else ("leave" if gone else "open")
            rows.append(
                (
                    y,
                    k,
                    kind,
                    ";".join(gone),
                    ";".join(new),
                    round(float(ends[gone].sum()), 3),
                    round(float(starts[new].sum()), 3),
                )
            )
    out = pd.DataFrame(rows, columns=MOVE_COLUMNS)
    order = {"move": 0, "leave": 1, "open": 2, "capacity": 3}
    return (
        out.assign(_o=out["kind"].map(order))
        .sort_values(["year", "service_id", "_o", "from_site"], kind="mergesort")
        .drop(columns="_o")
        .reset_index(drop=True)
    )


def _year_frame(plan: Plan) -> pd.DataFrame:
    return plan.frame("years").sort_values(["year", "service_id"], kind="mergesort")


def spend_by_year(plan: Plan, problem: PortfolioProblem | None = None) -> pd.DataFrame:
    """The annual spend charged to the budget (renewal capital, new floor, land), year by year.

    ``spend_yen`` and ``budget_yen`` are the plan's own (``plan.years``; the budget is NaN without
    one, and the level budget when the plan found one).  With ``problem``, the spend is split by kind
    (``renewal_yen, new_build_yen, land_yen``, recomputed from the plan's state:
    :func:`facility_opt.portfolio.economics.capital_by_year`) and ``baseline_yen`` is what keeping
    everything within its renewal windows would be charged; without it these columns are NaN.
    Returns :data:`SPEND_COLUMNS`, one row per year, in yen.
    """
    y = (
        _year_frame(plan)
        .groupby("year", sort=True)
        .agg(spend_yen=("spend_yen", "first"), budget_yen=("budget_yen", "first"))
    )
    out = pd.DataFrame(
        {
            "year": y.index.to_numpy(dtype=int),
            "spend_yen": y["spend_yen"].to_numpy(dtype=float),
            "budget_yen": pd.to_numeric(y["budget_yen"], errors="coerce").to_numpy(dtype=float),
        }
    )
    for c in ("renewal_yen", "new_build_yen", "land_yen", "baseline_yen"):
        out[c] = np.nan
    if problem is not None and len(out):
        from ..portfolio.economics import capital_by_year

        a = capital_by_year(problem, plan.state(problem)).set_index("year").reindex(out["year"])
        b = capital_by_year(problem, plan.state(problem, baseline=True)).set_index("year").reindex(out["year"])
        for c in ("renewal_yen", "new_build_yen", "land_yen"):
            out[c] = a[c].round().to_numpy() + 0.0
        out["baseline_yen"] = b["spend_yen"].round().to_numpy() + 0.0
    return out[SPEND_COLUMNS]
