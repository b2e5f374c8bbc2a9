"""Distances (euclidean and network), the cache, CRS discipline and station accessibility."""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, MultiLineString, Point

from facility_opt.access import (
    distance_pairs,
    distances,
    read_street_network,
    station_access,
    station_catchments,
    station_summary,
    street_network_from_lines,
)
from facility_opt.errors import DataValidationError

CRS = "EPSG:6677"
STEP = 100.0
NX_, NY_ = 7, 5  # grid nodes


def pts(ids, xy, col="id"):
    return gpd.GeoDataFrame({col: ids}, geometry=[Point(x, y) for x, y in xy], crs=CRS)


def grid_edges(removed=()):
    edges = []
    for i, j in itertools.product(range(NX_), range(NY_)):
        for di, dj in ((1, 0), (0, 1)):
            if i + di < NX_ and j + dj < NY_ and ((i, j), (i + di, j + dj)) not in removed:
                edges.append(((i, j), (i + di, j + dj)))
    return edges


def write_grid(path, removed=()):
    lines = [LineString([(a[0] * STEP, a[1] * STEP), (b[0] * STEP, b[1] * STEP)]) for a, b in grid_edges(removed)]
    gpd.GeoDataFrame({"name": [f"e{k}" for k in range(len(lines))]}, geometry=lines, crs=CRS).to_file(
        path, layer="streets"
    )
    return path


NODES = [(i, j) for i in range(NX_) for j in range(NY_)]


# ------------------------------------------------------------------------------------------ euclidean


def test_euclidean_pairs_match_brute_force():
    rng = np.random.default_rng(0)
    o = rng.uniform(0, 5000, (120, 2))
    d = rng.uniform(0, 5000, (40, 2))
    got = distance_pairs(
        pts([f"o{i:03d}" for i in range(120)], o),
        pts([f"d{j:02d}" for j in range(40)], d),
        max_distance=1500,
        detour_factor=1.3,
    )
    full = np.hypot(o[:, None, 0] - d[None, :, 0], o[:, None, 1] - d[None, :, 1]) * 1.3
    ii, jj = np.nonzero(full <= 1500)
    expect = pd.DataFrame(
        {
            "origin_id": [f"o{i:03d}" for i in ii],
            "destination_id": [f"d{j:02d}" for j in jj],
            "distance_m": full[ii, jj],
        }
    ).sort_values(["origin_id", "destination_id"])
    assert len(got) == len(expect) > 0
    assert got["origin_id"].tolist() == expect["origin_id"].tolist()
    assert got["destination_id"].tolist() == expect["destination_id"].tolist()
    assert got["distance_m"].to_numpy() == pytest.approx(expect["distance_m"].to_numpy(), abs=1e-6)


def test_coincident_points_are_kept_at_zero():
    got = distance_pairs(
        pts(["a"], [(10, 10)]), pts(["s", "t"], [(10, 10), (10, 110)]), max_distance=200, detour_factor=1.0
    )
    assert got.values.tolist() == [["a", "s", 0.0], ["a", "t", 100.0]]


def test_geographic_crs_is_refused_with_the_fix():
    o = gpd.GeoDataFrame({"id": ["a"]}, geometry=[Point(139.65, 35.73)], crs="EPSG:4326")
    with pytest.raises(DataValidationError, match=r'\.to_crs\("EPSG:6677"\)'):
        distance_pairs(o, o, max_distance=100)
    with pytest.raises(DataValidationError, match="has no CRS"):
        distance_pairs(o.set_crs(None, allow_override=True), o, max_distance=100)


# ------------------------------------------------------------------------------------------ network


