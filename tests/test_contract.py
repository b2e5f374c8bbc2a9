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
    return LocationProblem.from_cost_matrix(np.abs(pos[:, None] - sites[None, :]), w,
                                            demand_ids=[f"d{i}" for i in range(8)], site_ids=list("ABCDE"))


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
PMEDIAN = ModelCase("p-median", _pmedian, _line_problem, 17.0, ("demand_id", "site_id"),
                    _pmedian_infeasible, _pmedian_too_hard)

MODELS: list[ModelCase] = [PMEDIAN]


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
