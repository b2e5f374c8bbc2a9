"""Charts of renewal spending in 億円 per year: the renewal cliff and a schedule before and after levelling."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..units import OKU_LABEL, OKU_YEN
from .projection import totals_by_year

if TYPE_CHECKING:
    from .schedule.result import ScheduleResult

__all__ = ["plot_renewal_cliff", "plot_schedule"]


def plot_renewal_cliff(
    costs: pd.DataFrame,
    by: str = "kind",
    *,
    value: str = "cost_yen",
    ax=None,
    title: str | None = None,
    average_line: bool = True,
):
    """Stacked bars of cost per year in 億円 (oku-yen) by ``kind`` or ``category``: the 'renewal cliff'.

    Returns the matplotlib Figure. A dashed line shows the average over the horizon.
    """
    import matplotlib
    from matplotlib.figure import Figure

    if ax is None:  # a bare Figure: no pyplot state, works headless and displays in notebooks
        fig = Figure(figsize=(10, 4.5))
        ax = fig.subplots()
    else:
        fig = ax.figure
    wide = totals_by_year(costs, by=by, value=value).drop(columns="total", errors="ignore") / OKU_YEN
    bottom = np.zeros(len(wide))
    cmap = matplotlib.colormaps["tab20"]
    for i, col in enumerate(wide.columns):
        ax.bar(wide.index, wide[col].to_numpy(), bottom=bottom, label=col, color=cmap(i % 20), width=0.85)
        bottom += wide[col].to_numpy()
    if average_line and len(wide):
        avg = bottom.mean()
        ax.axhline(avg, color="black", linestyle="--", linewidth=1)
        ax.annotate(
            f"average {avg:,.0f} oku-yen/year",
            (wide.index[0], avg),
            xytext=(0, 4),
            textcoords="offset points",
            fontsize=8,
        )
    ax.set_xlabel("year")
    ax.set_ylabel(OKU_LABEL)
    ax.set_title(title or f"Renewal costs by {by}: {bottom.sum():,.0f} oku-yen over {len(wide)} years")
    ax.legend(fontsize=7, ncol=2, loc="upper right")
    fig.tight_layout()
    return fig


def plot_schedule(result: ScheduleResult, ax=None):
    """Spend per year before (unlevelled: every event in its due year) and after (the schedule), in 億円.

    Grey bars: the renewal model's projection; coloured stacked bars: the scheduled capital spend by
    category; a red line: the cap (or the level budget); a dashed line: what the budget is charged
    when bonds or preventive maintenance change it. Returns the matplotlib Figure.
    """
    import matplotlib
    from matplotlib.figure import Figure

    if ax is None:
        fig = Figure(figsize=(11, 4.8))
        ax = fig.subplots()
    else:
        fig = ax.figure
    y = result.years
    yrs = y["year"].to_numpy()
    ax.bar(
        yrs - 0.2,
        y["unlevelled_yen"] / OKU_YEN,
        width=0.4,
        color="0.75",
        label="keep everything" if result.mode == "plan" else "before (unlevelled)",
    )
    cats = [c for c in y.columns if c.startswith("spend_") and c != "spend_yen"]
    bottom = np.zeros(len(y))
    cmap = matplotlib.colormaps["tab20"]
    for i, c in enumerate(cats):
        v = y[c].to_numpy() / OKU_YEN
        if v.sum() <= 0:
            continue
        ax.bar(yrs + 0.2, v, bottom=bottom, width=0.4, color=cmap(i % 20), label=f"after: {c[6:]}")
        bottom += v
    ax.step(
        np.r_[yrs, yrs[-1] + 1] - 0.5,
        np.r_[y["cap_yen"], y["cap_yen"].iat[-1]] / OKU_YEN,
        where="post",
        color="red",
        linewidth=1.5,
        label="cap" if result.mode == "cap" else "level budget",
    )
    charged = y["charged_yen"].to_numpy()
    if not np.allclose(charged, y["spend_yen"].to_numpy()):
        ax.plot(yrs + 0.2, charged / OKU_YEN, "k--", linewidth=1, label="charged to the budget")
    s = result.summary
    ax.set_xlabel("year")
    ax.set_ylabel(OKU_LABEL)
    cap = s.get("level_budget_yen") or s.get("mean_cap_yen")
    if result.mode == "plan":  # the portfolio plan's own years (plan_schedule); the budget may be absent
        budget = "no annual budget" if cap is None else f"budget {cap / OKU_YEN:,.1f} oku-yen/year"
        ax.set_title(
            f"Renewal spend per year of the portfolio plan ({budget}): {s['events_done']} events done, "
            f"{s['events_deferred']} deferred, {s['events_dropped']} dropped with their site"
        )
    else:
        ax.set_title(
            f"Renewal spend per year, {'level budget' if result.mode == 'min_budget' else 'cap'} "
            f"{cap / OKU_YEN:,.1f} oku-yen/year: {s['buildings_delayed_by_schedule']} buildings delayed, "
            f"{s['events_deferred']} events deferred"
        )
    ax.legend(fontsize=7, ncol=2, loc="upper right")
    fig.tight_layout()
    return fig
