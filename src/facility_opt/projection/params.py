"""The parameters of the cohort-component projection (``models/population_nerima.yaml``), read and
checked: sex structure, survival, fertility, migration, calibration targets."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from ..schema import AGE_GROUPS
from ..yamlio import load_yaml_model
from .ages import AgeSchedule, _age_range, _schedule


# ---------------------------------------------------------------------------------------------
# Parameters
class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SexStructure(_Model):
    """Population by sex and age group: female shares, and the shape used to split bands."""

    source: str
    male: AgeSchedule
    female: AgeSchedule

    @model_validator(mode="after")
    def _same_groups(self):
        if set(self.male) != set(self.female):
            raise ValueError("male and female must have the same age groups")
        return self


class Survival(_Model):
    """Life tables (probability of dying ``q`` between exact ages x and x+1) and their improvement."""

    source: str
    table_year: int = Field(ge=1900, le=2200)
    qx_male: list[float] = Field(min_length=1)
    qx_female: list[float] = Field(min_length=1)
    improvement_male: float = Field(default=0.0, ge=-0.05, le=0.1, description="Yearly proportional fall of qx.")
    improvement_female: float = Field(default=0.0, ge=-0.05, le=0.1)
    improvement_source: str = ""

    @field_validator("qx_male", "qx_female")
    @classmethod
    def _probabilities(cls, v: list[float]) -> list[float]:
        bad = [i for i, q in enumerate(v) if not 0.0 <= q <= 1.0]
        if bad:
            raise ValueError(f"qx must lie in [0, 1]; not at ages {bad[:10]}")
        return v


class Fertility(_Model):
    """Births: total fertility rate × level, spread over mothers' ages by ``shape``."""

    tfr: float | dict[int, float] = Field(
        description="Total fertility rate, or {year: TFR} (linear between years, flat outside them)."
    )
    tfr_source: str = ""
    shape: AgeSchedule = Field(min_length=1, description="Relative fertility by mother's age group.")
    shape_source: str = ""
    level: float = Field(default=1.0, ge=0, le=10, description="Multiplier on tfr (calibrated).")
    level_source: str = ""

    @field_validator("tfr")
    @classmethod
    def _tfr(cls, v: float | dict[int, float]) -> float | dict[int, float]:
        vals = v.values() if isinstance(v, dict) else [v]
        if not vals or any(not 0 <= x <= 10 for x in vals):
            raise ValueError("TFR values must lie in [0, 10] (and a mapping must not be empty)")
        return dict(sorted(v.items())) if isinstance(v, dict) else v

    def tfr_in(self, year: int) -> float:
        """The TFR of a year (interpolated in a {year: TFR} mapping)."""
        if not isinstance(self.tfr, dict):
            return float(self.tfr)
        ys = list(self.tfr)
        return float(np.interp(year, ys, [self.tfr[y] for y in ys]))


