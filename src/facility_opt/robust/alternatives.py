"""Near-optimal alternatives: k distinct plans within a stated share of the best plan's cost.

For planners who want to show residents options rather than one answer.  The best plan is solved
first; then, one at a time, the cheapest plan that

* differs from every plan found so far in the **portfolio at the end of the horizon**: which sites
  are open and which service each one hosts in the last period (the binaries ``open[s, last]`` and
  ``place[k, s, last]``); a no-good cut per plan found,
  ``Σ_{x*=0} x − Σ_{x*=1} x ≥ 1 − |{x*=1}|``, excludes exactly that end state; and
* costs at most ``best + within × |best|`` (the model's horizon cost, penalties included).

Two plans that reach the same end state by different timings are the same plan here (the optimiser
already picks the best timing for an end state); plans that differ only in capacities or assignments
are too.  ``within`` is relative to the best plan *found*, itself within the solver's ``gap_rel`` of
the optimum: solve with a small gap for exact statements.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pulp

from ..errors import ModelConfigError, SolverError
from ..planning import PlanningModel, load_planning_model
from ..portfolio import Plan, PortfolioOptimiser, PortfolioOptions, PortfolioProblem, check_plan
from ..portfolio.assemble import assemble_plan
from ..portfolio.formulation.constants import SCALE

__all__ = ["Alternative", "alternatives", "plan_differences", "write_alternatives"]

log = logging.getLogger(__name__)


@dataclass
class Alternative:
    """One plan: its rank (0 = the best), cost, extra cost over the best, and what differs from the best."""

    rank: int
    plan: Plan
    cost_yen: float
    extra_cost_yen: float
    extra_share: float
    differences: pd.DataFrame

    def __repr__(self) -> str:
        from ..portfolio import format_yen

        return (
            f"Alternative({self.rank}: cost {format_yen(self.cost_yen)}, +{format_yen(self.extra_cost_yen)} "
            f"({100 * self.extra_share:.2f} %), {len(self.differences)} facilities differ)"
        )


def plan_differences(best: Plan, other: Plan) -> pd.DataFrame:
    """Facilities whose decision or its year differ: facility_id, name, best_decision, best_year,
    decision, year, saving_difference_yen (other − best)."""
    cols = ["facility_id", "name", "best_decision", "best_year", "decision", "year", "saving_difference_yen"]
    a = {d.facility_id: d for d in best.decisions}
    b = {d.facility_id: d for d in other.decisions}
    rows = []
    for fid in sorted(set(a) | set(b)):
        x, y = a.get(fid), b.get(fid)
        if x is not None and y is not None and (x.decision, x.year) == (y.decision, y.year):
            continue
        rows.append(
            {
                "facility_id": fid,
                "name": (x or y).name,
                "best_decision": x.decision if x else "absent",
                "best_year": x.year if x else None,
                "decision": y.decision if y else "absent",
                "year": y.year if y else None,
                "saving_difference_yen": (y.saving_yen if y else 0.0) - (x.saving_yen if x else 0.0),
            }
        )
    df = pd.DataFrame(rows, columns=cols)
    for c in ("best_year", "year"):
        df[c] = df[c].astype("Int64")
    return df


def _end_state(model) -> np.ndarray:
    """The decision binaries of the last period: open[s, P-1] for every site, place[e, P-1] for every pair."""
    P = model.P
    return np.concatenate([model.v_open.reshape(model.S, P)[:, P - 1], model.v_place.reshape(model.E, P)[:, P - 1]])


def alternatives(
    problem_or_model: PortfolioProblem | PlanningModel | str | Path,
    k: int = 3,
    within: float = 0.02,
    options: PortfolioOptions | None = None,
) -> list[Alternative]:
    """The best plan and up to ``k - 1`` more distinct plans costing at most ``within`` (a share) more.

    Parameters
    ----------
    problem_or_model : a portfolio problem, or a planning model (or its YAML path) to build one from.
    k : plans wanted, the best included (fewer are returned when no more fit within the limit).
    within : the largest extra cost as a share of the best plan's cost (0.02: 2 %).
    options : solver options (default: the planning model's, or the library's).

    Raises
    ------
    InfeasibleError, SolverError
        as :func:`facility_opt.portfolio.optimise_portfolio` for the best plan.

    Examples
    --------
    >>> # alts = alternatives(problem, k=3, within=0.02); [a.extra_cost_yen for a in alts]
    """
    if k < 1 or within < 0:
        raise ValueError(f"k must be at least 1 and within non-negative, got k={k}, within={within}")
    if isinstance(problem_or_model, PortfolioProblem):
        problem, opts = problem_or_model, options or PortfolioOptions()
    else:
        from ..pipeline import portfolio_options
        from ..portfolio.build import problem_from_model

        m = problem_or_model if isinstance(problem_or_model, PlanningModel) else load_planning_model(problem_or_model)
        problem, opts = problem_from_model(m), options or portfolio_options(m)
    if problem.policy.min_level_budget:
        raise ModelConfigError("alternatives: not available with policy.min_level_budget (two-stage objective)")
    optimiser = PortfolioOptimiser(replace(opts, on_violation="mark", decompose=False))  # needs the whole model
    best = optimiser.optimise(problem)
    model, baseline = optimiser.model_, optimiser.baseline_
    const, terms = model.cost_terms()
    cost_expr = pulp.lpSum_vars_coefs(terms) + const
    best_cost = float(pulp.value(cost_expr))  # million yen; the polished plan keeps the solver's decisions
    limit = best_cost + within * abs(best_cost)
    model.prob.addConstraint(cost_expr <= limit, name="alternatives_cost_limit")
    out = [Alternative(0, best, best.kpis.cost_after_yen, 0.0, 0.0, plan_differences(best, best))]
    x = _end_state(model)
    solver_opts = replace(opts.solver, warm_start=False)
    for rank in range(1, k):
        ones = np.array([round(v.varValue or 0.0) >= 1 for v in x])
        cut = pulp.lpSum_vars_coefs(list(zip(x, np.where(ones, -1.0, 1.0).tolist())))
        model.prob.addConstraint(cut >= 1 - int(ones.sum()), name=f"alternatives_no_good_{rank}")
        sol = model.solve(solver_opts)
        if not sol.info.has_solution:
            log.info("alternatives: no plan %d within %.2f %% (%s)", rank + 1, 100 * within, sol.info.status)
            break
        sol = model.polish(sol, solver_opts)
        plan = assemble_plan(problem, sol, baseline)
        violations = check_plan(plan, problem)
        if violations:
            raise SolverError(f"alternative {rank}: the plan fails the independent check: " + "; ".join(violations[:5]))
        cost = plan.kpis.cost_after_yen
        extra = round(cost - best.kpis.cost_after_yen)
        out.append(
            Alternative(
                rank,
                plan,
                cost,
                float(extra),
                round(extra / abs(best_cost * SCALE), 6) if best_cost else 0.0,
                plan_differences(best, plan),
            )
        )
    return out


def write_alternatives(alts: list[Alternative], out: str | Path) -> list[Path]:
    """``alternatives.csv`` (one row per plan) and ``differences.csv`` (what each differs in from the
    best), written atomically; the plans themselves in ``plan_<rank>/``."""
    from ..atomic import atomic_write_text

    out = Path(out)
    rows = [
        {
            "rank": a.rank,
            "cost_yen": a.cost_yen,
            "extra_cost_yen": a.extra_cost_yen,
            "extra_share": a.extra_share,
            "saving_yen": a.plan.kpis.saving_yen,
            "closures": a.plan.kpis.closures,
            "new_buildings": a.plan.kpis.new_buildings,
            "facilities_differing": len(a.differences),
            "solver_status": a.plan.solver.status,
            "gap": a.plan.solver.gap,
        }
        for a in alts
    ]
    diffs = (
        pd.concat([a.differences.assign(rank=a.rank) for a in alts[1:]], ignore_index=True)
        if len(alts) > 1
        else pd.DataFrame(columns=["rank"])
    )
    kw = dict(index=False, lineterminator="\n", float_format="%.6f")
    paths = [
        atomic_write_text(out / "alternatives.csv", pd.DataFrame(rows).to_csv(**kw)),
        atomic_write_text(out / "differences.csv", diffs.to_csv(**kw)),
    ]
    for a in alts:
        a.plan.to_files(out / f"plan_{a.rank}")
    return paths
