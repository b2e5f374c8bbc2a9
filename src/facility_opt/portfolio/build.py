"""Build a :class:`PortfolioProblem` from a ward, the catalogue and the cost/demand/access models.

This is where geometry, the catalogue and the cost model meet the optimiser (once): buildings are
grouped into sites by ``building_id``; their horizon costs come from
:func:`facility_opt.renewal.projection.project_renewal`; demand in the target year from
:func:`facility_opt.demand.zone_demand`; zone–site distances from
:func:`facility_opt.access.distance_pairs` (only pairs within the largest standard) and the
station-front flag from :func:`facility_opt.access.station_access`.  Candidate sites are one per
station inside the ward (駅前への集約).  The sites are made in :mod:`.build_sites`, the school districts
in :mod:`.build_districts`.  The settings are the ``portfolio`` section of a planning
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

from ..access import distance_pairs
from ..catalogue import Catalogue
from ..demand import zone_demand
from ..errors import ModelConfigError
from ..renewal.params import RenewalCostParams
from ..ward import Ward
from .build_districts import district_tables, fit_schools
from .build_sites import site_table, station_candidates, station_front_flags, ward_sites
from .config import PortfolioConfig, ServiceOverride, portfolio_config, validate_portfolio
from .policy import Policy
from .problem import PortfolioProblem

__all__ = ["problem_from_ward", "problem_from_model", "nerima_problem"]

log = logging.getLogger(__name__)


def _first_given(*values: float | None) -> float:
    """The first value that is not None (NaN when none is)."""
    return next((float(v) for v in values if v is not None), np.nan)


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
    sites, fac, events = ward_sites(ward, catalogue, cfg, params, start_year, horizon_years)
    cands = station_candidates(ward, catalogue, cfg, params, sites, start_year)
    allsites = pd.concat([sites, cands], ignore_index=True)
    allsites = gpd.GeoDataFrame(allsites, geometry="geometry", crs=ward.crs)
    allsites["station_front"], allsites["station_front_from"] = station_front_flags(ward, allsites, cfg, start_year)
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
    zone_d, site_d = district_tables(services, allsites, zones, demand, pairs, placements, district_table)

    policy = _policy(cfg, catalogue, sites, cands, start_year, horizon_years)
    placements = fit_schools(placements, zone_d, demand, policy)
    return PortfolioProblem.from_frames(
        sites=site_table(allsites),
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
    cfg = validate_portfolio(config)
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
