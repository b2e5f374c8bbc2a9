"""The two reform scenarios on Nerima: school mergers and hubs at the planned Oedo-line stations.

The fast tests read each scenario file and build its problem and MILP (the merger pairs and the
planned-station candidates are there with the right years); the slow ones solve them (minutes
each) and re-check the plans independently.
"""

from __future__ import annotations

import pytest

from facility_opt.pipeline import portfolio_options
from facility_opt.planning import load_planning_model
from facility_opt.portfolio import build_model, check_plan
from facility_opt.portfolio.build import problem_from_model
from facility_opt.portfolio.optimise import PortfolioOptimiser
from facility_opt.portfolio.reform import candidate_mergers, district_pupils
from facility_opt.resources import models_dir

PLANNED = ["CAND-ST-056", "CAND-ST-057", "CAND-ST-058"]  # 仮称 土支田, 大泉町, 大泉学園町


def scenario(name: str):
    model = load_planning_model(models_dir() / "scenarios" / f"{name}.yaml")
    return model, problem_from_model(model)


@pytest.fixture(scope="module")
def merger():
    return scenario("school_merger")


@pytest.fixture(scope="module")
def oedo():
    return scenario("oedo_extension")


def test_school_merger_scenario_lists_the_wards_pairs_and_neighbours(merger):
    _, p = merger
    assert [r.service for r in p.policy.mergers] == ["primary_education", "junior_high_education"]
    assert (p.policy.mergers[0].min_classes, p.policy.mergers[0].max_classes, p.policy.mergers[0].class_size) == (
        12,
        18,
        35,
    )
    pairs = candidate_mergers(p)
    got = set(zip(pairs["close"], pairs["into"]))
    assert {
        ("PS-001", "PS-002"),
        ("PS-002", "PS-001"),
        ("PS-028", "PS-026"),
    } <= got  # 旭丘小・小竹小; 光が丘第八小→田柄小
    assert int(pairs.loc[(pairs["close"] == "PS-028") & (pairs["into"] == "PS-026"), "from_year"].iat[0]) == 2032
    assert (pairs["service_id"] == "junior_high_education").any()
    # the default model has no mergers
    assert "mergers" not in load_planning_model(models_dir() / "nerima.yaml").portfolio["policy"]


def test_school_merger_model_keeps_only_pairs_the_window_can_allow(merger):
    _, p = merger
    m = build_model(p)
    assert m.J > 0 and m.m_ok.any(axis=1).all()
    lo, hi = p.policy.mergers[0].window
    # a merger may start only where the merged pupils fit 12-18 classes and one school is undersized
    tot = m.m_da + m.m_db
    assert ((tot[m.m_ok] >= lo) & (tot[m.m_ok] <= hi)).all()
    # on the imputed districts 旭丘小 + 小竹小 exceed 18 classes in every period: the window refuses them
    dp = district_pupils(p, "primary_education").pivot(index="district", columns="p", values="demand")
    assert ((dp.loc["PS-001"] + dp.loc["PS-002"]) > hi).all()
    assert not ((m.mpairs["close"] == "PS-001") & (m.mpairs["into"] == "PS-002")).any()
    assert "merge_district" in m.m.families and "merge_lock" in m.m.families


def test_oedo_extension_scenario_has_hubs_at_the_planned_stations_from_their_opening(oedo):
    _, p = oedo
    cand = p.sites[p.sites["kind"] == "candidate"].set_index("site_id")
    assert sorted(cand.index) == PLANNED
    assert (cand["available_from"] == 2040).all() and (cand["station_front_from"] == 2040).all()
    assert cand["owned"].all()
    assert sorted(p.policy.hubs) == PLANNED and all(h.min_services == 2 for h in p.policy.hubs.values())
    assert 2040 in list(p.policy.periods()["start"])
    m = build_model(p)
    # the candidates' open variables are fixed at 0 before 2040 (the period bound)
    starts = m.pstart
    for s in PLANNED:
        i = int(m.site_pos[s])
        ub = [m.v_open[i * m.P + q].upBound for q in range(m.P)]
        assert [u for u, y in zip(ub, starts) if y < 2040] == [0.0] * int((starts < 2040).sum())
    assert "hub" in m.m.families


@pytest.mark.slow
def test_school_merger_scenario_plan_holds(merger):
    model, p = merger
    plan = PortfolioOptimiser(portfolio_options(model)).optimise(p)
    assert plan.valid and check_plan(plan, p) == []
    lo, hi = p.policy.mergers[0].window
    for mg in plan.mergers:
        assert lo <= mg.pupils_merged <= hi
        assert {s.site_id: s for s in plan.sites}[mg.close].closes == mg.year


@pytest.mark.slow
def test_oedo_extension_scenario_plan_holds(oedo):
    model, p = oedo
    plan = PortfolioOptimiser(portfolio_options(model)).optimise(p)
    assert plan.valid and check_plan(plan, p) == []
    sites = {s.site_id: s for s in plan.sites}
    for s in PLANNED:
        assert sites[s].open_from == 2040
        assert len({t.service_id for t in plan.timeline if t.site_id == s and t.to_year >= 2040}) >= 2