@pytest.mark.parametrize("engine", ["scipy", "networkx"])
def test_network_distances_on_a_full_grid_are_manhattan(tmp_path, engine):
    G = read_street_network(write_grid(tmp_path / "grid.gpkg"))
    assert (G.number_of_nodes(), G.number_of_edges()) == (NX_ * NY_, len(grid_edges()))
    ids = [f"{i}_{j}" for i, j in NODES]
    xy = [(i * STEP, j * STEP) for i, j in NODES]
    got = distance_pairs(
        pts(ids, xy), pts(ids[::3], xy[::3]), max_distance=450, method="network", network=G, engine=engine
    )
    expect = {
        (a, b): (abs(p[0] - q[0]) + abs(p[1] - q[1]))
        for a, p in zip(ids, xy)
        for b, q in zip(ids[::3], xy[::3])
        if abs(p[0] - q[0]) + abs(p[1] - q[1]) <= 450
    }
    assert dict(zip(zip(got["origin_id"], got["destination_id"]), got["distance_m"])) == pytest.approx(expect)


def test_network_with_barriers_matches_independent_shortest_paths(tmp_path):
    removed = {((2, j), (3, j)) for j in range(NY_ - 1)}  # a wall crossed only at the top row
    G = read_street_network(write_grid(tmp_path / "grid.gpkg", removed))
    H = nx.Graph()  # built independently from the grid definition
    for a, b in grid_edges(removed):
        H.add_edge(a, b, w=STEP)
    ids = [f"{i}_{j}" for i, j in NODES]
    xy = [(i * STEP, j * STEP) for i, j in NODES]
    got = distance_pairs(pts(ids, xy), pts(ids, xy), max_distance=1200, method="network", network=G)
    got = dict(zip(zip(got["origin_id"], got["destination_id"]), got["distance_m"]))
    expect = {}
    for a in NODES:
        for b, dist in nx.single_source_dijkstra_path_length(H, a, weight="w").items():
            if dist <= 1200:
                expect[(f"{a[0]}_{a[1]}", f"{b[0]}_{b[1]}")] = dist
    assert got == pytest.approx(expect)
    assert got[("2_0", "3_0")] == 100 * (1 + 2 * (NY_ - 1))  # around the wall


def test_snap_distances_are_added(tmp_path):
    G = read_street_network(write_grid(tmp_path / "grid.gpkg"))
    got = distance_pairs(
        pts(["o"], [(20, 30)]), pts(["d"], [(300, 190)]), max_distance=2000, method="network", network=G
    )
    # o snaps to (0,0) (36.06 m), d to (300,200) (10 m); path 500 m
    assert got["distance_m"].iloc[0] == pytest.approx(np.hypot(20, 30) + 500 + 10)


def test_lines_merge_at_shared_end_points_within_tolerance():
    lines = gpd.GeoDataFrame(
        geometry=[
            MultiLineString([[(0, 0), (100, 0)], [(100.004, 0), (100, 50), (100, 100)]]),
            LineString([(0, 0), (0, 100)]),
        ],
        crs=CRS,
    )
    G = street_network_from_lines(lines, tolerance=0.01)
    assert G.number_of_nodes() == 5 and nx.is_connected(G)  # 4 end points + the interior vertex (100, 50)
    assert nx.shortest_path_length(G, 0, max(G.nodes), weight="length") == pytest.approx(200, abs=0.01)


def test_lines_meet_at_shared_interior_vertices_but_not_at_bare_crossings():
    # a horizontal street through (50, 0) as an interior vertex; a vertical street ending there: a junction
    # a second vertical street crossing the horizontal one at (80, 0) with no vertex there: a bridge
    lines = gpd.GeoDataFrame(
        geometry=[
            LineString([(0, 0), (50, 0), (100, 0)]),
            LineString([(50, 0), (50, 60)]),
            LineString([(80, -40), (80, 40)]),
        ],
        crs=CRS,
    )
    G = street_network_from_lines(lines)
    node = {(d["x"], d["y"]): n for n, d in G.nodes(data=True)}
    assert nx.shortest_path_length(G, node[(0.0, 0.0)], node[(50.0, 60.0)], weight="length") == pytest.approx(110)
    assert not nx.has_path(G, node[(0.0, 0.0)], node[(80.0, 40.0)])


# ------------------------------------------------------------------------------------------ cache


