"""The planner's report: a decision map, facilities for GIS, and one self-contained HTML page.

* :func:`plan_map`: the ward with every facility marked by its decision (kept, closed, host of
  co-located services, converted, new building) and the stations;
* :func:`plan_geodataframe` / :func:`write_facilities_gpkg`: facilities and candidate sites with
  their decisions, for GIS users (EPSG:6677), written atomically and byte-for-byte reproducibly;
* :func:`plan_moves`: the moves of the plan's timeline (which service leaves which site when,
  and where it arrives), :func:`spend_by_year`: the annual spend charged to the budget, plan and
  keep-everything, with the budget;
* :func:`write_report`: ``report.html``, one file a planner can send to a colleague or show
  residents, in Japanese or English (:mod:`facility_opt.i18n`; the ward's language by default):
  headline figures against keeping everything and the saving by kind, the ward's own published
  figures (``context.yaml``), an interactive map (:mod:`facility_opt.webmap`: Leaflet inlined,
  layers per decision, service and year), cost by year, the annual spend against the budget,
  places (定員) before and after, capacity and coverage per year and service, nursery places, the
  timeline of moves and renewal works, coverage and distances per service, results by school
  district, the decisions with their reasons, freed sites, decisions resting on imputed data, the
  cost–access trade-off, data credits (:mod:`facility_opt.report_sections` writes the planners'
  sections).  Figures are embedded as PNG (base64), styles and scripts inline, no external assets
  (map tiles only when the reader asks for them online); the page has no wall-clock values, so the
  same plan gives the same bytes.

Charts in Japanese use the IPAexGothic font of the PyPI package matplotlib-fontja
(:func:`facility_opt.i18n.chart_style`), so a fresh machine draws them without missing glyphs.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from .atomic import atomic_write_text, atomic_write_with
from .units import OKU_YEN
from .htmlparts import CSS as _CSS
from .htmlparts import delta_class as _delta_class
from .htmlparts import esc as _e
from .htmlparts import img as _img
from .htmlparts import num_cell as _num
from .htmlparts import oku as _oku
from .htmlparts import table as _table
from .i18n import REVENUE_SOLD_ONLY, SAVING_KIND_LABELS, chart_style, decision_label, service_name, tr, tr_or
from .portfolio.plan import Plan
from .portfolio.problem import PortfolioProblem
from .ward import Ward

__all__ = ["plan_map", "plan_geodataframe", "write_facilities_gpkg", "write_report", "figure_png",
           "plan_moves", "spend_by_year", "plot_spend_by_year", "plot_years", "plot_timeline", "DECISION_STYLE",
           "MOVE_COLUMNS", "SPEND_COLUMNS"]

log = logging.getLogger(__name__)

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

_GPKG_DATE = "2000-01-01T00:00:00.000Z"  # fixed gpkg_contents.last_change: identical files for identical plans


# --------------------------------------------------------------------------------------------------
# facilities with their decisions
def plan_geodataframe(plan: Plan, ward: Ward, problem: PortfolioProblem | None = None) -> gpd.GeoDataFrame:
    """One row per facility of the plan and per candidate site, with its decision, in the ward's CRS.

    Parameters
    ----------
    plan : the plan.
    ward : the ward the plan was made for (facility locations).
    problem : optional; gives the location of candidate sites (else taken from the stations,
        ``CAND-<station_id>``) and lists the candidate sites the plan does not use.

    Returns
    -------
    GeoDataFrame
        facility_id, name, site_id, site_name, category, decision (``keep, rebuild, close,
        convert, host, new`` or ``not_built`` for an unused candidate site), year (Int64),
        services_before, services_after, gained, lost (``;``-joined service ids),
        floor_before_m2, floor_after_m2, station_front, reason, imputed_inputs (``;``-joined
        ``facility.field`` of the imputed data the decision rests on), geometry (points, EPSG:6677 for
        Tokyo); sorted by facility_id.
    """
    d = plan.frame("decisions")
    for c in ("services_before", "services_after", "gained", "lost", "imputed_inputs"):
        d[c] = d[c].map(";".join)
    d["year"] = d["year"].astype("Int64")
    sites = {s.site_id: s for s in plan.sites}
    extra = []
    for s in plan.sites:
        if s.kind == "candidate" and not s.open_after:
            extra.append({"facility_id": s.site_id, "name": s.name, "site_id": s.site_id, "site_name": s.name,
                          "decision": "not_built", "services_before": "", "services_after": "", "gained": "",
                          "lost": "", "year": pd.NA, "floor_before_m2": 0.0, "floor_after_m2": 0.0,
                          "reason": "candidate site not used by the plan", "imputed_inputs": ""})
    if extra:
        d = pd.concat([d, pd.DataFrame(extra)], ignore_index=True)
    d["year"] = d["year"].astype("Int64")
    cat = ward.facilities.set_index("facility_id")["category"]
    d["category"] = [cat.get(f) or (sites[s].category if s in sites else "") for f, s in zip(d["facility_id"],
                                                                                           d["site_id"])]
    d["station_front"] = [bool(sites[s].station_front) if s in sites else False for s in d["site_id"]]
    geom = ward.facilities.set_index("facility_id").geometry
    site_xy = {}
    if problem is not None:
        site_xy = {r.site_id: (r.x, r.y) for r in problem.sites.itertuples() if np.isfinite(r.x) and np.isfinite(r.y)}
    stations = ward.stations.set_index("station_id").geometry

    def locate(fid: str, sid: str):
        if fid in geom.index:
            return geom[fid]
        if sid in geom.index:
            return geom[sid]
        if sid in site_xy:
            return Point(*site_xy[sid])
        if sid.startswith("CAND-") and sid[5:] in stations.index:
            return stations[sid[5:]]
        log.warning("facility %s (site %s) has no location in the ward; its geometry is empty", fid, sid)
        return None

    d["geometry"] = [locate(f, s) for f, s in zip(d["facility_id"], d["site_id"])]
    cols = ["facility_id", "name", "site_id", "site_name", "category", "decision", "year", "services_before",
            "services_after", "gained", "lost", "floor_before_m2", "floor_after_m2", "station_front", "reason",
            "imputed_inputs", "geometry"]
    d = d.sort_values("facility_id", kind="mergesort").reset_index(drop=True)[cols]
    return gpd.GeoDataFrame(d, geometry="geometry", crs=ward.crs)


@contextmanager
def _gdal_config(**options: str):
    import pyogrio

    old = {k: pyogrio.get_gdal_config_option(k) for k in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(old)


def write_facilities_gpkg(gdf: gpd.GeoDataFrame, path: str | Path, layer: str = "facilities") -> Path:
    """Write a :func:`plan_geodataframe` as a GeoPackage, atomically and reproducibly.

    GDAL stamps a GeoPackage with the time of writing (``gpkg_contents.last_change``); it is fixed
    here (``OGR_CURRENT_DATE``), so the same table gives the same bytes.
    """
    def writer(tmp: Path) -> None:
        tmp.unlink(missing_ok=True)  # GDAL creates the file itself
        with _gdal_config(OGR_CURRENT_DATE=_GPKG_DATE):
            gdf.to_file(tmp, driver="GPKG", layer=layer, engine="pyogrio")

    return atomic_write_with(path, writer, suffix=".gpkg")


# --------------------------------------------------------------------------------------------------
# figures
def plan_map(plan: Plan, ward: Ward, problem: PortfolioProblem | None = None, ax=None, title: str | None = None,
             lang: str = "en"):
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
    ax.scatter(z.geometry.x, z.geometry.y, s=z["population"] / 250, color="#d9d9d9", alpha=0.7, linewidth=0,
               label=tr("map_zone", lang), zorder=1)
    st = ward.stations
    ax.scatter(st.geometry.x, st.geometry.y, marker="s", s=14, color="black", label=tr("map_station", lang, n=len(st)),
               zorder=4)
    for kind, (_, marker, colour, size, z_order) in DECISION_STYLE.items():
        label = decision_label(kind, lang)
        sub = g[g["decision"] == kind]
        if sub.empty:
            continue
        edge = {"edgecolor": "white", "linewidth": 0.4} if marker in "oD*" else {"linewidth": 1.6}
        if marker == "*":
            edge = {"edgecolor": "#7a5c00", "linewidth": 0.6}
        ax.scatter(sub.geometry.x, sub.geometry.y, marker=marker, s=size, color=colour, zorder=z_order,
                   label=f"{label} ({len(sub)})", **edge)
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
    ax.set_title(title or tr("map_title", lang, plan=plan.name, start=plan.start_year,
                             end=plan.start_year + plan.horizon_years - 1))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)
    ax.figure.tight_layout()
    return ax


def _scale_bar(ax, x0: float, y0: float, length: float = 2000.0) -> None:
    ax.plot([x0, x0 + length], [y0 - 300, y0 - 300], color="black", linewidth=2)
    ax.annotate(f"{length / 1000:.0f} km", (x0 + length / 2, y0 - 300), xytext=(0, 3), textcoords="offset points",
                ha="center", fontsize=8)


# --------------------------------------------------------------------------------------------------
# year by year: moves, spend against the budget, capacity and coverage per year
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
            rows.append((y, k, kind, ";".join(gone), ";".join(new), round(float(ends[gone].sum()), 3),
                         round(float(starts[new].sum()), 3)))
    out = pd.DataFrame(rows, columns=MOVE_COLUMNS)
    order = {"move": 0, "leave": 1, "open": 2, "capacity": 3}
    return (out.assign(_o=out["kind"].map(order)).sort_values(["year", "service_id", "_o", "from_site"], kind="mergesort")
            .drop(columns="_o").reset_index(drop=True))


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
    y = _year_frame(plan).groupby("year", sort=True).agg(spend_yen=("spend_yen", "first"),
                                                         budget_yen=("budget_yen", "first"))
    out = pd.DataFrame({"year": y.index.to_numpy(dtype=int), "spend_yen": y["spend_yen"].to_numpy(dtype=float),
                        "budget_yen": pd.to_numeric(y["budget_yen"], errors="coerce").to_numpy(dtype=float)})
    for c in ("renewal_yen", "new_build_yen", "land_yen", "baseline_yen"):
        out[c] = np.nan
    if problem is not None and len(out):
        from .portfolio.economics import capital_by_year

        a = capital_by_year(problem, plan.state(problem)).set_index("year").reindex(out["year"])
        b = capital_by_year(problem, plan.state(problem, baseline=True)).set_index("year").reindex(out["year"])
        for c in ("renewal_yen", "new_build_yen", "land_yen"):
            out[c] = a[c].round().to_numpy() + 0.0
        out["baseline_yen"] = b["spend_yen"].round().to_numpy() + 0.0
    return out[SPEND_COLUMNS]


def plot_spend_by_year(spend: pd.DataFrame, ax=None, title: str | None = None, lang: str = "en"):
    """Bars of the plan's annual spend (by kind when known), the keep-everything spend (grey) and the
    budget (red step), in oku-yen; returns the axes.  ``spend`` is a :func:`spend_by_year` table."""
    from matplotlib.figure import Figure

    from .units import OKU_LABEL

    if ax is None:
        ax = Figure(figsize=(10, 4.2)).subplots()
    x = spend["year"].to_numpy()
    if spend["renewal_yen"].notna().all() and len(x):
        bottom = np.zeros(len(x))
        for c, colour, label in (("renewal_yen", "#1f6fb4", tr("sp_renewal", lang)),
                                 ("new_build_yen", "#ffbf00", tr("sp_new", lang)),
                                 ("land_yen", "#8c564b", tr("sp_land", lang))):
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
        ax.step(np.r_[x, x[-1] + 1] - 0.5, np.r_[budget, budget[-1]] / OKU_YEN, where="post", color="#c62828",
                linewidth=1.5, label=tr("sp_budget", lang))
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xlabel(tr("year", lang))
    ax.set_ylabel(OKU_LABEL if lang == "en" else tr("oku", lang))
    peak = float(spend["spend_yen"].max()) / OKU_YEN if len(x) else 0.0
    ax.set_title(title or tr("sp_title", lang, v=f"{peak:,.1f}"))
    ax.legend(fontsize=8, loc="upper right", frameon=False)
    ax.grid(axis="y", alpha=0.3)
    ax.figure.tight_layout()
    return ax


def plot_years(plan: Plan, services: Sequence[str] | None = None, fig=None, lang: str = "en",
               names: dict[str, str] | None = None):
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
            ax.step(x, g["min_capacity"], where="post", color="#c62828", linestyle="--", linewidth=1,
                    label=tr("py_minimum", lang))
        ax.set_title(tr("py_title", lang, label=(names or {}).get(k, k), v=f"{100 * float(g['covered_share'].min()):.1f}"),
                     fontsize=9)
        ax.tick_params(labelsize=7)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    for ax in axes[len(ks):]:
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


def plot_timeline(plan: Plan, sites: Sequence[str] | None = None, ax=None, max_sites: int = 40, lang: str = "en",
                  names: dict[str, str] | None = None):
    """Gantt chart of the sites that change: one bar per service and period it is at the site,
    renewal works hatched, closures marked ×; returns the axes (sites by id; services by ``names``)."""
    from matplotlib.figure import Figure

    sites = list(sites) if sites is not None else _changing_sites(plan)[:max_sites]
    t = plan.frame("timeline")
    services = sorted(t["service_id"].unique())
    colours = dict(zip(services, ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                                  "#17becf", "#bcbd22", "#7f7f7f"] * 3))
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
                ax.barh(i - 0.4 + h * (j + 0.5), r.to_year + 1 - r.from_year, left=r.from_year, height=h * 0.92,
                        color=colours[k], label=(names or {}).get(k, k) if k not in seen else None)
                seen.add(k)
        for r in ev[(ev["site_id"] == s) & (ev["status"] == "done")].itertuples(index=False):
            ax.barh(i, int(r.end_year) + 1 - int(r.year), left=int(r.year), height=0.9, fill=False, hatch="///",
                    edgecolor="black", linewidth=0.6, label=tr("tl_works", lang) if "works" not in seen else None)
            seen.add("works")
        if closes.get(s) is not None:
            ax.plot([closes[s]], [i], marker="x", color="#c62828", markersize=8, linestyle="none",
                    label=tr("tl_closes", lang) if "closes" not in seen else None)
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


# --------------------------------------------------------------------------------------------------
# HTML
def _lowest_coverage(plan: Plan) -> tuple[float, float]:
    """Lowest coverage (before, after) over the services the plan changes: frozen services (left
    as they are, often with no distance standard) would only repeat their own figure."""
    frozen = set(plan.policy.get("frozen_services") or [])
    kpis = [s for s in plan.kpis.services if s.service_id not in frozen] or plan.kpis.services
    return (min((s.coverage_before for s in kpis), default=1.0), min((s.coverage_after for s in kpis), default=1.0))


def _headline(plan: Plan, lang: str = "en") -> tuple[str, str]:
    k = plan.kpis
    H = k.horizon_years
    cov_b, cov_a = _lowest_coverage(plan)
    oku = tr("oku", lang)
    cards = [
        (f"{_oku(k.saving_yen)} {oku}", tr("card_saved", lang, years=H, share=f"{100 * k.saving_share:.1f}")),
        (f"{k.buildings_before:,} → {k.buildings_after:,}", tr("card_buildings", lang)),
        (f"{100 * k.floor_reduction:.1f} %", tr("card_floor", lang, before=f"{k.floor_before_m2:,.0f}",
                                                after=f"{k.floor_after_m2:,.0f}")),
        (f"{k.closures:,} / {k.new_buildings:,}", tr("card_closures", lang)),
        (f"{100 * cov_a:.1f} %", tr("card_coverage", lang, before=f"{100 * cov_b:.1f}")),
    ]
    card_html = '<div class="cards">' + "".join(
        f'<div class="card"><div class="v">{_e(v)}</div><div class="l">{_e(lab)}</div></div>' for v, lab in cards
    ) + "</div>"
    rows = []

    def row(key: str, label: str, before: float, after: float, fmt: str, scale: float = 1.0,
            lower_is_better: bool = True, unit: str = "") -> None:
        css = _delta_class(before, after, lower_is_better)
        diff = after - before
        rows.append(f'<tr data-kpi="{_e(key)}"><th>{_e(label)}</th>'
                    + _num(before / scale, fmt) + _num(after / scale, fmt)
                    + _num(diff / scale, fmt.replace("{:", "{:+"), css)
                    + f"<td>{_e(unit)}</td></tr>")

    row("buildings", tr("kpi_buildings", lang), k.buildings_before, k.buildings_after, "{:,.0f}")
    row("floor_m2", tr("kpi_floor", lang), k.floor_before_m2, k.floor_after_m2, "{:,.0f}", unit="m²")
    row("cost_yen", tr("kpi_cost", lang, years=H), k.cost_before_yen, k.cost_after_yen, "{:,.1f}", OKU_YEN,
        unit=tr("oku_long", lang))
    row("cost_per_year_yen", tr("kpi_cost_year", lang), k.cost_per_year_before_yen, k.cost_per_year_after_yen,
        "{:,.1f}", OKU_YEN, unit=oku)
    row("peak_spend_yen", tr("kpi_peak", lang), k.peak_spend_before_yen, k.peak_spend_after_yen, "{:,.1f}", OKU_YEN,
        unit=oku)
    row("penalty_yen", tr("kpi_penalty", lang), k.penalty_before_yen, k.penalty_after_yen, "{:,.1f}", OKU_YEN,
        unit=tr("unit_in_cost", lang))
    row("access_person_km", tr("kpi_access", lang), k.access_before_person_km, k.access_after_person_km, "{:,.0f}",
        unit=tr("unit_access", lang))
    row("station_front_share", tr("kpi_station", lang), 100 * k.station_front_share_before,
        100 * k.station_front_share_after, "{:,.1f}", lower_is_better=False, unit="%")
    row("coverage_min", tr("kpi_coverage", lang), 100 * cov_b, 100 * cov_a, "{:,.1f}", lower_is_better=False,
        unit=tr("unit_coverage", lang))
    table = _table([("", False), (tr("col_keep", lang), True), (tr("col_plan", lang), True),
                    (tr("col_change", lang), True), (tr("col_unit", lang), False)], rows, "kpis")
    budget = ""
    if k.level_budget_yen is not None:
        budget = tr("level_budget", lang, v=_oku(k.level_budget_yen))
    elif k.budget_yen is not None:
        budget = tr("mean_budget", lang, v=_oku(k.budget_yen))
    extra = ('<p class="meta">' + _e(tr("capital_note", lang, capital=_oku(k.capital_spend_yen), saving=_oku(k.saving_yen),
                                        share=f"{100 * k.saving_share:.1f}", budget=budget)) + "</p>")
    return card_html, table + extra + _saving_kinds(plan, lang)


#: the kinds of a saving as the English report names them (keys of ``Kpis.saving_by_kind``; both
#: languages: :data:`facility_opt.i18n.SAVING_KIND_LABELS`)
SAVING_KINDS = {key: en for key, (en, _) in SAVING_KIND_LABELS.items()}


def _saving_kinds(plan: Plan, lang: str = "en") -> str:
    """The headline saving split by kind (a small table; nothing for a plan written without the split)."""
    k = plan.kpis
    if not k.saving_by_kind:
        return ""
    kinds = [key for key in SAVING_KIND_LABELS if key in k.saving_by_kind]
    kinds += sorted(set(k.saving_by_kind) - set(kinds))  # a kind the table does not know yet: by its key
    rows = []
    for key in kinds:
        labels = REVENUE_SOLD_ONLY if key == "revenue" and "lease" in k.saving_by_kind else \
            SAVING_KIND_LABELS.get(key, (key, key))
        rows.append(f'<tr data-saving-kind="{_e(key)}"><th>{_e(labels[1] if lang == "ja" else labels[0])}</th>'
                    + _num(k.saving_by_kind[key] / OKU_YEN, "{:+,.2f}") + "</tr>")
    rows.append(f'<tr data-saving-kind="total"><th>{_e(tr("saving_total", lang))}</th>'
                + _num(k.saving_yen / OKU_YEN, "{:+,.2f}") + "</tr>")
    return (f"<h3>{_e(tr('h_saving_kinds', lang))}</h3>"
            f'<p class="meta">{_e(tr("saving_kinds_note", lang))}</p>'
            + _table([("", False), (f"{tr('saving', lang)} ({tr('oku', lang)})", True)], rows, "saving-kinds"))


def _service_table(plan: Plan, names: dict[str, str], lang: str = "en") -> str:
    rows = []
    for s in plan.kpis.services:
        label = names.get(s.service_id) or s.service_id
        rows.append(
            f'<tr data-service="{_e(s.service_id)}"><td>{_e(label)}<br><small>{_e(s.service_id)}</small></td>'
            + _num(s.sites_before) + _num(s.sites_after)
            + _num(100 * s.coverage_before, "{:.1f}") + _num(100 * s.coverage_after, "{:.1f}",
                                                            _delta_class(s.coverage_before, s.coverage_after, False))
            + _num(s.mean_distance_before_m) + _num(s.mean_distance_after_m, "{:,.0f}",
                                                     _delta_class(s.mean_distance_before_m, s.mean_distance_after_m,
                                                                  True))
            + _num(s.p95_distance_before_m) + _num(s.p95_distance_after_m)
            + _num(100 * s.station_front_share_before, "{:.1f}") + _num(100 * s.station_front_share_after, "{:.1f}")
            + "</tr>")
    heads = ["col_service", "col_sites_before", "col_after", "col_cov_before", "col_after_pct", "col_mean_before",
             "col_after_m", "col_p95_before", "col_after_m", "col_sf_before", "col_after_pct"]
    return _table([(tr(h, lang), i > 0) for i, h in enumerate(heads)], rows, "services")


def _spend_section(plan: Plan, problem: PortfolioProblem | None, lang: str = "en") -> str:
    from matplotlib.figure import Figure

    spend = spend_by_year(plan, problem)
    fig = Figure(figsize=(10, 4.2))
    plot_spend_by_year(spend, ax=fig.subplots(), lang=lang)
    k = plan.kpis
    has_budget = spend["budget_yen"].notna().any()
    over = spend[spend["budget_yen"].notna() & (spend["spend_yen"] > spend["budget_yen"] + 0.5)]
    if has_budget:
        what = tr("spend_level" if k.level_budget_yen is not None else "spend_budget", lang)
        verdict = (tr("spend_within", lang, what=what) if over.empty else
                   tr("spend_over", lang, what=what, n=len(over), years=", ".join(str(int(y)) for y in over["year"])))
    else:
        verdict = tr("spend_none", lang)
    head = (f"<h2>{_e(tr('h_spend', lang))}</h2><p class=\"meta\">"
            + _e(tr("spend_note", lang, peak=_oku(k.peak_spend_after_yen), base=_oku(k.peak_spend_before_yen),
                    verdict=verdict)) + "</p>")
    rows = []
    for r in spend.itertuples(index=False):
        css = "worse" if np.isfinite(r.budget_yen) and r.spend_yen > r.budget_yen + 0.5 else ""
        rows.append(f'<tr data-year="{int(r.year)}"><td class="num">{int(r.year)}</td>'
                    + _num(r.spend_yen / OKU_YEN, "{:,.2f}", css) + _num(r.renewal_yen / OKU_YEN, "{:,.2f}")
                    + _num((r.new_build_yen + r.land_yen) / OKU_YEN, "{:,.2f}")
                    + _num(r.budget_yen / OKU_YEN, "{:,.2f}") + _num(r.baseline_yen / OKU_YEN, "{:,.2f}") + "</tr>")
    heads = ["col_year", "col_spend", "col_of_renewal", "col_new_land", "col_budget", "col_keep"]
    table = _table([(tr(h, lang), True) for h in heads], rows, "spend")
    return (head + _img(figure_png(fig), tr("spend_alt", lang), tr("spend_caption", lang))
            + f"<details><summary>{_e(tr('per_year_figures', lang))}</summary>{table}</details>")


def _years_section(plan: Plan, names: dict[str, str], lang: str = "en") -> str:
    y = _year_frame(plan)
    fig = plot_years(plan, lang=lang, names=names)
    out = [f"<h2>{_e(tr('h_years', lang))}</h2><p class=\"meta\">{_e(tr('years_note', lang))}</p>",
           _img(figure_png(fig), tr("years_alt", lang), tr("years_caption", lang))]
    heads = [(tr(h, lang), True) for h in ("col_year", "col_demand", "col_capacity", "col_minimum", "col_covered",
                                           "col_sites")]
    for k, g in y.groupby("service_id", sort=True):
        label = names.get(k) or k
        rows = [f'<tr data-year="{int(r.year)}" data-service="{_e(k)}"><td class="num">{int(r.year)}</td>'
                + _num(r.demand, "{:,.1f}") + _num(r.capacity, "{:,.1f}") + _num(r.min_capacity, "{:,.1f}")
                + _num(100 * r.covered_share, "{:.1f}", "worse" if r.covered_share < 1 - 1e-9 else "")
                + _num(r.sites) + "</tr>" for r in g.itertuples(index=False)]
        out.append(f"<details><summary>{_e(tr('per_year_of', lang, label=label, id=k))}</summary>"
                   + _table(heads, rows, f"years {k}") + "</details>")
    return "".join(out)


def _nursery_section(plan: Plan, service: str = "nursery", lang: str = "en") -> str:
    y = _year_frame(plan)
    g = y[y["service_id"] == service]
    if g.empty:
        return ""
    low = g.loc[g["covered_share"].idxmin()]
    rows = [f'<tr data-year="{int(r.year)}"><td class="num">{int(r.year)}</td>' + _num(r.demand, "{:,.0f}")
            + _num(r.capacity, "{:,.0f}") + _num(r.capacity - r.demand, "{:+,.0f}",
                                                 "worse" if r.capacity < r.demand - 1e-9 else "better")
            + _num(r.min_capacity, "{:,.0f}") + _num(100 * r.covered_share, "{:.1f}") + _num(r.sites) + "</tr>"
            for r in g.itertuples(index=False)]
    heads = ("col_year", "col_children", "col_places", "col_spare", "col_minimum", "col_covered", "col_sites")
    return (f"<h2>{_e(tr('h_nursery', lang))}</h2><p class=\"meta\">"
            + _e(tr("nursery_note", lang, v=f"{100 * float(low['covered_share']):.1f}", year=int(low["year"])))
            + "</p>" + _table([(tr(h, lang), True) for h in heads], rows, "nursery"))


def _timeline_section(plan: Plan, lang: str = "en", names: dict[str, str] | None = None) -> str:
    moves = plan_moves(plan)
    changing = _changing_sites(plan)
    names = names or {}
    out = [f"<h2>{_e(tr('h_timeline', lang))}</h2><p class=\"meta\">{_e(tr('timeline_note', lang))}</p>"]
    if changing:
        ax = plot_timeline(plan, lang=lang, names=names)
        shown = min(len(changing), 40)
        out.append(_img(figure_png(ax.figure), tr("timeline_alt", lang),
                        tr("timeline_caption", lang, shown=shown, n=len(changing))))
    rows = [f'<tr data-year="{int(r.year)}" data-service="{_e(r.service_id)}"><td class="num">{int(r.year)}</td>'
            f"<td>{_e(names.get(r.service_id, r.service_id))}</td><td>{_e(tr('move_' + r.kind, lang))}</td>"
            f"<td>{_e(r.from_site.replace(';', ', ') or '-')}</td>"
            f"<td>{_e(r.to_site.replace(';', ', ') or '-')}</td>" + _num(r.capacity_before, "{:,.1f}")
            + _num(r.capacity_after, "{:,.1f}") + "</tr>" for r in moves.itertuples(index=False)]
    heads = [("col_from_year", True), ("col_service", False), ("col_kind_change", False), ("col_leaves", False),
             ("col_arrives", False), ("col_places_before", True), ("col_places_after", True)]
    out.append(_table([(tr(h, lang), n) for h, n in heads], rows, "moves") if rows
               else f"<p>{_e(tr('no_moves', lang))}</p>")
    ev = plan.frame("events")
    if len(ev):
        counts = tr("list_sep", lang).join(tr("count_item", lang, n=n, label=_word("ev_" + k, lang))
                                           for k, n in ev["status"].value_counts().sort_index().items())
        rows = [f'<tr data-site="{_e(r.site_id)}"><td>{_e(r.site_id)}</td><td>{_e(_word("ev_" + r.kind, lang))}</td>'
                f'<td class="num">{int(r.due_year)}</td><td>{_e(_word("ev_" + r.status, lang))}</td>'
                f'<td class="num">{"" if pd.isna(r.year) else f"{int(r.year)}–{int(r.end_year)}"}</td>'
                f'<td class="num">{"" if pd.isna(r.closure_year) else int(r.closure_year)}</td>'
                + _num(r.cost_yen / OKU_YEN, "{:,.2f}") + _num(r.penalty_yen / OKU_YEN, "{:,.2f}") + "</tr>"
                for r in ev.sort_values(["due_year", "site_id", "kind"], kind="mergesort").itertuples(index=False)]
        heads = [("col_site", False), ("col_event", False), ("col_due", True), ("col_status", False),
                 ("col_works", True), ("col_site_closes", True), ("col_cost_oku", True), ("col_penalty_oku", True)]
        out.append(f"<details><summary>{_e(tr('renewal_events', lang, n=len(ev), counts=counts))}</summary>"
                   + _table([(tr(h, lang), n) for h, n in heads], rows, "events") + "</details>")
    return "".join(out)


def _word(key: str, lang: str) -> str:
    """A message when the table has it, else the key's last part (an unknown status or kind)."""
    return tr_or(key, lang, key.split("_", 1)[-1])


