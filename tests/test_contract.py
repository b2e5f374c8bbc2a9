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

MODELS: list[ModelCase] = [PMEDIAN, UFL, CFL, MCLP_CASE, LSCP_CASE, PCENTER]


def _snapshot(obj: Any) -> dict[str, bytes]:
    """The problem's data, attribute by attribute (a cache a solve fills in later is not a change)."""
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
