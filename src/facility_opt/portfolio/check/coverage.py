"""Who is served where: assignments, capacity, coverage standards and rules, service floors, lead years."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from .context import Context
from .reform import merged_districts
from .violation import Violation

__all__ = ["check_assignments", "check_coverage", "check_service_floors", "check_lead_years"]


@dataclass
class Served:
    """Per year: each zone's share served per service, each placement's load, the sites serving a zone."""

    share_y: dict[tuple[str, str], np.ndarray]
    load: dict[tuple[str, str], np.ndarray]
    served_by: dict[tuple[str, str], dict[int, set]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set))
    )


def check_assignments(c: Context) -> tuple[list[Violation], Served]:
    """Each assignment: at a site providing the service (``capacity``: a site without it has no places),
    within its district or the standard (``district``, ``cover``), at the stated distance; then each
    placement's load against its capacity every year (``capacity``)."""
    v: list[Violation] = []
    problem, years, svc, pol = c.problem, c.years, c.svc, c.pol
    # plain dicts: one lookup per assignment and year (a pandas MultiIndex lookup each is slow on large wards)
    dist = problem.pairs.set_index(["zone_id", "site_id"])["distance_m"].to_dict()
    dem = problem.demand.set_index(["zone_id", "service_id", "year"])["demand"].to_dict()
    out = Served(defaultdict(lambda: np.zeros(len(years))), defaultdict(lambda: np.zeros(len(years))))
    districts = {k: problem.district_tables(k) for k in svc.index[svc["rule"] == "district"]}
    merged_district = merged_districts(c.plan, problem)
    for a in c.plan.assignments:
        k, z, s = a.service_id, a.zone_id, a.site_id
        ts = np.arange(c.t_of[a.from_year], c.t_of[a.to_year] + 1)
        arr = c.cap_y.get((k, s))
        if arr is None or not np.isfinite(arr[ts]).all():
            v.append(
                Violation(
                    "capacity",
                    z,
                    a.from_year,
                    f"assignment: zone {z} is served {k} at {s} in "
                    f"{a.from_year}-{a.to_year}, when {s} does not provide it",
                )
            )
        rule = svc.at[k, "rule"]
        d = dist.get((z, s))
        if rule == "district":
            zd, sd = districts[k]
            if zd.get(z) is None or sd.get(s) not in merged_district(k, zd.get(z), a.from_year):
                v.append(
                    Violation(
                        "district",
                        z,
                        a.from_year,
                        f"district: zone {z} is served {k} at {s}, outside its district ({zd.get(z)})",
                    )
                )
        else:
            if d is None:
                v.append(Violation("tables", z, None, f"distance: zone {z} -> {s} is not a pair within reach"))
                continue
            std = float(svc.at[k, "coverage_m"])
            lim = std if math.isfinite(std) else (pol.max_reach_m or math.inf)
            if float(d) > lim + 1e-6:
                v.append(
                    Violation(
                        "cover",
                        z,
                        a.from_year,
                        f"coverage: zone {z} is served {k} at {s} {d:,.0f} m away, beyond the standard {lim:,.0f} m",
                    )
                )
        if d is not None and a.distance_m is not None and abs(float(d) - a.distance_m) > 0.06:
            v.append(
                Violation(
                    "tables", z, None, f"distance: zone {z} -> {s} is {d:.1f} m, the plan says {a.distance_m:.1f} m"
                )
            )
        out.share_y[(z, k)][ts] += a.share
        for t in ts:
            y = int(years[t])
            dd = float(dem.get((z, k, y), 0.0))
            out.load[(k, s)][t] += a.share * dd
            out.served_by[(z, k)][t].add(s)
    for (k, s), arr in out.load.items():
        cap = np.nan_to_num(c.cap_y.get((k, s), np.zeros(len(years))))
        bad = np.flatnonzero(arr > cap + 1e-3 * np.maximum(1.0, cap))
        if len(bad):
            t = bad[0]
            v.append(
                Violation(
                    "capacity",
                    f"{k}@{s}",
                    years[t],
                    f"capacity: {k}@{s} serves {arr[t]:.2f} units in {years[t]} with capacity {cap[t]:.2f}",
                )
            )
    return v, out


