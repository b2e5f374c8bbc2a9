"""The planner's report: a decision map, facilities for GIS, and one self-contained HTML page.

* :func:`plan_map`: the ward with every facility marked by its decision (kept, closed, host of
  co-located services, converted, new building) and the stations;
* :func:`plan_geodataframe` / :func:`write_facilities_gpkg`: facilities and candidate sites with
  their decisions, for GIS users (EPSG:6677), written atomically and byte-for-byte reproducibly;
* :func:`plan_moves`: the moves of the plan's timeline (which service leaves which site when,
  and where it arrives), :func:`spend_by_year`: the annual spend charged to the budget, plan and
  keep-everything, with the budget;
* :func:`write_report`: ``report.html``, one file a planner can send to a colleague or show
  residents: headline figures against keeping everything, the map, cost by year, the annual spend
  against the budget, capacity and coverage per year and service, nursery places per year, the
  timeline of moves and renewal works, coverage and distances per service, the decisions with
  their reasons, the cost–access trade-off, data credits.
  Figures are embedded as PNG (base64), styles inline, no scripts and no external assets; the page
  has no wall-clock values, so the same plan gives the same bytes.

Figures use ASCII text only (ids, not Japanese names): the matplotlib output then does not depend
on which CJK fonts a machine has.  The HTML shows the Japanese names (the browser's fonts).
"""

from __future__ import annotations

import base64
import html
import io
import logging
import os
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from .atomic import atomic_write_text, atomic_write_with
from .costs import OKU_YEN
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
def plan_map(plan: Plan, ward: Ward, problem: PortfolioProblem | None = None, ax=None, title: str | None = None):
    """Map of the plan's decisions: boundary, zones (grey, size = population), facilities by decision,
    new buildings (stars), stations (black squares); legend outside the map.  Returns the axes."""
    from matplotlib.figure import Figure

    if ax is None:
        ax = Figure(figsize=(11, 8.5)).subplots()
    g = plan_geodataframe(plan, ward, problem)
    g = g[g.geometry.notna()]
    ward.boundary.boundary.plot(ax=ax, color="#333333", linewidth=0.9)
    z = ward.zones
    ax.scatter(z.geometry.x, z.geometry.y, s=z["population"] / 250, color="#d9d9d9", alpha=0.7, linewidth=0,
               label="zone (size = population)", zorder=1)
    st = ward.stations
    ax.scatter(st.geometry.x, st.geometry.y, marker="s", s=14, color="black", label=f"station ({len(st)})", zorder=4)
    for kind, (label, marker, colour, size, z_order) in DECISION_STYLE.items():
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
    ax.set_xlabel(f"coordinates: {ward.meta.crs}", fontsize=8)
    ax.set_ylabel("")
    _scale_bar(ax, minx, miny)
    ax.set_title(title or f"{plan.name}: decisions {plan.start_year}-{plan.start_year + plan.horizon_years - 1}")
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


def plot_spend_by_year(spend: pd.DataFrame, ax=None, title: str | None = None):
    """Bars of the plan's annual spend (by kind when known), the keep-everything spend (grey) and the
    budget (red step), in oku-yen; returns the axes.  ``spend`` is a :func:`spend_by_year` table."""
    from matplotlib.figure import Figure

    from .costs import OKU_LABEL

    if ax is None:
        ax = Figure(figsize=(10, 4.2)).subplots()
    x = spend["year"].to_numpy()
    if spend["renewal_yen"].notna().all() and len(x):
        bottom = np.zeros(len(x))
        for c, colour, label in (("renewal_yen", "#1f6fb4", "plan: renewal"),
                                 ("new_build_yen", "#ffbf00", "plan: new floor"), ("land_yen", "#8c564b", "plan: land")):
            v = spend[c].to_numpy() / OKU_YEN
            if v.any():
                ax.bar(x + 0.2, v, bottom=bottom, width=0.4, color=colour, label=label)
                bottom += v
    else:
        ax.bar(x + 0.2, spend["spend_yen"] / OKU_YEN, width=0.4, color="#1f6fb4", label="plan")
    if spend["baseline_yen"].notna().all() and len(x):
        ax.bar(x - 0.2, spend["baseline_yen"] / OKU_YEN, width=0.4, color="#9e9e9e", label="keep everything")
    budget = spend["budget_yen"].to_numpy(dtype=float)
    if len(x) and np.isfinite(budget).any():
        ax.step(np.r_[x, x[-1] + 1] - 0.5, np.r_[budget, budget[-1]] / OKU_YEN, where="post", color="#c62828",
                linewidth=1.5, label="annual budget")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xlabel("year")
    ax.set_ylabel(OKU_LABEL)
    peak = float(spend["spend_yen"].max()) / OKU_YEN if len(x) else 0.0
    ax.set_title(title or f"Spend charged to the budget per year (peak {peak:,.1f} oku-yen)")
    ax.legend(fontsize=8, loc="upper right", frameon=False)
    ax.grid(axis="y", alpha=0.3)
    ax.figure.tight_layout()
    return ax


