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
from typing import cast

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from ..atomic import atomic_write_text
from ..solver import SolveInfo, Status
from .economics import PlanState
from .problem import PortfolioProblem
from .rows import (
    PLAN_TABLES,
    Assignment,
    Capacity,
    ConversionRow,
    Decision,
    EventRow,
    FloorChange,
    FreedSite,
    Kpis,
    MergerRow,
    Period,
    SitePlan,
    SolverReport,
    TimelineRow,
    Uncovered,
    YearRow,
)

__all__ = ["Plan", "format_yen"]


class Plan(BaseModel):
    """A year-by-year portfolio plan: decisions, timeline, assignments, renewal events, KPIs.

    Frozen (a changed plan is a copy: ``plan.model_copy(update=...)``), and a result of the one
    contract (:mod:`facility_opt.contract`): ``status``, ``info`` (objective in yen), ``to_frame()``
    (the decisions), ``to_dict()``, ``to_files()`` and a one-line repr.

    ``valid`` is False when the independent check (:func:`facility_opt.portfolio.check.check_plan`)
    found violations, listed in ``violations`` (their messages).  ``baseline_issues`` says where
    keeping everything misses the standards or the budget.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

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
        return (
            f"Plan({self.name!r}: {self.solver.status}, gap {gap}; buildings {k.buildings_before} -> "
            f"{k.buildings_after}, floor {k.floor_before_m2:,.0f} -> {k.floor_after_m2:,.0f} m2, "
            f"{k.horizon_years}-year cost {format_yen(k.cost_before_yen)} -> {format_yen(k.cost_after_yen)} "
            f"(saves {format_yen(k.saving_yen)}); {'valid' if self.valid else 'INVALID'})"
        )

    __str__ = __repr__

    # ------------------------------------------------------------------ the contract
    @property
    def status(self) -> str:
        """The solver's status: ``optimal`` or ``feasible`` (``plan`` for a plan read back as a start)."""
        return self.solver.status

    @property
    def info(self) -> SolveInfo:
        """How the solve went (:class:`SolveInfo`), objective and bound in yen as ``solver`` states them."""
        r = self.solver
        return SolveInfo(
            status=cast(Status, r.status),
            objective=r.objective_yen,
            bound=r.bound_yen,
            gap=r.gap,
            build_seconds=r.build_seconds,
            solve_seconds=r.solve_seconds,
            solver=r.solver,
        )

    def to_frame(self) -> pd.DataFrame:
        """The decisions, one row per facility (and new building), keyed and sorted by ``facility_id``."""
        return self.frame("decisions").sort_values("facility_id", kind="mergesort").reset_index(drop=True)

    def to_dict(self) -> dict:
        """The plan as JSON-ready data, as in ``plan.json`` (no timings)."""
        return self.model_dump(mode="json")

    def frame(self, table: str) -> pd.DataFrame:
        """One table of the plan as a DataFrame (``services``: the per-service KPIs); see :data:`PLAN_TABLES`."""
        if table not in PLAN_TABLES:
            raise KeyError(f"unknown plan table {table!r}; tables: {', '.join(PLAN_TABLES)}")
        rows = self.kpis.services if table == "services" else getattr(self, table)
        return pd.DataFrame([r.model_dump() for r in rows], columns=list(PLAN_TABLES[table].model_fields))

    def changes(self) -> pd.DataFrame:
        """The decisions that change something (everything but keep/rebuild without service changes)."""
        d = self.frame("decisions")
        return d[
            (d["decision"].isin(["close", "convert", "host", "new"]))
            | (d["lost"].map(len) > 0)
            | (d["gained"].map(len) > 0)
        ].reset_index(drop=True)

    def explore(
        self,
        ward,
        problem: PortfolioProblem | None = None,
        *,
        lang: str | None = None,
        catalogue=None,
        tiles: str | None = "OpenStreetMap",
    ):
        """The plan on an interactive folium map for Jupyter (a layer per decision kind and per service,
        town blocks shaded by coverage): :func:`facility_opt.report.webmap.explore_plan`.  Returns the
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
        events = pd.DataFrame(
            {"status": ev["status"], "year": ev["year"], "variant": ev["variant"], "closure_year": ev["closure_year"]}
        )
        tl = pd.DataFrame(
            [r.model_dump() for r in (self.baseline_timeline if baseline else self.timeline)],
            columns=list(TimelineRow.model_fields),
        )
        places = tl[["service_id", "site_id", "from_year", "to_year", "capacity"]]
        com = tl[tl["operator"] == "commissioned"]
        operators = (
            com.groupby(["service_id", "site_id"], as_index=False, sort=True)["from_year"]
            .min()
            .rename(columns={"from_year": "year"})
        )
        fs = [] if baseline else [r for r in self.freed_sites if r.choice != "none"]
        disposals = pd.DataFrame(
            [(r.site_id, r.choice, r.need_id) for r in fs], columns=["site_id", "choice", "need_id"]
        )
        conv = pd.DataFrame(
            [r.model_dump() for r in ([] if baseline else self.conversions)], columns=list(ConversionRow.model_fields)
        )
        return PlanState(
            open=op,
            floor=floor,
            events=events,
            places=places,
            disposals=disposals,
            operators=operators,
            conversions=conv[["site_id", "year", "converted_m2"]],
        )

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
            "assignments.csv": self.frame("assignments").sort_values(
                ["service_id", "zone_id", "from_year", "site_id"], kind="mergesort"
            ),
            "costs.csv": self.frame("sites").sort_values(["site_id"], kind="mergesort"),
            "services.csv": self.frame("services").sort_values(["service_id"], kind="mergesort"),
            "timeline.csv": self.frame("timeline").sort_values(
                ["site_id", "service_id", "from_year"], kind="mergesort"
            ),
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
                if (
                    df[c].dtype == object
                    and df[c].map(lambda v: v is None or isinstance(v, int)).all()
                    and df[c].notna().any()
                    and c not in ("reason",)
                ):
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
