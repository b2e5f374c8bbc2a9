"""The ``sweep`` section of a planning model and the variants it generates.

A sweep varies a planning model's uncertain inputs and policy knobs and re-plans each variant::

    sweep:
      n: 40                       # default number of variants (--n overrides)
      seed: 20261130              # default seed (--seed overrides)
      inputs:                     # multiplicative factors on the problem's inputs, sampled per variant
        unit_costs: {dist: triangular, low: 0.9, mode: 1.0, high: 1.3, source: "assumption: ..."}
        land_prices: {dist: uniform, low: 0.8, high: 1.2, source: ...}
        operating_costs: {dist: uniform, low: 0.9, high: 1.1, source: ...}
        budget: {dist: uniform, low: 0.8, high: 1.2, source: ...}
        demand: {dist: normal, mean: 1.0, sd: 0.05, low: 0.85, high: 1.15, source: ...}
      imputed:                    # factors on imputed data, per site category (capacity: per service; "*": any)
        floor_area_m2: {"*": {dist: uniform, low: 0.85, high: 1.15, source: ...}}
        capacity: {nursery: {dist: uniform, low: 0.9, high: 1.1, source: ...}}
      demand_projection:          # population projection variants, drawn with these weights
        options: {model: null, low_births: population_low.yaml}   # null: the model's own projection
        weights: {model: 0.5, low_births: 0.5}
      grid:                       # crossed, not sampled: variant i takes grid point i mod (grid size)
        policy: {sharing_saving: [0.05, 0.1, 0.15]}
        scenarios: {model: null, no_stations: {portfolio: {candidates: {stations: false}}}}
      solver: {gap_rel: 0.01, mip_max_nodes: 50000, time_limit: 900}
      robust_share: 0.8
      nightly: {n: 20}            # the nightly job runs this sweep after the main plan (omit: no sweep);
                                  # also seed, scheduler (a Dask address) or serial: true

Variant ``i`` draws its factors from its own random stream, ``numpy.random.default_rng([seed, i])``,
in the sorted order of the input names, so variant ``i`` is the same whatever ``n`` is.  A grid point
is picked by the variant's index (``i mod G``, the grid's points in sorted key order), so ``n`` a
multiple of ``G`` visits every point equally often.  ``scenarios`` entries are ``null`` (the model
itself), a model file (relative to the file that states it) or overrides deep-merged into the model.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import ModelConfigError

__all__ = ["Dist", "SweepSpec", "Variant", "generate_variants", "INPUT_NAMES", "IMPUTED_FIELDS", "content_hash"]

#: the problem inputs a factor may scale (see :func:`facility_opt.robust.perturb.apply_variant`)
INPUT_NAMES = ("unit_costs", "land_prices", "operating_costs", "budget", "demand")
#: the imputed fields a factor may scale: floor per site category, capacity per service
IMPUTED_FIELDS = ("floor_area_m2", "capacity")
#: decimals kept of each drawn factor (the variant's parameters are the rounded values)
FACTOR_DECIMALS = 6


class Dist(BaseModel):
    """A distribution of a multiplicative factor (1.0 = the model's value)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    dist: Literal["uniform", "triangular", "normal", "choice"]
    low: float | None = Field(default=None, gt=0)
    high: float | None = Field(default=None, gt=0)
    mode: float | None = Field(default=None, gt=0)
    mean: float | None = Field(default=None, gt=0)
    sd: float | None = Field(default=None, ge=0)
    values: list[float] | None = None
    weights: list[float] | None = None
    source: str = "assumption"

    @model_validator(mode="after")
    def _complete(self) -> Dist:
        need = {
            "uniform": ("low", "high"),
            "triangular": ("low", "mode", "high"),
            "normal": ("mean", "sd"),
            "choice": ("values",),
        }[self.dist]
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"{self.dist} needs {', '.join(missing)}")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low {self.low} is above high {self.high}")
        if self.dist == "triangular" and not self.low <= self.mode <= self.high:
            raise ValueError(f"mode {self.mode} is outside low..high")
        if self.dist == "choice":
            if not self.values or any(v <= 0 for v in self.values):
                raise ValueError("values must be positive factors")
            if self.weights is not None and (
                len(self.weights) != len(self.values) or min(self.weights) < 0 or sum(self.weights) <= 0
            ):
                raise ValueError("weights: one non-negative weight per value, not all zero")
        return self

    def draw(self, rng: np.random.Generator) -> float:
        """One factor (normal draws are clipped to low..high when given, and to at least 1e-6)."""
        if self.dist == "uniform":
            x = rng.uniform(self.low, self.high)
        elif self.dist == "triangular":
            x = self.low if self.low == self.high else rng.triangular(self.low, self.mode, self.high)
        elif self.dist == "normal":
            x = rng.normal(self.mean, self.sd)
            x = float(
                np.clip(x, self.low if self.low is not None else 1e-6, self.high if self.high is not None else np.inf)
            )
        else:
            w = np.asarray(self.weights if self.weights is not None else [1.0] * len(self.values), dtype=float)
            x = self.values[int(rng.choice(len(self.values), p=w / w.sum()))]
        return round(float(x), FACTOR_DECIMALS)


