"""Published optima: OR-Library p-median and warehouse instances, and pysal/spopt's real-data
expectations. Each solution is re-checked from the chosen sites and assignment alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from facility_opt.errors import InfeasibleError
from facility_opt.locate import (
    LSCP,
    MCLP,
    FacilityLocation,
    LocationProblem,
    PCenter,
    PMedian,
    capacitated_p_median,
    read_orlib,
)
from facility_opt.solver import SolverOptions

# ../shared beside the repository (a worktree may sit one level deeper: look upwards)
_UP = Path(__file__).resolve().parents[1:4]
BENCH = next(
    (a / "shared" / "bench" for a in _UP if (a / "shared" / "bench").is_dir()),
    Path(__file__).resolve().parents[1] / ".." / "shared" / "bench",
)
FAST_PMED = [1, 2, 4, 5]
FAST_UFL = ["cap71", "cap101", "cap131"]
FAST_CFL = ["cap41", "cap61", "cap81", "cap111"]


def bench_dir(sub: str) -> Path:
    d = BENCH / sub
    if not d.is_dir():
        pytest.skip(f"{d} not present (../shared/bench beside the repository)")
    return d


def pmed_optima() -> dict[str, int]:
    df = pd.read_csv(bench_dir("pmed") / "pmed_opt.csv")
    return dict(zip(df["instance"], df["optimal"]))


def cap_optima() -> tuple[dict[str, float], dict[str, float]]:
    d = bench_dir("orlib_cap")
    capopt = dict(line.split()[:2] for line in (d / "capopt.txt").read_text().splitlines() if line.strip())
    uncap = {
        k.removesuffix(".txt"): v
        for k, v in (line.split()[:2] for line in (d / "uncapopt.txt").read_text().splitlines() if line.strip())
    }
    return {k: float(v) for k, v in capopt.items()}, {k: float(v) for k, v in uncap.items()}


def check_pmedian(res, problem) -> float:
    """Recompute the p-median objective from the chosen sites only."""
    pos = [problem.site_ids.index(s) for s in res.sites]
    return float((problem.demand * problem.cost[:, pos].min(axis=1)).sum())


def _pmed(k: int) -> None:
    inst = read_orlib(bench_dir("pmed") / f"pmed{k}.txt")
    res = PMedian(inst.p).solve(inst.problem)
    assert res.status == "optimal"
    assert len(res.sites) == inst.p
    assert check_pmedian(res, inst.problem) == pmed_optima()[f"pmed{k}"]
    assert res.objective == pmed_optima()[f"pmed{k}"]


@pytest.mark.parametrize("k", FAST_PMED)
def test_pmed_fast(k):
    _pmed(k)


@pytest.mark.slow
@pytest.mark.parametrize("k", [k for k in range(1, 41) if k not in FAST_PMED])
def test_pmed_all(k):
    _pmed(k)


PCENTER_REF = Path(__file__).resolve().parents[1] / "benchmarks" / "pcenter_pmed_reference.csv"


def _pmed_pcenter(k: int) -> None:
    """p-center radius equals the reference radius (computed exactly, cross-checked against public
    values: docs/location_models.md), re-checked from the chosen sites alone."""
    ref = pd.read_csv(PCENTER_REF).set_index("instance")
    inst = read_orlib(bench_dir("pmed") / f"pmed{k}.txt")
    res = PCenter(inst.p).solve(inst.problem)
    pos = [inst.problem.site_ids.index(s) for s in res.sites]
    assert len(res.sites) == inst.p
    assert inst.problem.cost[:, pos].min(axis=1).max() == res.objective == ref.loc[f"pmed{k}", "radius"]
    assert ref.loc[f"pmed{k}", "radius"] == ref.loc[f"pmed{k}", "public_cross_check"]


@pytest.mark.parametrize("k", [1, 5, 16])
def test_pmed_pcenter_fast(k):
    _pmed_pcenter(k)


@pytest.mark.slow
@pytest.mark.parametrize("k", [k for k in range(1, 41) if k not in (1, 5, 16)])
def test_pmed_pcenter_all(k):
    _pmed_pcenter(k)


@pytest.mark.parametrize("method", ["benders", "lagrangian"])
def test_pmed6_benders_and_lagrangian_agree(method):
    """pmed6 (p = 5) is not closed by the LP bound: Benders finishes with branch and bound."""
    inst = read_orlib(bench_dir("pmed") / "pmed6.txt")
    res = PMedian(inst.p, method=method).solve(inst.problem)
    assert res.objective == pmed_optima()["pmed6"] == check_pmedian(res, inst.problem)


@pytest.mark.parametrize("k", [4, 10])
def test_pmed_reduced_mip_with_warm_start(k, monkeypatch):
    """HiGHS 1.16, given the single-start incumbent (3046 on pmed4, 1263 on pmed10) as a MIP start
    on these reduced models, reports it as optimal; solver.solve must detect that and re-solve
    (docs/location_models.md, "Warm start")."""
    import facility_opt.locate.pmedian as pm
    from facility_opt.locate.heuristics import greedy_p_median, vertex_substitution

    monkeypatch.setattr(pm, "multistart_p_median", lambda c, p, req: vertex_substitution(c, greedy_p_median(c, p, req)))
    inst = read_orlib(bench_dir("pmed") / f"pmed{k}.txt")
    res = PMedian(inst.p, method="reduced", options=SolverOptions(warm_start=True)).solve(inst.problem)
    assert res.info.extra["incumbent"] > pmed_optima()[f"pmed{k}"]  # the trap's precondition
    assert res.objective == pmed_optima()[f"pmed{k}"] == check_pmedian(res, inst.problem)


@pytest.mark.parametrize("method", ["classic", "sparse", "lagrangian"])
def test_pmed1_other_methods(method):
    inst = read_orlib(bench_dir("pmed") / "pmed1.txt")
    assert PMedian(inst.p, method=method).solve(inst.problem).objective == 5819


def _check_fl(res, problem, capacitated: bool) -> float:
    """Recompute the FL objective from sites and assignment; check service and capacities."""
    df = res.to_frame()
    pos = {s: k for k, s in enumerate(problem.site_ids)}
    r = np.array([problem.demand_ids.index(d) for d in df["demand_id"]])
    c = np.array([pos[s] for s in df["site_id"]])
    assert set(c) <= {pos[s] for s in res.sites}
    served = np.bincount(r, weights=df["fraction"], minlength=problem.n_demand)
    np.testing.assert_allclose(served, 1.0, atol=1e-7)
    if capacitated:
        load = np.bincount(c, weights=problem.demand[r] * df["fraction"].to_numpy(), minlength=problem.n_sites)
        assert (load <= problem.capacity + 1e-6).all()
    return float((problem.cost[r, c] * df["fraction"]).sum() + problem.fixed_cost[[pos[s] for s in res.sites]].sum())


def _ufl(name: str) -> None:
    inst = read_orlib(bench_dir("orlib_cap") / f"{name}.txt")
    res = FacilityLocation().solve(inst.problem)
    expected = cap_optima()[1][name]
    assert res.status == "optimal"
    assert res.objective == pytest.approx(expected, abs=0.01)
    assert _check_fl(res, inst.problem, False) == pytest.approx(expected, abs=0.01)


def _cfl(name: str) -> None:
    inst = read_orlib(bench_dir("orlib_cap") / f"{name}.txt")
    res = FacilityLocation(capacitated=True).solve(inst.problem)
    expected = cap_optima()[0][name]
    assert res.status == "optimal"
    assert res.objective == pytest.approx(expected, abs=0.01)
    assert _check_fl(res, inst.problem, True) == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize("name", FAST_UFL)
def test_ufl_fast(name):
    _ufl(name)


@pytest.mark.parametrize("name", FAST_CFL)
def test_cfl_fast(name):
    _cfl(name)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["cap72", "cap73", "cap74", "cap102", "cap103", "cap104", "cap132", "cap133", "cap134"]
)
def test_ufl_all(name):
    _ufl(name)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "cap42",
        "cap43",
        "cap44",
        "cap51",
        "cap62",
        "cap63",
        "cap64",
        "cap71",
        "cap72",
        "cap73",
        "cap74",
        "cap82",
        "cap83",
        "cap84",
        "cap91",
        "cap92",
        "cap93",
        "cap94",
        "cap101",
        "cap102",
        "cap103",
        "cap104",
        "cap112",
        "cap113",
        "cap114",
        "cap121",
        "cap122",
        "cap123",
        "cap124",
        "cap131",
        "cap132",
        "cap133",
        "cap134",
    ],
)
def test_cfl_all(name):
    _cfl(name)


# ---------------------------------------------------------------- pysal/spopt real-data expectations
@pytest.fixture(scope="module")
def sf_problem() -> LocationProblem:
    d = bench_dir("spopt")
    long = pd.read_csv(d / "SF_network_distance_candidateStore_16_censusTract_205_new.csv")
    cost = long.pivot_table(values="distance", index="DestinationName", columns="name")
    demand = pd.read_csv(d / "SF_demand_205_centroid_uniform_weight.csv").set_index("NAME")["POP2000"]
    return LocationProblem.from_cost_matrix(cost, demand.astype(float), name="SF stores")


def test_spopt_sf_pmedian(sf_problem):
    res = PMedian(4).solve(sf_problem)
    assert res.metrics["mean_distance"] == pytest.approx(2982.1268579890657, rel=1e-12)
    assert set(res.sites) == {"Store_11", "Store_12", "Store_15", "Store_2"}
    assert check_pmedian(res, sf_problem) / sf_problem.demand.sum() == pytest.approx(2982.1268579890657, rel=1e-12)


def test_spopt_sf_mclp(sf_problem):
    res = MCLP(5000, 4).solve(sf_problem)
    df = res.to_frame()
    assert (~df["covered"]).sum() == 21 == res.metrics["n_uncovered"]
    assert res.metrics["percent_covered_points"] == pytest.approx(89.75609756097561)
    assert res.objective == 875247 == df.loc[df["covered"], "demand"].sum()


def test_spopt_sf_lscp(sf_problem):
    res = LSCP(5000).solve(sf_problem)
    assert res.objective == 8 and len(res.sites) == 8
    assert (res.to_frame()["distance"] <= 5000).all()


def test_spopt_sf_lscp_infeasible_names_points(sf_problem):
    with pytest.raises(InfeasibleError) as err:
        LSCP(20).solve(sf_problem)
    msg = str(err.value)
    assert "205 demand point(s) are farther than the radius 20" in msg and "60750101" in msg


def test_spopt_sf_pcenter(sf_problem):
    res = PCenter(4).solve(sf_problem)
    assert res.objective == pytest.approx(7403.063810849859, rel=1e-12)  # brute force, EXPECTED.md


def test_spopt_school_capacitated_pmedian():
    d = bench_dir("spopt")
    journeys = pd.read_csv(d / "example_subject_student_school_journeys.csv")
    schools = pd.read_csv(d / "example_subject_schools.csv").set_index("SE2 PP: Code")
    cost = journeys.pivot_table(columns="school", index="student", values="time", fill_value=10000, sort=False).astype(
        int
    )
    prob = LocationProblem.from_cost_matrix(cost, np.ones(len(cost)), capacity=schools["Count"].astype(float))
    required = list(schools.index[schools["priority"] == 1])
    res = capacitated_p_median(prob, 10, required=required, fill_required=True)
    assert res.metrics["mean_distance"] == pytest.approx(87.2)
    df = res.to_frame()
    load = df.groupby("site_id")["demand"].sum()
    for s in required:  # every priority school filled exactly to capacity
        assert load.get(s, 0) == schools.loc[s, "Count"]
    assert (load <= schools.loc[load.index, "Count"]).all()
    assert len(res.sites) == 10 and df["cost"].sum() == 872