def test_cache_hit_skips_the_computation(tmp_path, monkeypatch):
    G = read_street_network(write_grid(tmp_path / "grid.gpkg"))
    o, d = pts(["a", "b"], [(0, 0), (300, 100)]), pts(["s"], [(600, 400)])
    first = distance_pairs(o, d, 5000, method="network", network=G, cache_dir=tmp_path / "c")
    assert len(list((tmp_path / "c").glob("*.npz"))) == 1 and not list((tmp_path / "c").glob("*.tmp"))

    def boom(*a, **k):
        raise AssertionError("recomputed")

    monkeypatch.setattr(distances, "_compute_pairs", boom)
    again = distance_pairs(o, d, 5000, method="network", network=G, cache_dir=tmp_path / "c")
    pd.testing.assert_frame_equal(first, again)
    with pytest.raises(AssertionError, match="recomputed"):  # moved point -> new key
        distance_pairs(
            pts(["a", "b"], [(0, 0), (300, 101)]), d, 5000, method="network", network=G, cache_dir=tmp_path / "c"
        )
    with pytest.raises(AssertionError, match="recomputed"):  # changed network file -> new key
        G2 = read_street_network(write_grid(tmp_path / "grid2.gpkg", removed={((0, 0), (1, 0))}))
        distance_pairs(o, d, 5000, method="network", network=G2, cache_dir=tmp_path / "c")


# ------------------------------------------------------------------------------------------ stations


@pytest.fixture
def stations():
    return gpd.GeoDataFrame(
        {"station_id": ["s2", "s1"], "name": ["B", "A"]}, geometry=[Point(2000, 0), Point(0, 0)], crs=CRS
    )


def test_station_access_hand_case(stations):
    f = pts(["f1", "f2", "f3"], [(300, 400), (1200, 0), (1000, 0)], col="facility_id")
    got = station_access(f, stations, front_radius=500)
    assert got.values.tolist() == [
        ["f1", "s1", "A", 500.0, True],
        ["f2", "s2", "B", 800.0, False],
        ["f3", "s1", "A", 1000.0, False],
    ]  # f3: exact tie -> smaller id


def test_station_catchments(stations):
    z = gpd.GeoDataFrame(
        {"zone_id": ["z1", "z2", "z3"], "population": [100, 200, 400]},
        geometry=[Point(100, 0), Point(1000, 10), Point(1500, 0)],
        crs=CRS,
    )
    got = station_catchments(z, stations, radius=800).set_index("station_id")
    assert got.loc["s1", ["zones_within", "population_within", "population_nearest"]].tolist() == [1, 100, 300]
    assert got.loc["s2", ["zones_within", "population_within", "population_nearest"]].tolist() == [1, 400, 400]


def test_station_summary(stations):
    f = pts(["f1", "f2", "f3"], [(100, 0), (1000, 0), (1900, 0)], col="facility_id")
    fs = pd.DataFrame(
        {
            "facility_id": ["f1", "f2", "f3", "f2"],
            "service_id": ["nursery", "nursery", "nursery", "library"],
            "capacity": [100, 50, 80, 10],
            "annual_users": [None, None, None, 1000],
            "utilisation": [0.5, None, 1.0, None],
        }
    )
    z = gpd.GeoDataFrame(
        {
            "zone_id": ["z1", "z2"],
            "population": [100, 300],
            **{f"pop_{g}": [10, 30] for g in ["0_5", "6_11", "12_14", "15_64", "65_74", "75_plus"]},
        },
        geometry=[Point(0, 100), Point(1000, 1000)],
        crs=CRS,
    )
    got = station_summary(f, fs, stations, zones=z).set_index("service_id")
    # nursery users: f1 50 (front), f2 50 (capacity, not front), f3 80 (front) -> 130/180
    assert got.loc["nursery", "share_users_station_front"] == pytest.approx(130 / 180)
    assert got.loc["nursery", "station_front_facilities"] == 2
    assert got.loc["nursery", "share_capacity_station_front"] == pytest.approx(180 / 230)
    assert got.loc["library", "share_users_station_front"] == 0
    assert got.loc["nursery", "share_target_population_near_station"] == pytest.approx(10 / 40)
