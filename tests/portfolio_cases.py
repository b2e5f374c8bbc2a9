"""Hand-solvable portfolio problems shared by the portfolio, compare and report tests.

Every figure of the expected optima is computed by hand in the docstrings.
"""

from __future__ import annotations

import pandas as pd

from facility_opt.portfolio import PortfolioOptions, PortfolioProblem
from facility_opt.solver import SolverOptions

EXACT = PortfolioOptions(solver=SolverOptions(gap_rel=0.0, threads=1))


def two_halls(**policy) -> PortfolioProblem:
    """Two children's halls 200 m apart; both zones are within 1 km of both; A is cheaper to keep.

    keep A = 100e6 renewal + 500 m² × 10,000 ¥/m²/yr × 30 y = 250e6; keep B = 200e6 + 150e6 = 350e6;
    closing either (change year 2019) sells its 600 m² site at 500,000 ¥/m² = 300e6.
    """
    sites = pd.DataFrame({
        "site_id": ["A", "B"], "name": ["Hall A", "Hall B"], "category": ["hall", "hall"],
        "floor_area_m2": [500.0, 500.0], "site_area_m2": [600.0, 600.0], "max_far": [2.0, 2.0],
        "land_value_yen_per_m2": [500_000.0, 500_000.0], "renewal_keep_yen": [100e6, 200e6],
        "operating_yen_per_m2_year": [10_000.0, 10_000.0], "build_yen_per_m2": [400_000.0, 400_000.0],
        "x": [0.0, 200.0], "y": [0.0, 0.0]})
    services = pd.DataFrame({"service_id": ["childrens_hall"], "name": ["Children's hall"], "coverage_m": [1000.0],
                             "floor_m2_per_unit": [5.0], "host_categories": ["hall"]})
    demand = pd.DataFrame({"zone_id": ["z1", "z2"], "service_id": "childrens_hall", "population": [300.0, 250.0],
                           "demand": [30.0, 25.0]})
    placements = pd.DataFrame({"site_id": ["A", "B"], "service_id": "childrens_hall", "capacity": [60.0, 60.0]})
    pairs = pd.DataFrame({"zone_id": ["z1", "z1", "z2", "z2"], "site_id": ["A", "B", "A", "B"],
                          "distance_m": [300.0, 400.0, 500.0, 350.0]})
    return PortfolioProblem.from_frames(sites=sites, services=services, demand=demand, placements=placements,
                                        pairs=pairs, policy=policy, name="two halls")


def school_and_hall(**policy) -> PortfolioProblem:
    """A school rebuilt in 2031 and a hall whose next change falls in 2025.

    keep H = 150e6 + 500 m² × 20,000 × 30 = 450e6; close H in 2025 = 6 y × 10e6 − 600 m² × 400,000 = −180e6;
    hosting the hall at S needs 40 places × 5 m² × (1 − 0.1) = 180 m², built in 2031 at 400,000 ¥/m² and run
    18 years at 10,000 ¥/m²/yr: 180 × 580,000 = 104.4e6; keep S = 1000e6 + 5000 × 10,000 × 30 = 2500e6.
    """
    sites = pd.DataFrame({
        "site_id": ["H", "S"], "name": ["East hall", "West school"], "category": ["hall", "school"],
        "floor_area_m2": [500.0, 5000.0], "site_area_m2": [600.0, 10_000.0], "max_far": [2.0, 2.0],
        "land_value_yen_per_m2": [400_000.0, 400_000.0], "renewal_keep_yen": [150e6, 1000e6],
        "operating_yen_per_m2_year": [20_000.0, 10_000.0], "build_yen_per_m2": [400_000.0, 400_000.0],
        "change_year": [2025, 2031], "next_rebuild_year": [2025, 2031]})
    services = pd.DataFrame({"service_id": ["hall", "school"], "coverage_m": [2000.0, 4000.0],
                             "floor_m2_per_unit": [5.0, 10.0], "host_categories": ["hall;school", "school"]})
    demand = pd.DataFrame({"zone_id": ["z", "z"], "service_id": ["hall", "school"], "population": [800.0, 800.0],
                           "demand": [40.0, 400.0]})
    placements = pd.DataFrame({"site_id": ["H", "S"], "service_id": ["hall", "school"], "capacity": [50.0, 500.0]})
    pairs = pd.DataFrame({"zone_id": ["z", "z"], "site_id": ["H", "S"], "distance_m": [600.0, 900.0]})
    return PortfolioProblem.from_frames(sites=sites, services=services, demand=demand, placements=placements,
                                        pairs=pairs, policy=policy, name="school and hall")
