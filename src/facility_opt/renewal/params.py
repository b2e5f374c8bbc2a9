"""Parameters of the renewal-cost model: life cycles, unit costs, backlog rules and named presets.

The cycle, unit costs, spreading and backlog rules form a named **preset** (:class:`RenewalPreset`);
``models/renewal_costs.yaml`` holds several (the 総務省 standard ``soumu`` is the default; a Tokyo-ward
長寿命化 cycle ``tokyo_ward``; calibrated variants) and ``preset:`` picks one
(:func:`load_renewal_params`; in code ``params.with_preset(name)`` and ``params.with_changes(...)``).
Every price any consumer uses (events, the portfolio's new floor) comes from
:meth:`RenewalCostParams.unit_cost_yen_per_m2`. :mod:`facility_opt.renewal.calibration` fits a preset
to a ward's published total.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from ..catalogue import CostClass
from ..errors import ModelConfigError
from ..strict import StrictModel
from ..units import MAN_YEN
from ..yamlio import load_yaml_model

__all__ = [
    "UnitCost",
    "Intervention",
    "BacklogRule",
    "RenewalPreset",
    "RenewalCostParams",
    "load_renewal_params",
    "default_renewal_params",
]


class UnitCost(StrictModel):
    """Unit costs of one 総務省 cost class, in 万円 per m² of floor area."""

    renovation: float = Field(ge=0, description="大規模改修 (万円/m²)")
    rebuild: float = Field(ge=0, description="建替え (万円/m²)")


class Intervention(StrictModel):
    """Work done at a given age within a life cycle (before the rebuild that ends it).

    The cost per m² is ``share × unit_costs[class].<basis>``.
    """

    name: str = Field(min_length=1, description="kind in the output (e.g. renovation, repair)")
    age: int = Field(gt=0, description="years after (re)construction")
    spread_years: int = Field(default=1, ge=1, le=20)
    basis: Literal["renovation", "rebuild"] = "renovation"
    share: float = Field(default=1.0, ge=0)
    skip_if_older_than: int | None = Field(
        default=None, ge=0, description="overdue at the start: skipped when older than this, else backlog"
    )

    @field_validator("name")
    @classmethod
    def _reserved(cls, v: str) -> str:
        if v in {"rebuild", "demolition", "operation"} or v.endswith("_backlog"):
            raise ValueError(f"'{v}' is reserved; name interventions e.g. 'renovation' or 'repair'")
        return v


class BacklogRule(StrictModel):
    """How work that fell due before the start year (積み残し) is charged.

    ``spread``: evenly over the first ``years`` years (総務省: 10); ``first_year``: all in the start year;
    ``skip``: not charged (an overdue rebuild still resets the building's age at the start year).
    """

    rule: Literal["spread", "first_year", "skip"] = "spread"
    years: int = Field(default=10, ge=1, le=50)


class RenewalPreset(StrictModel):
    """A named renewal-cost method: the life cycle, the unit costs and how overdue work is charged.

    The life cycle is ``interventions`` at given ages after (re)construction, then the rebuild at
    ``rebuild_age``, after which the cycle restarts. An intervention costs floor area × ``share`` ×
    the unit cost of its ``basis``; the unit costs are the table × ``unit_cost_factor`` (a price level:
    1 for the table as published, e.g. a calibrated Tokyo level above 1). ``demolition_man_yen_per_m2``
    is added to each rebuild and is not scaled by the factor.
    """

    description: str = ""
    source: str = Field(min_length=1, description="where the numbers come from, or 'assumption: ...'")
    base: str | None = Field(default=None, description="the preset whose keys this one inherits")
    unit_costs_man_yen_per_m2: dict[CostClass, UnitCost]
    unit_cost_factor: float = Field(default=1.0, gt=0, le=10, description="multiplier on every unit cost")
    rebuild_age: int = Field(gt=0)
    rebuild_spread_years: int = Field(default=3, ge=1, le=20)
    interventions: list[Intervention] = Field(default_factory=list)
    backlog: BacklogRule = Field(default_factory=BacklogRule)
    demolition_man_yen_per_m2: float = Field(default=0.0, ge=0)

    @model_validator(mode="after")
    def _consistent(self):
        missing = [c.value for c in CostClass if c not in self.unit_costs_man_yen_per_m2]
        if missing:
            raise ValueError(f"unit_costs_man_yen_per_m2 lacks cost classes {missing}")
        for i, iv in enumerate(self.interventions):
            if iv.age >= self.rebuild_age:
                raise ValueError(
                    f"interventions.{i} ('{iv.name}') is at age {iv.age}, not before the rebuild at {self.rebuild_age}"
                )
        return self

    def unit_cost_yen_per_m2(self, cost_class: CostClass | str, basis: Literal["renovation", "rebuild"]) -> float:
        """Yen per m² of a renovation or rebuild of ``cost_class``: the table × ``unit_cost_factor``."""
        return getattr(self.unit_costs_man_yen_per_m2[CostClass(cost_class)], basis) * self.unit_cost_factor * MAN_YEN


#: preset keys a derived preset does not inherit from its base (it must state its own)
_OWN_KEYS = ("description", "source", "base")


def _resolve_bases(presets: Mapping) -> dict:
    """Presets with ``base`` merged under their own keys (recursively; a cycle or unknown base is an error)."""
    from ..planning import deep_merge

    out: dict = {}

    def resolve(name: str, seen: tuple) -> dict:
        if name in out:
            return out[name]
        raw = presets[name]
        if not isinstance(raw, Mapping) or not isinstance(raw.get("base"), str):
            out[name] = raw  # no base (or a malformed one, which pydantic then reports)
            return raw
        base = raw["base"]
        if base not in presets:
            raise ValueError(f"presets.{name}.base: unknown preset '{base}'; known: {sorted(presets)}")
        if base in seen:
            raise ValueError(f"presets.{name}.base: presets derive from each other in a cycle {[*seen, base]}")
        parent = {k: v for k, v in resolve(base, (*seen, name)).items() if k not in _OWN_KEYS}
        out[name] = deep_merge(parent, dict(raw))
        return out[name]

    for name in presets:
        resolve(name, (name,))
    return out


class RenewalCostParams(StrictModel):
    """All parameters of the renewal-cost model (see ``models/renewal_costs.yaml``): named presets,
    the active one (``preset``), and what is common to all (horizon, discounting, operation)."""

    horizon_years: int = Field(default=30, ge=1, le=200)
    preset: str = "soumu"
    presets: dict[str, RenewalPreset]
    discount_rate: float = Field(default=0.0, ge=0, lt=1)
    default_operation_yen_per_m2: float | None = Field(default=None, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _inherit(cls, data):
        if isinstance(data, Mapping) and isinstance(data.get("presets"), Mapping):
            data = {**data, "presets": _resolve_bases(data["presets"])}
        return data

    @model_validator(mode="after")
    def _known(self):
        if self.preset not in self.presets:
            raise ValueError(f"preset '{self.preset}' is not one of presets {sorted(self.presets)}")
        return self

    @property
    def active(self) -> RenewalPreset:
        """The preset in use."""
        return self.presets[self.preset]

    def unit_cost_yen_per_m2(
        self, cost_class: CostClass | str, basis: Literal["renovation", "rebuild"] = "rebuild"
    ) -> float:
        """Yen per m² under the active preset (the one place every consumer takes prices from)."""
        return self.active.unit_cost_yen_per_m2(cost_class, basis)

    def with_preset(self, name: str) -> RenewalCostParams:
        """A copy using another named preset (e.g. ``"tokyo_ward"``)."""
        if name not in self.presets:
            raise ModelConfigError(f"unknown renewal-cost preset '{name}'; known: {sorted(self.presets)}")
        return self.model_copy(update={"preset": name})

    def with_changes(self, **changes) -> RenewalCostParams:
        """A copy whose active preset has ``changes`` (validated), e.g. ``rebuild_age=70``."""
        try:
            new = RenewalPreset.model_validate({**dict(self.active), **changes})
        except ValidationError as exc:
            raise ModelConfigError.from_validation(
                f"preset {self.preset}", exc, "preset change", prefix=f"presets.{self.preset}"
            ) from None
        return self.model_copy(update={"presets": {**self.presets, self.preset: new}})


def load_renewal_params(path: str | Path) -> RenewalCostParams:
    """Read and validate a renewal-cost YAML file; errors name the file and the key path."""
    return load_yaml_model(path, RenewalCostParams, "renewal-cost parameters")


def default_renewal_params() -> RenewalCostParams:
    """The parameters shipped in ``models/renewal_costs.yaml`` (active preset: the 総務省 standard)."""
    from ..resources import models_dir

    return load_renewal_params(models_dir() / "renewal_costs.yaml")
