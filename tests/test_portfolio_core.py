"""Portfolio optimiser on hand-solvable portfolios: exact decisions and objective values."""

from __future__ import annotations

import pandas as pd
import pytest

from facility_opt.errors import DataValidationError, InfeasibleError
from facility_opt.portfolio import (
    Plan,
    PortfolioProblem,
    check_plan,
    optimise_portfolio,
    tradeoff_curve,
)
from facility_opt.solver import SolverOptions
from portfolio_cases import EXACT, school_and_hall, two_halls

def decisions(plan: Plan) -> dict[str, str]:
    return {d.facility_id: d.decision for d in plan.decisions}


def test_close_the_dearer_of_two_adjacent_halls():
    plan = optimise_portfolio(two_halls(), EXACT)
    assert decisions(plan) == {"A": "keep", "B": "close"}
    assert plan.valid and not plan.violations
    # keep A (250e6) + close B (0 - 300e6 sale)
    assert plan.kpis.cost_after_yen == pytest.approx(-50e6, abs=1)
    assert plan.kpis.cost_before_yen == pytest.approx(600e6, abs=1)
    assert plan.kpis.saving_yen == pytest.approx(650e6, abs=1)
    assert plan.solver.objective_yen == pytest.approx(-50e6, abs=1)
    assert plan.kpis.buildings_before == 2 and plan.kpis.buildings_after == 1
    assert {(a.zone_id, a.site_id, a.share) for a in plan.assignments} == {("z1", "A", 1.0), ("z2", "A", 1.0)}
    close = next(d for d in plan.decisions if d.facility_id == "B")
    assert "moves to Hall A (A)" in close.reason and "within 1,000 m" in close.reason
    assert close.year == 2019


def test_capacity_forces_keeping_both_when_expansion_is_forbidden():
    p = two_halls(allow_expansion=False)
    p = p.replace(demand=p.demand.assign(demand=[40.0, 35.0]))  # 75 > 60 places of one hall
    plan = optimise_portfolio(p, EXACT)
    assert decisions(plan) == {"A": "keep", "B": "keep"}
    assert plan.kpis.cost_after_yen == pytest.approx(600e6, abs=1)


def test_locking_the_cheaper_hall_closed_closes_the_other_way_round():
    plan = optimise_portfolio(two_halls(lock_closed=["A"]), EXACT)
    assert decisions(plan) == {"A": "close", "B": "keep"}
    assert plan.kpis.cost_after_yen == pytest.approx(350e6 - 300e6, abs=1)


def test_co_locate_the_hall_into_the_school_at_its_rebuild():
    plan = optimise_portfolio(school_and_hall(), EXACT)
    assert decisions(plan) == {"H": "close", "S": "host"}
    host = next(d for d in plan.decisions if d.facility_id == "S")
    assert host.gained == ["hall"] and host.year == 2031
    assert host.floor_after_m2 == pytest.approx(5180.0)
    hall = next(d for d in plan.decisions if d.facility_id == "H")
    assert hall.year == 2025 and "co-located at its 2031 rebuild" in hall.reason
    expected = 2500e6 - 180e6 + 180 * 580_000
    assert plan.kpis.cost_after_yen == pytest.approx(expected, abs=1)
    assert plan.kpis.saving_yen == pytest.approx(2500e6 + 450e6 - expected, abs=1)
    # the objective adds the 1,000-yen tie-break of one new placement
    assert plan.solver.objective_yen == pytest.approx(expected + 1000, abs=1)
    cap = {(c.service_id, c.site_id): c for c in plan.capacities}
    assert cap["hall", "S"].added_capacity == pytest.approx(40.0)
    assert plan.valid


def test_site_limit_blocks_co_location():
    # the school's site allows only 100 m² more floor: the hall cannot move in
    p = school_and_hall()
    p = p.replace(sites=p.sites.assign(site_area_m2=[600.0, 2550.0]))
    plan = optimise_portfolio(p, EXACT)
    assert decisions(plan) == {"H": "rebuild", "S": "rebuild"}


def test_budget_and_floor_reduction_bounds_are_respected():
    p = school_and_hall(capital_budget_yen=50e6)  # the 180 m² extension costs 72e6 of capital
    plan = optimise_portfolio(p, EXACT)
    assert decisions(plan)["H"] == "rebuild"
    # floor area may not fall: the hall still moves, but the school is rebuilt 500 m² larger, not 180 m²
    p = school_and_hall(max_floor_reduction=0.0)
    plan = optimise_portfolio(p, EXACT)
    assert decisions(plan) == {"H": "close", "S": "host"}
    assert plan.kpis.floor_after_m2 == pytest.approx(5500.0)
    assert plan.kpis.cost_after_yen == pytest.approx(2500e6 - 180e6 + 500 * 580_000, abs=1)


def test_unreachable_zone_is_named_with_the_blocking_standard():
    p = two_halls()
    p = p.replace(zones=pd.DataFrame({"zone_id": ["z1", "z2", "z3"], "name": ["North", "South", "Far east"]}),
                  demand=pd.concat([p.demand, pd.DataFrame({"zone_id": ["z3"], "service_id": ["childrens_hall"],
                                                            "population": [100.0], "demand": [10.0]})]),
                  pairs=pd.concat([p.pairs, pd.DataFrame({"zone_id": ["z3"], "site_id": ["B"],
                                                          "distance_m": [1500.0]})]))
    with pytest.raises(InfeasibleError) as exc:
        optimise_portfolio(p, EXACT)
    (reason,) = exc.value.reasons
    assert "zone z3 (Far east)" in reason and "childrens_hall" in reason and "within 1,000 m" in reason
    assert "nearest eligible site is site B (Hall B) at 1,500 m" in reason


