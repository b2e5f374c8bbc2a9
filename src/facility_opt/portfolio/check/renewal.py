"""Renewal events: windows, hard limits, order within a site, work only on open sites, drops only at closures."""

from __future__ import annotations

from ..formulation.events import prepare_events
from .context import Context
from .violation import Violation

__all__ = ["check_events"]


def check_events(c: Context) -> list[Violation]:
    """Each event as the plan states it against its window and hard limit (``event_one``), its site
    (``event_open``, ``event_drop``) and the site's earlier events (``event_order``)."""
    v: list[Violation] = []
    plan, pol, st, is_open = c.plan, c.pol, c.ev_status, c.is_open
    last = pol.end_year - 1
    if len(st) != len(c.ev):
        return [
            Violation(
                "tables", "events", None, f"events: the plan states {len(st)} events, the problem has {len(c.ev)}"
            )
        ]
    w = prepare_events(c.problem).ev.reset_index(drop=True)
    closes = {s.site_id: s.closes for s in plan.sites}
    prev: dict[str, tuple[int, int, str]] = {}
    for i, r in enumerate(st.itertuples(index=False)):
        e = w.iloc[i]
        who = f"{r.site_id} {r.kind} (due {r.due_year})"
        if r.status == "done":
            y = int(r.year)
            if not int(e["earliest"]) <= y <= int(e["latest"]):
                v.append(
                    Violation(
                        "event_one",
                        r.site_id,
                        y,
                        f"renewal: {who} starts {y}, outside its window {int(e['earliest'])}-{int(e['latest'])}",
                    )
                )
            if not is_open[r.site_id][y - pol.start_year]:
                v.append(Violation("event_open", r.site_id, y, f"renewal: {who} starts {y} on a closed site"))
        elif r.status == "deferred":
            if not bool(e["can_defer"]):
                v.append(
                    Violation(
                        "event_one",
                        r.site_id,
                        None,
                        f"renewal: {who} is deferred beyond {last}, past its hard limit {int(e['limit'])}",
                    )
                )
            if not is_open[r.site_id][-1]:
                v.append(Violation("event_drop", r.site_id, None, f"renewal: {who} is deferred but its site closes"))
        else:
            cl = closes.get(r.site_id)
            if cl is None or cl != r.closure_year:
                v.append(
                    Violation(
                        "event_drop",
                        r.site_id,
                        r.closure_year,
                        f"renewal: {who} is dropped at a closure in {r.closure_year}, but the site closes in {cl}",
                    )
                )
            elif not bool(e["can_defer"]) and cl > int(e["latest"]) + 1:
                v.append(
                    Violation(
                        "event_drop",
                        r.site_id,
                        cl,
                        f"renewal: {who} is dropped, but its site stays open "
                        f"until {cl - 1}, past its latest start {int(e['latest'])}",
                    )
                )
        p = prev.get(r.site_id)
        if r.status == "done" and p is not None:
            py, pend, pkind = p
            if pkind != "rebuild" and int(r.year) < pend:
                v.append(
                    Violation(
                        "event_order",
                        r.site_id,
                        int(r.year),
                        f"renewal: {who} starts {int(r.year)} before its {pkind} ends ({pend - 1})",
                    )
                )
        if r.status == "done":
            prev[r.site_id] = (int(r.year), int(r.year) + int(e["spread_years"]), r.kind)
        elif r.status == "deferred" and r.kind != "rebuild":
            prev[r.site_id] = (last + 1, 10**6, r.kind)
    return v
