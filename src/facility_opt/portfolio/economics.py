"""What a plan costs, year by year, recomputed from its state alone (never from solver variables).

A :class:`PlanState` says, for every site, in which periods it is open, what floor is added when
and how, and what happens to each renewal event (done in a year, deferred past the horizon, or
dropped because the site closed first).  :func:`site_year_costs` turns a state into money per
site and year, split by kind:

``renewal`` (event capital, spread evenly over the event's years), ``temporary`` (premises during a
rebuild), ``running`` (floor in use × the site's rate), ``fixed`` (per open building-year),
``operating`` (places in use × the service's operating cost per place, or the commissioned rate once
a placement's operator changed), ``transition`` (the one-off cost of an operator change, in its
year), ``new_build`` (floor added, over its works years), ``land`` (a candidate's land, when
construction starts), ``revenue`` (a freed site's land **sold**, in its closure year), ``lease``
(its land leased: income every year from the closure), ``deferred`` (the capital of events deferred
past the horizon: owed after it, shown in the last year), ``penalty`` (the deferral risk of the
renewal rules: late, early or dropped events, bond interest, preventive upkeep; not a cash flow,
reported apart) and ``reuse`` (the value to the ward of a freed site reused for a need of the
model file: not cash, counted against the cost like income).

The plan's KPIs, its cost-by-year table and the independent check use this module; the MILP
(:mod:`facility_opt.portfolio.model`) builds its objective separately, and the check compares the
two totals, so a mistake in either shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..renewal.schedule.options import event_risk
from .problem import PortfolioProblem

__all__ = [
    "PlanState",
    "site_year_costs",
    "COST_KINDS",
    "CASH_KINDS",
    "INCOME_KINDS",
    "capital_by_year",
    "kind_savings",
    "apportion",
    "operating_rates",
]

#: cash kinds within the horizon, in the order of the cost tables; cash = sum(costs) - revenue - lease
CASH_KINDS = (
    "renewal",
    "temporary",
    "running",
    "fixed",
    "operating",
    "transition",
    "new_build",
    "land",
    "revenue",
    "lease",
)
#: every kind: cash, the capital of events deferred past the horizon (owed later), penalties, reuse value
COST_KINDS = CASH_KINDS + ("deferred", "penalty", "reuse")
#: kinds that count against the cost (land sold, leased, reused): their saving is plan − baseline
INCOME_KINDS = ("revenue", "lease", "reuse")


@dataclass(frozen=True)
class PlanState:
    """A plan's decisions as plain tables (what :func:`site_year_costs` and the check read).

    open : sites × periods booleans, rows in ``problem.sites`` order.
    floor : site_id, year (first year usable), added_m2, how ("rebuild", "extension", "new" or
        "downsize": negative m², floor a rebuild does not rebuild), works_start, works_years (when it is
        paid for: a rebuild's works, or the build years before an extension or a new building is usable).
    events : one row per row of ``problem.events``: status ("done", "deferred", "dropped"),
        year (start year; NaN unless done), variant, closure_year (dropped: the year the site closed).
    places : service_id, site_id, from_year, to_year (inclusive), capacity: places in use (for the
        operating cost per place; None: no per-place costs can be computed, the services' rates must
        then all be missing).
    disposals : site_id, choice (sell, lease, reuse, hold), need_id: what a closed site's land becomes.
    operators : service_id, site_id, year: a placement commissioned from that year (operator change).
    """

    open: np.ndarray
    floor: pd.DataFrame
    events: pd.DataFrame
    places: pd.DataFrame | None = None
    disposals: pd.DataFrame | None = None
    operators: pd.DataFrame | None = None
    conversions: pd.DataFrame | None = None  # site_id, year, converted_m2: existing floor fitted out for a new use

    def open_years(self, problem: PortfolioProblem) -> np.ndarray:
        """Sites × years: open in that year."""
        per = problem.policy.periods()
        lens = (per["end"] - per["start"] + 1).to_numpy()
        return np.repeat(self.open, lens, axis=1)

    def floor_by_year(self, problem: PortfolioProblem) -> np.ndarray:
        """Sites × years: floor in use (the building's own floor while open, plus floor added so far)."""
        pol = problem.policy
        H = pol.horizon_years
        op = self.open_years(problem)
        base = problem.sites["floor_area_m2"].to_numpy() * problem.sites["kind"].eq("existing").to_numpy()
        out = base[:, None] * op
        pos = pd.Series(np.arange(len(problem.sites)), index=problem.sites["site_id"].to_numpy())
        for r in self.floor.itertuples(index=False):
            t = int(r.year) - pol.start_year
            if t < H:
                out[pos[r.site_id], max(t, 0) :] += r.added_m2
        return np.where(op, out, 0.0)


def _spread(out: np.ndarray, i: int, start: int, years: int, amount: float, first: int) -> None:
    """Add ``amount`` evenly over ``years`` years from ``start`` to row ``i`` (years outside are dropped)."""
    H = out.shape[1]
    for k in range(years):
        t = start + k - first
        if 0 <= t < H:
            out[i, t] += amount / years


def site_year_costs(problem: PortfolioProblem, state: PlanState) -> pd.DataFrame:
    """Money per site and year of a plan state, by kind (yen; see the module docstring).

    Returns one row per site and year: ``site_id, year``, a column ``<kind>_yen`` per kind of
    :data:`COST_KINDS`, ``cash_yen`` (costs − revenue within the horizon) and ``total_yen`` (cash +
    deferred + penalty: what the optimiser minimises).
    """
    pol = problem.policy
    sites = problem.sites
    first, H = pol.start_year, pol.horizon_years
    last = first + H - 1
    S = len(sites)
    pos = pd.Series(np.arange(S), index=sites["site_id"].to_numpy())
    out = {k: np.zeros((S, H)) for k in COST_KINDS}
    op = state.open_years(problem)
    floor = state.floor_by_year(problem)
    out["running"] += sites["operating_yen_per_m2_year"].to_numpy()[:, None] * floor
    out["fixed"] += sites["fixed_yen_per_year"].to_numpy()[:, None] * op

    _event_money(problem, state, pos, out)

    # floor added (a rebuild's floor not rebuilt makes the rebuild cheaper: a negative renewal)
    build = sites["build_yen_per_m2"].to_numpy()
    existing = sites["kind"].eq("existing").to_numpy()
    for r in state.floor.itertuples(index=False):
        i = pos[r.site_id]
        unit = build[i] * ((1 + pol.extension_premium) if (existing[i] and r.how == "extension") else 1.0)
        kind = "renewal" if r.how == "downsize" else "new_build"
        _spread(out[kind], i, int(r.works_start), int(r.works_years), r.added_m2 * unit, first)
    # existing floor converted to a new use: fitted out in the year the service arrives
    if state.conversions is not None:
        for r in state.conversions.itertuples(index=False):
            _spread(out["new_build"], pos[r.site_id], int(r.year), 1, r.converted_m2 * pol.conversion_yen_per_m2, first)

    # land: candidates bought when construction starts
    area = np.nan_to_num(sites["site_area_m2"].to_numpy())
    value = sites["land_value_yen_per_m2"].to_numpy() * area
    years = np.arange(first, last + 1)
    for i in range(S):
        opened = np.flatnonzero(op[i])
        if not existing[i] and len(opened) and not bool(sites["owned"].iat[i]):
            t = years[opened[0]] - pol.build_years - first
            out["land"][i, max(t, 0)] += value[i]
    _disposal_money(problem, state, op, pos, out)
    _operating_money(problem, state, pos, out)

    rows = pd.DataFrame({"site_id": np.repeat(sites["site_id"].to_numpy(), H), "year": np.tile(years, S)})
    for k in COST_KINDS:
        rows[f"{k}_yen"] = out[k].ravel()
    income = sum(out[k] for k in INCOME_KINDS if k in CASH_KINDS)
    rows["cash_yen"] = sum(out[k] for k in CASH_KINDS if k not in INCOME_KINDS).ravel() - income.ravel()
    rows["total_yen"] = rows["cash_yen"] + rows["deferred_yen"] + rows["penalty_yen"] - rows["reuse_yen"]
    return rows


def _event_money(problem: PortfolioProblem, state: PlanState, pos: pd.Series, out: dict[str, np.ndarray]) -> None:
    """Renewal events: capital over the works years, the rules' penalties in the start (or closure) year,
    deferred capital and works running past the horizon, temporary premises during rebuilds."""
    from .formulation.events import prepare_events  # the renewal rules (windows, options): shared with the scheduler

    pol, sites = problem.policy, problem.sites
    first, H = pol.start_year, pol.horizon_years
    last = first + H - 1
    ev = problem.events.reset_index(drop=True)
    if len(ev):
        ep = prepare_events(problem)
        opt = ep.opt.set_index(["e", "variant", "year"])
        st = state.events.reset_index(drop=True)
        base_area = sites.set_index("site_id")["floor_area_m2"]
        for e, (r, s_) in enumerate(zip(ev.itertuples(index=False), st.itertuples(index=False))):
            i = pos[r.site_id]
            if s_.status == "dropped":
                risk = event_risk(
                    np.array([r.cost_yen]),
                    np.array([r.floor_area_m2]),
                    np.array([r.kind == "rebuild"]),
                    np.array([r.due_year]),
                    first,
                    np.array([int(s_.closure_year)]),
                    pol.renewal.penalties,
                )[0]
                out["penalty"][i, min(int(s_.closure_year), last) - first] += risk
                continue
            year = last + 1 if s_.status == "deferred" else int(s_.year)
            o = opt.loc[(e, int(s_.variant), year)]
            when = min(year, last) - first
            out["penalty"][i, when] += float(o["coef"] - o["capital"])
            if s_.status == "deferred":
                out["deferred"][i, H - 1] += float(o["capital"])
            else:
                _spread(out["renewal"], i, year, int(r.spread_years), float(r.cost_yen), first)
                late = max(year + int(r.spread_years) - 1 - last, 0)  # works running past the horizon
                out["deferred"][i, H - 1] += float(r.cost_yen) * late / int(r.spread_years)
                if r.kind == "rebuild" and pol.temporary_yen_per_m2_year > 0:
                    rate = pol.temporary_yen_per_m2_year * float(base_area[r.site_id])
                    for k in range(int(r.spread_years)):
                        if year + k <= last:
                            out["temporary"][i, year + k - first] += rate


def _disposal_money(
    problem: PortfolioProblem, state: PlanState, op: np.ndarray, pos: pd.Series, out: dict[str, np.ndarray]
) -> None:
    """A closed site's land as its disposal says: sold (``revenue``, the closure year), leased (``lease``,
    every year closed) or reused (``reuse``: one-off in the closure year plus yearly while closed).
    A choice that is not an option of the site (:meth:`PortfolioProblem.disposal_table`) brings nothing:
    the check reports it."""
    d = state.disposals
    if d is None or d.empty:
        return
    table = problem.disposal_table().set_index(["site_id", "choice", "need_id"])
    kind = {"sell": "revenue", "lease": "lease", "reuse": "reuse"}
    for r in d.itertuples(index=False):
        key = (r.site_id, r.choice, r.need_id if r.choice == "reuse" else "")
        if r.choice == "hold" or key not in table.index or r.site_id not in pos.index:
            continue
        i = int(pos[r.site_id])
        closed = np.flatnonzero(~op[i])
        if not len(closed):
            continue
        t = table.loc[key]
        out[kind[r.choice]][i, closed[0]] += float(t["value_yen"])
        out[kind[r.choice]][i, closed] += float(t["value_yen_per_year"])


def operating_rates(problem: PortfolioProblem) -> tuple[pd.Series, dict[str, float]]:
    """(service_id -> ward-run operating yen per place a year, NaN where not modelled;
    service_id -> commissioned yen per place a year, for the services of ``policy.operator_change``)."""
    ward = problem.services.set_index("service_id")["operating_yen_per_place_year"].astype(float)
    oc = problem.policy.operator_change
    comm = {k: o.commissioned_yen_per_place_year for k, o in oc.services.items()} if oc is not None else {}
    return ward, comm


def _operating_money(problem: PortfolioProblem, state: PlanState, pos: pd.Series, out: dict[str, np.ndarray]) -> None:
    """Places in use × the operating cost per place of their service (``operating``), at the commissioned
    rate from a placement's operator change, whose one-off cost falls in its year (``transition``)."""
    ward, comm = operating_rates(problem)
    first, H = problem.policy.start_year, problem.policy.horizon_years
    sw = {}
    if state.operators is not None:
        oc = problem.policy.operator_change
        for r in state.operators.itertuples(index=False):
            sw[(r.service_id, r.site_id)] = int(r.year)
            t = int(r.year) - first
            if oc is not None and r.service_id in oc.services and 0 <= t < H:
                out["transition"][int(pos[r.site_id]), t] += oc.services[r.service_id].transition_yen
    if state.places is None or not np.isfinite(ward.to_numpy()).any():
        return
    for r in state.places.itertuples(index=False):
        rate = float(ward.get(r.service_id, np.nan))
        if not np.isfinite(rate):
            continue
        i = int(pos[r.site_id])
        for y in range(int(r.from_year), int(r.to_year) + 1):
            y_sw = sw.get((r.service_id, r.site_id))
            c = comm[r.service_id] if (y_sw is not None and y >= y_sw and r.service_id in comm) else rate
            out["operating"][i, y - first] += c * float(r.capacity)


def kind_savings(before: pd.DataFrame, after: pd.DataFrame) -> dict[str, float]:
    """Yen saved over the horizon per kind of :data:`COST_KINDS`, from two :func:`site_year_costs` tables
    (the baseline's and the plan's): before − after for every cost, after − before for the
    :data:`INCOME_KINDS` (land sold, leased or reused counts against the cost), so the kinds add up to
    the saving of ``total_yen``."""
    out = {}
    for k in COST_KINDS:
        d = float(before[f"{k}_yen"].sum()) - float(after[f"{k}_yen"].sum())
        out[k] = -d if k in INCOME_KINDS else d
    return out


def apportion(values, total: int) -> list[int]:
    """Round ``values`` to whole yen so that they sum exactly to ``total`` (largest remainders).

    Each value is rounded down, then the yen still missing go one each to the values with the largest
    fractions (ties: first in order).  With ``total = round(sum(values))`` no value moves by a yen
    or more, so parts written to the yen (savings by kind, by site, by facility) add up to the
    headline written to the yen.
    """
    v = np.asarray(list(values), dtype=float)
    if not len(v):
        return []
    base = np.floor(v)
    frac = v - base
    order = np.argsort(-frac, kind="mergesort")
    q, r = divmod(int(total) - int(base.sum()), len(v))
    out = base + q
    out[order[:r]] += 1
    return [int(x) for x in out]


def capital_by_year(problem: PortfolioProblem, state: PlanState) -> pd.DataFrame:
    """Per year: what the annual budget is charged (renewal capital, floor added, land bought), the
    budget's cap, and the renewal spend alone: ``year, renewal_yen, new_build_yen, land_yen,
    spend_yen, cap_yen`` (cap NaN without a budget).  Bonds and preventive upkeep change what the
    budget is charged; they are added as the scheduler adds them."""
    from .formulation.events import prepare_events

    pol = problem.policy
    c = site_year_costs(problem, state)
    g = c.groupby("year", sort=True)[["renewal_yen", "new_build_yen", "land_yen"]].sum()
    charged_renewal = g["renewal_yen"].to_numpy().copy()
    if len(problem.events) and (pol.renewal.bonds is not None or pol.renewal.preventive is not None):
        ep = prepare_events(problem)
        idx = ep.opt.reset_index().set_index(["e", "variant", "year"])["index"]
        st = state.events.reset_index(drop=True)
        charged_renewal = np.zeros(pol.horizon_years)
        for e, s_ in enumerate(st.itertuples(index=False)):
            if s_.status in ("done", "deferred"):
                year = pol.end_year if s_.status == "deferred" else int(s_.year)
                charged_renewal += ep.need[int(idx[(e, int(s_.variant), year)])]
        down = np.zeros((1, pol.horizon_years))  # floor not rebuilt: the rebuild is charged less
        build = problem.sites.set_index("site_id")["build_yen_per_m2"]
        for r in state.floor[state.floor["how"] == "downsize"].itertuples(index=False):
            _spread(
                down, 0, int(r.works_start), int(r.works_years), r.added_m2 * float(build[r.site_id]), pol.start_year
            )
        charged_renewal += down[0]
    out = pd.DataFrame(
        {
            "year": g.index.to_numpy(),
            "renewal_yen": charged_renewal,
            "new_build_yen": g["new_build_yen"].to_numpy(),
            "land_yen": g["land_yen"].to_numpy(),
        }
    )
    out["spend_yen"] = out["renewal_yen"] + out["new_build_yen"] + out["land_yen"]
    caps = pol.budget.caps(pol.years()) if pol.budget is not None else np.full(len(out), np.nan)
    out["cap_yen"] = np.where(np.isfinite(caps), caps, np.nan)  # NaN: no cap that year
    return out
