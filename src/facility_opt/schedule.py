"""Renewal scheduling under an annual budget: levelling the renewal cliff (更新時期の平準化).

The renewal-cost model (:mod:`facility_opt.costs`) says *when* each building falls due for renovation
or rebuilding. Paying for every event in its due year makes a "cliff": Nerima would need about
215億円 a year while it spent about 52億円. This module places every event in a year so that spending
stays within an annual cap, at the least total cost including a readable penalty for running buildings
past their due year.

The model (an integer program; HiGHS through :func:`facility_opt.solver.solve`):

* **events** are :func:`facility_opt.costs.renewal_events` summed per building (facilities sharing a
  ``building_id`` are renewed together). An event may start in any year of its **window**
  (``due - early_years`` .. ``max(due, start) + late_years``, per category) or be **deferred** beyond
  the horizon. Its cost is spread evenly over its own spreading years (2 for a renovation, 3 for a
  rebuild by default; a backlog event is a real event of its building, not the 総務省 10-year
  accounting spread, which is only used for the *unlevelled* projection).
* **penalties** (all in yen, so a planner can read them): the k-th year an event runs past its due
  year costs ``event cost × (risk_linear + risk_quadratic × k)``, and a building whose *rebuild* is
  overdue also pays ``deferred_rebuild_maintenance_yen_per_m2`` per m² and year; a deferred event is
  charged as if done ``defer_tail_years`` after the horizon; doing work early costs
  ``early_share_per_year`` of its cost per year (service life thrown away). Only years from the start
  year on are charged (earlier lateness is sunk).
* **hard limits**: a critical category (``hard_limit_years`` set; schools by default) must start every
  current-cycle event within ``hard_limit_years`` of ``max(due, start)``, and may not be deferred.
* **order**: within a building, an event starts after the previous one has finished (a renovation
  before the rebuild); an event of the next life cycle keeps its distance to the rebuild before it.
* **preventive maintenance** (予防保全, optional): a building may pay an annual cost per m² to move
  its rebuild ``extension_years`` later.
* **money**: caps per year (a constant, a series, or a share of a projected budget); an optional
  reserve fund (基金) carries unspent cap between years above a minimum balance; optional bonds (起債)
  finance a share of every rebuild, repaid as an annuity over ``years`` years with interest.
* **co-location ties**: a building merged into a host (``ties``: guest -> host) is rebuilt in the same
  year as the host (it moves into the new building); its own later events are dropped.

Two questions (both matter to a planner): :func:`schedule_renewals` with a ``budget`` minimises total
cost (capital + penalties + interest + preventive maintenance) under the caps; with
``min_budget=True`` it finds the smallest *level* annual budget that keeps every building within its
window (or only its hard limit: ``min_budget_within="hard_limits"``), then the cheapest schedule at
that level.

Identical buildings without ties (common in a stock table expanded by
:func:`facility_opt.costs.stock_buildings`) are grouped into cohorts with integer counts per year.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pulp
from pydantic import BaseModel, ConfigDict, Field, model_validator

from .atomic import atomic_write_text
from .catalogue import Catalogue, default_catalogue
from .costs import OKU_YEN, RenewalCostParams, default_renewal_params, project_renewal, renewal_events
from .errors import DataIssue, DataValidationError, InfeasibleError, ModelConfigError, SolverError
from .solver import SolveInfo, SolverOptions, solve
from .yamlio import load_yaml_model

__all__ = [
    "Window",
    "Penalties",
    "Preventive",
    "Bonds",
    "Fund",
    "ScheduleParams",
    "Budget",
    "ScheduleResult",
    "load_schedule_params",
    "default_schedule_params",
    "schedule_renewals",
    "plan_buildings",
    "plan_schedule",
    "plot_schedule",
    "check_schedule",
    "event_windows",
    "event_options",
    "event_risk",
    "order_rows",
]

log = logging.getLogger(__name__)

#: objective and money rows are scaled to 億円 for the solver (yen coefficients of 1e10 hurt HiGHS)
_SCALE = OKU_YEN
_OKU_LABEL = "oku-yen (100 million yen)"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Window(_Strict):
    """When one category's events may start, relative to the due year.

    ``hard_limit_years`` set = a critical category: each current-cycle event must start within that
    many years of ``max(due, start year)`` and may not be deferred beyond the horizon.
    """

    early_years: int = Field(default=3, ge=0, le=30)
    late_years: int = Field(default=15, ge=0, le=100)
    hard_limit_years: int | None = Field(default=None, ge=0, le=100)


class Penalties(_Strict):
    """Costs a planner can read: lateness risk, extra upkeep of overdue buildings, early work."""

    risk_linear: float = Field(default=0.01, ge=0, description="share of the event cost per year late")
    risk_quadratic: float = Field(default=0.002, ge=0, description="... plus this × k in the k-th year late")
    deferred_rebuild_maintenance_yen_per_m2: float = Field(default=2000.0, ge=0)
    early_share_per_year: float = Field(default=0.02, ge=0)
    defer_tail_years: int = Field(default=5, ge=0, le=50)


class Preventive(_Strict):
    """Preventive maintenance (予防保全): pay every year to move a building's rebuild later."""

    extension_years: int = Field(default=20, gt=0, le=60)
    yen_per_m2_year: float = Field(default=1500.0, ge=0)
    min_years_to_due: int = Field(default=5, ge=0, description="only if the rebuild is at least this far off")
    categories: list[str] | None = Field(default=None, description="eligible categories (None: all)")


class Bonds(_Strict):
    """Bond financing (起債) of a share of every rebuild, repaid as an annuity from the next year."""

    share: float = Field(gt=0, le=1)
    years: int = Field(default=20, ge=1, le=40)
    interest_rate: float = Field(default=0.01, ge=0, lt=0.2)

    def annuity(self) -> float:
        """Yearly payment per yen borrowed."""
        r, n = self.interest_rate, self.years
        return 1.0 / n if r == 0 else r / (1.0 - (1.0 + r) ** -n)


class Fund(_Strict):
    """Reserve fund (基金): unspent cap is saved, overspending draws on it, above a minimum balance."""

    initial_yen: float = Field(default=0.0, ge=0)
    min_balance_yen: float = Field(default=0.0, ge=0)


class ScheduleParams(_Strict):
    """All parameters of the scheduling model (``models/renewal_schedule.yaml``)."""

    windows: dict[str, Window] = Field(default_factory=lambda: {"*": Window()})
    penalties: Penalties = Field(default_factory=Penalties)
    fund: Fund | None = None
    bonds: Bonds | None = None
    preventive: Preventive | None = None
    group_identical: bool = True

    @model_validator(mode="after")
    def _has_default(self):
        if "*" not in self.windows:
            raise ValueError("windows needs a '*' entry (the default for categories without their own)")
        return self

    def window(self, category: str) -> Window:
        return self.windows.get(category, self.windows["*"])


def load_schedule_params(path: str | Path) -> ScheduleParams:
    """Read and validate a scheduling YAML file; errors name the file and the key path."""
    return load_yaml_model(path, ScheduleParams, "scheduling parameters")


def default_schedule_params() -> ScheduleParams:
    """The parameters shipped in ``models/renewal_schedule.yaml``."""
    from .resources import models_dir

    return load_schedule_params(models_dir() / "renewal_schedule.yaml")


class Budget(_Strict):
    """Annual capital caps: a constant or per-year ``cap_yen``, or ``share`` × a projected budget.

    Examples
    --------
    >>> Budget(cap_yen=52e8).caps(range(2016, 2019)).tolist()
    [5200000000.0, 5200000000.0, 5200000000.0]
    >>> Budget(share=0.02, projected_budget_yen={2016: 2500e8, 2017: 2600e8}).caps([2016, 2017]).tolist()
    [5000000000.0, 5200000000.0]
    """

    cap_yen: float | dict[int, float] | None = None
    share: float | None = Field(default=None, gt=0, le=1)
    projected_budget_yen: float | dict[int, float] | None = None
    from_year: int | None = Field(default=None, description="First capped year; earlier years are uncapped "
                                  "(infinite cap), e.g. years already spent or before a plan can change anything.")

    @model_validator(mode="after")
    def _one_form(self):
        if (self.cap_yen is None) == (self.share is None):
            raise ValueError("give either cap_yen, or share with projected_budget_yen")
        if self.share is not None and self.projected_budget_yen is None:
            raise ValueError("share needs projected_budget_yen")
        return self

    def caps(self, years) -> np.ndarray:
        """The cap of each year (yen); ``inf`` before ``from_year``."""
        years = [int(y) for y in years]
        if self.from_year is not None:
            capped = [y for y in years if y >= self.from_year]
            out = np.full(len(years), np.inf)
            if capped:
                out[len(years) - len(capped):] = self.model_copy(update={"from_year": None}).caps(capped)
            return out

        def series(v, what):
            if isinstance(v, Mapping):
                missing = [y for y in years if y not in v]
                if missing:
                    raise ModelConfigError(f"budget {what} lacks years {missing[:5]}{'...' if len(missing) > 5 else ''}")
                return np.array([float(v[y]) for y in years])
            return np.full(len(years), float(v))

        if self.cap_yen is not None:
            out = series(self.cap_yen, "cap_yen")
        else:
            out = self.share * series(self.projected_budget_yen, "projected_budget_yen")
        if (out < 0).any():
            raise ModelConfigError("budget caps must be >= 0")
        return out


