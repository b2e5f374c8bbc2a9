"""One multi-year portfolio instance as plain, validated, id-keyed tables.

A :class:`PortfolioProblem` holds everything the decision model needs and nothing else: no
geometry, no catalogue, no cost model.  Sites are existing buildings and candidate new sites;
services carry their coverage standard, floor need and **assignment rule**; demand is per zone,
service and **year**; reach is a sparse table of zone–site distances; renewal **events** (the
renovations and rebuilds each existing site falls due for) come from the cost model.

Time (see :meth:`PortfolioProblem.periods`): the horizon is ``policy.horizon_years`` years from
``policy.start_year``.  Nothing changes before ``policy.earliest_change_year`` (planning and
resident consultation); from then on the portfolio may change at the start of every period of
``policy.period_years`` years.  Within a period the portfolio is constant and must meet every
standard for the largest demand of its years, so every year is covered.  Renewal events and
money are yearly.

Assignment rules (services column ``rule``):

* ``allocated`` — the ward allocates places within the distance standard, capacity-limited (a
  zone's demand may be split between sites); nurseries;
* ``nearest`` — residents use the nearest open provider (distance, then site id): a zone is
  served wholly by the nearest site offering the service, which must be within the standard;
  children's halls;
* ``district`` — a school-attached service serves its own school's pupils: a zone's demand goes to
  the sites of its district (``zone_districts``; the district is named by its anchor site, the
  school), whatever the distance; with ``anchor_keeps`` the service stays at the anchor for as long
  as the anchor is open (a club never leaves its own school); schools and after-school clubs.

Costs (yen, undiscounted unless the renewal parameters discount capital):

* an existing site pays its renewal events in the years they are scheduled (one option per event:
  a start year in its window, deferral past the horizon, or — when the site closes first —
  dropping it, which costs the deferral risk until the closure);
* an open site pays ``operating_yen_per_m2_year`` per m² of floor and ``fixed_yen_per_year``;
* floor added at a site's rebuild costs ``build_yen_per_m2``; floor added at another time (an
  extension, ``policy.build_years`` before it is usable) costs ``(1 + policy.extension_premium)``
  times that; a candidate's building costs ``build_yen_per_m2`` and its land (if not owned)
  ``land_value_yen_per_m2 × site_area_m2``, bought when construction starts;
* a service with an ``operating_yen_per_place_year`` pays it for every place in use each year (a
  placement switched to a commissioned operator pays the operator-change rate from then on, after a
  one-off ``transition_yen``: :class:`OperatorChange`);
* a closed ``sellable`` site (owned, separable, site area known) is sold (land value in its closure
  year), leased (``lease_yield`` × land value every year after), reused for a need of
  ``policy.reuse_needs`` or held, as ``policy.disposal`` allows (:class:`ReuseNeed`).
* with ``policy.allow_downsizing`` a rebuild may rebuild less floor, each m² less saving
  ``build_yen_per_m2`` and its running cost; a service moving into existing floor of a category it
  does not use today pays ``policy.conversion_yen_per_m2`` (:mod:`facility_opt.portfolio.reform`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..errors import DataIssue, DataValidationError
from ..renewal.schedule.params import Budget, ScheduleParams
from .reform import HubRule, MergerRule

__all__ = ["Policy", "ReuseNeed", "OperatorChange", "OperatorService", "DISPOSALS", "PortfolioProblem",
           "SITE_COLUMNS", "SERVICE_COLUMNS", "EVENT_COLUMNS", "RULES"]

log = logging.getLogger(__name__)

#: assignment rules of services
RULES = ("allocated", "nearest", "district")

#: columns of the sites table: name -> (dtype, default or None when required)
SITE_COLUMNS: dict[str, tuple[str, object]] = {
    "site_id": ("str", None),
    "name": ("str", ""),
    "kind": ("str", "existing"),  # existing | candidate
    "category": ("str", None),
    "floor_area_m2": ("float", 0.0),  # existing gross floor area (0 for candidates)
    "site_area_m2": ("float", np.nan),  # NaN: no site limit (and no land to sell or buy)
    "max_far": ("float", np.nan),  # maximum floor-area ratio 容積率 (NaN: no limit)
    "owned": ("bool", True),
    "separable": ("bool", True),  # a building on its own plot (not rooms in another building, not a unit in a block)
    # land that can be sold, leased or reused when the site closes: only an owned, separable site with a
    # known site area (from_frames enforces it whatever the column says)
    "sellable": ("bool", True),
    "land_value_yen_per_m2": ("float", 0.0),
    "station_front": ("bool", False),  # near a station open at the start
    "station_front_from": ("int", 0),  # > 0: near a planned station from its opening year (station_front False)
    "available_from": ("int", 0),  # candidates: first year the site may be in use (0: any year)
    "operating_yen_per_m2_year": ("float", 0.0),
    "fixed_yen_per_year": ("float", 0.0),
    "build_yen_per_m2": ("float", 0.0),
    "x": ("float", np.nan),
    "y": ("float", np.nan),
    "imputed_fields": ("str", ""),  # "facility.field;..." imputed inputs of the site's buildings (reports only)
}

#: columns of the services table
SERVICE_COLUMNS: dict[str, tuple[str, object]] = {
    "service_id": ("str", None),
    "name": ("str", ""),
    "coverage_m": ("float", np.nan),  # NaN: no distance standard (any site within max reach)
    "floor_m2_per_unit": ("float", 0.0),
    "max_capacity_per_site": ("float", np.nan),
    "host_categories": ("list", None),
    "co_locatable": ("bool", True),
    "rule": ("str", "allocated"),  # allocated | nearest | district
    "district_of": ("str", ""),  # district services: whose districts they use (default: their own)
    "anchor_keeps": ("bool", False),  # district services: stay at the anchor while it is open
    "unit_size": ("float", np.nan),  # capacity comes in units of this size (e.g. 40-child club groups)
    "max_units_per_site": ("float", np.nan),
    # operating cost per place (or user) per year, staff included (NaN: not modelled, left out of the costs)
    "operating_yen_per_place_year": ("float", np.nan),
}

#: columns of the renewal events table (one row per event of an existing site)
EVENT_COLUMNS: dict[str, tuple[str, object]] = {
    "site_id": ("str", None),
    "kind": ("str", None),  # renovation | rebuild | repair | ...
    "cycle": ("int", 0),
    "due_year": ("int", None),
    "backlog": ("bool", False),
    "spread_years": ("int", 1),
    "cost_yen": ("float", None),
    "floor_area_m2": ("float", 0.0),
}

_DEMAND_COLUMNS = {"zone_id": ("str", None), "service_id": ("str", None), "year": ("int", 0),
                   "population": ("float", None), "demand": ("float", 0.0)}
_PLACEMENT_COLUMNS = {"site_id": ("str", None), "service_id": ("str", None), "capacity": ("float", None),
                      "floor_area_m2": ("float", np.nan), "facility_id": ("str", ""), "facility_name": ("str", ""),
                      "imputed_fields": ("str", "")}
_PAIR_COLUMNS = {"zone_id": ("str", None), "site_id": ("str", None), "distance_m": ("float", None)}
_ZONE_COLUMNS = {"zone_id": ("str", None), "name": ("str", ""), "x": ("float", np.nan), "y": ("float", np.nan)}
_ZONE_DISTRICT_COLUMNS = {"service_id": ("str", None), "zone_id": ("str", None), "district": ("str", None)}
_SITE_DISTRICT_COLUMNS = {"service_id": ("str", None), "site_id": ("str", None), "district": ("str", None)}


#: what may happen to the land of a freed sellable site
DISPOSALS = ("sell", "lease", "reuse", "hold")


class ReuseNeed(BaseModel):
    """A need a freed site may be reused for (e.g. 特別養護老人ホーム), with its value to the ward.

    A site fits when its site area is at least ``min_site_area_m2`` and its floor limit (site area ×
    floor-area ratio) at least ``floor_m2``.  The value is one-off (``value_yen``, in the closure
    year) and/or yearly (``value_yen_per_year``, every year after the closure to the horizon's end).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    name_ja: str = ""
    name: str = ""
    min_site_area_m2: float = Field(default=0.0, ge=0)
    floor_m2: float = Field(default=0.0, ge=0)
    value_yen: float = Field(default=0.0, ge=0, description="One-off value of meeting the need on a site.")
    value_yen_per_year: float = Field(default=0.0, ge=0, description="Yearly value, every year after the closure.")
    max_sites: int | None = Field(default=None, ge=0, description="Most sites reused for it (None: any number).")
    source: str = Field(default="assumption", description="Where the need and its value come from.")


class OperatorService(BaseModel):
    """The cost of a service run by a commissioned operator (委託・民営化) instead of the ward."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    commissioned_yen_per_place_year: float = Field(
        ge=0, description="What the ward pays per place a year once the placement is commissioned.")
    transition_yen: float = Field(default=0.0, ge=0, description="One-off cost of a switch (per facility).")
    source: str = Field(default="assumption")


class OperatorChange(BaseModel):
    """Operator change (委託・民営化) as a decision: which placements may switch, from when, how many.

    Eligible: the current placements of the listed services at sites of ``categories`` (empty: any)
    and not in ``exclude_sites``.  A switch is made at a period start from ``earliest_year``, once;
    the placement's places then cost the commissioned rate instead of the service's
    ``operating_yen_per_place_year`` (the ward-run rate, which the service must have).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    services: dict[str, OperatorService] = Field(min_length=1)
    categories: list[str] = Field(default_factory=list, description="Site categories eligible (empty: any).")
    exclude_sites: list[str] = Field(default_factory=list)
    earliest_year: int | None = Field(default=None, description="First year of a switch (None: the first change).")
    max_per_period: int | None = Field(default=None, ge=0, description="Most switches at one period start.")
    max_total: int | None = Field(default=None, ge=0, description="Most switches over the horizon.")
    source: str = Field(default="assumption")


class Policy(BaseModel):
    """Planning policy: horizon and periods, budget, locks, limits, service floors, renewal rules.

    Site and service ids must exist in the problem; unknown ids are reported with the known ones.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    horizon_years: int = Field(default=30, ge=1, le=100)
    start_year: int = Field(default=2019, ge=1900, le=2200)
    earliest_change_year: int | None = Field(
        default=None, description="First year the portfolio may differ from today's (None: the start year).")
    period_years: int = Field(default=2, ge=1, le=30,
                              description="Length of the periods at whose starts the portfolio may change.")
    period_starts: list[int] | None = Field(
        default=None, description="The years the portfolio may change (instead of every period_years from the "
        "earliest change year); the first is the earliest change year.")
    build_years: int = Field(default=2, ge=1, le=10,
                             description="Years of construction before added floor or a new building is usable.")
    lock_open: list[str] = Field(default_factory=list, description="Sites that must stay open.")
    lock_closed: list[str] = Field(default_factory=list, description="Sites that must close (at the first change).")
    frozen_sites: list[str] = Field(
        default_factory=list, description="Sites excluded from change: open, same services, nothing added.")
    frozen_services: list[str] = Field(
        default_factory=list, description="Services excluded from change: they stay exactly where they are.")
    keep_services: list[str] = Field(
        default_factory=list,
        description="Services that stay at every site that provides them now (they may still grow or open elsewhere).")
    max_closures: int | None = Field(default=None, ge=0, description="Most existing sites that may close.")
    min_floor_reduction: float | None = Field(default=None, ge=-1, le=1,
                                              description="Least share of total floor area to cut by the end.")
    max_floor_reduction: float | None = Field(default=None, ge=-1, le=1,
                                              description="Largest share of total floor area to cut by the end.")
    capital_budget_yen: float | None = Field(
        default=None, ge=0, description="Cap on total capital spend for change: floor added and land bought.")
    budget: Budget | None = Field(
        default=None, description="Annual cap on renewal plus capital spend (schedule.Budget); None: no cap.")
    min_level_budget: bool = Field(
        default=False, description="Find the smallest level annual budget first, then the cheapest plan at it.")
    renewal: ScheduleParams = Field(
        default_factory=ScheduleParams,
        description="Renewal timing rules: windows, deferral risk, hard limits, preventive variant, fund, bonds.")
    extension_premium: float = Field(
        default=0.0, ge=0, description="Extra share on the unit cost of floor added outside a rebuild (増築).")
    temporary_yen_per_m2_year: float = Field(
        default=0.0, ge=0, description="Temporary premises for a building's services during its rebuild (per m²·year).")
    min_capacity: dict[str, float | dict[int, float]] = Field(
        default_factory=dict,
        description="Service -> least total capacity: one value, or {year: value} carried forward to later years.")
    incompatible: list[tuple[str, str]] = Field(
        default_factory=list, description="Service pairs that may not share a site.")
    candidate_services: dict[str, list[str]] = Field(
        default_factory=dict, description="Candidate site -> the only services it may host.")
    min_share: dict[str, float] = Field(
        default_factory=dict,
        description="Service -> least share of its target population to cover; services not listed are hard.")
    sharing_saving: float = Field(default=0.1, ge=0, lt=1,
                                  description="Share of an added service's floor need saved by sharing a building.")
    allow_expansion: bool = Field(default=True, description="Existing placements may add capacity (and floor).")
    access_weight_yen_per_person_km: float = Field(
        default=0.0, ge=0,
        description="Yen per resident per km of distance to the serving site per year (access term).")
    disposal: Literal["sell", "lease", "reuse", "hold", "none"] | list[Literal["sell", "lease", "reuse", "hold"]] = Field(
        default="sell", description="What may happen to the land of a freed sellable site: one option (sell, lease, "
        "reuse, hold; 'none' = hold) or a list the optimiser chooses from per site.")
    reuse_needs: list[ReuseNeed] = Field(default_factory=list, description="Needs a freed site may be reused for.")
    operator_change: OperatorChange | None = Field(
        default=None, description="Operator change (委託・民営化) as a decision; None: no switch variables at all.")
    lease_yield: float = Field(default=0.03, ge=0, le=1, description="Yearly lease income as a share of land value.")
    max_reach_m: float | None = Field(default=None, gt=0,
                                      description="Reach for services without a coverage standard (None: any pair).")
    # -- the reform plan's moves (facility_opt.portfolio.reform)
    allow_downsizing: bool = Field(
        default=False, description="A rebuild may rebuild less floor than today's (減築): at least what the services "
        "placed there need; each m² less saves the site's build_yen_per_m2 and its running cost.")
    conversion_yen_per_m2: float = Field(
        default=0.0, ge=0, description="Fit-out cost per m² of existing floor a service moves into at a building of "
        "a category it does not use today (機能転換), paid in the year it arrives.")
    mergers: list[MergerRule] = Field(
        default_factory=list, description="School mergers the optimiser may (or must) make, per schooling service.")
    hubs: dict[str, HubRule] = Field(
        default_factory=dict, description="Site -> a hub that must be open with at least some services from a year "
        "(e.g. a new building at a planned station from its opening year).")
    nearest_candidates: int | None = Field(
        default=8, ge=1, description="A 'nearest' service's zone may use only its this many nearest eligible sites "
        "within the standard (None: all); keeps the closest-assignment rows few.")

    @field_validator("min_share")
    @classmethod
    def _shares(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: s for k, s in v.items() if not 0 <= s <= 1}
        if bad:
            raise ValueError(f"min_share values must be within 0..1, got {bad}")
        return dict(sorted(v.items()))

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        both = sorted(set(self.lock_open) & set(self.lock_closed))
        if both:
            raise ValueError(f"sites both locked open and locked closed: {both}")
        lo, hi = self.min_floor_reduction, self.max_floor_reduction
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"min_floor_reduction {lo} exceeds max_floor_reduction {hi}")
        ch = self.change_year
        if not self.start_year <= ch < self.end_year:
            raise ValueError(f"earliest_change_year {ch} must lie within the horizon {self.start_year}.."
                             f"{self.end_year - 1}")
        if self.min_level_budget and self.budget is not None:
            raise ValueError("give either a budget or min_level_budget, not both")
        if "reuse" in self.disposal_options and not self.reuse_needs:
            raise ValueError("disposal allows 'reuse' but no reuse_needs are given")
        ids = [n.id for n in self.reuse_needs]
        if len(set(ids)) != len(ids):
            raise ValueError(f"reuse_needs: duplicate ids {sorted({i for i in ids if ids.count(i) > 1})}")
        if self.period_starts is not None:
            ps = self.period_starts
            if not ps or ps != sorted(set(ps)) or ps[0] != ch or ps[-1] >= self.end_year:
                raise ValueError(f"period_starts must be increasing years from the earliest change year {ch} within "
                                 f"the horizon (got {ps})")
        return self

    @property
    def end_year(self) -> int:
        """First year after the horizon."""
        return self.start_year + self.horizon_years

    @property
    def disposal_options(self) -> tuple[str, ...]:
        """The disposal options allowed, in :data:`DISPOSALS` order ('none' is 'hold')."""
        d = [self.disposal] if isinstance(self.disposal, str) else list(self.disposal)
        d = ["hold" if x == "none" else x for x in d]
        return tuple(x for x in DISPOSALS if x in d)

    @property
    def must_dispose(self) -> bool:
        """A freed sellable site must be sold or leased (or reused): 'hold' is not allowed, and sell or
        lease (which fit every sellable site) is."""
        o = self.disposal_options
        return "hold" not in o and ("sell" in o or "lease" in o)

    @property
    def change_year(self) -> int:
        """First year the portfolio may change."""
        return self.earliest_change_year if self.earliest_change_year is not None else self.start_year

    def years(self) -> np.ndarray:
        """The years of the horizon."""
        return np.arange(self.start_year, self.end_year)

    def periods(self) -> pd.DataFrame:
        """The periods: ``p, start, end`` (inclusive) and ``fixed`` (before the first change).

        Examples
        --------
        >>> Policy(start_year=2019, horizon_years=10, earliest_change_year=2021, period_years=3).periods()
           p  start   end  fixed
        0  0   2019  2020   True
        1  1   2021  2023  False
        2  2   2024  2026  False
        3  3   2027  2028  False
        """
        first, end, ch = self.start_year, self.end_year, self.change_year
        change = self.period_starts if self.period_starts is not None else list(range(ch, end, self.period_years))
        starts = ([first] if ch > first else []) + list(change)
        ends = [s - 1 for s in starts[1:]] + [end - 1]
        return pd.DataFrame({"p": np.arange(len(starts)), "start": starts, "end": ends,
                             "fixed": [s < ch for s in starts]})

    def min_capacity_by_year(self, service_id: str) -> np.ndarray:
        """The least total capacity of a service in each year of the horizon (0 where none is set)."""
        v = self.min_capacity.get(service_id, 0.0)
        if not isinstance(v, dict):
            return np.full(self.horizon_years, float(v))
        keys = np.array(sorted(v), dtype=np.int64)
        vals = np.array([float(v[k]) for k in sorted(v)])
        i = np.searchsorted(keys, self.years(), side="right") - 1  # the latest year given, carried forward
        return np.where(i >= 0, vals[np.maximum(i, 0)], 0.0)


@dataclass(frozen=True)
class PortfolioProblem:
    """A validated multi-year portfolio instance (see the module docstring for the rules and costs).

    Tables are sorted by their ids and never changed after construction; use :meth:`replace` to
    derive a variant (another policy, a tighter standard).

    Attributes
    ----------
    zones : zone_id, name, x, y (coordinates optional, metric).
    sites : one row per building or candidate site (:data:`SITE_COLUMNS`).
    services : one row per service (:data:`SERVICE_COLUMNS`).
    demand : zone_id, service_id, year, population (target residents), demand (capacity units);
        one row per year of the horizon for every (zone, service) with demand.
    placements : the current portfolio: facility_id, facility_name, site_id, service_id, capacity,
        floor_area_m2 (the floor the service uses now; missing values are filled from the site).
    pairs : zone_id, site_id, distance_m: the zone–site pairs within reach (sparse).
    policy : :class:`Policy`.
    name : a label for reports.
    events : renewal events of existing sites (:data:`EVENT_COLUMNS`); empty: no renewal costs.
    zone_districts : service_id, zone_id, district (the anchor site id) for ``district`` services.
    site_districts : service_id, site_id, district: which sites may serve a district.
    """

    zones: pd.DataFrame
    sites: pd.DataFrame
    services: pd.DataFrame
    demand: pd.DataFrame
    placements: pd.DataFrame
    pairs: pd.DataFrame
    policy: Policy
    name: str = "portfolio"
    events: pd.DataFrame | None = None
    zone_districts: pd.DataFrame | None = None
    site_districts: pd.DataFrame | None = None

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_frames(cls, *, sites: pd.DataFrame, services: pd.DataFrame, demand: pd.DataFrame,
                    placements: pd.DataFrame, pairs: pd.DataFrame, zones: pd.DataFrame | None = None,
                    policy: Policy | dict | None = None, name: str = "portfolio",
                    events: pd.DataFrame | None = None, zone_districts: pd.DataFrame | None = None,
                    site_districts: pd.DataFrame | None = None) -> PortfolioProblem:
        """Validate plain DataFrames into a problem; every problem found is raised together.

        Missing optional columns take their defaults (:data:`SITE_COLUMNS`, :data:`SERVICE_COLUMNS`,
        :data:`EVENT_COLUMNS`).  Demand without a ``year`` column holds in every year of the horizon.

        Raises
        ------
        DataValidationError
            listing every unknown id, duplicate, missing column or out-of-range value.

        Examples
        --------
        >>> import pandas as pd
        >>> p = PortfolioProblem.from_frames(
        ...     sites=pd.DataFrame({"site_id": ["A"], "category": ["hall"], "floor_area_m2": [500.0]}),
        ...     services=pd.DataFrame({"service_id": ["hall"], "coverage_m": [1000.0], "host_categories": ["hall"]}),
        ...     demand=pd.DataFrame({"zone_id": ["z"], "service_id": ["hall"], "population": [100.0]}),
        ...     placements=pd.DataFrame({"site_id": ["A"], "service_id": ["hall"], "capacity": [50.0]}),
        ...     pairs=pd.DataFrame({"zone_id": ["z"], "site_id": ["A"], "distance_m": [300.0]}),
        ...     policy={"horizon_years": 4, "start_year": 2020})
        >>> p
        PortfolioProblem('portfolio': 1 zones, 1 sites (0 candidates), 1 services, 1 pairs, 2 periods of 2020-2023)
        """
        issues: list[DataIssue] = []
        pol = policy if isinstance(policy, Policy) else Policy.model_validate(policy or {})
        s = _coerce(sites, SITE_COLUMNS, "sites", issues)
        v = _coerce(services, SERVICE_COLUMNS, "services", issues)
        d = _coerce(demand, _DEMAND_COLUMNS, "demand", issues)
        pl = _coerce(placements, _PLACEMENT_COLUMNS, "placements", issues)
        pr = _coerce(pairs, _PAIR_COLUMNS, "pairs", issues)
        if zones is None:
            zones = pd.DataFrame({"zone_id": sorted(set(d.get("zone_id", [])) | set(pr.get("zone_id", [])))})
        z = _coerce(zones, _ZONE_COLUMNS, "zones", issues)
        ev = _coerce(events if events is not None else pd.DataFrame(columns=list(EVENT_COLUMNS)), EVENT_COLUMNS,
                     "events", issues)
        zd = _coerce(zone_districts if zone_districts is not None else pd.DataFrame(columns=list(_ZONE_DISTRICT_COLUMNS)),
                     _ZONE_DISTRICT_COLUMNS, "zone_districts", issues)
        sd = _coerce(site_districts if site_districts is not None else pd.DataFrame(columns=list(_SITE_DISTRICT_COLUMNS)),
                     _SITE_DISTRICT_COLUMNS, "site_districts", issues)
        if issues:
            raise DataValidationError(issues)
        _check_unique(s["site_id"], "sites", "site_id", issues)
        _check_unique(v["service_id"], "services", "service_id", issues)
        _check_unique(z["zone_id"], "zones", "zone_id", issues)
        site_ids, svc_ids, zone_ids = set(s["site_id"]), set(v["service_id"]), set(z["zone_id"])
        for i, k in enumerate(s["kind"], start=1):
            if k not in ("existing", "candidate"):
                issues.append(DataIssue("sites", i, "kind", f"kind must be 'existing' or 'candidate' (got {k!r})"))
        for col in ("floor_area_m2", "land_value_yen_per_m2", "operating_yen_per_m2_year", "fixed_yen_per_year",
                    "build_yen_per_m2"):
            for i in np.flatnonzero(~(s[col].to_numpy() >= 0)):
                issues.append(DataIssue("sites", int(i) + 1, col, f"must be >= 0 (got {s[col].iloc[i]})"))
        # no land income from a site that is not owned and separable (rooms, a unit in a block, leased land)
        s["sellable"] = s["sellable"] & s["owned"] & s["separable"] & s["site_area_m2"].notna()
        for i in np.flatnonzero(~(v["operating_yen_per_place_year"].fillna(0.0).to_numpy() >= 0)):
            issues.append(DataIssue("services", int(i) + 1, "operating_yen_per_place_year", "must be >= 0 or empty"))
        for i in np.flatnonzero(~(v["coverage_m"].fillna(1.0).to_numpy() > 0)):
            issues.append(DataIssue("services", int(i) + 1, "coverage_m", "must be > 0 or empty (no standard)"))
        for i in np.flatnonzero(~(v["floor_m2_per_unit"].to_numpy() >= 0)):
            issues.append(DataIssue("services", int(i) + 1, "floor_m2_per_unit", "must be >= 0"))
        for i, r in enumerate(v["rule"], start=1):
            if r not in RULES:
                issues.append(DataIssue("services", i, "rule", f"must be one of {', '.join(RULES)} (got {r!r})"))
        for col in ("unit_size", "max_units_per_site"):
            for i in np.flatnonzero(~(v[col].fillna(1.0).to_numpy() > 0)):
                issues.append(DataIssue("services", int(i) + 1, col, "must be > 0 or empty"))
        v.loc[v["district_of"] == "", "district_of"] = v["service_id"]
        dist_svcs = set(v.loc[v["rule"] == "district", "service_id"])
        for i, (k, src) in enumerate(zip(v["service_id"], v["district_of"]), start=1):
            if k in dist_svcs and src not in set(zd["service_id"]):
                issues.append(DataIssue("services", i, "district_of", f"district service {k!r} needs districts of "
                                        f"{src!r} in zone_districts"))
        _check_ids(zd["service_id"], svc_ids, "zone_districts", "service_id", "service", issues)
        _check_ids(zd["zone_id"], zone_ids, "zone_districts", "zone_id", "zone", issues)
        _check_ids(sd["service_id"], svc_ids, "site_districts", "service_id", "service", issues)
        _check_ids(sd["site_id"], site_ids, "site_districts", "site_id", "site", issues)
        _check_ids(d["service_id"], svc_ids, "demand", "service_id", "service", issues)
        _check_ids(d["zone_id"], zone_ids, "demand", "zone_id", "zone", issues)
        for col in ("population", "demand"):
            for i in np.flatnonzero(~(d[col].to_numpy() >= 0)):
                issues.append(DataIssue("demand", int(i) + 1, col, f"must be >= 0 (got {d[col].iloc[i]})"))
        dated = d["year"] != 0
        for i in np.flatnonzero((dated & ((d["year"] < pol.start_year) | (d["year"] >= pol.end_year))).to_numpy()):
            issues.append(DataIssue("demand", int(i) + 1, "year", f"must lie within {pol.start_year}.."
                                    f"{pol.end_year - 1} (got {d['year'].iloc[i]})"))
        if dated.any() and not dated.all():
            issues.append(DataIssue("demand", None, "year", "give a year on every row or on none"))
        _check_ids(pl["site_id"], site_ids, "placements", "site_id", "site", issues)
        _check_ids(pl["service_id"], svc_ids, "placements", "service_id", "service", issues)
        for i in np.flatnonzero(~(pl["capacity"].to_numpy() >= 0)):
            issues.append(DataIssue("placements", int(i) + 1, "capacity", "must be >= 0"))
        cand = set(s.loc[s["kind"] == "candidate", "site_id"])
        for i in np.flatnonzero(((s["kind"] == "candidate") & ~s["owned"] & s["site_area_m2"].isna()).to_numpy()):
            issues.append(DataIssue("sites", int(i) + 1, "site_area_m2", "a candidate site that is not owned needs "
                                    "its site area (its land is bought)"))
        for i, sid in enumerate(pl["site_id"], start=1):
            if sid in cand:
                issues.append(DataIssue("placements", i, "site_id", f"candidate site {sid!r} cannot hold a current "
                                        "placement; make it an existing site"))
        _check_ids(ev["site_id"], site_ids - cand, "events", "site_id", "existing site", issues)
        for i in np.flatnonzero(~(ev["cost_yen"].to_numpy() >= 0)):
            issues.append(DataIssue("events", int(i) + 1, "cost_yen", "must be >= 0"))
        for i in np.flatnonzero(~(ev["spread_years"].to_numpy() >= 1)):
            issues.append(DataIssue("events", int(i) + 1, "spread_years", "must be >= 1"))
        _check_ids(pr["zone_id"], zone_ids, "pairs", "zone_id", "zone", issues)
        _check_ids(pr["site_id"], site_ids, "pairs", "site_id", "site", issues)
        for i in np.flatnonzero(~(pr["distance_m"].to_numpy() >= 0)):
            issues.append(DataIssue("pairs", int(i) + 1, "distance_m", "must be >= 0"))
        _check_policy(pol, site_ids, svc_ids, cand, issues)
        if pol.operator_change is not None:  # the ward-run rate is the service's own operating cost per place
            rate = v.set_index("service_id")["operating_yen_per_place_year"]
            for k in pol.operator_change.services:
                if k in rate.index and not np.isfinite(rate[k]):
                    issues.append(DataIssue("policy", None, "operator_change.services",
                                            f"service {k!r} has no operating_yen_per_place_year (the ward-run cost "
                                            "an operator change is weighed against)"))
        _check_reform_policy(pol, v, pl, s, issues)
        if issues:
            raise DataValidationError(issues)

        # canonical order and derived fields
        s = s.sort_values("site_id", kind="mergesort").reset_index(drop=True)
        s["sellable"] = s["sellable"] & s["owned"] & s["kind"].eq("existing") & s["site_area_m2"].notna()
        v = v.sort_values("service_id", kind="mergesort").reset_index(drop=True)
        z = z.sort_values("zone_id", kind="mergesort").reset_index(drop=True)
        if not dated.any():  # one demand for every year
            d = d.drop(columns="year").merge(pd.DataFrame({"year": pol.years()}), how="cross")
        d = d.groupby(["zone_id", "service_id", "year"], sort=True, as_index=False)[["population", "demand"]].sum()
        keep = d.groupby(["zone_id", "service_id"])[["population", "demand"]].transform("max").sum(axis=1) > 0
        d = d[keep.to_numpy()].reset_index(drop=True)
        pl.loc[pl["facility_id"] == "", "facility_id"] = pl["site_id"]
        names = s.set_index("site_id")["name"]
        pl.loc[pl["facility_name"] == "", "facility_name"] = pl["facility_id"].map(names).fillna(pl["facility_id"])
        pl = pl.sort_values(["site_id", "service_id", "facility_id"], kind="mergesort").reset_index(drop=True)
        pl = _fill_floor(pl, s)
        pr = pr.groupby(["zone_id", "site_id"], sort=True, as_index=False)["distance_m"].min()
        ev = ev.sort_values(["site_id", "due_year", "kind"], kind="mergesort").reset_index(drop=True)
        zd = zd.sort_values(["service_id", "zone_id"], kind="mergesort").drop_duplicates(
            ["service_id", "zone_id"]).reset_index(drop=True)
        sd = sd.sort_values(["service_id", "site_id"], kind="mergesort").drop_duplicates(
            ["service_id", "site_id"]).reset_index(drop=True)
        return cls(zones=z, sites=s, services=v, demand=d, placements=pl, pairs=pr, policy=pol, name=name,
                   events=ev, zone_districts=zd, site_districts=sd)

    def replace(self, **changes) -> PortfolioProblem:
        """A copy with some tables or the policy replaced (re-validated).

        ``policy`` may be a :class:`Policy` or a dict of policy fields to update.
        """
        pol = changes.pop("policy", self.policy)
        if isinstance(pol, dict):
            pol = Policy.model_validate({**self.policy.model_dump(), **pol})
        kw = dict(zones=self.zones, sites=self.sites, services=self.services, demand=self.demand,
                  placements=self.placements, pairs=self.pairs, name=self.name, events=self.events,
                  zone_districts=self.zone_districts, site_districts=self.site_districts)
        kw.update(changes)
        return PortfolioProblem.from_frames(policy=pol, **kw)

    # ------------------------------------------------------------------ views
    def __repr__(self) -> str:
        n_cand = int((self.sites["kind"] == "candidate").sum())
        pol = self.policy
        return (f"PortfolioProblem({self.name!r}: {len(self.zones)} zones, {len(self.sites)} sites "
                f"({n_cand} candidates), {len(self.services)} services, {len(self.pairs)} pairs, "
                f"{len(pol.periods())} periods of {pol.start_year}-{pol.end_year - 1})")

    @property
    def existing(self) -> pd.DataFrame:
        """The existing sites."""
        return self.sites[self.sites["kind"] == "existing"]

    def site_floor_limit(self) -> pd.Series:
        """Largest floor area each site may carry (site area × floor-area ratio; inf when unknown).

        A building already larger than its limit may keep its area but not grow.
        """
        lim = (self.sites["site_area_m2"] * self.sites["max_far"]).to_numpy()
        lim = np.where(np.isfinite(lim), np.maximum(lim, self.sites["floor_area_m2"].to_numpy()), np.inf)
        return pd.Series(lim, index=self.sites["site_id"].to_numpy(), name="floor_limit_m2")

    def station_front_in(self, year: int) -> pd.Series:
        """site_id -> near a station open in ``year`` (a planned station counts from its opening year)."""
        s = self.sites
        later = (s["station_front_from"] > 0) & (s["station_front_from"] <= int(year))
        return pd.Series((s["station_front"] | later).to_numpy(), index=s["site_id"].to_numpy())

    def district_tables(self, service_id: str) -> tuple[pd.Series, pd.Series]:
        """(zone_id -> district, site_id -> district) of a ``district`` service (via ``district_of``)."""
        src = self.services.set_index("service_id").at[service_id, "district_of"]
        zd = self.zone_districts[self.zone_districts["service_id"] == src].set_index("zone_id")["district"]
        sd = self.site_districts[self.site_districts["service_id"] == src].set_index("site_id")["district"]
        return zd, sd

    def eligible(self) -> pd.DataFrame:
        """(service_id, site_id) pairs where a service may be placed, with ``current`` capacity/floor.

        A service may stay where it is now; it may move to a site whose category is one of its
        ``host_categories``, unless the site is a candidate restricted by
        ``policy.candidate_services``, a frozen site, or the service is frozen; a ``district``
        service only to sites that belong to a district.
        """
        pol = self.policy
        cur = (self.placements.groupby(["service_id", "site_id"], sort=True, as_index=False)
               .agg(capacity=("capacity", "sum"), floor_area_m2=("floor_area_m2", "sum")))
        cur["current"] = True
        hosts = self.services[["service_id", "host_categories"]].explode("host_categories").dropna()
        hosts = hosts.rename(columns={"host_categories": "category"})
        el = hosts.merge(self.sites[["site_id", "category", "kind"]], on="category")[["service_id", "site_id", "kind"]]
        if pol.candidate_services:
            allowed = {(k, s) for s, ks in pol.candidate_services.items() for k in ks}
            restricted = set(pol.candidate_services)
            keep = [(s not in restricted) or ((k, s) in allowed) for k, s in zip(el["service_id"], el["site_id"])]
            el = el[keep]
        el = el[~el["site_id"].isin(pol.frozen_sites) & ~el["service_id"].isin(pol.frozen_services)]
        for k in self.services.loc[self.services["rule"] == "district", "service_id"]:
            _, sd = self.district_tables(k)
            el = el[(el["service_id"] != k) | el["site_id"].isin(sd.index)]
        el = pd.concat([cur[["service_id", "site_id"]], el[["service_id", "site_id"]]]).drop_duplicates()
        el = el.merge(cur, on=["service_id", "site_id"], how="left")
        el["current"] = el["current"].fillna(False).astype(bool)
        el[["capacity", "floor_area_m2"]] = el[["capacity", "floor_area_m2"]].fillna(0.0)
        return el.sort_values(["service_id", "site_id"], kind="mergesort").reset_index(drop=True)

    def reach(self) -> pd.DataFrame:
        """(zone, service, site) triples a zone may be served from: the sparse support of assignments.

        ``allocated`` and ``nearest`` services: eligible sites within the service's standard (or
        ``policy.max_reach_m``), for ``nearest`` services only the ``policy.nearest_candidates``
        nearest (or more, up to the nearest current provider; always a prefix by distance, so the
        nearest rule stays exact); ``district`` services: the eligible sites of the zone's district, whatever the
        distance.  Columns zone_id, service_id, site_id, distance_m (NaN when the pair is not in
        ``pairs``), sorted by service, zone, distance and site (the ``nearest`` order).
        """
        el = self.eligible()[["service_id", "site_id"]]
        zk = self.demand[["zone_id", "service_id"]].drop_duplicates()
        rule = self.services.set_index("service_id")["rule"]
        parts = []
        plain = zk[zk["service_id"].map(rule) != "district"]
        t = plain.merge(el, on="service_id").merge(self.pairs, on=["zone_id", "site_id"])
        cov = self.services.set_index("service_id")["coverage_m"]
        limit = t["service_id"].map(cov).to_numpy(dtype=float)
        far = self.policy.max_reach_m if self.policy.max_reach_m is not None else np.inf
        limit = np.where(np.isnan(limit), far, limit)
        parts.append(t[t["distance_m"].to_numpy() <= limit + 1e-9])
        for k in rule.index[rule == "district"]:
            zd, sd = self.district_tables(k)
            zz = zk[zk["service_id"] == k].assign(district=lambda f: f["zone_id"].map(zd))
            ss = el[el["service_id"] == k].assign(district=lambda f: f["site_id"].map(sd))
            t = zz.merge(ss, on=["service_id", "district"]).merge(self.pairs, on=["zone_id", "site_id"], how="left")
            parts.append(t.drop(columns="district"))
        out = pd.concat(parts, ignore_index=True)
        out["distance_m"] = out["distance_m"].astype(float)
        out["_d"] = out["distance_m"].round(1).fillna(np.inf)
        out = out.sort_values(["service_id", "zone_id", "_d", "site_id"], kind="mergesort").reset_index(drop=True)
        k = self.policy.nearest_candidates
        if k is not None:  # the k nearest eligible sites, and at least up to the nearest current provider:
            # a prefix by distance, so that nobody can pass a nearer provider the model does not see
            near = out["service_id"].map(rule).eq("nearest").to_numpy()
            key = [out["service_id"], out["zone_id"]]
            rank = out.groupby(key, sort=False).cumcount()
            cur = pd.MultiIndex.from_frame(self.placements[["service_id", "site_id"]].drop_duplicates())
            now = pd.Series(pd.MultiIndex.from_frame(out[["service_id", "site_id"]]).isin(cur), index=out.index)
            first_now = rank.where(now).groupby(key, sort=False).transform("min").fillna(-1)
            keep = ~near | (rank < np.maximum(k, first_now + 1)).to_numpy()
            out = out[keep].reset_index(drop=True)
        return out[["zone_id", "service_id", "site_id", "distance_m"]]

    def demand_by_period(self) -> pd.DataFrame:
        """zone_id, service_id, p, population, demand: the largest of the period's years, so that a
        portfolio that meets a period's demand meets it in each of its years."""
        per = self.policy.periods()
        pidx = np.searchsorted(per["start"].to_numpy(), self.demand["year"].to_numpy(), side="right") - 1
        d = self.demand.assign(p=pidx)
        return (d.groupby(["zone_id", "service_id", "p"], sort=True, as_index=False)[["population", "demand"]]
                .max())

    def coverage_rule(self, service_id: str) -> tuple[str, float]:
        """('hard', 1.0) or ('min_share', share) for a service."""
        if service_id in self.policy.min_share:
            return "min_share", self.policy.min_share[service_id]
        return "hard", 1.0

    def disposal_table(self) -> pd.DataFrame:
        """What each freed site's land may become: one row per (existing sellable site, allowed option).

        Columns site_id, choice (sell, lease, reuse), need_id (reuse), value_yen (one-off, in the
        closure year) and value_yen_per_year (every year after the closure).  ``sell``: the land value;
        ``lease``: ``lease_yield`` × the land value a year (both only where the land has a value);
        ``reuse``: each need of ``policy.reuse_needs`` the site fits.  'hold' (nothing) needs no row.
        """
        pol = self.policy
        cols = ["site_id", "choice", "need_id", "value_yen", "value_yen_per_year"]
        s = self.sites[self.sites["kind"].eq("existing") & self.sites["sellable"]]
        value = (s["land_value_yen_per_m2"] * s["site_area_m2"]).to_numpy()
        ids = s["site_id"].to_numpy()
        opts = pol.disposal_options
        rows = []
        if "sell" in opts:
            rows.append(pd.DataFrame({"site_id": ids, "choice": "sell", "need_id": "", "value_yen": value,
                                      "value_yen_per_year": 0.0})[value > 0])
        if "lease" in opts:
            rows.append(pd.DataFrame({"site_id": ids, "choice": "lease", "need_id": "", "value_yen": 0.0,
                                      "value_yen_per_year": pol.lease_yield * value})[value > 0])
        if "reuse" in opts:
            limit = (s["site_area_m2"] * s["max_far"].fillna(np.inf)).to_numpy()
            for n in pol.reuse_needs:
                fits = (s["site_area_m2"].to_numpy() >= n.min_site_area_m2) & (limit >= n.floor_m2)
                rows.append(pd.DataFrame({"site_id": ids[fits], "choice": "reuse", "need_id": n.id,
                                          "value_yen": n.value_yen, "value_yen_per_year": n.value_yen_per_year}))
        if not rows:
            return pd.DataFrame(columns=cols)
        out = pd.concat(rows, ignore_index=True)[cols]
        order = {c: i for i, c in enumerate(DISPOSALS)}
        out = out.assign(_o=out["choice"].map(order)).sort_values(["site_id", "_o", "need_id"], kind="mergesort")
        return out.drop(columns="_o").reset_index(drop=True)

    def operator_candidates(self) -> pd.DataFrame:
        """Current placements that may switch operator (``policy.operator_change``): service_id, site_id,
        ward_yen_per_place_year, commissioned_yen_per_place_year, transition_yen (empty without it)."""
        cols = ["service_id", "site_id", "ward_yen_per_place_year", "commissioned_yen_per_place_year",
                "transition_yen"]
        oc = self.policy.operator_change
        if oc is None:
            return pd.DataFrame(columns=cols)
        cur = self.placements[self.placements["capacity"] > 0][["service_id", "site_id"]].drop_duplicates()
        cur = cur[cur["service_id"].isin(list(oc.services)) & ~cur["site_id"].isin(oc.exclude_sites)]
        if oc.categories:
            cat = self.sites.set_index("site_id")["category"]
            cur = cur[cur["site_id"].map(cat).isin(oc.categories)]
        rate = self.services.set_index("service_id")["operating_yen_per_place_year"]
        cur = cur.assign(ward_yen_per_place_year=cur["service_id"].map(rate).to_numpy(dtype=float),
                         commissioned_yen_per_place_year=[oc.services[k].commissioned_yen_per_place_year
                                                          for k in cur["service_id"]],
                         transition_yen=[oc.services[k].transition_yen for k in cur["service_id"]])
        return cur.sort_values(["service_id", "site_id"], kind="mergesort").reset_index(drop=True)[cols]

    def rule(self, service_id: str) -> str:
        """The assignment rule of a service (allocated, nearest or district)."""
        return str(self.services.set_index("service_id").at[service_id, "rule"])


