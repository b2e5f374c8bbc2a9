"""Benchmark: the Nerima default portfolio model (build and solve times, gap, headline figures).

Run: ``python benchmarks/bench_portfolio.py [--out benchmarks/results/portfolio_nerima.json]``.
Target (issue 5): a proven gap of at most 0.5 % within 60 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

from facility_opt.atomic import atomic_write_text
from facility_opt.portfolio import format_yen
from facility_opt.portfolio.build import nerima_problem
from facility_opt.portfolio.optimise import PortfolioOptimiser


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    ap.add_argument("--plan-dir", type=Path, default=None, help="write the plan files here")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    t0 = time.perf_counter()
    problem = nerima_problem()
    t_problem = time.perf_counter() - t0
    opt = PortfolioOptimiser()
    t1 = time.perf_counter()
    plan = opt.optimise(problem)
    t_total = time.perf_counter() - t1
    k = plan.kpis
    fig = {
        "problem_build_s": round(t_problem, 2),
        "model_build_s": round(plan.solver.build_seconds, 2),
        "solve_s": round(plan.solver.solve_seconds, 2),
        "optimise_total_s": round(t_total, 2),
        "variables": opt.model_.prob.numVariables(), "constraints": opt.model_.prob.numConstraints(),
        "status": plan.solver.status, "gap": plan.solver.gap,
        "objective_yen": plan.solver.objective_yen, "bound_yen": plan.solver.bound_yen,
        "buildings": [k.buildings_before, k.buildings_after], "floor_m2": [k.floor_before_m2, k.floor_after_m2],
        "cost_30y_yen": [k.cost_before_yen, k.cost_after_yen], "saving_yen": k.saving_yen,
        "coverage": {s.service_id: [s.coverage_before, s.coverage_after] for s in k.services},
        "valid": plan.valid, "baseline_feasible": plan.baseline_feasible,
    }
    print(plan)
    print(f"problem {t_problem:.1f} s, model build {plan.solver.build_seconds:.1f} s, solve "
          f"{plan.solver.solve_seconds:.1f} s, gap {100 * (plan.solver.gap or 0):.3f} %")
    print(f"30-year cost {format_yen(k.cost_before_yen)} -> {format_yen(k.cost_after_yen)}")
    if args.out:
        atomic_write_text(args.out, json.dumps(fig, indent=1, sort_keys=True) + "\n")
    if args.plan_dir:
        plan.to_files(args.plan_dir)


if __name__ == "__main__":
    main()
