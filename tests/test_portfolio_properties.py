"""Properties of the multi-year portfolio optimiser on small random portfolios: every year of every
plan is feasible when re-checked here from the plan's own tables (not only by ``check_plan``), locks
hold, tighter standards never help, files are deterministic."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from facility_opt.errors import InfeasibleError
from facility_opt.portfolio import PortfolioOptions, PortfolioProblem, check_plan, optimise_portfolio
from facility_opt.portfolio.formulation.constants import FLOOR_TOL_M2
from facility_opt.solver import SolverOptions
from portfolio_cases import EXACT

# derandomize: the same examples on every run, so CI is repeatable (a new failing seed is found by
# changing the examples on purpose, not by chance on a clean clone)
FEW = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
MORE = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
MARK = PortfolioOptions(solver=SolverOptions(gap_rel=0.0, threads=1), on_violation="mark")


def random_problem(seed: int, budget: bool = False, **policy) -> PortfolioProblem:
    """3-6 zones, 2-4 existing sites and one candidate on a 3 km square; a ``nearest`` hall and an
    ``allocated`` club; demand growing by up to 30 % over 12 years (2019-2030, changes from 2021 every
    3 years, 2 build years); one renovation per existing site due 2019-2030; optionally an annual
    budget around the dearest renovation."""
    rng = np.random.default_rng(seed)
    nz, ns = int(rng.integers(3, 7)), int(rng.integers(2, 5))
    zxy = rng.uniform(0, 3000, (nz, 2))
    sxy = rng.uniform(0, 3000, (ns + 1, 2))
    sid = [f"S{i}" for i in range(ns)] + ["C0"]
    zid = [f"Z{i}" for i in range(nz)]
    d = np.hypot(zxy[:, None, 0] - sxy[None, :, 0], zxy[:, None, 1] - sxy[None, :, 1])
    cov = float(np.max(np.min(d[:, :ns], axis=1))) + 50.0  # every zone reaches an existing site
    sites = pd.DataFrame(
        {
            "site_id": sid,
            "kind": ["existing"] * ns + ["candidate"],
            "category": ["hall"] * ns + ["multi"],
            "floor_area_m2": np.append(rng.uniform(300, 900, ns).round(), 0.0),
            "site_area_m2": rng.uniform(1500, 4000, ns + 1).round(),
            "max_far": 2.0,
            "owned": [True] * ns + [False],
            "land_value_yen_per_m2": rng.uniform(2e5, 6e5, ns + 1).round(),
            "operating_yen_per_m2_year": rng.uniform(5e3, 2e4, ns + 1).round(),
            "fixed_yen_per_year": 1e6,
            "build_yen_per_m2": 4e5,
            "station_front": [False] * ns + [True],
            "x": sxy[:, 0],
            "y": sxy[:, 1],
        }
    )
    services = pd.DataFrame(
        {
            "service_id": ["club", "hall"],
            "coverage_m": [cov * 1.5, cov],
            "floor_m2_per_unit": [1.65, 5.0],
            "host_categories": ["hall;multi", "hall;multi"],
            "rule": ["allocated", "nearest"],
        }
    )
    pop = rng.uniform(100, 1000, nz).round()
    growth = rng.uniform(0.0, 0.3, nz)
    years = np.arange(2019, 2031)
    rows = []
    for k, per in (("hall", 0.05), ("club", 0.1)):
        for z, p0, g in zip(zid, pop, growth):
            f = 1 + g * (years - 2019) / 11
            rows.append(
                pd.DataFrame(
                    {
                        "zone_id": z,
                        "service_id": k,
                        "year": years,
                        "population": (p0 * f).round(),
                        "demand": (p0 * f * per).round(2),
                    }
                )
            )
    demand = pd.concat(rows, ignore_index=True)
    tot_hall = float(demand[demand["service_id"] == "hall"].groupby("year")["demand"].sum().max())
    tot_club = float(demand[demand["service_id"] == "club"].groupby("year")["demand"].sum().max())
    # halls: each site could take every zone that may have it as its nearest; clubs: a part of it
    placements = pd.DataFrame(
        {
            "site_id": sid[:ns] * 2,
            "service_id": ["hall"] * ns + ["club"] * ns,
            "capacity": np.append(np.full(ns, np.ceil(tot_hall)), np.ceil(tot_club * rng.uniform(0.3, 0.8, ns))),
        }
    )
    zz, ss = np.meshgrid(np.arange(nz), np.arange(ns + 1), indexing="ij")
    pairs = pd.DataFrame(
        {"zone_id": np.array(zid)[zz.ravel()], "site_id": np.array(sid)[ss.ravel()], "distance_m": d.ravel().round(1)}
    )
    events = pd.DataFrame(
        {
            "site_id": sid[:ns],
            "kind": "renovation",
            "due_year": rng.integers(2019, 2031, ns),
            "cost_yen": rng.uniform(3e7, 2e8, ns).round(-3),
            "spread_years": rng.integers(1, 3, ns),
        }
    )
    pol = {
        "start_year": 2019,
        "horizon_years": 12,
        "earliest_change_year": 2021,
        "period_years": 3,
        "build_years": 2,
        **policy,
    }
    if budget:
        pol["budget"] = {"cap_yen": float(events["cost_yen"].max()) * float(rng.uniform(0.8, 1.5)) + 5e7}
    return PortfolioProblem.from_frames(
        sites=sites,
        services=services,
        demand=demand,
        placements=placements,
        pairs=pairs,
        events=events,
        policy=pol,
        name=f"random {seed}",
    )


def recheck_every_year(plan, p: PortfolioProblem) -> None:
    """Rebuild the per-year state from the plan's own tables and assert every year is feasible."""
    pol = p.policy
    years = list(pol.years())
    per = pol.periods()  # new floor is usable from the first period start build_years after the first change
    ready = int(per.loc[per["start"] >= pol.change_year + pol.build_years, "start"].min())
    svc = p.services.set_index("service_id")
    sites = p.sites.set_index("site_id")
    # sites open per year
    open_y = {}
    for s in plan.sites:
        ys = set()
        if s.open_from is not None:
            ys = {y for y in years if s.open_from <= y < (s.closes if s.closes is not None else pol.end_year)}
        open_y[s.site_id] = ys
        if sites.at[s.site_id, "kind"] == "existing":
            assert pol.start_year in ys or s.closes == pol.start_year
    # capacity per (service, site, year) from the timeline, only on open sites
    cap = defaultdict(float)
    for r in plan.timeline:
        for y in range(r.from_year, r.to_year + 1):
            assert y in open_y[r.site_id], f"{r.service_id}@{r.site_id} in {y} on a closed site"
            assert (r.service_id, r.site_id, y) not in cap
            cap[r.service_id, r.site_id, y] = r.capacity
    # shares and loads per year from the assignments
    dem = p.demand.set_index(["zone_id", "service_id", "year"])["demand"]
    share = defaultdict(float)
    load = defaultdict(float)
    used = defaultdict(set)
    for a in plan.assignments:
        for y in range(a.from_year, a.to_year + 1):
            assert (a.service_id, a.site_id, y) in cap, f"{a.zone_id} served {a.service_id} at {a.site_id} in {y}"
            share[a.zone_id, a.service_id, y] += a.share
            load[a.service_id, a.site_id, y] += a.share * float(dem.get((a.zone_id, a.service_id, y), 0.0))
            if a.share > 1e-6:
                used[a.zone_id, a.service_id, y].add(a.site_id)
    for key, lo in load.items():
        assert lo <= cap[key] + 1e-3 * max(1.0, cap[key]), f"capacity {key}: {lo} > {cap[key]}"
    # hard coverage from the first year new floor can be ready; never more than the whole demand
    for (z, k, y), dd in dem.items():
        sh = share.get((z, k, y), 0.0)
        assert sh <= 1 + 1e-4
        if dd > 0 and y >= ready and k not in pol.min_share:
            assert sh == pytest.approx(1.0, abs=1e-4), f"zone {z} {k} covered {sh:.4f} in {y}"
    # the nearest rule: a zone goes wholly to its nearest open provider within the standard
    dist = p.pairs.set_index(["zone_id", "site_id"])["distance_m"]
    for k in svc.index[svc["rule"] == "nearest"]:
        std = float(svc.at[k, "coverage_m"])
        for (z, k2, y), sites_used in used.items():
            if k2 != k:
                continue
            prov = [
                (round(float(dist[z, s]), 1), s)
                for (kk, s, yy) in cap
                if kk == k and yy == y and (z, s) in dist.index and float(dist[z, s]) <= std + 1e-9
            ]
            assert sites_used == {min(prov)[1]}, f"zone {z} {k} in {y}: {sites_used}, nearest {min(prov)}"
    # money per year: renewal works, floor added, land bought, recomputed and within the budget
    spend = defaultdict(float)
    ev = p.events.reset_index(drop=True)
    for r, e in zip(ev.itertuples(index=False), plan.events):
        assert (r.site_id, r.due_year) == (e.site_id, e.due_year)
        if e.status == "done":
            assert e.year in open_y[e.site_id]
            for t in range(e.year, e.year + r.spread_years):
                spend[t] += r.cost_yen / r.spread_years
        elif e.status == "dropped":
            assert e.closure_year == next(s.closes for s in plan.sites if s.site_id == e.site_id)
    for f in plan.floor:
        assert f.year in open_y[f.site_id]
        unit = float(sites.at[f.site_id, "build_yen_per_m2"])
        if f.how == "extension":
            unit *= 1 + pol.extension_premium
            assert f.works_start >= pol.change_year and f.works_start + pol.build_years == f.year
        for t in range(f.works_start, f.works_start + f.works_years):
            spend[t] += f.added_m2 * unit / f.works_years
    for s in plan.sites:
        if s.kind == "candidate" and s.open_from is not None and not bool(sites.at[s.site_id, "owned"]):
            assert s.open_from >= ready
            spend[s.open_from - pol.build_years] += float(sites.at[s.site_id, "land_value_yen_per_m2"]) * float(
                sites.at[s.site_id, "site_area_m2"]
            )
    rows = {y.year: y for y in plan.years if y.service_id == p.services["service_id"].iat[0]}
    for y in years:
        assert rows[y].spend_yen == pytest.approx(spend[y], abs=2.0), y
        if pol.budget is not None:
            assert spend[y] <= rows[y].budget_yen + 1.0, f"{y}: {spend[y]:,.0f} > {rows[y].budget_yen:,.0f}"
    # floor used within floor available, per site and year (current floor per place in use; added places at
    # least as much); service floors
    need = svc["floor_m2_per_unit"] * (1 - pol.sharing_saving)
    cur = p.placements.groupby(["service_id", "site_id"])[["capacity", "floor_area_m2"]].sum()
    added = defaultdict(float)
    for f in plan.floor:
        for y in years:
            if y >= f.year:
                added[f.site_id, y] += f.added_m2
    used_floor = defaultdict(float)
    for r in plan.timeline:
        c0, f0 = cur.loc[(r.service_id, r.site_id)] if (r.service_id, r.site_id) in cur.index else (0.0, 0.0)
        f0u = f0 / c0 if c0 > 0 else 0.0
        per_added = max(float(need[r.service_id]), f0u)
        for y in range(r.from_year, r.to_year + 1):
            used_floor[r.site_id, y] += f0u * (r.capacity - r.added) + per_added * r.added
    for (s, y), u in used_floor.items():
        base = float(sites.at[s, "floor_area_m2"]) if sites.at[s, "kind"] == "existing" else 0.0
        # the model's FLOOR_TOL_M2, floor written to 0.1 m² (up to 0.05 short) and capacities to 0.001
        # places: the same 0.3 m² as check_plan
        assert u <= base + added[s, y] + 3 * FLOOR_TOL_M2 + 1e-6 * u, f"floor {s} {y}: {u} > {base + added[s, y]}"
    for y in plan.years:
        assert y.capacity >= y.min_capacity - 1e-6


