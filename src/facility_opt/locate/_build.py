"""Shared model-building blocks: bulk variables, sparse rows, warm starts and solution read-back.

Every location model is assembled from these helpers, so the bulk paths of PuLP 4 (one
``add_variables_batch`` call per variable family, one ``lpSum_vars_coefs`` per row from numpy
arrays) are used everywhere and no model builds its rows term by term. Pairs are kept in
coordinate form (``rows``, ``cols`` numpy arrays, sorted by row then column) so sparsity, filtering
and row grouping are vectorised.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pulp

from ..solver import SolveInfo, SolverOptions, solve

__all__ = ["Pairs", "Model", "make_options", "pair_labels"]

#: PuLP's variable categories
Category = Literal["Continuous", "Integer", "Binary"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pairs:
    """Usable (demand, site) pairs in coordinate form, sorted by demand then site."""

    rows: np.ndarray
    cols: np.ndarray

    @classmethod
    def from_mask(cls, mask: np.ndarray) -> Pairs:
        r, c = np.nonzero(mask)  # row-major order: sorted by row, then column
        return cls(r, c)

    def __len__(self) -> int:
        return len(self.rows)

    def by_row(self, n: int) -> np.ndarray:
        """CSR-style pointer: the pairs of row ``i`` are ``indptr[i]:indptr[i+1]``."""
        return np.concatenate([[0], np.cumsum(np.bincount(self.rows, minlength=n))])

    def by_col(self, m: int) -> tuple[np.ndarray, np.ndarray]:
        """(order, indptr) grouping the pairs by column."""
        order = np.lexsort((self.rows, self.cols))
        return order, np.concatenate([[0], np.cumsum(np.bincount(self.cols, minlength=m))])


def pair_labels(pairs: Pairs) -> list[str]:
    """Variable-name suffixes ``<demand>_<site>`` (positions) for a pair list."""
    return [f"{i}_{j}" for i, j in zip(pairs.rows.tolist(), pairs.cols.tolist())]


class Model:
    """A PuLP problem plus the timing of its build; variables are kept in numpy object arrays."""

    def __init__(self, name: str, sense: int = pulp.LpMinimize) -> None:
        self.t0 = time.perf_counter()
        self.prob = pulp.LpProblem(re.sub(r"\W", "_", name), sense)
        self.n_rows = 0

    def variables(
        self,
        prefix: str,
        count: int,
        cat: Category = "Continuous",
        low: float = 0.0,
        up: float | None = None,
        labels: Sequence[Hashable] | None = None,
    ) -> np.ndarray:
        """``count`` variables in one batch call, named ``prefix_<label>``."""
        if count == 0:
            return np.empty(0, dtype=object)
        labels = range(count) if labels is None else labels
        d = self.prob.add_variable_dicts(prefix, list(labels), lowBound=low, upBound=up, cat=cat)
        out = np.empty(count, dtype=object)
        out[:] = list(d.values())
        return out

    @staticmethod
    def expr(variables: np.ndarray, coefs: np.ndarray | float = 1.0) -> pulp.LpAffineExpression:
        """``sum coefs * variables`` through PuLP's batch path."""
        if np.isscalar(coefs):
            if coefs == 1.0:
                return pulp.lpSum_vars(variables)
            coefs = np.full(len(variables), float(coefs))
        return pulp.lpSum_vars_coefs(zip(variables, np.asarray(coefs, dtype=float).tolist()))

    def add(self, constraint: Any, name: str | None = None) -> None:  # a PuLP constraint (typed as an expression)
        self.prob.addConstraint(constraint, name)
        self.n_rows += 1

    def add_rows(
        self,
        indptr: np.ndarray,
        variables: np.ndarray,
        coefs: np.ndarray | None,
        sense: str,
        rhs: np.ndarray | float,
        name: str,
        row_vars: np.ndarray | None = None,
        row_coefs: np.ndarray | float | None = None,
        skip_empty: bool = True,
    ) -> None:
        """One row per group ``indptr[k]:indptr[k+1]`` of ``variables`` (a CSR layout).

        ``row_vars``/``row_coefs`` add one extra term per row (e.g. ``- y_j`` or ``- cap_j y_j``, or a
        "far" slack); a ``None`` entry of ``row_vars`` adds nothing to its row.
        """
        k_rows = len(indptr) - 1
        rhs_arr = np.broadcast_to(np.asarray(rhs, dtype=float), (k_rows,))
        rc = (
            None
            if row_vars is None
            else np.broadcast_to(np.asarray(1.0 if row_coefs is None else row_coefs, dtype=float), (k_rows,))
        )
        for k in range(k_rows):
            a, b = indptr[k], indptr[k + 1]
            if a == b and skip_empty and row_vars is None:
                continue
            e = self.expr(variables[a:b], 1.0 if coefs is None else coefs[a:b])
            if row_vars is not None and row_vars[k] is not None:
                e.addInPlace(row_vars[k] * float(rc[k]))  # type: ignore[index]  # rc is set with row_vars
            if sense == "<=":
                c = e <= float(rhs_arr[k])
            elif sense == ">=":
                c = e >= float(rhs_arr[k])
            else:
                c = e == float(rhs_arr[k])
            self.add(c, f"{name}_{k}")

    def objective(self, variables: np.ndarray, coefs: np.ndarray) -> None:
        self.prob.setObjective(self.expr(variables, coefs))

    @staticmethod
    def warm_start(variables: np.ndarray, values: np.ndarray) -> None:
        for v, x in zip(variables, np.asarray(values, dtype=float).tolist()):
            v.setInitialValue(x, check=False)

    def solve(self, options: SolverOptions) -> SolveInfo:
        build = time.perf_counter() - self.t0
        log.debug(
            "built %s: %d variables, %d rows in %.3f s", self.prob.name, self.prob.numVariables(), self.n_rows, build
        )
        return solve(self.prob, options, build_seconds=build)

    @staticmethod
    def values(variables: np.ndarray) -> np.ndarray:
        return np.array([v.varValue if v.varValue is not None else 0.0 for v in variables], dtype=float)


def make_options(options: SolverOptions | None = None, **overrides: Any) -> SolverOptions:
    """Solver options from an explicit :class:`SolverOptions` and/or keyword overrides (None: keep)."""
    import dataclasses

    base = options or SolverOptions()
    kw = {k: v for k, v in overrides.items() if v is not None}
    return dataclasses.replace(base, **kw) if kw else base
