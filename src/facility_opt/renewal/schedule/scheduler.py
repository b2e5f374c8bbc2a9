"""The renewal scheduler: :class:`RenewalScheduler` (parameters) -> ``solve(facilities)`` -> :class:`ScheduleResult`."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ...catalogue import Catalogue, default_catalogue
from ...errors import DataIssue, DataValidationError, ModelConfigError
from ...solver import SolveInfo, SolverOptions
from ..events import _validate_facilities
from ..params import RenewalCostParams, default_renewal_params
from .assemble import _assemble
from .buildings import _one_cycle_per_building
from .diagnose import _precheck, _require
from .milp import SCALE, _Model
from .params import Budget, ScheduleParams, _as_budget, default_schedule_params
from .prepare import _prepare, _Prepared
from .result import ScheduleResult

__all__ = ["RenewalScheduler", "schedule_renewals"]


@dataclass(frozen=True, kw_only=True)
class RenewalScheduler:
    """Renewal scheduling under an annual budget; ``solve(facilities)`` never changes ``facilities``.

    Parameters are those of :func:`schedule_renewals` (which is ``RenewalScheduler(...).solve(facilities)``):
    ``start_year``, ``budget`` or ``min_budget`` (with ``min_budget_within``), co-location ``ties``,
    scheduling ``params``, ``renewal_params``, ``catalogue``, ``horizon_years`` and solver ``options``.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"facility_id": ["A", "B"], "category": ["primary_school"] * 2,
    ...                   "floor_area_m2": [1000.0, 1000.0], "year_built": [1960, 1960]})
    >>> r = RenewalScheduler(start_year=2018, horizon_years=10, budget=1.1e8).solve(f)
    >>> r.status, r.to_frame()["scheduled_year"].tolist()
    ('optimal', [2018, 2021])
    """

    start_year: int
    budget: Budget | float | Mapping[int, float] | None = None
    min_budget: bool = False
    min_budget_within: Literal["windows", "hard_limits"] = "windows"
    ties: Mapping[str, str] | pd.DataFrame | None = None
    params: ScheduleParams | None = None
    renewal_params: RenewalCostParams | None = None
    catalogue: Catalogue | None = None
    horizon_years: int | None = None
    options: SolverOptions | None = None

    def solve(self, facilities: pd.DataFrame) -> ScheduleResult:
        """The cheapest schedule under the caps (or at the smallest level budget); see :func:`schedule_renewals`."""
        params = self.params or default_schedule_params()
        rparams = self.renewal_params or default_renewal_params()
        catalogue = self.catalogue or default_catalogue()
        horizon = int(self.horizon_years or rparams.horizon_years)
        min_budget = self.min_budget
        if self.budget is None and not min_budget:
            raise ModelConfigError(
                "give a budget (yen per year, a {year: yen} mapping or a Budget), or min_budget=True"
            )
        ties = _tie_map(self.ties)
        issues = _validate_facilities(facilities, catalogue)
        if issues:
            raise DataValidationError(issues)
        facilities = _one_cycle_per_building(facilities)
        P = _prepare(
            facilities,
            start_year=self.start_year,
            horizon=horizon,
            params=params,
            rparams=rparams,
            catalogue=catalogue,
            ties=ties or {},
            mode="min_budget" if min_budget else "cap",
            within=self.min_budget_within,
        )
        years = np.arange(P.first, P.last + 1)
        opts = self.options or SolverOptions(gap_rel=1e-3, time_limit=120)
        level = None
        if min_budget:
            model, info, caps, level = _solve_min_budget(P, params, opts, len(years))
        else:
            caps = _as_budget(self.budget).caps(years)
            _precheck(P, caps, params.fund)
            model = _Model(P, params, caps=caps)
            model.objective_cost()
            info = model.m.solve(opts)
            _require(info, P, params, caps)
        counts = model.values()
        return _assemble(
            P,
            params,
            rparams,
            catalogue,
            facilities,
            counts,
            caps,
            info,
            level,
            "min_budget" if min_budget else "cap",
            horizon,
        )


def _tie_map(ties: Mapping[str, str] | pd.DataFrame | None) -> Mapping[str, str] | None:
    """Ties as ``{guest: host}`` (a table needs columns ``building_id, host_building_id``)."""
    if isinstance(ties, pd.DataFrame):
        if not {"building_id", "host_building_id"} <= set(ties.columns):
            raise DataValidationError(
                [DataIssue("ties", None, "host_building_id", "a tie table needs columns building_id, host_building_id")]
            )
        ties = dict(zip(ties["building_id"].astype(str), ties["host_building_id"].astype(str)))
    return ties


def _solve_min_budget(P: _Prepared, params: ScheduleParams, opts: SolverOptions, n_years: int):
    """The smallest level budget (to the 万円, rounded up), then the cheapest schedule at that level."""
    m = _Model(P, params, caps=None)
    m.m.set_objective([(m.B, 1.0)] + list(zip(m.x, (m.coef * 1e-9).tolist())))
    info1 = m.m.solve(opts)
    _require(info1, P, params, None)
    level = float(m.B.value()) * SCALE
    level = np.ceil(level / 1e4 - 1e-9) * 1e4  # to the 万円, rounded up: the schedule stays feasible
    caps = np.full(n_years, level)
    # lexicographic second step on the same model: budget fixed, cheapest schedule, warm-started
    for v, val in zip(m.x, m.values()):
        v.setInitialValue(float(val))
    m.B.upBound = level / SCALE
    m.B.setInitialValue(level / SCALE)
    m.objective_cost()
    info = m.m.solve(dataclasses.replace(opts, warm_start=True))
    _require(info, P, params, caps)
    return m, _merge_info(info1, info), caps, level


def _merge_info(a: SolveInfo, b: SolveInfo) -> SolveInfo:
    return SolveInfo(
        status=b.status,
        objective=b.objective,
        bound=b.bound,
        gap=b.gap,
        build_seconds=a.build_seconds,  # the second solve re-uses the first's model
        solve_seconds=a.solve_seconds + b.solve_seconds,
        solver=b.solver,
        nodes=b.nodes,
        raw_status=b.raw_status,
        extra={"level_gap": a.gap, "level_status": a.status},
    )


def schedule_renewals(
    facilities: pd.DataFrame,
    *,
    start_year: int,
    budget: Budget | float | Mapping[int, float] | None = None,
    min_budget: bool = False,
    min_budget_within: Literal["windows", "hard_limits"] = "windows",
    ties: Mapping[str, str] | pd.DataFrame | None = None,
    params: ScheduleParams | None = None,
    renewal_params: RenewalCostParams | None = None,
    catalogue: Catalogue | None = None,
    horizon_years: int | None = None,
    options: SolverOptions | None = None,
) -> ScheduleResult:
    """Schedule every building's renovations and rebuilds under an annual budget.

    Parameters
    ----------
    facilities : DataFrame
        ``facility_id, category, floor_area_m2, year_built`` and optionally ``building_id``
        (facilities sharing it are renewed together); the Ward's facilities, a portfolio plan's kept
        buildings, or :func:`facility_opt.renewal.stock.stock_buildings` for a type-level stock table.
    start_year : int
        First year of the horizon.
    budget : Budget, float (yen per year) or {year: yen}
        The annual caps (required unless ``min_budget``).
    min_budget : bool
        Find the smallest level annual budget instead (then the cheapest schedule at that level).
    min_budget_within : "windows" or "hard_limits"
        In min-budget mode, what every building must respect: its whole window (``late_years``;
        default) or only the hard limits of critical categories (others may be deferred).
    ties : {guest building: host building} or DataFrame ``building_id, host_building_id``
        Co-location ties from a portfolio plan: the guest is rebuilt with its host.
    params, renewal_params, catalogue, horizon_years
        Scheduling parameters (default ``models/renewal_schedule.yaml``), renewal-cost parameters
        (default 総務省), catalogue, horizon (default ``renewal_params.horizon_years``).
    options : SolverOptions
        Default: HiGHS, relative gap 0.1 %, 120 s per solve (min-budget mode solves twice).

    Returns
    -------
    ScheduleResult

    Raises
    ------
    InfeasibleError
        The caps cannot pay for the events bound by hard limits; the message names the first year
        that breaks and the buildings forcing it.
    SolverError
        The solver stopped without a schedule (time limit).

    Examples
    --------
    Two schools due in 2020 and a cap that pays for one rebuild at a time (1.1億 a year for 3 years):
    with the default penalties, bringing A forward 2 years and delaying B 1 year is cheapest.

    >>> import pandas as pd
    >>> f = pd.DataFrame({"facility_id": ["A", "B"], "category": ["primary_school"] * 2,
    ...                   "floor_area_m2": [1000.0, 1000.0], "year_built": [1960, 1960]})
    >>> r = schedule_renewals(f, start_year=2018, horizon_years=10, budget=1.1e8)
    >>> r.buildings[["building_id", "due_year", "scheduled_year"]].values.tolist()
    [['A', 2020, 2018], ['B', 2020, 2021]]
    """
    return RenewalScheduler(
        start_year=start_year,
        budget=budget,
        min_budget=min_budget,
        min_budget_within=min_budget_within,
        ties=ties,
        params=params,
        renewal_params=renewal_params,
        catalogue=catalogue,
        horizon_years=horizon_years,
        options=options,
    ).solve(facilities)
