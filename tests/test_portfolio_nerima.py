"""The Nerima default portfolio model: a valid plan that co-locates clubs and hall functions into schools."""

from __future__ import annotations

import pytest

from facility_opt.portfolio import check_plan, optimise_portfolio
from facility_opt.portfolio.build import nerima_problem


@pytest.fixture(scope="module")
def nerima():
    problem = nerima_problem()
    return problem, optimise_portfolio(problem)


def test_nerima_problem_is_built_from_the_embedded_data():
    p = nerima_problem()
    assert len(p.zones) == 202
    assert int((p.sites["kind"] == "existing").sum()) == 196  # 271 facilities in 196 buildings
    assert set(p.services["service_id"]) == {"primary_education", "junior_high_education", "after_school_club",
                                             "childrens_hall", "nursery", "kindergarten"}
    assert (p.sites["kind"] == "candidate").sum() > 0 and p.sites.loc[p.sites["kind"] == "candidate",
                                                                          "station_front"].all()


@pytest.mark.slow
def test_nerima_plan_co_locates_into_schools_and_saves(nerima):
    problem, plan = nerima
    assert plan.valid and check_plan(plan, problem) == []
    assert plan.solver.gap is not None and plan.solver.gap <= 0.005
    d = plan.frame("decisions")
    hosts = d[(d["decision"] == "host") & d["facility_id"].str.match(r"^(PS|JH)-")]
    gained = {k for ks in hosts["gained"] for k in ks}
    assert {"after_school_club", "childrens_hall"} <= gained
    # co-location at a school's rebuild: the host's change year is its rebuild year
    sites = problem.sites.set_index("site_id")
    at_rebuild = [f for f in hosts["facility_id"] if sites.loc[f, "next_rebuild_year"] == sites.loc[f, "change_year"]]
    assert at_rebuild
    halls = d[d["facility_id"].str.startswith("CH-")]
    assert (halls["decision"] == "close").sum() >= 5
    assert plan.kpis.saving_yen > 0 and plan.kpis.buildings_after < plan.kpis.buildings_before
    for s in plan.kpis.services:
        if s.service_id != "kindergarten":
            assert s.coverage_after == pytest.approx(1.0)
