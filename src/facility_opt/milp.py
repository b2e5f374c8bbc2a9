"""A small MILP builder: variable blocks and named constraint families added in bulk.

Models describe their constraints as *families* in coordinate form — for each nonzero a row
number, a variable and a coefficient (numpy arrays) — and the builder turns each row into one
PuLP constraint through PuLP 4's batch path (the one ``lpSum_vars_coefs`` uses), never term by term.  Every
row keeps the name of its family and a label, so that infeasibility diagnosis and the independent
checks speak the same words.

Every model builds its MILP here (the portfolio, the renewal scheduler, fees, districts and the
classic location models): minimise or maximise, variable blocks with optional name labels, rows
optionally named for PuLP, MIP starts (:meth:`Milp.warm_start`) and read-back (:func:`values`).

With ``elastic=True`` every family added with a ``penalty`` gets one non-negative slack per row
(``<=`` rows: ``- s``; ``>=`` rows: ``+ s``; ``==`` rows: ``+ s⁺ - s⁻``), priced in the objective by
:meth:`Milp.slack_terms`; :meth:`Milp.slack_values` reads back which rows needed relaxing.
"""

from __future__ import annotations

import array
import logging
import re
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Literal

import numpy as np
import pulp

from .solver import SolveInfo, SolverOptions, solve

__all__ = ["Milp", "Family", "csr_groups", "values"]

#: how :meth:`Milp.add` treats rows without nonzeros: ``auto`` drops them when their right-hand
#: side cannot be violated, ``keep`` adds every row, ``drop`` adds none of them
Empty = Literal["auto", "keep", "drop"]

log = logging.getLogger(__name__)

_SENSES = {"<=": pulp.LpConstraintLE, ">=": pulp.LpConstraintGE, "==": pulp.LpConstraintEQ}


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
    sense: str | np.ndarray  # one for all rows, or one per row
    labels: np.ndarray | None  # None: ``name[i]``, made on demand by :meth:`label`
    constraints: list = field(default_factory=list)
    slack_pos: np.ndarray | None = None  # one slack per row (or the + part of an equality)
    slack_neg: np.ndarray | None = None  # the - part of an equality
    penalty: np.ndarray | None = None

    def label(self, i: int) -> str:
        """The label of row ``i``."""
        return f"{self.name}[{i}]" if self.labels is None else str(self.labels[i])