def _as_budget(budget) -> Budget:
    if isinstance(budget, Budget):
        return budget
    if isinstance(budget, (int, float)):
        return Budget(cap_yen=float(budget))
    if isinstance(budget, Mapping):
        return Budget(cap_yen={int(k): float(v) for k, v in budget.items()})
    raise ModelConfigError(f"budget must be a Budget, a number (yen/year) or a {{year: yen}} mapping, not {budget!r}")


# --------------------------------------------------------------------------------------------------
# events per building


def _buildings(facilities: pd.DataFrame) -> pd.DataFrame:
    """One row per building: id, category (of the facility named like the building, else the largest)."""
    f = facilities.copy()
    f["facility_id"] = f["facility_id"].astype(str)
    f["building_id"] = f["building_id"].astype(str) if "building_id" in f.columns else f["facility_id"]
    f = f.sort_values(["building_id", "floor_area_m2", "facility_id"], ascending=[True, False, True], kind="mergesort")
    main = f.drop_duplicates("building_id")[["building_id", "facility_id", "category"]].set_index("building_id")
    named = f[f["facility_id"] == f["building_id"]].set_index("building_id")["category"]
    cat = main["category"].copy()
    cat.loc[named.index] = named
    area = f.groupby("building_id")["floor_area_m2"].sum()
    main_year = f.drop_duplicates("building_id").set_index("building_id")["year_built"]
    named_year = f[f["facility_id"] == f["building_id"]].set_index("building_id")["year_built"]
    main_year.loc[named_year.index] = named_year
    return pd.DataFrame({"building_id": cat.index, "category": cat.to_numpy(), "floor_area_m2": area.reindex(cat.index).to_numpy(),
                         "year_built": main_year.reindex(cat.index).to_numpy(dtype=np.int64)})


def _one_cycle_per_building(facilities: pd.DataFrame) -> pd.DataFrame:
    """Facilities of one building share its life cycle: their year_built is set to the building's
    (that of the facility named like the building, else of the largest); the change is logged."""
    if "building_id" not in facilities.columns:
        return facilities
    bld = _buildings(facilities).set_index("building_id")["year_built"]
    yb = facilities["building_id"].astype(str).map(bld).to_numpy()
    changed = yb != facilities["year_built"].to_numpy()
    if changed.any():
        log.info("schedule: %d facilities take their building's construction year (one life cycle per building): %s",
                 int(changed.sum()), ", ".join(sorted(facilities.loc[changed, "facility_id"].astype(str))[:10]))
        facilities = facilities.assign(year_built=yb)
    return facilities


def _events_by_building(facilities: pd.DataFrame, fac_building: pd.Series, **kw) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Facility events summed per building; plus each event's cost share by facility category."""
    ev = renewal_events(facilities, **kw)
    if ev.empty:
        empty = pd.DataFrame(columns=["building_id", "kind", "cycle", "due_year", "backlog", "spread_years",
                                      "cost_yen", "demolition_yen", "floor_area_m2"])
        return empty, pd.DataFrame(columns=["building_id", "kind", "cycle", "due_year", "category", "cost_yen"])
    ev["building_id"] = fac_building.reindex(ev["facility_id"]).to_numpy()
    key = ["building_id", "kind", "cycle", "due_year", "backlog", "spread_years"]
    agg = ev.groupby(key, as_index=False, sort=True)[["cost_yen", "demolition_yen", "floor_area_m2"]].sum()
    ev["total"] = ev["cost_yen"] + ev["demolition_yen"]
    cats = ev.groupby(["building_id", "kind", "cycle", "due_year", "category"], as_index=False, sort=True)["total"].sum()
    return agg, cats.rename(columns={"total": "cost_yen"})


# --------------------------------------------------------------------------------------------------
# the result


