"""One portfolio-optimisation instance as plain, validated, id-keyed tables.

A :class:`PortfolioProblem` holds everything the decision model needs and nothing else: no
geometry, no catalogue, no cost model.  Sites (existing buildings and candidate new sites) carry
their costs over the planning horizon already computed; services carry their coverage standard and
floor need; demand is per zone and service; reach is a sparse table of zone–site distances.

Build one from plain DataFrames with :meth:`PortfolioProblem.from_frames` (tests use tiny
hand-made instances) or from a ward with :func:`facility_opt.portfolio.build.problem_from_ward`.

Cost conventions (all yen, undiscounted, over ``policy.horizon_years`` starting at
``policy.start_year``):

* a site that stays open pays ``renewal_keep_yen`` (its renovation/rebuild events within the
  horizon, from the cost model) plus ``(operating_yen_per_m2_year * floor_area_m2 +
  fixed_yen_per_year)`` every year;
* a site that closes does so in its ``change_year`` (its next rebuild, or the earliest change
  year): it pays ``renewal_before_change_yen`` and its running costs until then, and its land
  brings ``land_value_yen_per_m2 * site_area_m2`` (sold) or a yearly lease income, if owned;
* floor area added to a site (co-location, extension, a new building) is built in the site's
  ``change_year`` at ``build_yen_per_m2`` and operated from then on;
* a candidate site that opens pays for its land if not owned and its fixed cost from its
  ``change_year``.

:meth:`PortfolioProblem.site_costs_by_year` spreads these same totals over the years of the
horizon (for the cost-by-year chart): renewal by the optional ``renewal_by_year`` table (the
cost model's own timing), running costs evenly over the years a site or its added floor is open,
new floor, land and a sale in the change year.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..errors import DataIssue, DataValidationError

__all__ = ["Policy", "PortfolioProblem", "SITE_COLUMNS", "SERVICE_COLUMNS", "COST_KINDS"]

log = logging.getLogger(__name__)

#: columns of the sites table: name -> (dtype, default or None when required)
SITE_COLUMNS: dict[str, tuple[str, object]] = {
    "site_id": ("str", None),
    "name": ("str", ""),
    "kind": ("str", "existing"),  # existing | candidate
    "category": ("str", None),
    "floor_area_m2": ("float", 0.0),  # existing gross floor area (0 for candidates)
    "site_area_m2": ("float", np.nan),  # NaN: no site limit
    "max_far": ("float", np.nan),  # maximum floor-area ratio 容積率 (NaN: no limit)
    "owned": ("bool", True),
    "land_value_yen_per_m2": ("float", 0.0),
    "station_front": ("bool", False),
    "change_year": ("int", None),
    "renewal_keep_yen": ("float", 0.0),
    "renewal_before_change_yen": ("float", 0.0),
    "operating_yen_per_m2_year": ("float", 0.0),
    "fixed_yen_per_year": ("float", 0.0),
    "build_yen_per_m2": ("float", 0.0),
    "next_rebuild_year": ("float", np.nan),  # informative (reasons); NaN: none within the horizon
    "x": ("float", np.nan),
    "y": ("float", np.nan),
}

#: columns of the services table
SERVICE_COLUMNS: dict[str, tuple[str, object]] = {
    "service_id": ("str", None),
    "name": ("str", ""),
    "coverage_m": ("float", np.nan),  # NaN: no distance standard (any site within max reach)
    "floor_m2_per_unit": ("float", 0.0),
    "max_capacity_per_site": ("float", np.nan),
    "host_categories": ("list", None),
    "co_locatable": ("bool", True),
}

_DEMAND_COLUMNS = {"zone_id": ("str", None), "service_id": ("str", None), "population": ("float", None),
                   "demand": ("float", 0.0)}
_PLACEMENT_COLUMNS = {"site_id": ("str", None), "service_id": ("str", None), "capacity": ("float", None),
                      "floor_area_m2": ("float", np.nan), "facility_id": ("str", ""), "facility_name": ("str", "")}
_PAIR_COLUMNS = {"zone_id": ("str", None), "site_id": ("str", None), "distance_m": ("float", None)}
_ZONE_COLUMNS = {"zone_id": ("str", None), "name": ("str", ""), "x": ("float", np.nan), "y": ("float", np.nan)}
_RENEWAL_COLUMNS = {"site_id": ("str", None), "year": ("int", None), "renewal_yen": ("float", None)}

#: cost components of :meth:`PortfolioProblem.site_costs` (``total = sum - revenue``)
COST_KINDS = ("renewal", "operation", "fixed", "new_build", "land", "revenue")


class Policy(BaseModel):
    """Planning policy: horizon, locks, limits and the weight of access in the objective.

    Site and service ids must exist in the problem; unknown ids are reported with the known ones.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    horizon_years: int = Field(default=30, ge=1, le=100)
    start_year: int = Field(default=2019, ge=1900, le=2200)
    lock_open: list[str] = Field(default_factory=list, description="Sites that must stay open.")
    lock_closed: list[str] = Field(default_factory=list, description="Sites that must close.")
    frozen_sites: list[str] = Field(
        default_factory=list, description="Sites excluded from change: open, same services, nothing added.")
    frozen_services: list[str] = Field(
        default_factory=list, description="Services excluded from change: they stay exactly where they are.")
    keep_services: list[str] = Field(
        default_factory=list,
        description="Services that stay at every site that provides them now (they may still grow or open elsewhere).")
    max_closures: int | None = Field(default=None, ge=0, description="Most existing sites that may close.")
    min_floor_reduction: float | None = Field(default=None, ge=-1, le=1,
                                              description="Least share of total floor area to cut (0.1 = 10 %).")
    max_floor_reduction: float | None = Field(default=None, ge=-1, le=1,
                                              description="Largest share of total floor area to cut.")
    capital_budget_yen: float | None = Field(
        default=None, ge=0, description="Cap on capital spend for change: new floor area and land bought.")
    incompatible: list[tuple[str, str]] = Field(
        default_factory=list, description="Service pairs that may not share a site.")
    candidate_services: dict[str, list[str]] = Field(
        default_factory=dict, description="Candidate site -> the only services it may host.")
    min_share: dict[str, float] = Field(
        default_factory=dict,
        description="Service -> least share of its target population to cover; services not listed are hard.")
    sharing_saving: float = Field(default=0.1, ge=0, lt=1,
                                  description="Share of an added service's floor need saved by sharing a building.")
    allow_expansion: bool = Field(default=True, description="Existing placements may add capacity (and floor).")
    access_weight_yen_per_person_km: float = Field(
        default=0.0, ge=0,
        description="Yen per resident per km of distance to the serving site, over the horizon (access term).")
    disposal: Literal["sell", "lease", "none"] = Field(default="sell", description="What happens to closed owned land.")
    lease_yield: float = Field(default=0.03, ge=0, le=1, description="Yearly lease income as a share of land value.")
    max_reach_m: float | None = Field(default=None, gt=0,
                                      description="Reach for services without a coverage standard (None: any pair).")

    @field_validator("min_share")
    @classmethod
    def _shares(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: s for k, s in v.items() if not 0 <= s <= 1}
        if bad:
            raise ValueError(f"min_share values must be within 0..1, got {bad}")
        return dict(sorted(v.items()))

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        both = sorted(set(self.lock_open) & set(self.lock_closed))
        if both:
            raise ValueError(f"sites both locked open and locked closed: {both}")
        lo, hi = self.min_floor_reduction, self.max_floor_reduction
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"min_floor_reduction {lo} exceeds max_floor_reduction {hi}")
        return self

    @property
    def end_year(self) -> int:
        """First year after the horizon."""
        return self.start_year + self.horizon_years


