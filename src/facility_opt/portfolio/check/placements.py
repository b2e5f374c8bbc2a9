"""Sites and services at sites: when sites open and close, where services are, with what capacity."""

from __future__ import annotations

import math

import numpy as np

from .context import Context
from .violation import Violation

__all__ = ["check_sites", "check_timeline"]


def check_sites(c: Context) -> list[Violation]:
    """Existing sites open from the start and close at most once at a change year; new sites open once
    construction is done, at a period start, and stay open (``open_order``, ``grow_open``)."""
    v: list[Violation] = []
    pol, sites, first, ch = c.pol, c.sites, c.first, c.ch
    for s, r in c.rows.items():
        existing = sites.at[s, "kind"] == "existing"
        if existing and r.open_from != first:
            v.append(
                Violation(
                    "open_order",
                    s,
                    r.open_from,
                    f"sites: existing site {s} must be open from {first} (plan: {r.open_from})",
                )
            )
        if r.closes is not None and (r.closes < ch or r.closes not in c.starts):
            v.append(
                Violation(
                    "open_order",
                    s,
                    r.closes,
                    f"sites: {s} closes in {r.closes}, not at a change year (from {ch}, at period starts)",
                )
            )
        if not existing and r.open_from is not None:
            avail = int(sites.at[s, "available_from"])
            if r.open_from < max(avail, ch + pol.build_years) or r.open_from not in c.starts or r.closes is not None:
                v.append(
                    Violation(
                        "grow_open",
                        s,
                        r.open_from,
                        f"sites: new site {s} opens in {r.open_from}; it may open from "
                        f"{max(avail, ch + pol.build_years)} at a period start, and stay open",
                    )
                )
    return v


def check_timeline(c: Context) -> list[Violation]:
    """Each service at a site: only while the site is open and may host it, once, from the first change
    year, with today's places plus whole units added within the per-site maximum and the policy."""
    v = [
        Violation(
            "tables",
            f"{r.service_id}@{r.site_id}",
            r.from_year,
            f"timeline: {r.service_id}@{r.site_id} has overlapping rows in {r.from_year}-{r.to_year}",
        )
        for r in c.overlaps
    ]
    eligible = set(map(tuple, c.problem.eligible()[["service_id", "site_id"]].to_numpy()))
    years, first, ch = c.years, c.first, c.ch
    for k, s in c.stated:
        arr = c.cap_y[(k, s)]
        who = f"{k}@{s}"
        on = np.isfinite(arr)
        yrs_on = years[on]
        if (on & ~c.is_open[s]).any():
            y = int(yrs_on[~c.is_open[s][on]][0])
            v.append(Violation("place_open", who, y, f"placement: {k} is at {s} in {y}, when the site is closed"))
        if (k, s) not in eligible:
            v.append(
                Violation(
                    "eligible", who, None, f"hosting: {s} (category {c.sites.at[s, 'category']}) may not host {k}"
                )
            )
        current = (k, s) in c.cur.index
        runs = np.flatnonzero(np.diff(np.r_[0, on.astype(int), 0]) != 0)
        if len(runs) > 2:
            v.append(
                Violation(
                    "place_order",
                    who,
                    int(years[runs[1]]),
                    f"timeline: {k}@{s} leaves and returns ({', '.join(str(years[i]) for i in runs[1:-1:2])})",
                )
            )
        if current and not on[0]:
            v.append(
                Violation("change_year", who, first, f"timeline: current placement {k}@{s} is not there in {first}")
            )
        v += _capacity(c, k, s, arr, on, current)
        fixed_t = years < ch
        if current and not on[fixed_t].all():
            v.append(
                Violation("change_year", who, None, f"timeline: {k}@{s} changes before {ch}, the first change year")
            )
        if not current and on[fixed_t].any():
            v.append(
                Violation("change_year", who, None, f"timeline: {k}@{s} arrives before {ch}, the first change year")
            )
    if ch > first:
        v += [
            Violation("tables", f"{k}@{s}", None, f"timeline: current placement {k}@{s} is missing")
            for k, s in c.missing
        ]
    return v


def _capacity(c: Context, k: str, s: str, arr: np.ndarray, on: np.ndarray, current: bool) -> list[Violation]:
    """The places of ``k`` at ``s``: today's in use plus whole units added, within the per-site
    maximum, added only where the policy allows (``ext_link``, ``in_use_link``)."""
    v: list[Violation] = []
    pol, svc, who = c.pol, c.svc, f"{k}@{s}"
    cap0 = float(c.cur["cap"].get((k, s), 0.0))
    unit = float(svc.at[k, "unit_size"])
    add = c.add_y[(k, s)][on]
    in_use = arr[on] - add
    # capacity and added are each written to 0.001: their difference may pass today's places by 0.001
    if (add < -1e-6).any() or (in_use < -1e-6).any() or (in_use > cap0 + 1.5e-3).any():
        v.append(
            Violation(
                "in_use_link",
                who,
                None,
                f"capacity: {k}@{s} states capacity {arr[on].max():g} with "
                f"{add.max():g} added, but has {cap0:g} places now",
            )
        )
    if math.isfinite(unit) and (np.abs(add / unit - np.round(add / unit)) > 1e-6).any():
        v.append(
            Violation(
                "ext_link",
                who,
                None,
                f"capacity: {k}@{s} adds capacity that is not a whole number of units of {unit:g}",
            )
        )
    mx = min(
        float(svc.at[k, "max_capacity_per_site"]),
        float(svc.at[k, "max_units_per_site"]) * unit if math.isfinite(unit) else math.inf,
    )
    if math.isfinite(mx) and (arr[on] > max(mx, cap0) + 1e-6).any():
        v.append(
            Violation(
                "ext_link",
                who,
                None,
                f"capacity: {k}@{s} has {arr[on].max():g} places, above the per-site maximum {mx:g}",
            )
        )
    frozen = s in pol.frozen_sites or k in pol.frozen_services
    if (add > 1e-6).any() and (frozen or (current and not pol.allow_expansion)):
        v.append(
            Violation(
                "locks",
                who,
                None,
                f"capacity: {k}@{s} adds capacity, which the policy forbids (frozen or no expansion)",
            )
        )
    return v
