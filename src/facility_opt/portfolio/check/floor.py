"""Floor: floor added (when, how, built by whom), floor used against floor available, site limits."""

from __future__ import annotations

import numpy as np

from ..rows import FloorChange
from .context import Context
from .violation import Violation

__all__ = ["check_floor"]


def check_floor(c: Context) -> list[Violation]:
    """Each floor row against the plan's sites and rebuilds, then each site's floor used by its services
    against the floor it has, every year, and against its site limit (``floor``, ``site_limit``)."""
    years, sites = c.years, c.sites
    floor_add = np.zeros((len(sites), len(years)))
    spos = {s: i for i, s in enumerate(c.problem.sites["site_id"])}
    v: list[Violation] = []
    for f in c.plan.floor:
        floor_add[spos[f.site_id], c.t_of.get(f.year, len(years)) :] += f.added_m2
        v += _floor_row(c, f)
    need = c.svc["floor_m2_per_unit"] * (1 - c.pol.sharing_saving)
    limit = c.problem.site_floor_limit()
    cur = c.cur
    for s, i in spos.items():
        base = float(sites.at[s, "floor_area_m2"]) if sites.at[s, "kind"] == "existing" else 0.0
        avail = np.where(c.is_open[s], base + floor_add[i], 0.0)
        used = np.zeros(len(years))
        for (k, s2), arr in c.cap_y.items():
            if s2 != s:
                continue
            on = np.isfinite(arr)
            cap0 = float(cur["cap"].get((k, s), 0.0))
            floor0 = float(cur["floor"].get((k, s), 0.0))
            add = c.add_y[(k, s)]
            if (k, s) in cur.index and cap0 > 0:  # its current floor per place in use; added places at least as much
                f0u = floor0 / cap0
                used += np.where(on, f0u * (np.nan_to_num(arr) - add) + max(float(need[k]), f0u) * add, 0.0)
            else:
                used += np.where(on, floor0 + float(need[k]) * add, 0.0)
        # tolerance: the model's FLOOR_TOL_M2 (0.1 m²), floor written to 0.1 m² and capacities to 0.001
        # places times up to ~20 m² a place
        bad = np.flatnonzero(used > avail + 0.3 + 1e-6 * used)
        if len(bad):
            t = bad[0]
            v.append(
                Violation(
                    "floor",
                    s,
                    years[t],
                    f"floor: {s} needs {used[t]:,.1f} m² for its services in {years[t]} but has {avail[t]:,.1f} m²",
                )
            )
        if base + floor_add[i, -1] > float(limit[s]) + 0.2:
            v.append(
                Violation(
                    "site_limit",
                    s,
                    None,
                    f"floor: {s} reaches {base + floor_add[i, -1]:,.1f} m², above "
                    f"its site limit {float(limit[s]):,.1f} m²",
                )
            )
    return v


def _floor_row(c: Context, f: FloorChange) -> list[Violation]:
    """Floor added on a site kept open, downsized only as the policy allows, at a rebuild the plan makes
    or built in ``build_years`` from the first change year (``grow_open``, ``downsize_link``, ``rebuild_add``)."""
    v: list[Violation] = []
    pol, sites, ev_status, s = c.pol, c.sites, c.ev_status, f.site_id
    if f.year in c.t_of and not c.is_open[s][c.t_of[f.year] :].all() and sites.at[s, "kind"] == "existing":
        v.append(
            Violation(
                "grow_open", s, f.year, f"floor: {f.added_m2:,.0f} m² added at {s} in {f.year}, which then closes"
            )
        )
    if f.how == "downsize" and (
        not pol.allow_downsizing or -f.added_m2 > float(sites.at[s, "floor_area_m2"]) + 0.1 or f.added_m2 >= 0
    ):
        v.append(
            Violation(
                "downsize_link",
                s,
                f.year,
                f"floor: {s} rebuilds {-f.added_m2:,.1f} m² less than today's "
                f"{float(sites.at[s, 'floor_area_m2']):,.1f} m², which the policy does not allow",
            )
        )
    if f.how == "downsize" and not c.is_open[s][-1]:
        v.append(
            Violation(
                "downsize_open",
                s,
                f.year,
                f"floor: {s} is rebuilt {-f.added_m2:,.1f} m² smaller and "
                "then closes (downsizing is for buildings kept in use)",
            )
        )
    if f.how in ("rebuild", "downsize"):
        done = (
            ev_status[(ev_status["site_id"] == s) & (ev_status["kind"] == "rebuild") & (ev_status["status"] == "done")]
            if len(ev_status)
            else ev_status
        )
        if done.empty or int(done["year"].iloc[0]) != f.works_start or f.works_start + f.works_years > f.year:
            v.append(
                Violation(
                    "rebuild_add",
                    s,
                    f.year,
                    f"floor: {s} adds {f.added_m2:,.0f} m² at a rebuild "
                    f"({f.works_start}, usable {f.year}) that the plan does not make, or before it is "
                    "finished",
                )
            )
    elif f.works_start < c.ch or f.works_years != pol.build_years or f.works_start + f.works_years != f.year:
        v.append(
            Violation(
                "change_year",
                s,
                f.year,
                f"floor: {s} {f.how} of {f.added_m2:,.0f} m² built "
                f"{f.works_start}+{f.works_years}y for {f.year}: construction takes {pol.build_years} "
                f"years, from {c.ch}",
            )
        )
    return v
