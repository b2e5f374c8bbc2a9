"""Apply a variant's factors and policy knobs to a portfolio problem.

Each factor multiplies the problem's tables (1.0 leaves them as they are):

============================ ===================================================================
``unit_costs``               construction cost per m² of every site (``build_yen_per_m2``) and the
                             cost of every renewal event (events are floor × unit cost)
``land_prices``              ``land_value_yen_per_m2`` of every site (sale, lease and purchase)
``operating_costs``          ``operating_yen_per_m2_year`` and ``fixed_yen_per_year`` of every site
``budget``                   the annual cap ``policy.budget.cap_yen`` and ``policy.capital_budget_yen``
``demand``                   demand and target population of every zone, service and year
``imputed.floor_area_m2.C``  floor of sites of category C (``*``: any other) whose floor is imputed: the
                             site's floor, its placements' floor and its events' floor and cost
``imputed.capacity.K``       capacity of service K's placements (``*``: any other) whose capacity is imputed
============================ ===================================================================

A site whose floor is partly imputed (one of several buildings) is scaled as a whole: the problem
keeps one floor per site.  The variant's policy knobs replace the policy's fields.

Scaled figures are rounded to the precision a plan states them in (yen to the yen, m² to 0.1,
capacities to whole places, demand to 0.001), so that a variant's plan passes the independent check
(:func:`facility_opt.portfolio.check_plan`) as the model's own does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ModelConfigError
from ..portfolio import PortfolioProblem
from .spec import Variant

__all__ = ["apply_variant"]


def _scale_budget(policy, f: float) -> dict:
    out: dict = {}
    if policy.capital_budget_yen is not None:
        out["capital_budget_yen"] = float(round(policy.capital_budget_yen * f))
    b = policy.budget
    if b is not None:
        if b.cap_yen is None:
            raise ModelConfigError(
                "sweep.inputs.budget: the policy's budget is a share of a projected budget; "
                "only a cap_yen budget can be scaled"
            )
        cap = (
            {y: float(round(v * f)) for y, v in b.cap_yen.items()}
            if isinstance(b.cap_yen, dict)
            else float(round(b.cap_yen * f))
        )
        out["budget"] = b.model_copy(update={"cap_yen": cap}).model_dump()
    if not out:
        raise ModelConfigError("sweep.inputs.budget: the model's policy has no budget to vary")
    return out


def _imputed(col: pd.Series, field: str) -> np.ndarray:
    return col.fillna("").astype(str).str.contains(f".{field}", regex=False).to_numpy()


def apply_variant(problem: PortfolioProblem, variant: Variant) -> PortfolioProblem:
    """``problem`` with the variant's factors and policy knobs applied (a new, re-validated problem)."""
    f = variant.factors
    sites = problem.sites.copy()
    events = None if problem.events is None else problem.events.copy()
    placements = problem.placements.copy()
    demand = problem.demand
    policy: dict = dict(variant.policy)
    if "unit_costs" in f:
        sites["build_yen_per_m2"] *= f["unit_costs"]
        if events is not None:
            events["cost_yen"] *= f["unit_costs"]
    if "land_prices" in f:
        sites["land_value_yen_per_m2"] *= f["land_prices"]
    if "operating_costs" in f:
        sites["operating_yen_per_m2_year"] *= f["operating_costs"]
        sites["fixed_yen_per_year"] *= f["operating_costs"]
    if "budget" in f:
        policy.update(_scale_budget(problem.policy, f["budget"]))
    if "demand" in f:
        demand = demand.assign(demand=demand["demand"] * f["demand"], population=demand["population"] * f["demand"])
    floor_imp = _imputed(sites["imputed_fields"], "floor_area_m2")
    cap_imp = _imputed(placements["imputed_fields"], "capacity")
    named = {
        fld: {n.split(".", 2)[2] for n in f if n.startswith(f"imputed.{fld}.")} - {"*"}
        for fld in ("floor_area_m2", "capacity")
    }
    for name, x in sorted(f.items()):
        if not name.startswith("imputed."):
            continue
        _, field, key = name.split(".", 2)
        if field == "floor_area_m2":
            cat = sites["category"]
            hit = floor_imp & (cat.eq(key) if key != "*" else ~cat.isin(named[field])).to_numpy()
            ids = set(sites.loc[hit, "site_id"])
            sites.loc[hit, "floor_area_m2"] *= x
            pl = placements["site_id"].isin(ids)
            placements.loc[pl, "floor_area_m2"] *= x
            if events is not None:
                ev = events["site_id"].isin(ids)
                events.loc[ev, ["floor_area_m2", "cost_yen"]] *= x
        else:
            svc = placements["service_id"]
            hit = cap_imp & (svc.eq(key) if key != "*" else ~svc.isin(named[field])).to_numpy()
            placements.loc[hit, "capacity"] = np.round(placements.loc[hit, "capacity"] * x)  # whole places
    sites = sites.round(
        {
            "build_yen_per_m2": 0,
            "land_value_yen_per_m2": 0,
            "operating_yen_per_m2_year": 0,
            "fixed_yen_per_year": 0,
            "floor_area_m2": 1,
        }
    )
    placements = placements.round({"floor_area_m2": 1})
    if events is not None:
        events = events.round({"cost_yen": 0, "floor_area_m2": 1})
    demand = demand.round({"demand": 3, "population": 3})
    return problem.replace(sites=sites, events=events, placements=placements, demand=demand, policy=policy)
