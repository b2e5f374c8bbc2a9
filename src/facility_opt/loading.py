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
"""

from __future__ import annotations

import functools
import io
import logging
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

from .catalogue import Catalogue, default_catalogue
from .errors import DataIssue, DataValidationError
from .schema import (
    AGE_GROUPS,
    FacilityRecord,
    FacilityServiceRecord,
    LandPriceRecord,
    StationRecord,
    WardMeta,
    ZoneRecord,
    _Record,
)
from .ward import Ward

__all__ = ["read_ward", "load_nerima", "read_csv_text", "read_text_any_encoding"]

log = logging.getLogger(__name__)

_SPATIAL_SUFFIXES = (".gpkg", ".geojson", ".json")
#: how far outside the boundary a point may lie (m): geocoding noise for zones and facilities;
#: stations just outside the ward still serve its residents.
_TOLERANCE_M = {"zones": 200.0, "facilities": 200.0, "stations": 5000.0, "land_prices": 200.0}
#: age bands may differ from the zone's population by this share (rounding of imputed parts)
AGE_SUM_TOLERANCE = 0.01
_COORD_COLUMNS = {"lat", "lon", "x", "y", "geometry"}


class _Collector:
    """Accumulates issues for one file."""

    def __init__(self, file: Path, sink: list[DataIssue]):
        self.file = str(file)
        self.sink = sink

    def add(self, row: int | None, field: str | None, message: str) -> None:
        self.sink.append(DataIssue(self.file, row, field, message))


def read_csv_text(path: Path) -> tuple[str, str]:
    """Decode a CSV file as UTF-8 (with or without BOM) or Shift-JIS/cp932; return (text, encoding).

    Raises :class:`UnicodeDecodeError` (from the UTF-8 attempt) when neither decodes.
    """
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        try:
            text = raw.decode("cp932")
        except UnicodeDecodeError:
            raise exc from None
        log.info("%s: read as Shift-JIS (cp932)", path.name)
        return text, "cp932"


def read_text_any_encoding(path: Path) -> str:
    """The text of a UTF-8 or Shift-JIS (cp932) file; :class:`DataValidationError` naming the file
    and the offending byte otherwise."""
    try:
        return read_csv_text(path)[0]
    except UnicodeDecodeError as exc:
        raise DataValidationError([DataIssue(str(path), None, None, f"cannot decode the file as UTF-8 or "
                                             f"Shift-JIS (cp932) (bad byte at offset {exc.start}); save it as UTF-8")]) from None


def _find_file(folder: Path, stem: str, spatial: bool) -> Path | None:
    suffixes = (".csv", *_SPATIAL_SUFFIXES) if spatial else (".csv",)
    found = [folder / f"{stem}{s}" for s in suffixes if (folder / f"{stem}{s}").is_file()]
    return found[0] if found else None


def _read_frame(path: Path, col: _Collector) -> pd.DataFrame | gpd.GeoDataFrame | None:
    """Read one table file into strings (CSV) or a GeoDataFrame; None when unreadable or empty."""
    if path.stat().st_size == 0:
        col.add(None, None, "the file is empty (expected a header row and data rows)")
        return None
    if path.suffix.lower() == ".csv":
        try:
            text, _ = read_csv_text(path)
        except UnicodeDecodeError as exc:
            col.add(None, None, f"cannot decode the file as UTF-8 or Shift-JIS (cp932) (bad byte at offset "
                    f"{exc.start}); save it as UTF-8")
            return None
        try:
            df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            col.add(None, None, f"not a readable CSV file: {exc}")
            return None
        df.columns = [str(c).strip() for c in df.columns]
        if df.empty:
            col.add(None, None, "the file has a header but no data rows")
            return None
        return df
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        col.add(None, None, f"cannot read the file as GeoPackage/GeoJSON: {exc}")
        return None
    if gdf.empty:
        col.add(None, None, "the file has no features")
        return None
    if gdf.crs is None:
        col.add(None, "geometry", "the file declares no CRS; set one (e.g. gdf.set_crs('EPSG:4326')) and save again")
        return None
    return gdf


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
            col.add(None, c, f"unknown column '{c}'; expected some of {sorted(fields)}; "
                    "rename it to 'x_" + c + "' to keep it as user data")
            ok = False
    if spatial and not isinstance(df, gpd.GeoDataFrame):
        if not ({"lat", "lon"} <= set(cols) or {"x", "y"} <= set(cols)):
            col.add(None, "lat/lon", "no coordinates: give 'lat' and 'lon' columns (WGS84) or 'x' and 'y' "
                    "(in ward.yaml's csv_crs)")
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


def _check_inside(geom: gpd.GeoSeries, boundary: gpd.GeoDataFrame, kind: str, col: _Collector,
                  field: str) -> None:
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


def _read_table(folder: Path, stem: str, record: type[_Record], meta: WardMeta, boundary: gpd.GeoDataFrame | None,
                issues: list[DataIssue], spatial: bool, required: bool = True) -> tuple[pd.DataFrame | None, Path]:
    path = _find_file(folder, stem, spatial)
    if path is None:
        shown = folder / f"{stem}.csv"
        if required:
            issues.append(DataIssue(str(shown), None, None, f"missing: no {stem}.csv"
                                    + (" / .gpkg / .geojson" if spatial else "") + f" in {folder}"))
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


def _check_known(col: _Collector, values: pd.Series, known, field: str, message) -> None:
    """One issue per row whose (non-empty) ``field`` value is not in ``known``."""
    for i, v in enumerate(values, start=1):
        if v is not None and v == v and v not in known:
            col.add(i, field, message(v, known))


def _check_references(ward_parts: dict, paths: dict, catalogue: Catalogue, issues: list[DataIssue]) -> None:
    fac, fs = ward_parts.get("facilities"), ward_parts.get("facility_services")
    if fac is not None:
        col = _Collector(paths["facilities"], issues)
        _check_known(col, fac["category"], catalogue.categories, "category",
                     lambda v, k: f"unknown category {v!r}; expected one of {sorted(k)}")
        _check_known(col, fac["building_id"], set(fac["facility_id"]), "building_id",
                     lambda v, k: f"building_id {v!r} is not a facility_id of this file")
    if fs is not None:
        col = _Collector(paths["facility_services"], issues)
        _check_known(col, fs["service_id"], catalogue.services, "service_id",
                     lambda v, k: f"unknown service {v!r}; expected one of {sorted(k)}")
        if fac is not None:
            _check_known(col, fs["facility_id"], set(fac["facility_id"]), "facility_id",
                         lambda v, k: f"facility {v!r} is not in the facilities file")
        seen: dict[tuple[str, str], int] = {}
        for i, key in enumerate(zip(fs["facility_id"], fs["service_id"]), start=1):
            if key in seen:
                col.add(i, "service_id", f"service {key[1]!r} listed twice for facility {key[0]!r} "
                        f"(first in row {seen[key]})")
            else:
                seen[key] = i


def _check_facility_rows(fac: pd.DataFrame, meta: WardMeta, col: _Collector) -> None:
    """Year built vs base year and status; site area of rooms; rooms fit in their host's floor."""
    for i, r in enumerate(fac.itertuples(index=False), start=1):
        if r.year_built > meta.base_year and r.status != "planned":
            col.add(i, "year_built", f"built in {r.year_built}, after the data's base year {meta.base_year}; "
                    "a building not yet built must have status 'planned'")
        if r.premises != "building" and r.site_area_m2 == r.site_area_m2 and r.site_area_m2 is not None:
            col.add(i, "site_area_m2", f"a {r.premises} has no site of its own (the land is its host's); "
                    f"leave site_area_m2 blank (got {r.site_area_m2})")
    row_of = {fid: i for i, fid in enumerate(fac["facility_id"], start=1)}
    hosted = fac[fac["building_id"].notna() & (fac["building_id"] != fac["facility_id"])
                 & fac["building_id"].isin(row_of)]
    host = fac.set_index("facility_id")
    for bid, grp in hosted.groupby("building_id", sort=True):
        if host.at[bid, "premises"] == "room":
            continue  # co-tenants of a building that is not in the data
        rooms = float(grp["floor_area_m2"].sum())
        if rooms > float(host.at[bid, "floor_area_m2"]) + 1e-6:
            col.add(row_of[bid], "floor_area_m2",
                    f"the rooms inside this building ({', '.join(grp['facility_id'])}: {rooms:,.2f} m²) exceed its "
                    f"floor area {host.at[bid, 'floor_area_m2']:,.2f} m²; a room's floor is part of its host's")