def solve_or_explain(p: PortfolioProblem, options=MARK):
    try:
        return optimise_portfolio(p, options)
    except InfeasibleError as exc:
        assert exc.reasons  # infeasible is allowed, but must be explained
        return None


@FEW
@given(seed=st.integers(0, 10_000), budget=st.booleans())
@example(seed=9999, budget=False)  # once failed the floor re-check by 0.002 m² beyond a too-tight tolerance
def test_every_year_of_every_plan_is_feasible(seed, budget):
    p = random_problem(seed, budget=budget)
    plan = solve_or_explain(p)
    if plan is None:
        assert budget  # without a budget keeping everything (and adding clubs' floor) is always possible
        return
    assert plan.valid, plan.violations
    assert check_plan(plan, p) == []
    recheck_every_year(plan, p)
    if not budget:  # keeping everything is feasible (clubs may need floor): the plan costs no more
        assert plan.kpis.cost_after_yen <= plan.kpis.cost_before_yen + 1.0


@pytest.mark.slow
@MORE
@given(seed=st.integers(0, 100_000), budget=st.booleans(), ch=st.sampled_from([2019, 2021, 2024]))
def test_every_year_of_every_plan_is_feasible_many(seed, budget, ch):
    p = random_problem(seed, budget=budget, earliest_change_year=ch, period_starts=None)
    plan = solve_or_explain(p)
    if plan is None:
        return
    assert plan.valid, plan.violations
    recheck_every_year(plan, p)


