"""The result of renewal scheduling: per-event and per-year tables, a summary, the solver report, files."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from ...atomic import atomic_write_text
from ...solver import SolveInfo
from ...units import OKU_YEN

__all__ = ["ScheduleResult"]


def _solver_section(info: SolveInfo) -> dict[str, Any]:
    """The solver report without timings (so identical input gives identical files)."""
    return {k: v for k, v in info.to_dict().items() if not k.endswith("seconds")}


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

    ``info.objective`` and ``info.bound`` are in yen (the solver works in 億円, see
    :data:`~facility_opt.renewal.schedule.milp.SCALE`); ``schedule_summary.json`` keeps the solver
    section exactly as it has always been written (in the solver's 億円 scale), so files stay
    byte-identical across versions.
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
        return (
            f"ScheduleResult({self.mode}{lvl}: {s['events']} events of {s['buildings']} buildings, "
            f"total {s['total_cost_yen'] / OKU_YEN:,.1f} oku (penalties {s['penalty_yen'] / OKU_YEN:,.1f}); "
            f"{s['buildings_past_due']} buildings past due (max {s['max_delay_years']} y), "
            f"{s['events_deferred']} deferred; {self.info})"
        )

    @property
    def status(self) -> str:
        """``optimal`` or ``feasible``."""
        return self.info.status

    def to_frame(self) -> pd.DataFrame:
        """The per-event table (a copy), keyed by ``building_id, event, cycle``."""
        return self.buildings.copy()

    def to_dict(self) -> dict[str, Any]:
        """The summary plus the solver report (objective in yen), JSON-ready, without wall-clock values."""
        return json.loads(json.dumps({**self.summary, "solver": _solver_section(self.info)}))

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
            "buildings": atomic_write_text(
                folder / "schedule_buildings.csv", b.to_csv(index=False, lineterminator="\n")
            ),
            "years": atomic_write_text(folder / "schedule_years.csv", y.to_csv(index=False, lineterminator="\n")),
            "summary": atomic_write_text(
                folder / "schedule_summary.json",
                json.dumps(
                    {**self.summary, "solver": self.extra.get("solver_section") or _solver_section(self.info)},
                    ensure_ascii=False,
                    sort_keys=True,
                    indent=1,
                )
                + "\n",
            ),
        }
        return paths

    def plot(self, ax=None):
        """See :func:`~facility_opt.renewal.plots.plot_schedule`."""
        from ..plots import plot_schedule

        return plot_schedule(self, ax=ax)
