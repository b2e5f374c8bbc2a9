"""Cohort-component projection: hand-computable steps, calibration, user tables, the planning hook."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from facility_opt import DataValidationError, ModelConfigError, load_nerima
from facility_opt.demand import zone_demand
from facility_opt.planning import load_planning_model
from facility_opt.projection import (
    PopulationParams,
    calibrate,
    calibration_report,
    life_expectancy,
    load_population_params,
    project_population,
    read_population_table,
    ward_totals,
)
from facility_opt.resources import models_dir, nerima_dir
from facility_opt.schema import AGE_GROUPS

POP_COLS = [f"pop_{g}" for g in AGE_GROUPS]
BASE = {
    "name": "hand",
    "base_year": 2020,
    "max_age": 80,
    "band_split": "uniform",
    "survival": {"source": "test", "table_year": 2020, "qx_male": [0.0] * 81, "qx_female": [0.0] * 81},
    "fertility": {"tfr": 0.0, "shape": {"30": 1.0}},
    "migration": {"shape": {"20": 1.0}, "level": 0.0},
}


def _params(**override) -> PopulationParams:
    """Hand-computable parameters: no deaths, no births, no migration, uniform bands, max age 80."""
    data = copy.deepcopy(BASE)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    return PopulationParams.model_validate(data)


def _zones(**zones: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame([{"zone_id": z, **{c: float(b.get(c[4:], 0.0)) for c in POP_COLS}} for z, b in zones.items()])


def _band(out: pd.DataFrame, zone: str, year: int, group: str) -> float:
    row = out[(out.zone_id == zone) & (out.year == year) & (out.age_group == group)]
    assert len(row) == 1
    return float(row.population.iloc[0])


# --- hand-computable steps --------------------------------------------------------------------
def test_cohorts_shift_exactly_one_year_per_step():
    # 100 per year of age 0..5, 10 per year of age 6..11, 10 per year of age 75..80 (80 is open)
    z = _zones(a={"0_5": 600, "6_11": 60, "75_plus": 60})
    out = project_population(z, _params(), [2020, 2021, 2026])
    assert _band(out, "a", 2021, "0_5") == 500.0  # ages 1..5
    assert _band(out, "a", 2021, "6_11") == 150.0  # 100 at 6, 10 at 7..11
    assert _band(out, "a", 2021, "12_14") == 10.0
    assert _band(out, "a", 2021, "75_plus") == 60.0  # 10 at 76..79, 20 in the open group
    assert _band(out, "a", 2026, "0_5") == 0.0
    assert _band(out, "a", 2026, "6_11") == 600.0  # the 0..5 cohorts, six years on
    assert _band(out, "a", 2026, "12_14") == 30.0 and _band(out, "a", 2026, "15_64") == 30.0
    assert out.groupby("year").population.sum().tolist() == [720.0, 720.0, 720.0]


def test_births_from_women_and_infant_survival():
    # 10 residents at each age 15..64; half are women (no sex structure); ASFR 2.0 at age 30
    z = _zones(a={"15_64": 500})
    out = project_population(z, _params(fertility={"tfr": 2.0}), [2021, 2022])
    assert _band(out, "a", 2021, "0_5") == 10.0  # 10 × 0.5 × 2.0
    assert _band(out, "a", 2022, "0_5") == 20.0
    # q(0) = 0.1: newborns survive the rest of their birth year with 1 − 0.1/2
    q = [0.1] + [0.0] * 80
    out = project_population(z, _params(fertility={"tfr": 2.0}, survival={"qx_male": q, "qx_female": q}), [2021])
    assert _band(out, "a", 2021, "0_5") == 9.5


def test_tfr_by_year_is_interpolated():
    p = _params(fertility={"tfr": {2020: 1.0, 2030: 2.0}})
    assert [p.fertility.tfr_in(y) for y in (2010, 2025, 2040)] == [1.0, 1.5, 2.0]


def test_migration_adds_exactly_its_schedule_shared_by_population():
    p = _params(migration={"shape": {"0-5": 6.0, "6-11": 6.0}, "level": 24.0})
    z = _zones(a={"75_plus": 100}, b={"75_plus": 300})
    out = project_population(z, p, [2021])
    assert [_band(out, "a", 2021, g) for g in ("0_5", "6_11")] == [3.0, 3.0]  # a quarter of 12 + 12
    assert [_band(out, "b", 2021, g) for g in ("0_5", "6_11")] == [9.0, 9.0]
    assert ward_totals(out)["total"].tolist() == [424.0]
    # a zone factor scales that zone's share (the ward total changes with it)
    p2 = p.model_copy(update={"migration": p.migration.model_copy(update={"zone_factors": {"a": 2.0}})})
    out = project_population(z, p2, [2021])
    assert _band(out, "a", 2021, "0_5") == 6.0 and _band(out, "b", 2021, "0_5") == 9.0
    with pytest.raises(DataValidationError, match="unknown zones"):
        project_population(
            z, p.model_copy(update={"migration": p.migration.model_copy(update={"zone_factors": {"zz": 1.0}})}), [2021]
        )


def test_child_factor_scales_child_migrants_and_level_stays_the_total():
    p = _params(migration={"shape": {"0-14": 15.0, "20-29": 10.0}, "level": 10.0, "child_factor": 0.0})
    assert p.migrants()[:15].sum() == 0.0 and p.migrants().sum() == pytest.approx(10.0)


def test_base_year_returns_the_input_exactly_and_output_is_sorted():
    ward = load_nerima()
    params = load_population_params()
    out = project_population(ward.zones, params, [2016, 2015])
    base = out[out.year == 2015].pivot(index="zone_id", columns="age_group", values="population")
    expected = ward.zones.set_index("zone_id")[POP_COLS].rename(columns=lambda c: c[4:])
    pd.testing.assert_frame_equal(base[list(AGE_GROUPS)], expected.astype(float), check_names=False)
    assert list(out.columns) == ["zone_id", "year", "age_group", "population"]
    assert out["zone_id"].is_monotonic_increasing
    assert out.iloc[:6]["age_group"].tolist() == list(AGE_GROUPS)
    assert out.attrs["age_structure_imputed"] == 202  # Nerima's zone age structure is not real data
    pd.testing.assert_frame_equal(out, project_population(ward.zones, params, [2015, 2016]))  # deterministic


def test_ward_total_is_the_projection_of_the_summed_zones():
    """Same rates everywhere: the zones' projections add up to the ward projected as one zone."""
    ward = load_nerima()
    params = load_population_params()
    years = [2019, 2030, 2048]
    zones = project_population(ward.zones, params, years)
    one = ward.zones[POP_COLS].sum().to_frame().T.assign(zone_id="ward")
    whole = project_population(one, params, years)
    diff = ward_totals(zones).set_index("year") - ward_totals(whole).set_index("year")
    assert diff.abs().to_numpy().max() <= 0.005 * len(ward.zones) + 1e-6  # rounding to 0.01 per zone


