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

import pandas as pd

from ..solver import SolverOptions
from .formulation.solution import Solution
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
    # one reason per (zone, service), with its largest population of any year (demand is per year)
    dem = problem.demand.groupby(["zone_id", "service_id"], sort=True, as_index=False)["population"].max()
    for r in dem.itertuples():
        if (r.zone_id, r.service_id) in have or problem.coverage_rule(r.service_id)[0] != "hard":
            continue
        cand = near[(near["zone_id"] == r.zone_id) & (near["service_id"] == r.service_id)]
        if cand.empty:
            nearest = "no eligible site is within reach of the distance table at all"
        else:
            b = cand.sort_values(["distance_m", "site_id"], kind="mergesort").iloc[0]
            nearest = f"the nearest eligible site is {_site_label(problem, b['site_id'])} at {b['distance_m']:,.0f} m"
        out.append(
            f"{_zone_label(problem, r.zone_id)}: {r.service_id} cannot be covered {_standard(problem, r.service_id)} "
            f"({r.population:,.0f} residents): {nearest}; blocking constraint: the coverage standard itself "
            "(add a candidate site, widen the standard or use min_share for this service)"
        )
    return out


def diagnose(problem: PortfolioProblem, options: SolverOptions | None = None) -> list[str]:
    """Reasons why ``problem`` has no feasible plan (empty if the relaxed model needs no slack).

    Each reason names the relaxed constraint (policy field or constraint group), its site or
    service, by how much it must give, and the zones whose coverage depends on it.
    """
    reasons = unreachable(problem)
    if reasons:
        return reasons
    model = build_model(problem, elastic=True)
    sol = model.solve(options or SolverOptions())
    if not sol.info.has_solution:
        return [f"the relaxed model could not be solved either ({sol.info.status}); check the input data"]
    reasons += _slack_reasons(problem, sol)
    reasons += _uncovered_reasons(problem, sol)
    if not reasons:
        log.info("diagnose: the relaxed model needed no slack; the problem may be numerically difficult")
    return reasons


def _slack_reasons(problem: PortfolioProblem, sol: Solution) -> list[str]:
    """One reason per slack the relaxed plan uses (coverage slacks: :func:`_uncovered_reasons`)."""
    reasons: list[str] = []
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
    per = pol.periods()

    def when(lab: str) -> tuple[str, str]:
        """'x@p3' -> ('x', 'from 2027')."""
        if "@p" in lab:
            head, q = lab.rsplit("@p", 1)
            return head, f"in {int(per['start'].iat[int(q)])}-{int(per['end'].iat[int(q)])}"
        return lab, ""

    for group, rows in sorted(sol.slacks.items()):
        for lab, amt in rows:
            if group == "locks":
                what, target = lab.split(":", 1)
                if "@" in target:
                    k, s = target.split("@", 1)
                    reasons.append(
                        f"policy.{what}: {k} at {_site_label(problem, s)} must change "
                        f"(the policy keeps it where it is){zones_at(s)}"
                    )
                else:
                    verb = "open" if what == "lock_closed" else "close"
                    reasons.append(f"policy.{what}: {_site_label(problem, target)} must {verb}{zones_at(target)}")
            elif group == "capacity":
                head, yrs = when(lab)
                k, s = head.split("@", 1)
                mx = float(svc.loc[k, "max_capacity_per_site"])
                why = []
                if math.isfinite(mx):
                    why.append(f"per-site maximum {mx:,.0f}")
                if not pol.allow_expansion:
                    why.append("policy.allow_expansion is false")
                if s in pol.frozen_sites or k in pol.frozen_services:
                    why.append("frozen")
                reasons.append(
                    f"capacity: {k} at {_site_label(problem, s)} is short by {amt:,.1f} units {yrs}"
                    + (f" ({'; '.join(why)})" if why else "")
                    + zones_at(s, k)
                )
            elif group == "floor":
                head, yrs = when(lab)
                lim = float(problem.site_floor_limit()[head])
                reasons.append(
                    f"floor area: {_site_label(problem, head)} needs {amt:,.0f} m² more {yrs} than it has "
                    f"or its site allows (limit {lim:,.0f} m² = site area × floor-area ratio){zones_at(head)}"
                )
            elif group == "money":
                reasons.append(
                    f"budget: {lab} needs {amt * 1e6:,.0f} yen more than the annual budget (renewal "
                    "events that may not wait past their hard limit, and floor for the moves)"
                )
            elif group.startswith("min_capacity:"):
                reasons.append(f"service floor: {lab} lacks {amt:,.0f} places that no site can add")
            elif group == "min_share":
                head, yrs = when(lab)
                reasons.append(f"policy.min_share[{head}]: the covered share must drop by {100 * amt:.2f} points {yrs}")
            elif group == "max_closures":
                reasons.append(f"policy.max_closures: {amt:.0f} more closure(s) are needed")
            elif group.startswith("floor_reduction"):
                reasons.append(
                    f"policy.{group.replace('floor_reduction', 'floor_reduction')}: total floor area must "
                    f"move by {amt:,.0f} m²"
                )
            elif group == "capital":
                reasons.append(f"policy.capital_budget_yen: {amt * 1e6:,.0f} yen more capital is needed")
            elif group == "incompatible":
                reasons.append(f"policy.incompatible / co_locatable: {lab} must share a site")
            elif group in ("nearest", "anchor"):
                reasons.append(f"assignment rule ({group}): relaxed by {amt:g} at {lab}")
            elif group == "cover":
                continue  # reported below from the uncovered shares
            else:  # pragma: no cover - every group is named above
                reasons.append(f"{group}: {lab} relaxed by {amt:g}")
    return reasons


def _uncovered_reasons(problem: PortfolioProblem, sol: Solution) -> list[str]:
    """One reason per (zone, hard service) the relaxed plan leaves (partly) uncovered, with its nearest sites."""
    reasons: list[str] = []
    cover = {lab for lab, _ in sol.slacks.get("cover", [])}
    u = sol.uncovered
    near = problem.pairs.merge(problem.eligible()[["service_id", "site_id"]], on="site_id")
    seen = set()
    for lab in sorted(cover):
        z, rest = lab.split("/", 1)
        k, q = rest.rsplit("@p", 1)
        if (z, k) in seen:
            continue
        seen.add((z, k))
        u = pd.concat([u, pd.DataFrame({"zone_id": [z], "service_id": [k], "p": [int(q)], "share": [1.0]})])
    for r in u.drop_duplicates(["zone_id", "service_id"]).itertuples():
        if problem.coverage_rule(r.service_id)[0] != "hard":
            continue
        cand = near[(near["zone_id"] == r.zone_id) & (near["service_id"] == r.service_id)]
        cand = cand.sort_values(["distance_m", "site_id"], kind="mergesort").head(3)
        opts = ", ".join(f"{s} at {d:,.0f} m" for s, d in zip(cand["site_id"], cand["distance_m"])) or "none"
        reasons.append(
            f"{_zone_label(problem, r.zone_id)}: part of its {r.service_id} demand cannot "
            f"be covered {_standard(problem, r.service_id)} even with every policy relaxed "
            f"(nearest eligible sites: {opts}); blocking: capacity and site limits of those sites"
        )
    return reasons
