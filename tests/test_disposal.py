"""Freed land as a per-site choice: sell, lease, reuse for a need of the model file, or hold.

Every case is ``portfolio_cases.two_halls``: keeping hall A (250e6 over 30 years) and closing hall B
in 2019 is the optimum whatever B's land brings (keeping both costs 600e6).  B's land: 600 m² ×
500,000 ¥/m² = 300e6.  Closed from 2019, it is closed all 30 years of the horizon, so a lease brings
30 × yield × 300e6 (at the default 3 %: 270e6) and a need valued per year brings 30 × its value.
Without land the saving is 350e6 (B's renovation 200e6 and running 150e6); the land adds its value.
"""

from __future__ import annotations

import pytest

from facility_opt.errors import DataValidationError
from facility_opt.portfolio import Plan, build_model, check_plan, optimise_portfolio
from portfolio_cases import EXACT, two_halls

NO_LAND = 350e6
TOKUYO = {
    "id": "tokuyo",
    "name_ja": "特別養護老人ホーム",
    "min_site_area_m2": 500.0,
    "value_yen": 400e6,
    "source": "assumption: test value",
}


def solve(**policy) -> tuple[Plan, object]:
    p = two_halls(**policy)
    plan = optimise_portfolio(p, EXACT)
    assert plan.valid, plan.violations
    k = plan.kpis
    assert sum(k.saving_by_kind.values()) == k.saving_yen  # the split adds up exactly
    assert abs(sum(d.saving_yen for d in plan.decisions) - k.saving_yen) <= 1
    return plan, p


def freed(plan: Plan):
    (b,) = plan.freed_sites
    assert (b.site_id, b.closure_year, b.site_area_m2, b.land_value_yen) == ("B", 2019, 600.0, 300e6)
    return b


def decision(plan: Plan, fid: str = "B"):
    return next(d for d in plan.decisions if d.facility_id == fid)


def test_sell_wins_over_a_lease_at_three_percent():
    # sell 300e6 > lease 30 × 0.03 × 300e6 = 270e6 > hold 0
    plan, _ = solve(disposal=["sell", "lease", "hold"])
    b = freed(plan)
    assert (b.choice, b.value_yen) == ("sell", 300e6)
    assert plan.kpis.saving_yen == NO_LAND + 300e6
    assert plan.kpis.saving_by_kind["revenue"] == 300e6 and plan.kpis.saving_by_kind["lease"] == 0
    d = decision(plan)
    assert (d.disposal, d.disposal_value_yen) == ("sell", 300e6)
    assert "land: sell, ¥300.0 M in the closure year" in d.reason


def test_lease_wins_at_four_percent():
    # lease 30 × 0.04 × 300e6 = 360e6 > sell 300e6
    plan, _ = solve(disposal=["sell", "lease", "hold"], lease_yield=0.04)
    b = freed(plan)
    assert (b.choice, b.value_yen) == ("lease", 360e6)
    assert plan.kpis.saving_yen == NO_LAND + 360e6
    assert plan.kpis.saving_by_kind["lease"] == 360e6 and plan.kpis.saving_by_kind["revenue"] == 0
    site = next(s for s in plan.sites if s.site_id == "B")
    assert site.lease_yen == 360e6 and site.revenue_yen == 0
    assert "land: lease, ¥360.0 M of rent" in decision(plan).reason


def test_reuse_wins_when_the_need_is_worth_more_and_fits():
    # reuse 400e6 > sell 300e6 > lease 270e6; B's 600 m² meet the need's 500 m²
    plan, _ = solve(disposal=["sell", "lease", "reuse", "hold"], reuse_needs=[TOKUYO])
    b = freed(plan)
    assert (b.choice, b.need_id, b.value_yen) == ("reuse", "tokuyo", 400e6)
    assert plan.kpis.saving_by_kind["reuse"] == 400e6 and plan.kpis.saving_yen == NO_LAND + 400e6
    assert decision(plan).disposal == "reuse:tokuyo"
    # a need valued per year: 11e6 × 30 years = 330e6 > 300e6
    yearly = {**TOKUYO, "value_yen": 0.0, "value_yen_per_year": 11e6}
    plan, _ = solve(disposal=["sell", "reuse"], reuse_needs=[yearly])
    assert (freed(plan).choice, freed(plan).value_yen) == ("reuse", 330e6)
    # ... but 10e6 a year (300e6 in all) does not beat the sale: ties go to either, so 9e6 (270e6)
    plan, _ = solve(disposal=["sell", "reuse"], reuse_needs=[{**yearly, "value_yen_per_year": 9e6}])
    assert freed(plan).choice == "sell"


