"""Decisions in words: what happens to each facility, when, and why (read from the plan's own tables).

A decision names its year and, for every service that moves, where its residents go and from
when, so a planner can read the plan year by year: "closes in 2031: childrens_hall moves to
関町北小 (from 2031, after its rebuild 2027-2029 added 180 m²)".

Each decision also carries its part of the plan's saving (:func:`attribute_savings`): a site's
saving is split among the facilities in its building by the floor they use now, so that the
decisions' savings add up to the headline even where several facilities share one building (each
would otherwise claim the whole building's saving).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .economics import PlanState
from .formulation.solution import Solution
from .problem import PortfolioProblem
from .rows import Decision

__all__ = ["decisions", "attribute_savings"]


def _fmt_yen(x: float) -> str:
    from .plan import format_yen

    return format_yen(x)


class _Reader:
    """Lookups over one solution, shared by the reason texts."""

    def __init__(self, problem: PortfolioProblem, sol: Solution, st: PlanState) -> None:
        self.p = problem
        pol = problem.policy
        self.per = pol.periods()
        self.starts = self.per["start"].to_numpy()
        self.ends = self.per["end"].to_numpy()
        self.sites = problem.sites.set_index("site_id")
        self.pl = sol.placements[sol.placements["place"] > 0.5]
        self.placed = {(k, s): set(g["p"]) for (k, s), g in self.pl.groupby(["service_id", "site_id"])}
        self.asg = sol.assignments
        self.floor = st.floor
        ev = problem.events.reset_index(drop=True).assign(
            status=st.events["status"].to_numpy(), year=st.events["year"].to_numpy()
        )
        self.rebuild = ev[(ev["kind"] == "rebuild") & (ev["status"] == "done")].groupby("site_id").first()
        self.events = ev
        self.mergers = sol.mergers

    def label(self, s: str) -> str:
        return f"{self.sites.at[s, 'name'] or s} ({s})"

    def arrival(self, k: str, s: str) -> int:
        return int(self.starts[min(self.placed[(k, s)])])

    def leaves(self, k: str, s: str) -> int | None:
        ps = self.placed.get((k, s))
        if not ps or max(ps) == len(self.per) - 1:
            return None
        return int(self.starts[max(ps) + 1])

    def how_hosted(self, k: str, s: str) -> str:
        """Why a site can host a service from its arrival year: a rebuild, an extension, its own floor."""
        y = self.arrival(k, s)
        f = self.floor[(self.floor["site_id"] == s) & (self.floor["year"] <= y)]
        if len(f) and (f["year"] == f["year"].max()).any():
            last = f[f["year"] == f["year"].max()].iloc[0]
            if last["how"] == "rebuild":
                return (
                    f"after its rebuild {int(last['works_start'])}-{int(last['works_start'] + last['works_years'] - 1)}"
                    f" added {f['added_m2'].sum():,.0f} m²"
                )
            if last["how"] == "new":
                return f"new building, {f['added_m2'].sum():,.0f} m² built {int(last['works_start'])}-{y - 1}"
            return f"extension of {f['added_m2'].sum():,.0f} m² built {int(last['works_start'])}-{y - 1}"
        return "in its existing floor"

    def receivers(self, k: str, s: str) -> list[tuple[str, float, float, int]]:
        """Where the zones that ``s`` served for ``k`` go once it stops: (site, residents, farthest m, from year)."""
        ps = self.placed.get((k, s))
        if not ps:
            return []
        last_p = max(ps)
        nxt = last_p + 1
        if nxt >= len(self.per):
            return []
        a = self.asg
        zs = a.loc[(a["site_id"] == s) & (a["service_id"] == k) & (a["p"] == last_p), "zone_id"]
        b = a[(a["service_id"] == k) & (a["p"] == nxt) & a["zone_id"].isin(zs)]
        if b.empty:
            return []
        g = b.assign(w=b["population"] * b["share"]).groupby("site_id").agg(w=("w", "sum"), d=("distance_m", "max"))
        g = g.sort_values("w", ascending=False, kind="mergesort")
        return [
            (t, float(r.w), float(r.d) if pd.notna(r.d) else float("nan"), int(self.starts[nxt]))
            for t, r in g.iterrows()
        ]

    def move_text(self, k: str, s: str) -> str:
        rec = [r for r in self.receivers(k, s) if r[0] != s]
        if not rec:
            return f"{k}: no zone depended on it"
        main, _, _, year = rec[0]
        cov = float(self.p.services.set_index("service_id").at[k, "coverage_m"])
        rule = self.p.rule(k)
        new_there = (k, main) in self.placed and self.arrival(k, main) == year and not self._was_current(k, main)
        how = f", {self.how_hosted(k, main)}" if new_there else ""
        others = f" and {len(rec) - 1} other site(s)" if len(rec) > 1 else ""
        far = max((r[2] for r in rec if np.isfinite(r[2])), default=float("nan"))
        if rule == "district":
            std = "within its district"
        elif np.isfinite(cov):
            std = f"within {cov:,.0f} m" + (f" (farthest {far:,.0f} m)" if np.isfinite(far) else "")
        else:
            std = "within reach"
        return f"{k} moves to {self.label(main)} from {year}{how}{others}; its zones stay {std}"

    def _was_current(self, k: str, s: str) -> bool:
        return bool(((self.p.placements["service_id"] == k) & (self.p.placements["site_id"] == s)).any())

    def renewal_text(self, s: str) -> str:
        ev = self.events[self.events["site_id"] == s]
        parts = []
        for r in ev.itertuples(index=False):
            if r.status == "done":
                y, due, start = int(r.year), int(r.due_year), self.p.policy.start_year
                lag = y - max(due, start)
                if due < start:  # overdue when the plan starts: say so, whatever the plan's own delay
                    when = (
                        f"overdue since {due}, done in the first year"
                        if lag == 0
                        else f"overdue since {due}, {lag} more year(s)"
                    )
                else:
                    when = (
                        "in its due year"
                        if lag == 0
                        else f"{lag} year(s) after it fell due"
                        if lag > 0
                        else f"{-lag} year(s) early"
                    )
                parts.append(f"{r.kind} {y}-{y + int(r.spread_years) - 1} (due {int(r.due_year)}, {when})")
            elif r.status == "deferred":
                parts.append(f"{r.kind} due {int(r.due_year)} deferred beyond {self.p.policy.end_year - 1}")
        down = self.floor[(self.floor["site_id"] == s) & (self.floor["how"] == "downsize")]
        for r in down.itertuples(index=False):  # 減築: the rebuild leaves out floor the services do not need
            f0 = float(self.sites.at[s, "floor_area_m2"])
            parts.append(
                f"rebuilt {-r.added_m2:,.0f} m² smaller ({f0:,.0f} → {f0 + r.added_m2:,.0f} m², "
                f"{-r.added_m2 / f0:.0%} less floor, from {int(r.year)})"
            )
        return "; ".join(parts)

    def merger_text(self, s: str) -> str:
        """'merged into …' for a school closed by a merger (empty otherwise)."""
        m = self.mergers[self.mergers["close"] == s]
        return "; ".join(
            f"merged into {self.label(r.into)} from {int(r.year)}: its district and its clubs' "
            "children go there (学校統合)"
            for r in m.itertuples(index=False)
        )


def attribute_savings(site_saving: int, facilities: list[str], main: str, floor: dict[str, float]) -> dict[str, int]:
    """Split a site's saving (whole yen) among the facilities in its building.

    Each facility other than ``main`` gets the saving × its floor now / the facilities' floor now,
    rounded to the yen; ``main`` (the building's own facility) gets the rest, so the parts add up to
    the site's saving exactly.  Without any floor in use, ``main`` takes it all.
    """
    total = sum(max(float(floor.get(f, 0.0)), 0.0) for f in facilities)
    out = {f: 0 for f in facilities}
    if total > 0:
        for f in facilities:
            if f != main:
                out[f] = round(site_saving * max(float(floor.get(f, 0.0)), 0.0) / total)
    out[main] = int(site_saving) - sum(v for f, v in out.items() if f != main)
    return out


@dataclass
class _Facilities:
    """The facilities of the problem (and sites without one), their sites, services and savings."""

    services: dict[str, list[str]]  # facility -> its services now
    site: dict[str, str]
    name: dict[str, str]
    by_site: dict[str, list[str]]
    main_of: dict[str, str]  # site -> its main facility (the site itself when it is one)
    end_services: dict[str, list[str]]  # site -> services there in the last period
    cur_services: dict[str, list[str]]  # site -> services there now
    site_saving: dict[str, int]
    saving: dict[str, int]  # facility -> its part of the site's saving
    land_value: pd.Series
    disposal: dict[str, tuple[str, str]]
    switch: dict[tuple[str, str], int]  # (service, site) -> year of its operator change
    pos: dict[str, int]  # site -> its row in problem.sites


def _facilities(
    problem: PortfolioProblem,
    R: _Reader,
    st: PlanState,
    costs_after: pd.DataFrame,
    costs_before: pd.DataFrame,
    site_saving: dict[str, int] | None,
) -> _Facilities:
    sites, cur = problem.sites, problem.placements
    P = len(R.per)
    fac_services = cur.groupby("facility_id")["service_id"].apply(lambda s: sorted(set(s))).to_dict()
    fac_site = cur.groupby("facility_id")["site_id"].first().to_dict()
    fac_name = cur.groupby("facility_id")["facility_name"].first().to_dict()
    for s in sites.loc[sites["kind"].eq("existing") & ~sites["site_id"].isin(fac_site.values()), "site_id"]:
        fac_services[s], fac_site[s], fac_name[s] = [], s, R.sites.at[s, "name"] or s
    by_site: dict[str, list[str]] = {}
    for f in sorted(fac_site):
        by_site.setdefault(fac_site[f], []).append(f)
    main_of = {s: (s if s in fs else fs[0]) for s, fs in by_site.items()}
    end_services = R.pl[R.pl["p"] == P - 1].groupby("site_id")["service_id"].apply(lambda x: sorted(set(x))).to_dict()
    cur_services = cur.groupby("site_id")["service_id"].apply(lambda x: sorted(set(x))).to_dict()
    if site_saving is None:
        diff = costs_before.groupby("site_id")["total_yen"].sum() - costs_after.groupby("site_id")["total_yen"].sum()
        site_saving = {s: round(float(x)) for s, x in diff.items()}
    fac_floor = cur.groupby("facility_id")["floor_area_m2"].sum().to_dict()
    fac_saving: dict[str, int] = {}
    for s, fs in by_site.items():
        fac_saving.update(attribute_savings(int(site_saving.get(s, 0)), fs, main_of[s], fac_floor))
    land_value = costs_after.groupby("site_id")[["revenue_yen", "lease_yen", "reuse_yen"]].sum().sum(axis=1)
    disposal = (
        {r.site_id: (r.choice, r.need_id) for r in st.disposals.itertuples(index=False)}
        if st.disposals is not None
        else {}
    )
    switch = (
        {(r.service_id, r.site_id): int(r.year) for r in st.operators.itertuples(index=False)}
        if st.operators is not None
        else {}
    )
    return _Facilities(
        fac_services,
        fac_site,
        fac_name,
        by_site,
        main_of,
        end_services,
        cur_services,
        site_saving,
        fac_saving,
        land_value,
        disposal,
        switch,
        {s: i for i, s in enumerate(sites["site_id"])},
    )


def decisions(
    problem: PortfolioProblem,
    sol: Solution,
    baseline: Solution,
    st: PlanState,
    costs_after: pd.DataFrame,
    costs_before: pd.DataFrame,
    site_saving: dict[str, int] | None = None,
) -> list:
    """One :class:`Decision` per facility (and per new building), with its year, reason and saving.

    ``site_saving``: each site's saving in whole yen (the plan's, which add up to its headline);
    by default the costs' difference rounded per site.
    """
    R = _Reader(problem, sol, st)
    F = _facilities(problem, R, st, costs_after, costs_before, site_saving)
    out = [_facility_decision(problem, R, F, st, f) for f in sorted(F.site)]
    out += _new_buildings(problem, R, F, st, costs_after)
    return sorted(out, key=lambda d: d.facility_id)


def _facility_decision(problem: PortfolioProblem, R: _Reader, F: _Facilities, st: PlanState, f: str):
    """What happens to facility ``f`` (its site's fate, the services it keeps, gains and loses), and why."""
    sites, cur = problem.sites, problem.placements
    s = F.site[f]
    i = F.pos[s]
    row = sites.iloc[i]
    is_main = F.main_of[s] == f
    is_open_end = bool(st.open[i, -1])
    closes = None
    if not is_open_end:
        closed = np.flatnonzero(~st.open[i])
        closes = int(R.starts[closed[0]])
    before = F.services[f]
    after_site = F.end_services.get(s, []) if is_open_end else []
    new_here = [k for k in after_site if k not in F.cur_services.get(s, [])]
    after = sorted(set([k for k in before if k in after_site] + (new_here if is_main else [])))
    gained = [k for k in after if k not in before]
    lost = [k for k in before if k not in after]
    added = float(st.floor.loc[st.floor["site_id"] == s, "added_m2"].sum())
    floor_before = float(row["floor_area_m2"]) if is_main else 0.0
    floor_after = (float(row["floor_area_m2"]) + added) if (is_main and is_open_end) else 0.0
    kind, year, reason = _what_happens(problem, R, F, f, row, closes, before, after, gained, lost, added)
    ch = (
        F.disposal.get(s, ("hold", "") if bool(row["sellable"]) else ("none", ""))
        if (closes is not None and is_main)
        else None
    )
    op_year = min((F.switch[(k, s)] for k in before if (k, s) in F.switch), default=None)
    if op_year is not None:
        reason += "; " + _operator_text(problem, [k for k in before if (k, s) in F.switch], op_year)
    return Decision(
        facility_id=f,
        name=F.name[f],
        site_id=s,
        site_name=str(row["name"] or s),
        decision=kind,
        services_before=list(before),
        services_after=list(after),
        gained=gained,
        lost=lost,
        year=year,
        floor_before_m2=round(floor_before, 1),
        floor_after_m2=round(floor_after, 1),
        reason=reason,
        imputed_inputs=_imputed_inputs(row, cur[cur["facility_id"] == f]),
        saving_yen=F.saving[f],
        disposal="" if ch is None else (f"reuse:{ch[1]}" if ch[0] == "reuse" else ch[0]),
        disposal_value_yen=round(float(F.land_value.get(s, 0.0))) if ch is not None else 0.0,
        operator_change_year=op_year,
    )


def _what_happens(
    problem: PortfolioProblem,
    R: _Reader,
    F: _Facilities,
    f: str,
    row: pd.Series,
    closes: int | None,
    before: list[str],
    after: list[str],
    gained: list[str],
    lost: list[str],
    added: float,
) -> tuple[str, int | None, str]:
    """(decision, year, reason) of facility ``f`` at site ``row``."""
    pol = problem.policy
    s = F.site[f]
    is_main = F.main_of[s] == f
    renew = R.renewal_text(s) if is_main else ""
    if closes is not None:
        kind, year = "close", closes
        moves = "; ".join(R.move_text(k, s) for k in before) or "no service"
        land = _land_text(row, F.disposal.get(s), float(F.land_value.get(s, 0.0))) if F.main_of[s] == f else ""
        share = (
            f" (its floor's share of the site's {_fmt_yen(float(F.site_saving.get(s, 0)))})"
            if len(F.by_site[s]) > 1
            else ""
        )
        merged = R.merger_text(s) if is_main else ""
        moves = f"{merged}; {moves}" if merged else moves
        reason = (
            f"closes in {closes}: {moves}{land}; saves {_fmt_yen(float(F.saving[f]))} over "
            f"{pol.horizon_years} years{share}" + (f"; before closing: {renew}" if renew else "")
        )
    elif not is_main:
        if lost:
            kind = "close"
            year = min(R.leaves(k, s) or pol.end_year for k in lost)
            reason = f"its rooms at {R.label(s)} are freed: " + "; ".join(R.move_text(k, s) for k in lost)
        else:
            kind, year = ("rebuild", None) if not R.rebuild.empty and s in R.rebuild.index else ("keep", None)
            if kind == "rebuild":
                year = int(R.rebuild.at[s, "year"])
            reason = f"stays in {R.label(s)}" + (f", rebuilt with it from {year}" if year else "")
    elif gained and before and not [k for k in before if k in after]:
        kind = "convert"
        year = min(R.arrival(k, s) for k in gained)
        reason = (
            f"converted from {', '.join(before)} to {', '.join(gained)} from {year} "
            f"({R.how_hosted(gained[0], s)}); " + "; ".join(R.move_text(k, s) for k in lost)
        )
    elif gained:
        kind = "host"
        year = min(R.arrival(k, s) for k in gained)
        hosted = "; ".join(f"{k} from {R.arrival(k, s)} ({R.how_hosted(k, s)})" for k in gained)
        reason = (
            f"hosts {hosted}"
            + (f"; no longer hosts {', '.join(lost)}" if lost else "")
            + (f"; {renew}" if renew else "")
        )
    else:
        reb = s in R.rebuild.index
        kind = "rebuild" if reb else "keep"
        year = int(R.rebuild.at[s, "year"]) if reb else None
        reason = "kept" + (f"; {renew}" if renew else " as is (no renewal due within the horizon)")
        if added > 0.5:
            reason += f"; {added:,.0f} m² added for more capacity"
        if lost:
            reason += "; " + "; ".join(R.move_text(k, s) for k in lost)
    return kind, year, reason


def _new_buildings(
    problem: PortfolioProblem, R: _Reader, F: _Facilities, st: PlanState, costs_after: pd.DataFrame
) -> list:
    """Every candidate built (also one closed again before the end, so that the savings add up)."""
    pol, sites = problem.policy, problem.sites
    P = len(R.per)
    out = []
    for i in np.flatnonzero(st.open.any(axis=1) & sites["kind"].eq("candidate").to_numpy()):
        row = sites.iloc[i]
        s = row["site_id"]
        opened = int(R.starts[np.flatnonzero(st.open[i])[0]])
        after = F.end_services.get(s, [])
        nz = int(R.asg.loc[(R.asg["site_id"] == s) & (R.asg["p"] == P - 1), "zone_id"].nunique())
        added = float(st.floor.loc[st.floor["site_id"] == s, "added_m2"].sum())
        front = " near a station" if problem.station_front_in(opened).get(s, False) else ""
        cost = float(costs_after.loc[costs_after["site_id"] == s, "total_yen"].sum())
        reason = (
            f"new building{front} open from {opened} (built {opened - pol.build_years}-{opened - 1}): "
            f"{', '.join(after) or 'no service'}, {added:,.0f} m²; serves {nz} zone(s); costs {_fmt_yen(cost)} "
            f"over {pol.horizon_years} years"
        )
        out.append(
            Decision(
                facility_id=s,
                name=str(row["name"] or s),
                site_id=s,
                site_name=str(row["name"] or s),
                decision="new",
                services_before=[],
                services_after=after,
                gained=after,
                lost=[],
                year=opened,
                floor_before_m2=0.0,
                floor_after_m2=round(added * bool(st.open[i, -1]), 1),
                reason=reason,
                saving_yen=int(F.site_saving.get(s, 0)),
            )
        )
    return out


def _land_text(site: pd.Series, choice: tuple[str, str] | None, value: float) -> str:
    """What a closed site's land becomes, in words."""
    if not bool(site["sellable"]):
        why = (
            "not owned"
            if not bool(site["owned"])
            else "not a separable building"
            if not bool(site["separable"])
            else "site area unknown"
        )
        return f"; frees no land ({why})"
    c, need = choice or ("hold", "")
    if c == "sell":
        return f"; land: sell, {_fmt_yen(value)} in the closure year"
    if c == "lease":
        return f"; land: lease, {_fmt_yen(value)} of rent to the end of the horizon"
    if c == "reuse":
        return f"; land: reuse for {need}, valued at {_fmt_yen(value)}"
    return "; land: hold (no sale, lease or reuse)"


def _operator_text(problem: PortfolioProblem, services: list[str], year: int) -> str:
    """An operator change in words: the rates the model file gives."""
    oc = problem.policy.operator_change
    ward = problem.services.set_index("service_id")["operating_yen_per_place_year"]
    parts = [
        f"{k} {_fmt_yen(float(ward[k]))} → {_fmt_yen(oc.services[k].commissioned_yen_per_place_year)} per place "
        f"a year (one-off {_fmt_yen(oc.services[k].transition_yen)})"
        for k in services
    ]
    return f"passes to a commissioned operator (委託・民営化) from {year}: " + ", ".join(parts)


def _imputed_inputs(site: pd.Series, placements: pd.DataFrame) -> list[str]:
    """The imputed data a facility's decision rests on: its site's buildings (floor, year built, site
    area, tenure) and its services' capacities, as ``facility.field``."""
    parts = [str(site.get("imputed_fields", "") or "")] + [str(x or "") for x in placements.get("imputed_fields", [])]
    return sorted({x for p in parts for x in p.split(";") if x})
