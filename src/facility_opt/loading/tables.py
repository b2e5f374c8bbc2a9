"""One table of a ward folder read and validated against its row model: columns, every row, unique ids,
points from lat/lon or x/y inside the ward; and ``ward.yaml`` and the boundary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import yaml
from pydantic import ValidationError
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely import points

from ..errors import DataIssue
from ..schema import (
    WardMeta,
    _Record,
)
from .files import _SPATIAL_SUFFIXES, _Collector, _find_file, _read_frame

#: how far outside the boundary a point may lie (m): geocoding noise for zones and facilities;
#: stations just outside the ward still serve its residents.
_TOLERANCE_M = {"zones": 200.0, "facilities": 200.0, "stations": 5000.0, "land_prices": 200.0}
_COORD_COLUMNS = {"lat", "lon", "x", "y", "geometry"}


def _check_columns(df: pd.DataFrame, record: type[_Record], col: _Collector, spatial: bool) -> bool:
    fields = set(record.model_fields)
    cols = [c for c in df.columns if c != "geometry"]
    ok = True
    for c in record.required_columns:
        if c not in cols:
            col.add(None, c, f"required column '{c}' is missing (columns found: {', '.join(cols)})")
            ok = False
    allowed = fields | (_COORD_COLUMNS if spatial else set())
    for c in cols:
        if c not in allowed and not c.startswith("x_"):
            col.add(
                None,
                c,
                f"unknown column '{c}'; expected some of {sorted(fields)}; "
                "rename it to 'x_" + c + "' to keep it as user data",
            )
            ok = False
    if spatial and not isinstance(df, gpd.GeoDataFrame):
        if not ({"lat", "lon"} <= set(cols) or {"x", "y"} <= set(cols)):
            col.add(
                None,
                "lat/lon",
                "no coordinates: give 'lat' and 'lon' columns (WGS84) or 'x' and 'y' (in ward.yaml's csv_crs)",
            )
            ok = False
    return ok


def _validate_rows(df: pd.DataFrame, record: type[_Record], col: _Collector) -> list[dict[str, Any] | None]:
    """Validate every row; return the cleaned dicts (None for invalid rows)."""
    fields = [c for c in df.columns if c in record.model_fields]
    out: list[dict[str, Any] | None] = []
    for i, row in enumerate(df[fields].to_dict("records"), start=1):
        try:
            out.append(record.model_validate(row).model_dump(mode="json"))
        except ValidationError as exc:
            for e in exc.errors():
                field = str(e["loc"][0]) if e["loc"] else None
                got = row.get(field) if field else None
                col.add(i, field, f"{e['msg']} (got {got!r})")
            out.append(None)
    return out


def _dtype_of(annotation) -> str | None:
    """pandas dtype for a record field: float64, int64, nullable Int64, or None (keep object)."""
    args = set(getattr(annotation, "__args__", ()) or ())
    base = annotation if not args else next((a for a in args if a is not type(None)), None)
    optional = type(None) in args
    if base is float:
        return "float64"
    if base is int:
        return "Int64" if optional else "int64"
    return None


def _coerce_dtypes(df: pd.DataFrame, record: type[_Record]) -> pd.DataFrame:
    """Give validated columns their numeric dtypes, so frames compare equal however they were read."""
    for name, info in record.model_fields.items():
        dtype = _dtype_of(info.annotation)
        if dtype and name in df.columns:
            df[name] = pd.to_numeric(df[name]).astype(dtype)
    return df


def _check_unique(values: pd.Series, field: str, col: _Collector) -> None:
    first: dict[str, int] = {}
    for i, v in enumerate(values, start=1):
        if v in first:
            col.add(i, field, f"duplicate id {v!r} (first used in row {first[v]})")
        else:
            first[v] = i


def _csv_points(df: pd.DataFrame, meta: WardMeta, col: _Collector) -> gpd.GeoSeries | None:
    """Points from lat/lon (WGS84) or x/y (csv_crs) columns; issues for non-numeric cells."""
    if {"lat", "lon"} <= set(df.columns):
        xs, ys, crs, names = df["lon"], df["lat"], "EPSG:4326", ("lon", "lat")
    else:
        xs, ys, crs, names = df["x"], df["y"], meta.csv_crs, ("x", "y")
    xv = pd.to_numeric(xs, errors="coerce").to_numpy(float)
    yv = pd.to_numeric(ys, errors="coerce").to_numpy(float)
    for name, raw, v in ((names[0], xs, xv), (names[1], ys, yv)):
        for i in np.flatnonzero(~np.isfinite(v)):
            col.add(int(i) + 1, name, f"not a number (got {raw.iloc[i]!r})")
    if crs == "EPSG:4326":
        for i in np.flatnonzero(np.isfinite(yv) & (np.abs(yv) > 90)):
            col.add(int(i) + 1, "lat", f"latitude must be within -90..90 (got {yv[i]}); are lat and lon swapped?")
        for i in np.flatnonzero(np.isfinite(xv) & (np.abs(xv) > 180)):
            col.add(int(i) + 1, "lon", f"longitude must be within -180..180 (got {xv[i]})")
    return gpd.GeoSeries(points(xv, yv), crs=crs)


def _check_inside(geom: gpd.GeoSeries, boundary: gpd.GeoDataFrame, kind: str, col: _Collector, field: str) -> None:
    """Every point must lie inside the ward (with a tolerance); suggest a lat/lon swap where it fits."""
    metric = boundary.crs
    shape = boundary.geometry.union_all()
    tol = _TOLERANCE_M[kind]
    g = geom.to_crs(metric)
    valid = ~(g.is_empty | g.isna())
    dist = np.full(len(g), np.nan)
    finite = valid.to_numpy() & np.isfinite(g.x.to_numpy()) & np.isfinite(g.y.to_numpy())
    dist[finite] = g[finite].distance(shape).to_numpy()
    dist[valid.to_numpy() & ~finite] = np.inf
    bad = np.flatnonzero(valid.to_numpy() & (dist > tol))
    if len(bad) == 0:
        return
    swapped = None
    if geom.crs is not None and CRS(geom.crs).is_geographic:
        sub = geom.iloc[bad]
        sw = gpd.GeoSeries(points(sub.y.to_numpy(), sub.x.to_numpy()), crs=geom.crs).to_crs(metric)
        ok = np.isfinite(sw.x.to_numpy()) & np.isfinite(sw.y.to_numpy())
        swapped = np.zeros(len(sw), bool)
        swapped[ok] = sw[ok].distance(shape).to_numpy() <= tol
    for k, i in enumerate(bad):
        far = f"{dist[i] / 1000:.1f} km" if np.isfinite(dist[i]) else "far"
        msg = f"the point lies {far} outside the ward boundary (tolerance {tol:.0f} m)"
        if swapped is not None and swapped[k]:
            msg += "; lat and lon look swapped"
        col.add(int(i) + 1, field, msg)


def _read_meta(folder: Path, issues: list[DataIssue]) -> WardMeta | None:
    path = folder / "ward.yaml"
    col = _Collector(path, issues)
    if not path.is_file():
        col.add(None, None, "missing: every ward folder needs a ward.yaml (name, base_year, crs)")
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        meta = WardMeta.model_validate(data)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        col.add(None, None, f"not valid UTF-8 YAML: {exc}")
        return None
    except ValidationError as exc:
        for e in exc.errors():
            col.add(None, ".".join(str(p) for p in e["loc"]), f"{e['msg']} (got {e.get('input')!r})")
        return None
    for key in ("crs", "csv_crs"):
        try:
            crs = CRS(getattr(meta, key))
        except CRSError:
            col.add(None, key, f"unknown CRS {getattr(meta, key)!r}; use an EPSG code such as 'EPSG:6677'")
            return None
        if key == "crs" and not crs.is_projected:
            col.add(None, key, f"{meta.crs} is not a metric (projected) CRS; distances need one, e.g. 'EPSG:6677'")
            return None
    return meta


def _read_boundary(folder: Path, meta: WardMeta, issues: list[DataIssue]) -> gpd.GeoDataFrame | None:
    path = next((folder / f"boundary{s}" for s in _SPATIAL_SUFFIXES if (folder / f"boundary{s}").is_file()), None)
    if path is None:
        issues.append(DataIssue(str(folder / "boundary.geojson"), None, None, "missing: the ward boundary polygon"))
        return None
    col = _Collector(path, issues)
    gdf = _read_frame(path, col)
    if gdf is None:
        return None
    if not gdf.geom_type.isin(["Polygon", "MultiPolygon"]).all():
        col.add(None, "geometry", f"expected polygons, got {sorted(set(gdf.geom_type))}")
        return None
    out = gdf[["geometry"]].to_crs(meta.crs)
    out.geometry = out.geometry.make_valid()
    return out


def _read_table(
    folder: Path,
    stem: str,
    record: type[_Record],
    meta: WardMeta,
    boundary: gpd.GeoDataFrame | None,
    issues: list[DataIssue],
    spatial: bool,
    required: bool = True,
) -> tuple[pd.DataFrame | None, Path]:
    path = _find_file(folder, stem, spatial)
    if path is None:
        shown = folder / f"{stem}.csv"
        if required:
            issues.append(
                DataIssue(
                    str(shown),
                    None,
                    None,
                    f"missing: no {stem}.csv" + (" / .gpkg / .geojson" if spatial else "") + f" in {folder}",
                )
            )
        return None, shown
    col = _Collector(path, issues)
    df = _read_frame(path, col)
    if df is None or not _check_columns(df, record, col, spatial):
        return None, path
    rows = _validate_rows(df, record, col)
    if record.id_column:
        _check_unique(df[record.id_column].astype(str).str.strip(), record.id_column, col)
    geom = None
    if spatial:
        if isinstance(df, gpd.GeoDataFrame):
            geom = df.geometry
            for i in np.flatnonzero((geom.geom_type != "Point").to_numpy()):
                col.add(int(i) + 1, "geometry", f"expected a point, got {geom.iloc[i].geom_type}")
        else:
            geom = _csv_points(df, meta, col)
        if boundary is not None and geom is not None:
            _check_inside(geom, boundary, stem, col, "geometry" if isinstance(df, gpd.GeoDataFrame) else "lat/lon")
    clean = _coerce_dtypes(pd.DataFrame([r for r in rows if r is not None], columns=list(record.model_fields)), record)
    extra = [c for c in df.columns if c.startswith("x_")]
    keep = [i for i, r in enumerate(rows) if r is not None]
    for c in extra:
        clean[c] = df[c].iloc[keep].to_numpy()
    for c in ("imputed", "lines", "operators"):
        if c in clean.columns:
            clean[c] = clean[c].map(lambda v: ";".join(v))
    if spatial and geom is not None:
        clean = gpd.GeoDataFrame(clean, geometry=geom.iloc[keep].to_crs(meta.crs).to_numpy(), crs=meta.crs)
    return clean, path
