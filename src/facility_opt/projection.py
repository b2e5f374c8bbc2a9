"""Population by zone, age group and year: a cohort-component projection, or a user's own table.

The projection works on single years of age ``0 .. max_age`` (the last is the open group) and steps
one year at a time from the base year (the zones' census year). One step, in every zone:

1. **survival**: the people aged ``a`` become ``a + 1`` with probability ``1 − q(a)``; ``q`` mixes the
   male and female life tables by the female share at each age and falls by a yearly improvement;
2. **births**: ``Σ_a ASFR(a) × female_share(a) × P(a)``; newborns survive to age 0 with
   ``1 − q(0)/2`` (deaths spread over the year); ASFR = TFR × level × the age pattern;
3. **net migration**: ``level × shape(a)`` migrants a year for the ward, added at the end of the step;
   a zone gets the ward's migrants in proportion to its population (the same net migration *rate* in
   every zone), times an optional per-zone factor.

Every rate is the same in every zone (no zone-specific rates exist for Nerima); zones differ only by
their base-year age structure. A zone's age bands (``pop_0_5`` …) are split into single years by the
params' ``band_split`` rule and summed back into bands for the output, so the base year returns the
input exactly. Parameters are a :class:`PopulationParams` read from YAML
(``models/population_nerima.yaml``); :func:`calibrate` fits the migration level (and the fertility
level) to published totals. A user's own zone × age × year table is read by
:func:`read_population_table`. The method and the Nerima inputs are described in
``docs/demand_projection.md``.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from .errors import DataIssue, DataValidationError
from .schema import AGE_GROUPS
from .yamlio import load_yaml_model

__all__ = [
    "PopulationParams",
    "load_population_params",
    "default_population_params_path",
    "project_population",
    "calibrate",
    "calibration_report",
    "read_population_table",
    "select_population",
    "life_expectancy",
    "ward_totals",
    "POPULATION_COLUMNS",
]

log = logging.getLogger(__name__)

#: Columns of the long population table, in order.
POPULATION_COLUMNS = ("zone_id", "year", "age_group", "population")
#: Decimals of the output population (0.01 person, like zones.csv).
DECIMALS = 2


# ---------------------------------------------------------------------------------------------
# Age ranges
def _age_range(key: str, max_age: int) -> tuple[int, int]:
    """Inclusive single-year range of an age key: ``"15-19"``, ``"85+"``, ``"7"``, or an age group
    of the zones table (``"0_5"``, ``"75_plus"``)."""
    k = key.strip().replace("_plus", "+").replace("_", "-")
    try:
        if k.endswith("+"):
            lo, hi = int(k[:-1]), max_age
        elif "-" in k:
            a, b = k.split("-", 1)
            lo, hi = int(a), int(b)
        else:
            lo = hi = int(k)
    except ValueError:
        raise ValueError(f"age key {key!r}: expected 'a-b', 'a+' or 'a' (whole years)") from None
    if not 0 <= lo <= hi <= max_age:
        raise ValueError(f"age key {key!r}: ages must lie in 0..{max_age} with start <= end")
    return lo, hi


def _schedule(values: dict[str, float], max_age: int) -> np.ndarray:
    """Per single year: each group's value spread evenly over its years (groups must not overlap)."""
    out = np.zeros(max_age + 1)
    seen = np.zeros(max_age + 1, dtype=bool)
    for key, v in values.items():
        lo, hi = _age_range(key, max_age)
        if seen[lo:hi + 1].any():
            raise ValueError(f"age key {key!r} overlaps another group")
        seen[lo:hi + 1] = True
        out[lo:hi + 1] = float(v) / (hi - lo + 1)
    return out


def _check_schedule(v: dict[str, float]) -> dict[str, float]:
    for key, x in v.items():
        _age_range(key, 10_000)
        if not math.isfinite(float(x)) or float(x) < 0:
            raise ValueError(f"{key}: values must be finite and >= 0, got {x}")
    return v


