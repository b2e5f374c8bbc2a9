"""The sites of a portfolio problem: the ward's buildings as sites, the station candidates and their flags.

Buildings are grouped into sites by ``building_id`` with their renewal events (one life cycle per
building, :func:`facility_opt.renewal.events.renewal_events`); candidate sites are one per station
inside the ward (駅前への集約); land values are flat or from the ward's surveyed land prices; the
station-front flag comes from :func:`facility_opt.access.station_access`.  Used by
:func:`facility_opt.portfolio.build.problem_from_ward`.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from ..access import station_access
from ..catalogue import Catalogue
from ..renewal.params import RenewalCostParams
from ..ward import Ward
from .config import PortfolioConfig

__all__ = ["ward_sites", "station_candidates", "station_front_flags", "site_table", "DECISION_FIELDS"]

log = logging.getLogger(__name__)


def ward_sites(
    ward: Ward, catalogue: Catalogue, cfg: PortfolioConfig, params: RenewalCostParams, start: int, horizon: int
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, pd.DataFrame]:
    """One site per building (facilities sharing ``building_id``) and its renewal events.

    A site's floor is its buildings' floor; rooms (``premises == "room"``) inside a host building of
    the data are part of the host's floor and add nothing.  Its land can be sold or leased only when
    it is owned, separable (not rooms, not a unit in a housing block) and its site area is known.
    Events are :func:`facility_opt.renewal.events.renewal_events` with one life cycle per building, summed
    per site (the scheduler's rule).
    """
    from ..renewal.schedule.buildings import _events_by_building, _one_cycle_per_building

    f = ward.facilities.copy()
    f["site_id"] = f["building_id"].where(f["building_id"].notna() & (f["building_id"] != ""), f["facility_id"])
    premises = f["premises"].astype(str) if "premises" in f.columns else pd.Series("building", index=f.index)
    in_host = premises.eq("room") & f["site_id"].isin(f.loc[premises.ne("room"), "site_id"])
    main = f.sort_values(["site_id", "facility_id"], kind="mergesort")
    main = (
        main.assign(is_main=main["facility_id"] == main["site_id"])
        .sort_values(["site_id", "is_main"], ascending=[True, False], kind="mergesort")
        .drop_duplicates("site_id")
    )
    g = f.groupby("site_id", sort=True)
    sites = main.set_index("site_id")[["name", "category", "land_tenure", "geometry"]].copy()
    sites["floor_area_m2"] = f["floor_area_m2"].where(~in_host, 0.0).groupby(f["site_id"]).sum()
    sites["site_area_m2"] = g["site_area_m2"].max()
    separable = premises.isin(["building", "nan", ""]).groupby(f["site_id"]).all()
    sites["max_far"] = sites["category"].map(cfg.max_far_by_category).fillna(cfg.max_far)
    sites["owned"] = sites["land_tenure"].astype(str).eq("owned")
    sites["separable"] = separable.reindex(sites.index).fillna(False).astype(bool)
    sites["sellable"] = sites["owned"] & sites["separable"] & sites["site_area_m2"].notna()
    no_site = sites["site_area_m2"].isna()
    if no_site.any():
        log.info("%d sites have no site area: they cannot grow and free no land", int(no_site.sum()))
    sites["land_value_yen_per_m2"] = _land_values(ward, sites.geometry, cfg)
    if cfg.building_operating_yen_per_m2_year is not None:
        sites["operating_yen_per_m2_year"] = cfg.building_operating_yen_per_m2_year
    else:
        op = (f["operating_cost_yen"].fillna(0.0) * cfg.building_share_of_operating_cost).groupby(f["site_id"]).sum()
        sites["operating_yen_per_m2_year"] = (op / sites["floor_area_m2"]).replace([np.inf], 0.0).fillna(0.0)
    sites["fixed_yen_per_year"] = cfg.fixed_yen_per_building_year
    # new floor costs what a rebuild of the same cost class costs (the events' price table)
    cls = sites["category"].map(lambda c: catalogue.categories[c].cost_class)
    sites["build_yen_per_m2"] = cls.map(lambda c: params.unit_cost_yen_per_m2(c, "rebuild"))
    sites["kind"] = "existing"
    sites["available_from"] = 0
    sites["imputed_fields"] = (
        _imputed_fields(f).groupby(f["site_id"]).agg(lambda v: ";".join(sorted(x for x in ";".join(v).split(";") if x)))
    )
    sites = gpd.GeoDataFrame(sites.reset_index(), geometry="geometry", crs=ward.crs)
    fac = pd.DataFrame(f.drop(columns="geometry")).assign(building_id=f["site_id"])
    fac = _one_cycle_per_building(fac)
    ev, _ = _events_by_building(
        fac,
        fac.set_index("facility_id")["site_id"],
        start_year=start,
        params=params,
        catalogue=catalogue,
        horizon_years=horizon,
    )
    events = pd.DataFrame(
        {
            "site_id": ev["building_id"],
            "kind": ev["kind"],
            "cycle": ev["cycle"],
            "due_year": ev["due_year"],
            "backlog": ev["backlog"],
            "spread_years": ev["spread_years"],
            "cost_yen": ev["cost_yen"] + ev["demolition_yen"],
            "floor_area_m2": ev["floor_area_m2"],
        }
    )
    return sites, f, events


def _land_values(ward: Ward, points: gpd.GeoSeries, cfg: PortfolioConfig) -> pd.Series:
    """Land value (yen/m²) at each point: flat, or from the ward's surveyed land prices."""
    prices = getattr(ward, "land_prices", None)
    if cfg.land_value_method == "flat" or prices is None or prices.empty:
        if cfg.land_value_method != "flat":
            log.info(
                "land_value_method %s: the ward has no land prices; using the flat %s yen/m²",
                cfg.land_value_method,
                f"{cfg.land_value_yen_per_m2:,.0f}",
            )
        return pd.Series(cfg.land_value_yen_per_m2, index=points.index)
    from ..land import land_value_at

    return land_value_at(points, prices, method=cfg.land_value_method).round(0)


def station_candidates(
    ward: Ward,
    catalogue: Catalogue,
    cfg: PortfolioConfig,
    params: RenewalCostParams,
    sites: gpd.GeoDataFrame,
    start: int,
) -> gpd.GeoDataFrame:
    """One candidate site per station inside the ward (all, open or planned ones, as the section says)."""
    c = cfg.candidates
    if not c.stations or ward.stations.empty:
        return sites.iloc[0:0]
    inside = ward.stations[ward.stations.within(ward.boundary.union_all())]
    if c.which != "all":
        planned = (
            pd.to_numeric(inside.get("opening_year", pd.Series(np.nan, index=inside.index)), errors="coerce")
            > ward.meta.base_year
        )
        inside = inside[planned if c.which == "planned" else ~planned]
    cls = catalogue.categories[c.category].cost_class
    op_rate = float(sites["operating_yen_per_m2_year"].median())
    opens = (
        inside["opening_year"].fillna(0).astype(int)
        if "opening_year" in inside.columns
        else pd.Series(0, index=inside.index)
    )
    out = gpd.GeoDataFrame(
        {
            "site_id": "CAND-" + inside["station_id"].astype(str),
            "name": inside["name"].astype(str) + "駅前 (candidate)",
            "category": c.category,
            "kind": "candidate",
            "floor_area_m2": 0.0,
            "site_area_m2": c.site_area_m2,
            "max_far": c.max_far,
            "owned": c.owned,
            "sellable": False,
            "land_value_yen_per_m2": _land_values(ward, inside.geometry, cfg).to_numpy() * c.land_value_factor,
            "operating_yen_per_m2_year": op_rate,
            "fixed_yen_per_year": cfg.fixed_yen_per_building_year,
            "available_from": opens.to_numpy(),
            "build_yen_per_m2": params.unit_cost_yen_per_m2(cls, "rebuild"),
        },
        geometry=inside.geometry.to_numpy(),
        crs=ward.crs,
    )
    return out.reset_index(drop=True)


def station_front_flags(
    ward: Ward, sites: gpd.GeoDataFrame, cfg: PortfolioConfig, start: int
) -> tuple[pd.Series, pd.Series]:
    """(near a station open in ``start``, first later year a planned station within the radius opens
    (0: none)) per site: a planned station counts only once open (``Ward.stations_open_in``)."""

    def front_in(year: int) -> pd.Series:
        st = ward.stations_open_in(year)
        if st.empty:
            return pd.Series(False, index=sites.index)
        acc = station_access(sites, st, front_radius=cfg.station_front_radius_m, id_column="site_id")
        return sites["site_id"].map(acc.set_index("id")["station_front"]).fillna(False).astype(bool)

    now = front_in(start)
    since = pd.Series(0, index=sites.index, dtype=np.int64)
    opening = pd.to_numeric(ward.stations.get("opening_year", pd.Series(dtype=float)), errors="coerce")
    for y in sorted(int(v) for v in opening.dropna().unique() if v > start):
        new = front_in(y) & ~now & (since == 0)
        since[new] = y
    return now, since


def site_table(allsites: gpd.GeoDataFrame) -> pd.DataFrame:
    """The sites table of the problem (existing sites and candidates)."""
    allsites["separable"] = allsites["separable"].fillna(True).astype(bool)  # candidates: a plot of their own
    cols = [
        "site_id",
        "name",
        "kind",
        "category",
        "floor_area_m2",
        "site_area_m2",
        "max_far",
        "owned",
        "separable",
        "sellable",
        "land_value_yen_per_m2",
        "station_front",
        "station_front_from",
        "available_from",
        "operating_yen_per_m2_year",
        "fixed_yen_per_year",
        "build_yen_per_m2",
        "x",
        "y",
        "imputed_fields",
    ]
    allsites["imputed_fields"] = allsites["imputed_fields"].fillna("")
    return pd.DataFrame(allsites[cols])


#: facility fields the portfolio's decisions rest on (the others, e.g. annual users, do not enter it)
DECISION_FIELDS = ("floor_area_m2", "year_built", "site_area_m2", "land_tenure")


def _imputed_fields(f: pd.DataFrame) -> pd.Series:
    """Per facility, ``"<facility_id>.<field>"`` for each imputed field a decision rests on, joined by ``;``."""
    flags = f["imputed"].fillna("").astype(str) if "imputed" in f.columns else pd.Series("", index=f.index)
    return pd.Series(
        [
            ";".join(f"{fid}.{x}" for x in sorted(set(v.split(";")) & set(DECISION_FIELDS)))
            for fid, v in zip(f["facility_id"], flags)
        ],
        index=f.index,
    )