def check_coverage(c: Context, served: Served) -> list[Violation]:
    """Every zone's demand, every year: assigned at most once, covered where the standard is hard (once
    new floor can be ready), at the nearest open provider for ``nearest`` services (``cover``,
    ``nearest``); each service's share covered against the policy minimum (``min_share``).  Sets
    ``c.unc_pop``, the residents left without a site within the standard."""
    v: list[Violation] = []
    problem, years, svc = c.problem, c.years, c.svc
    unc_pop = c.unc_pop
    tot_pop: dict[tuple[str, int], float] = defaultdict(float)
    # providers of each nearest service per year, for the nearest rule
    near_svcs = set(svc.index[svc["rule"] == "nearest"])
    prov: dict[str, list[tuple[str, np.ndarray]]] = defaultdict(list)
    for (k, s), arr in c.cap_y.items():
        if k in near_svcs:
            prov[k].append((s, np.isfinite(arr)))
    pairs_by_zone = {z: g.set_index("site_id")["distance_m"] for z, g in problem.pairs.groupby("zone_id")}
    for r in problem.demand.itertuples(index=False):
        if r.population <= 0 and r.demand <= 0:
            continue
        t = c.t_of[int(r.year)]
        sh = served.share_y.get((r.zone_id, r.service_id), np.zeros(len(years)))[t]
        tot_pop[(r.service_id, t)] += r.population
        unc_pop[(r.service_id, t)] += r.population * max(0.0, 1.0 - sh)
        if sh > 1 + 1e-4:
            v.append(
                Violation(
                    "cover",
                    r.zone_id,
                    r.year,
                    f"assignment: zone {r.zone_id} {r.service_id} is assigned {sh:.4f} > 1 of its demand in {r.year}",
                )
            )
        mode, _ = problem.coverage_rule(r.service_id)
        if mode == "hard" and sh < 1 - 1e-4 and not c.baseline and r.year >= c.ready:
            v.append(
                Violation(
                    "cover",
                    r.zone_id,
                    r.year,
                    f"coverage: zone {r.zone_id} has {100 * (1 - sh):.1f}% of "
                    f"its {r.service_id} demand without a site within the standard in {r.year}",
                )
            )
        if r.service_id in near_svcs and sh > 1e-6:
            pz = pairs_by_zone.get(r.zone_id)
            cov = float(svc.at[r.service_id, "coverage_m"])
            best = None
            for s, on in prov[r.service_id]:
                if on[t] and pz is not None and s in pz.index and pz[s] <= (cov if math.isfinite(cov) else math.inf):
                    key = (round(float(pz[s]), 1), s)
                    best = key if best is None or key < best else best
            used = served.served_by[(r.zone_id, r.service_id)][t]
            if best is not None and used != {best[1]}:
                v.append(
                    Violation(
                        "nearest",
                        r.zone_id,
                        r.year,
                        f"nearest: zone {r.zone_id} goes to {sorted(used)} "
                        f"for {r.service_id} in {r.year}, past the nearer open {best[1]} "
                        f"({best[0]:,.0f} m)",
                    )
                )
    for k, m in c.pol.min_share.items():
        for t in range(len(years)):
            tot = tot_pop.get((k, t), 0.0)
            if tot > 0 and 1 - unc_pop[(k, t)] / tot < m - 1e-5 and not c.baseline:
                v.append(
                    Violation(
                        "min_share",
                        k,
                        years[t],
                        f"coverage: {k} covers "
                        f"{100 * (1 - unc_pop[(k, t)] / tot):.2f}% of its target population in "
                        f"{years[t]}, below the policy minimum {100 * m:.2f}%",
                    )
                )
                break
    return v


def check_service_floors(c: Context) -> list[Violation]:
    """Each service's places against its floor every year (``min_capacity``) and a district service kept
    at its own school while the school is open (``anchor``)."""
    v: list[Violation] = []
    pol, svc, years, cap_y = c.pol, c.svc, c.years, c.cap_y
    for k in svc.index:
        fl = pol.min_capacity_by_year(k)
        total = sum(np.nan_to_num(arr) for (k2, _), arr in cap_y.items() if k2 == k) if fl.any() else 0.0
        if fl.any():
            # capacities are written to 0.001 places per site: their sum may fall a few thousandths short
            n_sites = sum(1 for (k2, _) in cap_y if k2 == k)
            bad = np.flatnonzero(total < fl - 1e-3 * max(n_sites, 1) - 1e-6 * fl)
            if len(bad) and not c.baseline:
                t = bad[0]
                v.append(
                    Violation(
                        "min_capacity",
                        k,
                        years[t],
                        f"service floor: {k} has {total[t]:,.0f} places in {years[t]}, below the floor {fl[t]:,.0f}",
                    )
                )
        if svc.at[k, "rule"] == "district" and svc.at[k, "anchor_keeps"] and not c.baseline:
            _, sd = c.problem.district_tables(k)
            for k2, s in c.cur.index:
                if k2 == k and sd.get(s) == s:
                    arr = cap_y.get((k, s))
                    gone = c.is_open[s] & ~np.isfinite(arr)
                    if gone.any():
                        y = years[np.flatnonzero(gone)[0]]
                        v.append(
                            Violation(
                                "anchor",
                                f"{k}@{s}",
                                y,
                                f"district: {k} leaves its own school {s} in {y} while the school stays open",
                            )
                        )
    return v


def check_lead_years(c: Context) -> list[Violation]:
    """Residents left uncovered per hard service in each lead year (after the first change, before new
    floor can be ready) against the keep-everything baseline's (``plan.baseline_uncovered``):
    ``lead_coverage``.  Reads ``c.unc_pop`` (set by :func:`check_coverage`)."""
    problem, t_of, ch, ready, unc_pop = c.problem, c.t_of, c.ch, c.ready, c.unc_pop
    pop = problem.demand.set_index(["zone_id", "service_id", "year"])["population"]
    base: dict[tuple[str, int], float] = defaultdict(float)
    for u in c.plan.baseline_uncovered:
        for y in range(max(u.from_year, ch), min(u.to_year, ready - 1) + 1):
            base[(u.service_id, t_of[y])] += u.share * float(pop.get((u.zone_id, u.service_id, y), 0.0))
    out = []
    for y in range(ch, ready):
        t = t_of[y]
        for k in sorted({k for k, _ in unc_pop}):
            if problem.coverage_rule(k)[0] != "hard":
                continue
            if unc_pop.get((k, t), 0.0) > base[(k, t)] + 0.5 + 1e-6 * base[(k, t)]:
                out.append(
                    Violation(
                        "lead_coverage",
                        k,
                        y,
                        f"lead years: {unc_pop[(k, t)]:,.1f} residents have no "
                        f"{k} within the standard in {y}, more than the {base[(k, t)]:,.1f} if "
                        f"everything were kept (no new floor before {ready})",
                    )
                )
    return out
