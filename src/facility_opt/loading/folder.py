"""A whole ward folder read and validated (or a PostGIS URL, or an Excel register), and the embedded
Nerima ward."""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

from ..catalogue import Catalogue, default_catalogue
from ..errors import DataIssue, DataValidationError
from ..schema import (
    FacilityRecord,
    FacilityServiceRecord,
    LandPriceRecord,
    StationRecord,
    ZoneRecord,
)
from ..ward import Ward
from .checks import _check_references, _check_rows, _impute_age
from .files import _find_file
from .tables import _read_boundary, _read_meta, _read_table


def read_ward(folder: str | Path, catalogue: Catalogue | None = None) -> Ward:
    """Read and validate a ward folder (or a ``postgresql://`` URL); raise :class:`DataValidationError`
    listing every problem.

    Examples
    --------
    >>> from facility_opt.resources import nerima_dir
    >>> ward = read_ward(nerima_dir())
    >>> len(ward.zones), int(ward.zones["population"].sum())
    (202, 721722)
    """
    from ..postgis import is_database_url  # other sources are staged and read by this function again

    if is_database_url(folder):
        from ..postgis import read_ward_postgis

        return read_ward_postgis(str(folder), catalogue)
    folder = Path(folder)
    if not folder.is_dir():
        raise DataValidationError([DataIssue(str(folder), None, None, "not a folder")])
    if _find_file(folder, "facilities", True) is None and (folder / "facilities.xlsx").is_file():
        from ..register import read_ward_with_register

        return read_ward_with_register(folder, catalogue)
    catalogue = catalogue or default_catalogue()
    issues: list[DataIssue] = []
    meta = _read_meta(folder, issues)
    if meta is None:
        raise DataValidationError(issues)
    boundary = _read_boundary(folder, meta, issues)
    parts: dict[str, pd.DataFrame | None] = {}
    paths: dict[str, Path] = {}
    for stem, record, spatial in (
        ("zones", ZoneRecord, True),
        ("facilities", FacilityRecord, True),
        ("facility_services", FacilityServiceRecord, False),
        ("stations", StationRecord, True),
    ):
        parts[stem], paths[stem] = _read_table(folder, stem, record, meta, boundary, issues, spatial)
    parts["land_prices"], paths["land_prices"] = _read_table(
        folder, "land_prices", LandPriceRecord, meta, boundary, issues, True, required=False
    )
    if not issues:
        _check_references(parts, paths, catalogue, issues)
        _check_rows(parts, paths, meta, issues)
    if issues:
        raise DataValidationError(issues)
    zones = _impute_age(parts["zones"], meta)
    return Ward(
        meta=meta,
        boundary=boundary,
        zones=zones,
        facilities=parts["facilities"],
        facility_services=parts["facility_services"],
        stations=parts["stations"],
        source=folder,
        land_prices=parts["land_prices"],
    )


@functools.lru_cache(maxsize=1)
def _nerima_cached() -> Ward:
    from ..resources import nerima_dir

    return read_ward(nerima_dir())


def load_nerima() -> Ward:
    """The embedded Nerima ward (202 chome, 271 facilities, stations, land prices), validated; a fresh copy
    each call."""
    return _nerima_cached().copy()