@dataclass(frozen=True)
class ScheduleResult:
    """A renewal schedule: per-event table, per-year table, summary and solver report.

    ``buildings``: one row per (building, event): ``building_id, category, event, cycle, due_year,
    scheduled_year`` (<NA> when deferred), ``end_year, deferred, delay_years`` (against the due year;
    for a deferred event the delay at the horizon end), ``added_delay_years`` (against
    ``max(due, start)``: what the schedule adds), ``preventive, cost_yen, penalty_yen, host, reason``.

    ``years``: one row per year: ``spend_<category>`` columns, ``spend_yen`` (capital, all
    categories), ``preventive_yen``, ``bond_proceeds_yen``, ``bond_repayment_yen``, ``charged_yen``
    (what the year's budget pays: spend − proceeds + repayment + preventive), ``cap_yen``,
    ``fund_balance_yen``, ``unlevelled_yen`` (the renewal model's projection: every event in its due
    year, backlog spread by the 総務省 convention).
    """

    buildings: pd.DataFrame
    years: pd.DataFrame
    summary: dict[str, Any]
    info: SolveInfo
    mode: Literal["cap", "min_budget", "plan"]
    start_year: int
    horizon_years: int
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __repr__(self) -> str:
        s = self.summary
        lvl = f", level budget {s['level_budget_yen'] / OKU_YEN:,.1f} oku/yr" if s.get("level_budget_yen") else ""
        return (f"ScheduleResult({self.mode}{lvl}: {s['events']} events of {s['buildings']} buildings, "
                f"total {s['total_cost_yen'] / OKU_YEN:,.1f} oku (penalties {s['penalty_yen'] / OKU_YEN:,.1f}); "
                f"{s['buildings_past_due']} buildings past due (max {s['max_delay_years']} y), "
                f"{s['events_deferred']} deferred; {self.info})")

    def to_files(self, folder: str | Path) -> dict[str, Path]:
        """Write ``schedule_buildings.csv``, ``schedule_years.csv``, ``schedule_summary.json`` atomically.

        No wall-clock values are written, so identical input gives identical files.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        b = self.buildings.copy()
        for c in ("cost_yen", "penalty_yen"):
            b[c] = b[c].round(0)
        y = self.years.copy()
        money = [c for c in y.columns if c.endswith("_yen")]
        y[money] = y[money].round(0)
        paths = {
            "buildings": atomic_write_text(folder / "schedule_buildings.csv", b.to_csv(index=False, lineterminator="\n")),
            "years": atomic_write_text(folder / "schedule_years.csv", y.to_csv(index=False, lineterminator="\n")),
            "summary": atomic_write_text(folder / "schedule_summary.json", json.dumps(
                {**self.summary, "solver": {k: v for k, v in self.info.to_dict().items() if not k.endswith("seconds")}},
                ensure_ascii=False, sort_keys=True, indent=1) + "\n"),
        }
        return paths

    def plot(self, ax=None):
        """See :func:`plot_schedule`."""
        return plot_schedule(self, ax=ax)


def plot_schedule(result: ScheduleResult, ax=None):
    """Spend per year before (unlevelled: every event in its due year) and after (the schedule), in 億円.

    Grey bars: the renewal model's projection; coloured stacked bars: the scheduled capital spend by
    category; a red line: the cap (or the level budget); a dashed line: what the budget is charged
    when bonds or preventive maintenance change it. Returns the matplotlib Figure.
    """
    import matplotlib
    from matplotlib.figure import Figure

    if ax is None:
        fig = Figure(figsize=(11, 4.8))
        ax = fig.subplots()
    else:
        fig = ax.figure
    y = result.years
    yrs = y["year"].to_numpy()
    ax.bar(yrs - 0.2, y["unlevelled_yen"] / OKU_YEN, width=0.4, color="0.75",
           label="keep everything" if result.mode == "plan" else "before (unlevelled)")
    cats = [c for c in y.columns if c.startswith("spend_") and c != "spend_yen"]
    bottom = np.zeros(len(y))
    cmap = matplotlib.colormaps["tab20"]
    for i, c in enumerate(cats):
        v = y[c].to_numpy() / OKU_YEN
        if v.sum() <= 0:
            continue
        ax.bar(yrs + 0.2, v, bottom=bottom, width=0.4, color=cmap(i % 20), label=f"after: {c[6:]}")
        bottom += v
    ax.step(np.r_[yrs, yrs[-1] + 1] - 0.5, np.r_[y["cap_yen"], y["cap_yen"].iat[-1]] / OKU_YEN, where="post",
            color="red", linewidth=1.5, label="cap" if result.mode == "cap" else "level budget")
    charged = y["charged_yen"].to_numpy()
    if not np.allclose(charged, y["spend_yen"].to_numpy()):
        ax.plot(yrs + 0.2, charged / OKU_YEN, "k--", linewidth=1, label="charged to the budget")
    s = result.summary
    ax.set_xlabel("year")
    ax.set_ylabel(_OKU_LABEL)
    cap = s.get("level_budget_yen") or s.get("mean_cap_yen")
    if result.mode == "plan":  # the portfolio plan's own years (plan_schedule); the budget may be absent
        budget = "no annual budget" if cap is None else f"budget {cap / OKU_YEN:,.1f} oku-yen/year"
        ax.set_title(f"Renewal spend per year of the portfolio plan ({budget}): {s['events_done']} events done, "
                     f"{s['events_deferred']} deferred, {s['events_dropped']} dropped with their site")
    else:
        ax.set_title(f"Renewal spend per year, {'level budget' if result.mode == 'min_budget' else 'cap'} "
                     f"{cap / OKU_YEN:,.1f} oku-yen/year: {s['buildings_delayed_by_schedule']} buildings delayed, "
                     f"{s['events_deferred']} events deferred")
    ax.legend(fontsize=7, ncol=2, loc="upper right")
    fig.tight_layout()
    return fig


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
    v += [f"{yrs[i]}: events add up to {spend[i]:,.0f} yen but the table says {y['spend_yen'].iat[i]:,.0f}" for i in bad]
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
    over = b[lim.notna() & ((b["deferred"] & (lim.fillna(0) <= last))
                            | (b["scheduled_year"].fillna(-1) > lim.fillna(10**6)))]
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


# --------------------------------------------------------------------------------------------------
# building the model


@dataclass
class _Prepared:
    ev: pd.DataFrame        # one row per (group, event): group, building ids, due, window...
    opt: pd.DataFrame       # one row per (event, option): ev, year (last + 1 = deferred), variant, coef
    need: np.ndarray        # (n_opt, H) what the option charges to each year's budget (yen)
    spend: np.ndarray       # (n_opt, H) capital spend (yen)
    groups: pd.DataFrame    # group, n, building ids (list), category, floor_area_m2, pm eligible
    ties: dict[str, str]
    cats: pd.DataFrame
    first: int
    last: int


def event_risk(cost, area, is_rebuild, due, first, y, pen: Penalties):
    """Risk + overdue-upkeep cost (yen) of doing an event due ``due`` in year ``y`` (arrays): the
    deferral penalty, charged only for years from the start year ``first`` on."""
    k0 = np.maximum(due, first) - due + 1
    k1 = y - due
    m = np.maximum(k1 - k0 + 1, 0)
    yrs_sum = np.where(m > 0, (k0 + k1) * m / 2.0, 0.0)
    return cost * (pen.risk_linear * m + pen.risk_quadratic * yrs_sum) + np.where(
        is_rebuild, area * pen.deferred_rebuild_maintenance_yen_per_m2 * m, 0.0)


def event_windows(ev: pd.DataFrame, params: ScheduleParams, first: int, last: int, *, mode: str = "cap",
                  within: str = "windows", no_preventive: pd.Series | np.ndarray | None = None) -> pd.DataFrame:
    """When each event may start: ``earliest``, ``latest`` (in the horizon), ``limit`` (hard limit
    year or NaN), ``can_defer`` (may run past the horizon) and ``pm`` (a preventive variant exists).

    ``ev`` has one row per event: ``group`` (events of one building share it, in chain order),
    ``kind, cycle, due_year, backlog, category``. Shared by the scheduler and the portfolio model.
    """
    ev = ev.copy()
    win = {c: params.window(c) for c in ev["category"].unique()}
    due = ev["due_year"].to_numpy(dtype=np.int64)
    base = np.maximum(due, first)
    early = np.array([win[c].early_years for c in ev["category"]], dtype=np.int64)
    late = np.array([win[c].late_years for c in ev["category"]], dtype=np.int64)
    hard = np.array([np.nan if win[c].hard_limit_years is None else win[c].hard_limit_years for c in ev["category"]])
    prev_kind = ev.groupby("group")["kind"].shift(1)
    next_cycle = (prev_kind == "rebuild").to_numpy()  # consequences of a rebuild: no hard limit of their own
    limit = np.where(np.isnan(hard) | next_cycle, np.nan, base + np.nan_to_num(hard))
    if mode == "min_budget" and within == "windows":
        limit = np.where(next_cycle, np.nan, np.fmin(limit, base + late))
    ev["earliest"] = np.maximum(first, due - early)
    latest = np.minimum(base + late, last)
    ev["limit"] = limit
    ev["latest"] = np.where(np.isnan(limit), latest, np.minimum(latest, limit)).astype(np.int64)
    ev["can_defer"] = np.isnan(limit) | (limit > last)
    pm = params.preventive
    ev["pm"] = False
    if pm is not None:
        ok = ((ev["kind"] == "rebuild") & (ev["cycle"] == 0) & ~ev["backlog"]
              & (ev["due_year"] >= first + pm.min_years_to_due))
        if no_preventive is not None:
            ok &= ~np.asarray(no_preventive, dtype=bool)
        if pm.categories is not None:
            ok &= ev["category"].isin(pm.categories)
        ev["pm"] = ok.to_numpy()
    return ev


def event_options(ev: pd.DataFrame, params: ScheduleParams, first: int, last: int, *, discount_rate: float = 0.0,
                  follow: Mapping[int, int] | None = None) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Every way each event may be done: one row per (event, variant, start year); ``last + 1`` = deferred.

    Returns ``(opt, spend, need)``: ``opt`` has ``e, variant, due, year, closed`` and the option's
    cost parts in yen (``capital`` (discounted), ``risk``, ``early``, ``interest``, ``pm_cost``, and
    ``coef`` = their sum); ``spend`` (options × years) is the capital spent each year and ``need``
    what the year's budget is charged (after bond proceeds and repayments, plus preventive
    maintenance). ``ev`` comes from :func:`event_windows` with ``e`` (row id), ``cost_yen`` (incl.
    demolition), ``floor_area_m2``, ``spread_years``, ``building_id``. ``follow`` maps an event to
    another event whose years it must take (a co-located guest's rebuild follows its host's).
    Shared by the scheduler and the portfolio model.
    """
    H = last - first + 1
    pen, pm = params.penalties, params.preventive
    win = {c: params.window(c) for c in ev["category"].unique()}
    rows = []
    for r in ev.itertuples(index=False):
        variants = [(0, int(r.due_year), int(r.earliest), int(r.latest), bool(r.can_defer))]
        if r.pm:
            d2 = int(r.due_year) + pm.extension_years
            b2 = max(d2, first)
            lat2 = min(b2 + win[r.category].late_years, last)
            if not np.isnan(r.limit):
                lim2 = b2 + (r.limit - max(int(r.due_year), first))
                lat2 = min(lat2, lim2)
                dfr2 = lim2 > last
            else:
                dfr2 = True
            variants.append((1, d2, max(first, d2 - win[r.category].early_years), lat2, dfr2))
        for var, d, e0, e1, dfr in variants:
            ys = list(range(e0, e1 + 1)) if e0 <= last else []
            if dfr:
                ys.append(last + 1)
            rows.append(pd.DataFrame({"e": r.e, "variant": var, "due": d, "year": ys}))
    opt = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["e", "variant", "due", "year"])
    opt["closed"] = False
    if follow:  # the follower takes its leader's years (any variant); years beyond its own limit closed
        E0 = ev.set_index("e")
        keep = ~opt["e"].isin(list(follow))
        extra = []
        for g_e, h_e in sorted(follow.items()):
            r = E0.loc[g_e]
            hy = sorted(set(opt.loc[opt["e"] == h_e, "year"]))
            lim = r["limit"]
            extra.append(pd.DataFrame({"e": g_e, "variant": 0, "due": int(r["due_year"]), "year": hy,
                                       "closed": [bool((y > last and not r["can_defer"])
                                                       or (not np.isnan(lim) and last >= y > lim)) for y in hy]}))
        opt = pd.concat([opt[keep], *extra], ignore_index=True)
    opt = opt.astype({"e": np.int64, "variant": np.int64, "due": np.int64, "year": np.int64, "closed": bool})
    opt = opt.sort_values(["e", "variant", "year"], kind="mergesort").reset_index(drop=True)

    E = ev.set_index("e")
    oe = opt["e"].to_numpy()
    cost = E["cost_yen"].to_numpy(dtype=float)[oe]
    area = E["floor_area_m2"].to_numpy(dtype=float)[oe]
    is_reb = (E["kind"].to_numpy() == "rebuild")[oe]
    spread = E["spread_years"].to_numpy(dtype=np.int64)[oe]
    y = opt["year"].to_numpy()
    d = opt["due"].to_numpy()
    deferred = y > last
    y_eff = np.where(deferred, last + 1 + pen.defer_tail_years, y)
    risk = event_risk(cost, area, is_reb, d, first, y_eff, pen)
    guest = np.isin(oe, list(follow or {}))
    early_pen = np.where(guest, 0.0, cost * pen.early_share_per_year * np.maximum(d - y, 0))
    capital = cost / (1.0 + discount_rate) ** (np.minimum(y, last + 1) - first)
    interest = np.zeros(len(opt))
    if params.bonds is not None:
        bd = params.bonds
        interest = np.where(is_reb, bd.share * cost * (bd.annuity() * bd.years - 1.0), 0.0)
    pm_cost = np.where(opt["variant"].to_numpy() == 1, area * (pm.yen_per_m2_year if pm else 0.0) * H, 0.0)
    opt["capital"] = capital
    opt["risk"] = risk
    opt["early"] = early_pen
    opt["interest"] = interest
    opt["pm_cost"] = pm_cost
    opt["coef"] = capital + risk + early_pen + interest + pm_cost

    n_opt = len(opt)
    spend = np.zeros((n_opt, H))
    rows_i = np.arange(n_opt)
    for k in range(int(spread.max()) if n_opt else 0):
        t = y + k - first
        ok = (k < spread) & (t >= 0) & (t < H)
        spend[rows_i[ok], t[ok]] += cost[ok] / spread[ok]
    need = spend.copy()
    if params.bonds is not None:
        bd = params.bonds
        fin = spend * (bd.share * is_reb)[:, None]
        need -= fin
        a = bd.annuity()
        for lag in range(1, bd.years + 1):
            if lag < H:
                need[:, lag:] += a * fin[:, :-lag]
    if pm is not None:  # preventive maintenance is paid every year by the chosen variant
        need += (pm_cost / H)[:, None]
    return opt, spend, need