#: A mapping age key ("15-19", "85+", "30") -> value, checked when read.
AgeSchedule = Annotated[dict[str, float], AfterValidator(_check_schedule)]


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

    tfr: float | dict[int, float] = Field(description="Total fertility rate, or {year: TFR} (linear between "
                                                      "years, flat outside them).")
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
    child_factor: float = Field(default=1.0, ge=-5, le=5,
                                description="Multiplier on the shape at child_ages (calibrated; 0: children's "
                                            "moves in and out balance).")
    child_ages: Annotated[str, AfterValidator(lambda v: _age_range(v, 10_000) and v)] = "0-14"
    child_factor_source: str = ""
    zone_factors: dict[str, float] = Field(default_factory=dict,
                                           description="Multiplier of a zone's share of net migration (default 1).")
    reference_population: float | None = Field(
        default=None, gt=0, description="Base-year population the level is for (the whole ward); zones that are "
        "only part of it get the level times their share of it. None: the level is for the zones given.")

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
        when = {"total": str(self.date), "births": str(self.year),
                "share_trend": f"{self.year} vs {self.from_year}"}[self.kind]
        return f"{what}{ages} {when}"


#: The parameters calibrate() can adjust, with their scale (step size) and bounds.
CalibratedParam = Literal["migration_level", "fertility_level", "migration_child_factor"]
_CALIBRATED = {"migration_level": (1000.0, -1e6, 1e6), "fertility_level": (1.0, 0.0, 10.0),
               "migration_child_factor": (1.0, -5.0, 5.0)}


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
                raise ValueError(f"survival.{name} has {len(table)} ages; needs at least max_age + 1 = {self.max_age + 1}")
        for what, sched in (("fertility.shape", self.fertility.shape), ("migration.shape", self.migration.shape),
                            *((("sex_structure.male", self.sex_structure.male),) if self.sex_structure else ())):
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
        shape[lo:hi + 1] *= self.migration.child_factor
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
                seg = lx[lo:hi + 1]
                w[lo:hi + 1] = (st.male[key] + st.female[key]) * seg / seg.sum()
        return w

    def with_levels(self, migration_level: float | None = None, fertility_level: float | None = None,
                    migration_child_factor: float | None = None) -> PopulationParams:
        """A copy with other values of the calibrated parameters (None: unchanged)."""
        mig = {k: float(v) for k, v in (("level", migration_level), ("child_factor", migration_child_factor))
               if v is not None}
        fer = {} if fertility_level is None else {"level": float(fertility_level)}
        return self.model_copy(update={"migration": self.migration.model_copy(update=mig),
                                       "fertility": self.fertility.model_copy(update=fer)})

    def calibrated_values(self) -> dict[str, float]:
        """The current values of the parameters calibrate() can adjust."""
        return {"migration_level": self.migration.level, "fertility_level": self.fertility.level,
                "migration_child_factor": self.migration.child_factor}


def default_population_params_path() -> Path:
    """``models/population_nerima.yaml``."""
    from .resources import models_dir

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
    return load_yaml_model(path if path is not None else default_population_params_path(), PopulationParams,
                           "population-projection parameters")


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


# ---------------------------------------------------------------------------------------------
# Zones in and out
def _band_slices(max_age: int) -> list[tuple[str, int, int]]:
    return [(g, *_age_range(g, max_age)) for g in AGE_GROUPS]


def _zone_bands(zones: pd.DataFrame) -> tuple[list[str], np.ndarray, int]:
    """Zone ids, the (zones × groups) band matrix and the number of zones whose bands are imputed."""
    cols = [f"pop_{g}" for g in AGE_GROUPS]
    issues = [DataIssue("zones", None, c, "required column is missing") for c in ("zone_id", *cols)
              if c not in zones.columns]
    if issues:
        raise DataValidationError(issues)
    ids = zones["zone_id"].astype(str)
    vals = zones[cols].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(vals) | (vals < 0)
    for i, j in zip(*np.nonzero(bad)):
        issues.append(DataIssue("zones", int(i) + 1, cols[j], f"zone {ids.iloc[i]}: population missing or negative"))
    if ids.duplicated().any():
        issues.append(DataIssue("zones", None, "zone_id", f"duplicate zone ids {sorted(set(ids[ids.duplicated()]))[:10]}"))
    if issues:
        raise DataValidationError(issues)
    n_imputed = 0
    if "imputed" in zones.columns:
        n_imputed = int(zones["imputed"].fillna("").astype(str).str.contains("pop_").sum())
    return list(ids), vals, n_imputed