def _decision_rows(decisions: pd.DataFrame, lang: str = "en", names: dict[str, str] | None = None,
                   summaries: dict[str, str] | None = None) -> list[str]:
    """Table rows of decisions; with ``summaries`` (facility_id -> text) a summary column before the reason."""
    names = names or {}
    sep = "、" if lang == "ja" else ", "
    rows = []
    for r in decisions.itertuples(index=False):
        before = sep.join(names.get(s, s) for s in r.services_before) or "-"
        after = sep.join(names.get(s, s) for s in r.services_after) or "-"
        year = "" if pd.isna(r.year) else str(int(r.year))
        rows.append(
            f'<tr data-facility="{_e(r.facility_id)}"><td>{_e(r.facility_id)}</td><td>{_e(r.name)}</td>'
            f'<td><span class="badge b-{_e(r.decision)}" data-decision="{_e(r.decision)}">'
            f'{_e(decision_label(r.decision, lang))}</span></td><td class="num">{_e(year)}</td>'
            f"<td>{_e(before)}</td><td>{_e(after)}</td>"
            + _num(r.floor_before_m2) + _num(r.floor_after_m2)
            + _num(r.saving_yen / OKU_YEN, "{:+,.2f}")
            + (f'<td class="summary">{_e(summaries.get(r.facility_id, ""))}</td>' if summaries is not None else "")
            + f'<td class="reason">{_e(r.reason)}</td>'
            + f'<td class="imputed">{_e(", ".join(getattr(r, "imputed_inputs", []) or []) or "-")}</td></tr>')
    return rows


