"""Reading and validating a ward folder: every error class names its file, row and field."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from facility_opt import DataValidationError
from facility_opt.loading import read_ward
from facility_opt.schema import METRIC_CRS


def _replace(folder: Path, name: str, old: str, new: str) -> None:
    p = folder / name
    text = p.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in {name}"
    p.write_text(text.replace(old, new), encoding="utf-8")


def _issues(folder: Path) -> list:
    with pytest.raises(DataValidationError) as exc:
        read_ward(folder)
    return exc.value.issues


def _one(folder: Path, file: str, row, field) -> str:
    """The single issue expected at (file, row, field); return its message (also in str(error))."""
    issues = _issues(folder)
    hits = [i for i in issues if Path(i.file).name == file and i.row == row and i.field == field]
    assert hits, f"no issue at {file} row {row} field {field}; got {[str(i) for i in issues]}"
    s = str(hits[0])
    assert file in s and (row is None or f"row {row}" in s) and (field is None or field in s)
    return hits[0].message


def test_valid_tiny_ward_reads_into_metric_geodataframes(tiny_ward_dir):
    ward = read_ward(tiny_ward_dir)
    assert ward.crs == METRIC_CRS
    assert list(ward.zones["zone_id"]) == ["Z1", "Z2", "Z3", "Z4"]
    assert int(ward.zones["population"].sum()) == 5000
    # age groups imputed from the ward shares and marked as imputed
    assert ward.zones.loc[0, "pop_0_5"] == pytest.approx(50.0)
    assert "pop_75_plus" in ward.zones.loc[0, "imputed"].split(";")
    assert isinstance(ward.facilities, gpd.GeoDataFrame)
    assert ward.facilities.set_index("facility_id").loc["F2", "land_tenure"] == "leased"
    assert ward.facilities.set_index("facility_id").loc["F3", "land_tenure"] == "owned"  # blank -> default
    assert ward.stations.set_index("station_id").loc["S1", "lines"] == "Line A;Line B"
    # EPSG:6677 coordinates of Tokyo are in the tens of kilometres
    assert ward.zones.geometry.x.abs().max() < 100_000


def test_round_trip_to_dir_is_identical(tiny_ward_dir, tmp_path):
    ward = read_ward(tiny_ward_dir)
    out = ward.to_dir(tmp_path / "copy")
    again = read_ward(out)
    assert again.fingerprint() == ward.fingerprint()
    for name in ("zones", "facilities", "stations"):
        a, b = getattr(ward, name), getattr(again, name)
        pd.testing.assert_frame_equal(
            pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(b.drop(columns="geometry"))
        )
        assert a.geometry.distance(b.geometry).max() < 0.05  # 7-decimal lat/lon round trip: < 5 cm
    pd.testing.assert_frame_equal(ward.facility_services, again.facility_services)
    assert not list(out.glob(".*.tmp")), "temporary files left behind"


def test_missing_column(tiny_ward_dir):
    _replace(tiny_ward_dir, "facilities.csv", "floor_area_m2,", "floor_area,")
    issues = _issues(tiny_ward_dir)
    fields = {(Path(i.file).name, i.field) for i in issues}
    assert ("facilities.csv", "floor_area_m2") in fields  # the missing one
    assert ("facilities.csv", "floor_area") in fields  # and the unknown one, with the x_ hint
    msg = next(i.message for i in issues if i.field == "floor_area")
    assert "x_floor_area" in msg


def test_extra_column_prefixed_x_is_kept(tiny_ward_dir):
    _replace(tiny_ward_dir, "zones.csv", "area_m2,lat", "area_m2,x_note,lat")
    p = tiny_ward_dir / "zones.csv"
    lines = p.read_text(encoding="utf-8").splitlines()
    lines[1:] = [",".join(line.split(",")[:5] + ["n"] + line.split(",")[5:]) for line in lines[1:]]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ward = read_ward(tiny_ward_dir)
    assert list(ward.zones["x_note"]) == ["n"] * 4


def test_duplicate_id_names_both_rows(tiny_ward_dir):
    _replace(tiny_ward_dir, "zones.csv", "Z4,South-east", "Z2,South-east")
    assert "first used in row 2" in _one(tiny_ward_dir, "zones.csv", 4, "zone_id")


def test_point_outside_ward(tiny_ward_dir):
    _replace(tiny_ward_dir, "facilities.csv", "35.740,139.604", "35.700,139.604")
    msg = _one(tiny_ward_dir, "facilities.csv", 1, "lat/lon")
    assert "outside the ward boundary" in msg and "swapped" not in msg


def test_swapped_lat_lon_is_named(tiny_ward_dir):
    _replace(tiny_ward_dir, "zones.csv", "35.735,139.615", "139.615,35.735")
    issues = _issues(tiny_ward_dir)
    msgs = [str(i) for i in issues if Path(i.file).name == "zones.csv" and i.row == 4]
    assert any("swapped" in m for m in msgs), msgs


def test_negative_and_absurd_floor_area(tiny_ward_dir):
    _replace(tiny_ward_dir, "facilities.csv", "primary_school,6000,", "primary_school,-6000,")
    _replace(tiny_ward_dir, "facilities.csv", "childrens_hall,550,", "childrens_hall,55000000,")
    assert "greater than 0" in _one(tiny_ward_dir, "facilities.csv", 1, "floor_area_m2")
    assert "less than or equal to 300000" in _one(tiny_ward_dir, "facilities.csv", 2, "floor_area_m2")


def test_not_a_number(tiny_ward_dir):
    _replace(tiny_ward_dir, "facilities.csv", ",1975,", ",nineteen,")
    assert "'nineteen'" in _one(tiny_ward_dir, "facilities.csv", 2, "year_built")


def test_unknown_category_and_service(tiny_ward_dir):
    _replace(tiny_ward_dir, "facilities.csv", "childrens_hall,550", "children_hall,550")
    _replace(tiny_ward_dir, "facility_services.csv", "F1,primary_education", "F1,primary_educ")
    assert "unknown category 'children_hall'" in _one(tiny_ward_dir, "facilities.csv", 2, "category")
    assert "unknown service 'primary_educ'" in _one(tiny_ward_dir, "facility_services.csv", 1, "service_id")


def test_unknown_facility_reference(tiny_ward_dir):
    _replace(tiny_ward_dir, "facility_services.csv", "F3,after_school_club", "F9,after_school_club")
    assert "'F9' is not in the facilities file" in _one(tiny_ward_dir, "facility_services.csv", 3, "facility_id")


def test_unknown_crs_in_meta(tiny_ward_dir):
    _replace(tiny_ward_dir, "ward.yaml", "crs: EPSG:6677", "crs: EPSG:999999")
    assert "unknown CRS" in _one(tiny_ward_dir, "ward.yaml", None, "crs")


def test_geographic_crs_refused_as_metric(tiny_ward_dir):
    _replace(tiny_ward_dir, "ward.yaml", "crs: EPSG:6677", "crs: EPSG:4326")
    assert "not a metric" in _one(tiny_ward_dir, "ward.yaml", None, "crs")


@pytest.mark.filterwarnings("ignore:.crs. was not provided")
def test_geopackage_without_crs(tiny_ward_dir):
    ward = read_ward(tiny_ward_dir)
    (tiny_ward_dir / "stations.csv").unlink()
    gdf = ward.stations.set_crs(None, allow_override=True)
    gdf.to_file(tiny_ward_dir / "stations.gpkg", driver="GPKG")
    assert "declares no CRS" in _one(tiny_ward_dir, "stations.gpkg", None, "geometry")


def test_geopackage_with_crs_reads(tiny_ward_dir):
    ward = read_ward(tiny_ward_dir)
    (tiny_ward_dir / "stations.csv").unlink()
    ward.stations.to_crs("EPSG:4326").to_file(tiny_ward_dir / "stations.gpkg", driver="GPKG")
    again = read_ward(tiny_ward_dir)
    assert again.stations.geometry.distance(ward.stations.geometry).max() < 0.01


def test_empty_file(tiny_ward_dir):
    (tiny_ward_dir / "stations.csv").write_text("", encoding="utf-8")
    assert "empty" in _one(tiny_ward_dir, "stations.csv", None, None)


def test_header_only_file(tiny_ward_dir):
    (tiny_ward_dir / "stations.csv").write_text("station_id,name,lines,operators,lat,lon\n", encoding="utf-8")
    assert "no data rows" in _one(tiny_ward_dir, "stations.csv", None, None)


def test_shift_jis_file_is_read(tiny_ward_dir):
    p = tiny_ward_dir / "zones.csv"
    text = p.read_text(encoding="utf-8").replace("North-west", "旭丘１丁目")
    p.write_bytes(text.encode("cp932"))
    ward = read_ward(tiny_ward_dir)
    assert ward.zones.loc[0, "name"] == "旭丘１丁目"


def test_undecodable_file_is_named(tiny_ward_dir):
    p = tiny_ward_dir / "zones.csv"
    p.write_bytes(p.read_bytes() + b"Z5,\x81\x20\x85\x40,1,1,1,35.74,139.61\n")
    assert "UTF-8 or Shift-JIS" in _one(tiny_ward_dir, "zones.csv", None, None)


def test_all_errors_of_all_files_are_collected(tiny_ward_dir):
    _replace(tiny_ward_dir, "zones.csv", "Z1,North-west,1000", "Z1,North-west,-5")
    _replace(tiny_ward_dir, "zones.csv", "Z3,South-west,1500", "Z3,South-west,many")
    _replace(tiny_ward_dir, "facilities.csv", ",1968,", ",1200,")
    issues = _issues(tiny_ward_dir)
    where = {(Path(i.file).name, i.row, i.field) for i in issues}
    assert {
        ("zones.csv", 1, "population"),
        ("zones.csv", 3, "population"),
        ("facilities.csv", 1, "year_built"),
    } <= where


def test_missing_file_and_meta(tiny_ward_dir):
    (tiny_ward_dir / "stations.csv").unlink()
    assert "missing" in _one(tiny_ward_dir, "stations.csv", None, None)
    (tiny_ward_dir / "ward.yaml").unlink()
    assert "ward.yaml" in _one(tiny_ward_dir, "ward.yaml", None, None)


# --------------------------------------------------------------------------------------------
# checks across rows and against ward.yaml (issue #13): each names file, row and field; nothing is written


def _add_column(folder: Path, name: str, after: str, values: list[str]) -> None:
    """Insert column ``name`` after column ``after`` of a tiny-ward CSV, one value per data row."""
    p = folder / name.split(":")[0]
    lines = p.read_text(encoding="utf-8").splitlines()
    at = lines[0].split(",").index(after) + 1
    for i, v in enumerate([name.split(":")[1], *values]):
        cells = lines[i].split(",")
        lines[i] = ",".join(cells[:at] + [v] + cells[at:])
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _cli_writes_nothing(tiny_model: Path, tmp_path: Path, *expected: str) -> None:
    """`facility-opt costs` on the broken ward exits 1 naming the problem and creates no output folder."""
    from typer.testing import CliRunner

    from facility_opt.cli import app

    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["costs", str(tiny_model), "--out", str(out)])
    assert res.exit_code == 1, res.output
    flat = " ".join(res.output.split())
    for e in expected:
        assert e in flat, (e, res.output)
    assert not out.exists()


def test_year_built_after_the_base_year_is_an_error(tiny_ward_dir, tiny_model, tmp_path):
    _replace(tiny_ward_dir, "facilities.csv", ",1975,", ",2090,")
    msg = _one(tiny_ward_dir, "facilities.csv", 2, "year_built")
    assert "2090" in msg and "base year 2018" in msg and "planned" in msg
    _cli_writes_nothing(tiny_model, tmp_path, "facilities.csv", "row 2", "year_built")


def test_a_planned_building_may_be_built_later(tiny_ward_dir):
    _add_column(tiny_ward_dir, "facilities.csv:status", "building_id", ["", "planned", ""])
    _replace(tiny_ward_dir, "facilities.csv", ",1975,", ",2090,")
    ward = read_ward(tiny_ward_dir)
    f = ward.facilities.set_index("facility_id")
    assert (f.loc["F2", "year_built"], f.loc["F2", "status"], f.loc["F1", "status"]) == (2090, "planned", "existing")


def test_age_bands_far_from_the_population_are_an_error(tiny_ward_dir, tiny_model, tmp_path):
    """Zone Z2 (2,000 residents) with age bands summing to 40,000: twenty times its population."""
    bands = "pop_0_5,pop_6_11,pop_12_14,pop_15_64,pop_65_74,pop_75_plus"
    given = ["50,50,30,650,110,110", "2000,2000,1200,26000,4400,4400", "75,75,45,975,165,165", "25,25,15,325,55,55"]
    _add_column(tiny_ward_dir, f"zones.csv:{bands}", "area_m2", given)
    msg = _one(tiny_ward_dir, "zones.csv", 2, "population")
    assert "40,000.00" in msg and "2,000" in msg and "1%" in msg
    assert [i.row for i in _issues(tiny_ward_dir)] == [2]  # the other three zones add up
    _cli_writes_nothing(tiny_model, tmp_path, "zones.csv", "row 2", "population")


def test_a_room_has_no_site_and_fits_in_its_host(tiny_ward_dir):
    _add_column(tiny_ward_dir, "facilities.csv:premises", "building_id", ["building", "building", "room"])
    assert read_ward(tiny_ward_dir).facilities.set_index("facility_id").loc["F3", "premises"] == "room"
    _replace(tiny_ward_dir, "facilities.csv", "after_school_club,90,1990,,", "after_school_club,900,1990,300,")
    issues = _issues(tiny_ward_dir)
    where = {(Path(i.file).name, i.row, i.field) for i in issues}
    assert where == {("facilities.csv", 3, "site_area_m2"), ("facilities.csv", 2, "floor_area_m2")}
    msg = next(i.message for i in issues if i.field == "floor_area_m2")
    assert "F3" in msg and "900.00" in msg and "550.00" in msg


def test_stations_open_and_planned(tiny_ward_dir):
    p = tiny_ward_dir / "stations.csv"
    p.write_text(
        "station_id,name,lines,operators,opening_year,status,imputed,lat,lon\n"
        "S1,Alpha,Line A;Line B,Rail Co,,,,35.7405,139.6100\n"
        "S2,Beta,Line A,Rail Co,2040,planned,lat;lon;opening_year,35.7600,139.6100\n",
        encoding="utf-8",
    )
    ward = read_ward(tiny_ward_dir)
    assert list(ward.open_stations["station_id"]) == ["S1"]
    assert list(ward.stations_open_in(2039)["station_id"]) == ["S1"]
    assert list(ward.stations_open_in(2040)["station_id"]) == ["S1", "S2"]
    again = read_ward(ward.to_dir(tiny_ward_dir.parent / "copy"))
    assert again.fingerprint() == ward.fingerprint()
    p.write_text(p.read_text(encoding="utf-8").replace("2040,planned", "2040,open"), encoding="utf-8")
    assert "set status 'planned'" in _one(tiny_ward_dir, "stations.csv", 2, "opening_year")
    p.write_text(p.read_text(encoding="utf-8").replace("2040,open", ",planned"), encoding="utf-8")
    assert "needs an opening_year" in _one(tiny_ward_dir, "stations.csv", 2, "opening_year")


def test_land_prices_are_optional_and_checked(tiny_ward_dir):
    from facility_opt.land import land_value_at

    assert read_ward(tiny_ward_dir).land_prices.empty
    (tiny_ward_dir / "land_prices.csv").write_text(
        "point_id,address,price_yen_per_m2,survey_year,year_inferred,imputed,lat,lon\n"
        "LP-1,West,300000,2022,true,survey_year,35.740,139.604\n"
        "LP-2,East,500000,2022,false,,35.741,139.616\n",
        encoding="utf-8",
    )
    ward = read_ward(tiny_ward_dir)
    assert list(ward.land_prices["price_yen_per_m2"]) == [300000.0, 500000.0]
    assert list(ward.land_prices["year_inferred"]) == [True, False]
    v = land_value_at(ward.facilities, ward.land_prices)
    assert v.tolist() == [300000.0, 500000.0, 500000.0]
    again = read_ward(ward.to_dir(tiny_ward_dir.parent / "copy"))
    assert again.fingerprint() == ward.fingerprint() and len(again.land_prices) == 2
    _replace(tiny_ward_dir, "land_prices.csv", "500000,2022,false,,35.741,139.616", "-5,2022,false,,35.700,139.616")
    issues = _issues(tiny_ward_dir)
    where = {(Path(i.file).name, i.row, i.field) for i in issues}
    assert where == {("land_prices.csv", 2, "price_yen_per_m2"), ("land_prices.csv", 2, "lat/lon")}
