"""Independent feasibility check of a :class:`Plan` against its :class:`PortfolioProblem`, every year.

The check reads only the plan's own tables (when each site is open, where each service is with
which capacity in which years, who is served where in each period, floor added, what happens to
each renewal event) and the problem's data; it never looks at solver variables.  For **every year**
of the horizon it recomputes: sites open, hosting rules, floor used against floor available (a
building's own floor while open, plus floor added once usable), demand (that year's) against
capacity, coverage against each standard and assignment rule (``nearest``: nobody passes a nearer
open provider; ``district``: everybody goes to their own district; clubs stay in their school),
service floors, the renewal rules (windows, hard limits, order, events only on open sites, dropped
only at a closure) and the annual budget.  It recomputes the plan's cost from its state
(:mod:`facility_opt.portfolio.economics`) and compares it with the plan's KPIs and with the
solver's objective, and the saving by kind (from the baseline's state too) with the KPIs' split,
which, like the decisions' savings, must add up to the headline saving.  :func:`facility_opt.portfolio.optimise_portfolio` runs it on every plan.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pandas as pd

from .economics import COST_KINDS, INCOME_KINDS, capital_by_year, operating_rates, site_year_costs
from .formulation.constants import (
    ADDED_PLACE_YEN,
    NEW_PLACEMENT_YEN,
    SCALE,
    UNCOVERED_PER_RESIDENT,
    UNCOVERED_PER_UNIT,
)
from .formulation.events import prepare_events
from .plan import Plan
from .reform import DOWNSIZE_NOISE_M2
from .problem import PortfolioProblem

__all__ = ["check_plan"]

_TOL = 1e-5


def check_plan(plan: Plan, problem: PortfolioProblem, baseline: bool = False) -> list[str]:
    """Return the violations of ``plan`` (empty when it is feasible in every year); each names what,
    where and when.  ``baseline=True`` checks a keep-everything plan, whose shortfalls against the
    standards and the budget are reported as baseline issues instead.

    Examples
    --------
    >>> # violations = check_plan(plan, problem); assert not violations
    """
    v: list[str] = []
    pol = problem.policy
    years = pol.years()
    first, last = pol.start_year, pol.end_year - 1
    sites = problem.sites.set_index("site_id")
    svc = problem.services.set_index("service_id")
    rows = {s.site_id: s for s in plan.sites}
    missing = sorted(set(sites.index) - set(rows))
    if missing:
        return [f"sites: the plan does not state the sites {missing}"]
    per = pol.periods()
    starts = set(per["start"])
    ch = pol.change_year  # nothing changes before it; nothing new is usable before ch + build_years
    # ... and only from a period start: hard coverage is due from the first period start from then on
    ready = min((int(y) for y in per["start"] if y >= ch + pol.build_years), default=pol.end_year)

    # -- when each site is open
    is_open: dict[str, np.ndarray] = {}
    for s, r in rows.items():
        yr = np.zeros(len(years), dtype=bool)
        if r.open_from is not None:
            end = r.closes if r.closes is not None else pol.end_year
            yr = (years >= r.open_from) & (years < end)
        is_open[s] = yr
        existing = sites.at[s, "kind"] == "existing"
        if existing and r.open_from != first:
            v.append(f"sites: existing site {s} must be open from {first} (plan: {r.open_from})")
        if r.closes is not None and (r.closes < ch or r.closes not in starts):
            v.append(f"sites: {s} closes in {r.closes}, not at a change year (from {ch}, at period starts)")
        if not existing and r.open_from is not None:
            avail = int(sites.at[s, "available_from"])
            if r.open_from < max(avail, ch + pol.build_years) or r.open_from not in starts or r.closes is not None:
                v.append(f"sites: new site {s} opens in {r.open_from}; it may open from "
                         f"{max(avail, ch + pol.build_years)} at a period start, and stay open")
    t_of = {int(y): t for t, y in enumerate(years)}

    # -- services at sites, per year (timeline)
    cur = problem.placements.groupby(["service_id", "site_id"]).agg(cap=("capacity", "sum"), floor=("floor_area_m2", "sum"))
    eligible = set(map(tuple, problem.eligible()[["service_id", "site_id"]].to_numpy()))
    cap_y: dict[tuple[str, str], np.ndarray] = {}
    add_y: dict[tuple[str, str], np.ndarray] = {}
    for r in plan.timeline:
        key = (r.service_id, r.site_id)
        arr = cap_y.setdefault(key, np.full(len(years), np.nan))
        add = add_y.setdefault(key, np.zeros(len(years)))
        sl = slice(t_of[r.from_year], t_of[r.to_year] + 1)
        if np.isfinite(arr[sl]).any():
            v.append(f"timeline: {r.service_id}@{r.site_id} has overlapping rows in {r.from_year}-{r.to_year}")
        arr[sl] = r.capacity
        add[sl] = r.added
    for (k, s), arr in sorted(cap_y.items()):
        on = np.isfinite(arr)
        yrs_on = years[on]
        if (on & ~is_open[s]).any():
            v.append(f"placement: {k} is at {s} in {int(yrs_on[~is_open[s][on]][0])}, when the site is closed")
        if (k, s) not in eligible:
            v.append(f"hosting: {s} (category {sites.at[s, 'category']}) may not host {k}")
        current = (k, s) in cur.index
        runs = np.flatnonzero(np.diff(np.r_[0, on.astype(int), 0]) != 0)
        if len(runs) > 2:
            v.append(f"timeline: {k}@{s} leaves and returns ({', '.join(str(years[i]) for i in runs[1:-1:2])})")
        if current and not on[0]:
            v.append(f"timeline: current placement {k}@{s} is not there in {first}")
        cap0 = float(cur["cap"].get((k, s), 0.0))
        unit = float(svc.at[k, "unit_size"])
        add = add_y[(k, s)][on]
        in_use = arr[on] - add
        # capacity and added are each written to 0.001: their difference may pass today's places by 0.001
        if (add < -1e-6).any() or (in_use < -1e-6).any() or (in_use > cap0 + 1.5e-3).any():
            v.append(f"capacity: {k}@{s} states capacity {arr[on].max():g} with {add.max():g} added, but has "
                     f"{cap0:g} places now")
        if math.isfinite(unit) and (np.abs(add / unit - np.round(add / unit)) > 1e-6).any():
            v.append(f"capacity: {k}@{s} adds capacity that is not a whole number of units of {unit:g}")
        mx = min(float(svc.at[k, "max_capacity_per_site"]), float(svc.at[k, "max_units_per_site"]) * unit
                 if math.isfinite(unit) else math.inf)
        if math.isfinite(mx) and (arr[on] > max(mx, cap0) + 1e-6).any():
            v.append(f"capacity: {k}@{s} has {arr[on].max():g} places, above the per-site maximum {mx:g}")
        frozen = s in pol.frozen_sites or k in pol.frozen_services
        if (add > 1e-6).any() and (frozen or (current and not pol.allow_expansion)):
            v.append(f"capacity: {k}@{s} adds capacity, which the policy forbids (frozen or no expansion)")
        fixed_t = years < ch
        if current and not on[fixed_t].all():
            v.append(f"timeline: {k}@{s} changes before {ch}, the first change year")
        if not current and on[fixed_t].any():
            v.append(f"timeline: {k}@{s} arrives before {ch}, the first change year")
    for (k, s) in cur.index:
        if (k, s) not in cap_y:
            cap_y[(k, s)] = np.full(len(years), np.nan)
            add_y[(k, s)] = np.zeros(len(years))
            if ch > first:
                v.append(f"timeline: current placement {k}@{s} is missing")

    # -- floor per year
    floor_add = np.zeros((len(sites), len(years)))
    spos = {s: i for i, s in enumerate(problem.sites["site_id"])}
    ev = problem.events.reset_index(drop=True)
    ev_status = pd.DataFrame([e.model_dump() for e in plan.events])
    for f in plan.floor:
        i = spos[f.site_id]
        floor_add[i, t_of.get(f.year, len(years)):] += f.added_m2
        s_open = is_open[f.site_id]
        if f.year in t_of and not s_open[t_of[f.year]:].all() and sites.at[f.site_id, "kind"] == "existing":
            v.append(f"floor: {f.added_m2:,.0f} m² added at {f.site_id} in {f.year}, which then closes")
        if f.how == "downsize" and (not pol.allow_downsizing or -f.added_m2 > float(sites.at[f.site_id, "floor_area_m2"])
                                    + 0.1 or f.added_m2 >= 0):
            v.append(f"floor: {f.site_id} rebuilds {-f.added_m2:,.1f} m² less than today's "
                     f"{float(sites.at[f.site_id, 'floor_area_m2']):,.1f} m², which the policy does not allow")
        if f.how == "downsize" and not is_open[f.site_id][-1]:
            v.append(f"floor: {f.site_id} is rebuilt {-f.added_m2:,.1f} m² smaller and then closes (downsizing is "
                     "for buildings kept in use)")
        if f.how in ("rebuild", "downsize"):
            done = ev_status[(ev_status["site_id"] == f.site_id) & (ev_status["kind"] == "rebuild")
                             & (ev_status["status"] == "done")] if len(ev_status) else ev_status
            if done.empty or int(done["year"].iloc[0]) != f.works_start or f.works_start + f.works_years > f.year:
                v.append(f"floor: {f.site_id} adds {f.added_m2:,.0f} m² at a rebuild ({f.works_start}, usable {f.year}) "
                         "that the plan does not make, or before it is finished")
        else:
            if f.works_start < ch or f.works_years != pol.build_years or f.works_start + f.works_years != f.year:
                v.append(f"floor: {f.site_id} {f.how} of {f.added_m2:,.0f} m² built {f.works_start}+{f.works_years}y "
                         f"for {f.year}: construction takes {pol.build_years} years, from {ch}")
    need = svc["floor_m2_per_unit"] * (1 - pol.sharing_saving)
    limit = problem.site_floor_limit()
    for s, i in spos.items():
        base = float(sites.at[s, "floor_area_m2"]) if sites.at[s, "kind"] == "existing" else 0.0
        avail = np.where(is_open[s], base + floor_add[i], 0.0)
        used = np.zeros(len(years))
        for (k, s2), arr in cap_y.items():
            if s2 != s:
                continue
            on = np.isfinite(arr)
            cap0 = float(cur["cap"].get((k, s), 0.0))
            floor0 = float(cur["floor"].get((k, s), 0.0))
            add = add_y[(k, s)]
            if (k, s) in cur.index and cap0 > 0:  # its current floor per place in use; added places at least as much
                f0u = floor0 / cap0
                used += np.where(on, f0u * (np.nan_to_num(arr) - add) + max(float(need[k]), f0u) * add, 0.0)
            else:
                used += np.where(on, floor0 + float(need[k]) * add, 0.0)
        # tolerance: the model's FLOOR_TOL_M2 (0.1 m²), floor written to 0.1 m² and capacities to 0.001
        # places times up to ~20 m² a place
        bad = np.flatnonzero(used > avail + 0.3 + 1e-6 * used)
        if len(bad):
            t = bad[0]
            v.append(f"floor: {s} needs {used[t]:,.1f} m² for its services in {years[t]} but has {avail[t]:,.1f} m²")
        if base + floor_add[i, -1] > float(limit[s]) + 0.2:
            v.append(f"floor: {s} reaches {base + floor_add[i, -1]:,.1f} m², above its site limit {float(limit[s]):,.1f} m²")

    # -- coverage, rules and capacity, per year
    dist = problem.pairs.set_index(["zone_id", "site_id"])["distance_m"]
    dem = problem.demand.set_index(["zone_id", "service_id", "year"])
    share_y: dict[tuple[str, str], np.ndarray] = defaultdict(lambda: np.zeros(len(years)))
    load: dict[tuple[str, str], np.ndarray] = defaultdict(lambda: np.zeros(len(years)))
    served_by: dict[tuple[str, str], dict[int, set]] = defaultdict(lambda: defaultdict(set))
    districts = {k: problem.district_tables(k) for k in svc.index[svc["rule"] == "district"]}
    merged_district = _merged_districts(plan, problem)
    for a in plan.assignments:
        k, z, s = a.service_id, a.zone_id, a.site_id
        ts = np.arange(t_of[a.from_year], t_of[a.to_year] + 1)
        arr = cap_y.get((k, s))
        if arr is None or not np.isfinite(arr[ts]).all():
            v.append(f"assignment: zone {z} is served {k} at {s} in {a.from_year}-{a.to_year}, when {s} does not "
                     "provide it")
        rule = svc.at[k, "rule"]
        d = dist.get((z, s))
        if rule == "district":
            zd, sd = districts[k]
            if zd.get(z) is None or sd.get(s) not in merged_district(k, zd.get(z), a.from_year):
                v.append(f"district: zone {z} is served {k} at {s}, outside its district ({zd.get(z)})")
        else:
            if d is None:
                v.append(f"distance: zone {z} -> {s} is not a pair within reach")
                continue
            std = float(svc.at[k, "coverage_m"])
            lim = std if math.isfinite(std) else (pol.max_reach_m or math.inf)
            if float(d) > lim + 1e-6:
                v.append(f"coverage: zone {z} is served {k} at {s} {d:,.0f} m away, beyond the standard {lim:,.0f} m")
        if d is not None and a.distance_m is not None and abs(float(d) - a.distance_m) > 0.06:
            v.append(f"distance: zone {z} -> {s} is {d:.1f} m, the plan says {a.distance_m:.1f} m")
        share_y[(z, k)][ts] += a.share
        for t in ts:
            y = int(years[t])
            dd = float(dem["demand"].get((z, k, y), 0.0))
            load[(k, s)][t] += a.share * dd
            served_by[(z, k)][t].add(s)
    for (k, s), arr in load.items():
        cap = np.nan_to_num(cap_y.get((k, s), np.zeros(len(years))))
        bad = np.flatnonzero(arr > cap + 1e-3 * np.maximum(1.0, cap))
        if len(bad):
            t = bad[0]
            v.append(f"capacity: {k}@{s} serves {arr[t]:.2f} units in {years[t]} with capacity {cap[t]:.2f}")
    unc_pop: dict[tuple[str, int], float] = defaultdict(float)
    tot_pop: dict[tuple[str, int], float] = defaultdict(float)
    # providers of each nearest service per year, for the nearest rule
    near_svcs = set(svc.index[svc["rule"] == "nearest"])
    prov: dict[str, list[tuple[str, np.ndarray]]] = defaultdict(list)
    for (k, s), arr in cap_y.items():
        if k in near_svcs:
            prov[k].append((s, np.isfinite(arr)))
    pairs_by_zone = {z: g.set_index("site_id")["distance_m"] for z, g in problem.pairs.groupby("zone_id")}
    for r in problem.demand.itertuples(index=False):
        if r.population <= 0 and r.demand <= 0:
            continue
        t = t_of[int(r.year)]
        sh = share_y.get((r.zone_id, r.service_id), np.zeros(len(years)))[t]
        tot_pop[(r.service_id, t)] += r.population
        unc_pop[(r.service_id, t)] += r.population * max(0.0, 1.0 - sh)
        if sh > 1 + 1e-4:
            v.append(f"assignment: zone {r.zone_id} {r.service_id} is assigned {sh:.4f} > 1 of its demand in {r.year}")
        mode, _ = problem.coverage_rule(r.service_id)
        if mode == "hard" and sh < 1 - 1e-4 and not baseline and r.year >= ready:
            v.append(f"coverage: zone {r.zone_id} has {100 * (1 - sh):.1f}% of its {r.service_id} demand without a "
                     f"site within the standard in {r.year}")
        if r.service_id in near_svcs and sh > 1e-6:
            pz = pairs_by_zone.get(r.zone_id)
            cov = float(svc.at[r.service_id, "coverage_m"])
            best = None
            for s, on in prov[r.service_id]:
                if on[t] and pz is not None and s in pz.index and pz[s] <= (cov if math.isfinite(cov) else math.inf):
                    key = (round(float(pz[s]), 1), s)
                    best = key if best is None or key < best else best
            used = served_by[(r.zone_id, r.service_id)][t]
            if best is not None and used != {best[1]}:
                v.append(f"nearest: zone {r.zone_id} goes to {sorted(used)} for {r.service_id} in {r.year}, past the "
                         f"nearer open {best[1]} ({best[0]:,.0f} m)")
    for k, m in pol.min_share.items():
        for t in range(len(years)):
            tot = tot_pop.get((k, t), 0.0)
            if tot > 0 and 1 - unc_pop[(k, t)] / tot < m - 1e-5 and not baseline:
                v.append(f"coverage: {k} covers {100 * (1 - unc_pop[(k, t)] / tot):.2f}% of its target population in "
                         f"{years[t]}, below the policy minimum {100 * m:.2f}%")
                break
    # service floors and the anchor rule
    for k in svc.index:
        fl = pol.min_capacity_by_year(k)
        total = sum(np.nan_to_num(arr) for (k2, _), arr in cap_y.items() if k2 == k) if fl.any() else 0.0
        if fl.any():
            # capacities are written to 0.001 places per site: their sum may fall a few thousandths short
            n_sites = sum(1 for (k2, _) in cap_y if k2 == k)
            bad = np.flatnonzero(total < fl - 1e-3 * max(n_sites, 1) - 1e-6 * fl)
            if len(bad) and not baseline:
                t = bad[0]
                v.append(f"service floor: {k} has {total[t]:,.0f} places in {years[t]}, below the floor {fl[t]:,.0f}")
        if svc.at[k, "rule"] == "district" and svc.at[k, "anchor_keeps"] and not baseline:
            _, sd = districts[k]
            for (k2, s) in cur.index:
                if k2 == k and sd.get(s) == s:
                    arr = cap_y.get((k, s))
                    gone = is_open[s] & ~np.isfinite(arr)
                    if gone.any():
                        v.append(f"district: {k} leaves its own school {s} in {years[np.flatnonzero(gone)[0]]} while the "
                                 "school stays open")

    # -- the lead years: no service worse covered than if everything were kept (ward-wide, per year)
    if not baseline:
        v += _check_lead_years(plan, problem, unc_pop, years, t_of, ch, ready)

    # -- the reform plan's moves: mergers, conversions, hubs
    v += _check_reform(plan, problem, is_open, cap_y, add_y, years, baseline)

    # -- renewal events
    if len(ev):
        v += _check_events(plan, problem, ev, ev_status, is_open, years)

    # -- budget per year
    state = plan.state(problem)
    try:
        money = capital_by_year(problem, state)
        costs = site_year_costs(problem, state)
    except KeyError:  # an event in a year that is no option of the renewal rules (reported above)
        v.append("cost: not recomputed, the plan's renewal events are not options of the renewal rules")
        money = costs = None
    caps = money["cap_yen"].to_numpy() if money is not None else np.full(len(years), np.nan)
    if pol.min_level_budget and plan.kpis.level_budget_yen is not None:
        caps = np.full(len(years), float(plan.kpis.level_budget_yen))
    fund = pol.renewal.fund
    if np.isfinite(caps).any() and not baseline and money is not None:  # NaN: a year without a cap
        charged = money["spend_yen"].to_numpy()
        # floor is stated to 0.1 m² (and a downsized rebuild to DOWNSIZE_NOISE_M2): up to that much new floor
        # per row is priced in the recomputed spend but not in the solver's budget row
        rounding = np.zeros(len(years))
        for f in plan.floor:
            if f.year in t_of:
                rounding[t_of[f.year]] += 0.05 * float(sites.at[f.site_id, "build_yen_per_m2"]) * (1 + pol.extension_premium)
        if pol.allow_downsizing:
            for e in plan.events:
                if e.kind == "rebuild" and e.status == "done" and e.year in t_of:
                    rounding[t_of[e.year]] += DOWNSIZE_NOISE_M2 * float(sites.at[e.site_id, "build_yen_per_m2"])
        bal = fund.initial_yen if fund else 0.0
        for t in range(len(years)):
            if fund:
                bal += caps[t] - charged[t]
                if bal < fund.min_balance_yen - 1.0:
                    v.append(f"budget: the fund falls to {bal:,.0f} yen in {years[t]}, below its minimum")
                    break
            elif np.isfinite(caps[t]) and charged[t] > caps[t] * (1 + 1e-6) + 1.0 + rounding[t]:  # the solver's tolerance
                v.append(f"budget: {years[t]} spends {charged[t]:,.0f} yen on renewal and new floor, above the annual "
                         f"budget {caps[t]:,.0f}")

    # -- policy
    end = {s: bool(is_open[s][-1]) for s in rows}
    merged_from = {m.close: m.year for m in plan.mergers}
    for s in pol.lock_open:
        if not is_open[s][years < merged_from.get(s, pol.end_year)].all():
            v.append(f"lock: {s} is locked open but the plan closes it")
    for s in pol.lock_closed:
        if is_open[s][years >= ch].any():
            v.append(f"lock: {s} is locked closed but the plan keeps it")
    for (k, s) in cur.index:
        arr = cap_y[(k, s)]
        kept_until = years < merged_from.get(s, pol.end_year) if k in pol.keep_services else np.ones(len(years), bool)
        if (s in pol.frozen_sites or k in pol.frozen_services or k in pol.keep_services) and \
                not np.isfinite(arr[kept_until]).all():
            v.append(f"lock: {k} must stay at {s} (frozen or keep_services) but the plan removes it")
    for (k, s), arr in cap_y.items():
        if (s in pol.frozen_sites or k in pol.frozen_services) and (k, s) not in cur.index and np.isfinite(arr).any():
            v.append(f"lock: {k}@{s} is new, but {'site ' + s if s in pol.frozen_sites else 'service ' + k} is frozen")
    existing_ids = sites.index[sites["kind"] == "existing"]
    closures = sum(1 for s in existing_ids if not end[s])
    if pol.max_closures is not None and closures > pol.max_closures:
        v.append(f"closures: the plan closes {closures} sites, policy maximum {pol.max_closures}")
    base_floor = float(sites.loc[existing_ids, "floor_area_m2"].sum())
    floor_end = sum(r.floor_after_m2 for r in plan.sites)
    if base_floor > 0:
        red = 1 - floor_end / base_floor
        if pol.min_floor_reduction is not None and red < pol.min_floor_reduction - 1e-6:
            v.append(f"floor reduction: {100 * red:.2f}% is below the policy minimum {100 * pol.min_floor_reduction:.2f}%")
        if pol.max_floor_reduction is not None and red > pol.max_floor_reduction + 1e-6:
            v.append(f"floor reduction: {100 * red:.2f}% is above the policy maximum {100 * pol.max_floor_reduction:.2f}%")
    capital = float(costs["new_build_yen"].sum() + costs["land_yen"].sum()) if costs is not None else 0.0
    if pol.capital_budget_yen is not None and capital > pol.capital_budget_yen * (1 + 1e-6) + 1.0:
        v.append(f"capital: capital spend ¥{capital:,.0f} exceeds the budget ¥{pol.capital_budget_yen:,.0f}")
    solo = set(svc.index[~svc["co_locatable"]])
    for t, y in enumerate(years):
        by_site: dict[str, set[str]] = defaultdict(set)
        for (k, s), arr in cap_y.items():
            if np.isfinite(arr[t]):
                by_site[s].add(k)
        for s, ks in sorted(by_site.items()):
            for a_, b_ in pol.incompatible:
                if a_ in ks and b_ in ks:
                    v.append(f"incompatible: {a_} and {b_} share {s} in {y}")
            for k in sorted(ks & solo):
                if len(ks) > 1:
                    v.append(f"co-location: {k} may not share a site but {s} also hosts {sorted(ks - {k})} in {y}")

    # -- cost: recomputed from the state, against the KPIs and the solver's objective
    if costs is not None:
        total = float(costs["total_yen"].sum())
        if abs(total - plan.kpis.cost_after_yen) > 1.0 + 1e-9 * abs(total):
            v.append(f"cost: recomputed horizon cost ¥{total:,.0f} differs from the plan's ¥{plan.kpis.cost_after_yen:,.0f}")
        obj = plan.solver.objective_yen
        if obj is not None and not baseline:
            extra, allowance = _objective_extras(plan, problem, cur)
            expect = total + extra
            tol = 2e3 + 1e-6 * abs(expect) + allowance
            for f in plan.floor:  # floor is stated to 0.1 m²: up to 0.05 m² built and run for the rest of the horizon
                tol += 0.05 * (float(sites.at[f.site_id, "build_yen_per_m2"]) * (1 + pol.extension_premium)
                               + float(sites.at[f.site_id, "operating_yen_per_m2_year"]) * max(pol.end_year - f.year, 0))
            ward_rate, comm_rate = operating_rates(problem)
            for r in plan.timeline:  # places are stated to 0.001: up to 0.0005 places run at the dearer rate
                rate = max(float(np.nan_to_num(ward_rate.get(r.service_id, 0.0))), comm_rate.get(r.service_id, 0.0))
                tol += 0.0005 * rate * (r.to_year - r.from_year + 1)
            if pol.allow_downsizing:  # a rebuild may leave out the floor rows' tolerance, unreported (reform)
                for e in plan.events:
                    if e.kind == "rebuild" and e.status == "done":
                        tol += DOWNSIZE_NOISE_M2 * (float(sites.at[e.site_id, "build_yen_per_m2"])
                                                    + float(sites.at[e.site_id, "operating_yen_per_m2_year"])
                                                    * pol.horizon_years)
            if abs(obj - expect) > tol and not pol.min_level_budget:
                v.append(f"cost: the solver's objective ¥{obj:,.0f} differs from the recomputed cost ¥{expect:,.0f} "
                         f"(plan ¥{total:,.0f} + tie-breaks and priced terms ¥{extra:,.0f})")

    # -- the saving by kind (baseline state − plan state, recomputed) and the parts that must add up to it
    if costs is not None and plan.kpis.saving_by_kind:
        v += _check_savings(plan, problem, costs)

    # -- freed land and operator changes
    v += _check_disposals(plan, problem, costs, is_open)
    v += _check_operators(plan, problem, years)

    # -- decisions agree with the site states
    for d in plan.decisions:
        if d.facility_id == d.site_id and d.decision == "close" and end.get(d.site_id, False):
            v.append(f"decision: {d.facility_id} is marked closed but its site stays open")
        if d.facility_id == d.site_id and d.decision != "close" and not end.get(d.site_id, True):
            v.append(f"decision: {d.facility_id} is marked {d.decision} but its site closes")
    return v


def _merged_districts(plan: Plan, problem: PortfolioProblem):
    """f(service, district, year) -> the districts whose sites serve it that year (its own, and its
    merger partner's from the merger on, for every district service using the merged schools' districts)."""
    svc = problem.services.set_index("service_id")
    partners: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
    for m in plan.mergers:
        for k in svc.index[(svc["rule"] == "district") & (svc["district_of"] == m.service_id)]:
            partners[(k, m.close)].append((m.into, m.year))
            partners[(k, m.into)].append((m.close, m.year))

    def f(k: str, district, year: int) -> set:
        return {district} | {d for d, y in partners.get((k, district), []) if year >= y}
    return f


def _check_reform(plan: Plan, problem: PortfolioProblem, is_open: dict, cap_y: dict, add_y: dict,
                  years: np.ndarray, baseline: bool) -> list[str]:
    """School mergers (candidates of the policy, in the class window when they start, one per school,
    the closed school's site freed, required ones made), conversions (the floor services take at a
    building of a category they do not use today, less the floor added there, converted by then) and
    hubs (enough services from their year)."""
    from .reform import candidate_mergers, conversion_placements, district_pupils

    v: list[str] = []
    pol = problem.policy
    per = pol.periods()
    if plan.mergers and baseline:
        v.append("merger: the baseline merges no school")
    cand = candidate_mergers(problem)
    allowed = {(r.service_id, r.close, r.into): r for r in cand.itertuples(index=False)}
    seen: dict[str, int] = defaultdict(int)
    for m in plan.mergers:
        r = allowed.get((m.service_id, m.close, m.into))
        if r is None:
            v.append(f"merger: {m.close} -> {m.into} ({m.service_id}) is not a candidate merger of the policy")
            continue
        rule = pol.mergers[int(r.rule)]
        if m.year not in set(per["start"]) or m.year < max(pol.change_year, int(r.from_year)):
            v.append(f"merger: {m.close} -> {m.into} in {m.year}: not at a period start from "
                     f"{max(pol.change_year, int(r.from_year))}")
            continue
        q = int(np.searchsorted(per["start"].to_numpy(), m.year))
        dp = district_pupils(problem, m.service_id).set_index(["district", "p"])["demand"]
        a, b = float(dp.get((m.close, q), 0.0)), float(dp.get((m.into, q), 0.0))
        lo, hi = rule.window
        if not lo - 1e-6 <= a + b <= hi + 1e-6 or (rule.only_undersized and min(a, b) >= lo - 1e-9):
            v.append(f"merger: {m.close} ({a:,.0f} pupils) + {m.into} ({b:,.0f}) = {a + b:,.0f} in {m.year}: outside "
                     f"{rule.min_classes}-{rule.max_classes} classes × {rule.class_size} ({lo}-{hi} pupils)"
                     + (" or neither is undersized" if rule.only_undersized else ""))
        if is_open[m.close][years >= m.year].any():
            v.append(f"merger: {m.close} merges into {m.into} in {m.year} but its site stays in use")
        for s in (m.close, m.into):
            seen[s] += 1
    for s, n in seen.items():
        if n > 1:
            v.append(f"merger: {s} takes part in {n} mergers (at most one)")
    made = {(m.service_id, m.close, m.into) for m in plan.mergers}
    for r in cand.itertuples(index=False):
        if r.required and (r.service_id, r.close, r.into) not in made and not baseline:
            v.append(f"merger: the required merger {r.close} -> {r.into} is not made")

    # conversions: needed floor per site and year against the floor converted so far
    if pol.conversion_yen_per_m2 > 0 and not baseline:
        el = problem.eligible()
        conv = el.iloc[conversion_placements(problem, el)]
        need = problem.services.set_index("service_id")["floor_m2_per_unit"] * (1 - pol.sharing_saving)
        done = defaultdict(lambda: np.zeros(len(years)))
        for c in plan.conversions:
            done[c.site_id][years >= c.year] += c.converted_m2
        built = defaultdict(lambda: np.zeros(len(years)))  # floor added by extensions
        rebuilt = defaultdict(lambda: np.zeros(len(years), dtype=bool))  # a rebuilt building is new throughout
        for f in plan.floor:
            if f.how == "extension":
                built[f.site_id][years >= f.year] += f.added_m2
        for e in plan.events:
            if e.kind == "rebuild" and e.status == "done" and e.end_year is not None:
                rebuilt[e.site_id] |= years > e.end_year
        for s, g in conv.groupby("site_id"):
            want = sum(np.nan_to_num(add_y.get((k, s), np.zeros(len(years)))) * float(need[k]) for k in g["service_id"])
            gross = np.where(rebuilt[s], 0.0, np.maximum(want - built[s], 0.0))
            bad = np.flatnonzero(gross > done[s] + 0.3)
            if len(bad):
                t = bad[0]
                v.append(f"conversion: {s} gives {gross[t]:,.1f} m² of its existing floor to new uses in {years[t]} "
                         f"but converts {done[s][t]:,.1f} m²")
    for s, h in pol.hubs.items():
        if baseline:
            break
        year = h.year(problem.sites.set_index("site_id").at[s, "available_from"], pol.change_year)
        n = sum(np.nan_to_num(arr) >= h.min_places - 1e-3 for (k, s2), arr in cap_y.items() if s2 == s)
        bad = np.flatnonzero((years >= year) & (np.asarray(n) < h.min_services))
        if len(bad):
            v.append(f"hub: {s} has {int(np.asarray(n)[bad[0]])} services of {h.min_places:g}+ places in "
                     f"{years[bad[0]]}, fewer than the hub's {h.min_services} from {year}")
    return v


def _check_savings(plan: Plan, problem: PortfolioProblem, costs: pd.DataFrame) -> list[str]:
    """The KPIs' saving by kind against the kinds recomputed from the two states (each part is rounded
    to the yen, so within a yen), and the kinds, the sites' and the decisions' savings against the
    headline (exactly, to the yen)."""
    v = []
    k = plan.kpis
    try:
        before = site_year_costs(problem, plan.state(problem, baseline=True))
    except KeyError:
        return ["saving: not recomputed, the baseline's renewal events are not options of the renewal rules"]
    for kind in COST_KINDS:
        col = f"{kind}_yen"
        raw = float(before[col].sum()) - float(costs[col].sum())
        raw = -raw if kind in INCOME_KINDS else raw  # land sold, leased or reused: a negative cost
        stated = float(k.saving_by_kind.get(kind, 0.0))
        if abs(raw - stated) > 1.0 + 1e-9 * abs(raw):
            v.append(f"saving: recomputed {kind} saving ¥{raw:,.0f} differs from the plan's ¥{stated:,.0f}")
    for what, parts in (("the saving by kind", k.saving_by_kind.values()),
                        ("the sites' savings", [s.saving_yen for s in plan.sites]),
                        ("the decisions' savings", [d.saving_yen for d in plan.decisions])):
        total = float(sum(parts))
        if abs(total - k.saving_yen) > 0.5:
            v.append(f"saving: {what} add up to ¥{total:,.0f}, not the plan's saving ¥{k.saving_yen:,.0f}")
    return v


def _check_disposals(plan: Plan, problem: PortfolioProblem, costs: pd.DataFrame | None,
                     is_open: dict[str, np.ndarray]) -> list[str]:
    """Every closed existing site is in ``freed_sites`` with its closure year; land income only from an
    owned, separable site; a choice the policy allows and the site fits; the needs' site limits; the
    stated value against the value recomputed from the plan's state."""
    v = []
    pol = problem.policy
    sites = problem.sites.set_index("site_id")
    table = problem.disposal_table()
    options = set(zip(table["site_id"], table["choice"], table["need_id"]))
    sell_or_lease = set(table.loc[table["choice"].isin(["sell", "lease"]), "site_id"])
    closes = {s.site_id: s.closes for s in plan.sites}
    stated = {r.site_id: r for r in plan.freed_sites}
    value = (costs.groupby("site_id")[["revenue_yen", "lease_yen", "reuse_yen"]].sum().sum(axis=1)
             if costs is not None else pd.Series(dtype=float))
    for s in sites.index[sites["kind"] == "existing"]:
        if is_open[s].all():
            if s in stated:
                v.append(f"disposal: {s} is in freed_sites but stays open")
            continue
        r = stated.get(s)
        if r is None:
            v.append(f"disposal: {s} closes in {closes.get(s)} but freed_sites does not state what its land becomes")
            continue
        if r.closure_year != closes.get(s):
            v.append(f"disposal: freed_sites says {s} closes in {r.closure_year}, the plan in {closes.get(s)}")
        sellable = bool(sites.at[s, "sellable"])
        if not sellable and r.choice != "none":
            v.append(f"disposal: {s} is not an owned, separable site with a known area (owned "
                     f"{bool(sites.at[s, 'owned'])}, separable {bool(sites.at[s, 'separable'])}), so it frees no land "
                     f"to {r.choice}")
        elif sellable and r.choice == "none":
            v.append(f"disposal: {s} frees land but freed_sites states no choice for it")
        elif r.choice == "hold":
            if pol.must_dispose and s in sell_or_lease:
                v.append(f"disposal: {s} is held, but the policy allows only {'/'.join(pol.disposal_options)}")
        elif r.choice != "none" and (s, r.choice, r.need_id if r.choice == "reuse" else "") not in options:
            what = f"reuse for {r.need_id!r}" if r.choice == "reuse" else r.choice
            v.append(f"disposal: {s} may not {what}: the policy allows {'/'.join(pol.disposal_options)}"
                     + (" and the need must fit the site" if r.choice == "reuse" else ""))
        got = float(value.get(s, 0.0))
        if costs is not None and abs(got - r.value_yen) > 1.0:
            v.append(f"disposal: {s} ({r.choice}) brings ¥{got:,.0f} recomputed, freed_sites says ¥{r.value_yen:,.0f}")
    for n in pol.reuse_needs:
        used = sum(1 for r in plan.freed_sites if r.choice == "reuse" and r.need_id == n.id)
        if n.max_sites is not None and used > n.max_sites:
            v.append(f"disposal: {used} sites are reused for {n.id}, at most {n.max_sites} allowed")
    return v