def _check_zone_ages(zones: pd.DataFrame, col: _Collector) -> None:
    """Age bands given in the file must sum to the population within 1 % (partial bands: not exceed it)."""
    cols = [f"pop_{g}" for g in AGE_GROUPS]
    given = zones[cols].notna()
    total = zones[cols].sum(axis=1, skipna=True)
    pop = zones["population"].astype(float)
    for i in range(len(zones)):
        if not given.iloc[i].any():
            continue
        allowed = AGE_SUM_TOLERANCE * max(pop.iat[i], 1.0)
        full = bool(given.iloc[i].all())
        off = abs(total.iat[i] - pop.iat[i]) if full else max(total.iat[i] - pop.iat[i], 0.0)
        if off > allowed:
            what = "sum to" if full else "already sum to (some bands blank)"
            col.add(i + 1, "population", f"the age bands pop_0_5 … pop_75_plus {what} {total.iat[i]:,.2f}, not the "
                    f"population {pop.iat[i]:,.0f} (they must agree within {AGE_SUM_TOLERANCE:.0%})")


def _check_station_rows(st: pd.DataFrame, meta: WardMeta, col: _Collector) -> None:
    for i, r in enumerate(st.itertuples(index=False), start=1):
        year = None if pd.isna(r.opening_year) else int(r.opening_year)
        if r.status == "planned" and (year is None or year <= meta.base_year):
            col.add(i, "opening_year", f"a planned station needs an opening_year after the base year {meta.base_year} "
                    f"(got {year})")
        elif r.status == "open" and year is not None and year > meta.base_year:
            col.add(i, "opening_year", f"opens in {year}, after the base year {meta.base_year}: set status 'planned'")


