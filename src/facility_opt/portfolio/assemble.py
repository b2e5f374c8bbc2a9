"""Assemble a :class:`Plan` from a solver solution and the keep-everything baseline.

Reads the solution's tables (sites open per period, placements, floor added, events, assignments)
into the plan's rows, rounding every figure (yen to the yen, m² and metres to 0.1, shares to 1e-6)
so that files are byte-stable; costs come from :mod:`facility_opt.portfolio.economics`, the
headline figures from :mod:`facility_opt.portfolio.kpis`, the reasons from
:mod:`facility_opt.portfolio.reasons` and the change tables (events, floor, conversions, mergers, freed
sites) from :mod:`facility_opt.portfolio.changes`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .changes import conversion_rows, event_rows, floor_rows, freed_site_rows, merger_rows
from .economics import COST_KINDS, PlanState, apportion, capital_by_year, kind_savings, site_year_costs
from .formulation.solution import Solution
from .kpis import plan_kpis
from .plan import Plan, format_yen
from .problem import PortfolioProblem
from .rows import (
    Assignment,
    Capacity,
    Period,
    SitePlan,
    SolverReport,
    TimelineRow,
    Uncovered,
    YearRow,
)

__all__ = ["assemble_plan", "state_of", "baseline_issues"]


def state_of(problem: PortfolioProblem, sol: Solution) -> PlanState:
    """The :class:`PlanState` of a solver solution."""
    P = len(problem.policy.periods())
    op = sol.open.sort_values(["site_id", "p"]).set_index(["site_id", "p"])["open"]
    keys = pd.MultiIndex.from_product([problem.sites["site_id"], range(P)])
    open_ = op.reindex(keys).fillna(False).to_numpy(bool).reshape(len(problem.sites), P)
    fl = sol.floor_added
    floor = fl.groupby(["site_id", "year", "how", "works_start", "works_years"], as_index=False, sort=True)[
        "added_m2"
    ].sum()[["site_id", "year", "added_m2", "how", "works_start", "works_years"]]
    down = (
        floor["how"] == "downsize"
    )  # floor not rebuilt: rounded up, so the rebuild's stated cost never exceeds the model's
    floor["added_m2"] = np.where(down, -np.ceil(-floor["added_m2"] * 10 - 1e-6) / 10, floor["added_m2"].round(1)) + 0.0
    floor = floor[floor["added_m2"] != 0].reset_index(drop=True)
    per = problem.policy.periods()
    ev = sol.events.reset_index(drop=True)
    closure = ev["drop_p"].map(lambda q: None if pd.isna(q) else int(per["start"].iat[int(q)]))
    events = pd.DataFrame(
        {
            "status": ev["status"],
            "year": ev["year"].where(ev["status"] == "done"),
            "variant": ev["variant"].fillna(0).astype(int),
            "closure_year": closure,
        }
    )
    pl = sol.placements[sol.placements["place"] > 0.5]
    p = pl["p"].to_numpy(dtype=int)
    places = pd.DataFrame(
        {
            "service_id": pl["service_id"].to_numpy(),
            "site_id": pl["site_id"].to_numpy(),
            "from_year": per["start"].to_numpy()[p],
            "to_year": per["end"].to_numpy()[p],
            "capacity": pl["capacity"].round(3).to_numpy(),
        }
    )  # as the timeline states them
    conv = sol.conversions
    conv = (
        conv.groupby(["site_id", "year"], as_index=False, sort=True)["converted_m2"].sum().round({"converted_m2": 1})
        if len(conv)
        else pd.DataFrame(columns=["site_id", "year", "converted_m2"])
    )
    return PlanState(
        open=open_,
        floor=floor,
        events=events,
        places=places,
        disposals=sol.disposals.copy(),
        operators=sol.operators.copy(),
        conversions=conv[conv["converted_m2"] > 0].reset_index(drop=True),
    )


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
    d = problem.demand.assign(
        p=np.searchsorted(per["start"].to_numpy(), problem.demand["year"].to_numpy(), side="right") - 1
    )
    d["share"] = share.reindex(pd.MultiIndex.from_frame(d[["zone_id", "service_id", "p"]])).fillna(0.0).to_numpy()
    d["covered"] = d["population"] * np.minimum(d["share"], 1.0)
    g = d.groupby(["service_id", "year"]).agg(
        demand=("demand", "sum"), pop=("population", "sum"), covered=("covered", "sum")
    )
    m = money.set_index("year")
    out = []
    for k in problem.services["service_id"]:
        floor = pol.min_capacity_by_year(k)
        for t, y in enumerate(years):
            q = int(pidx[t])
            row = g.loc[(k, y)] if (k, y) in g.index else None
            pop = float(row["pop"]) if row is not None else 0.0
            out.append(
                YearRow(
                    year=int(y),
                    service_id=k,
                    demand=round(float(row["demand"]) if row is not None else 0.0, 3),
                    capacity=round(float(cap.get((k, q), 0.0)), 3),
                    min_capacity=round(float(floor[t]), 3),
                    covered_share=round(float(row["covered"]) / pop, 6) if pop > 0 else 1.0,
                    sites=int(nsites.get((k, q), 0)),
                    spend_yen=round(float(m.at[y, "spend_yen"])),
                    budget_yen=None if np.isnan(m.at[y, "cap_yen"]) else round(float(m.at[y, "cap_yen"])),
                )
            )
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
            if j == len(ps) or ps[j] != ps[j - 1] + 1 or caps[j] != caps[a] or add[j] != add[a] or com[j] != com[a]:
                out.append(
                    TimelineRow(
                        site_id=s,
                        service_id=k,
                        from_year=int(per["start"].iat[ps[a]]),
                        to_year=int(per["end"].iat[ps[j - 1]]),
                        capacity=float(caps[a]),
                        added=float(add[a]),
                        current=cur,
                        operator="commissioned" if com[a] else "ward",
                    )
                )
                a = j
    return out


def _assignments(problem: PortfolioProblem, sol: Solution) -> tuple[list[Assignment], list[Uncovered]]:
    """Per period, consecutive periods with the same site and share merged (population: their largest)."""
    per = problem.policy.periods()
    a = sol.assignments.assign(share=sol.assignments["share"].round(6)).sort_values(
        ["zone_id", "service_id", "site_id", "p"], kind="mergesort"
    )
    out = []
    for (z, k, s), g in a.groupby(["zone_id", "service_id", "site_id"], sort=True):
        ps, sh = g["p"].to_numpy(), g["share"].to_numpy()
        popv, demv = g["population"].to_numpy(), g["demand"].to_numpy()
        dist = g["distance_m"].iat[0]
        i0 = 0
        for j in range(1, len(ps) + 1):
            if j == len(ps) or ps[j] != ps[j - 1] + 1 or sh[j] != sh[i0]:
                out.append(
                    Assignment(
                        zone_id=z,
                        service_id=k,
                        site_id=s,
                        from_year=int(per["start"].iat[ps[i0]]),
                        to_year=int(per["end"].iat[ps[j - 1]]),
                        share=float(sh[i0]),
                        distance_m=None if pd.isna(dist) else round(float(dist), 1),
                        population=round(float(popv[i0:j].max()), 3),
                        demand=round(float(demv[i0:j].max()), 3),
                    )
                )
                i0 = j
    unc = [
        Uncovered(
            zone_id=r.zone_id,
            service_id=r.service_id,
            from_year=int(per["start"].iat[r.p]),
            to_year=int(per["end"].iat[r.p]),
            share=round(float(r.share), 6),
            population=round(float(r.population), 3),
            demand=round(float(r.demand), 3),
        )
        for r in sol.uncovered.sort_values(["service_id", "zone_id", "p"], kind="mergesort").itertuples()
    ]
    return out, unc


def assemble_plan(problem: PortfolioProblem, sol: Solution, baseline: Solution) -> Plan:
    """Turn a solution and the keep-everything baseline into a :class:`Plan` (decisions with reasons)."""
    from .reasons import decisions as make_decisions

    pol = problem.policy
    st_a, st_b = state_of(problem, sol), state_of(problem, baseline)
    c_a = site_year_costs(problem, st_a)
    c_b = site_year_costs(problem, st_b)
    tot_a = c_a.groupby("site_id", sort=False).sum(numeric_only=True)
    tot_b = c_b.groupby("site_id", sort=False).sum(numeric_only=True)
    money_a, money_b = capital_by_year(problem, st_a), capital_by_year(problem, st_b)
    if sol.level_budget_yen is not None:
        money_a["cap_yen"] = sol.level_budget_yen
    cb, ca = float(tot_b["total_yen"].sum()), float(tot_a["total_yen"].sum())
    saving = round(cb - ca)
    ids = problem.sites["site_id"].to_numpy()
    site_saving = dict(
        zip(ids, apportion((tot_b.loc[ids, "total_yen"] - tot_a.loc[ids, "total_yen"]).to_numpy(), saving))
    )
    by_kind = kind_savings(c_b, c_a)
    by_kind = dict(zip(by_kind, apportion(by_kind.values(), saving)))
    site_rows = _site_rows(problem, st_a, st_b, tot_a, tot_b, site_saving)
    years = _year_rows(problem, sol, money_a)
    years_b = _year_rows(problem, baseline, money_b)
    kpis = plan_kpis(
        problem,
        sol,
        baseline,
        sites=site_rows,
        years=years,
        years_before=years_b,
        open_=st_a.open,
        totals=(tot_b, tot_a),
        money=(money_b, money_a),
        saving=saving,
        by_kind=by_kind,
    )
    decisions = make_decisions(problem, sol, baseline, st_a, c_a, c_b, site_saving)
    asg, unc = _assignments(problem, sol)
    issues = baseline_issues(problem, baseline)
    return Plan(
        name=problem.name,
        start_year=pol.start_year,
        horizon_years=pol.horizon_years,
        policy=pol.model_dump(mode="json"),
        solver=SolverReport.from_info(sol.info),
        kpis=kpis,
        periods=[Period(p=int(r.p), start=int(r.start), end=int(r.end)) for r in pol.periods().itertuples()],
        decisions=decisions,
        sites=site_rows,
        capacities=_capacities(problem, sol),
        timeline=_timeline(problem, sol),
        floor=floor_rows(st_a),
        events=event_rows(problem, st_a),
        years=years,
        assignments=asg,
        uncovered=unc,
        baseline_feasible=not issues,
        baseline_issues=issues,
        baseline_events=event_rows(problem, st_b),
        baseline_floor=floor_rows(st_b),
        baseline_uncovered=_assignments(problem, baseline)[1],
        baseline_timeline=_timeline(problem, baseline),
        freed_sites=freed_site_rows(problem, st_a, c_a),
        mergers=merger_rows(problem, sol),
        conversions=conversion_rows(problem, st_a),
    )


def _site_rows(
    problem: PortfolioProblem,
    st_a: PlanState,
    st_b: PlanState,
    tot_a: pd.DataFrame,
    tot_b: pd.DataFrame,
    site_saving: dict[str, int],
) -> list[SitePlan]:
    """Each site's years of use, floor and costs by kind, in the plan (``st_a``) and the baseline (``st_b``)."""
    sites = problem.sites
    starts = problem.policy.periods()["start"].to_numpy()
    existing = sites["kind"].eq("existing").to_numpy()
    F = sites["floor_area_m2"].to_numpy() * existing
    add_a = st_a.floor.groupby("site_id")["added_m2"].sum()
    add_b = st_b.floor.groupby("site_id")["added_m2"].sum()
    site_rows = []
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
        site_rows.append(
            SitePlan(
                site_id=r.site_id,
                name=r.name,
                kind=r.kind,
                category=r.category,
                station_front=bool(r.station_front),
                open_before=bool(existing[i]),
                open_after=bool(op[-1]),
                open_from=open_from,
                closes=closes,
                floor_before_m2=round(float(F[i] + add_b.get(r.site_id, 0.0)), 1),
                added_floor_m2=round(float(add_a.get(r.site_id, 0.0)), 1),
                floor_after_m2=round(float((F[i] + add_a.get(r.site_id, 0.0)) * op[-1]), 1),
                added_floor_before_m2=round(float(add_b.get(r.site_id, 0.0)), 1),
                cost_before_yen=round(float(tb["total_yen"])),
                cost_after_yen=round(float(ta["total_yen"])),
                saving_yen=site_saving[r.site_id],
                **{f"{k}_yen": round(float(ta[f"{k}_yen"])) for k in COST_KINDS},
                **{f"{k}_before_yen": round(float(tb[f"{k}_yen"])) for k in COST_KINDS},
            )
        )
    return site_rows


