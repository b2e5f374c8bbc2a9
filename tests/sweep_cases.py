"""Tiny hand-solvable sweep cases and runners that the Dask workers import (so they live in a module,
not in a test file)."""

from __future__ import annotations

import os
from pathlib import Path

from facility_opt.robust import solve_variant
from portfolio_cases import two_halls

#: A's floor factor draws from here; the plan flips at 1.4 (see halls_with_imputed_floor)
FLOOR_LOW, FLOOR_HIGH = 1.0, 1.8


def halls_with_imputed_floor():
    """``two_halls`` with hall A's floor imputed (category "hall").

    A floor factor x scales A's 500 m² and its 100e6 renovation: keeping A costs 100e6·x + 500x m² ×
    10,000 ¥ × 30 y = 250e6·x, keeping B 350e6; closing either sells its 600 m² site at 500,000 ¥/m² ×
    the land factor L (both sites alike).  So the plan keeps A and closes B in 2019 when x < 1.4, and
    keeps B and closes A otherwise; its cost is min(250e6·x, 350e6) − 300e6·L.
    """
    p = two_halls()
    return p.replace(sites=p.sites.assign(imputed_fields=["A.floor_area_m2", ""]))


SPEC = {
    "inputs": {"land_prices": {"dist": "uniform", "low": 0.9, "high": 1.1}},
    "imputed": {"floor_area_m2": {"hall": {"dist": "uniform", "low": FLOOR_LOW, "high": FLOOR_HIGH}}},
    "solver": {"gap_rel": 0.0},
}


def recording_runner(problem, variant, options, *, log_dir: str):
    """:func:`solve_variant`, leaving a file per call (``<index>-<pid>-<n>``) so a test counts attempts."""
    d = Path(log_dir)
    k = len(list(d.glob(f"{variant.index}-*")))
    (d / f"{variant.index}-{os.getpid()}-{k}").touch()
    return solve_variant(problem, variant, options)


def dying_runner(problem, variant, options, *, log_dir: str, victim: int = 1):
    """Kills its worker process (``os._exit``) on the first attempt of variant ``victim``; a marker file
    records the kill, so the retry solves normally."""
    marker = Path(log_dir) / f"killed-{victim}"
    if variant.index == victim and not marker.exists():
        marker.touch()
        os._exit(17)
    return recording_runner(problem, variant, options, log_dir=log_dir)


def failing_runner(problem, variant, options, *, stop_at: int, log_dir: str):
    """Solves variants before ``stop_at`` and raises at it: an interrupted sweep."""
    if variant.index >= stop_at:
        raise RuntimeError(f"interrupted at variant {variant.index}")
    return recording_runner(problem, variant, options, log_dir=log_dir)