def _check_operators(plan: Plan, problem: PortfolioProblem, years: np.ndarray) -> list[str]:
    """Operator changes only as ``policy.operator_change`` allows: configured, eligible placements, at a
    period start from the earliest year, never back, within the limits per period and in total."""
    v = []
    pol = problem.policy
    oc = pol.operator_change
    rows: dict[tuple[str, str], list] = defaultdict(list)
    for r in plan.timeline:
        rows[(r.service_id, r.site_id)].append(r)
    switches: dict[tuple[str, str], int] = {}
    for key, rs in sorted(rows.items()):
        rs = sorted(rs, key=lambda r: r.from_year)
        com = [r for r in rs if r.operator == "commissioned"]
        if not com:
            continue
        y = com[0].from_year
        switches[key] = y
        if any(r.operator == "ward" and r.from_year > y for r in rs):
            v.append(f"operator: {key[0]}@{key[1]} returns to the ward after its operator change in {y}")
    if not switches:
        return v
    if oc is None:
        return v + [f"operator: {k}@{s} changes operator in {y}, but the model file configures no operator change"
                    for (k, s), y in sorted(switches.items())]
    eligible = set(zip(*[problem.operator_candidates()[c] for c in ("service_id", "site_id")]))
    starts = set(pol.periods()["start"])
    first = max(oc.earliest_year or pol.change_year, pol.change_year)
    for (k, s), y in sorted(switches.items()):
        if (k, s) not in eligible:
            v.append(f"operator: {k}@{s} may not change operator (not a current placement of a listed service at an "
                     "eligible site)")
        if y < first or y not in starts:
            v.append(f"operator: {k}@{s} changes operator in {y}; changes are made at period starts from {first}")
    per_year = defaultdict(int)
    for y in switches.values():
        per_year[y] += 1
    if oc.max_per_period is not None:
        for y, n in sorted(per_year.items()):
            if n > oc.max_per_period:
                v.append(f"operator: {n} operator changes in {y}, at most {oc.max_per_period} per period")
    if oc.max_total is not None and len(switches) > oc.max_total:
        v.append(f"operator: {len(switches)} operator changes, at most {oc.max_total} in total")
    return v


