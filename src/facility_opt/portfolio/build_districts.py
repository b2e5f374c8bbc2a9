"""School districts of a portfolio problem: given or imputed zone and site districts, and imputed school
capacities raised to fit their district's pupils.  Used by :func:`facility_opt.portfolio.build.problem_from_ward`.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from .policy import Policy

__all__ = ["district_tables", "fit_schools", "DISTRICT_SLACK"]

log = logging.getLogger(__name__)


#: imputed districts may load a school up to this multiple of its current capacity (a tight fit makes the
#: district assignment a hard bin-packing problem; imputed capacities are then raised to fit, see fit_schools)
DISTRICT_SLACK = 1.25


def district_tables(
    services: pd.DataFrame,
    sites: pd.DataFrame,
    zones: pd.DataFrame,
    demand: pd.DataFrame,
    pairs: pd.DataFrame,
    capacity: pd.DataFrame,
    table: pd.DataFrame | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Zone and site districts of every district service that has its own districts.

    From ``table`` (service_id, zone_id, district) when given; otherwise imputed by
    :func:`facility_opt.districts.impute_districts`: each zone's largest-year pupils to a near
    school, at most :data:`DISTRICT_SLACK` times each school's current capacity.
    """
    from ..districts import impute_districts, site_districts

    zd_rows, sd_rows = [], []
    own = services[
        (services["rule"] == "district")
        & (services["district_of"].isin(["", None]) | (services["district_of"] == services["service_id"]))
    ]
    for r in own.itertuples(index=False):
        schools = sorted(sites.loc[sites["category"].isin(r.host_categories) & sites["kind"].eq("existing"), "site_id"])
        given = None if table is None else table[table["service_id"] == r.service_id]
        if given is not None and len(given):
            zd = given[["zone_id", "district"]]
        else:
            load = demand[demand["service_id"] == r.service_id].groupby("zone_id")["demand"].max()
            cap = capacity[capacity["service_id"] == r.service_id].groupby("site_id")["capacity"].sum()
            real = capacity[(capacity["service_id"] == r.service_id) & ~capacity["imputed"]].groupby("site_id").size()
            slack = pd.Series(DISTRICT_SLACK, index=schools).where(~pd.Index(schools).isin(real.index), 1.0)
            zd = impute_districts(load, pairs, schools, max_load=slack * cap.reindex(schools).fillna(0.0))
            log.info(
                "%s: districts imputed for %d zones and %d schools (nearest schools, at most %.0f%% over their "
                "capacity)",
                r.service_id,
                len(zd),
                len(schools),
                100 * (DISTRICT_SLACK - 1),
            )
        zd_rows.append(zd[["zone_id", "district"]].assign(service_id=r.service_id))
        sd_rows.append(site_districts(zd, sites, zones, schools).assign(service_id=r.service_id))
    cols = ["service_id", "zone_id", "district"]
    zd = pd.concat(zd_rows, ignore_index=True)[cols] if zd_rows else pd.DataFrame(columns=cols)
    sd = (
        pd.concat(sd_rows, ignore_index=True)[["service_id", "site_id", "district"]]
        if sd_rows
        else pd.DataFrame(columns=["service_id", "site_id", "district"])
    )
    return zd, sd


def fit_schools(placements: pd.DataFrame, zone_d: pd.DataFrame, demand: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """A school takes its district's pupils: an *imputed* school capacity below the pupils its (imputed)
    district sends in some period is raised to them; real capacities are kept (the plan must then add
    room).  Both the districts and these capacities are imputed data."""
    if zone_d.empty:
        return placements
    per = policy.periods()
    d = demand.merge(zone_d, on=["service_id", "zone_id"])
    d["p"] = np.searchsorted(per["start"].to_numpy(), d["year"].to_numpy(), side="right") - 1
    need = (
        d.groupby(["service_id", "district", "zone_id", "p"])["demand"]
        .max()  # as the model counts a period
        .groupby(level=[0, 1, 3])
        .sum()
        .groupby(level=[0, 1])
        .max()
    )
    pl = placements.copy()
    raised = []
    for i, r in pl.iterrows():
        want = need.get((r["service_id"], r["site_id"]))
        if want is None or not r["imputed"]:
            continue
        if r["capacity"] < np.ceil(want - 1e-6):
            raised.append(f"{r['facility_id']} {r['capacity']:.0f}->{np.ceil(want - 1e-6):.0f}")
            pl.at[i, "capacity"] = float(np.ceil(want - 1e-6))
    if raised:
        log.info(
            "%d imputed school capacities raised to the largest pupils of their district: %s",
            len(raised),
            ", ".join(raised[:8]) + (" ..." if len(raised) > 8 else ""),
        )
    return pl.drop(columns="imputed")