def _decision_head(lang: str = "en", summary: bool = False) -> list[tuple[str, bool]]:
    heads = [("col_id", False), ("col_facility", False), ("col_decision", False), ("col_year", True),
             ("col_services_before", False), ("col_services_after", False), ("col_floor_before", True),
             ("col_floor_after", True), ("col_saving_oku", True)] + ([("col_summary", False)] if summary else []) \
        + [("col_reason", False), ("col_imputed", False)]
    return [(tr(h, lang), n) for h, n in heads]


def _imputed_note(ward: Ward, path: Path, lang: str = "en") -> str:
    """Which register fields are imputed, how often, and where the rules are written."""
    parts = []
    for name, df in (("facilities", ward.facilities), ("zones", ward.zones)):
        if "imputed" not in df.columns or df.empty:
            continue
        fields = df["imputed"].fillna("").astype(str).str.split(";").explode()
        counts = fields[fields != ""].value_counts()
        if len(counts):
            items = ", ".join(f"{f} ({tr('of_n', lang, n=n, total=len(df))})" for f, n in sorted(counts.items()))
            parts.append(f"{name}: {items}")
    text = tr("imputed_values", lang, parts="; ".join(parts)) if parts else tr("imputed_values_none", lang)
    readme = None
    if ward.source is not None and (Path(ward.source) / "README.md").is_file():
        readme = os.path.relpath(Path(ward.source) / "README.md", Path(path).resolve().parent)
    if readme:
        link = Path(readme).as_posix()
        how = _e(tr("imputed_rules", lang, link="\0")).replace("\0", f'<a href="{_e(link)}">{_e(link)}</a>')
    else:
        how = _e(tr("imputed_rules_folder", lang))
    return f"<p>{_e(text)}{how}{_e(tr('costs_note', lang))}</p>"


