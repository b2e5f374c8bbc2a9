"""Solve OR-Library files and report objective, status, gap and times: the engine of
``facility-opt bench`` and of ``benchmarks/bench_locate.py``.

Any file in the two formats is accepted (the format is read from the content, not the name):
p-median files are solved as p-median (as p-center with ``model="pcenter"``); warehouse files as
UFL when every capacity covers total demand (cap71-74, cap101-104, cap131-134) and as splittable
CFL otherwise, unless ``model`` says.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..errors import DataIssue, DataValidationError
from ..solver import SolverOptions
from .orlib import read_orlib
from .pmedian import PMedian

if TYPE_CHECKING:
    from .facility_location import FacilityLocation
    from .pcenter import PCenter

__all__ = ["solve_orlib_file", "collect_files"]

log = logging.getLogger(__name__)

CapModel = Literal["auto", "ufl", "cfl", "cfl-single", "pcenter"]


def _natural(p: Path) -> tuple[int | str, ...]:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.name))


def collect_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files named directly, plus every ``*.txt`` in named folders that looks like an OR-Library
    instance (result tables such as ``pmedopt.txt`` are skipped); natural order (pmed2 < pmed10)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.glob("*.txt"), key=_natural):
                first = f.read_text(errors="replace").split("\n", 1)[0].split()
                if first and all(re.fullmatch(r"[0-9]+", t) for t in first) and len(first) in (2, 3):
                    out.append(f)
                else:
                    log.info("skipping %s: not an OR-Library instance", f)
        elif p.exists():
            out.append(p)
        else:
            raise DataValidationError([DataIssue(str(p), None, None, "no such file or folder")])
    return out


def solve_orlib_file(
    path: str | Path,
    options: SolverOptions | None = None,
    *,
    model: CapModel = "auto",
    capacity: float | None = None,
    method: str = "auto",
) -> dict[str, Any]:
    """Read and solve one OR-Library file; return a JSON-friendly record.

    Keys: instance, file, format, model, n_demand, n_sites, p, objective, status, bound, gap,
    read_seconds, build_seconds, solve_seconds, total_seconds, solver, sites.
    """
    opts = options or SolverOptions()
    t0 = time.perf_counter()
    inst = read_orlib(path, capacity=capacity)
    t_read = time.perf_counter() - t0
    prob = inst.problem
    if inst.format == "pmed" and model == "pcenter":
        from .pcenter import PCenter

        assert inst.p is not None  # a p-median file has p
        mdl: PCenter | PMedian | FacilityLocation = PCenter(inst.p, options=opts)
        label = "p-center"
    elif inst.format == "pmed":
        assert inst.p is not None
        mdl = PMedian(inst.p, method=method, options=opts)  # type: ignore[arg-type]
        label = "p-median"
    else:
        from .facility_location import FacilityLocation

        if model == "pcenter":
            raise DataValidationError(
                [DataIssue(str(path), None, None, "p-center needs a p-median file (pmedN.txt), not a warehouse file")]
            )
        uncap = bool((prob.capacity >= prob.demand.sum()).all())
        kind = ("ufl" if uncap else "cfl") if model == "auto" else model
        mdl = FacilityLocation(capacitated=kind != "ufl", single_source=kind == "cfl-single", options=opts)
        label = mdl.name
    res = mdl.solve(prob)
    total = time.perf_counter() - t0
    i = res.info
    return {
        "instance": inst.name,
        "file": str(path),
        "format": inst.format,
        "model": label,
        "n_demand": prob.n_demand,
        "n_sites": prob.n_sites,
        "p": inst.p,
        "objective": res.objective,
        "status": i.status,
        "bound": i.bound,
        "gap": i.gap,
        "read_seconds": round(t_read, 4),
        "build_seconds": round(i.build_seconds, 4),
        "solve_seconds": round(i.solve_seconds, 4),
        "total_seconds": round(total, 4),
        "solver": i.solver,
        "method": i.extra.get("method"),
        "sites": [int(s) for s in res.sites],  # type: ignore[call-overload]  # OR-Library ids are ints
        "details": {k: v for k, v in i.extra.items() if isinstance(v, (int, float, str))},
    }
