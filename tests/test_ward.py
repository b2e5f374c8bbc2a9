"""The embedded Nerima ward through the public loader."""

from __future__ import annotations

from facility_opt.loading import load_nerima
from facility_opt.schema import METRIC_CRS


def test_nerima_loads_with_expected_counts():
    ward = load_nerima()
    assert len(ward.zones) == 202 and int(ward.zones["population"].sum()) == 721_722
    counts = ward.facilities["category"].value_counts().to_dict()
    assert counts == {
        "after_school_club": 92,
        "nursery": 60,
        "primary_school": 65,
        "junior_high_school": 34,
        "childrens_hall": 17,
        "kindergarten": 3,
    }
    assert ward.crs == METRIC_CRS
    # every facility lies inside the ward polygon (within 1 m of it, for boundary rounding)
    shape = ward.boundary.geometry.union_all()
    assert ward.facilities.geometry.distance(shape).max() < 1.0
    # age groups sum to the population (shares sum to 1; each rounded to 0.01)
    pop_cols = [c for c in ward.zones.columns if c.startswith("pop_")]
    assert (ward.zones[pop_cols].sum(axis=1) - ward.zones["population"]).abs().max() < 0.05


def test_copy_is_independent():
    a = load_nerima()
    b = a.copy()
    b.facilities.loc[0, "floor_area_m2"] = 1.0
    assert a.facilities.loc[0, "floor_area_m2"] != 1.0
    assert load_nerima().fingerprint() == a.fingerprint() != b.fingerprint()


def test_summary_totals():
    ward = load_nerima()
    s = ward.summary()
    assert s.loc["total", "facilities"] == 271
    assert abs(s.loc["total", "floor_area_m2"] - ward.facilities["floor_area_m2"].sum()) < 0.1
