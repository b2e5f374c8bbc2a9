"""The embedded Nerima dataset (geodata/nerima/) is exactly what geodata/build_nerima.py makes, and is sound.

The build runs once per session into a temporary folder (about 1 s); every file committed in
geodata/nerima/ must be byte-identical to the fresh build, so the checks below on the fresh build
are checks on the shipped data.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import shutil
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import yaml

from facility_opt.schema import (
    AGE_GROUPS,
    METRIC_CRS,
    FacilityRecord,
    FacilityServiceRecord,
    StationRecord,
    WardMeta,
    ZoneRecord,
)

REPO = Path(__file__).resolve().parents[1]
NERIMA = REPO / "geodata" / "nerima"
SCRIPT = REPO / "geodata" / "build_nerima.py"
EXPECTED = {
    "primary_school": 65,
    "junior_high_school": 34,
    "childrens_hall": 17,
    "after_school_club": 92,
    "kindergarten": 3,
    "nursery": 60,
}


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_nerima", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_nerima"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def builder():
    return _load_builder()


@pytest.fixture(scope="module")
def built(builder, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("nerima")
    builder.build(NERIMA / "raw", out)
    return out


def _csv(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# --------------------------------------------------------------------------------------------
def test_committed_files_are_byte_identical_to_a_fresh_build(builder, built):
    for name in builder.OUTPUT_FILES:
        assert (NERIMA / name).read_bytes() == (built / name).read_bytes(), (
            f"geodata/nerima/{name} differs from a fresh build: run `python geodata/build_nerima.py` and commit"
        )


def test_build_is_deterministic(builder, built, tmp_path):
    builder.build(NERIMA / "raw", tmp_path)
    for name in builder.OUTPUT_FILES:
        assert (tmp_path / name).read_bytes() == (built / name).read_bytes(), name


def test_build_reads_only_its_raw_folder(builder, tmp_path):
    """A copy of raw/ elsewhere builds the same dataset (nothing is read from ../shared)."""
    raw = tmp_path / "raw"
    shutil.copytree(NERIMA / "raw", raw)
    builder.build(raw, tmp_path / "out")
    assert (tmp_path / "out" / "facilities.csv").read_bytes() == (NERIMA / "facilities.csv").read_bytes()


def test_build_fails_loudly_when_a_facility_lies_outside_the_ward(builder, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(NERIMA / "raw", raw)
    f = raw / "nerima_opendata_2018_33_jidoukan.csv"
    text = f.read_text(encoding="utf-8").replace("35.7394713,139.6710343", "35.6812,139.7671")  # Tokyo station
    f.write_text(text, encoding="utf-8")
    with pytest.raises(builder.BuildError, match="CH-001 栄町児童館.*outside the ward boundary"):
        builder.build(raw, tmp_path / "out")


# --------------------------------------------------------------------------------------------
def test_zones_count_population_and_age_split(built):
    zones = _csv(built, "zones.csv")
    assert len(zones) == 202
    assert zones["zone_id"].is_unique and list(zones["zone_id"]) == sorted(zones["zone_id"])
    pop = zones["population"].astype(int)
    assert pop.sum() == 721_722
    meta = yaml.safe_load((built / "ward.yaml").read_text(encoding="utf-8"))
    shares = meta["age_shares"]
    for g in AGE_GROUPS:
        expected = (pop * shares[g]).round(2)
        assert (zones[f"pop_{g}"].astype(float) - expected).abs().max() < 0.0051
    by_age = sum(zones[f"pop_{g}"].astype(float) for g in AGE_GROUPS)
    assert (by_age - pop).abs().max() < 0.05  # rounding of six parts; shares sum to 1 within 1e-6
    assert set(zones["imputed"]) == {";".join(sorted(f"pop_{g}" for g in AGE_GROUPS))}


def test_age_shares_come_from_the_2015_resident_register(built):
    meta = WardMeta.model_validate(yaml.safe_load((built / "ward.yaml").read_text(encoding="utf-8")))
    s = meta.age_shares
    total = 714_656
    assert s["0_5"] + s["6_11"] + s["12_14"] == pytest.approx(88_479 / total, abs=3e-6)
    assert s["15_64"] == pytest.approx(473_733 / total, abs=1e-6)
    assert s["65_74"] == pytest.approx(76_330 / total, abs=1e-6)
    assert s["75_plus"] == pytest.approx(76_114 / total, abs=1e-6)
    assert (meta.base_year, meta.population_year, meta.crs) == (2018, 2015, METRIC_CRS)


def test_facility_counts_ids_and_services(built):
    fac = _csv(built, "facilities.csv")
    assert fac["category"].value_counts().to_dict() == EXPECTED
    assert len(fac) == 271 and fac["facility_id"].is_unique
    assert list(fac["facility_id"]) == sorted(fac["facility_id"])
    # ids: prefix + row number in the source file; clubs: 63 stand-alone first, then 29 in other buildings
    assert fac.set_index("facility_id").loc["PS-001", "name"] == "旭丘小学校"
    assert fac.set_index("facility_id").loc["ASC-063", "name"] == "光が丘第八小学童クラブ"
    assert fac.set_index("facility_id").loc["ASC-064", "name"] == "栄町児童館学童クラブ"
    svc = _csv(built, "facility_services.csv")
    main = {
        "primary_school": "primary_education",
        "junior_high_school": "junior_high_education",
        "childrens_hall": "childrens_hall",
        "after_school_club": "after_school_club",
        "kindergarten": "kindergarten",
        "nursery": "nursery",
    }
    merged = svc.merge(fac[["facility_id", "category"]], on="facility_id", how="outer", validate="one_to_one")
    assert (merged["service_id"] == merged["category"].map(main)).all()


def test_all_facilities_inside_the_ward_boundary(built):
    fac = _csv(built, "facilities.csv")
    pts = gpd.GeoSeries(gpd.points_from_xy(fac["lon"].astype(float), fac["lat"].astype(float)), crs="EPSG:4326")
    ward = gpd.read_file(built / "boundary.geojson").to_crs(METRIC_CRS).geometry.union_all()
    outside = fac.loc[~pts.to_crs(METRIC_CRS).within(ward).to_numpy(), "facility_id"].tolist()
    assert outside == []


def test_rows_validate_against_the_schema(built):
    geo = {"lat", "lon"}
    for name, model in [
        ("zones.csv", ZoneRecord),
        ("facilities.csv", FacilityRecord),
        ("facility_services.csv", FacilityServiceRecord),
        ("stations.csv", StationRecord),
    ]:
        for row in _rows(built, name):
            model.model_validate({k: v for k, v in row.items() if k not in geo})


def test_every_imputed_field_is_listed(built):
    """Only nursery capacity and the source fields (name, address, location) are real; all else is listed."""
    fac = _csv(built, "facilities.csv").set_index("facility_id")
    for fid, r in fac.iterrows():
        imputed = set(r["imputed"].split(";"))
        filled = {c for c in ("floor_area_m2", "year_built", "site_area_m2", "operating_cost_yen", "annual_users",
                              "land_tenure") if r[c] != ""}
        assert imputed == filled, fid
    svc = _csv(built, "facility_services.csv").merge(fac["category"].reset_index(), on="facility_id")
    for _, r in svc.iterrows():
        expected = {"floor_area_m2", "annual_users"} | ({"capacity"} if r["category"] != "nursery" else set())
        assert set(r["imputed"].split(";")) == expected, r["facility_id"]
        assert r["utilisation"] == ""


def test_floor_areas_reproduce_the_2013_stock_per_facility(built):
    fac = _csv(built, "facilities.csv")
    stock = _csv(built, "stock_2013.csv").set_index("category")
    area = fac.assign(a=fac["floor_area_m2"].astype(float)).groupby("category")["a"]
    for cat in ("primary_school", "junior_high_school", "childrens_hall", "after_school_club"):
        per = int(stock.loc[cat, "total_floor_area_m2"]) / int(stock.loc[cat, "count"])
        assert area.max()[cat] == area.min()[cat] == pytest.approx(per, abs=0.005)
    # nurseries: the 保育園 total split by real capacity; 60 nurseries then and now
    assert area.sum()["nursery"] == pytest.approx(int(stock.loc["nursery", "total_floor_area_m2"]), abs=0.5)


def test_nursery_capacities_are_the_real_capall(built):
    with open(NERIMA / "raw" / "nerima_nursery_2018_code4nerima.geojson", encoding="utf-8") as fh:
        capall = {f["properties"]["Name"]: f["properties"]["Capall"] for f in json.load(fh)["features"]}
    fac = _csv(built, "facilities.csv")
    svc = _csv(built, "facility_services.csv").merge(fac[["facility_id", "name", "category"]], on="facility_id")
    nu = svc[svc["category"] == "nursery"]
    assert len(nu) == 60
    assert all(int(r["capacity"]) == capall[r["name"]] for _, r in nu.iterrows())
    assert nu["capacity"].astype(int).sum() == 6676


def test_building_ids_reference_existing_facilities_and_share_addresses(built, builder):
    fac = _csv(built, "facilities.csv")
    ids = set(fac["facility_id"])
    assert fac["building_id"].ne("").all() and set(fac["building_id"]) <= ids
    host = fac.set_index("facility_id")
    for _, r in fac[fac["building_id"] != fac["facility_id"]].iterrows():
        h = host.loc[r["building_id"]]
        assert h["building_id"] == r["building_id"]  # the host is its own building
        assert builder.normalise_address(h["address"]) == builder.normalise_address(r["address"])
        assert r["year_built"] == h["year_built"] and r["site_area_m2"] == ""
    # a club in a school, a nursery and a club in a children's hall
    assert host.loc["ASC-001", "building_id"] == "PS-003"
    assert host.loc["NU-001", "building_id"] == host.loc["ASC-064", "building_id"] == "CH-001"


def test_stations_unique_by_name_with_merged_lines(built):
    st = _csv(built, "stations.csv")
    assert st["name"].is_unique and st["station_id"].is_unique
    assert list(st["name"]) == sorted(st["name"])
    nakano = st.set_index("name").loc["中野"]
    assert nakano["lines"] == "5号線東西線;中央線"
    assert float(nakano["lat"]) == pytest.approx((35.70574 + 35.705955 + 35.70574 + 35.705555) / 4, abs=1e-6)
    nerima = st.set_index("name").loc["練馬"]
    assert nerima["operators"] == "東京都;西武鉄道"
    assert nerima["lines"] == "12号線大江戸線;池袋線;西武有楽町線;豊島線"


def test_stock_table_maps_to_catalogue_categories(built):
    stock = _csv(built, "stock_2013.csv")
    catalogue = yaml.safe_load((REPO / "models" / "catalogue.yaml").read_text(encoding="utf-8"))
    assert len(stock) == 16 and stock["category"].is_unique
    assert set(stock["category"]) <= set(catalogue["categories"])
    assert stock["count"].astype(int).sum() == 674
    assert stock["total_floor_area_m2"].astype(int).sum() == 1_182_130  # table total says 1,182,129 (source)
