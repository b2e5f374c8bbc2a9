"""The :class:`Plan` a portfolio optimisation returns: decisions, assignments, KPIs, files.

A plan is plain data (pydantic), labelled by the caller's ids, independent of the solver: it can
be inspected in a notebook (:meth:`Plan.frame`), written to a folder (:meth:`Plan.to_files`:
plan.json, decisions.csv, assignments.csv, costs.csv, byte-identical for identical input) and
read back (:meth:`Plan.from_json`).  Every figure is rounded when the plan is assembled (yen to
the yen, m² and metres to 0.1, shares to 1e-6) so that files are stable.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from ..solver import SolveInfo
from ..atomic import atomic_write_text
from .model import SCALE, Solution
from .problem import PortfolioProblem

__all__ = ["Plan", "Decision", "Assignment", "SitePlan", "ServiceKpi", "Kpis", "SolverReport", "assemble_plan",
           "format_yen"]

DecisionKind = Literal["keep", "close", "rebuild", "convert", "host", "new"]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Decision(_Row):
    """What happens to one facility (or a new building) and why."""

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


class Assignment(_Row):
    """Which site serves a zone's demand for a service (a share when demand is split)."""

    zone_id: str
    service_id: str
    site_id: str
    share: float
    distance_m: float
    population: float
    demand: float


class Uncovered(_Row):
    """A zone's share of a service's target population left outside the standard (min-share mode)."""

    zone_id: str
    service_id: str
    share: float
    population: float


class Capacity(_Row):
    """A service at a site: capacity now and in the plan, and the floor it uses."""

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
    """A site's state and horizon cost in the baseline (keep everything) and in the plan."""

    site_id: str
    name: str
    kind: str
    category: str
    station_front: bool
    open_before: bool
    open_after: bool
    change_year: int
    floor_before_m2: float
    added_floor_m2: float
    floor_after_m2: float
    added_floor_before_m2: float = 0.0  # floor the keep-everything baseline adds (capacity); 0 in older plans
    cost_before_yen: float
    cost_after_yen: float
    renewal_yen: float
    operation_yen: float
    fixed_yen: float
    new_build_yen: float
    land_yen: float
    revenue_yen: float


class ServiceKpi(_Row):
    """Coverage and distances of one service, before (keep everything) and after (plan)."""

    service_id: str
    sites_before: int
    sites_after: int
    coverage_before: float
    coverage_after: float
    mean_distance_before_m: float
    mean_distance_after_m: float
    p95_distance_before_m: float
    p95_distance_after_m: float
    station_front_share_before: float
    station_front_share_after: float


class Kpis(_Row):
    """Headline figures of the plan against the keep-everything baseline."""

    horizon_years: int
    buildings_before: int
    buildings_after: int
    floor_before_m2: float
    floor_after_m2: float
    floor_reduction: float
    cost_before_yen: float
    cost_after_yen: float
    cost_per_year_before_yen: float
    cost_per_year_after_yen: float
    saving_yen: float
    saving_share: float
    closures: int
    new_buildings: int
    capital_spend_yen: float
    access_before_person_km: float
    access_after_person_km: float
    station_front_share_before: float
    station_front_share_after: float
    services: list[ServiceKpi]


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


