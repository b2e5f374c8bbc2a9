"""A user's own zone × age × year population table (wide like ``zones.csv`` or long), read and checked row
by row, and the rows a ward needs."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataIssue, DataValidationError
from ..schema import AGE_GROUPS
from .cohort import _sorted

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
    from ..loading import read_text_any_encoding

    path = Path(path)
    file = str(path)
    if not path.is_file():
        raise DataValidationError([DataIssue(file, None, None, "population table not found")])
    try:
        df = pd.read_csv(
            io.StringIO(read_text_any_encoding(path)), dtype=str, keep_default_na=False, skipinitialspace=True
        )
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
        issues += [
            DataIssue(file, None, c, f"unknown age group '{c[4:]}'; expected {list(AGE_GROUPS)}")
            for c in pop_cols
            if c[4:] not in AGE_GROUPS
        ]
        issues += [
            DataIssue(file, None, f"pop_{g}", "required column is missing")
            for g in AGE_GROUPS
            if f"pop_{g}" not in df.columns
        ]
        extra = [
            c
            for c in df.columns
            if c not in {"_row", "zone_id", "year", *pop_cols, *_IGNORED_WIDE} and not c.startswith("x_")
        ]
        issues += [
            DataIssue(
                file,
                None,
                c,
                "unknown column (a wide table has zone_id, year and pop_<group> "
                "columns; a long one zone_id, year, age_group, population)",
            )
            for c in extra
        ]
        if issues:
            raise DataValidationError(issues)
        long = df.melt(
            id_vars=["_row", "zone_id", "year"],
            value_vars=[f"pop_{g}" for g in AGE_GROUPS],
            var_name="age_group",
            value_name="population",
        )
        long["age_group"] = long["age_group"].str.removeprefix("pop_")
        key = ["zone_id", "year"]
    if issues:
        raise DataValidationError(issues)
    return _validate_long(long, key, file)


def select_population(
    table: pd.DataFrame, zone_ids: Iterable[str], years: Iterable[int], source: str | Path = "population table"
) -> pd.DataFrame:
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
        issues.append(
            DataIssue(str(source), None, "zone_id", f"no rows for {len(lack_z)} zones of the ward, e.g. {lack_z[:5]}")
        )
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
            issues.append(
                DataIssue(
                    file,
                    None,
                    "year",
                    f"zone {z}: missing years {gap[:10]}"
                    f"{' ...' if len(gap) > 10 else ''} (every zone needs every year "
                    f"{min(all_years)}..{max(all_years)})",
                )
            )
    if not wide:
        for (z, y), grp in long.groupby(["zone_id", "year"], sort=True):
            lack = [g for g in AGE_GROUPS if g not in set(grp["age_group"])]
            if lack:
                issues.append(
                    DataIssue(
                        file, int(grp["_row"].max()), "age_group", f"zone {z}, year {y}: missing age groups {lack}"
                    )
                )
    if issues:
        raise DataValidationError(issues)
    return _sorted(long)