def plot_years(plan: Plan, services: Sequence[str] | None = None, fig=None):
    """One panel per service: demand and capacity (places) per year, the policy's minimum capacity
    (dashed) and, in the title, the lowest coverage; returns the figure."""
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
        ax.step(x, g["capacity"], where="post", color="#1f6fb4", linewidth=1.6, label="capacity")
        ax.plot(x, g["demand"], color="#f28e2b", linewidth=1.4, label="demand")
        if (g["min_capacity"] > 0).any():
            ax.step(x, g["min_capacity"], where="post", color="#c62828", linestyle="--", linewidth=1,
                    label="minimum")
        ax.set_title(f"{k}: coverage >= {100 * float(g['covered_share'].min()):.1f}%", fontsize=9)
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


def plot_timeline(plan: Plan, sites: Sequence[str] | None = None, ax=None, max_sites: int = 40):
    """Gantt chart of the sites that change: one bar per service and period it is at the site,
    renewal works hatched, closures marked ×; returns the axes (site ids only: ASCII text)."""
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
                        color=colours[k], label=k if k not in seen else None)
                seen.add(k)
        for r in ev[(ev["site_id"] == s) & (ev["status"] == "done")].itertuples(index=False):
            ax.barh(i, int(r.end_year) + 1 - int(r.year), left=int(r.year), height=0.9, fill=False, hatch="///",
                    edgecolor="black", linewidth=0.6, label="renewal works" if "works" not in seen else None)
            seen.add("works")
        if closes.get(s) is not None:
            ax.plot([closes[s]], [i], marker="x", color="#c62828", markersize=8, linestyle="none",
                    label="closes" if "closes" not in seen else None)
            seen.add("closes")
    ax.set_yticks(range(len(sites)))
    ax.set_yticklabels(sites, fontsize=8)
    ax.set_ylim(len(sites) - 0.5, -0.5)
    ax.set_xlim(start, end)
    ax.set_xlabel("year")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title("Where each service is, year by year (sites that change)")
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
_CSS = """
:root { --ink:#1d2733; --muted:#5b6b7c; --line:#dfe4ea; --band:#f5f7fa; --accent:#1f6fb4; --good:#2e7d32; --bad:#c62828; }
* { box-sizing: border-box; }
body { margin:0; background:#eef1f5; color:var(--ink);
  font: 15px/1.5 "Helvetica Neue", Arial, "Hiragino Sans", "Hiragino Kaku Gothic ProN", "Noto Sans JP", "Yu Gothic", Meiryo, sans-serif; }
main { max-width:1180px; margin:0 auto; padding:28px 36px 48px; background:#fff; }
header { border-bottom:3px solid var(--accent); padding-bottom:12px; margin-bottom:20px; }
h1 { font-size:26px; margin:0 0 4px; }
h2 { font-size:19px; margin:34px 0 10px; padding-bottom:4px; border-bottom:1px solid var(--line); }
p.meta { color:var(--muted); margin:2px 0; font-size:14px; }
.cards { display:flex; flex-wrap:wrap; gap:12px; margin:16px 0 8px; }
.card { flex:1 1 170px; border:1px solid var(--line); border-radius:6px; padding:10px 14px; background:var(--band); }
.card .v { font-size:22px; font-weight:600; font-variant-numeric:tabular-nums; }
.card .l { color:var(--muted); font-size:13px; }
table { border-collapse:collapse; width:100%; margin:8px 0 6px; font-size:14px; }
th, td { padding:5px 9px; border-bottom:1px solid var(--line); vertical-align:top; text-align:left; }
th { background:var(--band); font-weight:600; }
table.decisions td:first-child { white-space:nowrap; }
table.decisions td:nth-child(2) { min-width:9em; }
table.decisions td.reason { width:42%; }
tbody tr:nth-child(even) { background:#fafbfc; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
td.reason { font-size:13px; color:#33414f; }
td.imputed { font-size:11px; color:#8a6d3b; }
.better { color:var(--good); } .worse { color:var(--bad); }
.badge { display:inline-block; padding:1px 7px; border-radius:10px; font-size:12px; font-weight:600; color:#fff; white-space:nowrap; }
.b-keep { background:#8fb3d9; } .b-rebuild { background:#3a6ea5; } .b-host { background:#2e9d4e; }
.b-convert { background:#f28e2b; } .b-close { background:#d62728; } .b-new { background:#c79400; }
figure { margin:10px 0 4px; text-align:center; }
figure img { max-width:100%; height:auto; border:1px solid var(--line); }
figcaption { color:var(--muted); font-size:13px; margin-top:4px; }
details { margin:10px 0; } summary { cursor:pointer; color:var(--accent); font-weight:600; }
.note { background:#fff8e1; border-left:4px solid #f0b400; padding:8px 12px; margin:12px 0; font-size:14px; }
.warn { background:#fdecea; border-left:4px solid var(--bad); padding:8px 12px; margin:12px 0; font-size:14px; }
footer { margin-top:36px; color:var(--muted); font-size:12.5px; border-top:1px solid var(--line); padding-top:10px; }
ul.credits { padding-left:20px; font-size:13px; }
@media print { body { background:#fff; } main { padding:0; } details { display:block; } }
"""


