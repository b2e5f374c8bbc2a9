"""facility_opt: plan a ward's public buildings with data and integer programming.

The public API is small; everything else is reachable through its module.
"""

from .catalogue import Catalogue, Category, Service, default_catalogue, load_catalogue
from .access import distance_pairs, read_street_network, station_access, station_catchments, station_summary
from .land import land_value_at
from .costs import (
    RenewalCostParams,
    default_renewal_params,
    plot_renewal_cliff,
    project_renewal,
    project_stock,
    totals_by_year,
)
from .demand import facility_capacity, zone_demand
from .errors import (
    DataIssue,
    DataValidationError,
    FacilityOptError,
    InfeasibleError,
    ModelConfigError,
    SolverError,
)
from .fees import FeePolicy, FeeResult, default_fee_model, load_fee_model, load_fee_schedule_csv, optimise_fees
from .loading import load_nerima, read_ward
from .pipeline import RunResult, run_model
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
from .schedule import (
    Budget,
    ScheduleParams,
    ScheduleResult,
    check_schedule,
    default_schedule_params,
    plan_buildings,
    plot_schedule,
    schedule_renewals,
)
from .locate import LocationProblem, LocationResult, p_median
from .schema import METRIC_CRS
from .solver import SolveInfo, SolverOptions
from .ward import Ward

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
    "default_renewal_params",
    "project_renewal",
    "project_stock",
    "totals_by_year",
    "plot_renewal_cliff",
    "zone_demand",
    "facility_capacity",
    "distance_pairs",
    "read_street_network",
    "station_access",
    "land_value_at",
    "station_catchments",
    "station_summary",
    "FeePolicy",
    "FeeResult",
    "optimise_fees",
    "load_fee_model",
    "load_fee_schedule_csv",
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
]
