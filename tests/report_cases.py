"""The tiny report case shared by the report tests (tests/test_report*.py): the conftest tiny ward
with its hall building (F2: hall + club) locked closed, solved exactly, and a made-up trade-off curve."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd

from facility_opt.catalogue import default_catalogue
from facility_opt.loading import read_ward
from facility_opt.portfolio import PortfolioOptions, optimise_portfolio
from facility_opt.portfolio.build import problem_from_ward
from facility_opt.renewal import default_renewal_params
from facility_opt.solver import SolverOptions

EXACT = PortfolioOptions(solver=SolverOptions(gap_rel=0.0, threads=1))
CONFIG = {
    "services": ["primary_education", "childrens_hall", "after_school_club"],
    "earliest_change_year": 2021,
    "building_operating_yen_per_m2_year": 8000,
    "fixed_yen_per_building_year": 3e6,
    "candidates": {"services": ["childrens_hall", "after_school_club"]},
    "policy": {"lock_closed": ["F2"]},
}


def tiny_ward_files() -> dict[str, str]:
    """conftest's TINY_WARD files (conftest is not importable under --import-mode=importlib)."""
    spec = importlib.util.spec_from_file_location("_report_conftest", Path(__file__).with_name("conftest.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.TINY_WARD


def write_tiny_ward(folder: Path, extra: dict[str, str] | None = None) -> Path:
    """The tiny ward's files (and ``extra`` files) in ``folder/tiny``; returns that folder."""
    folder = Path(folder) / "tiny"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {**tiny_ward_files(), **(extra or {})}.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def tiny_report_case(folder: Path, extra: dict[str, str] | None = None):
    """(ward, problem, plan, trade-off curve) of the tiny ward with F2 locked closed: from 2021 (the
    earliest change year) the school F1 hosts the hall and the club in its existing floor, and is
    rebuilt in its due year 2028 (2028-2030); the station-front candidate is not needed."""
    ward = read_ward(write_tiny_ward(folder, extra))
    problem = problem_from_ward(
        ward, default_catalogue(), CONFIG, default_renewal_params(), start_year=2019, name="tiny"
    )
    plan = optimise_portfolio(problem, EXACT)
    curve = pd.DataFrame(
        {
            "point": ["min_cost", "min_access"],
            "epsilon_person_km": [np.nan, np.nan],
            "cost_yen": [plan.kpis.cost_after_yen, plan.kpis.cost_after_yen * 1.1],
            "access_person_km": [plan.kpis.access_after_person_km, 100.0],
            "buildings": [3, 4],
            "floor_m2": [6677.0, 7000.0],
            "status": "optimal",
            "gap": 0.0,
            "solve_seconds": 0.1,
        }
    )
    return ward, problem, plan, curve
