"""Street networks: a networkx graph from centre-lines (a file or a GeoDataFrame), and its fingerprint."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from ..crs import require_metric_crs
from ..errors import DataIssue, DataValidationError

log = logging.getLogger(__name__)


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
    log.debug(
        "street network: %d nodes, %d edges from %d line parts", G.number_of_nodes(), G.number_of_edges(), len(parts)
    )
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
        raise DataValidationError(
            [
                DataIssue(
                    "street network", None, "x/y", "graph nodes need 'x' and 'y' attributes (use read_street_network)"
                )
            ]
        ) from exc
    return nodes, xy
