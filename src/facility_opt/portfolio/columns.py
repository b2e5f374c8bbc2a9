"""The columns of a portfolio problem's tables (name -> dtype, default or None when required) and how
plain DataFrames are read into them: typed, defaults filled, every missing or unreadable column recorded
as a :class:`~facility_opt.errors.DataIssue`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataIssue

__all__ = [
    "RULES",
    "SITE_COLUMNS",
    "SERVICE_COLUMNS",
    "EVENT_COLUMNS",
    "DEMAND_COLUMNS",
    "PLACEMENT_COLUMNS",
    "PAIR_COLUMNS",
    "ZONE_COLUMNS",
    "ZONE_DISTRICT_COLUMNS",
    "SITE_DISTRICT_COLUMNS",
    "coerce",
]

#: assignment rules of services
RULES = ("allocated", "nearest", "district")

#: columns of the sites table: name -> (dtype, default or None when required)
SITE_COLUMNS: dict[str, tuple[str, object]] = {
    "site_id": ("str", None),
    "name": ("str", ""),
    "kind": ("str", "existing"),  # existing | candidate
    "category": ("str", None),
    "floor_area_m2": ("float", 0.0),  # existing gross floor area (0 for candidates)
    "site_area_m2": ("float", np.nan),  # NaN: no site limit (and no land to sell or buy)
    "max_far": ("float", np.nan),  # maximum floor-area ratio 容積率 (NaN: no limit)
    "owned": ("bool", True),
    "separable": ("bool", True),  # a building on its own plot (not rooms in another building, not a unit in a block)
    # land that can be sold, leased or reused when the site closes: only an owned, separable site with a
    # known site area (from_frames enforces it whatever the column says)
    "sellable": ("bool", True),
    "land_value_yen_per_m2": ("float", 0.0),
    "station_front": ("bool", False),  # near a station open at the start
    "station_front_from": ("int", 0),  # > 0: near a planned station from its opening year (station_front False)
    "available_from": ("int", 0),  # candidates: first year the site may be in use (0: any year)
    "operating_yen_per_m2_year": ("float", 0.0),
    "fixed_yen_per_year": ("float", 0.0),
    "build_yen_per_m2": ("float", 0.0),
    "x": ("float", np.nan),
    "y": ("float", np.nan),
    "imputed_fields": ("str", ""),  # "facility.field;..." imputed inputs of the site's buildings (reports only)
}

#: columns of the services table
SERVICE_COLUMNS: dict[str, tuple[str, object]] = {
    "service_id": ("str", None),
    "name": ("str", ""),
    "coverage_m": ("float", np.nan),  # NaN: no distance standard (any site within max reach)
    "floor_m2_per_unit": ("float", 0.0),
    "max_capacity_per_site": ("float", np.nan),
    "host_categories": ("list", None),
    "co_locatable": ("bool", True),
    "rule": ("str", "allocated"),  # allocated | nearest | district
    "district_of": ("str", ""),  # district services: whose districts they use (default: their own)
    "anchor_keeps": ("bool", False),  # district services: stay at the anchor while it is open
    "unit_size": ("float", np.nan),  # capacity comes in units of this size (e.g. 40-child club groups)
    "max_units_per_site": ("float", np.nan),
    # operating cost per place (or user) per year, staff included (NaN: not modelled, left out of the costs)
    "operating_yen_per_place_year": ("float", np.nan),
}

#: columns of the renewal events table (one row per event of an existing site)
EVENT_COLUMNS: dict[str, tuple[str, object]] = {
    "site_id": ("str", None),
    "kind": ("str", None),  # renovation | rebuild | repair | ...
    "cycle": ("int", 0),
    "due_year": ("int", None),
    "backlog": ("bool", False),
    "spread_years": ("int", 1),
    "cost_yen": ("float", None),
    "floor_area_m2": ("float", 0.0),
}

#: columns of the demand, placements, pairs, zones and district tables
DEMAND_COLUMNS = {
    "zone_id": ("str", None),
    "service_id": ("str", None),
    "year": ("int", 0),
    "population": ("float", None),
    "demand": ("float", 0.0),
}
PLACEMENT_COLUMNS = {
    "site_id": ("str", None),
    "service_id": ("str", None),
    "capacity": ("float", None),
    "floor_area_m2": ("float", np.nan),
    "facility_id": ("str", ""),
    "facility_name": ("str", ""),
    "imputed_fields": ("str", ""),
}
PAIR_COLUMNS = {"zone_id": ("str", None), "site_id": ("str", None), "distance_m": ("float", None)}
ZONE_COLUMNS = {"zone_id": ("str", None), "name": ("str", ""), "x": ("float", np.nan), "y": ("float", np.nan)}
ZONE_DISTRICT_COLUMNS = {"service_id": ("str", None), "zone_id": ("str", None), "district": ("str", None)}
SITE_DISTRICT_COLUMNS = {"service_id": ("str", None), "site_id": ("str", None), "district": ("str", None)}


def coerce(df: pd.DataFrame, spec: dict[str, tuple[str, object]], table: str, issues: list[DataIssue]) -> pd.DataFrame:
    """Keep the spec's columns with their dtypes, fill defaults, record missing/invalid columns."""
    df = pd.DataFrame(df).reset_index(drop=True)
    out = pd.DataFrame(index=df.index)
    for col, (kind, default) in spec.items():
        if col not in df.columns:
            if default is None:
                issues.append(
                    DataIssue(
                        table,
                        None,
                        col,
                        f"required column '{col}' is missing (columns found: {', '.join(map(str, df.columns))})",
                    )
                )
                continue
            out[col] = [[] for _ in range(len(df))] if kind == "list" else default
            continue
        s = df[col]
        try:
            if kind == "str":
                out[col] = s.fillna("").astype(str).str.strip()
            elif kind == "float":
                out[col] = pd.to_numeric(s, errors="raise").astype(float)
            elif kind == "int":
                out[col] = pd.to_numeric(s, errors="raise").astype(np.int64)
            elif kind == "bool":
                out[col] = s.map(_to_bool).astype(bool)
            elif kind == "list":
                out[col] = s.map(_to_list)
        except (ValueError, TypeError) as exc:
            issues.append(DataIssue(table, None, col, f"cannot read column '{col}' as {kind}: {exc}"))
    return out


def _to_bool(v) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("1", "true", "yes", "y", "t")
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return False
    return bool(v)


def _to_list(v) -> list[str]:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return []
    if isinstance(v, str):
        return sorted({p.strip() for p in v.split(";") if p.strip()})
    return sorted({str(p) for p in v})
