"""The Lagrangian lower bound of a problem solved by parts, and the whole's LP relaxation it stands in for."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from ...solver import SolveInfo, SolverOptions
from ..problem import PortfolioProblem
from .split import SHARE_MARGIN

__all__ = ["PRICED", "UNPRICED", "lp_bound", "row_prices", "priced_part_lp", "lagrangian_bound"]

log = logging.getLogger(__name__)


def lp_bound(problem: PortfolioProblem, options: SolverOptions) -> SolveInfo:
    """The LP relaxation of the whole problem (integrality dropped, and the lead-years rows, which need
    a baseline): its optimum is a lower bound on every plan's cost, and what the Lagrangian bound equals
    at the best prices (the reference it is tested against).  ``extra`` has the MILP's size."""
    from ..model import build_model

    model = build_model(problem)
    _relax_integers(model)
    info = model.m.solve(replace(options, warm_start=False))
    extra = {"variables": model.prob.numVariables(), "constraints": model.prob.numConstraints()}
    return replace(info, extra=extra)


#: ward-wide rows priced in the Lagrangian bound: each part's row is its share of the whole's row
PRICED = ("money", "min_capacity:", "capital")
#: ward-wide rows left out of it (price 0): a part's row is not a share of the whole's
UNPRICED = ("max_closures", "floor_reduction_min", "floor_reduction_max", "min_share", "lead_coverage")


def _ward_rows(model) -> list[tuple[tuple[str, str], Any, bool]]:
    """(family, label), the PuLP row and whether it is priced, for every ward-wide row of ``model``."""
    out = []
    for name, fam in model.m.families.items():
        priced = name.startswith(PRICED)
        if priced or name.startswith(UNPRICED):
            out += [((name, fam.label(i)), c, priced) for i, c in enumerate(fam.constraints) if c is not None]
    return out


def _relax_integers(model) -> None:
    for v in model.prob.variables():
        if v.cat in ("Binary", "Integer"):
            v.cat = "Continuous"


def row_prices(problem: PortfolioProblem, options: SolverOptions) -> dict[tuple[str, str], float]:
    """Prices of the ward-wide rows, by (family, label): the duals of ``problem``'s LP relaxation
    (one part, with its share of the limits), of the sign that makes them valid Lagrangian prices."""
    from ..model import build_model

    model = build_model(problem)
    _relax_integers(model)
    info = model.m.solve(replace(options, warm_start=False))
    if info.status != "optimal":
        log.warning("%s: no LP prices for the bound (%s); the ward-wide rows are left unpriced", problem.name, info)
        return {}
    out = {}
    for key, c, priced in _ward_rows(model):
        pi = float(c.pi or 0.0)
        pi = max(pi, 0.0) if c.sense == 1 else (min(pi, 0.0) if c.sense == -1 else pi)  # >=: 0 or more; <=: 0 or less
        if priced and pi != 0.0:
            out[key] = pi
    return out


def priced_part_lp(
    model, prices: dict[tuple[str, str], float], options: SolverOptions
) -> tuple[float | None, dict[tuple[str, str], float]]:
    """The part's term of the Lagrangian bound: its LP relaxation with the ward-wide rows dropped and
    priced in the objective (``c x - price · row x``), and the part's right-hand side of each priced row.
    Changes ``model`` (solve it no more after this)."""
    rhs, extra = {}, []
    for key, c, priced in _ward_rows(model):
        if priced:
            rhs[key] = -float(c.constant)
            p = prices.get(key, 0.0)
            if p:
                extra += [(v, -p * a) for v, a in c.items()]
        c.changeRHS(-1e30 if c.sense == 1 else 1e30)
    _relax_integers(model)
    model._set_cost_objective(extra=extra)
    info = model.m.solve(replace(options, warm_start=False))
    return (info.objective if info.status == "optimal" else None), rhs


def lagrangian_bound(
    values: list[float | None], rhs: list[dict[tuple[str, str], float]], prices: dict[tuple[str, str], float]
) -> float | None:
    """Σ parts' priced LPs + Σ prices × the whole's limits (the parts' shares added back up: the budget
    shares were taken (1 - 1e-9) of the whole, the floors (1 + 1e-9)), less a rounding allowance."""
    if any(v is None for v in values):
        return None
    whole: dict[tuple[str, str], float] = {}
    for r in rhs:
        for k, x in r.items():
            whole[k] = whole.get(k, 0.0) + x
    total = 0.0
    for k, p in prices.items():
        b = whole.get(k, 0.0)
        b = b / (1 + SHARE_MARGIN) if k[0].startswith("min_capacity:") else b / (1 - SHARE_MARGIN)
        total += p * b
    allowance = 1e-9 * (sum(abs(p * whole.get(k, 0.0)) for k, p in prices.items()) + sum(abs(v) for v in values))
    return float(sum(values)) + total - allowance
