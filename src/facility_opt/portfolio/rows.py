"""The row models of a :class:`~facility_opt.portfolio.plan.Plan`: one frozen pydantic model per table row.

Every table of a plan (decisions, sites, timeline, events, years, ...) is a list of these rows,
labelled by the caller's ids; :data:`PLAN_TABLES` maps a table's name to its row model (the
columns of ``Plan.frame(name)`` and of the CSV files).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..solver import SolveInfo
from .formulation.constants import SCALE

__all__ = [
    "Decision",
    "Period",
    "Assignment",
    "Uncovered",
    "TimelineRow",
    "FloorChange",
    "MergerRow",
    "ConversionRow",
    "EventRow",
    "FreedSite",
    "YearRow",
    "Capacity",
    "SitePlan",
    "ServiceKpi",
    "Kpis",
    "SolverReport",
    "PLAN_TABLES",
]

DecisionKind = Literal["keep", "close", "rebuild", "convert", "host", "new"]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Decision(_Row):
    """What happens to one facility (or a new building), when, and why."""

    facility_id: str
    name: str
    site_id: str
    site_name: str
    decision: DecisionKind
    services_before: list[str]
    services_after: list[str]
    gained: list[str]
    lost: list[str]
    year: int | None
    floor_before_m2: float
    floor_after_m2: float
    reason: str
    imputed_inputs: list[str] = Field(default_factory=list)  # imputed data the decision rests on
    #: the facility's part of the plan's saving (yen over the horizon): its site's saving split among the
    #: site's facilities by the floor they use now (the main facility takes the rounding); a new
    #: building's is minus its cost.  The decisions' savings add up to ``Kpis.saving_yen``.
    saving_yen: float = 0.0
    #: what the freed site's land becomes (sell, lease, reuse:<need>, hold; empty when the site frees no
    #: land) and its value over the horizon (sale price, lease income, or the need's value)
    disposal: str = ""
    disposal_value_yen: float = 0.0
    #: the year the facility's services pass to a commissioned operator (委託・民営化), if they do
    operator_change_year: int | None = None


class Period(_Row):
    """A period of constant portfolio: ``start`` to ``end`` (inclusive)."""

    p: int
    start: int
    end: int


class Assignment(_Row):
    """Which site serves a zone's demand for a service in a period (a share when demand is split)."""

    zone_id: str
    service_id: str
    site_id: str
    from_year: int
    to_year: int
    share: float
    distance_m: float | None
    population: float
    demand: float


class Uncovered(_Row):
    """A zone's share of a service's target population left outside the standard in a period."""

    zone_id: str
    service_id: str
    from_year: int
    to_year: int
    share: float
    population: float
    demand: float


class TimelineRow(_Row):
    """A service at a site with one capacity from ``from_year`` to ``to_year`` (inclusive).

    ``capacity`` = places of the current capacity kept in use + ``added`` places (new floor or units).
    """

    site_id: str
    service_id: str
    from_year: int
    to_year: int
    capacity: float
    added: float
    current: bool
    operator: Literal["ward", "commissioned"] = "ward"


class FloorChange(_Row):
    """Floor added at a site: usable from ``year``, paid over ``works_years`` from ``works_start``.

    ``downsize``: a rebuild that rebuilds less floor than today's (減築); ``added_m2`` is negative.
    """

    site_id: str
    year: int
    added_m2: float
    how: Literal["rebuild", "extension", "new", "downsize"]
    works_start: int
    works_years: int


class MergerRow(_Row):
    """A school merger: ``close``'s pupils and district (and its clubs' children) go to ``into`` from
    ``year``; pupils are the period's largest (the model's), classes at the rule's class size."""

    service_id: str
    close: str
    into: str
    year: int
    pupils_close: float
    pupils_into: float
    pupils_merged: float
    classes_merged: int


class ConversionRow(_Row):
    """Existing floor of a site converted to a new use (機能転換) in ``year``, at ``cost_yen``."""

    site_id: str
    year: int
    converted_m2: float
    cost_yen: float


class EventRow(_Row):
    """A renewal event of an existing site and what the plan does with it."""

    site_id: str
    kind: str
    cycle: int
    due_year: int
    status: Literal["done", "deferred", "dropped"]
    year: int | None
    end_year: int | None
    variant: int
    closure_year: int | None
    cost_yen: float
    penalty_yen: float


class FreedSite(_Row):
    """A closed existing site and what its land becomes (``freed_sites.csv``).

    ``choice``: sell (``value_yen`` = land value, in the closure year), lease (the lease income over
    the years closed), reuse (``need_id``: the need's value), hold (nothing), or none (the site frees
    no land: not owned, not separable or its site area unknown).
    """

    site_id: str
    name: str
    closure_year: int
    site_area_m2: float | None
    owned: bool
    separable: bool
    land_value_yen: float
    choice: Literal["sell", "lease", "reuse", "hold", "none"]
    need_id: str = ""
    value_yen: float = 0.0


class YearRow(_Row):
    """One year and service: demand, capacity and coverage, and the year's spend against the budget."""

    year: int
    service_id: str
    demand: float
    capacity: float
    min_capacity: float
    covered_share: float
    sites: int
    spend_yen: float
    budget_yen: float | None


