"""Synthetic wards for benchmarks and tests: :func:`tiled` copies a real problem side by side, so that
a ward many times Nerima's size keeps Nerima's structure and a known relation to it."""

from __future__ import annotations

import pandas as pd

from .problem import PortfolioProblem

__all__ = ["tiled"]

_ID_COLUMNS = {
    "zones": ["zone_id"],
    "sites": ["site_id"],
    "demand": ["zone_id"],
    "placements": ["site_id", "facility_id"],
    "pairs": ["zone_id", "site_id"],
    "events": ["site_id"],
    "zone_districts": ["zone_id", "district"],
    "site_districts": ["site_id", "district"],
}


def tiled(problem: PortfolioProblem, scale: int, spacing_m: float = 30_000.0) -> PortfolioProblem:
    """``scale`` copies of ``problem`` side by side: ids suffixed ``~i``, x shifted by ``i * spacing_m``.

    Ward-wide limits (service floors, the budget, the capital budget, the most closures) are multiplied
    by ``scale``, so the copies share them and the tiled problem's optimum is ``scale`` times the
    original's.  Zones reach only the sites of their own copy (pairs are copied, not recomputed)."""
    if scale == 1:
        return problem
    frames = {}
    for name, cols in _ID_COLUMNS.items():
        f = getattr(problem, name)
        parts = []
        for i in range(scale):
            g = f.copy()
            for c in cols:
                g[c] = g[c].astype(str).where(g[c].astype(str) == "", g[c].astype(str) + f"~{i}")
            if "x" in g.columns:
                g["x"] = g["x"] + i * spacing_m
            parts.append(g)
        frames[name] = pd.concat(parts, ignore_index=True)
    pol = problem.policy
    ids = lambda xs: [f"{x}~{i}" for i in range(scale) for x in xs]  # noqa: E731

    def times(v):
        if v is None:
            return None
        return {k: times(x) for k, x in v.items()} if isinstance(v, dict) else v * scale

    budget = None
    if pol.budget is not None:
        b = pol.budget
        budget = b.model_copy(
            update={"cap_yen": times(b.cap_yen), "projected_budget_yen": times(b.projected_budget_yen)}
        )
    policy = pol.model_copy(
        update={
            "candidate_services": {f"{s}~{i}": v for i in range(scale) for s, v in pol.candidate_services.items()},
            "lock_open": ids(pol.lock_open),
            "lock_closed": ids(pol.lock_closed),
            "frozen_sites": ids(pol.frozen_sites),
            "min_capacity": times(dict(pol.min_capacity)),
            "budget": budget,
            "capital_budget_yen": times(pol.capital_budget_yen),
            "max_closures": None if pol.max_closures is None else pol.max_closures * scale,
        }
    )
    return PortfolioProblem.from_frames(
        sites=frames["sites"],
        services=problem.services,
        demand=frames["demand"],
        placements=frames["placements"],
        pairs=frames["pairs"],
        zones=frames["zones"],
        policy=policy,
        name=f"{problem.name} x{scale}",
        events=frames["events"],
        zone_districts=frames["zone_districts"],
        site_districts=frames["site_districts"],
    )
