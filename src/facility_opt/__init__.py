"""facility_opt: plan a ward's public buildings with data and integer programming.

The public API is small; everything else is reachable through its module.
"""

from .catalogue import Catalogue, Category, Service, default_catalogue, load_catalogue
from .errors import (
    DataIssue,
    DataValidationError,
    FacilityOptError,
    InfeasibleError,
    ModelConfigError,
    SolverError,
)
from .loading import load_nerima, read_ward
from .schema import METRIC_CRS
from .solver import SolveInfo, SolverOptions
from .ward import Ward

__version__ = "0.1.0"

__all__ = [
    "Ward",
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