def write_report(plan: Plan, ward: Ward, path: str | Path, *, problem: PortfolioProblem | None = None,
                 tradeoff: pd.DataFrame | None = None, cost_years: pd.DataFrame | None = None,
                 title: str | None = None, lang: str | None = None, catalogue=None) -> Path:
    """Write ``report.html``: one self-contained page on the plan (atomically; deterministic).

    Parameters
    ----------
    plan : the plan.
    ward : the ward it was made for (map, credits, imputed-data note, the ward's published figures
        in ``context.yaml``).
    path : the HTML file to write.
    problem : optional; gives candidate-site locations, land and districts and, when ``cost_years``
        is not given, the cost by year (:func:`facility_opt.portfolio.yearly.cost_by_year`).
    tradeoff : optional :func:`facility_opt.portfolio.tradeoff_curve` table; shown when given.
    cost_years : optional :func:`cost_by_year` table.
    title : the page title (default: the plan's name and the ward's).
    lang : ``"ja"`` or ``"en"``; default the ward's ``language`` (Japanese for Nerima), else English.
    catalogue : the :class:`facility_opt.catalogue.Catalogue` naming services and categories
        (``name_ja`` in Japanese); default the shipped ``models/catalogue.yaml``.

    Returns
    -------
    Path of the written file.
    """
    from .i18n import names_catalogue, report_language

    lang = report_language(ward, lang)
    catalogue = names_catalogue(catalogue)
    with chart_style(lang):
        doc = _render(plan, ward, Path(path), problem=problem, tradeoff=tradeoff, cost_years=cost_years, title=title,
                      lang=lang, catalogue=catalogue)
    return atomic_write_text(path, doc)


