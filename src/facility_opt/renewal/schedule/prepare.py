"""Data preparation for the scheduler: events per building, co-location ties, cohorts, options and money."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...catalogue import Catalogue
from ...errors import DataIssue, DataValidationError, ModelConfigError
from ..params import RenewalCostParams
from .buildings import _buildings, _events_by_building
from .options import event_options, event_windows
from .params import ScheduleParams


@dataclass
class _Prepared:
    ev: pd.DataFrame  # one row per (group, event): group, building ids, due, window...
    opt: pd.DataFrame  # one row per (event, option): ev, year (last + 1 = deferred), variant, coef
    need: np.ndarray  # (n_opt, H) what the option charges to each year's budget (yen)
    spend: np.ndarray  # (n_opt, H) capital spend (yen)
    groups: pd.DataFrame  # group, n, building ids (list), category, floor_area_m2, pm eligible
    ties: dict[str, str]
    cats: pd.DataFrame
    first: int
    last: int


def _prepare(
    facilities,
    *,
    start_year,
    horizon,
    params: ScheduleParams,
    rparams: RenewalCostParams,
    catalogue: Catalogue,
    ties: Mapping[str, str],
    mode: str,
    within: str,
) -> _Prepared:
    """Events per building (ties applied, identical buildings grouped) and every option of each event."""
    first, last = int(start_year), int(start_year) + horizon - 1
    bld = _buildings(facilities)
    fac_building = pd.Series(
        (facilities["building_id"] if "building_id" in facilities.columns else facilities["facility_id"])
        .astype(str)
        .to_numpy(),
        index=facilities["facility_id"].astype(str).to_numpy(),
    )
    kw = dict(start_year=first, params=rparams, catalogue=catalogue)
    ev, cats = _events_by_building(facilities, fac_building, horizon_years=horizon, **kw)
    tie = _resolve_ties(ties, set(bld["building_id"]))
    tied = set(tie) | set(tie.values())
    if tied:
        ev, cats = _tie_events(ev, cats, tie, tied, facilities, fac_building, horizon, rparams, kw, last)
    ev = ev.merge(bld[["building_id", "category"]], on="building_id", how="left")
    ev["cost_yen"] = ev["cost_yen"] + ev["demolition_yen"]
    ev = ev.sort_values(["building_id", "due_year", "kind"], kind="mergesort").reset_index(drop=True)
    ev, members = _group_cohorts(ev, cats, params, tied)

    guest_reb = (ev["building_id"].isin(list(tie)) & (ev["kind"] == "rebuild")).to_numpy()
    ev = event_windows(
        ev, params, first, last, mode=mode, within=within, no_preventive=ev["building_id"].isin(list(tie)).to_numpy()
    )
    follow = None
    if tie:  # a guest's rebuild takes its host's years (any variant)
        host_reb = ev[ev["kind"] == "rebuild"].drop_duplicates("building_id").set_index("building_id")["e"]
        follow = {int(r.e): int(host_reb[tie[r.building_id]]) for r in ev[guest_reb].itertuples(index=False)}
    opt, spend, need = event_options(ev, params, first, last, discount_rate=rparams.discount_rate, follow=follow)

    groups = pd.DataFrame(
        {"group": list(members), "n": [len(v) for v in members.values()], "members": list(members.values())}
    )
    return _Prepared(ev=ev, opt=opt, need=need, spend=spend, groups=groups, ties=tie, cats=cats, first=first, last=last)


def _resolve_ties(ties: Mapping[str, str], bids: set[str]) -> dict[str, str]:
    """Co-location ties checked against the building ids, chains resolved to their final host."""
    tie: dict[str, str] = {}
    issues = []
    for g, h in sorted(ties.items()):
        g, h = str(g), str(h)
        if g not in bids or h not in bids:
            issues.append(
                DataIssue("ties", None, "building_id", f"tie {g} -> {h}: unknown building {g if g not in bids else h}")
            )
        elif g == h:
            issues.append(DataIssue("ties", None, "building_id", f"building {g} is tied to itself"))
        else:
            tie[g] = h
    if issues:
        raise DataValidationError(issues)
    for g in list(tie):
        seen, h = {g}, tie[g]
        while h in tie:
            if h in seen:
                raise ModelConfigError(f"co-location ties form a cycle through {sorted(seen)}")
            seen.add(h)
            h = tie[h]
        tie[g] = h
    return tie


def _tie_events(ev, cats, tie, tied, facilities, fac_building, horizon, rparams, kw, last):
    """Give tied hosts and guests a rebuild event (past the horizon if need be); drop a guest's later events."""
    has_reb = set(ev.loc[(ev["kind"] == "rebuild"), "building_id"])
    lacking = sorted(tied - has_reb)
    if lacking:
        sub = facilities[fac_building.reindex(facilities["facility_id"].astype(str)).isin(lacking).to_numpy()]
        more, more_c = _events_by_building(sub, fac_building, horizon_years=horizon + rparams.active.rebuild_age, **kw)
        more = more[(more["kind"] == "rebuild") & (more["due_year"] > last)]
        more = more.sort_values(["building_id", "due_year"]).drop_duplicates("building_id")
        ev = pd.concat([ev, more], ignore_index=True)
        keys = more[["building_id", "kind", "cycle", "due_year"]]
        cats = pd.concat([cats, more_c.merge(keys, on=list(keys.columns))], ignore_index=True)
    # a guest's events after its (moved) rebuild are dropped: it lives on in the host
    gre = ev[(ev["kind"] == "rebuild") & ev["building_id"].isin(list(tie))].groupby("building_id")["due_year"].min()
    after = ev["building_id"].isin(list(tie)) & (ev["due_year"] > ev["building_id"].map(gre))
    return ev[~after.to_numpy()], cats


def _group_cohorts(
    ev: pd.DataFrame, cats: pd.DataFrame, params: ScheduleParams, tied: set[str]
) -> tuple[pd.DataFrame, dict[int, list[str]]]:
    """Group identical buildings (no ties) into cohorts: one representative's events, with ``n``, ``pos``, ``e``."""
    sig_cols = ["kind", "cycle", "due_year", "backlog", "spread_years", "cost_yen", "floor_area_m2", "category"]
    sig = {}
    for b, g in ev.groupby("building_id", sort=True):
        sig[b] = tuple(
            tuple(round(x, 3) if isinstance(x, float) else x for x in row)
            for row in g[sig_cols].itertuples(index=False, name=None)
        )
    catsig = {
        b: tuple(map(tuple, g[["category", "cost_yen"]].round(3).to_numpy().tolist()))
        for b, g in cats.groupby("building_id", sort=True)
    }
    group_of: dict[str, int] = {}
    members: dict[int, list[str]] = {}
    keymap: dict[tuple, int] = {}
    for b in sorted(sig):
        key = (sig[b], catsig.get(b)) if (params.group_identical and b not in tied) else ("_single", b)
        gid = keymap.setdefault(key, len(keymap))
        group_of[b] = gid
        members.setdefault(gid, []).append(b)
    rep = {gid: bs[0] for gid, bs in members.items()}
    ev["group"] = ev["building_id"].map(group_of)
    ev = ev[ev["building_id"] == ev["group"].map(rep)].reset_index(drop=True)
    ev["n"] = ev["group"].map(lambda g: len(members[g])).astype(np.int64)
    ev["pos"] = ev.groupby("group").cumcount()
    ev["e"] = np.arange(len(ev))
    return ev, members
