"""facility_opt: plan a ward's public buildings with data and integer programming.

The public API is small; everything else is reachable through its module. Names are imported on
first use (PEP 562): ``import facility_opt`` and the command line's start-up stay fast, and
``facility_opt.Ward`` or ``from facility_opt import p_median`` work as before.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: public name -> the module that defines it
_EXPORTS = {
    "Catalogue": ".catalogue",
    "Category": ".catalogue",
    "Service": ".catalogue",
    "default_catalogue": ".catalogue",
    "load_catalogue": ".catalogue",
    "distance_pairs": ".access",
    "read_street_network": ".access",
    "station_access": ".access",
    "station_catchments": ".access",
    "station_summary": ".access",
    "land_value_at": ".land",
    "RenewalCostParams": ".renewal",
    "RenewalPreset": ".renewal",
    "default_renewal_params": ".renewal",
    "plot_renewal_cliff": ".renewal",
    "project_renewal": ".renewal",
    "project_stock": ".renewal",
    "totals_by_year": ".renewal",
    "calibrate_renewal": ".renewal.calibration",
    "facility_capacity": ".demand",
    "zone_demand": ".demand",
    "DataIssue": ".errors",
    "DataValidationError": ".errors",
    "FacilityOptError": ".errors",
    "InfeasibleError": ".errors",
    "ModelConfigError": ".errors",
    "SolverError": ".errors",
    "FeePolicy": ".fees",
    "FeeResult": ".fees",
    "default_fee_model": ".fees",
    "load_fee_model": ".fees",
    "load_fee_tariff_csv": ".fees",
    "optimise_fees": ".fees",
    "load_nerima": ".loading",
    "read_ward": ".loading",
    "RunResult": ".pipeline",
    "run_model": ".pipeline",
    "report_from_run": ".pipeline",
    "PlanningModel": ".planning",
    "load_planning_model": ".planning",
    "Plan": ".portfolio",
    "Policy": ".portfolio",
    "PortfolioOptions": ".portfolio",
    "PortfolioProblem": ".portfolio",
    "baseline_plan": ".portfolio",
    "check_plan": ".portfolio",
    "optimise_portfolio": ".portfolio",
    "tradeoff_curve": ".portfolio",
    "compare_plans": ".compare",
    "cost_by_year": ".portfolio.yearly",
    "plan_geodataframe": ".report",
    "plan_map": ".report",
    "write_facilities_gpkg": ".report",
    "write_report": ".report",
    "explore_plan": ".report.webmap",
    "Budget": ".renewal.schedule",
    "ScheduleParams": ".renewal.schedule",
    "ScheduleResult": ".renewal.schedule",
    "check_schedule": ".renewal.schedule",
    "default_schedule_params": ".renewal.schedule",
    "plan_buildings": ".renewal.schedule",
    "plot_schedule": ".renewal",
    "schedule_renewals": ".renewal.schedule",
    "LocationProblem": ".locate",
    "LocationResult": ".locate",
    "p_median": ".locate",
    "METRIC_CRS": ".schema",
    "SolveInfo": ".solver",
    "SolverOptions": ".solver",
    "Ward": ".ward",
    "sweep": ".robust",
    "alternatives": ".robust",
    "SweepSpec": ".robust",
}

if TYPE_CHECKING:  # static analysers see the real imports
    from .catalogue import Catalogue, Category, Service, default_catalogue, load_catalogue
    from .access import distance_pairs, read_street_network, station_access, station_catchments, station_summary
    from .land import land_value_at
    from .renewal import (
        RenewalCostParams,
        RenewalPreset,
        default_renewal_params,
        plot_renewal_cliff,
        project_renewal,
        project_stock,
        totals_by_year,
    )
    from .renewal.calibration import calibrate_renewal
    from .demand import facility_capacity, zone_demand
    from .errors import (
        DataIssue,
        DataValidationError,
        FacilityOptError,
        InfeasibleError,
        ModelConfigError,
        SolverError,
    )
    from .fees import FeePolicy, FeeResult, default_fee_model, load_fee_model, load_fee_tariff_csv, optimise_fees
    from .loading import load_nerima, read_ward
    from .pipeline import RunResult, report_from_run, run_model
    from .planning import PlanningModel, load_planning_model
    from .portfolio import (
        Plan,
        Policy,
        PortfolioOptions,
        PortfolioProblem,
        baseline_plan,
        check_plan,
        optimise_portfolio,
        tradeoff_curve,
    )
    from .compare import compare_plans
    from .portfolio.yearly import cost_by_year
    from .report import plan_geodataframe, plan_map, write_facilities_gpkg, write_report
    from .report.webmap import explore_plan
    from .renewal import plot_schedule
    from .renewal.schedule import (
        Budget,
        ScheduleParams,
        ScheduleResult,
        check_schedule,
        default_schedule_params,
        plan_buildings,
        schedule_renewals,
    )
    from .locate import LocationProblem, LocationResult, p_median
    from .schema import METRIC_CRS
    from .solver import SolveInfo, SolverOptions
    from .ward import Ward
    from .robust import SweepSpec, alternatives, sweep


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
    "PlanningModel",
    "load_planning_model",
    "run_model",
    "RunResult",
    "PortfolioProblem",
    "Policy",
    "PortfolioOptions",
    "Plan",
    "optimise_portfolio",
    "baseline_plan",
    "check_plan",
    "tradeoff_curve",
    "cost_by_year",
    "write_report",
    "report_from_run",
    "explore_plan",
    "plan_map",
    "plan_geodataframe",
    "write_facilities_gpkg",
    "compare_plans",
    "LocationProblem",
    "LocationResult",
    "p_median",
    "schedule_renewals",
    "plan_buildings",
    "ScheduleParams",
    "ScheduleResult",
    "Budget",
    "check_schedule",
    "plot_schedule",
    "default_schedule_params",
    "RenewalCostParams",
    "RenewalPreset",
    "default_renewal_params",
    "calibrate_renewal",
    "project_renewal",
    "project_stock",
    "totals_by_year",
    "plot_renewal_cliff",
    "zone_demand",
    "facility_capacity",
    "distance_pairs",
    "read_street_network",
    "station_access",
    "station_catchments",
    "station_summary",
    "land_value_at",
    "FeePolicy",
    "FeeResult",
    "optimise_fees",
    "load_fee_model",
    "load_fee_tariff_csv",
    "default_fee_model",
    "read_ward",
    "load_nerima",
    "Catalogue",
    "Category",
    "Service",
    "default_catalogue",
    "load_catalogue",
    "DataIssue",
    "DataValidationError",
    "FacilityOptError",
    "InfeasibleError",
    "ModelConfigError",
    "SolverError",
    "METRIC_CRS",
    "SolveInfo",
    "SolverOptions",
    "sweep",
    "alternatives",
    "SweepSpec",
]
