"""Buildings and their events: facilities sharing a ``building_id`` are renewed together, on one life cycle."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ..events import renewal_events

log = logging.getLogger(__name__)


def _buildings(facilities: pd.DataFrame) -> pd.DataFrame:
    """One row per building: id, category (of the facility named like the building, else the largest)."""
    f = facilities.copy()
    f["facility_id"] = f["facility_id"].astype(str)
    f["building_id"] = f["building_id"].astype(str) if "building_id" in f.columns else f["facility_id"]
    f = f.sort_values(["building_id", "floor_area_m2", "facility_id"], ascending=[True, False, True], kind="mergesort")
    main = f.drop_duplicates("building_id")[["building_id", "facility_id", "category"]].set_index("building_id")
    named = f[f["facility_id"] == f["building_id"]].set_index("building_id")["category"]
    cat = main["category"].copy()
    cat.loc[named.index] = named
    area = f.groupby("building_id")["floor_area_m2"].sum()
    main_year = f.drop_duplicates("building_id").set_index("building_id")["year_built"]
    named_year = f[f["facility_id"] == f["building_id"]].set_index("building_id")["year_built"]
    main_year.loc[named_year.index] = named_year
    return pd.DataFrame(
        {
            "building_id": cat.index,
            "category": cat.to_numpy(),
            "floor_area_m2": area.reindex(cat.index).to_numpy(),
            "year_built": main_year.reindex(cat.index).to_numpy(dtype=np.int64),
        }
    )


def _one_cycle_per_building(facilities: pd.DataFrame) -> pd.DataFrame:
    """Facilities of one building share its life cycle: their year_built is set to the building's
    (that of the facility named like the building, else of the largest); the change is logged."""
    if "building_id" not in facilities.columns:
        return facilities
    bld = _buildings(facilities).set_index("building_id")["year_built"]
    yb = facilities["building_id"].astype(str).map(bld).to_numpy()
    changed = yb != facilities["year_built"].to_numpy()
    if changed.any():
        log.info(
            "schedule: %d facilities take their building's construction year (one life cycle per building): %s",
            int(changed.sum()),
            ", ".join(sorted(facilities.loc[changed, "facility_id"].astype(str))[:10]),
        )
        facilities = facilities.assign(year_built=yb)
    return facilities


def _events_by_building(facilities: pd.DataFrame, fac_building: pd.Series, **kw) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Facility events summed per building; plus each event's cost share by facility category."""
    ev = renewal_events(facilities, **kw)
    if ev.empty:
        empty = pd.DataFrame(
            columns=[
                "building_id",
                "kind",
                "cycle",
                "due_year",
                "backlog",
                "spread_years",
                "cost_yen",
                "demolition_yen",
                "floor_area_m2",
            ]
        )
        return empty, pd.DataFrame(columns=["building_id", "kind", "cycle", "due_year", "category", "cost_yen"])
    ev["building_id"] = fac_building.reindex(ev["facility_id"]).to_numpy()
    key = ["building_id", "kind", "cycle", "due_year", "backlog", "spread_years"]
    agg = ev.groupby(key, as_index=False, sort=True)[["cost_yen", "demolition_yen", "floor_area_m2"]].sum()
    ev["total"] = ev["cost_yen"] + ev["demolition_yen"]
    cats = ev.groupby(["building_id", "kind", "cycle", "due_year", "category"], as_index=False, sort=True)[
        "total"
    ].sum()
    return agg, cats.rename(columns={"total": "cost_yen"})
