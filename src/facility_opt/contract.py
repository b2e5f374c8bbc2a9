"""The one contract every optimiser keeps: parameters -> ``solve(problem)`` -> a frozen result.

A reader who has learnt one model can predict the next (``docs/contract.md``):

* an **optimiser** object holds only parameters (a p for the p-median, a fee policy, schedule
  parameters, portfolio options) and has ``solve(problem) -> Result``; it never changes its input;
* a **result** is frozen and has ``status``, ``info`` (a :class:`~facility_opt.solver.SolveInfo`
  whose ``objective`` is in the model's money unit, **yen**, or, for the classic location models,
  in the problem's own cost unit), ``to_frame()`` (the main table, keyed by the caller's ids),
  ``to_dict()`` (JSON-ready, no wall-clock), ``to_files(folder)`` (written atomically, byte-identical
  for identical input) and a repr of at most ten lines;
* a problem no plan can satisfy raises :class:`~facility_opt.errors.InfeasibleError` naming what
  blocks it; a solver that stops without any solution (a time limit too tight) raises
  :class:`~facility_opt.errors.SolverError`.

``tests/test_contract.py`` runs the same checks over its ``MODELS`` list: adding a model is one
module and one entry there.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import pandas as pd

    from .solver import SolveInfo

__all__ = ["Result", "Optimiser", "MAX_REPR_LINES"]

#: a result's repr fits on one screen
MAX_REPR_LINES = 10


@runtime_checkable
class Result(Protocol):
    """What every optimiser returns (frozen)."""

    @property
    def status(self) -> str:
        """``optimal`` or ``feasible`` (a result always carries a solution)."""
        ...

    @property
    def info(self) -> SolveInfo:
        """How the solve went; ``info.objective`` in yen (location models: the problem's cost unit)."""
        ...

    def to_frame(self) -> pd.DataFrame:
        """The main table, keyed by the caller's ids, sorted."""
        ...

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary without wall-clock values."""
        ...

    def to_files(self, folder: str | Path) -> dict[str, Path]:
        """Write the result's files atomically; returns ``{name: path}``."""
        ...


@runtime_checkable
class Optimiser(Protocol):
    """An object holding a model's parameters; ``solve`` never changes ``problem``."""

    def solve(self, problem: Any) -> Result: ...
