"""The planning policy of a portfolio problem and its parts: horizon and periods, budget, locks, limits,
service floors, renewal rules, freed land (:class:`ReuseNeed`), operator change (:class:`OperatorChange`)
and the reform plan's moves (:class:`~facility_opt.portfolio.reform.MergerRule`,
:class:`~facility_opt.portfolio.reform.HubRule`).

Plain pydantic models, validated on their own; the ids they name are checked against the problem's
tables by :mod:`facility_opt.portfolio.validate`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..renewal.schedule.params import Budget, ScheduleParams
from .reform import HubRule, MergerRule

__all__ = ["Policy", "ReuseNeed", "OperatorChange", "OperatorService", "DISPOSALS"]


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
        ge=0, description="What the ward pays per place a year once the placement is commissioned."
    )
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
        default=None, description="First year the portfolio may differ from today's (None: the start year)."
    )
    period_years: int = Field(
        default=2, ge=1, le=30, description="Length of the periods at whose starts the portfolio may change."
    )
    period_starts: list[int] | None = Field(
        default=None,
        description="The years the portfolio may change (instead of every period_years from the "
        "earliest change year); the first is the earliest change year.",
    )
    build_years: int = Field(
        default=2, ge=1, le=10, description="Years of construction before added floor or a new building is usable."
    )
    lock_open: list[str] = Field(default_factory=list, description="Sites that must stay open.")
    lock_closed: list[str] = Field(default_factory=list, description="Sites that must close (at the first change).")
    frozen_sites: list[str] = Field(
        default_factory=list, description="Sites excluded from change: open, same services, nothing added."
    )
    frozen_services: list[str] = Field(
        default_factory=list, description="Services excluded from change: they stay exactly where they are."
    )
    keep_services: list[str] = Field(
        default_factory=list,
        description="Services that stay at every site that provides them now (they may still grow or open elsewhere).",
    )
    max_closures: int | None = Field(default=None, ge=0, description="Most existing sites that may close.")
    min_floor_reduction: float | None = Field(
        default=None, ge=-1, le=1, description="Least share of total floor area to cut by the end."
    )
    max_floor_reduction: float | None = Field(
        default=None, ge=-1, le=1, description="Largest share of total floor area to cut by the end."
    )
    capital_budget_yen: float | None = Field(
        default=None, ge=0, description="Cap on total capital spend for change: floor added and land bought."
    )
    budget: Budget | None = Field(
        default=None, description="Annual cap on renewal plus capital spend (schedule.Budget); None: no cap."
    )
    min_level_budget: bool = Field(
        default=False, description="Find the smallest level annual budget first, then the cheapest plan at it."
    )
    renewal: ScheduleParams = Field(
        default_factory=ScheduleParams,
        description="Renewal timing rules: windows, deferral risk, hard limits, preventive variant, fund, bonds.",
    )
    extension_premium: float = Field(
        default=0.0, ge=0, description="Extra share on the unit cost of floor added outside a rebuild (増築)."
    )
    temporary_yen_per_m2_year: float = Field(
        default=0.0, ge=0, description="Temporary premises for a building's services during its rebuild (per m²·year)."
    )
    min_capacity: dict[str, float | dict[int, float]] = Field(
        default_factory=dict,
        description="Service -> least total capacity: one value, or {year: value} carried forward to later years.",
    )
    incompatible: list[tuple[str, str]] = Field(
        default_factory=list, description="Service pairs that may not share a site."
    )
    candidate_services: dict[str, list[str]] = Field(
        default_factory=dict, description="Candidate site -> the only services it may host."
    )
    min_share: dict[str, float] = Field(
        default_factory=dict,
        description="Service -> least share of its target population to cover; services not listed are hard.",
    )
    sharing_saving: float = Field(
        default=0.1, ge=0, lt=1, description="Share of an added service's floor need saved by sharing a building."
    )
    allow_expansion: bool = Field(default=True, description="Existing placements may add capacity (and floor).")
    access_weight_yen_per_person_km: float = Field(
        default=0.0, ge=0, description="Yen per resident per km of distance to the serving site per year (access term)."
    )
    disposal: Literal["sell", "lease", "reuse", "hold", "none"] | list[Literal["sell", "lease", "reuse", "hold"]] = (
        Field(
            default="sell",
            description="What may happen to the land of a freed sellable site: one option (sell, lease, "
            "reuse, hold; 'none' = hold) or a list the optimiser chooses from per site.",
        )
    )
    reuse_needs: list[ReuseNeed] = Field(default_factory=list, description="Needs a freed site may be reused for.")
    operator_change: OperatorChange | None = Field(
        default=None, description="Operator change (委託・民営化) as a decision; None: no switch variables at all."
    )
    lease_yield: float = Field(default=0.03, ge=0, le=1, description="Yearly lease income as a share of land value.")
    max_reach_m: float | None = Field(
        default=None, gt=0, description="Reach for services without a coverage standard (None: any pair)."
    )
    # -- the reform plan's moves (facility_opt.portfolio.reform)
    allow_downsizing: bool = Field(
        default=False,
        description="A rebuild may rebuild less floor than today's (減築): at least what the services "
        "placed there need; each m² less saves the site's build_yen_per_m2 and its running cost.",
    )
    conversion_yen_per_m2: float = Field(
        default=0.0,
        ge=0,
        description="Fit-out cost per m² of existing floor a service moves into at a building of "
        "a category it does not use today (機能転換), paid in the year it arrives.",
    )
    mergers: list[MergerRule] = Field(
        default_factory=list, description="School mergers the optimiser may (or must) make, per schooling service."
    )
    hubs: dict[str, HubRule] = Field(
        default_factory=dict,
        description="Site -> a hub that must be open with at least some services from a year "
        "(e.g. a new building at a planned station from its opening year).",
    )
    nearest_candidates: int | None = Field(
        default=8,
        ge=1,
        description="A 'nearest' service's zone may use only its this many nearest eligible sites "
        "within the standard (None: all); keeps the closest-assignment rows few.",
    )

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
            raise ValueError(
                f"earliest_change_year {ch} must lie within the horizon {self.start_year}..{self.end_year - 1}"
            )
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
                raise ValueError(
                    f"period_starts must be increasing years from the earliest change year {ch} within "
                    f"the horizon (got {ps})"
                )
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
        return pd.DataFrame(
            {"p": np.arange(len(starts)), "start": starts, "end": ends, "fixed": [s < ch for s in starts]}
        )

    def min_capacity_by_year(self, service_id: str) -> np.ndarray:
        """The least total capacity of a service in each year of the horizon (0 where none is set)."""
        v = self.min_capacity.get(service_id, 0.0)
        if not isinstance(v, dict):
            return np.full(self.horizon_years, float(v))
        keys = np.array(sorted(v), dtype=np.int64)
        vals = np.array([float(v[k]) for k in sorted(v)])
        i = np.searchsorted(keys, self.years(), side="right") - 1  # the latest year given, carried forward
        return np.where(i >= 0, vals[np.maximum(i, 0)], 0.0)
