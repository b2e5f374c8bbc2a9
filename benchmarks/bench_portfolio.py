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

from facility_opt.atomic import atomic_write_text
from facility_opt.pipeline import portfolio_options
from facility_opt.planning import load_planning_model
from facility_opt.portfolio import format_yen
from facility_opt.portfolio.build import problem_from_model
from facility_opt.portfolio.optimise import PortfolioOptimiser
from facility_opt.portfolio.synthetic import tiled


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
    ap.add_argument(
        "--decompose",
        action="store_true",
        help="solve the independent parts (the tiles) one by one, the ward-wide limits shared out "
        "(PortfolioOptions.decompose); the gap is proven against a Lagrangian bound",
    )
    ap.add_argument("--workers", type=int, default=None, help="Dask workers for --decompose (1: serial)")
    ap.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    ap.add_argument("--plan-dir", type=Path, default=None, help="write the plan files here")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    t0 = time.perf_counter()
    model = load_planning_model()
    problem = tiled(problem_from_model(model), args.scale)
    t_problem = time.perf_counter() - t0
    options = portfolio_options(model, {"time_limit": args.time_limit, "repair_seconds": args.repair_seconds})
    options = dataclasses.replace(options, on_violation="mark", decompose=args.decompose, workers=args.workers)
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
        "decompose": args.decompose,
        "parts": opt.solution_.info.extra.get("parts"),
        "part_gaps": opt.solution_.info.extra.get("part_gaps"),
        "variables": opt.model_.prob.numVariables() if opt.model_ else opt.solution_.info.extra["variables"],
        "constraints": opt.model_.prob.numConstraints() if opt.model_ else opt.solution_.info.extra["constraints"],
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