def test_years_before_the_base_and_missing_columns_are_errors():
    z = _zones(a={"0_5": 1})
    with pytest.raises(DataValidationError, match="precede the projection's base year 2020"):
        project_population(z, _params(), [2019])
    with pytest.raises(DataValidationError, match="pop_0_5"):
        project_population(z.drop(columns="pop_0_5"), _params(), [2020])
    with pytest.raises(DataValidationError, match="row 1, field 'pop_6_11'"):
        project_population(z.assign(pop_6_11=-1.0), _params(), [2020])


# --- calibration -------------------------------------------------------------------------------
def test_calibration_hits_a_hand_target():
    # 1,000 people who never die; a total of 1,100 two years later needs 50 net migrants a year
    p = _params(
        reference_month=10,
        migration={"level": 0.0},
        calibration={
            "adjust": ["migration_level"],
            "targets": [{"kind": "total", "date": "2022-10-01", "value": 1100.0, "source": "hand"}],
        },
    )
    best, report = calibrate(_zones(a={"75_plus": 1000}), p)
    assert best.migration.level == pytest.approx(50.0, abs=1e-6)
    assert abs(report.rel_error.iloc[0]) < 1e-9
    # a date between reference days is interpolated: 1 Apr 2022 lies half-way between Oct 2021 and Oct 2022
    p2 = best.model_copy(
        update={
            "calibration": best.calibration.model_copy(
                update={
                    "targets": [
                        best.calibration.targets[0].model_copy(update={"date": pd.Timestamp("2022-04-02").date()})
                    ]
                }
            )
        }
    )
    assert calibration_report(_zones(a={"75_plus": 1000}), p2).model.iloc[0] == pytest.approx(1075.0, abs=0.2)