def _capacities(problem: PortfolioProblem, sol: Solution) -> list[Capacity]:
    """Each service at a site in the last period (placed, or current), with its places now and then."""
    P = len(problem.policy.periods())
    pl_a = sol.placements[sol.placements["p"] == P - 1]
    pl_0 = sol.placements[sol.placements["p"] == 0]
    cap0 = pl_0.set_index(["service_id", "site_id"])["capacity0"]
    served = (
        sol.assignments[sol.assignments["p"] == P - 1]
        .assign(load=lambda f: f["demand"] * f["share"])
        .groupby(["service_id", "site_id"])["load"]
        .sum()
    )
    return [
        Capacity(
            service_id=r.service_id,
            site_id=r.site_id,
            current=bool(r.current),
            placed=bool(r.place > 0.5),
            capacity_before=round(float(cap0.get((r.service_id, r.site_id), 0.0)), 3),
            capacity_after=round(float(r.capacity), 3),
            added_capacity=round(float(r.ext), 3),
            floor_before_m2=round(float(r.floor0), 1),
            demand_served=round(float(served.get((r.service_id, r.site_id), 0.0)), 3),
        )
        for r in pl_a[(pl_a["place"] > 0.5) | pl_a["current"]].itertuples()
    ]


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
        out.append(
            f"zone {z} ({name}): up to {100 * g['share'].max():.0f}% of {g['population'].max():,.0f} residents "
            f"have no {k} within the standard with spare capacity in {yrs} in the current portfolio"
        )
    for k, m in problem.policy.min_share.items():
        uk = u[u["service_id"] == k]
        tot = problem.demand_by_period()
        tot = tot[tot["service_id"] == k].groupby("p")["population"].sum()
        for q, t in tot.items():
            if t > 0:
                covered = 1 - float((uk.loc[uk["p"] == q, "population"] * uk.loc[uk["p"] == q, "share"]).sum()) / t
                if covered < m - 1e-9:
                    out.append(
                        f"{k}: the current portfolio covers {100 * covered:.1f}% of the target population in "
                        f"{int(per['start'].iat[q])} (policy minimum {100 * m:.1f}%)"
                    )
    for year, amount in baseline.slacks.get("over_budget", []):
        out.append(
            f"{year}: keeping everything within its renewal windows needs {format_yen(amount)} more than the "
            "annual budget"
        )
    return out
