"""Validation of a portfolio problem's tables: read them into their columns, check every id, duplicate and
value against the others and the policy (every issue found is raised together, naming table, row and
field), then put them in canonical order with their derived fields.  Used by
:meth:`facility_opt.portfolio.problem.PortfolioProblem.from_frames`.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ..errors import DataIssue
from .columns import (
    DEMAND_COLUMNS,
    EVENT_COLUMNS,
    PAIR_COLUMNS,
    PLACEMENT_COLUMNS,
    RULES,
    SERVICE_COLUMNS,
    SITE_COLUMNS,
    SITE_DISTRICT_COLUMNS,
    ZONE_COLUMNS,
    ZONE_DISTRICT_COLUMNS,
    coerce,
)
from .policy import Policy

__all__ = ["read_tables", "check_tables", "canonical"]

log = logging.getLogger(__name__)


def read_tables(
    issues: list[DataIssue],
    *,
    sites: pd.DataFrame,
    services: pd.DataFrame,
    demand: pd.DataFrame,
    placements: pd.DataFrame,
    pairs: pd.DataFrame,
    zones: pd.DataFrame | None,
    events: pd.DataFrame | None,
    zone_districts: pd.DataFrame | None,
    site_districts: pd.DataFrame | None,
) -> dict[str, pd.DataFrame]:
    """The tables read into their columns (:mod:`.columns`), keyed as the problem's fields; issues recorded."""
    s = coerce(sites, SITE_COLUMNS, "sites", issues)
    v = coerce(services, SERVICE_COLUMNS, "services", issues)
    d = coerce(demand, DEMAND_COLUMNS, "demand", issues)
    pl = coerce(placements, PLACEMENT_COLUMNS, "placements", issues)
    pr = coerce(pairs, PAIR_COLUMNS, "pairs", issues)
    if zones is None:
        zones = pd.DataFrame({"zone_id": sorted(set(d.get("zone_id", [])) | set(pr.get("zone_id", [])))})
    z = coerce(zones, ZONE_COLUMNS, "zones", issues)
    ev = coerce(
        events if events is not None else pd.DataFrame(columns=list(EVENT_COLUMNS)), EVENT_COLUMNS, "events", issues
    )
    zd = coerce(
        zone_districts if zone_districts is not None else pd.DataFrame(columns=list(ZONE_DISTRICT_COLUMNS)),
        ZONE_DISTRICT_COLUMNS,
        "zone_districts",
        issues,
    )
    sd = coerce(
        site_districts if site_districts is not None else pd.DataFrame(columns=list(SITE_DISTRICT_COLUMNS)),
        SITE_DISTRICT_COLUMNS,
        "site_districts",
        issues,
    )
    return dict(
        zones=z, sites=s, services=v, demand=d, placements=pl, pairs=pr, events=ev, zone_districts=zd, site_districts=sd
    )


#: the problem's tables, in the order the checks and the canonical form unpack them
TABLES = ("sites", "services", "demand", "placements", "pairs", "zones", "events", "zone_districts", "site_districts")


def check_tables(pol: Policy, t: dict[str, pd.DataFrame], issues: list[DataIssue]) -> None:
    """Record every unknown id, duplicate and out-of-range value of the read tables ``t`` (and make
    ``sellable`` and ``district_of`` consistent in place)."""
    s, v, d, pl, pr, z, ev, zd, sd = (t[k] for k in TABLES)
    _check_unique(s["site_id"], "sites", "site_id", issues)
    _check_unique(v["service_id"], "services", "service_id", issues)
    _check_unique(z["zone_id"], "zones", "zone_id", issues)
    site_ids, svc_ids, zone_ids = set(s["site_id"]), set(v["service_id"]), set(z["zone_id"])
    _check_sites(s, issues)
    _check_services(v, zd, issues)
    _check_ids(zd["service_id"], svc_ids, "zone_districts", "service_id", "service", issues)
    _check_ids(zd["zone_id"], zone_ids, "zone_districts", "zone_id", "zone", issues)
    _check_ids(sd["service_id"], svc_ids, "site_districts", "service_id", "service", issues)
    _check_ids(sd["site_id"], site_ids, "site_districts", "site_id", "site", issues)
    _check_demand(pol, d, svc_ids, zone_ids, issues)
    cand = _check_placements_events(s, pl, ev, site_ids, svc_ids, issues)
    _check_ids(pr["zone_id"], zone_ids, "pairs", "zone_id", "zone", issues)
    _check_ids(pr["site_id"], site_ids, "pairs", "site_id", "site", issues)
    for i in np.flatnonzero(~(pr["distance_m"].to_numpy() >= 0)):
        issues.append(DataIssue("pairs", int(i) + 1, "distance_m", "must be >= 0"))
    _check_policy(pol, site_ids, svc_ids, cand, issues)
    _check_operator_change(pol, v, issues)
    _check_reform_policy(pol, v, pl, s, issues)


