"""Renewal scheduling: hand-checked cases, caps re-checked from the output, properties, infeasibility."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facility_opt.errors import InfeasibleError, ModelConfigError
from facility_opt.renewal import stock_buildings
from facility_opt.renewal.schedule import (
    Bonds,
    Fund,
    Penalties,
    Preventive,
    ScheduleParams,
    Window,
    check_schedule,
    default_schedule_params,
    schedule_renewals,
)
from facility_opt.solver import SolverOptions

EXACT = SolverOptions(gap_rel=0.0, gap_abs=1e-9)
# school 1,000 m² built 1960: rebuild due 2020 (60 years), 33万円/m² = 3.3億, 1.1億 a year for 3 years
REB = 3.3e8
# only a linear risk of 1 % of the cost per year late; nothing else, no early work
SIMPLE = ScheduleParams(
    windows={"*": Window(early_years=0, late_years=10)},
    penalties=Penalties(
        risk_linear=0.01,
        risk_quadratic=0.0,
        deferred_rebuild_maintenance_yen_per_m2=0.0,
        early_share_per_year=0.0,
        defer_tail_years=0,
    ),
)


def fac(rows):
    return pd.DataFrame(rows, columns=["facility_id", "category", "floor_area_m2", "year_built"])


def years_of(r):
    b = r.buildings
    return dict(zip(b["building_id"] + ":" + b["event"], b["scheduled_year"].astype(object)))


def run(f, **kw):
    kw.setdefault("params", SIMPLE)
    kw.setdefault("options", EXACT)
    kw.setdefault("start_year", 2018)
    kw.setdefault("horizon_years", 10)
    return schedule_renewals(f, **kw)


def test_two_buildings_due_the_same_year_under_a_cap_for_one():
    f = fac([("A", "primary_school", 1000.0, 1960), ("B", "primary_school", 1000.0, 1960)])
    for group in (True, False):
        r = run(f, budget=1.1e8, params=SIMPLE.model_copy(update={"group_identical": group}))
        assert years_of(r) == {"A:rebuild": 2020, "B:rebuild": 2023}
        assert r.summary["capital_yen"] == pytest.approx(2 * REB)
        assert r.summary["penalty_yen"] == pytest.approx(REB * 0.01 * 3)  # B is 3 years late
        assert r.summary["cohorts"] == (1 if group else 2)
        assert r.buildings.set_index("building_id").loc["B", "reason"] == "delayed 3 years to stay within the budget"
        assert check_schedule(r) == []
        assert list(r.years["charged_yen"]) == pytest.approx([0, 0] + [1.1e8] * 6 + [0, 0])
    # the unlevelled projection has both in 2020-22
    assert list(r.years["unlevelled_yen"][2:5]) == pytest.approx([2.2e8] * 3)


def test_info_in_yen_and_the_summary_file_in_the_solvers_scale(tmp_path):
    import json

    from facility_opt.renewal.schedule import RenewalScheduler

    # as above: A on time, B 3 years late -> 6.6億 capital + 3.3億 × 1 % × 3 risk = 669,900,000 yen,
    # plus the tie-break (1e-6 億 × (2 + 5) / 10 = 70 yen) the solver minimises with it
    f = fac([("A", "primary_school", 1000.0, 1960), ("B", "primary_school", 1000.0, 1960)])
    r = RenewalScheduler(start_year=2018, horizon_years=10, budget=1.1e8, params=SIMPLE, options=EXACT).solve(f)
    assert r.info.objective == pytest.approx(669_900_070.0, rel=1e-9)
    assert r.to_dict()["solver"]["objective"] == pytest.approx(669_900_070.0, rel=1e-9)
    # the file keeps its solver section as it always was (億円), so outputs stay byte-identical
    written = json.loads(r.to_files(tmp_path)["summary"].read_text(encoding="utf-8"))
    assert written["solver"]["objective"] == pytest.approx(6.6990007, rel=1e-9)
    assert written["total_cost_yen"] == 669_900_000.0


def test_hard_limit_forces_the_year():
    # B (other, 2,000 m², 36万円/m² = 7.2億, 2.4億/yr) is dearer to delay; the cap fits one rebuild at a time
    f = fac([("A", "primary_school", 1000.0, 1960), ("B", "other", 2000.0, 1960)])
    r = run(f, budget=2.4e8)
    assert years_of(r) == {"A:rebuild": 2023, "B:rebuild": 2020}
    assert r.summary["penalty_yen"] == pytest.approx(REB * 0.03)
    hard = SIMPLE.model_copy(
        update={
            "windows": {
                "*": Window(early_years=0, late_years=10),
                "primary_school": Window(early_years=0, late_years=10, hard_limit_years=2),
            }
        }
    )
    r = run(f, budget=2.4e8, params=hard)
    assert years_of(r) == {"A:rebuild": 2020, "B:rebuild": 2023}
    assert r.summary["penalty_yen"] == pytest.approx(7.2e8 * 0.03)
    assert int(r.buildings.set_index("building_id").loc["A", "hard_limit_year"]) == 2022
    assert check_schedule(r) == []


def test_co_location_tie_moves_the_guest_with_the_host():
    # host school due 2020; guest children's hall built 1975 (rebuild due 2035, after the horizon)
    f = fac([("H", "primary_school", 1000.0, 1960), ("G", "childrens_hall", 500.0, 1975)])
    free = run(f, budget=10e8, horizon_years=15)
    assert years_of(free) == {"H:rebuild": 2020, "G:renovation": 2018}  # G: renovation backlog, no rebuild
    r = run(f, budget=10e8, horizon_years=15, ties={"G": "H"})
    y = years_of(r)
    assert y["G:rebuild"] == y["H:rebuild"] == 2020
    g = r.buildings.set_index(["building_id", "event"]).loc[("G", "rebuild")]
    assert g["host"] == "H" and "moves into H" in g["reason"] and g["delay_years"] == 2020 - 2035
    assert check_schedule(r) == []
    # a cap that only fits the guest's renovation before 2021 delays the host, and the guest with it
    r = run(f, budget=1.7e8, horizon_years=15, ties={"G": "H"})
    y = years_of(r)
    assert y["G:rebuild"] == y["H:rebuild"] and check_schedule(r) == []


def test_infeasible_cap_names_the_year_and_the_building():
    hard = SIMPLE.model_copy(
        update={
            "windows": {
                "*": Window(early_years=0, late_years=10),
                "primary_school": Window(early_years=0, late_years=10, hard_limit_years=2),
            }
        }
    )
    f = fac([("A", "primary_school", 1000.0, 1960), ("C", "other", 100.0, 1990)])
    with pytest.raises(InfeasibleError) as exc:
        run(f, budget=0.5e8, params=hard)
    msg = str(exc.value)
    # A must start by 2022, so whatever its year it is charged 1.1億 in 2022, over the 0.5億 cap
    assert (
        "in 2022 they need at least 1.10 oku-yen but the cap allows 0.50" in msg
        and "A (primary_school): rebuild due 2020, hard limit 2022" in msg
    )
    assert "C (" not in msg


def test_infeasible_past_the_precheck_is_diagnosed_by_the_elastic_money_rows():
    # three schools due 2020 (3 × 1.1億 a year), each must start by 2024 (hard limit 4), cap 1.5億:
    # the pre-check passes (each year alone, each school may be charged nothing; by 2026 they need
    # 9.9 ≤ 9 × 1.5), but two rebuilds in one year cost 2.2 > 1.5, and nine rebuild-years in
    # 2020-2026 overlap in at least two years: the elastic re-solve's least shortfall is 2 × 0.7.
    # Its cheapest such schedule (least lateness, 1 + 3 years) is A 2020, B 2021, C 2023: short in 2021-22.
    hard = SIMPLE.model_copy(
        update={
            "group_identical": False,
            "windows": {
                "*": Window(early_years=0, late_years=10),
                "primary_school": Window(early_years=0, late_years=10, hard_limit_years=4),
            },
        }
    )
    f = fac([(b, "primary_school", 1000.0, 1960) for b in "ABC"])
    with pytest.raises(InfeasibleError) as exc:
        run(f, budget=1.5e8, params=hard)
    work = "hard-limited work there: A rebuild (limit 2024, 1.1), B rebuild (limit 2024, 1.1)"
    assert exc.value.reasons == [f"2021: short by 0.7 oku-yen; {work}", f"2022: short by 0.7 oku-yen; {work}"]


def test_fund_carries_unspent_cap():
    f = fac([("A", "other", 1000.0, 1960)])  # rebuild 3.6億 due 2020, 1.2億 a year
    no_fund = run(f, budget=0.8e8)
    assert no_fund.buildings["deferred"].all()
    p = SIMPLE.model_copy(update={"fund": Fund(initial_yen=1e8, min_balance_yen=0.0)})
    r = run(f, budget=0.8e8, params=p)
    assert years_of(r) == {"A:rebuild": 2020}
    assert list(r.years["fund_balance_yen"][:6]) == pytest.approx([1.8e8, 2.6e8, 2.2e8, 1.8e8, 1.4e8, 2.2e8])
    assert check_schedule(r) == []


def test_bonds_spread_rebuild_cost_over_repayments():
    f = fac([("A", "primary_school", 1000.0, 1960)])
    p = SIMPLE.model_copy(update={"bonds": Bonds(share=1.0, years=10, interest_rate=0.0)})
    r = run(f, budget=1e9, params=p)
    y = r.years.set_index("year")
    assert list(y.loc[2020:2023, "charged_yen"]) == pytest.approx([0, 0.11e8, 0.22e8, 0.33e8])
    assert list(y.loc[2020:2022, "bond_proceeds_yen"]) == pytest.approx([1.1e8] * 3)
    assert r.summary["bond_interest_yen"] == 0


def test_preventive_maintenance_moves_the_rebuild_when_the_cap_is_short():
    f = fac([("A", "other", 1000.0, 1966)])  # rebuild due 2026, 3.6億
    # cannot rebuild: deferring costs 2 late years in the horizon, 3.6億 × 1 % × 2 = 7.2百万円;
    # preventive maintenance 1,000 m² × 500 yen × 10 years = 5百万円 and moves the due year to 2046
    p = SIMPLE.model_copy(update={"preventive": Preventive(extension_years=20, yen_per_m2_year=500.0)})
    r = run(f, budget=0.1e8, params=p)
    b = r.buildings.iloc[0]
    assert bool(b["preventive"]) and b["due_year"] == 2046 and bool(b["deferred"])
    assert r.summary["preventive_yen"] == pytest.approx(5e6)
    assert r.summary["penalty_yen"] == 0  # no longer overdue within the horizon
    assert list(r.years["charged_yen"]) == pytest.approx([5e5] * 10)
    dear = SIMPLE.model_copy(update={"preventive": Preventive(extension_years=20, yen_per_m2_year=800.0)})
    assert not run(f, budget=0.1e8, params=dear).buildings["preventive"].any()  # 8百万 > 7.2百万


def test_min_budget_is_the_smallest_level():
    f = fac([("A", "primary_school", 1000.0, 1960), ("B", "primary_school", 1000.0, 1960)])
    # within windows of 10 years both fit one after the other at 1.1億/yr; less would push B past 2030
    r = run(f, min_budget=True, horizon_years=15)
    assert r.summary["level_budget_yen"] == pytest.approx(1.1e8)
    assert years_of(r) == {"A:rebuild": 2020, "B:rebuild": 2023}
    # both must start in 2020-22 and take 3 years: they overlap at least one year, so 2.2億
    tight = SIMPLE.model_copy(update={"windows": {"*": Window(early_years=0, late_years=2)}})
    r = run(f, min_budget=True, params=tight)
    assert r.summary["level_budget_yen"] == pytest.approx(2.2e8, rel=1e-6)
    assert check_schedule(r) == []


def test_errors_and_default_params():
    f = fac([("A", "primary_school", 1000.0, 1960)])
    with pytest.raises(ModelConfigError):
        run(f)
    p = default_schedule_params()
    assert p.window("primary_school").hard_limit_years == 10 and p.window("library").hard_limit_years is None


def test_outputs_are_deterministic(tmp_path):
    f = fac([("A", "primary_school", 1000.0, 1960), ("B", "other", 800.0, 1975), ("C", "nursery", 400.0, 1985)])
    a = run(f, budget=1.5e8, params=default_schedule_params()).to_files(tmp_path / "a")
    b = run(f, budget=1.5e8, params=default_schedule_params()).to_files(tmp_path / "b")
    for k in a:
        assert a[k].read_bytes() == b[k].read_bytes()


def test_stock_cohorts_match_single_buildings():
    stock = pd.DataFrame({"stock_type": ["図書館"], "category": ["library"], "count": [6], "floor_area_m2": [6000.0]})
    prof = pd.DataFrame({"from_year": [1960], "to_year": [1961], "share": [1.0]})
    b = stock_buildings(stock, prof)
    assert b["year_built"].tolist() == [1960] * 3 + [1961] * 3 and b["floor_area_m2"].sum() == 6000
    kw = dict(budget=2e8, start_year=2016, horizon_years=20, params=default_schedule_params(), options=EXACT)
    g = schedule_renewals(b, **kw)
    s = schedule_renewals(b, **{**kw, "params": kw["params"].model_copy(update={"group_identical": False})})
    assert (g.summary["cohorts"], s.summary["cohorts"]) == (2, 6)
    assert g.summary["total_cost_yen"] == pytest.approx(s.summary["total_cost_yen"], rel=1e-9)
    # same years (which of two identical buildings goes first is a tie; cohorts give it to the lower id)
    assert sorted(g.buildings["scheduled_year"].dropna()) == sorted(s.buildings["scheduled_year"].dropna())
    assert g.buildings["scheduled_year"].tolist() == [2017, 2020, 2023, 2026, 2029, 2032]
    assert check_schedule(g) == [] and check_schedule(s) == []


# ---------------------------------------------------------------------------------------------- properties
buildings = st.lists(
    st.tuples(
        st.sampled_from(["primary_school", "other", "nursery", "library"]),
        st.sampled_from([500.0, 1000.0, 1500.0]),
        st.integers(1955, 1995),
    ),
    min_size=2,
    max_size=5,
)
OPEN = default_schedule_params().model_copy(update={"windows": {"*": Window(early_years=2, late_years=8)}})


def _f(rows):
    return fac([(f"F{i}", c, a, y) for i, (c, a, y) in enumerate(rows)])


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(buildings, st.floats(0.3e8, 3e8), st.floats(1.0, 2.0))
def test_raising_the_cap_never_raises_the_cost_and_caps_hold(rows, cap, factor):
    f = _f(rows)
    lo = run(f, budget=cap, params=OPEN, start_year=2016, horizon_years=12)
    hi = run(f, budget=cap * factor, params=OPEN, start_year=2016, horizon_years=12)
    assert hi.summary["total_cost_yen"] <= lo.summary["total_cost_yen"] + 1.0
    for r, c in ((lo, cap), (hi, cap * factor)):
        assert check_schedule(r) == []
        # re-check the caps from the building table alone
        spend = {}
        for b in r.buildings[~r.buildings["deferred"]].itertuples():
            for k in range(b.spread_years):
                spend[b.scheduled_year + k] = spend.get(b.scheduled_year + k, 0.0) + b.cost_yen / b.spread_years
        assert all(v <= c + 1.0 for y, v in spend.items() if y <= 2027)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(buildings, st.floats(0.5e8, 3e8))
def test_a_tie_always_holds(rows, cap):
    f = _f(rows)
    r = run(f, budget=cap, params=OPEN, start_year=2016, horizon_years=12, ties={"F1": "F0"})
    b = r.buildings[r.buildings["event"] == "rebuild"].set_index("building_id")
    g, h = b.loc["F1"], b.loc["F0"]
    assert bool(g["deferred"]) == bool(h["deferred"])
    if not g["deferred"]:
        assert g["scheduled_year"] == h["scheduled_year"]
    assert check_schedule(r) == []


def test_cli_exit_codes_and_files(tiny_ward_dir, tmp_path):
    from typer.testing import CliRunner

    from facility_opt.cli import app

    runner = CliRunner()
    out = tmp_path / "out"
    ok = runner.invoke(app, ["schedule", "--ward", str(tiny_ward_dir), "--cap", "7e8", "--out", str(out), "--json"])
    assert ok.exit_code == 0, ok.output
    assert {p.name for p in out.iterdir()} == {
        "schedule_buildings.csv",
        "schedule_years.csv",
        "schedule_summary.json",
        "schedule.png",
    }
    b = pd.read_csv(out / "schedule_buildings.csv")
    assert sorted(b["building_id"].unique()) == ["F1", "F2"]  # F3 shares F2's building
    assert runner.invoke(app, ["schedule", "--ward", str(tiny_ward_dir), "--out", str(out)]).exit_code == 1
    bad = runner.invoke(app, ["schedule", "--ward", str(tiny_ward_dir), "--cap", "0", "--out", str(out)])
    assert bad.exit_code == 2 and "F1" in bad.output


def test_plan_buildings_schedules_what_a_plan_keeps(tiny_model, tmp_path):
    from facility_opt.loading import read_ward
    from facility_opt.pipeline import run_model
    from facility_opt.renewal.schedule import plan_buildings

    result = run_model(tiny_model, tmp_path / "run")
    sites = result.plan.frame("sites")
    kept = sites[(sites["kind"] == "existing") & sites["open_after"]]
    b = plan_buildings(result.plan, read_ward(result.model.data_dir()))
    assert list(b["facility_id"]) == sorted(kept["site_id"])
    assert (
        b.set_index("facility_id")["floor_area_m2"].to_dict() == kept.set_index("site_id")["floor_after_m2"].to_dict()
    )
    # F1 (the school, 1968) is its own site; its year comes from the ward
    assert b.set_index("facility_id").loc["F1", "year_built"] == 1968
    r = schedule_renewals(b, start_year=2019, horizon_years=30, min_budget=True)
    assert check_schedule(r) == []
    assert set(r.buildings["building_id"]) == set(b["building_id"])


def test_schedule_plan_reports_the_plans_own_renewal_years(tiny_model, tmp_path):
    """`schedule --plan` reports the years the portfolio model chose (plan.events), not a new schedule:
    the two agree event by event, and the spend per year is the plan's renewal by year."""
    import json

    from typer.testing import CliRunner

    from facility_opt.cli import app
    from facility_opt.pipeline import run_model
    from facility_opt.renewal.schedule import plan_schedule

    result = run_model(tiny_model, tmp_path / "run")
    plan = result.plan
    r = plan_schedule(plan)
    b = r.buildings.set_index(["building_id", "event", "due_year"])
    for e in plan.events:
        row = b.loc[(e.site_id, e.kind, e.due_year)]
        assert row["status"] == e.status
        assert (None if pd.isna(row["scheduled_year"]) else int(row["scheduled_year"])) == e.year
        assert (None if pd.isna(row["end_year"]) else int(row["end_year"])) == e.end_year
        assert row["penalty_yen"] == e.penalty_yen
    assert len(r.buildings) == len(plan.events)
    # renewal spend per year = the plan's renewal cost by year (cost_by_year.csv)
    cby = pd.read_csv(tmp_path / "run" / "cost_by_year.csv")
    assert np.allclose(r.years["spend_yen"], cby["renewal_after_yen"], atol=1.0)
    assert np.allclose(r.years["unlevelled_yen"], cby["renewal_before_yen"], atol=1.0)
    assert r.years["charged_yen"].tolist() == plan.frame("years").groupby("year")["spend_yen"].first().tolist()

    runner = CliRunner()
    out = tmp_path / "sched"
    ok = runner.invoke(app, ["schedule", "--plan", str(tmp_path / "run"), "--out", str(out), "--json"])
    assert ok.exit_code == 0, ok.output
    assert {p.name for p in out.iterdir()} == {
        "schedule_buildings.csv",
        "schedule_years.csv",
        "schedule_summary.json",
        "schedule.png",
    }
    f = pd.read_csv(out / "schedule_buildings.csv", dtype={"scheduled_year": "Int64"})
    ev = plan.frame("events").sort_values(["site_id", "due_year", "kind"], kind="mergesort")
    assert f["building_id"].tolist() == ev["site_id"].tolist()
    assert f["scheduled_year"].tolist() == ev["year"].astype("Int64").tolist()
    s = json.loads((out / "schedule_summary.json").read_text())
    assert s["mode"] == "plan" and s["events"] == len(plan.events)
    assert s["events_done"] == sum(e.status == "done" for e in plan.events)
    # a budget given with --plan is refused: the plan was scheduled under the model's own budget
    bad = runner.invoke(app, ["schedule", "--plan", str(tmp_path / "run"), "--cap", "7e8", "--out", str(out)])
    assert bad.exit_code == 1 and "--plan" in bad.output
