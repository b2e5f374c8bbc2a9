"""Why a portfolio problem has no feasible plan: which zones and services, and which constraint.

Two steps.  :func:`unreachable` finds, before any solve, the (zone, service) pairs of hard-coverage
services with no eligible site within the standard at all: no plan can cover them.  When the model
is infeasible for another reason, :func:`diagnose` re-solves it with a penalised slack on every
constraint group (coverage of each zone and service, capacity, floor area, the closures limit,
floor-area reduction bounds, the capital budget, incompatible services, locks) and minimises the
sum of the slacks, normalised so that each group counts about 1 per unit of relaxation and
coverage counts 1,000: the solver relaxes policy constraints before it gives up on a zone.  Every
slack it uses becomes one reason, with the zones it affects.
"""

from __future__ import annotations

import logging
import math


from ..solver import SolverOptions
from .model import build_model
from .problem import PortfolioProblem

__all__ = ["unreachable", "diagnose"]

log = logging.getLogger(__name__)


def _zone_label(problem: PortfolioProblem, z: str) -> str:
    name = problem.zones.set_index("zone_id")["name"].get(z, "")
    return f"zone {z}" + (f" ({name})" if name else "")


def _site_label(problem: PortfolioProblem, s: str) -> str:
    name = problem.sites.set_index("site_id")["name"].get(s, "")
    return f"site {s}" + (f" ({name})" if name and name != s else "")


def _standard(problem: PortfolioProblem, k: str) -> str:
    c = float(problem.services.set_index("service_id").loc[k, "coverage_m"])
    if math.isfinite(c):
        return f"within {c:,.0f} m"
    return "within reach" if problem.policy.max_reach_m is None else f"within {problem.policy.max_reach_m:,.0f} m"


def unreachable(problem: PortfolioProblem) -> list[str]:
    """Reasons for every hard-coverage (zone, service) with no eligible site within its standard.

    Examples
    --------
    >>> # unreachable(problem) == [] for a problem where each zone has some eligible site in reach
    """
    reach = problem.reach()
    have = set(map(tuple, reach[["zone_id", "service_id"]].to_numpy()))
    el = problem.eligible()[["service_id", "site_id"]]
    near = problem.pairs.merge(el, on="site_id")
    out = []
    for r in problem.demand.itertuples():
        if (r.zone_id, r.service_id) in have or problem.coverage_rule(r.service_id)[0] != "hard":
            continue
        cand = near[(near["zone_id"] == r.zone_id) & (near["service_id"] == r.service_id)]
        if cand.empty:
            nearest = "no eligible site is within reach of the distance table at all"
        else:
            b = cand.sort_values(["distance_m", "site_id"], kind="mergesort").iloc[0]
            nearest = f"the nearest eligible site is {_site_label(problem, b['site_id'])} at {b['distance_m']:,.0f} m"
        out.append(f"{_zone_label(problem, r.zone_id)}: {r.service_id} cannot be covered {_standard(problem, r.service_id)} "
                   f"({r.population:,.0f} residents): {nearest}; blocking constraint: the coverage standard itself "
                   "(add a candidate site, widen the standard or use min_share for this service)")
    return out


def diagnose(problem: PortfolioProblem, options: SolverOptions | None = None) -> list[str]:
    """Reasons why ``problem`` has no feasible plan (empty if the relaxed model needs no slack).

    Each reason names the relaxed constraint (policy field or constraint group), its site or
    service, by how much it must give, and the zones whose coverage depends on it.
    """
    reasons = unreachable(problem)
    if reasons:
        return reasons
    model = build_model(problem, relax=True)
    sol = model.solve(options or SolverOptions())
    if not sol.info.has_solution:
        return [f"the relaxed model could not be solved either ({sol.info.status}); check the input data"]
    a = sol.assignments

    def zones_at(site: str, service: str | None = None) -> str:
        sel = a[(a["site_id"] == site) & ((a["service_id"] == service) if service else True)]
        zs = sorted(set(sel["zone_id"]))
        if not zs:
            return ""
        shown = ", ".join(zs[:8]) + (f" and {len(zs) - 8} more" if len(zs) > 8 else "")
        return f"; it serves zone(s) {shown} in the relaxed plan"

    svc = problem.services.set_index("service_id")
    pol = problem.policy
    for group, df in sorted(sol.slacks.items()):
        for r in df.itertuples():
            lab, amt = str(r.label), float(r.amount)
            if group == "locks":
                what, target = lab.split(":", 1)
                if "@" in target:
                    k, s = target.split("@", 1)
                    reasons.append(f"policy.{what}: {k} at {_site_label(problem, s)} must change "
                                   f"(the policy keeps it where it is){zones_at(s)}")
                else:
                    verb = "open" if what == "lock_closed" else "close"
                    reasons.append(f"policy.{what}: {_site_label(problem, target)} must {verb}"
                                   f"{zones_at(target)}")
            elif group == "capacity":
                k, s = lab.split("@", 1)
                mx = float(svc.loc[k, "max_capacity_per_site"])
                why = []
                if math.isfinite(mx):
                    why.append(f"per-site maximum {mx:,.0f}")
                if not pol.allow_expansion:
                    why.append("policy.allow_expansion is false")
                if s in pol.frozen_sites or k in pol.frozen_services:
                    why.append("frozen")
                reasons.append(f"capacity: {k} at {_site_label(problem, s)} is short by {amt:,.1f} units"
                               + (f" ({'; '.join(why)})" if why else "") + zones_at(s, k))
            elif group == "floor":
                lim = float(problem.site_floor_limit()[lab])
                reasons.append(f"floor area: {_site_label(problem, lab)} needs {amt:,.0f} m² more than its site "
                               f"allows (limit {lim:,.0f} m² = site area × floor-area ratio){zones_at(lab)}")
            elif group == "min_share":
                reasons.append(f"policy.min_share[{lab}]: the covered share must drop by {100 * amt:.2f} points")
            elif group == "max_closures":
                reasons.append(f"policy.max_closures: {amt:.0f} more closure(s) are needed")
            elif group in ("min_floor_reduction", "max_floor_reduction"):
                reasons.append(f"policy.{group}: total floor area must move by {amt:,.0f} m²")
            elif group == "capital_budget":
                reasons.append(f"policy.capital_budget_yen: {amt * 1e6:,.0f} yen more capital is needed")
            elif group == "incompatible":
                reasons.append(f"policy.incompatible / co_locatable: {lab} must share a site")
            else:  # pragma: no cover - every group is named above
                reasons.append(f"{group}: {lab} relaxed by {amt:g}")
    u = sol.uncovered
    near = problem.pairs.merge(problem.eligible()[["service_id", "site_id"]], on="site_id")
    for r in u.itertuples():
        if problem.coverage_rule(r.service_id)[0] != "hard":
            continue
        cand = near[(near["zone_id"] == r.zone_id) & (near["service_id"] == r.service_id)]
        cand = cand.sort_values(["distance_m", "site_id"], kind="mergesort").head(3)
        opts = ", ".join(f"{s} at {d:,.0f} m" for s, d in zip(cand["site_id"], cand["distance_m"])) or "none"
        reasons.append(f"{_zone_label(problem, r.zone_id)}: {100 * r.share:.0f}% of its {r.service_id} demand cannot "
                       f"be covered {_standard(problem, r.service_id)} even with every policy relaxed "
                       f"(nearest eligible sites: {opts}); blocking: capacity and site limits of those sites")
    if not reasons:
        log.info("diagnose: the relaxed model needed no slack; the problem may be numerically difficult")
    return reasons

