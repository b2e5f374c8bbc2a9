"""The cost–access trade-off curve, traced by an epsilon-constraint sweep.

Planners choose a point on the curve, not a single answer.  Two anchor solves find its ends: the
cheapest plan (cost first, access as a tie-break) and the most accessible plan (access first, cost
as a tie-break).  Between them, ``n_points`` plans minimise cost subject to ``access <= epsilon``
for epsilon evenly spaced from the cheapest plan's access down to the best access.  Access is the
population-weighted distance to the serving site (person-km, averaged over the years of the horizon).
One model is built and reused: only the epsilon constraint's right-hand side and the objective change between solves.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import pandas as pd

from ..solver import SolverOptions
from .model import build_model
from .problem import PortfolioProblem

__all__ = ["tradeoff_curve", "plot_tradeoff"]

log = logging.getLogger(__name__)

#: weight of the secondary objective in the anchor and sweep solves (lexicographic tie-break)
_TIE = 1e-6


def tradeoff_curve(problem: PortfolioProblem, n_points: int = 5, options: SolverOptions | None = None) -> pd.DataFrame:
    """Cost against access: one row per solve, from the cheapest plan to the most accessible.

    Parameters
    ----------
    problem : the instance (its ``policy.access_weight_yen_per_person_km`` is ignored here).
    n_points : number of plans on the curve, anchors included (>= 2).
    options : solver settings (default: 60 s and a 0.5 % gap per solve).

    Returns
    -------
    DataFrame with columns point, epsilon_person_km (NaN for the anchors), cost_yen, access_person_km,
    buildings, floor_m2, status, gap, solve_seconds (sorted by access, descending).

    Examples
    --------
    >>> # curve = tradeoff_curve(problem, n_points=5); plot_tradeoff(curve)
    """
    if n_points < 2:
        raise ValueError(f"n_points must be at least 2 (the two anchors), got {n_points}")
    opts = options or SolverOptions(time_limit=60.0, gap_rel=0.005)
    opts = replace(opts, warm_start=False)
    model = build_model(problem)
    from .optimise import solve_baseline

    model.limit_lead_shortfall(solve_baseline(problem, opts))  # the same lead-year rule as every plan
    rows = []
    H = problem.policy.horizon_years

    def run(label: str, eps: float | None, cost_w: float, access_w: float) -> None:
        model.set_access_limit(eps)
        model.set_objective(cost=cost_w, access=access_w)
        sol = model.solve(opts)
        if not sol.info.has_solution:
            rows.append(
                {
                    "point": label,
                    "epsilon_person_km": np.nan if eps is None else round(eps / H, 3),
                    "cost_yen": np.nan,
                    "access_person_km": np.nan,
                    "buildings": np.nan,
                    "floor_m2": np.nan,
                    "status": sol.info.status,
                    "gap": sol.info.gap,
                    "solve_seconds": sol.info.solve_seconds,
                }
            )
            return
        from .assemble import state_of
        from .economics import site_year_costs

        st = state_of(problem, sol)
        cost = float(site_year_costs(problem, st)["total_yen"].sum())
        per = problem.policy.periods()
        a = sol.assignments.merge(per, on="p")
        access = float(
            (a["population"] * a["share"] * a["distance_m"].fillna(0.0) * (a["end"] - a["start"] + 1)).sum()
            / 1000.0
            / problem.policy.horizon_years
        )
        floor = float(st.floor_by_year(problem)[:, -1].sum())
        rows.append(
            {
                "point": label,
                "epsilon_person_km": np.nan if eps is None else round(eps / H, 3),
                "cost_yen": round(cost),
                "access_person_km": round(access, 3),
                "buildings": int(st.open[:, -1].sum()),
                "floor_m2": round(floor, 1),
                "status": sol.info.status,
                "gap": sol.info.gap,
                "solve_seconds": round(sol.info.solve_seconds, 3),
            }
        )

    run("min_cost", None, 1.0, _TIE)
    run("min_access", None, _TIE, 1.0)
    hi, lo = rows[0]["access_person_km"], rows[1]["access_person_km"]
    if np.isfinite(hi) and np.isfinite(lo) and hi > lo:
        for j, eps in enumerate(np.linspace(hi, lo, n_points)[1:-1], start=1):
            run(f"eps_{j}", float(eps) * H, 1.0, _TIE)  # the model's access is in person-km-years
    df = pd.DataFrame(rows)
    return df.sort_values(["access_person_km", "point"], ascending=[False, True], kind="mergesort").reset_index(
        drop=True
    )


def plot_tradeoff(curve: pd.DataFrame, ax=None, title: str | None = None, lang: str = "en"):
    """Plot a :func:`tradeoff_curve` (30-year cost against access, oku-yen); returns the axes."""
    from ..figures import plt
    from ..i18n import tr
    from ..units import OKU_YEN

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 5))
    ok = curve.dropna(subset=["cost_yen", "access_person_km"])
    ax.plot(ok["access_person_km"], ok["cost_yen"] / OKU_YEN, marker="o", color="#1f77b4")
    for r in ok.itertuples():
        ax.annotate(
            r.point, (r.access_person_km, r.cost_yen / OKU_YEN), textcoords="offset points", xytext=(4, 4), fontsize=8
        )
    ax.set_xlabel(tr("to_x", lang))
    ax.set_ylabel(tr("to_y", lang))
    ax.set_title(title or tr("to_title", lang))
    ax.grid(alpha=0.3)
    return ax
