"""Shared fixtures: a tiny hand-made ward folder, and the switch for slow tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def pytest_collection_modifyitems(config, items):
    """Skip @pytest.mark.slow unless FACILITY_OPT_SLOW=1 or the run selects markers itself (-m)."""
    if os.environ.get("FACILITY_OPT_SLOW") == "1" or config.getoption("-m"):
        return
    skip = pytest.mark.skip(reason="slow: run with FACILITY_OPT_SLOW=1 or -m slow (benchmarks cover it)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def shared_dir() -> Path:
    """``../shared`` beside the repository (benchmarks, raw Nerima data); skip when absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside the repository")
    return SHARED


@pytest.fixture(scope="session")
def postgis_cluster():
    """A PostgreSQL + PostGIS server the tests start themselves (see tests/system_tools.py)."""
    import system_tools

    bindir = system_tools.postgres_bindir()
    system_tools.require(
        "PostgreSQL with PostGIS (Debian packages postgresql and postgresql-NN-postgis-3)", bindir is not None
    )
    cluster = system_tools.Cluster(bindir).start()
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(postgis_cluster) -> str:
    """A new, empty database with PostGIS: its postgresql:// URL."""
    return postgis_cluster.database()


TINY_WARD = {
    "ward.yaml": """\
name: Tiny
name_ja: 極小区
base_year: 2018
population_year: 2015
crs: EPSG:6677
csv_crs: EPSG:4326
age_shares: {"0_5": 0.05, "6_11": 0.05, "12_14": 0.03, "15_64": 0.65, "65_74": 0.11, "75_plus": 0.11}
sources: [hand-made test ward]
""",
    "boundary.geojson": """\
{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon",
"coordinates": [[[139.60, 35.73], [139.62, 35.73], [139.62, 35.75], [139.60, 35.75], [139.60, 35.73]]]}}]}
""",
    "zones.csv": """\
zone_id,name,population,households,area_m2,lat,lon
Z1,North-west,1000,500,250000,35.745,139.605
Z2,North-east,2000,900,250000,35.745,139.615
Z3,South-west,1500,700,250000,35.735,139.605
Z4,South-east,500,200,250000,35.735,139.615
""",
    "facilities.csv": """\
facility_id,name,category,floor_area_m2,year_built,site_area_m2,land_tenure,operating_cost_yen,annual_users,address,building_id,imputed,lat,lon
F1,West school,primary_school,6000,1968,12000,owned,150000000,,West 1,F1,,35.740,139.604
F2,East hall,childrens_hall,550,1975,900,leased,40000000,30000,East 2,F2,year_built,35.741,139.616
F3,East club,after_school_club,90,1990,,,,,East 2,F2,,35.741,139.616
""",
    "facility_services.csv": """\
facility_id,service_id,capacity,floor_area_m2,annual_users,utilisation,imputed
F1,primary_education,500,,,,
F2,childrens_hall,60,,30000,0.5,
F3,after_school_club,40,66,,,capacity
""",
    "stations.csv": """\
station_id,name,lines,operators,lat,lon
S1,Alpha,Line A;Line B,Rail Co,35.7405,139.6100
S2,Beta,Line A,Rail Co,35.7600,139.6100
""",
}


@pytest.fixture
def tiny_ward_dir(tmp_path: Path) -> Path:
    """A valid 4-zone, 3-facility, 2-station ward folder; tests break one file at a time."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    for name, text in TINY_WARD.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


TINY_MODEL = """\
name: tiny
data: {data}
catalogue: {catalogue}
horizon: {{start_year: 2019, years: 30}}
portfolio:
  services: [primary_education, childrens_hall, after_school_club]
  land_value_yen_per_m2: 300000
  fixed_yen_per_building_year: 3000000
  building_operating_yen_per_m2_year: 8000
  candidates: {{stations: false}}
  lock_open_categories: [primary_school]
"""


@pytest.fixture
def tiny_model(tiny_ward_dir, tmp_path) -> Path:
    """A planning model for the tiny ward (schools, halls, clubs; no candidate sites)."""
    from facility_opt.resources import models_dir

    p = tmp_path / "tiny.yaml"
    p.write_text(TINY_MODEL.format(data=tiny_ward_dir, catalogue=models_dir() / "catalogue.yaml"))
    return p
