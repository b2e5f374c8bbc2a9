"""Benchmark: the multi-year portfolio model on the Nerima default model, and on a synthetic ward
``--scale`` times larger (issue 11: a proven gap of at most 1 % within 120 s on Nerima, at most 2 %
within 15 minutes on a ward 10 times larger, on a 2-core machine).

Run::

    python benchmarks/bench_portfolio.py --out benchmarks/results/portfolio_nerima.json
    python benchmarks/bench_portfolio.py --scale 10 --time-limit 900 --out benchmarks/results/portfolio_10x.json

The synthetic ward tiles the Nerima problem ``scale`` times side by side, 30 km apart (zones, sites,
events, districts and pairs copied with suffixed ids; ward-wide limits such as the nursery floor and the
budget multiplied by ``scale``), so it has real structure and a known relation to the original: its optimum
is ``scale`` times Nerima's.  Times include building the MILP; the solver settings are the model file's.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import time
from pathlib import Path

import pandas as pd

from facility_opt.atomic import atomic_write_text
from facility_opt.pipeline import portfolio_options
from facility_opt.planning import load_planning_model
from facility_opt.portfolio import PortfolioProblem, format_yen
from facility_opt.portfolio.build import problem_from_model
from facility_opt.portfolio.optimise import PortfolioOptimiser

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
    """``scale`` copies of ``problem`` side by side: ids suffixed ``~i``, x shifted by ``i * spacing_m``."""
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=int, default=1, help="tile the Nerima problem this many times")
    ap.add_argument("--time-limit", type=float, default=None, help="seconds (default: the model file's)")
    ap.add_argument(
        "--repair-seconds",
        type=float,
        default=None,
        help="seconds for the keep-and-add start (PortfolioOptions.repair_seconds; default: the model file's)",
    )
    ap.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    ap.add_argument("--plan-dir", type=Path, default=None, help="write the plan files here")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    t0 = time.perf_counter()
    model = load_planning_model()
    problem = tiled(problem_from_model(model), args.scale)
    t_problem = time.perf_counter() - t0
    options = portfolio_options(model, {"time_limit": args.time_limit, "repair_seconds": args.repair_seconds})
    options = dataclasses.replace(options, on_violation="mark")
    opt = PortfolioOptimiser(options)
    t1 = time.perf_counter()
    plan = opt.optimise(problem)
    t_total = time.perf_counter() - t1
    k = plan.kpis
    fig = {
        "scale": args.scale,
        "time_limit_s": options.solver.time_limit,
        "repair_s": options.repair_seconds,
        "gap_target": options.solver.gap_rel,
        "highs_options": options.solver.highs_options,
        "problem_build_s": round(t_problem, 2),
        "optimise_total_s": round(t_total, 2),
        "variables": opt.model_.prob.numVariables(),
        "constraints": opt.model_.prob.numConstraints(),
        "status": plan.solver.status,
        "gap": plan.solver.gap,
        "objective_yen": plan.solver.objective_yen,
        "bound_yen": plan.solver.bound_yen,
        "buildings": [k.buildings_before, k.buildings_after],
        "floor_m2": [k.floor_before_m2, k.floor_after_m2],
        "cost_30y_yen": [k.cost_before_yen, k.cost_after_yen],
        "saving_yen": k.saving_yen,
        "peak_spend_yen": [k.peak_spend_before_yen, k.peak_spend_after_yen],
        "budget_yen": k.budget_yen,
        "valid": plan.valid,
        "violations": len(plan.violations),
    }
    print(plan)
    print(
        f"optimise {t_total:.1f} s (problem {t_problem:.1f} s), gap {100 * (plan.solver.gap or 0):.3f} %, "
        f"30-year cost {format_yen(k.cost_before_yen)} -> {format_yen(k.cost_after_yen)}"
    )
    if args.out:
        atomic_write_text(args.out, json.dumps(fig, indent=1, sort_keys=True) + "\n")
    if args.plan_dir:
        plan.to_files(args.plan_dir)


if __name__ == "__main__":
    main()
