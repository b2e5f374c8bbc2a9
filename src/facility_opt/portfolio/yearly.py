"""Cost by year: the keep-everything baseline and a plan, year by year, split by kind of cost.

The amounts are the plan's own (:meth:`PortfolioProblem.site_costs`, spread over the years by
:meth:`PortfolioProblem.site_costs_by_year`), so the years of each column sum to the plan's
horizon totals (``plan.kpis.cost_before_yen`` / ``cost_after_yen``) to the yen.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .plan import Plan
from .problem import COST_KINDS, PortfolioProblem

__all__ = ["cost_by_year", "plot_cost_by_year", "COST_BY_YEAR_COLUMNS"]

#: columns of :func:`cost_by_year`
COST_BY_YEAR_COLUMNS = (["year", "before_yen", "after_yen"]
                        + [f"{k}_{w}_yen" for k in COST_KINDS for w in ("before", "after")])


def _round_keeping_sum(x: np.ndarray) -> np.ndarray:
    """Whole yen per year whose sum is the rounded total (rounding the running sum)."""
    c = np.round(np.cumsum(x))
    return np.diff(c, prepend=0.0) + 0.0  # + 0.0: no negative zeros in files


def cost_by_year(plan: Plan, problem: PortfolioProblem) -> pd.DataFrame:
    """Yearly cost of keeping everything (``before``) and of the plan (``after``), in yen.

    Parameters
    ----------
    plan : a plan of ``problem`` (from :func:`optimise_portfolio` or :meth:`Plan.from_json`).
    problem : the problem the plan was made for (its sites carry the costs and their timing).

    Returns
    -------
    DataFrame
        One row per year of the horizon: ``year, before_yen, after_yen`` and, per kind of cost
        (renewal, operation, fixed, new_build, land, revenue), ``<kind>_before_yen`` and
        ``<kind>_after_yen``; revenue (land sold or leased) is positive and counts against the
        total: ``total = renewal + operation + fixed + new_build + land - revenue``.  Every
        column is in whole yen, rounded so that its years sum exactly to its rounded horizon
        total: ``before_yen.sum() == plan.kpis.cost_before_yen`` and likewise after.  A year's
        kinds may then differ from its total by a few yen of rounding.

    Raises
    ------
    ValueError
        when the plan does not belong to the problem (other sites, or a site's cost differs
        by more than a yen from the plan's cost table).

    Examples
    --------
    >>> # y = cost_by_year(plan, problem); y[["year", "before_yen", "after_yen"]]
    """
    sites = problem.sites["site_id"]
    rows = {s.site_id: s for s in plan.sites}
    missing = sorted(set(sites) ^ set(rows))
    if missing:
        raise ValueError(f"plan {plan.name!r} does not match problem {problem.name!r}: sites {missing[:10]} "
                         "are in one but not the other")
    if plan.start_year != problem.policy.start_year or plan.horizon_years != problem.policy.horizon_years:
        raise ValueError(f"plan {plan.name!r} covers {plan.start_year}+{plan.horizon_years}y, problem "
                         f"{problem.name!r} {problem.policy.start_year}+{problem.policy.horizon_years}y")
    sp = [rows[s] for s in sites]
    scenarios = {
        "before": (np.array([r.open_before for r in sp]), np.array([r.added_floor_before_m2 for r in sp]),
                   np.array([r.cost_before_yen for r in sp])),
        "after": (np.array([r.open_after for r in sp]), np.array([r.added_floor_m2 for r in sp]),
                  np.array([r.cost_after_yen for r in sp])),
    }
    years = problem.policy.start_year + np.arange(problem.policy.horizon_years)
    out = pd.DataFrame({"year": years})
    kinds = {}
    for w, (is_open, add, plan_cost) in scenarios.items():
        y = problem.site_costs_by_year(is_open, add)
        per_site = y.groupby("site_id", sort=False)["total_yen"].sum().reindex(sites).to_numpy()
        bad = np.flatnonzero(np.abs(per_site - plan_cost) > 1.0)
        if bad.size:
            i = bad[0]
            raise ValueError(f"plan {plan.name!r}, site {sites.iat[i]!r}: its {w} cost is {plan_cost[i]:,.0f} yen in "
                             f"the plan but {per_site[i]:,.0f} yen from the problem; was the plan made for another "
                             f"version of the problem? ({bad.size} sites differ)")
        g = y.groupby("year", sort=True)
        out[f"{w}_yen"] = _round_keeping_sum(g["total_yen"].sum().reindex(years).to_numpy())
        for k in COST_KINDS:
            kinds[f"{k}_{w}_yen"] = _round_keeping_sum(g[f"{k}_yen"].sum().reindex(years).to_numpy())
    for c in COST_BY_YEAR_COLUMNS[3:]:
        out[c] = kinds[c]
    return out[COST_BY_YEAR_COLUMNS]


def plot_cost_by_year(years: pd.DataFrame, ax=None, title: str | None = None):
    """Bars of the yearly cost before (keep everything) and after (the plan), in 億円; returns the axes.

    ``years`` is a :func:`cost_by_year` table.  Dashed lines are each scenario's yearly average;
    years below zero are years in which freed land is sold.
    """
    from matplotlib.figure import Figure

    from ..costs import OKU_LABEL, OKU_YEN

    if ax is None:  # a bare Figure: no pyplot state
        ax = Figure(figsize=(10, 4.2)).subplots()
    x = years["year"].to_numpy()
    b = years["before_yen"].to_numpy() / OKU_YEN
    a = years["after_yen"].to_numpy() / OKU_YEN
    ax.bar(x - 0.2, b, width=0.4, color="#9e9e9e", label=f"keep everything: {b.sum():,.0f} oku-yen")
    ax.bar(x + 0.2, a, width=0.4, color="#1f6fb4", label=f"plan: {a.sum():,.0f} oku-yen")
    if len(x):
        ax.axhline(b.mean(), color="#616161", linestyle="--", linewidth=1)
        ax.axhline(a.mean(), color="#0d3c61", linestyle="--", linewidth=1)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xlabel("year")
    ax.set_ylabel(OKU_LABEL)
    saving = b.sum() - a.sum()
    ax.set_title(title or f"Cost per year: saves {saving:,.0f} oku-yen over {len(x)} years (dashed: averages)")
    ax.legend(fontsize=8, loc="upper right", frameon=False)
    ax.grid(axis="y", alpha=0.3)
    ax.figure.tight_layout()
    return ax
