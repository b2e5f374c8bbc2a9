"""Zone-to-site distances within a maximum (straight line × detour, or over a street network), cached
under a key hashing every input."""

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
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from ..errors import DataIssue, DataValidationError
from .network import _graph_fingerprint, _node_arrays
from .points import _points

log = logging.getLogger(__name__)

#: Road distance / straight-line distance assumed when no street network is given (assumption; 1.2-1.4
#: is the range used in Japanese planning practice).
DEFAULT_DETOUR_FACTOR = 1.3
_CACHE_VERSION = "distance_pairs/1"


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
            D = csgraph.dijkstra(A, directed=False, indices=src[k : k + chunk], limit=max_distance)
            sub[k : k + chunk] = D[:, dst]
    elif engine == "networkx":
        pos = {n: i for i, n in enumerate(nodes)}
        col = {int(n): c for c, n in enumerate(dst)}
        for r, s in enumerate(src):
            for t, dist in nx.single_source_dijkstra_path_length(
                G, nodes[s], cutoff=max_distance, weight="length"
            ).items():
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
        D = sub[o_map[k : k + step]][:, d_map] + so[k : k + step, None] + sd[None, :]
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
            raise DataValidationError(
                [
                    DataIssue(
                        "street network",
                        None,
                        "crs",
                        f"network CRS {network.graph['crs']} differs from the points' "
                        f"{origins.crs.to_string()}; re-project one of them",
                    )
                ]
            )
    oids, oxy = _points(origins, origin_id, "origins")
    dids, dxy = _points(destinations, destination_id, "destinations")
    if origins.crs is not None and destinations.crs is not None and not origins.crs.equals(destinations.crs):
        raise DataValidationError(
            [
                DataIssue(
                    "destinations",
                    None,
                    "crs",
                    f"CRS {destinations.crs.to_string()} differs from the origins' "
                    f"{origins.crs.to_string()}; use .to_crs(origins.crs)",
                )
            ]
        )
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
