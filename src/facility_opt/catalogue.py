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

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import ModelConfigError
from .schema import AgeGroup

__all__ = ["CostClass", "Category", "Service", "Catalogue", "load_catalogue", "default_catalogue"]


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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Category(_Strict):
    """A building category (施設類型)."""

    name: str
    name_ja: str
    cost_class: CostClass
    stock_type: str | None = Field(default=None, description="Row of the ward's stock table it belongs to.")


class Service(_Strict):
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
    source: str = Field(default="assumption", description="Where the standard comes from, or 'assumption: ...'.")


class Catalogue(_Strict):
    """Categories and services of one ward, keyed by id."""

    categories: dict[str, Category]
    services: dict[str, Service]

    @model_validator(mode="after")
    def _hosts_exist(self):
        for sid, s in self.services.items():
            unknown = [c for c in s.host_categories if c not in self.categories]
            if unknown:
                raise ValueError(f"service '{sid}': unknown host_categories {unknown}; known: {sorted(self.categories)}")
        return self


def load_catalogue(path: str | Path) -> Catalogue:
    """Read and validate a catalogue YAML file; errors name the file and the key path."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ModelConfigError(f"{path}: cannot read the catalogue: {exc}") from exc
    try:
        return Catalogue.model_validate(data)
    except ValidationError as exc:
        raise ModelConfigError.from_validation(path, exc, "catalogue") from None


def default_catalogue() -> Catalogue:
    """The catalogue shipped in ``models/catalogue.yaml``."""
    from .resources import models_dir

    return load_catalogue(models_dir() / "catalogue.yaml")
