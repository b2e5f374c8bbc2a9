"""Checks shared by the models, run before anything is sent to a solver.

Each raises a domain error that names the demand points, sites or limit at fault, so an infeasible
input never reaches the user as a bare solver status.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np

from ..errors import InfeasibleError
from ._problem import LocationProblem

__all__ = ["check_p", "check_reachable", "check_coverable", "check_capacity", "check_served"]


def _ids(problem_ids: tuple[Hashable, ...], idx: np.ndarray, limit: int = 20) -> str:
    shown = ", ".join(repr(problem_ids[k]) for k in idx[:limit])
    return shown + (f" ... ({len(idx)} in all)" if len(idx) > limit else "")


def check_p(problem: LocationProblem, p: int, required: np.ndarray, model: str) -> None:
    """``1 <= p <= n_sites`` and the required sites fit within ``p``."""
    if not isinstance(p, (int, np.integer)):
        raise TypeError(f"{model}: p must be an integer, got {p!r}")
    if p <= 0:
        raise InfeasibleError(
            f"{model}: p = {p} opens no site, so none of the {problem.n_demand} demand points can be served",
            [f"constraint 'number of sites == p': p must be at least 1 (and at most {problem.n_sites})"],
        )
    if p > problem.n_sites:
        raise InfeasibleError(
            f"{model}: p = {p} exceeds the {problem.n_sites} candidate sites",
            [f"constraint 'number of sites == p': use p <= {problem.n_sites}"],
        )
    if len(required) > p:
        raise InfeasibleError(
            f"{model}: {len(required)} required sites do not fit within p = {p}",
            [f"required sites: {_ids(problem.site_ids, required)}; raise p to at least {len(required)}"],
        )


def check_reachable(problem: LocationProblem, model: str, allowed: np.ndarray | None = None) -> None:
    """Every demand point with positive demand can reach at least one (allowed) site."""
    cost = problem.cost if allowed is None else problem.cost[:, allowed]
    dead = np.flatnonzero(~np.isfinite(cost).any(axis=1))
    if len(dead):
        raise InfeasibleError(
            f"{model}: {len(dead)} demand point(s) cannot reach any candidate site",
            [
                f"demand points without a usable site: {_ids(problem.demand_ids, dead)}; "
                "add a site within reach or a cost for these pairs"
            ],
        )


def check_coverable(problem: LocationProblem, radius: float, model: str) -> np.ndarray:
    """The within-radius mask; raise naming every demand point no site covers."""
    within = problem.cost <= radius
    dead = np.flatnonzero(~within.any(axis=1))
    if len(dead):
        nearest = np.min(problem.cost[dead], axis=1)
        worst = float(np.max(nearest))
        raise InfeasibleError(
            f"{model}: {len(dead)} demand point(s) are farther than the radius {radius:g} from every site",
            [
                f"uncoverable demand points: {_ids(problem.demand_ids, dead)}",
                f"the farthest of them is {worst:g} from its nearest site: raise the radius to at least {worst:g} "
                "or add candidate sites near them",
            ],
        )
    return within


def check_capacity(problem: LocationProblem, model: str, p: int | None = None, single_source: bool = False) -> None:
    """Total capacity (of the ``p`` largest sites, if ``p`` is given) covers total demand; with
    ``single_source``, every demand point fits in some site it can reach."""
    if problem.capacity is None:
        raise ValueError(f"{model}: the problem has no site capacities; pass capacity=... when building it")
    total = float(problem.demand.sum())
    caps = np.sort(problem.capacity)[::-1]
    avail = float(caps[:p].sum() if p is not None else caps.sum())
    if avail + 1e-9 * max(1.0, total) < total:
        which = f"the {p} largest sites" if p is not None else "all sites together"
        raise InfeasibleError(
            f"{model}: capacity is short of demand: {which} hold {avail:g}, total demand is {total:g}",
            [
                f"constraint 'capacity': short by {total - avail:g}; add capacity or sites"
                + (" or raise p" if p is not None else "")
            ],
        )
    if not single_source:
        return
    reach = np.isfinite(problem.cost)
    single_cap = np.where(reach, problem.capacity[None, :], 0.0).max(axis=1)
    too_big = np.flatnonzero(problem.demand > single_cap + 1e-9)
    if len(too_big):
        raise InfeasibleError(
            f"{model}: {len(too_big)} demand point(s) exceed the capacity of every site they can reach",
            [
                f"demand points: {_ids(problem.demand_ids, too_big)} (single-source assignment needs one site "
                "that holds all of a point's demand)"
            ],
        )


def check_served(problem: LocationProblem, sites: np.ndarray, cols: np.ndarray, p: int, model: str) -> None:
    """Every demand point has a usable chosen site. An exact method prices a missing pair above any
    complete assignment, so a best solution that leaves points unserved means no ``p`` sites
    reach them all (each point reaching *some* site, :func:`check_reachable`, is not enough)."""
    unserved = np.flatnonzero(cols < 0) if len(sites) else np.arange(problem.n_demand)
    if len(unserved):
        raise InfeasibleError(
            f"{model}: no {p} sites reach every demand point (pairs without a cost cannot be used)",
            [
                f"demand points left without a usable site by the best {p} sites: "
                f"{_ids(problem.demand_ids, unserved)}; raise p or give these pairs a cost"
            ],
        )
