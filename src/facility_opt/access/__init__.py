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

Modules: :mod:`.points` (inputs in a metric CRS), :mod:`.network` (street networks), :mod:`.distances`,
:mod:`.stations`.
"""

from __future__ import annotations

from .distances import DEFAULT_DETOUR_FACTOR, distance_pairs
from .network import read_street_network, street_network_from_lines
from .stations import station_access, station_catchments, station_summary

__all__ = [
    "DEFAULT_DETOUR_FACTOR",
    "distance_pairs",
    "read_street_network",
    "street_network_from_lines",
    "station_access",
    "station_catchments",
    "station_summary",
]
