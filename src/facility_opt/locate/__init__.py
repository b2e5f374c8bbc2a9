"""Classic location models on one problem object, built in bulk and solved exactly.

Pattern: a :class:`LocationProblem` (cost matrix or GeoDataFrames, caller's ids) -> a model holding
only parameters (:class:`PMedian`, :class:`FacilityLocation`, :class:`MCLP`, :class:`LSCP`,
:class:`PCenter`) -> ``model.solve(problem)`` (one shared solver adapter) -> an immutable
:class:`LocationResult` with ``to_frame()`` and a one-screen repr. Function forms (``p_median``,
``ufl``, ``cfl``, ``capacitated_p_median``, ``mclp``, ``lscp``, ``p_center``) are thin wrappers.
See ``docs/location_models.md`` for the method each model uses and the measured figures.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: public name -> the module that defines it (imported on first use, PEP 562: reading one
#: OR-Library file does not pay for the covering and facility-location models)
_EXPORTS = {
    "LocationProblem": "._problem",
    "LocationResult": "._result",
    "PMedian": ".pmedian",
    "p_median": ".pmedian",
    "FacilityLocation": ".facility_location",
    "ufl": ".facility_location",
    "cfl": ".facility_location",
    "capacitated_p_median": ".facility_location",
    "MCLP": ".covering",
    "LSCP": ".covering",
    "mclp": ".covering",
    "lscp": ".covering",
    "PCenter": ".pcenter",
    "p_center": ".pcenter",
    "OrlibInstance": ".orlib",
    "read_orlib": ".orlib",
    "read_pmed": ".orlib",
    "read_cap": ".orlib",
    "detect_format": ".orlib",
}

if TYPE_CHECKING:
    from ._problem import LocationProblem
    from ._result import LocationResult
    from .covering import LSCP, MCLP, lscp, mclp
    from .facility_location import FacilityLocation, capacitated_p_median, cfl, ufl
    from .orlib import OrlibInstance, detect_format, read_cap, read_orlib, read_pmed
    from .pcenter import PCenter, p_center
    from .pmedian import PMedian, p_median


def __getattr__(name: str) -> Any:
    mod = _EXPORTS.get(name)
    if mod is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(mod, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


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
