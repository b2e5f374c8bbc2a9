"""Build a :class:`PortfolioProblem` from a ward, the catalogue and the cost/demand/access models.

This is where geometry, the catalogue and the cost model meet the optimiser (once): buildings are
grouped into sites by ``building_id``; their horizon costs come from
:func:`facility_opt.costs.project_renewal`; demand in the target year from
:func:`facility_opt.demand.zone_demand`; zone–site distances from
:func:`facility_opt.access.distance_pairs` (only pairs within the largest standard) and the
station-front flag from :func:`facility_opt.access.station_access`.  Candidate sites are one per
station inside the ward (駅前への集約).  The settings are the ``portfolio`` section of a planning
model (:class:`PortfolioConfig`; ``models/nerima.yaml`` for Nerima).
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..access import DEFAULT_DETOUR_FACTOR, distance_pairs, station_access
from ..catalogue import Catalogue
from ..costs import RenewalCostParams, project_renewal
from ..demand import zone_demand
from ..errors import ModelConfigError
from ..ward import Ward
from .problem import Policy, PortfolioProblem

__all__ = ["PortfolioConfig", "CandidateConfig", "ServiceOverride", "problem_from_ward", "nerima_problem"]

log = logging.getLogger(__name__)


class ServiceOverride(BaseModel):
    """A planning model's changes to a catalogue service, with where they come from."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    coverage_m: float | None = Field(default=None, gt=0)
    max_capacity_per_site: float | None = Field(default=None, gt=0)
    host_categories: list[str] | None = Field(default=None, description="Replaces the catalogue's hosts.")
    source: str = "assumption"


class CandidateConfig(BaseModel):
    """Candidate new sites: one per station inside the ward."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    stations: bool = True
    category: str = "multi_purpose"
    site_area_m2: float = Field(default=2000.0, gt=0)
    max_far: float = Field(default=4.0, gt=0)
    owned: bool = False
    land_value_factor: float = Field(default=1.5, gt=0, description="Station-front land value / ward land value.")
    services: list[str] | None = Field(default=None, description="Services they may host (None: hosting rules).")


class PortfolioConfig(BaseModel):
    """The ``portfolio`` section of a planning model (every assumption is named here)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    mode: Literal["optimise", "keep_all"] = Field(
        default="optimise", description="'keep_all' is the baseline scenario: keep every building as it is.")
    services: list[str] = Field(description="Catalogue services to plan.")
    service_overrides: dict[str, ServiceOverride] = Field(default_factory=dict)
    target_year: int | None = Field(default=None, description="Demand year (default: last year of the horizon).")
    growth: float | dict[str, float] | None = Field(default=None, description="Population growth for demand.")
    distance_method: str = "euclidean"
    detour_factor: float = Field(default=DEFAULT_DETOUR_FACTOR, ge=1.0)
    station_front_radius_m: float = Field(default=500.0, gt=0)
    land_value_yen_per_m2: float = Field(default=500_000.0, ge=0)
    max_far: float = Field(default=1.5, gt=0, description="Floor-area ratio for existing sites.")
    max_far_by_category: dict[str, float] = Field(default_factory=dict)
    building_operating_yen_per_m2_year: float | None = Field(
        default=None, ge=0, description="Building-related running cost (utilities, cleaning, maintenance) per m².")
    building_share_of_operating_cost: float = Field(
        default=0.3, ge=0, le=1,
        description="Used when no per-m² rate is given: part of a facility's operating cost that follows its building.")
    fixed_yen_per_building_year: float = Field(default=0.0, ge=0)
    earliest_change_year: int | None = None
    lock_open_categories: list[str] = Field(default_factory=list)
    candidates: CandidateConfig = Field(default_factory=CandidateConfig)
    policy: dict = Field(default_factory=dict, description="Policy fields (facility_opt.portfolio.Policy).")
    sources: dict[str, str] = Field(default_factory=dict, description="Where each assumption comes from.")


