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
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import geopandas as gpd
import pandas as pd
import shapely
import yaml

from .catalogue import Catalogue
from .errors import DataIssue, DataValidationError, FacilityOptError
from .runfolder import python_value
from .staging import Origin, cell_text, read_staged
from .ward import Ward

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

log = logging.getLogger(__name__)

DATABASE_URL_PREFIXES = ("postgresql://", "postgres://")
#: the schema :func:`publish_run` writes to unless told otherwise
DEFAULT_SCHEMA = "facility_plan"
#: test hook: when set to a file path, :func:`publish_run` creates that file just before COMMIT and
#: waits there (for a test that kills the process at that point)
PAUSE_BEFORE_COMMIT_ENV = "FACILITY_OPT_PUBLISH_PAUSE_BEFORE_COMMIT"
_PAUSE_LIMIT_S = 600

#: the ward's tables: (name, required, primary key used by write_ward)
_WARD_TABLES = (
    ("ward_meta", True, ["key"]),
    ("boundary", True, ["boundary_id"]),
    ("zones", True, ["zone_id"]),
    ("facilities", True, ["facility_id"]),
    ("facility_services", True, ["facility_id", "service_id"]),
    ("stations", True, ["station_id"]),
    ("land_prices", False, None),
)


class PublishError(FacilityOptError):
    """Publishing a plan to PostGIS failed; nothing was published (the transaction was rolled back)."""


@dataclasses.dataclass(frozen=True)
class PublishResult:
    """What :func:`publish_run` wrote: the schema, the tables (run tables, ``kpis``) and the
    ``run_history`` row."""

    schema: str
    tables: list[str]
    history_id: int
    run_sha: str


def is_database_url(source: object) -> bool:
    """True for a ``postgresql://`` (or ``postgres://``) URL given as a string."""
    return isinstance(source, str) and source.startswith(DATABASE_URL_PREFIXES)


def safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _where(url: str) -> str:
    """A database as issues name it (no slashes: an issue shows the last part of a file path)."""
    parts = urlsplit(url)
    return f"database '{parts.path.lstrip('/')}' at {parts.hostname or 'localhost'}:{parts.port or 5432}"


def _psycopg():
    try:
        import psycopg
    except ImportError:  # the optional extra is not installed
        raise FacilityOptError("PostGIS support needs psycopg: pip install 'facility-opt[postgis]'") from None
    return psycopg


def _connect(url: str):
    return _psycopg().connect(url, connect_timeout=30)


# ------------------------------------------------------------------------------------------------ reading
def _table(cur, name: str) -> str | None:
    """``schema.name`` of the table the search_path finds, or None."""
    cur.execute(
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.oid = to_regclass(%s)",
        (name,),
    )
    row = cur.fetchone()
    return f"{row[0]}.{row[1]}" if row else None


def _columns(cur, qualified: str) -> tuple[list[str], list[str]]:
    """(non-geometry columns, geometry columns) in table order."""
    cur.execute(
        "SELECT a.attname, format_type(a.atttypid, NULL) FROM pg_attribute a "
        "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        (qualified,),
    )
    rows = cur.fetchall()
    return [n for n, t in rows if t != "geometry"], [n for n, t in rows if t == "geometry"]


def _primary_key(cur, qualified: str) -> list[str]:
    cur.execute(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
        "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary "
        "ORDER BY array_position(i.indkey, a.attnum)",
        (qualified,),
    )
    return [r[0] for r in cur.fetchall()]


def _key_label(key: list[str], values: tuple) -> str:
    if len(key) == 1:
        return f"{key[0]}={cell_text(values[0])!r}"
    return f"({', '.join(key)})=({', '.join(cell_text(v) for v in values)})"


class _MetaOrigin(Origin):
    """ward_meta rows: a ward.yaml key is the row (``key='base_year'``), its value the field."""

    def translate(self, issue: DataIssue) -> DataIssue:
        key = f"key={issue.field.split('.')[0]!r}" if issue.field else None
        return dataclasses.replace(issue, file=self.file, key=key, field="value" if issue.field else None)


