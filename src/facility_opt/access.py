"""Accessibility: zone-to-site distances (straight line × detour, or over a street network) and stations.

Distances are always in metres in a projected CRS (Tokyo: ``EPSG:6677``); a geographic CRS is refused.
Only pairs within ``max_distance`` are returned (a sparse, long table), because location models only
need the pairs inside the largest coverage standard.

* ``method="euclidean"``: straight line × ``detour_factor`` (default 1.3, an assumption: road distance /
  straight-line distance in Japanese planning practice is about 1.2-1.4). Pairs from a k-d tree.
* ``method="network"``: shortest paths over a street network (:func:`read_street_network`, a networkx
  graph with ``length`` weights). Each point is snapped to its nearest node; the distance is
  snap(origin) + path + snap(destination). Shortest paths run from the side with fewer distinct nodes,
  bounded by ``max_distance`` (``scipy.sparse.csgraph.dijkstra`` with ``limit``; ``engine="networkx"``
  uses ``single_source_dijkstra_path_length`` with ``cutoff``). Unreachable pairs are absent.

With ``cache_dir`` the result is stored under a key hashing every input (ids, coordinates, network
content, method and parameters); an unchanged re-run loads it instead of recomputing.

Station accessibility (駅前への集約): :func:`station_access` (nearest station, distance, station-front
flag), :func:`station_catchments` (population around each station) and :func:`station_summary`
(the share of each service's users at station-front facilities).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Literal

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from .catalogue import Catalogue, default_catalogue
from .errors import DataIssue, DataValidationError
from .crs import require_metric_crs

__all__ = [
    "DEFAULT_DETOUR_FACTOR",
    "distance_pairs",
    "read_street_network",
    "street_network_from_lines",
    "station_access",
    "station_catchments",
    "station_summary",
]

log = logging.getLogger(__name__)

#: Road distance / straight-line distance assumed when no street network is given (assumption; 1.2-1.4
#: is the range used in Japanese planning practice).
DEFAULT_DETOUR_FACTOR = 1.3
_CACHE_VERSION = "distance_pairs/1"
_ID_GUESSES = ("zone_id", "facility_id", "site_id", "station_id", "id")


# --------------------------------------------------------------------------------------------------
# inputs


def _points(gdf: gpd.GeoDataFrame, id_column: str | None, what: str) -> tuple[np.ndarray, np.ndarray]:
    """(ids as str, xy array) of a GeoDataFrame; polygons are reduced to a representative point."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise DataValidationError([DataIssue(what, None, "geometry", "must be a GeoDataFrame")])
    require_metric_crs(gdf.crs, what)
    if id_column is None:
        id_column = next((c for c in _ID_GUESSES if c in gdf.columns), None)
    if id_column is not None:
        ids = gdf[id_column].astype(str).to_numpy()
    else:
        ids = gdf.index.astype(str).to_numpy()
    geom = gdf.geometry.to_numpy()
    if geom.size and (shapely.is_empty(geom) | shapely.is_missing(geom)).any():
        bad = np.flatnonzero(shapely.is_empty(geom) | shapely.is_missing(geom))
        raise DataValidationError([DataIssue(what, int(i) + 1, "geometry", "empty or missing geometry") for i in bad[:20]])
    not_pt = shapely.get_type_id(geom) != 0
    if not_pt.any():
        geom = geom.copy()
        geom[not_pt] = shapely.point_on_surface(geom[not_pt])
    xy = shapely.get_coordinates(geom)[:, :2] if geom.size else np.empty((0, 2))
    if len(set(ids)) != len(ids):
        raise DataValidationError([DataIssue(what, None, id_column or "index", "ids are not unique")])
    return ids, xy


# --------------------------------------------------------------------------------------------------
# street networks


