"""The reform plan's moves beyond keep/close/co-locate: downsizing at rebuild (減築), school mergers
(学校統合), function conversion at a cost (機能転換) and hubs at planned stations (新駅周辺の拠点).

This module holds the policy pieces (:class:`MergerRule`, :class:`HubRule`; ``Policy.allow_downsizing``
and ``Policy.conversion_yen_per_m2`` are plain policy fields) and the tables the model and the check
share (candidate mergers, district pupils, conversions).  The MILP parts, a mixin of
:class:`facility_opt.portfolio.model.PortfolioModel` with its own variables and constraint families,
are :mod:`facility_opt.portfolio.formulation.reform`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

#: floor left out of a rebuild up to the floor rows' tolerance (formulation.constants.FLOOR_TOL_M2) is not reported
DOWNSIZE_NOISE_M2 = 0.1 + 1e-6

__all__ = [
    "MergerPair",
    "MergerRule",
    "HubRule",
    "candidate_mergers",
    "district_pupils",
    "merger_windows",
    "conversion_placements",
    "DOWNSIZE_NOISE_M2",
]


class MergerPair(BaseModel):
    """One school pair that may (or must) merge: ``close``'s pupils and district go to ``into``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    close: str = Field(description="Site of the school that closes.")
    into: str = Field(description="Site of the school that receives its pupils.")
    required: bool = Field(default=False, description="The merger must happen within the horizon.")
    from_year: int | None = Field(default=None, description="Not before this year.")
    source: str = ""

    @model_validator(mode="after")
    def _two(self) -> MergerPair:
        if self.close == self.into:
            raise ValueError(f"a school cannot merge into itself ({self.close})")
        return self


class MergerRule(BaseModel):
    """School mergers of one schooling service (a ``district`` service whose districts are its schools').

    Candidate pairs: ``pairs`` and, with ``max_distance_m``, any two of its schools that close
    (both ways round).  Class sizes: 学校教育法施行規則 第41条 (第79条 for junior high) sets the
    standard size at 12–18 classes; 義務標準法 sets the class size (35 here).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    service: str = Field(description="The schooling service, e.g. primary_education.")
    pairs: list[MergerPair] = Field(default_factory=list)
    max_distance_m: float | None = Field(
        default=None, gt=0, description="Also any two schools of the service this close (straight line)."
    )
    class_size: int = Field(default=35, ge=1, description="Pupils per class.")
    min_classes: int = Field(default=12, ge=1)
    max_classes: int = Field(default=18, ge=1)
    only_undersized: bool = Field(default=True, description="A merger needs one school below min_classes.")
    source: str = ""

    @model_validator(mode="after")
    def _window(self) -> MergerRule:
        if self.min_classes > self.max_classes:
            raise ValueError(f"min_classes {self.min_classes} exceeds max_classes {self.max_classes}")
        return self

    @property
    def window(self) -> tuple[int, int]:
        """(least, most) pupils of a merged school."""
        return self.min_classes * self.class_size, self.max_classes * self.class_size


class HubRule(BaseModel):
    """A site that must be a hub: open with at least ``min_services`` services, each with at least
    ``min_places`` places, from ``from_year``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    from_year: int | None = Field(default=None, description="None: the site's available_from.")
    min_services: int = Field(default=1, ge=1)
    min_places: float = Field(default=1.0, gt=0, description="Least capacity of each service placed at the hub.")
    source: str = ""

    def year(self, available_from: int, change_year: int) -> int:
        """The first year the hub must be one."""
        return self.from_year if self.from_year is not None else max(int(available_from), change_year)


# ---------------------------------------------------------------------- tables shared with the check
def district_pupils(problem, service_id: str) -> pd.DataFrame:
    """district, p, demand: a district service's demand per district and period (the model's period
    demand: the largest of the period's years per zone)."""
    zd, _ = problem.district_tables(service_id)
    d = problem.demand_by_period()
    d = d[d["service_id"] == service_id].assign(district=lambda f: f["zone_id"].map(zd)).dropna(subset=["district"])
    return d.groupby(["district", "p"], as_index=False)["demand"].sum()


def candidate_mergers(problem) -> pd.DataFrame:
    """The candidate merger pairs of the policy: ``rule, service_id, close, into, required, from_year``
    (explicit pairs first, then pairs within ``max_distance_m``; both ways round), sorted."""
    pol = problem.policy
    cols = ["rule", "service_id", "close", "into", "required", "from_year"]
    rows = []
    sites = problem.sites.set_index("site_id")
    for j, r in enumerate(pol.mergers):
        _, sd = problem.district_tables(r.service)
        cur = set(problem.placements.loc[problem.placements["service_id"] == r.service, "site_id"])
        schools = sorted(s for s in cur if sd.get(s) == s)
        seen = set()
        for pr in r.pairs:
            rows.append((j, r.service, pr.close, pr.into, pr.required, pr.from_year or 0))
            seen.add((pr.close, pr.into))
        if r.max_distance_m is not None and len(schools) > 1:
            xy = sites.loc[schools, ["x", "y"]].to_numpy(dtype=float)
            dd = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
            a, b = np.nonzero(dd <= r.max_distance_m)
            for i, k in zip(a, b):
                if i != k and (schools[i], schools[k]) not in seen:
                    rows.append((j, r.service, schools[i], schools[k], False, 0))
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["rule", "close", "into"], kind="mergesort").reset_index(drop=True)


def merger_windows(problem, pairs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ok, pupils of close, pupils of into): J × P; ``ok`` where a merger may start in that period."""
    pol = problem.policy
    per = pol.periods()
    P = len(per)
    J = len(pairs)
    ok = np.zeros((J, P), dtype=bool)
    da, db = np.zeros((J, P)), np.zeros((J, P))
    starts = per["start"].to_numpy()
    tables: dict[str, pd.DataFrame] = {}
    for j, r in enumerate(pairs.itertuples(index=False)):
        rule = pol.mergers[int(r.rule)]
        if r.service_id not in tables:
            dp = district_pupils(problem, r.service_id).pivot(index="district", columns="p", values="demand")
            tables[r.service_id] = dp.reindex(columns=range(P)).fillna(0.0)
        dp = tables[r.service_id]
        da[j] = dp.loc[r.close].to_numpy() if r.close in dp.index else 0.0
        db[j] = dp.loc[r.into].to_numpy() if r.into in dp.index else 0.0
        lo, hi = rule.window
        tot = da[j] + db[j]
        small = np.minimum(da[j], db[j]) < lo - 1e-9 if rule.only_undersized else np.ones(P, dtype=bool)
        ok[j] = (tot >= lo - 1e-9) & (tot <= hi + 1e-9) & small & (starts >= max(int(r.from_year), pol.change_year))
    return ok, da, db


def conversion_placements(problem, el: pd.DataFrame) -> np.ndarray:
    """Positions in ``el`` (eligible placements) that convert existing floor: a service new to an
    existing building of a category where the service is nowhere today."""
    sites = problem.sites.set_index("site_id")
    cat = el["site_id"].map(sites["category"])
    own = problem.placements.assign(category=problem.placements["site_id"].map(sites["category"]))
    own = set(zip(own["service_id"], own["category"]))
    existing = el["site_id"].map(sites["kind"]).eq("existing")
    foreign = ~pd.Series([(k, c) in own for k, c in zip(el["service_id"], cat)], index=el.index)
    return np.flatnonzero((~el["current"] & existing & foreign).to_numpy())
