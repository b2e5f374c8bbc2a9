"""Land values at arbitrary points from surveyed land prices (地価調査 / 地価公示 points).

The embedded Nerima ward ships 49 prefectural land-price survey points (``ward.land_prices``;
出典：国土数値情報（都道府県地価調査データ）（国土交通省）を加工して作成; survey year 2022 inferred).
:func:`land_value_at` turns them into a yen/m² value for each site, e.g. to value the land a closed
facility frees: ``site_area_m2 × land_value_at(...)``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from .errors import DataIssue, DataValidationError

__all__ = ["land_value_at"]

_METHODS = ("nearest", "idw")


def land_value_at(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    land_prices: gpd.GeoDataFrame,
    method: str = "nearest",
    k: int = 4,
    power: float = 2.0,
    price_column: str = "price_yen_per_m2",
) -> pd.Series:
    """Land price (yen/m²) at each point, from the surveyed prices in ``land_prices``.

    Methods (straight-line distances in the points' CRS, which must be metric and equal to the
    prices' CRS):

    * ``"nearest"``: the price of the nearest survey point (``k`` is ignored). A standard site is
      chosen to represent its neighbourhood, so this is the surveyors' own reading of the area.
    * ``"idw"``: inverse-distance weighting of the ``k`` nearest survey points,
      ``Σ p_i / d_i^power / Σ 1 / d_i^power`` (a point on a survey site gets that site's price).
      Smoother, but mixes residential and commercial sites (the survey's land-use class is not in
      the Nerima extract).

    Returns a float Series aligned with ``points`` (same index), named ``land_value_yen_per_m2``.
    Raises :class:`DataValidationError` on an unknown method, an empty price table, a CRS mismatch
    or a geographic CRS.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> prices = gpd.GeoDataFrame({"price_yen_per_m2": [300_000.0, 500_000.0]},
    ...                           geometry=[Point(0, 0), Point(1000, 0)], crs="EPSG:6677")
    >>> sites = gpd.GeoSeries([Point(100, 0), Point(500, 0)], crs="EPSG:6677")
    >>> land_value_at(sites, prices).tolist()
    [300000.0, 300000.0]
    >>> land_value_at(sites, prices, method="idw", k=2).round(0).tolist()
    [302439.0, 400000.0]
    """
    issues = []
    if method not in _METHODS:
        issues.append(DataIssue("land_prices", None, None, f"unknown method {method!r}; use one of {list(_METHODS)}"))
    if land_prices is None or len(land_prices) == 0:
        issues.append(DataIssue("land_prices", None, None, "no land prices: the ward has no land_prices file"))
    if issues:
        raise DataValidationError(issues)
    geom = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    if geom.crs is None or land_prices.crs is None or geom.crs != land_prices.crs or geom.crs.is_geographic:
        raise DataValidationError(
            [
                DataIssue(
                    "land_prices",
                    None,
                    "geometry",
                    f"points ({geom.crs}) and prices ({land_prices.crs}) must share one metric CRS; use to_crs()",
                )
            ]
        )
    rep = geom.representative_point()
    pxy = np.column_stack([rep.x.to_numpy(), rep.y.to_numpy()])
    lxy = np.column_stack([land_prices.geometry.x.to_numpy(), land_prices.geometry.y.to_numpy()])
    price = pd.to_numeric(land_prices[price_column]).to_numpy(dtype=float)
    d = np.sqrt(((pxy[:, None, :] - lxy[None, :, :]) ** 2).sum(axis=2))
    if method == "nearest":
        value = price[d.argmin(axis=1)]
    else:
        kk = max(1, min(int(k), len(price)))
        idx = np.argsort(d, axis=1, kind="stable")[:, :kk]
        dk = np.take_along_axis(d, idx, axis=1)
        on_site = dk[:, 0] < 1e-9
        w = 1.0 / np.maximum(dk, 1e-9) ** power
        value = (w * price[idx]).sum(axis=1) / w.sum(axis=1)
        value[on_site] = price[idx[on_site, 0]]
    return pd.Series(value, index=geom.index, name="land_value_yen_per_m2")