def _coerce(df: pd.DataFrame, spec: dict[str, tuple[str, object]], table: str,
            issues: list[DataIssue]) -> pd.DataFrame:
    """Keep the spec's columns with their dtypes, fill defaults, record missing/invalid columns."""
    df = pd.DataFrame(df).reset_index(drop=True)
    out = pd.DataFrame(index=df.index)
    for col, (kind, default) in spec.items():
        if col not in df.columns:
            if default is None:
                issues.append(DataIssue(table, None, col, f"required column '{col}' is missing "
                                        f"(columns found: {', '.join(map(str, df.columns))})"))
                continue
            out[col] = [[] for _ in range(len(df))] if kind == "list" else default
            continue
        s = df[col]
        try:
            if kind == "str":
                out[col] = s.fillna("").astype(str).str.strip()
            elif kind == "float":
                out[col] = pd.to_numeric(s, errors="raise").astype(float)
            elif kind == "int":
                out[col] = pd.to_numeric(s, errors="raise").astype(np.int64)
            elif kind == "bool":
                out[col] = s.map(_to_bool).astype(bool)
            elif kind == "list":
                out[col] = s.map(_to_list)
        except (ValueError, TypeError) as exc:
            issues.append(DataIssue(table, None, col, f"cannot read column '{col}' as {kind}: {exc}"))
    return out


