"""The plan on an interactive map: inlined Leaflet for report.html, folium for Jupyter.

* :func:`map_layers`: what both maps show, as GeoDataFrames in WGS 84: every facility and candidate
  site with its decision (label in the report's language), services before, after and year by
  year, reason and imputed inputs; the town blocks with the share of their residents within the
  standards (worst service; in the last year, in the worst year, and per period); the stations.
* :func:`leaflet_html`: a ``<section>`` for the self-contained report: Leaflet (vendored in
  ``facility_opt/vendor/leaflet``, BSD-2-Clause, inlined) with one layer per decision kind, town
  blocks shaded by coverage, stations, the ward boundary, a year selector and service check boxes
  (its script and style: ``static/map.js``, ``static/map.css``); background tiles (OpenStreetMap) only
  when the reader ticks them and is online.
* :func:`explore_plan` (``Plan.explore``): the same layers as a folium map through
  ``GeoDataFrame.explore`` (needs the ``map`` extra: folium, mapclassify).
"""

from __future__ import annotations

import base64
import html
import json
import re
from importlib import resources

import geopandas as gpd
import pandas as pd

from ..i18n import DECISION_LABELS, decision_label, names_catalogue, service_name, tr
from .html import static_text

__all__ = [
    "map_layers",
    "map_data",
    "leaflet_html",
    "explore_plan",
    "DECISION_COLOURS",
    "OTHER_COLOUR",
    "decision_kinds",
    "leaflet_assets",
]

#: colour of each decision kind on the interactive maps (the static map's colours)
DECISION_COLOURS: dict[str, str] = {
    "keep": "#8fb3d9",
    "rebuild": "#3a6ea5",
    "host": "#2e9d4e",
    "convert": "#f28e2b",
    "close": "#d62728",
    "new": "#ffbf00",
    "not_built": "#b0b0b0",
}

#: the colour of a decision kind the table does not know (a newer optimiser's)
OTHER_COLOUR = "#7f7f7f"


def decision_kinds(kinds) -> list[str]:
    """The decision kinds present, in the order of :data:`facility_opt.i18n.DECISION_LABELS`, then
    any other kind by name (shown with its own name and :data:`OTHER_COLOUR`)."""
    present = set(kinds)
    return [k for k in DECISION_LABELS if k in present] + sorted(present - set(DECISION_LABELS))


_OSM = (
    "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
)


def _gaps_by_zone(plan) -> pd.DataFrame:
    """zone_id, from_year, to_year, share: the largest share of a zone's target residents of any
    service left outside the standards, per period (``plan.uncovered``)."""
    u = plan.frame("uncovered")
    return u.groupby(["zone_id", "from_year", "to_year"], sort=True)["share"].max().clip(0.0, 1.0).reset_index()


def _coverage_in(gaps: pd.DataFrame, year: int | None = None) -> pd.Series:
    """zone_id -> share of its residents within the standards (worst service) in ``year``, or in
    the worst year when ``year`` is None; zones without gaps are fully covered (not listed)."""
    g = gaps if year is None else gaps[(gaps["from_year"] <= year) & (gaps["to_year"] >= year)]
    return 1.0 - g.groupby("zone_id", sort=True)["share"].max()


