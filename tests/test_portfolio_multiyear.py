"""The multi-year mechanics on hand-solved cases (figures derived in ``portfolio_cases``): a move that
waits for its host's floor, a budget that delays a renewal, the nearest and district rules, and
service floors per year."""

from __future__ import annotations

import pytest

from facility_opt.portfolio import check_plan, optimise_portfolio
from facility_opt.portfolio.formulation.constants import FLOOR_TOL_M2, NEW_PLACEMENT_YEN
from facility_opt.renewal.schedule import Budget
from portfolio_cases import EXACT, school_and_hall, school_with_club, three_halls, two_nurseries, two_renovations

HALL_M2 = 180.0 - FLOOR_TOL_M2


def timeline(plan) -> set[tuple]:
    return {(r.site_id, r.service_id, r.from_year, r.to_year, r.capacity) for r in plan.timeline}


def site(plan, sid):
    return next(s for s in plan.sites if s.site_id == sid)


# -- (a) a move waits for its host's added floor ------------------------------------------------------
@pytest.mark.parametrize(
    ("policy", "works", "usable"),
    [
        # built 2021-2022 (first change year 2021 + 2 build years): the hall moves and H closes in 2023
        ({}, (2021, 2), 2023),
        # four years of construction: 2021-2024, usable 2025
        ({"build_years": 4}, (2021, 4), 2025),
        # periods of 3 years (2021, 2024, ...): ready 2023 is no period start, so built 2022-2023 for 2024
        ({"period_years": 3}, (2022, 2), 2024),
    ],
)
def test_a_move_waits_for_its_hosts_extension(policy, works, usable):
    """Without the extension premium the hall moves into an extension of the school as soon as it can be
    built: 2500e6 + 179.9 m² × (400,000 + 10,000 × years it runs) + H's 2.5e6 a year until it closes
    − 240e6 for H's land; the tie-break adds 1,000 yen for each year of the hall at S."""
    plan = optimise_portfolio(school_and_hall(extension_premium=0.0, **policy), EXACT)
    assert plan.valid
    (f,) = plan.floor
    assert (f.site_id, f.how, f.works_start, f.works_years, f.year) == ("S", "extension", *works, usable)
    assert f.added_m2 == pytest.approx(HALL_M2)
    assert site(plan, "H").closes == usable == works[0] + works[1]
    assert timeline(plan) == {
        ("H", "hall", 2019, usable - 1, 50.0),
        ("S", "hall", usable, 2048, 40.0),
        ("S", "school", 2019, 2048, 400.0),
    }
    # the hall's zone goes to H until the move, then to S
    assert {(a.site_id, a.from_year, a.to_year) for a in plan.assignments if a.service_id == "hall"} == {
        ("H", 2019, usable - 1),
        ("S", usable, 2048),
    }
    # H's rebuild (due 2033) is dropped at the closure, before it is due: no risk
    h = next(e for e in plan.events if e.site_id == "H")
    assert (h.status, h.closure_year, h.penalty_yen) == ("dropped", usable, 0)
    years_at_s = 2049 - usable
    expected = 2500e6 + HALL_M2 * (400_000 + 10_000 * years_at_s) + 2.5e6 * (usable - 2019) - 240e6
    assert plan.kpis.cost_after_yen == pytest.approx(expected, abs=1)  # 2388.734e6 for the default
    assert plan.solver.objective_yen == pytest.approx(expected + NEW_PLACEMENT_YEN * years_at_s, abs=1)
    # the extension is paid over its works years
    spend = {y.year: y.spend_yen for y in plan.years if y.service_id == "hall"}
    for y in range(works[0], works[0] + works[1]):
        assert spend[y] == pytest.approx(HALL_M2 * 400_000 / works[1], abs=1)


