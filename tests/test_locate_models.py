"""Location models on tiny hand-solvable cases: exact optima, both solvers, independent re-checks
and the domain errors (p = 0, uncoverable demand, capacity short of demand)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from facility_opt.errors import DataValidationError, InfeasibleError
from facility_opt.locate import (
    LSCP,
    MCLP,
    FacilityLocation,
    LocationProblem,
    PCenter,
    PMedian,
    capacitated_p_median,
    cfl,
    lscp,
    mclp,
    p_center,
    p_median,
    ufl,
)
from facility_opt.solver import SolverOptions, available_solvers

SOLVERS = [s for s in ("highs", "cbc") if s in available_solvers()]

# 8 demand points on a line at 0..7 (weights vary), sites at 0, 2, 4, 6, 7
POS = np.arange(8.0)
SITES = np.array([0.0, 2.0, 4.0, 6.0, 7.0])
W = np.array([3, 1, 2, 5, 1, 1, 4, 2], dtype=float)
COST = np.abs(POS[:, None] - SITES[None, :])


def line_problem(**kw) -> LocationProblem:
    return LocationProblem.from_cost_matrix(
        COST, W, demand_ids=[f"d{i}" for i in range(8)], site_ids=["A", "B", "C", "D", "E"], **kw
    )


def brute_pmedian(cost, w, p):
    best = min(
        itertools.combinations(range(cost.shape[1]), p), key=lambda s: ((w * cost[:, list(s)].min(axis=1)).sum(), s)
    )
    return best, (w * cost[:, list(best)].min(axis=1)).sum()


def recheck_nearest(res, problem):
    """Objective and assignment recomputed from the chosen sites alone (no solver values)."""
    df = res.to_frame()
    pos = [problem.site_ids.index(s) for s in res.sites]
    nearest = problem.cost[:, pos].min(axis=1)
    np.testing.assert_allclose(df["distance"].to_numpy(), nearest)
    return float((problem.demand * nearest).sum())


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("method", ["auto", "benders", "reduced", "lagrangian", "classic", "sparse"])
@pytest.mark.parametrize("p", [1, 2, 3])
def test_pmedian_matches_brute_force(solver, method, p):
    prob = line_problem()
    res = PMedian(p, method=method, options=SolverOptions(solver=solver)).solve(prob)
    best, value = brute_pmedian(COST, W, p)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(value)
    assert recheck_nearest(res, prob) == pytest.approx(value)
    assert len(res.sites) == p


def test_pmedian_required_site_and_frame():
    prob = line_problem()
    res = PMedian(2, required=["E"]).solve(prob)
    assert "E" in res.sites
    # with E forced, the best partner is brute-forced over the other sites
    best = min(((W * COST[:, [j, 4]].min(axis=1)).sum(), j) for j in range(4))
    assert res.objective == pytest.approx(best[0])
    df = res.to_frame()
    assert list(df.columns) == ["demand_id", "site_id", "fraction", "demand", "distance", "cost", "covered"]
    assert df["demand_id"].tolist() == [f"d{i}" for i in range(8)]
    assert df["cost"].sum() == pytest.approx(res.objective)
    assert "status    optimal" in repr(res)


def test_lagrangian_bnb_on_random_instances():
    """B&B and the reduced MIP agree with brute force where the root bound does not close."""
    rng = np.random.default_rng(3)
    for trial in range(4):
        pts = rng.random((30, 2))
        cost = np.round(100 * np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1)))
        w = rng.integers(1, 5, 30).astype(float)
        for p in (2, 3):
            best = min((w * cost[:, list(s)].min(axis=1)).sum() for s in itertools.combinations(range(30), p))
            for method in ("lagrangian", "reduced"):
                res = p_median(cost, p, demand=w, method=method)
                assert res.objective == pytest.approx(best), (trial, p, method)


@pytest.mark.parametrize("solver", SOLVERS)
def test_benders_on_random_instances(solver):
    """Both Benders finishers (B&B with LP multipliers: 30 sites, p = 2; master MIP: p = 3 of 12
    sites) and both masters (highspy, PuLP for CBC) agree with brute force, required sites too."""
    rng = np.random.default_rng(11)
    opts = SolverOptions(solver=solver)
    for trial in range(3):
        for n_pts, p in ((30, 2), (12, 3), (12, 5)):
            pts = rng.random((n_pts, 2))
            cost = np.round(100 * np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1)))
            w = rng.integers(1, 5, n_pts).astype(float)
            best = min((w * cost[:, list(s)].min(axis=1)).sum() for s in itertools.combinations(range(n_pts), p))
            res = p_median(cost, p, demand=w, method="benders", options=opts)
            assert res.status == "optimal"
            assert res.objective == pytest.approx(best), (trial, n_pts, p)
            req = [int(rng.integers(n_pts))]
            best_req = min(
                (w * cost[:, list(s)].min(axis=1)).sum() for s in itertools.combinations(range(n_pts), p) if req[0] in s
            )
            res = p_median(cost, p, demand=w, method="benders", required=req, options=opts)
            assert req[0] in res.sites and res.objective == pytest.approx(best_req), (trial, n_pts, p, "required")


def test_benders_fractional_costs():
    """Non-integral costs: no rounding of bounds; the optimum still matches brute force."""
    rng = np.random.default_rng(5)
    pts = rng.random((14, 2))
    cost = np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))
    for p in (2, 4):
        best = min(cost[:, list(s)].min(axis=1).sum() for s in itertools.combinations(range(14), p))
        assert p_median(cost, p, method="benders").objective == pytest.approx(best)


def test_pmedian_deterministic():
    prob = line_problem()
    a = PMedian(2).solve(prob).to_frame()
    b = PMedian(2).solve(prob).to_frame()
    pd.testing.assert_frame_equal(a, b)


def test_pmedian_function_and_dataframe_ids():
    cost = pd.DataFrame(COST, index=[f"d{i}" for i in range(8)], columns=list("ABCDE"))
    res = p_median(cost, 2, demand=W)
    assert res.sites == tuple(sorted(res.sites, key="ABCDE".index))
    assert res.objective == pytest.approx(brute_pmedian(COST, W, 2)[1])


@pytest.mark.parametrize("p", [0, -1])
def test_p_zero_names_constraint(p):
    with pytest.raises(InfeasibleError, match=r"(?s)p = -?\d+ opens no site.*number of sites == p"):
        p_median(COST, p)
    with pytest.raises(InfeasibleError, match="number of sites == p"):
        mclp(COST, 1.0, p)
    with pytest.raises(InfeasibleError, match="number of sites == p"):
        p_center(COST, p)


@pytest.mark.parametrize("method", ["benders", "lagrangian", "reduced", "classic"])
def test_no_p_sites_reach_everyone(method):
    """Each point reaches some site, but no 2 sites reach all three: an InfeasibleError naming the
    point left out, not a big-M objective."""
    cost = np.array([[1.0, np.inf, np.inf], [np.inf, 1.0, np.inf], [np.inf, np.inf, 1.0]])
    prob = LocationProblem.from_cost_matrix(cost, demand_ids=["a", "b", "c"])
    with pytest.raises(InfeasibleError, match=r"(?s)no 2 sites reach every demand point.*raise p"):
        PMedian(2, method=method).solve(prob)


def test_too_many_required_sites():
    with pytest.raises(InfeasibleError, match=r"required sites: 'A', 'B', 'C'"):
        PMedian(2, required=["A", "B", "C"]).solve(line_problem())


def test_unreachable_demand_point_named():
    cost = COST.copy()
    cost[5, :] = np.inf
    with pytest.raises(InfeasibleError, match="d5"):
        p_median(LocationProblem.from_cost_matrix(cost, demand_ids=[f"d{i}" for i in range(8)]), 2)


def test_lscp_uncoverable_names_points_and_fix():
    prob = line_problem()
    # radius 0.5: points 1, 3, 5 are 1 away from every site
    with pytest.raises(InfeasibleError) as err:
        LSCP(0.5).solve(prob)
    msg = str(err.value)
    assert "'d1', 'd3', 'd5'" in msg and "raise the radius to at least 1" in msg


@pytest.mark.parametrize("solver", SOLVERS)
def test_lscp_and_mclp_small(solver):
    opts = SolverOptions(solver=solver)
    prob = line_problem()
    # radius 1: sites cover {0,1},{1,2,3},{3,4,5},{5,6,7},{6,7}; points 0, 2 and 4 each have one
    # coverer (A, B, C) and 6-7 need D or E -> 4 sites, A, B, C always among them
    res = LSCP(1.0, options=opts).solve(prob)
    assert res.objective == 4 and {"A", "B", "C"} <= set(res.sites)
    df = res.to_frame()
    assert df["covered"].all() and (df["distance"] <= 1.0).all()
    # MCLP radius 1, p=1: site B covers d1,d2,d3 weight 1+2+5=8; C covers d3,d4,d5 = 7; D: 1+4+2=7
    m = MCLP(1.0, 1, options=opts).solve(prob)
    assert m.sites == ("B",) and m.objective == 8
    df = m.to_frame()
    assert df.loc[df["covered"], "demand"].sum() == 8 and m.metrics["n_uncovered"] == 5


def test_mclp_uncoverable_points_stay_uncovered():
    cost = np.array([[1.0, 9.0], [9.0, 9.0], [9.0, 1.0]])
    res = mclp(cost, 2.0, 2, demand=[1, 5, 1])
    assert res.objective == 2 and res.metrics["n_uncovered"] == 1


@pytest.mark.parametrize("solver", SOLVERS)
def test_pcenter_matches_brute_force(solver):
    opts = SolverOptions(solver=solver)
    prob = line_problem()
    for p in (1, 2, 3):
        res = PCenter(p, options=opts).solve(prob)
        best = min(COST[:, list(s)].min(axis=1).max() for s in itertools.combinations(range(5), p))
        assert res.objective == pytest.approx(best)
        assert res.to_frame()["distance"].max() == pytest.approx(best)
        assert len(res.sites) == p


@pytest.mark.parametrize("solver", SOLVERS)
def test_pcenter_random_instances_subset_growth(solver):
    """40 demand points, 2-3 centres: the covering questions start on a subset of the points and
    must grow it; the radius equals brute force, with and without a required site."""
    rng = np.random.default_rng(7)
    opts = SolverOptions(solver=solver)
    for trial in range(2):
        pts = rng.random((40, 2))
        sites = rng.random((12, 2))
        cost = np.round(100 * np.hypot(*(pts[:, None, :] - sites[None, :, :]).transpose(2, 0, 1)))
        for p in (2, 3):
            best = min(cost[:, list(s)].min(axis=1).max() for s in itertools.combinations(range(12), p))
            res = p_center(cost, p, options=opts)
            assert res.objective == best, (trial, p)
            best_req = min(cost[:, list(s)].min(axis=1).max() for s in itertools.combinations(range(12), p) if 4 in s)
            res = p_center(cost, p, required=[4], options=opts)
            assert 4 in res.sites and res.objective == best_req, (trial, p, "required")


# ---------------------------------------------------------------- facility location
FC = np.array([10.0, 4.0, 6.0, 3.0, 8.0])
CAP = np.array([10.0, 6.0, 6.0, 6.0, 20.0])


def brute_fl(cost_w, fixed):
    best = None
    for k in range(1, cost_w.shape[1] + 1):
        for s in itertools.combinations(range(cost_w.shape[1]), k):
            v = fixed[list(s)].sum() + cost_w[:, list(s)].min(axis=1).sum()
            if best is None or v < best[0] - 1e-12:
                best = (v, s)
    return best


@pytest.mark.parametrize("solver", SOLVERS)
def test_ufl_matches_brute_force(solver):
    prob = line_problem(fixed_cost=FC)
    res = FacilityLocation(options=SolverOptions(solver=solver)).solve(prob)
    value, _ = brute_fl(W[:, None] * COST, FC)
    assert res.objective == pytest.approx(value)
    assert recheck_nearest(res, prob) + FC[[prob.site_ids.index(s) for s in res.sites]].sum() == pytest.approx(value)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("single", [False, True])
def test_cfl_capacities_respected(solver, single):
    prob = line_problem(fixed_cost=FC, capacity=CAP)
    res = FacilityLocation(capacitated=True, single_source=single, options=SolverOptions(solver=solver)).solve(prob)
    df = res.to_frame()
    # independent re-check: every demand point fully served, loads within capacity, objective
    served = df.groupby("demand_id")["fraction"].sum()
    assert np.allclose(served.to_numpy(), 1.0) and len(served) == 8
    load = df.groupby("site_id")["demand"].sum()
    caps = dict(zip(prob.site_ids, CAP))
    assert all(load[s] <= caps[s] + 1e-6 for s in load.index)
    assert set(load.index) <= set(res.sites)
    if single:
        assert (df["fraction"] == 1.0).all()
    fixed = sum(FC[prob.site_ids.index(s)] for s in res.sites)
    assert res.objective == pytest.approx(df["cost"].sum() + fixed)
    assert res.status == "optimal"


def test_cfl_single_source_not_cheaper_than_split():
    prob = line_problem(fixed_cost=FC, capacity=CAP)
    split = FacilityLocation(capacitated=True).solve(prob).objective
    single = FacilityLocation(capacitated=True, single_source=True).solve(prob).objective
    unc = FacilityLocation().solve(prob).objective
    assert unc <= split + 1e-9 <= single + 2e-9


def test_capacity_short_of_demand_names_constraint():
    with pytest.raises(InfeasibleError, match=r"capacity is short of demand.*hold 5, total demand is 19"):
        cfl(COST, FC, np.ones(5), demand=W)
    with pytest.raises(InfeasibleError, match=r"the 2 largest sites hold 30, total demand is 59"):
        capacitated_p_median(COST, 2, CAP, demand=W + 5)


def test_single_source_point_too_big_named():
    w = W.copy()
    w[3] = 25  # larger than any site
    with pytest.raises(InfeasibleError, match="d3"):
        FacilityLocation(capacitated=True, single_source=True).solve(
            LocationProblem.from_cost_matrix(
                COST, w, capacity=CAP, fixed_cost=FC, demand_ids=[f"d{i}" for i in range(8)]
            )
        )


def test_sparse_fl_model_is_exact():
    rng = np.random.default_rng(7)
    pts, sites = rng.random((60, 2)), rng.random((12, 2))
    cost = np.hypot(*(pts[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
    fc = rng.uniform(0.5, 2.0, 12)
    prob = LocationProblem.from_cost_matrix(cost, fixed_cost=fc)
    dense = FacilityLocation().solve(prob)
    sparse = FacilityLocation(max_dense_pairs=100).solve(prob)
    assert sparse.info.extra["method"] == "k-nearest+far"
    assert sparse.objective == pytest.approx(dense.objective, rel=1e-9)


def test_lscp_function_form():
    assert lscp(COST, 1.0).objective == 4


def test_ufl_function_needs_fixed_costs():
    with pytest.raises(ValueError, match="no fixed costs"):
        ufl(COST)


# ---------------------------------------------------------------- GeoDataFrame input
def test_from_geodataframes_refuses_geographic_crs():
    gpd = pytest.importorskip("geopandas")
    from shapely.geometry import Point

    d = gpd.GeoDataFrame({"w": [1, 2]}, geometry=[Point(139.6, 35.7), Point(139.61, 35.71)], crs="EPSG:4326")
    with pytest.raises(DataValidationError, match=r'to_crs\("EPSG:6677"\)'):
        LocationProblem.from_geodataframes(d, d)


def test_from_geodataframes_straight_line_and_pairs():
    gpd = pytest.importorskip("geopandas")
    from shapely.geometry import Point

    d = gpd.GeoDataFrame(
        {"pop": [1.0, 2.0, 3.0]},
        geometry=[Point(0, 0), Point(300, 400), Point(1000, 0)],
        index=pd.Index(["z1", "z2", "z3"], name="zone_id"),
        crs="EPSG:6677",
    )
    s = gpd.GeoDataFrame(
        {"cap": [10.0, 10.0]},
        geometry=[Point(0, 0), Point(1000, 0)],
        index=pd.Index(["f1", "f2"], name="facility_id"),
        crs="EPSG:6677",
    )
    prob = LocationProblem.from_geodataframes(d, s, weight="pop", capacity="cap")
    assert prob.cost[1, 0] == pytest.approx(500.0)
    res = p_median(prob, 1)
    # f1: 2*500 + 3*1000 = 4000; f2: 1*1000 + 2*hypot(700, 400) = 2612.5
    assert res.sites == ("f2",) and res.objective == pytest.approx(1000 + 2 * np.hypot(700, 400))
    pairs = pd.DataFrame({"demand_id": ["z1", "z2", "z3"], "site_id": ["f1", "f1", "f2"], "cost": [1.0, 2.0, 3.0]})
    prob2 = LocationProblem.from_geodataframes(d, s, weight="pop", distance=pairs)
    assert np.isinf(prob2.cost[0, 1]) and prob2.cost[2, 1] == 3.0
    assert p_median(prob2, 2).objective == pytest.approx(1 + 4 + 9)


def test_problem_validation_collects_issues():
    with pytest.raises(DataValidationError) as err:
        LocationProblem.from_cost_matrix([[1, -2], [3, 4]], demand=[1, -1], demand_ids=["a", "a"])
    msg = str(err.value)
    assert "duplicate ids" in msg and "negative costs" in msg