def map_layers(plan, ward, problem=None, *, lang: str = "en", catalogue=None) -> dict[str, gpd.GeoDataFrame]:
    """The layers of the plan's interactive maps, in EPSG:4326.

    Returns
    -------
    dict
        ``facilities``: :func:`facility_opt.report.plan_geodataframe` plus ``decision_label``,
        ``services_before_names``, ``services_after_names`` (``、``/``, ``-joined names),
        ``services_by_year`` (JSON: ``[[service_id, from_year, to_year], ...]`` at its site),
        ``closes`` and ``open_from`` (Int64); ``zones``: zone_id, name, population, covered (share
        of its residents within the standards in the last year, worst service), covered_worst (in
        its worst year), gaps (JSON ``[[from_year, to_year, share outside], ...]``), geometry;
        ``stations``: station_id, name, opening_year, geometry.
    """
    from .gis import plan_geodataframe

    catalogue = names_catalogue(catalogue)
    g = plan_geodataframe(plan, ward, problem)
    g = g[g.geometry.notna() & ~g.geometry.is_empty].copy()
    sep = "、" if lang == "ja" else ", "

    def names(ids: str) -> str:
        return sep.join(service_name(catalogue, s, lang) for s in ids.split(";") if s)

    g["decision_label"] = [decision_label(d, lang) for d in g["decision"]]
    g["services_before_names"] = g["services_before"].map(names)
    g["services_after_names"] = g["services_after"].map(names)
    t = plan.frame("timeline")
    by_site = {
        s: [[r.service_id, int(r.from_year), int(r.to_year)] for r in grp.itertuples(index=False)]
        for s, grp in t.sort_values(["site_id", "service_id", "from_year"], kind="mergesort").groupby("site_id")
    }
    g["services_by_year"] = [json.dumps(by_site.get(s, []), separators=(",", ":")) for s in g["site_id"]]
    sites = {s.site_id: s for s in plan.sites}
    g["closes"] = pd.array([sites[s].closes if s in sites else None for s in g["site_id"]], dtype="Int64")
    g["open_from"] = pd.array([sites[s].open_from if s in sites else None for s in g["site_id"]], dtype="Int64")
    g = g.to_crs("EPSG:4326")

    z = ward.zones[["zone_id", "name", "population", "geometry"]].copy()
    gaps = _gaps_by_zone(plan)
    end = plan.start_year + plan.horizon_years - 1
    z["covered"] = _coverage_in(gaps, end).reindex(z["zone_id"]).fillna(1.0).to_numpy()
    z["covered_worst"] = _coverage_in(gaps).reindex(z["zone_id"]).fillna(1.0).to_numpy()
    by_zone = {
        zid: json.dumps(
            [[int(r.from_year), int(r.to_year), round(float(r.share), 6)] for r in g.itertuples(index=False)],
            separators=(",", ":"),
        )
        for zid, g in gaps.groupby("zone_id", sort=True)
    }
    z["gaps"] = [by_zone.get(zid, "[]") for zid in z["zone_id"]]
    z = z.sort_values("zone_id", kind="mergesort").to_crs("EPSG:4326")
    st = ward.stations.copy()
    if "opening_year" not in st.columns:
        st["opening_year"] = pd.NA
    st = st[["station_id", "name", "opening_year", "geometry"]].sort_values("station_id", kind="mergesort")
    return {
        "facilities": g.reset_index(drop=True),
        "zones": z.reset_index(drop=True),
        "stations": st.to_crs("EPSG:4326").reset_index(drop=True),
    }


# --------------------------------------------------------------------------------------------------
# the self-contained report's map
def leaflet_assets() -> tuple[str, str]:
    """Leaflet's JavaScript and CSS (vendored, BSD-2-Clause), the CSS's images inlined as data: URLs."""
    base = resources.files("facility_opt") / "vendor" / "leaflet"
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    css = (base / "leaflet.css").read_text(encoding="utf-8")
    for name in ("layers.png", "layers-2x.png"):
        data = base64.b64encode((base / "images" / name).read_bytes()).decode("ascii")
        css = css.replace(f"url(images/{name})", f"url(data:image/png;base64,{data})")
    # the default marker icon is not vendored (the maps draw circle markers): no request for it
    return js, re.sub(r"url\(images/[^)]*\)", "none", css)


def _r(x: float) -> float:
    return round(float(x), 6)


