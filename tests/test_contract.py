"""The one contract (facility_opt.contract), checked over every optimiser in ``MODELS``.

Adding a model is one module and one ``ModelCase`` here: a tiny problem with a known optimum (the
objective in yen, or the problem's cost unit for location models), a problem no plan can satisfy,
and a problem plus a time limit under which the solver stops without any solution.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from facility_opt.contract import MAX_REPR_LINES, Optimiser, Result
from facility_opt.errors import InfeasibleError, SolverError
from facility_opt.solver import SolverOptions


@dataclass(frozen=True)
class ModelCase:
    """One optimiser under the contract.

    make : ``options -> optimiser`` (the parameters of the tiny case, with the given solver options).
    problem : ``() -> problem`` with a known optimum ``objective`` (worked out by hand in the case).
    keys : the id columns that key ``to_frame()`` (unique together).
    infeasible : ``() -> (optimiser, problem)`` that no plan can satisfy.
    too_hard : ``() -> (optimiser, problem)`` whose solver stops without a solution (tiny time limit).
    """

    name: str
    make: Callable[[SolverOptions], Optimiser]
    problem: Callable[[], Any]
    objective: float
    keys: tuple[str, ...]
    infeasible: Callable[[], tuple[Optimiser, Any]]
    too_hard: Callable[[], tuple[Optimiser, Any]]


# ---------------------------------------------------------------------------- location (p-median)
def _line_problem():
    from facility_opt.locate import LocationProblem

    # 8 demand points on a line at 0..7, sites at 0, 2, 4, 6, 7 (tests/test_locate_models.py)
    pos = np.arange(8.0)
    sites = np.array([0.0, 2.0, 4.0, 6.0, 7.0])
    w = np.array([3, 1, 2, 5, 1, 1, 4, 2], dtype=float)
    return LocationProblem.from_cost_matrix(
        np.abs(pos[:, None] - sites[None, :]), w, demand_ids=[f"d{i}" for i in range(8)], site_ids=list("ABCDE")
    )


def _pmedian(options: SolverOptions):
    from facility_opt.locate import PMedian

    return PMedian(2, method="classic", options=options)


def _pmedian_infeasible():
    from facility_opt.locate import PMedian

    return PMedian(6), _line_problem()  # p = 6 > 5 candidate sites


def _pmedian_too_hard():
    from facility_opt.locate import LocationProblem, PMedian

    rng = np.random.default_rng(7)
    xy = rng.random((400, 2))
    cost = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    prob = LocationProblem.from_cost_matrix(cost, np.ones(400))
    return PMedian(20, method="classic", options=SolverOptions(time_limit=1e-3)), prob


# p = 2 on the line: sites B (2) and E (7)... worked out by brute force over the 10 pairs:
# {C, D}? no: the optimum is {B, D}: demand 0..3 -> B (3*2 + 1*1 + 0 + 5*1 = 12), 4..7 -> D
# (1*2 + 1*1 + 0 + 2*1 = 5): 17
PMEDIAN = ModelCase(
    "p-median", _pmedian, _line_problem, 17.0, ("demand_id", "site_id"), _pmedian_infeasible, _pmedian_too_hard
)


# ------------------------------------------------------------------------------ renewal scheduling
def _two_schools():
    import pandas as pd

    # two primary schools of 1,000 m² built 1960: each rebuild due 2020, 33万円/m² = 3.3億 over 3 years
    return pd.DataFrame(
        {
            "facility_id": ["A", "B"],
            "category": ["primary_school"] * 2,
            "floor_area_m2": [1000.0, 1000.0],
            "year_built": [1960, 1960],
        }
    )


def _simple_schedule_params(**windows):
    from facility_opt.renewal.schedule import Penalties, ScheduleParams, Window

    # only a linear risk of 1 % of the event cost per year late (tests/test_schedule.py's SIMPLE)
    return ScheduleParams(
        windows={"*": Window(early_years=0, late_years=10), **windows},
        penalties=Penalties(
            risk_linear=0.01,
            risk_quadratic=0.0,
            deferred_rebuild_maintenance_yen_per_m2=0.0,
            early_share_per_year=0.0,
            defer_tail_years=0,
        ),
    )


def _scheduler(options: SolverOptions, budget: float = 1.1e8, **windows):
    from facility_opt.renewal.schedule import RenewalScheduler

    return RenewalScheduler(
        start_year=2018, horizon_years=10, budget=budget, params=_simple_schedule_params(**windows), options=options
    )


def _scheduler_infeasible():
    from facility_opt.renewal.schedule import Window

    # school rebuilds must start by 2022 (hard limit 2 years): 1.1億 is due in 2022 whatever the year,
    # over a cap of 0.5億
    hard = Window(early_years=0, late_years=10, hard_limit_years=2)
    return _scheduler(SolverOptions(), budget=0.5e8, primary_school=hard), _two_schools()


def _scheduler_too_hard():
    import pandas as pd

    from facility_opt.renewal.schedule import RenewalScheduler, ScheduleParams

    rng = np.random.default_rng(3)
    n = 150
    f = pd.DataFrame(
        {
            "facility_id": [f"b{i:03d}" for i in range(n)],
            "category": ["primary_school"] * n,
            "floor_area_m2": rng.integers(500, 5000, n).astype(float),
            "year_built": rng.integers(1955, 1990, n),
        }
    )
    return RenewalScheduler(
        start_year=2016,
        budget=30e8,
        params=ScheduleParams(group_identical=False),
        options=SolverOptions(time_limit=1e-3),
    ), f


# A cap of 1.1億 a year pays one rebuild at a time: A in 2020-22 (on time), B in 2023-25 (3 years late):
# capital 2 × 3.3億 = 660,000,000 + B's risk 3.3億 × 1 % × 3 = 9,900,000 -> 669,900,000 yen; any other
# order or year costs more risk. The solver's objective adds the deterministic tie-break (in 億円:
# 1e-6 × (years from 2018) / 10 per building of the one cohort): 1e-6 × (2 + 5) / 10 億 = 70 yen.
RENEWAL_SCHEDULE = ModelCase(
    "renewal-schedule",
    _scheduler,
    _two_schools,
    669_900_000.0 + 70.0,
    ("building_id", "event", "cycle"),
    _scheduler_infeasible,
    _scheduler_too_hard,
)


# ------------------------------------------------------------------------------------ fee revision
def _fee_tariff():
    from facility_opt.fees import FacilityCost, FeeItem, FeeTariff

    # one hall (2,000,000 yen a year), two per-person lines on half its floor each, 1,000 uses a year,
    # no price response: each use costs 2,000,000 × 0.5 / 1,000 = ¥1,000; target 50 % (optional, public)
    def item(item_id, fee):
        return FeeItem(
            item_id=item_id,
            facility_type="hall",
            room_class=f"room_{item_id}",
            unit="person",
            current_fee=fee,
            floor_share=0.5,
            annual_uses=1000,
            necessity="optional",
            market="public",
            elasticity=0.0,
        )

    return FeeTariff(items=(item("a", 100), item("b", 500)), costs={"hall": FacilityCost(annual_operating_yen=2e6)})


def _fee_revision(options: SolverOptions):
    from facility_opt.fees import FeePolicy, FeeRevision

    return FeeRevision(FeePolicy(cap_ratio=1.5, rounding_unit=10), options=options)


def _fee_infeasible():
    from facility_opt.fees import FacilityCost, FeeItem, FeePolicy, FeeRevision, FeeTariff

    # the fee may not fall (min_fee_ratio 1) and non-residents pay 1.5 ×: use keeps 0.6 + 0.4 / 1.5 =
    # 86.7 % at best, below the 95 % the use-drop limit requires (tests/test_fees.py)
    it = FeeItem(
        item_id="gym_pass",
        facility_type="gym",
        room_class="pass",
        unit="person",
        current_fee=500,
        floor_share=1.0,
        annual_uses=1000,
        necessity="optional",
        market="public",
        share_nonresident=0.4,
        elasticity=-1.0,
    )
    pol = FeePolicy(min_fee_ratio=1.0, nonresident_surcharge=0.5, max_use_drop=0.05)
    return FeeRevision(pol), FeeTariff(items=(it,), costs={"gym": FacilityCost(annual_operating_yen=1e6)})


def _fee_too_hard():
    from facility_opt.fees import FacilityCost, FeeItem, FeePolicy, FeeRevision, FeeTariff

    rng = np.random.default_rng(5)
    n = 60
    items = tuple(
        FeeItem(
            item_id=f"i{i:03d}",
            facility_type="hall",
            room_class=f"r{i:03d}",
            unit="person",
            current_fee=int(rng.integers(10, 100)) * 10,
            floor_share=1.0 / n,
            annual_uses=int(rng.integers(500, 5000)),
            necessity="optional",
            market="public",
            elasticity=-float(rng.uniform(0.2, 1.5)),
        )
        for i in range(n)
    )
    pol = FeePolicy(objective="revenue", max_use_drop=0.05, cap_ratio=3.0)
    return (
        FeeRevision(pol, options=SolverOptions(time_limit=1e-3)),
        FeeTariff(items=items, costs={"hall": FacilityCost(annual_operating_yen=5e8)}),
    )


# Target ¥500 for both lines (50 % of ¥1,000). b: ¥500 today, meets it: deviation 0. a: ¥100 today, at most
# 1.5 × 100 = ¥150, recovering 15 %: deviation |0.15 − 0.5| × ¥1,000 × 1,000 uses = 350,000 yen. The
# objective adds the tie-break 1e-3 × rank / (max rank + 1) / lines: a's ¥150 ranks 2 × 50 / 10 + 1 = 11,
# the largest is b's ¥750 (its cap, 2 × 250 / 10 + 1 = 51) -> 1e-3 × 11 / (51 + 1) / 2 lines.
FEE_REVISION = ModelCase(
    "fee-revision",
    _fee_revision,
    _fee_tariff,
    350_000.0 + 1e-3 * 11 / 52 / 2,
    ("item_id",),
    _fee_infeasible,
    _fee_too_hard,
)


# ---------------------------------------------------------------------------- portfolio
def _portfolio(options: SolverOptions):
    from facility_opt.portfolio import PortfolioOptimiser, PortfolioOptions

    # exact and single-threaded, as tests/portfolio_cases.EXACT: the same plan on every run
    return PortfolioOptimiser(PortfolioOptions(solver=dataclasses.replace(options, gap_rel=0.0, threads=1)))


def _two_halls():
    from portfolio_cases import two_halls

    return two_halls()


def _portfolio_infeasible():
    from portfolio_cases import two_halls

    # a 10 % smaller floor needs a closure, and no closure is allowed (tests/test_portfolio_core.py)
    return _portfolio(SolverOptions()), two_halls(max_closures=0, min_floor_reduction=0.1)


def _hall_ward(nz: int = 80, ns: int = 12, seed: int = 3):
    """A ward of ``nz`` zones and ``ns`` halls on a 6 km square, every zone within reach of a hall; its
    keep-everything baseline alone takes HiGHS about a second (30 years, the ``nearest`` rule)."""
    import pandas as pd

    from facility_opt.portfolio import PortfolioProblem

    rng = np.random.default_rng(seed)
    zxy, sxy = rng.uniform(0, 6000, (nz, 2)), rng.uniform(0, 6000, (ns, 2))
    sid, zid = [f"S{i:02d}" for i in range(ns)], [f"Z{i:03d}" for i in range(nz)]
    d = np.hypot(zxy[:, None, 0] - sxy[None, :, 0], zxy[:, None, 1] - sxy[None, :, 1])
    reach = float(np.max(np.min(d, axis=1))) + 50.0  # every zone reaches a hall
    pop = rng.uniform(100, 1000, nz).round()
    zz, ss = np.nonzero(d <= reach)
    return PortfolioProblem.from_frames(
        sites=pd.DataFrame(
            {
                "site_id": sid,
                "category": "hall",
                "floor_area_m2": rng.uniform(300, 900, ns).round(),
                "operating_yen_per_m2_year": rng.uniform(5e3, 2e4, ns).round(),
                "build_yen_per_m2": 4e5,
            }
        ),
        services=pd.DataFrame(
            {
                "service_id": ["hall"],
                "coverage_m": [reach],
                "floor_m2_per_unit": [5.0],
                "host_categories": ["hall"],
                "rule": ["nearest"],
            }
        ),
        demand=pd.DataFrame({"zone_id": zid, "service_id": "hall", "population": pop, "demand": (pop * 0.05).round(2)}),
        placements=pd.DataFrame({"site_id": sid, "service_id": "hall", "capacity": 200.0}),
        pairs=pd.DataFrame(
            {"zone_id": np.array(zid)[zz], "site_id": np.array(sid)[ss], "distance_m": d[zz, ss].round(1)}
        ),
        policy={"start_year": 2019, "horizon_years": 30},
        name="hall ward",
    )


def _portfolio_too_hard():
    from facility_opt.portfolio import PortfolioOptimiser, PortfolioOptions

    # 1 ms: HiGHS stops in presolve of the keep-everything baseline, long before any plan
    return PortfolioOptimiser(PortfolioOptions(solver=SolverOptions(time_limit=1e-3))), _hall_ward()


# two_halls (tests/portfolio_cases.py): keep A (100e6 renewal + 500 m² × 10,000 ¥ × 30 y = 250e6), close B in
# 2019 and sell its 600 m² at 500,000 ¥/m² (−300e6): −50e6 yen; no new placement, so no tie-break
PORTFOLIO = ModelCase(
    "portfolio", _portfolio, _two_halls, -50e6, ("facility_id",), _portfolio_infeasible, _portfolio_too_hard
)


def _random_problem(**kw):
    """400 random points, each a demand point and a site: too big for a 1 ms time limit."""
    from facility_opt.locate import LocationProblem

    rng = np.random.default_rng(7)
    xy = rng.random((400, 2))
    cost = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    return LocationProblem.from_cost_matrix(cost, np.ones(400), **kw)


_TOO_FAST = SolverOptions(time_limit=1e-3)


def _line_with(**kw):
    """The line problem with fixed costs and/or capacities per site."""
    from facility_opt.locate import LocationProblem

    p = _line_problem()
    return LocationProblem.from_cost_matrix(
        p.cost, p.demand, demand_ids=list(p.demand_ids), site_ids=list(p.site_ids), **kw
    )


def _fl(capacitated: bool):
    def make(options: SolverOptions):
        from facility_opt.locate import FacilityLocation

        return FacilityLocation(capacitated=capacitated, options=options)

    return make


def _ufl_problem():
    return _line_with(fixed_cost=[8.0] * 5)


def _ufl_infeasible():
    from facility_opt.locate import FacilityLocation, LocationProblem

    cost = np.array([[1.0, np.inf], [np.inf, np.inf]])  # the second demand point reaches no site
    return FacilityLocation(), LocationProblem.from_cost_matrix(cost, [1.0, 1.0], fixed_cost=[1.0, 1.0])


def _ufl_too_hard():
    from facility_opt.locate import FacilityLocation

    return FacilityLocation(options=_TOO_FAST), _random_problem(fixed_cost=np.full(400, 2.0))


# UFL, opening cost 8 per site: {B, D} costs 2 * 8 + 17 (the p-median pair above) = 33; one site at
# best C: 8 + (12 + 3 + 4 + 5 + 0 + 1 + 8 + 6) = 47; three at best {A, B, D}: 24 + 17 - 6 (d0 to A) = 35
UFL = ModelCase("UFL", _fl(False), _ufl_problem, 33.0, ("demand_id", "site_id"), _ufl_infeasible, _ufl_too_hard)


def _cfl_problem():
    return _line_with(fixed_cost=[8.0] * 5, capacity=[7.0] * 5)


def _cfl_infeasible():
    from facility_opt.locate import FacilityLocation

    return FacilityLocation(capacitated=True), _line_with(fixed_cost=[8.0] * 5, capacity=[3.0] * 5)  # 15 < 19


def _cfl_too_hard():
    from facility_opt.locate import FacilityLocation

    return (
        FacilityLocation(capacitated=True, options=_TOO_FAST),
        _random_problem(fixed_cost=np.full(400, 2.0), capacity=np.full(400, 5.0)),
    )


# CFL, capacity 7 and opening cost 8 per site: demand 19 needs three sites (2 * 7 < 19). {A, B, D}:
# A serves d0, d1 (cost 0 + 1), B d2, d3 (0 + 5: load 7, full), D d5, d6, d7 (1 + 0 + 2: load 7,
# full), so d4 goes to A at distance 4: 3 * 8 + 1 + 5 + 3 + 4 = 37
CFL = ModelCase("CFL", _fl(True), _cfl_problem, 37.0, ("demand_id", "site_id"), _cfl_infeasible, _cfl_too_hard)


def _mclp(options: SolverOptions):
    from facility_opt.locate import MCLP

    return MCLP(1.0, 2, options=options)


def _mclp_infeasible():
    from facility_opt.locate import MCLP

    return MCLP(1.0, 6), _line_problem()  # p = 6 > 5 sites


def _mclp_too_hard():
    from facility_opt.locate import MCLP

    return MCLP(0.05, 20, options=_TOO_FAST), _random_problem()


# MCLP, radius 1, p = 2: the sites cover A {d0, d1} 4, B {d1, d2, d3} 8, C {d3, d4, d5} 7,
# D {d5, d6, d7} 7, E {d6, d7} 6 (demand); B and D overlap nowhere: 15 of 19 (only d0 and d4 left)
MCLP_CASE = ModelCase("MCLP", _mclp, _line_problem, 15.0, ("demand_id", "site_id"), _mclp_infeasible, _mclp_too_hard)


def _lscp(options: SolverOptions):
    from facility_opt.locate import LSCP

    return LSCP(1.0, options=options)


def _lscp_infeasible():
    from facility_opt.locate import LSCP

    return LSCP(0.5), _line_problem()  # d1 and d3 are 1 from their nearest sites


def _lscp_too_hard():
    from facility_opt.locate import LSCP

    return LSCP(0.08, options=_TOO_FAST), _random_problem()


# LSCP, radius 1: d0 only by A, d2 only by B, d4 only by C, d7 by D or E: 4 sites
LSCP_CASE = ModelCase("LSCP", _lscp, _line_problem, 4.0, ("demand_id", "site_id"), _lscp_infeasible, _lscp_too_hard)


def _pcenter(options: SolverOptions):
    from facility_opt.locate import PCenter

    return PCenter(2, options=options)


def _pcenter_infeasible():
    from facility_opt.locate import PCenter

    return PCenter(6), _line_problem()


def _pcenter_too_hard():
    from facility_opt.locate import PCenter

    return PCenter(20, options=_TOO_FAST), _random_problem()


# p-center, p = 2: radius 1 needs A (for d0) and D or E (for d7), leaving d3 3 away; {B, D} reaches
# everyone within 2 (d0, d4)
PCENTER = ModelCase(
    "p-center", _pcenter, _line_problem, 2.0, ("demand_id", "site_id"), _pcenter_infeasible, _pcenter_too_hard
)

MODELS: list[ModelCase] = [PMEDIAN, UFL, CFL, MCLP_CASE, LSCP_CASE, PCENTER, RENEWAL_SCHEDULE, FEE_REVISION, PORTFOLIO]


def _snapshot(obj: Any) -> dict[str, bytes]:
    """The problem's data, attribute by attribute (a cache a solve fills in later is not a change)."""
    import pandas as pd

    if isinstance(obj, (pd.DataFrame, pd.Series)):  # a table problem (renewal scheduling): the whole table
        return {"": pickle.dumps(obj)}
    if hasattr(obj, "__dict__") and not isinstance(obj, dict):
        return {k: pickle.dumps(v) for k, v in vars(obj).items()}
    return {"": pickle.dumps(obj)}