def _render(plan: Plan, ward: Ward, path: Path, *, problem, tradeoff, cost_years, title, lang, catalogue) -> str:
    from matplotlib.figure import Figure

    from . import __version__
    from . import report_sections as sections
    from .portfolio.tradeoff import plot_tradeoff
    from .portfolio.yearly import cost_by_year, plot_cost_by_year
    from .webmap import leaflet_html

    end = plan.start_year + plan.horizon_years - 1
    if lang == "ja":
        ward_name = ward.meta.name_ja or ward.meta.name
    else:
        ward_name = ward.meta.name + (f" ({ward.meta.name_ja})" if ward.meta.name_ja else "")
    title = title or tr("title", lang, plan=plan.name, ward=ward_name)
    services = sorted({y.service_id for y in plan.years} | {s.service_id for s in plan.kpis.services})
    names = {k: service_name(catalogue, k, lang) for k in services}
    gap = "-" if plan.solver.gap is None else f"{100 * plan.solver.gap:.2f} %"
    parts: list[str] = []
    meta = tr("meta_model", lang, plan="\0", ward=_e(ward_name), start=plan.start_year, end=end,
              years=plan.horizon_years).replace("\0", _e(plan.name))
    parts.append(f"<header><h1>{_e(title)}</h1><p class=\"meta\">{meta}</p>"
                 '<p class="meta">' + _e(tr("meta_solver", lang, solver=plan.solver.solver, status=plan.solver.status,
                                            gap=gap, check=tr("passed" if plan.valid else "failed", lang)))
                 + "</p></header>")
    if not plan.valid:
        parts.append(f'<div class="warn"><b>{_e(tr("invalid_plan", lang))}</b><ul>'
                     + "".join(f"<li>{_e(v)}</li>" for v in plan.violations) + "</ul></div>")
    cards, kpi_table = _headline(plan, lang)
    parts.append(cards)
    parts.append(f"<h2>{_e(tr('h_headline', lang))}</h2>" + kpi_table)
    if plan.baseline_issues:
        n = len(plan.baseline_issues)
        parts.append(f'<div class="note"><b>{_e(tr("baseline_misses", lang, n=n))}</b> {_e(tr("baseline_ref", lang))}'
                     f"<details><summary>{_e(tr('where_n', lang, n=n))}</summary><ul>"
                     + "".join(f"<li>{_e(v)}</li>" for v in plan.baseline_issues) + "</ul></details></div>")
    parts.append(sections.context_section(plan, ward, lang))

    ax = plan_map(plan, ward, problem, lang=lang)
    parts.append(f"<h2>{_e(tr('h_map', lang))}</h2><p class=\"meta\">{_e(tr('imap_note', lang))}</p>"
                 + leaflet_html(plan, ward, problem, lang=lang, catalogue=catalogue)
                 + f"<details><summary>{_e(tr('imap_static', lang))}</summary>"
                 + _img(figure_png(ax.figure), tr("map_alt", lang), tr("map_caption", lang)) + "</details>")

    if cost_years is None and problem is not None:
        cost_years = cost_by_year(plan, problem)
    parts.append(f"<h2>{_e(tr('h_cost_year', lang))}</h2>")
    if cost_years is not None:
        fig = Figure(figsize=(10, 4.2))
        plot_cost_by_year(cost_years, ax=fig.subplots(), lang=lang)
        parts.append(_img(figure_png(fig), tr("cost_year_alt", lang), tr("cost_year_caption", lang)))
        rows = [f'<tr><td class="num">{int(r.year)}</td>' + _num(r.before_yen / OKU_YEN, "{:,.2f}")
                + _num(r.after_yen / OKU_YEN, "{:,.2f}") + _num((r.after_yen - r.before_yen) / OKU_YEN, "{:+,.2f}")
                + _num(r.renewal_after_yen / OKU_YEN, "{:,.2f}") + _num(r.new_build_after_yen / OKU_YEN, "{:,.2f}")
                + _num(r.revenue_after_yen / OKU_YEN, "{:,.2f}") + "</tr>" for r in cost_years.itertuples()]
        heads = ("col_year", "col_keep", "col_plan", "col_change", "col_plan_renewal", "col_plan_new",
                 "col_plan_land_income")
        parts.append(f"<details><summary>{_e(tr('per_year_figures', lang))}</summary>"
                     + _table([(tr(h, lang), True) for h in heads], rows, "years") + "</details>")
    else:
        parts.append(f"<p>{_e(tr('not_available_problem', lang))}</p>")

    parts.append(_spend_section(plan, problem, lang))
    parts.append(sections.places_section(plan, names, catalogue, lang, problem))
    parts.append(_years_section(plan, names, lang))
    parts.append(_nursery_section(plan, lang=lang))
    parts.append(_timeline_section(plan, lang, names))

    parts.append(f"<h2>{_e(tr('h_services', lang))}</h2><p class=\"meta\">{_e(tr('services_note', lang))}</p>"
                 + _service_table(plan, names, lang))
    parts.append(sections.areas_section(plan, problem, lang))

    changed = plan.changes()
    order = {"new": 0, "host": 1, "convert": 2, "close": 3}
    changed = changed.assign(_o=changed["decision"].map(order).fillna(4)).sort_values(
        ["_o", "facility_id"], kind="mergesort").drop(columns="_o")
    allrows = plan.frame("decisions")
    counts = tr("list_sep", lang).join(tr("count_item", lang, n=n, label=decision_label(k, lang))
                                       for k, n in changed["decision"].value_counts().sort_index().items())
    note = tr("decisions_note", lang) + (" " + tr("reason_lang_note", lang) if lang == "ja" else "")
    parts.append(f"<h2>{_e(tr('h_decisions', lang, n=len(changed), counts=counts))}</h2>"
                 f"<p class=\"meta\">{_e(note)}</p>")
    # Japanese: a summary written from the plan's moves and works beside the optimiser's English reason
    summaries = sections.decision_summaries(plan, lang, names) if lang == "ja" else None
    head = _decision_head(lang, summaries is not None)
    parts.append(_table(head, _decision_rows(changed, lang, names, summaries), "decisions changed") if len(changed)
                 else f"<p>{_e(tr('keeps_all', lang))}</p>")
    parts.append(f"<details><summary>{_e(tr('all_facilities', lang, n=len(allrows)))}</summary>"
                 + _table(head, _decision_rows(allrows, lang, names, summaries), "decisions all") + "</details>")
    parts.append(sections.freed_section(plan, problem, lang))
    parts.append(sections.imputed_section(plan, lang, names))

    if tradeoff is not None and len(tradeoff):
        fig = Figure(figsize=(7.5, 4.8))
        plot_tradeoff(tradeoff, ax=fig.subplots(), lang=lang)
        fig.tight_layout()
        rows = [f"<tr><td>{_e(r.point)}</td>" + _num(r.access_person_km) + _num(r.cost_yen / OKU_YEN, "{:,.1f}")
                + _num(r.buildings) + _num(r.floor_m2) + f"<td>{_e(r.status)}</td></tr>" for r in tradeoff.itertuples()]
        heads = [("col_plan_point", False), ("col_access", True), ("col_cost_oku2", True), ("col_buildings", True),
                 ("col_floor_m2", True), ("col_status", False)]
        parts.append(f"<h2>{_e(tr('h_tradeoff', lang))}</h2>"
                     + _img(figure_png(fig), tr("tradeoff_alt", lang), tr("tradeoff_caption", lang))
                     + _table([(tr(h, lang), n) for h, n in heads], rows, "tradeoff"))

    credits = "".join(f"<li>{_e(s)}</li>" for s in ward.meta.sources) or f"<li>{_e(tr('no_credits', lang))}</li>"
    parts.append(f"<h2>{_e(tr('h_data', lang))}</h2>" + _imputed_note(ward, path, lang)
                 + f'<ul class="credits">{credits}</ul>')
    parts.append(f"<footer>{_e(tr('footer', lang, version=__version__, plan=plan.name))}</footer>")
    return (f"<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body><main>\n"
            + "\n".join(parts) + "\n</main></body>\n</html>\n")