class Plan(BaseModel):
    """A portfolio plan: per-facility decisions, per-zone assignments, KPIs vs keeping everything.

    ``valid`` is False when the independent check (:func:`facility_opt.portfolio.check.check_plan`)
    found violations, listed in ``violations``.  ``baseline_issues`` says where the current
    portfolio misses the standards (keeping everything is then not a feasible plan).
    """

    model_config = ConfigDict(extra="forbid")

    name: str
    start_year: int
    horizon_years: int
    policy: dict
    solver: SolverReport
    kpis: Kpis
    decisions: list[Decision]
    sites: list[SitePlan]
    capacities: list[Capacity]
    assignments: list[Assignment]
    uncovered: list[Uncovered]
    baseline_feasible: bool
    baseline_issues: list[str]
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

    def frame(self, table: Literal["decisions", "sites", "capacities", "assignments", "uncovered", "services"]
              ) -> pd.DataFrame:
        """One table of the plan as a DataFrame (``services``: the per-service KPIs)."""
        rows = self.kpis.services if table == "services" else getattr(self, table)
        fields = {"services": ServiceKpi, "decisions": Decision, "sites": SitePlan, "capacities": Capacity,
                  "assignments": Assignment, "uncovered": Uncovered}[table].model_fields
        return pd.DataFrame([r.model_dump() for r in rows], columns=list(fields))

    def changes(self) -> pd.DataFrame:
        """The decisions that change something (everything but keep/rebuild without service changes)."""
        d = self.frame("decisions")
        return d[(d["decision"].isin(["close", "convert", "host", "new"])) | (d["lost"].map(len) > 0)
                 | (d["gained"].map(len) > 0)].reset_index(drop=True)

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
        """Write plan.json, decisions.csv, assignments.csv, costs.csv, services.csv atomically.

        Files are sorted by their ids and formatted with fixed precision; no wall-clock values.
        """
        folder = Path(folder)
        out = {"plan.json": atomic_write_text(folder / "plan.json", self.to_json())}
        d = self.frame("decisions")
        for c in ("services_before", "services_after", "gained", "lost"):
            d[c] = d[c].map(";".join)
        d["year"] = d["year"].astype("Int64")
        tables = {
            "decisions.csv": d.sort_values(["facility_id"], kind="mergesort"),
            "assignments.csv": self.frame("assignments").sort_values(["service_id", "zone_id", "site_id"],
                                                                     kind="mergesort"),
            "costs.csv": self.frame("sites").sort_values(["site_id"], kind="mergesort"),
            "services.csv": self.frame("services").sort_values(["service_id"], kind="mergesort"),
        }
        for name, df in tables.items():
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
def _wquantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    if len(x) == 0 or w.sum() <= 0:
        return 0.0
    o = np.argsort(x, kind="stable")
    cw = np.cumsum(w[o]) / w.sum()
    return float(x[o][min(np.searchsorted(cw, q - 1e-12), len(x) - 1)])


def service_kpis(problem: PortfolioProblem, placed: pd.DataFrame, assignments: pd.DataFrame
                 ) -> dict[str, dict[str, float]]:
    """Per service: sites, covered share of target population, mean/p95 distance, station-front share."""
    pop_total = problem.demand.groupby("service_id")["population"].sum()
    front = problem.sites.set_index("site_id")["station_front"]
    out: dict[str, dict[str, float]] = {}
    for k in problem.services["service_id"]:
        a = assignments[assignments["service_id"] == k]
        w = (a["population"] * a["share"]).to_numpy()
        d = a["distance_m"].to_numpy()
        total = float(pop_total.get(k, 0.0))
        sites = placed.loc[(placed["service_id"] == k) & placed["placed"], "site_id"]
        out[k] = {
            "sites": int(len(sites)),
            "coverage": round(float(w.sum()) / total, 6) if total > 0 else 1.0,
            "mean": round(float((w * d).sum() / w.sum()), 1) if w.sum() > 0 else 0.0,
            "p95": round(_wquantile(d, w, 0.95), 1),
            "front": round(float(front.reindex(sites).mean()), 6) if len(sites) else 0.0,
        }
    return out


def _frames(problem: PortfolioProblem, sol: Solution) -> tuple[pd.DataFrame, pd.DataFrame]:
    pl = sol.placements.copy()
    pl["placed"] = pl["place"] > 0.5
    a = sol.assignments.copy()
    served = (a["demand"] * a["share"]).groupby([a["service_id"], a["site_id"]]).sum()
    pl["demand_served"] = pd.MultiIndex.from_frame(pl[["service_id", "site_id"]]).map(
        lambda key: served.get(key, 0.0))
    return pl, a


def _names(problem: PortfolioProblem, svc_ids) -> str:
    nm = problem.services.set_index("service_id")["name"]
    return ", ".join((nm.get(k) or k) for k in svc_ids)