def test_nerima_calibration_reaches_its_targets_from_other_start_values():
    ward = load_nerima()
    stored = load_population_params()
    start = stored.with_levels(migration_level=1000.0, fertility_level=1.5, migration_child_factor=1.0)
    best, report = calibrate(ward.zones, start)
    weighted = report[report.weight > 0]
    assert (weighted.rel_error.abs() <= stored.calibration.tolerance).all(), report
    # the values written in models/population_nerima.yaml are this optimum, rounded
    assert best.migration.level == pytest.approx(stored.migration.level, abs=1.0)
    assert best.fertility.level == pytest.approx(stored.fertility.level, abs=1e-3)
    assert best.migration.child_factor == pytest.approx(stored.migration.child_factor, abs=1e-3)
    stored_report = calibration_report(ward.zones, stored)
    assert (stored_report[stored_report.weight > 0].rel_error.abs() <= stored.calibration.tolerance).all()


def test_calibration_needs_enough_weighted_targets():
    with pytest.raises(ValueError, match="cannot determine"):
        calibrate(_zones(a={"75_plus": 1}), _params())


# --- the Nerima inputs and their sources -------------------------------------------------------
def test_nerima_targets_equal_the_raw_facts():
    raw = nerima_dir() / "raw"
    juki = pd.read_csv(raw / "nerima_juki_population_2009_2019_by_age4.csv").set_index("date")
    misc = pd.read_csv(raw / "nerima_population_misc_facts.csv").set_index(["as_of", "metric"])
    targets = {t.label(): t.value for t in load_population_params().calibration.targets}
    assert targets["population 2019-01-01"] == juki.loc["2019-01-01", "total"]
    assert targets["population 0-14 2019-01-01"] == juki.loc["2019-01-01", "age0_14"]
    assert targets["population 75+ 2019-01-01"] == juki.loc["2019-01-01", "age75plus"]
    assert targets["population 2025-08-01"] == misc.loc[("2025-08-01", "population_total"), "value"]
    assert targets["population 2044-01-01"] == misc.loc[("2044", "projected_population_total_ward"), "value"]
    assert targets["births 2023"] == misc.loc[("2023", "births"), "value"]
    basis = load_population_params().calibration.basis
    assert basis.register_before.value == juki.loc["2015-01-01", "total"]
    assert basis.register_after.value == juki.loc["2016-01-01", "total"]
    assert basis.census.value == load_nerima().zones["population"].sum()
    ipss = pd.read_csv(raw / "nerima_population_projection_ipss_h25.csv").set_index("year")
    share = lambda y: ipss.loc[y, "age0_14"] / ipss.loc[y, "total"]  # noqa: E731
    assert targets["share trend 0-14 2040 vs 2015"] == pytest.approx(share(2040) / share(2015), abs=5e-5)


def test_life_tables_match_published_life_expectancy_and_ipss_2070():
    s = load_population_params().survival
    assert round(life_expectancy(s.qx_male), 2) == 81.09  # 令和5年簡易生命表: 81.09 / 87.14
    assert abs(life_expectancy(s.qx_female) - 87.14) < 0.02
    years = 2070 - s.table_year
    improved = lambda q, r: [x * (1 - r) ** years for x in q[:-1]] + [1.0]  # noqa: E731
    assert abs(life_expectancy(improved(s.qx_male, s.improvement_male)) - 85.89) < 0.05
    assert abs(life_expectancy(improved(s.qx_female, s.improvement_female)) - 91.94) < 0.05


