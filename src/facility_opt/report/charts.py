"""The report's charts (matplotlib): the decision map, spend per year, capacity per year, the timeline;
and :func:`figure_png`, a figure as reproducible PNG bytes."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..i18n import decision_label, tr
from ..portfolio.plan import Plan
from ..portfolio.problem import PortfolioProblem
from ..units import OKU_YEN
from ..ward import Ward
from .gis import plan_geodataframe
from .tables import _year_frame

__all__ = ["DECISION_STYLE", "plan_map", "plot_spend_by_year", "plot_years", "plot_timeline", "figure_png"]

#: how each decision is drawn on the map: (label, marker, colour, size, z-order)
DECISION_STYLE: dict[str, tuple[str, str, str, float, int]] = {
    "keep": ("kept", "o", "#8fb3d9", 14, 3),
    "rebuild": ("kept, rebuilt in the horizon", "o", "#3a6ea5", 16, 3),
    "host": ("hosts co-located services", "o", "#2e9d4e", 60, 5),
    "convert": ("converted to another use", "D", "#f28e2b", 45, 5),
    "close": ("closed", "x", "#d62728", 40, 6),
    "new": ("new building", "*", "#ffbf00", 240, 7),
    "not_built": ("candidate site, not used", "+", "#b0b0b0", 30, 2),
}


def plan_map(
    plan: Plan, ward: Ward, problem: PortfolioProblem | None = None, ax=None, title: str | None = None, lang: str = "en"
):
    """Map of the plan's decisions: boundary, zones (grey, size = population), facilities by decision,
    new buildings (stars), stations (black squares); legend outside the map.  Returns the axes.
    ``lang``: the labels' language (draw and save a Japanese one inside :func:`facility_opt.i18n.chart_style`)."""
    from matplotlib.figure import Figure

    if ax is None:
        ax = Figure(figsize=(11, 8.5)).subplots()
    g = plan_geodataframe(plan, ward, problem)
    g = g[g.geometry.notna()]
    ward.boundary.boundary.plot(ax=ax, color="#333333", linewidth=0.9)
    z = ward.zones
    ax.scatter(
        z.geometry.x,
        z.geometry.y,
        s=z["population"] / 250,
        color="#d9d9d9",
        alpha=0.7,
        linewidth=0,
        label=tr("map_zone", lang),
        zorder=1,
    )
    st = ward.stations
    ax.scatter(
        st.geometry.x,
        st.geometry.y,
        marker="s",
        s=14,
        color="black",
        label=tr("map_station", lang, n=len(st)),
        zorder=4,
    )
    for kind, (_, marker, colour, size, z_order) in DECISION_STYLE.items():
        label = decision_label(kind, lang)
        sub = g[g["decision"] == kind]
        if sub.empty:
            continue
        edge = {"edgecolor": "white", "linewidth": 0.4} if marker in "oD*" else {"linewidth": 1.6}
        if marker == "*":
            edge = {"edgecolor": "#7a5c00", "linewidth": 0.6}
        ax.scatter(
            sub.geometry.x,
            sub.geometry.y,
            marker=marker,
            s=size,
            color=colour,
            zorder=z_order,
            label=f"{label} ({len(sub)})",
            **edge,
        )
    minx, miny, maxx, maxy = ward.boundary.total_bounds
    pad = 600
    ax.set_xlim(minx - pad, maxx + pad)
    ax.set_ylim(miny - pad, maxy + pad)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel(tr("map_coords", lang, crs=ward.meta.crs), fontsize=8)
    ax.set_ylabel("")
    _scale_bar(ax, minx, miny)
    ax.set_title(
        title
        or tr("map_title", lang, plan=plan.name, start=plan.start_year, end=plan.start_year + plan.horizon_years - 1)
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)
    ax.figure.tight_layout()
    return ax


def _scale_bar(ax, x0: float, y0: float, length: float = 2000.0) -> None:
    ax.plot([x0, x0 + length], [y0 - 300, y0 - 300], color="black", linewidth=2)
    ax.annotate(
        f"{length / 1000:.0f} km",
        (x0 + length / 2, y0 - 300),
        xytext=(0, 3),
        textcoords="offset points",
        ha="center",
        fontsize=8,
    )


