"""The parts of a problem and their shares of the ward-wide limits (see the package docstring)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from ..formulation.solution import Solution
from ..problem import PortfolioProblem
from ..reform import candidate_mergers

__all__ = ["Part", "parts", "not_shareable", "budget_shares", "part_problems", "SHARE_MARGIN"]

log = logging.getLogger(__name__)

#: slack kept on shared limits so that float rounding of the shares never exceeds the whole
SHARE_MARGIN = 1e-9


@dataclass(frozen=True)
class Part:
    """One independent part of a problem: its zones and sites (sorted ids)."""

    zones: tuple[str, ...]
    sites: tuple[str, ...]


def parts(problem: PortfolioProblem) -> list[Part]:
    """The independent parts of ``problem``: connected components of zones and sites linked by a
    zone–site pair the model may assign (:meth:`~PortfolioProblem.reach`), a school district or a merger
    candidate, in the order of their first site id.

    Sites no zone can reach (a part without zones) join the first part, so every part has demand.
    """
    g = nx.Graph()
    g.add_nodes_from(("z", z) for z in problem.zones["zone_id"])
    g.add_nodes_from(("s", s) for s in problem.sites["site_id"])
    r = problem.reach()
    g.add_edges_from((("z", z), ("s", s)) for z, s in zip(r["zone_id"], r["site_id"]))
    if problem.zone_districts is not None:
        zd = problem.zone_districts
        g.add_edges_from((("z", z), ("d", d)) for z, d in zip(zd["zone_id"], zd["district"]))
    if problem.site_districts is not None:
        sd = problem.site_districts
        g.add_edges_from((("s", s), ("d", d)) for s, d in zip(sd["site_id"], sd["district"]))
    if problem.policy.mergers:
        m = candidate_mergers(problem)
        g.add_edges_from((("s", a), ("s", b)) for a, b in zip(m["close"], m["into"]))
    found = []
    for comp in nx.connected_components(g):
        zones = tuple(sorted(n for t, n in comp if t == "z"))
        sites = tuple(sorted(n for t, n in comp if t == "s"))
        if zones or sites:
            found.append(Part(zones, sites))
    with_zones = sorted((p for p in found if p.zones), key=lambda p: p.sites[:1] + p.zones[:1])
    lone = sorted(s for p in found if not p.zones for s in p.sites)
    if lone and with_zones:
        first = with_zones[0]
        with_zones[0] = Part(first.zones, tuple(sorted(first.sites + tuple(lone))))
    return with_zones


def not_shareable(problem: PortfolioProblem) -> list[str]:
    """The policy limits that couple the parts in a way :func:`part_problems` cannot share out."""
    pol = problem.policy
    out = []
    if pol.min_level_budget:
        out.append("min_level_budget (one level budget for the whole ward)")
    if pol.renewal.fund is not None:
        out.append("renewal.fund (one fund balance for the whole ward)")
    if pol.renewal.bonds is not None or pol.renewal.preventive is not None:
        out.append("renewal.bonds / renewal.preventive (charged to the budget ward-wide)")
    if any(n.max_sites is not None for n in pol.reuse_needs):
        out.append("reuse_needs.max_sites")
    oc = pol.operator_change
    if oc is not None and (oc.max_per_period is not None or oc.max_total is not None):
        out.append("operator_change.max_per_period / max_total")
    return out


def _weights(problem: PortfolioProblem, found: list[Part]) -> np.ndarray:
    """Each part's share of the budgets: its renewal need (event costs), else its existing floor."""
    site_part = {s: i for i, p in enumerate(found) for s in p.sites}
    ev = problem.events
    need = np.zeros(len(found))
    if ev is not None and len(ev) and float(ev["cost_yen"].sum()) > 0:
        np.add.at(need, ev["site_id"].map(site_part).to_numpy(dtype=int), ev["cost_yen"].to_numpy(dtype=float))
    else:
        ex = problem.sites[problem.sites["kind"] == "existing"]
        np.add.at(need, ex["site_id"].map(site_part).to_numpy(dtype=int), ex["floor_area_m2"].to_numpy(dtype=float))
    total = need.sum()
    return need / total if total > 0 else np.full(len(found), 1.0 / len(found))


def _scaled(v: Any, w: float) -> Any:
    """A limit (a number, a dict by year, or None) times ``w``."""
    if v is None:
        return None
    return {k: float(x) * w for k, x in v.items()} if isinstance(v, dict) else float(v) * w