def _split(bands: np.ndarray, params: PopulationParams) -> np.ndarray:
    """(zones × groups) bands → (zones × single years), by the params' band weights."""
    w = params.band_weights()
    out = np.zeros((bands.shape[0], params.max_age + 1))
    for j, (_, lo, hi) in enumerate(_band_slices(params.max_age)):
        seg = w[lo:hi + 1]
        seg = seg / seg.sum() if seg.sum() > 0 else np.full(hi - lo + 1, 1.0 / (hi - lo + 1))
        out[:, lo:hi + 1] = bands[:, [j]] * seg[None, :]
    return out


def _to_bands(pop: np.ndarray, max_age: int) -> np.ndarray:
    return np.stack([pop[:, lo:hi + 1].sum(axis=1) for _, lo, hi in _band_slices(max_age)], axis=1)


def _factors(ids: list[str], params: PopulationParams) -> np.ndarray:
    zf = params.migration.zone_factors
    unknown = sorted(set(zf) - set(ids))
    if unknown:
        raise DataValidationError([DataIssue("population parameters", None, "migration.zone_factors",
                                             f"unknown zones {unknown[:10]}")])
    return np.array([zf.get(z, 1.0) for z in ids])


# ---------------------------------------------------------------------------------------------
# The projection
def _step(pop: np.ndarray, params: PopulationParams, year: int, factors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One year: survivors aged one year, births, net migrants. Returns (population at ``year``, births)."""
    q = params.qx(year)
    births = pop @ params.asfr_women(year)
    new = np.zeros_like(pop)
    new[:, 1:] = pop[:, :-1] * (1 - q[:-1])
    new[:, -1] += pop[:, -1] * (1 - q[-1])
    new[:, 0] = births * (1 - q[0] / 2)
    total = pop.sum()
    share = pop.sum(axis=1) / total if total > 0 else np.full(len(pop), 1.0 / len(pop))
    new += (share * factors)[:, None] * params.migrants()[None, :]
    if (new < 0).any():
        log.warning("projection %d: net out-migration exceeds the population at some ages; %.1f persons "
                    "clipped to 0", year, float(-new[new < 0].sum()))
        new = np.maximum(new, 0.0)
    return new, births


def _run(pop0: np.ndarray, params: PopulationParams, last_year: int,
         factors: np.ndarray) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Single-year populations {year: zones × ages} from the base year to ``last_year``, and births
    {year: per zone} of the step ending in that year."""
    pops = {params.base_year: pop0}
    births: dict[int, np.ndarray] = {}
    ref = params.migration.reference_population
    if ref:  # a part of the ward (a sample of zones) gets its share of the ward's net migrants
        factors = factors * (float(pop0.sum()) / ref)
    pop = pop0
    for year in range(params.base_year + 1, last_year + 1):
        pop, births[year] = _step(pop, params, year, factors)
        pops[year] = pop
    return pops, births


def project_population(zones: pd.DataFrame, params: PopulationParams, years: Iterable[int]) -> pd.DataFrame:
    """Population by zone, age group and year from the cohort-component projection.

    Parameters
    ----------
    zones : DataFrame
        ``zone_id`` and the ``pop_<group>`` columns of every age group, in ``params.base_year``
        (e.g. ``ward.zones``; Nerima's are the 2015 census).
    params : PopulationParams
        Survival, fertility, migration (see :func:`load_population_params`).
    years : iterable of int
        Years wanted, each ``>= params.base_year``; the base year returns the input unchanged.

    Returns
    -------
    DataFrame
        ``zone_id, year, age_group, population`` (0.01 person), sorted by zone, year and the
        order of :data:`facility_opt.schema.AGE_GROUPS`. ``attrs["age_structure_imputed"]`` counts
        the zones whose base age structure is imputed (their ``imputed`` column names a pop_ field).

    Examples
    --------
    A zone of 100 pre-school children, no deaths, births or migration: a year later one sixth of
    them (the five-year-olds) have moved up to 6–11.

    >>> import pandas as pd
    >>> p = load_population_params().model_copy(deep=True)
    >>> p.survival.qx_male = p.survival.qx_female = [0.0] * 101
    >>> p.fertility.tfr, p.migration.level, p.band_split, p.sex_structure = 0.0, 0.0, "uniform", None
    >>> z = pd.DataFrame({"zone_id": ["a"], "pop_0_5": [600.0], "pop_6_11": [0.0], "pop_12_14": [0.0],
    ...                   "pop_15_64": [0.0], "pop_65_74": [0.0], "pop_75_plus": [0.0]})
    >>> out = project_population(z, p, [2015, 2016])
    >>> out[out.age_group.isin(["0_5", "6_11"])].population.tolist()
    [600.0, 0.0, 500.0, 100.0]
    """
    years = sorted({int(y) for y in years})
    if not years:
        raise ValueError("no years requested")
    if years[0] < params.base_year:
        raise DataValidationError([DataIssue("population parameters", None, "base_year",
                                             f"years {[y for y in years if y < params.base_year]} precede the "
                                             f"projection's base year {params.base_year}")])
    ids, bands, n_imputed = _zone_bands(zones)
    if n_imputed:
        log.info("projection: the base age structure of %d of %d zones is imputed, not real data", n_imputed, len(ids))
    pops, _ = _run(_split(bands, params), params, years[-1], _factors(ids, params))
    frames = []
    for y in years:
        b = bands if y == params.base_year else np.round(_to_bands(pops[y], params.max_age), DECIMALS)
        frames.append(pd.DataFrame({"zone_id": np.repeat(ids, len(AGE_GROUPS)), "year": y,
                                    "age_group": np.tile(AGE_GROUPS, len(ids)), "population": b.reshape(-1)}))
    out = _sorted(pd.concat(frames, ignore_index=True))
    out.attrs.update({"age_structure_imputed": n_imputed, "base_year": params.base_year, "params": params.name})
    return out


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    """Long table in the canonical order: zone, year, age group (AGE_GROUPS order)."""
    order = {g: i for i, g in enumerate(AGE_GROUPS)}
    df = df.assign(_g=df["age_group"].map(order)).sort_values(["zone_id", "year", "_g"], kind="mergesort")
    return df.drop(columns="_g").reset_index(drop=True)[list(POPULATION_COLUMNS)]


def ward_totals(population: pd.DataFrame) -> pd.DataFrame:
    """Ward totals per year: one column per age group and ``total`` (rows sorted by year).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"zone_id": ["a", "b"], "year": [2020, 2020], "age_group": ["0_5", "0_5"],
    ...                   "population": [1.5, 2.0]})
    >>> ward_totals(t)[["year", "0_5", "total"]].values.tolist()
    [[2020.0, 3.5, 3.5]]
    """
    wide = population.pivot_table(index="year", columns="age_group", values="population", aggfunc="sum", fill_value=0.0)
    wide = wide.reindex(columns=[g for g in AGE_GROUPS if g in wide.columns])
    wide["total"] = wide.sum(axis=1)
    wide.columns.name = None
    return wide.round(DECIMALS).reset_index()


# ---------------------------------------------------------------------------------------------
# Calibration
def _year_time(year: int, params: PopulationParams) -> float:
    return year + (params.reference_month - 1) / 12


def _interp(series: dict[int, float], when: dt.date, params: PopulationParams) -> float:
    """Value at a date, linear between the projection's yearly reference dates."""
    t = when.year + (when.month - 1) / 12 + (when.day - 1) / 365
    y0 = math.floor(t - (params.reference_month - 1) / 12)
    frac = t - _year_time(y0, params)
    if y0 not in series or (frac > 1e-12 and y0 + 1 not in series):
        raise ValueError(f"{when} lies outside the projected years {min(series)}..{max(series)}")
    return series[y0] if frac <= 1e-12 else (1 - frac) * series[y0] + frac * series[y0 + 1]


def _target_span(params: PopulationParams) -> int:
    """The last projection year any target needs."""
    last = params.base_year + 1
    for t in params.calibration.targets:
        last = max(last, (t.date.year + 1) if t.date else 0, (t.year or 0) + 1)
    return last


def _model_values(ward: np.ndarray, params: PopulationParams) -> list[float]:
    """The projection's value for every calibration target (same order)."""
    pops, births = _run(ward, params, _target_span(params), np.ones(1))
    basis = params.calibration.basis
    reg = basis.register_per_census() if basis is not None else 1.0
    out = []
    for t in params.calibration.targets:
        lo, hi = _age_range(t.ages, params.max_age) if t.ages else (0, params.max_age)
        series = {y: float(p[:, lo:hi + 1].sum()) for y, p in pops.items()}
        if t.kind == "total":
            out.append(_interp(series, t.date, params) * (reg if t.basis == "register" else 1.0))
        elif t.kind == "births":
            frac = (params.reference_month - 1) / 12  # share of calendar year t.year in the step ending in it
            out.append(frac * float(births[t.year].sum()) + (1 - frac) * float(births[t.year + 1].sum()))
        else:
            share = {y: series[y] / float(pops[y].sum()) for y in (t.from_year, t.year)}
            out.append(share[t.year] / share[t.from_year])
    return out


def _ward_pop(zones: pd.DataFrame, params: PopulationParams) -> np.ndarray:
    """The ward as one zone (single years); valid for targets because every zone has the same rates."""
    ids, bands, _ = _zone_bands(zones)
    if any(f != 1.0 for f in params.migration.zone_factors.values()):
        log.info("calibration: zone factors change zone shares only; the ward is calibrated as one zone")
    return _split(bands, params).sum(axis=0, keepdims=True)


def calibration_report(zones: pd.DataFrame, params: PopulationParams) -> pd.DataFrame:
    """Each calibration target: published value, the projection's value and the error.

    Returns
    -------
    DataFrame
        ``target, kind, weight, published, model, error, rel_error, source``; ``model`` of a
        ``basis: register`` total is on the register basis (see ``calibration.basis``).
    """
    vals = _model_values(_ward_pop(zones, params), params)
    rows = [{"target": t.label(), "kind": t.kind, "weight": t.weight, "published": t.value, "model": m,
             "error": m - t.value, "rel_error": (m - t.value) / t.value, "source": t.source}
            for t, m in zip(params.calibration.targets, vals)]
    out = pd.DataFrame(rows, columns=["target", "kind", "weight", "published", "model", "error", "rel_error", "source"])
    out[["model", "error"]] = out[["model", "error"]].round(4)
    out["rel_error"] = out["rel_error"].round(6)
    return out


def calibrate(zones: pd.DataFrame, params: PopulationParams,
              adjust: Sequence[str] | None = None) -> tuple[PopulationParams, pd.DataFrame]:
    """Fit the migration level (and the fertility level) to the params' calibration targets.

    Weighted least squares on the relative errors of the targets with ``weight > 0``
    (``scipy.optimize.least_squares``, deterministic). Logs a warning when a weighted target stays
    further off than ``calibration.tolerance``.

    Parameters
    ----------
    zones : DataFrame
        Base-year zones (as for :func:`project_population`).
    params : PopulationParams
        Starting values and ``calibration`` (targets, ``adjust``, ``tolerance``).
    adjust : sequence of str, optional
        Override of ``calibration.adjust``: ``migration_level`` and/or ``fertility_level``.

    Returns
    -------
    (PopulationParams, DataFrame)
        The calibrated parameters and :func:`calibration_report` for them.
    """
    from scipy.optimize import least_squares

    names = list(adjust if adjust is not None else params.calibration.adjust)
    unknown = set(names) - set(_CALIBRATED)
    if unknown or not names:
        raise ValueError(f"adjust must name some of {sorted(_CALIBRATED)}, got {names}")
    targets = params.calibration.targets
    used = [i for i, t in enumerate(targets) if t.weight > 0]
    if len(used) < len(names):
        raise ValueError(f"{len(used)} weighted targets cannot determine {len(names)} parameters")
    ward = _ward_pop(zones, params)
    scale = np.array([_CALIBRATED[n][0] for n in names])
    lower = np.array([_CALIBRATED[n][1] for n in names]) / scale
    upper = np.array([_CALIBRATED[n][2] for n in names]) / scale

    def build(x: np.ndarray) -> PopulationParams:
        return params.with_levels(**{n: v for n, v in zip(names, x * scale)})

    def residuals(x: np.ndarray) -> np.ndarray:
        vals = _model_values(ward, build(x))
        return np.array([targets[i].weight * (vals[i] - targets[i].value) / targets[i].value for i in used])

    start = params.calibrated_values()
    x0 = np.clip([start[n] for n in names] / scale, lower, upper)
    fit = least_squares(residuals, x0, bounds=(lower, upper), method="trf", xtol=1e-12, ftol=1e-12, gtol=1e-12)
    best = build(fit.x)
    report = calibration_report(zones, best)
    worst = report.loc[report["weight"] > 0, "rel_error"].abs().max()
    for n in names:
        log.info("calibration: %s = %.6g", n, best.calibrated_values()[n])
    if worst > params.calibration.tolerance:
        log.warning("calibration: a weighted target is %.2f %% off (tolerance %.2f %%)", 100 * worst,
                    100 * params.calibration.tolerance)
    return best, report


# ---------------------------------------------------------------------------------------------
# A user's own table
_IGNORED_WIDE = {"name", "population", "imputed"}


def read_population_table(path: str | Path) -> pd.DataFrame:
    """Read a user's zone × age × year population table (CSV, UTF-8 or Shift-JIS).

    Two layouts: **wide** like ``zones.csv`` — ``zone_id, year, pop_0_5, …, pop_75_plus`` (one row per
    zone and year; ``name``, ``population``, ``imputed`` and ``x_*`` columns are ignored) — or **long**
    — ``zone_id, year, age_group, population``. Every zone must have every year from the table's first
    to its last, and every age group of :data:`~facility_opt.schema.AGE_GROUPS`.

    Returns
    -------
    DataFrame
        ``zone_id, year, age_group, population``, sorted like :func:`project_population`.

    Raises
    ------
    DataValidationError
        Listing every problem with the file, the data row (1-based) and the field: unreadable file,
        missing or unknown columns, unknown age groups, non-numeric or negative values, duplicate
        (zone, year) rows, missing years or groups.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); f = os.path.join(d, "pop.csv")
    >>> _ = open(f, "w").write("zone_id,year,pop_0_5,pop_6_11,pop_12_14,pop_15_64,pop_65_74,pop_75_plus\\n"
    ...                        "a,2020,6,6,3,65,10,10\\na,2021,5,6,3,66,10,11\\n")
    >>> t = read_population_table(f)
    >>> len(t), float(t.population.sum())
    (12, 201.0)
    """
    from .loading import read_text_any_encoding

    path = Path(path)
    file = str(path)
    if not path.is_file():
        raise DataValidationError([DataIssue(file, None, None, "population table not found")])
    try:
        df = pd.read_csv(io.StringIO(read_text_any_encoding(path)), dtype=str, keep_default_na=False,
                         skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataValidationError([DataIssue(file, None, None, f"not a readable CSV file: {exc}")]) from None
    df.columns = [str(c).strip() for c in df.columns]
    issues: list[DataIssue] = []
    if df.empty:
        raise DataValidationError([DataIssue(file, None, None, "the file has a header but no data rows")])
    df.insert(0, "_row", np.arange(1, len(df) + 1))
    long_cols = {"zone_id", "year", "age_group", "population"}
    if long_cols <= set(df.columns):
        long, key = df, ["zone_id", "year", "age_group"]
        extra = sorted(set(df.columns) - long_cols - {"_row"} - {c for c in df.columns if c.startswith("x_")})
        issues += [DataIssue(file, None, c, "unknown column") for c in extra]
    else:
        missing = [c for c in ("zone_id", "year") if c not in df.columns]
        pop_cols = [c for c in df.columns if c.startswith("pop_")]
        issues += [DataIssue(file, None, c, "required column is missing") for c in missing]
        issues += [DataIssue(file, None, c, f"unknown age group '{c[4:]}'; expected {list(AGE_GROUPS)}")
                   for c in pop_cols if c[4:] not in AGE_GROUPS]
        issues += [DataIssue(file, None, f"pop_{g}", "required column is missing") for g in AGE_GROUPS
                   if f"pop_{g}" not in df.columns]
        extra = [c for c in df.columns if c not in {"_row", "zone_id", "year", *pop_cols, *_IGNORED_WIDE}
                 and not c.startswith("x_")]
        issues += [DataIssue(file, None, c, "unknown column (a wide table has zone_id, year and pop_<group> "
                             "columns; a long one zone_id, year, age_group, population)") for c in extra]
        if issues:
            raise DataValidationError(issues)
        long = df.melt(id_vars=["_row", "zone_id", "year"], value_vars=[f"pop_{g}" for g in AGE_GROUPS],
                       var_name="age_group", value_name="population")
        long["age_group"] = long["age_group"].str.removeprefix("pop_")
        key = ["zone_id", "year"]
    if issues:
        raise DataValidationError(issues)
    return _validate_long(long, key, file)


def select_population(table: pd.DataFrame, zone_ids: Iterable[str], years: Iterable[int],
                      source: str | Path = "population table") -> pd.DataFrame:
    """The rows of a long population table for these zones and years; every zone and year must be there.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"zone_id": ["a", "a"], "year": [2020, 2021], "age_group": "0_5", "population": [1.0, 2.0]})
    >>> select_population(t, ["a"], [2021])["population"].tolist()
    [2.0]
    """
    zone_ids = sorted({str(z) for z in zone_ids})
    years = sorted({int(y) for y in years})
    issues = []
    lack_z = sorted(set(zone_ids) - set(table["zone_id"].astype(str)))
    if lack_z:
        issues.append(DataIssue(str(source), None, "zone_id", f"no rows for {len(lack_z)} zones of the ward, "
                                f"e.g. {lack_z[:5]}"))
    lack_y = sorted(set(years) - set(table["year"].astype(int)))
    if lack_y:
        issues.append(DataIssue(str(source), None, "year", f"no rows for the years {lack_y}"))
    if issues:
        raise DataValidationError(issues)
    keep = table["zone_id"].astype(str).isin(zone_ids) & table["year"].astype(int).isin(years)
    return _sorted(table[keep])


def _validate_long(long: pd.DataFrame, key: list[str], file: str) -> pd.DataFrame:
    """Row-level checks of a long table (with a ``_row`` column); returns it clean and sorted."""
    issues: list[DataIssue] = []
    wide = key == ["zone_id", "year"]
    long = long.assign(zone_id=long["zone_id"].astype(str).str.strip())
    for r in long.loc[long["zone_id"] == "", "_row"].drop_duplicates():
        issues.append(DataIssue(file, int(r), "zone_id", "empty zone id"))
    year = pd.to_numeric(long["year"], errors="coerce")
    bad_year = year.isna() | (year != year.round())
    for r, v in long.loc[bad_year, ["_row", "year"]].drop_duplicates("_row").itertuples(index=False):
        issues.append(DataIssue(file, int(r), "year", f"not a whole year: {v!r}"))
    if not wide:
        for r, g in long.loc[~long["age_group"].isin(AGE_GROUPS), ["_row", "age_group"]].itertuples(index=False):
            issues.append(DataIssue(file, int(r), "age_group", f"unknown age group {g!r}; expected {list(AGE_GROUPS)}"))
    pop = pd.to_numeric(long["population"], errors="coerce")
    for r, g, v, p in zip(long["_row"], long["age_group"], long["population"], pop):
        field = f"pop_{g}" if wide else "population"
        if not np.isfinite(p):
            issues.append(DataIssue(file, int(r), field, f"not a number: {v!r}"))
        elif p < 0:
            issues.append(DataIssue(file, int(r), field, f"negative population {p:g}"))
    if issues:
        raise DataValidationError(issues)
    long = long.assign(year=year.astype(int), population=pop.astype(float))
    rows = long.drop_duplicates("_row")  # a wide row is six long rows
    dup = rows[rows.duplicated(key, keep=False)]
    for k, grp in dup.groupby(key, sort=True):
        rows = sorted(int(r) for r in grp["_row"])
        what = ", ".join(f"{c}={v}" for c, v in zip(key, k))
        issues.append(DataIssue(file, rows[-1], ",".join(key), f"duplicate ({what}): rows {rows}"))
    if issues:
        raise DataValidationError(issues)
    all_years = set(range(long["year"].min(), long["year"].max() + 1))
    for z, grp in long.groupby("zone_id", sort=True):
        gap = sorted(all_years - set(grp["year"]))
        if gap:
            issues.append(DataIssue(file, None, "year", f"zone {z}: missing years {gap[:10]}"
                                    f"{' ...' if len(gap) > 10 else ''} (every zone needs every year "
                                    f"{min(all_years)}..{max(all_years)})"))
    if not wide:
        for (z, y), grp in long.groupby(["zone_id", "year"], sort=True):
            lack = [g for g in AGE_GROUPS if g not in set(grp["age_group"])]
            if lack:
                issues.append(DataIssue(file, int(grp["_row"].max()), "age_group",
                                        f"zone {z}, year {y}: missing age groups {lack}"))
    if issues:
        raise DataValidationError(issues)
    return _sorted(long)
