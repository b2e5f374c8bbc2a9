"""The Nerima default portfolio model: a plan a planner can take to residents, read from its tables.

The slow test re-reads the plan year by year, independently of the solver and of ``check_plan``:
coverage and capacity every year, spend within the budget, nursery places never below today's,
clubs staying in their own schools, and no resident of a ``nearest`` service sent past a nearer open
provider.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from facility_opt.pipeline import portfolio_options
from facility_opt.planning import load_planning_model
from facility_opt.portfolio import check_plan
from facility_opt.portfolio.build import problem_from_model
from facility_opt.portfolio.optimise import PortfolioOptimiser
from facility_opt.resources import models_dir

TODAY_NURSERY_PLACES = 6676  # sum of the ward nurseries' capacities in geodata/nerima/facility_services.csv


@pytest.fixture(scope="module")
def model():
    return load_planning_model(models_dir() / "nerima.yaml")


@pytest.fixture(scope="module")
def nerima(model):
    problem = problem_from_model(model)
    options = portfolio_options(model)
    return problem, PortfolioOptimiser(options).optimise(problem)


def test_nerima_problem_is_built_from_the_embedded_data(model):
    p = problem_from_model(model)
    assert len(p.zones) == 202
    assert int((p.sites["kind"] == "existing").sum()) == 196  # 271 facilities in 196 buildings
    assert set(p.services["service_id"]) == {
        "primary_education",
        "junior_high_education",
        "after_school_club",
        "childrens_hall",
        "nursery",
        "kindergarten",
    }
    cand = p.sites[p.sites["kind"] == "candidate"]
    assert len(cand) > 0 and (cand["station_front"] | (cand["station_front_from"] > 0)).all()
    # the planned Oedo-line stations' candidates: usable, and station-front, only from the opening year
    planned = cand[cand["site_id"].isin(["CAND-ST-056", "CAND-ST-057", "CAND-ST-058"])]
    assert list(planned["available_from"]) == [2040] * 3 and list(planned["station_front_from"]) == [2040] * 3
    assert not planned["station_front"].any()
    rules = p.services.set_index("service_id")["rule"].to_dict()
    assert rules["after_school_club"] == "district" and rules["primary_education"] == "district"
    assert rules["childrens_hall"] == "nearest" and rules["nursery"] == "allocated"
    assert p.policy.min_capacity_by_year("nursery").min() == TODAY_NURSERY_PLACES
    assert set(p.demand["year"]) == set(range(2019, 2049))  # demand by year, from the projection


@pytest.mark.slow
def test_nerima_plan_holds_every_year(nerima):
    problem, plan = nerima
    assert plan.valid and check_plan(plan, problem) == []
    assert plan.solver.gap is not None and plan.solver.gap <= 0.01
    years = plan.frame("years")
    assert sorted(set(years["year"])) == list(range(2019, 2049))
    # coverage and capacity of every hard service in every year once new floor can be ready
    ready = problem.policy.change_year + problem.policy.build_years
    hard = [k for k in problem.services["service_id"] if problem.coverage_rule(k)[0] == "hard"]
    late = years[(years["year"] >= ready) & years["service_id"].isin(hard)]
    assert (late["covered_share"] >= 1 - 1e-6).all()
    assert (late["capacity"] >= late["demand"] - 1e-6).all()
    # ward nursery places, recomputed from the timeline, never below today's in any year
    tl = plan.frame("timeline")
    nursery = tl[tl["service_id"] == "nursery"]
    for y in range(2019, 2049):
        live = nursery[(nursery["from_year"] <= y) & (nursery["to_year"] >= y)]
        # capacities are written to 0.001 places per site (the check allows the same rounding)
        assert live["capacity"].sum() >= TODAY_NURSERY_PLACES - 1e-3 * len(live) - 1e-6, y
    # annual spend within the budget (to the solver's feasibility tolerance, 1e-6: 10,000 yen in 100億)
    money = years.groupby("year")[["spend_yen", "budget_yen"]].first()
    capped = money.dropna(subset=["budget_yen"])
    assert list(capped.index) == list(range(2021, 2049))  # the budget applies from the first change year
    assert (capped["spend_yen"] <= capped["budget_yen"] * (1 + 1e-6)).all()


@pytest.mark.slow
def test_nerima_clubs_stay_in_their_schools(nerima):
    problem, plan = nerima
    tl = plan.frame("timeline")
    cur = problem.placements[problem.placements["service_id"] == "after_school_club"]
    schools = set(problem.sites.loc[problem.sites["category"].isin(["primary_school"]), "site_id"])
    clubs_in_schools = sorted(set(cur["site_id"]) & schools)
    assert clubs_in_schools
    club = tl[tl["service_id"] == "after_school_club"]
    for s in clubs_in_schools:  # schools stay open (locked), so their clubs never leave
        rows = club[club["site_id"] == s]
        covered = set()
        for r in rows.itertuples():
            covered |= set(range(r.from_year, r.to_year + 1))
        assert covered >= set(range(2019, 2049)), s
        assert (rows["capacity"] > 0).all(), s


@pytest.mark.slow
def test_nerima_nobody_passes_a_nearer_childrens_hall(nerima):
    problem, plan = nerima
    tl = plan.frame("timeline")
    halls = tl[tl["service_id"] == "childrens_hall"]
    a = plan.frame("assignments")
    a = a[a["service_id"] == "childrens_hall"]
    pairs = problem.pairs.set_index(["zone_id", "site_id"])["distance_m"]
    by_zone = problem.pairs.groupby("zone_id")
    checked = 0
    for r in a.itertuples():
        for y in (r.from_year, r.to_year):
            open_ = set(halls.loc[(halls["from_year"] <= y) & (halls["to_year"] >= y), "site_id"])
            g = by_zone.get_group(r.zone_id)
            near = g[g["site_id"].isin(open_)]["distance_m"]
            d = float(pairs[(r.zone_id, r.site_id)])
            assert d <= float(near.min()) + 1e-6, (r.zone_id, r.site_id, y)
            checked += 1
    assert checked > 100


def test_demand_by_year_follows_the_projection(model):
    p = problem_from_model(model)
    d = p.demand[p.demand["service_id"] == "primary_education"].groupby("year")["demand"].sum()
    assert isinstance(d, pd.Series) and np.all(np.isfinite(d.to_numpy()))
    assert d.loc[2048] < d.loc[2019]  # the projection's fewer children of primary age (docs/demand_projection.md)
