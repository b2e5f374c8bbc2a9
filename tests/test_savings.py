"""Savings that add up: the headline saving split by kind of cost, per site and per decision.

Every figure is derived in ``portfolio_cases``: the split by kind of the hand-solved optima, the
sum of the decisions' savings against the headline, and a shared building whose saving is split
between its facilities by the floor they use now.
"""

from __future__ import annotations

import pandas as pd
import pytest

from facility_opt.portfolio import Plan, check_plan, optimise_portfolio
from facility_opt.portfolio.economics import COST_KINDS, apportion
from facility_opt.portfolio.formulation.constants import FLOOR_TOL_M2
from facility_opt.portfolio.reasons import attribute_savings
from facility_opt.report.headline import _headline
from portfolio_cases import EXACT, school_and_hall, school_with_club, two_halls

#: school_and_hall: the floor the school's rebuild adds for the hall (see test_portfolio_core)
HALL_M2 = 180.0 - FLOOR_TOL_M2


def kinds(**nonzero: float) -> dict[str, float]:
    return {k: nonzero.get(k, 0.0) for k in COST_KINDS}


def assert_adds_up(plan: Plan) -> None:
    k = plan.kpis
    assert sum(k.saving_by_kind.values()) == k.saving_yen
    assert sum(s.saving_yen for s in plan.sites) == k.saving_yen
    assert abs(sum(d.saving_yen for d in plan.decisions) - k.saving_yen) <= 1
    for s in plan.sites:  # per site: the before and after kinds give its costs (to rounding)
        before = sum(getattr(s, f"{c}_before_yen") * (-1 if c == "revenue" else 1) for c in COST_KINDS)
        after = sum(getattr(s, f"{c}_yen") * (-1 if c == "revenue" else 1) for c in COST_KINDS)
        assert before == pytest.approx(s.cost_before_yen, abs=5) and after == pytest.approx(s.cost_after_yen, abs=5)


def test_two_halls_saving_by_kind_and_per_decision():
    plan = optimise_portfolio(two_halls(), EXACT)
    # closing B: its renovation (200e6) and 30 years of running (150e6) saved, its land sold (300e6)
    assert plan.kpis.saving_by_kind == kinds(renewal=200e6, running=150e6, revenue=300e6)
    assert plan.kpis.saving_yen == 650e6
    assert {d.facility_id: d.saving_yen for d in plan.decisions} == {"A": 0.0, "B": 650e6}
    b = next(s for s in plan.sites if s.site_id == "B")
    assert (b.renewal_before_yen, b.running_before_yen, b.revenue_before_yen) == (200e6, 150e6, 0.0)
    assert (b.renewal_yen, b.running_yen, b.revenue_yen, b.saving_yen) == (0.0, 0.0, 300e6, 650e6)
    close = next(d for d in plan.decisions if d.facility_id == "B")
    assert "saves ¥650.0 M over 30 years" in close.reason
    assert_adds_up(plan)
    assert not check_plan(plan, two_halls())


def test_school_and_hall_saving_by_kind():
    plan = optimise_portfolio(school_and_hall(), EXACT)
    # H's rebuild dropped (150e6); running: H 75e6 before, 14 y × 2.5e6 after, S runs 179.9 m² more for
    # 16 years; the 179.9 m² built into S's rebuild; H's land sold for 240e6
    running = 75e6 - 35e6 - HALL_M2 * 10_000 * 16
    assert plan.kpis.saving_by_kind == pytest.approx(
        kinds(renewal=150e6, running=running, new_build=-HALL_M2 * 400_000, revenue=240e6), abs=0.5
    )
    assert plan.kpis.saving_by_kind["running"] == 11_216_000 and plan.kpis.saving_by_kind["new_build"] == -71_960_000
    assert plan.kpis.saving_yen == 329_256_000
    # H: 225e6 kept → 35e6 run − 240e6 sold; S pays for the hall's floor
    assert {d.facility_id: d.saving_yen for d in plan.decisions} == {"H": 430e6, "S": -100_744_000}
    assert "saves ¥430.0 M over 30 years" in next(d for d in plan.decisions if d.facility_id == "H").reason
    assert_adds_up(plan)


