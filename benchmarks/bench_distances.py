"""Benchmark: distance pairs for the Nerima zones and a synthetic case 10x larger.

Run from the repository root:  python benchmarks/bench_distances.py
Needs ../shared/data/nerima (census points, school / nursery / children's-hall CSVs).
Writes benchmarks/results/distances.json and prints a table. Times are wall-clock seconds (best of 3
for the fast ones); the machine is shared, so read them as orders of magnitude.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from facility_opt.access import distance_pairs, street_network_from_lines
from facility_opt.catalogue import default_catalogue
from facility_opt.schema import METRIC_CRS

ROOT = Path(__file__).resolve().parents[1]
# ../shared beside the main checkout; worktrees sit one level deeper (FACILITY_OPT_SHARED overrides)
_SHARED = [Path(os.environ["FACILITY_OPT_SHARED"])] if "FACILITY_OPT_SHARED" in os.environ else []
NERIMA = next(
    (
        p / "data" / "nerima"
        for p in [*_SHARED, ROOT / ".." / "shared", ROOT / ".." / ".." / "shared"]
        if (p / "data" / "nerima").is_dir()
    ),
    ROOT / ".." / "shared" / "data" / "nerima",
)


def load_points():
    z = pd.read_csv(NERIMA / "nerima_chome_2015_census_points.csv", dtype={"key_code": str})
    zones = gpd.GeoDataFrame(
        {"zone_id": z["key_code"]}, geometry=gpd.points_from_xy(z["rep_lon"], z["rep_lat"]), crs="EPSG:4326"
    ).to_crs(METRIC_CRS)
    frames = []
    for f in [
        "nerima_opendata_2018_36_kuritsushougakkou.csv",
        "nerima_opendata_2018_37_kuritsuchuugakkou.csv",
        "nerima_opendata_2018_kuritsuhoikuen.csv",
        "nerima_opendata_2018_33_jidoukan.csv",
    ]:
        d = pd.read_csv(NERIMA / f)
        frames.append(
            pd.DataFrame(
                {"site_id": f.split("_")[-1].removesuffix(".csv") + ":" + d["名称"], "lon": d["経度"], "lat": d["緯度"]}
            )
        )
    s = pd.concat(frames, ignore_index=True).drop_duplicates("site_id")
    sites = gpd.GeoDataFrame(
        {"site_id": s["site_id"]}, geometry=gpd.points_from_xy(s["lon"], s["lat"]), crs="EPSG:4326"
    ).to_crs(METRIC_CRS)
    return zones, sites


def grid_lines(bounds, spacing):
    """A synthetic street grid (one LineString per block side) covering bounds."""
    x0, y0, x1, y1 = bounds
    xs = np.arange(x0, x1 + spacing, spacing)
    ys = np.arange(y0, y1 + spacing, spacing)
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    h = np.stack([X[:-1, :].ravel(), Y[:-1, :].ravel(), X[1:, :].ravel(), Y[1:, :].ravel()], axis=1)
    v = np.stack([X[:, :-1].ravel(), Y[:, :-1].ravel(), X[:, 1:].ravel(), Y[:, 1:].ravel()], axis=1)
    seg = np.vstack([h, v])
    lines = shapely.linestrings(seg.reshape(-1, 2, 2))
    return gpd.GeoDataFrame(geometry=lines, crs=METRIC_CRS)


def jitter(gdf, n, rng, id_col, prefix, sigma):
    """n points near random members of gdf (a synthetic, denser ward)."""
    base = shapely.get_coordinates(gdf.geometry.to_numpy())
    pick = rng.integers(0, len(base), n)
    xy = base[pick] + rng.normal(0, sigma, (n, 2))
    return gpd.GeoDataFrame(
        {id_col: [f"{prefix}{i:05d}" for i in range(n)]},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=METRIC_CRS,
    )


def timed(fn, repeat=1):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def run_case(name, zones, sites, spacing, max_d, nx_too):
    b = np.array(pd.concat([zones.geometry, sites.geometry]).total_bounds) + [-500, -500, 500, 500]
    t_build, G = timed(lambda: street_network_from_lines(grid_lines(b, spacing)))
    rows = []
    t, pairs = timed(lambda: distance_pairs(zones, sites, max_d), repeat=3)
    rows.append(dict(case=name, method="euclidean x1.3", engine="cKDTree", seconds=t, pairs=len(pairs)))
    t, pairs = timed(lambda: distance_pairs(zones, sites, max_d, method="network", network=G), repeat=1)
    rows.append(dict(case=name, method="network", engine="scipy csgraph", seconds=t, pairs=len(pairs)))
    if nx_too:
        t, p2 = timed(lambda: distance_pairs(zones, sites, max_d, method="network", network=G, engine="networkx"))
        assert np.allclose(p2["distance_m"], pairs["distance_m"])
        rows.append(dict(case=name, method="network", engine="networkx", seconds=t, pairs=len(p2)))
    cache = Path(tempfile.mkdtemp(prefix="fo-bench-"))
    try:
        distance_pairs(zones, sites, max_d, method="network", network=G, cache_dir=cache)
        t, _ = timed(lambda: distance_pairs(zones, sites, max_d, method="network", network=G, cache_dir=cache), 3)
        rows.append(dict(case=name, method="network", engine="cache hit", seconds=t, pairs=len(pairs)))
    finally:
        shutil.rmtree(cache)
    info = dict(
        case=name,
        zones=len(zones),
        sites=len(sites),
        grid_spacing_m=spacing,
        nodes=G.number_of_nodes(),
        edges=G.number_of_edges(),
        max_distance_m=max_d,
        network_build_seconds=round(t_build, 3),
    )
    return info, rows


def main():
    rng = np.random.default_rng(42)
    zones, sites = load_points()
    max_d = max(s.coverage_m for s in default_catalogue().services.values() if s.coverage_m)
    cases = []
    rows = []
    info, r = run_case("nerima", zones, sites, 100.0, max_d, nx_too=True)
    cases.append(info), rows.extend(r)
    big_z = jitter(zones, 10 * len(zones), rng, "zone_id", "z", 150)
    big_s = jitter(sites, 10 * len(sites), rng, "site_id", "s", 150)
    info, r = run_case("synthetic_10x", big_z, big_s, 50.0, max_d, nx_too=False)
    cases.append(info), rows.extend(r)
    out = dict(
        machine=dict(python=platform.python_version(), cpus=os.cpu_count()),
        cases=cases,
        timings=[{**x, "seconds": round(x["seconds"], 4)} for x in rows],
    )
    dest = ROOT / "benchmarks" / "results" / "distances.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(out, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, dest)
    for c in cases:
        print(
            f"{c['case']}: {c['zones']} zones x {c['sites']} sites, grid {c['grid_spacing_m']:.0f} m "
            f"({c['nodes']} nodes, {c['edges']} edges, built in {c['network_build_seconds']} s), "
            f"max {c['max_distance_m']:.0f} m"
        )
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print(f"wrote {dest.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
