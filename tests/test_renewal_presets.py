"""Renewal-cost presets (cycles, unit costs, backlog as parameters) and their calibration to a ward total.

Hand-computed cases use one primary school (cost class "school": 総務省 17 / 33 万円/m²) of 1,000 m²
from 2016 over 30 years (2016-2045): 1 m² of rebuild = 33万円, so a rebuild costs 3.3億 = 330 M yen.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from facility_opt.errors import ModelConfigError
from facility_opt.renewal import (
    BacklogRule,
    default_renewal_params,
    load_age_profile,
    load_renewal_params,
    project_renewal,
    project_stock,
    read_stock_table,
    renewal_events,
)
from facility_opt.renewal.calibration import NERIMA_TOTAL_YEN, calibrate_renewal
from facility_opt.resources import models_dir, nerima_dir
from facility_opt.units import OKU_YEN

M = 1_000_000
REN, REB = 170 * M, 330 * M  # 1,000 m² × 17 / 33 万円/m²
START = 2016


def school(year_built: int) -> pd.DataFrame:
    return pd.DataFrame(
        {"facility_id": ["S"], "category": ["primary_school"], "floor_area_m2": [1000.0], "year_built": [year_built]}
    )


def events(year_built: int, preset: str, **kw) -> list[tuple]:
    p = default_renewal_params().with_preset(preset)
    e = renewal_events(school(year_built), start_year=START, params=p, **kw)
    return [(k, int(d), bool(b), round(c)) for k, d, b, c in zip(e["kind"], e["due_year"], e["backlog"], e["cost_yen"])]


# ---------------------------------------------------------------------------- presets, by hand


def test_shipped_presets():
    p = default_renewal_params()
    assert p.preset == "soumu"
    assert sorted(p.presets) == [
        "long_life",
        "soumu",
        "soumu_calibrated",
        "tokyo_ward",
        "tokyo_ward_60",
        "tokyo_ward_calibrated",
    ]
    for name, pre in p.presets.items():
        assert pre.source.strip(), name
        # derived presets inherit the 総務省 table; only the factor says a price level
        assert pre.unit_costs_man_yen_per_m2 == p.presets["soumu"].unit_costs_man_yen_per_m2
    tw = p.presets["tokyo_ward"]
    assert [(iv.name, iv.age, iv.share, iv.basis) for iv in tw.interventions] == [
        ("repair", 20, 0.25, "rebuild"),
        ("renovation", 40, 0.60, "rebuild"),
        ("repair", 60, 0.25, "rebuild"),
    ]
    assert (tw.rebuild_age, tw.backlog.rule, tw.backlog.years, tw.unit_cost_factor) == (80, "spread", 10, 1.0)
    assert p.presets["tokyo_ward_calibrated"].rebuild_age == 80  # inherited from its base


@pytest.mark.parametrize(
    "preset, built, expect",
    [
        # 総務省, built 1975 (age 41): renovation due 2005 caught up (築31-50年); rebuild 2035
        ("soumu", 1975, [("renovation", 2005, True, REN), ("rebuild", 2035, False, REB)]),
        # same, price level 1.365
        (
            "soumu_calibrated",
            1975,
            [("renovation", 2005, True, round(1.365 * REN)), ("rebuild", 2035, False, round(1.365 * REB))],
        ),
        # long life, built 1980 (age 36): the 20-year repair is skipped (older than 30); 長寿命化改修 at 40
        # (60 % of 3.3億) in 2020; repair at 60 (25 %) in 2040; rebuild 2060 is past the horizon
        ("long_life", 1980, [("renovation", 2020, False, 198 * M), ("repair", 2040, False, 82_500_000)]),
        # Tokyo-ward cycle, same building: the missed 20-year 中規模修繕 is caught up (it is the latest one)
        (
            "tokyo_ward",
            1980,
            [
                ("repair", 2000, True, 82_500_000),
                ("renovation", 2020, False, 198 * M),
                ("repair", 2040, False, 82_500_000),
            ],
        ),
        # built 1970 (age 46): the 長寿命化改修 due 2010 is caught up, the 20-year repair is not (older than 40)
        ("tokyo_ward", 1970, [("renovation", 2010, True, 198 * M), ("repair", 2030, False, 82_500_000)]),
        (
            "tokyo_ward_calibrated",
            1970,
            [("renovation", 2010, True, round(1.612 * 198 * M)), ("repair", 2030, False, round(1.612 * 82_500_000))],
        ),
        # not fit for 長寿命化: 中規模修繕 at 20 and 40, rebuild at 60; built 1970 (age 46): the 40-year repair
        # due 2010 is caught up (at most 50), the rebuild falls in 2030
        ("tokyo_ward_60", 1970, [("repair", 2010, True, 82_500_000), ("rebuild", 2030, False, REB)]),
    ],
)
def test_events_of_one_building_by_hand(preset, built, expect):
    assert events(built, preset) == expect


def test_yearly_costs_of_the_tokyo_ward_cycle_by_hand():
    # built 1980: the caught-up repair 82.5 M over 2016-2025 (10 years); the 長寿命化改修 198 M over
    # 2020-2021; the 60-year repair 82.5 M in 2040
    p = default_renewal_params().with_preset("tokyo_ward")
    c = project_renewal(school(1980), start_year=START, params=p, include_operation=False)
    got = {(int(y), k): round(v) for y, k, v in zip(c["year"], c["kind"], c["cost_yen"])}
    expect = {(y, "repair_backlog"): 8_250_000 for y in range(2016, 2026)}
    expect |= {(2020, "renovation"): 99 * M, (2021, "renovation"): 99 * M, (2040, "repair"): 82_500_000}
    assert got == expect


def test_soumu_preset_is_the_previous_default_exactly():
    # the stock-table figure quoted before presets existed (docs: nerima_default_total_oku 4725.6) and the
    # per-building doctest figures are unchanged
    stock = read_stock_table(nerima_dir() / "stock_2013.csv")
    prof = load_age_profile(models_dir() / "nerima_age_profile.yaml")
    total = project_stock(stock, prof, start_year=START)["cost_yen"].sum()
    assert total == pytest.approx(472_562_751_920.0, rel=1e-12)
    assert default_renewal_params().unit_cost_yen_per_m2("school", "rebuild") == 330_000.0


def test_with_changes_validates_and_applies_to_the_active_preset():
    p = (
        default_renewal_params()
        .with_preset("tokyo_ward")
        .with_changes(unit_cost_factor=2.0, backlog=BacklogRule(rule="skip"))
    )
    assert p.active.unit_cost_factor == 2.0 and p.presets["soumu"].unit_cost_factor == 1.0
    assert p.unit_cost_yen_per_m2("school") == 660_000.0
    assert p.unit_cost_yen_per_m2("school", "renovation") == 340_000.0
    with pytest.raises(ModelConfigError, match=r"presets\.tokyo_ward\.rebuild_age"):
        p.with_changes(rebuild_age=-3)
    with pytest.raises(ModelConfigError, match="unknown renewal-cost preset 'nope'"):
        p.with_preset("nope")


# ---------------------------------------------------------------------------- bad presets

BASE = (models_dir() / "renewal_costs.yaml").read_text(encoding="utf-8")


def _write(tmp_path: Path, text: str) -> Path:
    f = tmp_path / "bad_costs.yaml"
    f.write_text(text, encoding="utf-8")
    return f


@pytest.mark.parametrize(
    "edit, message",
    [
        # a negative factor in a derived preset
        (
            ("    unit_cost_factor: 1.612", "    unit_cost_factor: -1"),
            r"bad_costs\.yaml: presets\.tokyo_ward_calibrated\.unit_cost_factor: Input should be greater than 0",
        ),
        # a typo in a key
        (
            ("    rebuild_spread_years: 3        #", "    rebuild_spread_yeras: 3        #"),
            r"bad_costs\.yaml: presets\.soumu\.rebuild_spread_yeras: Extra inputs are not permitted",
        ),
        # an intervention after the rebuild
        (
            (
                "      - {name: repair, age: 60, spread_years: 1, basis: rebuild, share: 0.25, skip_if_older_than: 80}",
                "      - {name: repair, age: 85, spread_years: 1, basis: rebuild, share: 0.25, skip_if_older_than: 80}",
            ),
            r"bad_costs\.yaml: presets\.tokyo_ward: .*interventions\.2 \('repair'\) is at age 85, "
            r"not before the rebuild at 80",
        ),
        # a reserved intervention name
        (
            ("      - {name: renovation, age: 40,", "      - {name: rebuild, age: 40,"),
            r"presets\.long_life\.interventions\.1\.name: .*'rebuild' is reserved",
        ),
        # an unknown base preset
        (
            ("    base: tokyo_ward\n", "    base: tokio_ward\n"),
            r"bad_costs\.yaml: .*presets\.tokyo_ward_60\.base: unknown preset 'tokio_ward'",
        ),
        # a derived preset must state its own source
        (
            (
                "      hypothesis: unit_cost_factor calibrated by facility-opt costs --calibrate --preset soumu (the\n"
                "      ward's 6,450億円 over 30 years, 区政改革計画 素案 2016 / 総合管理計画 素案 2016); "
                "cycle and table: soumu\n",
                "      \n",
            ),
            r"presets\.soumu_calibrated\.source: String should have at least 1 character",
        ),
        # the preset in use must exist
        (("preset: soumu\n", "preset: somu\n"), r"bad_costs\.yaml: .*preset 'somu' is not one of presets"),
    ],
)
def test_bad_presets_name_file_and_field(tmp_path, edit, message):
    old, new = edit
    assert old in BASE, old
    with pytest.raises(ModelConfigError, match=message):
        load_renewal_params(_write(tmp_path, BASE.replace(old, new, 1)))


def test_presets_deriving_in_a_cycle_are_an_error(tmp_path):
    text = BASE.replace("  soumu:\n", "  soumu:\n    base: soumu_calibrated\n", 1)
    with pytest.raises(ModelConfigError, match=r"presets\.soumu_calibrated\.base: presets derive from each other"):
        load_renewal_params(_write(tmp_path, text))


def test_a_planning_model_picks_the_preset(tiny_model):
    from facility_opt.planning import load_planning_model

    text = tiny_model.read_text(encoding="utf-8")
    tiny_model.write_text(text + "costs: {preset: tokyo_ward_calibrated}\n", encoding="utf-8")
    assert load_planning_model(tiny_model).renewal_params().preset == "tokyo_ward_calibrated"
    tiny_model.write_text(text + "costs: {preset: tokyo}\n", encoding="utf-8")
    with pytest.raises(ModelConfigError, match=r"tiny\.yaml: .*costs.*preset 'tokyo' is not one of presets"):
        load_planning_model(tiny_model).renewal_params()


# ---------------------------------------------------------------------------- one price table everywhere


def test_portfolio_new_floor_and_events_use_the_same_prices(tiny_model):
    """The tiny ward's school F1 (6,000 m², built 1968) is rebuilt in 2028 (60 years): its event costs
    6,000 m² × the rebuild unit cost, and a m² of new floor at any site costs that same unit cost; the
    calibrated preset multiplies both by its factor (1.365)."""
    from facility_opt.planning import load_planning_model
    from facility_opt.portfolio.build import problem_from_model

    text = tiny_model.read_text(encoding="utf-8")
    got = {}
    for preset in ("soumu", "soumu_calibrated"):
        tiny_model.write_text(text + f"costs: {{preset: {preset}}}\n", encoding="utf-8")
        model = load_planning_model(tiny_model)
        params = model.renewal_params()
        prob = problem_from_model(model)
        sites = prob.sites.set_index("site_id")
        ev = prob.events.set_index(["site_id", "kind"])
        unit = params.unit_cost_yen_per_m2("school", "rebuild")
        assert sites.at["F1", "build_yen_per_m2"] == pytest.approx(unit)
        assert ev.at[("F1", "rebuild"), "cost_yen"] == pytest.approx(6000 * unit)
        assert int(ev.at[("F1", "rebuild"), "due_year"]) == 2028
        # the hall's building (children's hall: 子育て支援施設, the same 33万円/m² class)
        assert sites.at["F2", "build_yen_per_m2"] == pytest.approx(params.unit_cost_yen_per_m2("child_support"))
        got[preset] = (sites.at["F1", "build_yen_per_m2"], ev.at[("F1", "rebuild"), "cost_yen"])
    assert got["soumu"] == pytest.approx((330_000.0, 6000 * 330_000.0))
    assert got["soumu_calibrated"] == pytest.approx((1.365 * 330_000.0, 1.365 * 6000 * 330_000.0))


def test_scheduler_prices_events_with_the_chosen_preset(tiny_ward_dir, tiny_model, tmp_path):
    from typer.testing import CliRunner

    from facility_opt.cli import app
    from facility_opt.renewal.schedule import schedule_renewals

    one = school(1960)  # rebuild due 2020
    for preset, factor in (("soumu", 1.0), ("soumu_calibrated", 1.365)):
        r = schedule_renewals(
            one,
            start_year=2018,
            horizon_years=10,
            budget=1e10,
            renewal_params=default_renewal_params().with_preset(preset),
        )
        assert r.summary["capital_yen"] == pytest.approx(factor * REB)
        assert r.summary["renewal_preset"] == preset
    out = tmp_path / "out"
    res = CliRunner().invoke(
        app,
        [
            "schedule",
            "--ward",
            str(tiny_ward_dir),
            "--model",
            str(tiny_model),
            "--preset",
            "soumu_calibrated",
            "--cap",
            "2e10",
            "--out",
            str(out),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    s = json.loads((out / "schedule_summary.json").read_text(encoding="utf-8"))
    assert s["renewal_preset"] == "soumu_calibrated"
    # 2016-2045: F1 (6,000 m² school, built 1968, age 48) gets its overdue renovation and its rebuild
    # (2028); F2's building (550 + 90 m², child-support class 17 / 33 万円/m², built 1975, age 41) too
    # (rebuild 2035): all at 1.365 × the 総務省 prices
    assert s["capital_yen"] == pytest.approx(1.365 * (6000 + 640) * (170_000 + 330_000), rel=1e-9)


# ---------------------------------------------------------------------------- calibration


def test_calibration_by_hand():
    """One school of 10,000 m² built 1970, 総務省 preset, from 2016: renovation backlog 17億 + rebuild
    2030-32 33億 = 50億. A target of 39億 needs unit costs × 0.78, or a rebuild at 74 (due 2044: two of
    its three years inside the horizon, 17 + 22 = 39億)."""
    stock = pd.DataFrame({"category": ["primary_school"], "floor_area_m2": [10_000.0]})
    prof = pd.DataFrame({"from_year": [1970], "to_year": [1970], "share": [1.0]})
    cal = calibrate_renewal(stock, prof, target_yen=39 * OKU_YEN, start_year=START)
    assert cal.base_total_yen == pytest.approx(50 * OKU_YEN)
    f = cal.fit("unit_cost_factor")
    assert (f.value, f.elasticity) == (pytest.approx(0.78), pytest.approx(1.0))
    r = cal.fit("rebuild_age")
    assert (r.value, r.total_yen, r.within_tolerance) == (74.0, pytest.approx(39 * OKU_YEN), True)
    assert r.elasticity == 0.0  # rebuilds at 59 or 61 both fall inside the horizon
    # the most sensitive parameter that reaches the target
    assert cal.best.parameter == "unit_cost_factor"
    assert "hypothesis" in cal.note
    # out of reach within the bounds: reported, not invented
    far = calibrate_renewal(stock, prof, target_yen=400 * OKU_YEN, start_year=START, parameters=["rebuild_age"])
    assert far.best is None and far.fits[0].value is None and far.fits[0].max_total_yen == pytest.approx(50 * OKU_YEN)
    with pytest.raises(ModelConfigError, match=r"cannot calibrate \['rebuild_agee'\]"):
        calibrate_renewal(stock, prof, parameters=["rebuild_agee"])


@pytest.mark.parametrize("preset, factor", [("soumu", 1.365), ("tokyo_ward", 1.612)])
def test_calibration_reproduces_the_ward_total_on_the_embedded_stock(preset, factor):
    stock = read_stock_table(nerima_dir() / "stock_2013.csv")
    prof = load_age_profile(models_dir() / "nerima_age_profile.yaml")
    assert stock["floor_area_m2"].sum() == pytest.approx(1_182_130)
    cal = calibrate_renewal(stock, prof, preset=preset, parameters=["unit_cost_factor", "rebuild_age"])
    # the rebuild age is the most sensitive parameter but cannot reach 6,450億 within 40-100 years
    assert [f.parameter for f in cal.fits] == ["rebuild_age", "unit_cost_factor"]
    assert not cal.fit("rebuild_age").within_tolerance
    best = cal.best
    assert best.parameter == "unit_cost_factor" and round(best.value, 3) == factor
    assert best.total_yen == pytest.approx(NERIMA_TOTAL_YEN, rel=1e-6)
    # the shipped calibrated preset (the rounded factor) reproduces 6,450億 within ±5 % (in fact 0.1 %)
    params = default_renewal_params().with_preset(f"{preset}_calibrated")
    total = project_stock(stock, prof, start_year=START, params=params)["cost_yen"].sum()
    assert abs(total / NERIMA_TOTAL_YEN - 1) < 0.001
    # deterministic
    again = calibrate_renewal(stock, prof, preset=preset, parameters=["unit_cost_factor", "rebuild_age"])
    assert json.dumps(again.to_dict()) == json.dumps(cal.to_dict())


def test_costs_calibrate_command(tmp_path):
    from typer.testing import CliRunner

    from facility_opt.cli import app

    (tmp_path / "stock.csv").write_text("facility_type,count,total_floor_area_m2\n小学校,1,10000\n", encoding="utf-8")
    (tmp_path / "prof.yaml").write_text("default:\n  - {from: 1970, to: 1970, share: 1.0}\n", encoding="utf-8")
    out = tmp_path / "cal"
    res = CliRunner().invoke(
        app,
        [
            "costs",
            "--calibrate",
            "--preset",
            "soumu",
            "--stock",
            str(tmp_path / "stock.csv"),
            "--age-profile",
            str(tmp_path / "prof.yaml"),
            "--target-oku",
            "100",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "unit_cost_factor = 2" in res.output and "hypothesis" in res.output
    data = json.loads((out / "calibration.json").read_text(encoding="utf-8"))
    assert (data["preset"], data["base_total_oku_yen"], data["best"]["value"]) == ("soumu", 50.0, 2.0)
    assert pd.read_csv(out / "calibration.csv")["parameter"].tolist()[0] == "unit_cost_factor"
    bad = CliRunner().invoke(app, ["costs", "--preset", "nope", "--out", str(out)])
    assert bad.exit_code == 1 and "unknown renewal-cost preset 'nope'" in bad.output
    assert CliRunner().invoke(app, ["costs", "--target-oku", "5", "--out", str(out)]).exit_code == 1


def test_a_wards_own_prices_as_a_derived_preset(tmp_path):
    """The docs' example: a preset deriving from tokyo_ward with its own school and child-support prices;
    the other classes keep the base's, the cycle is tokyo_ward's."""
    text = BASE.replace(
        "presets:\n",
        "presets:\n  my_ward:\n    base: tokyo_ward\n    source: our contracts\n"
        "    unit_costs_man_yen_per_m2:\n      school: {renovation: 30, rebuild: 55}\n"
        "      child_support: {renovation: 30, rebuild: 55}\n",
        1,
    )
    p = load_renewal_params(_write(tmp_path, text)).with_preset("my_ward")
    assert p.unit_cost_yen_per_m2("school") == 550_000.0
    assert p.unit_cost_yen_per_m2("public_housing") == 280_000.0
    # built 1970: the 長寿命化改修 caught up (60 % of 5.5億) and the 60-year repair (25 %) in 2030
    assert events(1970, "tokyo_ward") == [("renovation", 2010, True, 198 * M), ("repair", 2030, False, 82_500_000)]
    e = renewal_events(school(1970), start_year=START, params=p)
    assert e["cost_yen"].round().tolist() == [330 * M, 137_500_000]


def test_docs_calibration_table_is_this_computation():
    """docs/renewal_costs.md's calibration table: each preset's total and the factor that gives 6,450億
    (the total is linear in the factor when there is no demolition: factor = 6,450 / total)."""
    import re

    doc = (Path(__file__).resolve().parents[1] / "docs" / "renewal_costs.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\w+)` \| ([\d,.]+) \| ([\d.]+) \| .* \| \*\*([\d.]+)\*\* \|", doc, re.M)
    assert [r[0] for r in rows] == ["soumu", "long_life", "tokyo_ward", "tokyo_ward_60"]
    stock = read_stock_table(nerima_dir() / "stock_2013.csv")
    prof = load_age_profile(models_dir() / "nerima_age_profile.yaml")
    for name, total, ratio, factor in rows:
        params = default_renewal_params().with_preset(name)
        assert params.active.demolition_man_yen_per_m2 == 0
        got = project_stock(stock, prof, start_year=START, params=params)["cost_yen"].sum()
        assert float(total.replace(",", "")) == pytest.approx(got / OKU_YEN, abs=0.05), name
        assert float(ratio) == pytest.approx(got / NERIMA_TOTAL_YEN, abs=5e-4), name
        assert float(factor) == pytest.approx(NERIMA_TOTAL_YEN / got, abs=5e-4), name
