"""Portfolio optimiser on hand-solvable portfolios: exact decisions and objective values, locks,
frozen sites and services, validation errors, infeasibility reasons, the check, files, trade-off.

The multi-year mechanics (lead times, budgets, assignment rules, service floors) are in
``test_portfolio_multiyear.py``; every figure below is derived in ``portfolio_cases``.
"""

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
from facility_opt.portfolio.formulation.constants import FLOOR_TOL_M2, NEW_PLACEMENT_YEN
from facility_opt.solver import SolverOptions
from portfolio_cases import EXACT, school_and_hall, two_halls

#: school_and_hall: floor added by the school's rebuild for the hall (180 m², less the floor rows' tolerance)
HALL_M2 = 180.0 - FLOOR_TOL_M2
#: ... and what each m² of it costs: 400,000 ¥ built in the rebuild + 10,000 ¥ a year over 2033-2048
REBUILD_M2_YEN = 400_000 + 10_000 * 16


def plain_demand(p: PortfolioProblem) -> pd.DataFrame:
    """The demand of a problem whose demand is the same every year, without the year column."""
    d = p.demand[p.demand["year"] == p.policy.start_year].drop(columns="year")
    return d.reset_index(drop=True)


def with_demand(p: PortfolioProblem, **by_zone: float) -> PortfolioProblem:
    d = plain_demand(p)
    return p.replace(demand=d.assign(demand=d["zone_id"].map(by_zone)))


def decisions(plan: Plan) -> dict[str, str]:
    return {d.facility_id: d.decision for d in plan.decisions}


def events(plan: Plan) -> dict[str, tuple]:
    return {e.site_id: (e.status, e.year, e.closure_year, e.penalty_yen) for e in plan.events}


def test_close_the_dearer_of_two_adjacent_halls():
    plan = optimise_portfolio(two_halls(), EXACT)
    assert decisions(plan) == {"A": "keep", "B": "close"}
    assert plan.valid and not plan.violations
    # keep A (250e6) + close B in 2019 (0 - 300e6 sale)
    assert plan.kpis.cost_after_yen == pytest.approx(-50e6, abs=1)
    assert plan.kpis.cost_before_yen == pytest.approx(600e6, abs=1)
    assert plan.kpis.saving_yen == pytest.approx(650e6, abs=1)
    assert plan.solver.objective_yen == pytest.approx(-50e6, abs=1)
    assert plan.kpis.buildings_before == 2 and plan.kpis.buildings_after == 1
    assert {(a.zone_id, a.site_id, a.share, a.from_year, a.to_year) for a in plan.assignments} == {
        ("z1", "A", 1.0, 2019, 2048),
        ("z2", "A", 1.0, 2019, 2048),
    }
    # A's renovation in its due year; B's dropped at its closure, before it was due: no risk
    assert events(plan) == {"A": ("done", 2030, None, 0), "B": ("dropped", None, 2019, 0)}
    b = next(s for s in plan.sites if s.site_id == "B")
    assert (b.open_from, b.closes, b.open_after) == (2019, 2019, False)
    assert b.revenue_yen == pytest.approx(300e6) and b.running_yen == 0
    close = next(d for d in plan.decisions if d.facility_id == "B")
    assert close.year == 2019 and "closes in 2019" in close.reason and "sell" in close.reason
    assert plan.kpis.access_after_person_km == pytest.approx(215.0)
    assert plan.kpis.access_before_person_km == pytest.approx(177.5)


def test_capacity_forces_keeping_both_when_expansion_is_forbidden():
    p = with_demand(two_halls(allow_expansion=False), z1=40.0, z2=35.0)  # 75 > 60 places of one hall
    plan = optimise_portfolio(p, EXACT)
    assert decisions(plan) == {"A": "keep", "B": "keep"}
    assert plan.kpis.cost_after_yen == pytest.approx(600e6, abs=1)
    assert events(plan) == {"A": ("done", 2030, None, 0), "B": ("done", 2030, None, 0)}


