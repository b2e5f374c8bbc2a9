"""What every check reads: the problem's tables and the plan's state, year by year, read once.

:class:`Context` holds the years, when each site is open (``is_open``), each service's capacity and
added places at each site per year (``cap_y``, ``add_y``, NaN when it is not there), read from the
plan's own tables only (never from solver variables).  The checks that need figures derived by an
earlier check (the residents left uncovered, for the lead years) find them here too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..plan import Plan
from ..problem import Policy, PortfolioProblem
from ..rows import SitePlan, TimelineRow

__all__ = ["Context"]


@dataclass
class Context:
    """The plan and the problem, read once for every check (``baseline``: a keep-everything plan)."""

    plan: Plan
    problem: PortfolioProblem
    baseline: bool
    #: timeline rows that overlap an earlier row of the same service and site
    overlaps: list[TimelineRow] = field(default_factory=list)
    #: the (service, site) pairs the timeline states, in the order it states them
    stated: list[tuple[str, str]] = field(default_factory=list)
    #: current placements the timeline does not state (added to ``cap_y`` as absent)
    missing: list[tuple[str, str]] = field(default_factory=list)
    #: residents without a site within the standard, per (service, year index): set by the coverage check
    unc_pop: dict[tuple[str, int], float] = field(default_factory=lambda: defaultdict(float))
    #: spend by year and costs by site and year recomputed from the plan's state (None: not recomputable)
    money: pd.DataFrame | None = None
    costs: pd.DataFrame | None = None
    # read in __post_init__ and by read_sites / read_timeline
    pol: Policy = field(init=False)
    years: np.ndarray = field(init=False)
    first: int = field(init=False)
    last: int = field(init=False)
    sites: pd.DataFrame = field(init=False)  # indexed by site_id
    svc: pd.DataFrame = field(init=False)  # indexed by service_id
    rows: dict[str, SitePlan] = field(init=False)
    per: pd.DataFrame = field(init=False)
    starts: set[int] = field(init=False)
    ch: int = field(init=False)
    ready: int = field(init=False)
    t_of: dict[int, int] = field(init=False)
    cur: pd.DataFrame = field(init=False)  # current capacity and floor by (service, site)
    ev: pd.DataFrame = field(init=False)
    ev_status: pd.DataFrame = field(init=False)
    is_open: dict[str, np.ndarray] = field(init=False)
    cap_y: dict[tuple[str, str], np.ndarray] = field(init=False)
    add_y: dict[tuple[str, str], np.ndarray] = field(init=False)

    def __post_init__(self) -> None:
        plan, problem = self.plan, self.problem
        pol = self.pol = problem.policy
        self.years = pol.years()
        self.first, self.last = pol.start_year, pol.end_year - 1
        self.sites = problem.sites.set_index("site_id")
        self.svc = problem.services.set_index("service_id")
        self.rows = {s.site_id: s for s in plan.sites}
        self.per = pol.periods()
        self.starts = set(self.per["start"])
        self.ch = pol.change_year  # nothing changes before it; nothing new is usable before ch + build_years
        # ... and only from a period start: hard coverage is due from the first period start from then on
        self.ready = min((int(y) for y in self.per["start"] if y >= self.ch + pol.build_years), default=pol.end_year)
        self.t_of = {int(y): t for t, y in enumerate(self.years)}
        self.cur = problem.placements.groupby(["service_id", "site_id"]).agg(
            cap=("capacity", "sum"), floor=("floor_area_m2", "sum")
        )
        self.ev = problem.events.reset_index(drop=True)
        self.ev_status = pd.DataFrame([e.model_dump() for e in plan.events])

    def read_sites(self) -> None:
        """``is_open[site]``: the years each site is open (the plan must state every site)."""
        pol, years = self.pol, self.years
        self.is_open = {}
        for s, r in self.rows.items():
            yr = np.zeros(len(years), dtype=bool)
            if r.open_from is not None:
                end = r.closes if r.closes is not None else pol.end_year
                yr = (years >= r.open_from) & (years < end)
            self.is_open[s] = yr

    def read_timeline(self) -> None:
        """``cap_y``/``add_y[(service, site)]``: places and added places per year (NaN/0 when absent)."""
        n = len(self.years)
        self.cap_y, self.add_y = {}, {}
        for r in self.plan.timeline:
            key = (r.service_id, r.site_id)
            arr = self.cap_y.setdefault(key, np.full(n, np.nan))
            add = self.add_y.setdefault(key, np.zeros(n))
            sl = slice(self.t_of[r.from_year], self.t_of[r.to_year] + 1)
            if np.isfinite(arr[sl]).any():
                self.overlaps.append(r)
            arr[sl] = r.capacity
            add[sl] = r.added
        self.stated = sorted(self.cap_y)

    def add_missing(self) -> None:
        """Current placements the timeline does not state: absent in every year."""
        n = len(self.years)
        for k, s in self.cur.index:
            if (k, s) not in self.cap_y:
                self.cap_y[(k, s)] = np.full(n, np.nan)
                self.add_y[(k, s)] = np.zeros(n)
                self.missing.append((k, s))
