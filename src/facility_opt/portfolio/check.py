"""Independent feasibility check of a :class:`Plan` against its :class:`PortfolioProblem`.

The check reads only the plan's own outputs (which sites are open, what each hosts with which
capacity, who is served where) and the problem's data; it never looks at solver variables.  It
recomputes distances from the problem's zone–site pairs, coverage against each standard, demand
against capacity, floor area against the site limit, the policy limits and the horizon cost.
:func:`facility_opt.portfolio.optimise_portfolio` runs it on every plan.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from .plan import Plan
from .problem import PortfolioProblem

__all__ = ["check_plan"]

_TOL = 1e-5


def check_plan(plan: Plan, problem: PortfolioProblem) -> list[str]:
    """Return the violations of ``plan`` (empty when it is feasible); each names what and where.

    Examples
    --------
    >>> # violations = check_plan(plan, problem); assert not violations
    """
    v: list[str] = []
    pol = problem.policy
    sites = problem.sites.set_index("site_id")
    svc = problem.services.set_index("service_id")
    site_rows = {s.site_id: s for s in plan.sites}
    missing = sorted(set(sites.index) - set(site_rows))
    if missing:
        v.append(f"sites: the plan does not state the sites {missing}")
        return v
    is_open = {s: r.open_after for s, r in site_rows.items()}

    # -- placements: where each service is, with what capacity
    current = problem.placements.groupby(["service_id", "site_id"]).agg(cap=("capacity", "sum"),
                                                                      floor=("floor_area_m2", "sum"))
    eligible = set(map(tuple, problem.eligible()[["service_id", "site_id"]].to_numpy()))
    placed: dict[tuple[str, str], float] = {}
    added_cap: dict[tuple[str, str], float] = {}
    for c in plan.capacities:
        key = (c.service_id, c.site_id)
        if not c.placed:
            continue
        placed[key] = c.capacity_after
        added_cap[key] = c.added_capacity
        if not is_open.get(c.site_id, False):
            v.append(f"placement: {c.service_id} is placed at {c.site_id}, which is closed")
        if key not in eligible:
            v.append(f"hosting: {c.site_id} (category {sites.loc[c.site_id, 'category']}) may not host {c.service_id}")
        cap0 = float(current["cap"].get(key, 0.0))
        if c.capacity_after > cap0 + c.added_capacity + _TOL * max(1.0, cap0):
            v.append(f"capacity: {c.service_id}@{c.site_id} states {c.capacity_after} > current {cap0} + added "
                     f"{c.added_capacity}")
        if c.added_capacity > _TOL:
            frozen = c.site_id in pol.frozen_sites or c.service_id in pol.frozen_services
            if frozen or (key in current.index and not pol.allow_expansion):
                v.append(f"capacity: {c.service_id}@{c.site_id} adds {c.added_capacity:.1f} units, which the policy "
                         "forbids (frozen or no expansion)")
            mx = float(svc.loc[c.service_id, "max_capacity_per_site"])
            if math.isfinite(mx) and c.capacity_after > max(mx, cap0) + _TOL * mx:
                v.append(f"capacity: {c.service_id}@{c.site_id} has {c.capacity_after:.1f} units, above the "
                         f"per-site maximum {mx:.0f}")

    # -- coverage and distances, recomputed from the problem's pairs
    dist = problem.pairs.set_index(["zone_id", "site_id"])["distance_m"]
    served: dict[tuple[str, str], float] = defaultdict(float)
    share_zk: dict[tuple[str, str], float] = defaultdict(float)
    for a in plan.assignments:
        key = (a.service_id, a.site_id)
        if key not in placed:
            v.append(f"assignment: zone {a.zone_id} is served {a.service_id} at {a.site_id}, which does not "
                     "provide it")
        d = dist.get((a.zone_id, a.site_id))
        if d is None:
            v.append(f"distance: zone {a.zone_id} -> {a.site_id} is not a pair within reach")
            continue
        if abs(float(d) - a.distance_m) > 0.06:
            v.append(f"distance: zone {a.zone_id} -> {a.site_id} is {d:.1f} m, the plan says {a.distance_m:.1f} m")
        std = float(svc.loc[a.service_id, "coverage_m"])
        limit = std if math.isfinite(std) else (pol.max_reach_m or math.inf)
        if float(d) > limit + 1e-6:
            v.append(f"coverage: zone {a.zone_id} is served {a.service_id} at {a.site_id} {d:,.0f} m away, beyond "
                     f"the standard {limit:,.0f} m")
        served[key] += a.share * a.demand
        share_zk[(a.zone_id, a.service_id)] += a.share
    for key, load in served.items():
        cap = placed.get(key, 0.0)
        if load > cap + 1e-3 * max(1.0, cap):
            v.append(f"capacity: {key[0]}@{key[1]} serves {load:.2f} units with capacity {cap:.2f}")
    uncovered_pop: dict[str, float] = defaultdict(float)
    total_pop: dict[str, float] = defaultdict(float)
    for r in problem.demand.itertuples():
        s = share_zk.get((r.zone_id, r.service_id), 0.0)
        total_pop[r.service_id] += r.population
        uncovered_pop[r.service_id] += r.population * max(0.0, 1.0 - s)
        if s > 1 + 1e-4:
            v.append(f"assignment: zone {r.zone_id} {r.service_id} is assigned {s:.4f} > 1 of its demand")
        mode, _ = problem.coverage_rule(r.service_id)
        if mode == "hard" and s < 1 - 1e-4:
            v.append(f"coverage: zone {r.zone_id} has {100 * (1 - s):.1f}% of its {r.service_id} demand without a "
                     f"site within the standard")
    for k, m in pol.min_share.items():
        tot = total_pop.get(k, 0.0)
        if tot > 0 and 1 - uncovered_pop[k] / tot < m - 1e-5:
            v.append(f"coverage: {k} covers {100 * (1 - uncovered_pop[k] / tot):.2f}% of its target population, "
                     f"below the policy minimum {100 * m:.2f}%")

    # -- floor area per site
    limit = problem.site_floor_limit()
    need = svc["floor_m2_per_unit"] * (1 - pol.sharing_saving)
    floor_used: dict[str, float] = defaultdict(float)
    for (k, s), cap in placed.items():
        floor_used[s] += float(current["floor"].get((k, s), 0.0)) + float(need[k]) * added_cap[(k, s)]
    for s, r in site_rows.items():
        base = float(sites.loc[s, "floor_area_m2"]) if sites.loc[s, "kind"] == "existing" else 0.0
        expect = (base if r.open_after else 0.0) + r.added_floor_m2 if r.open_after else 0.0
        if abs(r.floor_after_m2 - expect) > 0.11:
            v.append(f"floor: {s} states {r.floor_after_m2:.1f} m² after, expected {expect:.1f}")
        if floor_used[s] > r.floor_after_m2 + 0.2 + 1e-6 * floor_used[s]:
            v.append(f"floor: {s} needs {floor_used[s]:,.1f} m² for its services but has {r.floor_after_m2:,.1f} m²")
        if r.floor_after_m2 > float(limit[s]) + 0.2:
            v.append(f"floor: {s} has {r.floor_after_m2:,.1f} m², above its site limit {float(limit[s]):,.1f} m² "
                     "(site area × floor-area ratio)")

    # -- policy
    for s in pol.lock_open:
        if not is_open[s]:
            v.append(f"lock: {s} is locked open but the plan closes it")
    for s in pol.lock_closed:
        if is_open[s]:
            v.append(f"lock: {s} is locked closed but the plan keeps it")
    for (k, s) in current.index:
        if (s in pol.frozen_sites or k in pol.frozen_services) and (k, s) not in placed:
            v.append(f"lock: {k}@{s} is frozen (excluded from change) but the plan removes it")
    for (k, s) in current.index:
        if k in pol.keep_services and (k, s) not in placed:
            v.append(f"lock: {k} must stay at {s} (policy.keep_services) but the plan removes it")
    for (k, s) in placed:
        if (s in pol.frozen_sites or k in pol.frozen_services) and (k, s) not in current.index:
            v.append(f"lock: {k}@{s} is new, but {'site ' + s if s in pol.frozen_sites else 'service ' + k} is frozen")
    existing = sites.index[sites["kind"] == "existing"]
    closures = sum(1 for s in existing if not is_open[s])
    if pol.max_closures is not None and closures > pol.max_closures:
        v.append(f"closures: the plan closes {closures} sites, policy maximum {pol.max_closures}")
    base_floor = float(sites.loc[existing, "floor_area_m2"].sum())
    floor_after = sum(r.floor_after_m2 for r in site_rows.values())
    if base_floor > 0:
        red = 1 - floor_after / base_floor
        if pol.min_floor_reduction is not None and red < pol.min_floor_reduction - 1e-6:
            v.append(f"floor reduction: {100 * red:.2f}% is below the policy minimum {100 * pol.min_floor_reduction:.2f}%")
        if pol.max_floor_reduction is not None and red > pol.max_floor_reduction + 1e-6:
            v.append(f"floor reduction: {100 * red:.2f}% is above the policy maximum {100 * pol.max_floor_reduction:.2f}%")
    order = problem.sites["site_id"].to_numpy()
    open_arr = np.array([is_open[s] for s in order])
    add_arr = np.array([site_rows[s].added_floor_m2 for s in order])
    costs = problem.site_costs(open_arr, add_arr)
    capital = float(costs["new_build_yen"].sum() + costs["land_yen"].sum())
    if pol.capital_budget_yen is not None and capital > pol.capital_budget_yen * (1 + 1e-6) + 1.0:
        v.append(f"budget: capital spend ¥{capital:,.0f} exceeds the budget ¥{pol.capital_budget_yen:,.0f}")
    total = float(costs["total_yen"].sum())
    if abs(total - plan.kpis.cost_after_yen) > 1.0 + 1e-9 * abs(total):
        v.append(f"cost: recomputed horizon cost ¥{total:,.0f} differs from the plan's ¥{plan.kpis.cost_after_yen:,.0f}")

    # -- services that may not share a site
    by_site: dict[str, set[str]] = defaultdict(set)
    for (k, s) in placed:
        by_site[s].add(k)
    solo = set(svc.index[~svc["co_locatable"]])
    for s, ks in sorted(by_site.items()):
        for a, b in pol.incompatible:
            if a in ks and b in ks:
                v.append(f"incompatible: {a} and {b} share {s}")
        for k in sorted(ks & solo):
            if len(ks) > 1:
                v.append(f"co-location: {k} may not share a site but {s} also hosts {sorted(ks - {k})}")
    # -- decisions agree with the site states
    for d in plan.decisions:
        if d.decision == "close" and d.facility_id == d.site_id and is_open.get(d.site_id, False):
            v.append(f"decision: {d.facility_id} is marked closed but its site stays open")
        if d.decision != "close" and d.facility_id == d.site_id and not is_open.get(d.site_id, True):
            v.append(f"decision: {d.facility_id} is marked {d.decision} but its site is closed")
    return v
