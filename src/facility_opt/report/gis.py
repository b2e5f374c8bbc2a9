"""The plan's facilities and candidate sites with their decisions, for GIS users: a GeoDataFrame in the
ward's CRS and a GeoPackage written atomically and byte-for-byte reproducibly."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from ..atomic import atomic_write_with
from ..portfolio.plan import Plan
from ..portfolio.problem import PortfolioProblem
from ..ward import Ward

__all__ = ["plan_geodataframe", "write_facilities_gpkg"]

log = logging.getLogger(__name__)

_GPKG_DATE = "2000-01-01T00:00:00.000Z"  # fixed gpkg_contents.last_change: identical files for identical plans


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
            extra.append(
                {
                    "facility_id": s.site_id,
                    "name": s.name,
                    "site_id": s.site_id,
                    "site_name": s.name,
                    "decision": "not_built",
                    "services_before": "",
                    "services_after": "",
                    "gained": "",
                    "lost": "",
                    "year": pd.NA,
                    "floor_before_m2": 0.0,
                    "floor_after_m2": 0.0,
                    "reason": "candidate site not used by the plan",
                    "imputed_inputs": "",
                }
            )
    if extra:
        d = pd.concat([d, pd.DataFrame(extra)], ignore_index=True)
    d["year"] = d["year"].astype("Int64")
    cat = ward.facilities.set_index("facility_id")["category"]
    d["category"] = [
        cat.get(f) or (sites[s].category if s in sites else "") for f, s in zip(d["facility_id"], d["site_id"])
    ]
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
    cols = [
        "facility_id",
        "name",
        "site_id",
        "site_name",
        "category",
        "decision",
        "year",
        "services_before",
        "services_after",
        "gained",
        "lost",
        "floor_before_m2",
        "floor_after_m2",
        "station_front",
        "reason",
        "imputed_inputs",
        "geometry",
    ]
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
