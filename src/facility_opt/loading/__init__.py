"""Read a ward from a folder of files and validate every row, collecting all problems.

Folder layout (``geodata/nerima/`` is an example)::

    ward.yaml                 WardMeta: name, base year, CRS, age shares, credits
    boundary.geojson|.gpkg    the ward polygon (any CRS that is declared)
    zones.csv|.gpkg|.geojson  demand zones            (ZoneRecord columns)
    facilities.csv|...        ward buildings          (FacilityRecord columns)
    facility_services.csv     services per building   (FacilityServiceRecord columns, no geometry)
    stations.csv|...          railway stations        (StationRecord columns; open or planned)
    land_prices.csv|...       optional: land prices   (LandPriceRecord columns)

The facilities may instead be an Excel export of the ward's facility register, ``facilities.xlsx``
(with ``facilities.mapping.yaml``; :mod:`facility_opt.register`), and a whole ward may be read from
PostGIS tables by giving a ``postgresql://`` URL instead of a folder (:mod:`facility_opt.postgis`).

CSV files give points as ``lat``/``lon`` (WGS84) or ``x``/``y`` in ``ward.yaml``'s ``csv_crs``;
they may be UTF-8 or Shift-JIS (cp932). Columns named ``x_*`` are kept as user data; any other
unknown column is an error (it is usually a typo of a known one).

Every problem is reported as a :class:`~facility_opt.errors.DataIssue` naming the file, the data
row (1-based; line = row + 1 in a CSV) and the field; all problems of all files are raised together
in one :class:`~facility_opt.errors.DataValidationError`.

Besides each row's own ranges, rows are checked against each other and against ``ward.yaml``:
a facility built after ``base_year`` must have ``status`` planned; a ``room`` or ``housing_unit`` has no
``site_area_m2``; the rooms inside a host of the data fit in the host's ``floor_area_m2``; a zone's age
bands sum to its population within 1 %; an open station opens by ``base_year``, a planned one after it.

Modules: :mod:`.files` (reading a file), :mod:`.tables` (one table against its row model),
:mod:`.checks` (rows against each other and ``ward.yaml``), :mod:`.folder` (the whole folder).
"""

from __future__ import annotations

from .files import read_csv_text, read_text_any_encoding
from .folder import load_nerima, read_ward

__all__ = ["read_ward", "load_nerima", "read_csv_text", "read_text_any_encoding"]
