"""The cohort-component projection itself: zones' age bands in single years, one step a year (survival,
births, net migration), and bands back out."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..errors import DataIssue, DataValidationError
from ..schema import AGE_GROUPS
from .ages import _age_range
from .params import PopulationParams

log = logging.getLogger(__name__)

#: Columns of the long population table, in order.
POPULATION_COLUMNS = ("zone_id", "year", "age_group", "population")
#: Decimals of the output population (0.01 person, like zones.csv).
DECIMALS = 2


# ---------------------------------------------------------------------------------------------
# Zones in and out
def _band_slices(max_age: int) -> list[tuple[str, int, int]]:
    return [(g, *_age_range(g, max_age)) for g in AGE_GROUPS]


def _zone_bands(zones: pd.DataFrame) -> tuple[list[str], np.ndarray, int]:
    """Zone ids, the (zones × groups) band matrix and the number of zones whose bands are imputed."""
    cols = [f"pop_{g}" for g in AGE_GROUPS]
    issues = [
        DataIssue("zones", None, c, "required column is missing") for c in ("zone_id", *cols) if c not in zones.columns
    ]
    if issues:
        raise DataValidationError(issues)
    ids = zones["zone_id"].astype(str)
    vals = zones[cols].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(vals) | (vals < 0)
    for i, j in zip(*np.nonzero(bad)):
        issues.append(DataIssue("zones", int(i) + 1, cols[j], f"zone {ids.iloc[i]}: population missing or negative"))
    if ids.duplicated().any():
        issues.append(
            DataIssue("zones", None, "zone_id", f"duplicate zone ids {sorted(set(ids[ids.duplicated()]))[:10]}")
        )
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
        seg = w[lo : hi + 1]
        seg = seg / seg.sum() if seg.sum() > 0 else np.full(hi - lo + 1, 1.0 / (hi - lo + 1))
        out[:, lo : hi + 1] = bands[:, [j]] * seg[None, :]
    return out


def _to_bands(pop: np.ndarray, max_age: int) -> np.ndarray:
    return np.stack([pop[:, lo : hi + 1].sum(axis=1) for _, lo, hi in _band_slices(max_age)], axis=1)


def _factors(ids: list[str], params: PopulationParams) -> np.ndarray:
    zf = params.migration.zone_factors
    unknown = sorted(set(zf) - set(ids))
    if unknown:
        raise DataValidationError(
            [DataIssue("population parameters", None, "migration.zone_factors", f"unknown zones {unknown[:10]}")]
        )
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
        log.warning(
            "projection %d: net out-migration exceeds the population at some ages; %.1f persons clipped to 0",
            year,
            float(-new[new < 0].sum()),
        )
        new = np.maximum(new, 0.0)
    return new, births


def _run(
    pop0: np.ndarray, params: PopulationParams, last_year: int, factors: np.ndarray
) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
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
    >>> from facility_opt.projection import load_population_params
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
        raise DataValidationError(
            [
                DataIssue(
                    "population parameters",
                    None,
                    "base_year",
                    f"years {[y for y in years if y < params.base_year]} precede the "
                    f"projection's base year {params.base_year}",
                )
            ]
        )
    ids, bands, n_imputed = _zone_bands(zones)
    if n_imputed:
        log.info("projection: the base age structure of %d of %d zones is imputed, not real data", n_imputed, len(ids))
    pops, _ = _run(_split(bands, params), params, years[-1], _factors(ids, params))
    frames = []
    for y in years:
        b = bands if y == params.base_year else np.round(_to_bands(pops[y], params.max_age), DECIMALS)
        frames.append(
            pd.DataFrame(
                {
                    "zone_id": np.repeat(ids, len(AGE_GROUPS)),
                    "year": y,
                    "age_group": np.tile(AGE_GROUPS, len(ids)),
                    "population": b.reshape(-1),
                }
            )
        )
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
