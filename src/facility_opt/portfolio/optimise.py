"""Entry points: :class:`PortfolioOptimiser` and :func:`optimise_portfolio` (build → solve → Plan)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd

from ..errors import InfeasibleError, SolverError
from ..solver import SolveInfo, SolverOptions, require_solution
from .assemble import assemble_plan
from .check import check_plan
from .decompose import solve_by_parts
from .diagnose import diagnose, unreachable
from .formulation.solution import Solution
from .model import PortfolioModel, build_model
from .plan import Plan
from .problem import PortfolioProblem

__all__ = [
    "PortfolioOptions",
    "PortfolioOptimiser",
    "optimise_portfolio",
    "solve_baseline",
    "baseline_plan",
    "solution_from_plan",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PortfolioOptions:
    """How to solve a portfolio problem.

    Parameters
    ----------
    solver : solver settings; by default HiGHS, 120 s, a proven relative gap of 1 %, and more primal
        heuristics than HiGHS's default (``mip_heuristic_effort`` 0.3: docs/portfolio.md, Speed).
    warm_start : when no ``start_plan`` is given, hand the solver the keep-everything plan (a solution
        whenever it covers every standard once new floor can be ready; otherwise the solver ignores it),
        or, with ``heuristic_seconds > 0``, an LP-and-fix plan (:meth:`PortfolioModel.lp_and_fix`).
    heuristic_seconds : time for each of the LP-and-fix solves, taken from the solver's time limit
        (default 0: off; on Nerima its plan is poorer than HiGHS's own, docs/portfolio.md, Speed).
    repair_seconds : time for the keep-and-add start (:meth:`PortfolioModel.keep_and_add`: every site
        kept, only what is missing added), taken from the solver's time limit (default 0: off; for
        wards much larger than Nerima, where the full model's heuristics find no plan in time).
    on_violation : what to do when the independent check finds a violation: ``"raise"``
        (:class:`SolverError`) or ``"mark"`` (return the plan with ``valid=False``).
    start_plan : a previous plan to start from (the nightly job passes the last good plan); its
        decisions are matched by id, so sites or zones added since simply start closed/unassigned.
        Used instead of the baseline or LP-and-fix start when given.
    decompose : solve a problem made of independent parts (areas sharing no zone, site, district or
        merger candidate) part by part, the ward-wide limits shared out between them, with the gap
        proven against a Lagrangian lower bound (:mod:`~facility_opt.portfolio.decompose`).
        A problem of one part, or with limits that cannot be shared out, is solved whole.
    workers : Dask workers for the parts (None: a LocalCluster of one process per core; 1: the parts
        one after another in this process).
    lead_tolerance : residents by which the lead-years rule may be missed (the independent check allows
        half a resident; each of n parts gets 1/n of it).
    """

    solver: SolverOptions = field(
        default_factory=lambda: SolverOptions(
            time_limit=120.0, gap_rel=0.01, highs_options={"mip_heuristic_effort": 0.3}
        )
    )
    warm_start: bool = True
    heuristic_seconds: float = 0.0
    repair_seconds: float = 0.0
    on_violation: Literal["raise", "mark"] = "raise"
    start_plan: Plan | None = None
    decompose: bool = False
    workers: int | None = None
    lead_tolerance: float = 0.5


def solution_from_plan(plan: Plan, problem: PortfolioProblem) -> Solution:
    """The variable values a plan stands for, as a :class:`Solution` usable as a warm start.

    Matched by ids and years: sites, services, zones or events the plan does not know start at 0.
    """
    per = problem.policy.periods()
    P = len(per)
    starts = per["start"].to_numpy()
    rows = []
    for s in plan.sites:
        for q in range(P):
            y = starts[q]
            op = s.open_from is not None and s.open_from <= y and (s.closes is None or y < s.closes)
            rows.append((s.site_id, q, op))
    open_df = pd.DataFrame(rows, columns=["site_id", "p", "open"])
    pl = []
    for r in plan.timeline:
        for q in range(P):
            if r.from_year <= starts[q] <= r.to_year:
                pl.append((r.service_id, r.site_id, q, 1.0, r.added, r.capacity - r.added))
    placements = pd.DataFrame(pl, columns=["service_id", "site_id", "p", "place", "ext", "in_use"])
    fl = plan.frame("floor")
    p_of = lambda y: int(np.searchsorted(starts, y, side="left"))  # noqa: E731
    fl = fl.assign(p=fl["year"].map(p_of), option=-1)
    from .formulation.events import prepare_events

    ev = plan.frame("events")
    opts = prepare_events(problem).opt.reset_index().set_index(["e", "variant", "year"])["index"]
    option = []
    for e, r in enumerate(ev.itertuples(index=False)):
        y = r.year if r.status == "done" else problem.policy.end_year
        option.append(opts.get((e, int(r.variant), int(y)), np.nan) if r.status != "dropped" else np.nan)
    ev = ev.assign(
        e=np.arange(len(ev)),
        option=option,
        drop_p=ev["closure_year"].map(lambda y: np.nan if pd.isna(y) else p_of(int(y))),
    )
    if len(fl):  # rebuild additions are matched to their rebuild option
        reb = ev[(ev["kind"] == "rebuild") & (ev["status"] == "done")].set_index("site_id")["option"]
        at_reb = fl["how"].isin(["rebuild", "downsize"])
        fl.loc[at_reb, "option"] = fl.loc[at_reb, "site_id"].map(reb)
    a = plan.frame("assignments")
    asg = []
    for r in a.itertuples(index=False):
        for q in range(P):
            if r.from_year <= starts[q] <= r.to_year:
                asg.append((r.zone_id, r.service_id, r.site_id, q, r.share))
    unc = [(u.zone_id, u.service_id, p_of(u.from_year), u.share) for u in plan.uncovered]
    st = plan.state(problem)
    return Solution(
        info=SolveInfo(
            status="feasible", objective=None, bound=None, gap=None, build_seconds=0.0, solve_seconds=0.0, solver="plan"
        ),
        open=open_df,
        placements=placements,
        floor_added=fl.rename(columns={"added_m2": "added_m2"}),
        events=ev,
        assignments=pd.DataFrame(asg, columns=["zone_id", "service_id", "site_id", "p", "share"]),
        uncovered=pd.DataFrame(unc, columns=["zone_id", "service_id", "p", "share"]),
        disposals=st.disposals,
        operators=st.operators,
        mergers=_plan_mergers(plan, problem, p_of),
        conversions=plan.frame("conversions").assign(p=lambda f: f["year"].map(p_of))[
            ["site_id", "p", "year", "converted_m2"]
        ],
    )


def _plan_mergers(plan: Plan, problem: PortfolioProblem, p_of) -> pd.DataFrame:
    """The plan's mergers as solution rows (``rule``: the policy rule of the service)."""
    m = plan.frame("mergers")
    rule = {r.service: j for j, r in enumerate(problem.policy.mergers)}
    return pd.DataFrame(
        {
            "rule": m["service_id"].map(rule),
            "service_id": m["service_id"],
            "close": m["close"],
            "into": m["into"],
            "p": m["year"].map(p_of),
            "year": m["year"],
        }
    )


def solve_baseline(problem: PortfolioProblem, options: SolverOptions | None = None) -> Solution:
    """The keep-everything portfolio: every building kept with its services, each zone served by the
    nearest sites with room (capacity added where demand exceeds it); zones it cannot cover are
    reported in ``Solution.uncovered`` instead of making it infeasible."""
    opts = replace(options or SolverOptions(), warm_start=False)
    model = build_model(problem, baseline=True)
    sol = model.solve(opts)
    require_solution(sol.info, "keep-everything baseline")
    if not sol.info.has_solution:
        raise SolverError("the keep-everything baseline has no solution; check the input data")
    return model.polish(sol, opts)


class PortfolioOptimiser:
    """Portfolio optimiser: parameters in the constructor, :meth:`optimise` returns a :class:`Plan`.

    After :meth:`optimise`, ``model_`` (the built MILP), ``solution_`` and ``baseline_`` (the
    keep-everything solution) are available for inspection.

    Examples
    --------
    >>> # plan = PortfolioOptimiser(PortfolioOptions()).optimise(problem); plan.kpis.saving_yen
    """

    def __init__(self, options: PortfolioOptions | None = None) -> None:
        self.options = options or PortfolioOptions()

    def solve(self, problem: PortfolioProblem) -> Plan:
        """The one contract's name (:mod:`facility_opt.contract`) for :meth:`optimise`: a frozen :class:`Plan`."""
        return self.optimise(problem)

    def optimise(self, problem: PortfolioProblem) -> Plan:
        """Build and solve the MILP, check the plan independently, and return it.

        Raises
        ------
        InfeasibleError
            when no plan meets the standards and policy; ``reasons`` name the zones and services
            that cannot be covered and the constraint that blocks them.
        SolverError
            when the solver stops without a plan, or the plan fails the independent check.
        """
        opts = self.options
        reasons = unreachable(problem)
        if reasons:
            raise InfeasibleError(f"{problem.name}: some zones cannot be covered by any eligible site", reasons)
        by_parts = solve_by_parts(problem, opts) if opts.decompose else None
        if by_parts is not None:
            self.solution_, self.baseline_ = by_parts
            self.model_: PortfolioModel | None = None  # each part's model was built where it was solved
        else:
            self.solution_ = self._solve_whole(problem)
        sol = self.solution_
        plan = assemble_plan(problem, sol, self.baseline_)
        violations = check_plan(plan, problem)
        plan = plan.model_copy(update={"violations": violations, "valid": not violations})
        if violations:
            log.error("%s: the plan fails the independent check:\n  %s", problem.name, "\n  ".join(violations))
            if opts.on_violation == "raise":
                raise SolverError(
                    f"portfolio {problem.name}: the plan fails the independent check "
                    f"({len(violations)} violations): " + "; ".join(violations[:5])
                )
        self.plan_ = plan
        return plan

    def _solve_whole(self, problem: PortfolioProblem) -> Solution:
        """Baseline, model, start, solve and polish of the whole problem as one MILP."""
        opts = self.options
        t_start = time.perf_counter()
        self.baseline_ = solve_baseline(problem, opts.solver)
        solver_opts = opts.solver
        model = build_model(problem)
        model.limit_lead_shortfall(self.baseline_, opts.lead_tolerance)
        start = None
        if opts.start_plan is not None:
            start = solution_from_plan(opts.start_plan, problem)
        elif opts.warm_start:
            start = self.baseline_  # used by the solver only where it meets the standards and the policy
            if opts.repair_seconds > 0:
                rep = model.keep_and_add(opts.solver, opts.repair_seconds, reference=self.baseline_)
                if rep is not None:
                    start = rep
            if opts.heuristic_seconds > 0:
                # a better start in seconds: the LP relaxation's integral decisions fixed, the rest solved
                heur = model.lp_and_fix(opts.solver, opts.heuristic_seconds)
                if heur is not None:
                    log.info("%s: LP-and-fix start %s", problem.name, heur.info)
                    start = heur
        self.model_ = model
        used = time.perf_counter() - t_start
        if start is not None:
            model.warm_start(start)
            solver_opts = replace(solver_opts, warm_start=True)
        if solver_opts.time_limit is not None:
            solver_opts = replace(solver_opts, time_limit=max(solver_opts.time_limit - used, 1.0))
        sol = model.solve_level_budget(solver_opts) if problem.policy.min_level_budget else model.solve(solver_opts)
        sol.info = replace(sol.info, solve_seconds=sol.info.solve_seconds + used)
        self.solution_ = sol
        log.info("%s: %s", problem.name, sol.info)
        if sol.info.status == "infeasible":
            reasons = diagnose(problem, replace(opts.solver, warm_start=False))
            raise InfeasibleError(f"{problem.name}: no plan meets the coverage standards and the policy", reasons)
        require_solution(sol.info, f"portfolio {problem.name}")
        if not sol.info.has_solution:
            raise SolverError(f"portfolio {problem.name}: the solver returned no plan ({sol.info.status})")
        return model.polish(sol, replace(opts.solver, warm_start=False))


def baseline_plan(problem: PortfolioProblem, options: PortfolioOptions | None = None) -> Plan:
    """The keep-everything plan as a :class:`Plan` (the baseline scenario): every building kept with
    its services, capacity added where demand exceeds it; zones it leaves uncovered are reported in
    ``uncovered`` and ``baseline_issues``, not raised."""
    opts = options or PortfolioOptions()
    base = solve_baseline(problem, opts.solver)
    plan = assemble_plan(problem, base, base)
    # the baseline may miss the standards: that is reported (baseline_issues), not a violation
    violations = check_plan(plan, problem, baseline=True)
    return plan.model_copy(update={"violations": violations, "valid": not violations})


def optimise_portfolio(problem: PortfolioProblem, options: PortfolioOptions | None = None) -> Plan:
    """Optimise a portfolio: ``PortfolioOptimiser(options).optimise(problem)``.

    Examples
    --------
    >>> import pandas as pd
    >>> from facility_opt.portfolio import PortfolioProblem, optimise_portfolio
    >>> problem = PortfolioProblem.from_frames(
    ...     sites=pd.DataFrame({"site_id": ["A", "B"], "category": ["hall", "hall"],
    ...                         "floor_area_m2": [500.0, 500.0], "fixed_yen_per_year": [3e6, 4e6]}),
    ...     services=pd.DataFrame({"service_id": ["hall"], "coverage_m": [1000.0], "host_categories": ["hall"]}),
    ...     demand=pd.DataFrame({"zone_id": ["z"], "service_id": ["hall"], "population": [100.0],
    ...                          "demand": [10.0]}),
    ...     placements=pd.DataFrame({"site_id": ["A", "B"], "service_id": ["hall", "hall"],
    ...                              "capacity": [50.0, 50.0]}),
    ...     pairs=pd.DataFrame({"zone_id": ["z", "z"], "site_id": ["A", "B"], "distance_m": [300.0, 400.0]}))
    >>> plan = optimise_portfolio(problem)
    >>> [(d.facility_id, d.decision) for d in plan.decisions]
    [('A', 'keep'), ('B', 'close')]
    >>> plan.kpis.saving_yen  # B's 4 M yen a year over 30 years
    120000000.0
    """
    return PortfolioOptimiser(options).optimise(problem)
