"""The :class:`Plan` a portfolio optimisation returns: a year-by-year plan with decisions, reasons, files.

A plan is plain data (pydantic), labelled by the caller's ids, independent of the solver: it can
be inspected in a notebook (:meth:`Plan.frame`), written to a folder (:meth:`Plan.to_files`) and
read back (:meth:`Plan.from_json`).  It states, for every site, when it is open; for every service,
where it is and with what capacity in which years (``timeline``); for every zone, where its
residents go in each period (``assignments``); what happens to each renewal event (``events``);
floor added (``floor``); and, per year and service, demand, capacity, coverage and the money spent
against the budget (``years``).  Every figure is rounded when the plan is assembled (yen to the
yen, m² and metres to 0.1, shares to 1e-6) so that files are byte-stable.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from ..atomic import atomic_write_text
from ..solver import SolveInfo
from .economics import CASH_KINDS, COST_KINDS, PlanState, apportion, capital_by_year, kind_savings, site_year_costs
from .model import SCALE, Solution
from .problem import PortfolioProblem

__all__ = ["Plan", "Decision", "Assignment", "SitePlan", "ServiceKpi", "Kpis", "SolverReport", "TimelineRow",
           "EventRow", "YearRow", "FloorChange", "FreedSite", "assemble_plan", "format_yen", "state_of", "PLAN_TABLES"]

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
        return cls(status=info.status,
                   objective_yen=None if info.objective is None else round(info.objective * SCALE),
                   bound_yen=None if info.bound is None else round(info.bound * SCALE),
                   gap=None if info.gap is None else round(info.gap, 6), solver=info.solver,
                   build_seconds=info.build_seconds, solve_seconds=info.solve_seconds)


#: the tables of a plan (``Plan.frame(name)``) and their row models
PLAN_TABLES: dict[str, type[_Row]] = {
    "decisions": Decision, "sites": SitePlan, "capacities": Capacity, "assignments": Assignment,
    "uncovered": Uncovered, "services": ServiceKpi, "timeline": TimelineRow, "events": EventRow,
    "floor": FloorChange, "years": YearRow, "periods": Period, "freed_sites": FreedSite, "mergers": MergerRow,
    "conversions": ConversionRow,
}


class Plan(BaseModel):
    """A year-by-year portfolio plan: decisions, timeline, assignments, renewal events, KPIs.

    ``valid`` is False when the independent check (:func:`facility_opt.portfolio.check.check_plan`)
    found violations, listed in ``violations``.  ``baseline_issues`` says where keeping everything
    misses the standards or the budget.
    """

    model_config = ConfigDict(extra="forbid")

    name: str
    start_year: int
    horizon_years: int
    policy: dict
    solver: SolverReport
    kpis: Kpis
    periods: list[Period]
    decisions: list[Decision]
    sites: list[SitePlan]
    capacities: list[Capacity]
    timeline: list[TimelineRow]
    floor: list[FloorChange]
    events: list[EventRow]
    years: list[YearRow]
    assignments: list[Assignment]
    uncovered: list[Uncovered]
    baseline_feasible: bool
    baseline_issues: list[str]
    baseline_events: list[EventRow] = Field(default_factory=list)
    baseline_floor: list[FloorChange] = Field(default_factory=list)
    #: where keeping everything leaves residents uncovered (the lead years' reference, check_plan)
    baseline_uncovered: list[Uncovered] = Field(default_factory=list)
    baseline_timeline: list[TimelineRow] = Field(default_factory=list)
    freed_sites: list[FreedSite] = Field(default_factory=list)
    mergers: list[MergerRow] = Field(default_factory=list)
    conversions: list[ConversionRow] = Field(default_factory=list)
    violations: list[str] = Field(default_factory=list)
    valid: bool = True

    # ------------------------------------------------------------------ views
    def __repr__(self) -> str:
        k = self.kpis
        gap = "-" if self.solver.gap is None else f"{100 * self.solver.gap:.2f}%"
        return (f"Plan({self.name!r}: {self.solver.status}, gap {gap}; buildings {k.buildings_before} -> "
                f"{k.buildings_after}, floor {k.floor_before_m2:,.0f} -> {k.floor_after_m2:,.0f} m2, "
                f"{k.horizon_years}-year cost {format_yen(k.cost_before_yen)} -> {format_yen(k.cost_after_yen)} "
                f"(saves {format_yen(k.saving_yen)}); {'valid' if self.valid else 'INVALID'})")

    __str__ = __repr__

    def frame(self, table: str) -> pd.DataFrame:
        """One table of the plan as a DataFrame (``services``: the per-service KPIs); see :data:`PLAN_TABLES`."""
        if table not in PLAN_TABLES:
            raise KeyError(f"unknown plan table {table!r}; tables: {', '.join(PLAN_TABLES)}")
        rows = self.kpis.services if table == "services" else getattr(self, table)
        return pd.DataFrame([r.model_dump() for r in rows], columns=list(PLAN_TABLES[table].model_fields))

    def changes(self) -> pd.DataFrame:
        """The decisions that change something (everything but keep/rebuild without service changes)."""
        d = self.frame("decisions")
        return d[(d["decision"].isin(["close", "convert", "host", "new"])) | (d["lost"].map(len) > 0)
                 | (d["gained"].map(len) > 0)].reset_index(drop=True)

    def explore(self, ward, problem: PortfolioProblem | None = None, *, lang: str | None = None, catalogue=None,
                tiles: str | None = "OpenStreetMap"):
        """The plan on an interactive folium map for Jupyter (a layer per decision kind and per service,
        town blocks shaded by coverage): :func:`facility_opt.webmap.explore_plan`.  Returns the
        ``folium.Map``; needs ``pip install 'facility-opt[map]'``."""
        from ..report.webmap import explore_plan

        return explore_plan(self, ward, problem, lang=lang, catalogue=catalogue, tiles=tiles)

    def state(self, problem: PortfolioProblem, baseline: bool = False) -> PlanState:
        """The plan's decisions (or, with ``baseline=True``, those of the keep-everything baseline it
        was compared with) as a :class:`PlanState` of ``problem``, for costs and checks."""
        pol = problem.policy
        per = pol.periods()
        rows = {s.site_id: s for s in self.sites}
        op = np.zeros((len(problem.sites), len(per)), dtype=bool)
        starts = per["start"].to_numpy()
        for i, sid in enumerate(problem.sites["site_id"]):
            r = rows.get(sid)
            if baseline:
                op[i] = r is not None and r.open_before
                continue
            if r is None or r.open_from is None:
                continue
            end = r.closes if r.closes is not None else pol.end_year
            op[i] = (starts >= r.open_from) & (starts < end)
        floor_rows, ev_rows = (self.baseline_floor, self.baseline_events) if baseline else (self.floor, self.events)
        floor = pd.DataFrame([r.model_dump() for r in floor_rows], columns=list(FloorChange.model_fields))
        ev = pd.DataFrame([r.model_dump() for r in ev_rows], columns=list(EventRow.model_fields))
        events = pd.DataFrame({"status": ev["status"], "year": ev["year"], "variant": ev["variant"],
                               "closure_year": ev["closure_year"]})
        tl = pd.DataFrame([r.model_dump() for r in (self.baseline_timeline if baseline else self.timeline)],
                          columns=list(TimelineRow.model_fields))
        places = tl[["service_id", "site_id", "from_year", "to_year", "capacity"]]
        com = tl[tl["operator"] == "commissioned"]
        operators = (com.groupby(["service_id", "site_id"], as_index=False, sort=True)["from_year"].min()
                     .rename(columns={"from_year": "year"}))
        fs = [] if baseline else [r for r in self.freed_sites if r.choice != "none"]
        disposals = pd.DataFrame([(r.site_id, r.choice, r.need_id) for r in fs], columns=["site_id", "choice", "need_id"])
        conv = pd.DataFrame([r.model_dump() for r in ([] if baseline else self.conversions)],
                            columns=list(ConversionRow.model_fields))
        return PlanState(open=op, floor=floor, events=events, places=places, disposals=disposals, operators=operators,
                         conversions=conv[["site_id", "year", "converted_m2"]])

    # ------------------------------------------------------------------ files
    def to_json(self) -> str:
        """The plan as JSON (sorted keys, no timings): identical input gives identical text."""
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, sort_keys=True, indent=1) + "\n"

    @classmethod
    def from_json(cls, text_or_path: str | Path) -> Plan:
        """Read a plan written by :meth:`to_json` / :meth:`to_files` (a path or the JSON text)."""
        p = Path(text_or_path) if not str(text_or_path).lstrip().startswith("{") else None
        text = p.read_text(encoding="utf-8") if p is not None else str(text_or_path)
        return cls.model_validate_json(text)

    def to_files(self, folder: str | Path) -> dict[str, Path]:
        """Write plan.json and one CSV per table atomically: decisions, assignments, costs (the
        sites table), services, timeline, events, floor, years, freed_sites.

        Files are sorted by their ids and formatted with fixed precision; no wall-clock values.
        """
        folder = Path(folder)
        out = {"plan.json": atomic_write_text(folder / "plan.json", self.to_json())}
        d = self.frame("decisions")
        for c in ("services_before", "services_after", "gained", "lost", "imputed_inputs"):
            d[c] = d[c].map(";".join)
        tables = {
            "decisions.csv": d.sort_values(["facility_id"], kind="mergesort"),
            "assignments.csv": self.frame("assignments").sort_values(["service_id", "zone_id", "from_year", "site_id"],
                                                                     kind="mergesort"),
            "costs.csv": self.frame("sites").sort_values(["site_id"], kind="mergesort"),
            "services.csv": self.frame("services").sort_values(["service_id"], kind="mergesort"),
            "timeline.csv": self.frame("timeline").sort_values(["site_id", "service_id", "from_year"],
                                                               kind="mergesort"),
            "events.csv": self.frame("events").sort_values(["site_id", "due_year", "kind"], kind="mergesort"),
            "floor.csv": self.frame("floor").sort_values(["site_id", "year", "how"], kind="mergesort"),
            "years.csv": self.frame("years").sort_values(["year", "service_id"], kind="mergesort"),
            "freed_sites.csv": self.frame("freed_sites").sort_values(["site_id"], kind="mergesort"),
        }
        for extra, key in (("mergers", ["service_id", "close"]), ("conversions", ["site_id", "year"])):
            if getattr(self, extra):  # only plans that make them
                tables[f"{extra}.csv"] = self.frame(extra).sort_values(key, kind="mergesort")
        for name, df in tables.items():
            for c in df.columns:  # optional integers stay integers in CSV
                if df[c].dtype == object and df[c].map(lambda v: v is None or isinstance(v, int)).all() \
                        and df[c].notna().any() and c not in ("reason",):
                    df[c] = df[c].astype("Int64")
                elif df[c].dtype == float and c in ("year", "end_year", "closure_year", "open_from", "closes"):
                    df[c] = df[c].astype("Int64")
            text = df.to_csv(index=False, lineterminator="\n", float_format="%.6f")
            out[name] = atomic_write_text(folder / name, text)
        return out


def format_yen(x: float) -> str:
    """Compact yen: ``¥1.23 bn``, ``¥45.6 M``, ``¥7,890``."""
    a = abs(x)
    if a >= 1e9:
        return f"¥{x / 1e9:,.2f} bn"
    if a >= 1e6:
        return f"¥{x / 1e6:,.1f} M"
    return f"¥{x:,.0f}"


# ---------------------------------------------------------------------- assembly
def state_of(problem: PortfolioProblem, sol: Solution) -> PlanState:
    """The :class:`PlanState` of a solver solution."""
    P = len(problem.policy.periods())
    op = sol.open.sort_values(["site_id", "p"]).set_index(["site_id", "p"])["open"]
    keys = pd.MultiIndex.from_product([problem.sites["site_id"], range(P)])
    open_ = op.reindex(keys).fillna(False).to_numpy(bool).reshape(len(problem.sites), P)
    fl = sol.floor_added
    floor = (fl.groupby(["site_id", "year", "how", "works_start", "works_years"], as_index=False, sort=True)["added_m2"]
             .sum()[["site_id", "year", "added_m2", "how", "works_start", "works_years"]])
    down = floor["how"] == "downsize"  # floor not rebuilt: rounded up, so the rebuild's stated cost never exceeds the model's
    floor["added_m2"] = np.where(down, -np.ceil(-floor["added_m2"] * 10 - 1e-6) / 10, floor["added_m2"].round(1)) + 0.0
    floor = floor[floor["added_m2"] != 0].reset_index(drop=True)
    per = problem.policy.periods()
    ev = sol.events.reset_index(drop=True)
    closure = ev["drop_p"].map(lambda q: None if pd.isna(q) else int(per["start"].iat[int(q)]))
    events = pd.DataFrame({"status": ev["status"], "year": ev["year"].where(ev["status"] == "done"),
                           "variant": ev["variant"].fillna(0).astype(int), "closure_year": closure})
    pl = sol.placements[sol.placements["place"] > 0.5]
    p = pl["p"].to_numpy(dtype=int)
    places = pd.DataFrame({"service_id": pl["service_id"].to_numpy(), "site_id": pl["site_id"].to_numpy(),
                           "from_year": per["start"].to_numpy()[p], "to_year": per["end"].to_numpy()[p],
                           "capacity": pl["capacity"].round(3).to_numpy()})  # as the timeline states them
    conv = sol.conversions
    conv = (conv.groupby(["site_id", "year"], as_index=False, sort=True)["converted_m2"].sum().round({"converted_m2": 1})
            if len(conv) else pd.DataFrame(columns=["site_id", "year", "converted_m2"]))
    return PlanState(open=open_, floor=floor, events=events, places=places, disposals=sol.disposals.copy(),
                     operators=sol.operators.copy(), conversions=conv[conv["converted_m2"] > 0].reset_index(drop=True))


def _wquantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    if len(x) == 0 or w.sum() <= 0:
        return 0.0
    o = np.argsort(x, kind="stable")
    cw = np.cumsum(w[o]) / w.sum()
    return float(x[o][min(np.searchsorted(cw, q - 1e-12), len(x) - 1)])


def _year_rows(problem: PortfolioProblem, sol: Solution, money: pd.DataFrame) -> list[YearRow]:
    pol = problem.policy
    per = pol.periods()
    years = pol.years()
    pidx = np.searchsorted(per["start"].to_numpy(), years, side="right") - 1
    pl = sol.placements[sol.placements["place"] > 0.5]
    cap = pl.groupby(["service_id", "p"])["capacity"].sum()
    nsites = pl.groupby(["service_id", "p"])["site_id"].nunique()
    a = sol.assignments
    share = a.groupby(["zone_id", "service_id", "p"])["share"].sum()
    d = problem.demand.assign(p=np.searchsorted(per["start"].to_numpy(), problem.demand["year"].to_numpy(),
                                                side="right") - 1)
    d["share"] = share.reindex(pd.MultiIndex.from_frame(d[["zone_id", "service_id", "p"]])).fillna(0.0).to_numpy()
    d["covered"] = d["population"] * np.minimum(d["share"], 1.0)
    g = d.groupby(["service_id", "year"]).agg(demand=("demand", "sum"), pop=("population", "sum"),
                                              covered=("covered", "sum"))
    m = money.set_index("year")
    out = []
    for k in problem.services["service_id"]:
        floor = pol.min_capacity_by_year(k)
        for t, y in enumerate(years):
            q = int(pidx[t])
            row = g.loc[(k, y)] if (k, y) in g.index else None
            pop = float(row["pop"]) if row is not None else 0.0
            out.append(YearRow(
                year=int(y), service_id=k, demand=round(float(row["demand"]) if row is not None else 0.0, 3),
                capacity=round(float(cap.get((k, q), 0.0)), 3), min_capacity=round(float(floor[t]), 3),
                covered_share=round(float(row["covered"]) / pop, 6) if pop > 0 else 1.0,
                sites=int(nsites.get((k, q), 0)), spend_yen=round(float(m.at[y, "spend_yen"])),
                budget_yen=None if np.isnan(m.at[y, "cap_yen"]) else round(float(m.at[y, "cap_yen"]))))
    return out


def _timeline(problem: PortfolioProblem, sol: Solution) -> list[TimelineRow]:
    per = problem.policy.periods()
    pl = sol.placements[sol.placements["place"] > 0.5].sort_values(["site_id", "service_id", "p"], kind="mergesort")
    switch = {(r.service_id, r.site_id): int(r.year) for r in sol.operators.itertuples(index=False)}
    out = []
    for (s, k), g in pl.groupby(["site_id", "service_id"], sort=True):
        ps, caps, add = g["p"].to_numpy(), g["capacity"].round(3).to_numpy(), g["ext"].round(3).to_numpy()
        com = per["start"].to_numpy()[ps] >= switch.get((k, s), 10**6)
        cur = bool(g["current"].iat[0])
        a = 0
        for j in range(1, len(ps) + 1):
            if (j == len(ps) or ps[j] != ps[j - 1] + 1 or caps[j] != caps[a] or add[j] != add[a]
                    or com[j] != com[a]):
                out.append(TimelineRow(site_id=s, service_id=k, from_year=int(per["start"].iat[ps[a]]),
                                       to_year=int(per["end"].iat[ps[j - 1]]), capacity=float(caps[a]),
                                       added=float(add[a]), current=cur,
                                       operator="commissioned" if com[a] else "ward"))
                a = j
    return out


def _freed_sites(problem: PortfolioProblem, st: PlanState, costs: pd.DataFrame) -> list[FreedSite]:
    """Every existing site the plan closes, with what its land becomes and the value over the horizon."""
    sites = problem.sites
    starts = problem.policy.periods()["start"].to_numpy()
    chosen = {r.site_id: (r.choice, r.need_id) for r in st.disposals.itertuples(index=False)} \
        if st.disposals is not None else {}
    val = costs.groupby("site_id")[["revenue_yen", "lease_yen", "reuse_yen"]].sum().sum(axis=1)
    out = []
    for i, r in enumerate(sites.itertuples(index=False)):
        if r.kind != "existing" or st.open[i].all():
            continue
        area = float(r.site_area_m2) if np.isfinite(r.site_area_m2) else None
        choice, need = chosen.get(r.site_id, ("hold", "") if r.sellable else ("none", ""))
        out.append(FreedSite(site_id=r.site_id, name=r.name, closure_year=int(starts[np.argmin(st.open[i])]),
                             site_area_m2=area, owned=bool(r.owned), separable=bool(r.separable),
                             land_value_yen=round(float(r.land_value_yen_per_m2) * (area or 0.0)),
                             choice=choice, need_id=need, value_yen=round(float(val.get(r.site_id, 0.0)))))
    return out


def _assignments(problem: PortfolioProblem, sol: Solution) -> tuple[list[Assignment], list[Uncovered]]:
    """Per period, consecutive periods with the same site and share merged (population: their largest)."""
    per = problem.policy.periods()
    a = sol.assignments.assign(share=sol.assignments["share"].round(6)).sort_values(
        ["zone_id", "service_id", "site_id", "p"], kind="mergesort")
    out = []
    for (z, k, s), g in a.groupby(["zone_id", "service_id", "site_id"], sort=True):
        ps, sh = g["p"].to_numpy(), g["share"].to_numpy()
        popv, demv = g["population"].to_numpy(), g["demand"].to_numpy()
        dist = g["distance_m"].iat[0]
        i0 = 0
        for j in range(1, len(ps) + 1):
            if j == len(ps) or ps[j] != ps[j - 1] + 1 or sh[j] != sh[i0]:
                out.append(Assignment(zone_id=z, service_id=k, site_id=s, from_year=int(per["start"].iat[ps[i0]]),
                                      to_year=int(per["end"].iat[ps[j - 1]]), share=float(sh[i0]),
                                      distance_m=None if pd.isna(dist) else round(float(dist), 1),
                                      population=round(float(popv[i0:j].max()), 3),
                                      demand=round(float(demv[i0:j].max()), 3)))
                i0 = j
    unc = [Uncovered(zone_id=r.zone_id, service_id=r.service_id, from_year=int(per["start"].iat[r.p]),
                     to_year=int(per["end"].iat[r.p]), share=round(float(r.share), 6),
                     population=round(float(r.population), 3), demand=round(float(r.demand), 3))
           for r in sol.uncovered.sort_values(["service_id", "zone_id", "p"], kind="mergesort").itertuples()]
    return out, unc


def _service_kpis(problem: PortfolioProblem, sol: Solution, years: list[YearRow]) -> dict[str, dict[str, float]]:
    P = len(problem.policy.periods())
    front = problem.station_front_in(problem.policy.end_year - 1)
    a = sol.assignments[sol.assignments["p"] == P - 1]
    pl = sol.placements[(sol.placements["place"] > 0.5) & (sol.placements["p"] == P - 1)]
    out = {}
    for k in problem.services["service_id"]:
        ak = a[a["service_id"] == k]
        w = (ak["population"] * ak["share"]).to_numpy()
        dist = np.nan_to_num(ak["distance_m"].to_numpy())
        sites = pl.loc[pl["service_id"] == k, "site_id"]
        cov = [y.covered_share for y in years if y.service_id == k]
        out[k] = {"sites": int(sites.nunique()), "coverage": round(min(cov), 6) if cov else 1.0,
                  "capacity": round(float(pl.loc[pl["service_id"] == k, "capacity"].sum()), 3),
                  "mean": round(float((w * dist).sum() / w.sum()), 1) if w.sum() > 0 else 0.0,
                  "p95": round(_wquantile(dist, w, 0.95), 1),
                  "front": round(float(front.reindex(sites).mean()), 6) if len(sites) else 0.0}
    return out


def assemble_plan(problem: PortfolioProblem, sol: Solution, baseline: Solution) -> Plan:
    """Turn a solution and the keep-everything baseline into a :class:`Plan` (decisions with reasons)."""
    from .reasons import decisions as make_decisions

    pol, sites = problem.policy, problem.sites
    per = pol.periods()
    P = len(per)
    st_a, st_b = state_of(problem, sol), state_of(problem, baseline)
    c_a = site_year_costs(problem, st_a)
    c_b = site_year_costs(problem, st_b)
    tot_a = c_a.groupby("site_id", sort=False).sum(numeric_only=True)
    tot_b = c_b.groupby("site_id", sort=False).sum(numeric_only=True)
    money_a, money_b = capital_by_year(problem, st_a), capital_by_year(problem, st_b)
    if sol.level_budget_yen is not None:
        money_a["cap_yen"] = sol.level_budget_yen
    existing = sites["kind"].eq("existing").to_numpy()
    F = sites["floor_area_m2"].to_numpy() * existing
    add_a = st_a.floor.groupby("site_id")["added_m2"].sum()
    add_b = st_b.floor.groupby("site_id")["added_m2"].sum()
    site_rows = []
    starts = per["start"].to_numpy()
    cb, ca = float(tot_b["total_yen"].sum()), float(tot_a["total_yen"].sum())
    saving = round(cb - ca)
    ids = sites["site_id"].to_numpy()
    site_saving = dict(zip(ids, apportion((tot_b.loc[ids, "total_yen"] - tot_a.loc[ids, "total_yen"]).to_numpy(),
                                          saving)))
    by_kind = kind_savings(c_b, c_a)
    by_kind = dict(zip(by_kind, apportion(by_kind.values(), saving)))
    for i, r in enumerate(sites.itertuples(index=False)):
        op = st_a.open[i]
        opened = np.flatnonzero(op)
        open_from = int(starts[opened[0]]) if len(opened) else None
        closes = None
        if len(opened) and not op[-1]:
            closes = int(starts[opened[-1] + 1])
        elif existing[i] and not len(opened):  # closed from the start year (the first change year)
            open_from = closes = int(starts[0])
        ta, tb = tot_a.loc[r.site_id], tot_b.loc[r.site_id]
        site_rows.append(SitePlan(
            site_id=r.site_id, name=r.name, kind=r.kind, category=r.category, station_front=bool(r.station_front),
            open_before=bool(existing[i]), open_after=bool(op[-1]), open_from=open_from, closes=closes,
            floor_before_m2=round(float(F[i] + add_b.get(r.site_id, 0.0)), 1),
            added_floor_m2=round(float(add_a.get(r.site_id, 0.0)), 1),
            floor_after_m2=round(float((F[i] + add_a.get(r.site_id, 0.0)) * op[-1]), 1),
            added_floor_before_m2=round(float(add_b.get(r.site_id, 0.0)), 1),
            cost_before_yen=round(float(tb["total_yen"])), cost_after_yen=round(float(ta["total_yen"])),
            saving_yen=site_saving[r.site_id],
            **{f"{k}_yen": round(float(ta[f"{k}_yen"])) for k in COST_KINDS},
            **{f"{k}_before_yen": round(float(tb[f"{k}_yen"])) for k in COST_KINDS}))
    ev_rows = _events(problem, st_a)
    years = _year_rows(problem, sol, money_a)
    years_b = _year_rows(problem, baseline, money_b)
    timeline = _timeline(problem, sol)
    asg, unc = _assignments(problem, sol)
    pl_a = sol.placements[sol.placements["p"] == P - 1]
    pl_0 = sol.placements[sol.placements["p"] == 0]
    cap0 = pl_0.set_index(["service_id", "site_id"])["capacity0"]
    served = sol.assignments[sol.assignments["p"] == P - 1].assign(
        load=lambda f: f["demand"] * f["share"]).groupby(["service_id", "site_id"])["load"].sum()
    caps = [Capacity(service_id=r.service_id, site_id=r.site_id, current=bool(r.current), placed=bool(r.place > 0.5),
                     capacity_before=round(float(cap0.get((r.service_id, r.site_id), 0.0)), 3),
                     capacity_after=round(float(r.capacity), 3), added_capacity=round(float(r.ext), 3),
                     floor_before_m2=round(float(r.floor0), 1),
                     demand_served=round(float(served.get((r.service_id, r.site_id), 0.0)), 3))
            for r in pl_a[(pl_a["place"] > 0.5) | pl_a["current"]].itertuples()]
    kb, ka = _service_kpis(problem, baseline, years_b), _service_kpis(problem, sol, years)
    svc = [ServiceKpi(service_id=k, sites_before=kb[k]["sites"], sites_after=ka[k]["sites"],
                      coverage_before=kb[k]["coverage"], coverage_after=ka[k]["coverage"],
                      capacity_before=kb[k]["capacity"], capacity_after=ka[k]["capacity"],
                      mean_distance_before_m=kb[k]["mean"], mean_distance_after_m=ka[k]["mean"],
                      p95_distance_before_m=kb[k]["p95"], p95_distance_after_m=ka[k]["p95"],
                      station_front_share_before=kb[k]["front"], station_front_share_after=ka[k]["front"])
           for k in problem.services["service_id"]]

    def person_km(s: Solution) -> float:
        a = s.assignments.merge(per.rename(columns={"start": "s0", "end": "s1"}), on="p")
        yrs = a["s1"] - a["s0"] + 1
        return round(float((a["population"] * a["share"] * np.nan_to_num(a["distance_m"]) * yrs).sum() / 1000.0
                           / pol.horizon_years), 3)

    def front_share(s: Solution) -> float:
        pl = s.placements[(s.placements["place"] > 0.5) & (s.placements["p"] == P - 1)]
        front = problem.station_front_in(pol.end_year - 1)
        return round(float(front.reindex(pl["site_id"]).mean()), 6) if len(pl) else 0.0

    floor_b = float(sum(r.floor_before_m2 for r in site_rows))
    floor_a = float(sum(r.floor_after_m2 for r in site_rows))
    budget = None
    if pol.budget is not None:
        bcaps = pol.budget.caps(pol.years())
        budget = round(float(np.mean(bcaps[np.isfinite(bcaps)]))) if np.isfinite(bcaps).any() else None
    kpis = Kpis(
        horizon_years=pol.horizon_years,
        buildings_before=int(existing.sum()), buildings_after=int(st_a.open[:, -1].sum()),
        floor_before_m2=round(floor_b, 1), floor_after_m2=round(floor_a, 1),
        floor_reduction=round(1 - floor_a / floor_b, 6) if floor_b > 0 else 0.0,
        cost_before_yen=round(cb), cost_after_yen=round(ca),
        cash_before_yen=round(float(tot_b["cash_yen"].sum())), cash_after_yen=round(float(tot_a["cash_yen"].sum())),
        penalty_before_yen=round(float(tot_b["penalty_yen"].sum())),
        penalty_after_yen=round(float(tot_a["penalty_yen"].sum())),
        deferred_before_yen=round(float(tot_b["deferred_yen"].sum())),
        deferred_after_yen=round(float(tot_a["deferred_yen"].sum())),
        cost_per_year_before_yen=round(cb / pol.horizon_years), cost_per_year_after_yen=round(ca / pol.horizon_years),
        saving_yen=saving, saving_share=round(1 - ca / cb, 6) if cb else 0.0,
        closures=int((existing & ~st_a.open[:, -1]).sum()), new_buildings=int((~existing & st_a.open[:, -1]).sum()),
        capital_spend_yen=round(float(tot_a["new_build_yen"].sum() + tot_a["land_yen"].sum())),
        peak_spend_before_yen=round(float(money_b["spend_yen"].max())),
        peak_spend_after_yen=round(float(money_a["spend_yen"].max())),
        budget_yen=budget, level_budget_yen=None if sol.level_budget_yen is None else round(sol.level_budget_yen),
        access_before_person_km=person_km(baseline), access_after_person_km=person_km(sol),
        station_front_share_before=front_share(baseline), station_front_share_after=front_share(sol),
        services=svc, saving_by_kind=by_kind)
    decisions = make_decisions(problem, sol, baseline, st_a, c_a, c_b, site_saving)
    issues = baseline_issues(problem, baseline)
    return Plan(name=problem.name, start_year=pol.start_year, horizon_years=pol.horizon_years,
                policy=pol.model_dump(mode="json"), solver=SolverReport.from_info(sol.info), kpis=kpis,
                periods=[Period(p=int(r.p), start=int(r.start), end=int(r.end)) for r in per.itertuples()],
                decisions=decisions, sites=site_rows, capacities=caps, timeline=timeline,
                floor=_floor_rows(st_a),
                events=ev_rows, years=years, assignments=asg, uncovered=unc,
                baseline_feasible=not issues, baseline_issues=issues, baseline_events=_events(problem, st_b),
                baseline_floor=_floor_rows(st_b), baseline_uncovered=_assignments(problem, baseline)[1],
                baseline_timeline=_timeline(problem, baseline), freed_sites=_freed_sites(problem, st_a, c_a),
                mergers=_merger_rows(problem, sol),
                conversions=[ConversionRow(site_id=r.site_id, year=int(r.year), converted_m2=float(r.converted_m2),
                                           cost_yen=round(float(r.converted_m2) * pol.conversion_yen_per_m2))
                             for r in st_a.conversions.itertuples(index=False)])


def _merger_rows(problem: PortfolioProblem, sol: Solution) -> list[MergerRow]:
    from .reform import district_pupils

    out = []
    for r in sol.mergers.sort_values(["service_id", "close"], kind="mergesort").itertuples(index=False):
        dp = district_pupils(problem, r.service_id).set_index(["district", "p"])["demand"]
        a, b = float(dp.get((r.close, int(r.p)), 0.0)), float(dp.get((r.into, int(r.p)), 0.0))
        size = problem.policy.mergers[int(r.rule)].class_size
        out.append(MergerRow(service_id=r.service_id, close=r.close, into=r.into, year=int(r.year),
                             pupils_close=round(a, 1), pupils_into=round(b, 1), pupils_merged=round(a + b, 1),
                             classes_merged=int(np.ceil((a + b) / size - 1e-9))))
    return out


def _floor_rows(st: PlanState) -> list[FloorChange]:
    return [FloorChange(site_id=r.site_id, year=int(r.year), added_m2=float(r.added_m2), how=r.how,
                        works_start=int(r.works_start), works_years=int(r.works_years))
            for r in st.floor.itertuples(index=False)]


def _events(problem: PortfolioProblem, st: PlanState) -> list[EventRow]:
    from .model import prepare_events
    from ..schedule import event_risk

    ev = problem.events.reset_index(drop=True)
    if ev.empty:
        return []
    pol = problem.policy
    opt = prepare_events(problem).opt.set_index(["e", "variant", "year"])
    out = []
    for e, (r, s) in enumerate(zip(ev.itertuples(index=False), st.events.itertuples(index=False))):
        year = None if s.status != "done" else int(s.year)
        if s.status == "dropped":
            pen = float(event_risk(np.array([r.cost_yen]), np.array([r.floor_area_m2]), np.array([r.kind == "rebuild"]),
                                   np.array([r.due_year]), pol.start_year, np.array([int(s.closure_year)]),
                                   pol.renewal.penalties)[0])
        else:
            o = opt.loc[(e, int(s.variant), year if year is not None else pol.end_year)]
            pen = float(o["coef"] - o["capital"])
        out.append(EventRow(site_id=r.site_id, kind=r.kind, cycle=int(r.cycle), due_year=int(r.due_year),
                            status=s.status, year=year,
                            end_year=None if year is None else year + int(r.spread_years) - 1, variant=int(s.variant),
                            closure_year=None if s.status != "dropped" else int(s.closure_year),
                            cost_yen=round(float(r.cost_yen)), penalty_yen=round(pen)))
    return out


def baseline_issues(problem: PortfolioProblem, baseline: Solution) -> list[str]:
    """Where keeping everything misses the standards (uncovered zones of hard services) or the budget."""
    out = []
    zn = problem.zones.set_index("zone_id")["name"]
    per = problem.policy.periods()
    u = baseline.uncovered
    for (z, k), g in u[u["share"] > 1e-6].groupby(["zone_id", "service_id"], sort=True):
        mode, _ = problem.coverage_rule(k)
        if mode != "hard":
            continue
        name = zn.get(z) or z
        yrs = f"{int(per['start'].iat[int(g['p'].min())])}-{int(per['end'].iat[int(g['p'].max())])}"
        out.append(f"zone {z} ({name}): up to {100 * g['share'].max():.0f}% of {g['population'].max():,.0f} residents "
                   f"have no {k} within the standard with spare capacity in {yrs} in the current portfolio")
    for k, m in problem.policy.min_share.items():
        uk = u[u["service_id"] == k]
        tot = problem.demand_by_period()
        tot = tot[tot["service_id"] == k].groupby("p")["population"].sum()
        for q, t in tot.items():
            if t > 0:
                covered = 1 - float((uk.loc[uk["p"] == q, "population"] * uk.loc[uk["p"] == q, "share"]).sum()) / t
                if covered < m - 1e-9:
                    out.append(f"{k}: the current portfolio covers {100 * covered:.1f}% of the target population in "
                               f"{int(per['start'].iat[q])} (policy minimum {100 * m:.1f}%)")
    for year, amount in baseline.slacks.get("over_budget", []):
        out.append(f"{year}: keeping everything within its renewal windows needs {format_yen(amount)} more than the "
                   "annual budget")
    return out
