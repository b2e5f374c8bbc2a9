"""Reason texts: a sentence per scheduled event saying why it is in its year."""

from __future__ import annotations

import pandas as pd

from .params import ScheduleParams


def _n(k: int, word: str) -> str:
    return f"{k} {word}{'' if k == 1 else 's'}"


def _reasons(out: pd.DataFrame, asg: pd.DataFrame, first: int, last: int, params: ScheduleParams) -> list[str]:
    """A sentence per event: why it is in its year."""
    res = []
    prev_end: dict[str, tuple[int, str, str]] = {}
    reb_year = dict(
        zip(out.loc[out["event"] == "rebuild", "building_id"], out.loc[out["event"] == "rebuild", "scheduled_year"])
    )
    for r in out.itertuples(index=False):
        parts = []
        if r.backlog:
            parts.append(f"overdue since {r.due_year} (backlog)")
        if r.preventive:
            parts.append(f"preventive maintenance moves its rebuild to {r.due_year}")
        host = r.host if isinstance(r.host, str) else None
        if host is not None:
            hy = reb_year.get(host)
            parts.append(
                f"moves into {host} at its rebuild ({hy})"
                if not r.deferred and pd.notna(hy)
                else f"waits for {host}, whose rebuild is deferred beyond {last}"
            )
        elif r.deferred:
            why = "the cap" if r.added_delay_years > 0 else "due after the horizon"
            parts.append(f"deferred beyond {last} ({_n(int(r.delay_years), 'year')} past due by then; {why})")
        else:
            y = int(r.scheduled_year)
            base = max(int(r.due_year), first)
            pe = prev_end.get(r.building_id)
            if y < int(r.due_year):
                parts.append(f"brought forward {_n(int(r.due_year) - y, 'year')} to level spending")
            elif y == base:
                parts.append("in its due year" if not r.backlog else "done in the first year")
            elif pe is not None and y == pe[0]:
                parts.append(f"delayed {_n(y - base, 'year')}: follows its {pe[1]} ({pe[2]})")
            else:
                lim = r.hard_limit_year
                at = " (its hard limit)" if pd.notna(lim) and y == int(lim) else ""
                parts.append(f"delayed {_n(y - base, 'year')} to stay within the budget{at}")
        if not r.deferred:
            nxt = int(r.end_year) + 1 if r.event != "rebuild" else None
            if nxt is not None:
                prev_end[r.building_id] = (nxt, r.event, f"{int(r.scheduled_year)}-{int(r.end_year)}")
        res.append("; ".join(parts))
    return res