def _check_rows(parts: dict, paths: dict, meta: WardMeta, issues: list[DataIssue]) -> None:
    """Checks across the rows of a table and against ward.yaml (each names file, row and field)."""
    if parts.get("facilities") is not None:
        _check_facility_rows(parts["facilities"], meta, _Collector(paths["facilities"], issues))
    if parts.get("zones") is not None:
        _check_zone_ages(parts["zones"], _Collector(paths["zones"], issues))
    if parts.get("stations") is not None:
        _check_station_rows(parts["stations"], meta, _Collector(paths["stations"], issues))


def _impute_age(zones: pd.DataFrame, meta: WardMeta) -> pd.DataFrame:
    """Fill missing ``pop_<group>`` from the ward-level age shares, marking them imputed."""
    cols = [f"pop_{g}" for g in AGE_GROUPS]
    missing = zones[cols].isna()
    if not missing.to_numpy().any():
        return zones
    if meta.age_shares is None:
        raise DataValidationError([DataIssue("ward.yaml", None, "age_shares",
                                             "zones lack pop_<group> values and ward.yaml gives no age_shares to impute them")])
    zones = zones.copy()
    for g, c in zip(AGE_GROUPS, cols):
        fill = (zones["population"] * meta.age_shares.get(g, 0.0)).round(2)
        zones[c] = zones[c].fillna(fill)
        tag = missing[c]
        zones.loc[tag, "imputed"] = zones.loc[tag, "imputed"].map(
            lambda s, c=c: ";".join(sorted(set(filter(None, s.split(";"))) | {c})))
    return zones


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
    from .postgis import is_database_url  # other sources are staged and read by this function again

    if is_database_url(folder):
        from .postgis import read_ward_postgis

        return read_ward_postgis(str(folder), catalogue)
    folder = Path(folder)
    if not folder.is_dir():
        raise DataValidationError([DataIssue(str(folder), None, None, "not a folder")])
    if _find_file(folder, "facilities", True) is None and (folder / "facilities.xlsx").is_file():
        from .register import read_ward_with_register

        return read_ward_with_register(folder, catalogue)
    catalogue = catalogue or default_catalogue()
    issues: list[DataIssue] = []
    meta = _read_meta(folder, issues)
    if meta is None:
        raise DataValidationError(issues)
    boundary = _read_boundary(folder, meta, issues)
    parts: dict[str, pd.DataFrame | None] = {}
    paths: dict[str, Path] = {}
    for stem, record, spatial in (("zones", ZoneRecord, True), ("facilities", FacilityRecord, True),
                                  ("facility_services", FacilityServiceRecord, False),
                                  ("stations", StationRecord, True)):
        parts[stem], paths[stem] = _read_table(folder, stem, record, meta, boundary, issues, spatial)
    parts["land_prices"], paths["land_prices"] = _read_table(folder, "land_prices", LandPriceRecord, meta, boundary,
                                                             issues, True, required=False)
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
    from .resources import nerima_dir

    return read_ward(nerima_dir())


def load_nerima() -> Ward:
    """The embedded Nerima ward (202 chome, 271 facilities, stations, land prices), validated; a fresh copy each call."""
    return _nerima_cached().copy()