def assemble_plan(problem: PortfolioProblem, sol: Solution, baseline: Solution) -> Plan:
    """Turn a solution and the keep-everything baseline into a :class:`Plan` (decisions with reasons)."""
    pol, sites = problem.policy, problem.sites
    n = len(sites)
    sid = sites["site_id"].to_numpy()
    open_after = sol.open.reindex(sid).to_numpy()
    open_before = sites["kind"].eq("existing").to_numpy()
    # floors are rounded to 0.1 m² once, here, and every cost is computed from the rounded values
    add_after = sol.added_floor.reindex(sid).fillna(0.0).to_numpy().round(1)
    add_before = baseline.added_floor.reindex(sid).fillna(0.0).to_numpy().round(1)
    c_after = problem.site_costs(open_after, add_after)
    c_before = problem.site_costs(open_before, add_before)
    pl_a, asg_a = _frames(problem, sol)
    pl_b, asg_b = _frames(problem, baseline)

    site_rows = []
    for i in range(n):
        s = sites.iloc[i]
        site_rows.append(SitePlan(
            site_id=s["site_id"], name=s["name"], kind=s["kind"], category=s["category"],
            station_front=bool(s["station_front"]), open_before=bool(open_before[i]), open_after=bool(open_after[i]),
            change_year=int(s["change_year"]), floor_before_m2=round(float(s["floor_area_m2"] * open_before[i]
                                                                           + add_before[i]), 1),
            added_floor_m2=round(float(add_after[i]), 1), added_floor_before_m2=round(float(add_before[i]), 1),
            floor_after_m2=round(float(s["floor_area_m2"] * (open_after[i] and s["kind"] == "existing")
                                       + add_after[i]), 1),
            cost_before_yen=round(float(c_before["total_yen"].iat[i])),
            cost_after_yen=round(float(c_after["total_yen"].iat[i])),
            **{k: round(float(c_after[k].iat[i])) for k in ("renewal_yen", "operation_yen", "fixed_yen",
                                                            "new_build_yen", "land_yen", "revenue_yen")},
        ))
    caps = [Capacity(service_id=r.service_id, site_id=r.site_id, current=bool(r.current), placed=bool(r.placed),
                     capacity_before=round(float(r.capacity0), 3), capacity_after=round(float(r.capacity), 3),
                     added_capacity=round(float(r.ext), 3), floor_before_m2=round(float(r.floor0), 1),
                     demand_served=round(float(r.demand_served), 3))
            for r in pl_a[pl_a["placed"] | pl_a["current"]].itertuples()]
    assignments = [Assignment(zone_id=r.zone_id, service_id=r.service_id, site_id=r.site_id,
                              share=round(float(r.share), 6), distance_m=round(float(r.distance_m), 1),
                              population=round(float(r.population), 3), demand=round(float(r.demand), 3))
                   for r in asg_a.itertuples()]
    uncovered = [Uncovered(zone_id=r.zone_id, service_id=r.service_id, share=round(float(r.share), 6),
                           population=round(float(r.population), 3)) for r in sol.uncovered.itertuples()]

    # KPIs
    kb, ka = service_kpis(problem, pl_b, asg_b), service_kpis(problem, pl_a, asg_a)
    svc_kpis = [ServiceKpi(service_id=k, sites_before=kb[k]["sites"], sites_after=ka[k]["sites"],
                           coverage_before=kb[k]["coverage"], coverage_after=ka[k]["coverage"],
                           mean_distance_before_m=kb[k]["mean"], mean_distance_after_m=ka[k]["mean"],
                           p95_distance_before_m=kb[k]["p95"], p95_distance_after_m=ka[k]["p95"],
                           station_front_share_before=kb[k]["front"], station_front_share_after=ka[k]["front"])
                for k in problem.services["service_id"]]
    front = sites.set_index("site_id")["station_front"]

    def front_share(pl: pd.DataFrame) -> float:
        p = pl[pl["placed"]]
        return round(float(front.reindex(p["site_id"]).mean()), 6) if len(p) else 0.0

    def person_km(a: pd.DataFrame) -> float:
        return round(float((a["population"] * a["share"] * a["distance_m"]).sum() / 1000.0), 3)

    cost_b, cost_a = float(c_before["total_yen"].sum()), float(c_after["total_yen"].sum())
    floor_b = float(sum(r.floor_before_m2 for r in site_rows))
    floor_a = float(sum(r.floor_after_m2 for r in site_rows))
    existing = sites["kind"].eq("existing").to_numpy()
    kpis = Kpis(
        horizon_years=pol.horizon_years,
        buildings_before=int(open_before.sum()), buildings_after=int(open_after.sum()),
        floor_before_m2=round(floor_b, 1), floor_after_m2=round(floor_a, 1),
        floor_reduction=round(1 - floor_a / floor_b, 6) if floor_b > 0 else 0.0,
        cost_before_yen=round(cost_b), cost_after_yen=round(cost_a),
        cost_per_year_before_yen=round(cost_b / pol.horizon_years),
        cost_per_year_after_yen=round(cost_a / pol.horizon_years),
        saving_yen=round(cost_b - cost_a), saving_share=round(1 - cost_a / cost_b, 6) if cost_b else 0.0,
        closures=int((existing & ~open_after).sum()), new_buildings=int((~existing & open_after).sum()),
        capital_spend_yen=round(float(c_after["new_build_yen"].sum() + c_after["land_yen"].sum())),
        access_before_person_km=person_km(asg_b), access_after_person_km=person_km(asg_a),
        station_front_share_before=front_share(pl_b), station_front_share_after=front_share(pl_a),
        services=svc_kpis,
    )
    decisions = _decisions(problem, pl_a, asg_a, asg_b, c_before, c_after, open_after, add_after)
    issues = baseline_issues(problem, baseline)
    plan = Plan(name=problem.name, start_year=pol.start_year, horizon_years=pol.horizon_years,
                policy=pol.model_dump(mode="json"), solver=SolverReport.from_info(sol.info), kpis=kpis,
                decisions=decisions, sites=site_rows, capacities=caps, assignments=assignments, uncovered=uncovered,
                baseline_feasible=not issues, baseline_issues=issues)
    return plan