def test_nothing_moves_before_the_first_change_year():
    # with the first change in 2027, the earliest extension is ready in 2029 (2500e6 + 179.9 × (400,000 +
    # 10,000 × 20) + 10 y × 2.5e6 − 240e6 = 2392.94e6), cheaper than waiting for the rebuild (2395.744e6)
    plan = optimise_portfolio(school_and_hall(extension_premium=0.0, earliest_change_year=2027), EXACT)
    (f,) = plan.floor
    assert (f.works_start, f.year) == (2027, 2029)
    assert site(plan, "H").closes == 2029
    assert plan.kpis.cost_after_yen == pytest.approx(2500e6 + HALL_M2 * 600_000 + 25e6 - 240e6, abs=1)


# -- (b) the annual budget delays a renewal ------------------------------------------------------------
def test_without_a_budget_both_renovations_are_done_when_due():
    plan = optimise_portfolio(two_renovations(), EXACT)
    assert {(e.site_id, e.year, e.penalty_yen) for e in plan.events} == {("A", 2022, 0), ("B", 2022, 0)}
    assert plan.solver.objective_yen == pytest.approx(180e6, abs=1)
    assert {y.year: y.spend_yen for y in plan.years}[2022] == pytest.approx(180e6)


def test_a_budget_defers_the_cheaper_renovation_by_one_year():
    plan = optimise_portfolio(two_renovations(budget=Budget(cap_yen=100e6)), EXACT)
    assert plan.valid
    ev = {e.site_id: e for e in plan.events}
    assert (ev["A"].status, ev["A"].year, ev["A"].penalty_yen) == ("done", 2022, 0)
    # B one year late: 80e6 × (0.01 + 0.002 × 1) = 960,000 of deferral risk
    assert (ev["B"].status, ev["B"].year, ev["B"].penalty_yen) == ("done", 2023, 960_000)
    assert plan.solver.objective_yen == pytest.approx(180.96e6, abs=1)
    assert plan.kpis.cost_after_yen == pytest.approx(180.96e6, abs=1)
    assert plan.kpis.penalty_after_yen == pytest.approx(960_000, abs=1)
    spend = {y.year: (y.spend_yen, y.budget_yen) for y in plan.years}
    assert spend[2022] == (100e6, 100e6) and spend[2023] == (80e6, 100e6)
    assert all(s <= b for s, b in spend.values())
    # a budget below the dearer renovation leaves it nothing but deferral past the horizon (2034 in the
    # rules: 12 years late, 100e6 × (0.12 + 0.002 × 78) = 27.6e6 of risk)
    plan = optimise_portfolio(two_renovations(budget=Budget(cap_yen=90e6)), EXACT)
    ev = {e.site_id: e for e in plan.events}
    assert (ev["A"].status, ev["A"].penalty_yen) == ("deferred", 27_600_000)
    assert (ev["B"].status, ev["B"].year) == ("done", 2022)
    assert plan.kpis.deferred_after_yen == pytest.approx(100e6, abs=1)


def test_the_smallest_level_budget_separates_the_renovations():
    # windows of 1 year late: the level budget must let both be done by 2023; the least level is 100e6
    # (one renovation a year); at that level the cheapest plan is the one above
    plan = optimise_portfolio(
        two_renovations(min_level_budget=True, renewal={"windows": {"*": {"early_years": 3, "late_years": 1}}}), EXACT
    )
    assert plan.valid
    assert plan.kpis.level_budget_yen == pytest.approx(100e6, abs=1)
    assert {(e.site_id, e.year) for e in plan.events} == {("A", 2022), ("B", 2023)}
    assert plan.kpis.cost_after_yen == pytest.approx(180.96e6, abs=1)


