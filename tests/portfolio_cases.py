"""Hand-solvable multi-year portfolio problems shared by the portfolio, compare and report tests.

Every figure of the expected optima is computed by hand in the docstrings.  Unless a case says
otherwise: undiscounted yen, the default renewal rules (window 3 years early .. 15 late, early work
2 % of the event cost per year early, lateness ``cost × (1 % + 0.2 % × k)`` in the k-th year late),
events of one year (``spread_years`` 1) without floor area (no overdue-rebuild upkeep), no fixed
costs, no temporary premises.  The objective adds a tie-break of 1,000 yen per year of every new
placement (``model.NEW_PLACEMENT_YEN``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from facility_opt.portfolio import PortfolioOptions, PortfolioProblem
from facility_opt.solver import SolverOptions

EXACT = PortfolioOptions(solver=SolverOptions(gap_rel=0.0, threads=1))


def two_halls(**policy) -> PortfolioProblem:
    """Two children's halls 200 m apart; both zones are within 1 km of both; A is cheaper to keep.

    30 years from 2019, changes allowed from 2019 (the policy defaults).  Each hall has one
    renovation due 2030 (A 100e6, B 200e6), done in its due year when kept (no penalty).
    keep A = 100e6 renewal + 500 m² × 10,000 ¥/m²/yr × 30 y = 250e6; keep B = 200e6 + 150e6 = 350e6;
    closing either in 2019 (never open again) drops its renovation (no risk: it is not yet due) and
    sells its 600 m² site at 500,000 ¥/m² = 300e6.  Optimum: keep A, close B: 250e6 − 300e6 = −50e6;
    keep-everything baseline 600e6.  Access: z1 (300 people) 0.3 km to A, z2 (250) 0.5 km to A:
    215 person-km a year; keeping both (z2 to B at 0.35 km): 177.5.
    """
    pol = {"start_year": 2019, "horizon_years": 30, **policy}
    sites = pd.DataFrame(
        {
            "site_id": ["A", "B"],
            "name": ["Hall A", "Hall B"],
            "category": ["hall", "hall"],
            "floor_area_m2": [500.0, 500.0],
            "site_area_m2": [600.0, 600.0],
            "max_far": [2.0, 2.0],
            "land_value_yen_per_m2": [500_000.0, 500_000.0],
            "operating_yen_per_m2_year": [10_000.0, 10_000.0],
            "build_yen_per_m2": [400_000.0, 400_000.0],
            "x": [0.0, 200.0],
            "y": [0.0, 0.0],
        }
    )
    services = pd.DataFrame(
        {
            "service_id": ["childrens_hall"],
            "name": ["Children's hall"],
            "coverage_m": [1000.0],
            "floor_m2_per_unit": [5.0],
            "host_categories": ["hall"],
        }
    )
    demand = pd.DataFrame(
        {"zone_id": ["z1", "z2"], "service_id": "childrens_hall", "population": [300.0, 250.0], "demand": [30.0, 25.0]}
    )
    placements = pd.DataFrame({"site_id": ["A", "B"], "service_id": "childrens_hall", "capacity": [60.0, 60.0]})
    pairs = pd.DataFrame(
        {
            "zone_id": ["z1", "z1", "z2", "z2"],
            "site_id": ["A", "B", "A", "B"],
            "distance_m": [300.0, 400.0, 500.0, 350.0],
        }
    )
    events = pd.DataFrame({"site_id": ["A", "B"], "kind": "renovation", "due_year": 2030, "cost_yen": [100e6, 200e6]})
    return PortfolioProblem.from_frames(
        sites=sites,
        services=services,
        demand=demand,
        placements=placements,
        pairs=pairs,
        policy=pol,
        name="two halls",
        events=events,
    )


def school_and_hall(**policy) -> PortfolioProblem:
    """A school rebuilt 2031-2032 and a hall whose own rebuild falls due in 2033.

    30 years from 2019 (2019-2048), changes from 2021 every 2 years (period starts 2021, 2023, ...,
    2033, ...), construction takes 2 years, floor added outside a rebuild costs 50 % more
    (``extension_premium`` 0.5).  The school's floor is fully used by its 400 pupils (12.5 m² each),
    so the hall (40 places × 5 m² × (1 − 0.1 sharing) = 180 m²) can only move in with new floor.

    keep S = 1000e6 rebuild (due 2031, 2 years) + 5000 m² × 10,000 × 30 = 2500e6;
    keep H = 150e6 rebuild (due 2033) + 500 m² × 5,000 × 30 = 75e6 → 225e6; baseline 2725e6.

    Co-location at the school's rebuild: 180 m² added by the rebuild (no premium), usable from
    2033: 180 × 400,000 = 72e6 + 180 × 10,000 × 16 y (2033-2048) = 28.8e6; the hall stays at H until
    2033 (14 y × 2.5e6 = 35e6), then H closes, its rebuild is dropped in its due year (no risk) and
    its 600 m² sell for 240e6.  The floor rows allow ``model.FLOOR_TOL_M2`` (0.1 m²) of slack, so the
    optimum adds 179.9 m²: 2500e6 + 179.9 × 560,000 + 35e6 − 240e6 = 2395.744e6, plus the tie-break of
    the hall's new placement at S for 16 years (16,000).

    An extension instead (usable 2023 at the earliest: built 2021-2022): 179.9 × 600,000 = 107.94e6
    + 179.9 × 10,000 × 26 = 46.774e6, H open 4 years = 10e6: 2500 + 107.94 + 46.774 + 10 − 240 =
    2424.714e6, dearer.  Without the premium it is 2424.714 − 35.98 = 2388.734e6, cheaper: see
    ``test_portfolio_multiyear``.
    """
    pol = {"start_year": 2019, "horizon_years": 30, "earliest_change_year": 2021, "extension_premium": 0.5, **policy}
    sites = pd.DataFrame(
        {
            "site_id": ["H", "S"],
            "name": ["East hall", "West school"],
            "category": ["hall", "school"],
            "floor_area_m2": [500.0, 5000.0],
            "site_area_m2": [600.0, 10_000.0],
            "max_far": [2.0, 2.0],
            "land_value_yen_per_m2": [400_000.0, 400_000.0],
            "operating_yen_per_m2_year": [5_000.0, 10_000.0],
            "build_yen_per_m2": [400_000.0, 400_000.0],
        }
    )
    services = pd.DataFrame(
        {
            "service_id": ["hall", "school"],
            "coverage_m": [2000.0, 4000.0],
            "floor_m2_per_unit": [5.0, 10.0],
            "host_categories": ["hall;school", "school"],
        }
    )
    demand = pd.DataFrame(
        {"zone_id": ["z", "z"], "service_id": ["hall", "school"], "population": [800.0, 800.0], "demand": [40.0, 400.0]}
    )
    placements = pd.DataFrame({"site_id": ["H", "S"], "service_id": ["hall", "school"], "capacity": [50.0, 400.0]})
    pairs = pd.DataFrame({"zone_id": ["z", "z"], "site_id": ["H", "S"], "distance_m": [600.0, 900.0]})
    events = pd.DataFrame(
        {
            "site_id": ["H", "S"],
            "kind": "rebuild",
            "due_year": [2033, 2031],
            "spread_years": [2, 2],
            "cost_yen": [150e6, 1000e6],
        }
    )
    return PortfolioProblem.from_frames(
        sites=sites,
        services=services,
        demand=demand,
        placements=placements,
        pairs=pairs,
        policy=pol,
        name="school and hall",
        events=events,
    )


def two_renovations(**policy) -> PortfolioProblem:
    """Two halls, each the only one within reach of its zone, both renovations due 2022.

    10 years from 2019, no running costs, no land to sell: the cost is the renewal alone.
    Renovations: A 100e6, B 80e6, both due 2022 (one year each).  Without a budget both are done in
    2022: 180e6.  With an annual budget of 100e6 they cannot share 2022; the cheapest way out moves
    the smaller one: B one year late (2023) costs 80e6 × (1 % + 0.2 % × 1) = 0.96e6 of risk; a year
    early would cost 2 % = 1.6e6; A late 1.2e6, A early 2e6.  Optimum 180.96e6.
    """
    pol = {"start_year": 2019, "horizon_years": 10, **policy}
    sites = pd.DataFrame(
        {
            "site_id": ["A", "B"],
            "name": ["Hall A", "Hall B"],
            "category": "hall",
            "floor_area_m2": [400.0, 400.0],
            "build_yen_per_m2": 400_000.0,
        }
    )
    services = pd.DataFrame(
        {"service_id": ["hall"], "coverage_m": [800.0], "floor_m2_per_unit": [5.0], "host_categories": ["hall"]}
    )
    demand = pd.DataFrame(
        {"zone_id": ["za", "zb"], "service_id": "hall", "population": [300.0, 300.0], "demand": [30.0, 30.0]}
    )
    placements = pd.DataFrame({"site_id": ["A", "B"], "service_id": "hall", "capacity": [40.0, 40.0]})
    pairs = pd.DataFrame(
        {
            "zone_id": ["za", "za", "zb", "zb"],
            "site_id": ["A", "B", "A", "B"],
            "distance_m": [300.0, 2000.0, 2000.0, 300.0],
        }
    )
    events = pd.DataFrame({"site_id": ["A", "B"], "kind": "renovation", "due_year": 2022, "cost_yen": [100e6, 80e6]})
    return PortfolioProblem.from_frames(
        sites=sites,
        services=services,
        demand=demand,
        placements=placements,
        pairs=pairs,
        policy=pol,
        name="two renovations",
        events=events,
    )


def three_halls(rule: str = "allocated", **policy) -> PortfolioProblem:
    """Three halls on a line; A (small, frozen: open with its hall, no growth) is the nearest to both zones' west.

    10 years from 2019, changes from 2019, no growth (``allow_expansion`` False).  Capacities: A 20,
    B 50, C 50; demand z1 20, z2 25; standard 1,000 m.  Distances: z1 A 200, B 600, C 900;
    z2 A 500, B 300, C 700 (today each zone's nearest hall, A and B, has room for it).
    Running cost 10,000 ¥/m²/yr × 10 y: A (100 m²) 10e6, B (500 m²) 50e6, C (400 m²) 40e6.

    ``allocated``: keep A and C, close B in 2019: z1 → A, z2 → C (700 m, past the full A):
    10e6 + 40e6 = 50e6.  ``nearest``: closing B would send z2 to its nearest open hall A, which is
    full and may not grow, so keep A and B, close C: 10e6 + 50e6 = 60e6 (z2 → B).
    """
    pol = {"start_year": 2019, "horizon_years": 10, "allow_expansion": False, "frozen_sites": ["A"], **policy}
    sites = pd.DataFrame(
        {
            "site_id": ["A", "B", "C"],
            "category": "hall",
            "floor_area_m2": [100.0, 500.0, 400.0],
            "operating_yen_per_m2_year": 10_000.0,
            "build_yen_per_m2": 400_000.0,
        }
    )
    services = pd.DataFrame(
        {
            "service_id": ["hall"],
            "coverage_m": [1000.0],
            "floor_m2_per_unit": [5.0],
            "host_categories": ["hall"],
            "rule": [rule],
        }
    )
    demand = pd.DataFrame(
        {"zone_id": ["z1", "z2"], "service_id": "hall", "population": [200.0, 250.0], "demand": [20.0, 25.0]}
    )
    placements = pd.DataFrame({"site_id": ["A", "B", "C"], "service_id": "hall", "capacity": [20.0, 50.0, 50.0]})
    pairs = pd.DataFrame(
        {
            "zone_id": ["z1"] * 3 + ["z2"] * 3,
            "site_id": ["A", "B", "C"] * 2,
            "distance_m": [200.0, 600.0, 900.0, 500.0, 300.0, 700.0],
        }
    )
    return PortfolioProblem.from_frames(
        sites=sites,
        services=services,
        demand=demand,
        placements=placements,
        pairs=pairs,
        policy=pol,
        name=f"three halls ({rule})",
    )


def school_with_club(club_rule: str = "district", anchor_keeps: bool = True, **policy) -> PortfolioProblem:
    """A school S whose pupils grow from 400 to 420 in 2025, with an after-school club inside it.

    10 years from 2019 (periods of 2 years from 2019: 2025 starts one).  S has 4,200 m², all in use:
    the school 4,000 m² (10 m² per pupil), the club 200 m² (40 children).  The 20 extra pupils need
    200 m² (``floor_m2_per_unit`` 10, and at least the 10 m² per pupil in use now).  The hall H next
    door has 200 m² spare (its hall uses 300 m² of 500), enough for the club (40 × 5 × 0.9 = 180 m²).
    Running 10,000 ¥/m²/yr on every open building's floor, building 400,000 ¥/m².

    ``allocated`` club: from 2025 the school takes the club's floor and the club's places are at H
    (no new floor): cost = running only, 4,700 m² × 10,000 × 10 = 470e6, plus the tie-break of the
    club's new placement at H for 4 years (4,000).  ``district`` + ``anchor_keeps`` (districts: the
    zone belongs to S's district, which only S serves): the club stays at S, so S builds 200 m² for
    2025 (built 2023-2024): 470e6 + 200 × 400,000 + 200 × 10,000 × 4 = 470e6 + 80e6 + 8e6 = 558e6.
    """
    pol = {"start_year": 2019, "horizon_years": 10, **policy}
    sites = pd.DataFrame(
        {
            "site_id": ["H", "S"],
            "name": ["Hall", "School"],
            "category": ["hall", "school"],
            "floor_area_m2": [500.0, 4200.0],
            "site_area_m2": [1000.0, 5000.0],
            "max_far": 2.0,
            "operating_yen_per_m2_year": 10_000.0,
            "build_yen_per_m2": 400_000.0,
            "sellable": False,
        }
    )
    services = pd.DataFrame(
        {
            "service_id": ["club", "hall", "school"],
            "coverage_m": [1000.0, 1000.0, np.nan],
            "floor_m2_per_unit": [5.0, 5.0, 10.0],
            "host_categories": ["school;hall", "hall", "school"],
            "rule": [club_rule, "allocated", "district"],
            "district_of": ["school" if club_rule == "district" else "", "", ""],
            "anchor_keeps": [anchor_keeps, False, False],
        }
    )
    years = list(range(2019, 2029))
    demand = pd.concat(
        [
            pd.DataFrame(
                {
                    "zone_id": "z",
                    "service_id": "school",
                    "year": years,
                    "population": [400.0 if y < 2025 else 420.0 for y in years],
                    "demand": [400.0 if y < 2025 else 420.0 for y in years],
                }
            ),
            pd.DataFrame({"zone_id": "z", "service_id": "club", "year": years, "population": 40.0, "demand": 40.0}),
            pd.DataFrame({"zone_id": "z", "service_id": "hall", "year": years, "population": 30.0, "demand": 30.0}),
        ]
    )
    placements = pd.DataFrame(
        {
            "site_id": ["S", "S", "H"],
            "service_id": ["school", "club", "hall"],
            "capacity": [400.0, 40.0, 30.0],
            "floor_area_m2": [4000.0, 200.0, 300.0],
        }
    )
    pairs = pd.DataFrame({"zone_id": ["z", "z"], "site_id": ["H", "S"], "distance_m": [400.0, 300.0]})
    zone_districts = pd.DataFrame({"service_id": ["school"], "zone_id": ["z"], "district": ["S"]})
    site_districts = pd.DataFrame({"service_id": ["school"], "site_id": ["S"], "district": ["S"]})
    return PortfolioProblem.from_frames(
        sites=sites,
        services=services,
        demand=demand,
        placements=placements,
        pairs=pairs,
        policy=pol,
        name="school with club",
        zone_districts=zone_districts,
        site_districts=site_districts,
    )


def two_nurseries(**policy) -> PortfolioProblem:
    """Two nurseries of 60 places with only 50 children left; B's land would sell for 100e6.

    10 years from 2019, changes from 2019.  Running 10,000 ¥/m²/yr on 300 m² each: 3e6 a year,
    30e6 over the horizon.  A's land is not sellable.  Growth: 5 m² per place (the floor per place
    in use now), 400,000 ¥/m², usable from 2021 at the earliest.

    No service floor: close B in 2019 and sell it: 30e6 − 100e6 = −70e6 (A's 60 places suffice).
    ``min_capacity`` 120 (today's places, every year): keep both, 60e6 (closing B later and adding
    60 places at A costs 300 m² × 400,000 = 120e6 of building alone, more than B's 30e6).
    ``min_capacity`` {2019: 120, 2025: 0}: B may close once the floor ends: 2025:
    30e6 + 6 y × 3e6 − 100e6 = −52e6.
    """
    pol = {"start_year": 2019, "horizon_years": 10, **policy}
    sites = pd.DataFrame(
        {
            "site_id": ["A", "B"],
            "category": "nursery",
            "floor_area_m2": [300.0, 300.0],
            "site_area_m2": [400.0, 200.0],
            "max_far": [2.0, 2.0],
            "sellable": [False, True],
            "land_value_yen_per_m2": [0.0, 500_000.0],
            "operating_yen_per_m2_year": 10_000.0,
            "build_yen_per_m2": 400_000.0,
        }
    )
    services = pd.DataFrame(
        {"service_id": ["nursery"], "coverage_m": [1000.0], "floor_m2_per_unit": [5.0], "host_categories": ["nursery"]}
    )
    demand = pd.DataFrame({"zone_id": ["z"], "service_id": "nursery", "population": [50.0], "demand": [50.0]})
    placements = pd.DataFrame({"site_id": ["A", "B"], "service_id": "nursery", "capacity": [60.0, 60.0]})
    pairs = pd.DataFrame({"zone_id": ["z", "z"], "site_id": ["A", "B"], "distance_m": [400.0, 600.0]})
    return PortfolioProblem.from_frames(
        sites=sites,
        services=services,
        demand=demand,
        placements=placements,
        pairs=pairs,
        policy=pol,
        name="two nurseries",
    )