def test_infeasibility_names_the_lock_that_blocks_coverage():
    # z3 is reachable only from B; B is locked closed
    p = two_halls(lock_closed=["B"])
    p = p.replace(demand=pd.concat([p.demand, pd.DataFrame({"zone_id": ["z3"], "service_id": ["childrens_hall"],
                                                            "population": [100.0], "demand": [10.0]})]),
                  pairs=pd.concat([p.pairs, pd.DataFrame({"zone_id": ["z3"], "site_id": ["B"],
                                                          "distance_m": [900.0]})]),
                  zones=pd.DataFrame({"zone_id": ["z1", "z2", "z3"]}))
    with pytest.raises(InfeasibleError) as exc:
        optimise_portfolio(p, EXACT)
    assert len(exc.value.reasons) == 1
    assert "policy.lock_closed: site B (Hall B) must open" in exc.value.reasons[0]
    assert "z3" in exc.value.reasons[0]


def test_infeasibility_names_the_closure_limit_and_budget():
    # min 10 % floor reduction needs a closure, but max_closures = 0
    with pytest.raises(InfeasibleError) as exc:
        optimise_portfolio(two_halls(max_closures=0, min_floor_reduction=0.1), EXACT)
    text = " ".join(exc.value.reasons)
    assert "policy.max_closures" in text or "policy.min_floor_reduction" in text


def test_check_plan_finds_tampered_plans():
    p = two_halls()
    plan = optimise_portfolio(p, EXACT)
    assert check_plan(plan, p) == []
    # serve z2 from the closed hall B
    bad = plan.model_copy(update={"assignments": [a.model_copy(update={"site_id": "B", "distance_m": 350.0})
                                                  if a.zone_id == "z2" else a for a in plan.assignments]})
    v = check_plan(bad, p)
    assert any("does not provide it" in x for x in v)
    # pretend the standard is 320 m: z2 is 500 m from A
    tight = p.replace(services=p.services.assign(coverage_m=320.0))
    assert any("beyond the standard 320 m" in x for x in check_plan(plan, tight))
    # a lock the plan ignores
    locked = p.replace(policy={"lock_open": ["B"]})
    assert any("locked open" in x for x in check_plan(plan, locked))


def test_plan_round_trip_and_files(tmp_path):
    plan = optimise_portfolio(school_and_hall(), EXACT)
    files = plan.to_files(tmp_path)
    assert sorted(files) == ["assignments.csv", "costs.csv", "decisions.csv", "plan.json", "services.csv"]
    back = Plan.from_json(tmp_path / "plan.json")
    assert back.to_json() == plan.to_json()
    assert back.solver.build_seconds == 0.0  # timings are not written
    d = pd.read_csv(tmp_path / "decisions.csv")
    assert list(d["facility_id"]) == ["H", "S"] and list(d["decision"]) == ["close", "host"]


def test_min_share_mode_leaves_a_small_zone_uncovered():
    p = two_halls(min_share={"childrens_hall": 0.5})
    # z2 only reachable from B; with a 50 % minimum the optimiser may leave z2 (250 of 550) uncovered
    p = p.replace(pairs=p.pairs[~((p.pairs["zone_id"] == "z2") & (p.pairs["site_id"] == "A"))])
    plan = optimise_portfolio(p, EXACT)
    assert decisions(plan) == {"A": "keep", "B": "close"}
    assert [(u.zone_id, u.share) for u in plan.uncovered] == [("z2", 1.0)]
    assert plan.kpis.services[0].coverage_after == pytest.approx(300 / 550, abs=1e-6)


def test_invalid_tables_are_reported_together():
    p = two_halls()
    with pytest.raises(DataValidationError) as exc:
        PortfolioProblem.from_frames(sites=p.sites, services=p.services,
                                     demand=p.demand.assign(service_id="nursery"),
                                     placements=p.placements.assign(site_id="C"), pairs=p.pairs)
    text = str(exc.value)
    assert "unknown service 'nursery'" in text and "unknown site 'C'" in text


def test_tradeoff_curve_is_monotone():
    # a third zone near B makes keeping B better for access
    p = two_halls()
    curve = tradeoff_curve(p, n_points=4, options=SolverOptions(gap_rel=0.0))
    assert list(curve["point"])[0] == "min_cost" and list(curve["point"])[-1] == "min_access"
    assert curve["status"].eq("optimal").all()
    # min cost: close B (access 300*0.3 + 250*0.5 = 215 person-km); min access: keep both (300*.3 + 250*.35)
    assert curve["cost_yen"].iloc[0] == pytest.approx(-50e6, abs=1)
    assert curve["access_person_km"].iloc[0] == pytest.approx(215.0)
    assert curve["access_person_km"].iloc[-1] == pytest.approx(177.5)
    assert curve["cost_yen"].iloc[-1] == pytest.approx(600e6, abs=1)
    assert curve["cost_yen"].is_monotonic_increasing
    assert (curve["access_person_km"] <= curve["epsilon_person_km"].fillna(1e18) + 1e-6).all()