def test_expansion_lets_one_hall_take_all_but_costs_floor():
    # 75 places in one hall: 15 more at A, each needing at least the floor per place in use now
    # (500 m² / 60 = 8.33 m²): 125 m² (less the 0.1 m² floor tolerance), usable from 2021 (built
    # 2019-2020), so B serves the overflow in 2019-2020 and closes in 2021:
    # A: 250e6 + 124.9 m² × (400,000 + 10,000 × 28 y); B: 2 y × 5e6 - 300e6 sale
    p = with_demand(two_halls(), z1=40.0, z2=35.0)
    plan = optimise_portfolio(p, EXACT)
    assert decisions(plan) == {"A": "keep", "B": "close"}
    (f,) = plan.floor
    assert (f.site_id, f.year, f.how, f.works_start, f.works_years) == ("A", 2021, "extension", 2019, 2)
    assert f.added_m2 == pytest.approx(125.0 - FLOOR_TOL_M2)
    expected = 250e6 + (125.0 - FLOOR_TOL_M2) * (400_000 + 10_000 * 28) + 10e6 - 300e6
    assert plan.kpis.cost_after_yen == pytest.approx(expected, abs=1)
    assert next(s for s in plan.sites if s.site_id == "B").closes == 2021
    # A's 75 places from 2021 (60 kept + 15 added), B's 60 until then
    assert {(r.site_id, r.from_year, r.to_year, r.capacity, r.added) for r in plan.timeline} == {
        ("A", 2019, 2020, 60.0, 0.0),
        ("A", 2021, 2048, 75.0, 15.0),
        ("B", 2019, 2020, 60.0, 0.0),
    }


def test_locking_the_cheaper_hall_closed_closes_the_other_way_round():
    plan = optimise_portfolio(two_halls(lock_closed=["A"]), EXACT)
    assert decisions(plan) == {"A": "close", "B": "keep"}
    assert plan.kpis.cost_after_yen == pytest.approx(350e6 - 300e6, abs=1)


def test_locking_the_dearer_hall_open_keeps_it():
    plan = optimise_portfolio(two_halls(lock_open=["B"]), EXACT)
    assert decisions(plan) == {"A": "close", "B": "keep"}
    assert plan.kpis.cost_after_yen == pytest.approx(50e6, abs=1)
    assert check_plan(plan, two_halls()) == []  # the same plan is feasible without the lock too


def test_frozen_site_and_frozen_service_are_left_alone():
    # frozen B: open with its hall, nothing added; then A is the one to close (+50e6)
    plan = optimise_portfolio(two_halls(frozen_sites=["B"]), EXACT)
    assert decisions(plan) == {"A": "close", "B": "keep"}
    assert plan.kpis.cost_after_yen == pytest.approx(50e6, abs=1)
    # a frozen service stays exactly where it is: nothing can close
    plan = optimise_portfolio(two_halls(frozen_services=["childrens_hall"]), EXACT)
    assert decisions(plan) == {"A": "keep", "B": "keep"}
    assert plan.kpis.cost_after_yen == pytest.approx(600e6, abs=1)
    assert {(r.site_id, r.from_year, r.to_year, r.capacity) for r in plan.timeline} == {
        ("A", 2019, 2048, 60.0),
        ("B", 2019, 2048, 60.0),
    }


def test_co_locate_the_hall_into_the_school_at_its_rebuild():
    plan = optimise_portfolio(school_and_hall(), EXACT)
    assert decisions(plan) == {"H": "close", "S": "host"}
    assert plan.valid
    host = next(d for d in plan.decisions if d.facility_id == "S")
    assert host.gained == ["hall"] and host.year == 2033
    assert host.floor_after_m2 == pytest.approx(5000.0 + HALL_M2)
    (f,) = plan.floor
    assert (f.site_id, f.year, f.how, f.works_start, f.works_years) == ("S", 2033, "rebuild", 2031, 2)
    hall = next(d for d in plan.decisions if d.facility_id == "H")
    assert hall.year == 2033 and "after its rebuild 2031-2032" in hall.reason
    assert events(plan) == {"H": ("dropped", None, 2033, 0), "S": ("done", 2031, None, 0)}
    assert {(r.site_id, r.service_id, r.from_year, r.to_year) for r in plan.timeline} == {
        ("H", "hall", 2019, 2032),
        ("S", "hall", 2033, 2048),
        ("S", "school", 2019, 2048),
    }
    expected = 2500e6 + HALL_M2 * REBUILD_M2_YEN + 14 * 2.5e6 - 240e6  # 2395.744e6
    assert plan.kpis.cost_after_yen == pytest.approx(expected, abs=1)
    assert plan.kpis.cost_before_yen == pytest.approx(2725e6, abs=1)
    assert plan.kpis.saving_yen == pytest.approx(2725e6 - expected, abs=1)
    # the objective adds the 1,000-yen tie-break of the new placement for each of its 16 years
    assert plan.solver.objective_yen == pytest.approx(expected + 16 * NEW_PLACEMENT_YEN, abs=1)
    cap = {(c.service_id, c.site_id): c for c in plan.capacities}
    assert cap["hall", "S"].added_capacity == pytest.approx(40.0)


