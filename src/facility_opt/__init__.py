"""facility_opt: plan a ward's public buildings with data and integer programming.

The top level holds what a notebook needs to plan a ward (about twenty names, as geopandas keeps
about fourteen): the ward and its data, the planning model and the main job, the portfolio model
and its plan, the solver options and the errors. Everything else lives in its subpackage:

==========================  ===================================================================
``facility_opt.locate``     classic location models (p-median, UFL/CFL, MCLP, LSCP, p-center)
``facility_opt.renewal``    renewal costs (``project_renewal``, presets, calibration) and timing under an
                            annual budget (``facility_opt.renewal.schedule``: ``schedule_renewals`` ...)
``facility_opt.fees``       usage-fee revision (``optimise_fees``, ``FeePolicy`` ...)
``facility_opt.portfolio``  the portfolio model in full (``baseline_plan``, ``tradeoff_curve`` ...)
``facility_opt.robust``     sweeps and alternative plans (``sweep``, ``alternatives``)
``facility_opt.report``     report, map (``facility_opt.report.webmap``) and GeoPackage writers
``facility_opt.access``     street-network distances and station catchments
``facility_opt.demand``     zone demand and facility capacity
==========================  ===================================================================

Names are imported on first use (PEP 562): ``import facility_opt`` and the command line's start-up
stay fast; ``facility_opt.<subpackage>`` imports that subpackage.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: public name -> the module that defines it
_EXPORTS = {
    "Ward": ".ward",
    "load_nerima": ".loading",
    "read_ward": ".loading",
    "PlanningModel": ".planning",
    "load_planning_model": ".planning",
    "RunResult": ".pipeline",
    "run_model": ".pipeline",
    "Plan": ".portfolio",
    "Policy": ".portfolio",
    "PortfolioOptions": ".portfolio",
    "PortfolioProblem": ".portfolio",
    "check_plan": ".portfolio",
    "optimise_portfolio": ".portfolio",
    "compare_plans": ".compare",
    "SolverOptions": ".solver",
    "DataValidationError": ".errors",
    "FacilityOptError": ".errors",
    "InfeasibleError": ".errors",
    "ModelConfigError": ".errors",
    "SolverError": ".errors",
}

if TYPE_CHECKING:  # static analysers see the real imports
    from .compare import compare_plans
    from .errors import DataValidationError, FacilityOptError, InfeasibleError, ModelConfigError, SolverError
    from .loading import load_nerima, read_ward
    from .pipeline import RunResult, run_model
    from .planning import PlanningModel, load_planning_model
    from .portfolio import Plan, Policy, PortfolioOptions, PortfolioProblem, check_plan, optimise_portfolio
    from .solver import SolverOptions
    from .ward import Ward


def __getattr__(name: str) -> Any:
    """Import a public name (or a subpackage such as ``facility_opt.portfolio``) on first use."""
    mod = _EXPORTS.get(name)
    if mod is not None:
        value = getattr(importlib.import_module(mod, __name__), name)
    elif not name.startswith("__"):
        try:
            value = importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as err:
            if err.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


__version__ = "0.1.0"

__all__ = [
    "Ward",
    "load_nerima",
    "read_ward",
    "PlanningModel",
    "load_planning_model",
    "run_model",
    "RunResult",
    "PortfolioProblem",
    "PortfolioOptions",
    "Policy",
    "Plan",
    "optimise_portfolio",
    "check_plan",
    "compare_plans",
    "SolverOptions",
    "FacilityOptError",
    "DataValidationError",
    "ModelConfigError",
    "InfeasibleError",
    "SolverError",
]