def baseline_issues(problem: PortfolioProblem, baseline: Solution) -> list[str]:
    """Where keeping everything misses the standards (uncovered zones of hard services)."""
    out = []
    zn = problem.zones.set_index("zone_id")["name"]
    cov = problem.services.set_index("service_id")["coverage_m"]
    for r in baseline.uncovered.itertuples():
        mode, share = problem.coverage_rule(r.service_id)
        if mode == "hard" and r.share > 1e-6:
            name = zn.get(r.zone_id) or r.zone_id
            std = f"within {cov[r.service_id]:,.0f} m" if np.isfinite(cov[r.service_id]) else "within reach"
            out.append(f"zone {r.zone_id} ({name}): {100 * r.share:.0f}% of {r.population:,.0f} residents have no "
                       f"{r.service_id} {std} with spare capacity in the current portfolio")
    for k, m in problem.policy.min_share.items():
        u = baseline.uncovered[baseline.uncovered["service_id"] == k]
        tot = problem.demand.loc[problem.demand["service_id"] == k, "population"].sum()
        if tot > 0:
            covered = 1 - float((u["population"] * u["share"]).sum()) / tot
            if covered < m - 1e-9:
                out.append(f"{k}: the current portfolio covers {100 * covered:.1f}% of the target population "
                           f"(policy minimum {100 * m:.1f}%)")
    return out


