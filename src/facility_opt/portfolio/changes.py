"""The plan's change tables: renewal events, floor changes, conversions, school mergers and freed sites.

Each is read from a :class:`~facility_opt.portfolio.economics.PlanState` (or the solution, for mergers)
and rounded as the plan's files state it; used by :func:`facility_opt.portfolio.assemble.assemble_plan`
for the plan and for the keep-everything baseline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .economics import PlanState
from .formulation.solution import Solution
from .problem import PortfolioProblem
from .rows import ConversionRow, EventRow, FloorChange, FreedSite, MergerRow

__all__ = ["event_rows", "floor_rows", "conversion_rows", "merger_rows", "freed_site_rows"]


def event_rows(problem: PortfolioProblem, st: PlanState) -> list[EventRow]:
    """Each renewal event with its status and year, and the penalty of its timing (or of dropping it)."""
    from ..renewal.schedule.options import event_risk
    from .formulation.events import prepare_events

    ev = problem.events.reset_index(drop=True)
    if ev.empty:
        return []
    pol = problem.policy
    opt = prepare_events(problem).opt.set_index(["e", "variant", "year"])
    out = []
    for e, (r, s) in enumerate(zip(ev.itertuples(index=False), st.events.itertuples(index=False))):
        year = None if s.status != "done" else int(s.year)
        if s.status == "dropped":
            pen = float(
                event_risk(
                    np.array([r.cost_yen]),
                    np.array([r.floor_area_m2]),
                    np.array([r.kind == "rebuild"]),
                    np.array([r.due_year]),
                    pol.start_year,
                    np.array([int(s.closure_year)]),
                    pol.renewal.penalties,
                )[0]
            )
        else:
            o = opt.loc[(e, int(s.variant), year if year is not None else pol.end_year)]
            pen = float(o["coef"] - o["capital"])
        out.append(
            EventRow(
                site_id=r.site_id,
                kind=r.kind,
                cycle=int(r.cycle),
                due_year=int(r.due_year),
                status=s.status,
                year=year,
                end_year=None if year is None else year + int(r.spread_years) - 1,
                variant=int(s.variant),
                closure_year=None if s.status != "dropped" else int(s.closure_year),
                cost_yen=round(float(r.cost_yen)),
                penalty_yen=round(pen),
            )
        )
    return out


def floor_rows(st: PlanState) -> list[FloorChange]:
    """The floor added or removed per site and year, with the works that do it."""
    return [
        FloorChange(
            site_id=r.site_id,
            year=int(r.year),
            added_m2=float(r.added_m2),
            how=r.how,
            works_start=int(r.works_start),
            works_years=int(r.works_years),
        )
        for r in st.floor.itertuples(index=False)
    ]


def conversion_rows(problem: PortfolioProblem, st: PlanState) -> list[ConversionRow]:
    """Existing floor converted to a new use, with its cost."""
    return [
        ConversionRow(
            site_id=r.site_id,
            year=int(r.year),
            converted_m2=float(r.converted_m2),
            cost_yen=round(float(r.converted_m2) * problem.policy.conversion_yen_per_m2),
        )
        for r in st.conversions.itertuples(index=False)
    ]


def merger_rows(problem: PortfolioProblem, sol: Solution) -> list[MergerRow]:
    """The school mergers made, with the pupils of both districts and the classes of the merged school."""
    from .reform import district_pupils

    out = []
    for r in sol.mergers.sort_values(["service_id", "close"], kind="mergesort").itertuples(index=False):
        dp = district_pupils(problem, r.service_id).set_index(["district", "p"])["demand"]
        a, b = float(dp.get((r.close, int(r.p)), 0.0)), float(dp.get((r.into, int(r.p)), 0.0))
        size = problem.policy.mergers[int(r.rule)].class_size
        out.append(
            MergerRow(
                service_id=r.service_id,
                close=r.close,
                into=r.into,
                year=int(r.year),
                pupils_close=round(a, 1),
                pupils_into=round(b, 1),
                pupils_merged=round(a + b, 1),
                classes_merged=int(np.ceil((a + b) / size - 1e-9)),
            )
        )
    return out


def freed_site_rows(problem: PortfolioProblem, st: PlanState, costs: pd.DataFrame) -> list[FreedSite]:
    """Every existing site the plan closes, with what its land becomes and the value over the horizon."""
    sites = problem.sites
    starts = problem.policy.periods()["start"].to_numpy()
    chosen = (
        {r.site_id: (r.choice, r.need_id) for r in st.disposals.itertuples(index=False)}
        if st.disposals is not None
        else {}
    )
    val = costs.groupby("site_id")[["revenue_yen", "lease_yen", "reuse_yen"]].sum().sum(axis=1)
    out = []
    for i, r in enumerate(sites.itertuples(index=False)):
        if r.kind != "existing" or st.open[i].all():
            continue
        area = float(r.site_area_m2) if np.isfinite(r.site_area_m2) else None
        choice, need = chosen.get(r.site_id, ("hold", "") if r.sellable else ("none", ""))
        out.append(
            FreedSite(
                site_id=r.site_id,
                name=r.name,
                closure_year=int(starts[np.argmin(st.open[i])]),
                site_area_m2=area,
                owned=bool(r.owned),
                separable=bool(r.separable),
                land_value_yen=round(float(r.land_value_yen_per_m2) * (area or 0.0)),
                choice=choice,
                need_id=need,
                value_yen=round(float(val.get(r.site_id, 0.0))),
            )
        )
    return out