def _stage_table(cur, name: str, qualified: str, folder: Path, issues: list[DataIssue]) -> Origin | None:
    """Write one table as ``<name>.gpkg`` (with a geometry column) or ``<name>.csv``; its origin."""
    from psycopg import sql

    where = f"table {qualified}"
    cols, geoms = _columns(cur, qualified)
    key = _primary_key(cur, qualified)
    order = key or cols
    ident = sql.Identifier(*qualified.split(".", 1))
    select = [sql.Identifier(c) for c in cols]
    if geoms:
        g = sql.Identifier(geoms[0])
        select += [sql.SQL("ST_AsBinary({})").format(g), sql.SQL("ST_SRID({})").format(g)]
    cur.execute(
        sql.SQL("SELECT {} FROM {} ORDER BY {}").format(
            sql.SQL(", ").join(select), ident, sql.SQL(", ").join(sql.Identifier(c) for c in order)
        )
    )
    rows = cur.fetchall()
    keys = [_key_label(key, tuple(r[cols.index(k)] for k in key)) for r in rows] if key else []
    frame = pd.DataFrame([[cell_text(v) for v in r[: len(cols)]] for r in rows], columns=cols, dtype=object)
    columns = {"geometry": geoms[0]} if geoms else {}
    if not geoms:
        frame.to_csv(folder / f"{name}.csv", index=False)
        return Origin(where, keys=keys, columns=columns)
    srids = sorted({r[-1] for r in rows if r[-1] is not None})
    if len(srids) != 1 or srids[0] == 0:
        issues.append(
            DataIssue(
                where,
                None,
                "geometry",
                f"the geometry column has SRIDs {srids}; give it one SRID (e.g. ST_SetSRID(geom, 6677))",
                column=geoms[0],
            )
        )
        return None
    geometry = shapely.from_wkb([bytes(r[-2]) if r[-2] is not None else None for r in rows])
    gdf = gpd.GeoDataFrame(frame, geometry=geometry, crs=f"EPSG:{srids[0]}")
    gdf.to_file(folder / f"{name}.gpkg", driver="GPKG", engine="pyogrio")
    return Origin(where, keys=keys, columns=columns)


def _stage(conn, url: str, folder: Path) -> dict[str, Origin]:
    """Write the database's ward tables into ``folder`` in the file layout; their origins by file name."""
    from psycopg import sql

    issues: list[DataIssue] = []
    origins: dict[str, Origin] = {}
    with conn.cursor() as cur:
        cur.execute("SHOW search_path")
        search_path = cur.fetchone()[0]
        found = {name: _table(cur, name) for name, _, _ in _WARD_TABLES}
        for name, required, _ in _WARD_TABLES:
            if required and found[name] is None:
                issues.append(
                    DataIssue(
                        f"table {name}",
                        None,
                        None,
                        f"missing: {_where(url)} has no table '{name}' on its search_path ({search_path})",
                    )
                )
        if issues:
            raise DataValidationError(issues)
        meta_table = found["ward_meta"]
        cur.execute(sql.SQL("SELECT key, value FROM {} ORDER BY key").format(sql.Identifier(*meta_table.split(".", 1))))
        meta = {k: v for k, v in cur.fetchall()}
        (folder / "ward.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8")
        origins["ward.yaml"] = _MetaOrigin(f"table {meta_table}", columns={"value": "value"})
        for name, _, _ in _WARD_TABLES[1:]:
            if found[name] is not None:
                origin = _stage_table(cur, name, found[name], folder, issues)
                if origin is not None:
                    suffix = ".csv" if (folder / f"{name}.csv").exists() else ".gpkg"
                    origins[f"{name}{suffix}"] = origin
    if issues:
        raise DataValidationError(issues)
    return origins


def read_ward_postgis(url: str, catalogue: Catalogue | None = None) -> Ward:
    """Read and validate a ward from PostGIS tables (see the module docstring for the layout)."""
    psycopg = _psycopg()
    try:
        with _connect(url) as conn, tempfile.TemporaryDirectory(prefix="facility_opt_db_") as tmp:
            conn.read_only = True
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ  # every table from one snapshot
            origins = _stage(conn, url, Path(tmp))
            ward = read_staged(Path(tmp), origins, catalogue, source=None)
    except psycopg.Error as exc:
        raise DataValidationError(
            [DataIssue(_where(url), None, None, f"cannot read the ward: {exc}".strip())]
        ) from None
    log.info("%s: %r", safe_url(url), ward)
    return ward


def snapshot_ward(url: str, folder: str | Path, catalogue: Catalogue | None = None) -> Ward:
    """Read a ward from PostGIS and write it as a ward folder (atomically): the nightly job plans on,
    fingerprints and keeps exactly what it read."""
    from .atomic import atomic_dir

    ward = read_ward_postgis(url, catalogue)
    with atomic_dir(folder) as tmp:
        ward.to_dir(tmp)
    return ward


# ------------------------------------------------------------------------------------------------ writing
def _pg_type(s: pd.Series) -> str:
    kind = s.dtype.kind
    if str(s.dtype) == "boolean" or kind == "b":
        return "boolean"
    if kind in "iu":
        return "bigint"
    if kind == "f":
        return "double precision"
    return "text"