class Capacity(_Row):
    """A service at a site: capacity now and at the end of the horizon, and the floor it uses now."""

    service_id: str
    site_id: str
    current: bool
    placed: bool
    capacity_before: float
    capacity_after: float
    added_capacity: float
    floor_before_m2: float
    demand_served: float


class SitePlan(_Row):
    """A site's years of use, floor and cost in the baseline (keep everything) and in the plan.

    Costs are over the horizon, by kind (see :mod:`facility_opt.portfolio.economics`): ``<kind>_yen``
    in the plan, ``<kind>_before_yen`` in the baseline.  ``saving_yen`` is the site's saving
    (cost before − cost after) rounded so that the sites' savings add up to ``Kpis.saving_yen``
    (it may differ by a yen from the difference of the rounded costs).
    """

    site_id: str
    name: str
    kind: str
    category: str
    station_front: bool
    open_before: bool
    open_after: bool
    open_from: int | None
    closes: int | None
    floor_before_m2: float
    added_floor_m2: float
    floor_after_m2: float
    added_floor_before_m2: float = 0.0
    cost_before_yen: float
    cost_after_yen: float
    renewal_yen: float
    temporary_yen: float
    running_yen: float
    fixed_yen: float
    new_build_yen: float
    land_yen: float
    revenue_yen: float
    deferred_yen: float
    penalty_yen: float
    saving_yen: float = 0.0
    operating_yen: float = 0.0
    transition_yen: float = 0.0
    lease_yen: float = 0.0
    reuse_yen: float = 0.0
    operating_before_yen: float = 0.0
    transition_before_yen: float = 0.0
    lease_before_yen: float = 0.0
    reuse_before_yen: float = 0.0
    renewal_before_yen: float = 0.0
    temporary_before_yen: float = 0.0
    running_before_yen: float = 0.0
    fixed_before_yen: float = 0.0
    new_build_before_yen: float = 0.0
    land_before_yen: float = 0.0
    revenue_before_yen: float = 0.0
    deferred_before_yen: float = 0.0
    penalty_before_yen: float = 0.0


class ServiceKpi(_Row):
    """Coverage and distances of one service, before (keep everything) and after (the plan).

    Coverage is the lowest share covered in any year; distances are those of the last period.
    """

    service_id: str
    sites_before: int
    sites_after: int
    coverage_before: float
    coverage_after: float
    capacity_before: float
    capacity_after: float
    mean_distance_before_m: float
    mean_distance_after_m: float
    p95_distance_before_m: float
    p95_distance_after_m: float
    station_front_share_before: float
    station_front_share_after: float


class Kpis(_Row):
    """Headline figures of the plan against the keep-everything baseline (costs over the horizon)."""

    horizon_years: int
    buildings_before: int
    buildings_after: int
    floor_before_m2: float
    floor_after_m2: float
    floor_reduction: float
    cost_before_yen: float
    cost_after_yen: float
    cash_before_yen: float
    cash_after_yen: float
    penalty_before_yen: float
    penalty_after_yen: float
    deferred_before_yen: float
    deferred_after_yen: float
    cost_per_year_before_yen: float
    cost_per_year_after_yen: float
    saving_yen: float
    saving_share: float
    closures: int
    new_buildings: int
    capital_spend_yen: float
    peak_spend_before_yen: float
    peak_spend_after_yen: float
    budget_yen: float | None
    level_budget_yen: float | None
    access_before_person_km: float
    access_after_person_km: float
    station_front_share_before: float
    station_front_share_after: float
    services: list[ServiceKpi]
    #: ``saving_yen`` split by cost kind (economics.COST_KINDS: renewal, temporary, running, fixed,
    #: operating, transition, new_build, land, revenue (land sold), lease, deferred, penalty, reuse):
    #: baseline − plan for costs, plan − baseline for the land kinds (revenue, lease, reuse: a negative
    #: cost); rounded by largest remainders so the parts sum exactly to saving_yen
    saving_by_kind: dict[str, float] = Field(default_factory=dict)


class SolverReport(_Row):
    """Solver outcome; times are kept in memory but not written to files (they vary run to run)."""

    status: str
    objective_yen: float | None
    bound_yen: float | None
    gap: float | None
    solver: str
    build_seconds: float = Field(default=0.0, exclude=True)
    solve_seconds: float = Field(default=0.0, exclude=True)

    @classmethod
    def from_info(cls, info: SolveInfo) -> SolverReport:
        return cls(
            status=info.status,
            objective_yen=None if info.objective is None else round(info.objective * SCALE),
            bound_yen=None if info.bound is None else round(info.bound * SCALE),
            gap=None if info.gap is None else round(info.gap, 6),
            solver=info.solver,
            build_seconds=info.build_seconds,
            solve_seconds=info.solve_seconds,
        )


#: the tables of a plan (``Plan.frame(name)``) and their row models
PLAN_TABLES: dict[str, type[_Row]] = {
    "decisions": Decision,
    "sites": SitePlan,
    "capacities": Capacity,
    "assignments": Assignment,
    "uncovered": Uncovered,
    "services": ServiceKpi,
    "timeline": TimelineRow,
    "events": EventRow,
    "floor": FloorChange,
    "years": YearRow,
    "periods": Period,
    "freed_sites": FreedSite,
    "mergers": MergerRow,
    "conversions": ConversionRow,
}
