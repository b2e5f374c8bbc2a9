"""Money: the annual budget (or fund), and the plan's costs recomputed from its state against the
plan's KPIs, the solver's objective and the saving's parts (:mod:`facility_opt.portfolio.economics`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..economics import COST_KINDS, INCOME_KINDS, capital_by_year, operating_rates, site_year_costs
from ..formulation.constants import (
    ADDED_PLACE_YEN,
    NEW_PLACEMENT_YEN,
    SCALE,
    UNCOVERED_PER_RESIDENT,
    UNCOVERED_PER_UNIT,
)
from ..reform import DOWNSIZE_NOISE_M2
from .context import Context
from .violation import Violation

__all__ = ["recompute", "check_budget", "check_cost", "check_savings"]


def recompute(c: Context) -> list[Violation]:
    """``c.money`` (spend by year) and ``c.costs`` (costs by site and year) from the plan's state; both
    None when the plan's renewal events are no options of the renewal rules (reported)."""
    state = c.plan.state(c.problem)
    try:
        c.money = capital_by_year(c.problem, state)
        c.costs = site_year_costs(c.problem, state)
    except KeyError:  # an event in a year that is no option of the renewal rules (reported above)
        c.money = c.costs = None
        return [
            Violation(
                "cost",
                "plan",
                None,
                "cost: not recomputed, the plan's renewal events are not options of the renewal rules",
            )
        ]
    return []


def check_budget(c: Context) -> list[Violation]:
    """Each year's spend on renewal and new floor against the annual budget, or the fund's balance
    against its minimum (``money``), within the rounding of the floor stated to 0.1 m²."""
    v: list[Violation] = []
    plan, pol, years, money, t_of = c.plan, c.pol, c.years, c.money, c.t_of
    caps = money["cap_yen"].to_numpy() if money is not None else np.full(len(years), np.nan)
    if pol.min_level_budget and plan.kpis.level_budget_yen is not None:
        caps = np.full(len(years), float(plan.kpis.level_budget_yen))
    fund = pol.renewal.fund
    if not (np.isfinite(caps).any() and not c.baseline and money is not None):  # NaN: a year without a cap
        return v
    charged = money["spend_yen"].to_numpy()
    # floor is stated to 0.1 m² (and a downsized rebuild to DOWNSIZE_NOISE_M2): up to that much new floor
    # per row is priced in the recomputed spend but not in the solver's budget row, in each year of its works
    rounding = np.zeros(len(years))
    for f in plan.floor:
        rate = 0.05 * float(c.sites.at[f.site_id, "build_yen_per_m2"]) * (1 + pol.extension_premium)
        for y in range(f.works_start, f.works_start + max(f.works_years, 1)):
            if y in t_of:
                rounding[t_of[y]] += rate
    if pol.allow_downsizing:
        for e in plan.events:
            if e.kind == "rebuild" and e.status == "done" and e.year is not None:
                rate = DOWNSIZE_NOISE_M2 * float(c.sites.at[e.site_id, "build_yen_per_m2"])
                for y in range(e.year, (e.end_year or e.year) + 1):
                    if y in t_of:
                        rounding[t_of[y]] += rate
    bal = fund.initial_yen if fund else 0.0
    for t in range(len(years)):
        if fund:
            bal += caps[t] - charged[t]
            if bal < fund.min_balance_yen - 1.0:
                v.append(
                    Violation(
                        "money",
                        "fund",
                        years[t],
                        f"budget: the fund falls to {bal:,.0f} yen in {years[t]}, below its minimum",
                    )
                )
                break
        elif np.isfinite(caps[t]) and charged[t] > caps[t] * (1 + 1e-6) + 1.0 + rounding[t]:  # the solver's tolerance
            v.append(
                Violation(
                    "money",
                    "budget",
                    years[t],
                    f"budget: {years[t]} spends {charged[t]:,.0f} yen on "
                    f"renewal and new floor, above the annual budget {caps[t]:,.0f}",
                )
            )
    return v


