"""PostGIS: read a ward from database tables, and publish a run's plan into tables QGIS opens.

**Reading** (``read_ward("postgresql://…")``, ``--data postgresql://…``): the ward's tables, found
on the connection's ``search_path`` (``?options=-csearch_path%3Dmyschema`` in the URL picks a
schema), with the columns of the files (:mod:`facility_opt.schema`)::

    ward_meta          key text PRIMARY KEY, value json      the keys of ward.yaml (name, base_year, crs …)
    boundary           a polygon geometry column             the ward polygon(s)
    zones              zone_id PRIMARY KEY, …, a point geometry column with an SRID
    facilities         facility_id PRIMARY KEY, …, point geometry
    facility_services  (facility_id, service_id) PRIMARY KEY, …  (no geometry)
    stations           station_id PRIMARY KEY, …, point geometry
    land_prices        optional, when the data model has it

The tables are staged as files and read by the one loader (:mod:`facility_opt.staging`), so the
same rules apply as to files; each problem names the table, the row by its primary key and the
column, e.g. ``table public.facilities, row facility_id='ASC-003', field 'floor_area_m2': …``.
:func:`write_ward` writes a ward in this layout (to seed a database from files).

**Publishing** (:func:`publish_run`, ``--publish postgresql://…``) writes a run folder into one
schema (default ``facility_plan``), all in one transaction (a failed or killed publish leaves the
previous tables as they were):

* every layer of the run's GeoPackages (``facilities``: every facility and new site with its
  decision) as a table with a ``geom`` column of its type and SRID (EPSG:6677) and a GiST index;
* every CSV of the run folder as a table of the same name (decisions, assignments, costs,
  services, cost_by_year, and whatever the run folder gains, e.g. timeline, years);
* ``kpis`` (``kpi``, ``value`` when a number, ``value_text`` otherwise) from plan.json and run.json;
* ``run_history``, appended (never replaced): one row per publish, with its time, the run's
  fingerprint, model, solver status, validity, the tables written, the KPIs and run.json.

Tables are keyed by their first unique ``*_id`` column (``facility_id`` …) where there is one.
Needs ``psycopg`` (``pip install 'facility-opt[postgis]'``).

Modules: :mod:`.connection` (URLs, connecting, :class:`PublishError`), :mod:`.read` (reading a ward),
:mod:`.write` (tables from frames, :func:`write_ward`), :mod:`.publish` (publishing a run).
"""

from __future__ import annotations

from .connection import PublishError, is_database_url
from .publish import DEFAULT_SCHEMA, PAUSE_BEFORE_COMMIT_ENV, PublishResult, last_published, publish_run
from .read import read_ward_postgis, snapshot_ward
from .write import write_ward

__all__ = [
    "is_database_url",
    "read_ward_postgis",
    "snapshot_ward",
    "write_ward",
    "publish_run",
    "last_published",
    "PublishError",
    "PublishResult",
    "DEFAULT_SCHEMA",
    "PAUSE_BEFORE_COMMIT_ENV",
]