def _coerce(df: pd.DataFrame, spec: dict[str, tuple[str, object]], table: str,
            issues: list[DataIssue]) -> pd.DataFrame:
    """Keep the spec's columns with their dtypes, fill defaults, record missing/invalid columns."""
    df = pd.DataFrame(df).reset_index(drop=True)
    out = pd.DataFrame(index=df.index)
    for col, (kind, default) in spec.items():
        if col not in df.columns:
            if default is None:
                issues.append(DataIssue(table, None, col, f"required column '{col}' is missing "
                                        f"(columns found: {', '.join(map(str, df.columns))})"))
                continue
            out[col] = [[] for _ in range(len(df))] if kind == "list" else default
            continue
        s = df[col]
        try:
            if kind == "str":
                out[col] = s.fillna("").astype(str).str.strip()
            elif kind == "float":
                out[col] = pd.to_numeric(s, errors="raise").astype(float)
            elif kind == "int":
                out[col] = pd.to_numeric(s, errors="raise").astype(np.int64)
            elif kind == "bool":
                out[col] = s.map(_to_bool).astype(bool)
            elif kind == "list":
                out[col] = s.map(_to_list)
        except (ValueError, TypeError) as exc:
            issues.append(DataIssue(table, None, col, f"cannot read column '{col}' as {kind}: {exc}"))
    return out


