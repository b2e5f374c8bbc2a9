"""Demand per zone/service/year and capacity/usage rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from facility_opt.catalogue import default_catalogue
from facility_opt.demand import facility_capacity, target_population, zone_demand
from facility_opt.errors import DataValidationError
from facility_opt.schema import AGE_GROUPS

CAT = default_catalogue()


@pytest.fixture
def zones() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    z = pd.DataFrame({"zone_id": [f"z{i}" for i in range(6)]})
    for g in AGE_GROUPS:
        z[f"pop_{g}"] = rng.integers(0, 900, len(z)).astype(float)
    z["population"] = z[[f"pop_{g}" for g in AGE_GROUPS]].sum(axis=1) + 7  # 7 of unknown age
    return z


def test_demand_totals_equal_population_times_rate(zones):
    d = zone_demand(zones, years=[2020])
    for sid, s in CAT.services.items():
        groups = [f"pop_{g.value}" for g in s.target_groups]
        expect_pop = zones[groups].to_numpy().sum()
        got = d[d["service_id"] == sid]
        assert got["target_population"].sum() == pytest.approx(expect_pop)
        assert got["demand"].sum() == pytest.approx(expect_pop * s.demand_rate)
    assert len(d) == len(zones) * len(CAT.services)


def test_all_group_services_fall_back_to_population_without_age_columns(zones):
    z = zones[["zone_id", "population"]]
    d = zone_demand(z, services=["library"])
    assert d["target_population"].sum() == zones["population"].sum()
    with pytest.raises(DataValidationError, match="pop_0_5"):
        zone_demand(z, services=["nursery"])


def test_scalar_agegroup_and_table_growth(zones):
    base = zone_demand(zones, services=["senior_activity", "nursery"], years=[2025])
    scaled = zone_demand(zones, services=["senior_activity", "nursery"], years=[2025], growth=0.9)
    assert scaled["target_population"].to_numpy() == pytest.approx(0.9 * base["target_population"].to_numpy())
    by_group = zone_demand(zones, services=["senior_activity"], growth={"75_plus": 2.0})
    assert by_group["target_population"].sum() == pytest.approx(
        zones["pop_65_74"].sum() + 2 * zones["pop_75_plus"].sum()
    )
    table = pd.DataFrame(
        {
            "zone_id": np.repeat(zones["zone_id"], 2),
            "year": [2020, 2030] * len(zones),
            "factor": [1.0, 1.5] * len(zones),
        }
    )
    d = zone_demand(zones, services=["nursery"], years=[2020, 2030], growth=table)
    t = d.pivot(index="zone_id", columns="year", values="demand")
    assert t[2030].to_numpy() == pytest.approx(1.5 * t[2020].to_numpy())
    assert t[2020].sum() == pytest.approx(zones["pop_0_5"].sum() * CAT.services["nursery"].demand_rate)


def test_growth_table_with_gaps_is_an_error(zones):
    table = pd.DataFrame({"zone_id": ["z0"], "factor": [1.1]})
    with pytest.raises(DataValidationError, match="no growth factor for 5 key combinations"):
        zone_demand(zones, services=["nursery"], growth=table)


def test_target_population_and_sorted_output(zones):
    tp = target_population(zones, services=["after_school_club"])
    assert tp["target_population"].tolist() == zones["pop_6_11"].tolist()
    d = zone_demand(zones.iloc[::-1], years=[2030, 2020])
    assert d.equals(d.sort_values(["zone_id", "service_id", "year"]).reset_index(drop=True))


def test_capacity_rules():
    fs = pd.DataFrame(
        {
            "facility_id": ["a", "b", "c", "d"],
            "service_id": ["nursery"] * 4,
            "capacity": [100, 80, 50, 10],
            "utilisation": [0.9, None, None, 1.2],
            "annual_users": [None, 40 * 250, None, None],
        }
    )
    out = facility_capacity(fs, {"nursery": 250})
    got = out.set_index("facility_id")
    assert got.loc["a", ["used", "spare", "usage_source"]].tolist() == [90, 10, "utilisation"]
    assert got.loc["b", ["utilisation", "used", "spare"]].tolist() == [0.5, 40, 40]
    assert got.loc["c", ["used", "spare", "usage_source"]].tolist() == [50, 0, "assumed_full"]
    assert got.loc["d", ["spare", "over"]].tolist() == [0, 2]
    # without a throughput table annual users alone cannot give spare capacity
    assert facility_capacity(fs).set_index("facility_id").loc["b", "usage_source"] == "assumed_full"
