"""The one place where PuLP models are handed to a solver.

Every optimisation model builds a :class:`pulp.LpProblem` and calls :func:`solve`, which picks the
solver (HiGHS through highspy by default, CBC as the fallback), applies the common options (time
limit, relative gap, threads, warm start) and maps PuLP 4's status to a small, stable vocabulary
reported in a :class:`SolveInfo`.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import pulp

from .errors import SolverError

__all__ = [
    "SolverOptions",
    "SolveInfo",
    "solve",
    "map_status",
    "require_solution",
    "combine_infos",
    "available_solvers",
]

log = logging.getLogger(__name__)

SolverName = Literal["highs", "cbc"]
Status = Literal["optimal", "feasible", "infeasible", "unbounded", "no_solution"]


@dataclass(frozen=True)
class SolverOptions:
    """Solver settings shared by every model.

    Parameters
    ----------
    solver : "highs" or "cbc"
        HiGHS (default) is much faster on large models; CBC is the fallback and is used
        automatically when highspy is not installed.
    time_limit : seconds, or None for no limit.
    gap_rel : relative MIP gap at which to stop (None: the solver's default, 1e-4 for HiGHS).
    gap_abs : absolute MIP gap at which to stop.
    threads : solver threads (None: the solver's default).
    warm_start : hand the initial values set on variables to the solver.
    msg : show the solver log.
    highs_options : further HiGHS options by name (e.g. ``{"mip_heuristic_effort": 0.3}``); ignored
        by CBC.
    """

    solver: SolverName = "highs"
    time_limit: float | None = None
    gap_rel: float | None = None
    gap_abs: float | None = None
    threads: int | None = None
    warm_start: bool = False
    msg: bool = False
    highs_options: dict[str, float | int | str | bool] = field(default_factory=dict)


@dataclass(frozen=True)
class SolveInfo:
    """What happened in one solve: status, objective, bound, gap and times (seconds)."""

    status: Status
    objective: float | None
    bound: float | None
    gap: float | None
    build_seconds: float
    solve_seconds: float
    solver: str
    nodes: int | None = None
    raw_status: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def has_solution(self) -> bool:
        return self.status in ("optimal", "feasible")

    def __str__(self) -> str:
        obj = "-" if self.objective is None else f"{self.objective:.6g}"
        gap = "-" if self.gap is None else f"{100 * self.gap:.3f}%"
        return (
            f"{self.status} obj={obj} gap={gap} build={self.build_seconds:.2f}s "
            f"solve={self.solve_seconds:.2f}s ({self.solver})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "build_seconds": round(self.build_seconds, 4),
            "solve_seconds": round(self.solve_seconds, 4),
            "solver": self.solver,
            "nodes": self.nodes,
            "raw_status": self.raw_status,
        }


def available_solvers() -> list[str]:
    """Names of the solvers usable on this machine, in order of preference."""
    names = []
    if pulp.HiGHS(msg=False).available():
        names.append("highs")
    if pulp.COIN_CMD(msg=False).available():
        names.append("cbc")
    return names


@functools.cache
def _swallow_highs_banner() -> None:
    """HiGHS prints a copyright banner on stdout when the first Highs object of a process is made,
    whatever the options; make that first object with the C-level stdout sent to /dev/null, so that
    batch logs and CLI output stay clean (``msg=True`` still shows the solver log)."""
    try:
        import highspy
    except ImportError:
        return
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _make_solver(opts: SolverOptions) -> tuple[pulp.LpSolver, str]:
    name = opts.solver
    if name == "highs" and not pulp.HiGHS(msg=False).available():
        log.warning("highspy is not available; falling back to CBC")
        name = "cbc"
    common: dict[str, Any] = dict(
        msg=opts.msg,
        timeLimit=opts.time_limit,
        gapRel=opts.gap_rel,
        gapAbs=opts.gap_abs,
        threads=opts.threads,
        warmStart=opts.warm_start,
    )
    if name == "highs":
        _reset_highs_scheduler()
        if not opts.msg:
            _swallow_highs_banner()
        solver = pulp.HiGHS(**common)
        solver.optionsDict.update(opts.highs_options)
        return solver, "highs"
    if name == "cbc":
        if not pulp.COIN_CMD(msg=False).available():
            raise SolverError("No solver available: install highspy (pulp[highs]) or CBC (pulp[cbc]).")
        return pulp.COIN_CMD(**common), "cbc"
    raise ValueError(f"unknown solver {opts.solver!r}; use 'highs' or 'cbc'")


def _reset_highs_scheduler() -> None:
    """HiGHS keeps one global thread scheduler per process: a solve asking for another thread count
    than the first one fails with 'NotSolved'.  Resetting it before each solve lets models with
    different ``threads`` share a process (a notebook, a test session)."""
    try:
        import highspy

        highspy.Highs.resetGlobalScheduler(True)
    except (ImportError, AttributeError):  # pragma: no cover - older highspy
        pass


def _num(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _start_trap(stats: Any, opts: SolverOptions) -> bool:
    """An "Optimal" MIP whose objective and bound are further apart than the gap tolerances allow."""
    if stats.status != pulp.LpSolveStatus.Optimal or not getattr(stats, "has_solution", False):
        return False
    obj, bound = _num(stats.objective), _num(getattr(stats, "best_bound", None))
    if obj is None or bound is None:
        return False
    tol = max(opts.gap_rel or 1e-4, 1e-4) * max(abs(obj), 1.0) * 1.5 + (opts.gap_abs or 1e-6)
    return abs(obj - bound) > tol


def map_status(code: pulp.LpSolveStatus, has_solution: bool, options: SolverOptions) -> Status:
    """PuLP 4's solve status (and whether a solution came back) in the small vocabulary of :data:`Status`."""
    st = pulp.LpSolveStatus
    if code == st.Optimal and has_solution:
        return "optimal"
    if code == st.GapLimit and has_solution:
        # CBC reports "optimal within gap tolerance" as GapLimit.
        return "optimal" if options.gap_rel is None and options.gap_abs is None else "feasible"
    if code == st.Infeasible:
        return "infeasible"
    if code == st.Unbounded:
        return "unbounded"
    return "feasible" if has_solution else "no_solution"


def solve(prob: pulp.LpProblem, options: SolverOptions | None = None, build_seconds: float = 0.0) -> SolveInfo:
    """Solve ``prob`` and return a :class:`SolveInfo`; never raises for infeasible models.

    Callers decide what an infeasible or solution-less status means for their model (they know
    which demand or limit to blame); :func:`require_solution` is the common check.
    """
    opts = options or SolverOptions()
    solver, name = _make_solver(opts)
    t0 = time.perf_counter()
    stats = prob.solve(solver)
    if name == "highs" and opts.warm_start and prob.isMIP() and _start_trap(stats, opts):
        # HiGHS 1.16 can lose presolve's objective offset when it maps a MIP start into the reduced
        # space; it then prunes with a too-low incumbent value and reports "Optimal" with a gap far
        # above the tolerance. Solve again without the start.
        log.warning(
            "HiGHS reported Optimal with objective %s but bound %s for %s (MIP-start presolve issue); "
            "re-solving without the warm start",
            stats.objective,
            getattr(stats, "best_bound", None),
            prob.name,
        )
        solver, name = _make_solver(replace(opts, warm_start=False))
        stats = prob.solve(solver)
    elapsed = time.perf_counter() - t0
    has_sol = bool(getattr(stats, "has_solution", False))
    code = stats.status
    status = map_status(code, has_sol, opts)
    objective = _num(stats.objective) if has_sol else None
    bound = _num(getattr(stats, "best_bound", None))
    if not prob.isMIP() and status == "optimal":
        bound = objective
    gap = _num(getattr(stats, "gap_rel", None))
    if status == "optimal" and gap is None:
        gap = 0.0
    if gap is None and objective is not None and bound is not None:
        gap = abs(objective - bound) / max(abs(objective), 1e-9)
    info = SolveInfo(
        status=status,
        objective=objective,
        bound=bound,
        gap=gap,
        build_seconds=build_seconds,
        solve_seconds=elapsed,
        solver=name,
        nodes=getattr(stats, "nodes", None),
        raw_status=str(getattr(stats, "status_str", code)),
    )
    log.info("solved %s: %s", prob.name, info)
    return info


def require_solution(info: SolveInfo, what: str, infeasible: Callable[[], Exception] | None = None) -> None:
    """Raise :class:`SolverError` when ``info`` carries no usable solution.

    An infeasible status passes (the caller knows which demand or limit to blame) unless
    ``infeasible`` is given: it then builds the error to raise (e.g. an :class:`InfeasibleError`
    from an elastic re-solve naming the years short).
    """
    if info.status == "infeasible" and infeasible is not None:
        raise infeasible()
    if not info.has_solution and info.status != "infeasible":
        raise SolverError(
            f"{what}: the solver stopped with status {info.status} ({info.raw_status}) and no solution; "
            "raise the time limit (SolverOptions.time_limit) or loosen the gap (gap_rel)."
        )


def combine_infos(
    infos: Sequence[SolveInfo],
    *,
    status: Status | None = None,
    objective: float | None = None,
    bound: float | None = None,
    gap: float | None = None,
    nodes: int | None = None,
    extra_build: float = 0.0,
    extra_solve: float = 0.0,
    solver: str | None = None,
    extra: dict[str, Any] | None = None,
) -> SolveInfo:
    """One :class:`SolveInfo` for a method made of several solves (and non-solver work).

    Times add up and nodes too; status, objective, bound and raw status default to the last
    solve's; the gap is the one of that objective and bound unless ``gap`` is given (a lexicographic
    second step keeps its solver's own gap and node count: ``gap=last.gap, nodes=last.nodes``).
    """
    last = infos[-1] if infos else None
    st: Status = status or (last.status if last else "optimal")
    obj = objective if objective is not None else (last.objective if last else None)
    bd = bound if bound is not None else (last.bound if last else None)
    if st == "optimal" and obj is not None and bd is None:
        bd = obj
    if gap is None and obj is not None and bd is not None:
        gap = abs(obj - bd) / max(abs(obj), 1e-9)
    return SolveInfo(
        status=st,
        objective=obj,
        bound=bd,
        gap=gap,
        build_seconds=extra_build + sum(i.build_seconds for i in infos),
        solve_seconds=extra_solve + sum(i.solve_seconds for i in infos),
        solver=solver or (last.solver if last else "none"),
        nodes=nodes if nodes is not None else (sum((i.nodes or 0) for i in infos) if infos else 0),
        raw_status=last.raw_status if last else "",
        extra=dict(extra or {}),
    )