class Milp:
    """A PuLP problem built from variable blocks and constraint families.

    Parameters
    ----------
    name : problem name (non-word characters become ``_``).
    elastic : give every family added with a ``penalty`` a priced slack per row.
    sense : ``pulp.LpMinimize`` (default) or ``pulp.LpMaximize``.
    """

    def __init__(self, name: str, elastic: bool = False, sense: int = pulp.LpMinimize) -> None:
        self.t0 = time.perf_counter()
        self.prob = pulp.LpProblem(re.sub(r"\W", "_", name), sense)
        self.elastic = elastic
        self.families: dict[str, Family] = {}

    # ------------------------------------------------------------------ variables
    def block(
        self,
        prefix: str,
        count: int,
        cat: str = "Continuous",
        low: float | None = 0.0,
        up: float | None = None,
        labels: Sequence[Hashable] | None = None,
    ) -> np.ndarray:
        """``count`` variables in one batch call, as a numpy object array (``prefix_<label>``, labels
        ``0..count-1`` by default)."""
        out = np.empty(count, dtype=object)
        if count:
            keys = list(range(count) if labels is None else labels)
            d = self.prob.add_variable_dicts(prefix, keys, lowBound=low, upBound=up, cat=cat)
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

    @staticmethod
    def warm_start(variables: np.ndarray, start: np.ndarray) -> None:
        """A MIP start: initial values for a block (passed to the solver when the options ask for it)."""
        for v, x in zip(variables, np.asarray(start, dtype=float).tolist()):
            v.setInitialValue(x, check=False)

    # ------------------------------------------------------------------ constraints
    def add(
        self,
        family: str,
        rows: np.ndarray,
        variables: np.ndarray,
        coefs: np.ndarray | float,
        sense: str | Sequence[str] | np.ndarray,
        rhs: np.ndarray | float,
        n_rows: int | None = None,
        labels: Sequence[str] | np.ndarray | None = None,
        penalty: np.ndarray | float | None = None,
        names: Sequence[str] | None = None,
        empty: Empty = "auto",
    ) -> Family:
        """Add the rows of one family from coordinate arrays.

        Parameters
        ----------
        family : the family's name (a second call with the same name extends nothing: names are unique).
        rows : row number (0..n_rows-1) of each nonzero.
        variables : the PuLP variable of each nonzero (object array).
        coefs : coefficient of each nonzero (or one for all).
        sense : ``"<="``, ``">="`` or ``"=="``, for all rows or one per row (one for all in elastic mode).
        rhs : right-hand side per row (or one for all).
        n_rows : number of rows (default ``rows.max() + 1``).
        labels : a label per row (default ``family[i]``).
        penalty : price per unit of slack per row in elastic mode (None: the family is never relaxed).
        names : the PuLP constraint name of each row (default: PuLP numbers them ``_C<k>``).
        empty : rows without nonzeros: ``auto`` keeps them only when their right-hand side could be
            violated (``0 <= rhs`` is skipped), ``keep`` keeps all, ``drop`` drops all.
        """
        if family in self.families:
            raise ValueError(f"constraint family {family!r} added twice")
        rows = np.asarray(rows, dtype=np.int64)
        m = int(n_rows if n_rows is not None else (rows.max() + 1 if len(rows) else 0))
        coefs = np.broadcast_to(np.asarray(coefs, dtype=float), rows.shape)
        rhs_l = np.broadcast_to(np.asarray(rhs, dtype=float), (m,)).tolist()
        senses = [sense] * m if isinstance(sense, str) else [str(s) for s in sense]
        fam = Family(family, sense if isinstance(sense, str) else np.asarray(senses, dtype=object), None)
        if labels is not None:
            fam.labels = np.asarray(labels, dtype=object)
        variables = np.asarray(variables, dtype=object)
        if self.elastic and penalty is not None:
            if not isinstance(sense, str):
                raise ValueError(f"elastic family {family!r} needs one sense for all its rows")
            fam.penalty = np.broadcast_to(np.asarray(penalty, dtype=float), (m,)).copy()
            fam.slack_pos = self.block(f"sp_{family}", m)
            # each row's slacks come after its own terms (the grouping below is stable)
            rows = np.concatenate([rows, np.arange(m)])
            variables = np.concatenate([variables, fam.slack_pos])
            coefs = np.concatenate([coefs, np.full(m, -1.0 if sense == "<=" else 1.0)])
            if sense == "==":
                fam.slack_neg = self.block(f"sn_{family}", m)
                rows = np.concatenate([rows, np.arange(m)])
                variables = np.concatenate([variables, fam.slack_neg])
                coefs = np.concatenate([coefs, np.full(m, -1.0)])
        self._rows(fam, rows, variables, coefs, senses, rhs_l, names, empty)
        self.families[family] = fam
        return fam

    def _rows(
        self,
        fam: Family,
        rows: np.ndarray,
        variables: np.ndarray,
        coefs: np.ndarray,
        senses: list[str],
        rhs: list[float],
        names: Sequence[str] | None,
        empty: Empty,
    ) -> None:
        """One PuLP constraint per row, its terms in the order given. Each row's expression is the one
        ``pulp.lpSum_vars_coefs`` builds (the same batch call), with the per-term checks done once
        for the whole family."""
        m = len(senses)
        if not np.isfinite(coefs).all():
            raise pulp.PulpError(f"constraint family {fam.name!r}: coefficients must be finite")
        order, indptr = csr_groups(rows, m)
        var_o = variables[order].tolist()
        ids = array.array("Q", map(attrgetter("id"), var_o))
        cf = array.array("d", coefs[order].tolist())
        model = var_o[0]._var.containing_model() if var_o else None
        new, add = pulp.LpAffineExpression.empty, self.prob.addConstraint
        out = fam.constraints
        row_names = [None] * m if names is None else names
        for a, b, sense, r, name in zip(indptr[:-1].tolist(), indptr[1:].tolist(), senses, rhs, row_names):
            if a == b and (empty == "drop" or (empty == "auto" and _trivially_true(sense, r))):
                out.append(None)
                continue
            e = new()  # built in place: the expression ``lpSum_vars_coefs(terms) <sense> r`` would copy
            if b > a:
                e._expr.add_term_ids_coeffs(model, ids[a:b], cf[a:b])
            e._expr.set_constant(0.0 - r)
            e._set_sense(_SENSES[sense])
            out.append(add(e, name))

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
                out[name] = [(fam.label(int(i)), float(x[i])) for i in hit]
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