def _decisions(problem: PortfolioProblem, pl: pd.DataFrame, asg: pd.DataFrame, asg_b: pd.DataFrame,
               c_before: pd.DataFrame, c_after: pd.DataFrame, open_after: np.ndarray,
               add_after: np.ndarray) -> list[Decision]:
    pol, sites = problem.policy, problem.sites
    sidx = {s: i for i, s in enumerate(sites["site_id"])}
    sname = sites.set_index("site_id")["name"]
    cov = problem.services.set_index("service_id")["coverage_m"]
    placed = pl[pl["placed"]]
    after_by_site = placed.groupby("site_id")["service_id"].apply(lambda s: sorted(s)).to_dict()
    before_by_site = pl[pl["current"]].groupby("site_id")["service_id"].apply(lambda s: sorted(s)).to_dict()
    H = pol.horizon_years

    def site_label(s: str) -> str:
        return f"{sname.get(s) or s} ({s})"

    def receivers(site: str, k: str) -> list[tuple[str, float, float]]:
        """Where the zones site served for k (baseline) are served now: (site, population, max distance)."""
        zs = asg_b.loc[(asg_b["site_id"] == site) & (asg_b["service_id"] == k), "zone_id"]
        a = asg[(asg["service_id"] == k) & asg["zone_id"].isin(zs)]
        if a.empty:
            return []
        g = a.assign(w=a["population"] * a["share"]).groupby("site_id").agg(w=("w", "sum"), d=("distance_m", "max"))
        g = g.sort_values("w", ascending=False, kind="mergesort")
        return [(s, float(r.w), float(r.d)) for s, r in g.iterrows()]

    def move_text(site: str, k: str) -> str:
        rec = [r for r in receivers(site, k) if r[0] != site]
        std = f"{cov[k]:,.0f} m" if np.isfinite(cov[k]) else "reach"
        if not rec:
            return f"{k}: no zone depended on it"
        main = rec[0][0]
        i = sidx[main]
        host = sites.iloc[i]
        gained_there = k not in before_by_site.get(main, [])
        how = ""
        if gained_there:
            nr = host["next_rebuild_year"]
            if np.isfinite(nr) and int(nr) == int(host["change_year"]):
                how = f" (co-located at its {int(host['change_year'])} rebuild)"
            elif host["kind"] == "candidate":
                how = f" (new building, {int(host['change_year'])})"
            else:
                how = f" (co-located from {int(host['change_year'])})"
        others = f" and {len(rec) - 1} other site(s)" if len(rec) > 1 else ""
        far = max(r[2] for r in rec)
        return (f"{k} moves to {site_label(main)}{how}{others}; its zones stay within {std} "
                f"(farthest {far:,.0f} m)")

    out: list[Decision] = []
    facilities = problem.placements[["facility_id", "facility_name", "site_id", "service_id"]]
    fac_services = facilities.groupby("facility_id")["service_id"].apply(lambda s: sorted(set(s))).to_dict()
    fac_site = facilities.groupby("facility_id")["site_id"].first().to_dict()
    fac_name = facilities.groupby("facility_id")["facility_name"].first().to_dict()
    # existing sites without any placement are facilities too
    for s in sites.loc[sites["kind"].eq("existing") & ~sites["site_id"].isin(fac_site.values()), "site_id"]:
        fac_services[s], fac_site[s], fac_name[s] = [], s, sname.get(s) or s
    by_site: dict[str, list[str]] = {}
    for f in sorted(fac_site):
        by_site.setdefault(fac_site[f], []).append(f)
    main_of = {s: (s if s in fs else fs[0]) for s, fs in by_site.items()}
    for f in sorted(fac_site):
        s = fac_site[f]
        i = sidx[s]
        row = sites.iloc[i]
        is_main = main_of[s] == f
        before = fac_services[f]
        after_site = after_by_site.get(s, []) if open_after[i] else []
        new_here = [k for k in after_site if k not in before_by_site.get(s, [])]
        after = sorted(set([k for k in before if k in after_site] + (new_here if is_main else [])))
        gained = [k for k in after if k not in before]
        lost = [k for k in before if k not in after]
        saving = float(c_before["total_yen"].iat[i] - c_after["total_yen"].iat[i])
        cy = int(row["change_year"])
        nr = row["next_rebuild_year"]
        floor_before = float(row["floor_area_m2"]) if is_main else 0.0
        floor_after = (float(row["floor_area_m2"]) + float(add_after[i])) if (is_main and open_after[i]) else 0.0
        if not open_after[i]:
            kind, year = "close", cy
            moves = "; ".join(move_text(s, k) for k in before) or "no service"
            sale = float(c_after["revenue_yen"].iat[i])
            reason = (f"closes in {cy}: {moves}; saves {format_yen(saving)} over {H} years"
                      + (f" (land {pol.disposal}: {format_yen(sale)})" if sale > 0 else ""))
        elif not is_main:
            if lost:
                kind, year = "close", cy
                reason = f"its rooms at {site_label(s)} are freed in {cy}: " + "; ".join(move_text(s, k) for k in lost)
            else:
                kind, year = ("rebuild", int(nr)) if np.isfinite(nr) else ("keep", None)
                reason = f"stays in {site_label(s)}" + (f", rebuilt with it in {int(nr)}" if np.isfinite(nr) else "")
        elif gained and before and not [k for k in before if k in after]:
            kind, year = "convert", cy
            reason = (f"converted in {cy} from {_names(problem, before)} to {_names(problem, gained)}; "
                      + "; ".join(move_text(s, k) for k in lost))
        elif gained:
            kind, year = "host", cy
            src = sorted({src for k in gained for src in _sources(pl, asg, asg_b, s, k)})
            built = f"; {add_after[i]:,.0f} m² added" if add_after[i] > 0.5 else "; fits in its floor area"
            when = (f" at its {cy} rebuild" if np.isfinite(nr) and int(nr) == cy else f" from {cy}")
            reason = (f"hosts {_names(problem, gained)}{when}" + (f" (from {', '.join(src)})" if src else "")
                      + built + (f"; no longer hosts {', '.join(lost)}" if lost else ""))
        else:
            if np.isfinite(nr):
                kind, year = "rebuild", int(nr)
                reason = f"kept; rebuilt in {int(nr)} per the renewal model"
            else:
                kind, year = "keep", None
                reason = "kept as is (no rebuild due within the horizon)"
            if add_after[i] > 0.5:
                reason += f"; {add_after[i]:,.0f} m² added in {cy} for more capacity"
            if lost:
                reason += "; " + "; ".join(move_text(s, k) for k in lost)
        out.append(Decision(facility_id=f, name=fac_name[f], site_id=s, site_name=str(row["name"] or s),
                            decision=kind, services_before=list(before), services_after=list(after),
                            gained=gained, lost=lost, year=year, floor_before_m2=round(floor_before, 1),
                            floor_after_m2=round(floor_after, 1), reason=reason))
    # new buildings on candidate sites
    for i in np.flatnonzero(open_after & sites["kind"].eq("candidate").to_numpy()):
        row = sites.iloc[i]
        s = row["site_id"]
        after = after_by_site.get(s, [])
        nz = int(asg.loc[asg["site_id"] == s, "zone_id"].nunique())
        front = " near a station" if row["station_front"] else ""
        reason = (f"new building{front} in {int(row['change_year'])}: {_names(problem, after) or 'no service'}, "
                  f"{add_after[i]:,.0f} m²; serves {nz} zone(s); costs {format_yen(float(c_after['total_yen'].iat[i]))}"
                  f" over {H} years")
        out.append(Decision(facility_id=s, name=str(row["name"] or s), site_id=s, site_name=str(row["name"] or s),
                            decision="new", services_before=[], services_after=after, gained=after, lost=[],
                            year=int(row["change_year"]), floor_before_m2=0.0,
                            floor_after_m2=round(float(add_after[i]), 1), reason=reason))
    return sorted(out, key=lambda d: d.facility_id)


def _sources(pl: pd.DataFrame, asg: pd.DataFrame, asg_b: pd.DataFrame, host: str, k: str) -> list[str]:
    """Sites whose zones (for service k) the host now serves and that no longer provide k."""
    zs = asg.loc[(asg["site_id"] == host) & (asg["service_id"] == k), "zone_id"]
    prev = asg_b[(asg_b["service_id"] == k) & asg_b["zone_id"].isin(zs)]["site_id"].unique()
    still = set(pl.loc[pl["placed"] & (pl["service_id"] == k), "site_id"])
    return sorted(s for s in prev if s not in still and s != host)
