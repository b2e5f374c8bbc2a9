"""Robust plans: uncertainty and scenario sweeps (serial or on Dask distributed) and near-optimal alternatives.

* :func:`sweep` solves many variants of a planning model (its ``sweep`` section: factors on uncertain
  inputs, projection variants, a grid of policy knobs and scenarios) and summarises which decisions
  hold across them (:mod:`facility_opt.robust.aggregate`); results are cached under the hash of their
  inputs, so a stopped sweep resumes.
* :func:`alternatives` finds k distinct plans within a stated share of the optimum.

See ``docs/sweep.md``.
"""

from .aggregate import Summary, summarise, unstable_since, write_summary
from .alternatives import Alternative, alternatives
from .perturb import apply_variant
from .run import SweepResult, solve_variant, sweep
from .spec import Dist, SweepSpec, Variant, generate_variants

__all__ = [
    "sweep",
    "SweepResult",
    "SweepSpec",
    "Dist",
    "Variant",
    "generate_variants",
    "apply_variant",
    "solve_variant",
    "Summary",
    "summarise",
    "write_summary",
    "unstable_since",
    "alternatives",
    "Alternative",
]
