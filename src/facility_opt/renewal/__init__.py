"""Renewal of a ward's buildings: what it costs (the 総務省 更新費用試算 method) and when to do it.

* :mod:`.params` — life cycles, unit costs, backlog rules, named presets (``models/renewal_costs.yaml``);
* :mod:`.events` — the renovations and rebuilds each building falls due for in the horizon;
* :mod:`.projection` — those events spread into yearly costs (plus operation), totals by year;
* :mod:`.stock` — the same for a type-level stock table and an age profile;
* :mod:`.calibration` — fitting a preset to a ward's published total;
* :mod:`.plots` — the renewal cliff, and a schedule before and after levelling;
* :mod:`.schedule` — placing every event in a year under an annual budget (:class:`RenewalScheduler`).

The cost side is imported here; the scheduler (which needs the MILP stack) from
:mod:`facility_opt.renewal.schedule`, the calibration (SciPy) from :mod:`facility_opt.renewal.calibration`.
"""

from .events import renewal_events
from .params import (
    BacklogRule,
    Intervention,
    RenewalCostParams,
    RenewalPreset,
    UnitCost,
    default_renewal_params,
    load_renewal_params,
)
from .plots import plot_renewal_cliff, plot_schedule
from .projection import project_renewal, totals_by_year
from .stock import load_age_profile, project_stock, read_stock_table, stock_buildings

__all__ = [
    "UnitCost",
    "Intervention",
    "RenewalPreset",
    "BacklogRule",
    "RenewalCostParams",
    "load_renewal_params",
    "default_renewal_params",
    "renewal_events",
    "project_renewal",
    "totals_by_year",
    "stock_buildings",
    "project_stock",
    "read_stock_table",
    "load_age_profile",
    "plot_renewal_cliff",
    "plot_schedule",
]