def test_reuse_needs_a_site_that_fits_and_a_free_slot():
    too_big = {**TOKUYO, "min_site_area_m2": 700.0}  # B has 600 m²
    plan, p = solve(disposal=["sell", "reuse"], reuse_needs=[too_big])
    assert freed(plan).choice == "sell" and p.disposal_table()["choice"].tolist() == ["sell", "sell"]
    floor = {**TOKUYO, "min_site_area_m2": 0.0, "floor_m2": 1300.0}  # 600 m² × FAR 2 = 1200 m² < 1300
    plan, _ = solve(disposal=["sell", "reuse"], reuse_needs=[floor])
    assert freed(plan).choice == "sell"
    plan, _ = solve(disposal=["sell", "reuse"], reuse_needs=[{**TOKUYO, "max_sites": 0}])
    assert freed(plan).choice == "sell"


def test_hold_when_nothing_else_is_allowed_or_fits():
    plan, _ = solve(disposal=["reuse", "hold"], reuse_needs=[{**TOKUYO, "min_site_area_m2": 700.0}])
    b = freed(plan)
    assert (b.choice, b.value_yen) == ("hold", 0.0) and plan.kpis.saving_yen == NO_LAND
    assert "land: hold" in decision(plan).reason
    plan, _ = solve(disposal="none")  # the old spelling of hold
    assert freed(plan).choice == "hold" and plan.kpis.saving_yen == NO_LAND


def test_no_land_income_from_a_site_not_owned_and_separable():
    # neither hall's land can be sold (rooms in another building, or leased land): closing B frees
    # nothing (with A's land free instead, the optimum would close A and sell it: 350e6 - 300e6 = 50e6)
    for field, why in (("separable", "not a separable building"), ("owned", "not owned")):
        p = two_halls(disposal=["sell", "lease"])
        sites = p.sites.copy()
        sites[field] = False
        sites["sellable"] = True  # whatever the column says: the rule is the problem's
        p = p.replace(sites=sites)
        assert p.disposal_table().empty
        plan = optimise_portfolio(p, EXACT)
        assert plan.valid, plan.violations
        b = freed(plan)
        assert (b.choice, b.value_yen) == ("none", 0.0)
        assert plan.kpis.saving_yen == NO_LAND
        assert sum(plan.kpis.saving_by_kind[k] for k in ("revenue", "lease", "reuse")) == 0
        assert f"frees no land ({why})" in decision(plan).reason
        # a plan that claims the land anyway is rejected
        bad = plan.model_copy(update={"freed_sites": [b.model_copy(update={"choice": "sell", "value_yen": 300e6})]})
        assert any("frees no land to sell" in v for v in check_plan(bad, p))


