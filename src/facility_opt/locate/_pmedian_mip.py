"""The classic assignment MIP of the p-median over a set of usable pairs (ReVelle & Swain 1970).

Built in bulk with :class:`~facility_opt.milp.Milp`: ``x_ij`` per kept pair, ``y_j`` per
site that is allowed and not fixed open, strong linking ``x_ij <= y_j``, ``sum y = p``; an optional
"far" slack per demand point (the sparse method's relaxation) priced at its next distance.
Used by the classic, sparse and reduced methods of :class:`~facility_opt.locate.PMedian`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..milp import Milp, values
from ..solver import SolverOptions
from ._build import Pairs, add_links, add_row, add_rows, pair_labels, set_objective
from ._problem import LocationProblem

__all__ = ["classic_mip"]


def classic_mip(
    problem: LocationProblem,
    pairs: Pairs,
    allowed: np.ndarray,
    forced_open: np.ndarray,
    incumbent: np.ndarray | None,
    pre_build: float,
    p: int,
    options: SolverOptions,
    far_cost: np.ndarray | None = None,
) -> Any:
    """The classic MIP over ``pairs``: (sites, info), plus the far-slack users when ``far_cost`` is given."""
    c = problem.weighted_cost
    n, m = c.shape
    mdl = Milp(f"pmedian_{problem.name}")
    mdl.t0 -= pre_build
    # sites fixed open get no variable (a bound-fixed column plus a MIP start trips HiGHS 1.16's
    # presolve offset: it then stops at the start's value, see docs/location_models.md)
    site_pos = np.flatnonzero(allowed & ~forced_open)
    y = mdl.block("y", len(site_pos), cat="Binary", labels=site_pos.tolist())
    ycol = np.full(m, -1)
    ycol[site_pos] = np.arange(len(site_pos))
    n_forced = int(forced_open.sum())
    x = mdl.block("x", len(pairs), low=0.0, up=1.0, labels=pair_labels(pairs))
    obj_vars, obj_coefs = [x], [c[pairs.rows, pairs.cols]]
    use_far = far_cost is not None and np.isfinite(far_cost).any()
    if use_far:
        assert far_cost is not None
        far_rows = np.flatnonzero(np.isfinite(far_cost))
        f = mdl.block("far", len(far_rows), low=0.0, up=1.0, labels=far_rows.tolist())
        obj_vars.append(f)
        obj_coefs.append(far_cost[far_rows])
    set_objective(mdl, np.concatenate(obj_vars), np.concatenate(obj_coefs))
    # assignment: every demand point fully served (by a kept pair or the far slack)
    add_rows(mdl, "assign", pairs.rows, x, "==", 1.0, n, extra=(far_rows, f, 1.0) if use_far else None)
    # strong linking x_ij <= y_j, only where y_j is not fixed open
    need = np.flatnonzero(~forced_open[pairs.cols])
    add_links(mdl, x[need], y[ycol[pairs.cols[need]]])
    add_row(mdl, "p_sites", y, 1.0, "==", p - n_forced)
    opts = options
    if incumbent is not None and opts.warm_start:
        inc_open = np.zeros(m)
        inc_open[incumbent] = 1.0
        mdl.warm_start(y, inc_open[site_pos])
        near = incumbent[np.argmin(c[:, incumbent], axis=1)]
        mdl.warm_start(x, (near[pairs.rows] == pairs.cols).astype(float))
        if use_far:
            mdl.warm_start(f, np.zeros(len(f)))
    info = mdl.solve(opts)
    if not info.has_solution:
        return (
            (np.zeros(0, dtype=int), info, np.zeros(n, dtype=bool))
            if far_cost is not None
            else (np.zeros(0, dtype=int), info)
        )
    yv = values(y)
    sites = np.union1d(site_pos[yv > 0.5], np.flatnonzero(forced_open))
    if far_cost is not None:
        far = np.zeros(n, dtype=bool)
        if use_far:
            far[far_rows] = values(f) > 1e-6
        return sites, info, far
    return sites, info
