"""Type-level stock tables (施設種別, 施設数, 総面積) and age profiles: a ward without a building register.

The same engine projects a ward from a type-level stock table (category, floor area) and an age
profile (:func:`project_stock`): each type is split into one pseudo-building per construction year;
:func:`stock_buildings` makes ``count`` synthetic buildings per type for the scheduler.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..catalogue import Catalogue, default_catalogue
from ..errors import DataIssue, DataValidationError, ModelConfigError
from ..units import OKU_YEN  # noqa: F401  (used by the doctest of project_stock)
from ..yamlio import read_yaml
from .params import RenewalCostParams
from .projection import project_renewal

__all__ = ["read_stock_table", "load_age_profile", "stock_buildings", "project_stock"]

log = logging.getLogger(__name__)


def read_stock_table(path: str | Path, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """Read a ward's type-level stock table (施設種別, 施設数, 総面積) and map types to categories.

    The CSV has columns ``facility_type, count, total_floor_area_m2``; a total row (合計/計/total) is
    dropped after checking it against the sum (a difference above 0.1 % is an error). Types are mapped
    to catalogue categories through ``Category.stock_type``.

    Returns
    -------
    DataFrame
        ``stock_type, category, count, floor_area_m2``.
    """
    catalogue = catalogue or default_catalogue()
    path = Path(path)
    df = pd.read_csv(path)
    need = {"facility_type", "count", "total_floor_area_m2"}
    if not need <= set(df.columns):
        raise DataValidationError(
            [DataIssue(str(path), None, c, "required column is missing") for c in sorted(need - set(df.columns))]
        )
    is_total = df["facility_type"].astype(str).str.strip().isin(["合計", "計", "total", "Total"])
    body = df[~is_total]
    if is_total.any():
        stated = float(df.loc[is_total, "total_floor_area_m2"].iloc[0])
        summed = float(body["total_floor_area_m2"].sum())
        if abs(stated - summed) > 1e-3 * stated:
            raise DataValidationError(
                [
                    DataIssue(
                        str(path),
                        None,
                        "total_floor_area_m2",
                        f"rows sum to {summed:,.0f} m² but the total row says {stated:,.0f}",
                    )
                ]
            )
        if stated != summed:
            log.info("%s: rows sum to %.0f m², total row %.0f m² (rounding in the source)", path.name, summed, stated)
    by_type = {c.stock_type: cid for cid, c in catalogue.categories.items() if c.stock_type}
    issues = [
        DataIssue(
            str(path),
            int(i) + 1,
            "facility_type",
            f"type {t!r} has no catalogue category (set stock_type in the catalogue)",
        )
        for i, t in zip(body.index, body["facility_type"])
        if t not in by_type
    ]
    if issues:
        raise DataValidationError(issues)
    return pd.DataFrame(
        {
            "stock_type": body["facility_type"].astype(str).to_numpy(),
            "category": [by_type[t] for t in body["facility_type"]],
            "count": body["count"].to_numpy(dtype=np.int64),
            "floor_area_m2": body["total_floor_area_m2"].to_numpy(dtype=float),
        }
    )


def _bands_frame(bands: list, where: str) -> pd.DataFrame:
    df = pd.DataFrame(bands)
    if df.empty or not {"from", "to", "share"} <= set(df.columns):
        raise ModelConfigError(f"{where}: each band needs from, to, share")
    df = df.rename(columns={"from": "from_year", "to": "to_year"})
    if (df["to_year"] < df["from_year"]).any():
        raise ModelConfigError(f"{where}: a band ends before it starts")
    s = float(df["share"].sum())
    if abs(s - 1.0) > 1e-6:
        raise ModelConfigError(f"{where}: shares sum to {s:.6f}, not 1")
    return df[["from_year", "to_year", "share"]]


def load_age_profile(path: str | Path) -> pd.DataFrame:
    """Read an age-profile YAML (``default`` bands and optional ``by_category`` bands).

    Returns
    -------
    DataFrame
        ``category`` (``"*"`` for the default), ``from_year``, ``to_year`` (inclusive), ``share``
        (share of floor area; sums to 1 per category).
    """
    path = Path(path)
    data = read_yaml(path, "age profile")
    if not isinstance(data, Mapping) or "default" not in data:
        raise ModelConfigError(f"{path}: an age profile needs a 'default' list of bands")
    frames = [_bands_frame(data["default"], f"{path}: default").assign(category="*")]
    for cat, bands in (data.get("by_category") or {}).items():
        frames.append(_bands_frame(bands, f"{path}: by_category.{cat}").assign(category=str(cat)))
    return pd.concat(frames, ignore_index=True)[["category", "from_year", "to_year", "share"]]


def _expand_stock(stock: pd.DataFrame, age_profile: pd.DataFrame) -> pd.DataFrame:
    """One pseudo-building per (stock row, construction year), area spread evenly within each band."""
    prof = age_profile.copy()
    if "category" not in prof.columns:
        prof["category"] = "*"
    for cat, g in prof.groupby("category"):
        s = float(g["share"].sum())
        if abs(s - 1.0) > 1e-6:
            raise ModelConfigError(f"age profile for '{cat}': shares sum to {s:.6f}, not 1")
    rows = []
    for b in prof.itertuples(index=False):
        years = np.arange(int(b.from_year), int(b.to_year) + 1)
        rows.append(pd.DataFrame({"category": b.category, "year_built": years, "w": b.share / years.size}))
    per_year = pd.concat(rows, ignore_index=True)
    if "*" not in set(per_year["category"]):
        lacking = sorted(set(stock["category"]) - set(per_year["category"]))
        if lacking:
            raise ModelConfigError(f"age profile has no default ('*') and no bands for categories {lacking}")
    stock = stock.reset_index(drop=True).assign(_row=lambda d: np.arange(len(d)))
    own = stock.merge(per_year, on="category", how="inner")
    rest = stock[~stock["category"].isin(set(per_year["category"]) - {"*"})]
    dflt = (
        rest.drop(columns="category")
        .merge(per_year[per_year["category"] == "*"].drop(columns="category"), how="cross")
        .merge(rest[["_row", "category"]], on="_row")
    )
    pseudo = pd.concat([own, dflt], ignore_index=True)
    pseudo["floor_area_m2"] = pseudo["floor_area_m2"] * pseudo["w"]
    key = pseudo["stock_type"] if "stock_type" in pseudo.columns else pseudo["category"]
    pseudo["stock_key"] = key.astype(str)
    pseudo["facility_id"] = pseudo["_row"].map("{:04d}".format) + "|" + pseudo["year_built"].astype(str)
    return pseudo[pseudo["floor_area_m2"] > 0].sort_values("facility_id").reset_index(drop=True)


def stock_buildings(stock: pd.DataFrame, age_profile: pd.DataFrame) -> pd.DataFrame:
    """Synthetic buildings for a type-level stock table: ``count`` buildings per type, equal floor area.

    A stock table gives, per type, a number of facilities and their total floor area but no
    construction years. To schedule renewals building by building, each type's ``count`` facilities
    become ``count`` synthetic buildings of equal area (total area kept exactly), whose construction
    years are the mid-quantiles of the type's age profile (building *i* of *n* gets the year where the
    cumulative floor-area share reaches ``(i + 0.5) / n``). Identical buildings (same type, year,
    area) are common, which the scheduler can group into cohorts.

    Parameters
    ----------
    stock : DataFrame
        ``category, count, floor_area_m2`` and optionally ``stock_type`` (see :func:`read_stock_table`).
    age_profile : DataFrame
        As :func:`project_stock` (see :func:`load_age_profile`).

    Returns
    -------
    DataFrame
        ``facility_id`` (``<row>|<n>``, e.g. ``0006|012``), ``building_id`` (the same), ``stock_type``,
        ``category``, ``floor_area_m2``, ``year_built``; sorted by id.

    Examples
    --------
    >>> import pandas as pd
    >>> stock = pd.DataFrame({"category": ["primary_school"], "count": [4], "floor_area_m2": [8000.0]})
    >>> prof = pd.DataFrame({"from_year": [1960, 1970], "to_year": [1969, 1979], "share": [0.5, 0.5]})
    >>> stock_buildings(stock, prof)["year_built"].tolist()
    [1962, 1967, 1972, 1977]
    """
    if "count" not in stock.columns:
        raise DataValidationError([DataIssue("stock", None, "count", "required column is missing")])
    per_year = _expand_stock(stock.drop(columns="count").assign(floor_area_m2=1.0), age_profile)
    frames = []
    stock = stock.reset_index(drop=True)
    for r in range(len(stock)):
        n = int(stock["count"].iat[r])
        if n <= 0:
            continue
        py = per_year[per_year["_row"] == r].sort_values("year_built")
        cum = np.cumsum(py["floor_area_m2"].to_numpy()) / float(py["floor_area_m2"].sum())
        q = (np.arange(n) + 0.5) / n
        pos = np.minimum(np.searchsorted(cum, q - 1e-12, side="left"), len(cum) - 1)
        years = py["year_built"].to_numpy()[pos]
        ids = [f"{r:04d}|{i:03d}" for i in range(n)]
        label = str(stock["stock_type"].iat[r]) if "stock_type" in stock.columns else str(stock["category"].iat[r])
        frames.append(
            pd.DataFrame(
                {
                    "facility_id": ids,
                    "building_id": ids,
                    "stock_type": label,
                    "category": stock["category"].iat[r],
                    "floor_area_m2": float(stock["floor_area_m2"].iat[r]) / n,
                    "year_built": years.astype(np.int64),
                }
            )
        )
    return pd.concat(frames, ignore_index=True).sort_values("facility_id").reset_index(drop=True)


def project_stock(
    stock: pd.DataFrame,
    age_profile: pd.DataFrame,
    *,
    start_year: int,
    params: RenewalCostParams | None = None,
    catalogue: Catalogue | None = None,
    horizon_years: int | None = None,
) -> pd.DataFrame:
    """Renewal costs of a type-level stock table (category, floor area) given an age profile.

    Each stock row is split into one pseudo-building per construction year of the profile (the floor
    area of a band spread evenly over its years) and run through :func:`project_renewal`; no operation
    cost is charged (stock tables have none).

    Parameters
    ----------
    stock : DataFrame
        ``category, floor_area_m2`` and optionally ``stock_type`` (the row label), ``count``.
    age_profile : DataFrame
        ``from_year, to_year, share`` and optionally ``category`` (``"*"`` = default for categories
        without their own bands); see :func:`load_age_profile`.

    Returns
    -------
    DataFrame
        ``stock_type, category, cost_class, year, kind, cost_yen, cost_pv_yen`` summed over
        construction years, sorted.

    Examples
    --------
    >>> import pandas as pd
    >>> stock = pd.DataFrame({"category": ["primary_school"], "floor_area_m2": [10_000.0]})
    >>> prof = pd.DataFrame({"from_year": [1970], "to_year": [1970], "share": [1.0]})
    >>> c = project_stock(stock, prof, start_year=2016)
    >>> round(float(c["cost_yen"].sum()) / OKU_YEN, 1)  # backlog renovation 17 + rebuild 33 万円/m²
    50.0
    """
    catalogue = catalogue or default_catalogue()
    pseudo = _expand_stock(stock, age_profile)
    costs = project_renewal(
        pseudo,
        start_year=start_year,
        params=params,
        catalogue=catalogue,
        horizon_years=horizon_years,
        include_operation=False,
    )
    key = dict(zip(pseudo["facility_id"], pseudo["stock_key"]))
    costs.insert(0, "stock_type", costs["facility_id"].map(key))
    out = costs.groupby(["stock_type", "category", "cost_class", "year", "kind"], as_index=False, sort=True)[
        ["cost_yen", "cost_pv_yen"]
    ].sum()
    return out