def _check_events(plan: Plan, problem: PortfolioProblem, ev: pd.DataFrame, st: pd.DataFrame,
                  is_open: dict[str, np.ndarray], years: np.ndarray) -> list[str]:
    """Windows, hard limits, order within a site, work only on open sites, drops only at closures."""
    v = []
    pol = problem.policy
    last = pol.end_year - 1
    if len(st) != len(ev):
        return [f"events: the plan states {len(st)} events, the problem has {len(ev)}"]
    w = prepare_events(problem).ev.reset_index(drop=True)
    closes = {s.site_id: s.closes for s in plan.sites}
    prev: dict[str, tuple[int, int, str]] = {}
    for i, r in enumerate(st.itertuples(index=False)):
        e = w.iloc[i]
        who = f"{r.site_id} {r.kind} (due {r.due_year})"
        if r.status == "done":
            y = int(r.year)
            if not int(e["earliest"]) <= y <= int(e["latest"]):
                v.append(f"renewal: {who} starts {y}, outside its window {int(e['earliest'])}-{int(e['latest'])}")
            if not is_open[r.site_id][y - pol.start_year]:
                v.append(f"renewal: {who} starts {y} on a closed site")
        elif r.status == "deferred":
            if not bool(e["can_defer"]):
                v.append(f"renewal: {who} is deferred beyond {last}, past its hard limit {int(e['limit'])}")
            if not is_open[r.site_id][-1]:
                v.append(f"renewal: {who} is deferred but its site closes")
        else:
            c = closes.get(r.site_id)
            if c is None or c != r.closure_year:
                v.append(f"renewal: {who} is dropped at a closure in {r.closure_year}, but the site closes in {c}")
            elif not bool(e["can_defer"]) and c > int(e["latest"]) + 1:
                v.append(f"renewal: {who} is dropped, but its site stays open until {c - 1}, past its latest start "
                         f"{int(e['latest'])}")
        p = prev.get(r.site_id)
        if r.status == "done" and p is not None:
            py, pend, pkind = p
            if pkind != "rebuild" and int(r.year) < pend:
                v.append(f"renewal: {who} starts {int(r.year)} before its {pkind} ends ({pend - 1})")
        if r.status == "done":
            prev[r.site_id] = (int(r.year), int(r.year) + int(e["spread_years"]), r.kind)
        elif r.status == "deferred" and r.kind != "rebuild":
            prev[r.site_id] = (last + 1, 10**6, r.kind)
    return v