def plot_spend_by_year(spend: pd.DataFrame, ax=None, title: str | None = None, lang: str = "en"):
    """Bars of the plan's annual spend (by kind when known), the keep-everything spend (grey) and the
    budget (red step), in oku-yen; returns the axes.  ``spend`` is a :func:`spend_by_year` table."""
    from matplotlib.figure import Figure

    from ..units import OKU_LABEL

    if ax is None:
        ax = Figure(figsize=(10, 4.2)).subplots()
    x = spend["year"].to_numpy()
    if spend["renewal_yen"].notna().all() and len(x):
        bottom = np.zeros(len(x))
        for c, colour, label in (
            ("renewal_yen", "#1f6fb4", tr("sp_renewal", lang)),
            ("new_build_yen", "#ffbf00", tr("sp_new", lang)),
            ("land_yen", "#8c564b", tr("sp_land", lang)),
        ):
            v = spend[c].to_numpy() / OKU_YEN
            if v.any():
                ax.bar(x + 0.2, v, bottom=bottom, width=0.4, color=colour, label=label)
                bottom += v
    else:
        ax.bar(x + 0.2, spend["spend_yen"] / OKU_YEN, width=0.4, color="#1f6fb4", label=tr("sp_plan", lang))
    if spend["baseline_yen"].notna().all() and len(x):
        ax.bar(x - 0.2, spend["baseline_yen"] / OKU_YEN, width=0.4, color="#9e9e9e", label=tr("col_keep", lang))
    budget = spend["budget_yen"].to_numpy(dtype=float)
    if len(x) and np.isfinite(budget).any():
        ax.step(
            np.r_[x, x[-1] + 1] - 0.5,
            np.r_[budget, budget[-1]] / OKU_YEN,
            where="post",
            color="#c62828",
            linewidth=1.5,
            label=tr("sp_budget", lang),
        )
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xlabel(tr("year", lang))
    ax.set_ylabel(OKU_LABEL if lang == "en" else tr("oku", lang))
    peak = float(spend["spend_yen"].max()) / OKU_YEN if len(x) else 0.0
    ax.set_title(title or tr("sp_title", lang, v=f"{peak:,.1f}"))
    ax.legend(fontsize=8, loc="upper right", frameon=False)
    ax.grid(axis="y", alpha=0.3)
    ax.figure.tight_layout()
    return ax


def plot_years(
    plan: Plan, services: Sequence[str] | None = None, fig=None, lang: str = "en", names: dict[str, str] | None = None
):
    """One panel per service: demand and capacity (places) per year, the policy's minimum capacity
    (dashed) and, in the title, the lowest coverage; returns the figure.  ``names``: service id ->
    the name shown (default: the id)."""
    from matplotlib.figure import Figure

    y = _year_frame(plan)
    ks = list(services) if services is not None else sorted(y["service_id"].unique())
    n = max(len(ks), 1)
    cols = min(3, n)
    rows = (n + cols - 1) // cols
    fig = fig or Figure(figsize=(4.2 * cols, 2.9 * rows))
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False).ravel())
    for ax, k in zip(axes, ks):
        g = y[y["service_id"] == k]
        x = g["year"].to_numpy()
        ax.step(x, g["capacity"], where="post", color="#1f6fb4", linewidth=1.6, label=tr("py_capacity", lang))
        ax.plot(x, g["demand"], color="#f28e2b", linewidth=1.4, label=tr("py_demand", lang))
        if (g["min_capacity"] > 0).any():
            ax.step(
                x,
                g["min_capacity"],
                where="post",
                color="#c62828",
                linestyle="--",
                linewidth=1,
                label=tr("py_minimum", lang),
            )
        ax.set_title(
            tr("py_title", lang, label=(names or {}).get(k, k), v=f"{100 * float(g['covered_share'].min()):.1f}"),
            fontsize=9,
        )
        ax.tick_params(labelsize=7)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    for ax in axes[len(ks) :]:
        ax.set_visible(False)
    if ks:
        axes[0].legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return fig


