"""Cost by year: the keep-everything baseline and a plan, year by year, split by kind of cost.

The amounts are recomputed from each plan's state (:func:`facility_opt.portfolio.economics.site_year_costs`),
so the years of each column sum to the plan's horizon totals (``plan.kpis.cost_before_yen`` /
``cost_after_yen``) to the yen.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .economics import COST_KINDS, site_year_costs
from .plan import Plan
from .problem import PortfolioProblem

__all__ = ["cost_by_year", "plot_cost_by_year", "COST_BY_YEAR_COLUMNS"]

#: columns of :func:`cost_by_year`
COST_BY_YEAR_COLUMNS = ["year", "before_yen", "after_yen"] + [
    f"{k}_{w}_yen" for k in COST_KINDS for w in ("before", "after")
]


def _round_keeping_sum(x: np.ndarray) -> np.ndarray:
    """Whole yen per year whose sum is the rounded total (rounding the running sum)."""
    c = np.round(np.cumsum(x))
    return np.diff(c, prepend=0.0) + 0.0  # + 0.0: no negative zeros in files


def cost_by_year(plan: Plan, problem: PortfolioProblem) -> pd.DataFrame:
    """Yearly cost of keeping everything (``before``) and of the plan (``after``), in yen.

    Parameters
    ----------
    plan : a plan of ``problem``.
    problem : the problem the plan was made for.

    Returns
    -------
    DataFrame
        One row per year: ``year, before_yen, after_yen`` and, per kind of cost (renewal,
        temporary, running, fixed, new_build, land, revenue, deferred, penalty), ``<kind>_before_yen``
        and ``<kind>_after_yen``; revenue counts against the total.  Every column is in whole yen,
        rounded so that its years sum exactly to its rounded horizon total.

    Raises
    ------
    ValueError
        when the plan does not belong to the problem (other sites, or other horizon).
    """
    sites = problem.sites["site_id"]
    rows = {s.site_id: s for s in plan.sites}
    missing = sorted(set(sites) ^ set(rows))
    if missing:
        raise ValueError(
            f"plan {plan.name!r} does not match problem {problem.name!r}: sites {missing[:10]} "
            "are in one but not the other"
        )
    if plan.start_year != problem.policy.start_year or plan.horizon_years != problem.policy.horizon_years:
        raise ValueError(
            f"plan {plan.name!r} covers {plan.start_year}+{plan.horizon_years}y, problem "
            f"{problem.name!r} {problem.policy.start_year}+{problem.policy.horizon_years}y"
        )
    years = problem.policy.years()
    out = pd.DataFrame({"year": years})
    kinds = {}
    for w in ("before", "after"):
        g = site_year_costs(problem, plan.state(problem, baseline=w == "before")).groupby("year", sort=True)
        out[f"{w}_yen"] = _round_keeping_sum(g["total_yen"].sum().reindex(years).to_numpy())
        for k in COST_KINDS:
            kinds[f"{k}_{w}_yen"] = _round_keeping_sum(g[f"{k}_yen"].sum().reindex(years).to_numpy())
    for c in COST_BY_YEAR_COLUMNS[3:]:
        out[c] = kinds[c]
    return out[COST_BY_YEAR_COLUMNS]


def plot_cost_by_year(years: pd.DataFrame, ax=None, title: str | None = None, lang: str = "en"):
    """Bars of the yearly cost before (keep everything) and after (the plan), in 億円; returns the axes.

    ``years`` is a :func:`cost_by_year` table.  Dashed lines are each scenario's yearly average;
    years below zero are years in which freed land is sold.  ``lang``: ``en`` or ``ja`` labels
    (:mod:`facility_opt.i18n`).
    """
    from matplotlib.figure import Figure

    from ..i18n import tr
    from ..units import OKU_LABEL, OKU_YEN

    if ax is None:  # a bare Figure: no pyplot state
        ax = Figure(figsize=(10, 4.2)).subplots()
    x = years["year"].to_numpy()
    b = years["before_yen"].to_numpy() / OKU_YEN
    a = years["after_yen"].to_numpy() / OKU_YEN
    ax.bar(x - 0.2, b, width=0.4, color="#9e9e9e", label=tr("cy_keep", lang, v=f"{b.sum():,.0f}"))
    ax.bar(x + 0.2, a, width=0.4, color="#1f6fb4", label=tr("cy_plan", lang, v=f"{a.sum():,.0f}"))
    if len(x):
        ax.axhline(b.mean(), color="#616161", linestyle="--", linewidth=1)
        ax.axhline(a.mean(), color="#0d3c61", linestyle="--", linewidth=1)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xlabel(tr("year", lang))
    ax.set_ylabel(OKU_LABEL if lang == "en" else tr("oku", lang))
    saving = b.sum() - a.sum()
    ax.set_title(title or tr("cy_title", lang, v=f"{saving:,.0f}", n=len(x)))
    ax.legend(fontsize=8, loc="upper right", frameon=False)
    ax.grid(axis="y", alpha=0.3)
    ax.figure.tight_layout()
    return ax