def _json_script(obj) -> str:
    """JSON for a ``<script type="application/json">``: ``<`` escaped so text cannot close the tag."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True).replace("<", "\\u003c")


def map_data(plan, ward, problem=None, *, lang: str = "en", catalogue=None) -> dict:
    """What the report's map script reads: facilities, zones, stations, boundary, labels (plain data)."""
    catalogue = names_catalogue(catalogue)
    layers = map_layers(plan, ward, problem, lang=lang, catalogue=catalogue)
    f = layers["facilities"]
    summaries = {}
    if lang == "ja":  # what happens, in Japanese, from the plan's assignments and works (.decisions)
        from .decisions import decision_summaries

        svc = {k: service_name(catalogue, k, lang) for k in plan.frame("timeline")["service_id"].unique()}
        summaries = decision_summaries(plan, lang, svc)
    facilities = []
    for r in f.itertuples(index=False):
        facilities.append(
            {
                "id": r.facility_id,
                "name": r.name,
                "site": r.site_id,
                "decision": r.decision,
                "year": None if pd.isna(r.year) else int(r.year),
                "before": [s for s in r.services_before.split(";") if s],
                "after": [s for s in r.services_after.split(";") if s],
                "floor": [_r(r.floor_before_m2), _r(r.floor_after_m2)],
                "reason": r.reason,
                "summary": summaries.get(r.facility_id, ""),
                "imputed": r.imputed_inputs.replace(";", ", "),
                "segments": json.loads(r.services_by_year),
                "lat": _r(r.geometry.y),
                "lon": _r(r.geometry.x),
            }
        )
    z = layers["zones"]
    zones = [
        {
            "id": r.zone_id,
            "name": r.name,
            "pop": int(r.population),
            "covered": _r(r.covered),
            "worst": _r(r.covered_worst),
            "gaps": json.loads(r.gaps),
            "lat": _r(r.geometry.y),
            "lon": _r(r.geometry.x),
        }
        for r in z.itertuples(index=False)
    ]
    st = layers["stations"]
    stations = [
        {
            "name": r.name,
            "opening": None if pd.isna(r.opening_year) else int(r.opening_year),
            "lat": _r(r.geometry.y),
            "lon": _r(r.geometry.x),
        }
        for r in st.itertuples(index=False)
    ]
    boundary = json.loads(ward.boundary.to_crs("EPSG:4326")[["geometry"]].to_json(drop_id=True))
    services = sorted(
        {s for r in facilities for s in r["before"] + r["after"]} | set(plan.frame("timeline")["service_id"])
    )
    kinds = decision_kinds(r["decision"] for r in facilities)
    return {
        "lang": lang,
        "start": plan.start_year,
        "end": plan.start_year + plan.horizon_years - 1,
        "facilities": facilities,
        "zones": zones,
        "stations": stations,
        "boundary": boundary,
        "services": [{"id": s, "name": service_name(catalogue, s, lang)} for s in services],
        "decisions": [
            {"id": k, "label": decision_label(k, lang), "colour": DECISION_COLOURS.get(k, OTHER_COLOUR)} for k in kinds
        ],
        "text": {
            k: tr(k, lang)
            for k in (
                "imap_year",
                "imap_all_years",
                "imap_services",
                "imap_tiles",
                "imap_zones",
                "imap_stations",
                "imap_boundary",
                "pop_decision",
                "pop_year",
                "pop_services_before",
                "pop_services_after",
                "pop_services_in",
                "pop_reason",
                "pop_summary",
                "pop_floor",
                "pop_imputed",
                "pop_covered",
                "pop_worst",
                "pop_population",
                "legend_coverage",
            )
        },
        "tiles": list(_OSM),
    }


#: the map's script: builds the layers from the JSON data, filters them by year and service
_MAP_JS = static_text("map.js")
#: the map's style (controls, legend, popups)
_MAP_CSS = static_text("map.css")