def _changing_sites(plan: Plan) -> list[str]:
    """Sites whose services or opening change within the horizon, in order of their first change."""
    start, end = plan.start_year, plan.start_year + plan.horizon_years - 1
    first: dict[str, int] = {}
    t = plan.frame("timeline")
    for (s, _k), g in t.groupby(["site_id", "service_id"], sort=True):
        years = []
        if int(g["from_year"].min()) > start:
            years.append(int(g["from_year"].min()))
        if int(g["to_year"].max()) < end:
            years.append(int(g["to_year"].max()) + 1)
        if len(g) > 1:
            years.append(int(g["from_year"].nsmallest(2).iat[-1]))
        if years:
            first[s] = min(first.get(s, end + 1), min(years))
    for r in plan.sites:
        if r.closes is not None or (r.open_from is not None and r.open_from > start):
            first[r.site_id] = min(first.get(r.site_id, end + 1), r.closes or r.open_from or end)
    return sorted(first, key=lambda s: (first[s], s))


def plot_timeline(
    plan: Plan,
    sites: Sequence[str] | None = None,
    ax=None,
    max_sites: int = 40,
    lang: str = "en",
    names: dict[str, str] | None = None,
):
    """Gantt chart of the sites that change: one bar per service and period it is at the site,
    renewal works hatched, closures marked ×; returns the axes (sites by id; services by ``names``)."""
    from matplotlib.figure import Figure

    sites = list(sites) if sites is not None else _changing_sites(plan)[:max_sites]
    t = plan.frame("timeline")
    services = sorted(t["service_id"].unique())
    colours = dict(
        zip(
            services,
            [
                "#1f77b4",
                "#ff7f0e",
                "#2ca02c",
                "#d62728",
                "#9467bd",
                "#8c564b",
                "#e377c2",
                "#17becf",
                "#bcbd22",
                "#7f7f7f",
            ]
            * 3,
        )
    )
    if ax is None:
        ax = Figure(figsize=(10, max(3.6, 0.34 * len(sites) + 1.4))).subplots()
    start, end = plan.start_year, plan.start_year + plan.horizon_years
    ev = plan.frame("events")
    closes = {r.site_id: r.closes for r in plan.sites}
    seen = set()
    for i, s in enumerate(sites):
        g = t[t["site_id"] == s]
        ks = sorted(g["service_id"].unique())
        h = 0.8 / max(len(ks), 1)
        for j, k in enumerate(ks):
            for r in g[g["service_id"] == k].itertuples(index=False):
                ax.barh(
                    i - 0.4 + h * (j + 0.5),
                    r.to_year + 1 - r.from_year,
                    left=r.from_year,
                    height=h * 0.92,
                    color=colours[k],
                    label=(names or {}).get(k, k) if k not in seen else None,
                )
                seen.add(k)
        for r in ev[(ev["site_id"] == s) & (ev["status"] == "done")].itertuples(index=False):
            ax.barh(
                i,
                int(r.end_year) + 1 - int(r.year),
                left=int(r.year),
                height=0.9,
                fill=False,
                hatch="///",
                edgecolor="black",
                linewidth=0.6,
                label=tr("tl_works", lang) if "works" not in seen else None,
            )
            seen.add("works")
        if closes.get(s) is not None:
            ax.plot(
                [closes[s]],
                [i],
                marker="x",
                color="#c62828",
                markersize=8,
                linestyle="none",
                label=tr("tl_closes", lang) if "closes" not in seen else None,
            )
            seen.add("closes")
    ax.set_yticks(range(len(sites)))
    ax.set_yticklabels(sites, fontsize=8)
    ax.set_ylim(len(sites) - 0.5, -0.5)
    ax.set_xlim(start, end)
    ax.set_xlabel(tr("year", lang))
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(tr("tl_title", lang))
    if seen:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    ax.figure.tight_layout()
    return ax


def figure_png(fig, dpi: int = 110) -> bytes:
    """A figure as PNG bytes without metadata that changes run to run (closes a pyplot figure)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    try:
        import matplotlib.pyplot as plt

        plt.close(fig)
    except Exception:  # noqa: BLE001 - a bare Figure is not registered with pyplot
        pass
    return buf.getvalue()
