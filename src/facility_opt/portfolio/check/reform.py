"""The reform plan's moves: school mergers, conversions of existing floor, hubs (:mod:`..reform`)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from ..plan import Plan
from ..problem import PortfolioProblem
from ..reform import candidate_mergers, conversion_placements, district_pupils
from .context import Context
from .violation import Violation

__all__ = ["check_reform", "merged_districts"]


def merged_districts(plan: Plan, problem: PortfolioProblem):
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


def check_reform(c: Context) -> list[Violation]:
    """School mergers, conversions and hubs, in this order."""
    return _mergers(c) + _conversions(c) + _hubs(c)


def _mergers(c: Context) -> list[Violation]:
    """Candidates of the policy, in the class window when they start, one per school, the closed school's
    site freed, required ones made (``merge_window``, ``merge_one``, ``merge_close``, ``merge_lock``)."""
    v: list[Violation] = []
    plan, problem, pol, per, years = c.plan, c.problem, c.pol, c.per, c.years
    if plan.mergers and c.baseline:
        v.append(Violation("merge_one", "baseline", None, "merger: the baseline merges no school"))
    cand = candidate_mergers(problem)
    allowed = {(r.service_id, r.close, r.into): r for r in cand.itertuples(index=False)}
    seen: dict[str, int] = defaultdict(int)
    for m in plan.mergers:
        r = allowed.get((m.service_id, m.close, m.into))
        if r is None:
            v.append(
                Violation(
                    "merge_window",
                    m.close,
                    m.year,
                    f"merger: {m.close} -> {m.into} ({m.service_id}) is not a candidate merger of the policy",
                )
            )
            continue
        rule = pol.mergers[int(r.rule)]
        if m.year not in set(per["start"]) or m.year < max(pol.change_year, int(r.from_year)):
            v.append(
                Violation(
                    "merge_order",
                    m.close,
                    m.year,
                    f"merger: {m.close} -> {m.into} in {m.year}: not at a "
                    f"period start from {max(pol.change_year, int(r.from_year))}",
                )
            )
            continue
        q = int(np.searchsorted(per["start"].to_numpy(), m.year))
        dp = district_pupils(problem, m.service_id).set_index(["district", "p"])["demand"]
        a, b = float(dp.get((m.close, q), 0.0)), float(dp.get((m.into, q), 0.0))
        lo, hi = rule.window
        if not lo - 1e-6 <= a + b <= hi + 1e-6 or (rule.only_undersized and min(a, b) >= lo - 1e-9):
            v.append(
                Violation(
                    "merge_window",
                    m.close,
                    m.year,
                    f"merger: {m.close} ({a:,.0f} pupils) + {m.into} "
                    f"({b:,.0f}) = {a + b:,.0f} in {m.year}: outside {rule.min_classes}-{rule.max_classes} "
                    f"classes × {rule.class_size} ({lo}-{hi} pupils)"
                    + (" or neither is undersized" if rule.only_undersized else ""),
                )
            )
        if c.is_open[m.close][years >= m.year].any():
            v.append(
                Violation(
                    "merge_close",
                    m.close,
                    m.year,
                    f"merger: {m.close} merges into {m.into} in {m.year} but its site stays in use",
                )
            )
        for s in (m.close, m.into):
            seen[s] += 1
    for s, n in seen.items():
        if n > 1:
            v.append(Violation("merge_one", s, None, f"merger: {s} takes part in {n} mergers (at most one)"))
    made = {(m.service_id, m.close, m.into) for m in plan.mergers}
    for r in cand.itertuples(index=False):
        if r.required and (r.service_id, r.close, r.into) not in made and not c.baseline:
            v.append(
                Violation("merge_lock", r.close, None, f"merger: the required merger {r.close} -> {r.into} is not made")
            )
    return v


def _conversions(c: Context) -> list[Violation]:
    """The floor services take at a building of a category they do not use today, less the floor added
    there, converted by then (``conversion``)."""
    plan, problem, pol, years = c.plan, c.problem, c.pol, c.years
    if not (pol.conversion_yen_per_m2 > 0 and not c.baseline):
        return []
    v: list[Violation] = []
    el = problem.eligible()
    conv = el.iloc[conversion_placements(problem, el)]
    need = problem.services.set_index("service_id")["floor_m2_per_unit"] * (1 - pol.sharing_saving)
    done: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(len(years)))
    for cv in plan.conversions:
        done[cv.site_id][years >= cv.year] += cv.converted_m2
    built: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(len(years)))  # floor added by extensions
    rebuilt: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(len(years), dtype=bool))  # rebuilt: new throughout
    for f in plan.floor:
        if f.how == "extension":
            built[f.site_id][years >= f.year] += f.added_m2
    for e in plan.events:
        if e.kind == "rebuild" and e.status == "done" and e.end_year is not None:
            rebuilt[e.site_id] |= years > e.end_year
    for s, g in conv.groupby("site_id"):
        want = sum(np.nan_to_num(c.add_y.get((k, s), np.zeros(len(years)))) * float(need[k]) for k in g["service_id"])
        gross = np.where(rebuilt[s], 0.0, np.maximum(want - built[s], 0.0))
        bad = np.flatnonzero(gross > done[s] + 0.3)
        if len(bad):
            t = bad[0]
            v.append(
                Violation(
                    "conversion",
                    s,
                    years[t],
                    f"conversion: {s} gives {gross[t]:,.1f} m² of its existing "
                    f"floor to new uses in {years[t]} but converts {done[s][t]:,.1f} m²",
                )
            )
    return v


def _hubs(c: Context) -> list[Violation]:
    """Enough services of enough places at each hub from its year (``hub``)."""
    if c.baseline:
        return []
    v: list[Violation] = []
    pol, years = c.pol, c.years
    for s, h in pol.hubs.items():
        year = h.year(c.problem.sites.set_index("site_id").at[s, "available_from"], pol.change_year)
        n = sum(np.nan_to_num(arr) >= h.min_places - 1e-3 for (k, s2), arr in c.cap_y.items() if s2 == s)
        bad = np.flatnonzero((years >= year) & (np.asarray(n) < h.min_services))
        if len(bad):
            v.append(
                Violation(
                    "hub",
                    s,
                    years[bad[0]],
                    f"hub: {s} has {int(np.asarray(n)[bad[0]])} services of "
                    f"{h.min_places:g}+ places in {years[bad[0]]}, fewer than the hub's {h.min_services} "
                    f"from {year}",
                )
            )
    return v