def street_network_from_lines(lines: gpd.GeoDataFrame, tolerance: float = 0.01) -> nx.Graph:
    """A networkx graph from street centre-lines (LineString / MultiLineString).

    Every segment between consecutive vertices becomes an edge weighted by its length (``length``,
    m); vertices closer than ``tolerance`` metres (on a grid of that size) are merged into one node.
    So lines meet wherever they share a vertex, at their ends or inside (as in OpenStreetMap-style
    data, where ways share junction vertices); lines that cross without a shared vertex stay apart,
    as a bridge over a road should.
    Nodes are numbered 0..n-1 in coordinate order and carry ``x``, ``y``; parallel edges keep the
    shortest; the graph attribute ``crs`` is set.
    """
    require_metric_crs(lines.crs, "street network")
    parts = shapely.get_parts(lines.geometry.to_numpy())
    parts = parts[(shapely.get_type_id(parts) == 1) & ~shapely.is_empty(parts)]
    if parts.size == 0:
        raise DataValidationError([DataIssue("street network", None, "geometry", "no LineString features")])
    xy_all, part = shapely.get_coordinates(parts, return_index=True)
    seg = np.flatnonzero(part[1:] == part[:-1])  # segment k joins vertex k and k+1 of one part
    length = np.hypot(*(xy_all[seg + 1] - xy_all[seg]).T)
    keys = np.round(xy_all / tolerance).astype(np.int64)
    uniq, inv = np.unique(keys, axis=0, return_inverse=True)
    inv = inv.ravel()
    u, v = inv[seg], inv[seg + 1]
    e = pd.DataFrame({"u": np.minimum(u, v), "v": np.maximum(u, v), "w": length})
    e = e[e["u"] != e["v"]].groupby(["u", "v"], as_index=False, sort=True)["w"].min()
    G = nx.Graph(crs=lines.crs.to_string())
    xy = uniq * tolerance
    G.add_nodes_from((i, {"x": float(x), "y": float(y)}) for i, (x, y) in enumerate(xy))
    G.add_weighted_edges_from(e.itertuples(index=False, name=None), weight="length")
    log.debug("street network: %d nodes, %d edges from %d line parts", G.number_of_nodes(), G.number_of_edges(),
              len(parts))
    return G


def read_street_network(path: str | Path, layer: str | None = None, tolerance: float = 0.01) -> nx.Graph:
    """Read street lines from a GeoPackage (or any OGR file) into a graph; see
    :func:`street_network_from_lines`. The graph's ``fingerprint`` hashes the file content and the
    tolerance, so distance caches are invalidated when the file changes."""
    path = Path(path)
    lines = gpd.read_file(path, layer=layer)
    G = street_network_from_lines(lines, tolerance=tolerance)
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    h.update(f"|layer={layer}|tol={tolerance}".encode())
    G.graph["fingerprint"] = h.hexdigest()
    return G


def _graph_fingerprint(G: nx.Graph) -> str:
    if "fingerprint" in G.graph:
        return str(G.graph["fingerprint"])
    h = hashlib.sha256()
    for u, v, w in sorted((min(u, v), max(u, v), d.get("length", 1.0)) for u, v, d in G.edges(data=True)):
        h.update(np.array([G.nodes[u]["x"], G.nodes[u]["y"], G.nodes[v]["x"], G.nodes[v]["y"], w]).tobytes())
    return h.hexdigest()


def _node_arrays(G: nx.Graph) -> tuple[list, np.ndarray]:
    nodes = sorted(G.nodes)
    try:
        xy = np.array([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in nodes], dtype=float)
    except KeyError as exc:
        raise DataValidationError([DataIssue("street network", None, "x/y",
                                             "graph nodes need 'x' and 'y' attributes (use read_street_network)")]) from exc
    return nodes, xy


# --------------------------------------------------------------------------------------------------
# distances


def _euclidean(oxy, dxy, max_distance, detour):
    if len(oxy) == 0 or len(dxy) == 0:
        return np.array([], int), np.array([], int), np.array([], float)
    to, td = cKDTree(oxy), cKDTree(dxy)
    res = to.sparse_distance_matrix(td, max_distance / detour, output_type="ndarray")
    i, j, v = res["i"].astype(np.int64), res["j"].astype(np.int64), res["v"] * detour
    # sparse_distance_matrix omits coincident points (distance 0): add them back
    zero = to.query_ball_tree(td, r=0.0)
    zi = np.repeat(np.arange(len(zero)), [len(z) for z in zero])
    zj = np.concatenate([np.asarray(z, dtype=np.int64) for z in zero]) if len(zi) else np.array([], np.int64)
    if zi.size:
        present = set(zip(i.tolist(), j.tolist()))
        add = [(a, b) for a, b in zip(zi.tolist(), zj.tolist()) if (a, b) not in present]
        if add:
            ai, aj = np.array(add, dtype=np.int64).T
            i, j, v = np.concatenate([i, ai]), np.concatenate([j, aj]), np.concatenate([v, np.zeros(len(ai))])
    keep = v <= max_distance
    return i[keep], j[keep], v[keep]


