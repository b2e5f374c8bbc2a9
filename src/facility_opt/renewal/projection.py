"""Yearly renewal (and operation) costs of every building: the events spread over their years.

The model charges, for every building and every year of a horizon (default 30 years):

* **interventions** of its life cycle (:func:`facility_opt.renewal.events.renewal_events`): by default
  a major renovation (大規模改修) 30 years after (re)construction, its cost spread evenly over 2 years,
  and a rebuild (建替え) at 60 years spread over 3 years; cost = floor area × a unit cost (万円/m²) of
  the building's 総務省 cost class;
* **backlog** (積み残し): work that fell due before the start year (see
  :class:`~facility_opt.renewal.params.BacklogRule`);
* **operation**: the facility's annual operating cost, every year;
* optionally a real discount rate (column ``cost_pv_yen``).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ..catalogue import Catalogue, default_catalogue
from .events import renewal_events
from .params import BacklogRule, RenewalCostParams, default_renewal_params

__all__ = ["project_renewal", "totals_by_year", "COST_COLUMNS"]

log = logging.getLogger(__name__)

COST_COLUMNS = ["facility_id", "category", "cost_class", "year", "kind", "cost_yen", "cost_pv_yen"]


def _emit(
    out: list, idx: np.ndarray, due: np.ndarray, amount: np.ndarray, spread: int, kind: str, first: int, last: int
) -> None:
    """Append (facility index, year, kind, cost) rows for costs spread evenly from ``due`` on."""
    keep = (amount > 0) & (due <= last) & (due + spread - 1 >= first)
    if not keep.any():
        return
    idx, due, amount = idx[keep], due[keep], amount[keep]
    offs = np.arange(spread)
    years = (due[:, None] + offs[None, :]).ravel()
    ii = np.repeat(idx, spread)
    cc = np.repeat(amount / spread, spread)
    inside = (years >= first) & (years <= last)
    out.append((ii[inside], years[inside], kind, cc[inside]))


def _emit_backlog(
    out: list, idx: np.ndarray, amount: np.ndarray, kind: str, rule: BacklogRule, first: int, last: int
) -> None:
    if rule.rule == "skip" or idx.size == 0:
        return
    spread = rule.years if rule.rule == "spread" else 1
    _emit(out, idx, np.full(idx.size, first, dtype=np.int64), amount, spread, f"{kind}_backlog", first, last)


def project_renewal(
    facilities: pd.DataFrame,
    *,
    start_year: int,
    params: RenewalCostParams | None = None,
    catalogue: Catalogue | None = None,
    horizon_years: int | None = None,
    include_operation: bool = True,
) -> pd.DataFrame:
    """Renewal (and operation) cost of every facility in every year of the horizon.

    Parameters
    ----------
    facilities : DataFrame
        Columns ``facility_id, category, floor_area_m2, year_built`` and optionally
        ``operating_cost_yen`` (yen/year); a GeoDataFrame works as is.
    start_year : int
        First year of the projection (the backlog is charged from this year).
    params : RenewalCostParams, optional
        Defaults to :func:`default_renewal_params` (the 総務省 standard).
    catalogue : Catalogue, optional
        Maps each category to its cost class; defaults to :func:`facility_opt.default_catalogue`.
    horizon_years : int, optional
        Overrides ``params.horizon_years``.
    include_operation : bool
        Add the ``operation`` rows (annual operating cost).

    Returns
    -------
    DataFrame
        Long and tidy, one row per (facility, year, kind) with a non-zero cost:
        ``facility_id, category, cost_class, year, kind, cost_yen, cost_pv_yen``; kinds are the
        interventions' names (``renovation``...), ``rebuild``, ``demolition``, ``<kind>_backlog``,
        ``operation``. Sorted by facility, year, kind.

    Raises
    ------
    DataValidationError
        Missing columns, unknown categories, non-positive areas, missing construction years.

    Notes
    -----
    The events themselves (one row per intervention, before spreading) are :func:`renewal_events`.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"facility_id": ["A"], "category": ["primary_school"],
    ...                   "floor_area_m2": [1000.0], "year_built": [1990]})
    >>> c = project_renewal(f, start_year=2016)
    >>> c.groupby("kind")["cost_yen"].sum().to_dict()  # 17 万円/m² renovation in 2020-21
    {'renovation': 170000000.0}
    """
    params = params or default_renewal_params()
    catalogue = catalogue or default_catalogue()
    horizon = int(horizon_years or params.horizon_years)
    ev = renewal_events(facilities, start_year=start_year, params=params, catalogue=catalogue, horizon_years=horizon)
    first, last = int(start_year), int(start_year) + horizon - 1

    fid = facilities["facility_id"].astype(str).to_numpy()
    cat = facilities["category"].astype(str).to_numpy()
    cls = np.array([catalogue.categories[c].cost_class.value for c in cat], dtype=object)
    area = facilities["floor_area_m2"].to_numpy(dtype=float)
    out: list = []
    _event_rows(out, ev, pd.Series(np.arange(len(fid)), index=fid), params.active.backlog, first, last)
    if include_operation:
        _operation_rows(out, facilities, params, area, horizon, first, last)
    return _costs_frame(out, fid, cat, cls, params.discount_rate, first)


def _event_rows(out: list, ev: pd.DataFrame, pos: pd.Series, backlog_rule: BacklogRule, first: int, last: int) -> None:
    """Append the events' costs (and demolitions) spread over their years; backlog by the backlog rule."""
    e_idx = pos.reindex(ev["facility_id"]).to_numpy()
    e_due = ev["due_year"].to_numpy(dtype=np.int64)
    e_cost = ev["cost_yen"].to_numpy(dtype=float)
    e_demo = ev["demolition_yen"].to_numpy(dtype=float)
    for (kind, spread, backlog), g in ev.groupby(["kind", "spread_years", "backlog"], sort=True).indices.items():
        g = np.asarray(g)
        if backlog:
            _emit_backlog(out, e_idx[g], e_cost[g], kind, backlog_rule, first, last)
            if kind == "rebuild":
                _emit_backlog(out, e_idx[g], e_demo[g], "demolition", backlog_rule, first, last)
        else:
            _emit(out, e_idx[g], e_due[g], e_cost[g], int(spread), kind, first, last)
            if kind == "rebuild":
                _emit(out, e_idx[g], e_due[g], e_demo[g], int(spread), "demolition", first, last)


