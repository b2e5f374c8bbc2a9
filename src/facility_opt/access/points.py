"""The inputs of distance computations: points (ids and coordinates) of a GeoDataFrame in a metric CRS."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from ..crs import require_metric_crs
from ..errors import DataIssue, DataValidationError

_ID_GUESSES = ("zone_id", "facility_id", "site_id", "station_id", "id")


def _points(gdf: gpd.GeoDataFrame, id_column: str | None, what: str) -> tuple[np.ndarray, np.ndarray]:
    """(ids as str, xy array) of a GeoDataFrame; polygons are reduced to a representative point."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise DataValidationError([DataIssue(what, None, "geometry", "must be a GeoDataFrame")])
    require_metric_crs(gdf.crs, what)
    if id_column is None:
        id_column = next((c for c in _ID_GUESSES if c in gdf.columns), None)
    if id_column is not None:
        ids = gdf[id_column].astype(str).to_numpy()
    else:
        ids = gdf.index.astype(str).to_numpy()
    geom = gdf.geometry.to_numpy()
    if geom.size and (shapely.is_empty(geom) | shapely.is_missing(geom)).any():
        bad = np.flatnonzero(shapely.is_empty(geom) | shapely.is_missing(geom))
        raise DataValidationError(
            [DataIssue(what, int(i) + 1, "geometry", "empty or missing geometry") for i in bad[:20]]
        )
    not_pt = shapely.get_type_id(geom) != 0
    if not_pt.any():
        geom = geom.copy()
        geom[not_pt] = shapely.point_on_surface(geom[not_pt])
    xy = shapely.get_coordinates(geom)[:, :2] if geom.size else np.empty((0, 2))
    if len(set(ids)) != len(ids):
        raise DataValidationError([DataIssue(what, None, id_column or "index", "ids are not unique")])
    return ids, xy
