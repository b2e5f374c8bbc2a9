"""The policy's locks and limits, sharing rules, operator changes, and the decisions against the sites."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from .context import Context
from .violation import Violation

__all__ = ["check_policy", "check_operators", "check_decisions"]


def check_policy(c: Context) -> list[Violation]:
    """Locks, then the limits on closures, floor and capital, then sharing rules, in this order."""
    return _locks(c) + _limits(c) + _sharing(c)


def _locks(c: Context) -> list[Violation]:
    """Sites locked open or closed, services frozen or kept where they are (``locks``)."""
    v: list[Violation] = []
    plan, pol, years, is_open, cap_y, cur = c.plan, c.pol, c.years, c.is_open, c.cap_y, c.cur
    merged_from = {m.close: m.year for m in plan.mergers}
    for s in pol.lock_open:
        if not is_open[s][years < merged_from.get(s, pol.end_year)].all():
            v.append(Violation("locks", s, None, f"lock: {s} is locked open but the plan closes it"))
    for s in pol.lock_closed:
        if is_open[s][years >= c.ch].any():
            v.append(Violation("locks", s, None, f"lock: {s} is locked closed but the plan keeps it"))
    for k, s in cur.index:
        arr = cap_y[(k, s)]
        kept_until = years < merged_from.get(s, pol.end_year) if k in pol.keep_services else np.ones(len(years), bool)
        if (s in pol.frozen_sites or k in pol.frozen_services or k in pol.keep_services) and not np.isfinite(
            arr[kept_until]
        ).all():
            v.append(
                Violation(
                    "locks",
                    f"{k}@{s}",
                    None,
                    f"lock: {k} must stay at {s} (frozen or keep_services) but the plan removes it",
                )
            )
    for (k, s), arr in cap_y.items():
        if (s in pol.frozen_sites or k in pol.frozen_services) and (k, s) not in cur.index and np.isfinite(arr).any():
            v.append(
                Violation(
                    "locks",
                    f"{k}@{s}",
                    None,
                    f"lock: {k}@{s} is new, but {'site ' + s if s in pol.frozen_sites else 'service ' + k} is frozen",
                )
            )
    return v


def _limits(c: Context) -> list[Violation]:
    """Closures, floor reduction and capital spend within the policy's limits (``max_closures``,
    ``floor_reduction_min``, ``floor_reduction_max``, ``capital``)."""
    v: list[Violation] = []
    plan, pol, sites, costs = c.plan, c.pol, c.sites, c.costs
    existing_ids = sites.index[sites["kind"] == "existing"]
    closures = sum(1 for s in existing_ids if not c.is_open[s][-1])
    if pol.max_closures is not None and closures > pol.max_closures:
        v.append(
            Violation(
                "max_closures",
                "plan",
                None,
                f"closures: the plan closes {closures} sites, policy maximum {pol.max_closures}",
            )
        )
    base_floor = float(sites.loc[existing_ids, "floor_area_m2"].sum())
    floor_end = sum(r.floor_after_m2 for r in plan.sites)
    if base_floor > 0:
        red = 1 - floor_end / base_floor
        if pol.min_floor_reduction is not None and red < pol.min_floor_reduction - 1e-6:
            v.append(
                Violation(
                    "floor_reduction_min",
                    "plan",
                    None,
                    f"floor reduction: {100 * red:.2f}% is below the "
                    f"policy minimum {100 * pol.min_floor_reduction:.2f}%",
                )
            )
        if pol.max_floor_reduction is not None and red > pol.max_floor_reduction + 1e-6:
            v.append(
                Violation(
                    "floor_reduction_max",
                    "plan",
                    None,
                    f"floor reduction: {100 * red:.2f}% is above the "
                    f"policy maximum {100 * pol.max_floor_reduction:.2f}%",
                )
            )
    capital = float(costs["new_build_yen"].sum() + costs["land_yen"].sum()) if costs is not None else 0.0
    if pol.capital_budget_yen is not None and capital > pol.capital_budget_yen * (1 + 1e-6) + 1.0:
        v.append(
            Violation(
                "capital",
                "plan",
                None,
                f"capital: capital spend ¥{capital:,.0f} exceeds the budget ¥{pol.capital_budget_yen:,.0f}",
            )
        )
    return v


def _sharing(c: Context) -> list[Violation]:
    """Incompatible services never share a site, services that may not be co-located are alone
    (``incompatible``), every year."""
    v: list[Violation] = []
    pol, svc = c.pol, c.svc
    solo = set(svc.index[~svc["co_locatable"]])
    for t, y in enumerate(c.years):
        by_site: dict[str, set[str]] = defaultdict(set)
        for (k, s), arr in c.cap_y.items():
            if np.isfinite(arr[t]):
                by_site[s].add(k)
        for s, ks in sorted(by_site.items()):
            for a_, b_ in pol.incompatible:
                if a_ in ks and b_ in ks:
                    v.append(Violation("incompatible", s, y, f"incompatible: {a_} and {b_} share {s} in {y}"))
            for k in sorted(ks & solo):
                if len(ks) > 1:
                    v.append(
                        Violation(
                            "incompatible",
                            s,
                            y,
                            f"co-location: {k} may not share a site but {s} also hosts {sorted(ks - {k})} in {y}",
                        )
                    )
    return v


def check_operators(c: Context) -> list[Violation]:
    """Operator changes only as ``policy.operator_change`` allows: configured, eligible placements, at a
    period start from the earliest year, never back, within the limits per period and in total
    (``operator_order``, ``operator_in_place``, ``operator_per_period``, ``operator_total``)."""
    v: list[Violation] = []
    pol = c.pol
    oc = pol.operator_change
    rows: dict[tuple[str, str], list] = defaultdict(list)
    for r in c.plan.timeline:
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
            v.append(
                Violation(
                    "operator_order",
                    f"{key[0]}@{key[1]}",
                    y,
                    f"operator: {key[0]}@{key[1]} returns to the ward after its operator change in {y}",
                )
            )
    if not switches:
        return v
    if oc is None:
        return v + [
            Violation(
                "operator_in_place",
                f"{k}@{s}",
                y,
                f"operator: {k}@{s} changes operator in {y}, but the model file configures no operator change",
            )
            for (k, s), y in sorted(switches.items())
        ]
    eligible = set(zip(*[c.problem.operator_candidates()[col] for col in ("service_id", "site_id")]))
    first = max(oc.earliest_year or pol.change_year, pol.change_year)
    for (k, s), y in sorted(switches.items()):
        if (k, s) not in eligible:
            v.append(
                Violation(
                    "operator_in_place",
                    f"{k}@{s}",
                    y,
                    f"operator: {k}@{s} may not change operator (not a "
                    "current placement of a listed service at an eligible site)",
                )
            )
        if y < first or y not in c.starts:
            v.append(
                Violation(
                    "operator_order",
                    f"{k}@{s}",
                    y,
                    f"operator: {k}@{s} changes operator in {y}; changes are made at period starts from {first}",
                )
            )
    per_year: dict[int, int] = defaultdict(int)
    for y in switches.values():
        per_year[y] += 1
    if oc.max_per_period is not None:
        for y, n in sorted(per_year.items()):
            if n > oc.max_per_period:
                v.append(
                    Violation(
                        "operator_per_period",
                        "plan",
                        y,
                        f"operator: {n} operator changes in {y}, at most {oc.max_per_period} per period",
                    )
                )
    if oc.max_total is not None and len(switches) > oc.max_total:
        v.append(
            Violation(
                "operator_total",
                "plan",
                None,
                f"operator: {len(switches)} operator changes, at most {oc.max_total} in total",
            )
        )
    return v


def check_decisions(c: Context) -> list[Violation]:
    """A facility's decision agrees with its site's state at the end of the horizon (``tables``)."""
    v: list[Violation] = []
    end = {s: bool(c.is_open[s][-1]) for s in c.rows}
    for d in c.plan.decisions:
        if d.facility_id == d.site_id and d.decision == "close" and end.get(d.site_id, False):
            v.append(
                Violation(
                    "tables", d.facility_id, None, f"decision: {d.facility_id} is marked closed but its site stays open"
                )
            )
        if d.facility_id == d.site_id and d.decision != "close" and not end.get(d.site_id, True):
            v.append(
                Violation(
                    "tables",
                    d.facility_id,
                    None,
                    f"decision: {d.facility_id} is marked {d.decision} but its site closes",
                )
            )
    return v
