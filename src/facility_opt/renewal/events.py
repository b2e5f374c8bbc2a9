"""The renewal events of a ward's buildings: every renovation, repair and rebuild due in the horizon.

The rules (stated once; tested on hand-computed single buildings in ``tests/test_costs.py``):

1. Ages are counted from the construction year: a building built in year *b* is due for an intervention
   at age *a* in year *b + a*; its cost is spread evenly over ``spread_years`` years starting that year.
   Parts of a spread that fall after the horizon are not charged.
2. After a rebuild the cycle restarts: the rebuilt building counts as built in the year its rebuild fell
   due, so (by default) it is renovated 30 years later and rebuilt 60 years later.
3. Backlog, at the start year *S* (age ``S - b``):

   * a rebuild that fell due before *S* (age > rebuild age) is charged as ``rebuild_backlog`` by the
     backlog rule (default: evenly over the first 10 years); the building then counts as rebuilt in *S*
     and its earlier overdue interventions are dropped;
   * otherwise an intervention that fell due before *S* is charged as ``<name>_backlog`` if the building
     is at most ``skip_if_older_than`` years old at *S* (default renovation: 50, i.e. 築31-50年), and is
     skipped if older (築51年以上: the rebuild is near); the rebuild then follows at its normal age.

4. Optional: a demolition cost per m² charged with each rebuild (kind ``demolition``).

:func:`renewal_events` lists the events (one row per intervention, before spreading);
:func:`facility_opt.renewal.projection.project_renewal` spreads them into yearly costs and the
scheduler (:mod:`facility_opt.renewal.schedule`) places them in years.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..catalogue import Catalogue, default_catalogue
from ..errors import DataIssue, DataValidationError
from ..units import MAN_YEN
from .params import RenewalCostParams, RenewalPreset, default_renewal_params

__all__ = ["renewal_events", "EVENT_COLUMNS"]


def _validate_facilities(facilities: pd.DataFrame, catalogue: Catalogue) -> list[DataIssue]:
    issues: list[DataIssue] = []
    need = ["facility_id", "category", "floor_area_m2", "year_built"]
    missing = [c for c in need if c not in facilities.columns]
    if missing:
        return [DataIssue("facilities", None, c, "required column is missing") for c in missing]
    if facilities["facility_id"].duplicated().any():
        dups = sorted(facilities.loc[facilities["facility_id"].duplicated(), "facility_id"].astype(str).unique())
        issues.append(DataIssue("facilities", None, "facility_id", f"duplicate ids {dups[:10]}"))
    unknown = ~facilities["category"].isin(list(catalogue.categories))
    for row in np.flatnonzero(unknown.to_numpy())[:20]:
        issues.append(
            DataIssue(
                "facilities",
                int(row) + 1,
                "category",
                f"unknown category {facilities['category'].iloc[row]!r}; known: {sorted(catalogue.categories)}",
            )
        )
    area = pd.to_numeric(facilities["floor_area_m2"], errors="coerce")
    for row in np.flatnonzero(~(area > 0).to_numpy())[:20]:
        issues.append(
            DataIssue(
                "facilities",
                int(row) + 1,
                "floor_area_m2",
                f"floor area must be a positive number, got {facilities['floor_area_m2'].iloc[row]!r}",
            )
        )
    yb = pd.to_numeric(facilities["year_built"], errors="coerce")
    for row in np.flatnonzero(yb.isna().to_numpy())[:20]:
        issues.append(DataIssue("facilities", int(row) + 1, "year_built", "year built is missing; impute it first"))
    return issues


EVENT_COLUMNS = [
    "facility_id",
    "category",
    "cost_class",
    "floor_area_m2",
    "kind",
    "cycle",
    "due_year",
    "backlog",
    "cost_yen",
    "demolition_yen",
    "spread_years",
]


def renewal_events(
    facilities: pd.DataFrame,
    *,
    start_year: int,
    params: RenewalCostParams | None = None,
    catalogue: Catalogue | None = None,
    horizon_years: int | None = None,
) -> pd.DataFrame:
    """The renewal events (renovations, repairs, rebuilds) of every building that fall due in the horizon.

    One row per intervention, before any spreading: this is the table :func:`project_renewal` spreads
    into yearly costs, and the one the renewal scheduler (:mod:`facility_opt.renewal.schedule`) places in years.
    The rules are those of the module docstring: a backlog event (``backlog`` True) fell due before the
    start year and is kept by the backlog convention (overdue rebuilds always, overdue interventions
    while the building is at most ``skip_if_older_than`` years old); after an overdue rebuild the
    building counts as rebuilt in the start year.

    Parameters
    ----------
    facilities : DataFrame
        Columns ``facility_id, category, floor_area_m2, year_built`` (as :func:`project_renewal`).
    start_year, params, catalogue, horizon_years
        As :func:`project_renewal`.

    Returns
    -------
    DataFrame
        ``facility_id, category, cost_class, floor_area_m2, kind`` (an intervention name or
        ``rebuild``), ``cycle`` (0 for the building's current life cycle, 1 for the next...),
        ``due_year`` (the nominal year; before the start year for backlog), ``backlog``, ``cost_yen``
        (the whole intervention), ``demolition_yen`` (with rebuilds), ``spread_years`` (the
        intervention's own spreading). Sorted by facility, due year, kind.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"facility_id": ["A"], "category": ["primary_school"],
    ...                   "floor_area_m2": [1000.0], "year_built": [1975]})
    >>> e = renewal_events(f, start_year=2016)
    >>> e[["kind", "due_year", "backlog", "cost_yen"]].to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'kind': 'renovation', 'due_year': 2005, 'backlog': True, 'cost_yen': 170000000.0},
     {'kind': 'rebuild', 'due_year': 2035, 'backlog': False, 'cost_yen': 330000000.0}]
    """
    params = params or default_renewal_params()
    catalogue = catalogue or default_catalogue()
    horizon = int(horizon_years or params.horizon_years)
    issues = _validate_facilities(facilities, catalogue)
    if issues:
        raise DataValidationError(issues)
    first, last = int(start_year), int(start_year) + horizon - 1
    fid = facilities["facility_id"].astype(str).to_numpy()
    cat = facilities["category"].astype(str).to_numpy()
    cls = np.array([catalogue.categories[c].cost_class.value for c in cat], dtype=object)
    area = facilities["floor_area_m2"].to_numpy(dtype=float)
    built = facilities["year_built"].to_numpy(dtype=float).astype(np.int64)
    rows = _event_rows(params.active, cls, area, built, first, last)
    return _events_frame(rows, fid, cat, cls, area)


def _event_rows(
    cycle: RenewalPreset, cls: np.ndarray, area: np.ndarray, built: np.ndarray, first: int, last: int
) -> list[tuple]:
    """The events as (idx, kind, cycle, due, backlog, cost, demolition, spread) blocks of facility indices."""
    L = cycle.rebuild_age
    unit = {
        basis: np.array([cycle.unit_cost_yen_per_m2(c, basis) for c in cls], dtype=float)
        for basis in ("renovation", "rebuild")
    }
    n = len(cls)
    all_idx = np.arange(n)
    rows: list[tuple] = []  # (idx, kind, cycle, due, backlog, cost, demolition, spread)

    def add(idx, kind, cyc, due, backlog, cost, demo, spread):
        if idx.size:
            rows.append((idx, kind, cyc, due, backlog, cost, demo, spread))

    rebuild_cost = area * unit["rebuild"]
    demolition_cost = area * cycle.demolition_man_yen_per_m2 * MAN_YEN
    age0 = first - built
    overdue_rebuild = built + L < first
    base = np.where(overdue_rebuild, first, built)

    # backlog: an overdue rebuild resets the building; otherwise overdue interventions of this cycle
    ob = all_idx[overdue_rebuild]
    add(ob, "rebuild", 0, built[ob] + L, True, rebuild_cost[ob], demolition_cost[ob], cycle.rebuild_spread_years)
    for iv in cycle.interventions:
        overdue = ~overdue_rebuild & (built + iv.age < first)
        if iv.skip_if_older_than is not None:
            overdue &= age0 <= iv.skip_if_older_than
        o = all_idx[overdue]
        add(
            o,
            iv.name,
            0,
            built[o] + iv.age,
            True,
            (area * unit[iv.basis] * iv.share)[o],
            np.zeros(o.size),
            iv.spread_years,
        )

    # regular cycles from each building's base year (cycle numbers count from the current one)
    n_cycles = max(0, math.ceil((last - int(base.min())) / L) + 1) if n else 0
    shift = overdue_rebuild.astype(np.int64)  # a building rebuilt at the start is in its next cycle
    for k in range(n_cycles):
        start_k = base + k * L
        for iv in cycle.interventions:
            due = start_k + iv.age
            ok = all_idx[(due >= first) & (due <= last)]
            add(
                ok,
                iv.name,
                k + shift[ok],
                due[ok],
                False,
                (area * unit[iv.basis] * iv.share)[ok],
                np.zeros(ok.size),
                iv.spread_years,
            )
        due = start_k + L
        ok = all_idx[(due >= first) & (due <= last)]
        add(
            ok,
            "rebuild",
            k + shift[ok],
            due[ok],
            False,
            rebuild_cost[ok],
            demolition_cost[ok],
            cycle.rebuild_spread_years,
        )
    return rows


def _events_frame(
    rows: list[tuple], fid: np.ndarray, cat: np.ndarray, cls: np.ndarray, area: np.ndarray
) -> pd.DataFrame:
    """The event blocks as one table (``EVENT_COLUMNS``), sorted by facility, due year, kind."""
    if rows:
        idx = np.concatenate([r[0] for r in rows])
        size = [r[0].size for r in rows]
        cols = {
            "kind": np.concatenate([np.full(k, r[1], dtype=object) for r, k in zip(rows, size)]),
            "cycle": np.concatenate(
                [np.broadcast_to(np.asarray(r[2], dtype=np.int64), (k,)) for r, k in zip(rows, size)]
            ),
            "due_year": np.concatenate([np.asarray(r[3], dtype=np.int64) for r in rows]),
            "backlog": np.concatenate([np.full(k, r[4], dtype=bool) for r, k in zip(rows, size)]),
            "cost_yen": np.concatenate([np.asarray(r[5], dtype=float) for r in rows]),
            "demolition_yen": np.concatenate([np.asarray(r[6], dtype=float) for r in rows]),
            "spread_years": np.concatenate([np.full(k, r[7], dtype=np.int64) for r, k in zip(rows, size)]),
        }
    else:
        idx = np.array([], dtype=np.int64)
        cols = {
            "kind": np.array([], dtype=object),
            "cycle": idx,
            "due_year": idx,
            "backlog": np.array([], bool),
            "cost_yen": np.array([], float),
            "demolition_yen": np.array([], float),
            "spread_years": idx,
        }
    df = pd.DataFrame(
        {"facility_id": fid[idx], "category": cat[idx], "cost_class": cls[idx], "floor_area_m2": area[idx], **cols}
    )
    df = df.sort_values(["facility_id", "due_year", "kind"], kind="mergesort").reset_index(drop=True)
    return df[EVENT_COLUMNS]