@pytest.fixture(params=MODELS, ids=lambda m: m.name)
def case(request) -> ModelCase:
    return request.param


def test_solve_keeps_the_contract(case: ModelCase, tmp_path):
    problem = case.problem()
    before = _snapshot(problem)
    optimiser = case.make(SolverOptions())
    assert isinstance(optimiser, Optimiser)
    result = optimiser.solve(problem)
    assert isinstance(result, Result)
    # the input is unchanged
    after = _snapshot(problem)
    assert {k: after.get(k) for k in before} == before
    # the known optimum, objective in yen (location: the problem's unit)
    assert result.status == "optimal"
    assert result.info.objective == pytest.approx(case.objective, rel=1e-9, abs=1e-6)
    # frozen
    field = dataclasses.fields(result)[0].name if dataclasses.is_dataclass(result) else "info"
    with pytest.raises((dataclasses.FrozenInstanceError, AttributeError, TypeError, ValueError)):
        setattr(result, field, None)
    # the main table is keyed by ids
    frame = result.to_frame()
    assert set(case.keys) <= set(frame.columns)
    assert not frame.duplicated(list(case.keys)).any()
    # JSON-ready
    json.dumps(result.to_dict())
    # one-screen repr
    assert 1 <= len(repr(result).splitlines()) <= MAX_REPR_LINES
    # files: byte-identical for identical input
    a = result.to_files(tmp_path / "a")
    b = case.make(SolverOptions()).solve(case.problem()).to_files(tmp_path / "b")
    assert sorted(a) == sorted(b) and a
    for name in a:
        assert a[name].read_bytes() == b[name].read_bytes(), name
    assert not list(tmp_path.rglob("*.tmp*"))


def test_infeasible_raises_naming_what_blocks(case: ModelCase):
    optimiser, problem = case.infeasible()
    with pytest.raises(InfeasibleError) as err:
        optimiser.solve(problem)
    assert str(err.value).strip()


def test_tiny_time_limit_raises_solver_error(case: ModelCase):
    optimiser, problem = case.too_hard()
    with pytest.raises(SolverError):
        optimiser.solve(copy.deepcopy(problem))