def _objective_extras(plan: Plan, problem: PortfolioProblem, cur: pd.DataFrame) -> tuple[float, float]:
    """The yen the objective adds to the plan's cost: the tie-breaks on new placements and on places added
    to services with an operating cost per place, priced uncovered shares and the access term; and the
    rounding allowance of the priced shares (written to 6 decimals, their population and demand to 3)."""
    pol = problem.policy
    extra = allowance = 0.0
    ward_rate, _ = operating_rates(problem)
    for r in plan.timeline:
        yrs = r.to_year - r.from_year + 1
        if not r.current:
            extra += NEW_PLACEMENT_YEN * yrs
        if np.nan_to_num(ward_rate.get(r.service_id, 0.0)) > 0:  # places added to a service run per place
            extra += ADDED_PLACE_YEN * r.added * yrs
    hard = {k for k in problem.services["service_id"] if problem.coverage_rule(k)[0] == "hard"}
    for u in plan.uncovered:
        rate = (UNCOVERED_PER_UNIT * u.demand + UNCOVERED_PER_RESIDENT * u.population if u.service_id in hard
                else 1e-3 * u.population)
        extra += rate * SCALE * u.share
        allowance += rate * SCALE * 5e-7 + (UNCOVERED_PER_UNIT + UNCOVERED_PER_RESIDENT) * SCALE * 5e-4 * u.share
    if pol.access_weight_yen_per_person_km > 0:
        for a in plan.assignments:
            extra += (pol.access_weight_yen_per_person_km * a.population * a.share * (a.distance_m or 0.0) / 1000.0
                      * (a.to_year - a.from_year + 1))
    return extra, allowance