class Migration(_Model):
    """Net migration: ``level`` migrants a year for the ward, spread over ages by ``shape``."""

    shape: AgeSchedule = Field(min_length=1)
    shape_source: str = ""
    level: float = Field(description="Net migrants per year into the ward (negative: net out-migration).")
    level_source: str = ""
    child_factor: float = Field(
        default=1.0,
        ge=-5,
        le=5,
        description="Multiplier on the shape at child_ages (calibrated; 0: children's moves in and out balance).",
    )
    child_ages: Annotated[str, AfterValidator(lambda v: _age_range(v, 10_000) and v)] = "0-14"
    child_factor_source: str = ""
    zone_factors: dict[str, float] = Field(
        default_factory=dict, description="Multiplier of a zone's share of net migration (default 1)."
    )
    reference_population: float | None = Field(
        default=None,
        gt=0,
        description="Base-year population the level is for (the whole ward); zones that are "
        "only part of it get the level times their share of it. None: the level is for the zones given.",
    )

    @field_validator("zone_factors")
    @classmethod
    def _factors(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {z: f for z, f in v.items() if not math.isfinite(f) or f < 0}
        if bad:
            raise ValueError(f"zone factors must be finite and >= 0: {bad}")
        return {str(z): float(f) for z, f in v.items()}


class DatedValue(_Model):
    date: dt.date
    value: float = Field(gt=0)
    source: str = ""


class Basis(_Model):
    """Register totals around the census day: the register/census ratio for ``basis: register``."""

    register_before: DatedValue
    register_after: DatedValue
    census: DatedValue

    def register_per_census(self) -> float:
        a, b, c = self.register_before, self.register_after, self.census
        span = (b.date - a.date).days
        frac = (c.date - a.date).days / span if span else 0.0
        return (a.value + frac * (b.value - a.value)) / c.value


class Target(_Model):
    """One published figure the projection is calibrated to (``weight > 0``) or checked against."""

    kind: Literal["total", "births", "share_trend"]
    value: float = Field(gt=0)
    weight: float = Field(default=1.0, ge=0)
    source: str = ""
    date: dt.date | None = Field(default=None, description="total: the date of the figure.")
    year: int | None = Field(default=None, description="births: calendar year; share_trend: the later year.")
    from_year: int | None = Field(default=None, description="share_trend: the earlier year.")
    ages: str | None = Field(default=None, description="total / share_trend: an age range (default all ages).")
    basis: Literal["census", "register"] = "census"

    @model_validator(mode="after")
    def _fields_of_kind(self):
        need = {"total": ("date",), "births": ("year",), "share_trend": ("year", "from_year", "ages")}[self.kind]
        missing = [f for f in need if getattr(self, f) is None]
        if missing:
            raise ValueError(f"a '{self.kind}' target needs {missing}")
        if self.ages is not None:
            _age_range(self.ages, 10_000)
        return self

    def label(self) -> str:
        what = {"total": "population", "births": "births", "share_trend": "share trend"}[self.kind]
        ages = f" {self.ages}" if self.ages else ""
        when = {"total": str(self.date), "births": str(self.year), "share_trend": f"{self.year} vs {self.from_year}"}[
            self.kind
        ]
        return f"{what}{ages} {when}"


#: The parameters calibrate() can adjust, with their scale (step size) and bounds.
CalibratedParam = Literal["migration_level", "fertility_level", "migration_child_factor"]
_CALIBRATED = {
    "migration_level": (1000.0, -1e6, 1e6),
    "fertility_level": (1.0, 0.0, 10.0),
    "migration_child_factor": (1.0, -5.0, 5.0),
}


class Calibration(_Model):
    adjust: list[CalibratedParam] = Field(default_factory=lambda: ["migration_level"])
    tolerance: float = Field(default=0.01, gt=0, description="Largest relative error of a weighted target.")
    basis: Basis | None = None
    targets: list[Target] = Field(default_factory=list)


class PopulationParams(_Model):
    """Inputs of the cohort-component projection (``models/population_nerima.yaml`` documents each)."""

    name: str
    description: str = ""
    base_year: int = Field(ge=1900, le=2200, description="Year of the zones' population (the census).")
    base_source: str = ""
    reference_month: int = Field(default=10, ge=1, le=12, description="Populations are as of the 1st of this month.")
    max_age: int = Field(default=100, ge=80, le=120, description="Oldest single year; it is the open group.")
    band_split: Literal["sex_structure", "uniform"] = "sex_structure"
    sex_structure: SexStructure | None = Field(default=None, description="Absent: female share 0.5, uniform split.")
    survival: Survival
    fertility: Fertility
    migration: Migration
    calibration: Calibration = Field(default_factory=Calibration)

    @model_validator(mode="after")
    def _consistent(self):
        for name, table in (("qx_male", self.survival.qx_male), ("qx_female", self.survival.qx_female)):
            if len(table) < self.max_age + 1:
                raise ValueError(
                    f"survival.{name} has {len(table)} ages; needs at least max_age + 1 = {self.max_age + 1}"
                )
        for what, sched in (
            ("fertility.shape", self.fertility.shape),
            ("migration.shape", self.migration.shape),
            *((("sex_structure.male", self.sex_structure.male),) if self.sex_structure else ()),
        ):
            try:
                _schedule(sched, self.max_age)
            except ValueError as exc:
                raise ValueError(f"{what}: {exc}") from None
        if self.band_split == "sex_structure" and self.sex_structure is None:
            raise ValueError("band_split 'sex_structure' needs a sex_structure")
        if self.sex_structure is not None:
            covered = _schedule({k: 1.0 for k in self.sex_structure.male}, self.max_age) > 0
            if not covered.all():
                raise ValueError(f"sex_structure groups must cover ages 0..{self.max_age}")
        for g in AGE_GROUPS:
            _age_range(g, self.max_age)
        return self

    # -- the single-year vectors --------------------------------------------------------------
    @property
    def ages(self) -> np.ndarray:
        return np.arange(self.max_age + 1)

    def female_share(self) -> np.ndarray:
        """Share of women at each single year of age (0.5 without a sex structure)."""
        if self.sex_structure is None:
            return np.full(self.max_age + 1, 0.5)
        m = _schedule(self.sex_structure.male, self.max_age)
        f = _schedule(self.sex_structure.female, self.max_age)
        tot = m + f
        return np.divide(f, tot, out=np.full_like(tot, 0.5), where=tot > 0)

    def qx(self, year: int) -> np.ndarray:
        """Probability of dying within the year at each age (sexes combined by the female share)."""
        s = self.survival
        t = year - s.table_year
        qm = np.asarray(s.qx_male[: self.max_age + 1], dtype=float) * (1 - s.improvement_male) ** t
        qf = np.asarray(s.qx_female[: self.max_age + 1], dtype=float) * (1 - s.improvement_female) ** t
        fs = self.female_share()
        return np.clip(fs * qf + (1 - fs) * qm, 0.0, 1.0)

    def asfr_women(self, year: int) -> np.ndarray:
        """Births per resident (of both sexes) at each age in ``year``: ASFR × female share."""
        shape = _schedule(self.fertility.shape, self.max_age)
        total = shape.sum()
        asfr = shape / total * self.fertility.tfr_in(year) * self.fertility.level if total > 0 else shape
        return asfr * self.female_share()

    def migrants(self) -> np.ndarray:
        """Net migrants a year into the ward at each age (end-of-step age); they sum to the level."""
        shape = _schedule(self.migration.shape, self.max_age)
        lo, hi = _age_range(self.migration.child_ages, self.max_age)
        shape[lo : hi + 1] *= self.migration.child_factor
        total = shape.sum()
        return shape / total * self.migration.level if total > 0 else shape

    def band_weights(self) -> np.ndarray:
        """Relative size of each single year inside its band (see ``band_split``)."""
        if self.band_split == "uniform":
            return np.ones(self.max_age + 1)
        st = self.sex_structure
        w = _schedule({k: st.male[k] + st.female[k] for k in st.male}, self.max_age)
        lx = np.concatenate([[1.0], np.cumprod(1 - self.qx(self.survival.table_year))])[: self.max_age + 1]
        for key in st.male:  # open groups follow the life table's survivorship, not a flat spread
            if key.strip().endswith("+"):
                lo, hi = _age_range(key, self.max_age)
                seg = lx[lo : hi + 1]
                w[lo : hi + 1] = (st.male[key] + st.female[key]) * seg / seg.sum()
        return w

    def with_levels(
        self,
        migration_level: float | None = None,
        fertility_level: float | None = None,
        migration_child_factor: float | None = None,
    ) -> PopulationParams:
        """A copy with other values of the calibrated parameters (None: unchanged)."""
        mig = {
            k: float(v)
            for k, v in (("level", migration_level), ("child_factor", migration_child_factor))
            if v is not None
        }
        fer = {} if fertility_level is None else {"level": float(fertility_level)}
        return self.model_copy(
            update={
                "migration": self.migration.model_copy(update=mig),
                "fertility": self.fertility.model_copy(update=fer),
            }
        )

    def calibrated_values(self) -> dict[str, float]:
        """The current values of the parameters calibrate() can adjust."""
        return {
            "migration_level": self.migration.level,
            "fertility_level": self.fertility.level,
            "migration_child_factor": self.migration.child_factor,
        }


def default_population_params_path() -> Path:
    """``models/population_nerima.yaml``."""
    from ..resources import models_dir

    return models_dir() / "population_nerima.yaml"


def load_population_params(path: str | Path | None = None) -> PopulationParams:
    """Read projection parameters from YAML (default ``models/population_nerima.yaml``).

    Errors name the file and the key path (:class:`~facility_opt.errors.ModelConfigError`).

    Examples
    --------
    >>> p = load_population_params()
    >>> p.base_year, p.fertility.tfr_in(2023), p.max_age
    (2015, 0.99, 100)
    """
    return load_yaml_model(
        path if path is not None else default_population_params_path(),
        PopulationParams,
        "population-projection parameters",
    )


def life_expectancy(qx: Sequence[float]) -> float:
    """Life expectancy at birth of a single-year life table (deaths mid-year; the last age closes it).

    Examples
    --------
    >>> life_expectancy([0.0, 0.0, 1.0])
    2.5
    """
    q = np.asarray(qx, dtype=float)
    lx = np.concatenate([[1.0], np.cumprod(1 - q)])
    return float(((lx[:-1] + lx[1:]) / 2).sum())
