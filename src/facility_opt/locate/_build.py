"""The location models' shapes on the shared MILP builder (:class:`facility_opt.milp.Milp`).

Every location model is a :class:`~facility_opt.milp.Milp` (variable blocks in one batch call, named
constraint families in coordinate form, one ``lpSum_vars_coefs`` per row); these helpers add the
row shapes they share. Pairs are kept in coordinate form (``rows``, ``cols`` numpy arrays, sorted by
row then column) so sparsity, filtering and row grouping are vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..milp import Empty, Milp
from ..solver import SolverOptions

__all__ = ["Pairs", "add_links", "add_row", "add_rows", "make_options", "pair_labels", "set_objective"]

#: PuLP's variable categories
Category = Literal["Continuous", "Integer", "Binary"]


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


def add_rows(
    mdl: Milp,
    family: str,
    rows: np.ndarray,
    variables: np.ndarray,
    sense: str,
    rhs: float,
    n: int,
    extra: tuple[np.ndarray, np.ndarray, float] | None = None,
    empty: Empty = "keep",
) -> None:
    """Rows ``family_0 .. family_<n-1>``: ``sum`` of the ``variables`` of row ``i`` (coefficient 1,
    ``rows`` sorted), plus an optional extra term ``(row numbers, variables, coefficient)`` that
    comes last in its row (e.g. a "far" slack or ``- z_i``)."""
    coefs = np.ones(len(rows))
    if extra is not None:
        e_rows, e_vars, e_coef = extra
        rows = np.concatenate([rows, e_rows])
        variables = np.concatenate([variables, e_vars])
        coefs = np.concatenate([coefs, np.full(len(e_rows), e_coef)])
    names = [f"{family}_{i}" for i in range(n)]
    mdl.add(family, rows, variables, coefs, sense, rhs, n_rows=n, names=names, empty=empty)


def add_row(mdl: Milp, name: str, variables: np.ndarray, coefs: np.ndarray | float, sense: str, rhs: float) -> None:
    """One row called ``name``: ``sum coefs * variables <sense> rhs`` (kept even without variables)."""
    rows = np.zeros(len(variables), dtype=np.int64)
    mdl.add(name, rows, variables, coefs, sense, rhs, n_rows=1, names=[name], empty="keep")


def add_links(mdl: Milp, x: np.ndarray, y: np.ndarray) -> None:
    """The strong linking rows ``x_k - y_k <= 0``, one per pair (PuLP numbers them)."""
    k = len(x)
    v = np.empty(2 * k, dtype=object)
    v[0::2], v[1::2] = x, y
    mdl.add("link", np.repeat(np.arange(k), 2), v, np.tile([1.0, -1.0], k), "<=", 0.0, n_rows=k, empty="keep")


def set_objective(mdl: Milp, variables: np.ndarray, coefs: np.ndarray) -> None:
    """The objective ``sum coefs * variables``."""
    mdl.set_objective(list(zip(variables, np.asarray(coefs, dtype=float).tolist())))


def make_options(options: SolverOptions | None = None, **overrides: Any) -> SolverOptions:
    """Solver options from an explicit :class:`SolverOptions` and/or keyword overrides (None: keep)."""
    import dataclasses

    base = options or SolverOptions()
    kw = {k: v for k, v in overrides.items() if v is not None}
    return dataclasses.replace(base, **kw) if kw else base
