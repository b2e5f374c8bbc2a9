"""Station accessibility (駅前への集約): nearest station and the station-front flag, station catchments,
and the share of each service's users at station-front facilities."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from ..catalogue import Catalogue, default_catalogue
from ..errors import DataIssue, DataValidationError
from .points import _points


def _stations(stations: gpd.GeoDataFrame, station_id: str | None, name_column: str):
    sids, sxy = _points(
        stations, station_id or ("station_id" if "station_id" in stations.columns else None), "stations"
    )
    names = stations[name_column].astype(str).to_numpy() if name_column in stations.columns else sids
    order = np.argsort(sids, kind="mergesort")  # ties resolve to the smallest station id
    return sids[order], sxy[order], names[order]


def station_access(
    points: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame,
    front_radius: float = 500.0,
    *,
    id_column: str | None = None,
    station_id: str | None = None,
    name_column: str = "name",
    detour_factor: float = 1.0,
) -> pd.DataFrame:
    """Nearest station of each point (facility or candidate site), its distance, and whether the point
    is station-front (駅前: within ``front_radius`` m, default 500).

    Distances are straight-line × ``detour_factor`` (default 1.0: 駅前 is usually defined by straight-line
    radius). Ties go to the smallest station id.

    Returns
    -------
    DataFrame
        ``id, nearest_station_id, nearest_station, station_distance_m, station_front``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> st = gpd.GeoDataFrame({"station_id": ["s1", "s2"], "name": ["練馬", "中村橋"]},
    ...                       geometry=[Point(0, 0), Point(2000, 0)], crs="EPSG:6677")
    >>> f = gpd.GeoDataFrame({"facility_id": ["f1", "f2"]}, geometry=[Point(300, 400), Point(1200, 0)],
    ...                      crs="EPSG:6677")
    >>> station_access(f, st).values.tolist()
    [['f1', 's1', '練馬', 500.0, True], ['f2', 's2', '中村橋', 800.0, False]]
    """
    ids, xy = _points(points, id_column, "points")
    sids, sxy, names = _stations(stations, station_id, name_column)
    if len(sids) == 0:
        raise DataValidationError([DataIssue("stations", None, None, "no stations")])
    k = min(2, len(sids))
    d, j = cKDTree(sxy).query(xy, k=k)
    if k == 2:  # exact ties: prefer the smaller (sorted) index, i.e. the smaller id
        tie = np.isclose(d[:, 0], d[:, 1], rtol=0, atol=1e-9)
        j = np.where(tie, j.min(axis=1), j[:, 0])
        d = d[:, 0]
    dist = np.round(d * detour_factor, 6)
    return pd.DataFrame(
        {
            "id": ids,
            "nearest_station_id": sids[j],
            "nearest_station": names[j],
            "station_distance_m": dist,
            "station_front": dist <= front_radius,
        }
    )


def station_catchments(
    zones: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame,
    radius: float = 800.0,
    *,
    population_column: str = "population",
    station_id: str | None = None,
    name_column: str = "name",
) -> pd.DataFrame:
    """Population around each station (駅勢圏).

    ``population_within``: population of zones whose representative point is within ``radius`` m
    (default 800 m, the walking catchment common in Japanese planning; zones may count for several
    stations). ``population_nearest``: population of zones whose nearest station it is (a partition of
    the ward).

    Returns
    -------
    DataFrame
        ``station_id, name, zones_within, population_within, population_nearest``, sorted by id.
    """
    zids, zxy = _points(zones, "zone_id" if "zone_id" in zones.columns else None, "zones")
    pop = pd.to_numeric(zones[population_column], errors="coerce").fillna(0).to_numpy(dtype=float)
    sids, sxy, names = _stations(stations, station_id, name_column)
    tree = cKDTree(sxy)
    within = tree.query_ball_point(zxy, r=radius)
    cnt, popw = np.zeros(len(sids)), np.zeros(len(sids))
    for zi, sl in enumerate(within):
        for s in sl:
            cnt[s] += 1
            popw[s] += pop[zi]
    nearest = station_access(
        zones.assign(_zid=zids), stations, radius, id_column="_zid", station_id=station_id, name_column=name_column
    )
    popn = pd.Series(pop, index=nearest["nearest_station_id"].to_numpy()).groupby(level=0).sum()
    return pd.DataFrame(
        {
            "station_id": sids,
            "name": names,
            "zones_within": cnt.astype(int),
            "population_within": popw,
            "population_nearest": popn.reindex(sids, fill_value=0.0).to_numpy(),
        }
    )


def station_summary(
    facilities: gpd.GeoDataFrame,
    facility_services: pd.DataFrame,
    stations: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame | None = None,
    catalogue: Catalogue | None = None,
    front_radius: float = 500.0,
    *,
    station_id: str | None = None,
    name_column: str = "name",
) -> pd.DataFrame:
    """Ward summary per service: how much of it is station-front (within ``front_radius`` of a station).

    Users of a facility-service are its ``annual_users``; if missing, ``capacity × utilisation``; if that
    is missing too, its ``capacity`` (column ``users_basis`` says which was used most).

    Returns
    -------
    DataFrame
        ``service_id, facilities, station_front_facilities, users, users_station_front,
        share_users_station_front, share_capacity_station_front, target_population,
        share_target_population_near_station`` (residents of the target groups whose zone is within
        ``front_radius`` of a station; needs ``zones``), ``users_basis``.
    """
    catalogue = catalogue or default_catalogue()
    acc = station_access(
        facilities,
        stations,
        front_radius,
        id_column="facility_id" if "facility_id" in facilities.columns else None,
        station_id=station_id,
        name_column=name_column,
    )
    front = dict(zip(acc["id"], acc["station_front"]))
    fs = pd.DataFrame(facility_services).copy()
    fs["facility_id"] = fs["facility_id"].astype(str)
    unknown = sorted(set(fs["facility_id"]) - set(front))
    if unknown:
        raise DataValidationError(
            [
                DataIssue(
                    "facility_services", None, "facility_id", f"facilities not in the facilities table: {unknown[:10]}"
                )
            ]
        )
    _add_users(fs)
    fs["front"] = fs["facility_id"].map(front).astype(bool)
    g = fs.groupby("service_id", sort=True)
    out = pd.DataFrame(
        {
            "facilities": g["facility_id"].nunique(),
            "station_front_facilities": g.apply(
                lambda d: d.loc[d["front"], "facility_id"].nunique(), include_groups=False
            ),
            "users": g["users"].sum(),
            "users_station_front": g.apply(lambda d: d.loc[d["front"], "users"].sum(), include_groups=False),
            "capacity": g["capacity"].sum(),
            "capacity_station_front": g.apply(lambda d: d.loc[d["front"], "capacity"].sum(), include_groups=False),
            "users_basis": g["basis"].agg(lambda s: s.value_counts().sort_index().idxmax()),
        }
    )
    out["share_users_station_front"] = out["users_station_front"] / out["users"].where(out["users"] > 0)
    out["share_capacity_station_front"] = out["capacity_station_front"] / out["capacity"].where(out["capacity"] > 0)
    out["target_population"] = np.nan
    out["share_target_population_near_station"] = np.nan
    if zones is not None:
        _add_target_population(out, zones, stations, catalogue, front_radius, station_id, name_column)
    cols = [
        "facilities",
        "station_front_facilities",
        "users",
        "users_station_front",
        "share_users_station_front",
        "share_capacity_station_front",
        "target_population",
        "share_target_population_near_station",
        "users_basis",
    ]
    return out[cols].reset_index()


def _add_users(fs: pd.DataFrame) -> None:
    """Add ``users`` and its ``basis`` to facility-services ``fs`` (in place): ``annual_users``, else
    ``capacity × utilisation`` (``used_capacity``), else ``capacity``."""
    for c in ("annual_users", "utilisation"):
        fs[c] = pd.to_numeric(fs[c], errors="coerce") if c in fs.columns else np.nan
    fs["capacity"] = pd.to_numeric(fs["capacity"], errors="coerce").fillna(0.0)
    basis = np.where(
        fs["annual_users"].notna(), "annual_users", np.where(fs["utilisation"].notna(), "used_capacity", "capacity")
    )
    fs["users"] = np.where(
        basis == "annual_users",
        fs["annual_users"],
        np.where(basis == "used_capacity", fs["capacity"] * fs["utilisation"], fs["capacity"]),
    )
    fs["basis"] = basis


def _add_target_population(
    out: pd.DataFrame,
    zones: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame,
    catalogue: Catalogue,
    front_radius: float,
    station_id: str | None,
    name_column: str,
) -> None:
    """Fill ``target_population`` and ``share_target_population_near_station`` of the summary ``out``
    (in place): residents of each service's target groups, and the share whose zone is station-front."""
    from ..demand import target_population

    services = [s for s in out.index if s in catalogue.services]
    tp = target_population(zones, catalogue, services)
    zacc = station_access(zones, stations, front_radius, station_id=station_id, name_column=name_column)
    tp["near"] = tp["zone_id"].map(dict(zip(zacc["id"], zacc["station_front"]))).astype(bool)
    agg = tp.groupby("service_id").apply(
        lambda d: pd.Series({"t": d["target_population"].sum(), "n": d.loc[d["near"], "target_population"].sum()}),
        include_groups=False,
    )
    out.loc[agg.index, "target_population"] = agg["t"]
    out.loc[agg.index, "share_target_population_near_station"] = agg["n"] / agg["t"].where(agg["t"] > 0)