def _sites(ward: Ward, catalogue: Catalogue, cfg: PortfolioConfig, params: RenewalCostParams,
           start: int, horizon: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """One site per building (facilities sharing ``building_id``), with horizon costs, and the
    renewal cost of keeping each site per year (site_id, year, renewal_yen)."""
    f = ward.facilities.copy()
    f["site_id"] = f["building_id"].where(f["building_id"].notna() & (f["building_id"] != ""), f["facility_id"])
    end = start + horizon
    earliest = cfg.earliest_change_year or start
    cost = project_renewal(pd.DataFrame(f.drop(columns="geometry")), start_year=start, params=params,
                           catalogue=catalogue, horizon_years=horizon, include_operation=False)
    cost = cost.merge(f[["facility_id", "site_id"]], on="facility_id")
    keep = cost.groupby("site_id")["cost_yen"].sum()
    rebuild = cost[cost["kind"].isin(["rebuild", "rebuild_backlog"])]
    # the site's next rebuild: its main building's (the facility whose id is the site id, else the first)
    main = f.sort_values(["site_id", "facility_id"], kind="mergesort")
    main = main.assign(is_main=main["facility_id"] == main["site_id"]).sort_values(
        ["site_id", "is_main"], ascending=[True, False], kind="mergesort").drop_duplicates("site_id")
    main_rebuild = rebuild[rebuild["facility_id"].isin(main["facility_id"])].groupby("site_id")["year"].min()
    g = f.groupby("site_id", sort=True)
    sites = main.set_index("site_id")[["name", "category", "land_tenure", "geometry"]].copy()
    sites["floor_area_m2"] = g["floor_area_m2"].sum()
    sites["site_area_m2"] = g["site_area_m2"].max()
    no_site = sites["site_area_m2"].isna()
    if no_site.any():
        log.info("%d sites have no site area; assumed equal to their floor area (they cannot grow)", no_site.sum())
    sites.loc[no_site, "site_area_m2"] = sites.loc[no_site, "floor_area_m2"]
    sites["max_far"] = sites["category"].map(cfg.max_far_by_category).fillna(cfg.max_far)
    sites["owned"] = sites["land_tenure"].astype(str).eq("owned")
    sites["land_value_yen_per_m2"] = cfg.land_value_yen_per_m2
    if cfg.building_operating_yen_per_m2_year is not None:
        sites["operating_yen_per_m2_year"] = cfg.building_operating_yen_per_m2_year
    else:
        op = (f["operating_cost_yen"].fillna(0.0) * cfg.building_share_of_operating_cost).groupby(f["site_id"]).sum()
        sites["operating_yen_per_m2_year"] = (op / sites["floor_area_m2"]).fillna(0.0)
    sites["fixed_yen_per_year"] = cfg.fixed_yen_per_building_year
    nr = main_rebuild.reindex(sites.index)
    sites["next_rebuild_year"] = nr.astype(float)
    cy = nr.where(nr < end, np.nan).clip(lower=earliest).fillna(earliest).astype(int)
    sites["change_year"] = cy
    sites["renewal_keep_yen"] = keep.reindex(sites.index).fillna(0.0)
    before = cost.merge(cy.rename("cy"), left_on="site_id", right_index=True)
    sites["renewal_before_change_yen"] = (before.loc[before["year"] < before["cy"]].groupby("site_id")["cost_yen"]
                                          .sum().reindex(sites.index).fillna(0.0))
    unit = params.unit_costs_man_yen_per_m2
    cls = sites["category"].map(lambda c: catalogue.categories[c].cost_class)
    sites["build_yen_per_m2"] = cls.map(lambda c: unit[c].rebuild * 1e4)
    sites["kind"] = "existing"
    sites = gpd.GeoDataFrame(sites.reset_index(), geometry="geometry", crs=ward.crs)
    by_year = cost.groupby(["site_id", "year"], sort=True, as_index=False)["cost_yen"].sum()
    return sites, f, by_year.rename(columns={"cost_yen": "renewal_yen"})


def _candidates(ward: Ward, catalogue: Catalogue, cfg: PortfolioConfig, params: RenewalCostParams,
                sites: gpd.GeoDataFrame, start: int) -> gpd.GeoDataFrame:
    c = cfg.candidates
    if not c.stations or ward.stations.empty:
        return sites.iloc[0:0]
    inside = ward.stations[ward.stations.within(ward.boundary.union_all())]
    cls = catalogue.categories[c.category].cost_class
    op_rate = float(sites["operating_yen_per_m2_year"].median())
    out = gpd.GeoDataFrame({
        "site_id": "CAND-" + inside["station_id"].astype(str),
        "name": inside["name"].astype(str) + "駅前 (candidate)",
        "category": c.category, "kind": "candidate", "floor_area_m2": 0.0, "site_area_m2": c.site_area_m2,
        "max_far": c.max_far, "owned": c.owned,
        "land_value_yen_per_m2": cfg.land_value_yen_per_m2 * c.land_value_factor,
        "operating_yen_per_m2_year": op_rate, "fixed_yen_per_year": cfg.fixed_yen_per_building_year,
        "next_rebuild_year": np.nan, "change_year": cfg.earliest_change_year or start,
        "renewal_keep_yen": 0.0, "renewal_before_change_yen": 0.0,
        "build_yen_per_m2": params.unit_costs_man_yen_per_m2[cls].rebuild * 1e4,
    }, geometry=inside.geometry.to_numpy(), crs=ward.crs)
    return out.reset_index(drop=True)


def problem_from_ward(ward: Ward, catalogue: Catalogue, config: PortfolioConfig | dict,
                      params: RenewalCostParams, start_year: int, horizon_years: int = 30,
                      name: str = "portfolio") -> PortfolioProblem:
    """A portfolio problem for ``ward`` under a planning model's ``portfolio`` section.

    Parameters
    ----------
    ward : the ward (facilities grouped into sites by ``building_id``).
    catalogue : services (coverage, demand rate, floor need, hosts) and building categories.
    config : :class:`PortfolioConfig` or its dict.
    params : renewal-cost parameters (the 総務省 method by default).
    start_year, horizon_years : the planning horizon.

    Raises
    ------
    ModelConfigError
        for unknown services, categories or policy fields.
    """
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
    bad_hosts = sorted({c for o in cfg.service_overrides.values() for c in (o.host_categories or [])
                        if c not in catalogue.categories})
    if bad_hosts:
        raise ModelConfigError(f"portfolio.service_overrides: unknown host categories {bad_hosts}")
    end = start_year + horizon_years
    sites, fac, renewal_by_year = _sites(ward, catalogue, cfg, params, start_year, horizon_years)
    cands = _candidates(ward, catalogue, cfg, params, sites, start_year)
    allsites = pd.concat([sites, cands], ignore_index=True)
    allsites = gpd.GeoDataFrame(allsites, geometry="geometry", crs=ward.crs)
    front = station_access(allsites, ward.stations, front_radius=cfg.station_front_radius_m, id_column="site_id")
    allsites["station_front"] = allsites["site_id"].map(front.set_index("id")["station_front"]).fillna(False)
    allsites["x"], allsites["y"] = allsites.geometry.x.round(1), allsites.geometry.y.round(1)

    services = []
    for k in cfg.services:
        s = catalogue.services[k]
        o = cfg.service_overrides.get(k, ServiceOverride())
        services.append({"service_id": k, "name": s.name,
                         "coverage_m": o.coverage_m or (s.coverage_m if s.coverage_m is not None else np.nan),
                         "floor_m2_per_unit": s.floor_m2_per_unit,
                         "max_capacity_per_site": o.max_capacity_per_site or np.nan,
                         "host_categories": list(o.host_categories if o.host_categories is not None
                                                 else s.host_categories),
                         "co_locatable": s.co_locatable})
    services = pd.DataFrame(services)
    year = cfg.target_year or end - 1
    d = zone_demand(ward.zones, catalogue, services=cfg.services, years=[year], growth=cfg.growth)
    demand = d.rename(columns={"target_population": "population"})[["zone_id", "service_id", "population", "demand"]]

    fs = ward.facility_services[ward.facility_services["service_id"].isin(cfg.services)]
    fs = fs.merge(fac[["facility_id", "name", "site_id", "floor_area_m2"]].rename(
        columns={"name": "facility_name", "floor_area_m2": "facility_floor"}), on="facility_id")
    placements = pd.DataFrame({
        "facility_id": fs["facility_id"], "facility_name": fs["facility_name"], "site_id": fs["site_id"],
        "service_id": fs["service_id"], "capacity": fs["capacity"],
        "floor_area_m2": fs["floor_area_m2"].fillna(fs["facility_floor"])})
    reach = [v for v in services["coverage_m"] if math.isfinite(v)]
    max_d = max(reach) if reach else 5000.0
    pairs = distance_pairs(ward.zones, allsites, max_distance=max_d, method=cfg.distance_method,
                           detour_factor=cfg.detour_factor, origin_id="zone_id", destination_id="site_id")
    pairs = pairs.rename(columns={"origin_id": "zone_id", "destination_id": "site_id"})

    pol = dict(cfg.policy)
    pol.setdefault("start_year", start_year)
    pol.setdefault("horizon_years", horizon_years)
    locks = set(pol.get("lock_open", [])) | set(
        sites.loc[sites["category"].isin(cfg.lock_open_categories), "site_id"])
    pol["lock_open"] = sorted(locks)
    soft = {k: 0.0 for k in cfg.services if not catalogue.services[k].required}
    pol["min_share"] = {**soft, **pol.get("min_share", {})}
    if cfg.candidates.services is not None:
        pol["candidate_services"] = {s: list(cfg.candidates.services) for s in cands["site_id"]}
    try:
        policy = Policy.model_validate(pol)
    except ValidationError as exc:
        raise ModelConfigError.from_validation("<portfolio.policy>", exc, "portfolio policy",
                                               prefix="portfolio.policy") from None
    zones = pd.DataFrame({"zone_id": ward.zones["zone_id"], "name": ward.zones["name"],
                          "x": ward.zones.geometry.x.round(1), "y": ward.zones.geometry.y.round(1)})
    cols = ["site_id", "name", "kind", "category", "floor_area_m2", "site_area_m2", "max_far", "owned",
            "land_value_yen_per_m2", "station_front", "change_year", "renewal_keep_yen", "renewal_before_change_yen",
            "operating_yen_per_m2_year", "fixed_yen_per_year", "build_yen_per_m2", "next_rebuild_year", "x", "y"]
    return PortfolioProblem.from_frames(sites=pd.DataFrame(allsites[cols]), services=services, demand=demand,
                                        placements=placements, pairs=pairs[["zone_id", "site_id", "distance_m"]],
                                        zones=zones, policy=policy, name=name, renewal_by_year=renewal_by_year)


def nerima_problem(model_path: str | Path | None = None) -> PortfolioProblem:
    """The Nerima portfolio problem of ``models/nerima.yaml`` (or another planning model).

    Examples
    --------
    >>> # p = nerima_problem(); p  -> PortfolioProblem('nerima-portfolio': 202 zones, ...)
    """
    from ..planning import load_planning_model
    from ..resources import models_dir

    model = load_planning_model(model_path or models_dir() / "nerima.yaml")
    if not model.portfolio:
        raise ModelConfigError(f"{model.source_files[-1]}: the planning model has no 'portfolio' section")
    return problem_from_ward(model.read_ward(), model.read_catalogue(), model.portfolio, model.renewal_params(),
                             start_year=model.horizon.start_year, horizon_years=model.horizon.years, name=model.name)
