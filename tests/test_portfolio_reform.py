"""The reform plan's moves on hand-solvable problems: planned stations, downsizing at rebuild (減築),
school mergers (統合) with their class window and clubs, and function conversion at a cost (機能転換).

Every expected optimum is computed by hand in the case's docstring; every plan is re-checked by
:func:`check_plan` (``optimise_portfolio`` raises on a violation) and again here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from facility_opt.errors import DataValidationError
from facility_opt.portfolio import PortfolioProblem, check_plan, optimise_portfolio
from facility_opt.portfolio.formulation.constants import FLOOR_TOL_M2, NEW_PLACEMENT_YEN
from portfolio_cases import EXACT


# ---------------------------------------------------------------------- planned station
def hall_and_station(opening: int) -> PortfolioProblem:
    """An old hall H (500 m², 50,000 ¥/m²/yr to run: 25e6 a year) and a candidate site N at a planned
    station opening in ``opening`` (owned land, 400,000 ¥/m² to build, 10,000 ¥/m²/yr to run).

    10 years from 2019, periods of 2 years, construction 2 years.  The hall's 40 places need
    40 × 5 m² × 0.9 = 180 m² at N (179.9 with the floor rows' 0.1 m² tolerance).
    Keep H: 250e6.  Move to N when it opens in year Y (H closes then):
    H 25e6 × (Y − 2019) + 179.9 × 400,000 = 71.96e6 + 179.9 × 10,000 × (2029 − Y).
    Y = 2021: 50 + 71.96 + 14.392 = 136.352e6; Y = 2025: 150 + 71.96 + 7.196 = 229.156e6;
    Y = 2027: 200 + 71.96 + 3.598 = 275.558e6 > 250e6: keep H.
    """
    sites = pd.DataFrame(
        {
            "site_id": ["H", "N"],
            "kind": ["existing", "candidate"],
            "category": "hall",
            "floor_area_m2": [500.0, 0.0],
            "site_area_m2": [np.nan, 1000.0],
            "max_far": [np.nan, 2.0],
            "sellable": False,
            "available_from": [0, opening],
            "operating_yen_per_m2_year": [50_000.0, 10_000.0],
            "build_yen_per_m2": 400_000.0,
        }
    )
    return PortfolioProblem.from_frames(
        sites=sites,
        services=pd.DataFrame(
            {"service_id": ["hall"], "coverage_m": [1000.0], "floor_m2_per_unit": [5.0], "host_categories": ["hall"]}
        ),
        demand=pd.DataFrame({"zone_id": ["z"], "service_id": ["hall"], "population": [400.0], "demand": [40.0]}),
        placements=pd.DataFrame({"site_id": ["H"], "service_id": ["hall"], "capacity": [50.0]}),
        pairs=pd.DataFrame({"zone_id": ["z", "z"], "site_id": ["H", "N"], "distance_m": [500.0, 400.0]}),
        policy={"start_year": 2019, "horizon_years": 10},
        name="hall and planned station",
    )


@pytest.mark.parametrize(
    "opening, opens, cost", [(2021, 2021, 136.352e6), (2025, 2025, 229.156e6), (2027, None, 250e6)]
)
def test_a_planned_station_candidate_is_usable_only_from_its_opening_year(opening, opens, cost):
    plan = optimise_portfolio(hall_and_station(opening), EXACT)
    n = {s.site_id: s for s in plan.sites}["N"]
    assert n.open_from == opens
    assert plan.kpis.cost_after_yen == pytest.approx(cost, abs=1)
    assert not check_plan(plan, hall_and_station(opening))


def test_the_check_rejects_a_candidate_used_before_its_station_opens():
    plan = optimise_portfolio(hall_and_station(2021), EXACT)
    assert any("opens in 2021" in v for v in check_plan(plan, hall_and_station(2025)))


# ---------------------------------------------------------------------- downsizing at rebuild
def hall_rebuilt(late_demand: float = 60.0, **policy) -> PortfolioProblem:
    """A hall of 1,000 m² (100 places at 10 m² each) whose 60 children need 600 m²; its rebuild
    (400e6: 1,000 m² × 400,000) is due 2025 and takes 2 years (usable 2027).

    10 years from 2019, periods of 2 years, running 10,000 ¥/m²/yr, no land.  Keeping it as it is:
    400e6 + 1,000 × 10,000 × 10 = 500e6.  Downsizing (減築): the rebuild leaves out 400.1 m² (the floor
    rows' 0.1 m² tolerance), each saving 400,000 of building and 10,000 × 2 years (2027-2028) of
    running: 400.1 × 420,000 = 168.042e6, so 331.958e6.  Rebuilding earlier to save running costs
    2 % of 400e6 a year early (8e6) for 4e6 a year of running: not worth it.  If 100 children come
    from 2027 (``late_demand``), the whole floor is needed after the rebuild: no downsizing, 500e6.
    """
    years = list(range(2019, 2029))
    return PortfolioProblem.from_frames(
        sites=pd.DataFrame(
            {
                "site_id": ["D"],
                "category": "hall",
                "floor_area_m2": [1000.0],
                "sellable": False,
                "operating_yen_per_m2_year": [10_000.0],
                "build_yen_per_m2": [400_000.0],
            }
        ),
        services=pd.DataFrame(
            {"service_id": ["hall"], "coverage_m": [1000.0], "floor_m2_per_unit": [10.0], "host_categories": ["hall"]}
        ),
        demand=pd.DataFrame(
            {
                "zone_id": "z",
                "service_id": "hall",
                "year": years,
                "population": 600.0,
                "demand": [60.0 if y < 2027 else late_demand for y in years],
            }
        ),
        placements=pd.DataFrame({"site_id": ["D"], "service_id": ["hall"], "capacity": [100.0]}),
        pairs=pd.DataFrame({"zone_id": ["z"], "site_id": ["D"], "distance_m": [300.0]}),
        events=pd.DataFrame(
            {"site_id": ["D"], "kind": ["rebuild"], "due_year": [2025], "spread_years": [2], "cost_yen": [400e6]}
        ),
        policy={"start_year": 2019, "horizon_years": 10, **policy},
        name="hall rebuilt",
    )


def test_downsizing_at_rebuild_when_it_pays_with_the_cost_by_hand():
    plan = optimise_portfolio(hall_rebuilt(allow_downsizing=True), EXACT)
    (f,) = plan.floor
    assert (f.how, f.year, f.works_start) == ("downsize", 2027, 2025)
    assert f.added_m2 == pytest.approx(-(400.0 + FLOOR_TOL_M2), abs=0.05)
    assert plan.kpis.cost_after_yen == pytest.approx(500e6 - 400.1 * 420_000, abs=1)
    assert plan.kpis.floor_after_m2 == pytest.approx(599.9, abs=0.05)
    d = {x.site_id: x for x in plan.sites}["D"]
    assert d.renewal_yen == pytest.approx(400e6 - 400.1 * 400_000, abs=1)  # the rebuild is that much cheaper
    (dec,) = plan.decisions
    assert "smaller" in dec.reason and "400" in dec.reason


def test_downsizing_is_off_by_default_and_not_chosen_when_the_floor_is_needed_later():
    assert optimise_portfolio(hall_rebuilt(), EXACT).kpis.cost_after_yen == pytest.approx(500e6, abs=1)
    plan = optimise_portfolio(hall_rebuilt(late_demand=100.0, allow_downsizing=True), EXACT)
    assert not plan.floor
    assert plan.kpis.cost_after_yen == pytest.approx(500e6, abs=1)


def test_the_check_rejects_downsizing_below_the_services_floor():
    p = hall_rebuilt(allow_downsizing=True)
    plan = optimise_portfolio(p, EXACT)
    (f,) = plan.floor
    bad = plan.model_copy(update={"floor": [f.model_copy(update={"added_m2": -700.0})]})
    assert any("needs" in v and "D" in v for v in check_plan(bad, p))


# ---------------------------------------------------------------------- school mergers
def three_schools(class_size: int = 35, pairs=None, **policy) -> PortfolioProblem:
    """Three primary schools with their own districts and after-school clubs inside A and B.

    A: 150 pupils (capacity 200, 2,000 m²) and a club of 40 places (200 m²) for 30 children;
    B: 300 pupils (capacity 450, 4,500 m²) and a club of 70 places (350 m²) for 35 children;
    C: 500 pupils (capacity 500, 5,000 m²), no club.  Schools are locked open and keep schooling
    (as in Nerima) unless merged; clubs stay in their school while it is open (``anchor_keeps``).
    10 years from 2019, first change 2021 (periods 2019, 2021, ..., 2027), running 10,000 ¥/m²/yr;
    A's 3,000 m² site sells for 100,000 ¥/m² = 300e6.  Keeping everything: 12,050 m² × 10,000 × 10 =
    1,205e6.

    Window 12–18 classes × 35 = 420–630 pupils: A→B (450, A undersized) may merge; A→C (650) and
    B→C (800) may not.  A→B in 2021: A runs 2 years (44e6) and is sold (300e6), B and C run 10
    years (985e6): 729e6; B's school takes 450 ≤ its 450 places and its club 65 ≤ 70, so nothing is
    built.  B→A would need 250 more places at A (2,500 m² of building): dearer.  With 20 pupils a
    class (240–360) no pair fits: 1,205e6.
    """
    pol = {
        "start_year": 2019,
        "horizon_years": 10,
        "earliest_change_year": 2021,
        "sharing_saving": 0.0,
        "lock_open": ["A", "B", "C"],
        "keep_services": ["school"],
        "mergers": [
            {
                "service": "school",
                "class_size": class_size,
                "pairs": pairs
                if pairs is not None
                else [{"close": "A", "into": "B"}, {"close": "B", "into": "A"}, {"close": "A", "into": "C"}],
            }
        ],
        **policy,
    }
    sites = pd.DataFrame(
        {
            "site_id": ["A", "B", "C"],
            "category": "school",
            "floor_area_m2": [2200.0, 4850.0, 5000.0],
            "site_area_m2": [3000.0, np.nan, np.nan],
            "land_value_yen_per_m2": [100_000.0, 0.0, 0.0],
            "operating_yen_per_m2_year": 10_000.0,
            "build_yen_per_m2": 400_000.0,
            "x": [0.0, 800.0, 2000.0],
            "y": 0.0,
        }
    )
    services = pd.DataFrame(
        {
            "service_id": ["club", "school"],
            "coverage_m": [np.nan, np.nan],
            "floor_m2_per_unit": [5.0, 10.0],
            "host_categories": ["school", "school"],
            "rule": "district",
            "district_of": ["school", ""],
            "anchor_keeps": [True, False],
            "max_capacity_per_site": [np.nan, 630.0],
        }
    )
    demand = pd.DataFrame(
        {
            "zone_id": ["zA", "zB", "zC", "zA", "zB"],
            "service_id": ["school"] * 3 + ["club"] * 2,
            "population": [150.0, 300.0, 500.0, 30.0, 35.0],
            "demand": [150.0, 300.0, 500.0, 30.0, 35.0],
        }
    )
    placements = pd.DataFrame(
        {
            "site_id": ["A", "A", "B", "B", "C"],
            "service_id": ["school", "club"] * 2 + ["school"],
            "capacity": [200.0, 40.0, 450.0, 70.0, 500.0],
            "floor_area_m2": [2000.0, 200.0, 4500.0, 350.0, 5000.0],
        }
    )
    zs = ["zA", "zB", "zC"]
    pairs_ = pd.DataFrame(
        {
            "zone_id": np.repeat(zs, 3),
            "site_id": ["A", "B", "C"] * 3,
            "distance_m": [300.0, 900.0, 2100.0, 700.0, 300.0, 1300.0, 1800.0, 1000.0, 300.0],
        }
    )
    return PortfolioProblem.from_frames(
        sites=sites,
        services=services,
        demand=demand,
        placements=placements,
        pairs=pairs_,
        policy=pol,
        name="three schools",
        zone_districts=pd.DataFrame({"service_id": "school", "zone_id": zs, "district": ["A", "B", "C"]}),
        site_districts=pd.DataFrame({"service_id": "school", "site_id": ["A", "B", "C"], "district": ["A", "B", "C"]}),
    )


def test_an_undersized_school_merges_within_the_class_window_and_its_club_follows():
    p = three_schools()
    plan = optimise_portfolio(p, EXACT)
    (m,) = plan.mergers
    assert (m.close, m.into, m.year, m.pupils_merged, m.classes_merged) == ("A", "B", 2021, 450.0, 13)
    assert plan.kpis.cost_after_yen == pytest.approx(729e6, abs=1)
    a = {s.site_id: s for s in plan.sites}["A"]
    assert a.closes == 2021
    # from 2021 A's pupils and club children are served at B (the districts merged)
    late = [x for x in plan.assignments if x.zone_id == "zA" and x.from_year >= 2021]
    assert {(x.service_id, x.site_id) for x in late} == {("school", "B"), ("club", "B")}
    assert not check_plan(plan, p)


def test_mergers_outside_the_class_window_are_refused():
    p = three_schools(class_size=20)  # 240-360 pupils: A+B = 450 and A+C = 650 are too large
    plan = optimise_portfolio(p, EXACT)
    assert not plan.mergers
    assert plan.kpis.cost_after_yen == pytest.approx(1205e6, abs=1)
    # only the A -> C pair (650 pupils) on offer: refused at 35 a class too
    plan = optimise_portfolio(three_schools(pairs=[{"close": "A", "into": "C"}]), EXACT)
    assert not plan.mergers
    assert plan.kpis.cost_after_yen == pytest.approx(1205e6, abs=1)


def test_no_merger_without_the_policy_and_the_check_names_a_merger_outside_the_window():
    p = three_schools(mergers=[])
    assert optimise_portfolio(p, EXACT).kpis.cost_after_yen == pytest.approx(1205e6, abs=1)
    plan = optimise_portfolio(three_schools(), EXACT)
    assert any("outside 12-18 classes" in v for v in check_plan(plan, three_schools(class_size=20)))
    assert any("not a candidate merger" in v for v in check_plan(plan, three_schools(pairs=[])))


def test_a_merger_pair_must_name_existing_sites():
    with pytest.raises(DataValidationError, match="mergers"):
        three_schools(pairs=[{"close": "A", "into": "X"}])
    with pytest.raises(ValueError, match="cannot merge into itself"):
        three_schools(pairs=[{"close": "A", "into": "A"}])


def test_a_hub_at_a_planned_station_opens_with_it_and_not_before():
    p = hall_and_station(2025)
    with pytest.raises(DataValidationError, match="hub 'N' from 2021"):
        p.replace(policy={"hubs": {"N": {"from_year": 2021}}})
    # a hub of one service with 40 places from 2027, at a station opening in 2027: the hall moves there
    # although the move alone does not pay (275.558e6 against 250e6; H closes, as keeping it costs more)
    hub = {"hubs": {"N": {"min_services": 1, "min_places": 40}}}
    plan = optimise_portfolio(hall_and_station(2027).replace(policy=hub), EXACT)
    assert {s.site_id: s.open_from for s in plan.sites}["N"] == 2027
    assert plan.kpis.cost_after_yen == pytest.approx(275.558e6, abs=1)


# ---------------------------------------------------------------------- function conversion
def hall_into_community(rate: float) -> PortfolioProblem:
    """A hall H (500 m², 50 places, 40 children) next to a community building K (1,000 m², 400 m²
    used by its meetings): the hall may move into K's spare floor, a building of a category where it
    is nowhere today, so the 40 × 10 m² × 0.9 = 360 m² it takes there are converted (機能転換).

    10 years from 2019, changes from 2019, running 10,000 ¥/m²/yr; H's 600 m² site sells for
    500,000 ¥/m² = 300e6.  Keep both: 50e6 + 100e6 = 150e6.  Move in 2019: 100e6 − 300e6 +
    360 × ``rate``: with 100,000 ¥/m² −164e6 (plus the new placement's tie-break, 10 × 1,000 ¥).  With
    2,000,000 ¥/m² converting (720e6) is dearer than building the 360 m² new at K (400,000 ¥/m², built
    2019-2020, usable 2021; floor added needs no conversion): K 100e6 + H until 2021 10e6 + 144e6 +
    360 × 10,000 × 8 = 28.8e6 − 300e6 = −17.2e6, still cheaper than keeping both (150e6).
    """
    sites = pd.DataFrame(
        {
            "site_id": ["H", "K"],
            "category": ["hall", "community"],
            "floor_area_m2": [500.0, 1000.0],
            "site_area_m2": [600.0, np.nan],
            "land_value_yen_per_m2": [500_000.0, 0.0],
            "operating_yen_per_m2_year": 10_000.0,
            "build_yen_per_m2": 400_000.0,
        }
    )
    services = pd.DataFrame(
        {
            "service_id": ["hall", "meeting"],
            "coverage_m": [1000.0, 1000.0],
            "floor_m2_per_unit": [10.0, 10.0],
            "host_categories": ["hall;community", "community"],
        }
    )
    return PortfolioProblem.from_frames(
        sites=sites,
        services=services,
        demand=pd.DataFrame(
            {"zone_id": "z", "service_id": ["hall", "meeting"], "population": [400.0, 400.0], "demand": [40.0, 40.0]}
        ),
        placements=pd.DataFrame(
            {
                "site_id": ["H", "K"],
                "service_id": ["hall", "meeting"],
                "capacity": [50.0, 40.0],
                "floor_area_m2": [500.0, 400.0],
            }
        ),
        pairs=pd.DataFrame({"zone_id": ["z", "z"], "site_id": ["H", "K"], "distance_m": [300.0, 400.0]}),
        policy={"start_year": 2019, "horizon_years": 10, "conversion_yen_per_m2": rate},
        name="hall into community",
    )


def test_a_move_into_another_categorys_floor_pays_the_conversion_cost():
    p = hall_into_community(100_000.0)
    plan = optimise_portfolio(p, EXACT)
    (c,) = plan.conversions
    assert (c.site_id, c.year, c.converted_m2, c.cost_yen) == ("K", 2019, 360.0, 36e6)
    assert plan.kpis.cost_after_yen == pytest.approx(100e6 - 300e6 + 36e6, abs=1)
    assert plan.solver.objective_yen == pytest.approx(-164e6 + 10 * NEW_PLACEMENT_YEN, abs=1)
    assert {s.site_id: s.new_build_yen for s in plan.sites}["K"] == pytest.approx(36e6, abs=1)
    # the check asks for the converted floor
    bad = plan.model_copy(update={"conversions": []})
    assert any("conversion: K" in v for v in check_plan(bad, p))


def test_a_dear_conversion_makes_new_floor_the_cheaper_way():
    plan = optimise_portfolio(hall_into_community(2_000_000.0), EXACT)
    assert not plan.conversions
    assert [(f.site_id, f.how, f.year, f.added_m2) for f in plan.floor] == [("K", "extension", 2021, 360.0)]
    assert plan.kpis.cost_after_yen == pytest.approx(-17.2e6, abs=1)


def test_a_required_merger_is_made_even_when_it_costs_more():
    """B → A required (450 pupils, B undersized): A needs 250 school places (2,500 m²) and 25 club places
    (125 m²), built 2021-2022 and usable 2023, the earliest merger (each later year keeps B's 48.5e6 of
    running against the new floor's 26.249e6).  A 220e6 + C 500e6 + B until 2023 4 × 48.5e6 = 194e6 +
    2,624.9 m² (the 0.1 m² tolerance) × 400,000 = 1,049.96e6 + 2,624.9 × 10,000 × 6 = 157.494e6:
    2,121.454e6 (no land: B's site area is unknown)."""
    p = three_schools(pairs=[{"close": "B", "into": "A", "required": True}])
    plan = optimise_portfolio(p, EXACT)
    assert [(m.close, m.into, m.year) for m in plan.mergers] == [("B", "A", 2023)]
    assert plan.kpis.cost_after_yen == pytest.approx(2121.454e6, abs=1)
    unmade = plan.model_copy(update={"mergers": []})
    assert any("required merger B -> A is not made" in v for v in check_plan(unmade, p))


def test_a_building_rebuilt_before_the_move_needs_no_conversion():
    """K's rebuild (10e6, due 2021, 2 years) is new floor throughout once complete: starting it 2 years
    early (2019; 2 % a year early: 0.4e6) finishes it for 2021, when the hall moves in without a
    conversion: K 100e6 + 10e6 + 0.4e6 + H until 2021 10e6 − 300e6 = −179.6e6, against moving in 2019
    and converting (−164e6) or waiting for the due rebuild (2023: −170e6)."""
    p = hall_into_community(100_000.0)
    p = p.replace(
        events=pd.DataFrame(
            {"site_id": ["K"], "kind": ["rebuild"], "due_year": [2021], "spread_years": [2], "cost_yen": [10e6]}
        )
    )
    plan = optimise_portfolio(p, EXACT)
    assert not plan.conversions
    assert {s.site_id: s.closes for s in plan.sites}["H"] == 2021
    assert plan.kpis.cost_after_yen == pytest.approx(-179.6e6, abs=1)
