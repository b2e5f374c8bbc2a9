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
  one-off ``transition_yen``: :class:`~facility_opt.portfolio.policy.OperatorChange`);
* a closed ``sellable`` site (owned, separable, site area known) is sold (land value in its closure
  year), leased (``lease_yield`` × land value every year after), reused for a need of
  ``policy.reuse_needs`` or held, as ``policy.disposal`` allows (:class:`~facility_opt.portfolio.policy.ReuseNeed`).
* with ``policy.allow_downsizing`` a rebuild may rebuild less floor, each m² less saving
  ``build_yen_per_m2`` and its running cost; a service moving into existing floor of a category it
  does not use today pays ``policy.conversion_yen_per_m2`` (:mod:`facility_opt.portfolio.reform`).

The policy is :mod:`facility_opt.portfolio.policy`, the tables' columns :mod:`.columns`, their
validation :mod:`.validate` and the tables derived from a problem :mod:`.tables`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataIssue, DataValidationError
from .policy import Policy
from .tables import ProblemTables
from .validate import canonical, check_tables, read_tables

__all__ = ["PortfolioProblem"]


@dataclass(frozen=True)
class PortfolioProblem(ProblemTables):
    """A validated multi-year portfolio instance (see the module docstring for the rules and costs).

    Tables are sorted by their ids and never changed after construction; use :meth:`replace` to
    derive a variant (another policy, a tighter standard).

    Attributes
    ----------
    zones : zone_id, name, x, y (coordinates optional, metric).
    sites : one row per building or candidate site (:data:`~facility_opt.portfolio.columns.SITE_COLUMNS`).
    services : one row per service (:data:`~facility_opt.portfolio.columns.SERVICE_COLUMNS`).
    demand : zone_id, service_id, year, population (target residents), demand (capacity units);
        one row per year of the horizon for every (zone, service) with demand.
    placements : the current portfolio: facility_id, facility_name, site_id, service_id, capacity,
        floor_area_m2 (the floor the service uses now; missing values are filled from the site).
    pairs : zone_id, site_id, distance_m: the zone–site pairs within reach (sparse).
    policy : :class:`Policy`.
    name : a label for reports.
    events : renewal events of existing sites (:data:`~facility_opt.portfolio.columns.EVENT_COLUMNS`); empty: no
        renewal costs.
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
    def from_frames(
        cls,
        *,
        sites: pd.DataFrame,
        services: pd.DataFrame,
        demand: pd.DataFrame,
        placements: pd.DataFrame,
        pairs: pd.DataFrame,
        zones: pd.DataFrame | None = None,
        policy: Policy | dict | None = None,
        name: str = "portfolio",
        events: pd.DataFrame | None = None,
        zone_districts: pd.DataFrame | None = None,
        site_districts: pd.DataFrame | None = None,
    ) -> PortfolioProblem:
        """Validate plain DataFrames into a problem; every problem found is raised together.

        Missing optional columns take their defaults (:mod:`~facility_opt.portfolio.columns`: ``SITE_COLUMNS``,
        ``SERVICE_COLUMNS``, ``EVENT_COLUMNS``).  Demand without a ``year`` column holds in every year of the horizon.

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
        t = read_tables(
            issues,
            sites=sites,
            services=services,
            demand=demand,
            placements=placements,
            pairs=pairs,
            zones=zones,
            events=events,
            zone_districts=zone_districts,
            site_districts=site_districts,
        )
        if issues:
            raise DataValidationError(issues)
        check_tables(pol, t, issues)
        if issues:
            raise DataValidationError(issues)
        return cls(policy=pol, name=name, **canonical(pol, t))

    def replace(self, **changes) -> PortfolioProblem:
        """A copy with some tables or the policy replaced (re-validated).

        ``policy`` may be a :class:`Policy` or a dict of policy fields to update.
        """
        pol = changes.pop("policy", self.policy)
        if isinstance(pol, dict):
            pol = Policy.model_validate({**self.policy.model_dump(), **pol})
        kw = dict(
            zones=self.zones,
            sites=self.sites,
            services=self.services,
            demand=self.demand,
            placements=self.placements,
            pairs=self.pairs,
            name=self.name,
            events=self.events,
            zone_districts=self.zone_districts,
            site_districts=self.site_districts,
        )
        kw.update(changes)
        return PortfolioProblem.from_frames(policy=pol, **kw)

    # ------------------------------------------------------------------ views
    def __repr__(self) -> str:
        n_cand = int((self.sites["kind"] == "candidate").sum())
        pol = self.policy
        return (
            f"PortfolioProblem({self.name!r}: {len(self.zones)} zones, {len(self.sites)} sites "
            f"({n_cand} candidates), {len(self.services)} services, {len(self.pairs)} pairs, "
            f"{len(pol.periods())} periods of {pol.start_year}-{pol.end_year - 1})"
        )

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

    def coverage_rule(self, service_id: str) -> tuple[str, float]:
        """('hard', 1.0) or ('min_share', share) for a service."""
        if service_id in self.policy.min_share:
            return "min_share", self.policy.min_share[service_id]
        return "hard", 1.0

    def rule(self, service_id: str) -> str:
        """The assignment rule of a service (allocated, nearest or district)."""
        return str(self.services.set_index("service_id").at[service_id, "rule"])