def _operation_rows(
    out: list,
    facilities: pd.DataFrame,
    params: RenewalCostParams,
    area: np.ndarray,
    horizon: int,
    first: int,
    last: int,
) -> None:
    """Append every facility's annual operating cost (``default_operation_yen_per_m2`` where it has none)."""
    n = len(area)
    if "operating_cost_yen" in facilities.columns:
        op = pd.to_numeric(facilities["operating_cost_yen"], errors="coerce").to_numpy(dtype=float)
    else:
        op = np.full(n, np.nan)
    missing = np.isnan(op)
    if missing.any():
        if params.default_operation_yen_per_m2 is not None:
            op = np.where(missing, area * params.default_operation_yen_per_m2, op)
            log.info(
                "operation cost: %d facilities without operating_cost_yen charged %.0f yen/m²/year",
                int(missing.sum()),
                params.default_operation_yen_per_m2,
            )
        else:
            op = np.where(missing, 0.0, op)
            log.warning(
                "operation cost: %d of %d facilities have no operating_cost_yen and are charged 0 "
                "(set default_operation_yen_per_m2 to charge them)",
                int(missing.sum()),
                n,
            )
    all_idx = np.arange(n)
    _emit(out, all_idx, np.full(n, first, dtype=np.int64), op * horizon, horizon, "operation", first, last)


def _costs_frame(
    out: list, fid: np.ndarray, cat: np.ndarray, cls: np.ndarray, discount_rate: float, first: int
) -> pd.DataFrame:
    """The emitted (facility index, year, kind, cost) blocks summed into ``COST_COLUMNS`` rows, sorted."""
    if out:
        idx = np.concatenate([o[0] for o in out])
        years = np.concatenate([o[1] for o in out])
        kinds = np.concatenate([np.full(o[0].size, o[2], dtype=object) for o in out])
        costs = np.concatenate([o[3] for o in out])
    else:
        idx, years, kinds, costs = (np.array([], dtype=np.int64),) * 2 + (
            np.array([], dtype=object),
            np.array([], dtype=float),
        )
    df = pd.DataFrame({"i": idx, "year": years.astype(np.int64), "kind": kinds, "cost_yen": costs})
    df = df.groupby(["i", "year", "kind"], as_index=False, sort=False)["cost_yen"].sum()
    df.insert(0, "facility_id", fid[df["i"].to_numpy()])
    df.insert(1, "category", cat[df["i"].to_numpy()])
    df.insert(2, "cost_class", cls[df["i"].to_numpy()])
    df = df.drop(columns="i")
    df["cost_pv_yen"] = df["cost_yen"] / (1.0 + discount_rate) ** (df["year"] - first)
    df = df.sort_values(["facility_id", "year", "kind"], kind="mergesort").reset_index(drop=True)
    return df[COST_COLUMNS]


def totals_by_year(costs: pd.DataFrame, by: str | None = "kind", value: str = "cost_yen") -> pd.DataFrame:
    """Wide table of totals: one row per year, one column per ``by`` value (``kind``, ``category``,
    ``cost_class``...), plus ``total``. ``by=None`` gives only ``total``. Years without cost are 0."""
    if costs.empty:
        return pd.DataFrame(columns=["total"])
    years = pd.RangeIndex(int(costs["year"].min()), int(costs["year"].max()) + 1, name="year")
    if by is None:
        wide = costs.groupby("year")[value].sum().to_frame("total")
    else:
        wide = costs.pivot_table(index="year", columns=by, values=value, aggfunc="sum", fill_value=0.0)
        wide.columns = [str(c) for c in wide.columns]
        wide = wide[sorted(wide.columns)]
        wide["total"] = wide.sum(axis=1)
    return wide.reindex(years, fill_value=0.0)