def test_shared_building_splits_its_saving_by_floor_area():
    # B's building holds two facilities: the hall (300 m²) and an annex (200 m²) of the same service;
    # closing B saves 650e6 as in two_halls, 3/5 to the hall and 2/5 to the annex
    p = two_halls()
    p = p.replace(
        placements=pd.DataFrame(
            {
                "site_id": ["A", "B", "B"],
                "service_id": "childrens_hall",
                "capacity": [60.0, 36.0, 24.0],
                "facility_id": ["A", "B", "B-annex"],
                "floor_area_m2": [500.0, 300.0, 200.0],
            }
        )
    )
    plan = optimise_portfolio(p, EXACT)
    assert plan.valid, plan.violations
    assert {d.facility_id: (d.decision, d.saving_yen) for d in plan.decisions} == {
        "A": ("keep", 0.0),
        "B": ("close", 390e6),
        "B-annex": ("close", 260e6),
    }
    annex = next(d for d in plan.decisions if d.facility_id == "B-annex")
    assert "saves ¥260.0 M over 30 years (its floor's share of the site's ¥650.0 M)" in annex.reason
    assert_adds_up(plan)


def test_shared_building_rounding_goes_to_the_main_facility():
    # school_with_club (allocated): the baseline builds 199.9 m² at S for 2025 (79.96e6 + 4 y of running,
    # 7.996e6); the plan puts the club's places at H instead, so S saves 87.956e6, split by the floor
    # in use now: the club 200 of 4,200 m² → 4,188,380.95 → 4,188,381; the school (main) the rest
    p = school_with_club(club_rule="allocated")
    fac = p.placements["service_id"].map({"school": "S", "club": "S-club", "hall": "H"})
    plan = optimise_portfolio(p.replace(placements=p.placements.assign(facility_id=fac)), EXACT)
    assert plan.valid, plan.violations
    assert plan.kpis.saving_by_kind == kinds(running=7_996_000, new_build=79_960_000)
    assert {d.facility_id: d.saving_yen for d in plan.decisions} == {
        "H": 0.0,
        "S": 87_956_000 - 4_188_381,
        "S-club": 4_188_381,
    }
    assert_adds_up(plan)


def test_attribution_and_rounding_rules():
    assert attribute_savings(100, ["m", "a", "b"], "m", {"m": 1.0, "a": 1.0, "b": 1.0}) == {"m": 34, "a": 33, "b": 33}
    assert attribute_savings(-7, ["m", "a"], "m", {}) == {"m": -7, "a": 0}  # no floor in use: all to main
    assert apportion([0.4, 0.4, 0.4], 1) == [1, 0, 0]
    assert apportion([1.6, -0.6, 2.5], 4) == [2, -1, 3]
    assert sum(apportion([1e6 / 3] * 7, round(7e6 / 3))) == round(7e6 / 3)


def test_files_report_and_check_carry_the_split(tmp_path):
    p = two_halls()
    plan = optimise_portfolio(p, EXACT)
    files = plan.to_files(tmp_path)
    d = pd.read_csv(files["decisions.csv"]).set_index("facility_id")
    assert d.loc["B", "saving_yen"] == 650e6 and d["saving_yen"].sum() == plan.kpis.saving_yen
    c = pd.read_csv(files["costs.csv"]).set_index("site_id")
    assert {f"{k}_before_yen" for k in COST_KINDS} <= set(c.columns)
    assert (c.loc["B", "renewal_before_yen"], c.loc["B", "renewal_yen"]) == (200e6, 0.0)
    back = Plan.from_json(files["plan.json"])
    assert back.kpis.saving_by_kind == plan.kpis.saving_by_kind
    _, table = _headline(plan)
    assert 'data-saving-kind="revenue"' in table and 'data-value="3.0"' in table  # 300e6 = 3.0 oku-yen
    # the check recomputes the split from the two states: a wrong split or parts that do not add up show
    wrong = plan.kpis.model_copy(update={"saving_by_kind": kinds(renewal=350e6, running=0.0, revenue=300e6)})
    v = check_plan(plan.model_copy(update={"kpis": wrong}), p)
    assert any("recomputed renewal saving" in x for x in v) and any("recomputed running saving" in x for x in v)
    shifted = [x.model_copy(update={"saving_yen": x.saving_yen + 10}) for x in plan.decisions]
    v = check_plan(plan.model_copy(update={"decisions": shifted}), p)
    assert v == ["saving: the decisions' savings add up to ¥650,000,020, not the plan's saving ¥650,000,000"]