def test_nerima_projection_to_2048():
    out = project_population(load_nerima().zones, load_population_params(), range(2019, 2049))
    totals = ward_totals(out).set_index("year")
    assert list(totals.index) == list(range(2019, 2049)) and out.zone_id.nunique() == 202
    assert 760_000 < totals.loc[2044, "total"] < 800_000
    assert totals.loc[2048, "0_5"] < totals.loc[2019, "0_5"]  # fewer births than in 2015-2019
    assert totals.loc[2048, "75_plus"] > totals.loc[2019, "75_plus"] * 1.5


def test_params_errors_name_file_and_key(tmp_path):
    text = (models_dir() / "population_nerima.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "p.yaml"
    bad.write_text(text.replace("max_age: 100", "max_age: 110"), encoding="utf-8")
    with pytest.raises(ModelConfigError, match=r"p.yaml: .*qx_male has 106 ages; needs at least max_age \+ 1 = 111"):
        load_population_params(bad)
    bad.write_text(text.replace('"15-19": 0.0082', '"15-19": -1'), encoding="utf-8")
    with pytest.raises(ModelConfigError, match=r"p.yaml: fertility.shape: .*15-19: values must be finite and >= 0"):
        load_population_params(bad)


# --- a user's own table ------------------------------------------------------------------------
WIDE = "zone_id,year," + ",".join(POP_COLS) + "\n"


def _write(tmp_path, text: str, name: str = "pop.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_read_wide_and_long_tables_agree(tmp_path):
    wide = _write(tmp_path, WIDE + "b,2020,1,2,3,4,5,6\na,2020,6,5,4,3,2,1\na,2021,1,1,1,1,1,1\nb,2021,0,0,0,0,0,0.5\n")
    t = read_population_table(wide)
    assert t[["zone_id", "year"]].drop_duplicates().values.tolist() == [
        ["a", 2020],
        ["a", 2021],
        ["b", 2020],
        ["b", 2021],
    ]
    long = _write(tmp_path, t.sample(frac=1.0, random_state=1).to_csv(index=False), "long.csv")
    pd.testing.assert_frame_equal(read_population_table(long), t)
    assert _band(t, "b", 2021, "75_plus") == 0.5


@pytest.mark.parametrize(
    "text, expected",
    [
        (WIDE + "a,2020,1,2,3,4,-5,6\n", "pop.csv, row 1, field 'pop_65_74': negative population -5"),
        (WIDE + "a,2020,1,2,3,4,x,6\n", "pop.csv, row 1, field 'pop_65_74': not a number: 'x'"),
        (WIDE.replace("pop_0_5", "pop_0_4") + "a,2020,1,2,3,4,5,6\n", "field 'pop_0_4': unknown age group '0_4'"),
        (
            WIDE + "a,2020,1,2,3,4,5,6\na,2020,1,2,3,4,5,6\n",
            "pop.csv, row 2, field 'zone_id,year': duplicate (zone_id=a, year=2020): rows [1, 2]",
        ),
        (WIDE + "a,2020,1,2,3,4,5,6\na,2022,1,2,3,4,5,6\n", "field 'year': zone a: missing years [2021]"),
        (WIDE + "a,2020,1,2,3,4,5,6\nb,2021,1,2,3,4,5,6\n", "zone a: missing years [2021]"),
        (WIDE + "a,20x0,1,2,3,4,5,6\n", "row 1, field 'year': not a whole year"),
        (
            "zone_id,year,age_group,population\na,2020,0_4,1\n",
            "pop.csv, row 1, field 'age_group': unknown age group '0_4'",
        ),
        ("zone_id,year,age_group,population\na,2020,0_5,1\n", "zone a, year 2020: missing age groups"),
        ("zone_id,year,population\na,2020,1\n", "field 'pop_0_5': required column is missing"),
    ],
)
def test_bad_population_tables_name_file_row_and_field(tmp_path, text, expected):
    with pytest.raises(DataValidationError) as exc:
        read_population_table(_write(tmp_path, text))
    assert expected in str(exc.value)


def test_missing_population_file(tmp_path):
    with pytest.raises(DataValidationError, match="nowhere.csv: population table not found"):
        read_population_table(tmp_path / "nowhere.csv")


# --- demand and the planning-model hook ---------------------------------------------------------
def test_zone_demand_from_projected_population():
    ward = load_nerima()
    pop = project_population(ward.zones, load_population_params(), [2019, 2048])
    d = zone_demand(ward.zones, services=["nursery", "primary_education"], population=pop)
    assert sorted(d.year.unique()) == [2019, 2048] and d.zone_id.nunique() == 202
    kids = pop[(pop.year == 2048) & (pop.age_group == "0_5")].population.sum()
    nursery = d[(d.year == 2048) & (d.service_id == "nursery")]
    assert nursery.target_population.sum() == pytest.approx(kids)
    assert nursery.demand.sum() == pytest.approx(kids * 0.12)
    with pytest.raises(DataValidationError, match="not both"):
        zone_demand(ward.zones, population=pop, growth=1.0)
    with pytest.raises(DataValidationError, match=r"no population for years \[2030\]"):
        zone_demand(None, population=pop, years=[2030])


def test_planning_model_population_from_the_projection():
    m = load_planning_model()
    assert m.demand["projection"]["params"] == str((models_dir() / "population_nerima.yaml").resolve())
    pop = m.population()
    assert sorted(pop.year.unique()) == list(range(2019, 2049))
    assert pop.zone_id.nunique() == 202


def _model(tmp_path, demand: str, name: str = "m.yaml"):
    sub = tmp_path / "scen"
    sub.mkdir(exist_ok=True)
    (sub / name).write_text(f"extends: {models_dir() / 'nerima.yaml'}\nname: m\n{demand}", encoding="utf-8")
    return sub / name


def test_planning_model_population_table_relative_to_the_yaml(tmp_path):
    ward = load_nerima()
    table = project_population(ward.zones, load_population_params(), [2019, 2020, 2021])
    (tmp_path / "scen" / "data").mkdir(parents=True)
    table.to_csv(tmp_path / "scen" / "data" / "pop.csv", index=False)
    m = load_planning_model(_model(tmp_path, "demand: {projection: null, population_table: data/pop.csv}\n"))
    pop = m.population(ward, years=[2020, 2021])
    pd.testing.assert_frame_equal(pop, table[table.year > 2019].reset_index(drop=True))
    with pytest.raises(DataValidationError, match=r"pop.csv, field 'year': no rows for the years \[2022\]"):
        m.population(ward, years=[2021, 2022])


def test_planning_model_demand_errors_name_file_and_key(tmp_path):
    with pytest.raises(ModelConfigError, match=r"m.yaml: demand.population_table: file .*nowhere.csv does not exist"):
        load_planning_model(_model(tmp_path, "demand: {projection: null, population_table: nowhere.csv}\n"))
    with pytest.raises(ModelConfigError, match=r"m.yaml: demand: give either projection or population_table"):
        load_planning_model(_model(tmp_path, "demand: {population_table: ../x.csv}\n"))
    with pytest.raises(ModelConfigError, match=r"m.yaml: demand.projection: unknown keys \['param'\]"):
        load_planning_model(_model(tmp_path, "demand: {projection: {param: p.yaml}}\n"))
    with pytest.raises(ModelConfigError, match=r"m.yaml: demand.projection.params: file .*scen/p.yaml does not exist"):
        load_planning_model(_model(tmp_path, "demand: {projection: {params: p.yaml}}\n"))


def test_planning_model_without_demand_has_no_population(tmp_path):
    m = load_planning_model(_model(tmp_path, "demand: {projection: null}\n"))
    assert m.population(load_nerima()) is None


def test_projection_base_year_must_match_the_ward(tmp_path):
    text = (models_dir() / "population_nerima.yaml").read_text(encoding="utf-8")
    (tmp_path / "scen").mkdir()
    (tmp_path / "scen" / "p.yaml").write_text(text.replace("base_year: 2015", "base_year: 2010"), encoding="utf-8")
    m = load_planning_model(_model(tmp_path, "demand: {projection: {params: p.yaml}}\n"))
    with pytest.raises(ModelConfigError, match=r"p.yaml: base_year: 2010 differs from the ward's population_year 2015"):
        m.population(load_nerima())
