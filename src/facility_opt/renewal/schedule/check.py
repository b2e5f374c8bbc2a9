"""An independent re-check of a renewal schedule from its own tables (no solver involved)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .result import ScheduleResult

__all__ = ["check_schedule"]


def check_schedule(result: ScheduleResult, tol_yen: float = 1.0) -> list[str]:
    """Re-check a schedule from its own tables, independently of the solver; returns violations.

    Checks: each year's spend is the sum of the scheduled events' spread costs; the charged amount
    stays within cap + fund (the fund balance recomputed and kept above its minimum); hard limits;
    order within a building; co-located guests rebuilt in their host's rebuild year.
    """
    b, y = result.buildings, result.years
    first = result.start_year
    last = first + result.horizon_years - 1
    yrs = y["year"].to_numpy()
    spend = np.zeros(len(yrs))
    done = b[~b["deferred"]]
    for r in done.itertuples(index=False):
        s0 = int(r.scheduled_year)
        for k in range(int(r.spread_years)):
            if s0 + k <= last:
                spend[s0 + k - first] += r.cost_yen / r.spread_years
    v: list[str] = []
    bad = np.flatnonzero(np.abs(spend - y["spend_yen"].to_numpy()) > tol_yen)
    v += [
        f"{yrs[i]}: events add up to {spend[i]:,.0f} yen but the table says {y['spend_yen'].iat[i]:,.0f}" for i in bad
    ]
    fund = result.extra.get("fund")
    bal = fund.initial_yen if fund else 0.0
    for i in range(len(yrs)):
        c, cap = float(y["charged_yen"].iat[i]), float(y["cap_yen"].iat[i])
        if fund:
            bal = bal + cap - c
            if bal < fund.min_balance_yen - tol_yen:
                v.append(f"{yrs[i]}: fund balance {bal:,.0f} below its minimum {fund.min_balance_yen:,.0f}")
            if abs(bal - float(y["fund_balance_yen"].iat[i])) > tol_yen:
                v.append(f"{yrs[i]}: fund balance {bal:,.0f} but the table says {y['fund_balance_yen'].iat[i]:,.0f}")
        elif c > cap + tol_yen:
            v.append(f"{yrs[i]}: charged {c:,.0f} yen over the cap {cap:,.0f}")
    lim = b["hard_limit_year"]
    over = b[
        lim.notna() & ((b["deferred"] & (lim.fillna(0) <= last)) | (b["scheduled_year"].fillna(-1) > lim.fillna(10**6)))
    ]
    v += [f"{r.building_id} {r.event}: hard limit {r.hard_limit_year} broken" for r in over.itertuples(index=False)]
    for bid, g in done.sort_values(["building_id", "due_year"]).groupby("building_id"):
        rows = list(g.itertuples(index=False))
        for a, c in zip(rows, rows[1:]):
            if a.event != "rebuild" and c.scheduled_year < a.scheduled_year + a.spread_years:
                v.append(f"{bid}: {c.event} in {c.scheduled_year} before its {a.event} ({a.scheduled_year}) ends")
    reb = b[b["event"] == "rebuild"].set_index("building_id")
    for r in b[b["host"].notna() & (b["event"] == "rebuild")].itertuples(index=False):
        h = reb.loc[[r.host]] if r.host in reb.index else None
        hy = h["scheduled_year"].iloc[0] if h is not None else pd.NA
        if (pd.isna(hy) != pd.isna(r.scheduled_year)) or (not pd.isna(hy) and int(hy) != int(r.scheduled_year)):
            v.append(f"{r.building_id}: rebuilt in {r.scheduled_year}, its host {r.host} in {hy}")
    return v
