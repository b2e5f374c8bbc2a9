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
    hh = zones["households"].astype(int)
    assert pop.sum() == 721_722
    meta = yaml.safe_load((built / "ward.yaml").read_text(encoding="utf-8"))
    shares = meta["age_shares"]
    band = {g: zones[f"pop_{g}"].astype(float) for g in AGE_GROUPS}
    by_age = sum(band.values())
    assert (by_age - pop).abs().max() < 0.05  # rounding of six parts; the calibration is exact
    # ward totals by band = census population x the register's shares (rounding of 202 zones only)
    for g in AGE_GROUPS:
        assert band[g].sum() == pytest.approx(721_722 * shares[g], abs=202 * 0.005)
    # children follow the residents beyond the first of each household; adults share the rest
    children = band["0_5"] + band["6_11"] + band["12_14"]
    beyond = (pop - hh).astype(float)
    per_extra = children[beyond > 0] / beyond[beyond > 0]
    assert per_extra.max() - per_extra.min() < 0.01 and per_extra.mean() == pytest.approx(0.2329, abs=1e-3)
    assert children[beyond == 0].max() == 0.0
    share = children / pop.clip(lower=1)
    assert share.min() == 0.0 and round(share[pop > 1000].min(), 3) == 0.085 and round(share.max(), 3) == 0.227
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


REAL_YEARS = {"PS-002": 1958, "PS-011": 1969, "PS-018": 1970, "PS-042": 2004}  # 小竹小, 開進第二小, 開進第一小, 光和小


def test_every_imputed_field_is_listed(built):
    """Real: nursery capacity, 中村小's pupils, four schools' years; the source fields. All else is listed."""
    fac = _csv(built, "facilities.csv").set_index("facility_id")
    for fid, r in fac.iterrows():
        imputed = set(r["imputed"].split(";"))
        filled = {
            c
            for c in (
                "floor_area_m2",
                "year_built",
                "site_area_m2",
                "operating_cost_yen",
                "annual_users",
                "land_tenure",
            )
            if r[c] != ""
        }
        real = {"year_built"} if r["building_id"] in REAL_YEARS else set()  # rooms share their host's year
        assert imputed == filled - real, fid
    assert {fid: int(fac.loc[fid, "year_built"]) for fid in REAL_YEARS} == REAL_YEARS
    svc = _csv(built, "facility_services.csv").merge(fac[["category", "name"]].reset_index(), on="facility_id")
    for _, r in svc.iterrows():
        real_cap = r["category"] == "nursery" or r["name"] == "中村小学校"
        expected = {"floor_area_m2", "annual_users"} | (set() if real_cap else {"capacity"})
        assert set(r["imputed"].split(";")) == expected, r["facility_id"]
        assert r["utilisation"] == ""
    assert svc.set_index("name").loc["中村小学校", "capacity"] == "922"


def test_floor_areas_match_the_2013_stock_by_size_class(built):
    """Own parts add up to the 2013 stock per type; a host's floor also holds the rooms the table counts elsewhere."""
    fac = _csv(built, "facilities.csv")
    fac["a"] = fac["floor_area_m2"].astype(float)
    stock = _csv(built, "stock_2013.csv").set_index("category")
    member = fac["building_id"] != fac["facility_id"]
    attached = fac["name"].str.contains("児童館|地区区民館|厚生文化会館") & (fac["category"] == "after_school_club")
    added = fac[member & ~attached].groupby("building_id")["a"].sum()
    fac["own_part"] = fac["a"] - fac["facility_id"].map(added).fillna(0.0)
    part = fac.groupby("category")["own_part"]
    for cat in ("primary_school", "junior_high_school", "childrens_hall", "nursery"):
        assert part.sum()[cat] == pytest.approx(int(stock.loc[cat, "total_floor_area_m2"]), abs=0.5), cat
    assert part.sum()["kindergarten"] == pytest.approx(3 * 5_225 / 5, abs=0.05)  # 2013: 5 kindergartens, 2018: 3
    clubs = fac[fac["category"] == "after_school_club"]
    standalone = clubs[~attached[clubs.index]]
    assert len(standalone) == 63 and standalone["a"].round(2).eq(132.10).all()
    assert standalone["a"].sum() == pytest.approx(8_322, abs=0.5)
    assert clubs.loc[attached[clubs.index], "a"].eq(66.0).all() and attached.sum() == 29
    # size classes: no two schools alike; 中村小 (922 pupils in 2016, the ward's largest) is the largest primary
    ps = fac[fac["category"] == "primary_school"].set_index("name")["own_part"]
    assert ps.nunique() == 65 and ps.idxmax() == "中村小学校"
    assert (round(ps.min()), round(ps.max())) == (4536, 8464)