def _unique_key(df: pd.DataFrame) -> list[str]:
    """The first ``*_id`` column whose values are filled and unique (the table's key), if any."""
    for c in df.columns:
        if str(c).endswith("_id") and df[c].notna().all() and df[c].is_unique:
            return [c]
    return []


def _write_table(
    cur, schema: str, name: str, df: pd.DataFrame, key: list[str] | None = None, comment: str | None = None
) -> None:
    """Replace ``schema.name`` by ``df`` (a GeoDataFrame gets a ``geom`` column with its SRID and a
    GiST index), loaded with COPY."""
    from psycopg import sql

    geo = isinstance(df, gpd.GeoDataFrame)
    cols = [c for c in df.columns if not (geo and c == df.geometry.name)]
    key = _unique_key(df[cols]) if key is None else key
    defs = [sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(_pg_type(df[c]))) for c in cols]
    values = [df[c].tolist() for c in cols]
    names = [sql.Identifier(c) for c in cols]
    if geo:
        srid = df.crs.to_epsg() if df.crs is not None else None
        if not srid:
            raise PublishError(f"{name}: the layer has no EPSG code for its CRS ({df.crs}); QGIS needs one")
        types = sorted(set(df.geom_type.dropna()))
        gtype = types[0] if len(types) == 1 else "Geometry"
        defs.append(sql.SQL("geom geometry({}, {})").format(sql.SQL(gtype), sql.Literal(srid)))
        geoms = shapely.set_srid(df.geometry.to_numpy(), srid)
        values.append([None if g is None else shapely.to_wkb(g, hex=True, include_srid=True) for g in geoms])
        names.append(sql.Identifier("geom"))
    if key:
        defs.append(sql.SQL("PRIMARY KEY ({})").format(sql.SQL(", ").join(sql.Identifier(k) for k in key)))
    table = sql.Identifier(schema, name)
    cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
    cur.execute(sql.SQL("CREATE TABLE {} ({})").format(table, sql.SQL(", ").join(defs)))
    with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(table, sql.SQL(", ").join(names))) as copy:
        for row in zip(*values):
            copy.write_row([python_value(v) for v in row])
    if geo:
        cur.execute(
            sql.SQL("CREATE INDEX {} ON {} USING gist (geom)").format(sql.Identifier(f"{name}_geom_idx"[:63]), table)
        )
    if comment:
        cur.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(table, sql.Literal(comment)))


def write_ward(ward: Ward, url: str, schema: str = "public") -> list[str]:
    """Write ``ward`` into PostGIS tables in the layout :func:`read_ward_postgis` reads, replacing
    them, in one transaction; returns the table names."""
    from psycopg import sql
    from psycopg.types.json import Json

    parts = {
        "boundary": ward.boundary.reset_index(drop=True).assign(boundary_id=lambda d: range(1, len(d) + 1))[
            ["boundary_id", "geometry"]
        ],
        "zones": ward.zones,
        "facilities": ward.facilities,
        "facility_services": ward.facility_services,
        "stations": ward.stations,
    }
    extra = getattr(ward, "land_prices", None)
    if extra is not None and len(extra):  # an empty table would have no SRID to read back
        parts["land_prices"] = extra
    keys = {name: key for name, _, key in _WARD_TABLES}
    with _connect(url) as conn, conn.transaction(), conn.cursor() as cur:
        cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        table = sql.Identifier(schema, "ward_meta")
        cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
        cur.execute(sql.SQL("CREATE TABLE {} (key text PRIMARY KEY, value json)").format(table))
        for k, v in ward.meta.model_dump(mode="json").items():
            cur.execute(sql.SQL("INSERT INTO {} VALUES (%s, %s)").format(table), (k, Json(v)))
        for name, df in parts.items():
            _write_table(cur, schema, name, df, keys.get(name))
    return ["ward_meta", *parts]


# ------------------------------------------------------------------------------------------------ publishing
_HISTORY = """CREATE TABLE IF NOT EXISTS {} (
    id bigserial PRIMARY KEY,
    published_at timestamptz NOT NULL DEFAULT now(),
    run_sha text NOT NULL,
    run_folder text NOT NULL,
    model text,
    solver_status text,
    valid boolean,
    tables text[] NOT NULL,
    kpis jsonb NOT NULL,
    run jsonb NOT NULL)"""


