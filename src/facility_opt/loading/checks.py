"""Checks across the rows of a ward's tables and against ``ward.yaml`` (references, years, rooms in their
hosts, age bands, stations), and the age bands imputed from the ward's shares."""

from __future__ import annotations

import pandas as pd

from ..catalogue import Catalogue
from ..errors import DataIssue, DataValidationError
from ..schema import (
    AGE_GROUPS,
    WardMeta,
)
from .files import _Collector

#: age bands may differ from the zone's population by this share (rounding of imputed parts)
AGE_SUM_TOLERANCE = 0.01


def _check_known(col: _Collector, values: pd.Series, known, field: str, message) -> None:
    """One issue per row whose (non-empty) ``field`` value is not in ``known``."""
    for i, v in enumerate(values, start=1):
        if v is not None and v == v and v not in known:
            col.add(i, field, message(v, known))


def _check_references(ward_parts: dict, paths: dict, catalogue: Catalogue, issues: list[DataIssue]) -> None:
    fac, fs = ward_parts.get("facilities"), ward_parts.get("facility_services")
    if fac is not None:
        col = _Collector(paths["facilities"], issues)
        _check_known(
            col,
            fac["category"],
            catalogue.categories,
            "category",
            lambda v, k: f"unknown category {v!r}; expected one of {sorted(k)}",
        )
        _check_known(
            col,
            fac["building_id"],
            set(fac["facility_id"]),
            "building_id",
            lambda v, k: f"building_id {v!r} is not a facility_id of this file",
        )
    if fs is not None:
        col = _Collector(paths["facility_services"], issues)
        _check_known(
            col,
            fs["service_id"],
            catalogue.services,
            "service_id",
            lambda v, k: f"unknown service {v!r}; expected one of {sorted(k)}",
        )
        if fac is not None:
            _check_known(
                col,
                fs["facility_id"],
                set(fac["facility_id"]),
                "facility_id",
                lambda v, k: f"facility {v!r} is not in the facilities file",
            )
        seen: dict[tuple[str, str], int] = {}
        for i, key in enumerate(zip(fs["facility_id"], fs["service_id"]), start=1):
            if key in seen:
                col.add(
                    i,
                    "service_id",
                    f"service {key[1]!r} listed twice for facility {key[0]!r} (first in row {seen[key]})",
                )
            else:
                seen[key] = i


def _check_facility_rows(fac: pd.DataFrame, meta: WardMeta, col: _Collector) -> None:
    """Year built vs base year and status; site area of rooms; rooms fit in their host's floor."""
    for i, r in enumerate(fac.itertuples(index=False), start=1):
        if r.year_built > meta.base_year and r.status != "planned":
            col.add(
                i,
                "year_built",
                f"built in {r.year_built}, after the data's base year {meta.base_year}; "
                "a building not yet built must have status 'planned'",
            )
        if r.premises != "building" and r.site_area_m2 == r.site_area_m2 and r.site_area_m2 is not None:
            col.add(
                i,
                "site_area_m2",
                f"a {r.premises} has no site of its own (the land is its host's); "
                f"leave site_area_m2 blank (got {r.site_area_m2})",
            )
    row_of = {fid: i for i, fid in enumerate(fac["facility_id"], start=1)}
    hosted = fac[
        fac["building_id"].notna() & (fac["building_id"] != fac["facility_id"]) & fac["building_id"].isin(row_of)
    ]
    host = fac.set_index("facility_id")
    for bid, grp in hosted.groupby("building_id", sort=True):
        if host.at[bid, "premises"] == "room":
            continue  # co-tenants of a building that is not in the data
        rooms = float(grp["floor_area_m2"].sum())
        if rooms > float(host.at[bid, "floor_area_m2"]) + 1e-6:
            col.add(
                row_of[bid],
                "floor_area_m2",
                f"the rooms inside this building ({', '.join(grp['facility_id'])}: {rooms:,.2f} m²) exceed its "
                f"floor area {host.at[bid, 'floor_area_m2']:,.2f} m²; a room's floor is part of its host's",
            )


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
            col.add(
                i + 1,
                "population",
                f"the age bands pop_0_5 … pop_75_plus {what} {total.iat[i]:,.2f}, not the "
                f"population {pop.iat[i]:,.0f} (they must agree within {AGE_SUM_TOLERANCE:.0%})",
            )


def _check_station_rows(st: pd.DataFrame, meta: WardMeta, col: _Collector) -> None:
    for i, r in enumerate(st.itertuples(index=False), start=1):
        year = None if pd.isna(r.opening_year) else int(r.opening_year)
        if r.status == "planned" and (year is None or year <= meta.base_year):
            col.add(
                i,
                "opening_year",
                f"a planned station needs an opening_year after the base year {meta.base_year} (got {year})",
            )
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
        raise DataValidationError(
            [
                DataIssue(
                    "ward.yaml",
                    None,
                    "age_shares",
                    "zones lack pop_<group> values and ward.yaml gives no age_shares to impute them",
                )
            ]
        )
    zones = zones.copy()
    for g, c in zip(AGE_GROUPS, cols):
        fill = (zones["population"] * meta.age_shares.get(g, 0.0)).round(2)
        zones[c] = zones[c].fillna(fill)
        tag = missing[c]
        zones.loc[tag, "imputed"] = zones.loc[tag, "imputed"].map(
            lambda s, c=c: ";".join(sorted(set(filter(None, s.split(";"))) | {c}))
        )
    return zones