def _prepare(facilities, *, start_year, horizon, params: ScheduleParams, rparams: RenewalCostParams,
             catalogue: Catalogue, ties: Mapping[str, str], mode: str, within: str) -> _Prepared:
    first, last = int(start_year), int(start_year) + horizon - 1
    H = horizon
    bld = _buildings(facilities)
    fac_building = pd.Series(
        (facilities["building_id"] if "building_id" in facilities.columns else facilities["facility_id"]).astype(str).to_numpy(),
        index=facilities["facility_id"].astype(str).to_numpy())
    kw = dict(start_year=first, params=rparams, catalogue=catalogue)
    ev, cats = _events_by_building(facilities, fac_building, horizon_years=horizon, **kw)

    # ---- ties: resolve chains, check ids, make sure hosts and guests have a rebuild event
    bids = set(bld["building_id"])
    tie: dict[str, str] = {}
    issues = []
    for g, h in sorted(ties.items()):
        g, h = str(g), str(h)
        if g not in bids or h not in bids:
            issues.append(DataIssue("ties", None, "building_id", f"tie {g} -> {h}: unknown building {g if g not in bids else h}"))
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
    tied = set(tie) | set(tie.values())
    if tied:
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
        ev = ev[~after.to_numpy()]
    ev = ev.merge(bld[["building_id", "category"]], on="building_id", how="left")
    ev["cost_yen"] = ev["cost_yen"] + ev["demolition_yen"]
    ev = ev.sort_values(["building_id", "due_year", "kind"], kind="mergesort").reset_index(drop=True)

    # ---- group identical buildings (no ties) into cohorts
    sig_cols = ["kind", "cycle", "due_year", "backlog", "spread_years", "cost_yen", "floor_area_m2", "category"]
    sig = {}
    for b, g in ev.groupby("building_id", sort=True):
        sig[b] = tuple(tuple(round(x, 3) if isinstance(x, float) else x for x in row)
                       for row in g[sig_cols].itertuples(index=False, name=None))
    catsig = {b: tuple(map(tuple, g[["category", "cost_yen"]].round(3).to_numpy().tolist()))
              for b, g in cats.groupby("building_id", sort=True)}
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

    guest_reb = (ev["building_id"].isin(list(tie)) & (ev["kind"] == "rebuild")).to_numpy()
    ev = event_windows(ev, params, first, last, mode=mode, within=within,
                       no_preventive=ev["building_id"].isin(list(tie)).to_numpy())
    follow = None
    if tie:  # a guest's rebuild takes its host's years (any variant)
        host_reb = ev[ev["kind"] == "rebuild"].drop_duplicates("building_id").set_index("building_id")["e"]
        follow = {int(r.e): int(host_reb[tie[r.building_id]]) for r in ev[guest_reb].itertuples(index=False)}
    opt, spend, need = event_options(ev, params, first, last, discount_rate=rparams.discount_rate, follow=follow)

    groups = pd.DataFrame({"group": list(members), "n": [len(v) for v in members.values()],
                           "members": list(members.values())})
    return _Prepared(ev=ev, opt=opt, need=need, spend=spend, groups=groups, ties=tie, cats=cats,
                     first=first, last=last)


def _precheck(P: _Prepared, caps: np.ndarray, fund: Fund | None) -> None:
    """Raise InfeasibleError when the events that must be done by their hard limit cannot fit.

    Each such event is placed as late as it may go (which charges the least by any year); if the
    cumulative charge by year t exceeds the cumulative cap (+ usable fund) by t, no schedule exists.
    """
    ev, opt = P.ev, P.opt
    must_e = ev.loc[~ev["can_defer"], "e"].to_numpy()
    if len(must_e) == 0:
        return
    sel = np.flatnonzero(opt["e"].isin(must_e).to_numpy() & ~opt["closed"].to_numpy())
    e_sel = opt["e"].to_numpy()[sel]
    starts = np.flatnonzero(np.r_[True, e_sel[1:] != e_sel[:-1]])
    cum = np.cumsum(P.need[sel], axis=1)
    least = np.minimum.reduceat(cum, starts, axis=0)  # per event: the least it must be charged by each year
    evs = e_sel[starts]
    n = ev.set_index("e").loc[evs, "n"].to_numpy()
    least = least * n[:, None]
    cum_need = least.sum(axis=0)
    allow = np.cumsum(caps) + ((fund.initial_yen - fund.min_balance_yen) if fund else 0.0)
    bad = np.flatnonzero(cum_need > allow * (1 + 1e-9) + 1.0)
    if fund is None:  # without a fund, each year on its own: the least each event is charged that year
        yearly = np.minimum.reduceat(P.need[sel], starts, axis=0) * n[:, None]
        bad_y = np.flatnonzero(yearly.sum(axis=0) > caps * (1 + 1e-9) + 1.0)
        if len(bad_y) and (not len(bad) or bad_y[0] <= bad[0]):
            t = int(bad_y[0])
            _raise_short(P, evs, yearly[:, t], P.first + t, yearly[:, t].sum(), caps[t], "in", fund)
    if not len(bad):
        return
    t = int(bad[0])
    _raise_short(P, evs, least[:, t], P.first + t, cum_need[t], allow[t], "by", fund)