def test_site_limit_blocks_co_location():
    # the school's site allows only 100 m² more floor: the hall cannot move in; both are rebuilt when due
    p = school_and_hall()
    p = p.replace(sites=p.sites.assign(site_area_m2=[600.0, 2550.0]))
    plan = optimise_portfolio(p, EXACT)
    assert decisions(plan) == {"H": "rebuild", "S": "rebuild"}
    assert events(plan) == {"H": ("done", 2033, None, 0), "S": ("done", 2031, None, 0)}
    assert plan.kpis.cost_after_yen == pytest.approx(2725e6, abs=1)


def test_capital_budget_and_floor_reduction_bounds_are_respected():
    plan = optimise_portfolio(school_and_hall(capital_budget_yen=50e6), EXACT)  # 180 m² cost 72e6 of capital
    assert decisions(plan) == {"H": "rebuild", "S": "rebuild"}
    assert plan.kpis.cost_after_yen == pytest.approx(2725e6, abs=1)
    # floor may not fall: the hall still moves, but the school is rebuilt 500 m² larger, not 180 m²
    plan = optimise_portfolio(school_and_hall(max_floor_reduction=0.0), EXACT)
    assert decisions(plan) == {"H": "close", "S": "host"}
    assert plan.kpis.floor_after_m2 == pytest.approx(5500.0)
    assert plan.kpis.cost_after_yen == pytest.approx(2500e6 + 500 * REBUILD_M2_YEN + 35e6 - 240e6, abs=1)


def test_unreachable_zone_is_named_with_the_blocking_standard():
    p = two_halls()
    p = p.replace(
        zones=pd.DataFrame({"zone_id": ["z1", "z2", "z3"], "name": ["North", "South", "Far east"]}),
        demand=pd.concat(
            [
                plain_demand(p),
                pd.DataFrame(
                    {"zone_id": ["z3"], "service_id": ["childrens_hall"], "population": [100.0], "demand": [10.0]}
                ),
            ]
        ),
        pairs=pd.concat([p.pairs, pd.DataFrame({"zone_id": ["z3"], "site_id": ["B"], "distance_m": [1500.0]})]),
    )
    with pytest.raises(InfeasibleError) as exc:
        optimise_portfolio(p, EXACT)
    (reason,) = exc.value.reasons
    assert "zone z3 (Far east)" in reason and "childrens_hall" in reason and "within 1,000 m" in reason
    assert "nearest eligible site is site B (Hall B) at 1,500 m" in reason


def test_infeasibility_names_the_lock_that_blocks_coverage():
    # z3 is reachable only from B; B is locked closed
    p = two_halls(lock_closed=["B"])
    p = p.replace(
        demand=pd.concat(
            [
                plain_demand(p),
                pd.DataFrame(
                    {"zone_id": ["z3"], "service_id": ["childrens_hall"], "population": [100.0], "demand": [10.0]}
                ),
            ]
        ),
        pairs=pd.concat([p.pairs, pd.DataFrame({"zone_id": ["z3"], "site_id": ["B"], "distance_m": [900.0]})]),
        zones=pd.DataFrame({"zone_id": ["z1", "z2", "z3"]}),
    )
    with pytest.raises(InfeasibleError) as exc:
        optimise_portfolio(p, EXACT)
    assert exc.value.reasons
    text = " ".join(exc.value.reasons)
    assert "lock_closed" in text and "B" in text and "z3" in text