# -- (c) the nearest rule changes the answer -----------------------------------------------------------
def test_the_nearest_rule_changes_which_hall_closes():
    alloc = optimise_portfolio(three_halls("allocated"), EXACT)
    near = optimise_portfolio(three_halls("nearest"), EXACT)
    assert alloc.valid and near.valid
    assert {s.site_id: s.open_after for s in alloc.sites} == {"A": True, "B": False, "C": True}
    assert {s.site_id: s.open_after for s in near.sites} == {"A": True, "B": True, "C": False}
    asg = lambda plan: {(a.zone_id, a.site_id, a.share) for a in plan.assignments}  # noqa: E731
    assert asg(alloc) == {("z1", "A", 1.0), ("z2", "C", 1.0)}  # z2 passes the full A (500 m) to C (700 m)
    assert asg(near) == {("z1", "A", 1.0), ("z2", "B", 1.0)}
    assert alloc.solver.objective_yen == pytest.approx(50e6, abs=1)
    assert near.solver.objective_yen == pytest.approx(60e6, abs=1)
    # the allocated plan breaks the nearest rule, which the check sees
    v = check_plan(alloc, three_halls("nearest"))
    assert any(x.startswith("nearest: zone z2") and "past the nearer open A" in x for x in v)


# -- (d) a club stays in its school --------------------------------------------------------------------
def test_an_allocated_club_leaves_the_school_for_the_hall():
    plan = optimise_portfolio(school_with_club("allocated", anchor_keeps=False), EXACT)
    assert plan.valid and not plan.floor
    cap = {(r.site_id, r.service_id, r.from_year): r.capacity for r in plan.timeline}
    # from 2025 the school takes the club's floor; the club's places are at the hall (S keeps at most
    # the sliver the 0.1 m² floor tolerance allows)
    assert cap["H", "club", 2025] == pytest.approx(40.0, abs=0.05)
    assert cap.get(("S", "club", 2025), 0.0) < 0.05
    assert cap["S", "school", 2025] == pytest.approx(420.0)
    served = {(a.site_id, a.from_year): a.share for a in plan.assignments if a.service_id == "club"}
    assert served["S", 2019] == 1.0 and served["H", 2025] > 0.998
    assert plan.kpis.cost_after_yen == pytest.approx(470e6, abs=1)
    assert plan.solver.objective_yen == pytest.approx(470e6 + 4 * NEW_PLACEMENT_YEN, abs=1)


def test_a_district_club_with_anchor_keeps_stays_and_the_school_grows():
    plan = optimise_portfolio(school_with_club("district", anchor_keeps=True), EXACT)
    assert plan.valid
    assert ("S", "club", 2019, 2028, 40.0) in timeline(plan)
    assert not any(r.site_id == "H" and r.service_id == "club" for r in plan.timeline)
    (f,) = plan.floor
    assert (f.site_id, f.how, f.works_start, f.year) == ("S", "extension", 2023, 2025)
    assert f.added_m2 == pytest.approx(200.0 - FLOOR_TOL_M2)
    expected = 470e6 + (200.0 - FLOOR_TOL_M2) * (400_000 + 10_000 * 4)  # 557.956e6
    assert plan.kpis.cost_after_yen == pytest.approx(expected, abs=1)
    assert plan.solver.objective_yen == pytest.approx(expected, abs=1e3)  # the solver's tolerances: ~100 yen
    # the allocated plan, checked against the district rules, moves the club out of its school
    alloc = optimise_portfolio(school_with_club("allocated", anchor_keeps=False), EXACT)
    v = check_plan(alloc, school_with_club("district", anchor_keeps=True))
    assert any(x.startswith("district: zone z is served club at H, outside its district") for x in v)


# -- (e) service floors per year -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("floor", "b_to", "cost"),
    [
        (None, None, -70e6),  # close B in 2019
        (120.0, 2028, 60e6),  # today's 120 places every year: keep both
        ({2019: 120.0, 2025: 0.0}, 2024, -52e6),  # the floor ends in 2025: B closes then
    ],
)
def test_min_capacity_keeps_places_while_the_floor_holds(floor, b_to, cost):
    p = two_nurseries(**({} if floor is None else {"min_capacity": {"nursery": floor}}))
    plan = optimise_portfolio(p, EXACT)
    assert plan.valid
    b = [r for r in plan.timeline if r.site_id == "B"]
    assert [(r.from_year, r.to_year, r.capacity) for r in b] == ([] if b_to is None else [(2019, b_to, 60.0)])
    assert ("A", "nursery", 2019, 2028, 60.0) in timeline(plan)
    assert not plan.floor
    assert plan.solver.objective_yen == pytest.approx(cost, abs=1)
    for y in plan.years:
        assert y.capacity >= y.min_capacity and y.capacity >= y.demand
        assert y.min_capacity == (0.0 if floor is None else 120.0 if isinstance(floor, float) or y.year < 2025 else 0.0)