def leaflet_html(plan, ward, problem=None, *, lang: str = "en", catalogue=None) -> str:
    """The report's interactive map section (Leaflet inlined, the data as JSON; no external file)."""
    data = map_data(plan, ward, problem, lang=lang, catalogue=catalogue)
    js, css = leaflet_assets()
    e = lambda s: html.escape(str(s), quote=True)  # noqa: E731
    years = "".join(f'<option value="{y}">{y}</option>' for y in range(data["start"], data["end"] + 1))
    boxes = "".join(
        f'<label><input type="checkbox" value="{e(s["id"])}" checked> {e(s["name"])}</label>' for s in data["services"]
    )
    legend = (
        f'<span class="fo-legend">{e(tr("imap_zones_legend", lang))}:'
        '<i style="background:#4caf50"></i>100 %<i style="background:#cddc39"></i>≥ 95 %'
        '<i style="background:#ff9800"></i>≥ 80 %<i style="background:#e53935"></i>&lt; 80 %</span>'
    )
    return (
        f"<style>{css}{_MAP_CSS}</style>"
        f'<div class="fo-controls"><label>{e(tr("imap_year", lang))} <select id="fo-year">'
        f'<option value="">{e(tr("imap_all_years", lang))}</option>{years}</select></label>'
        f'<span id="fo-services"><b>{e(tr("imap_services", lang))}:</b> {boxes}</span></div>'
        f'<div id="fo-map" data-facilities="{len(data["facilities"])}" data-zones="{len(data["zones"])}"></div>'
        f"<div>{legend}</div>"
        f'<script type="application/json" id="fo-map-data">{_json_script(data)}</script>'
        f"<script>{js}</script><script>{_MAP_JS}</script>"
    )


# --------------------------------------------------------------------------------------------------
# Jupyter
def explore_plan(
    plan, ward, problem=None, *, lang: str | None = None, catalogue=None, tiles: str | None = "OpenStreetMap"
):
    """The plan on a folium map (``GeoDataFrame.explore``): a layer per decision kind and per
    service (the facilities offering it after the plan), town blocks shaded by coverage, stations,
    and a layer control.  Returns the ``folium.Map``.  Needs folium and mapclassify (``pip install
    facility-opt[map]``)."""
    try:
        import folium
    except ImportError as exc:  # pragma: no cover - the message is the point
        raise ImportError("plan.explore() needs folium and mapclassify: pip install 'facility-opt[map]'") from exc
    from ..i18n import report_language

    lang = report_language(ward, lang)
    catalogue = names_catalogue(catalogue)
    layers = map_layers(plan, ward, problem, lang=lang, catalogue=catalogue)
    f = layers["facilities"].drop(columns=["services_by_year"])
    f["year"] = f["year"].astype("float")  # folium's JSON cannot hold pandas' NA
    popup = [
        "name",
        "decision_label",
        "year",
        "services_before_names",
        "services_after_names",
        "reason",
        "imputed_inputs",
    ]
    z = layers["zones"]
    m = z.explore(
        column="covered",
        cmap="RdYlGn",
        vmin=0.5,
        vmax=1.0,
        name=tr("imap_zones", lang),
        tiles=tiles,
        marker_kwds={"radius": 4},
        style_kwds={"stroke": False, "fillOpacity": 0.5},
        tooltip=["name", "population", "covered"],
        legend=True,
        legend_kwds={"caption": tr("legend_coverage", lang)},
    )
    ward.boundary.to_crs("EPSG:4326").explore(
        m=m, name=tr("imap_boundary", lang), color="#333333", style_kwds={"fill": False, "weight": 2}, tooltip=False
    )
    for kind in decision_kinds(f["decision"]):
        sub = f[f["decision"] == kind]
        if len(sub):
            sub.explore(
                m=m,
                name=f"{decision_label(kind, lang)} ({len(sub)})",
                color=DECISION_COLOURS.get(kind, OTHER_COLOUR),
                marker_kwds={"radius": 7 if kind not in ("keep", "rebuild") else 5},
                style_kwds={"fillOpacity": 0.95, "color": "#ffffff", "weight": 1},
                tooltip=["name", "decision_label"],
                popup=popup,
            )
    after = f["services_after"].str.split(";")
    for s in sorted({x for ids in after for x in ids if x}):
        sub = f[after.map(lambda ids, s=s: s in ids)]
        sub.explore(
            m=m,
            name=service_name(catalogue, s, lang),
            color="#444444",
            show=False,
            marker_kwds={"radius": 3},
            tooltip=["name", "services_after_names"],
            popup=popup,
        )
    layers["stations"].assign(opening_year=layers["stations"]["opening_year"].astype("float")).explore(
        m=m, name=tr("imap_stations", lang), color="#000000", marker_kwds={"radius": 3}, tooltip=["name"]
    )
    folium.LayerControl(collapsed=False).add_to(m)
    return m