class DemandProjections(BaseModel):
    """Population projection variants: name -> a population-parameters file (None: the model's own)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    options: dict[str, str | None]
    weights: dict[str, float] | None = None
    source: str = "assumption"

    @model_validator(mode="after")
    def _weights(self) -> DemandProjections:
        if not self.options:
            raise ValueError("options: name at least one projection")
        if self.weights is not None:
            if set(self.weights) != set(self.options):
                raise ValueError(f"weights: give one weight for each option {sorted(self.options)}")
            if min(self.weights.values()) < 0 or sum(self.weights.values()) <= 0:
                raise ValueError("weights: non-negative, not all zero")
        return self


class Grid(BaseModel):
    """Policy knobs and scenarios crossed with each other (every combination)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    policy: dict[str, list[Any]] = Field(default_factory=dict, description="Policy field -> values.")
    scenarios: dict[str, str | dict | None] = Field(
        default_factory=dict, description="Name -> null (the model), a model file, or model overrides."
    )

    def points(self) -> list[dict]:
        """Every combination, in sorted key order: ``{"policy": {...}, "scenario": name or None}``."""
        keys = sorted(self.policy)
        for k in keys:
            if not self.policy[k]:
                raise ModelConfigError(f"sweep.grid.policy.{k}: give at least one value")
        pol = [dict(zip(keys, combo)) for combo in itertools.product(*(self.policy[k] for k in keys))]
        scen = sorted(self.scenarios) or [None]
        return [{"policy": p, "scenario": s} for s, p in itertools.product(scen, pol)]