def _to_bool(v) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("1", "true", "yes", "y", "t")
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return False
    return bool(v)


def _to_list(v) -> list[str]:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return []
    if isinstance(v, str):
        return sorted({p.strip() for p in v.split(";") if p.strip()})
    return sorted({str(p) for p in v})


def _check_ids(values: pd.Series, known: set[str], table: str, field: str, what: str,
               issues: list[DataIssue]) -> None:
    for i, v in enumerate(values, start=1):
        if v not in known:
            shown = ", ".join(sorted(known)[:12]) + (" ..." if len(known) > 12 else "")
            issues.append(DataIssue(table, i, field, f"unknown {what} {v!r} (known: {shown})"))


def _check_unique(values: pd.Series, table: str, field: str, issues: list[DataIssue]) -> None:
    dup = values[values.duplicated()]
    for i, v in dup.items():
        issues.append(DataIssue(table, int(i) + 1, field, f"duplicate id {v!r}"))




def _check_policy(pol: Policy, sites: set[str], services: set[str], candidates: set[str],
                  issues: list[DataIssue]) -> None:
    def unknown(ids, known, field, what):
        for v in ids:
            if v not in known:
                issues.append(DataIssue("policy", None, field, f"unknown {what} {v!r}"))

    unknown(pol.lock_open, sites, "lock_open", "site")
    unknown(pol.lock_closed, sites, "lock_closed", "site")
    unknown(pol.frozen_sites, sites, "frozen_sites", "site")
    unknown(pol.frozen_services, services, "frozen_services", "service")
    unknown(pol.keep_services, services, "keep_services", "service")
    unknown([k for pair in pol.incompatible for k in pair], services, "incompatible", "service")
    unknown(pol.min_share, services, "min_share", "service")
    unknown(pol.min_capacity, services, "min_capacity", "service")
    for s, ks in pol.candidate_services.items():
        if s not in candidates:
            issues.append(DataIssue("policy", None, "candidate_services", f"{s!r} is not a candidate site"))
        unknown(ks, services, "candidate_services", "service")
    oc = pol.operator_change
    if oc is not None:
        unknown(oc.services, services, "operator_change.services", "service")
        unknown(oc.exclude_sites, sites, "operator_change.exclude_sites", "site")
    for j, rule in enumerate(pol.mergers):
        unknown([rule.service], services, f"mergers[{j}].service", "service")
        unknown([s for pr in rule.pairs for s in (pr.close, pr.into)], sites - candidates, f"mergers[{j}].pairs",
                "existing site")
    unknown(pol.hubs, sites, "hubs", "site")
    clash = sorted(set(pol.frozen_sites) & set(pol.lock_closed))
    if clash:
        issues.append(DataIssue("policy", None, "frozen_sites", f"frozen sites also locked closed: {clash}"))




