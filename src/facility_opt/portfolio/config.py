"""The ``portfolio`` section of a planning model (``models/nerima.yaml`` for Nerima): which services to
plan, their overrides, candidate sites, land values, running costs and the policy fields.  Validated
here; turned into a problem by :func:`facility_opt.portfolio.build.problem_from_ward`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..access import DEFAULT_DETOUR_FACTOR

__all__ = ["PortfolioConfig", "CandidateConfig", "ServiceOverride", "portfolio_config", "validate_portfolio"]


class ServiceOverride(BaseModel):
    """A planning model's changes to a catalogue service, with where they come from."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    coverage_m: float | None = Field(default=None, gt=0)
    rule: Literal["allocated", "nearest", "district"] | None = Field(default=None, description="Assignment rule.")
    max_capacity_per_site: float | None = Field(default=None, gt=0)
    host_categories: list[str] | None = Field(default=None, description="Replaces the catalogue's hosts.")
    operating_yen_per_place_year: float | None = Field(
        default=None, ge=0, description="Operating cost per place a year (replaces the catalogue's)."
    )
    floor_m2_per_unit: float | None = Field(
        default=None, ge=0, description="Floor one unit of capacity needs (replaces the catalogue's)."
    )
    required: bool | None = Field(
        default=None,
        description="Every resident must be covered (replaces the catalogue's; false: coverage is optional).",
    )
    source: str = "assumption"

    def is_required(self, catalogue_value: bool) -> bool:
        """The service's ``required`` after this override."""
        return catalogue_value if self.required is None else self.required


class CandidateConfig(BaseModel):
    """Candidate new sites: one per station inside the ward."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    stations: bool = True
    which: Literal["all", "open", "planned"] = Field(
        default="all",
        description="Stations that get a candidate: all, those open today, or the planned ones "
        "(a planned station's candidate is usable from its opening year).",
    )
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
        default="optimise", description="'keep_all' is the baseline scenario: keep every building as it is."
    )
    services: list[str] = Field(description="Catalogue services to plan.")
    service_overrides: dict[str, ServiceOverride] = Field(default_factory=dict)
    target_year: int | None = Field(default=None, description="Demand year (default: last year of the horizon).")
    growth: float | dict[str, float] | None = Field(default=None, description="Population growth for demand.")
    distance_method: str = "euclidean"
    detour_factor: float = Field(default=DEFAULT_DETOUR_FACTOR, ge=1.0)
    station_front_radius_m: float = Field(default=500.0, gt=0)
    land_value_yen_per_m2: float = Field(
        default=500_000.0, ge=0, description="Flat land value; with land_value_method, the fallback."
    )
    land_value_method: Literal["flat", "nearest", "idw"] = Field(
        default="flat",
        description="Land value of each site: flat, or from the ward's surveyed land prices "
        "(facility_opt.land.land_value_at: the nearest survey point, or inverse-distance weighting of 4).",
    )
    max_far: float = Field(default=1.5, gt=0, description="Floor-area ratio for existing sites.")
    max_far_by_category: dict[str, float] = Field(default_factory=dict)
    building_operating_yen_per_m2_year: float | None = Field(
        default=None, ge=0, description="Building-related running cost (utilities, cleaning, maintenance) per m²."
    )
    building_share_of_operating_cost: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="Used when no per-m² rate is given: part of a facility's operating cost that follows its building.",
    )
    fixed_yen_per_building_year: float = Field(default=0.0, ge=0)
    earliest_change_year: int | None = None
    lock_open_categories: list[str] = Field(default_factory=list)
    candidates: CandidateConfig = Field(default_factory=CandidateConfig)
    policy: dict = Field(default_factory=dict, description="Policy fields (facility_opt.portfolio.Policy).")
    sources: dict[str, str] = Field(default_factory=dict, description="Where each assumption comes from.")


def validate_portfolio(section: PortfolioConfig | dict, where: str = "<portfolio>") -> PortfolioConfig:
    """The ``portfolio`` section validated; errors name ``where`` (the model file) and the key path."""
    from ..errors import ModelConfigError

    if isinstance(section, PortfolioConfig):
        return section
    try:
        return PortfolioConfig.model_validate(section)
    except ValidationError as exc:
        raise ModelConfigError.from_validation(where, exc, "portfolio section", prefix="portfolio") from None


def portfolio_config(model) -> PortfolioConfig:
    """A planning model's validated ``portfolio`` section; errors name the model file and the key path."""
    from ..errors import ModelConfigError

    where = model.source_files[-1] if model.source_files else "<model>"
    if not model.portfolio:
        raise ModelConfigError(f"{where}: the planning model has no 'portfolio' section")
    return validate_portfolio(model.portfolio, where)