def _check_sites(s: pd.DataFrame, issues: list[DataIssue]) -> None:
    """Site kinds and non-negative figures; ``sellable`` only for an owned, separable site of known area (in place)."""
    for i, k in enumerate(s["kind"], start=1):
        if k not in ("existing", "candidate"):
            issues.append(DataIssue("sites", i, "kind", f"kind must be 'existing' or 'candidate' (got {k!r})"))
    for col in (
        "floor_area_m2",
        "land_value_yen_per_m2",
        "operating_yen_per_m2_year",
        "fixed_yen_per_year",
        "build_yen_per_m2",
    ):
        for i in np.flatnonzero(~(s[col].to_numpy() >= 0)):
            issues.append(DataIssue("sites", int(i) + 1, col, f"must be >= 0 (got {s[col].iloc[i]})"))
    # no land income from a site that is not owned and separable (rooms, a unit in a block, leased land)
    s["sellable"] = s["sellable"] & s["owned"] & s["separable"] & s["site_area_m2"].notna()


def _check_services(v: pd.DataFrame, zd: pd.DataFrame, issues: list[DataIssue]) -> None:
    """Service figures and rules; ``district_of`` defaulted to the service itself (in place), its districts given."""
    for i in np.flatnonzero(~(v["operating_yen_per_place_year"].fillna(0.0).to_numpy() >= 0)):
        issues.append(DataIssue("services", int(i) + 1, "operating_yen_per_place_year", "must be >= 0 or empty"))
    for i in np.flatnonzero(~(v["coverage_m"].fillna(1.0).to_numpy() > 0)):
        issues.append(DataIssue("services", int(i) + 1, "coverage_m", "must be > 0 or empty (no standard)"))
    for i in np.flatnonzero(~(v["floor_m2_per_unit"].to_numpy() >= 0)):
        issues.append(DataIssue("services", int(i) + 1, "floor_m2_per_unit", "must be >= 0"))
    for i, r in enumerate(v["rule"], start=1):
        if r not in RULES:
            issues.append(DataIssue("services", i, "rule", f"must be one of {', '.join(RULES)} (got {r!r})"))
    for col in ("unit_size", "max_units_per_site"):
        for i in np.flatnonzero(~(v[col].fillna(1.0).to_numpy() > 0)):
            issues.append(DataIssue("services", int(i) + 1, col, "must be > 0 or empty"))
    v.loc[v["district_of"] == "", "district_of"] = v["service_id"]
    dist_svcs = set(v.loc[v["rule"] == "district", "service_id"])
    for i, (k, src) in enumerate(zip(v["service_id"], v["district_of"]), start=1):
        if k in dist_svcs and src not in set(zd["service_id"]):
            issues.append(
                DataIssue(
                    "services", i, "district_of", f"district service {k!r} needs districts of {src!r} in zone_districts"
                )
            )


def _check_demand(pol: Policy, d: pd.DataFrame, svc_ids: set[str], zone_ids: set[str], issues: list[DataIssue]) -> None:
    """Demand ids, non-negative figures and years within the horizon (on every row or none)."""
    _check_ids(d["service_id"], svc_ids, "demand", "service_id", "service", issues)
    _check_ids(d["zone_id"], zone_ids, "demand", "zone_id", "zone", issues)
    for col in ("population", "demand"):
        for i in np.flatnonzero(~(d[col].to_numpy() >= 0)):
            issues.append(DataIssue("demand", int(i) + 1, col, f"must be >= 0 (got {d[col].iloc[i]})"))
    dated = d["year"] != 0
    for i in np.flatnonzero((dated & ((d["year"] < pol.start_year) | (d["year"] >= pol.end_year))).to_numpy()):
        issues.append(
            DataIssue(
                "demand",
                int(i) + 1,
                "year",
                f"must lie within {pol.start_year}..{pol.end_year - 1} (got {d['year'].iloc[i]})",
            )
        )
    if dated.any() and not dated.all():
        issues.append(DataIssue("demand", None, "year", "give a year on every row or on none"))


