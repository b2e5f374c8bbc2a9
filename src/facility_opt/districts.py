"""School districts (通学区域): which school each zone's pupils attend.

A ward's district table is the real answer; when it is not available (Nerima's 通学区域 polygons are
not in the embedded data), :func:`impute_districts` assigns every zone to one school by a stated
rule: the nearest schools first, each school's pupils within its capacity standard, minimising
pupil-metres (an assignment MILP, HiGHS through :func:`facility_opt.solver.solve`).  The result is
imputed data and is marked so.

:func:`site_districts` says which district each site belongs to, so a district service (an
after-school club) may only use sites of its own district: a school is its own district's anchor;
any other site belongs to the district of its nearest zone.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from .milp import Milp, values
from .solver import SolverOptions

__all__ = ["impute_districts", "site_districts"]

log = logging.getLogger(__name__)


def impute_districts(
    load: pd.Series,
    pairs: pd.DataFrame,
    schools: list[str],
    max_load: float | pd.Series,
    candidates: int = 6,
    options: SolverOptions | None = None,
) -> pd.DataFrame:
    """Assign each zone to one school: nearest schools, loads within ``max_load``, least pupil-metres.

    Parameters
    ----------
    load : zone_id -> pupils (e.g. the largest demand of the horizon's years).
    pairs : zone_id, site_id, distance_m (the zone–school distances).
    schools : site ids of the schools.
    max_load : most pupils per school (e.g. its capacity, or 24 classes × 35), one for all or per school.
    candidates : each zone may go to one of its ``candidates`` nearest schools.

    Returns
    -------
    DataFrame
        zone_id, district (the school's site id), distance_m; sorted by zone.  A school whose
        nearest zones cannot fit within ``max_load`` gets the overflow with a warning (the
        capacity standard then decides whether the plan is feasible).

    Examples
    --------
    >>> import pandas as pd
    >>> pairs = pd.DataFrame({"zone_id": ["a", "a", "b", "b"], "site_id": ["S1", "S2", "S1", "S2"],
    ...                       "distance_m": [100.0, 900.0, 200.0, 800.0]})
    >>> impute_districts(pd.Series({"a": 300.0, "b": 300.0}), pairs, ["S1", "S2"], max_load=400)[
    ...     ["zone_id", "district"]].values.tolist()
    [['a', 'S1'], ['b', 'S2']]
    """
    sch = set(schools)
    p = pairs[pairs["site_id"].isin(sch) & pairs["zone_id"].isin(load.index)].copy()
    p = p.sort_values(["zone_id", "distance_m", "site_id"], kind="mergesort")
    p = p.groupby("zone_id", sort=True).head(candidates).reset_index(drop=True)
    zones = sorted(load.index[load > 0])
    missing = sorted(set(zones) - set(p["zone_id"]))
    if missing:
        log.warning(
            "districts: %d zones have no school in the distance table (%s); left without a district",
            len(missing),
            ", ".join(missing[:5]),
        )
    p = p[p["zone_id"].isin(zones)].reset_index(drop=True)
    m = Milp("districts")
    y = m.block("y", len(p), cat="Binary")
    over = m.block("over", len(schools))
    zi = pd.Index(sorted(set(p["zone_id"]))).get_indexer(p["zone_id"])
    m.add("one", zi, y, 1.0, "==", 1.0, n_rows=int(zi.max()) + 1 if len(zi) else 0)
    si = pd.Index(schools).get_indexer(p["site_id"])
    lz = load.reindex(p["zone_id"]).to_numpy(dtype=float)
    cap = (
        max_load.reindex(schools).to_numpy(dtype=float)
        if isinstance(max_load, pd.Series)
        else np.full(len(schools), float(max_load))
    )
    m.add(
        "load",
        np.r_[si, np.arange(len(schools))],
        np.r_[y, over],
        np.r_[lz, -np.ones(len(schools))],
        "<=",
        cap,
        n_rows=len(schools),
    )
    rank = p.groupby("zone_id").cumcount().to_numpy()
    cost = lz * p["distance_m"].to_numpy() / 1000.0 + 1e-6 * rank  # pupil-km; ties: the nearer school
    m.set_objective(list(zip(y, cost.tolist())) + [(v, 1e6) for v in over])
    info = m.solve(options or SolverOptions(gap_rel=1e-6, time_limit=300))
    if not info.has_solution:
        raise RuntimeError(f"district imputation failed: {info}")
    pick = values(y) > 0.5
    o = values(over)
    for j in np.flatnonzero(o > 1e-6):
        log.info("districts: school %s takes %.0f pupils above its %.0f (its nearest zones)", schools[j], o[j], cap[j])
    out = p.loc[pick, ["zone_id", "site_id", "distance_m"]].rename(columns={"site_id": "district"})
    return out.sort_values("zone_id", kind="mergesort").reset_index(drop=True)


def site_districts(
    districts: pd.DataFrame, sites: pd.DataFrame, zones: pd.DataFrame, anchors: list[str]
) -> pd.DataFrame:
    """The district of every site: an anchor (school) is its own; another site takes its nearest zone's.

    ``districts`` is zone_id → district; ``sites`` and ``zones`` have ``x, y`` (metric).  Returns
    site_id, district.
    """
    from scipy.spatial import cKDTree

    zd = districts.set_index("zone_id")["district"]
    z = zones[zones["zone_id"].isin(zd.index)].sort_values("zone_id", kind="mergesort")
    tree = cKDTree(z[["x", "y"]].to_numpy())
    _, idx = tree.query(sites[["x", "y"]].to_numpy())
    d = zd.reindex(z["zone_id"].to_numpy()[idx]).to_numpy()
    out = pd.DataFrame({"site_id": sites["site_id"].to_numpy(), "district": d})
    anchor = out["site_id"].isin(anchors)
    out.loc[anchor, "district"] = out.loc[anchor, "site_id"]
    return out.sort_values("site_id", kind="mergesort").reset_index(drop=True)
