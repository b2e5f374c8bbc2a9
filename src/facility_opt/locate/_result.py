"""The immutable result every location model returns, keyed by the caller's ids."""

from __future__ import annotations

import json
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from ..atomic import atomic_write_text
from ..solver import SolveInfo
from ._problem import LocationProblem

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["LocationResult"]


@dataclass(frozen=True, eq=False)
class LocationResult:
    """Chosen sites, the assignment of every demand point, and how the solve went.

    Attributes
    ----------
    model : the model's name ("p-median", "UFL", "CFL", "MCLP", "LSCP", "p-center").
    objective : the model's objective, recomputed from the chosen sites and assignment (not read
        from the solver): total weighted cost, covered demand, number of sites or maximum distance.
    sites : chosen site ids, in the problem's site order.
    info : status, solver objective, bound, gap, build and solve seconds, method details.
    metrics : model-specific figures (mean distance, coverage share, ...).
    """

    model: str
    problem: LocationProblem = field(repr=False)
    site_index: np.ndarray = field(repr=False)
    # one row per (demand, site) used: demand position, site position (-1: unassigned), fraction
    assign_rows: np.ndarray = field(repr=False)
    assign_cols: np.ndarray = field(repr=False)
    assign_frac: np.ndarray = field(repr=False)
    objective: float
    info: SolveInfo
    radius: float | None = None
    metrics: MappingProxyType[str, float] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def sites(self) -> tuple[Hashable, ...]:
        return tuple(self.problem.site_ids[j] for j in self.site_index)

    @property
    def status(self) -> str:
        return self.info.status

    def to_frame(self) -> pd.DataFrame:
        """Assignments: ``demand_id, site_id, fraction, demand, distance, cost, covered``.

        ``distance`` is the problem's cost entry for the pair, ``cost`` the weighted cost of the
        served fraction; ``covered`` says whether the pair is within the radius (covering models)
        or assigned at all (others). Sorted by demand position, then site position.
        """
        import pandas as pd

        pr = self.problem
        r, c, f = self.assign_rows, self.assign_cols, self.assign_frac
        ok = c >= 0
        dist = np.full(len(r), np.nan)
        dist[ok] = pr.cost[r[ok], c[ok]]
        cost = np.full(len(r), np.nan)
        cost[ok] = pr.weighted_cost[r[ok], c[ok]] * f[ok]
        covered = ok & (dist <= self.radius) if self.radius is not None else ok
        sid = np.asarray(pr.site_ids, dtype=object)
        return pd.DataFrame(
            {
                "demand_id": np.asarray(pr.demand_ids, dtype=object)[r],
                "site_id": np.where(ok, sid[np.where(ok, c, 0)], None),  # type: ignore[call-overload]
                "fraction": f,
                "demand": pr.demand[r] * f,
                "distance": dist,
                "cost": cost,
                "covered": covered,
            }
        )

    def sites_frame(self) -> pd.DataFrame:
        """Chosen sites: ``site_id, n_assigned, load`` (+ ``capacity``, ``fixed_cost`` when known)."""
        import pandas as pd

        pr = self.problem
        ok = self.assign_cols >= 0
        cnt = np.bincount(self.assign_cols[ok], minlength=pr.n_sites)
        load = np.bincount(
            self.assign_cols[ok], weights=pr.demand[self.assign_rows[ok]] * self.assign_frac[ok], minlength=pr.n_sites
        )
        j = self.site_index
        out = pd.DataFrame({"site_id": [pr.site_ids[k] for k in j], "n_assigned": cnt[j], "load": load[j]})
        if pr.capacity is not None:
            out["capacity"] = pr.capacity[j]
        if pr.fixed_cost is not None:
            out["fixed_cost"] = pr.fixed_cost[j]
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain summary (JSON-friendly): model, objective, sites, metrics and solve info."""
        return {
            "model": self.model,
            "problem": self.problem.name,
            "objective": self.objective,
            "sites": [s.item() if isinstance(s, np.generic) else s for s in self.sites],
            "metrics": dict(self.metrics),
            **self.info.to_dict(),
        }

    def to_files(self, folder: str | Path) -> dict[str, Path]:
        """Write ``assignments.csv`` (:meth:`to_frame`), ``sites.csv`` (:meth:`sites_frame`) and
        ``result.json`` (:meth:`to_dict` without the solve times) atomically, byte-identical for
        identical input."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        summary = {k: v for k, v in self.to_dict().items() if not k.endswith("_seconds")}
        return {
            "assignments": atomic_write_text(
                folder / "assignments.csv", self.to_frame().to_csv(index=False, lineterminator="\n")
            ),
            "sites": atomic_write_text(
                folder / "sites.csv", self.sites_frame().to_csv(index=False, lineterminator="\n")
            ),
            "result": atomic_write_text(
                folder / "result.json", json.dumps(summary, indent=1, sort_keys=True, default=str) + "\n"
            ),
        }

    def __repr__(self) -> str:
        i = self.info
        bound = "-" if i.bound is None else f"{i.bound:.10g}"
        gap = "-" if i.gap is None else f"{100 * i.gap:.4f} %"
        shown = ", ".join(map(str, self.sites[:12])) + (" ..." if len(self.sites) > 12 else "")
        lines = [
            f"<{self.model} result on {self.problem!r}>",
            f"  status    {i.status}   objective {self.objective:.10g}   bound {bound}   gap {gap}",
            f"  sites     {len(self.sites)}: {shown}",
            f"  times     build {i.build_seconds:.3f} s   solve {i.solve_seconds:.3f} s   ({i.solver}"
            + (f", method {i.extra['method']}" if "method" in i.extra else "")
            + ")",
        ]
        if self.metrics:
            lines.append(
                "  metrics   "
                + "   ".join(f"{k} {v:.10g}" if isinstance(v, float) else f"{k} {v}" for k, v in self.metrics.items())
            )
        return "\n".join(lines)


def nearest_assignment(problem: LocationProblem, site_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each demand point's cheapest chosen site (ties: lowest site index); -1 where none is reachable."""
    sub = problem.cost[:, site_index]
    k = np.argmin(sub, axis=1)  # first minimum = lowest index (site_index is sorted)
    cols = site_index[k]
    cols = np.where(np.isfinite(sub[np.arange(problem.n_demand), k]), cols, -1)
    return np.arange(problem.n_demand), cols
