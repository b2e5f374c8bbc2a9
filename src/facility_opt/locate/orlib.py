"""Readers for the two OR-Library location formats, detected from the file's content.

* p-median (Beasley 1985, ``pmedN.txt``): ``n_vertices n_edges p`` then ``i j cost`` per edge
  (1-based, undirected; a repeated edge: the last one wins); the cost matrix is the all-pairs
  shortest-path distance, every vertex is both a demand point and a candidate site.
* capacitated warehouse location (Beasley 1988, ``capNNN.txt``, ``capa.txt``): ``m n``; ``m`` lines
  ``capacity fixed_cost`` (capa/b/c hold the literal token ``capacity``); then per customer its
  demand followed by ``m`` costs of serving *all* of that customer from each warehouse.

Malformed files raise :class:`~facility_opt.errors.DataValidationError` naming the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from ..errors import DataIssue, DataValidationError
from ._problem import LocationProblem

__all__ = ["OrlibInstance", "read_orlib", "read_pmed", "read_cap", "detect_format"]

Format = Literal["pmed", "cap"]


@dataclass(frozen=True)
class OrlibInstance:
    """One OR-Library instance: its format, the :class:`LocationProblem` and ``p`` (p-median only)."""

    name: str
    format: Format
    problem: LocationProblem
    p: int | None = None


class _Tokens:
    """Whitespace-separated tokens of a file, each remembering its 1-based line number."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            text = path.read_text(encoding="ascii", errors="strict")
        except UnicodeDecodeError as err:
            raise self._err(None, f"not a text OR-Library file ({err.reason} at byte {err.start})") from None
        self.tokens: list[str] = []
        self.lines: list[int] = []
        for ln, line in enumerate(text.splitlines(), start=1):
            parts = line.split()
            self.tokens.extend(parts)
            self.lines.extend([ln] * len(parts))
        self.pos = 0

    def _err(self, line: int | None, msg: str) -> DataValidationError:
        return DataValidationError([DataIssue(str(self.path), line, None, msg)])

    def error(self, msg: str, at: int | None = None) -> DataValidationError:
        k = self.pos - 1 if at is None else at
        line = self.lines[k] if 0 <= k < len(self.lines) else (self.lines[-1] if self.lines else None)
        return self._err(line, msg)

    def remaining(self) -> int:
        return len(self.tokens) - self.pos

    def take(self, what: str) -> str:
        if self.pos >= len(self.tokens):
            raise self._err(self.lines[-1] if self.lines else None, f"file ends early: expected {what}")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def number(self, what: str, *, integer: bool = False, allow: tuple[str, ...] = ()) -> float | str:
        tok = self.take(what)
        if tok in allow:
            return tok
        try:
            val = float(tok)
        except ValueError:
            raise self.error(f"expected {what}, got {tok!r}") from None
        if not np.isfinite(val):
            raise self.error(f"expected a finite {what}, got {tok!r}")
        if integer and val != int(val):
            raise self.error(f"expected an integer {what}, got {tok!r}")
        return int(val) if integer else val

    def count(self, what: str) -> int:
        """An integer token (a header's sizes, p)."""
        v = self.number(what, integer=True)
        assert not isinstance(v, str)
        return int(v)

    def real(self, what: str) -> float:
        """A finite number token."""
        v = self.number(what)
        assert not isinstance(v, str)
        return v

    def ints_block(self, count: int, what: str) -> np.ndarray:
        """``count`` numbers at once (fast path for large files), with the same error reporting."""
        if self.remaining() < count:
            raise self._err(
                self.lines[-1] if self.lines else None,
                f"file ends early: expected {count} numbers for {what}, found {self.remaining()}",
            )
        chunk = self.tokens[self.pos : self.pos + count]
        try:
            arr = np.array(chunk, dtype=float)
        except ValueError:
            for k, t in enumerate(chunk):
                try:
                    float(t)
                except ValueError:
                    raise self.error(f"expected a number in {what}, got {t!r}", at=self.pos + k) from None
            raise
        bad = np.flatnonzero(~np.isfinite(arr))
        if len(bad):
            raise self.error(f"expected a finite number in {what}, got {chunk[bad[0]]!r}", at=self.pos + bad[0])
        self.pos += count
        return arr


def detect_format(path: str | Path) -> Format:
    """Tell the format from the content: a p-median file's first line has three numbers, a warehouse file's two.

    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     f = Path(d) / "tiny.txt"; _ = f.write_text("3 2 1\\n1 2 5\\n2 3 4\\n")
    ...     detect_format(f)
    'pmed'
    """
    path = Path(path)
    with path.open("rb") as fh:
        for ln, raw in enumerate(fh, start=1):
            parts = raw.split()
            if not parts:
                continue
            if len(parts) == 3:
                return "pmed"
            if len(parts) == 2:
                return "cap"
            raise DataValidationError(
                [
                    DataIssue(
                        str(path),
                        ln,
                        None,
                        f"cannot tell the OR-Library format: the first line has "
                        f"{len(parts)} fields (p-median: 'n_vertices n_edges p'; "
                        "warehouse: 'm n')",
                    )
                ]
            )
    raise DataValidationError([DataIssue(str(path), None, None, "the file is empty")])


#: up to this many vertices Floyd-Warshall in numpy (n passes over the n x n matrix, 0.01 s at
#: n = 100) beats importing scipy's graph module on the command line (benchmarks/results/startup.json)
FLOYD_MAX_N = 250


def all_pairs_shortest(g: np.ndarray) -> np.ndarray:
    """All-pairs shortest-path lengths of a symmetric dense edge-length matrix (``inf``: no edge)."""
    n = len(g)
    if n <= FLOYD_MAX_N:
        d = np.array(g, dtype=float)
        for k in range(n):
            np.minimum(d, d[:, k, None] + d[None, k, :], out=d)
        return d
    from scipy.sparse.csgraph import csgraph_from_dense, shortest_path

    return np.asarray(shortest_path(csgraph_from_dense(g, null_value=np.inf), method="D", directed=False))


