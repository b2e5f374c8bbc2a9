"""Generator of larger Euclidean location instances (1,000-5,000 points) for the benchmarks.

Points are drawn uniformly in a 10,000 x 10,000 square with a fixed seed; every point is both a
demand point (weight 1) and a candidate site, and the cost is the Euclidean distance rounded to
an integer (integral costs, as in OR-Library, so optimality is proven on whole units). The same
``(n, seed)`` always gives the same instance.

    .venv/bin/python benchmarks/gen_euclid.py 3000 --seed 1 --out /tmp/e3000.npz   # save one
    from gen_euclid import euclid_problem; prob = euclid_problem(3000, seed=1)       # in memory
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

SIDE = 10_000.0


def euclid_points(n: int, seed: int = 1) -> np.ndarray:
    """``n`` points uniform in the square (deterministic for a seed)."""
    if not 2 <= n <= 20_000:
        raise ValueError(f"n = {n}: use 2 to 20,000 points (the cost matrix is dense, n x n)")
    return np.random.default_rng(seed).random((n, 2)) * SIDE


def euclid_cost(points: np.ndarray) -> np.ndarray:
    """Rounded Euclidean distances between all pairs of points (float64, integral values)."""
    from scipy.spatial.distance import cdist

    return np.rint(cdist(points, points))


def euclid_problem(n: int, seed: int = 1):
    """A :class:`~facility_opt.locate.LocationProblem` named ``euclid<n>s<seed>``."""
    from facility_opt.locate import LocationProblem

    return LocationProblem.from_cost_matrix(euclid_cost(euclid_points(n, seed)), name=f"euclid{n}s{seed}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, required=True, help=".npz file: points and cost matrix")
    args = ap.parse_args()
    pts = euclid_points(args.n, args.seed)
    np.savez_compressed(args.out, points=pts, cost=euclid_cost(pts))
    print(f"wrote {args.out}: {args.n} points, seed {args.seed}")


if __name__ == "__main__":
    main()