def test_infeasibility_names_the_closure_limit_and_floor_reduction():
    # min 10 % floor reduction needs a closure, but max_closures = 0
    with pytest.raises(InfeasibleError) as exc:
        optimise_portfolio(two_halls(max_closures=0, min_floor_reduction=0.1), EXACT)
    text = " ".join(exc.value.reasons)
    assert "max_closures" in text or "min_floor_reduction" in text or "floor_reduction" in text


def test_check_plan_finds_tampered_plans():
    p = two_halls()
    plan = optimise_portfolio(p, EXACT)
    assert check_plan(plan, p) == []
    # serve z2 from the closed hall B
    bad = plan.model_copy(
        update={
            "assignments": [
                a.model_copy(update={"site_id": "B", "distance_m": 350.0}) if a.zone_id == "z2" else a
                for a in plan.assignments
            ]
        }
    )
    v = check_plan(bad, p)
    assert any("does not provide it" in x for x in v)
    # pretend the standard is 320 m: z2 is 500 m from A
    tight = p.replace(services=p.services.assign(coverage_m=320.0))
    assert any("beyond the standard 320 m" in x for x in check_plan(plan, tight))
    # a lock the plan ignores
    locked = p.replace(policy={"lock_open": ["B"]})
    assert any("locked open" in x for x in check_plan(plan, locked))
    # A's renovation moved outside its window (2027..2045)
    ev = [e.model_copy(update={"year": 2020, "end_year": 2020}) if e.site_id == "A" else e for e in plan.events]
    assert any("outside its window" in x for x in check_plan(plan.model_copy(update={"events": ev}), p))
    # capacity cut below what is assigned
    tl = [r.model_copy(update={"capacity": 50.0}) for r in plan.timeline]
    assert any("serves 55.00 units" in x for x in check_plan(plan.model_copy(update={"timeline": tl}), p))
    # a claimed cost the state does not support
    k = plan.kpis.model_copy(update={"cost_after_yen": plan.kpis.cost_after_yen + 1e6})
    assert any("recomputed horizon cost" in x for x in check_plan(plan.model_copy(update={"kpis": k}), p))


def test_plan_round_trip_and_files(tmp_path):
    plan = optimise_portfolio(school_and_hall(), EXACT)
    files = plan.to_files(tmp_path)
    assert sorted(files) == [
        "assignments.csv",
        "costs.csv",
        "decisions.csv",
        "events.csv",
        "floor.csv",
        "freed_sites.csv",
        "plan.json",
        "services.csv",
        "timeline.csv",
        "years.csv",
    ]
    back = Plan.from_json(tmp_path / "plan.json")
    assert back.to_json() == plan.to_json()
    assert back.solver.build_seconds == 0.0  # timings are not written
    d = pd.read_csv(tmp_path / "decisions.csv")
    assert list(d["facility_id"]) == ["H", "S"] and list(d["decision"]) == ["close", "host"]
    y = pd.read_csv(tmp_path / "years.csv")
    assert len(y) == 30 * 2 and y["year"].min() == 2019 and y["year"].max() == 2048
    e = pd.read_csv(tmp_path / "events.csv")
    assert list(e["status"]) == ["dropped", "done"] and e["year"].iloc[1] == 2031
    assert check_plan(back, school_and_hall()) == []


def test_min_share_mode_leaves_a_small_zone_uncovered():
    p = two_halls(min_share={"childrens_hall": 0.5})
    # z2 only reachable from B; with a 50 % minimum the optimiser may leave z2 (250 of 550) uncovered
    p = p.replace(pairs=p.pairs[~((p.pairs["zone_id"] == "z2") & (p.pairs["site_id"] == "A"))])
    plan = optimise_portfolio(p, EXACT)
    assert decisions(plan) == {"A": "keep", "B": "close"}
    assert {(u.zone_id, u.share) for u in plan.uncovered} == {("z2", 1.0)}
    assert min(u.from_year for u in plan.uncovered) == 2019 and max(u.to_year for u in plan.uncovered) == 2048
    assert plan.kpis.services[0].coverage_after == pytest.approx(300 / 550, abs=1e-6)
    assert all(y.covered_share == pytest.approx(300 / 550, abs=1e-6) for y in plan.years)


