"""Properties of the portfolio optimiser on small random portfolios, and determinism of its files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facility_opt.errors import InfeasibleError
from facility_opt.portfolio import PortfolioOptions, PortfolioProblem, check_plan, optimise_portfolio
from facility_opt.solver import SolverOptions

EXACT = PortfolioOptions(solver=SolverOptions(gap_rel=0.0, threads=1))
FEW = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def random_problem(seed: int, **policy) -> PortfolioProblem:
    """3-6 zones, 2-4 existing sites and one candidate on a 3 km square; two services."""
    rng = np.random.default_rng(seed)
    nz, ns = int(rng.integers(3, 7)), int(rng.integers(2, 5))
    zxy = rng.uniform(0, 3000, (nz, 2))
    sxy = rng.uniform(0, 3000, (ns + 1, 2))
    sid = [f"S{i}" for i in range(ns)] + ["C0"]
    zid = [f"Z{i}" for i in range(nz)]
    d = np.hypot(zxy[:, None, 0] - sxy[None, :, 0], zxy[:, None, 1] - sxy[None, :, 1])
    cov_hall = float(np.max(np.min(d[:, :ns], axis=1))) + 50.0  # every zone reaches an existing site
    sites = pd.DataFrame({
        "site_id": sid, "kind": ["existing"] * ns + ["candidate"], "category": ["hall"] * ns + ["multi"],
        "floor_area_m2": np.append(rng.uniform(300, 900, ns).round(), 0.0),
        "site_area_m2": rng.uniform(500, 3000, ns + 1).round(), "max_far": 2.0,
        "owned": [True] * ns + [False], "land_value_yen_per_m2": rng.uniform(2e5, 6e5, ns + 1).round(),
        "renewal_keep_yen": np.append(rng.uniform(5e7, 3e8, ns).round(), 0.0),
        "operating_yen_per_m2_year": rng.uniform(5e3, 2e4, ns + 1).round(), "fixed_yen_per_year": 1e6,
        "build_yen_per_m2": 4e5, "station_front": [False] * ns + [True],
        "change_year": rng.integers(2019, 2040, ns + 1), "x": sxy[:, 0], "y": sxy[:, 1]})
    services = pd.DataFrame({"service_id": ["club", "hall"], "coverage_m": [cov_hall * 1.5, cov_hall],
                             "floor_m2_per_unit": [1.65, 5.0], "host_categories": ["hall;multi", "hall;multi"]})
    pop = rng.uniform(100, 1000, nz).round()
    demand = pd.concat([pd.DataFrame({"zone_id": zid, "service_id": "hall", "population": pop, "demand": pop * 0.05}),
                        pd.DataFrame({"zone_id": zid, "service_id": "club", "population": pop,
                                      "demand": pop * 0.1})])
    placements = pd.DataFrame({"site_id": sid[:ns] * 2, "service_id": ["hall"] * ns + ["club"] * ns,
                               "capacity": np.append(rng.uniform(20, 60, ns), rng.uniform(20, 60, ns)).round()})
    zz, ss = np.meshgrid(np.arange(nz), np.arange(ns + 1), indexing="ij")
    pairs = pd.DataFrame({"zone_id": np.array(zid)[zz.ravel()], "site_id": np.array(sid)[ss.ravel()],
                          "distance_m": d.ravel().round(1)})
    return PortfolioProblem.from_frames(sites=sites, services=services, demand=demand, placements=placements,
                                        pairs=pairs, policy=policy, name=f"random {seed}")


@FEW
@given(seed=st.integers(0, 10_000))
def test_every_plan_passes_the_independent_check(seed):
    p = random_problem(seed)
    plan = optimise_portfolio(p, PortfolioOptions(solver=SolverOptions(gap_rel=0.0), on_violation="mark"))
    assert plan.valid, plan.violations
    assert check_plan(plan, p) == []
    assert plan.kpis.cost_after_yen <= plan.kpis.cost_before_yen + 1.0  # keeping everything is feasible
    for s in plan.kpis.services:
        assert s.coverage_after == pytest.approx(1.0)


@FEW
@given(seed=st.integers(0, 10_000), pick=st.integers(0, 3))
def test_a_locked_facility_stays_open(seed, pick):
    p = random_problem(seed)
    existing = list(p.existing["site_id"])
    site = existing[pick % len(existing)]
    plan = optimise_portfolio(p.replace(policy={"lock_open": [site]}), EXACT)
    assert next(s for s in plan.sites if s.site_id == site).open_after
    assert next(d for d in plan.decisions if d.facility_id == site).decision != "close"


@FEW
@given(seed=st.integers(0, 10_000), factor=st.floats(0.5, 0.95))
def test_tightening_a_coverage_standard_never_lowers_the_cost(seed, factor):
    p = random_problem(seed)
    loose = optimise_portfolio(p, EXACT)
    tight_p = p.replace(services=p.services.assign(
        coverage_m=np.where(p.services["service_id"] == "club", p.services["coverage_m"] * factor,
                            p.services["coverage_m"])))
    try:
        tight = optimise_portfolio(tight_p, EXACT)
    except InfeasibleError as exc:
        assert exc.reasons  # infeasible is allowed, but must be explained
        return
    assert tight.solver.objective_yen >= loose.solver.objective_yen - 1e-6 * abs(loose.solver.objective_yen) - 1


def test_same_input_gives_byte_identical_files(tmp_path):
    p = random_problem(7)
    files = []
    for run in ("a", "b"):
        plan = optimise_portfolio(p, EXACT)
        out = plan.to_files(tmp_path / run)
        files.append({name: path.read_bytes() for name, path in sorted(out.items())})
    assert files[0] == files[1]
    assert b"seconds" not in files[0]["plan.json"]
