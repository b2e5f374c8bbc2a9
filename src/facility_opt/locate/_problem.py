"""The data every location model reads: demand points, candidate sites and the cost between them.

A :class:`LocationProblem` is built once, from a cost matrix (numpy array or DataFrame carrying the
caller's ids), from GeoDataFrames of demand and sites, or from a sparse pair table; the models
never see geometry, only ids, costs, demand weights, capacities and fixed costs. Geometry and CRS
handling happen here and nowhere else.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from ..crs import crs_issues
from ..errors import DataIssue, DataValidationError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["LocationProblem"]

log = logging.getLogger(__name__)

#: Cost used for "no route" pairs in a dense matrix (missing pairs in a pair table).
NO_ROUTE = np.inf


#: a cost matrix or a vector as the caller has it: numpy array, pandas object or nested sequences
type ArrayLike = Any


def _issue(field_: str, message: str, row: int | None = None) -> DataIssue:
    return DataIssue(file="", row=row, field=field_, message=message)


def _loaded_pandas() -> Any:
    """pandas if something has imported it, else None: a DataFrame or Series argument implies it is
    loaded, so numpy-only callers (an OR-Library file on the command line) never pay its import."""
    return sys.modules.get("pandas")


def _duplicates(ids: Sequence[Hashable]) -> list[Hashable]:
    seen: set[Hashable] = set()
    return [i for i in ids if i in seen or seen.add(i)]  # type: ignore[func-returns-value]


@dataclass(frozen=True, eq=False)
class LocationProblem:
    """Demand points, candidate sites and the cost of serving each demand point from each site.

    Parameters
    ----------
    cost : (n_demand, n_sites) float array
        Distance (or per-unit cost) from each demand point to each site; ``inf`` marks a pair that
        cannot be used (no route, outside a pair table).
    demand_ids, site_ids : the caller's ids, in row / column order.
    demand : weight of each demand point (population, students...); ones by default.
    capacity : capacity of each site (capacitated models only).
    fixed_cost : cost of opening each site (facility location models only).
    cost_is_total : when True, ``cost[i, j]`` is already the cost of serving *all* of demand point
        ``i`` from ``j`` (the OR-Library warehouse format); otherwise the weighted cost is
        ``demand[i] * cost[i, j]``.

    Use the constructors :meth:`from_cost_matrix`, :meth:`from_geodataframes` and
    :meth:`from_pairs`; they validate the inputs and report every problem found at once.
    """

    cost: np.ndarray
    demand_ids: tuple[Hashable, ...]
    site_ids: tuple[Hashable, ...]
    demand: np.ndarray
    capacity: np.ndarray | None = None
    fixed_cost: np.ndarray | None = None
    cost_is_total: bool = False
    name: str = "location"

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_cost_matrix(
        cls,
        cost: np.ndarray | pd.DataFrame | Sequence[Sequence[float]],
        demand: Sequence[float] | pd.Series | np.ndarray | None = None,
        *,
        capacity: Sequence[float] | pd.Series | np.ndarray | None = None,
        fixed_cost: Sequence[float] | pd.Series | np.ndarray | None = None,
        demand_ids: Sequence[Hashable] | None = None,
        site_ids: Sequence[Hashable] | None = None,
        cost_is_total: bool = False,
        name: str = "location",
    ) -> LocationProblem:
        """Build a problem from a dense cost matrix (rows: demand points, columns: sites).

        A DataFrame's index and columns become the ids; Series inputs for ``demand``,
        ``capacity`` and ``fixed_cost`` are aligned on those ids.

        Examples
        --------
        >>> import pandas as pd
        >>> cost = pd.DataFrame([[1, 4], [3, 1], [5, 2]], index=["a", "b", "c"], columns=["S1", "S2"])
        >>> prob = LocationProblem.from_cost_matrix(cost, demand=[1, 2, 1])
        >>> prob.n_demand, prob.n_sites, prob.site_ids
        (3, 2, ('S1', 'S2'))
        """
        pd_ = _loaded_pandas()
        if pd_ is not None and isinstance(cost, pd_.DataFrame):
            d_ids = list(cost.index) if demand_ids is None else list(demand_ids)
            s_ids = list(cost.columns) if site_ids is None else list(site_ids)
            mat = cost.to_numpy(dtype=float, na_value=np.nan)
        else:
            mat = np.asarray(cost, dtype=float)
            if mat.ndim != 2:
                raise DataValidationError([_issue("cost", f"the cost matrix must be 2-D, got shape {mat.shape}")])
            d_ids = list(range(mat.shape[0])) if demand_ids is None else list(demand_ids)
            s_ids = list(range(mat.shape[1])) if site_ids is None else list(site_ids)
        mat = np.where(np.isnan(mat), NO_ROUTE, mat)
        return cls._validated(mat, d_ids, s_ids, demand, capacity, fixed_cost, cost_is_total, name)

    @classmethod
    def from_pairs(
        cls,
        pairs: pd.DataFrame,
        demand: pd.Series | None = None,
        *,
        demand_col: str = "demand_id",
        site_col: str = "site_id",
        cost_col: str = "cost",
        capacity: pd.Series | None = None,
        fixed_cost: pd.Series | None = None,
        sites: Sequence[Hashable] | None = None,
        name: str = "location",
    ) -> LocationProblem:
        """Build a problem from a long table of (demand id, site id, cost); missing pairs cannot be used.

        This is the natural output of a network-distance computation with a cut-off (e.g. the
        accessibility model): pairs beyond reach are simply absent. ``demand`` (a Series indexed by
        demand id) fixes the demand points and their order; otherwise they are the sorted ids of
        the table.
        """
        import pandas as pd

        missing = [c for c in (demand_col, site_col, cost_col) if c not in pairs.columns]
        if missing:
            raise DataValidationError([_issue(c, "column missing from the pair table") for c in missing])
        d_ids = list(demand.index) if demand is not None else sorted(pairs[demand_col].unique())
        s_ids = list(sites) if sites is not None else sorted(pairs[site_col].unique())
        arr = np.full((len(d_ids), len(s_ids)), np.inf)
        dedup = pairs.drop_duplicates([demand_col, site_col], keep="last")
        r = pd.Index(d_ids).get_indexer(dedup[demand_col])
        c = pd.Index(s_ids).get_indexer(dedup[site_col])
        ok = (r >= 0) & (c >= 0)
        arr[r[ok], c[ok]] = dedup[cost_col].to_numpy(dtype=float)[ok]
        return cls._validated(arr, d_ids, s_ids, demand, capacity, fixed_cost, False, name)

    @classmethod
    def from_geodataframes(
        cls,
        demand_gdf: Any,
        sites_gdf: Any,
        *,
        weight: str | None = None,
        capacity: str | None = None,
        fixed_cost: str | None = None,
        distance: pd.DataFrame | np.ndarray | None = None,
        demand_id: str | None = None,
        site_id: str | None = None,
        name: str = "location",
    ) -> LocationProblem:
        """Build a problem from GeoDataFrames of demand points and candidate sites.

        Straight-line distances between (representative points of) the geometries are used unless
        ``distance`` gives a matrix (DataFrame indexed by the two frames' indexes, or an array in
        row order) or a long pair table with columns ``demand_id, site_id, cost`` (e.g. network
        distances from the accessibility model). The CRS must be projected (metres): a geographic
        CRS is refused, since distances in degrees are meaningless.

        ``weight``, ``capacity`` and ``fixed_cost`` name columns (of the demand frame for the
        weight, of the sites frame for the others). The ids are the frames' indexes, or the columns
        ``demand_id`` / ``site_id`` when given (a :class:`~facility_opt.Ward`'s tables keep their ids in
        ``zone_id`` / ``facility_id`` columns).
        """
        import pandas as pd

        issues: list[DataIssue] = []
        for col, gdf, label in ((demand_id, demand_gdf, "demand"), (site_id, sites_gdf, "sites")):
            if col is not None and col not in gdf.columns:
                issues.append(_issue(col, f"id column missing from the {label} GeoDataFrame"))
        if issues:
            raise DataValidationError(issues)
        if demand_id is not None:
            demand_gdf = demand_gdf.set_index(demand_id)
        if site_id is not None:
            sites_gdf = sites_gdf.set_index(site_id)
        for label, gdf in (("demand", demand_gdf), ("sites", sites_gdf)):
            issues += crs_issues(getattr(gdf, "crs", None), f"{label} GeoDataFrame")
        if not issues and demand_gdf.crs != sites_gdf.crs:
            issues.append(
                _issue(
                    "crs",
                    f"demand ({demand_gdf.crs.to_string()}) and sites "
                    f"({sites_gdf.crs.to_string()}) are in different CRSs; re-project one "
                    "with `.to_crs(...)`",
                )
            )
        for col, gdf, label in (
            (weight, demand_gdf, "demand"),
            (capacity, sites_gdf, "sites"),
            (fixed_cost, sites_gdf, "sites"),
        ):
            if col is not None and col not in gdf.columns:
                issues.append(_issue(col, f"column missing from the {label} GeoDataFrame"))
        if issues:
            raise DataValidationError(issues)
        w = demand_gdf[weight] if weight else None
        cap = sites_gdf[capacity] if capacity else None
        fc = sites_gdf[fixed_cost] if fixed_cost else None
        if isinstance(distance, pd.DataFrame) and {"demand_id", "site_id", "cost"} <= set(distance.columns):
            w_series = w if w is not None else pd.Series(1.0, index=demand_gdf.index)
            return cls.from_pairs(
                distance, w_series, capacity=cap, fixed_cost=fc, sites=list(sites_gdf.index), name=name
            )
        if distance is None:
            dp = demand_gdf.geometry.representative_point()
            sp = sites_gdf.geometry.representative_point()
            dxy = np.column_stack([dp.x.to_numpy(), dp.y.to_numpy()])
            sxy = np.column_stack([sp.x.to_numpy(), sp.y.to_numpy()])
            from scipy.spatial.distance import cdist

            mat = cdist(dxy, sxy)
        elif isinstance(distance, pd.DataFrame):
            mat = distance.reindex(index=demand_gdf.index, columns=sites_gdf.index).to_numpy(dtype=float)
        else:
            mat = np.asarray(distance, dtype=float)
        return cls.from_cost_matrix(
            mat,
            w,
            capacity=cap,
            fixed_cost=fc,
            demand_ids=list(demand_gdf.index),
            site_ids=list(sites_gdf.index),
            name=name,
        )

    @classmethod
    def _validated(
        cls,
        mat: np.ndarray,
        d_ids: Sequence[Hashable],
        s_ids: Sequence[Hashable],
        demand: ArrayLike,
        capacity: ArrayLike,
        fixed_cost: ArrayLike,
        cost_is_total: bool,
        name: str,
    ) -> LocationProblem:
        issues: list[DataIssue] = []
        n, m = mat.shape
        if len(d_ids) != n:
            issues.append(_issue("demand_ids", f"{len(d_ids)} demand ids for {n} cost-matrix rows"))
        if len(s_ids) != m:
            issues.append(_issue("site_ids", f"{len(s_ids)} site ids for {m} cost-matrix columns"))
        if n == 0 or m == 0:
            issues.append(_issue("cost", f"the cost matrix is empty (shape {mat.shape})"))
        for label, ids in (("demand_ids", d_ids), ("site_ids", s_ids)):
            dup = _duplicates(ids)
            if dup:
                issues.append(_issue(label, f"duplicate ids: {dup[:10]}"))
        neg = np.argwhere(mat < 0)
        if len(neg):
            i, j = neg[0]
            issues.append(
                _issue("cost", f"{len(neg)} negative costs, e.g. demand {d_ids[i]!r} / site {s_ids[j]!r}: {mat[i, j]}")
            )
        if issues:
            raise DataValidationError(issues)

        def vec(values: ArrayLike, ids: Sequence[Hashable], label: str) -> np.ndarray | None:
            if values is None:
                return None
            pd_ = _loaded_pandas()
            if pd_ is not None and isinstance(values, pd_.Series):
                s = values.reindex(pd_.Index(ids))
                if s.isna().any():
                    miss = list(s.index[s.isna()][:10])
                    issues.append(_issue(label, f"no value for ids {miss}"))
                    return None
                arr = s.to_numpy(dtype=float)
            else:
                arr = np.asarray(values, dtype=float).ravel()
            if arr.shape != (len(ids),):
                issues.append(_issue(label, f"{arr.size} values for {len(ids)} ids"))
                return None
            bad = np.flatnonzero(~np.isfinite(arr) | (arr < 0))
            if len(bad):
                issues.append(_issue(label, f"values must be finite and >= 0; bad at ids {[ids[k] for k in bad[:10]]}"))
            return np.asarray(arr)

        w = vec(demand, d_ids, "demand")
        cap = vec(capacity, s_ids, "capacity")
        fc = vec(fixed_cost, s_ids, "fixed_cost")
        if issues:
            raise DataValidationError(issues)
        mat = np.ascontiguousarray(mat, dtype=float)
        mat.setflags(write=False)
        for a in (w, cap, fc):
            if a is not None:
                a.setflags(write=False)
        if w is None:
            w = np.ones(n)
            w.setflags(write=False)
        return cls(mat, tuple(d_ids), tuple(s_ids), w, cap, fc, cost_is_total, name)

    # ------------------------------------------------------------------ derived data
    @property
    def n_demand(self) -> int:
        return int(self.cost.shape[0])

    @property
    def n_sites(self) -> int:
        return int(self.cost.shape[1])

    @cached_property
    def weighted_cost(self) -> np.ndarray:
        """Cost of serving all of demand point ``i`` from site ``j`` (``inf`` where no route)."""
        if self.cost_is_total:
            return self.cost
        with np.errstate(invalid="ignore"):
            wc = self.demand[:, None] * self.cost
        wc[np.isinf(self.cost)] = np.inf  # 0 * inf
        wc.setflags(write=False)
        return np.asarray(wc)

    @cached_property
    def order(self) -> np.ndarray:
        """Sites sorted by cost for each demand point (stable: ties by site index)."""
        o = np.argsort(self.cost, axis=1, kind="stable")
        o.setflags(write=False)
        return o

    def site_index(self, ids: Sequence[Hashable] | None) -> np.ndarray:
        """Positions of the given site ids; raise naming the unknown ones."""
        if ids is None:
            return np.zeros(0, dtype=int)
        ids = list(ids)
        where = {sid: k for k, sid in enumerate(self.site_ids)}
        pos = np.array([where.get(i, -1) for i in ids], dtype=int)
        bad = [i for i, p in zip(ids, pos) if p < 0]
        if bad:
            raise DataValidationError([_issue("sites", f"unknown site ids {bad[:10]}")])
        return np.unique(pos)

    def __repr__(self) -> str:
        extra = []
        if self.capacity is not None:
            extra.append("capacity")
        if self.fixed_cost is not None:
            extra.append("fixed_cost")
        return (
            f"LocationProblem({self.name!r}: {self.n_demand} demand x {self.n_sites} sites, "
            f"total demand {self.demand.sum():g}{', ' if extra else ''}{', '.join(extra)})"
        )


def as_problem(cost: LocationProblem | ArrayLike, demand: ArrayLike = None, **kwargs: Any) -> LocationProblem:
    """Pass a :class:`LocationProblem` through; build one from a cost matrix otherwise."""
    if isinstance(cost, LocationProblem):
        if demand is not None or any(v is not None for v in kwargs.values()):
            raise ValueError("pass demand/capacity/fixed costs when building the LocationProblem, not here")
        return cost
    return LocationProblem.from_cost_matrix(cost, demand, **kwargs)