def _check_placements_events(
    s: pd.DataFrame,
    pl: pd.DataFrame,
    ev: pd.DataFrame,
    site_ids: set[str],
    svc_ids: set[str],
    issues: list[DataIssue],
) -> set[str]:
    """Placements and renewal events on known existing sites; candidates' land.  Returns the candidate ids."""
    _check_ids(pl["site_id"], site_ids, "placements", "site_id", "site", issues)
    _check_ids(pl["service_id"], svc_ids, "placements", "service_id", "service", issues)
    for i in np.flatnonzero(~(pl["capacity"].to_numpy() >= 0)):
        issues.append(DataIssue("placements", int(i) + 1, "capacity", "must be >= 0"))
    cand = set(s.loc[s["kind"] == "candidate", "site_id"])
    for i in np.flatnonzero(((s["kind"] == "candidate") & ~s["owned"] & s["site_area_m2"].isna()).to_numpy()):
        issues.append(
            DataIssue(
                "sites",
                int(i) + 1,
                "site_area_m2",
                "a candidate site that is not owned needs its site area (its land is bought)",
            )
        )
    for i, sid in enumerate(pl["site_id"], start=1):
        if sid in cand:
            issues.append(
                DataIssue(
                    "placements",
                    i,
                    "site_id",
                    f"candidate site {sid!r} cannot hold a current placement; make it an existing site",
                )
            )
    _check_ids(ev["site_id"], site_ids - cand, "events", "site_id", "existing site", issues)
    for i in np.flatnonzero(~(ev["cost_yen"].to_numpy() >= 0)):
        issues.append(DataIssue("events", int(i) + 1, "cost_yen", "must be >= 0"))
    for i in np.flatnonzero(~(ev["spread_years"].to_numpy() >= 1)):
        issues.append(DataIssue("events", int(i) + 1, "spread_years", "must be >= 1"))
    return cand


def _check_operator_change(pol: Policy, v: pd.DataFrame, issues: list[DataIssue]) -> None:
    """Every service an operator change may apply to has its ward-run operating cost per place."""
    if pol.operator_change is not None:  # the ward-run rate is the service's own operating cost per place
        rate = v.set_index("service_id")["operating_yen_per_place_year"]
        for k in pol.operator_change.services:
            if k in rate.index and not np.isfinite(rate[k]):
                issues.append(
                    DataIssue(
                        "policy",
                        None,
                        "operator_change.services",
                        f"service {k!r} has no operating_yen_per_place_year (the ward-run cost "
                        "an operator change is weighed against)",
                    )
                )