@FEW
@given(seed=st.integers(0, 10_000), pick=st.integers(0, 3))
def test_a_locked_facility_stays_open(seed, pick):
    p = random_problem(seed)
    existing = list(p.existing["site_id"])
    site = existing[pick % len(existing)]
    plan = optimise_portfolio(p.replace(policy={"lock_open": [site]}), EXACT)
    row = next(s for s in plan.sites if s.site_id == site)
    assert row.open_after and row.closes is None and row.open_from == 2019
    assert next(d for d in plan.decisions if d.facility_id == site).decision != "close"


@FEW
@given(seed=st.integers(0, 10_000), factor=st.floats(0.5, 0.95))
def test_tightening_a_coverage_standard_never_lowers_the_cost(seed, factor):
    p = random_problem(seed)
    loose = optimise_portfolio(p, EXACT)
    tight_p = p.replace(
        services=p.services.assign(
            coverage_m=np.where(
                p.services["service_id"] == "club", p.services["coverage_m"] * factor, p.services["coverage_m"]
            )
        )
    )
    tight = solve_or_explain(tight_p, EXACT)
    if tight is None:
        return
    assert tight.solver.objective_yen >= loose.solver.objective_yen - 1e-6 * abs(loose.solver.objective_yen) - 1


def test_recheck_catches_a_plan_over_its_budget():
    # the re-check itself can fail: the same plan judged against half the budget
    p = random_problem(3, budget=True)
    plan = optimise_portfolio(p, EXACT)
    recheck_every_year(plan, p)
    peak = max(y.spend_yen for y in plan.years)
    assert peak > 0
    half = p.replace(policy={"budget": {"cap_yen": peak / 2}})
    tight_years = [y.model_copy(update={"budget_yen": peak / 2}) for y in plan.years]
    with pytest.raises(AssertionError):
        recheck_every_year(plan.model_copy(update={"years": tight_years}), half)
    assert any(x.startswith("budget:") for x in check_plan(plan, half))


def test_same_input_gives_byte_identical_files(tmp_path):
    p = random_problem(7, budget=True)
    files = []
    for run in ("a", "b"):
        plan = optimise_portfolio(p, EXACT)
        out = plan.to_files(tmp_path / run)
        files.append({name: path.read_bytes() for name, path in sorted(out.items())})
    assert files[0] == files[1]
    assert b"seconds" not in files[0]["plan.json"]