def _e(x) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _num(value: float | None, fmt: str = "{:,.0f}", css: str = "") -> str:
    """A right-aligned cell; ``data-value`` carries the unformatted figure for machines and tests."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return '<td class="num">-</td>'
    cls = f"num {css}".strip()
    return f'<td class="{cls}" data-value="{_e(repr(float(value)))}">{_e(fmt.format(value))}</td>'


def _oku(yen: float) -> str:
    return f"{yen / OKU_YEN:,.1f}"


def _table(headers: Sequence[tuple[str, bool]], rows: Iterable[str], cls: str = "") -> str:
    head = "".join(f'<th class="num">{_e(h)}</th>' if num else f"<th>{_e(h)}</th>" for h, num in headers)
    body = "\n".join(rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>'


def _img(png: bytes, alt: str, caption: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{_e(alt)}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>")


def _delta_class(before: float, after: float, lower_is_better: bool) -> str:
    if abs(after - before) < 1e-9:
        return ""
    return "better" if (after < before) == lower_is_better else "worse"


def _lowest_coverage(plan: Plan) -> tuple[float, float]:
    """Lowest coverage (before, after) over the services the plan changes: frozen services (left
    as they are, often with no distance standard) would only repeat their own figure."""
    frozen = set(plan.policy.get("frozen_services") or [])
    kpis = [s for s in plan.kpis.services if s.service_id not in frozen] or plan.kpis.services
    return (min((s.coverage_before for s in kpis), default=1.0), min((s.coverage_after for s in kpis), default=1.0))


def _headline(plan: Plan) -> tuple[str, str]:
    k = plan.kpis
    H = k.horizon_years
    cov_b, cov_a = _lowest_coverage(plan)
    cards = [
        (f"{_oku(k.saving_yen)} oku-yen", f"saved over {H} years ({100 * k.saving_share:.1f} %)"),
        (f"{k.buildings_before:,} → {k.buildings_after:,}", "buildings"),
        (f"{100 * k.floor_reduction:.1f} %", f"less floor area ({k.floor_before_m2:,.0f} → {k.floor_after_m2:,.0f} m²)"),
        (f"{k.closures:,} / {k.new_buildings:,}", "closures / new buildings"),
        (f"{100 * cov_a:.1f} %", "lowest coverage of any planned service (keep everything: " f"{100 * cov_b:.1f} %)"),
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

    row("buildings", "Buildings", k.buildings_before, k.buildings_after, "{:,.0f}")
    row("floor_m2", "Gross floor area", k.floor_before_m2, k.floor_after_m2, "{:,.0f}", unit="m²")
    row("cost_yen", f"Cost over {H} years", k.cost_before_yen, k.cost_after_yen, "{:,.1f}", OKU_YEN,
        unit="oku-yen (100 million yen)")
    row("cost_per_year_yen", "Cost per year (average)", k.cost_per_year_before_yen, k.cost_per_year_after_yen,
        "{:,.1f}", OKU_YEN, unit="oku-yen")
    row("peak_spend_yen", "Peak annual spend (renewal, new floor, land)", k.peak_spend_before_yen,
        k.peak_spend_after_yen, "{:,.1f}", OKU_YEN, unit="oku-yen")
    row("penalty_yen", "Renewal risk of works done late, early or dropped", k.penalty_before_yen, k.penalty_after_yen,
        "{:,.1f}", OKU_YEN, unit="oku-yen (in the cost)")
    row("access_person_km", "Access: residents × distance to their service", k.access_before_person_km,
        k.access_after_person_km, "{:,.0f}", unit="person-km (lower is closer)")
    row("station_front_share", "Services at station-front sites", 100 * k.station_front_share_before,
        100 * k.station_front_share_after, "{:,.1f}", lower_is_better=False, unit="%")
    row("coverage_min", "Lowest coverage of any planned service", 100 * cov_b, 100 * cov_a, "{:,.1f}",
        lower_is_better=False, unit="% of target residents within the standard")
    table = _table([("", False), ("keep everything", True), ("plan", True), ("change", True), ("unit", False)],
                   rows, "kpis")
    budget = ""
    if k.level_budget_yen is not None:
        budget = f" Level annual budget found: {_oku(k.level_budget_yen)} oku-yen."
    elif k.budget_yen is not None:
        budget = f" Annual budget (mean over the horizon): {_oku(k.budget_yen)} oku-yen."
    extra = (f'<p class="meta">Capital spend for change (new floor area and land): {_e(_oku(k.capital_spend_yen))} '
             f"oku-yen, included in the plan's cost. Saving: {_e(_oku(k.saving_yen))} oku-yen "
             f"({100 * k.saving_share:.1f} % of keeping everything).{_e(budget)}</p>")
    return card_html, table + extra + _saving_kinds(plan)


#: the kinds of a saving as the report names them (keys of ``Kpis.saving_by_kind``)
SAVING_KINDS = {
    "renewal": "Renewal works (renovations, rebuilds)",
    "temporary": "Temporary premises during rebuilds",
    "running": "Running costs of the floor in use",
    "fixed": "Fixed costs of open buildings",
    "operating": "Service operating costs (per place, staff included)",
    "transition": "Operator changes (one-off transition)",
    "new_build": "New floor (extensions, new buildings)",
    "land": "Land bought for new buildings",
    "revenue": "Land sold (income)",
    "lease": "Land leased (income)",
    "deferred": "Renewal deferred past the horizon",
    "penalty": "Renewal risk (works late, early or dropped)",
    "reuse": "Land reused for a new need (its value)",
}


def _saving_kinds(plan: Plan) -> str:
    """The headline saving split by kind (a small table; nothing for a plan written without the split)."""
    k = plan.kpis
    if not k.saving_by_kind:
        return ""
    rows = [f'<tr data-saving-kind="{_e(key)}"><th>{_e(label)}</th>'
            + _num(k.saving_by_kind.get(key, 0.0) / OKU_YEN, "{:+,.2f}") + "</tr>"
            for key, label in SAVING_KINDS.items()]
    rows.append('<tr data-saving-kind="total"><th>Saving</th>' + _num(k.saving_yen / OKU_YEN, "{:+,.2f}") + "</tr>")
    return ("<h3>Where the saving comes from</h3>"
            '<p class="meta">Keeping everything minus the plan, per kind of cost over the horizon, in oku-yen '
            "(negative: the plan spends more on it; land income counts as a saving). The kinds add up to the "
            "saving to the yen; each decision's saving below is its site's saving split by floor area.</p>"
            + _table([("", False), ("saving", True)], rows, "saving-kinds"))


def _service_table(plan: Plan, names: dict[str, str]) -> str:
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
    return _table([("service", False), ("sites before", True), ("after", True), ("coverage before %", True),
                   ("after %", True), ("mean distance before m", True), ("after m", True), ("p95 before m", True),
                   ("after m", True), ("station-front before %", True), ("after %", True)], rows, "services")


def _spend_section(plan: Plan, problem: PortfolioProblem | None) -> str:
    from matplotlib.figure import Figure

    spend = spend_by_year(plan, problem)
    fig = Figure(figsize=(10, 4.2))
    plot_spend_by_year(spend, ax=fig.subplots())
    k = plan.kpis
    has_budget = spend["budget_yen"].notna().any()
    over = spend[spend["budget_yen"].notna() & (spend["spend_yen"] > spend["budget_yen"] + 0.5)]
    if has_budget:
        what = "level annual budget" if k.level_budget_yen is not None else "annual budget"
        verdict = (f"within the {what} every year" if over.empty else
                   f"over the {what} in {len(over)} year(s): {', '.join(str(int(y)) for y in over['year'])}")
    else:
        verdict = "no annual budget is set"
    head = (f"<h2>Annual spend against the budget</h2><p class=\"meta\">What each year's budget is charged: "
            f"renewal works of the buildings kept, new floor and land. Peak year {_e(_oku(k.peak_spend_after_yen))} "
            f"oku-yen (keeping everything within its renewal windows: {_e(_oku(k.peak_spend_before_yen))}); "
            f"{_e(verdict)}.</p>")
    rows = []
    for r in spend.itertuples(index=False):
        css = "worse" if np.isfinite(r.budget_yen) and r.spend_yen > r.budget_yen + 0.5 else ""
        rows.append(f'<tr data-year="{int(r.year)}"><td class="num">{int(r.year)}</td>'
                    + _num(r.spend_yen / OKU_YEN, "{:,.2f}", css) + _num(r.renewal_yen / OKU_YEN, "{:,.2f}")
                    + _num((r.new_build_yen + r.land_yen) / OKU_YEN, "{:,.2f}")
                    + _num(r.budget_yen / OKU_YEN, "{:,.2f}") + _num(r.baseline_yen / OKU_YEN, "{:,.2f}") + "</tr>")
    table = _table([("year", True), ("plan: spend", True), ("of which renewal", True), ("new floor and land", True),
                    ("budget", True), ("keep everything", True)], rows, "spend")
    return head + _img(figure_png(fig), "annual spend against the budget",
                       "Blue/yellow/brown: the plan's spend by kind; grey: keeping everything; red: the annual "
                       "budget (oku-yen).") + f"<details><summary>The figures per year (oku-yen)</summary>{table}</details>"


def _years_section(plan: Plan, names: dict[str, str]) -> str:
    y = _year_frame(plan)
    fig = plot_years(plan)
    out = ["<h2>Capacity and coverage per year</h2><p class=\"meta\">Per service and year: the places (or "
           "pupils, users) the plan provides, the demand of its target residents, the policy's minimum capacity and "
           "the share of target residents within the standard with a place.</p>",
           _img(figure_png(fig), "capacity and demand per year and service",
                "Blue: capacity of the sites serving the service; orange: demand; red dashed: the policy's minimum.")]
    for k, g in y.groupby("service_id", sort=True):
        label = names.get(k) or k
        rows = [f'<tr data-year="{int(r.year)}" data-service="{_e(k)}"><td class="num">{int(r.year)}</td>'
                + _num(r.demand, "{:,.1f}") + _num(r.capacity, "{:,.1f}") + _num(r.min_capacity, "{:,.1f}")
                + _num(100 * r.covered_share, "{:.1f}", "worse" if r.covered_share < 1 - 1e-9 else "")
                + _num(r.sites) + "</tr>" for r in g.itertuples(index=False)]
        out.append(f"<details><summary>{_e(label)} ({_e(k)}): per year</summary>"
                   + _table([("year", True), ("demand", True), ("capacity", True), ("minimum", True),
                             ("covered %", True), ("sites", True)], rows, f"years {k}") + "</details>")
    return "".join(out)


def _nursery_section(plan: Plan, service: str = "nursery") -> str:
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
    return (f"<h2>Nursery places per year</h2><p class=\"meta\">Places in the nurseries the plan keeps, hosts "
            f"or builds, against the children expected each year; lowest coverage {100 * float(low['covered_share']):.1f} % "
            f"in {int(low['year'])}.</p>"
            + _table([("year", True), ("children", True), ("places", True), ("spare", True), ("minimum", True),
                      ("covered %", True), ("sites", True)], rows, "nursery"))


def _timeline_section(plan: Plan) -> str:
    moves = plan_moves(plan)
    changing = _changing_sites(plan)
    out = ["<h2>Timeline of moves</h2><p class=\"meta\">When each service leaves a site and where it arrives, "
           "year by year, with the renewal works of the buildings kept.</p>"]
    if changing:
        ax = plot_timeline(plan)
        shown = min(len(changing), 40)
        out.append(_img(figure_png(ax.figure), "timeline of the sites that change",
                        f"The {shown} of {len(changing)} site(s) whose services change, in order of their first "
                        "change; hatched: renewal works; ×: the site closes."))
    rows = [f'<tr data-year="{int(r.year)}" data-service="{_e(r.service_id)}"><td class="num">{int(r.year)}</td>'
            f"<td>{_e(r.service_id)}</td><td>{_e(r.kind)}</td><td>{_e(r.from_site.replace(';', ', ') or '-')}</td>"
            f"<td>{_e(r.to_site.replace(';', ', ') or '-')}</td>" + _num(r.capacity_before, "{:,.1f}")
            + _num(r.capacity_after, "{:,.1f}") + "</tr>" for r in moves.itertuples(index=False)]
    out.append(_table([("from year", True), ("service", False), ("change", False), ("leaves", False),
                       ("arrives at", False), ("places before", True), ("places after", True)], rows, "moves")
               if rows else "<p>No service moves within the horizon.</p>")
    ev = plan.frame("events")
    if len(ev):
        counts = ", ".join(f"{n} {k}" for k, n in ev["status"].value_counts().sort_index().items())
        rows = [f'<tr data-site="{_e(r.site_id)}"><td>{_e(r.site_id)}</td><td>{_e(r.kind)}</td>'
                f'<td class="num">{int(r.due_year)}</td><td>{_e(r.status)}</td>'
                f'<td class="num">{"" if pd.isna(r.year) else f"{int(r.year)}–{int(r.end_year)}"}</td>'
                f'<td class="num">{"" if pd.isna(r.closure_year) else int(r.closure_year)}</td>'
                + _num(r.cost_yen / OKU_YEN, "{:,.2f}") + _num(r.penalty_yen / OKU_YEN, "{:,.2f}") + "</tr>"
                for r in ev.sort_values(["due_year", "site_id", "kind"], kind="mergesort").itertuples(index=False)]
        out.append(f"<details><summary>Renewal events ({len(ev)}: {_e(counts)})</summary>"
                   + _table([("site", False), ("event", False), ("due", True), ("status", False), ("works", True),
                             ("site closes", True), ("cost oku-yen", True), ("penalty oku-yen", True)], rows, "events")
                   + "</details>")
    return "".join(out)

def _decision_rows(decisions: pd.DataFrame) -> list[str]:
    rows = []
    for r in decisions.itertuples(index=False):
        before, after = ", ".join(r.services_before) or "-", ", ".join(r.services_after) or "-"
        year = "" if pd.isna(r.year) else str(int(r.year))
        rows.append(
            f'<tr data-facility="{_e(r.facility_id)}"><td>{_e(r.facility_id)}</td><td>{_e(r.name)}</td>'
            f'<td><span class="badge b-{_e(r.decision)}">{_e(r.decision)}</span></td><td class="num">{_e(year)}</td>'
            f"<td>{_e(before)}</td><td>{_e(after)}</td>"
            + _num(r.floor_before_m2) + _num(r.floor_after_m2)
            + _num(r.saving_yen / OKU_YEN, "{:+,.2f}")
            + f'<td class="reason">{_e(r.reason)}</td>'
            + f'<td class="imputed">{_e(", ".join(getattr(r, "imputed_inputs", []) or []) or "-")}</td></tr>')
    return rows


_DECISION_HEAD = [("id", False), ("facility", False), ("decision", False), ("year", True), ("services before", False),
                  ("services after", False), ("floor before m²", True), ("after m²", True), ("saving oku-yen", True),
                  ("reason", False), ("rests on imputed data", False)]


def _imputed_note(ward: Ward, path: Path) -> str:
    """Which register fields are imputed, how often, and where the rules are written."""
    parts = []
    for name, df in (("facilities", ward.facilities), ("zones", ward.zones)):
        if "imputed" not in df.columns or df.empty:
            continue
        fields = df["imputed"].fillna("").astype(str).str.split(";").explode()
        counts = fields[fields != ""].value_counts()
        if len(counts):
            items = ", ".join(f"{f} ({n} of {len(df)})" for f, n in sorted(counts.items()))
            parts.append(f"{name}: {items}")
    text = ("Imputed values in the data — " + "; ".join(parts) + ".") if parts else "No field of the data is marked imputed."
    readme = None
    if ward.source is not None and (Path(ward.source) / "README.md").is_file():
        readme = os.path.relpath(Path(ward.source) / "README.md", Path(path).resolve().parent)
    how = (f' The imputation rules are in the data README (<a href="{_e(Path(readme).as_posix())}">'
           f"{_e(Path(readme).as_posix())}</a>)." if readme else " The imputation rules are in the data folder's README.")
    return (f'<p>{_e(text)}{how} Costs are model estimates (the 総務省 renewal-cost method with the planning '
            "model's unit costs); demand, coverage standards, land values and running costs are the planning "
            "model's assumptions, each named with its source in the model file.</p>")


def write_report(plan: Plan, ward: Ward, path: str | Path, *, problem: PortfolioProblem | None = None,
                 tradeoff: pd.DataFrame | None = None, cost_years: pd.DataFrame | None = None,
                 title: str | None = None) -> Path:
    """Write ``report.html``: one self-contained page on the plan (atomically; deterministic).

    Parameters
    ----------
    plan : the plan.
    ward : the ward it was made for (map, credits, imputed-data note).
    path : the HTML file to write.
    problem : optional; gives service names, candidate-site locations and, when ``cost_years`` is
        not given, the cost by year (:func:`facility_opt.portfolio.yearly.cost_by_year`).
    tradeoff : optional :func:`facility_opt.portfolio.tradeoff_curve` table; shown when given.
    cost_years : optional :func:`cost_by_year` table.
    title : the page title (default: the plan's name and the ward's).

    Returns
    -------
    Path of the written file.
    """
    from matplotlib.figure import Figure

    from . import __version__
    from .portfolio.tradeoff import plot_tradeoff
    from .portfolio.yearly import cost_by_year, plot_cost_by_year

    path = Path(path)
    end = plan.start_year + plan.horizon_years - 1
    ward_name = ward.meta.name + (f" ({ward.meta.name_ja})" if ward.meta.name_ja else "")
    title = title or f"{plan.name}: public facility plan for {ward_name}"
    names = dict(zip(problem.services["service_id"], problem.services["name"])) if problem is not None else {}
    gap = "-" if plan.solver.gap is None else f"{100 * plan.solver.gap:.2f} %"
    parts: list[str] = []
    parts.append(f"<header><h1>{_e(title)}</h1>"
                 f'<p class="meta">Planning model <b>{_e(plan.name)}</b> · ward {_e(ward_name)} · horizon '
                 f"{plan.start_year}–{end} ({plan.horizon_years} years)</p>"
                 f'<p class="meta">Solver {_e(plan.solver.solver)}: {_e(plan.solver.status)}, proven gap {_e(gap)} · '
                 f"independent check: {'passed' if plan.valid else 'FAILED'}</p></header>")
    if not plan.valid:
        parts.append('<div class="warn"><b>The plan fails the independent check:</b><ul>'
                     + "".join(f"<li>{_e(v)}</li>" for v in plan.violations) + "</ul></div>")
    cards, kpi_table = _headline(plan)
    parts.append(cards)
    parts.append("<h2>Headline figures against keeping everything</h2>" + kpi_table)
    if plan.baseline_issues:
        n = len(plan.baseline_issues)
        parts.append(f'<div class="note"><b>Keeping everything already misses the standards in {n} place(s)</b>, '
                     "so the baseline is a reference, not a valid plan."
                     f"<details><summary>Where ({n})</summary><ul>"
                     + "".join(f"<li>{_e(v)}</li>" for v in plan.baseline_issues) + "</ul></details></div>")

    ax = plan_map(plan, ward, problem)
    parts.append("<h2>Decisions on the map</h2>" + _img(
        figure_png(ax.figure), "map of the decisions",
        "Every ward facility in the plan, marked by its decision; stars are new buildings at candidate sites, "
        "black squares stations, grey dots the town blocks (町丁目) sized by population."))

    if cost_years is None and problem is not None:
        cost_years = cost_by_year(plan, problem)
    parts.append("<h2>Cost by year</h2>")
    if cost_years is not None:
        fig = Figure(figsize=(10, 4.2))
        plot_cost_by_year(cost_years, ax=fig.subplots())
        parts.append(_img(figure_png(fig), "cost per year before and after",
                          "Renewal (renovation and rebuild), running costs, new floor area and land, less land "
                          "sold or leased, per year, in oku-yen (億円, 100 million yen)."))
        rows = [f'<tr><td class="num">{int(r.year)}</td>' + _num(r.before_yen / OKU_YEN, "{:,.2f}")
                + _num(r.after_yen / OKU_YEN, "{:,.2f}") + _num((r.after_yen - r.before_yen) / OKU_YEN, "{:+,.2f}")
                + _num(r.renewal_after_yen / OKU_YEN, "{:,.2f}") + _num(r.new_build_after_yen / OKU_YEN, "{:,.2f}")
                + _num(r.revenue_after_yen / OKU_YEN, "{:,.2f}") + "</tr>" for r in cost_years.itertuples()]
        parts.append("<details><summary>The figures per year (oku-yen)</summary>" + _table(
            [("year", True), ("keep everything", True), ("plan", True), ("change", True), ("plan: renewal", True),
             ("plan: new floor", True), ("plan: land income", True)], rows, "years") + "</details>")
    else:
        parts.append("<p>Not available: pass the problem (or a cost-by-year table) to show it.</p>")

    parts.append(_spend_section(plan, problem))
    parts.append(_years_section(plan, names))
    parts.append(_nursery_section(plan))
    parts.append(_timeline_section(plan))

    parts.append("<h2>Coverage and distance per service</h2>"
                 "<p class=\"meta\">Coverage: share of each service's target residents within its distance "
                 "standard; distances are walking estimates from each town block to the site serving it.</p>"
                 + _service_table(plan, names))

    changed = plan.changes()
    order = {"new": 0, "host": 1, "convert": 2, "close": 3}
    changed = changed.assign(_o=changed["decision"].map(order).fillna(4)).sort_values(
        ["_o", "facility_id"], kind="mergesort").drop(columns="_o")
    allrows = plan.frame("decisions")
    counts = ", ".join(f"{n} {k}" for k, n in changed["decision"].value_counts().sort_index().items())
    parts.append(f"<h2>Decisions ({len(changed)} facilities change: {_e(counts)})</h2>"
                 "<p class=\"meta\">New buildings first, then hosts of co-located services, conversions and "
                 "closures; the reason says where each service goes and what it saves.</p>")
    parts.append(_table(_DECISION_HEAD, _decision_rows(changed), "decisions changed") if len(changed)
                 else "<p>The plan keeps every facility as it is.</p>")
    parts.append(f"<details><summary>All {len(allrows)} facilities</summary>"
                 + _table(_DECISION_HEAD, _decision_rows(allrows), "decisions all") + "</details>")

    if tradeoff is not None and len(tradeoff):
        fig = Figure(figsize=(7.5, 4.8))
        plot_tradeoff(tradeoff, ax=fig.subplots())
        fig.tight_layout()
        rows = [f"<tr><td>{_e(r.point)}</td>" + _num(r.access_person_km) + _num(r.cost_yen / OKU_YEN, "{:,.1f}")
                + _num(r.buildings) + _num(r.floor_m2) + f"<td>{_e(r.status)}</td></tr>" for r in tradeoff.itertuples()]
        parts.append("<h2>Cost against access</h2>" + _img(
            figure_png(fig), "cost-access trade-off curve",
            "Each point is a plan: the cheapest, the most accessible, and plans between them with a cap on the "
            "residents' total distance (epsilon constraint).")
            + _table([("plan", False), ("access person-km", True), ("cost oku-yen", True), ("buildings", True),
                      ("floor m²", True), ("status", False)], rows, "tradeoff"))

    credits = "".join(f"<li>{_e(s)}</li>" for s in ward.meta.sources) or "<li>(no credits given in ward.yaml)</li>"
    parts.append("<h2>Data and assumptions</h2>" + _imputed_note(ward, path)
                 + f'<ul class="credits">{credits}</ul>')
    parts.append(f"<footer>Made with facility_opt {_e(__version__)} from planning model {_e(plan.name)}; "
                 "the plan's files (plan.json, decisions.csv, …) hold every figure shown here.</footer>")
    doc = ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
           f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body><main>\n"
           + "\n".join(parts) + "\n</main></body>\n</html>\n")
    return atomic_write_text(path, doc)