def _raise_short(P: _Prepared, evs, contrib, year, need, allow, by, fund) -> None:
    ev = P.ev
    order = np.argsort(-contrib, kind="mergesort")
    E = ev.set_index("e")
    reasons = []
    grp = P.groups.set_index("group")
    for i in order[:15]:
        if contrib[i] <= 0:
            break
        r = E.loc[int(evs[i])]
        who = grp.loc[r["group"], "members"]
        name = who[0] if len(who) == 1 else f"{who[0]} (and {_n(len(who) - 1, 'identical building')})"
        reasons.append(f"{name} ({r['category']}): {r['kind']} due {int(r['due_year'])}, hard limit "
                       f"{int(r['limit'])}, needs {contrib[i] / OKU_YEN:,.2f} oku-yen {by} {year}")
    fix = "raise the caps in or before that year, add a reserve fund or bonds, or relax hard_limit_years"
    raise InfeasibleError(
        f"the annual caps cannot pay for the buildings that may not be delayed past their hard limit: {by} {year} "
        f"they need at least {need / OKU_YEN:,.2f} oku-yen but "
        f"{'the caps and fund allow' if fund else ('the cap allows' if by == 'in' else 'the caps allow')} "
        f"{allow / OKU_YEN:,.2f} (shortfall {(need - allow) / OKU_YEN:,.2f}); {fix}. Largest:",
        reasons)


