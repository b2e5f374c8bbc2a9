"""A small MILP builder: variable blocks and named constraint families added in bulk.

Models describe their constraints as *families* in coordinate form — for each nonzero a row
number, a variable and a coefficient (numpy arrays) — and the builder turns each row into one
PuLP constraint through PuLP 4's batch path (``lpSum_vars_coefs``), never term by term.  Every
row keeps the name of its family and a label, so that infeasibility diagnosis and the independent
checks speak the same words.

With ``elastic=True`` every family added with a ``penalty`` gets one non-negative slack per row
(``<=`` rows: ``- s``; ``>=`` rows: ``+ s``; ``==`` rows: ``+ s⁺ - s⁻``), priced in the objective by
:meth:`Milp.slack_terms`; :meth:`Milp.slack_values` reads back which rows needed relaxing.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pulp

from .solver import SolveInfo, SolverOptions, solve

__all__ = ["Milp", "Family", "csr_groups"]

log = logging.getLogger(__name__)


def csr_groups(keys: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(order, indptr) grouping positions of ``keys`` (ints in 0..n-1) by key, stable."""
    keys = np.asarray(keys, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    indptr = np.searchsorted(keys[order], np.arange(n + 1))
    return order, indptr


@dataclass
class Family:
    """One named group of rows: its labels and, in elastic mode, its slacks."""

    name: str
    sense: str
    labels: np.ndarray
    constraints: list = field(default_factory=list)
    slack_pos: np.ndarray | None = None  # one slack per row (or the + part of an equality)
    slack_neg: np.ndarray | None = None  # the - part of an equality
    penalty: np.ndarray | None = None


class Milp:
    """A PuLP problem built from variable blocks and constraint families.

    Parameters
    ----------
    name : problem name (non-word characters become ``_``).
    elastic : give every family added with a ``penalty`` a priced slack per row.
    """

    def __init__(self, name: str, elastic: bool = False) -> None:
        self.t0 = time.perf_counter()
        self.prob = pulp.LpProblem(re.sub(r"\W", "_", name), pulp.LpMinimize)
        self.elastic = elastic
        self.families: dict[str, Family] = {}

    # ------------------------------------------------------------------ variables
    def block(
        self, prefix: str, count: int, cat: str = "Continuous", low: float | None = 0.0, up: float | None = None
    ) -> np.ndarray:
        """``count`` variables in one batch call, as a numpy object array (``prefix_<i>``)."""
        out = np.empty(count, dtype=object)
        if count:
            d = self.prob.add_variable_dicts(prefix, list(range(count)), lowBound=low, upBound=up, cat=cat)
            out[:] = list(d.values())
        return out

    @staticmethod
    def set_bounds(
        variables: np.ndarray, low: np.ndarray | float | None = None, up: np.ndarray | float | None = None
    ) -> None:
        """Per-variable bounds from arrays (NaN or None leaves a bound as it is; inf means none)."""
        n = len(variables)
        for arr, attr in ((low, "lowBound"), (up, "upBound")):
            if arr is None:
                continue
            vals = np.broadcast_to(np.asarray(arr, dtype=float), (n,))
            for v, x in zip(variables, vals.tolist()):
                if x != x:  # NaN
                    continue
                setattr(v, attr, None if np.isinf(x) else x)

    # ------------------------------------------------------------------ constraints
    def add(
        self,
        family: str,
        rows: np.ndarray,
        variables: np.ndarray,
        coefs: np.ndarray | float,
        sense: str,
        rhs: np.ndarray | float,
        n_rows: int | None = None,
        labels: Sequence[str] | np.ndarray | None = None,
        penalty: np.ndarray | float | None = None,
    ) -> Family:
        """Add the rows of one family from coordinate arrays.

        Parameters
        ----------
        family : the family's name (a second call with the same name extends nothing: names are unique).
        rows : row number (0..n_rows-1) of each nonzero.
        variables : the PuLP variable of each nonzero (object array).
        coefs : coefficient of each nonzero (or one for all).
        sense : ``"<="``, ``">="`` or ``"=="``.
        rhs : right-hand side per row (or one for all).
        n_rows : number of rows (default ``rows.max() + 1``); rows without nonzeros are kept only
            when their right-hand side could be violated (``0 <= rhs`` is skipped).
        labels : a label per row (default ``family[i]``).
        penalty : price per unit of slack per row in elastic mode (None: the family is never relaxed).
        """
        if family in self.families:
            raise ValueError(f"constraint family {family!r} added twice")
        rows = np.asarray(rows, dtype=np.int64)
        m = int(n_rows if n_rows is not None else (rows.max() + 1 if len(rows) else 0))
        coefs = np.broadcast_to(np.asarray(coefs, dtype=float), rows.shape)
        rhs = np.broadcast_to(np.asarray(rhs, dtype=float), (m,)).copy()
        labels = np.asarray([f"{family}[{i}]" for i in range(m)] if labels is None else labels, dtype=object)
        fam = Family(family, sense, labels)
        elastic = self.elastic and penalty is not None
        if elastic:
            fam.penalty = np.broadcast_to(np.asarray(penalty, dtype=float), (m,)).copy()
            fam.slack_pos = self.block(f"sp_{family}", m)
            if sense == "==":
                fam.slack_neg = self.block(f"sn_{family}", m)
        order, indptr = csr_groups(rows, m)
        var_o, coef_o = np.asarray(variables, dtype=object)[order], coefs[order].tolist()
        for i in range(m):
            a, b = indptr[i], indptr[i + 1]
            terms = list(zip(var_o[a:b], coef_o[a:b]))
            if elastic:
                if sense == "<=":
                    terms.append((fam.slack_pos[i], -1.0))
                elif sense == ">=":
                    terms.append((fam.slack_pos[i], 1.0))
                else:
                    terms += [(fam.slack_pos[i], 1.0), (fam.slack_neg[i], -1.0)]
            if not terms and _trivially_true(sense, rhs[i]):
                fam.constraints.append(None)
                continue
            e = pulp.lpSum_vars_coefs(terms)
            c = e <= rhs[i] if sense == "<=" else (e >= rhs[i] if sense == ">=" else e == rhs[i])
            fam.constraints.append(self.prob.addConstraint(c))
        self.families[family] = fam
        return fam

    def slack_terms(self, scale: float = 1.0) -> list[tuple]:
        """Objective terms pricing every slack (elastic mode)."""
        out = []
        for fam in self.families.values():
            if fam.slack_pos is None:
                continue
            pen = (fam.penalty * scale).tolist()
            out += list(zip(fam.slack_pos, pen))
            if fam.slack_neg is not None:
                out += list(zip(fam.slack_neg, pen))
        return out

    def slack_values(self, tol: float = 1e-6) -> dict[str, list[tuple[str, float]]]:
        """Family -> [(row label, slack)] for the rows a solved elastic model relaxed."""
        out: dict[str, list[tuple[str, float]]] = {}
        for name, fam in self.families.items():
            if fam.slack_pos is None:
                continue
            x = values(fam.slack_pos)
            if fam.slack_neg is not None:
                x = x + values(fam.slack_neg)
            hit = np.flatnonzero(x > tol)
            if len(hit):
                out[name] = [(str(fam.labels[i]), float(x[i])) for i in hit]
        return out

    @property
    def n_rows(self) -> int:
        return sum(len(f.constraints) for f in self.families.values())

    # ------------------------------------------------------------------ objective and solve
    def set_objective(self, terms: list[tuple], constant: float = 0.0) -> None:
        self.prob.setObjective(pulp.lpSum_vars_coefs(terms) + constant)

    def solve(self, options: SolverOptions) -> SolveInfo:
        build = time.perf_counter() - self.t0
        log.debug(
            "built %s: %d variables, %d rows in %.3f s", self.prob.name, self.prob.numVariables(), self.n_rows, build
        )
        return solve(self.prob, options, build_seconds=build)


def values(variables: np.ndarray) -> np.ndarray:
    """Solved values of a block (0 where the solver left none)."""
    return np.array([v.varValue if v.varValue is not None else 0.0 for v in variables], dtype=float)


def _trivially_true(sense: str, rhs: float) -> bool:
    return (sense == "<=" and rhs >= 0) or (sense == ">=" and rhs <= 0) or (sense == "==" and rhs == 0)