def check_cost(c: Context) -> list[Violation]:
    """The horizon cost recomputed from the state against the plan's KPIs and, with the objective's
    tie-breaks and priced terms, against the solver's objective, within the rounding of the stated
    figures (``cost``)."""
    if c.costs is None:
        return []
    v: list[Violation] = []
    plan, pol, sites = c.plan, c.pol, c.sites
    total = float(c.costs["total_yen"].sum())
    if abs(total - plan.kpis.cost_after_yen) > 1.0 + 1e-9 * abs(total):
        v.append(
            Violation(
                "cost",
                "plan",
                None,
                f"cost: recomputed horizon cost ¥{total:,.0f} differs from the plan's ¥{plan.kpis.cost_after_yen:,.0f}",
            )
        )
    obj = plan.solver.objective_yen
    if obj is None or c.baseline:
        return v
    extra, allowance = _objective_extras(c)
    expect = total + extra
    tol = 2e3 + 1e-6 * abs(expect) + allowance
    for f in plan.floor:  # floor is stated to 0.1 m²: up to 0.05 m² built and run for the rest of the horizon
        tol += 0.05 * (
            float(sites.at[f.site_id, "build_yen_per_m2"]) * (1 + pol.extension_premium)
            + float(sites.at[f.site_id, "operating_yen_per_m2_year"]) * max(pol.end_year - f.year, 0)
        )
    ward_rate, comm_rate = operating_rates(c.problem)
    for r in plan.timeline:  # places are stated to 0.001: up to 0.0005 places run at the dearer rate
        rate = max(float(np.nan_to_num(ward_rate.get(r.service_id, 0.0))), comm_rate.get(r.service_id, 0.0))
        tol += 0.0005 * rate * (r.to_year - r.from_year + 1)
    if pol.allow_downsizing:  # a rebuild may leave out the floor rows' tolerance, unreported (reform)
        for e in plan.events:
            if e.kind == "rebuild" and e.status == "done":
                tol += DOWNSIZE_NOISE_M2 * (
                    float(sites.at[e.site_id, "build_yen_per_m2"])
                    + float(sites.at[e.site_id, "operating_yen_per_m2_year"]) * pol.horizon_years
                )
    if abs(obj - expect) > tol and not pol.min_level_budget:
        v.append(
            Violation(
                "cost",
                "objective",
                None,
                f"cost: the solver's objective ¥{obj:,.0f} differs from the "
                f"recomputed cost ¥{expect:,.0f} (plan ¥{total:,.0f} + tie-breaks and priced terms "
                f"¥{extra:,.0f})",
            )
        )
    return v


def _objective_extras(c: Context) -> tuple[float, float]:
    """The yen the objective adds to the plan's cost: the tie-breaks on new placements and on places added
    to services with an operating cost per place, priced uncovered shares and the access term; and the
    rounding allowance of the priced shares (written to 6 decimals, their population and demand to 3)."""
    plan, problem, pol = c.plan, c.problem, c.pol
    extra = allowance = 0.0
    ward_rate, _ = operating_rates(problem)
    for r in plan.timeline:
        yrs = r.to_year - r.from_year + 1
        if not r.current:
            extra += NEW_PLACEMENT_YEN * yrs
        if np.nan_to_num(ward_rate.get(r.service_id, 0.0)) > 0:  # places added to a service run per place
            extra += ADDED_PLACE_YEN * r.added * yrs
    hard = {k for k in problem.services["service_id"] if problem.coverage_rule(k)[0] == "hard"}
    for u in plan.uncovered:
        rate = (
            UNCOVERED_PER_UNIT * u.demand + UNCOVERED_PER_RESIDENT * u.population
            if u.service_id in hard
            else 1e-3 * u.population
        )
        extra += rate * SCALE * u.share
        allowance += rate * SCALE * 5e-7 + (UNCOVERED_PER_UNIT + UNCOVERED_PER_RESIDENT) * SCALE * 5e-4 * u.share
    if pol.access_weight_yen_per_person_km > 0:
        for a in plan.assignments:
            extra += (
                pol.access_weight_yen_per_person_km
                * a.population
                * a.share
                * (a.distance_m or 0.0)
                / 1000.0
                * (a.to_year - a.from_year + 1)
            )
    return extra, allowance


def check_savings(c: Context) -> list[Violation]:
    """The KPIs' saving by kind against the kinds recomputed from the two states (each part is rounded
    to the yen, so within a yen), and the kinds, the sites' and the decisions' savings against the
    headline (exactly, to the yen): ``saving``."""
    plan, costs = c.plan, c.costs
    if costs is None or not plan.kpis.saving_by_kind:
        return []
    v: list[Violation] = []
    k = plan.kpis
    try:
        before: pd.DataFrame = site_year_costs(c.problem, plan.state(c.problem, baseline=True))
    except KeyError:
        return [
            Violation(
                "saving",
                "baseline",
                None,
                "saving: not recomputed, the baseline's renewal events are not options of the renewal rules",
            )
        ]
    for kind in COST_KINDS:
        col = f"{kind}_yen"
        raw = float(before[col].sum()) - float(costs[col].sum())
        raw = -raw if kind in INCOME_KINDS else raw  # land sold, leased or reused: a negative cost
        stated = float(k.saving_by_kind.get(kind, 0.0))
        if abs(raw - stated) > 1.0 + 1e-9 * abs(raw):
            v.append(
                Violation(
                    "saving",
                    kind,
                    None,
                    f"saving: recomputed {kind} saving ¥{raw:,.0f} differs from the plan's ¥{stated:,.0f}",
                )
            )
    for what, parts in (
        ("the saving by kind", k.saving_by_kind.values()),
        ("the sites' savings", [s.saving_yen for s in plan.sites]),
        ("the decisions' savings", [d.saving_yen for d in plan.decisions]),
    ):
        total = float(sum(parts))
        if abs(total - k.saving_yen) > 0.5:
            v.append(
                Violation(
                    "saving",
                    "plan",
                    None,
                    f"saving: {what} add up to ¥{total:,.0f}, not the plan's saving ¥{k.saving_yen:,.0f}",
                )
            )
    return v
