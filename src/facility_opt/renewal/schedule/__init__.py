"""Renewal scheduling under an annual budget: levelling the renewal cliff (更新時期の平準化).

The renewal-cost model (:mod:`facility_opt.renewal`) says *when* each building falls due for renovation
or rebuilding. Paying for every event in its due year makes a "cliff": Nerima would need about
215億円 a year while it spent about 52億円. This module places every event in a year so that spending
stays within an annual cap, at the least total cost including a readable penalty for running buildings
past their due year.

The model (an integer program; HiGHS through :func:`facility_opt.solver.solve`):

* **events** are :func:`facility_opt.renewal.events.renewal_events` summed per building (facilities sharing a
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

Two questions (both matter to a planner): :class:`RenewalScheduler` (or :func:`schedule_renewals`) with a
``budget`` minimises total cost (capital + penalties + interest + preventive maintenance) under the caps; with
``min_budget=True`` it finds the smallest *level* annual budget that keeps every building within its
window (or only its hard limit: ``min_budget_within="hard_limits"``), then the cheapest schedule at
that level.

Identical buildings without ties (common in a stock table expanded by
:func:`facility_opt.renewal.stock.stock_buildings`) are grouped into cohorts with integer counts per year.

One module per concern: :mod:`.params` (windows, penalties, budget...), :mod:`.buildings` (events per
building), :mod:`.options` (windows, options and their costs; shared with the portfolio model),
:mod:`.prepare` (ties, cohorts), :mod:`.milp` (the model), :mod:`.diagnose` (infeasibility),
:mod:`.assemble` and :mod:`.reasons` (the result tables), :mod:`.result` (:class:`ScheduleResult` and
its files), :mod:`.check` (an independent re-check), :mod:`.bridge` (portfolio plans) and
:mod:`.scheduler` (:class:`RenewalScheduler`).
"""

from __future__ import annotations

from .bridge import plan_buildings, plan_schedule
from .check import check_schedule
from .options import event_options, event_risk, event_windows, order_rows
from .params import (
    Bonds,
    Budget,
    Fund,
    Penalties,
    Preventive,
    ScheduleParams,
    Window,
    default_schedule_params,
    load_schedule_params,
)
from .result import ScheduleResult
from .scheduler import RenewalScheduler, schedule_renewals

__all__ = [
    "Window",
    "Penalties",
    "Preventive",
    "Bonds",
    "Fund",
    "ScheduleParams",
    "Budget",
    "ScheduleResult",
    "RenewalScheduler",
    "load_schedule_params",
    "default_schedule_params",
    "schedule_renewals",
    "plan_buildings",
    "plan_schedule",
    "check_schedule",
    "event_windows",
    "event_options",
    "event_risk",
    "order_rows",
]