def _check_reform_policy(pol: Policy, services: pd.DataFrame, placements: pd.DataFrame, sites: pd.DataFrame,
                         issues: list[DataIssue]) -> None:
    """Mergers name a ``district`` service and schools that provide it today; hubs open within the horizon,
    not before their site is available."""
    rule = dict(zip(services["service_id"], services["rule"]))
    for j, m in enumerate(pol.mergers):
        if m.service in rule and rule[m.service] != "district":
            issues.append(DataIssue("policy", None, f"mergers[{j}].service",
                                    f"{m.service!r} is a {rule[m.service]!r} service; mergers need a 'district' one"))
        now = set(placements.loc[placements["service_id"] == m.service, "site_id"])
        for pr in m.pairs:
            for s in (pr.close, pr.into):
                if s in set(sites["site_id"]) and s not in now:
                    issues.append(DataIssue("policy", None, f"mergers[{j}].pairs",
                                            f"{s!r} does not provide {m.service!r} today"))
    avail = dict(zip(sites["site_id"], sites["available_from"]))
    for s, h in pol.hubs.items():
        if h.from_year is not None and (h.from_year < avail.get(s, 0) or h.from_year >= pol.end_year):
            issues.append(DataIssue("policy", None, "hubs", f"hub {s!r} from {h.from_year}: the site is available "
                                    f"from {avail.get(s, 0)} and the horizon ends {pol.end_year - 1}"))


def _fill_floor(pl: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """Give each current placement the floor it uses: given values, else the site's remaining floor
    split by capacity share; scaled down when the given values exceed the building."""
    pl = pl.copy()
    area = sites.set_index("site_id")["floor_area_m2"]
    for sid, grp in pl.groupby("site_id", sort=True):
        total = float(area.get(sid, 0.0))
        given = grp["floor_area_m2"].fillna(0.0)
        missing = grp["floor_area_m2"].isna()
        rest = max(total - float(given.sum()), 0.0)
        if missing.any():
            w = grp.loc[missing, "capacity"].clip(lower=1e-9)
            pl.loc[w.index, "floor_area_m2"] = rest * w / w.sum()
        used = float(pl.loc[grp.index, "floor_area_m2"].sum())
        if used > total + 1e-6 and used > 0:
            log.info("site %s: services' floor %.1f m2 exceeds the building's %.1f m2; scaled down", sid, used, total)
            pl.loc[grp.index, "floor_area_m2"] *= total / used
    return pl