def _pause_before_commit() -> None:
    """The test hook of :data:`PAUSE_BEFORE_COMMIT_ENV` (a no-op unless the variable is set)."""
    flag = os.environ.get(PAUSE_BEFORE_COMMIT_ENV)
    if not flag:
        return
    Path(flag).write_text(str(os.getpid()), encoding="utf-8")
    log.warning("%s is set: waiting before COMMIT", PAUSE_BEFORE_COMMIT_ENV)
    deadline = time.monotonic() + _PAUSE_LIMIT_S
    while time.monotonic() < deadline and Path(flag).exists():
        time.sleep(0.05)


def last_published(url: str, schema: str = DEFAULT_SCHEMA) -> str | None:
    """The fingerprint (``run_sha``) of the run last published to ``schema``; None when none was."""
    psycopg = _psycopg()
    from psycopg import sql

    try:
        with _connect(url) as conn, conn.cursor() as cur:
            cur.execute("SELECT to_regclass(%s)", (f'"{schema}".run_history',))
            if cur.fetchone()[0] is None:
                return None
            cur.execute(
                sql.SQL("SELECT run_sha FROM {} ORDER BY id DESC LIMIT 1").format(sql.Identifier(schema, "run_history"))
            )
            row = cur.fetchone()
    except psycopg.Error as exc:
        raise PublishError(f"cannot read {schema}.run_history at {safe_url(url)}: {exc}") from exc
    return row[0] if row else None


def publish_run(run_dir: str | Path, url: str, schema: str = DEFAULT_SCHEMA) -> PublishResult:
    """Publish a run folder to PostGIS in one transaction (see the module docstring for the tables).

    Tables of the previous publish that this run no longer has are dropped; ``run_history`` gains a
    row. Concurrent publishes to one schema take turns (an advisory lock). Raises
    :class:`PublishError` (nothing published) when the database refuses.
    """
    psycopg = _psycopg()
    from psycopg import sql
    from psycopg.types.json import Jsonb

    from .runfolder import run_fingerprint, run_kpis, run_layers, run_tables

    run_dir = Path(run_dir)
    if not (run_dir / "plan.json").is_file():
        raise PublishError(f"{run_dir} is not a run folder (no plan.json)")
    sha = run_fingerprint(run_dir)
    tables: dict[str, pd.DataFrame] = dict(run_layers(run_dir))
    for name, df in run_tables(run_dir).items():
        tables[name if name not in tables else f"{name}_table"] = df
    k = run_kpis(run_dir)
    numeric = k["value"].map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
    tables["kpis"] = pd.DataFrame(
        {
            "kpi": k["kpi"].astype(str),
            "value": pd.Series([float(v) if n else None for v, n in zip(k["value"], numeric)], dtype="float64"),
            "value_text": pd.Series(
                [
                    None if n or v is None else str(v).lower() if isinstance(v, bool) else str(v)
                    for v, n in zip(k["value"], numeric)
                ],
                dtype=object,
            ),
        }
    )
    run = json.loads((run_dir / "run.json").read_text(encoding="utf-8")) if (run_dir / "run.json").is_file() else {}
    comment = f"facility_opt run {run_dir.name} (run_sha {sha[:12]})"
    try:
        with _connect(url) as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"facility_opt.publish.{schema}",))
            cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            history = sql.Identifier(schema, "run_history")
            cur.execute(sql.SQL(_HISTORY).format(history))
            cur.execute(sql.SQL("SELECT tables FROM {} ORDER BY id DESC LIMIT 1").format(history))
            previous = (cur.fetchone() or [[]])[0]
            for name, df in tables.items():
                _write_table(cur, schema, name, df, key=["kpi"] if name == "kpis" else None, comment=comment)
            for name in sorted(set(previous) - set(tables)):
                cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(schema, name)))
            cur.execute(
                sql.SQL(
                    "INSERT INTO {} (run_sha, run_folder, model, solver_status, valid, tables, kpis, run) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id"
                ).format(history),
                (
                    sha,
                    str(run_dir.resolve()),
                    run.get("model"),
                    (run.get("solver") or {}).get("status"),
                    run.get("valid"),
                    list(tables),
                    Jsonb(dict(zip(k["kpi"], k["value"]))),
                    Jsonb(run),
                ),
            )
            history_id = cur.fetchone()[0]
            _pause_before_commit()
    except psycopg.Error as exc:
        raise PublishError(f"publishing {run_dir} to {safe_url(url)} failed; nothing was published: {exc}") from exc
    log.info(
        "published %s to %s schema %s: %s (run_history id %d)",
        run_dir,
        safe_url(url),
        schema,
        ", ".join(tables),
        history_id,
    )
    return PublishResult(schema=schema, tables=list(tables), history_id=history_id, run_sha=sha)
