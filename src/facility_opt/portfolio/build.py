"""Build a :class:`PortfolioProblem` from a ward, the catalogue and the cost/demand/access models.

This is where geometry, the catalogue and the cost model meet the optimiser (once): buildings are
grouped into sites by ``building_id``; their horizon costs come from
:func:`facility_opt.renewal.projection.project_renewal`; demand in the target year from
:func:`facility_opt.demand.zone_demand`; zone–site distances from
:func:`facility_opt.access.distance_pairs` (only pairs within the largest standard) and the
station-front flag from :func:`facility_opt.access.station_access`.  Candidate sites are one per
station inside the ward (駅前への集約).  The settings are the ``portfolio`` section of a planning
model (:class:`~facility_opt.portfolio.config.PortfolioConfig`; ``models/nerima.yaml`` for Nerima).
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pydantic import ValidationError

from ..access import distance_pairs, station_access
from ..catalogue import Catalogue
from ..demand import zone_demand
from ..errors import ModelConfigError
from ..renewal.params import RenewalCostParams
from ..ward import Ward
from .config import PortfolioConfig, ServiceOverride, portfolio_config
from .policy import Policy
from .problem import PortfolioProblem

__all__ = ["problem_from_ward", "problem_from_model", "nerima_problem"]

log = logging.getLogger(__name__)


def _sites(
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


def _first_given(*values: float | None) -> float:
    """The first value that is not None (NaN when none is)."""
    return next((float(v) for v in values if v is not None), np.nan)


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


def _candidates(
    ward: Ward,
    catalogue: Catalogue,
    cfg: PortfolioConfig,
    params: RenewalCostParams,
    sites: gpd.GeoDataFrame,
    start: int,
) -> gpd.GeoDataFrame:
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


def _station_front(
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


#: imputed districts may load a school up to this multiple of its current capacity (a tight fit makes the
#: district assignment a hard bin-packing problem; imputed capacities are then raised to fit, see _fit_schools)
DISTRICT_SLACK = 1.25


def _districts(
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


def problem_from_ward(
    ward: Ward,
    catalogue: Catalogue,
    config: PortfolioConfig | dict,
    params: RenewalCostParams,
    start_year: int,
    horizon_years: int = 30,
    name: str = "portfolio",
    population: pd.DataFrame | None = None,
    district_table: pd.DataFrame | None = None,
) -> PortfolioProblem:
    """A multi-year portfolio problem for ``ward`` under a planning model's ``portfolio`` section.

    Parameters
    ----------
    ward : the ward (facilities grouped into sites by ``building_id``).
    catalogue : services (coverage, demand rate, floor need, hosts, assignment rule) and categories.
    config : :class:`PortfolioConfig` or its dict.
    params : renewal-cost parameters (the 総務省 method by default).
    start_year, horizon_years : the planning horizon.
    population : projected population (zone_id, year, age_group, population) for demand by year;
        None: ``config.growth`` on today's population.
    district_table : service_id, zone_id, district (a school's site id) for district services;
        None: districts are imputed (:func:`facility_opt.districts.impute_districts`).

    Raises
    ------
    ModelConfigError
        for unknown services, categories or policy fields.
    """
    cfg = _config(config, catalogue)
    end = start_year + horizon_years
    sites, fac, events = _sites(ward, catalogue, cfg, params, start_year, horizon_years)
    cands = _candidates(ward, catalogue, cfg, params, sites, start_year)
    allsites = pd.concat([sites, cands], ignore_index=True)
    allsites = gpd.GeoDataFrame(allsites, geometry="geometry", crs=ward.crs)
    allsites["station_front"], allsites["station_front_from"] = _station_front(ward, allsites, cfg, start_year)
    allsites["x"], allsites["y"] = allsites.geometry.x.round(1), allsites.geometry.y.round(1)

    services = _services(cfg, catalogue)
    years = list(range(start_year, end))
    d = zone_demand(
        ward.zones,
        catalogue,
        services=cfg.services,
        years=years,
        growth=cfg.growth,
        **({"population": population} if population is not None else {}),
    )
    demand = d.rename(columns={"target_population": "population"})[
        ["zone_id", "service_id", "year", "population", "demand"]
    ]

    placements = _placements(ward, cfg, fac)
    reach = [v for v in services["coverage_m"] if math.isfinite(v)]
    max_d = max(reach) if reach else 5000.0
    pairs = distance_pairs(
        ward.zones,
        allsites,
        max_distance=max_d,
        method=cfg.distance_method,
        detour_factor=cfg.detour_factor,
        origin_id="zone_id",
        destination_id="site_id",
    )
    pairs = pairs.rename(columns={"origin_id": "zone_id", "destination_id": "site_id"})
    zones = pd.DataFrame(
        {
            "zone_id": ward.zones["zone_id"],
            "name": ward.zones["name"],
            "x": ward.zones.geometry.x.round(1),
            "y": ward.zones.geometry.y.round(1),
        }
    )
    zone_d, site_d = _districts(services, allsites, zones, demand, pairs, placements, district_table)

    policy = _policy(cfg, catalogue, sites, cands, start_year, horizon_years)
    placements = _fit_schools(placements, zone_d, demand, policy)
    return PortfolioProblem.from_frames(
        sites=_site_table(allsites),
        services=services,
        demand=demand,
        placements=placements,
        pairs=pairs[["zone_id", "site_id", "distance_m"]],
        zones=zones,
        policy=policy,
        name=name,
        events=events,
        zone_districts=zone_d,
        site_districts=site_d,
    )


def _config(config: PortfolioConfig | dict, catalogue: Catalogue) -> PortfolioConfig:
    """The validated ``portfolio`` section; its services, overrides and host categories checked against the
    catalogue."""
    try:
        cfg = config if isinstance(config, PortfolioConfig) else PortfolioConfig.model_validate(config)
    except ValidationError as exc:
        raise ModelConfigError.from_validation("<portfolio>", exc, "portfolio section", prefix="portfolio") from None
    unknown = [s for s in cfg.services if s not in catalogue.services]
    if unknown:
        raise ModelConfigError(f"portfolio.services: unknown services {unknown}; known: {sorted(catalogue.services)}")
    bad_over = [s for s in cfg.service_overrides if s not in cfg.services]
    if bad_over:
        raise ModelConfigError(f"portfolio.service_overrides: {bad_over} are not in portfolio.services")
    bad_hosts = sorted(
        {c for o in cfg.service_overrides.values() for c in (o.host_categories or []) if c not in catalogue.categories}
    )
    if bad_hosts:
        raise ModelConfigError(f"portfolio.service_overrides: unknown host categories {bad_hosts}")
    return cfg


def _services(cfg: PortfolioConfig, catalogue: Catalogue) -> pd.DataFrame:
    """The services table: the catalogue's services with the section's overrides."""
    services = []
    for k in cfg.services:
        s = catalogue.services[k]
        o = cfg.service_overrides.get(k, ServiceOverride())
        a = s.assignment
        services.append(
            {
                "service_id": k,
                "name": s.name,
                "coverage_m": o.coverage_m or (s.coverage_m if s.coverage_m is not None else np.nan),
                "floor_m2_per_unit": _first_given(o.floor_m2_per_unit, s.floor_m2_per_unit),
                "max_capacity_per_site": o.max_capacity_per_site or np.nan,
                "host_categories": list(o.host_categories if o.host_categories is not None else s.host_categories),
                "co_locatable": s.co_locatable,
                "rule": o.rule or a.rule,
                "district_of": a.district_of or "",
                "anchor_keeps": a.anchor_keeps,
                "unit_size": a.unit_size or np.nan,
                "max_units_per_site": a.max_units_per_site or np.nan,
                "operating_yen_per_place_year": _first_given(
                    o.operating_yen_per_place_year, s.operating_yen_per_place_year
                ),
            }
        )
    unrated = [r["service_id"] for r in services if not np.isfinite(r["operating_yen_per_place_year"])]
    if unrated:
        log.info(
            "no operating cost per place for %s: left out of the costs (the same in every plan only if their "
            "places do not change)",
            ", ".join(unrated),
        )
    return pd.DataFrame(services)


def _placements(ward: Ward, cfg: PortfolioConfig, fac: pd.DataFrame) -> pd.DataFrame:
    """Today's placements of the section's services, with their floor and whether the capacity is imputed."""
    fs = ward.facility_services[ward.facility_services["service_id"].isin(cfg.services)]
    fs = fs.merge(
        fac[["facility_id", "name", "site_id", "floor_area_m2"]].rename(
            columns={"name": "facility_name", "floor_area_m2": "facility_floor"}
        ),
        on="facility_id",
    )
    placements = pd.DataFrame(
        {
            "facility_id": fs["facility_id"],
            "facility_name": fs["facility_name"],
            "site_id": fs["site_id"],
            "service_id": fs["service_id"],
            "capacity": fs["capacity"],
            "floor_area_m2": fs["floor_area_m2"].fillna(fs["facility_floor"]),
        }
    )
    imputed = (
        ward.facility_services.set_index(["facility_id", "service_id"])["imputed"].astype(str).str.contains("capacity")
    )
    placements["imputed"] = [
        bool(imputed.get((f, k), True)) for f, k in zip(placements["facility_id"], placements["service_id"])
    ]
    placements["imputed_fields"] = np.where(placements["imputed"], placements["facility_id"] + ".capacity", "")
    return placements


def _policy(
    cfg: PortfolioConfig,
    catalogue: Catalogue,
    sites: pd.DataFrame,
    cands: pd.DataFrame,
    start_year: int,
    horizon_years: int,
) -> Policy:
    """The section's policy with the horizon, the renewal defaults, the category locks and the soft services."""
    pol = dict(cfg.policy)
    pol.setdefault("start_year", start_year)
    pol.setdefault("horizon_years", horizon_years)
    if cfg.earliest_change_year is not None:
        pol.setdefault("earliest_change_year", cfg.earliest_change_year)
    if "renewal" not in pol:
        from ..renewal.schedule.params import default_schedule_params

        pol["renewal"] = default_schedule_params().model_dump()
    locks = set(pol.get("lock_open", [])) | set(sites.loc[sites["category"].isin(cfg.lock_open_categories), "site_id"])
    pol["lock_open"] = sorted(locks)
    no_override = ServiceOverride()
    required = {
        k: cfg.service_overrides.get(k, no_override).is_required(catalogue.services[k].required) for k in cfg.services
    }
    soft = {k: 0.0 for k in cfg.services if not required[k]}
    pol["min_share"] = {**soft, **pol.get("min_share", {})}
    if cfg.candidates.services is not None:
        pol["candidate_services"] = {s: list(cfg.candidates.services) for s in cands["site_id"]}
    try:
        policy = Policy.model_validate(pol)
    except ValidationError as exc:
        raise ModelConfigError.from_validation(
            "<portfolio.policy>", exc, "portfolio policy", prefix="portfolio.policy"
        ) from None
    return policy


def _site_table(allsites: gpd.GeoDataFrame) -> pd.DataFrame:
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


def _fit_schools(placements: pd.DataFrame, zone_d: pd.DataFrame, demand: pd.DataFrame, policy: Policy) -> pd.DataFrame:
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


def problem_from_model(model, ward: Ward | None = None) -> PortfolioProblem:
    """The portfolio problem of a planning model: its ward (or ``ward``), catalogue, costs, demand
    projection and ``portfolio`` section."""
    cfg = portfolio_config(model)
    ward = ward if ward is not None else model.read_ward()
    return problem_from_ward(
        ward,
        model.read_catalogue(),
        cfg,
        model.renewal_params(),
        start_year=model.horizon.start_year,
        horizon_years=model.horizon.years,
        name=model.name,
        population=model.population(ward),
    )


def nerima_problem(model_path: str | Path | None = None) -> PortfolioProblem:
    """The Nerima portfolio problem of ``models/nerima.yaml`` (or another planning model).

    Examples
    --------
    >>> # p = nerima_problem(); p  -> PortfolioProblem('nerima': 202 zones, 214 sites ...)
    """
    from ..planning import load_planning_model
    from ..resources import models_dir

    return problem_from_model(load_planning_model(model_path or models_dir() / "nerima.yaml"))


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
