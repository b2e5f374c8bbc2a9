"""Writing frames to PostGIS tables (COPY, a ``geom`` column with its SRID and a GiST index), and a
ward in the layout :func:`facility_opt.postgis.read_ward_postgis` reads."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from ..runfolder import python_value
from ..ward import Ward
from .connection import PublishError, _connect
from .read import _WARD_TABLES


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
