"""Sweeps and alternatives on hand-solvable problems: variant generation, caching and resume, aggregation
with known answers, serial vs Dask byte-identical summaries, a worker killed mid-sweep, alternatives."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import pointbiserialr

from facility_opt.errors import ModelConfigError
from facility_opt.robust import SweepSpec, alternatives, apply_variant, generate_variants, sweep, unstable_since
from facility_opt.robust.aggregate import SUMMARY_FILES
from facility_opt.robust.spec import Variant
from portfolio_cases import EXACT, two_halls
from sweep_cases import (
    FLOOR_HIGH,
    FLOOR_LOW,
    SPEC,
    dying_runner,
    failing_runner,
    halls_with_imputed_floor,
    recording_runner,
)

SEED = 10
FLOOR = "imputed.floor_area_m2.hall"


def _expected(n: int, seed: int = SEED):
    """Per variant: (keeps A, cost) by hand (sweep_cases.halls_with_imputed_floor), with the scaled inputs
    rounded as apply_variant rounds them (floor to 0.1 m², yen to the yen)."""
    vs = generate_variants(SweepSpec.parse(SPEC), n, seed)
    x = np.array([v.factors[FLOOR] for v in vs])
    land = np.array([v.factors["land_prices"] for v in vs])
    keep_a = np.round(100e6 * x) + np.round(500 * x, 1) * 10_000 * 30  # A's renovation + running, ≈ 250e6·x
    keeps_a = keep_a < 350e6
    cost = np.where(keeps_a, keep_a, 350e6) - 600 * np.round(500_000 * land)
    return vs, x, land, keeps_a, cost


# ------------------------------------------------------------------ variants
def test_variants_are_deterministic_and_independent_of_n():
    spec = SweepSpec.parse({**SPEC, "grid": {"policy": {"sharing_saving": [0.05, 0.1, 0.15]}}})
    a, b = generate_variants(spec, 4, 11), generate_variants(spec, 40, 11)
    assert a == b[:4]
    assert a == generate_variants(spec, 4, 11)
    assert a[0].factors != generate_variants(spec, 4, 12)[0].factors
    # grid point i mod 3, every point equally often for n a multiple of 3
    assert [v.policy["sharing_saving"] for v in b[:6]] == [0.05, 0.1, 0.15, 0.05, 0.1, 0.15]
    x = np.array([v.factors[FLOOR] for v in b])
    assert ((x >= FLOOR_LOW) & (x <= FLOOR_HIGH)).all() and len(set(x)) == 40


def test_variant_factor_is_the_documented_stream():
    """Variant i draws from default_rng([seed, i]) in sorted input order (imputed... before land_prices)."""
    v = generate_variants(SweepSpec.parse(SPEC), 3, SEED)[2]
    rng = np.random.default_rng([SEED, 2])
    assert v.factors[FLOOR] == round(rng.uniform(FLOOR_LOW, FLOOR_HIGH), 6)
    assert v.factors["land_prices"] == round(rng.uniform(0.9, 1.1), 6)


def test_bad_sweep_sections_name_the_key():
    with pytest.raises(ModelConfigError, match=r"sweep.*inputs.*unknown \['rent'\]"):
        SweepSpec.parse({"inputs": {"rent": {"dist": "uniform", "low": 1, "high": 2}}}, "m.yaml")
    with pytest.raises(ModelConfigError, match=r"m.yaml: sweep.inputs.demand.*triangular needs mode"):
        SweepSpec.parse({"inputs": {"demand": {"dist": "triangular", "low": 0.9, "high": 1.1}}}, "m.yaml")
    with pytest.raises(ModelConfigError, match="unknown policy fields"):
        SweepSpec.parse({"grid": {"policy": {"sharing_savings": [0.1]}}})
    # null switches an inherited input off
    assert SweepSpec.parse({"inputs": {"budget": None}}).inputs == {}


def test_apply_variant_scales_the_named_columns():
    p = two_halls(budget={"cap_yen": 5e8})
    p = p.replace(sites=p.sites.assign(imputed_fields=["A.floor_area_m2", ""]))
    v = Variant(
        0,
        {"unit_costs": 1.1, "budget": 0.5, "imputed.floor_area_m2.hall": 2.0, "operating_costs": 0.5},
        policy={"sharing_saving": 0.2},
    )
    q = apply_variant(p, v)
    s = q.sites.set_index("site_id")
    assert s.loc["A", "floor_area_m2"] == 1000.0 and s.loc["B", "floor_area_m2"] == 500.0
    assert s.loc["A", "build_yen_per_m2"] == pytest.approx(440_000.0)
    assert s.loc["B", "operating_yen_per_m2_year"] == pytest.approx(5_000.0)
    ev = q.events.set_index("site_id")["cost_yen"]
    assert ev["A"] == pytest.approx(100e6 * 1.1 * 2.0) and ev["B"] == pytest.approx(200e6 * 1.1)
    assert q.policy.budget.cap_yen == pytest.approx(2.5e8) and q.policy.sharing_saving == 0.2
    with pytest.raises(ModelConfigError, match="no budget to vary"):
        apply_variant(two_halls(), Variant(0, {"budget": 0.9}))


# ------------------------------------------------------------------ aggregation, caching, resume
def test_sweep_aggregates_to_the_hand_computed_answers(tmp_path):
    n = 10
    vs, x, land, keeps_a, cost = _expected(n)
    assert 0.2 < keeps_a.mean() < 0.8  # the seed gives an unstable decision (precondition of the test)
    res = sweep(halls_with_imputed_floor(), n=n, seed=SEED, spec=SPEC, serial=True, out=tmp_path)
    assert res.computed == n and res.cached == 0
    got = np.array([r["kpis"]["cost_after_yen"] for r in res.results])
    np.testing.assert_allclose(got, cost, atol=2.0)
    d = res.summary.decisions.set_index(["facility_id", "decision"])
    share = round(keeps_a.mean(), 6)
    assert d.loc[("A", "keep"), "share"] == share and d.loc[("B", "close"), "share"] == share
    assert d.loc[("A", "close"), "share"] == round(1 - share, 6)
    assert d.loc[("A", "close"), "years"] == f"2019:{(~keeps_a).sum()}"
    assert set(d["stability"]) == {"unstable"} and res.summary.robust_core.empty
    dist = res.summary.distributions.set_index("metric")
    for q, col in ((10, "p10"), (50, "p50"), (90, "p90")):
        assert dist.loc["cost_after_yen", col] == pytest.approx(np.percentile(cost, q), abs=2.0)
    # what flips "keep A": the floor factor first (A is kept when it is low), then the land factor
    f = res.summary.flips
    fa = f[(f["facility_id"] == "A") & (f["decision"] == "keep")].set_index("rank")
    assert fa.loc[1, "input"] == FLOOR and fa.loc[1, "taken_when"] == "lower"
    assert fa.loc[1, "correlation"] == pytest.approx(pointbiserialr(keeps_a, x).statistic, abs=1e-6)
    assert fa.loc[2, "input"] == "land_prices"
    assert all((tmp_path / name).is_file() for name in SUMMARY_FILES)
    assert "Unstable decisions (4)" in (tmp_path / "sweep.html").read_text()


def test_second_run_computes_nothing_and_an_interrupted_sweep_only_the_rest(tmp_path):
    p, calls = halls_with_imputed_floor(), tmp_path / "calls"
    calls.mkdir()
    with pytest.raises(RuntimeError, match="interrupted at variant 3"):
        sweep(
            p,
            n=6,
            seed=SEED,
            spec=SPEC,
            serial=True,
            out=tmp_path / "s",
            runner=functools.partial(failing_runner, stop_at=3, log_dir=str(calls)),
        )
    assert len(list((tmp_path / "s" / "cache").glob("*.json"))) == 3
    run = functools.partial(recording_runner, log_dir=str(calls))
    res = sweep(p, n=6, seed=SEED, spec=SPEC, serial=True, out=tmp_path / "s", runner=run)
    assert (res.computed, res.cached) == (3, 3)
    assert sorted(int(c.name.split("-")[0]) for c in calls.iterdir()) == [0, 1, 2, 3, 4, 5]  # each solved once
    first = (tmp_path / "s" / "summary.json").read_bytes()
    again = sweep(p, n=6, seed=SEED, spec=SPEC, serial=True, out=tmp_path / "s", runner=run)
    assert (again.computed, again.cached) == (0, 6) and len(list(calls.iterdir())) == 6
    assert (tmp_path / "s" / "summary.json").read_bytes() == first
    # a changed input is a new key: the variants are solved again
    changed = p.replace(sites=p.sites.assign(operating_yen_per_m2_year=[10_000.0, 11_000.0]))
    assert sweep(changed, n=2, seed=SEED, spec=SPEC, serial=True, out=tmp_path / "s", runner=run).computed == 2


def test_unstable_since_lists_decisions_that_lost_their_stability(tmp_path):
    p = halls_with_imputed_floor()
    stable = {**SPEC, "imputed": {"floor_area_m2": {"hall": {"dist": "uniform", "low": 1.0, "high": 1.2}}}}
    sweep(p, n=4, seed=SEED, spec=stable, serial=True, out=tmp_path / "night1")
    sweep(p, n=4, seed=SEED, spec=SPEC, serial=True, out=tmp_path / "night2")
    u = unstable_since(tmp_path / "night1", tmp_path / "night2")
    assert list(zip(u["facility_id"], u["decision"], u["stability_before"])) == [
        ("A", "close", "rare"),
        ("A", "keep", "robust"),
        ("B", "close", "robust"),
        ("B", "keep", "rare"),
    ]
    assert (u.loc[u["decision"] == "keep", "share_before"].tolist()) == [1.0, 0.0]


# ------------------------------------------------------------------ Dask
def _summaries(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in SUMMARY_FILES}


def test_serial_and_local_cluster_write_byte_identical_summaries(tmp_path):
    p = halls_with_imputed_floor()
    serial = sweep(p, n=6, seed=SEED, spec=SPEC, serial=True, out=tmp_path / "serial")
    par = sweep(p, n=6, seed=SEED, spec=SPEC, n_workers=2, out=tmp_path / "dask")
    assert par.computed == 6 and serial.computed == 6
    assert _summaries(tmp_path / "serial") == _summaries(tmp_path / "dask")


def test_a_worker_killed_mid_sweep_loses_no_variant_and_counts_none_twice(tmp_path):
    from distributed import Client, LocalCluster

    calls = tmp_path / "calls"
    calls.mkdir()
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        pids = set(client.run(os.getpid).values())
        res = sweep(
            halls_with_imputed_floor(),
            n=6,
            seed=SEED,
            spec=SPEC,
            client=client,
            out=tmp_path / "s",
            runner=functools.partial(dying_runner, log_dir=str(calls), victim=1),
        )
        client.wait_for_workers(2)
        pids_after = set(client.run(os.getpid).values())
    assert (calls / "killed-1").exists() and pids_after != pids  # a worker died and was replaced
    solved = sorted(int(c.name.split("-")[0]) for c in calls.iterdir() if c.name[0].isdigit())
    assert solved == [0, 1, 2, 3, 4, 5]  # every variant solved exactly once, the victim on its retry
    assert [v.index for v in res.variants] == list(range(6)) and res.summary.counts["ok"] == 6
    assert len(list((tmp_path / "s" / "cache").glob("*.json"))) == 6
    reference = sweep(halls_with_imputed_floor(), n=6, seed=SEED, spec=SPEC, serial=True, out=tmp_path / "ref")
    assert reference.computed == 6
    assert _summaries(tmp_path / "s") == _summaries(tmp_path / "ref")


# ------------------------------------------------------------------ alternatives
def test_alternatives_on_two_halls_match_the_hand_solution():
    """Best: keep A, close B in 2019: −50e6.  Second: keep B (200e6 renovation + 150e6 running), close A
    and sell its site (300e6): +50e6, i.e. 100e6 = 200 % of |−50e6| more.  Third: keep both, 600e6."""
    alts = alternatives(two_halls(), k=3, within=2.5, options=EXACT)
    assert [a.cost_yen for a in alts] == [-50e6, 50e6]  # the third (600e6) is not within 250 %
    assert alts[1].extra_cost_yen == 100e6 and alts[1].extra_share == 2.0
    diff = alts[1].differences.set_index("facility_id")
    assert diff.loc["A", ["best_decision", "decision", "year"]].tolist() == ["keep", "close", 2019]
    assert diff.loc["B", ["best_decision", "decision"]].tolist() == ["close", "keep"]
    third = alternatives(two_halls(), k=3, within=20.0, options=EXACT)
    assert [a.cost_yen for a in third] == [-50e6, 50e6, 600e6]
    assert len(alternatives(two_halls(), k=3, within=1.0, options=EXACT)) == 1


# ------------------------------------------------------------------ a planning model, the CLI
def test_cli_sweep_on_the_register_sample(tmp_path):
    from typer.testing import CliRunner

    from facility_opt.cli import app

    root = Path(__file__).resolve().parents[1] / "examples" / "register"
    res = CliRunner().invoke(
        app,
        [
            "sweep",
            str(root / "model.yaml"),
            "--data",
            str(root),
            "--n",
            "2",
            "--seed",
            "3",
            "--serial",
            "--out",
            str(tmp_path),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "2 variants: 2 planned" in res.output
    import json

    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["counts"]["ok"] == 2 and summary["seed"] == 3


@pytest.mark.slow
def test_nerima_sweep_of_a_few_variants(tmp_path):
    """Three variants of the default Nerima model on two workers: every plan valid, shares consistent."""
    res = sweep(None, n=3, seed=20261130, out=tmp_path, n_workers=2)
    c = res.summary.counts
    assert c["ok"] + c["infeasible"] + c["flagged"] + c["error"] == 3 and c["ok"] >= 2
    d = res.summary.decisions
    per_facility = d.groupby("facility_id")["variants"].sum()
    assert (per_facility == c["ok"]).all()  # each facility has exactly one decision per planned variant


def test_nightly_sweep_reports_newly_unstable_decisions(tiny_model, tiny_ward_dir, tmp_path):
    """The model's sweep.nightly runs after each night's plan; the diff names the decisions that became
    unstable (the file equals unstable_since of the two nights' sweeps)."""
    import json

    from typer.testing import CliRunner

    from facility_opt.cli import app

    tiny_model.write_text(
        tiny_model.read_text()
        + (
            "sweep:\n  inputs:\n    operating_costs: {dist: uniform, low: 0.5, high: 2.0, source: test}\n"
            "  nightly: {n: 3, serial: true}\n  seed: 4\n"
        )
    )
    state = tmp_path / "state"
    args = ["nightly", "--model", str(tiny_model), "--state", str(state)]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    night1 = state / "runs" / (state / "current").read_text().strip()
    assert (night1 / "sweep" / "decisions.csv").is_file() and (night1 / "sweep" / "newly_unstable.csv").is_file()
    assert len(list((state / "sweep_cache").glob("*.json"))) == 3
    p = tiny_ward_dir / "facilities.csv"
    p.write_text(p.read_text().replace("East hall,childrens_hall,550,1975", "East hall,childrens_hall,560,1975"))
    second = CliRunner().invoke(app, args)
    assert second.exit_code == 0, second.output
    night2 = state / "runs" / (state / "current").read_text().strip()
    assert night2 != night1 and len(list((state / "sweep_cache").glob("*.json"))) == 6  # new data: new keys
    expected = unstable_since(night1 / "sweep", night2 / "sweep")
    import pandas as pd

    got = pd.read_csv(night2 / "sweep" / "newly_unstable.csv", dtype={"facility_id": str})
    assert got[["facility_id", "decision"]].values.tolist() == expected[["facility_id", "decision"]].values.tolist()
    assert (
        f"Decisions unstable in tonight's sweep, not last night ({len(expected)})" in (night2 / "diff.md").read_text()
    )
    assert json.loads((night2 / "sweep" / "summary.json").read_text())["n"] == 3


def test_flagged_and_infeasible_variants_are_listed_but_not_counted():
    """Two planned variants (keep A, close B; costs 10 and 30), one stopped on the time limit (the other
    plan) and one infeasible: shares and distributions count the two planned ones only."""
    from facility_opt.robust import summarise

    spec = SweepSpec.parse(SPEC)
    vs = generate_variants(spec, 4, SEED)
    plan_a = [["A", "Hall A", "keep", None], ["B", "Hall B", "close", 2019]]
    plan_b = [["A", "Hall A", "close", 2021], ["B", "Hall B", "keep", None]]

    def result(status, stop, decisions, cost):
        return {
            "status": status,
            "stop": stop,
            "gap": 0.0,
            "decisions": decisions,
            "message": "",
            "kpis": {} if cost is None else {"cost_after_yen": cost, "saving_yen": 100.0 - cost},
        }

    s = summarise(
        spec,
        vs,
        ["k0", "k1", "k2", "k3"],
        [
            result("ok", "optimal", plan_a, 10.0),
            result("flagged", "time_limit", plan_b, 99.0),
            result("ok", "gap", plan_a, 30.0),
            result("infeasible", "infeasible", [], None),
        ],
        n=4,
        seed=SEED,
    )
    assert s.counts["ok"] == 2 and s.counts["flagged"] == 1 and s.counts["infeasible"] == 1
    assert s.counts["stops"] == {"gap": 1, "infeasible": 1, "optimal": 1, "time_limit": 1}
    d = s.decisions.set_index(["facility_id", "decision"])
    assert list(d.index) == [("A", "keep"), ("B", "close")] and d["share"].tolist() == [1.0, 1.0]
    cost = s.distributions.set_index("metric").loc["cost_after_yen"]
    assert (cost["p10"], cost["p50"], cost["p90"]) == (12.0, 20.0, 28.0)  # linear interpolation between 10 and 30
    assert s.variants["status"].tolist() == ["ok", "flagged", "ok", "infeasible"]
    assert s.flips.empty and len(s.robust_core) == 2


def test_stop_reasons_from_the_solver_status():
    from facility_opt.robust.run import _stop_reason
    from facility_opt.solver import SolveInfo

    def info(status, raw):
        return SolveInfo(
            status=status,
            objective=1.0,
            bound=1.0,
            gap=0.0,
            build_seconds=0,
            solve_seconds=0,
            solver="highs",
            raw_status=raw,
        )

    assert _stop_reason(info("optimal", "Optimal")) == "optimal"
    assert _stop_reason(info("feasible", "GapLimit")) == "gap"
    assert _stop_reason(info("feasible", "TimeLimit")) == "time_limit"
    assert _stop_reason(info("feasible", "SolutionLimit")) == "node_limit"


def test_cli_alternatives_writes_the_plans_and_their_differences(tiny_model, tmp_path):
    import pandas as pd
    from typer.testing import CliRunner

    from facility_opt.cli import app

    res = CliRunner().invoke(
        app, ["alternatives", str(tiny_model), "--k", "2", "--within", "5", "--gap", "0", "--out", str(tmp_path)]
    )
    assert res.exit_code == 0, res.output
    alts = pd.read_csv(tmp_path / "alternatives.csv")
    assert alts["rank"].tolist()[0] == 0 and alts["extra_cost_yen"].iloc[0] == 0
    assert (alts["extra_cost_yen"] >= 0).all() and (alts["extra_share"] <= 5).all()
    assert all((tmp_path / f"plan_{r}" / "plan.json").is_file() for r in alts["rank"])
    assert len(alts) == 2  # keeping everything is within 500 % of the best plan, so a second plan exists
    diffs = pd.read_csv(tmp_path / "differences.csv")
    assert (diffs["rank"] == 1).sum() == alts["facilities_differing"].iloc[1] >= 1
    # what it costs = what the differing decisions save less: the facilities' savings add up to the plan's
    assert alts["extra_cost_yen"].iloc[1] == pytest.approx(-diffs["saving_difference_yen"].sum(), abs=1.0)


def test_scenario_grid_on_a_planning_model_solves_each_distinct_variant_once(tiny_model, tmp_path):
    """Grid over two scenarios (the model, and a scenario file raising the fixed cost per building): variants
    0 and 2 are the model, 1 and 3 the scenario, so two solves; the scenario's result is the scenario
    file's own plan."""
    from facility_opt.pipeline import portfolio_options
    from facility_opt.planning import load_planning_model
    from facility_opt.portfolio import optimise_portfolio
    from facility_opt.portfolio.build import problem_from_model

    alt = tmp_path / "scen" / "dear.yaml"
    alt.parent.mkdir()
    alt.write_text(f"extends: {tiny_model}\nname: tiny-dear\nportfolio: {{fixed_yen_per_building_year: 9000000}}\n")
    tiny_model.write_text(
        tiny_model.read_text() + "sweep:\n  grid:\n    scenarios: {model: null, dear: scen/dear.yaml}\n"
        "  solver: {gap_rel: 0}\n"
    )
    m = load_planning_model(tiny_model)
    assert m.sweep["grid"]["scenarios"]["dear"] == str(alt)  # made absolute, relative to the file naming it
    res = sweep(m, n=4, seed=1, serial=True, out=tmp_path / "s")
    assert res.computed == 2 and [v.scenario for v in res.variants] == ["dear", "model", "dear", "model"]
    assert res.results[0] == res.results[2] and res.results[1] == res.results[3]
    dear = load_planning_model(alt)
    opts = portfolio_options(dear, {"gap_rel": 0, "threads": 1})
    direct = optimise_portfolio(problem_from_model(dear), opts)
    assert res.results[0]["kpis"]["cost_after_yen"] == direct.kpis.cost_after_yen
    assert res.summary.variants["scenario"].tolist() == ["dear", "model", "dear", "model"]