def test_check_rejects_a_tampered_disposal():
    plan, p = solve(disposal=["sell", "lease"], lease_yield=0.04)
    assert not check_plan(plan, p)
    b = freed(plan)
    # sold instead of leased: the recomputed cost no longer matches the plan's
    sold = plan.model_copy(update={"freed_sites": [b.model_copy(update={"choice": "sell", "value_yen": 300e6})]})
    assert any(v.startswith("cost: recomputed horizon cost") for v in check_plan(sold, p))
    # held, which this policy does not allow (sell or lease only)
    held = plan.model_copy(update={"freed_sites": [b.model_copy(update={"choice": "hold", "value_yen": 0.0})]})
    assert any("is held, but the policy allows only sell/lease" in v for v in check_plan(held, p))
    # reused for a need the policy does not list
    reused = plan.model_copy(update={"freed_sites": [b.model_copy(update={"choice": "reuse", "need_id": "x"})]})
    assert any("may not reuse for 'x'" in v for v in check_plan(reused, p))
    # a value that is not the recomputed one
    worth = plan.model_copy(update={"freed_sites": [b.model_copy(update={"value_yen": 400e6})]})
    assert any("brings ¥360,000,000 recomputed, freed_sites says ¥400,000,000" in v for v in check_plan(worth, p))
    # left out of the table
    assert any(
        "does not state what its land becomes" in v for v in check_plan(plan.model_copy(update={"freed_sites": []}), p)
    )


def test_files_and_config_errors(tmp_path):
    plan, _ = solve(disposal=["sell", "lease", "hold"], lease_yield=0.04)
    files = plan.to_files(tmp_path)
    text = files["freed_sites.csv"].read_text(encoding="utf-8").splitlines()
    assert text[0] == ("site_id,name,closure_year,site_area_m2,owned,separable,land_value_yen,choice,need_id,value_yen")
    assert text[1] == "B,Hall B,2019,600.000000,True,True,300000000.000000,lease,,360000000.000000"
    assert "disposal" in files["decisions.csv"].read_text(encoding="utf-8").splitlines()[0]
    assert Plan.from_json(files["plan.json"]).freed_sites == plan.freed_sites
    with pytest.raises(ValueError, match="no reuse_needs"):
        two_halls(disposal=["sell", "reuse"])
    with pytest.raises(ValueError, match="duplicate ids"):
        two_halls(disposal=["reuse"], reuse_needs=[TOKUYO, TOKUYO])
    with pytest.raises(DataValidationError):
        two_halls(operator_change={"services": {"nowhere": {"commissioned_yen_per_place_year": 1.0}}})


def test_a_single_option_adds_no_variables():
    # sell only (the default): the sale is taken whenever a site closes, no variable (the model as before)
    m = build_model(two_halls())
    assert len(m.v_disp) == 0 and "disposal_one" not in m.m.families
    m = build_model(two_halls(disposal=["sell", "lease"]))
    assert len(m.v_disp) == 4 and {v.cat for v in m.v_disp} == {"Integer"}  # PuLP's binaries
    assert len(m.v_dyear) == 2 * m.P  # the leases' yearly parts


@pytest.mark.parametrize("name", ["nerima.yaml", "scenarios/land_choice.yaml", "scenarios/outsourcing.yaml"])
def test_model_files_state_their_economics_with_sources(name):
    from facility_opt.planning import load_planning_model
    from facility_opt.portfolio import Policy
    from facility_opt.portfolio.config import PortfolioConfig
    from facility_opt.resources import models_dir

    cfg = load_planning_model(models_dir() / name).portfolio
    cfg = cfg if isinstance(cfg, PortfolioConfig) else PortfolioConfig.model_validate(cfg)
    pol = Policy.model_validate({**cfg.policy, "earliest_change_year": cfg.earliest_change_year})
    nursery = cfg.service_overrides["nursery"]
    assert nursery.operating_yen_per_place_year == 1_670_000 and "operating_yen_per_place_year" in cfg.sources
    oc = pol.operator_change
    if name == "scenarios/outsourcing.yaml":
        assert oc.services["nursery"].commissioned_yen_per_place_year == 1_040_000 and "operator_change" in cfg.sources
        assert "assumption" in oc.services["nursery"].source and oc.max_total == 40
    else:
        assert oc is None  # no operator-change variables in the default model
    if name != "scenarios/land_choice.yaml":
        assert pol.disposal_options == ("sell",)
    else:
        assert pol.disposal_options == ("sell", "lease", "reuse", "hold")
        assert [n.id for n in pol.reuse_needs] == ["tokuyo", "disability"]
        assert all("assumption" in n.source for n in pol.reuse_needs)
