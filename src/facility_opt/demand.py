"""Service demand per zone and year, and current capacity and usage per facility.

Demand of a service in a zone and year = target population × the service's ``demand_rate``
(capacity units per target resident, from the catalogue), where the target population is the sum of
the zone's ``pop_<group>`` columns over the service's ``target_groups``, scaled by a growth factor.

Growth (population projection) can be given as:

* ``None``: the base population in every year;
* a number: one scenario factor for every zone, year and age group (e.g. ``0.95``);
* a mapping ``{age_group: factor}``: a factor per age group (e.g. ``{"75_plus": 1.3}``; others 1);
* a DataFrame with a ``factor`` column and any of the key columns ``zone_id``, ``year``, ``age_group``:
  a projection table; every needed (zone, year, group) must find a factor (missing ones are an error
  naming them, never silently 1).

Instead of growth factors, ``population=`` takes projected populations: the long table
``zone_id, year, age_group, population`` of :func:`facility_opt.projection.project_population` or
:func:`facility_opt.projection.read_population_table`; the target population of a service in a zone
and year is then the sum of that year's populations of its target groups.

Capacity and usage (:func:`facility_capacity`) follow documented rules when usage is missing, so that
spare capacity, which consolidation may use, is never invented.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from .catalogue import Catalogue, default_catalogue
from .errors import DataIssue, DataValidationError
from .schema import AGE_GROUPS

__all__ = ["target_population", "zone_demand", "facility_capacity", "Growth"]

log = logging.getLogger(__name__)

Growth = float | Mapping[str, float] | pd.DataFrame | None


def _pop_long(zones: pd.DataFrame) -> pd.DataFrame:
    """Long table (zone_id, age_group, pop) of the age-group columns present."""
    cols = [f"pop_{g}" for g in AGE_GROUPS if f"pop_{g}" in zones.columns]
    long = zones[["zone_id", *cols]].melt(id_vars="zone_id", var_name="age_group", value_name="pop")
    long["age_group"] = long["age_group"].str.removeprefix("pop_")
    long["pop"] = pd.to_numeric(long["pop"], errors="coerce")
    return long


def target_population(
    zones: pd.DataFrame, catalogue: Catalogue | None = None, services: Iterable[str] | None = None
) -> pd.DataFrame:
    """Base-year target population of each service in each zone.

    Returns a long DataFrame ``zone_id, service_id, target_population``. A service that targets every
    age group uses ``population`` when the age columns are absent; otherwise each targeted
    ``pop_<group>`` column must be present and filled (an error lists the missing ones).
    """
    return (
        _target_by_group(zones, catalogue or default_catalogue(), services)
        .groupby(["zone_id", "service_id"], as_index=False, sort=True)["pop"]
        .sum()
        .rename(columns={"pop": "target_population"})
    )


def _target_by_group(zones: pd.DataFrame, catalogue: Catalogue, services: Iterable[str] | None) -> pd.DataFrame:
    """(zone_id, service_id, age_group, pop) rows; age_group 'total' when the whole population is used."""
    if "zone_id" not in zones.columns:
        raise DataValidationError([DataIssue("zones", None, "zone_id", "required column is missing")])
    zones = pd.DataFrame(zones).assign(zone_id=lambda d: d["zone_id"].astype(str))
    sids = sorted(catalogue.services) if services is None else list(services)
    unknown = [s for s in sids if s not in catalogue.services]
    if unknown:
        raise DataValidationError(
            [
                DataIssue(
                    "services", None, "service_id", f"unknown services {unknown}; known: {sorted(catalogue.services)}"
                )
            ]
        )
    long = _pop_long(zones)
    issues: list[DataIssue] = []
    parts = []
    for sid in sids:
        groups = [g.value for g in catalogue.services[sid].target_groups]
        have = [g for g in groups if f"pop_{g}" in zones.columns]
        if set(groups) == set(AGE_GROUPS) and len(have) < len(groups):
            if "population" not in zones.columns:
                issues.append(DataIssue("zones", None, "population", f"needed by service '{sid}'"))
                continue
            parts.append(
                pd.DataFrame(
                    {
                        "zone_id": zones["zone_id"],
                        "service_id": sid,
                        "age_group": "total",
                        "pop": pd.to_numeric(zones["population"], errors="coerce"),
                    }
                )
            )
            continue
        missing = [f"pop_{g}" for g in groups if g not in have]
        if missing:
            issues.append(
                DataIssue(
                    "zones",
                    None,
                    ";".join(missing),
                    f"service '{sid}' targets age groups {groups}; impute pop_<group> columns "
                    "(ward age shares) before computing demand",
                )
            )
            continue
        parts.append(long[long["age_group"].isin(groups)].assign(service_id=sid))
    if issues:
        raise DataValidationError(issues)
    out = pd.concat(parts, ignore_index=True)[["zone_id", "service_id", "age_group", "pop"]]
    bad = out[out["pop"].isna() | (out["pop"] < 0)]
    if len(bad):
        raise DataValidationError(
            [
                DataIssue(
                    "zones",
                    None,
                    f"pop_{r.age_group}" if r.age_group != "total" else "population",
                    f"zone {r.zone_id}: population missing or negative",
                )
                for r in bad.drop_duplicates(["zone_id", "age_group"]).itertuples()
            ]
        )
    return out


def _growth_factors(base: pd.DataFrame, years: list[int], growth: Growth) -> np.ndarray:
    """Factor for every row of ``base`` (zone_id, age_group, year)."""
    if growth is None:
        return np.ones(len(base))
    if isinstance(growth, (int, float)):
        if growth < 0:
            raise DataValidationError([DataIssue("growth", None, None, f"growth factor must be >= 0, got {growth}")])
        return np.full(len(base), float(growth))
    if isinstance(growth, Mapping):
        unknown = set(growth) - set(AGE_GROUPS)
        if unknown:
            raise DataValidationError(
                [
                    DataIssue(
                        "growth",
                        None,
                        "age_group",
                        f"unknown age groups {sorted(unknown)}; expected {list(AGE_GROUPS)}",
                    )
                ]
            )
        if (base["age_group"] == "total").any() and growth:
            raise DataValidationError(
                [DataIssue("zones", None, "pop_<group>", "age-group growth factors need the pop_<group> columns")]
            )
        return base["age_group"].map(lambda g: float(growth.get(g, 1.0))).to_numpy(dtype=float)
    if isinstance(growth, pd.DataFrame):
        keys = [k for k in ("zone_id", "year", "age_group") if k in growth.columns]
        if "factor" not in growth.columns or not keys:
            raise DataValidationError(
                [
                    DataIssue(
                        "growth", None, "factor", "a growth table needs 'factor' and some of zone_id, year, age_group"
                    )
                ]
            )
        if "age_group" in keys and (base["age_group"] == "total").any():
            raise DataValidationError(
                [DataIssue("zones", None, "pop_<group>", "age-group growth factors need the pop_<group> columns")]
            )
        g = growth[[*keys, "factor"]].copy()
        if "zone_id" in keys:
            g["zone_id"] = g["zone_id"].astype(str)
        if g.duplicated(keys).any():
            raise DataValidationError([DataIssue("growth", None, ",".join(keys), "duplicate keys in the growth table")])
        m = base[keys].merge(g, on=keys, how="left")
        if m["factor"].isna().any():
            miss = m.loc[m["factor"].isna(), keys].drop_duplicates().head(10).to_dict("records")
            raise DataValidationError(
                [
                    DataIssue(
                        "growth",
                        None,
                        "factor",
                        f"no growth factor for {len(m.loc[m['factor'].isna(), keys].drop_duplicates())} "
                        f"key combinations, e.g. {miss}",
                    )
                ]
            )
        return m["factor"].to_numpy(dtype=float)
    raise TypeError(f"growth must be None, a number, a mapping or a DataFrame, not {type(growth).__name__}")


def _target_from_population(
    population: pd.DataFrame,
    zones: pd.DataFrame | None,
    catalogue: Catalogue,
    services: Iterable[str] | None,
    years: Iterable[int] | None,
) -> pd.DataFrame:
    """(zone_id, service_id, year, pop) from a long projected-population table."""
    need = ["zone_id", "year", "age_group", "population"]
    missing = [c for c in need if c not in population.columns]
    if missing:
        raise DataValidationError([DataIssue("population", None, c, "required column is missing") for c in missing])
    pop = population[need].assign(
        zone_id=lambda d: d["zone_id"].astype(str), population=lambda d: pd.to_numeric(d["population"], errors="coerce")
    )
    issues = (
        [
            DataIssue(
                "population", None, "age_group", f"unknown age groups {sorted(set(pop['age_group']) - set(AGE_GROUPS))}"
            )
        ]
        if not set(pop["age_group"]) <= set(AGE_GROUPS)
        else []
    )
    if pop["population"].isna().any() or (pop["population"] < 0).any():
        issues.append(DataIssue("population", None, "population", "values must be numbers >= 0"))
    have_years = set(pop["year"].astype(int))
    years = sorted(have_years) if years is None else sorted({int(y) for y in years})
    if set(years) - have_years:
        issues.append(
            DataIssue("population", None, "year", f"no population for years {sorted(set(years) - have_years)}")
        )
    if zones is not None:
        lack = sorted(set(zones["zone_id"].astype(str)) - set(pop["zone_id"]))
        if lack:
            issues.append(
                DataIssue("population", None, "zone_id", f"no population for {len(lack)} zones, e.g. {lack[:5]}")
            )
    sids = sorted(catalogue.services) if services is None else list(services)
    unknown = [s for s in sids if s not in catalogue.services]
    if unknown:
        issues.append(
            DataIssue(
                "services", None, "service_id", f"unknown services {unknown}; known: {sorted(catalogue.services)}"
            )
        )
    if issues:
        raise DataValidationError(issues)
    pop = pop[pop["year"].astype(int).isin(years)].assign(year=lambda d: d["year"].astype(int))
    groups = pd.DataFrame(
        [(sid, g.value) for sid in sids for g in catalogue.services[sid].target_groups],
        columns=["service_id", "age_group"],
    )
    out = pop.merge(groups, on="age_group").rename(columns={"population": "pop"})
    return out[["zone_id", "service_id", "year", "pop"]]


def zone_demand(
    zones: pd.DataFrame | None,
    catalogue: Catalogue | None = None,
    services: Iterable[str] | None = None,
    years: Iterable[int] | None = None,
    growth: Growth = None,
    population: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Demand per zone, service and projection year.

    Parameters
    ----------
    zones : DataFrame or None
        ``zone_id`` and ``pop_<group>`` columns (and/or ``population``), e.g. ``ward.zones``. With
        ``population`` it may be None; if given, every zone must be in the population table.
    catalogue : Catalogue, optional
        Services with ``target_groups`` and ``demand_rate``; defaults to the shipped catalogue.
    services : iterable of str, optional
        Service ids (default: all in the catalogue).
    years : iterable of int, optional
        Projection years (default: ``[0]``, i.e. the base year only).
    growth : None, float, mapping or DataFrame
        Population projection (see the module docstring).
    population : DataFrame, optional
        Projected population ``zone_id, year, age_group, population`` (instead of ``growth``);
        ``years`` defaults to its years, and every requested year must be in it.

    Returns
    -------
    DataFrame
        ``zone_id, service_id, year, target_population, demand`` sorted by zone, service, year;
        ``demand = target_population × demand_rate``.

    Examples
    --------
    >>> import pandas as pd
    >>> z = pd.DataFrame({"zone_id": ["a"], "population": [1000], "pop_0_5": [60.0], "pop_6_11": [50.0],
    ...                   "pop_12_14": [25.0], "pop_15_64": [650.0], "pop_65_74": [115.0], "pop_75_plus": [100.0]})
    >>> d = zone_demand(z, services=["nursery"], years=[2020, 2030], growth={"0_5": 0.9})
    >>> d[["year", "target_population", "demand"]].round(2).values.tolist()
    [[2020.0, 54.0, 6.48], [2030.0, 54.0, 6.48]]

    With a projected population (e.g. from :func:`facility_opt.projection.project_population`):

    >>> pop = pd.DataFrame({"zone_id": "a", "year": [2020, 2030], "age_group": "0_5", "population": [60.0, 50.0]})
    >>> d = zone_demand(None, services=["nursery"], population=pop)
    >>> d[["year", "target_population", "demand"]].round(2).values.tolist()
    [[2020.0, 60.0, 7.2], [2030.0, 50.0, 6.0]]
    """
    catalogue = catalogue or default_catalogue()
    if population is not None:
        if growth is not None:
            raise DataValidationError(
                [DataIssue("growth", None, None, "give growth factors or a projected population, not both")]
            )
        base = _target_from_population(population, zones, catalogue, services, years)
    else:
        years = [0] if years is None else sorted({int(y) for y in years})
        tg = _target_by_group(zones, catalogue, services)
        base = tg.merge(pd.DataFrame({"year": years}), how="cross")
        base["pop"] = base["pop"].to_numpy(dtype=float) * _growth_factors(base, years, growth)
    out = base.groupby(["zone_id", "service_id", "year"], as_index=False, sort=True)["pop"].sum()
    out = out.rename(columns={"pop": "target_population"})
    rate = out["service_id"].map({s: catalogue.services[s].demand_rate for s in catalogue.services})
    out["demand"] = out["target_population"] * rate.to_numpy(dtype=float)
    return out.reset_index(drop=True)