def test_invalid_tables_are_reported_together_with_file_row_and_field():
    p = two_halls()
    with pytest.raises(DataValidationError) as exc:
        PortfolioProblem.from_frames(
            sites=p.sites,
            services=p.services,
            demand=p.demand.assign(service_id="nursery"),
            placements=p.placements.assign(site_id="C"),
            pairs=p.pairs,
        )
    text = "\n".join(map(str, exc.value.issues))
    assert "unknown service 'nursery'" in text and "unknown site 'C'" in text
    issues = {(i.file, i.row, i.field) for i in exc.value.issues}
    assert ("demand", 1, "service_id") in issues and ("placements", 2, "site_id") in issues


def test_invalid_events_rules_and_demand_years_are_named():
    p = two_halls()
    ev = pd.DataFrame(
        {"site_id": ["A", "X"], "kind": "renovation", "due_year": 2030, "cost_yen": [-1.0, 5e6], "spread_years": [1, 0]}
    )
    dem = pd.concat([plain_demand(p).assign(year=2020), plain_demand(p).assign(year=2060)])
    with pytest.raises(DataValidationError) as exc:
        PortfolioProblem.from_frames(
            sites=p.sites,
            services=p.services.assign(rule="closest"),
            demand=dem,
            placements=p.placements,
            pairs=p.pairs,
            events=ev,
            policy={"start_year": 2019, "horizon_years": 30},
        )
    issues = {(i.file, i.row, i.field): i.message for i in exc.value.issues}
    assert "unknown existing site 'X'" in issues["events", 2, "site_id"]
    assert "must be >= 0" in issues["events", 1, "cost_yen"]
    assert "must be >= 1" in issues["events", 2, "spread_years"]
    assert "allocated, nearest, district" in issues["services", 1, "rule"]
    assert "2019..2048" in issues["demand", 3, "year"]
    # an events table without its required columns
    with pytest.raises(DataValidationError) as exc:
        p.replace(events=pd.DataFrame({"site_id": ["A"], "kind": ["renovation"]}))
    assert {(i.file, i.field) for i in exc.value.issues} == {("events", "due_year"), ("events", "cost_yen")}


def test_tradeoff_curve_is_monotone():
    p = two_halls()
    curve = tradeoff_curve(p, n_points=4, options=SolverOptions(gap_rel=0.0))
    assert list(curve["point"])[0] == "min_cost" and list(curve["point"])[-1] == "min_access"
    assert curve["status"].eq("optimal").all()
    # min cost: close B (access 300*0.3 + 250*0.5 = 215 person-km a year); min access: keep both (300*.3 + 250*.35)
    assert curve["cost_yen"].iloc[0] == pytest.approx(-50e6, abs=1)
    assert curve["cost_yen"].iloc[-1] == pytest.approx(600e6, abs=1)
    assert curve["cost_yen"].is_monotonic_increasing
    first, last = curve["access_person_km"].iloc[0], curve["access_person_km"].iloc[-1]
    assert last / first == pytest.approx(177.5 / 215.0)  # whatever the unit (per year or over the horizon)
    assert (curve["access_person_km"] <= curve["epsilon_person_km"].fillna(1e18) + 1e-6).all()


def test_a_service_without_capacity_need_still_needs_a_host_within_reach():
    """demand_rate 0 (meeting rooms, a seniors' room): no places to size, but every resident still needs a
    site within the standard. two_halls with zero demand: selling both halls (-600e6) would leave both zones
    without a hall, so the optimum is the same as with demand: keep A (250e6), sell B (-300e6) = -50e6, and
    A keeps its current capacity (the `offer` rows: a zone is served only where the service has a unit)."""
    plan = optimise_portfolio(with_demand(two_halls(), z1=0.0, z2=0.0), EXACT)
    assert decisions(plan) == {"A": "keep", "B": "close"}
    assert plan.valid and not plan.violations
    assert plan.kpis.cost_after_yen == pytest.approx(-50e6, abs=1)
    assert {(a.zone_id, a.site_id, a.share) for a in plan.assignments} == {("z1", "A", 1.0), ("z2", "A", 1.0)}
    assert all(r.capacity >= 1.0 for r in plan.timeline if r.site_id == "A")
