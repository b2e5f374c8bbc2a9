"""Reading a ward from PostGIS tables: each table staged as a file (with its origin, so issues name
the table, row and column) and read by the one loader (:mod:`facility_opt.staging`)."""

from __future__ import annotations

import dataclasses
import logging
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
import yaml

from ..catalogue import Catalogue
from ..errors import DataIssue, DataValidationError
from ..staging import Origin, cell_text, read_staged
from ..ward import Ward
from .connection import _connect, _psycopg, _where, safe_url

log = logging.getLogger(__name__)

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
    from ..atomic import atomic_dir

    ward = read_ward_postgis(url, catalogue)
    with atomic_dir(folder) as tmp:
        ward.to_dir(tmp)
    return ward