def facility_capacity(
    facility_services: pd.DataFrame,
    annual_users_per_unit: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Capacity, usage and spare capacity of each (facility, service).

    Usage rules, in order (the column ``usage_source`` says which one applied):

    1. ``utilisation`` given: ``used = capacity × utilisation``;
    2. else ``annual_users`` given and a throughput ``annual_users_per_unit[service]`` (annual users one
       unit of capacity serves at full use) is known: ``utilisation = annual_users / (capacity × throughput)``;
    3. else ``assumed_full``: ``used = capacity``, spare 0 (unknown usage is never counted as spare).

    ``spare = max(capacity − used, 0)``; ``over = max(used − capacity, 0)`` (over-subscription, e.g. a
    waiting list).

    Returns
    -------
    DataFrame
        ``facility_id, service_id, capacity, annual_users, utilisation, used, spare, over, usage_source``.

    Examples
    --------
    >>> import pandas as pd
    >>> fs = pd.DataFrame({"facility_id": ["a", "b", "c"], "service_id": ["community_meeting"] * 3,
    ...                    "capacity": [4.0, 3.0, 2.0], "annual_users": [None, 9000.0, None],
    ...                    "utilisation": [0.43, None, None]})
    >>> facility_capacity(fs, {"community_meeting": 6000.0})[["used", "spare", "usage_source"]].values.tolist()
    [[1.72, 2.28, 'utilisation'], [1.5, 1.5, 'annual_users'], [2.0, 0.0, 'assumed_full']]
    """
    fs = pd.DataFrame(facility_services).copy()
    need = ["facility_id", "service_id", "capacity"]
    missing = [c for c in need if c not in fs.columns]
    if missing:
        raise DataValidationError(
            [DataIssue("facility_services", None, c, "required column is missing") for c in missing]
        )
    for c in ("annual_users", "utilisation"):
        fs[c] = pd.to_numeric(fs[c], errors="coerce") if c in fs.columns else np.nan
    fs["capacity"] = pd.to_numeric(fs["capacity"], errors="coerce")
    bad = fs["capacity"].isna() | (fs["capacity"] < 0)
    if bad.any():
        raise DataValidationError(
            [
                DataIssue("facility_services", int(i) + 1, "capacity", "capacity must be >= 0")
                for i in np.flatnonzero(bad.to_numpy())[:20]
            ]
        )
    through = fs["service_id"].map(dict(annual_users_per_unit or {})).astype(float)
    util = fs["utilisation"].to_numpy(dtype=float)
    src = np.where(~np.isnan(util), "utilisation", "assumed_full").astype(object)
    from_users = (
        np.isnan(util)
        & fs["annual_users"].notna().to_numpy()
        & through.notna().to_numpy()
        & (fs["capacity"].to_numpy() > 0)
    )
    util = np.where(
        from_users,
        fs["annual_users"].to_numpy(dtype=float)
        / (fs["capacity"].to_numpy(dtype=float) * through.to_numpy(dtype=float)),
        util,
    )
    src[from_users] = "annual_users"
    cap = fs["capacity"].to_numpy(dtype=float)
    used = np.where(np.isnan(util), cap, cap * np.nan_to_num(util))
    n_assumed = int((src == "assumed_full").sum())
    if n_assumed:
        log.info(
            "capacity: %d of %d facility services have no usage data; counted as fully used (no spare)",
            n_assumed,
            len(fs),
        )
    out = pd.DataFrame(
        {
            "facility_id": fs["facility_id"].astype(str).to_numpy(),
            "service_id": fs["service_id"].astype(str).to_numpy(),
            "capacity": cap,
            "annual_users": fs["annual_users"].to_numpy(dtype=float),
            "utilisation": util,
            "used": used,
            "spare": np.maximum(cap - used, 0.0),
            "over": np.maximum(used - cap, 0.0),
            "usage_source": src,
        }
    )
    out[["used", "spare", "over"]] = out[["used", "spare", "over"]].round(9)
    return out.sort_values(["facility_id", "service_id"], kind="mergesort").reset_index(drop=True)
