"""The one check that geometries are in a projected CRS (metres) before distances are measured.

Used by the accessibility model (:mod:`facility_opt.access`) and by
:meth:`facility_opt.locate.LocationProblem.from_geodataframes`; the fix it names is the data
model's metric CRS (:data:`facility_opt.schema.METRIC_CRS`, EPSG:6677 for Tokyo).
"""

from __future__ import annotations

from typing import Any

from .errors import DataIssue, DataValidationError

__all__ = ["crs_issues", "require_metric_crs"]


def crs_issues(crs: Any, what: str) -> list[DataIssue]:
    """The problem with ``crs`` (a pyproj CRS or None) for distances in metres, as data issues (none: fine)."""
    from .schema import METRIC_CRS  # here: pydantic stays out of the OR-Library readers' start-up

    if crs is None:
        return [DataIssue(what, None, "crs", f'has no CRS; set it, then re-project with .to_crs("{METRIC_CRS}")')]
    if crs.is_geographic:
        return [
            DataIssue(
                what,
                None,
                "crs",
                f"is in a geographic CRS ({crs.to_string()}): distances would be in "
                f'degrees; use .to_crs("{METRIC_CRS}") (or another projected CRS in metres)',
            )
        ]
    return []


def require_metric_crs(crs: Any, what: str) -> None:
    """Raise :class:`DataValidationError` naming ``what`` unless ``crs`` is projected."""
    issues = crs_issues(crs, what)
    if issues:
        raise DataValidationError(issues)