def _check_lead_years(plan: Plan, problem: PortfolioProblem, unc_pop: dict[tuple[str, int], float],
                      years: np.ndarray, t_of: dict[int, int], ch: int, ready: int) -> list[str]:
    """Residents left uncovered per hard service in each lead year (after the first change, before new
    floor can be ready) against the keep-everything baseline's (``plan.baseline_uncovered``)."""
    pop = problem.demand.set_index(["zone_id", "service_id", "year"])["population"]
    base: dict[tuple[str, int], float] = defaultdict(float)
    for u in plan.baseline_uncovered:
        for y in range(max(u.from_year, ch), min(u.to_year, ready - 1) + 1):
            base[(u.service_id, t_of[y])] += u.share * float(pop.get((u.zone_id, u.service_id, y), 0.0))
    out = []
    for y in range(ch, ready):
        t = t_of[y]
        for k in sorted({k for k, _ in unc_pop}):
            if problem.coverage_rule(k)[0] != "hard":
                continue
            if unc_pop.get((k, t), 0.0) > base[(k, t)] + 0.5 + 1e-6 * base[(k, t)]:
                out.append(f"lead years: {unc_pop[(k, t)]:,.1f} residents have no {k} within the standard in {y}, "
                           f"more than the {base[(k, t)]:,.1f} if everything were kept (no new floor before {ready})")
    return out