def budget_shares(problem: PortfolioProblem, found: list[Part], baseline: Solution | None) -> np.ndarray:
    """(parts × years) each part's share of the annual cap (inf where the year has no cap): the part's
    charge in the keep-everything ``baseline``, plus the rest of the cap by renewal need; in proportion
    to the baseline's charges where the baseline itself is over the cap (or by need without a baseline)."""
    pol = problem.policy
    years = pol.years()
    caps = pol.budget.caps(years) if pol.budget is not None else np.full(len(years), np.inf)
    w = _weights(problem, found)
    charge = np.zeros((len(found), len(years)))
    if baseline is not None:
        from ..assemble import state_of
        from ..economics import site_year_costs

        c = site_year_costs(problem, state_of(problem, baseline))
        c = c.assign(charge=c[["renewal_yen", "new_build_yen", "land_yen"]].sum(axis=1))
        site_part = {s: i for i, p in enumerate(found) for s in p.sites}
        np.add.at(
            charge,
            (c["site_id"].map(site_part).to_numpy(dtype=int), c["year"].to_numpy(dtype=int) - pol.start_year),
            c["charge"].to_numpy(dtype=float),
        )
    total = charge.sum(axis=0)
    rest = caps - total
    with np.errstate(invalid="ignore", divide="ignore"):
        fits = charge + np.outer(w, np.where(np.isfinite(rest), rest, 0.0))
        over = caps * charge / np.where(total > 0, total, 1.0)
    out = np.where(rest >= 0, fits, over)
    return np.where(np.isfinite(caps), out * (1 - SHARE_MARGIN), np.inf)


def part_problems(
    problem: PortfolioProblem, found: list[Part], baseline: Solution | None = None
) -> list[PortfolioProblem]:
    """One problem per part: its own zones, sites and tables, with its share of the ward-wide limits
    (the annual budget shared with the help of the keep-everything ``baseline`` when given)."""
    pol = problem.policy
    w = _weights(problem, found)
    shares = budget_shares(problem, found, baseline)
    years = pol.years()
    cur = problem.placements.groupby(["service_id", "site_id"])["capacity"].sum()
    existing = set(problem.sites.loc[problem.sites["kind"] == "existing", "site_id"])
    out = []
    for i, part in enumerate(found):
        Z, S = set(part.zones), set(part.sites)
        floors = {}
        for k, v in pol.min_capacity.items():
            c = cur.get(k, pd.Series(dtype=float))
            tot = float(c.sum())
            share = float(c[c.index.isin(S)].sum()) / tot if tot > 0 else 1.0 / len(found)
            floors[k] = _scaled(v, share * (1 + SHARE_MARGIN))
        budget = None
        if pol.budget is not None:
            capped = np.isfinite(shares[i])
            budget = pol.budget.model_copy(
                update={
                    "cap_yen": {int(y): float(x) for y, x in zip(years[capped], shares[i][capped])},
                    "share": None,
                    "projected_budget_yen": None,
                }
            )
        closures = None
        if pol.max_closures is not None:
            closures = int(np.floor(pol.max_closures * len(S & existing) / max(len(existing), 1)))
        oc = pol.operator_change
        policy = pol.model_copy(
            update={
                "lock_open": [s for s in pol.lock_open if s in S],
                "lock_closed": [s for s in pol.lock_closed if s in S],
                "frozen_sites": [s for s in pol.frozen_sites if s in S],
                "candidate_services": {s: v for s, v in pol.candidate_services.items() if s in S},
                "hubs": {s: v for s, v in pol.hubs.items() if s in S},
                "mergers": [
                    r.model_copy(update={"pairs": [q for q in r.pairs if q.close in S and q.into in S]})
                    for r in pol.mergers
                ],
                "operator_change": None
                if oc is None
                else oc.model_copy(update={"exclude_sites": [s for s in oc.exclude_sites if s in S]}),
                "min_capacity": floors,
                "budget": budget,
                "capital_budget_yen": _scaled(pol.capital_budget_yen, w[i] * (1 - SHARE_MARGIN)),
                "max_closures": closures,
            }
        )

        def by(df: pd.DataFrame | None, col: str, ids: set[str]) -> pd.DataFrame | None:
            return None if df is None else df[df[col].isin(ids)]

        out.append(
            PortfolioProblem.from_frames(
                sites=by(problem.sites, "site_id", S),
                services=problem.services,
                demand=by(problem.demand, "zone_id", Z),
                placements=by(problem.placements, "site_id", S),
                pairs=by(by(problem.pairs, "zone_id", Z), "site_id", S),
                zones=by(problem.zones, "zone_id", Z),
                policy=policy,
                name=f"{problem.name} part {i + 1}/{len(found)}",
                events=by(problem.events, "site_id", S),
                zone_districts=by(problem.zone_districts, "zone_id", Z),
                site_districts=by(problem.site_districts, "site_id", S),
            )
        )
        capped = np.isfinite(shares[i])
        log.info(
            "%s: %d zones, %d sites, %.2f%% of the renewal need, %.2f%% of the annual budget",
            out[-1].name,
            len(Z),
            len(S),
            100 * w[i],
            100 * shares[i][capped].sum() / max(float(pol.budget.caps(years)[capped].sum()), 1.0)
            if pol.budget is not None
            else 0.0,
        )
    return out