def _to_bool(v) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("1", "true", "yes", "y", "t")
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return False
    return bool(v)


def _to_list(v) -> list[str]:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return []
    if isinstance(v, str):
        return sorted({p.strip() for p in v.split(";") if p.strip()})
    return sorted({str(p) for p in v})


def _check_ids(values: pd.Series, known: set[str], table: str, field: str, what: str,
               issues: list[DataIssue]) -> None:
    for i, v in enumerate(values, start=1):
        if v not in known:
            shown = ", ".join(sorted(known)[:12]) + (" ..." if len(known) > 12 else "")
            issues.append(DataIssue(table, i, field, f"unknown {what} {v!r} (known: {shown})"))


def _check_unique(values: pd.Series, table: str, field: str, issues: list[DataIssue]) -> None:
    dup = values[values.duplicated()]
    for i, v in dup.items():
        issues.append(DataIssue(table, int(i) + 1, field, f"duplicate id {v!r}"))


@dataclass(frozen=True)
class PortfolioProblem:
    """A validated portfolio instance (see the module docstring for the cost conventions).

    Tables are sorted by their ids and never changed after construction; use
    :meth:`replace` to derive a variant (another policy, a tighter standard).

    Attributes
    ----------
    zones : zone_id, name, x, y (coordinates optional, metric).
    sites : one row per building or candidate site (:data:`SITE_COLUMNS`).
    services : one row per service (:data:`SERVICE_COLUMNS`).
    demand : zone_id, service_id, population (target residents), demand (capacity units).
    placements : the current portfolio: facility_id, facility_name, site_id, service_id, capacity,
        floor_area_m2 (the floor the service uses now; missing values are filled from the site).
    pairs : zone_id, site_id, distance_m: the zone–site pairs within reach (sparse).
    policy : :class:`Policy`.
    name : a label for reports.
    renewal_by_year : optional site_id, year, renewal_yen: when the renewal costs of keeping each
        site fall (one row per site and year with a cost).  Its sums must equal
        ``renewal_keep_yen`` (all years) and ``renewal_before_change_yen`` (years before the change
        year).  Only :meth:`site_costs_by_year` uses it; without it renewal is spread evenly.
    """

    zones: pd.DataFrame
    sites: pd.DataFrame
    services: pd.DataFrame
    demand: pd.DataFrame
    placements: pd.DataFrame
    pairs: pd.DataFrame
    policy: Policy
    name: str = "portfolio"
    renewal_by_year: pd.DataFrame | None = None

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_frames(cls, *, sites: pd.DataFrame, services: pd.DataFrame, demand: pd.DataFrame,
                    placements: pd.DataFrame, pairs: pd.DataFrame, zones: pd.DataFrame | None = None,
                    policy: Policy | dict | None = None, name: str = "portfolio",
                    renewal_by_year: pd.DataFrame | None = None) -> PortfolioProblem:
        """Validate plain DataFrames into a problem; every problem found is raised together.

        Missing optional columns take their defaults (:data:`SITE_COLUMNS`, :data:`SERVICE_COLUMNS`);
        ``change_year`` defaults to the policy's start year.

        Raises
        ------
        DataValidationError
            listing every unknown id, duplicate, missing column or out-of-range value.

        Examples
        --------
        >>> import pandas as pd
        >>> p = PortfolioProblem.from_frames(
        ...     sites=pd.DataFrame({"site_id": ["A"], "category": ["hall"], "floor_area_m2": [500.0]}),
        ...     services=pd.DataFrame({"service_id": ["hall"], "coverage_m": [1000.0], "host_categories": ["hall"]}),
        ...     demand=pd.DataFrame({"zone_id": ["z"], "service_id": ["hall"], "population": [100.0]}),
        ...     placements=pd.DataFrame({"site_id": ["A"], "service_id": ["hall"], "capacity": [50.0]}),
        ...     pairs=pd.DataFrame({"zone_id": ["z"], "site_id": ["A"], "distance_m": [300.0]}))
        >>> p
        PortfolioProblem('portfolio': 1 zones, 1 sites (0 candidates), 1 services, 1 pairs)
        """
        issues: list[DataIssue] = []
        pol = policy if isinstance(policy, Policy) else Policy.model_validate(policy or {})
        sites = sites.copy()
        if "change_year" not in sites.columns:
            sites["change_year"] = pol.start_year
        s = _coerce(sites, SITE_COLUMNS, "sites", issues)
        v = _coerce(services, SERVICE_COLUMNS, "services", issues)
        d = _coerce(demand, _DEMAND_COLUMNS, "demand", issues)
        pl = _coerce(placements, _PLACEMENT_COLUMNS, "placements", issues)
        pr = _coerce(pairs, _PAIR_COLUMNS, "pairs", issues)
        if zones is None:
            zones = pd.DataFrame({"zone_id": sorted(set(d.get("zone_id", [])) | set(pr.get("zone_id", [])))})
        z = _coerce(zones, _ZONE_COLUMNS, "zones", issues)
        ry = None if renewal_by_year is None else _coerce(renewal_by_year, _RENEWAL_COLUMNS, "renewal_by_year",
                                                          issues)
        if issues:
            raise DataValidationError(issues)
        _check_unique(s["site_id"], "sites", "site_id", issues)
        _check_unique(v["service_id"], "services", "service_id", issues)
        _check_unique(z["zone_id"], "zones", "zone_id", issues)
        site_ids, svc_ids, zone_ids = set(s["site_id"]), set(v["service_id"]), set(z["zone_id"])
        for i, k in enumerate(s["kind"], start=1):
            if k not in ("existing", "candidate"):
                issues.append(DataIssue("sites", i, "kind", f"kind must be 'existing' or 'candidate' (got {k!r})"))
        for col in ("floor_area_m2", "land_value_yen_per_m2", "renewal_keep_yen", "renewal_before_change_yen",
                    "operating_yen_per_m2_year", "fixed_yen_per_year", "build_yen_per_m2"):
            for i in np.flatnonzero(~(s[col].to_numpy() >= 0)):
                issues.append(DataIssue("sites", int(i) + 1, col, f"must be >= 0 (got {s[col].iloc[i]})"))
        for i in np.flatnonzero((s["change_year"] < pol.start_year) | (s["change_year"] > pol.end_year)):
            issues.append(DataIssue("sites", int(i) + 1, "change_year",
                                    f"must lie within the horizon {pol.start_year}..{pol.end_year} "
                                    f"(got {s['change_year'].iloc[i]})"))
        for i in np.flatnonzero(~(v["coverage_m"].fillna(1.0).to_numpy() > 0)):
            issues.append(DataIssue("services", int(i) + 1, "coverage_m", "must be > 0 or empty (no standard)"))
        for i in np.flatnonzero(~(v["floor_m2_per_unit"].to_numpy() >= 0)):
            issues.append(DataIssue("services", int(i) + 1, "floor_m2_per_unit", "must be >= 0"))
        _check_ids(d["service_id"], svc_ids, "demand", "service_id", "service", issues)
        _check_ids(d["zone_id"], zone_ids, "demand", "zone_id", "zone", issues)
        for col in ("population", "demand"):
            for i in np.flatnonzero(~(d[col].to_numpy() >= 0)):
                issues.append(DataIssue("demand", int(i) + 1, col, f"must be >= 0 (got {d[col].iloc[i]})"))
        _check_ids(pl["site_id"], site_ids, "placements", "site_id", "site", issues)
        _check_ids(pl["service_id"], svc_ids, "placements", "service_id", "service", issues)
        for i in np.flatnonzero(~(pl["capacity"].to_numpy() >= 0)):
            issues.append(DataIssue("placements", int(i) + 1, "capacity", "must be >= 0"))
        cand = set(s.loc[s["kind"] == "candidate", "site_id"])
        for i in np.flatnonzero(((s["kind"] == "candidate") & ~s["owned"] & s["site_area_m2"].isna()).to_numpy()):
            issues.append(DataIssue("sites", int(i) + 1, "site_area_m2", "a candidate site that is not owned needs "
                                    "its site area (its land is bought)"))
        for i, sid in enumerate(pl["site_id"], start=1):
            if sid in cand:
                issues.append(DataIssue("placements", i, "site_id", f"candidate site {sid!r} cannot hold a current "
                                        "placement; make it an existing site"))
        _check_ids(pr["zone_id"], zone_ids, "pairs", "zone_id", "zone", issues)
        _check_ids(pr["site_id"], site_ids, "pairs", "site_id", "site", issues)
        for i in np.flatnonzero(~(pr["distance_m"].to_numpy() >= 0)):
            issues.append(DataIssue("pairs", int(i) + 1, "distance_m", "must be >= 0"))
        _check_policy(pol, site_ids, svc_ids, cand, issues)
        if ry is not None:
            ry = _check_renewal_by_year(ry, s, pol, issues)
        if issues:
            raise DataValidationError(issues)

        # canonical order and derived fields
        s = s.sort_values("site_id", kind="mergesort").reset_index(drop=True)
        v = v.sort_values("service_id", kind="mergesort").reset_index(drop=True)
        z = z.sort_values("zone_id", kind="mergesort").reset_index(drop=True)
        d = (d.groupby(["zone_id", "service_id"], sort=True, as_index=False)[["population", "demand"]].sum())
        d = d[(d["population"] > 0) | (d["demand"] > 0)].reset_index(drop=True)
        pl.loc[pl["facility_id"] == "", "facility_id"] = pl["site_id"]
        names = s.set_index("site_id")["name"]
        pl.loc[pl["facility_name"] == "", "facility_name"] = pl["facility_id"].map(names).fillna(pl["facility_id"])
        pl = pl.sort_values(["site_id", "service_id", "facility_id"], kind="mergesort").reset_index(drop=True)
        pl = _fill_floor(pl, s)
        pr = (pr.groupby(["zone_id", "site_id"], sort=True, as_index=False)["distance_m"].min())
        return cls(zones=z, sites=s, services=v, demand=d, placements=pl, pairs=pr, policy=pol, name=name,
                   renewal_by_year=ry)

    def replace(self, **changes) -> PortfolioProblem:
        """A copy with some tables or the policy replaced (re-validated).

        ``policy`` may be a :class:`Policy` or a dict of policy fields to update.
        """
        pol = changes.pop("policy", self.policy)
        if isinstance(pol, dict):
            pol = self.policy.model_copy(update=pol)
            pol = Policy.model_validate(pol.model_dump())
        kw = dict(zones=self.zones, sites=self.sites, services=self.services, demand=self.demand,
                  placements=self.placements, pairs=self.pairs, name=self.name, renewal_by_year=self.renewal_by_year)
        kw.update(changes)
        return PortfolioProblem.from_frames(policy=pol, **kw)

    # ------------------------------------------------------------------ views
    def __repr__(self) -> str:
        n_cand = int((self.sites["kind"] == "candidate").sum())
        return (f"PortfolioProblem({self.name!r}: {len(self.zones)} zones, {len(self.sites)} sites "
                f"({n_cand} candidates), {len(self.services)} services, {len(self.pairs)} pairs)")

    @property
    def existing(self) -> pd.DataFrame:
        """The existing sites."""
        return self.sites[self.sites["kind"] == "existing"]

    def site_floor_limit(self) -> pd.Series:
        """Largest floor area each site may carry (site area × floor-area ratio; inf when unknown).

        A building already larger than its limit may keep its area but not grow.
        """
        lim = (self.sites["site_area_m2"] * self.sites["max_far"]).to_numpy()
        lim = np.where(np.isfinite(lim), np.maximum(lim, self.sites["floor_area_m2"].to_numpy()), np.inf)
        return pd.Series(lim, index=self.sites["site_id"].to_numpy(), name="floor_limit_m2")

    def eligible(self) -> pd.DataFrame:
        """(service_id, site_id) pairs where a service may be placed, with ``current`` capacity/floor.

        A service may stay where it is now; it may move to a site whose category is one of its
        ``host_categories``, unless the site is a candidate restricted by
        ``policy.candidate_services``, a frozen site, or the service is frozen.
        """
        pol = self.policy
        cur = (self.placements.groupby(["service_id", "site_id"], sort=True, as_index=False)
               .agg(capacity=("capacity", "sum"), floor_area_m2=("floor_area_m2", "sum")))
        cur["current"] = True
        hosts = self.services[["service_id", "host_categories"]].explode("host_categories").dropna()
        hosts = hosts.rename(columns={"host_categories": "category"})
        el = hosts.merge(self.sites[["site_id", "category", "kind"]], on="category")[["service_id", "site_id", "kind"]]
        if pol.candidate_services:
            allowed = {(k, s) for s, ks in pol.candidate_services.items() for k in ks}
            restricted = set(pol.candidate_services)
            keep = [(s not in restricted) or ((k, s) in allowed) for k, s in zip(el["service_id"], el["site_id"])]
            el = el[keep]
        frozen_sites = set(pol.frozen_sites)
        frozen_svcs = set(pol.frozen_services)
        el = el[~el["site_id"].isin(frozen_sites) & ~el["service_id"].isin(frozen_svcs)]
        el = pd.concat([cur[["service_id", "site_id"]], el[["service_id", "site_id"]]]).drop_duplicates()
        el = el.merge(cur, on=["service_id", "site_id"], how="left")
        el["current"] = el["current"].fillna(False).astype(bool)
        el[["capacity", "floor_area_m2"]] = el[["capacity", "floor_area_m2"]].fillna(0.0)
        return el.sort_values(["service_id", "site_id"], kind="mergesort").reset_index(drop=True)

    def reach(self) -> pd.DataFrame:
        """(zone, service, site) triples where the site is within the service's standard (or reach).

        Columns: zone_id, service_id, site_id, distance_m, population, demand; only eligible sites
        and zones with demand.  This is the sparse support of the assignment variables.
        """
        el = self.eligible()[["service_id", "site_id"]]
        t = self.demand.merge(el, on="service_id").merge(self.pairs, on=["zone_id", "site_id"])
        cov = self.services.set_index("service_id")["coverage_m"]
        limit = t["service_id"].map(cov).to_numpy()
        reach = self.policy.max_reach_m if self.policy.max_reach_m is not None else np.inf
        limit = np.where(np.isnan(limit), reach, limit)
        t = t[t["distance_m"].to_numpy() <= limit + 1e-9]
        return t.sort_values(["service_id", "zone_id", "site_id"], kind="mergesort").reset_index(drop=True)[
            ["zone_id", "service_id", "site_id", "distance_m", "population", "demand"]]

    def site_costs(self, is_open: np.ndarray, added_floor_m2: np.ndarray) -> pd.DataFrame:
        """Horizon cost of every site (yen) for given open flags and added floor areas.

        One row per site (in ``sites`` order): renewal, operation, fixed, new_build, land (bought),
        revenue (sale or lease of closed owned land) and ``total = renewal + operation + fixed +
        new_build + land - revenue``.  Used by the model (its coefficients), the plan's cost table
        and the independent check, so that the three agree by construction.
        """
        s, pol = self.sites, self.policy
        is_open = np.asarray(is_open, dtype=bool)
        add = np.asarray(added_floor_m2, dtype=float)
        existing = (s["kind"] == "existing").to_numpy()
        area = s["floor_area_m2"].to_numpy()
        rate = s["operating_yen_per_m2_year"].to_numpy()
        fixed = s["fixed_yen_per_year"].to_numpy()
        before = (s["change_year"].to_numpy() - pol.start_year).astype(float)  # years before the change
        after = pol.horizon_years - before  # years from the change to the end of the horizon
        land = s["land_value_yen_per_m2"].to_numpy() * np.nan_to_num(s["site_area_m2"].to_numpy())
        owned = s["owned"].to_numpy()
        years_open = np.where(existing, np.where(is_open, pol.horizon_years, before), np.where(is_open, after, 0.0))
        renewal = np.where(existing, np.where(is_open, s["renewal_keep_yen"], s["renewal_before_change_yen"]), 0.0)
        operation = rate * area * np.where(existing, years_open, 0.0) + rate * add * after
        if pol.disposal == "sell":
            income = land
        elif pol.disposal == "lease":
            income = land * pol.lease_yield * after
        else:
            income = np.zeros(len(s))
        revenue = np.where(existing & ~is_open & owned, income, 0.0)
        bought = np.where(~existing & is_open & ~owned, land, 0.0)
        out = pd.DataFrame({
            "site_id": s["site_id"].to_numpy(),
            "open": is_open,
            "added_floor_m2": add,
            "renewal_yen": renewal,
            "operation_yen": operation,
            "fixed_yen": fixed * years_open,
            "new_build_yen": s["build_yen_per_m2"].to_numpy() * add,
            "land_yen": bought,
            "revenue_yen": revenue,
        })
        out["total_yen"] = (out["renewal_yen"] + out["operation_yen"] + out["fixed_yen"] + out["new_build_yen"]
                            + out["land_yen"] - out["revenue_yen"])
        return out

    def site_costs_by_year(self, is_open: np.ndarray, added_floor_m2: np.ndarray) -> pd.DataFrame:
        """:meth:`site_costs` spread over the years of the horizon: one row per site and year.

        Amounts come from :meth:`site_costs` (one cost formula); only their timing is added:

        * renewal by ``renewal_by_year`` (all years if the site stays open, the years before its
          change year if it closes); without that table, ``renewal_before_change_yen`` evenly over
          the years before the change year and the rest evenly over the years from it;
        * operation of the existing floor and fixed costs evenly over the years the site is open
          (existing: all years, or until its change year; candidate: from its change year);
          operation of added floor evenly from the change year;
        * new floor, land bought and a sale in the change year; a lease income evenly from it.

        A change year at the very end of the horizon (no year left) puts its one-off amounts in
        the last year, so that the years always sum to :meth:`site_costs` (to rounding error).

        Returns
        -------
        DataFrame
            site_id, year, renewal_yen, operation_yen, fixed_yen, new_build_yen, land_yen,
            revenue_yen, total_yen; sorted by site and year; ``n_sites × horizon_years`` rows.

        Examples
        --------
        >>> import pandas as pd
        >>> p = PortfolioProblem.from_frames(
        ...     sites=pd.DataFrame({"site_id": ["A"], "category": ["hall"], "floor_area_m2": [500.0],
        ...                         "operating_yen_per_m2_year": [1000.0]}),
        ...     services=pd.DataFrame({"service_id": ["hall"], "host_categories": ["hall"]}),
        ...     demand=pd.DataFrame({"zone_id": ["z"], "service_id": ["hall"], "population": [100.0]}),
        ...     placements=pd.DataFrame({"site_id": ["A"], "service_id": ["hall"], "capacity": [50.0]}),
        ...     pairs=pd.DataFrame({"zone_id": ["z"], "site_id": ["A"], "distance_m": [300.0]}),
        ...     policy={"horizon_years": 3, "start_year": 2020})
        >>> y = p.site_costs_by_year([True], [0.0])
        >>> y["year"].tolist(), y["total_yen"].tolist()
        ([2020, 2021, 2022], [500000.0, 500000.0, 500000.0])
        """
        s, pol = self.sites, self.policy
        n, H = len(s), pol.horizon_years
        is_open = np.asarray(is_open, dtype=bool)
        add = np.asarray(added_floor_m2, dtype=float)
        tot = self.site_costs(is_open, add)
        base = self.site_costs(is_open, np.zeros(n))  # splits operation into existing and added floor
        existing = (s["kind"] == "existing").to_numpy()
        c = (s["change_year"].to_numpy() - pol.start_year).astype(np.int64)  # 0..H
        t = np.arange(H)[None, :]
        pre = t < c[:, None]
        post = ~pre
        every = np.ones((n, H), dtype=bool)
        open_years = np.where(existing[:, None], np.where(is_open[:, None], every, pre),
                              np.where(is_open[:, None], post, False))
        at_change = t == np.minimum(c, H - 1)[:, None]

        def spread(total: np.ndarray, weights: np.ndarray) -> np.ndarray:
            """total[i] over the years in proportion to weights[i] (the change year if all are 0)."""
            w = np.where(weights.sum(axis=1, keepdims=True) > 0, weights, at_change).astype(float)
            return total[:, None] * w / w.sum(axis=1, keepdims=True)

        profile = self._renewal_profile()
        renewal = spread(tot["renewal_yen"].to_numpy(), profile * np.where(is_open[:, None], every, pre))
        op_base = base["operation_yen"].to_numpy()
        operation = (spread(op_base, open_years)
                     + spread(tot["operation_yen"].to_numpy() - op_base, post))
        fixed = spread(tot["fixed_yen"].to_numpy(), open_years)
        new_build = spread(tot["new_build_yen"].to_numpy(), at_change)
        land = spread(tot["land_yen"].to_numpy(), at_change)
        revenue = spread(tot["revenue_yen"].to_numpy(), post if pol.disposal == "lease" else at_change)
        parts = {"renewal_yen": renewal, "operation_yen": operation, "fixed_yen": fixed, "new_build_yen": new_build,
                 "land_yen": land, "revenue_yen": revenue}
        out = pd.DataFrame({"site_id": np.repeat(s["site_id"].to_numpy(), H),
                            "year": np.tile(pol.start_year + np.arange(H), n)})
        for k, m in parts.items():
            out[k] = m.ravel()
        out["total_yen"] = (out["renewal_yen"] + out["operation_yen"] + out["fixed_yen"] + out["new_build_yen"]
                            + out["land_yen"] - out["revenue_yen"])
        return out

    def _renewal_profile(self) -> np.ndarray:
        """Sites × years: when keeping each site costs renewal (``renewal_by_year``, else even spread)."""
        s, pol = self.sites, self.policy
        n, H = len(s), pol.horizon_years
        if self.renewal_by_year is not None:
            prof = np.zeros((n, H))
            r = self.renewal_by_year
            i = s.reset_index().set_index("site_id")["index"].reindex(r["site_id"]).to_numpy()
            np.add.at(prof, (i, r["year"].to_numpy() - pol.start_year), r["renewal_yen"].to_numpy())
            return prof
        c = (s["change_year"].to_numpy() - pol.start_year)[:, None]
        t = np.arange(H)[None, :]
        before = s["renewal_before_change_yen"].to_numpy()[:, None]
        rest = np.maximum(s["renewal_keep_yen"].to_numpy()[:, None] - before, 0.0)
        n_pre, n_post = np.maximum(c, 1), np.maximum(H - c, 1)
        return np.where(t < c, before / n_pre, rest / n_post)

    def coverage_rule(self, service_id: str) -> tuple[str, float]:
        """('hard', 1.0) or ('min_share', share) for a service."""
        if service_id in self.policy.min_share:
            return "min_share", self.policy.min_share[service_id]
        return "hard", 1.0