def canonical(pol: Policy, t: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The checked tables in canonical order with their derived fields (demand per year, placements' floor)."""
    s, v, d, pl, pr, z, ev, zd, sd = (t[k] for k in TABLES)
    dated = d["year"] != 0
    # canonical order and derived fields
    s = s.sort_values("site_id", kind="mergesort").reset_index(drop=True)
    s["sellable"] = s["sellable"] & s["owned"] & s["kind"].eq("existing") & s["site_area_m2"].notna()
    v = v.sort_values("service_id", kind="mergesort").reset_index(drop=True)
    z = z.sort_values("zone_id", kind="mergesort").reset_index(drop=True)
    if not dated.any():  # one demand for every year
        d = d.drop(columns="year").merge(pd.DataFrame({"year": pol.years()}), how="cross")
    d = d.groupby(["zone_id", "service_id", "year"], sort=True, as_index=False)[["population", "demand"]].sum()
    keep = d.groupby(["zone_id", "service_id"])[["population", "demand"]].transform("max").sum(axis=1) > 0
    d = d[keep.to_numpy()].reset_index(drop=True)
    pl.loc[pl["facility_id"] == "", "facility_id"] = pl["site_id"]
    names = s.set_index("site_id")["name"]
    pl.loc[pl["facility_name"] == "", "facility_name"] = pl["facility_id"].map(names).fillna(pl["facility_id"])
    pl = pl.sort_values(["site_id", "service_id", "facility_id"], kind="mergesort").reset_index(drop=True)
    pl = _fill_floor(pl, s)
    pr = pr.groupby(["zone_id", "site_id"], sort=True, as_index=False)["distance_m"].min()
    ev = ev.sort_values(["site_id", "due_year", "kind"], kind="mergesort").reset_index(drop=True)
    zd = (
        zd.sort_values(["service_id", "zone_id"], kind="mergesort")
        .drop_duplicates(["service_id", "zone_id"])
        .reset_index(drop=True)
    )
    sd = (
        sd.sort_values(["service_id", "site_id"], kind="mergesort")
        .drop_duplicates(["service_id", "site_id"])
        .reset_index(drop=True)
    )
    return dict(
        zones=z, sites=s, services=v, demand=d, placements=pl, pairs=pr, events=ev, zone_districts=zd, site_districts=sd
    )


def _check_ids(values: pd.Series, known: set[str], table: str, field: str, what: str, issues: list[DataIssue]) -> None:
    for i, v in enumerate(values, start=1):
        if v not in known:
            shown = ", ".join(sorted(known)[:12]) + (" ..." if len(known) > 12 else "")
            issues.append(DataIssue(table, i, field, f"unknown {what} {v!r} (known: {shown})"))


def _check_unique(values: pd.Series, table: str, field: str, issues: list[DataIssue]) -> None:
    dup = values[values.duplicated()]
    for i, v in dup.items():
        issues.append(DataIssue(table, int(i) + 1, field, f"duplicate id {v!r}"))


def _check_policy(
    pol: Policy, sites: set[str], services: set[str], candidates: set[str], issues: list[DataIssue]
) -> None:
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
    unknown(pol.min_capacity, services, "min_capacity", "service")
    for s, ks in pol.candidate_services.items():
        if s not in candidates:
            issues.append(DataIssue("policy", None, "candidate_services", f"{s!r} is not a candidate site"))
        unknown(ks, services, "candidate_services", "service")
    oc = pol.operator_change
    if oc is not None:
        unknown(oc.services, services, "operator_change.services", "service")
        unknown(oc.exclude_sites, sites, "operator_change.exclude_sites", "site")
    for j, rule in enumerate(pol.mergers):
        unknown([rule.service], services, f"mergers[{j}].service", "service")
        unknown(
            [s for pr in rule.pairs for s in (pr.close, pr.into)],
            sites - candidates,
            f"mergers[{j}].pairs",
            "existing site",
        )
    unknown(pol.hubs, sites, "hubs", "site")
    clash = sorted(set(pol.frozen_sites) & set(pol.lock_closed))
    if clash:
        issues.append(DataIssue("policy", None, "frozen_sites", f"frozen sites also locked closed: {clash}"))


def _check_reform_policy(
    pol: Policy, services: pd.DataFrame, placements: pd.DataFrame, sites: pd.DataFrame, issues: list[DataIssue]
) -> None:
    """Mergers name a ``district`` service and schools that provide it today; hubs open within the horizon,
    not before their site is available."""
    rule = dict(zip(services["service_id"], services["rule"]))
    for j, m in enumerate(pol.mergers):
        if m.service in rule and rule[m.service] != "district":
            issues.append(
                DataIssue(
                    "policy",
                    None,
                    f"mergers[{j}].service",
                    f"{m.service!r} is a {rule[m.service]!r} service; mergers need a 'district' one",
                )
            )
        now = set(placements.loc[placements["service_id"] == m.service, "site_id"])
        for pr in m.pairs:
            for s in (pr.close, pr.into):
                if s in set(sites["site_id"]) and s not in now:
                    issues.append(
                        DataIssue("policy", None, f"mergers[{j}].pairs", f"{s!r} does not provide {m.service!r} today")
                    )
    avail = dict(zip(sites["site_id"], sites["available_from"]))
    for s, h in pol.hubs.items():
        if h.from_year is not None and (h.from_year < avail.get(s, 0) or h.from_year >= pol.end_year):
            issues.append(
                DataIssue(
                    "policy",
                    None,
                    "hubs",
                    f"hub {s!r} from {h.from_year}: the site is available "
                    f"from {avail.get(s, 0)} and the horizon ends {pol.end_year - 1}",
                )
            )


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
