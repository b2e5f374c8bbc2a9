"""Portfolio optimisation: keep, close, rebuild, convert, co-locate or build new, under service coverage.

The pattern is the library's: a :class:`PortfolioProblem` (plain validated tables) →
:func:`build_model` (a bulk-built PuLP MILP) → the shared solver adapter → an immutable
:class:`Plan` keyed by the caller's ids, checked independently by :func:`check_plan`.
:func:`tradeoff_curve` traces cost against access (epsilon constraint);
:func:`problem_from_ward` builds a problem from a ward and a planning model (``models/nerima.yaml``).
The formulation is documented in ``docs/portfolio.md``.
"""

from .check import check_plan
from .diagnose import diagnose, unreachable
from .formulation.solution import Solution
from .model import PortfolioModel, build_model
from .optimise import (
    PortfolioOptimiser,
    PortfolioOptions,
    baseline_plan,
    optimise_portfolio,
    solution_from_plan,
    solve_baseline,
)
from .plan import Plan, format_yen
from .policy import Policy
from .problem import PortfolioProblem
from .tradeoff import plot_tradeoff, tradeoff_curve

__all__ = [
    "Policy",
    "PortfolioProblem",
    "PortfolioModel",
    "Solution",
    "build_model",
    "PortfolioOptions",
    "PortfolioOptimiser",
    "optimise_portfolio",
    "solve_baseline",
    "baseline_plan",
    "solution_from_plan",
    "Plan",
    "format_yen",
    "check_plan",
    "diagnose",
    "unreachable",
    "tradeoff_curve",
    "plot_tradeoff",
]
