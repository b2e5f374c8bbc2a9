"""Classic location models on one problem object, built in bulk and solved exactly.

Pattern: a :class:`LocationProblem` (cost matrix or GeoDataFrames, caller's ids) -> a model holding
only parameters (:class:`PMedian`, :class:`FacilityLocation`, :class:`MCLP`, :class:`LSCP`,
:class:`PCenter`) -> ``model.solve(problem)`` (one shared solver adapter) -> an immutable
:class:`LocationResult` with ``to_frame()`` and a one-screen repr. Function forms (``p_median``,
``ufl``, ``cfl``, ``capacitated_p_median``, ``mclp``, ``lscp``, ``p_center``) are thin wrappers.
See ``docs/location_models.md`` for the method each model uses and the measured figures.
"""

from ._problem import LocationProblem
from ._result import LocationResult
from .covering import LSCP, MCLP, lscp, mclp
from .facility_location import FacilityLocation, capacitated_p_median, cfl, ufl
from .orlib import OrlibInstance, detect_format, read_cap, read_orlib, read_pmed
from .pcenter import PCenter, p_center
from .pmedian import PMedian, p_median

__all__ = [
    "LocationProblem",
    "LocationResult",
    "PMedian",
    "p_median",
    "FacilityLocation",
    "ufl",
    "cfl",
    "capacitated_p_median",
    "MCLP",
    "LSCP",
    "mclp",
    "lscp",
    "PCenter",
    "p_center",
    "OrlibInstance",
    "read_orlib",
    "read_pmed",
    "read_cap",
    "detect_format",
]