def _check_policy(pol: Policy, sites: set[str], services: set[str], candidates: set[str],
                  issues: list[DataIssue]) -> None:
    def unknown(ids, known, field, what):
        for v in ids:
            if v not in known:
                issues.append(DataIssue("policy", None, field, f"unknown {what} {v!r}"))

    unknown(pol.lock_open, sites, "lock_open", "site")
    unknown(pol.lock_closed, sites, "lock_closed", "site")
    unknown(pol.frozen_sites, sites, "frozen_sites", "site")
    unknown(pol.frozen_services, services, "frozen_services", "service")
    unknown(pol.keep_services, services, "keep_services", "service")
    unknown([k for pair in pol.incompatible for k in pair], services, "incompatible", "service")
    unknown(pol.min_share, services, "min_share", "service")
    for s, ks in pol.candidate_services.items():
        if s not in candidates:
            issues.append(DataIssue("policy", None, "candidate_services", f"{s!r} is not a candidate site"))
        unknown(ks, services, "candidate_services", "service")
    clash = sorted(set(pol.frozen_sites) & set(pol.lock_closed))
    if clash:
        issues.append(DataIssue("policy", None, "frozen_sites", f"frozen sites also locked closed: {clash}"))


def _check_renewal_by_year(ry: pd.DataFrame, sites: pd.DataFrame, pol: Policy,
                           issues: list[DataIssue]) -> pd.DataFrame:
    """Known sites, years within the horizon, sums equal to the sites' renewal totals."""
    _check_ids(ry["site_id"], set(sites["site_id"]), "renewal_by_year", "site_id", "site", issues)
    for i in np.flatnonzero(((ry["year"] < pol.start_year) | (ry["year"] >= pol.end_year)).to_numpy()):
        issues.append(DataIssue("renewal_by_year", int(i) + 1, "year",
                                f"must lie within {pol.start_year}..{pol.end_year - 1} (got {ry['year'].iloc[i]})"))
    if issues:
        return ry
    ry = (ry.groupby(["site_id", "year"], sort=True, as_index=False)["renewal_yen"].sum())
    cy = ry["site_id"].map(sites.set_index("site_id")["change_year"])
    for col, rows in (("renewal_keep_yen", ry), ("renewal_before_change_yen", ry[ry["year"] < cy])):
        got = rows.groupby("site_id")["renewal_yen"].sum().reindex(sites["site_id"]).fillna(0.0).to_numpy()
        want = sites[col].to_numpy()
        for i in np.flatnonzero(np.abs(got - want) > np.maximum(1.0, 1e-9 * np.abs(want))):
            issues.append(DataIssue("renewal_by_year", None, "renewal_yen",
                                    f"site {sites['site_id'].iat[i]!r}: the years sum to {got[i]:,.0f} yen but "
                                    f"{col} is {want[i]:,.0f}"))
    return ry.reset_index(drop=True)


def _fill_floor(pl: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """Give each current placement the floor it uses: given values, else the site's remaining floor
    split by capacity share; scaled down when the given values exceed the building."""
    pl = pl.copy()
    area = sites.set_index("site_id")["floor_area_m2"]
    for sid, grp in pl.groupby("site_id", sort=True):
        total = float(area.get(sid, 0.0))
        given = grp["floor_area_m2"].fillna(0.0)
        missing = grp["floor_area_m2"].isna()
        rest = max(total - float(given.sum()), 0.0)
        if missing.any():
            w = grp.loc[missing, "capacity"].clip(lower=1e-9)
            pl.loc[w.index, "floor_area_m2"] = rest * w / w.sum()
        used = float(pl.loc[grp.index, "floor_area_m2"].sum())
        if used > total + 1e-6 and used > 0:
            log.info("site %s: services' floor %.1f m2 exceeds the building's %.1f m2; scaled down", sid, used, total)
            pl.loc[grp.index, "floor_area_m2"] *= total / used
    return pl
