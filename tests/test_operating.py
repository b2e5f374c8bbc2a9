"""Operating cost per place and operator change (委託・民営化), hand-solved on ``two_halls``.

two_halls with an operating cost of 100,000 ¥ per place a year for the children's hall: keeping
everything keeps today's 60 + 60 places for 30 years (360e6); the optimum keeps A, closes B in 2019
(sold for 300e6) and runs only the 55 places its zones need (30 + 25): 55 × 100,000 × 30 = 165e6.
Cost: 250e6 (A's renovation and running) − 300e6 + 165e6 = 115e6 against 600e6 + 360e6 = 960e6:
saving 845e6 = renewal 200e6 + running 150e6 + land sold 300e6 + operating 195e6.

Operator change: commissioned at 60,000 ¥ a place from 2025 (a period start: 2019, 2021, ...),
A's 55 places save 40,000 × 55 × 24 years (2025-2048) = 52.8e6; with a one-off transition of 50e6
the switch pays (net 2.8e6), with 60e6 it does not.
"""

from __future__ import annotations

import pytest

from facility_opt.errors import DataValidationError
from facility_opt.portfolio import build_model, check_plan, optimise_portfolio
from portfolio_cases import EXACT, two_halls

RATE = 100_000.0


def rated(**policy):
    p = two_halls()
    return p.replace(services=p.services.assign(operating_yen_per_place_year=RATE), policy=policy)


def solve(p):
    plan = optimise_portfolio(p, EXACT)
    assert plan.valid, plan.violations
    k = plan.kpis
    assert sum(k.saving_by_kind.values()) == k.saving_yen
    assert abs(sum(d.saving_yen for d in plan.decisions) - k.saving_yen) <= 1
    return plan


def capacity_after(plan, site="A"):
    return next(c.capacity_after for c in plan.capacities if c.site_id == site)


def test_operating_cost_per_place_sets_the_capacity_and_the_saving():
    plan = solve(rated())
    k = plan.kpis
    assert (k.cost_before_yen, k.cost_after_yen, k.saving_yen) == (960e6, 115e6, 845e6)
    assert k.saving_by_kind["operating"] == 195e6
    assert {x: k.saving_by_kind[x] for x in ("renewal", "running", "revenue")} == {
        "renewal": 200e6,
        "running": 150e6,
        "revenue": 300e6,
    }
    assert capacity_after(plan) == 55.0  # only the places its zones need
    a = next(s for s in plan.sites if s.site_id == "A")
    assert (a.operating_before_yen, a.operating_yen) == (180e6, 165e6)
    # without a rate the places are free: the plan keeps all 60 (and no operating kind)
    plain = solve(two_halls())
    assert capacity_after(plain) == 60.0 and plain.kpis.saving_by_kind["operating"] == 0


def test_operator_change_taken_only_when_it_pays():
    def oc(transition):
        return {
            "services": {
                "childrens_hall": {
                    "commissioned_yen_per_place_year": 60_000.0,
                    "transition_yen": transition,
                    "source": "assumption: test",
                }
            },
            "earliest_year": 2025,
        }

    plan = solve(rated(operator_change=oc(50e6)))
    k = plan.kpis
    assert k.saving_yen == 845e6 + 2.8e6
    assert k.saving_by_kind["operating"] == 195e6 + 52.8e6 and k.saving_by_kind["transition"] == -50e6
    rows = [(r.site_id, r.from_year, r.to_year, r.operator) for r in plan.timeline]
    assert rows == [("A", 2019, 2024, "ward"), ("A", 2025, 2048, "commissioned")]
    a = next(d for d in plan.decisions if d.facility_id == "A")
    assert a.operator_change_year == 2025
    assert "passes to a commissioned operator (委託・民営化) from 2025" in a.reason
    assert not check_plan(plan, rated(operator_change=oc(50e6)))
    # dearer switch: 60e6 > 52.8e6, no change
    plan = solve(rated(operator_change=oc(60e6)))
    assert plan.kpis.saving_yen == 845e6 and {r.operator for r in plan.timeline} == {"ward"}
    # limits: none in total
    plan = solve(rated(operator_change={**oc(50e6), "max_total": 0}))
    assert {r.operator for r in plan.timeline} == {"ward"}


def test_operator_change_only_when_configured():
    assert len(build_model(rated()).v_opr) == 0 and len(build_model(rated()).v_cc) == 0
    p = rated(
        operator_change={
            "services": {"childrens_hall": {"commissioned_yen_per_place_year": 60_000.0}},
            "earliest_year": 2025,
        }
    )
    plan = solve(p)
    # a plan that switches without the configuration, or before the earliest year, is rejected
    com = [r.model_copy(update={"operator": "commissioned"}) for r in plan.timeline]
    tampered = plan.model_copy(update={"timeline": com})
    assert any(
        "changes operator in 2019; changes are made at period starts from 2025" in v for v in check_plan(tampered, p)
    )
    assert any("configures no operator change" in v for v in check_plan(tampered, rated()))
    # the ward-run rate is the service's own: an operator change needs it
    with pytest.raises(DataValidationError, match="has no operating_yen_per_place_year"):
        two_halls(operator_change={"services": {"childrens_hall": {"commissioned_yen_per_place_year": 1.0}}})


def test_a_plan_with_an_operator_change_and_a_lease_warm_starts_the_same_plan():
    from facility_opt.portfolio import PortfolioOptions, solution_from_plan

    p = rated(
        operator_change={
            "services": {"childrens_hall": {"commissioned_yen_per_place_year": 60_000.0, "transition_yen": 50e6}},
            "earliest_year": 2025,
        },
        disposal=["sell", "lease"],
        lease_yield=0.04,
    )
    plan = solve(p)
    assert plan.freed_sites[0].choice == "lease" and plan.kpis.saving_by_kind["transition"] == -50e6
    start = solution_from_plan(plan, p)
    assert start.disposals.to_dict("records") == [{"site_id": "B", "choice": "lease", "need_id": ""}]
    assert start.operators.to_dict("records") == [{"service_id": "childrens_hall", "site_id": "A", "year": 2025}]
    again = optimise_portfolio(p, PortfolioOptions(solver=EXACT.solver, start_plan=plan))  # 845 + 2.8 + 60 (lease)
    assert again.valid and again.kpis.saving_yen == plan.kpis.saving_yen == 845e6 + 2.8e6 + 60e6