class NightlySweep(BaseModel):
    """The nightly job's sweep: n variants (seed: the sweep's), on a local cluster, a scheduler, or serially."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    n: int = Field(default=20, ge=1)
    seed: int | None = None
    scheduler: str | None = Field(default=None, description="Dask scheduler address (default: a local cluster).")
    serial: bool = False


class SweepSpec(BaseModel):
    """The ``sweep`` section of a planning model (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    n: int = Field(default=20, ge=1)
    seed: int = Field(default=0, ge=0)
    inputs: dict[str, Dist] = Field(default_factory=dict)
    imputed: dict[str, dict[str, Dist]] = Field(default_factory=dict)
    demand_projection: DemandProjections | None = None
    grid: Grid = Field(default_factory=Grid)
    solver: dict[str, Any] = Field(default_factory=dict, description="Overrides of the model's solver section.")
    robust_share: float = Field(default=0.8, gt=0.5, le=1.0)
    nightly: NightlySweep | None = None
    sources: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _drop_switched_off(cls, data):
        """``null`` switches an inherited input off (a scenario file may drop its base model's)."""
        if isinstance(data, dict):
            data = dict(data)
            if isinstance(data.get("inputs"), dict):
                data["inputs"] = {k: v for k, v in data["inputs"].items() if v is not None}
            if isinstance(data.get("imputed"), dict):
                data["imputed"] = {
                    f: {k: v for k, v in per.items() if v is not None} if isinstance(per, dict) else per
                    for f, per in data["imputed"].items()
                    if per is not None
                }
        return data

    @model_validator(mode="after")
    def _names(self) -> SweepSpec:
        bad = sorted(set(self.inputs) - set(INPUT_NAMES))
        if bad:
            raise ValueError(f"inputs: unknown {bad}; known: {list(INPUT_NAMES)}")
        bad = sorted(set(self.imputed) - set(IMPUTED_FIELDS))
        if bad:
            raise ValueError(f"imputed: unknown fields {bad}; known: {list(IMPUTED_FIELDS)}")
        from ..portfolio import Policy

        bad = sorted(set(self.grid.policy) - set(Policy.model_fields))
        if bad:
            raise ValueError(f"grid.policy: unknown policy fields {bad}")
        return self

    @classmethod
    def parse(cls, raw: dict | None, where: str = "<model>") -> SweepSpec:
        """Validate a raw ``sweep`` section; errors name the file and the key path."""
        try:
            return cls.model_validate(raw or {})
        except ValidationError as exc:
            raise ModelConfigError.from_validation(where, exc, "sweep section", prefix="sweep") from None

    def factor_names(self) -> list[str]:
        """The sampled factors' names, sorted: ``unit_costs``, ``imputed.floor_area_m2.<category>``..."""
        names = list(self.inputs)
        names += [f"imputed.{f}.{k}" for f, per in self.imputed.items() for k in per]
        return sorted(names)

    def dist(self, name: str) -> Dist:
        if name.startswith("imputed."):
            _, fld, key = name.split(".", 2)
            return self.imputed[fld][key]
        return self.inputs[name]


@dataclass(frozen=True)
class Variant:
    """One variant: its index and the parameters that define it (its cache key hashes these)."""

    index: int
    factors: dict[str, float]
    policy: dict[str, Any] = field(default_factory=dict)
    scenario: str | None = None
    projection: str | None = None

    def params(self) -> dict:
        """The defining parameters (the index excluded: equal parameters give the same plan)."""
        return {
            "factors": dict(sorted(self.factors.items())),
            "policy": dict(sorted(self.policy.items())),
            "scenario": self.scenario,
            "projection": self.projection,
        }

    @property
    def structure(self) -> tuple[str | None, str | None]:
        """What needs its own base problem: (scenario, projection)."""
        return self.scenario, self.projection


def generate_variants(spec: SweepSpec, n: int | None = None, seed: int | None = None) -> list[Variant]:
    """Variants ``0 .. n-1`` of a sweep (deterministic; variant ``i`` does not depend on ``n``).

    Examples
    --------
    >>> s = SweepSpec(inputs={"unit_costs": Dist(dist="uniform", low=0.9, high=1.1)},
    ...               grid={"policy": {"sharing_saving": [0.05, 0.1]}})
    >>> v = generate_variants(s, n=3, seed=7)
    >>> [x.policy["sharing_saving"] for x in v], v[2] == generate_variants(s, n=10, seed=7)[2]
    ([0.05, 0.1, 0.05], True)
    """
    n = spec.n if n is None else n
    seed = spec.seed if seed is None else seed
    points = spec.grid.points()
    names = spec.factor_names()
    proj = spec.demand_projection
    out = []
    for i in range(n):
        rng = np.random.default_rng([seed, i])
        factors = {name: spec.dist(name).draw(rng) for name in names}
        projection = None
        if proj is not None:
            keys = sorted(proj.options)
            w = np.array([(proj.weights or {}).get(k, 1.0) for k in keys], dtype=float)
            projection = keys[int(rng.choice(len(keys), p=w / w.sum()))]
        point = points[i % len(points)]
        out.append(
            Variant(index=i, factors=factors, policy=point["policy"], scenario=point["scenario"], projection=projection)
        )
    return out


def content_hash(*parts: Any) -> str:
    """SHA-256 of the canonical JSON of ``parts`` (sorted keys, no whitespace)."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
