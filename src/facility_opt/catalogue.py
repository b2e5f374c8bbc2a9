"""The service catalogue: building categories and the services they host.

A :class:`Catalogue` says, for a ward, which building categories exist (each mapped to a cost class
of the 総務省 renewal-cost method) and which services residents need: who they serve, how far they
may be (the coverage standard), how much demand a resident makes, how much floor area a unit of
capacity needs and which building categories may host them.  It is declarative and lives in
``models/catalogue.yaml``; :func:`load_catalogue` reads and validates it.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from .schema import AgeGroup
from .strict import StrictModel
from .yamlio import load_yaml_model

__all__ = ["CostClass", "Category", "Assignment", "Service", "Catalogue", "load_catalogue", "default_catalogue"]


class CostClass(StrEnum):
    """Facility classes of the 総務省 公共施設等更新費用試算ソフト (they set the unit renewal cost)."""

    civic_culture = "civic_culture"  # 市民文化系施設
    social_education = "social_education"  # 社会教育系施設
    sports_recreation = "sports_recreation"  # スポーツ・レクリエーション系施設
    industry = "industry"  # 産業系施設
    school = "school"  # 学校教育系施設
    child_support = "child_support"  # 子育て支援施設
    health_welfare = "health_welfare"  # 保健・福祉施設
    medical = "medical"  # 医療施設
    administration = "administration"  # 行政系施設
    public_housing = "public_housing"  # 公営住宅
    park = "park"  # 公園
    supply = "supply"  # 供給処理施設
    other = "other"  # その他


class Category(StrictModel):
    """A building category (施設類型)."""

    name: str
    name_ja: str
    cost_class: CostClass
    stock_type: str | None = Field(default=None, description="Row of the ward's stock table it belongs to.")


class Assignment(StrictModel):
    """How residents are assigned to a service's sites (see :mod:`facility_opt.portfolio.problem`).

    ``allocated``: the ward allocates places within the distance standard (nurseries);
    ``nearest``: residents use the nearest open provider (children's halls);
    ``district``: a school-attached service serves its own school's district (schools, after-school
    clubs), ``district_of`` naming the service whose districts it uses; with ``anchor_keeps`` it stays
    in its own school while the school is open.
    """

    rule: Literal["allocated", "nearest", "district"] = "allocated"
    district_of: str | None = Field(default=None, description="District services: whose districts they use.")
    anchor_keeps: bool = Field(default=False, description="District services: stay at the district's school.")
    unit_size: float | None = Field(default=None, gt=0, description="Capacity comes in units of this size.")
    max_units_per_site: int | None = Field(default=None, gt=0, description="Most units at one site.")
    source: str = Field(default="assumption")


class Service(StrictModel):
    """A service residents need, and the standard it must meet."""

    name: str
    name_ja: str
    target_groups: list[AgeGroup] = Field(description="Age groups whose residents use it.")
    coverage_m: float | None = Field(
        default=None, gt=0, description="Coverage standard: maximum distance (m) from a resident; None = ward-wide."
    )
    demand_rate: float = Field(default=0.0, ge=0, description="Capacity units needed per target resident.")
    capacity_unit: str = Field(default="places")
    floor_m2_per_unit: float = Field(default=0.0, ge=0, description="Floor area a unit of capacity needs (m²).")
    host_categories: list[str] = Field(description="Building categories that may host it.")
    co_locatable: bool = Field(default=True, description="May share a building with other services (複合化).")
    required: bool = Field(default=True, description="Every target resident must be covered.")
    assignment: Assignment = Field(default_factory=Assignment, description="How residents use its sites.")
    source: str = Field(default="assumption", description="Where the standard comes from, or 'assumption: ...'.")
    operating_yen_per_place_year: float | None = Field(
        default=None,
        ge=0,
        description="Operating cost (staff included) per place or user a year; None: not "
        "modelled (the portfolio leaves it out).",
    )
    operating_cost_source: str = Field(
        default="", description="Where the operating cost comes from, or 'assumption: ...'."
    )

    @model_validator(mode="after")
    def _operating_source(self) -> Service:
        if self.operating_yen_per_place_year is not None and not self.operating_cost_source.strip():
            raise ValueError("operating_yen_per_place_year needs operating_cost_source (a source or 'assumption: ...')")
        return self


class Catalogue(StrictModel):
    """Categories and services of one ward, keyed by id."""

    categories: dict[str, Category]
    services: dict[str, Service]

    @model_validator(mode="after")
    def _hosts_exist(self):
        for sid, s in self.services.items():
            unknown = [c for c in s.host_categories if c not in self.categories]
            if unknown:
                raise ValueError(
                    f"service '{sid}': unknown host_categories {unknown}; known: {sorted(self.categories)}"
                )
            src = s.assignment.district_of
            if src is not None and src not in self.services:
                raise ValueError(f"service '{sid}': assignment.district_of names an unknown service {src!r}")
        return self


def load_catalogue(path: str | Path) -> Catalogue:
    """Read and validate a catalogue YAML file; errors name the file and the key path."""
    return load_yaml_model(path, Catalogue, "catalogue")


def default_catalogue() -> Catalogue:
    """The catalogue shipped in ``models/catalogue.yaml``."""
    from .resources import models_dir

    return load_catalogue(models_dir() / "catalogue.yaml")