# -- (f) the lead years: nothing taken away before its replacement can exist -------------------------
def test_a_dear_hall_stays_until_its_replacement_is_ready():
    """H costs 2.5e9 a year to run (5e6 ¥/m²).  Closing it at the first change (2021) rather than when
    the school's extension is ready (2023) saves 5e9: the cheapest way is to squeeze the hall (40
    places × 4.5 m² = 180 m², less the 0.1 m² floor tolerance) into the school's existing floor,
    pushing 179.9 / 12.5 = 14.39 of its 400 pupils out (3.598 % of z's 800 residents, 28.8) in
    2021-2022, for an uncovered price far below 5e9.  The lead-year rule (before new floor can be
    ready, no service worse covered than if everything were kept) keeps H open until 2023; without
    it the solver takes the squeeze, and the independent check says why not."""
    from facility_opt.portfolio.assemble import assemble_plan
    from facility_opt.portfolio.model import build_model
    from facility_opt.portfolio.optimise import solve_baseline

    p = school_and_hall(extension_premium=0.0)
    sites = p.sites.copy()
    sites.loc[sites["site_id"] == "H", "operating_yen_per_m2_year"] = 5e6
    p = p.replace(sites=sites)
    plan = optimise_portfolio(p, EXACT)
    assert plan.valid
    assert site(plan, "H").closes == 2023
    assert not [u for u in plan.uncovered if u.share > 0]
    assert ("S", "school", 2019, 2048, 400.0) in timeline(plan)

    base = solve_baseline(p, EXACT.solver)
    model = build_model(p)  # the same MILP without the lead rows
    loose = assemble_plan(p, model.polish(model.solve(EXACT.solver), EXACT.solver), base)
    assert site(loose, "H").closes == 2021
    assert ("S", "school", 2021, 2022, 385.609) in timeline(loose)
    assert [v for v in check_plan(loose, p) if v.startswith("lead years")] == [
        f"lead years: 28.8 residents have no school within the standard in {y}, more than the 0.0 if everything "
        "were kept (no new floor before 2023)"
        for y in (2021, 2022)
    ]


# -- (g) the keep-and-add start (large wards) -----------------------------------------------------------
@pytest.mark.parametrize(
    "case",
    [
        lambda: school_and_hall(extension_premium=0.0),
        lambda: three_halls("nearest"),
        lambda: school_with_club("district", anchor_keeps=True),
    ],
)
def test_the_keep_and_add_start_is_a_plan_and_leaves_the_optimum_unchanged(case):
    """The start keeps every site with its services and adds what is missing; starting from it, the
    exact solve reaches the same optimum as without it."""
    from dataclasses import replace

    from facility_opt.portfolio.model import build_model

    p = case()
    model = build_model(p)
    start = model.keep_and_add(EXACT.solver, 30.0)
    assert start is not None
    assert start.open.loc[start.open["site_id"].isin(p.existing["site_id"]), "open"].all()
    kept = start.placements.merge(p.placements[["site_id", "service_id"]], on=["site_id", "service_id"])
    assert (kept["place"] > 0.5).all()
    plain = optimise_portfolio(p, EXACT)
    repaired = optimise_portfolio(p, replace(EXACT, repair_seconds=30.0))
    assert repaired.valid
    assert repaired.solver.objective_yen == pytest.approx(plain.solver.objective_yen, abs=1e3)