def _network(oxy, dxy, max_distance, G, engine):
    if len(oxy) == 0 or len(dxy) == 0 or G.number_of_nodes() == 0:
        return np.array([], int), np.array([], int), np.array([], float)
    nodes, nxy = _node_arrays(G)
    tree = cKDTree(nxy)
    so, on = tree.query(oxy)
    sd, dn = tree.query(dxy)
    uo, o_map = np.unique(on, return_inverse=True)
    ud, d_map = np.unique(dn, return_inverse=True)
    flip = len(ud) < len(uo)  # run shortest paths from the side with fewer distinct nodes
    src, dst = (ud, uo) if flip else (uo, ud)
    sub = np.full((len(src), len(dst)), np.inf)
    if engine == "scipy":
        A = nx.to_scipy_sparse_array(G, nodelist=nodes, weight="length", format="csr")
        chunk = max(1, int(2e7 // max(1, len(nodes))))
        for k in range(0, len(src), chunk):
            D = csgraph.dijkstra(A, directed=False, indices=src[k:k + chunk], limit=max_distance)
            sub[k:k + chunk] = D[:, dst]
    elif engine == "networkx":
        pos = {n: i for i, n in enumerate(nodes)}
        col = {int(n): c for c, n in enumerate(dst)}
        for r, s in enumerate(src):
            for t, dist in nx.single_source_dijkstra_path_length(G, nodes[s], cutoff=max_distance, weight="length").items():
                c = col.get(pos[t])
                if c is not None:
                    sub[r, c] = dist
    else:
        raise ValueError(f"engine must be 'scipy' or 'networkx', not {engine!r}")
    if flip:
        sub = sub.T
    out_i, out_j, out_v = [], [], []
    step = max(1, int(4e6 // max(1, len(dxy))))
    for k in range(0, len(oxy), step):
        D = sub[o_map[k:k + step]][:, d_map] + so[k:k + step, None] + sd[None, :]
        ii, jj = np.nonzero(D <= max_distance)
        out_i.append(ii + k), out_j.append(jj), out_v.append(D[ii, jj])
    return np.concatenate(out_i), np.concatenate(out_j), np.concatenate(out_v)


def _compute_pairs(oxy, dxy, max_distance, method, detour_factor, network, engine):
    """The computation behind :func:`distance_pairs` (separate so tests can see cache hits)."""
    if method == "euclidean":
        return _euclidean(oxy, dxy, max_distance, detour_factor)
    return _network(oxy, dxy, max_distance, network, engine)


def _cache_key(oids, oxy, dids, dxy, max_distance, method, detour_factor, network) -> str:
    h = hashlib.sha256(_CACHE_VERSION.encode())
    for ids, xy in ((oids, oxy), (dids, dxy)):
        h.update("\x1f".join(ids).encode())
        h.update(np.ascontiguousarray(xy, dtype=np.float64).tobytes())
    h.update(f"|{method}|{float(max_distance)!r}".encode())
    if method == "euclidean":
        h.update(f"|{float(detour_factor)!r}".encode())
    else:
        h.update(_graph_fingerprint(network).encode())
    return h.hexdigest()


def _write_npz_atomic(path: Path, **arrays) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez_compressed(fh, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def distance_pairs(
    origins: gpd.GeoDataFrame,
    destinations: gpd.GeoDataFrame,
    max_distance: float,
    method: Literal["euclidean", "network"] = "euclidean",
    detour_factor: float = DEFAULT_DETOUR_FACTOR,
    network: nx.Graph | None = None,
    cache_dir: str | Path | None = None,
    *,
    origin_id: str | None = None,
    destination_id: str | None = None,
    engine: Literal["scipy", "networkx"] = "scipy",
) -> pd.DataFrame:
    """Distances (m) of every origin-destination pair within ``max_distance``.

    Parameters
    ----------
    origins, destinations : GeoDataFrame
        Points (polygons use a representative point) in a projected CRS. Ids come from
        ``origin_id`` / ``destination_id``, else the first of ``zone_id, facility_id, site_id,
        station_id, id`` present, else the index.
    max_distance : float
        Largest distance kept (m), e.g. the largest coverage standard.
    method : {"euclidean", "network"}
        Straight line × ``detour_factor``, or shortest paths over ``network``.
    detour_factor : float
        Only for ``euclidean``; 1.0 gives pure straight-line distances.
    network : networkx.Graph
        Required for ``network``; nodes with ``x``, ``y`` and edges with ``length``.
    cache_dir : path, optional
        Folder for cached results (created if missing).
    engine : {"scipy", "networkx"}
        Shortest-path implementation for ``network`` (same results; scipy is faster).

    Returns
    -------
    DataFrame
        ``origin_id, destination_id, distance_m`` sorted by origin, destination.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> o = gpd.GeoDataFrame({"zone_id": ["a", "b"]}, geometry=[Point(0, 0), Point(1000, 0)], crs="EPSG:6677")
    >>> d = gpd.GeoDataFrame({"site_id": ["s"]}, geometry=[Point(300, 400)], crs="EPSG:6677")
    >>> distance_pairs(o, d, max_distance=1100).round(1).values.tolist()  # 500 m and 806 m x 1.3
    [['a', 's', 650.0], ['b', 's', 1048.1]]
    >>> len(distance_pairs(o, d, max_distance=1000))  # b is 1048 m away: outside
    1
    """
    if max_distance <= 0:
        raise ValueError("max_distance must be > 0")
    if method not in ("euclidean", "network"):
        raise ValueError(f"method must be 'euclidean' or 'network', not {method!r}")
    if method == "euclidean" and detour_factor < 1.0:
        raise ValueError("detour_factor must be >= 1 (road distance is never shorter than the straight line)")
    if method == "network":
        if network is None:
            raise ValueError("method='network' needs network= (see read_street_network)")
        if network.graph.get("crs") and origins.crs is not None and not origins.crs.equals(network.graph["crs"]):
            raise DataValidationError([DataIssue("street network", None, "crs",
                                                 f"network CRS {network.graph['crs']} differs from the points' "
                                                 f"{origins.crs.to_string()}; re-project one of them")])
    oids, oxy = _points(origins, origin_id, "origins")
    dids, dxy = _points(destinations, destination_id, "destinations")
    if origins.crs is not None and destinations.crs is not None and not origins.crs.equals(destinations.crs):
        raise DataValidationError([DataIssue("destinations", None, "crs",
                                             f"CRS {destinations.crs.to_string()} differs from the origins' "
                                             f"{origins.crs.to_string()}; use .to_crs(origins.crs)")])
    path = None
    if cache_dir is not None:
        key = _cache_key(oids, oxy, dids, dxy, max_distance, method, detour_factor, network)
        path = Path(cache_dir) / f"pairs-{key[:32]}.npz"
        if path.exists():
            with np.load(path, allow_pickle=False) as z:
                i, j, v = z["i"], z["j"], z["v"]
            log.debug("distance pairs: cache hit %s", path.name)
            return _frame(oids, dids, i, j, v)
    i, j, v = _compute_pairs(oxy, dxy, float(max_distance), method, float(detour_factor), network, engine)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_npz_atomic(path, i=i.astype(np.int64), j=j.astype(np.int64), v=v.astype(np.float64))
    return _frame(oids, dids, i, j, v)


def _frame(oids, dids, i, j, v) -> pd.DataFrame:
    """The long result, sorted by (origin id, destination id) via integer ranks (fast for millions)."""
    orank = np.empty(len(oids), np.int64)
    orank[np.argsort(oids, kind="stable")] = np.arange(len(oids))
    drank = np.empty(len(dids), np.int64)
    drank[np.argsort(dids, kind="stable")] = np.arange(len(dids))
    order = np.lexsort((drank[j], orank[i]))
    i, j = i[order], j[order]
    return pd.DataFrame({"origin_id": oids[i], "destination_id": dids[j], "distance_m": np.round(v[order], 6)})


# --------------------------------------------------------------------------------------------------
# stations


def _stations(stations: gpd.GeoDataFrame, station_id: str | None, name_column: str):
    sids, sxy = _points(stations, station_id or ("station_id" if "station_id" in stations.columns else None),
                        "stations")
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
    return pd.DataFrame({"id": ids, "nearest_station_id": sids[j], "nearest_station": names[j],
                         "station_distance_m": dist, "station_front": dist <= front_radius})


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
    nearest = station_access(zones.assign(_zid=zids), stations, radius, id_column="_zid",
                             station_id=station_id, name_column=name_column)
    popn = pd.Series(pop, index=nearest["nearest_station_id"].to_numpy()).groupby(level=0).sum()
    return pd.DataFrame({"station_id": sids, "name": names, "zones_within": cnt.astype(int),
                         "population_within": popw, "population_nearest": popn.reindex(sids, fill_value=0.0).to_numpy()})


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
    acc = station_access(facilities, stations, front_radius, id_column="facility_id" if "facility_id" in
                         facilities.columns else None, station_id=station_id, name_column=name_column)
    front = dict(zip(acc["id"], acc["station_front"]))
    fs = pd.DataFrame(facility_services).copy()
    fs["facility_id"] = fs["facility_id"].astype(str)
    unknown = sorted(set(fs["facility_id"]) - set(front))
    if unknown:
        raise DataValidationError([DataIssue("facility_services", None, "facility_id",
                                             f"facilities not in the facilities table: {unknown[:10]}")])
    for c in ("annual_users", "utilisation"):
        fs[c] = pd.to_numeric(fs[c], errors="coerce") if c in fs.columns else np.nan
    fs["capacity"] = pd.to_numeric(fs["capacity"], errors="coerce").fillna(0.0)
    basis = np.where(fs["annual_users"].notna(), "annual_users",
                     np.where(fs["utilisation"].notna(), "used_capacity", "capacity"))
    fs["users"] = np.where(basis == "annual_users", fs["annual_users"],
                           np.where(basis == "used_capacity", fs["capacity"] * fs["utilisation"], fs["capacity"]))
    fs["basis"] = basis
    fs["front"] = fs["facility_id"].map(front).astype(bool)
    g = fs.groupby("service_id", sort=True)
    out = pd.DataFrame({
        "facilities": g["facility_id"].nunique(),
        "station_front_facilities": g.apply(lambda d: d.loc[d["front"], "facility_id"].nunique(), include_groups=False),
        "users": g["users"].sum(),
        "users_station_front": g.apply(lambda d: d.loc[d["front"], "users"].sum(), include_groups=False),
        "capacity": g["capacity"].sum(),
        "capacity_station_front": g.apply(lambda d: d.loc[d["front"], "capacity"].sum(), include_groups=False),
        "users_basis": g["basis"].agg(lambda s: s.value_counts().sort_index().idxmax()),
    })
    out["share_users_station_front"] = out["users_station_front"] / out["users"].where(out["users"] > 0)
    out["share_capacity_station_front"] = out["capacity_station_front"] / out["capacity"].where(out["capacity"] > 0)
    out["target_population"] = np.nan
    out["share_target_population_near_station"] = np.nan
    if zones is not None:
        from .demand import target_population

        services = [s for s in out.index if s in catalogue.services]
        tp = target_population(zones, catalogue, services)
        zacc = station_access(zones, stations, front_radius, station_id=station_id, name_column=name_column)
        tp["near"] = tp["zone_id"].map(dict(zip(zacc["id"], zacc["station_front"]))).astype(bool)
        agg = tp.groupby("service_id").apply(
            lambda d: pd.Series({"t": d["target_population"].sum(),
                                 "n": d.loc[d["near"], "target_population"].sum()}), include_groups=False)
        out.loc[agg.index, "target_population"] = agg["t"]
        out.loc[agg.index, "share_target_population_near_station"] = agg["n"] / agg["t"].where(agg["t"] > 0)
    cols = ["facilities", "station_front_facilities", "users", "users_station_front", "share_users_station_front",
            "share_capacity_station_front", "target_population", "share_target_population_near_station", "users_basis"]
    return out[cols].reset_index()