def read_pmed(path: str | Path) -> OrlibInstance:
    """Read an OR-Library p-median file; costs are all-pairs shortest-path distances.

    Raises
    ------
    DataValidationError
        naming the file and line of a malformed header or edge, an out-of-range vertex, a negative
        cost, or a graph whose vertices are not all connected.
    """
    path = Path(path)
    tk = _Tokens(path)
    n = tk.count("the number of vertices")
    n_edges = tk.count("the number of edges")
    p = tk.count("p")
    if n <= 0:
        raise tk.error(f"the number of vertices must be positive, got {n}")
    if n_edges < 0:
        raise tk.error(f"the number of edges must be >= 0, got {n_edges}")
    if not 0 <= p <= n:
        raise tk.error(f"p must be between 0 and the number of vertices ({n}), got {p}")
    start = tk.pos
    arr = tk.ints_block(3 * n_edges, f"{n_edges} edges 'i j cost'").reshape(-1, 3)
    if tk.remaining():
        raise tk.error(f"unexpected data after the {n_edges} edges declared in the header: {tk.take('')!r}", at=tk.pos)
    i = arr[:, 0]
    j = arr[:, 1]
    c = arr[:, 2]
    for k, (col, what) in enumerate(((i, "vertex i"), (j, "vertex j"))):
        bad = np.flatnonzero((col < 1) | (col > n) | (col != np.round(col)))
        if len(bad):
            e = bad[0]
            raise tk.error(f"edge {e + 1}: {what} = {col[e]:g} is not a vertex number 1..{n}", at=start + 3 * e + k)
    bad = np.flatnonzero(c < 0)
    if len(bad):
        e = bad[0]
        raise tk.error(f"edge {e + 1}: negative cost {c[e]:g}", at=start + 3 * e + 2)
    g = np.full((n, n), np.inf)
    ii = i.astype(int) - 1
    jj = j.astype(int) - 1
    # a repeated edge: the last one wins (assign in file order, explicitly)
    key = np.minimum(ii, jj) * n + np.maximum(ii, jj)
    _, last = np.unique(key[::-1], return_index=True)
    keep = len(key) - 1 - last
    g[ii[keep], jj[keep]] = c[keep]
    g[jj[keep], ii[keep]] = c[keep]
    np.fill_diagonal(g, 0.0)
    dist = all_pairs_shortest(g)
    unreachable = np.flatnonzero(~np.isfinite(dist[0]))
    if len(unreachable):
        raise tk._err(
            None,
            f"the graph is not connected: vertices {[int(v) + 1 for v in unreachable[:10]]} cannot be "
            "reached from vertex 1",
        )
    ids = list(range(1, n + 1))
    prob = LocationProblem.from_cost_matrix(dist, demand_ids=ids, site_ids=ids, name=path.stem)
    return OrlibInstance(path.stem, "pmed", prob, int(p))


def read_cap(path: str | Path, capacity: float | None = None) -> OrlibInstance:
    """Read an OR-Library capacitated warehouse file (``capNNN.txt``, ``capa.txt``...).

    ``capacity`` replaces the literal token ``capacity`` of capa/capb/capc (every warehouse gets
    that capacity); without it those warehouses are uncapacitated (capacity = total demand).
    """
    path = Path(path)
    tk = _Tokens(path)
    m = tk.count("the number of warehouses m")
    n = tk.count("the number of customers n")
    if m <= 0 or n <= 0:
        raise tk.error(f"m and n must be positive, got m={m}, n={n}")
    caps = np.empty(m)
    fixed = np.empty(m)
    symbolic = np.zeros(m, dtype=bool)
    for k in range(m):
        v = tk.number(f"the capacity of warehouse {k + 1}", allow=("capacity",))
        if isinstance(v, str):  # the token "capacity"
            symbolic[k] = True
            caps[k] = np.nan
        else:
            caps[k] = v
        fixed[k] = tk.real(f"the fixed cost of warehouse {k + 1}")
        if caps[k] < 0 or fixed[k] < 0:
            raise tk.error(f"warehouse {k + 1}: capacity and fixed cost must be >= 0")
    demand = np.empty(n)
    cost = np.empty((n, m))
    for i in range(n):
        demand[i] = tk.real(f"the demand of customer {i + 1}")
        if demand[i] < 0:
            raise tk.error(f"customer {i + 1}: negative demand {demand[i]:g}")
        at = tk.pos
        cost[i] = tk.ints_block(m, f"the {m} allocation costs of customer {i + 1}")
        bad = np.flatnonzero(cost[i] < 0)
        if len(bad):
            raise tk.error(f"customer {i + 1}: negative allocation cost {cost[i, bad[0]]:g}", at=at + bad[0])
    if tk.remaining():
        raise tk.error(f"unexpected data after the {n} customers declared in the header: {tk.take('')!r}", at=tk.pos)
    caps[symbolic] = demand.sum() if capacity is None else capacity
    prob = LocationProblem.from_cost_matrix(
        cost,
        demand,
        capacity=caps,
        fixed_cost=fixed,
        demand_ids=list(range(1, n + 1)),
        site_ids=list(range(1, m + 1)),
        cost_is_total=True,
        name=path.stem,
    )
    return OrlibInstance(path.stem, "cap", prob)


def read_orlib(path: str | Path, capacity: float | None = None) -> OrlibInstance:
    """Read either OR-Library format, detected from the file's content (not its name)."""
    fmt = detect_format(path)
    return read_pmed(path) if fmt == "pmed" else read_cap(path, capacity)