def test_premises_rules(built):
    fac = _csv(built, "facilities.csv").set_index("facility_id")
    assert fac["premises"].value_counts().to_dict() == {"building": 162, "room": 90, "housing_unit": 19}
    assert set(fac["status"]) == {"existing"}
    p = fac["premises"]
    assert p["NU-029"] == "housing_unit" and fac.loc["NU-029", "address"] == "練馬区光が丘3-3-2-101"
    assert p["ASC-001"] == "room" and fac.loc["ASC-001", "building_id"] == "PS-003"  # club in a school
    assert p["ASC-077"] == "room" and fac.loc["ASC-077", "building_id"] == "ASC-077"  # in a 地区区民館 (not in data)
    assert p["NU-006"] == "room" and fac.loc["ASC-078", "building_id"] == "NU-006"  # nursery + club in 桜台地区区民館
    assert p["CH-007"] == "room"  # 光が丘なかよし児童館 in 光が丘区民センター
    assert p["NU-001"] == "room" and fac.loc["NU-001", "building_id"] == "CH-001"
    assert (fac.loc[p != "building", "site_area_m2"] == "").all()
    assert (fac.loc[p == "building", "site_area_m2"] != "").all()
    # the rooms inside a host of the data fit in its floor
    a = fac["floor_area_m2"].astype(float)
    hosted = fac[(fac["building_id"] != fac.index) & (fac["building_id"].map(p) != "room")]
    for host, rooms in hosted.groupby("building_id"):
        assert a[rooms.index].sum() <= a[host], host


def test_years_follow_development_not_ids(built):
    fac = _csv(built, "facilities.csv").set_index("facility_id")
    year = fac["year_built"].astype(int)
    own = fac["building_id"] == fac.index
    assert year.max() <= 2018
    new_town = own & (fac["address"].str.contains("光が丘") | fac["name"].str.startswith("光が丘"))
    assert year[new_town].between(1983, 1990).all() and new_town.sum() == 31
    for cat, grp in fac[own & ~new_town & ~fac.index.isin(list(REAL_YEARS))].groupby("category"):
        y = year[grp.index]
        assert len(y) == 1 or not y.is_monotonic_increasing, cat  # not in id order
    # no two own buildings of a category alike in floor area and year (the "identical buildings" artefact)
    key = fac[own].assign(y=year).groupby(["category", "floor_area_m2", "y"]).size()
    assert key[key > 1].index.get_level_values(0).unique().tolist() == ["after_school_club"]


def test_land_prices(built):
    lp = _csv(built, "land_prices.csv")
    assert len(lp) == 49 and list(lp["point_id"]) == [f"LP-{i:03d}" for i in range(1, 50)]
    price = lp["price_yen_per_m2"].astype(int)
    assert (price.min(), int(price.median()), price.max()) == (236_000, 430_000, 1_470_000)
    assert set(lp["survey_year"]) == {"2022"} and set(lp["year_inferred"]) == {"true"}
    assert set(lp["imputed"]) == {"survey_year"}
    pts = gpd.GeoSeries(gpd.points_from_xy(lp["lon"].astype(float), lp["lat"].astype(float)), crs="EPSG:4326")
    ward = gpd.read_file(built / "boundary.geojson").to_crs(METRIC_CRS).geometry.union_all()
    assert pts.to_crs(METRIC_CRS).within(ward).all()
    meta = yaml.safe_load((built / "ward.yaml").read_text(encoding="utf-8"))
    assert any("都道府県地価調査データ" in s and "inferred" in s for s in meta["sources"])


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
    open_ = st[st["status"] == "open"]
    assert len(open_) == 55 and list(open_["name"]) == sorted(open_["name"]) and set(open_["opening_year"]) == {""}
    planned = st[st["status"] == "planned"].set_index("station_id")
    assert planned["name"].to_dict() == {
        "ST-056": "土支田(仮称)",
        "ST-057": "大泉町(仮称)",
        "ST-058": "大泉学園町(仮称)",
    }
    assert set(planned["opening_year"]) == {"2040"} and set(planned["imputed"]) == {"lat;lon;opening_year"}
    assert planned["lines"].eq(st.set_index("name").loc["光が丘", "lines"]).all()
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