def order_rows(ev: pd.DataFrame, opt: pd.DataFrame, last: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Rows ``sum x[plus] - sum x[minus] <= 0`` keeping the events of a building in order.

    An event starts only after the previous one of its building has finished (its spread years);
    an event after a rebuild keeps its distance (due years) to the rebuild. ``opt`` rows are sorted
    by event (:func:`event_options`). Returns (name, plus option rows, minus option rows).
    """
    oe = opt["e"].to_numpy()
    yr = opt["year"].to_numpy()
    bounds = np.flatnonzero(np.r_[True, oe[1:] != oe[:-1], True])
    by_e = {int(oe[bounds[j]]): np.arange(bounds[j], bounds[j + 1]) for j in range(len(bounds) - 1)}
    E = ev.reset_index(drop=True)
    out = []
    for j in range(1, len(E)):
        if E["group"].iat[j] != E["group"].iat[j - 1]:
            continue
        a, b = int(E["e"].iat[j - 1]), int(E["e"].iat[j])
        a_reb = E["kind"].iat[j - 1] == "rebuild"
        gap = int(E["due_year"].iat[j] - E["due_year"].iat[j - 1]) if a_reb else int(E["spread_years"].iat[j - 1])
        ia, ib = by_e[a], by_e[b]
        ya, yb = yr[ia], yr[ib]
        a_defer = ia[ya > last]
        a_max = ya[ya <= last].max(initial=-10**6)
        yb_in = yb[yb <= last]
        for t in range(int(yb_in.min(initial=last + 1)), last + 1):
            if a_max <= t - gap and (not a_reb or len(a_defer) == 0):
                break
            minus = ia[ya <= t - gap]
            if not a_reb:
                minus = np.r_[minus, a_defer]
            out.append((f"order_{a}_{b}_{t}", ib[yb <= t], minus))
    return out


class _Model:
    """The PuLP model for prepared options; caps fixed (``caps``) or a level budget variable."""

    def __init__(self, P: _Prepared, params: ScheduleParams, caps: np.ndarray | None, elastic: bool = False):
        self.P = P
        ev, opt = P.ev, P.opt
        H = P.last - P.first + 1
        prob = pulp.LpProblem("renewal_schedule", pulp.LpMinimize)
        n_of = ev.set_index("e")["n"].to_numpy()
        x = prob.add_variable_matrix("x", range(len(opt)), lowBound=0, upBound=1, cat="Integer")
        oe = opt["e"].to_numpy()
        for i in np.flatnonzero(n_of[oe] > 1):
            x[i].upBound = float(n_of[oe[i]])
        for i in np.flatnonzero(opt["closed"].to_numpy()):
            x[i].upBound = 0.0
        self.x = x
        # exactly one option per event (n per cohort)
        bounds = np.flatnonzero(np.r_[True, oe[1:] != oe[:-1], True])
        for j in range(len(bounds) - 1):
            a, b = bounds[j], bounds[j + 1]
            prob.addConstraint(pulp.lpSum_vars(x[a:b]) == float(n_of[oe[a]]), name=f"one_{oe[a]}")
        # order within a building
        yr = opt["year"].to_numpy()
        by_e = {int(oe[bounds[j]]): np.arange(bounds[j], bounds[j + 1]) for j in range(len(bounds) - 1)}
        E = ev.reset_index(drop=True)
        for name, plus, minus in order_rows(ev, opt, P.last):
            prob.addConstraint(pulp.lpSum_vars_coefs([(x[i], 1.0) for i in plus] + [(x[i], -1.0) for i in minus]) <= 0,
                               name=name)
        # ties: guest rebuild year == host rebuild year (any variant)
        if P.ties:
            reb = E[E["kind"] == "rebuild"].drop_duplicates("building_id").set_index("building_id")["e"]
            for g, h in sorted(P.ties.items()):
                ig, ih = by_e[int(reb[g])], by_e[int(reb[h])]
                for yv in sorted(set(yr[ih])):
                    terms = [(x[i], 1.0) for i in ig[yr[ig] == yv]] + [(x[i], -1.0) for i in ih[yr[ih] == yv]]
                    prob.addConstraint(pulp.lpSum_vars_coefs(terms) == 0, name=f"tie_{g}_{yv}")
        # money
        self.B = None
        if caps is None:
            self.B = prob.add_variable("level_budget", lowBound=0)
        fund = params.fund
        bal = prob.add_variable_matrix("fund", range(H), lowBound=fund.min_balance_yen / _SCALE) if fund else None
        self.bal = bal
        slack = prob.add_variable_matrix("shortfall", range(H), lowBound=0) if elastic else None
        self.slack = slack
        need = P.need / _SCALE
        nz_i, nz_t = np.nonzero(need)
        order = np.argsort(nz_t, kind="mergesort")
        nz_i, nz_t = nz_i[order], nz_t[order]
        cuts = np.searchsorted(nz_t, np.arange(H + 1))
        for t in range(H):
            ii = nz_i[cuts[t]:cuts[t + 1]]
            terms = list(zip([x[i] for i in ii], need[ii, t].tolist()))
            rhs = 0.0 if caps is None else float(caps[t]) / _SCALE
            if caps is None:
                terms.append((self.B, -1.0))
            if slack is not None:
                terms.append((slack[t], -1.0))
            if fund:
                terms.append((bal[t], 1.0))
                if t > 0:
                    terms.append((bal[t - 1], -1.0))
                else:
                    rhs += fund.initial_yen / _SCALE
                prob.addConstraint(pulp.lpSum_vars_coefs(terms) == rhs, name=f"money_{t}")
            else:
                prob.addConstraint(pulp.lpSum_vars_coefs(terms) <= rhs, name=f"money_{t}")
        # deterministic tie-break (a few yen): among equal schedules, buildings earlier in id order go first
        grank = ev.set_index("e")["group"].to_numpy()[oe]
        tie_break = 1e-6 * (grank.max() + 1 - grank) / (grank.max() + 1) * np.minimum(yr - P.first, H) / H
        self.coef = (opt["coef"].to_numpy() / _SCALE) + tie_break
        self.prob = prob

    def objective_cost(self, extra: list | None = None):
        terms = list(zip(self.x, self.coef.tolist()))
        self.prob.setObjective(pulp.lpSum_vars_coefs(terms + (extra or [])))

    def values(self) -> np.ndarray:
        return np.array([round(v.value() or 0.0) for v in self.x], dtype=np.int64)


# --------------------------------------------------------------------------------------------------
# the entry point


def plan_buildings(plan, ward) -> pd.DataFrame:
    """The buildings a portfolio plan keeps, ready for :func:`schedule_renewals`.

    One row per existing site the plan keeps open (a site is a building: the facilities sharing a
    ``building_id``), with the floor area *after* the plan, so the floor of services co-located
    into a host is renewed with the host (its rebuild carries them: the co-location tie holds by
    construction). Closed sites are left out (they close at their change year instead of being
    renewed) and so are new buildings (built in the horizon, not due for renewal within it).
    ``year_built`` is the main facility's (the one whose id is the site id), else the oldest.
    """
    sites = plan.frame("sites")
    kept = sites[(sites["kind"] == "existing") & sites["open_after"]]
    f = pd.DataFrame(ward.facilities.drop(columns="geometry"))
    f["site_id"] = f["building_id"].where(f["building_id"].notna() & (f["building_id"] != ""), f["facility_id"])
    main = f[f["facility_id"] == f["site_id"]].set_index("site_id")["year_built"]
    oldest = f.groupby("site_id")["year_built"].min()
    year = main.reindex(kept["site_id"]).fillna(oldest.reindex(kept["site_id"]))
    if year.isna().any():
        missing = sorted(kept["site_id"][year.isna().to_numpy()])[:10]
        raise DataValidationError([DataIssue("plan", None, "site_id",
                                             f"sites of the plan not in the ward's facilities: {missing}")])
    return pd.DataFrame({"facility_id": kept["site_id"].to_numpy(), "building_id": kept["site_id"].to_numpy(),
                         "category": kept["category"].to_numpy(), "floor_area_m2": kept["floor_after_m2"].to_numpy(),
                         "year_built": year.astype(int).to_numpy()}).sort_values("facility_id", kind="mergesort",
                                                                                 ignore_index=True)


def plan_schedule(plan) -> ScheduleResult:
    """The renewal schedule of a portfolio plan, as the portfolio model scheduled it (no re-solve).

    The multi-year portfolio model places every renewal event of the buildings it keeps in a year
    (``plan.events``) under the same windows, penalties and budget as :func:`schedule_renewals`; this
    turns those years into a :class:`ScheduleResult`, so ``facility-opt schedule --plan`` reports the
    plan's own years instead of scheduling the kept buildings again (which could disagree with it).

    ``buildings`` has one row per event of ``plan.events`` (``building_id`` = site id) with its
    ``status`` (done, deferred, or dropped because the site closes first: ``closure_year``);
    ``years`` has the renewal ``spend_yen`` of the events done (by category), ``charged_yen`` = the
    plan's yearly spend charged to the budget (renewal, new floor, land: ``plan.years``),
    ``cap_yen`` its budget (NaN without one) and ``unlevelled_yen`` the renewal spend of keeping
    everything (``plan.baseline_events``).
    """
    first, H = int(plan.start_year), int(plan.horizon_years)
    last = first + H - 1
    yrs = np.arange(first, last + 1)
    cat = {s.site_id: s.category for s in plan.sites}
    ev = plan.frame("events").sort_values(["site_id", "due_year", "kind"], kind="mergesort").reset_index(drop=True)
    done = ev["status"] == "done"
    deferred = ev["status"] == "deferred"
    year = ev["year"].astype("Int64")
    spread = (ev["end_year"] - ev["year"] + 1).astype("Int64")
    due = ev["due_year"].astype(np.int64)
    at = np.where(done, year.fillna(0).astype(np.int64),
                  np.where(deferred, last + 1, ev["closure_year"].fillna(last + 1).astype(np.int64)))
    reasons = []
    for r, y in zip(ev.itertuples(index=False), at):
        if r.status == "done":
            reasons.append(f"{r.kind} {int(r.year)}-{int(r.end_year)} (due {r.due_year})")
        elif r.status == "deferred":
            reasons.append(f"{r.kind} deferred past {last} (due {r.due_year})")
        else:
            reasons.append(f"{r.kind} dropped: the site closes in {int(r.closure_year)} (due {r.due_year})")
    out = pd.DataFrame({
        "building_id": ev["site_id"], "category": ev["site_id"].map(cat), "event": ev["kind"],
        "cycle": ev["cycle"].astype(np.int64), "due_year": due, "status": ev["status"],
        "scheduled_year": year.where(done), "end_year": ev["end_year"].astype("Int64").where(done),
        "spread_years": spread.where(done), "deferred": deferred.to_numpy(),
        "closure_year": ev["closure_year"].astype("Int64"),
        "delay_years": (at - due).astype(np.int64), "added_delay_years": (at - np.maximum(due, first)).astype(np.int64),
        "backlog": (due < first), "preventive": (ev["variant"] == 1).to_numpy(),
        "cost_yen": ev["cost_yen"].astype(float), "penalty_yen": ev["penalty_yen"].astype(float), "reason": reasons})

    def spread_spend(rows: pd.DataFrame) -> dict[str, np.ndarray]:
        by: dict[str, np.ndarray] = {}
        for r in rows.itertuples(index=False):
            v = by.setdefault(cat.get(r.site_id, "other"), np.zeros(H))
            n = int(r.end_year) - int(r.year) + 1
            for k in range(n):
                if first <= int(r.year) + k <= last:
                    v[int(r.year) + k - first] += float(r.cost_yen) / n
        return by

    spend_cat = spread_spend(ev[done])
    base = pd.DataFrame([e.model_dump() for e in plan.baseline_events],
                                                                    columns=list(ev.columns))
    unlevelled = sum(spread_spend(base[base["status"] == "done"]).values(), np.zeros(H))
    py = plan.frame("years").groupby("year", sort=True).agg(charged=("spend_yen", "first"), cap=("budget_yen", "first"))
    py = py.reindex(yrs)
    spend = sum(spend_cat.values(), np.zeros(H))
    years = pd.DataFrame({"year": yrs, **{f"spend_{c}": spend_cat[c] for c in sorted(spend_cat)}, "spend_yen": spend,
                          "charged_yen": py["charged"].to_numpy(dtype=float),
                          "cap_yen": pd.to_numeric(py["cap"], errors="coerce").to_numpy(dtype=float),
                          "unlevelled_yen": unlevelled})
    late = out[out["delay_years"] > 0]
    k = plan.kpis
    summary = {
        "mode": "plan", "start_year": first, "horizon_years": H, "buildings": int(out["building_id"].nunique()),
        "events": int(len(out)), "events_done": int(done.sum()), "events_deferred": int(deferred.sum()),
        "events_dropped": int((ev["status"] == "dropped").sum()),
        "capital_yen": round(float(ev.loc[done | deferred, "cost_yen"].sum()), 0),
        "penalty_yen": round(float(ev["penalty_yen"].sum()), 0),
        "total_cost_yen": round(float(ev.loc[done | deferred, "cost_yen"].sum() + ev["penalty_yen"].sum()), 0),
        "spend_in_horizon_yen": round(float(spend.sum()), 0), "spend_peak_yen": round(float(spend.max()), 0),
        "charged_peak_yen": round(float(np.nanmax(years["charged_yen"])), 0) if H else 0.0,
        "unlevelled_in_horizon_yen": round(float(unlevelled.sum()), 0),
        "unlevelled_peak_yen": round(float(unlevelled.max()), 0),
        "mean_cap_yen": None if np.isnan(years["cap_yen"]).all() else round(float(np.nanmean(years["cap_yen"])), 0),
        "level_budget_yen": k.level_budget_yen,
        "buildings_past_due": int(late["building_id"].nunique()), "events_past_due": int(len(late)),
        "events_delayed_by_schedule": int((out["added_delay_years"] > 0).sum()),
        "buildings_delayed_by_schedule": int(out.loc[out["added_delay_years"] > 0, "building_id"].nunique()),
        "max_delay_years": int(out["delay_years"].max()) if len(out) else 0,
        "mean_added_delay_years": round(float(out["added_delay_years"].clip(lower=0).mean()), 2) if len(out) else 0.0,
    }
    info = SolveInfo(status=plan.solver.status, objective=plan.solver.objective_yen, bound=plan.solver.bound_yen,
                     gap=plan.solver.gap, build_seconds=0.0, solve_seconds=0.0, solver=plan.solver.solver)
    return ScheduleResult(buildings=out, years=years, summary=summary, info=info, mode="plan", start_year=first,
                          horizon_years=H)

def schedule_renewals(
    facilities: pd.DataFrame,
    *,
    start_year: int,
    budget: Budget | float | Mapping[int, float] | None = None,
    min_budget: bool = False,
    min_budget_within: Literal["windows", "hard_limits"] = "windows",
    ties: Mapping[str, str] | pd.DataFrame | None = None,
    params: ScheduleParams | None = None,
    renewal_params: RenewalCostParams | None = None,
    catalogue: Catalogue | None = None,
    horizon_years: int | None = None,
    options: SolverOptions | None = None,
) -> ScheduleResult:
    """Schedule every building's renovations and rebuilds under an annual budget.

    Parameters
    ----------
    facilities : DataFrame
        ``facility_id, category, floor_area_m2, year_built`` and optionally ``building_id``
        (facilities sharing it are renewed together); the Ward's facilities, a portfolio plan's kept
        buildings, or :func:`facility_opt.costs.stock_buildings` for a type-level stock table.
    start_year : int
        First year of the horizon.
    budget : Budget, float (yen per year) or {year: yen}
        The annual caps (required unless ``min_budget``).
    min_budget : bool
        Find the smallest level annual budget instead (then the cheapest schedule at that level).
    min_budget_within : "windows" or "hard_limits"
        In min-budget mode, what every building must respect: its whole window (``late_years``;
        default) or only the hard limits of critical categories (others may be deferred).
    ties : {guest building: host building} or DataFrame ``building_id, host_building_id``
        Co-location ties from a portfolio plan: the guest is rebuilt with its host.
    params, renewal_params, catalogue, horizon_years
        Scheduling parameters (default ``models/renewal_schedule.yaml``), renewal-cost parameters
        (default 総務省), catalogue, horizon (default ``renewal_params.horizon_years``).
    options : SolverOptions
        Default: HiGHS, relative gap 0.1 %, 120 s per solve (min-budget mode solves twice).

    Returns
    -------
    ScheduleResult

    Raises
    ------
    InfeasibleError
        The caps cannot pay for the events bound by hard limits; the message names the first year
        that breaks and the buildings forcing it.
    SolverError
        The solver stopped without a schedule (time limit).

    Examples
    --------
    Two schools due in 2020 and a cap that pays for one rebuild at a time (1.1億 a year for 3 years):
    with the default penalties, bringing A forward 2 years and delaying B 1 year is cheapest.

    >>> import pandas as pd
    >>> f = pd.DataFrame({"facility_id": ["A", "B"], "category": ["primary_school"] * 2,
    ...                   "floor_area_m2": [1000.0, 1000.0], "year_built": [1960, 1960]})
    >>> r = schedule_renewals(f, start_year=2018, horizon_years=10, budget=1.1e8)
    >>> r.buildings[["building_id", "due_year", "scheduled_year"]].values.tolist()
    [['A', 2020, 2018], ['B', 2020, 2021]]
    """
    t0 = time.perf_counter()
    params = params or default_schedule_params()
    rparams = renewal_params or default_renewal_params()
    catalogue = catalogue or default_catalogue()
    horizon = int(horizon_years or rparams.horizon_years)
    if budget is None and not min_budget:
        raise ModelConfigError("give a budget (yen per year, a {year: yen} mapping or a Budget), or min_budget=True")
    if isinstance(ties, pd.DataFrame):
        if not {"building_id", "host_building_id"} <= set(ties.columns):
            raise DataValidationError([DataIssue("ties", None, "host_building_id",
                                                 "a tie table needs columns building_id, host_building_id")])
        ties = dict(zip(ties["building_id"].astype(str), ties["host_building_id"].astype(str)))
    issues = _validate_for_schedule(facilities, catalogue)
    if issues:
        raise DataValidationError(issues)
    facilities = _one_cycle_per_building(facilities)
    P = _prepare(facilities, start_year=start_year, horizon=horizon, params=params, rparams=rparams,
                 catalogue=catalogue, ties=ties or {}, mode="min_budget" if min_budget else "cap",
                 within=min_budget_within)
    years = np.arange(P.first, P.last + 1)
    opts = options or SolverOptions(gap_rel=1e-3, time_limit=120)
    level = None
    if min_budget:
        m = _Model(P, params, caps=None)
        build = time.perf_counter() - t0
        m.prob.setObjective(pulp.lpSum_vars_coefs([(m.B, 1.0)] + list(zip(m.x, (m.coef * 1e-9).tolist()))))
        info1 = solve(m.prob, opts, build_seconds=build)
        _require(info1, P, params, None)
        level = float(m.B.value()) * _SCALE
        level = np.ceil(level / 1e4 - 1e-9) * 1e4  # to the 万円, rounded up: the schedule stays feasible
        caps = np.full(len(years), level)
        # lexicographic second step on the same model: budget fixed, cheapest schedule, warm-started
        for v, val in zip(m.x, m.values()):
            v.setInitialValue(float(val))
        m.B.upBound = level / _SCALE
        m.B.setInitialValue(level / _SCALE)
        m.objective_cost()
        info = solve(m.prob, dataclasses.replace(opts, warm_start=True))
        _require(info, P, params, caps)
        model = m
        info = _merge_info(info1, info)
    else:
        caps = _as_budget(budget).caps(years)
        _precheck(P, caps, params.fund)
        model = _Model(P, params, caps=caps)
        model.objective_cost()
        info = solve(model.prob, opts, build_seconds=time.perf_counter() - t0)
        _require(info, P, params, caps)
    counts = model.values()
    return _assemble(P, params, rparams, catalogue, facilities, counts, caps, info, level,
                     "min_budget" if min_budget else "cap", horizon)


def _validate_for_schedule(facilities: pd.DataFrame, catalogue: Catalogue) -> list[DataIssue]:
    from .costs import _validate_facilities

    return _validate_facilities(facilities, catalogue)


def _merge_info(a: SolveInfo, b: SolveInfo) -> SolveInfo:
    return SolveInfo(status=b.status, objective=b.objective, bound=b.bound, gap=b.gap,
                     build_seconds=a.build_seconds + b.build_seconds, solve_seconds=a.solve_seconds + b.solve_seconds,
                     solver=b.solver, nodes=b.nodes, raw_status=b.raw_status,
                     extra={"level_gap": a.gap, "level_status": a.status})


def _require(info: SolveInfo, P: _Prepared, params: ScheduleParams, caps: np.ndarray | None) -> None:
    if info.status == "infeasible":
        raise _diagnose(P, params, caps)
    if not info.has_solution:
        raise SolverError(f"renewal schedule: the solver stopped with status {info.status} ({info.raw_status}) and "
                          "no schedule; raise the time limit (SolverOptions.time_limit) or loosen gap_rel")


def _diagnose(P: _Prepared, params: ScheduleParams, caps: np.ndarray | None) -> InfeasibleError:
    """Re-solve with a priced shortfall per year; name the years short and the events placed there."""
    if caps is None:
        return InfeasibleError("no schedule meets the windows and ties at any budget",
                               ["check co-location ties between buildings whose hard limits do not overlap"])
    m = _Model(P, params, caps=caps, elastic=True)
    big = 1e4 * max(1.0, float(P.opt["coef"].max()) / _SCALE)
    m.objective_cost([(s, big) for s in m.slack])
    info = solve(m.prob, SolverOptions(gap_rel=1e-3, time_limit=120))
    if not info.has_solution:
        return InfeasibleError("the schedule is infeasible for a reason other than the caps (ties or order)", [])
    short = np.array([s.value() or 0.0 for s in m.slack]) * _SCALE
    cnt = m.values()
    reasons = []
    E = P.ev.set_index("e")
    grp = P.groups.set_index("group")
    for t in np.flatnonzero(short > 1.0):
        year = P.first + int(t)
        sel = np.flatnonzero((cnt > 0) & (P.need[:, t] > 0))
        forced = [(P.need[i, t] * cnt[i], i) for i in sel if not bool(E.loc[P.opt["e"].iat[i], "can_defer"])]
        forced.sort(key=lambda z: -z[0])
        names = []
        for amt, i in forced[:5]:
            r = E.loc[P.opt["e"].iat[i]]
            who = grp.loc[r["group"], "members"]
            names.append(f"{who[0]}{'' if len(who) == 1 else f' (+{len(who) - 1})'} {r['kind']} "
                         f"(limit {int(r['limit'])}, {amt / OKU_YEN:,.1f})")
        reasons.append(f"{year}: short by {short[t] / OKU_YEN:,.1f} oku-yen; hard-limited work there: "
                       + (", ".join(names) or "none"))
    return InfeasibleError("the annual caps cannot pay for the buildings that may not be delayed past their hard "
                           "limit in these years; raise the caps there, add a fund or bonds, or relax hard_limit_years",
                           reasons)


def _assemble(P: _Prepared, params, rparams, catalogue, facilities, counts, caps, info, level, mode, horizon):
    ev, opt = P.ev, P.opt
    first, last = P.first, P.last
    E = ev.set_index("e")
    grp = P.groups.set_index("group")
    # ---- disaggregate cohorts: within a group, events in chain order, buildings matched by sorted years
    rows = []
    sel = np.flatnonzero(counts > 0)
    chosen = opt.iloc[sel].assign(count=counts[sel], oi=sel)
    for gid, gev in ev.groupby("group", sort=True):
        bs = grp.loc[gid, "members"]
        prev: dict[str, tuple] = {b: (-10**6,) for b in bs}  # sort key from the previous event
        for r in gev.itertuples(index=False):
            ch = chosen[chosen["e"] == r.e].sort_values(["year", "variant"], kind="mergesort")
            slots = [(int(c.year), int(c.variant), int(c.due), int(c.oi)) for c in ch.itertuples(index=False)
                     for _ in range(int(c.count))]
            order = sorted(bs, key=lambda b: (prev[b], b))
            for b, (yv, var, d, oi) in zip(order, slots):
                rows.append((b, r.e, yv, var, d, oi))
                deferred = yv > last
                prev[b] = ((-10**6,) if (deferred and r.kind != "rebuild") else (yv,))
    asg = pd.DataFrame(rows, columns=["building_id", "e", "year", "variant", "due", "oi"])
    asg = asg.merge(ev[["e", "kind", "cycle", "due_year", "backlog", "spread_years", "category", "floor_area_m2",
                        "cost_yen", "limit"]].rename(columns={"due_year": "due_nominal"}), on="e")
    o = opt.loc[asg["oi"].to_numpy()]
    asg["penalty_yen"] = (o["risk"] + o["early"]).to_numpy()
    asg = asg.sort_values(["building_id", "due", "kind"], kind="mergesort").reset_index(drop=True)

    host_of = P.ties
    deferred = asg["year"] > last
    sched = asg["year"].where(~deferred)
    delay = np.where(deferred, last + 1 - asg["due"], asg["year"] - asg["due"])
    added = np.where(deferred, last + 1 - np.maximum(asg["due"], first), asg["year"] - np.maximum(asg["due"], first))
    out = pd.DataFrame({
        "building_id": asg["building_id"], "category": asg["category"], "event": asg["kind"],
        "cycle": asg["cycle"].astype(np.int64), "due_year": asg["due"].astype(np.int64),
        "scheduled_year": sched.astype("Int64"),
        "end_year": (asg["year"] + asg["spread_years"] - 1).where(~deferred).astype("Int64"),
        "spread_years": asg["spread_years"].astype(np.int64), "deferred": deferred.to_numpy(),
        "delay_years": delay.astype(np.int64), "added_delay_years": added.astype(np.int64),
        "backlog": asg["backlog"].to_numpy(), "preventive": (asg["variant"] == 1).to_numpy(),
        "hard_limit_year": asg["limit"].astype(float).round().astype("Int64"),
        "cost_yen": asg["cost_yen"].to_numpy(), "penalty_yen": asg["penalty_yen"].to_numpy(),
        "host": asg["building_id"].map(host_of).where(asg["kind"] == "rebuild"),
    })
    out["reason"] = _reasons(out, asg, first, last, params)

    # ---- per year
    H = last - first + 1
    cnt = counts.astype(float)
    spend = P.spend.T @ cnt
    charged = P.need.T @ cnt
    yrs = np.arange(first, last + 1)
    ycat = {}
    # spend by facility category: each event's spend split by its facilities' category shares
    cats = P.cats.copy()
    tot = cats.groupby(["building_id", "kind", "cycle", "due_year"])["cost_yen"].transform("sum")
    cats["w"] = cats["cost_yen"] / tot
    ev_key = ev.set_index("e")[["building_id", "kind", "cycle", "due_year"]]
    oe = opt["e"].to_numpy()
    w_rows = ev_key.reset_index().merge(cats[["building_id", "kind", "cycle", "due_year", "category", "w"]],
                                        on=["building_id", "kind", "cycle", "due_year"], how="left")
    for c in sorted(w_rows["category"].dropna().unique()):
        we = w_rows[w_rows["category"] == c].groupby("e")["w"].sum()
        wv = np.zeros(len(ev))
        wv[we.index.to_numpy()] = we.to_numpy()
        ycat[f"spend_{c}"] = P.spend.T @ (cnt * wv[oe])
    pm_year = np.zeros(H)
    if params.preventive is not None:
        pm_year = np.full(H, float((opt["pm_cost"].to_numpy() / H * cnt).sum()))
    bonds = params.bonds
    proceeds = (P.spend * ((E["kind"].to_numpy() == "rebuild")[oe] * (bonds.share if bonds else 0.0))[:, None]).T @ cnt
    repay = charged - spend + proceeds - pm_year
    fund = params.fund
    bal = np.full(H, np.nan)
    if fund:
        bal = fund.initial_yen + np.cumsum(caps - charged)
    before = project_renewal(facilities, start_year=first, params=rparams, catalogue=catalogue, horizon_years=horizon,
                             include_operation=False).groupby("year")["cost_yen"].sum().reindex(yrs, fill_value=0.0)
    years = pd.DataFrame({"year": yrs, **ycat, "spend_yen": spend, "preventive_yen": pm_year,
                          "bond_proceeds_yen": proceeds, "bond_repayment_yen": np.maximum(repay, 0.0),
                          "charged_yen": charged, "cap_yen": caps, "fund_balance_yen": bal,
                          "unlevelled_yen": before.to_numpy()})

    # ---- summary
    o_all = opt.assign(count=counts)
    tot = lambda c: float((o_all[c] * o_all["count"]).sum())  # noqa: E731
    late = out[(out["delay_years"] > 0)]
    bpast = late["building_id"].nunique()
    summary = {
        "mode": mode, "start_year": first, "horizon_years": horizon, "renewal_preset": rparams.preset,
        "buildings": int(sum(len(v) for v in P.groups["members"])), "events": int(len(out)),
        "cohorts": int(len(P.groups)),
        "total_cost_yen": round(tot("coef"), 0), "capital_yen": round(tot("capital"), 0),
        "penalty_yen": round(tot("risk") + tot("early"), 0), "risk_yen": round(tot("risk"), 0),
        "early_yen": round(tot("early"), 0), "bond_interest_yen": round(tot("interest"), 0),
        "preventive_yen": round(tot("pm_cost"), 0),
        "spend_in_horizon_yen": round(float(spend.sum()), 0),
        "unlevelled_in_horizon_yen": round(float(before.sum()), 0),
        "unlevelled_peak_yen": round(float(before.max()), 0),
        "spend_peak_yen": round(float(spend.max()), 0),
        "mean_cap_yen": round(float(np.mean(caps)), 0),
        "level_budget_yen": None if level is None else float(round(level, 0)),
        "buildings_past_due": int(bpast),
        "events_past_due": int(len(late)),
        "events_delayed_by_schedule": int((out["added_delay_years"] > 0).sum()),
        "buildings_delayed_by_schedule": int(out.loc[out["added_delay_years"] > 0, "building_id"].nunique()),
        "events_deferred": int(out["deferred"].sum()),
        "buildings_deferred": int(out.loc[out["deferred"], "building_id"].nunique()),
        "max_delay_years": int(out["delay_years"].max()) if len(out) else 0,
        "mean_delay_years_of_late": round(float(late["delay_years"].mean()), 2) if len(late) else 0.0,
        "mean_added_delay_years": round(float(out["added_delay_years"].clip(lower=0).mean()), 2) if len(out) else 0.0,
        "events_preventive": int(out["preventive"].sum()),
        "delay_histogram": {k: int(v) for k, v in _delay_bins(out).items()},
    }
    return ScheduleResult(buildings=out, years=years, summary=summary, info=info, mode=mode, start_year=first,
                          horizon_years=horizon, extra={"fund": fund, "params": params})


def _n(k: int, word: str) -> str:
    return f"{k} {word}{'' if k == 1 else 's'}"


def _delay_bins(out: pd.DataFrame) -> dict[str, int]:
    d = out["added_delay_years"]
    bins = {"on time": int((d <= 0).sum()), "1-5 years": int(((d >= 1) & (d <= 5)).sum()),
            "6-10 years": int(((d >= 6) & (d <= 10)).sum()), "11-20 years": int(((d >= 11) & (d <= 20)).sum()),
            "over 20 years": int((d > 20).sum())}
    return bins


def _reasons(out: pd.DataFrame, asg: pd.DataFrame, first: int, last: int, params: ScheduleParams) -> list[str]:
    """A sentence per event: why it is in its year."""
    res = []
    prev_end: dict[str, tuple[int, str, str]] = {}
    reb_year = dict(zip(out.loc[out["event"] == "rebuild", "building_id"], out.loc[out["event"] == "rebuild", "scheduled_year"]))
    for r in out.itertuples(index=False):
        parts = []
        if r.backlog:
            parts.append(f"overdue since {r.due_year} (backlog)")
        if r.preventive:
            parts.append(f"preventive maintenance moves its rebuild to {r.due_year}")
        host = r.host if isinstance(r.host, str) else None
        if host is not None:
            hy = reb_year.get(host)
            parts.append(f"moves into {host} at its rebuild ({hy})" if not r.deferred and pd.notna(hy)
                         else f"waits for {host}, whose rebuild is deferred beyond {last}")
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
